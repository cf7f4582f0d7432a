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
//!
//! Every template is built into the binary (`build.rs` compiles
//! `templates/` in): a desk needs no file on disk. `[templates] dir` holds
//! overrides only: `<dir>/<lang>/<name>.<part>.hbs` replaces that one part,
//! the rest stay built-in; a file there that is no template is a problem
//! naming it. A changed override directory is reloaded by
//! [`Templates::reload_if_changed`]; a broken edit keeps the last good set.

use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};

use handlebars::Handlebars;
use serde_json::Value;

pub use super::context::TemplateContext;

use crate::domain::ticket::Lang;

mod overrides;
use overrides::{did_you_mean, scan, Scan};
pub use overrides::{Origin, Override};

/// The templates guichet sends, by name (`templates/<lang>/<name>.*.hbs`).
/// Admins may add their own in the override directory (a rule's `template`
/// names one): those are [`TemplateName::Custom`]. Each needs all parts in
/// every language.
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
/// The parts of a template, in the order they are rendered.
pub const PARTS: &[&str] = &["subject", "text", "html"];

mod table {
    include!(concat!(env!("OUT_DIR"), "/builtin_templates.rs"));
}

/// Every built-in template file: `(lang, name, part, source)`, sorted by
/// language, then file name.
pub fn builtin_files() -> &'static [(&'static str, &'static str, &'static str, &'static str)] {
    table::BUILTIN
}

/// The built-in source of `lang/name.part`, if there is one.
pub fn builtin(lang: Lang, name: &str, part: &str) -> Option<&'static str> {
    table::BUILTIN.iter().find(|(l, n, p, _)| *l == lang.as_str() && *n == name && *p == part).map(|row| row.3)
}

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
    /// `[templates] dir`: the overrides, if any.
    dir: Option<PathBuf>,
    /// Compiled so far: all of them after [`Templates::load`], those
    /// rendered so far after [`Templates::lazy`]. Clones share it.
    compiled: Arc<RwLock<Compiled>>,
    scan: Scan,
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

    /// Compiles one part, registered under `lang/name.part`.
    fn add(&mut self, lang: Lang, name: &str, part: &str, source: &str, file: String) -> Result<(), TemplateProblem> {
        let registry = if part == "html" { &mut self.html } else { &mut self.plain };
        registry
            .register_template_string(&key(lang, name, part), source)
            .map_err(|e| TemplateProblem { file, message: e.to_string() })
    }
}

fn key(lang: Lang, name: &str, part: &str) -> String {
    format!("{lang}/{name}.{part}")
}

/// Ours, then every other name the override directory has a file for, sorted.
fn names(scan: &Scan) -> Vec<String> {
    let mut extra: Vec<String> =
        scan.files.iter().map(|f| f.name.clone()).filter(|n| !NAMES.contains(&n.as_str())).collect();
    extra.sort();
    extra.dedup();
    NAMES.iter().map(|s| s.to_string()).chain(extra).collect()
}

