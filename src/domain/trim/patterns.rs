//! The lines mail clients write around quoted history, in the languages our
//! users' clients speak: attributions, "Original Message" and forward
//! markers, header blocks and mobile signatures. Compiled once.
//!
//! `*` and `_` around a marker or a field name are what HTML-to-text
//! conversion leaves of bold and italic; `\s*` before a colon covers the
//! French (non-breaking) space.

use std::sync::LazyLock;

use regex::Regex;

fn compile(pattern: &str) -> Regex {
    Regex::new(pattern).expect("valid regex")
}

/// Attribution lines ("On ... wrote:", "Den ... skrev ...:"). A digit is
/// required because clients always put the date in; prose rarely has one.
/// The opening word is the client's ("On", "Le", "Am", "Den", "Em", "In
/// data"...), or the date itself (Apple Mail in Swedish starts with it).
pub(super) static ATTRIBUTION: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"(?ix)^-*\s*(?:(?:on|le|am|el|op|il|il\s+giorno|in\s+data|den|em|no\s+dia|w\s+dniu|dnia)\s|\d)
        .*\d.*
        (?:wrote|a\s+écrit|escribió|ha\s+scritto|escreveu|kirjoitti|napisał(?:\(a\)|a)?
          |het\s+volgende\s+geschreven|(?:schrieb|schreef|skrev)\b.*)
        \s*(?::|\s-{2,})$",
    )
});

/// "On ... John <john@example.test> wrote" without the colon, as some webmails
/// write it: the address makes up for the missing colon.
pub(super) static ATTRIBUTION_WITHOUT_COLON: LazyLock<Regex> =
    LazyLock::new(|| compile(r"(?i)^(?:on|le|am|el|op|il|den|em)\s.*\d.*@.*\b(?:wrote|a\s+écrit|schrieb|skrev)$"));

/// Attributions whose opening is a weekday abbreviation or a name
/// ("wt., 2 mar 2021 o 10:00 Jan <jan@example.test> napisał(a):", "Jonas
/// <jonas@example.test> schrieb am Di., 2. März 2021, 10:00:"): the verb must
/// come right after the address, where prose seldom puts it.
pub(super) static VERB_ATTRIBUTION: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"(?ix)@[\w.-]+>*\)?\s*
        (?:(?:wrote|a\s+écrit|escribió|ha\s+scritto|escreveu|kirjoitti|napisał(?:\(a\)|a)?|написал(?:\(а\)|а)?)\s*
          |(?:schrieb|schreef|skrev)\b.*\d.*)
        :$",
    )
});

/// Clients that write no verb at all ("2017-11-24 16:32 GMT+01:00 Name
/// <a@example.test>:", "ср, 30 апр. 2025 г. в 15:19, Name <a@example.test>:"):
/// the line must end with the address and a colon, and hold a year and a
/// time of day.
pub(super) static DATED_ADDRESS_ATTRIBUTION: LazyLock<Regex> =
    LazyLock::new(|| compile(r"(?i)[\w.+'-]+@[\w-]+(?:\.[\w-]+)+>?\)?\s*:$"));

pub(super) static YEAR: LazyLock<Regex> = LazyLock::new(|| compile(r"\b(?:19|20)\d{2}\b"));

pub(super) static TIME_OF_DAY: LazyLock<Regex> = LazyLock::new(|| compile(r"\b\d{1,2}[:.h]\d{2}\b"));

/// Cutting everything below an attribution that no `>` quote follows is
/// drastic, so it also needs what clients write and prose seldom does: an
/// address, or a date with its year ("2021", "02/03/21", "02.03.2021").
pub(super) static STRONG_ATTRIBUTION_HINT: LazyLock<Regex> =
    LazyLock::new(|| compile(r"@|\b(?:19|20)\d{2}\b|\b\d{1,2}[./]\d{1,2}[./]\d{2,4}\b"));

/// Other languages (e.g. "02.04.2012 14:20 user <a@b> написал:"): only trusted
/// right above a `>` quote, and only with an address plus a time or a verb.
pub(super) static GENERIC_ATTRIBUTION_HINT: LazyLock<Regex> = LazyLock::new(|| {
    compile(r"(?i)\d{1,2}[:.]\d{2}|\b(?:wrote|a\s+écrit|schrieb|escribió|schreef|skrev|escreveu|kirjoitti)\b")
});

pub(super) static ORIGINAL_MESSAGE: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"(?ix)^\s*[*_]?\s*-{2,}\s*
        (?:original\ message|message\ d['’]origine|ursprüngliche\ nachricht|mensaje\ original
          |oorspronkelijk\ bericht|messaggio\ originale|mensagem\ original|opprinnelig\ melding
          |ursprungligt\ meddelande|oprindelig\ (?:meddelelse|besked)|alkuperäinen\ viesti
          |wiadomość\ oryginalna|oryginalna\ wiadomość)
        \s*-{2,}\s*[*_]?\s*$",
    )
});

