//! DKIM signing: keys read once from `[outgoing.dkim]`, checked against
//! their algorithm, and the signature of each outgoing mail as the sender
//! renders it (relaxed/relaxed, RFC 6376; Ed25519 per RFC 8463).
//!
//! The signature's time (`t=`) is the mail's own Date, not the clock's: a
//! mail rendered again for a retry is the same bytes, signature included
//! (lettre's signer reads the clock, hence a signer of our own).
//!
//! Key files are PKCS#1 PEM (`BEGIN RSA PRIVATE KEY`), PKCS#8 PEM
//! (`BEGIN PRIVATE KEY`, what `openssl genpkey` writes) or an Ed25519 seed
//! in base64.

use std::fmt;
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use rsa::pkcs1::DecodeRsaPrivateKey;
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    RsaSha256,
    Ed25519Sha256,
}

impl Algorithm {
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::RsaSha256 => "rsa-sha256",
            Algorithm::Ed25519Sha256 => "ed25519-sha256",
        }
    }
}

impl std::str::FromStr for Algorithm {
    type Err = String;
    fn from_str(s: &str) -> Result<Algorithm, String> {
        match s {
            "rsa-sha256" => Ok(Algorithm::RsaSha256),
            "ed25519-sha256" => Ok(Algorithm::Ed25519Sha256),
            other => Err(format!("unknown algorithm `{other}` (expected: rsa-sha256, ed25519-sha256)")),
        }
    }
}

/// The headers our signature covers. Absent ones are signed as absent, so
/// nobody can add them on the way. Not `Content-Type`: lettre writes a
/// multipart mail's with its body, where its signer does not see it (the
/// body hash covers the parts).
const SIGNED: &[&str] = &[
    "From",
    "Reply-To",
    "Subject",
    "Date",
    "To",
    "Cc",
    "Message-ID",
    "In-Reply-To",
    "References",
    "MIME-Version",
    "Auto-Submitted",
];

/// A key that signs mail from one domain (and its subdomains).
#[derive(Clone)]
pub struct DkimKey {
    pub domain: String,
    pub selector: String,
    pub algorithm: Algorithm,
    signer: Arc<Signer>,
}

enum Signer {
    Rsa(Box<rsa::RsaPrivateKey>),
    Ed25519(ring::signature::Ed25519KeyPair),
}

impl fmt::Debug for DkimKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DkimKey")
            .field("domain", &self.domain)
            .field("selector", &self.selector)
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

impl DkimKey {
    /// The key in `text` (a key file's content) for `algorithm`; `Err`
    /// says what is wrong with it, in words for `guichet check`.
    pub fn new(domain: &str, selector: &str, algorithm: Algorithm, text: &str) -> Result<DkimKey, String> {
        let signer = match (read_key(text)?, algorithm) {
            (Key::Rsa { pkcs1_der }, Algorithm::RsaSha256) => {
                let bits = rsa_bits(&pkcs1_der).ok_or("not an RSA private key (its modulus cannot be read)")?;
                if bits < 1024 {
                    return Err(format!("a {bits}-bit RSA key: verifiers refuse keys under 1024 bits (use 2048)"));
                }
                let key = rsa::RsaPrivateKey::from_pkcs1_der(&pkcs1_der).map_err(|e| format!("not an RSA key: {e}"))?;
                Signer::Rsa(Box::new(key))
            }
            (Key::Ed25519 { seed }, Algorithm::Ed25519Sha256) => Signer::Ed25519(
                ring::signature::Ed25519KeyPair::from_seed_unchecked(&seed)
                    .map_err(|e| format!("not an Ed25519 key: {e}"))?,
            ),
            (Key::Rsa { .. }, Algorithm::Ed25519Sha256) => {
                return Err("an RSA key, and the algorithm is ed25519-sha256".into());
            }
            (Key::Ed25519 { .. }, Algorithm::RsaSha256) => {
                return Err("an Ed25519 key, and the algorithm is rsa-sha256".into());
            }
        };
        Ok(DkimKey {
            domain: domain.to_lowercase(),
            selector: selector.to_string(),
            algorithm,
            signer: Arc::new(signer),
        })
    }

