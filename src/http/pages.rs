//! The pages, in French and English: small, self-contained HTML.

use chrono::{DateTime, Utc};

use crate::domain::survey::rating_label;
use crate::domain::ticket::Lang;
use crate::domain::token::TokenError;

pub enum Page {
    Survey(SurveyPage),
    Refused(TokenError),
    Unavailable,
    NotFound,
}

/// The page a rating link opens: the ratings with one chosen, a comment
/// box and the button that records them.
pub struct SurveyPage {
    pub number: i64,
    pub subject: String,
    /// The rating recorded so far.
    pub recorded: Option<u8>,
    /// The rating selected on the page: the link's, else the recorded one.
    pub chosen: Option<u8>,
    pub token: String,
    /// The form's hidden field (see `token::form_check`).
    pub check: String,
    /// When the link stops working.
    pub until: Option<DateTime<Utc>>,
    pub said: Said,
}

/// What the visit did, said at the top of the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Said {
    /// The link opened: nothing recorded yet.
    Nothing,
    Recorded {
        commented: bool,
    },
    CommentRecorded,
    /// The form sent with neither a rating nor a comment.
    ChooseRating,
    /// A post without the page's hidden field: a scanner, not the person.
    NotFromPage,
}

pub(super) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{margin:0;background:#f3f4f6;font-family:Arial,Helvetica,sans-serif;font-size:17px;\
line-height:1.5;color:#1f2937}main{max-width:560px;margin:0 auto;padding:16px 12px}\
.card{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:20px}h1{font-size:22px;margin:0 0 12px}\
.muted{color:#6b7280;font-size:15px}fieldset{border:0;padding:0;margin:16px 0}legend{padding:0;margin:0 0 10px}\
.rate{display:block;padding:12px 14px;margin:0 0 8px;border:1px solid #d1d5db;border-radius:6px;cursor:pointer}\
.rate:has(input:checked){background:#eff6ff;border-color:#1d4ed8;font-weight:bold}\
.rate input{width:20px;height:20px;margin:0 10px 0 0;vertical-align:-4px;accent-color:#1d4ed8}\
label[for=comment]{display:block;margin:0 0 6px}\
textarea{width:100%;box-sizing:border-box;min-height:110px;font:inherit;padding:8px;border:1px solid #d1d5db;border-radius:6px}\
button{width:100%;margin-top:12px;padding:14px 18px;font:inherit;font-weight:bold;border:0;border-radius:6px;background:#1d4ed8;color:#fff}\
.ok{background:#ecfdf5;border:1px solid #a7f3d0;border-radius:6px;padding:10px 12px;margin:0 0 14px}\
.note{background:#eff6ff;border:1px solid #bfdbfe;border-radius:6px;padding:10px 12px;margin:0 0 14px}\
.bad{background:#fef2f2;border:1px solid #fecaca;border-radius:6px;padding:10px 12px;margin:0 0 14px}";

pub(super) fn layout(lang: Lang, title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<meta name=\"robots\" content=\"noindex\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n\
<body>\n<main>\n<div class=\"card\">\n{body}\n</div>\n</main>\n</body>\n</html>\n",
        lang.as_str(),
        escape(title)
    )
}

impl Page {
    pub fn render(&self, lang: Lang) -> String {
        let fr = lang == Lang::Fr;
        match self {
            Page::Survey(p) => p.render(lang),
            Page::Refused(e) => {
                let (title, why) = match (e, fr) {
                    (TokenError::Expired, true) => (
                        "Lien expiré",
                        "Ce lien de réponse a expiré. Vous pouvez toujours répondre au message reçu, avec une note de 1 à 5.",
                    ),
                    (TokenError::Expired, false) => (
                        "Link expired",
                        "This answer link has expired. You can still reply to the mail you received with a rating from 1 to 5.",
                    ),
                    (_, true) => (
                        "Lien non valable",
                        "Ce lien n'est pas valable : il est incomplet ou a été modifié. Rien n'a été enregistré. Utilisez le lien exact du message reçu, ou répondez à ce message.",
                    ),
                    (_, false) => (
                        "Invalid link",
                        "This link is not valid: it is incomplete or was changed. Nothing was recorded. Use the exact link from the mail you received, or reply to that mail.",
                    ),
                };
                layout(lang, title, &format!("<h1>{title}</h1>\n<p class=\"bad\" id=\"refused\">{why}</p>"))
            }
            Page::Unavailable => {
                let (title, why) = if fr {
                    (
                        "Service momentanément indisponible",
                        "Votre réponse n'a pas pu être enregistrée. Réessayez dans quelques minutes.",
                    )
                } else {
                    ("Temporarily unavailable", "Your answer could not be recorded. Please try again in a few minutes.")
                };
                layout(lang, title, &format!("<h1>{title}</h1>\n<p class=\"bad\">{why}</p>"))
            }
            Page::NotFound => {
                let (title, why) = if fr {
                    ("Page introuvable", "Cette page n'existe pas.")
                } else {
                    ("Page not found", "There is no such page.")
                };
                layout(lang, title, &format!("<h1>{title}</h1>\n<p>{why}</p>"))
            }
        }
    }
}

impl SurveyPage {
    fn render(&self, lang: Lang) -> String {
        let fr = lang == Lang::Fr;
        let rated = |r: u8| format!("{r}/5 ({})", rating_label(r, lang));
        let title = if fr { "Votre avis" } else { "Your opinion" };
        let mut body = format!("<h1>{title}</h1>\n");
        let about = if fr { format!("Demande n° {}", self.number) } else { format!("Request #{}", self.number) };
        body.push_str(&format!("<p class=\"muted\">{} — {}</p>\n", escape(&about), escape(&self.subject)));
        let (class, id, text) = match (self.said, self.recorded, self.chosen) {
            (Said::Recorded { commented }, Some(r), _) => {
                let t = match (fr, commented) {
                    (true, false) => format!("Merci ! Votre note est enregistrée : {}.", rated(r)),
                    (true, true) => {
                        format!(
                            "Merci ! Votre note est enregistrée : {}, et votre commentaire est enregistré.",
                            rated(r)
                        )
                    }
                    (false, false) => format!("Thank you! Your rating is recorded: {}.", rated(r)),
                    (false, true) => {
                        format!("Thank you! Your rating is recorded: {}, and your comment is recorded.", rated(r))
                    }
                };
                ("ok", "thanks", t)
            }
            (Said::Recorded { .. } | Said::CommentRecorded, ..) => {
                let t = if fr {
                    "Merci, votre commentaire est enregistré."
                } else {
                    "Thank you, your comment is recorded."
                };
                ("ok", "thanks", t.to_string())
            }
            (Said::ChooseRating, ..) => {
                let t = if fr {
                    "Choisissez une note (ou écrivez un commentaire) avant d'envoyer."
                } else {
                    "Choose a rating (or write a comment) before sending."
                };
                ("bad", "choose", t.to_string())
            }
            (Said::NotFromPage, ..) => {
                let t = if fr {
                    "Rien n'a été enregistré. Vérifiez votre note ci-dessous et appuyez sur « Envoyer »."
                } else {
                    "Nothing was recorded. Check your rating below and press “Send”."
                };
                ("bad", "refused", t.to_string())
            }
            (Said::Nothing, Some(r), Some(c)) if r == c => {
                let t = if fr {
                    format!("Votre note est enregistrée : {}.", rated(r))
                } else {
                    format!("Your rating is recorded: {}.", rated(r))
                };
                ("ok", "recorded", t)
            }
            (Said::Nothing, Some(r), Some(c)) => {
                let t = if fr {
                    format!(
                        "Votre note enregistrée est {}. Appuyez sur « Envoyer » pour la remplacer par {}.",
                        rated(r),
                        rated(c)
                    )
                } else {
                    format!("Your recorded rating is {}. Press “Send” to change it to {}.", rated(r), rated(c))
                };
                ("note", "chosen", t)
            }
            (Said::Nothing, None, Some(c)) => {
                let t = if fr {
                    format!("Vous avez choisi {}. Appuyez sur « Envoyer » pour l'enregistrer.", rated(c))
                } else {
                    format!("You chose {}. Press “Send” to record it.", rated(c))
                };
                ("note", "chosen", t)
            }
            (Said::Nothing, _, None) => ("", "", String::new()),
        };
        if !text.is_empty() {
            body.push_str(&format!("<p class=\"{class}\" id=\"{id}\">{}</p>\n", escape(&text)));
        }
        let ask = match (self.recorded, fr) {
            (None, true) => "Êtes-vous satisfait(e) du traitement de votre demande ?",
            (None, false) => "How satisfied are you with how your request was handled?",
            (Some(_), true) => "Vous pouvez changer votre note :",
            (Some(_), false) => "You can change your rating:",
        };
        body.push_str(&format!(
            "<form method=\"post\" action=\"/survey/{}\">\n<input type=\"hidden\" name=\"check\" value=\"{}\">\n\
<fieldset>\n<legend>{ask}</legend>\n",
            escape(&self.token),
            escape(&self.check)
        ));
        for r in (1..=5u8).rev() {
            let checked = if self.chosen == Some(r) { " checked" } else { "" };
            body.push_str(&format!(
                "<label class=\"rate\"><input type=\"radio\" name=\"r\" value=\"{r}\"{checked}>{r} — {}</label>\n",
                escape(rating_label(r, lang))
            ));
        }
        let (label, send, note) = if fr {
            (
                "Un commentaire ? (facultatif)",
                "Envoyer",
                "Votre réponse ne rouvre pas la demande. Si le problème est revenu, répondez simplement au dernier message reçu.",
            )
        } else {
            (
                "A comment? (optional)",
                "Send",
                "Your answer does not reopen the request. If the problem is back, just reply to the last mail you received.",
            )
        };
        body.push_str(&format!(
            "</fieldset>\n<label for=\"comment\">{label}</label>\n\
<textarea id=\"comment\" name=\"comment\" maxlength=\"4000\"></textarea>\n\
<button type=\"submit\" id=\"send\">{send}</button>\n</form>\n<p class=\"muted\">{note}</p>"
        ));
        if let Some(until) = self.until {
            let t = if fr {
                format!(
                    "Ce lien permet de donner ou de changer votre note jusqu'au {}.",
                    crate::domain::wording::date(until, chrono_tz::UTC, lang)
                )
            } else {
                format!(
                    "This link lets you give or change your rating until {}.",
                    crate::domain::wording::date(until, chrono_tz::UTC, lang)
                )
            };
            body.push_str(&format!("\n<p class=\"muted\">{}</p>", escape(&t)));
        }
        layout(lang, title, &body)
    }
}
