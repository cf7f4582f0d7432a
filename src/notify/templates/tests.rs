use super::overrides::parse_file_name;
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
