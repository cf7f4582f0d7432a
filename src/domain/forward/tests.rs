use super::{is_forward_subject, strip_forward_prefix};

#[test]
fn forward_subjects_are_told_from_others() {
    for subject in [
        "Fwd: Printer",
        "FW: Printer",
        "Fw: Printer",
        "TR: Imprimante",
        "Tr : Imprimante",
        "TR\u{a0}: Imprimante",
        "WG: Drucker",
        "RV: Impresora",
        "I: Stampante",
        "Doorst: Printer",
        "Fwd[2]: Printer",
        "[Fwd: Printer]",
        "TR: RE: Imprimante",
    ] {
        assert!(is_forward_subject(subject), "{subject}");
    }
    for subject in [
        "Printer",
        "RE: Printer",
        "Re: Fwd: Printer",
        "AW: WG: Drucker",
        "Trouble with the printer",
        "Forward planning",
        "i: lowercase is no Italian prefix",
        "I: drive is full",
        "I:\\partage inaccessible",
        "I: lecteur plein",
        "",
    ] {
        assert!(!is_forward_subject(subject), "{subject}");
    }
}

#[test]
fn forward_prefixes_are_stripped_and_reply_prefixes_kept() {
    let cases = [
        ("Fwd: Printer", "Printer"),
        ("FW: Fwd: TR: Printer", "Printer"),
        ("Tr : Imprimante", "Imprimante"),
        ("fwd:Printer", "Printer"),
        ("TR: RE: Imprimante", "RE: Imprimante"),
        ("[Fwd: Printer]", "Printer"),
        ("Fwd: [Fwd: Printer]", "Printer"),
        ("WG: Drucker", "Drucker"),
        ("RV: Impresora", "Impresora"),
        ("I: Stampante", "Stampante"),
        ("Doorst: Printer", "Printer"),
        ("I: drive is full", "I: drive is full"),
        ("TR: I: drive is full", "I: drive is full"),
        ("RE: Printer", "RE: Printer"),
        ("[Guichet #3] Printer", "[Guichet #3] Printer"),
        ("  Printer  ", "Printer"),
        ("Fwd:", ""),
    ];
    for (subject, want) in cases {
        assert_eq!(strip_forward_prefix(subject), want, "{subject}");
    }
}
