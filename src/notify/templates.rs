//! Mail templates: `templates/<lang>/<name>.{subject,text,html}.hbs`,
//! rendered in strict mode (a missing variable is an error, never an empty
//! string in a mail). HTML parts are escaped, titles and text are not.
//!
//! The `subject` part is the mail's *title*: what kind of mail it is
//! ("Réponse à votre demande n° 42"). It is rendered first and handed to
//! the text and HTML parts as `{{title}}`, their first line. Mail about a
//! ticket always has the subject `[Tag #N] <ticket subject>` whatever the
//! title says (see `Desk::queue`): mail clients keep a conversation
//! together only while its subject stays the same. Mail about no ticket
//! (`too_large`) has its title as subject.
//!
//! Text parts are wrapped at 72 columns after rendering
//! ([`crate::domain::wording::wrap`]): templates write a paragraph on one
//! line, and a long name or subject never leaves a ragged paragraph.
//! A changed template directory is reloaded by [`Templates::reload_if_changed`];
//! a broken edit keeps the last good set.

use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::SystemTime;

use handlebars::Handlebars;
use serde_json::{json, Value};

use crate::domain::ticket::Lang;

/// Every template guichet sends. Admins may add their own beside them
/// (a rule's `template` names one): each needs all parts in every language.
pub const NAMES: &[&str] = &[
    "acknowledgement",
    "reply",
    "new_article",
    "status_changed",
    "stranger_alert",
    "command_error",
    "assigned",
    "sla_warning",
    "sla_breached",
    "pending_reminder",
    "auto_closed",
    "survey",
    "low_rating",
    "delivery_failed",
    "too_large",
    "major_incident",
    "major_incident_status",
    "login_refused",
];
const PARTS: &[&str] = &["subject", "text", "html"];
const LANGS: &[Lang] = &[Lang::Fr, Lang::En];

/// A rendered mail body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The `subject` part on one line: what kind of mail this is.
    pub title: String,
    pub text: String,
    pub html: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {message}")]
pub struct TemplateProblem {
    pub file: String,
    pub message: String,
}

#[derive(Clone)]
pub struct Templates {
    dir: PathBuf,
    /// Compiled so far: all of them after [`Templates::load`], those
    /// rendered so far after [`Templates::lazy`]. Clones share it.
    compiled: Arc<RwLock<Compiled>>,
    stamp: Vec<(PathBuf, Option<SystemTime>)>,
    names: Vec<String>,
}

struct Compiled {
    plain: Handlebars<'static>,
    html: Handlebars<'static>,
}

handlebars::handlebars_helper!(de: |word: str| crate::domain::wording::elide("de", word));
handlebars::handlebars_helper!(le: |word: str| crate::domain::wording::elide("le", word));
handlebars::handlebars_helper!(que: |word: str| crate::domain::wording::elide("que", word));

/// The helpers French needs: `{{de name}}` is "d'Alice" or "de Marc",
/// likewise `{{le word}}` and `{{que name}}`.
fn add_helpers(registry: &mut Handlebars<'static>) {
    registry.register_helper("de", Box::new(de));
    registry.register_helper("le", Box::new(le));
    registry.register_helper("que", Box::new(que));
}

impl Compiled {
    fn new() -> Compiled {
        let mut plain = Handlebars::new();
        plain.set_strict_mode(true);
        plain.register_escape_fn(handlebars::no_escape);
        add_helpers(&mut plain);
        let mut html = Handlebars::new();
        html.set_strict_mode(true);
        add_helpers(&mut html);
        Compiled { plain, html }
    }

    fn registry(&self, part: &str) -> &Handlebars<'static> {
        if part == "html" {
            &self.html
        } else {
            &self.plain
        }
    }

    /// Reads and compiles one file, registered under `lang/name.part`.
    fn add(&mut self, dir: &Path, lang: Lang, name: &str, part: &str) -> Result<(), TemplateProblem> {
        let path = dir.join(lang.as_str()).join(format!("{name}.{part}.hbs"));
        let file = path.display().to_string();
        let source = std::fs::read_to_string(&path)
            .map_err(|e| TemplateProblem { file: file.clone(), message: format!("cannot read: {e}") })?;
        let registry = if part == "html" { &mut self.html } else { &mut self.plain };
        registry
            .register_template_string(&key(lang, name, part), source)
            .map_err(|e| TemplateProblem { file, message: e.to_string() })
    }
}

