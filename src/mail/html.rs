//! HTML to text, for mail that comes in HTML alone: the text a person sees
//! in a browser, with its paragraphs and line breaks, list items and table
//! rows on lines of their own, and quoted blocks as `> ` lines (which the
//! reply trimmer recognises as history). Scripts, styles and the page title
//! never reach the text.
//!
//! One pass over html5ever's tokenizer, the parser ammonia already brings:
//! no tree is built, so a hostile mail's nesting costs nothing, and the
//! browser's whitespace rules are applied as the text streams out.

use std::cell::RefCell;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts};
use html5ever::TokenizerResult;

/// Quotes and lists deeper than this are drawn at this depth: hostile
/// nesting must not make every line of the text megabytes long.
const MAX_DRAWN_DEPTH: usize = 8;

/// What Outlook's own text version draws for `<hr>` above a quoted header
/// block; the trimmer counts such a rule as part of the history.
const RULE: &str = "________________________________";

/// The text of an HTML body; lines end with `\n`, at most one blank line
/// in a row, none at the start or end.
pub fn to_text(html: &str) -> String {
    let tokenizer = Tokenizer::new(Sink(RefCell::new(Text::default())), TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    // The sink never asks the tokenizer to pause (no script runs), so one
    // feed reads everything; the loop only guards against a pause anyway.
    while !input.is_empty() {
        if let TokenizerResult::Done = tokenizer.feed(&input) {
            break;
        }
    }
    tokenizer.end();
    tokenizer.sink.0.take().finish()
}

struct Sink(RefCell<Text>);

impl TokenSink for Sink {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut text = self.0.borrow_mut();
        match token {
            Token::TagToken(tag) if tag.kind == TagKind::StartTag => return text.open(&tag),
            Token::TagToken(tag) => text.close(&tag.name),
            Token::CharacterTokens(s) => text.chars(&s),
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

/// The text being written, and where in the document it is.
#[derive(Default)]
struct Text {
    /// Finished lines, each ending with `\n`.
    out: String,
    /// The line being written, its `> ` and list marker included.
    line: String,
    /// `line` has been begun (prefix written).
    started: bool,
    /// Collapsed whitespace waiting before the next word on the line.
    space: bool,
    /// Line breaks asked for before the next text: 1 a new line, 2 a blank line too.
    breaks: u8,
    quote: usize,
    pre: usize,
    /// Inside `<pre>` right after its start, where a first newline is not shown.
    pre_start: bool,
    /// Inside an element whose content is never shown (script, style, title).
    hidden: usize,
    /// Open lists: `None` for bullets, else the next number.
    lists: Vec<Option<u32>>,
    /// The marker of a list item that has not written its first word yet.
    marker: Option<String>,
    /// A table cell began: separated from the previous cell on its line.
    cell: bool,
    /// The gap the open `<p>` asked for (Outlook's paragraphs have none).
    p_gap: u8,
    /// The open link's address and the words shown for it so far.
    link: Option<(String, String)>,
}

impl Text {
    fn open(&mut self, tag: &Tag) -> TokenSinkResult<()> {
        let attr = |name: &str| tag.attrs.iter().find(|a| &*a.name.local == name).map(|a| a.value.to_string());
        match &*tag.name {
            "script" => return self.hide(RawKind::ScriptData),
            "style" | "iframe" | "noembed" | "noframes" | "xmp" => return self.hide(RawKind::Rawtext),
            "title" => return self.hide(RawKind::Rcdata),
            "textarea" => return TokenSinkResult::RawData(RawKind::Rcdata),
            "template" => self.hidden += 1,
            "br" => self.line_break(),
            "p" => {
                let class = attr("class").unwrap_or_default();
                let style = attr("style").unwrap_or_default().replace(char::is_whitespace, "").to_ascii_lowercase();
                self.p_gap = if class.contains("MsoNormal") || style.contains("margin:0") { 1 } else { 2 };
                self.gap(self.p_gap);
            }
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => self.gap(2),
            "ul" | "ol" => {
                self.gap(if self.lists.is_empty() { 2 } else { 1 });
                let start = attr("start").and_then(|s| s.trim().parse().ok()).unwrap_or(1);
                self.lists.push((&*tag.name == "ol").then_some(start));
            }
            "li" => {
                self.gap(1);
                let depth = self.lists.len().clamp(1, MAX_DRAWN_DEPTH);
                let bullet = match self.lists.last_mut() {
                    Some(Some(n)) => {
                        *n += 1;
                        format!("{}. ", *n - 1)
                    }
                    _ => "- ".to_string(),
                };
                self.marker = Some(format!("{}{bullet}", "  ".repeat(depth - 1)));
            }
            "blockquote" => {
                self.gap(1);
                self.quote += 1;
            }
            "pre" => {
                self.gap(2);
                self.pre += 1;
                self.pre_start = true;
            }
            "tr" => self.gap(1),
            "td" | "th" => self.cell = true,
            "hr" => {
                self.gap(1);
                self.word(RULE);
                self.gap(1);
            }
            "a" => {
                let href = attr("href").unwrap_or_default();
                let shown = (href.starts_with("http://") || href.starts_with("https://"))
                    && !href.contains(|c: char| c.is_whitespace() || c.is_control());
                self.link = shown.then(|| (href, String::new()));
            }
            name if is_block(name) => self.gap(1),
            _ => {}
        }
        TokenSinkResult::Continue
    }

    fn close(&mut self, name: &str) {
        match name {
            "script" | "style" | "iframe" | "noembed" | "noframes" | "xmp" | "title" | "template" => {
                self.hidden = self.hidden.saturating_sub(1);
            }
            // Browsers read a stray `</br>` as `<br>`.
            "br" => self.line_break(),
            "p" => self.gap(self.p_gap.max(1)),
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => self.gap(2),
            "ul" | "ol" => {
                self.lists.pop();
                self.gap(if self.lists.is_empty() { 2 } else { 1 });
            }
            "blockquote" => {
                self.gap(1);
                self.quote = self.quote.saturating_sub(1);
            }
            "pre" => {
                self.gap(2);
                self.pre = self.pre.saturating_sub(1);
            }
            "li" | "tr" | "table" => self.gap(1),
            "a" => {
                if let Some((href, shown)) = self.link.take() {
                    let bare = href.trim_start_matches("https://").trim_start_matches("http://").trim_end_matches('/');
                    if !shown.trim().is_empty() && !shown.contains(bare) {
                        self.space = true;
                        self.word(&format!("<{href}>"));
                    }
                }
            }
            name if is_block(name) => self.gap(1),
            _ => {}
        }
    }

    fn hide(&mut self, kind: RawKind) -> TokenSinkResult<()> {
        self.hidden += 1;
        TokenSinkResult::RawData(kind)
    }

    fn chars(&mut self, s: &str) {
        if self.hidden > 0 {
            return;
        }
        if let Some((_, shown)) = &mut self.link {
            shown.push_str(s);
        }
        if self.pre > 0 {
            let s = if std::mem::take(&mut self.pre_start) { s.strip_prefix('\n').unwrap_or(s) } else { s };
            for (i, part) in s.split('\n').enumerate() {
                if i > 0 {
                    self.line_break();
                }
                let part = part.trim_end_matches('\r');
                if !part.is_empty() {
                    self.word(part);
                }
            }
            return;
        }
        self.pre_start = false;
        for c in s.chars() {
            match c {
                // The whitespace a browser collapses (not the no-break space).
                ' ' | '\t' | '\n' | '\r' | '\u{c}' => self.space |= self.started,
                // Invisible in a browser: a soft hyphen shows only at a line's end.
                '\0' | '\u{ad}' => {}
                _ => {
                    self.begin();
                    if std::mem::take(&mut self.space) {
                        self.line.push(' ');
                    }
                    self.line.push(c);
                }
            }
        }
    }

    /// Writes `s` as it is, after any pending space.
    fn word(&mut self, s: &str) {
        self.begin();
        if std::mem::take(&mut self.space) {
            self.line.push(' ');
        }
        self.line.push_str(s);
    }

    /// Asks for a new line (1) or a blank line (2) before the next text.
    fn gap(&mut self, n: u8) {
        self.breaks = self.breaks.max(n);
    }

    /// Gets the line ready for text: the breaks asked for, then the quote
    /// and list prefix of a new line, or a cell separator on this one.
    fn begin(&mut self) {
        self.apply_breaks();
        if self.started {
            if std::mem::take(&mut self.cell) {
                self.line.push_str(" | ");
                self.space = false;
            }
            return;
        }
        self.cell = false;
        self.space = false;
        self.line.push_str(&"> ".repeat(self.quote.min(MAX_DRAWN_DEPTH)));
        if let Some(marker) = self.marker.take() {
            self.line.push_str(&marker);
        }
        self.started = true;
    }

    fn apply_breaks(&mut self) {
        let breaks = std::mem::take(&mut self.breaks);
        if breaks == 0 {
            return;
        }
        if self.started {
            self.end_line();
        }
        if breaks > 1 {
            self.empty_line();
        }
    }

    /// `<br>`: ends the line, or makes an empty one where none was begun.
    fn line_break(&mut self) {
        if self.hidden > 0 {
            return;
        }
        self.apply_breaks();
        if self.started {
            self.end_line();
        } else {
            self.empty_line();
        }
    }

    fn end_line(&mut self) {
        self.out.push_str(self.line.trim_end());
        self.out.push('\n');
        self.line.clear();
        self.started = false;
        self.space = false;
    }

    /// An empty line; inside a quote, a bare `>` so the quote stays whole.
    fn empty_line(&mut self) {
        self.out.push_str("> ".repeat(self.quote.min(MAX_DRAWN_DEPTH)).trim_end());
        self.out.push('\n');
    }

    /// The lines, with runs of blank lines made one and none at either end.
    fn finish(mut self) -> String {
        if self.started {
            self.end_line();
        }
        let mut text = String::with_capacity(self.out.len());
        let mut blank: Option<&str> = None;
        for line in self.out.lines() {
            if line.trim_start_matches(['>', ' ']).trim().is_empty() {
                blank = blank.or(Some(line));
                continue;
            }
            if let Some(b) = blank.take().filter(|_| !text.is_empty()) {
                text.push_str(b);
                text.push('\n');
            }
            text.push_str(line);
            text.push('\n');
        }
        text
    }
}

/// Elements a browser lays out as blocks of their own (those with a gap or
/// a prefix of their own are handled apart).
fn is_block(name: &str) -> bool {
    matches!(
        name,
        "address"
            | "article"
            | "aside"
            | "body"
            | "caption"
            | "center"
            | "dd"
            | "details"
            | "dialog"
            | "div"
            | "dl"
            | "dt"
            | "fieldset"
            | "figcaption"
            | "figure"
            | "footer"
            | "form"
            | "header"
            | "hgroup"
            | "html"
            | "legend"
            | "main"
            | "nav"
            | "noscript"
            | "section"
            | "summary"
            | "table"
            | "tbody"
            | "tfoot"
            | "thead"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::trim::trim_reply;

    #[test]
    fn html_becomes_the_text_a_browser_shows() {
        let cases = [
            // Webmail paragraphs: a div a line, `<div><br></div>` a blank one.
            (
                "<div>Hello,</div><div><br></div><div>The VPN drops every hour.</div><div>Thanks,<br>Erin</div>",
                "Hello,\n\nThe VPN drops every hour.\nThanks,\nErin\n",
            ),
            ("<p>One</p><p>Two</p>", "One\n\nTwo\n"),
            ("<div>text<br></div><div>next</div>", "text\nnext\n"),
            ("<h1>Title</h1>Body", "Title\n\nBody\n"),
            // Outlook's paragraphs have no margin; its blank line is a `&nbsp;` one.
            (
                "<p class=MsoNormal>Hi<o:p></o:p></p><p class=MsoNormal><o:p>&nbsp;</o:p></p><p class=MsoNormal>Erin</p>",
                "Hi\n\nErin\n",
            ),
            ("<p style=\"margin: 0\">a</p><p style=\"margin: 0\">b</p>", "a\nb\n"),
            // Whitespace collapses as in a browser; words never run together.
            ("  <b>Hello</b>\n   <i>world</i>  ", "Hello world\n"),
            ("a<span> </span>b", "a b\n"),
            ("Bonjour&nbsp;: &lt;tag&gt; &amp; &eacute;t&#233; &#x2014;", "Bonjour\u{a0}: <tag> & été —\n"),
            ("<ul><li>one</li><li>two</li></ul>", "- one\n- two\n"),
            ("<ol><li>first<li>second</ol>", "1. first\n2. second\n"),
            ("<ol start=3><li>c</li></ol>", "3. c\n"),
            ("<ul><li>a<ul><li>b</li></ul></li><li>c</li></ul>", "- a\n  - b\n- c\n"),
            ("before<ul><li>x</li></ul>after", "before\n\n- x\n\nafter\n"),
            (
                "<table><tr><th>Host</th><th>State</th></tr><tr><td>web01</td><td></td><td>down</td></tr></table>",
                "Host | State\nweb01 | down\n",
            ),
            ("<blockquote>old<br>words</blockquote>new", "> old\n> words\nnew\n"),
            ("<blockquote><p>a</p><p>b</p><blockquote>c</blockquote></blockquote>", "> a\n>\n> b\n> >\n> > c\n"),
            ("<pre>\n  two  spaces\n\nkept</pre>", "  two  spaces\n\nkept\n"),
            ("a<hr>b", "a\n________________________________\nb\n"),
            // Nothing of the head, scripts or styles.
            (
                "<html><head><title>T</title><style>p{color:red}</style><script>alert(1)</script></head><body>Hi</body></html>",
                "Hi\n",
            ),
            ("<p>x<script>document.write('<p>y</p>')</script>z</p>", "xz\n"),
            ("<template><p>never</p></template>shown", "shown\n"),
            ("<!-- a comment --><!--[if mso]>Outlook<![endif]-->ok", "ok\n"),
            // A link's address follows its words when they do not show it.
            ("<a href=\"https://wiki.example.test/vpn\">the wiki</a>.", "the wiki <https://wiki.example.test/vpn>.\n"),
            ("<a href=\"https://example.test/\">https://example.test</a>", "https://example.test\n"),
            ("<a href=\"mailto:a@example.test\">a@example.test</a>", "a@example.test\n"),
            ("<a href=\"javascript:x()\">click</a>", "click\n"),
            // No blank runs, none at the ends.
            ("<br><br><p></p><div>a</div><br><br><br><br><div>b</div><br><br>", "a\n\nb\n"),
            ("", ""),
            ("<p>  </p>", ""),
        ];
        for (html, want) in cases {
            assert_eq!(to_text(html), want, "{html}");
        }
    }

    #[test]
    fn hostile_html_stays_bounded() {
        let deep = "<blockquote>".repeat(10_000) + "x";
        assert_eq!(to_text(&deep), format!("{}x\n", "> ".repeat(MAX_DRAWN_DEPTH)));
        let lists = "<ul><li>".repeat(10_000) + "x";
        assert!(to_text(&lists).len() < 100);
        let unclosed = "<p>a<script>never closed <p>b</p>";
        assert_eq!(to_text(unclosed), "a\n");
        for broken in ["<", "<p", "</", "<a href='", "&", "&#xFFFFFFFF;", "<![CDATA[x", "\0x"] {
            to_text(broken);
        }
    }

    /// Replies as clients write them in HTML alone: once made text, the
    /// trimmer keeps only the new words.
    #[test]
    fn html_replies_are_trimmed_to_their_new_words() {
        let cases = [
            (
                "gmail",
                "<div dir=\"ltr\">It dropped again.<div><br></div><div>Erin</div></div><br><div class=\"gmail_quote\">\
<div dir=\"ltr\" class=\"gmail_attr\">On Mon, Nov 16, 2026 at 9:00 AM Support &lt;<a href=\"mailto:support@example.test\">\
support@example.test</a>&gt; wrote:<br></div><blockquote class=\"gmail_quote\"><div>When does it drop?</div>\
<div><br></div><div>Support</div></blockquote></div>",
                "It dropped again.\n\nErin",
            ),
            (
                "gmail, French",
                "<div dir=\"ltr\">Toujours en panne.</div><br><div class=\"gmail_quote\"><div dir=\"ltr\" class=\"gmail_attr\">\
Le lun. 16 nov. 2026 à 09:00, Support &lt;support@example.test&gt; a écrit&nbsp;:<br></div>\
<blockquote class=\"gmail_quote\"><div>Est-ce réparé&nbsp;?</div></blockquote></div>",
                "Toujours en panne.",
            ),
            (
                "outlook",
                "<div class=\"WordSection1\"><p class=\"MsoNormal\">Still dropping.<o:p></o:p></p>\
<p class=\"MsoNormal\"><o:p>&nbsp;</o:p></p><p class=\"MsoNormal\">Erin<o:p></o:p></p></div>\
<hr style=\"display:inline-block;width:98%\" tabindex=\"-1\"><div id=\"divRplyFwdMsg\" dir=\"ltr\">\
<font face=\"Calibri, sans-serif\"><b>From:</b> Support &lt;support@example.test&gt;<br><b>Sent:</b> Monday, \
November 16, 2026 9:00 AM<br><b>To:</b> Erin &lt;erin@example.test&gt;<br><b>Subject:</b> [Guichet #1] VPN</font>\
<div>&nbsp;</div></div><div><p>When does it drop?</p></div>",
                "Still dropping.\n\nErin",
            ),
            (
                "outlook, French",
                "<p class=MsoNormal>C'est reparti.<o:p></o:p></p><div style=\"border:none;border-top:solid #E1E1E1 1.0pt\">\
<p class=MsoNormal><b>De&nbsp;:</b> Support &lt;support@example.test&gt;<br><b>Envoyé&nbsp;:</b> lundi 16 novembre \
2026 09:00<br><b>À&nbsp;:</b> Erin<br><b>Objet&nbsp;:</b> [Guichet #1] VPN<o:p></o:p></p></div>\
<p class=MsoNormal>Est-ce réparé&nbsp;?</p>",
                "C'est reparti.",
            ),
            (
                "outlook, original message",
                "<div>Fixed, thanks.</div><div>-----Original Message-----<br>From: Support<br>Sent: Monday<br>To: Erin</div>\
<div>Please restart.</div>",
                "Fixed, thanks.",
            ),
        ];
        for (client, html, want) in cases {
            assert_eq!(trim_reply(&to_text(html)), want, "{client}:\n{}", to_text(html));
        }
    }
}
