//! The override directory: which files an admin put there, read once,
//! each one part of one template in one language, and what is no
//! template at all.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::*;

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
pub(super) struct Scan {
    pub(super) files: Vec<Override>,
    /// Entries that are no template file, each a problem naming it.
    pub(super) strays: Vec<TemplateProblem>,
    /// Every entry seen with its modification time: a change reloads.
    pub(super) stamp: Vec<(PathBuf, Option<SystemTime>)>,
}

pub(super) fn mtime(path: &Path) -> Option<SystemTime> {
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
pub(super) fn parse_file_name(file: &str) -> Option<(&str, &'static str)> {
    let (name, part) = file.strip_suffix(".hbs")?.rsplit_once('.')?;
    let part = PARTS.iter().find(|p| **p == part)?;
    let ok = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    ok.then_some((name, *part))
}

pub(super) fn scan(dir: &Path) -> Scan {
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
pub(super) fn did_you_mean(name: &str) -> Option<&'static str> {
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
