//! The pages, in French and English: small, self-contained HTML.

use crate::domain::survey::rating_label;
use crate::domain::ticket::Lang;
use crate::domain::token::TokenError;

pub enum Page {
    Survey {
        number: i64,
        subject: String,
        /// The rating recorded so far.
        rating: Option<u8>,
        commented: bool,
        token: String,
        thanked_for_comment: bool,
    },
    Refused(TokenError),
    Unavailable,
    NotFound,
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
.muted{color:#6b7280;font-size:15px}.rates{list-style:none;padding:0;margin:16px 0}.rates li{margin:0 0 8px}\
.rates a{display:block;padding:12px 14px;border:1px solid #d1d5db;border-radius:6px;color:#1f2937;text-decoration:none}\
.rates a.on{background:#1d4ed8;border-color:#1d4ed8;color:#fff;font-weight:bold}\
textarea{width:100%;box-sizing:border-box;min-height:110px;font:inherit;padding:8px;border:1px solid #d1d5db;border-radius:6px}\
button{margin-top:10px;padding:12px 18px;font:inherit;border:0;border-radius:6px;background:#1d4ed8;color:#fff}\
.ok{background:#ecfdf5;border:1px solid #a7f3d0;border-radius:6px;padding:10px 12px;margin:0 0 14px}\
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
            Page::Survey { number, subject, rating, commented, token, thanked_for_comment } => {
                let title = if fr { "Votre avis" } else { "Your opinion" };
                let mut body = format!("<h1>{title}</h1>\n");
                let about = if fr { format!("Demande n° {number}") } else { format!("Request #{number}") };
                body.push_str(&format!("<p class=\"muted\">{} — {}</p>\n", escape(&about), escape(subject)));
                if *thanked_for_comment {
                    let t = if fr {
                        "Merci, votre commentaire est enregistré."
                    } else {
                        "Thank you, your comment is recorded."
                    };
                    body.push_str(&format!("<p class=\"ok\" id=\"thanks\">{t}</p>\n"));
                } else if let Some(r) = rating {
                    let t = if fr {
                        format!("Merci ! Votre note est enregistrée : {r}/5 ({}).", rating_label(*r, lang))
                    } else {
                        format!("Thank you! Your rating is recorded: {r}/5 ({}).", rating_label(*r, lang))
                    };
                    body.push_str(&format!("<p class=\"ok\" id=\"thanks\">{}</p>\n", escape(&t)));
                }
                let ask = match (rating, fr) {
                    (None, true) => "Êtes-vous satisfait(e) du traitement de votre demande ?",
                    (None, false) => "How satisfied are you with how your request was handled?",
                    (Some(_), true) => "Vous pouvez changer votre note :",
                    (Some(_), false) => "You can change your rating:",
                };
                body.push_str(&format!("<p>{ask}</p>\n<ul class=\"rates\">\n"));
                for r in (1..=5u8).rev() {
                    let on = if *rating == Some(r) { " class=\"on\" aria-current=\"true\"" } else { "" };
                    body.push_str(&format!(
                        "<li><a{on} href=\"/survey/{}?r={r}\">{r} — {}</a></li>\n",
                        escape(token),
                        escape(rating_label(r, lang))
                    ));
                }
                body.push_str("</ul>\n");
                let (label, send, note) = if fr {
                    (
                        if *commented { "Ajouter un commentaire" } else { "Un commentaire ? (facultatif)" },
                        "Envoyer",
                        "Votre réponse ne rouvre pas la demande. Si le problème est revenu, répondez simplement au dernier message reçu.",
                    )
                } else {
                    (
                        if *commented { "Add a comment" } else { "A comment? (optional)" },
                        "Send",
                        "Your answer does not reopen the request. If the problem is back, just reply to the last mail you received.",
                    )
                };
                let hidden =
                    rating.map(|r| format!("<input type=\"hidden\" name=\"r\" value=\"{r}\">")).unwrap_or_default();
                body.push_str(&format!(
                    "<form method=\"post\" action=\"/survey/{}\">\n{hidden}\n<label for=\"comment\">{label}</label>\n\
<textarea id=\"comment\" name=\"comment\" maxlength=\"4000\"></textarea>\n<button type=\"submit\">{send}</button>\n</form>\n\
<p class=\"muted\">{note}</p>",
                    escape(token)
                ));
                layout(lang, title, &body)
            }
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