fn key(lang: Lang, name: &str, part: &str) -> String {
    format!("{lang}/{name}.{part}")
}

/// Ours, then every other `<name>.subject.hbs` found, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut extra = Vec::new();
    for lang in LANGS {
        let Ok(entries) = std::fs::read_dir(dir.join(lang.as_str())) else { continue };
        for e in entries.flatten() {
            let file = e.file_name().to_string_lossy().to_string();
            if let Some(name) = file.strip_suffix(".subject.hbs") {
                if !NAMES.contains(&name) && !extra.iter().any(|x| x == name) {
                    extra.push(name.to_string());
                }
            }
        }
    }
    extra.sort();
    NAMES.iter().map(|s| s.to_string()).chain(extra).collect()
}

fn stamp(dir: &Path, names: &[String]) -> Vec<(PathBuf, Option<SystemTime>)> {
    let mut out = Vec::new();
    for lang in LANGS {
        for name in names {
            for part in PARTS {
                let path = dir.join(lang.as_str()).join(format!("{name}.{part}.hbs"));
                let mtime = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
                out.push((path, mtime));
            }
        }
    }
    out
}

impl Templates {
    /// Loads and checks every template; all problems are returned together.
    pub fn load(dir: &Path) -> Result<Templates, Vec<TemplateProblem>> {
        let templates = Templates::lazy(dir);
        let mut problems = Vec::new();
        {
            let mut compiled = templates.write();
            for lang in LANGS {
                for name in &templates.names {
                    for part in PARTS {
                        if let Err(p) = compiled.add(dir, *lang, name, part) {
                            problems.push(p);
                        }
                    }
                }
            }
        }
        if problems.is_empty() {
            problems = templates.check();
        }
        if problems.is_empty() {
            Ok(templates)
        } else {
            Err(problems)
        }
    }

