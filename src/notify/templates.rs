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
use serde_json::Value;

pub use super::context::TemplateContext;

use crate::domain::ticket::Lang;

/// The templates guichet sends, by name (`templates/<lang>/<name>.*.hbs`).
/// Admins may add their own beside them (a rule's `template` names one):
/// those are [`TemplateName::Custom`]. Each needs all parts in every
/// language.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TemplateName {
    Acknowledgement,
    Reply,
    NewArticle,
    StatusChanged,
    StrangerAlert,
    CommandError,
    Assigned,
    SlaWarning,
    SlaBreached,
    PendingReminder,
    AutoClosed,
    Survey,
    LowRating,
    DeliveryFailed,
    TooLarge,
    MajorIncident,
    MajorIncidentStatus,
    LoginRefused,
    Queue,
    MyTickets,
    Digest,
    Confirm,
    Merged,
    /// A template of the admin's own.
    Custom(String),
}

impl TemplateName {
    /// Ours, in the order `check` reports them.
    pub const OURS: &'static [TemplateName] = &[
        TemplateName::Acknowledgement,
        TemplateName::Reply,
        TemplateName::NewArticle,
        TemplateName::StatusChanged,
        TemplateName::StrangerAlert,
        TemplateName::CommandError,
        TemplateName::Assigned,
        TemplateName::SlaWarning,
        TemplateName::SlaBreached,
        TemplateName::PendingReminder,
        TemplateName::AutoClosed,
        TemplateName::Survey,
        TemplateName::LowRating,
        TemplateName::DeliveryFailed,
        TemplateName::TooLarge,
        TemplateName::MajorIncident,
        TemplateName::MajorIncidentStatus,
        TemplateName::LoginRefused,
        TemplateName::Queue,
        TemplateName::MyTickets,
        TemplateName::Digest,
        TemplateName::Merged,
        TemplateName::Confirm,
    ];

    /// The name as stored in outbox rows and written in file names.
    pub fn as_str(&self) -> &str {
        match self {
            TemplateName::Acknowledgement => "acknowledgement",
            TemplateName::Reply => "reply",
            TemplateName::NewArticle => "new_article",
            TemplateName::StatusChanged => "status_changed",
            TemplateName::StrangerAlert => "stranger_alert",
            TemplateName::CommandError => "command_error",
            TemplateName::Assigned => "assigned",
            TemplateName::SlaWarning => "sla_warning",
            TemplateName::SlaBreached => "sla_breached",
            TemplateName::PendingReminder => "pending_reminder",
            TemplateName::AutoClosed => "auto_closed",
            TemplateName::Survey => "survey",
            TemplateName::LowRating => "low_rating",
            TemplateName::DeliveryFailed => "delivery_failed",
            TemplateName::TooLarge => "too_large",
            TemplateName::MajorIncident => "major_incident",
            TemplateName::MajorIncidentStatus => "major_incident_status",
            TemplateName::LoginRefused => "login_refused",
            TemplateName::Queue => "queue",
            TemplateName::MyTickets => "my_tickets",
            TemplateName::Digest => "digest",
            TemplateName::Merged => "merged",
            TemplateName::Confirm => "confirm",
            TemplateName::Custom(name) => name,
        }
    }

    /// Whether the mail is about a ticket (its subject is the ticket's):
    /// all but the mail about a message too large to take in, about a
    /// mailbox login refused and the answers to questions.
    pub fn is_about_a_ticket(&self) -> bool {
        !matches!(
            self,
            TemplateName::TooLarge
                | TemplateName::LoginRefused
                | TemplateName::Queue
                | TemplateName::MyTickets
                | TemplateName::Digest
                | TemplateName::Confirm
        )
    }
}

impl std::str::FromStr for TemplateName {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<TemplateName, Self::Err> {
        Ok(TemplateName::OURS
            .iter()
            .find(|n| n.as_str() == s)
            .cloned()
            .unwrap_or_else(|| TemplateName::Custom(s.to_string())))
    }
}

