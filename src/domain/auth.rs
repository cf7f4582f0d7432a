//! Whether a mail really comes from its `From` domain, as the receiving
//! MTA judged it in `Authentication-Results` (RFC 8601): a DKIM signature,
//! SPF or DMARC that passed for that domain.

/// One `method=result` of an `Authentication-Results` header, with its
/// properties (`header.d`, `smtp.mailfrom`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Result_ {
    method: String,
    result: String,
    props: Vec<(String, String)>,
}

/// Drops RFC 5322 comments (nested parentheses), outside quoted strings.
fn uncomment(s: &str) -> String {
    let (mut out, mut depth, mut quoted, mut escaped) = (String::new(), 0usize, false, false);
    for c in s.chars() {
        if escaped {
            escaped = false;
            if depth == 0 {
                out.push(c);
            }
            continue;
        }
        match c {
            '\\' => {
                escaped = true;
                if depth == 0 {
                    out.push(c);
                }
            }
            '"' if depth == 0 => {
                quoted = !quoted;
                out.push(c);
            }
            '(' if !quoted => depth += 1,
            ')' if !quoted && depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// The authserv-id and the results of one header value.
fn parse(value: &str) -> Option<(String, Vec<Result_>)> {
    let text = uncomment(value);
    let mut parts = text.split(';');
    let id = parts.next()?.split_whitespace().next()?.to_ascii_lowercase();
    let mut results = Vec::new();
    for part in parts {
        let mut words = part.split_whitespace();
        let Some((method, result)) = words.next().and_then(|w| w.split_once('=')) else { continue };
        let method = method.split('/').next().unwrap_or_default().to_ascii_lowercase();
        let props = words
            .filter_map(|w| w.split_once('='))
            .filter(|(k, _)| k.contains('.'))
            .map(|(k, v)| (k.to_ascii_lowercase(), v.trim_matches('"').to_ascii_lowercase()))
            .collect();
        results.push(Result_ { method, result: result.to_ascii_lowercase(), props });
    }
    Some((id, results))
}

/// `d` is `domain` or a parent of it (relaxed alignment).
fn aligned(d: &str, domain: &str) -> bool {
    let d = d.trim_start_matches('@').trim_end_matches('.');
    !d.is_empty() && (domain == d || domain.ends_with(&format!(".{d}")))
}

fn domain_of(v: &str) -> &str {
    v.rsplit('@').next().unwrap_or(v)
}

/// Judges `from` (an address) by the first `Authentication-Results` value
/// (top of the header, so added last, by our own MTA) whose authserv-id
/// is in `trusted`; headers from other servers, or below it, are ignored:
/// a sender can write any header, but not above what our MTA prepends.
/// `Ok` says which check passed, `Err` why none did.
pub fn sender_proven<'a>(
    results: impl IntoIterator<Item = &'a str>,
    from: &str,
    trusted: &[String],
) -> Result<String, String> {
    let domain = domain_of(&from.to_ascii_lowercase()).to_string();
    let ours = results.into_iter().filter_map(parse).find(|(id, _)| trusted.iter().any(|t| t.eq_ignore_ascii_case(id)));
    let Some((id, results)) = ours else {
        return Err(format!("no Authentication-Results from a trusted server ({})", trusted.join(", ")));
    };
    for r in results.iter().filter(|r| r.result == "pass") {
        let prop = |names: &[&str]| r.props.iter().find(|(k, _)| names.contains(&k.as_str())).map(|(_, v)| v.as_str());
        let passed_for = match r.method.as_str() {
            "dkim" => prop(&["header.d", "header.i"]).map(domain_of),
            "spf" => prop(&["smtp.mailfrom"]).map(domain_of),
            "dmarc" => prop(&["header.from"]).map(domain_of),
            _ => None,
        };
        if let Some(d) = passed_for.filter(|d| aligned(d, &domain)) {
            return Ok(format!("{} pass for {d} ({id})", r.method));
        }
    }
    let seen: Vec<String> = results.iter().map(|r| format!("{}={}", r.method, r.result)).collect();
    Err(format!("{id} found no DKIM, SPF or DMARC pass for {domain} ({})", seen.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trusted() -> Vec<String> {
        vec!["mx.example.test".into()]
    }

    #[test]
    fn a_pass_for_the_from_domain_by_a_trusted_server_proves_the_sender() {
        let cases = [
            "mx.example.test; dkim=pass header.d=example.test header.s=sel; spf=none",
            "mx.example.test 1; spf=pass (sender IP is 192.0.2.1) smtp.mailfrom=marc@example.test",
            "MX.Example.Test; dmarc=pass (p=reject) header.from=example.test",
            "mx.example.test; dkim=pass header.i=@example.test",
            // A signature by the parent domain covers a subdomain sender.
            "mx.example.test; dkim=pass header.d=example.test",
        ];
        for (i, c) in cases.iter().enumerate() {
            let from = if i == 4 { "marc@it.example.test" } else { "marc@example.test" };
            assert!(sender_proven([*c], from, &trusted()).is_ok(), "{c}");
        }
    }

    #[test]
    fn anything_less_is_not_proof() {
        let from = "marc@example.test";
        let cases = [
            // Not our server.
            "mx.elsewhere.example; dkim=pass header.d=example.test",
            // Failed or neutral.
            "mx.example.test; dkim=fail header.d=example.test; spf=softfail smtp.mailfrom=example.test",
            // A pass for another domain.
            "mx.example.test; dkim=pass header.d=evil.example; spf=pass smtp.mailfrom=x@evil.example",
            // A look-alike domain is not a parent.
            "mx.example.test; dkim=pass header.d=ample.test",
            // The result hidden in a comment.
            "mx.example.test; dkim=fail (dkim=pass header.d=example.test) header.d=example.test",
            "mx.example.test; none",
            "",
        ];
        for c in cases {
            assert!(sender_proven([c], from, &trusted()).is_err(), "{c}");
        }
        assert!(sender_proven([], from, &trusted()).is_err());
    }

    #[test]
    fn only_the_topmost_trusted_header_counts() {
        // Our MTA prepends its verdict; a forged pass further down, written
        // by the sender with our server's name, is ignored.
        let ours = "mx.example.test; dkim=none; spf=fail smtp.mailfrom=marc@example.test";
        let forged = "mx.example.test; dkim=pass header.d=example.test";
        let err = sender_proven([ours, forged], "marc@example.test", &trusted()).unwrap_err();
        assert!(err.contains("spf=fail"), "{err}");
    }
}
