//! The requesters' pages, in each language (their words are in
//! `words.rs`): small, self-contained HTML.

use chrono::{DateTime, Utc};

use crate::domain::survey::rating_label;
use crate::domain::ticket::Lang;
use crate::domain::token::TokenError;

use super::words::{fill, words};

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
        let w = words(lang);
        match self {
            Page::Survey(p) => p.render(lang),
            Page::Refused(e) => {
                let (title, why) = match e {
                    TokenError::Expired => (w.expired, w.expired_why),
                    _ => (w.invalid, w.invalid_why),
                };
                layout(lang, title, &format!("<h1>{title}</h1>\n<p class=\"bad\" id=\"refused\">{why}</p>"))
            }
            Page::Unavailable => {
                let (title, why) = (w.unavailable, w.unavailable_why);
                layout(lang, title, &format!("<h1>{title}</h1>\n<p class=\"bad\">{why}</p>"))
            }
            Page::NotFound => {
                let (title, why) = (w.not_found, w.not_found_why);
                layout(lang, title, &format!("<h1>{title}</h1>\n<p>{why}</p>"))
            }
        }
    }
}

impl SurveyPage {
    fn render(&self, lang: Lang) -> String {
        let w = words(lang);
        let rated = |r: u8| format!("{r}/5 ({})", rating_label(r, lang));
        let title = w.opinion;
        let mut body = format!("<h1>{title}</h1>\n");
        let about = fill(w.about, &[("n", &self.number.to_string())]);
        body.push_str(&format!("<p class=\"muted\">{} — {}</p>\n", escape(&about), escape(&self.subject)));
        let (class, id, text) = match (self.said, self.recorded, self.chosen) {
            (Said::Recorded { commented }, Some(r), _) => {
                let t = if commented { w.recorded_with_comment } else { w.recorded };
                ("ok", "thanks", fill(t, &[("r", &rated(r))]))
            }
            (Said::Recorded { .. } | Said::CommentRecorded, ..) => ("ok", "thanks", w.comment_recorded.to_string()),
            (Said::ChooseRating, ..) => ("bad", "choose", w.choose.to_string()),
            (Said::NotFromPage, ..) => ("bad", "refused", w.not_from_page.to_string()),
            (Said::Nothing, Some(r), Some(c)) if r == c => ("ok", "recorded", fill(w.is_recorded, &[("r", &rated(r))])),
            (Said::Nothing, Some(r), Some(c)) => {
                ("note", "chosen", fill(w.change_to, &[("r", &rated(r)), ("c", &rated(c))]))
            }
            (Said::Nothing, None, Some(c)) => ("note", "chosen", fill(w.chose, &[("c", &rated(c))])),
            (Said::Nothing, _, None) => ("", "", String::new()),
        };
        if !text.is_empty() {
            body.push_str(&format!("<p class=\"{class}\" id=\"{id}\">{}</p>\n", escape(&text)));
        }
        let ask = if self.recorded.is_none() { w.ask } else { w.ask_again };
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
        let (label, send, note) = (w.comment, w.send, w.no_reopen);
        body.push_str(&format!(
            "</fieldset>\n<label for=\"comment\">{label}</label>\n\
<textarea id=\"comment\" name=\"comment\" maxlength=\"4000\"></textarea>\n\
<button type=\"submit\" id=\"send\">{send}</button>\n</form>\n<p class=\"muted\">{note}</p>"
        ));
        if let Some(until) = self.until {
            let day = crate::domain::wording::date(until, chrono_tz::UTC, lang);
            let t = fill(w.until, &[("d", &day)]);
            body.push_str(&format!("\n<p class=\"muted\">{}</p>", escape(&t)));
        }
        layout(lang, title, &body)
    }
}
