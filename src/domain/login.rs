//! Dashboard logins: password hashes as `[[admin]]` keeps them
//! (PBKDF2-HMAC-SHA256, RFC 8018) and the signed, expiring session a
//! login gives: `<login, hex>.<expiry, unix seconds>.<HMAC-SHA256, hex>`.

use std::fmt;

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Iterations of new hashes (OWASP's figure for PBKDF2-HMAC-SHA256).
pub const ITERATIONS: u32 = 600_000;
const SCHEME: &str = "pbkdf2-sha256";

/// A stored password: `pbkdf2-sha256$ITERATIONS$SALT$HASH`, hex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordHash {
    iterations: u32,
    salt: Vec<u8>,
    hash: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashError {
    #[error("not a password hash of the form pbkdf2-sha256$ITERATIONS$SALT$HASH")]
    Form,
    #[error("{0} iterations are too few (at least 1000)")]
    TooFew(u32),
    #[error("the salt must be at least 8 bytes (16 hex digits)")]
    ShortSalt,
}

fn hmac(key: &[u8]) -> Hmac<Sha256> {
    <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC accepts any key"))
}

/// PBKDF2-HMAC-SHA256 with one 32-byte block.
fn derive(password: &[u8], salt: &[u8], iterations: u32) -> [u8; 32] {
    let prf = hmac(password);
    let mut u = {
        let mut m = prf.clone();
        m.update(salt);
        m.update(&1u32.to_be_bytes());
        m.finalize().into_bytes()
    };
    let mut out: [u8; 32] = u.into();
    for _ in 1..iterations {
        let mut m = prf.clone();
        m.update(&u);
        u = m.finalize().into_bytes();
        for (o, x) in out.iter_mut().zip(u.iter()) {
            *o ^= x;
        }
    }
    out
}

impl PasswordHash {
    pub fn parse(s: &str) -> Result<PasswordHash, HashError> {
        let mut parts = s.trim().split('$');
        let (Some(SCHEME), Some(n), Some(salt), Some(hash), None) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(HashError::Form);
        };
        let iterations: u32 = n.parse().map_err(|_| HashError::Form)?;
        let salt = hex::decode(salt).map_err(|_| HashError::Form)?;
        let hash = hex::decode(hash).map_err(|_| HashError::Form)?;
        if hash.len() != 32 {
            return Err(HashError::Form);
        }
        if iterations < 1000 {
            return Err(HashError::TooFew(iterations));
        }
        if salt.len() < 8 {
            return Err(HashError::ShortSalt);
        }
        Ok(PasswordHash { iterations, salt, hash })
    }

    /// The hash of `password` with this salt and count of iterations.
    pub fn new(password: &str, salt: &[u8], iterations: u32) -> PasswordHash {
        PasswordHash { iterations, salt: salt.to_vec(), hash: derive(password.as_bytes(), salt, iterations).to_vec() }
    }

    /// Whether `password` is the one hashed, compared in constant time.
    pub fn verify(&self, password: &str) -> bool {
        same_bytes(&derive(password.as_bytes(), &self.salt, self.iterations), &self.hash)
    }
}

impl fmt::Display for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{SCHEME}${}${}${}", self.iterations, hex::encode(&self.salt), hex::encode(&self.hash))
    }
}

/// Whether two secrets are equal, taking the same time wherever they
/// differ (their lengths are not secret).
pub fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn session_mac(key: &[u8], login: &str, expires: i64) -> Hmac<Sha256> {
    let mut m = hmac(key);
    m.update(format!("session:{expires}:{login}").as_bytes());
    m
}

/// A session for `login`, valid until `expires`.
pub fn session(key: &[u8], login: &str, expires: DateTime<Utc>) -> String {
    let expires = expires.timestamp();
    let tag = session_mac(key, login, expires).finalize().into_bytes();
    format!("{}.{expires}.{}", hex::encode(login), hex::encode(tag))
}

/// The login a session is for, if this desk made it and it is still valid.
pub fn session_login(key: &[u8], token: &str, now: DateTime<Utc>) -> Option<String> {
    let mut parts = token.trim().splitn(3, '.');
    let (login, expires, tag) = (parts.next()?, parts.next()?, parts.next()?);
    let login = String::from_utf8(hex::decode(login).ok()?).ok()?;
    let expires: i64 = expires.parse().ok()?;
    let tag = hex::decode(tag).ok()?;
    session_mac(key, &login, expires).verify_slice(&tag).ok()?;
    (now.timestamp() <= expires).then_some(login)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_derivation_gives_the_published_pbkdf2_sha256_vectors() {
        // RFC 7914 §11 and the commonly published PBKDF2-HMAC-SHA256 vectors.
        let cases: [(&str, &str, u32, &str); 3] = [
            ("password", "salt", 1, "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b"),
            ("password", "salt", 2, "ae4d0c95af6b46d32d0adff928f06dd02a303f8ef3c251dfd6e2d85a95474c43"),
            ("password", "salt", 4096, "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a"),
        ];
        for (p, s, n, want) in cases {
            assert_eq!(hex::encode(derive(p.as_bytes(), s.as_bytes(), n)), want, "{p} {s} {n}");
        }
        let rfc7914 = derive(b"passwd", b"salt", 1);
        assert_eq!(hex::encode(rfc7914), "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc");
    }

    #[test]
    fn a_hash_verifies_its_password_only_and_reads_back_what_it_writes() {
        let h = PasswordHash::new("correct horse", b"0123456789abcdef", 1000);
        let text = h.to_string();
        assert!(text.starts_with("pbkdf2-sha256$1000$"), "{text}");
        let back = PasswordHash::parse(&text).unwrap();
        assert!(back.verify("correct horse"));
        assert!(!back.verify("correct horse "));
        assert!(!back.verify(""));
    }

    #[test]
    fn bad_hashes_say_what_is_wrong() {
        assert_eq!(PasswordHash::parse("secret"), Err(HashError::Form));
        assert_eq!(PasswordHash::parse("bcrypt$10$00$00"), Err(HashError::Form));
        let few = PasswordHash::new("x", b"0123456789abcdef", 10).to_string();
        assert_eq!(PasswordHash::parse(&few), Err(HashError::TooFew(10)));
        let short = PasswordHash::new("x", b"0123", 1000).to_string();
        assert_eq!(PasswordHash::parse(&short), Err(HashError::ShortSalt));
    }

    #[test]
    fn a_session_names_its_login_until_it_expires_and_cannot_be_altered() {
        let key = b"a key of the desk, long enough";
        let at = |h| Utc.with_ymd_and_hms(2026, 12, 1, h, 0, 0).unwrap();
        let s = session(key, "claire", at(20));
        assert_eq!(session_login(key, &s, at(9)).as_deref(), Some("claire"));
        assert_eq!(session_login(key, &s, at(21)), None);
        let other = session(key, "bob", at(20));
        let forged = format!("{}{}", &other[..other.find('.').unwrap()], &s[s.find('.').unwrap()..]);
        assert_eq!(session_login(key, &forged, at(9)), None);
        assert_eq!(session_login(b"another desk's key, long enough", &s, at(9)), None);
        assert_eq!(session_login(key, "", at(9)), None);
    }
}
