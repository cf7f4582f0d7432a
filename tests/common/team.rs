//! The people and service of the tests that route, assign and time
//! tickets, shared by the binary tests and the in-process ones.

pub const PAUL: &str = "paul.martin@example.test";
pub const LEA: &str = "lea.roux@example.test";

/// Marc and Paul in `poste` (Paul knows printers), Léa in `poste` too but
/// works afternoons only (Paris time).
pub const POSTE_TEAM: &str = r#"
[[technician]]
email = "paul.martin@example.test"
name = "Paul Martin"
groups = ["poste"]
skills = ["imprimante"]
language = "fr"
digest = "off"

[[technician]]
email = "lea.roux@example.test"
name = "Léa Roux"
groups = ["poste"]
working_hours = "mon-fri 14:00-18:00"
time_zone = "Europe/Paris"
digest = "off"
"#;

/// Monday 30 November 2026, 10:00 in Paris.
pub const MONDAY_MORNING: &str = "2026-11-30T09:00:00Z";

/// Office hours in Paris, Paul leads `poste`, a policy for priority 3.
pub const SERVICE: &str = r#"
[[technician]]
email = "paul.martin@example.test"
name = "Paul Martin"
groups = ["poste"]
language = "fr"
digest = "off"

[[group]]
name = "poste"
lead = "paul.martin@example.test"

[[calendar]]
name = "bureau"
time_zone = "Europe/Paris"
working_hours = "mon-fri 09:00-18:00"
holidays = ["12-25", "easter+1"]

[[sla]]
name = "standard"
priority = [3, 4, 5]
calendar = "bureau"
first_response = "2h"
resolution = "8h"
escalate_priority = true

[[rule]]
name = "imprimantes"
[rule.when]
subject = "(?i)imprimante"
[rule.then]
group = "poste"
assignee = "marc.dupont@example.test"

[pending]
remind_after_days = 3
close_after_days = 7

[survey]
delay_hours = 1
"#;
