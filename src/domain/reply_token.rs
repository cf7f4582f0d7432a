//! Reply tokens: what proves that a mail from a technician's address was
//! written by that technician when nothing else does.
//!
//! Every mail the desk sends a technician carries a `Reply-To` of its own,
//! `support+<scope>.<token>@…`: the scope is the ticket number (or the
//! held mail a confirmation is about) and the token an HMAC of scope,
//! technician and notice, under a key the desk keeps. Only someone who
//! received that mail knows the address, so a reply sent to it proves who
//! answers; a forged `From:` alone does not.
//!
//! A token is `<notice, 8 characters><tag, 16 characters>`, in lower-case
//! base 32 (`a`–`z`, `2`–`7`): mail systems may change the case of an
//! address, never its letters.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
const NOTICE_LEN: usize = 8;
const TAG_LEN: usize = 16;

/// The scope of a confirmation: the held mail (its quarantine entry)
/// the technician is asked to confirm.
pub const CONFIRM_PREFIX: &str = "confirm-";

fn base32(bytes: &[u8], len: usize) -> String {
    let mut out = String::with_capacity(len);
    let (mut acc, mut bits) = (0u64, 0u32);
    for &b in bytes {
        acc = (acc << 8) | u64::from(b);
        bits += 8;
        while bits >= 5 && out.len() < len {
            bits -= 5;
            out.push(ALPHABET[((acc >> bits) & 31) as usize] as char);
        }
    }
    out
}

fn tag(key: &[u8], scope: &str, technician: &str, notice: &str) -> String {
    // HMAC takes keys of any length: this cannot fail.
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC accepts any key"));
    m.update(format!("reply:{}:{}:{notice}", scope.to_ascii_lowercase(), technician.to_ascii_lowercase()).as_bytes());
    base32(&m.finalize().into_bytes(), TAG_LEN)
}

/// The token for the mail whose Message-ID is `message_id`, sent to
/// `technician` about `scope`.
pub fn mint(key: &[u8], scope: &str, technician: &str, message_id: &str) -> String {
    let notice = base32(&Sha256::digest(message_id.as_bytes()), NOTICE_LEN);
    let tag = tag(key, scope, technician, &notice);
    format!("{notice}{tag}")
}

/// Whether `token` was made by this desk for `technician` about `scope`.
pub fn check(key: &[u8], scope: &str, technician: &str, token: &str) -> bool {
    let token = token.to_ascii_lowercase();
    if token.len() != NOTICE_LEN + TAG_LEN || !token.bytes().all(|b| ALPHABET.contains(&b)) {
        return false;
    }
    let (notice, given) = token.split_at(NOTICE_LEN);
    let expected = tag(key, scope, technician, notice);
    // Constant time: every byte is compared.
    expected.bytes().zip(given.bytes()).fold(0u8, |d, (a, b)| d | (a ^ b)) == 0
}

/// `scope.token`, the part of a plus address after `+`, split; `None`
/// when there is no token.
pub fn split(detail: &str) -> Option<(&str, &str)> {
    let (scope, token) = detail.rsplit_once('.')?;
    (!scope.is_empty() && token.len() == NOTICE_LEN + TAG_LEN).then_some((scope, token))
}

/// `support+<scope>.<token>@example.test`.
pub fn address(desk_address: &str, scope: &str, token: &str) -> String {
    match desk_address.rsplit_once('@') {
        Some((local, domain)) => format!("{local}+{scope}.{token}@{domain}"),
        None => desk_address.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"a key of the desk";

    #[test]
    fn a_token_proves_its_technician_and_scope_only() {
        let t = mint(KEY, "42", "marc@example.test", "<n1@example.test>");
        assert_eq!(t.len(), 24);
        assert!(check(KEY, "42", "marc@example.test", &t));
        assert!(check(KEY, "42", "Marc@Example.TEST", &t.to_ascii_uppercase()), "case is not a difference");
        assert!(!check(KEY, "43", "marc@example.test", &t), "another ticket");
        assert!(!check(KEY, "42", "sarah@example.test", &t), "another technician");
        assert!(!check(b"another key", "42", "marc@example.test", &t), "another desk");
        let mut altered = t.clone().into_bytes();
        altered[20] = if altered[20] == b'a' { b'b' } else { b'a' };
        assert!(!check(KEY, "42", "marc@example.test", &String::from_utf8(altered).unwrap()));
        assert!(!check(KEY, "42", "marc@example.test", "short"));
    }

    #[test]
    fn each_notice_has_its_own_token() {
        let a = mint(KEY, "42", "marc@example.test", "<n1@example.test>");
        let b = mint(KEY, "42", "marc@example.test", "<n2@example.test>");
        assert_ne!(a, b);
        assert!(check(KEY, "42", "marc@example.test", &b));
    }

    #[test]
    fn addresses_carry_scope_and_token() {
        let t = mint(KEY, "confirm-7", "marc@example.test", "<n@x>");
        let a = address("support@example.test", "confirm-7", &t);
        assert_eq!(a, format!("support+confirm-7.{t}@example.test"));
        let detail = a.split_once('+').unwrap().1.split_once('@').unwrap().0;
        assert_eq!(split(detail), Some(("confirm-7", t.as_str())));
        assert_eq!(split("42"), None);
        assert_eq!(split("42-internal"), None);
        assert_eq!(split("first.last"), None);
    }
}