/// Gmail's and Thunderbird's rule lines ("---------- Forwarded message
/// ---------") and Apple Mail's sentence ("Begin forwarded message:").
pub(super) static FORWARD_MARKER: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"(?ix)^\s*[*_]?\s*(?:
            -{2,}\s*
            (?:forwarded\ message|message\ transféré|weitergeleitete\ nachricht|mensaje\ reenviado
              |doorgestuurd\ bericht|messaggio\ inoltrato|mensagem\ encaminhada|videresendt\ (?:melding|meddelelse|besked)
              |vidarebefordrat\ meddelande|välitetty\ viesti|wiadomość\ przekazana)
            \s*-*
          | (?:begin\ forwarded\ message|début\ du\ message\ (?:réexpédié|transféré)
              |anfang\ der\ weitergeleiteten\ nachricht|inicio\ del\ mensaje\ reenviado
              |inizio\ messaggio\ inoltrato|begin\ doorgestuurd\ bericht|início\ da\ mensagem\ reencaminhada
              |videresendt\ melding|vidarebefordrat\ mejl|start\ på\ videresendt\ besked)
            \s*:
        )\s*[*_]?\s*$",
    )
});

pub(super) static HEADER_FROM: LazyLock<Regex> =
    LazyLock::new(|| compile(r"(?i)^\s*[*_]?(?:from|de|von|van|da|fra|från|od|от)\s*:[*_]?\s*\S"));

/// Field names below "From:" in the header block of a quoted message.
const HEADER_FIELD_NAMES: &str = r"
    sent|date|to|cc|bcc|subject|reply-to
  | envoyé|à|a|objet|répondre\ à|pour
  | gesendet|datum|an|betreff
  | enviado(?:\ el)?|enviada|fecha|para|asunto|assunto
  | verzonden|aan|onderwerp
  | inviato|data|oggetto
  | sendt|dato|til|emne|skickat|till|ämne|kopi|kopia
  | wysłano|do|temat|dw
  | отправлено|кому|тема|дата|копия";

pub(super) static HEADER_FIELD: LazyLock<Regex> =
    LazyLock::new(|| compile(&format!(r"(?ix)^\s*[*_]?(?:{HEADER_FIELD_NAMES})\s*:[*_]?")));

/// HTML-to-text conversion that loses the line breaks runs the fields of a
/// header block into one line ("From: ... Sent: ... To: ... Subject: ...").
pub(super) static INLINE_HEADER_FIELD: LazyLock<Regex> =
    LazyLock::new(|| compile(&format!(r"(?ix)\s[*_]?(?:{HEADER_FIELD_NAMES})\s*:[*_]?\s")));

/// Rules that Outlook and webmails draw above the quoted header block.
pub(super) static SEPARATOR: LazyLock<Regex> = LazyLock::new(|| compile(r"^\s*[-_=]{4,}\s*$"));

/// The footer a mailing list appends below every message.
pub(super) static LIST_FOOTER: LazyLock<Regex> = LazyLock::new(|| compile(r"(?i)^\S.*\bmailing list\s*$"));

/// Links Outlook appends to the name of an app ("Get Outlook for
/// iOS<https://aka.ms/o0ukef>"), taken off before matching.
pub(super) static LINK: LazyLock<Regex> = LazyLock::new(|| compile(r"<(?:https?|mailto):[^>]*>"));

pub(super) static MOBILE_SIGNATURE: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"(?ix)^(?:
            sent\ from\ my\ \S+(?:\s+\S+){0,3}
          | sent\ (?:from|with|via)\ (?:yahoo\ mail|mail\ for\ windows|mail|outlook|proton\s?mail|gmail|typeapp|blue\ mail|aol)\b.{0,40}
          | (?:envoyé|envoye)\ (?:de|depuis|à\ partir\ de)\ (?:mon|ma|mes)\ .{1,40}
          | (?:envoyé|envoye)\ (?:de|depuis|avec)\ (?:yahoo\ mail|outlook|courrier\ pour\ windows)\b.{0,40}
          | (?:get|download|obtenir|télécharger|hent|skaffa|obtener|scarica|holen\ sie\ sich)\ outlook\ (?:for|pour|för|para|per|für)\ (?:ios|android)\b.{0,60}
          | outlook\ voor\ (?:ios|android)\ downloaden
          | von\ meinem\ .{1,40}\ gesendet\.?
          | gesendet\ von\ (?:meinem\ .{1,40}|outlook\ für\ (?:ios|android))
          | enviado\ desde\ mi\ .{1,40}
          | enviado\ (?:do|a\ partir\ do)\ meu\ .{1,40}
          | inviato\ da\ (?:iphone|ipad|android|outlook|il\ mio\ .{1,40})
          | verzonden\ (?:vanaf|met|van)\ mijn\ .{1,40}
          | sendt\ fra\ (?:min|mi)\ .{1,40}
          | skickat\ från\ min\ .{1,40}
          | wysłane\ z\ .{1,40}
          | lähetetty\ .{1,30}(?:sta|stä)
        )$",
    )
});