    /// The templates of `dir`, each read and compiled the first time it is
    /// rendered, for a process that renders a few and exits (`ingest` from
    /// an MTA). A broken one fails the render that needs it, naming its
    /// file; `load` (and `guichet check`) find them all up front.
    pub fn lazy(dir: &Path) -> Templates {
        let names = names(dir);
        let stamp = stamp(dir, &names);
        Templates { dir: dir.to_path_buf(), compiled: Arc::new(RwLock::new(Compiled::new())), stamp, names }
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Compiled> {
        self.compiled.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Renders every template against a sample ticket, in strict mode.
    pub fn check(&self) -> Vec<TemplateProblem> {
        let mut problems = Vec::new();
        for lang in LANGS {
            let ctx = sample_context(*lang);
            for name in &self.names {
                for part in PARTS {
                    if let Err(e) = self.render_part(*lang, name, part, &ctx) {
                        let file = self.dir.join(lang.as_str()).join(format!("{name}.{part}.hbs"));
                        problems.push(TemplateProblem { file: file.display().to_string(), message: e });
                    }
                }
            }
        }
        problems
    }

    fn render_part(&self, lang: Lang, name: &str, part: &str, ctx: &Value) -> Result<String, String> {
        let id = key(lang, name, part);
        let ready = self.compiled.read().unwrap_or_else(PoisonError::into_inner).registry(part).has_template(&id);
        if !ready {
            if !self.has(name) {
                return Err(format!("no template `{name}` in {}", self.dir.display()));
            }
            self.write().add(&self.dir, lang, name, part).map_err(|p| p.to_string())?;
        }
        let compiled = self.compiled.read().unwrap_or_else(PoisonError::into_inner);
        compiled.registry(part).render(&id, ctx).map_err(|e| {
            // Say which variable is missing in words an admin reads.
            match e.reason() {
                handlebars::RenderErrorReason::MissingVariable(Some(var)) => {
                    let (line, col) = (e.line_no.unwrap_or(0), e.column_no.unwrap_or(0));
                    format!("line {line}, column {col}: unknown variable `{var}`")
                }
                _ => e.to_string(),
            }
        })
    }

    /// Every template name in use, ours first.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    pub fn has(&self, name: &str) -> bool {
        self.names.iter().any(|n| n == name)
    }

    /// Renders the title, then the text and HTML parts with `title` set.
    pub fn render(&self, name: &str, lang: Lang, ctx: &Value) -> Result<Rendered, String> {
        let title = self.render_part(lang, name, "subject", ctx)?;
        // Line breaks go; a no-break space stays what it is.
        let title =
            title.split(|c: char| c.is_ascii_whitespace()).filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ");
        let mut ctx = ctx.clone();
        if let Some(map) = ctx.as_object_mut() {
            map.insert("title".into(), Value::String(title.clone()));
        }
        let text = self.render_part(lang, name, "text", &ctx)?;
        Ok(Rendered {
            text: crate::domain::wording::wrap(&text),
            html: self.render_part(lang, name, "html", &ctx)?,
            title,
        })
    }

    /// Reloads when a file changed. `Ok(true)` when a new set is in use;
    /// on a broken edit the current set stays and the problems are returned.
    pub fn reload_if_changed(&mut self) -> Result<bool, Vec<TemplateProblem>> {
        // Looked at every second: the directories are listed once.
        let now = stamp(&self.dir, &names(&self.dir));
        if now == self.stamp {
            return Ok(false);
        }
        match Templates::load(&self.dir) {
            Ok(fresh) => {
                *self = fresh;
                Ok(true)
            }
            Err(problems) => {
                // Do not retry the same broken files on every tick.
                self.stamp = now;
                Err(problems)
            }
        }
    }
}

/// A context with every variable filled, for `check` and `template preview`.
pub fn sample_context(lang: Lang) -> Value {
    let (subject, text) = match lang {
        Lang::Fr => ("L'imprimante du 2e étage ne répond plus", "Bonjour,\nL'imprimante affiche « erreur 52 ».\nMerci"),
        Lang::En => ("The printer on floor 2 does not respond", "Hello,\nThe printer shows \"error 52\".\nThanks"),
    };
    json!({
        "title": match lang { Lang::Fr => "Réponse à votre demande n°\u{a0}42", Lang::En => "Reply to your request #42" },
        "desk": { "name": "Support", "address": "support@example.test", "tag": "Guichet", "reopen_days": 14 },
        "signature": "Support\nsupport@example.test",
        "signature_html": "Support",
        "recipient": { "name": "Alice Martin", "email": "alice@example.test", "in_copy": false },
        "ticket": {
            "number": 42, "tag": "[Guichet #42]", "subject": subject,
            "type": "incident", "type_label": crate::domain::ticket::TicketType::Incident.label(lang),
            "status": "assigned", "status_label": crate::domain::ticket::Status::Assigned.label(lang),
            "priority": 3, "priority_label": crate::domain::ticket::priority_label(3, lang),
            "impact": 3, "urgency": 3,
            "requester_name": "Alice Martin", "requester_email": "alice@example.test",
            "assignee_name": "Marc Dupont", "group": "", "major": false,
            "planned_at": match lang { Lang::Fr => "lundi 7 décembre 2026 à 14:30", Lang::En => "Monday 7 December 2026, 14:30" },
            "created_at": match lang { Lang::Fr => "samedi 28 novembre 2026 à 10:12", Lang::En => "Saturday 28 November 2026, 10:12" },
            "has_watchers": true,
            "watchers": [{ "name": "Bob Leroy", "email": "bob@example.test" }]
        },
        "article": {
            "from_name": "Alice Martin", "has_name": true, "from_email": "alice@example.test", "subject": subject,
            "text": text, "lines": text.lines().collect::<Vec<_>>(), "html": "", "has_html": false,
            "is_new_ticket": true, "internal": false
        },
        "change": { "old_label": crate::domain::ticket::Status::Assigned.label(lang), "new_label": crate::domain::ticket::Status::Resolved.label(lang), "new_meaning": crate::domain::ticket::Status::Resolved.meaning(lang), "by_name": "Marc Dupont", "closed": true },
        "error": { "command": "#status closed", "reason": "unknown status `closed`" },
        "sla": {
            "kind_label": crate::domain::sla::TimerKind::FirstResponse.label(lang), "policy": "standard",
            "due_at": match lang { Lang::Fr => "lundi 30 novembre 2026 à 10:00", Lang::En => "Monday 30 November 2026, 10:00" }, "left_label": "45 min", "overdue_label": "10 min",
            "raised_priority_label": crate::domain::ticket::priority_label(2, lang), "moved_to_group": "niveau-2",
            "reassigned_to_name": "Marc Dupont"
        },
        "pending": {
            "since": match lang { Lang::Fr => "mercredi 25 novembre 2026", Lang::En => "Wednesday 25 November 2026" },
            "days": 3, "close_after_days": 7,
            "closes_on": match lang { Lang::Fr => "mercredi 2 décembre 2026", Lang::En => "Wednesday 2 December 2026" }
        },
        "history": {
            "has_tickets": true,
            "tickets": [{
                "number": 41, "subject": subject, "closed": true,
                "status_label": crate::domain::ticket::Status::Resolved.label(lang),
                "when": match lang { Lang::Fr => "lundi 2 novembre 2026 à 09:30", Lang::En => "Monday 2 November 2026, 09:30" }
            }],
            "related": { "number": 41, "subject": subject }
        },
        "survey": {
            "has_links": true,
            "links": (1..=5).rev().map(|r| json!({
                "rating": r,
                "url": format!("https://desk.example.test/survey/1.1767225600.0f1e2d?r={r}"),
                "label": crate::domain::survey::rating_label(r, lang),
            })).collect::<Vec<_>>(),
            "valid_days": 30
        },
        "rating": { "value": 2, "comment": "Trop long." },
        "major": {
            "number": 41, "subject": "VPN en panne", "count": 6, "window_minutes": 15,
            "children": [
                { "number": 36, "subject": "VPN en panne", "requester": "Alice Martin" },
                { "number": 38, "subject": "Plus de VPN", "requester": "bob@example.test" }
            ]
        },
        "kb": {
            "has_articles": true,
            "articles": [{
                "number": 7,
                "title": "L'imprimante affiche « erreur 52 »",
                "excerpt": "L'erreur 52 signale un bourrage papier…",
                "text": "L'erreur 52 signale un bourrage papier.\n\n1. Ouvrez le capot arrière.\n2. Retirez la feuille.",
                "lines": ["L'erreur 52 signale un bourrage papier.", "", "1. Ouvrez le capot arrière.", "2. Retirez la feuille."],
                "html": "<p>L'erreur 52 signale un bourrage papier.</p><ol><li>Ouvrez le capot arrière.</li><li>Retirez la feuille.</li></ol>"
            }]
        },
        "bounce": {
            "failures": [{ "recipient": "alice@example.test", "status": "5.1.1", "diagnostic": "550 5.1.1 User unknown" }],
            "undeliverable_days": 7
        },
        "alert": {
            "to": "support@example.test", "cc": "Bob Durand <bob@example.test>",
            "note_address": "support+42-internal@example.test"
        },
        "mail": {
            "subject": subject, "to": "support@example.test",
            "received_at": match lang { Lang::Fr => "samedi 28 novembre 2026 à 10:12", Lang::En => "Saturday 28 November 2026, 10:12" },
            "size_label": "112.4 MB", "limit_label": "100 MB"
        },
        "login": {
            "mailbox": "support", "address": "support@example.test",
            "reason": "OAuth2 grant of `support` refused: invalid_grant (refresh token revoked)",
            "action": "guichet auth login support"
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shipped templates, copied so that one can be broken.
    fn shipped_copy() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        for lang in LANGS {
            std::fs::create_dir_all(dir.path().join(lang.as_str())).unwrap();
            for e in std::fs::read_dir(from.join(lang.as_str())).unwrap() {
                let e = e.unwrap();
                std::fs::copy(e.path(), dir.path().join(lang.as_str()).join(e.file_name())).unwrap();
            }
        }
        dir
    }

    /// The text a reader sees in a template: without `{{…}}` expressions
    /// and, in HTML, without tags.
    fn prose(source: &str, html: bool) -> String {
        let pattern = if html { r"(?s)\{\{.*?\}\}|<[^>]*>" } else { r"(?s)\{\{.*?\}\}" };
        regex::Regex::new(pattern).unwrap().replace_all(source, "\u{1}").into_owned()
    }

    #[test]
    fn french_templates_put_a_no_break_space_before_high_punctuation_and_inside_guillemets() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/fr");
        let mut problems = Vec::new();
        for e in std::fs::read_dir(&dir).unwrap() {
            let path = e.unwrap().path();
            let file = path.file_name().unwrap().to_string_lossy().to_string();
            let text = prose(&std::fs::read_to_string(&path).unwrap(), file.ends_with(".html.hbs"));
            for (n, line) in text.lines().enumerate() {
                let bad = [" :", " ;", " ?", " !", "« ", " »", "\""].iter().find(|p| line.contains(*p));
                if let Some(bad) = bad {
                    problems.push(format!("{file}:{}: `{bad}` in {line}", n + 1));
                }
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    #[test]
    fn every_template_starts_with_its_title_and_french_elides_de() {
        let templates = Templates::load(Path::new(env!("CARGO_MANIFEST_DIR")).join("templates").as_path()).unwrap();
        for lang in LANGS {
            let ctx = sample_context(*lang);
            for name in NAMES {
                let r = templates.render(name, *lang, &ctx).unwrap();
                // What is sent: a body without its title gets it.
                let (text, html) = crate::notify::outbox::with_title(r.text.clone(), r.html.clone(), &r.title);
                assert_eq!(crate::notify::outbox::first_paragraph(&text), r.title, "{lang}/{name}");
                assert!(html.contains(&handlebars::html_escape(&r.title)), "{lang}/{name}");
                if *name != "stranger_alert" {
                    assert_eq!((text, html), (r.text, r.html), "{lang}/{name} opens with {{{{title}}}} itself");
                }
            }
        }
        let mut ctx = sample_context(Lang::Fr);
        ctx["article"]["from_name"] = json!("Émile Roux");
        ctx["article"]["is_new_ticket"] = json!(false);
        assert_eq!(templates.render("new_article", Lang::Fr, &ctx).unwrap().title, "Nouveau message d'Émile Roux");
        ctx["article"]["from_name"] = json!("Marc Dupont");
        assert_eq!(templates.render("new_article", Lang::Fr, &ctx).unwrap().title, "Nouveau message de Marc Dupont");
    }

    #[test]
    fn lazy_templates_render_like_loaded_ones_and_a_broken_one_fails_only_its_render() {
        let dir = shipped_copy();
        let ctx = sample_context(Lang::Fr);
        let loaded = Templates::load(dir.path()).unwrap();
        let lazy = Templates::lazy(dir.path());
        assert_eq!(lazy.render("acknowledgement", Lang::Fr, &ctx), loaded.render("acknowledgement", Lang::Fr, &ctx));

        let broken = dir.path().join("fr/survey.text.hbs");
        std::fs::write(&broken, "{{#if}} unclosed").unwrap();
        let lazy = Templates::lazy(dir.path());
        assert!(lazy.render("acknowledgement", Lang::Fr, &ctx).is_ok());
        let err = lazy.render("survey", Lang::Fr, &ctx).unwrap_err();
        assert!(err.contains("survey.text.hbs"), "{err}");
        assert!(lazy.render("nonesuch", Lang::Fr, &ctx).unwrap_err().contains("no template `nonesuch`"));
        let problems = Templates::load(dir.path()).err().unwrap();
        assert!(problems.iter().any(|p| p.file.ends_with("survey.text.hbs")), "{problems:?}");
    }
}
