//! The pure parts of OAuth2 logins: the SASL initial responses, when a
//! token is renewed, and what an issuer's error code means.

use std::time::Duration;

/// SASL XOAUTH2: `user=<login>^Aauth=Bearer <token>^A^A`.
pub fn xoauth2(login: &str, token: &str) -> String {
    format!("user={login}\x01auth=Bearer {token}\x01\x01")
}

/// SASL OAUTHBEARER (RFC 7628) initial response.
pub fn oauthbearer(login: &str, host: &str, port: u16, token: &str) -> String {
    let login = login.replace('=', "=3D").replace(',', "=2C");
    format!("n,a={login},\x01host={host}\x01port={port}\x01auth=Bearer {token}\x01\x01")
}

/// How long after it was issued a token of `lifetime` is renewed: a
/// quarter of its life before the end, at most a minute before.
pub fn renew_after(lifetime: Duration) -> Duration {
    lifetime - (lifetime / 4).min(Duration::from_secs(60))
}

/// What an issuer's `error` code says about the grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssuerVerdict {
    /// The grant is gone or refused (revoked, consent withdrawn, wrong
    /// scope or client): only an admin can mend it.
    Refused,
    /// Try again later.
    Transient,
    /// Device flow: the person has not answered yet.
    Pending,
    /// Device flow: poll more slowly.
    SlowDown,
}

pub fn verdict(error: &str) -> IssuerVerdict {
    match error {
        "authorization_pending" => IssuerVerdict::Pending,
        "slow_down" => IssuerVerdict::SlowDown,
        "temporarily_unavailable" | "server_error" => IssuerVerdict::Transient,
        // invalid_grant, invalid_client, unauthorized_client, invalid_scope,
        // access_denied, expired_token, consent_required, …: none of them
        // goes away by waiting.
        _ => IssuerVerdict::Refused,
    }
}

/// `application/x-www-form-urlencoded`.
pub fn form(fields: &[(&str, &str)]) -> String {
    let enc = |s: &str| {
        let mut out = String::new();
        for b in s.bytes() {
            match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(b as char),
                b' ' => out.push('+'),
                _ => out.push_str(&format!("%{b:02X}")),
            }
        }
        out
    };
    fields.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sasl_responses_carry_the_login_and_the_token() {
        assert_eq!(xoauth2("a@example.test", "T"), "user=a@example.test\x01auth=Bearer T\x01\x01");
        assert_eq!(
            oauthbearer("a,b=c@example.test", "imap.example.test", 993, "T"),
            "n,a=a=2Cb=3Dc@example.test,\x01host=imap.example.test\x01port=993\x01auth=Bearer T\x01\x01"
        );
    }

    #[test]
    fn tokens_are_renewed_before_they_expire() {
        for (life, after) in [(3600, 3540), (20, 15), (240, 180), (1, 0)] {
            assert_eq!(renew_after(Duration::from_secs(life)).as_secs(), after, "lifetime {life}");
        }
    }

    #[test]
    fn only_an_issuers_passing_trouble_is_transient() {
        assert_eq!(verdict("invalid_grant"), IssuerVerdict::Refused);
        assert_eq!(verdict("invalid_scope"), IssuerVerdict::Refused);
        assert_eq!(verdict("temporarily_unavailable"), IssuerVerdict::Transient);
        assert_eq!(verdict("authorization_pending"), IssuerVerdict::Pending);
    }

    #[test]
    fn forms_are_percent_encoded() {
        assert_eq!(form(&[("scope", "a b/c"), ("x", "é&")]), "scope=a+b%2Fc&x=%C3%A9%26");
    }
}