    /// `mail` (RFC 5322 bytes, CRLF lines) with a `DKIM-Signature` header
    /// first, dated `at`. Relaxed canonicalization both ways: a relay that
    /// refolds a header or trims a trailing space does not break it.
    pub fn sign(&self, mail: &[u8], at: std::time::SystemTime) -> Result<Vec<u8>, String> {
        let split = mail.windows(4).position(|w| w == b"\r\n\r\n").map_or(mail.len(), |i| i + 2);
        let (head, body) = (&mail[..split], mail.get(split + 2..).unwrap_or_default());
        let fields = header_fields(head);
        let bh = base64(&Sha256::digest(relaxed_body(body)));
        let names: Vec<String> = SIGNED.iter().map(|h| h.to_ascii_lowercase()).collect();
        let t = at.duration_since(std::time::SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let tags = format!(
            "v=1; a={}; d={}; s={}; c=relaxed/relaxed; q=dns/txt; t={t}; h={}; bh={bh}; b=",
            self.algorithm.as_str(),
            self.domain,
            self.selector,
            names.join(":")
        );
        let mut signed = Vec::new();
        for name in &names {
            // The last instance of each (RFC 6376 5.4.2); an absent one is signed as absent.
            if let Some((n, v)) = fields.iter().rev().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
                signed.extend_from_slice(relaxed_header(n, v).as_bytes());
                signed.extend_from_slice(b"\r\n");
            }
        }
        signed.extend_from_slice(relaxed_header("DKIM-Signature", &tags).as_bytes());
        let b = match &*self.signer {
            Signer::Rsa(key) => {
                let digest = Sha256::digest(&signed);
                let scheme = rsa::Pkcs1v15Sign::new::<Sha256>();
                base64(&key.sign(scheme, &digest).map_err(|e| format!("RSA signing: {e}"))?)
            }
            // RFC 8463: Ed25519 signs the SHA-256 of the data.
            Signer::Ed25519(key) => base64(key.sign(&Sha256::digest(&signed)).as_ref()),
        };
        let mut out = Vec::with_capacity(mail.len() + tags.len() + b.len() + 20);
        out.extend_from_slice(format!("DKIM-Signature: {tags}{b}\r\n").as_bytes());
        out.extend_from_slice(mail);
        Ok(out)
    }

    /// Whether this key may sign mail from `address`: its domain is the
    /// key's or under it.
    fn covers(&self, address: &str) -> bool {
        let domain = address.rsplit_once('@').map_or("", |(_, d)| d).trim_end_matches('.').to_lowercase();
        domain == self.domain || domain.ends_with(&format!(".{}", self.domain))
    }
}

/// The key for mail from `address`: the one of its own domain, else of
/// the closest parent domain; `None` when no key covers it (the mail goes
/// unsigned).
pub fn key_for<'a>(keys: &'a [DkimKey], address: &str) -> Option<&'a DkimKey> {
    keys.iter().filter(|k| k.covers(address)).max_by_key(|k| k.domain.len())
}

/// The header fields of `head`, unfolded: (name, value as written).
fn header_fields(head: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(head);
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in text.split("\r\n").filter(|l| !l.is_empty()) {
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = fields.last_mut() {
                v.push_str(line);
            }
        } else if let Some((n, v)) = line.split_once(':') {
            fields.push((n.to_string(), v.to_string()));
        }
    }
    fields
}

/// RFC 6376 3.4.2: name in lower case, runs of white space as one space,
/// none around the colon or at the end.
fn relaxed_header(name: &str, value: &str) -> String {
    let value = value.split([' ', '\t', '\r', '\n']).filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ");
    format!("{}:{value}", name.trim().to_ascii_lowercase())
}

/// RFC 6376 3.4.4: runs of white space as one space, none at line ends,
/// no empty lines at the end, and a final CRLF unless the body is empty.
fn relaxed_body(body: &[u8]) -> Vec<u8> {
    let mut lines: Vec<Vec<u8>> = Vec::new();
    let body = body.strip_suffix(b"\r\n").unwrap_or(body);
    for line in body.split(|b| *b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let mut out = Vec::with_capacity(line.len());
        let mut space = false;
        for &c in line {
            if c == b' ' || c == b'\t' {
                space = true;
            } else {
                if space {
                    out.push(b' ');
                    space = false;
                }
                out.push(c);
            }
        }
        lines.push(out);
    }
    while lines.last().is_some_and(Vec::is_empty) {
        lines.pop();
    }
    let mut out = Vec::new();
    for l in lines {
        out.extend_from_slice(&l);
        out.extend_from_slice(b"\r\n");
    }
    out
}

enum Key {
    Rsa { pkcs1_der: Vec<u8> },
    Ed25519 { seed: Vec<u8> },
}

const RSA_OID: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const ED25519_OID: &[u8] = &[0x2b, 0x65, 0x70];

