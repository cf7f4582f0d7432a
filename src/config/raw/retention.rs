//! `[retention]`: how long raw mail, quarantine entries and closed tickets
//! are kept. Every part is off unless set; 0 also turns a part off.

use toml::Table;

use super::Reader;
use crate::config::{ClosedTickets, Retention};

const RETENTION: &[&str] = &["raw_mail_days", "closed_tickets_months", "closed_tickets", "quarantine_days", "batch"];

pub(super) fn read_retention(r: &mut Reader, doc: &Table) -> Retention {
    let empty = Table::new();
    let t = r.table(doc, "", "retention").unwrap_or(&empty);
    let p = "retention";
    r.known_keys(t, p, RETENTION);
    let days = |n: Option<i64>| n.filter(|n| *n > 0).map(|n| n as u32);
    let raw_mail_days = days(r.integer(t, p, "raw_mail_days", 0..=36_500));
    let quarantine_days = days(r.integer(t, p, "quarantine_days", 0..=36_500));
    let months = days(r.integer(t, p, "closed_tickets_months", 0..=1_200));
    let what = match r.string(t, p, "closed_tickets").as_deref() {
        None => None,
        Some("anonymise" | "anonymize") => Some(ClosedTickets::Anonymise),
        Some("delete") => Some(ClosedTickets::Delete),
        Some(other) => {
            r.problem("retention.closed_tickets", format!("`{other}` is not one of: anonymise, delete"));
            None
        }
    };
    if what.is_some() && !t.contains_key("closed_tickets_months") {
        r.problem("retention.closed_tickets", "set `closed_tickets_months` too: after how long closed tickets go");
    }
    if months.is_some() && !t.contains_key("closed_tickets") {
        r.problem("retention.closed_tickets_months", "set `closed_tickets` too: \"anonymise\" or \"delete\"");
    }
    let batch = r.integer(t, p, "batch", 1..=100_000).map_or(200, |n| n as u32);
    Retention { raw_mail_days, closed_tickets: months.zip(what), quarantine_days, batch }
}
