//! `guichet kb list|show|publish|unpublish|edit|import|search`

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::json;

use crate::domain::knowledge::{read_written, write_written};
use crate::domain::ticket::Lang;
use crate::kb::{save, suggest, Text};
use crate::store::kb;
use crate::store::models::KbArticle;
use crate::store::queries::audit::{self, AuditEntry};

use super::{exit, time, Env, Failure};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// List the knowledge base's articles, newest first.
    List {
        /// draft or published
        #[arg(long)]
        status: Option<String>,
        /// fr, en, de, es, it or nl
        #[arg(long)]
        lang: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Show one article whole.
    Show {
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// Publish an article: acknowledgements may suggest it from now on.
    Publish { id: i64 },
    /// Take an article back to draft: no longer suggested.
    Unpublish { id: i64 },
    /// Edit an article as a Markdown file with its front matter (title,
    /// lang, tags, status): in $VISUAL or $EDITOR, or replaced by --file.
    Edit {
        id: i64,
        /// Read the new text from this file instead of opening an editor
        #[arg(long)]
        file: Option<PathBuf>,
    },
    /// Import every `*.md` file of DIR (front matter: title, lang, tags,
    /// status). A file imported before updates its article.
    Import {
        dir: PathBuf,
        /// Import as drafts, whatever the files say
        #[arg(long)]
        draft: bool,
    },
    /// The published articles that would be suggested for TEXT, with their
    /// relevance (and those under the threshold with --all).
    Search {
        text: String,
        /// fr, en, de, es, it or nl [default: the config's language]
        #[arg(long)]
        lang: Option<String>,
        /// Show every match, under the threshold too
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
}

fn lang_arg(lang: Option<String>) -> Result<Option<Lang>, Failure> {
    lang.map(|l| l.parse()).transpose().map_err(|e| Failure::new(exit::USAGE, e))
}

fn missing(id: i64) -> Failure {
    Failure::new(exit::FAILURE, anyhow::anyhow!("there is no knowledge base article {id}"))
}

fn as_json(a: &KbArticle, whole: bool) -> serde_json::Value {
    let mut v = json!({
        "id": a.id, "title": a.title, "lang": a.lang, "status": a.status,
        "tags": tags(a), "source_ticket": a.source_ticket_id, "source_file": a.source_file,
        "suggested": a.suggested, "useful": a.useful,
        "created_at": time(a.created_at), "updated_at": time(a.updated_at),
    });
    if whole {
        v["body"] = json!(a.body_text);
        v["html"] = json!(a.body_html);
    }
    v
}

fn tags(a: &KbArticle) -> Vec<String> {
    a.tags.split(',').filter(|t| !t.is_empty()).map(str::to_string).collect()
}

pub fn run(env: Env, cmd: Command) -> Result<ExitCode, Failure> {
    let store = env.store()?;
    let now = env.clock.now().naive_utc();
    let mut conn = store.conn()?;
    match cmd {
        Command::List { status, lang, json } => {
            if let Some(s) = &status {
                if s != "draft" && s != "published" {
                    return Err(Failure::new(exit::USAGE, anyhow::anyhow!("--status `{s}`: draft or published")));
                }
            }
            let lang = lang_arg(lang)?;
            let list = kb::list(&mut conn, status.as_deref(), lang.map(Lang::as_str))?;
            if json {
                let v: Vec<_> = list.iter().map(|a| as_json(a, false)).collect();
                println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
            } else {
                println!("{:>4}  {:<9}  {:<4}  {:>6}  {:>9}  TITLE", "ID", "STATUS", "LANG", "USEFUL", "SUGGESTED");
                for a in list {
                    println!(
                        "{:>4}  {:<9}  {:<4}  {:>6}  {:>9}  {}",
                        a.id, a.status, a.lang, a.useful, a.suggested, a.title
                    );
                }
            }
        }
        Command::Show { id, json } => {
            let a = kb::article(&mut conn, id)?.ok_or_else(|| missing(id))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&as_json(&a, true)).unwrap_or_default());
            } else {
                println!("#{} {}", a.id, a.title);
                println!("status: {}  lang: {}  tags: {}", a.status, a.lang, tags(&a).join(", "));
                if let Some(t) = a.source_ticket_id {
                    println!("from ticket: {}", t);
                }
                println!("suggested {} times, solved {} requests", a.suggested, a.useful);
                println!();
                print!("{}", a.body_text);
                if !a.body_text.ends_with('\n') {
                    println!();
                }
            }
        }
        Command::Publish { id } | Command::Unpublish { id } => {
            let (status, action) = if matches!(cmd, Command::Publish { .. }) {
                ("published", "kb.publish")
            } else {
                ("draft", "kb.unpublish")
            };
            let found = crate::store::transaction(&mut conn, |conn| -> Result<bool, Failure> {
                let Some(a) = kb::article(conn, id)? else { return Ok(false) };
                kb::set_status(conn, id, status, now)?;
                audited(conn, action, id, &a.title, now)?;
                Ok(true)
            })?;
            if !found {
                return Err(missing(id));
            }
            println!("article {id}: {status}");
        }
        Command::Edit { id, file } => {
            let a = kb::article(&mut conn, id)?.ok_or_else(|| missing(id))?;
            let lang: Lang = a.lang.parse().unwrap_or(env.settings.tickets.language);
            let before = write_written(&a.title, lang, &tags(&a), &a.status, &a.body_text);
            let after = match file {
                Some(f) => std::fs::read_to_string(&f)
                    .map_err(|e| Failure::new(exit::FAILURE, anyhow::anyhow!("{}: {e}", f.display())))?,
                None => in_editor(id, &before)?,
            };
            if after == before {
                println!("article {id}: unchanged");
                return Ok(ExitCode::SUCCESS);
            }
            let w =
                read_written(&after).map_err(|e| Failure::new(exit::FAILURE, anyhow::anyhow!("article {id}: {e}")))?;
            let text = Text {
                title: &w.title,
                body: &w.body,
                lang: w.lang.unwrap_or(lang),
                tags: &w.tags,
                status: w.status.as_deref().unwrap_or(&a.status),
            };
            crate::store::transaction(&mut conn, |conn| -> Result<(), Failure> {
                save(conn, Some(id), &text, a.source_ticket_id, a.source_file.as_deref(), now)?;
                audited(conn, "kb.edit", id, &format!("{} ({})", w.title, text.status), now)
            })?;
            println!("article {id}: saved ({})", text.status);
        }
        Command::Import { dir, draft } => return import(&mut conn, &env, &dir, draft, now),
        Command::Search { text, lang, all, json } => {
            let lang = lang_arg(lang)?.unwrap_or(env.settings.tickets.language);
            let k = &env.settings.knowledge;
            let min = if all { 0.0 } else { k.min_score };
            let found = suggest(&mut conn, &text, lang, min, if all { 20 } else { k.suggestions })?;
            if json {
                let v: Vec<_> = found
                    .iter()
                    .map(|(a, score)| {
                        let mut v = as_json(a, false);
                        v["relevance"] = json!(score);
                        v
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
                return Ok(ExitCode::SUCCESS);
            }
            if found.is_empty() {
                println!("no article answers this (threshold {:.2})", k.min_score);
            }
            for (a, score) in found {
                let mark = if score >= k.min_score { "" } else { "  (under the threshold)" };
                println!("{:>4}  {score:.2}  {}{mark}", a.id, a.title);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Records a change to article `id` made from the command line.
fn audited(
    conn: &mut crate::store::Conn,
    action: &str,
    id: i64,
    detail: &str,
    now: chrono::NaiveDateTime,
) -> Result<(), Failure> {
    let subject = format!("kb:{id}");
    let entry = AuditEntry { actor: &audit::cli_actor(), action, subject: &subject, detail };
    Ok(audit::record(conn, &entry, now)?)
}

/// Opens `text` in the user's editor and returns what they saved.
fn in_editor(id: i64, text: &str) -> Result<String, Failure> {
    let editor = std::env::var("VISUAL").or_else(|_| std::env::var("EDITOR")).map_err(|_| {
        Failure::new(exit::USAGE, anyhow::anyhow!("set $VISUAL or $EDITOR, or give the new text with --file"))
    })?;
    let io = |e: std::io::Error| Failure::new(exit::FAILURE, anyhow::anyhow!("cannot edit article {id}: {e}"));
    let mut file = tempfile_named(id).map_err(io)?;
    file.1.write_all(text.as_bytes()).map_err(io)?;
    drop(file.1);
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("sh")
        .arg(&file.0)
        .status()
        .map_err(io)?;
    let edited = std::fs::read_to_string(&file.0).map_err(io);
    let _ = std::fs::remove_file(&file.0);
    if !status.success() {
        return Err(Failure::new(exit::FAILURE, anyhow::anyhow!("the editor exited with {status}: nothing saved")));
    }
    edited
}

fn tempfile_named(id: i64) -> std::io::Result<(PathBuf, std::fs::File)> {
    let path = std::env::temp_dir().join(format!("guichet-kb-{id}-{}.md", std::process::id()));
    let file = std::fs::OpenOptions::new().write(true).create_new(true).open(&path)?;
    Ok((path, file))
}

fn import(
    conn: &mut crate::store::Conn,
    env: &Env,
    dir: &Path,
    draft: bool,
    now: chrono::NaiveDateTime,
) -> Result<ExitCode, Failure> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| Failure::new(exit::FAILURE, anyhow::anyhow!("{}: {e}", dir.display())))?;
    let mut files: Vec<PathBuf> =
        entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "md")).collect();
    files.sort();
    if files.is_empty() {
        return Err(Failure::new(exit::FAILURE, anyhow::anyhow!("{}: no *.md file", dir.display())));
    }
    let (mut created, mut updated, mut failed) = (0, 0, 0);
    for path in &files {
        let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        let written = std::fs::read_to_string(path).map_err(|e| e.to_string()).and_then(|t| read_written(&t));
        let w = match written {
            Ok(w) => w,
            Err(e) => {
                eprintln!("{}: {e}", path.display());
                failed += 1;
                continue;
            }
        };
        let status = if draft { "draft" } else { w.status.as_deref().unwrap_or("published") };
        let text = Text {
            title: &w.title,
            body: &w.body,
            lang: w.lang.unwrap_or(env.settings.tickets.language),
            tags: &w.tags,
            status,
        };
        let known = kb::by_source_file(conn, &name)?;
        let id = crate::store::transaction(conn, |conn| -> Result<i64, Failure> {
            let id = save(conn, known.as_ref().map(|a| a.id), &text, None, Some(&name), now)?;
            audited(conn, "kb.import", id, &format!("{name}: {} ({status})", w.title), now)?;
            Ok(id)
        })?;
        if known.is_some() {
            updated += 1;
        } else {
            created += 1;
        }
        println!("{name}: article {id} ({status})");
    }
    println!("{created} created, {updated} updated, {failed} with problems");
    Ok(if failed > 0 { ExitCode::from(exit::FAILURE) } else { ExitCode::SUCCESS })
}