/// What a key file holds: PKCS#1 or PKCS#8 PEM, or an Ed25519 seed in
/// base64 (lettre's own form).
fn read_key(text: &str) -> Result<Key, String> {
    let text = text.trim();
    let Some(rest) = text.strip_prefix("-----BEGIN ") else {
        return match unbase64(text) {
            Some(seed) if seed.len() == 32 => Ok(Key::Ed25519 { seed }),
            _ => Err("not a key: expected a PEM private key (BEGIN RSA PRIVATE KEY or BEGIN PRIVATE KEY)".into()),
        };
    };
    let (label, body) = rest.split_once("-----").ok_or("not a key: a broken PEM header")?;
    let end = format!("-----END {label}-----");
    let body = body.split(&end).next().unwrap_or_default();
    let der = unbase64(body).ok_or("not a key: its PEM body is not base64")?;
    match label {
        "RSA PRIVATE KEY" => Ok(Key::Rsa { pkcs1_der: der }),
        "PRIVATE KEY" => pkcs8(&der).ok_or_else(|| "not an RSA or Ed25519 private key (PKCS#8)".to_string()),
        "ENCRYPTED PRIVATE KEY" => Err("an encrypted key: write it without a passphrase (openssl pkey -in KEY)".into()),
        "PUBLIC KEY" | "RSA PUBLIC KEY" => Err("a public key: the private key is needed".into()),
        "OPENSSH PRIVATE KEY" => Err("an OpenSSH key: convert it to PEM (see docs/dkim.md)".into()),
        other => Err(format!("a `{other}`, not an RSA or Ed25519 private key")),
    }
}

/// The key inside a PKCS#8 `PrivateKeyInfo`.
fn pkcs8(der: &[u8]) -> Option<Key> {
    let (tag, info, _) = tlv(der)?;
    if tag != 0x30 {
        return None;
    }
    let (_, _version, rest) = tlv(info)?;
    let (tag, algorithm, rest) = tlv(rest)?;
    if tag != 0x30 {
        return None;
    }
    let (tag, oid, _) = tlv(algorithm)?;
    if tag != 0x06 {
        return None;
    }
    let (tag, private, _) = tlv(rest)?;
    if tag != 0x04 {
        return None;
    }
    if oid == RSA_OID {
        Some(Key::Rsa { pkcs1_der: private.to_vec() })
    } else if oid == ED25519_OID {
        // The seed is itself an OCTET STRING.
        let (tag, seed, _) = tlv(private)?;
        (tag == 0x04 && seed.len() == 32).then(|| Key::Ed25519 { seed: seed.to_vec() })
    } else {
        None
    }
}

/// The modulus size of a PKCS#1 `RSAPrivateKey`.
fn rsa_bits(der: &[u8]) -> Option<usize> {
    let (tag, key, _) = tlv(der)?;
    if tag != 0x30 {
        return None;
    }
    let (_, _version, rest) = tlv(key)?;
    let (tag, modulus, _) = tlv(rest)?;
    if tag != 0x02 {
        return None;
    }
    let modulus = modulus.iter().position(|b| *b != 0).map_or(&[][..], |i| &modulus[i..]);
    let first = *modulus.first()?;
    Some(modulus.len() * 8 - first.leading_zeros() as usize)
}

/// One DER element: its tag, its content and what follows it.
fn tlv(der: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = der.split_first()?;
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n].iter().fold(0usize, |l, b| l << 8 | usize::from(*b));
        rest = &rest[n..];
        len
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

fn base64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Base64 with whitespace anywhere (PEM lines); `None` on anything else.
fn unbase64(text: &str) -> Option<Vec<u8>> {
    let compact: Vec<u8> = text.bytes().filter(|c| !c.is_ascii_whitespace()).collect();
    STANDARD.decode(compact).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_goes_there_and_back() {
        for raw in [&b""[..], b"f", b"fo", b"foo", b"foobar", &[0u8, 255, 7, 128]] {
            assert_eq!(unbase64(&base64(raw)).unwrap(), raw);
        }
        assert_eq!(unbase64("Zm9v\nYmFy").unwrap(), b"foobar");
        assert!(unbase64("Zm9v!").is_none());
    }

    #[test]
    fn a_key_is_chosen_by_the_senders_domain_the_closest_first() {
        let seed = base64(&[7u8; 32]);
        let k = |d: &str| DkimKey::new(d, "s1", Algorithm::Ed25519Sha256, &seed).unwrap();
        let keys = vec![k("example.test"), k("people.example.test"), k("other.test")];
        assert_eq!(key_for(&keys, "rh@people.example.test").unwrap().domain, "people.example.test");
        assert_eq!(key_for(&keys, "support@example.test").unwrap().domain, "example.test");
        assert_eq!(key_for(&keys, "it@eu.example.test").unwrap().domain, "example.test");
        assert!(key_for(&keys, "x@notexample.test").is_none());
    }

    #[test]
    fn what_is_not_a_key_is_said() {
        let no = |text: &str, alg| DkimKey::new("example.test", "s1", alg, text).unwrap_err();
        assert!(no("hello", Algorithm::RsaSha256).starts_with("not a key"));
        let public = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
        assert!(no(public, Algorithm::RsaSha256).contains("public key"));
        let seed = base64(&[7u8; 32]);
        assert_eq!(no(&seed, Algorithm::RsaSha256), "an Ed25519 key, and the algorithm is rsa-sha256");
    }
}