impl std::fmt::Display for TemplateName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The names of [`TemplateName::OURS`].
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
    "queue",
    "my_tickets",
    "digest",
    "merged",
    "confirm",
];
const PARTS: &[&str] = &["subject", "text", "html"];

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
    /// The languages loaded and checked: those the desk answers in.
    langs: Vec<Lang>,
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
fn names(dir: &Path, langs: &[Lang]) -> Vec<String> {
    let mut extra = Vec::new();
    for lang in langs {
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

fn stamp(dir: &Path, names: &[String], langs: &[Lang]) -> Vec<(PathBuf, Option<SystemTime>)> {
    let mut out = Vec::new();
    for lang in langs {
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
    /// Loads and checks every template in each of `langs` (the desk's
    /// `[tickets] languages`); all problems are returned together.
    pub fn load(dir: &Path, langs: &[Lang]) -> Result<Templates, Vec<TemplateProblem>> {
        let templates = Templates::lazy(dir, langs);
        let mut problems = Vec::new();
        {
            let mut compiled = templates.write();
            for lang in &templates.langs {
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
    pub fn lazy(dir: &Path, langs: &[Lang]) -> Templates {
        let names = names(dir, langs);
        let stamp = stamp(dir, &names, langs);
        let compiled = Arc::new(RwLock::new(Compiled::new()));
        Templates { dir: dir.to_path_buf(), compiled, stamp, names, langs: langs.to_vec() }
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Compiled> {
        self.compiled.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Renders every template against the sample context, in strict mode.
    pub fn check(&self) -> Vec<TemplateProblem> {
        let mut problems = Vec::new();
        for lang in &self.langs {
            let ctx = TemplateContext::sample(*lang).to_value();
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

    /// The title (the `subject` part) alone, on one line.
    pub fn render_title(&self, name: &str, lang: Lang, ctx: &TemplateContext) -> Result<String, String> {
        self.title_of(name, lang, &ctx.to_value())
    }

    fn title_of(&self, name: &str, lang: Lang, ctx: &Value) -> Result<String, String> {
        let title = self.render_part(lang, name, "subject", ctx)?;
        // Line breaks go; a no-break space stays what it is.
        Ok(title.split(|c: char| c.is_ascii_whitespace()).filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" "))
    }

    /// Renders the title, then the text and HTML parts with `title` set.
    pub fn render(&self, name: &str, lang: Lang, ctx: &TemplateContext) -> Result<Rendered, String> {
        let mut ctx = ctx.to_value();
        let title = self.title_of(name, lang, &ctx)?;
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
        let now = stamp(&self.dir, &names(&self.dir, &self.langs), &self.langs);
        if now == self.stamp {
            return Ok(false);
        }
        match Templates::load(&self.dir, &self.langs) {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The shipped templates, copied so that one can be broken.
    fn shipped_copy() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        for lang in Lang::ALL {
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
    fn no_template_writes_a_backslash_the_reader_would_see() {
        // Handlebars keeps a backslash before an apostrophe as it is.
        for lang in Lang::ALL {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates").join(lang.as_str());
            for e in std::fs::read_dir(&dir).unwrap() {
                let path = e.unwrap().path();
                let source = std::fs::read_to_string(&path).unwrap();
                assert!(!source.contains("\\'"), "{}: a stray backslash", path.display());
            }
        }
    }

    #[test]
    fn every_template_starts_with_its_title_and_french_elides_de() {
        let templates =
            Templates::load(Path::new(env!("CARGO_MANIFEST_DIR")).join("templates").as_path(), Lang::ALL).unwrap();
        for lang in Lang::ALL {
            let ctx = TemplateContext::sample(*lang);
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
        let mut ctx = TemplateContext::sample(Lang::Fr);
        ctx.article.from_name = "Émile Roux".into();
        ctx.article.is_new_ticket = false;
        assert_eq!(templates.render("new_article", Lang::Fr, &ctx).unwrap().title, "Nouveau message d'Émile Roux");
        ctx.article.from_name = "Marc Dupont".into();
        assert_eq!(templates.render("new_article", Lang::Fr, &ctx).unwrap().title, "Nouveau message de Marc Dupont");
    }

    #[test]
    fn lazy_templates_render_like_loaded_ones_and_a_broken_one_fails_only_its_render() {
        let dir = shipped_copy();
        let ctx = TemplateContext::sample(Lang::Fr);
        let loaded = Templates::load(dir.path(), Lang::ALL).unwrap();
        let lazy = Templates::lazy(dir.path(), Lang::ALL);
        assert_eq!(lazy.render("acknowledgement", Lang::Fr, &ctx), loaded.render("acknowledgement", Lang::Fr, &ctx));

        let broken = dir.path().join("fr/survey.text.hbs");
        std::fs::write(&broken, "{{#if}} unclosed").unwrap();
        let lazy = Templates::lazy(dir.path(), Lang::ALL);
        assert!(lazy.render("acknowledgement", Lang::Fr, &ctx).is_ok());
        let err = lazy.render("survey", Lang::Fr, &ctx).unwrap_err();
        assert!(err.contains("survey.text.hbs"), "{err}");
        assert!(lazy.render("nonesuch", Lang::Fr, &ctx).unwrap_err().contains("no template `nonesuch`"));
        let problems = Templates::load(dir.path(), Lang::ALL).err().unwrap();
        assert!(problems.iter().any(|p| p.file.ends_with("survey.text.hbs")), "{problems:?}");
    }
}
