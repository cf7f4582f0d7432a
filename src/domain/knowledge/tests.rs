use super::*;

fn set(text: &str, lang: Lang) -> BTreeSet<String> {
    terms(text, lang).into_iter().collect()
}

#[test]
fn terms_are_stemmed_folded_and_free_of_empty_words() {
    assert_eq!(
        terms("Les imprimantes ? L'imprimante affiche plus : erreur 52 !", Lang::Fr),
        ["imprim", "imprim", "affich", "erreur", "52"]
    );
    assert_eq!(terms("The printers were printing", Lang::En), ["printer", "print"]);
    assert!(terms("Bonjour, merci et cordialement", Lang::Fr).is_empty());
    assert_eq!(terms("Réseau réseaux", Lang::Fr), ["reseau", "reseau"]);
    // A phone number says nothing of the problem.
    assert!(terms("0612345678", Lang::Fr).is_empty());
}

#[test]
fn the_right_article_scores_above_a_chance_match() {
    let mail = set(
        "L'imprimante du 2e étage affiche erreur 52\nBonjour, depuis ce matin l'imprimante affiche erreur 52 et n'imprime plus.",
        Lang::Fr,
    );
    let right = Indexed::new(
        "Imprimante : « erreur 52 »",
        "L'erreur 52 signale un bourrage papier. Ouvrez le capot arrière de l'imprimante et retirez la feuille.",
        Lang::Fr,
    );
    let wrong = Indexed::new(
        "Changer son mot de passe",
        "Le mot de passe expire tous les 90 jours. Allez sur la page du compte et choisissez un nouveau mot de passe.",
        Lang::Fr,
    );
    let (r, w) = (relevance(&mail, &right), relevance(&mail, &wrong));
    assert!(r > 0.6, "{r}");
    assert!(w < 0.1, "{w}");
}

#[test]
fn personal_data_leaves_the_draft() {
    let d = draft(
        "Imprimante de Jeanne Martin",
        "Bonjour, c'est Jeanne Martin (jeanne.martin@example.test, 06 12 34 56 78), mon poste 10.1.2.3 n'imprime plus.",
        "Vider la file d'impression, puis redémarrer le spouleur.",
        Lang::Fr,
        "Jeanne Martin",
        "jeanne.martin@example.test",
    );
    for gone in ["Jeanne", "Martin", "example.test", "06 12", "10.1.2.3"] {
        assert!(!d.body.contains(gone) && !d.title.contains(gone), "{gone} in {}\n{}", d.title, d.body);
    }
    assert!(d.body.contains("## Problème") && d.body.contains("redémarrer le spouleur"), "{}", d.body);
}

#[test]
fn a_short_reply_that_says_solved_is_told_from_one_that_does_not() {
    let phrases: Vec<String> = SOLVED.iter().map(|s| s.to_string()).collect();
    for yes in [
        "résolu",
        "Résolu, merci !",
        "Merci, c'est réglé :)",
        "Solved, thanks",
        "ça marche, merci beaucoup",
        "It works now!",
    ] {
        assert!(says_solved(yes, &phrases), "{yes}");
    }
    for no in [
        "pas résolu",
        "Ce n'est toujours pas réglé",
        "not solved",
        "it still does not work",
        "Merci",
        "",
        "J'ai essayé la solution, l'imprimante a redémarré, ça marche un moment puis l'erreur revient toutes les dix minutes environ",
    ] {
        assert!(!says_solved(no, &phrases), "{no}");
    }
}

#[test]
fn each_language_has_its_stemmer_and_its_empty_words() {
    assert_eq!(terms("Der Drucker druckt nicht mehr, bitte helfen Sie mir", Lang::De), ["druck", "druckt", "helf"]);
    assert_eq!(terms("La impresora no imprime desde ayer", Lang::Es), ["impresor", "imprim", "ayer"]);
    assert_eq!(terms("La stampante non stampa più", Lang::It), ["stampant", "stamp"]);
    assert_eq!(terms("De printer print niet meer sinds gisteren", Lang::Nl), ["printer", "print", "gister"]);
    // Empty in German, a word of the problem in English.
    assert_eq!(terms("die", Lang::En), ["die"]);
    let d = draft("VPN", "Der VPN-Client startet nicht.", "Neu installiert.", Lang::De, "Jonas", "j@example.test");
    assert!(d.body.contains("## Problem") && d.body.contains("## Lösung"), "{}", d.body);
}

#[test]
fn a_short_reply_says_solved_in_each_language() {
    let phrases: Vec<String> = SOLVED.iter().map(|s| s.to_string()).collect();
    for yes in [
        "Gelöst, danke!",
        "Es funktioniert, vielen Dank",
        "Resuelto, gracias",
        "Ora funziona, grazie",
        "Opgelost, bedankt",
    ] {
        assert!(says_solved(yes, &phrases), "{yes}");
    }
    for no in
        ["Nicht gelöst", "Noch nicht erledigt", "No está resuelto", "Non è ancora risolto", "Nog steeds niet opgelost"]
    {
        assert!(!says_solved(no, &phrases), "{no}");
    }
}

#[test]
fn an_excerpt_is_one_line_without_headings_cut_at_a_word() {
    let text = "## Problème\n\nL'imprimante affiche erreur 52.\n\n## Solution\n\nOuvrir le capot arrière et retirer la feuille.";
    assert_eq!(excerpt(text, 200), "L'imprimante affiche erreur 52. Ouvrir le capot arrière et retirer la feuille.");
    assert_eq!(excerpt(text, 30), "L'imprimante affiche erreur…");
}

#[test]
fn markdown_becomes_clean_html() {
    let h = html("## Solution\n\n1. Ouvrir le capot\n2. Retirer la feuille\n\n<script>alert(1)</script>");
    assert!(h.contains("<h2>Solution</h2>") && h.contains("<li>Ouvrir le capot</li>"), "{h}");
    assert!(!h.contains("script"), "{h}");
}

#[test]
fn a_written_article_reads_back_and_mistakes_are_named() {
    let text = write_written("VPN", Lang::En, &["network".into(), "vpn".into()], "published", "Restart the client.\n");
    let w = read_written(&text).unwrap();
    assert_eq!((w.title.as_str(), w.lang, w.status.as_deref()), ("VPN", Some(Lang::En), Some("published")));
    assert_eq!(w.tags, ["network", "vpn"]);
    assert_eq!(w.body, "Restart the client.\n");
    assert!(read_written("no front matter").unwrap_err().contains("front matter"));
    assert!(read_written("---\ntitle: x\n").unwrap_err().contains("closing line"));
    assert!(read_written("---\ntitel: x\n---\nbody").unwrap_err().contains("unknown key `titel`"));
    assert!(read_written("---\ntitle: x\nlang: pt\n---\nbody").unwrap_err().contains("`lang`"));
    assert!(read_written("---\nlang: fr\n---\nbody").unwrap_err().contains("`title` is missing"));
}
