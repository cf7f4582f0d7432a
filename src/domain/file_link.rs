//! Signed, expiring links to a stored attachment, for files too large to
//! send on by mail: `<attachment id>.<expiry, unix seconds>.<HMAC-SHA256,
//! 128 bits, hex>`, signed with the desk's link key under a label of their
//! own, so a survey token is never a file token.

use chrono::{DateTime, Utc};

pub use super::token::TokenError;
use super::token::{sign_labelled, verify_labelled};

pub fn sign(key: &[u8], attachment: i64, expires: DateTime<Utc>) -> String {
    sign_labelled(key, "file", attachment, expires)
}

/// The attachment a token is for, if it is ours and still valid at `now`.
pub fn verify(key: &[u8], token: &str, now: DateTime<Utc>) -> Result<i64, TokenError> {
    verify_labelled(key, "file", token, now)
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
    fn a_file_link_works_until_it_expires() {
        let t = sign(KEY, 7, at(10));
        assert_eq!(verify(KEY, &t, at(1)), Ok(7));
        assert_eq!(verify(KEY, &t, at(11)), Err(TokenError::Expired));
    }

    #[test]
    fn a_changed_file_link_or_a_survey_token_is_refused() {
        let t = sign(KEY, 7, at(10));
        assert_eq!(verify(KEY, &t.replacen("7.", "8.", 1), at(1)), Err(TokenError::Forged));
        let survey = super::super::token::sign(KEY, 7, at(10));
        assert_eq!(verify(KEY, &survey, at(1)), Err(TokenError::Forged));
        assert_eq!(verify(KEY, "7.x.00", at(1)), Err(TokenError::Malformed));
    }
}