impl Templates {
    /// Loads and checks every template in each of `langs` (the desk's
    /// `[tickets] languages`), the built-in ones with the overrides of
    /// `dir`; all problems are returned together: files of `dir` that are
    /// no template, templates of the admin's own missing a part, and every
    /// part that does not compile or render the sample context.
    pub fn load(dir: Option<&Path>, langs: &[Lang]) -> Result<Templates, Vec<TemplateProblem>> {
        let templates = Templates::lazy(dir, langs);
        let mut problems = templates.scan.strays.clone();
        problems.extend(templates.incomplete());
        for (lang, name, part) in templates.parts() {
            if let Err(p) = templates.compile(lang, &name, part) {
                problems.push(p);
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

    /// The templates, each part compiled the first time it is rendered,
    /// for a process that renders a few and exits (`ingest` from an MTA).
    /// A broken override fails the render that needs it, naming its file;
    /// `load` (and `guichet check`) find them all up front.
    pub fn lazy(dir: Option<&Path>, langs: &[Lang]) -> Templates {
        let scan = dir.map(scan).unwrap_or_default();
        let names = names(&scan);
        let compiled = Arc::new(RwLock::new(Compiled::new()));
        Templates { dir: dir.map(Path::to_path_buf), compiled, scan, names, langs: langs.to_vec() }
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Compiled> {
        self.compiled.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// What `load` compiles and `check` renders: every part of every
    /// template in the desk's languages, and each override in another
    /// language (never sent, but an error in it is still found).
    fn parts(&self) -> Vec<(Lang, String, &'static str)> {
        let mut out = Vec::new();
        for lang in &self.langs {
            for name in &self.names {
                for part in PARTS {
                    out.push((*lang, name.clone(), *part));
                }
            }
        }
        for f in self.scan.files.iter().filter(|f| !self.langs.contains(&f.lang)) {
            out.push((f.lang, f.name.clone(), f.part));
        }
        out
    }

    /// A template of the admin's own needs every part in every language
    /// the desk answers in: each of its files is a problem until it has.
    fn incomplete(&self) -> Vec<TemplateProblem> {
        let mut problems = Vec::new();
        for name in self.names.iter().filter(|n| !NAMES.contains(&n.as_str())) {
            let mut missing = Vec::new();
            for lang in &self.langs {
                for part in PARTS {
                    if self.origin(*lang, name, part).is_none() {
                        missing.push(format!("{lang}/{name}.{part}.hbs"));
                    }
                }
            }
            if missing.is_empty() {
                continue;
            }
            let hint = did_you_mean(name).map(|n| format!(" (did you mean `{n}`?)")).unwrap_or_default();
            for f in self.scan.files.iter().filter(|f| &f.name == name) {
                problems.push(TemplateProblem {
                    file: f.path.display().to_string(),
                    message: format!(
                        "`{name}` is no built-in template{hint}; a template of your own needs its subject, text and \
                         html parts in every language the desk answers in (missing: {})",
                        missing.join(", ")
                    ),
                });
            }
        }
        problems
    }

    /// Where `lang/name.part` is read from: the override, else built in.
    pub fn origin(&self, lang: Lang, name: &str, part: &str) -> Option<Origin> {
        if let Some(f) = self.scan.files.iter().find(|f| f.lang == lang && f.name == name && f.part == part) {
            return Some(Origin::File(f.path.clone()));
        }
        builtin(lang, name, part).map(|_| Origin::BuiltIn)
    }

    /// The files of the override directory, sorted by path.
    pub fn overrides(&self) -> &[Override] {
        &self.scan.files
    }

    /// The override directory, when one is set.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// How a problem names a part: its file, or `built-in <lang>/<file>`.
    fn file_label(&self, lang: Lang, name: &str, part: &str) -> String {
        match self.origin(lang, name, part) {
            Some(Origin::File(path)) => path.display().to_string(),
            _ => format!("built-in {lang}/{name}.{part}.hbs"),
        }
    }

    fn compile(&self, lang: Lang, name: &str, part: &str) -> Result<(), TemplateProblem> {
        let file = self.file_label(lang, name, part);
        let source = match self.origin(lang, name, part) {
            Some(Origin::File(path)) => std::fs::read_to_string(&path)
                .map_err(|e| TemplateProblem { file: file.clone(), message: format!("cannot read: {e}") })?,
            Some(Origin::BuiltIn) => builtin(lang, name, part).unwrap_or_default().to_string(),
            None => return Err(TemplateProblem { file, message: self.unknown(name) }),
        };
        self.write().add(lang, name, part, &source, file)
    }

    fn unknown(&self, name: &str) -> String {
        match &self.dir {
            Some(dir) => format!("no template `{name}`: not built in, nor in {}", dir.display()),
            None => format!("no template `{name}`: not built in, and no `[templates] dir` is set"),
        }
    }

    /// Renders every template against the sample context, in strict mode.
    pub fn check(&self) -> Vec<TemplateProblem> {
        let mut problems = Vec::new();
        let mut samples: Vec<(Lang, Value)> = Vec::new();
        for (lang, name, part) in self.parts() {
            let ctx = match samples.iter().find(|(l, _)| *l == lang) {
                Some((_, ctx)) => ctx,
                None => {
                    samples.push((lang, TemplateContext::sample(lang).to_value()));
                    &samples[samples.len() - 1].1
                }
            };
            if let Err(e) = self.render_part(lang, &name, part, ctx) {
                problems.push(TemplateProblem { file: self.file_label(lang, &name, part), message: e });
            }
        }
        problems
    }

    fn render_part(&self, lang: Lang, name: &str, part: &str, ctx: &Value) -> Result<String, String> {
        let id = key(lang, name, part);
        let ready = self.compiled.read().unwrap_or_else(PoisonError::into_inner).registry(part).has_template(&id);
        if !ready {
            if !self.has(name) {
                return Err(self.unknown(name));
            }
            self.compile(lang, name, part).map_err(|p| p.to_string())?;
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

    /// Reloads when a file of the override directory changed, appeared or
    /// went. `Ok(true)` when a new set is in use; on a broken edit the
    /// current set stays and the problems are returned.
    pub fn reload_if_changed(&mut self) -> Result<bool, Vec<TemplateProblem>> {
        let Some(dir) = self.dir.clone() else { return Ok(false) };
        // Looked at every second: the directories are listed once.
        let now = scan(&dir);
        if now.stamp == self.scan.stamp && now.strays == self.scan.strays {
            return Ok(false);
        }
        match Templates::load(Some(&dir), &self.langs) {
            Ok(fresh) => {
                *self = fresh;
                Ok(true)
            }
            Err(problems) => {
                // Do not retry the same broken files on every tick.
                self.scan.stamp = now.stamp;
                self.scan.strays = now.strays;
                Err(problems)
            }
        }
    }
}

#[cfg(test)]
mod tests;
