//! Signed, expiring tokens for the links in survey mail:
//! `<survey id>.<expiry, unix seconds>.<HMAC-SHA256, 128 bits, hex>`,
//! and the check that the answer form of a link's page carries.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Why a token is not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the link is incomplete or was altered")]
    Malformed,
    #[error("the link was not made by this desk")]
    Forged,
    #[error("the link has expired")]
    Expired,
}

fn mac(key: &[u8], label: &str, id: i64, expires: i64) -> Hmac<Sha256> {
    // HMAC takes keys of any length: this cannot fail.
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC accepts any key"));
    m.update(format!("{label}:{id}:{expires}").as_bytes());
    m
}

/// A token for row `id` of what `label` names (`survey`, `file`): a token
/// made under one label is never valid under another.
pub fn sign_labelled(key: &[u8], label: &str, id: i64, expires: DateTime<Utc>) -> String {
    let expires = expires.timestamp();
    let tag = mac(key, label, id, expires).finalize().into_bytes();
    format!("{id}.{expires}.{}", hex::encode(&tag[..16]))
}

/// The row a token made under `label` is for, if it is ours and still
/// valid at `now`.
pub fn verify_labelled(key: &[u8], label: &str, token: &str, now: DateTime<Utc>) -> Result<i64, TokenError> {
    let mut parts = token.trim().splitn(3, '.');
    let (Some(id), Some(expires), Some(tag)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(TokenError::Malformed);
    };
    let id: i64 = id.parse().map_err(|_| TokenError::Malformed)?;
    let expires: i64 = expires.parse().map_err(|_| TokenError::Malformed)?;
    let tag = hex::decode(tag).map_err(|_| TokenError::Malformed)?;
    if tag.len() != 16 {
        return Err(TokenError::Malformed);
    }
    // Constant-time comparison of the truncated tag.
    mac(key, label, id, expires).verify_truncated_left(&tag).map_err(|_| TokenError::Forged)?;
    if now.timestamp() > expires {
        return Err(TokenError::Expired);
    }
    Ok(id)
}

pub fn sign(key: &[u8], survey: i64, expires: DateTime<Utc>) -> String {
    sign_labelled(key, "survey", survey, expires)
}

/// The survey a token is for, if it is ours and still valid at `now`.
pub fn verify(key: &[u8], token: &str, now: DateTime<Utc>) -> Result<i64, TokenError> {
    verify_labelled(key, "survey", token, now)
}

/// When a well-formed token expires; says nothing of whether it is ours.
pub fn expiry(token: &str) -> Option<DateTime<Utc>> {
    let expires: i64 = token.trim().split('.').nth(1)?.parse().ok()?;
    DateTime::from_timestamp(expires, 0)
}

/// The hidden field of the answer form on a link's page. A link scanner
/// that posts to the link without reading the page does not have it; the
/// page shows it to whoever opens the link, so it only proves the page was
/// read, not who read it.
pub fn form_check(key: &[u8], token: &str) -> String {
    hex::encode(&form_mac(key, token).finalize().into_bytes()[..16])
}

fn form_mac(key: &[u8], token: &str) -> Hmac<Sha256> {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC accepts any key"));
    m.update(format!("survey-form:{}", token.trim()).as_bytes());
    m
}

/// Whether `given` is the form check of `token`, compared in constant time.
pub fn form_check_matches(key: &[u8], token: &str, given: &str) -> bool {
    let Ok(tag) = hex::decode(given.trim()) else { return false };
    if tag.len() != 16 {
        return false;
    }
    form_mac(key, token).verify_truncated_left(&tag).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const KEY: &[u8] = b"a key of the desk, long enough";

    fn at(d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, d, 12, 0, 0).unwrap()
    }

    #[test]
    fn a_token_is_accepted_until_it_expires() {
        let t = sign(KEY, 42, at(10));
        assert_eq!(verify(KEY, &t, at(1)), Ok(42));
        assert_eq!(verify(KEY, &t, at(10)), Ok(42));
        assert_eq!(verify(KEY, &t, at(11)), Err(TokenError::Expired));
    }

    #[test]
    fn altered_or_foreign_tokens_are_refused() {
        let t = sign(KEY, 42, at(10));
        let other_survey = t.replacen("42.", "43.", 1);
        assert_eq!(verify(KEY, &other_survey, at(1)), Err(TokenError::Forged));
        let later = sign(KEY, 42, at(20));
        let stretched = format!("{}.{}", &later[..later.rfind('.').unwrap()], &t[t.rfind('.').unwrap() + 1..]);
        assert_eq!(verify(KEY, &stretched, at(1)), Err(TokenError::Forged));
        assert_eq!(verify(b"another desk's key, long enough", &t, at(1)), Err(TokenError::Forged));
        for bad in ["", "42", "42.1767", "x.1.00", "42.1.zz", "42.1.00ff"] {
            assert_eq!(verify(KEY, bad, at(1)), Err(TokenError::Malformed), "{bad}");
        }
    }

    #[test]
    fn the_form_check_belongs_to_its_token_and_key() {
        let t = sign(KEY, 42, at(10));
        let check = form_check(KEY, &t);
        assert!(form_check_matches(KEY, &t, &check));
        assert!(!form_check_matches(KEY, &sign(KEY, 43, at(10)), &check), "another survey's");
        assert!(!form_check_matches(b"another desk's key, long enough", &t, &check), "another desk's");
        for bad in ["", "0", "zz", &check[..30], &format!("{check}00")] {
            assert!(!form_check_matches(KEY, &t, bad), "{bad:?}");
        }
        assert_ne!(check, t[t.rfind('.').unwrap() + 1..], "not the link's own signature");
        assert_eq!(expiry(&t), Some(at(10)));
        assert_eq!(expiry("42.x.00"), None);
    }
}
