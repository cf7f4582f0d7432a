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
use std::time::SystemTime;

use handlebars::Handlebars;
use serde_json::Value;

pub use super::context::TemplateContext;

use crate::domain::ticket::Lang;

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

/// Where one part of a template is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Compiled into the binary.
    BuiltIn,
    /// A file of the override directory.
    File(PathBuf),
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::BuiltIn => f.write_str("built-in"),
            Origin::File(path) => write!(f, "{}", path.display()),
        }
    }
}

/// A file of the override directory: one part of one template in one
/// language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    pub lang: Lang,
    pub name: String,
    pub part: &'static str,
    pub path: PathBuf,
}

impl Override {
    /// Whether it replaces a built-in part (else it is a template of the
    /// admin's own).
    pub fn replaces_builtin(&self) -> bool {
        builtin(self.lang, &self.name, self.part).is_some()
    }
}

/// What the override directory holds, listed once.
#[derive(Debug, Clone, Default)]
struct Scan {
    files: Vec<Override>,
    /// Entries that are no template file, each a problem naming it.
    strays: Vec<TemplateProblem>,
    /// Every entry seen with its modification time: a change reloads.
    stamp: Vec<(PathBuf, Option<SystemTime>)>,
}

fn mtime(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Sorted entries of `dir`, editor leftovers left out: hidden files (swap
/// files, `.gitkeep`) and backups ending in `~`.
fn entries(dir: &Path) -> std::io::Result<Vec<std::fs::DirEntry>> {
    let leftover = |e: &std::fs::DirEntry| {
        let name = e.file_name().to_string_lossy().to_string();
        name.starts_with('.') || name.ends_with('~')
    };
    let mut out: Vec<_> = std::fs::read_dir(dir)?.flatten().filter(|e| !leftover(e)).collect();
    out.sort_by_key(|e| e.file_name());
    Ok(out)
}

/// `<name>.<part>.hbs`, the part one of [`PARTS`].
fn parse_file_name(file: &str) -> Option<(&str, &'static str)> {
    let (name, part) = file.strip_suffix(".hbs")?.rsplit_once('.')?;
    let part = PARTS.iter().find(|p| **p == part)?;
    let ok = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    ok.then_some((name, *part))
}

fn scan(dir: &Path) -> Scan {
    let mut scan = Scan::default();
    let stray = |path: &Path, message: String| TemplateProblem { file: path.display().to_string(), message };
    let langs = || Lang::ALL.iter().map(|l| l.as_str()).collect::<Vec<_>>().join(", ");
    let top = match entries(dir) {
        Ok(e) => e,
        Err(e) => {
            scan.strays.push(stray(dir, format!("cannot read the templates directory: {e}")));
            return scan;
        }
    };
    for entry in top {
        let path = entry.path();
        scan.stamp.push((path.clone(), mtime(&path)));
        let folder = entry.file_name().to_string_lossy().to_string();
        let lang = folder.parse::<Lang>().ok().filter(|_| path.is_dir());
        let Some(lang) = lang else {
            scan.strays.push(stray(&path, format!("not a language folder: the directory holds only {}", langs())));
            continue;
        };
        let files = match entries(&path) {
            Ok(f) => f,
            Err(e) => {
                scan.strays.push(stray(&path, format!("cannot read: {e}")));
                continue;
            }
        };
        for file in files {
            let path = file.path();
            scan.stamp.push((path.clone(), mtime(&path)));
            let file_name = file.file_name().to_string_lossy().to_string();
            match parse_file_name(&file_name).filter(|_| path.is_file()) {
                Some((name, part)) => scan.files.push(Override { lang, name: name.to_string(), part, path }),
                None => scan.strays.push(stray(
                    &path,
                    "not a template file: a template part is named <name>.subject.hbs, <name>.text.hbs or \
                     <name>.html.hbs"
                        .to_string(),
                )),
            }
        }
    }
    scan
}

/// The built-in name closest to `name` (a typo), if one is close.
fn did_you_mean(name: &str) -> Option<&'static str> {
    fn distance(a: &str, b: &str) -> usize {
        let b: Vec<char> = b.chars().collect();
        let mut row: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.chars().enumerate() {
            let mut prev = row[0];
            row[0] = i + 1;
            for (j, cb) in b.iter().enumerate() {
                let cur = row[j + 1];
                row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
                prev = cur;
            }
        }
        row[b.len()]
    }
    NAMES.iter().map(|n| (distance(name, n), *n)).filter(|(d, _)| *d <= 3).min().map(|(_, n)| n)
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
        let templates = Templates::load(None, Lang::ALL).unwrap();
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
    fn the_builtin_table_holds_every_part_of_every_template_in_every_language() {
        assert_eq!(builtin_files().len(), Lang::ALL.len() * NAMES.len() * PARTS.len());
        for lang in Lang::ALL {
            for name in NAMES {
                for part in PARTS {
                    assert!(builtin(*lang, name, part).is_some(), "{lang}/{name}.{part}");
                }
            }
        }
    }

    #[test]
    fn a_typo_in_an_override_name_is_told_with_the_name_it_is_close_to() {
        assert_eq!(did_you_mean("acknowledgment"), Some("acknowledgement"));
        assert_eq!(did_you_mean("sla_warn"), Some("sla_warning"));
        assert_eq!(did_you_mean("vip_welcome"), None);
        assert_eq!(parse_file_name("reply.text.hbs"), Some(("reply", "text")));
        assert_eq!(parse_file_name("reply.txt.hbs"), None);
        assert_eq!(parse_file_name("reply.text"), None);
        assert_eq!(parse_file_name(".text.hbs"), None);
    }

    #[test]
    fn lazy_templates_render_like_loaded_ones_and_a_broken_one_fails_only_its_render() {
        let dir = shipped_copy();
        let ctx = TemplateContext::sample(Lang::Fr);
        let loaded = Templates::load(Some(dir.path()), Lang::ALL).unwrap();
        let lazy = Templates::lazy(Some(dir.path()), Lang::ALL);
        assert_eq!(lazy.render("acknowledgement", Lang::Fr, &ctx), loaded.render("acknowledgement", Lang::Fr, &ctx));

        let broken = dir.path().join("fr/survey.text.hbs");
        std::fs::write(&broken, "{{#if}} unclosed").unwrap();
        let lazy = Templates::lazy(Some(dir.path()), Lang::ALL);
        assert!(lazy.render("acknowledgement", Lang::Fr, &ctx).is_ok());
        let err = lazy.render("survey", Lang::Fr, &ctx).unwrap_err();
        assert!(err.contains("survey.text.hbs"), "{err}");
        assert!(lazy.render("nonesuch", Lang::Fr, &ctx).unwrap_err().contains("no template `nonesuch`"));
        let problems = Templates::load(Some(dir.path()), Lang::ALL).err().unwrap();
        assert!(problems.iter().any(|p| p.file.ends_with("survey.text.hbs")), "{problems:?}");
    }
}
