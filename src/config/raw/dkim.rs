//! `[outgoing.dkim]`: the signing keys, read and checked at load.

use toml::{Table, Value};

use super::{join, Reader};
use crate::mail::dkim::{Algorithm, DkimKey};

const DKIM: &[&str] = &["domain", "selector", "algorithm", "key_file"];

/// `[outgoing.dkim]`, or `[[outgoing.dkim]]` for several domains. Each key
/// file is read and checked now, so that `guichet check` says what is wrong
/// with it.
pub(super) fn read_dkim(r: &mut Reader, t: &Table) -> Vec<DkimKey> {
    let tables: Vec<(String, &Table)> = match t.get("dkim") {
        None => Vec::new(),
        Some(Value::Table(one)) => vec![("outgoing.dkim".to_string(), one)],
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .filter_map(|(i, v)| match v {
                Value::Table(one) => Some((format!("outgoing.dkim[{i}]"), one)),
                other => {
                    r.problem(format!("outgoing.dkim[{i}]"), format!("expected a table, found {}", other.type_str()));
                    None
                }
            })
            .collect(),
        Some(other) => {
            r.problem("outgoing.dkim", format!("expected a table ([outgoing.dkim]), found {}", other.type_str()));
            Vec::new()
        }
    };
    let mut keys: Vec<DkimKey> = Vec::new();
    for (path, d) in tables {
        r.known_keys(d, &path, DKIM);
        let domain = r.required(d, &path, "domain").map(|s| s.trim().trim_end_matches('.').to_lowercase());
        if let Some(dom) = &domain {
            if !dom.contains('.') || !dom.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-') {
                r.problem(join(&path, "domain"), format!("`{dom}` is not a domain name"));
            } else if keys.iter().any(|k| &k.domain == dom) {
                r.problem(join(&path, "domain"), format!("another key already signs for `{dom}`"));
            }
        }
        let selector = r.required(d, &path, "selector");
        if let Some(s) =
            selector.as_deref().filter(|s| !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.'))
        {
            r.problem(join(&path, "selector"), format!("`{s}` is not a selector (letters, digits, `-` and `.`)"));
        }
        let algorithm = match r.string(d, &path, "algorithm").as_deref().unwrap_or("rsa-sha256").parse::<Algorithm>() {
            Ok(a) => Some(a),
            Err(e) => {
                r.problem(join(&path, "algorithm"), e);
                None
            }
        };
        let Some(file) = r.required(d, &path, "key_file").map(|f| r.path(&f)) else { continue };
        let key_path = join(&path, "key_file");
        let text = match std::fs::read_to_string(&file) {
            Ok(text) => text,
            Err(e) => {
                r.problem(key_path, format!("cannot read {}: {e}", file.display()));
                continue;
            }
        };
        let (Some(domain), Some(selector), Some(algorithm)) = (domain, selector, algorithm) else { continue };
        match DkimKey::new(&domain, &selector, algorithm, &text) {
            Ok(k) => keys.push(k),
            Err(e) => r.problem(key_path, format!("{}: {e}", file.display())),
        }
    }
    keys
}
