//! Images shown inside a mail's HTML (`<img src="cid:…">`, a pasted
//! screenshot) rather than attached beside it. Incoming, each reference is
//! tied to the part whose Content-ID it names, or dropped when no part has
//! it; the text says `[image: name]` where each image was. Outgoing, those
//! markers become `<img src="cid:…">` again, pointing at parts of our own.
//!
//! The functions read HTML as ammonia writes it (double-quoted attribute
//! values), or as our templates escape text: not arbitrary HTML.

use super::inbound::Attachment;

/// The marker the text carries where an image was.
pub fn marker(name: &str) -> String {
    format!("[image: {}]", name.replace(['[', ']'], ""))
}

/// A Content-ID as found in a header or a `cid:` URL: without `<>` or
/// surrounding space, URL escapes decoded (RFC 2392).
pub fn bare_content_id(id: &str) -> String {
    let id = id.trim().trim_start_matches('<').trim_end_matches('>').trim();
    let bytes = id.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        match (bytes[i], bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// One `<img>` tag of `html`: where it is and the Content-ID its `src`
/// names, when it names one.
struct ImgTag {
    start: usize,
    end: usize,
    cid: Option<String>,
}

fn img_tags(html: &str) -> Vec<ImgTag> {
    let mut tags = Vec::new();
    let lower = html.to_ascii_lowercase();
    let mut from = 0;
    while let Some(at) = lower[from..].find("<img").map(|i| i + from) {
        let after = at + 4;
        if !lower[after..].starts_with(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/') {
            from = after;
            continue;
        }
        // The tag ends at the first `>` outside a quoted value.
        let mut quote = None;
        let mut end = html.len();
        for (i, c) in html[after..].char_indices() {
            match (quote, c) {
                (None, '"' | '\'') => quote = Some(c),
                (Some(q), c) if c == q => quote = None,
                (None, '>') => {
                    end = after + i + 1;
                    break;
                }
                _ => {}
            }
        }
        let tag = &html[at..end];
        tags.push(ImgTag { start: at, end, cid: src_cid(tag) });
        from = end;
    }
    tags
}

fn src_cid(tag: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find("src=").map(|i| i + from) {
        from = i + 4;
        // `src=` must start an attribute, not end another's name (`data-src=`).
        if !lower[..i].ends_with(|c: char| c.is_ascii_whitespace()) {
            continue;
        }
        let rest = &tag[from..];
        let value = match rest.chars().next() {
            Some(q @ ('"' | '\'')) => rest[1..].split(q).next().unwrap_or_default(),
            _ => rest.split(|c: char| c.is_ascii_whitespace() || c == '>').next().unwrap_or_default(),
        };
        let value = value.replace("&amp;", "&");
        return value.get(..4).filter(|s| s.eq_ignore_ascii_case("cid:")).map(|_| bare_content_id(&value[4..]));
    }
    None
}

/// The Content-IDs the HTML shows, in order, each once.
pub fn referenced(html: &str) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for cid in img_tags(html).into_iter().filter_map(|t| t.cid) {
        if !ids.iter().any(|i| i.eq_ignore_ascii_case(&cid)) {
            ids.push(cid);
        }
    }
    ids
}

/// `html` with every `<img src="cid:…">` replaced by what `with` gives for
/// its Content-ID and the tag as written (`None`: the tag is removed).
pub fn replace_images(html: &str, mut with: impl FnMut(&str, &str) -> Option<String>) -> String {
    let mut out = String::with_capacity(html.len());
    let mut last = 0;
    for tag in img_tags(html) {
        let Some(cid) = tag.cid else { continue };
        out.push_str(&html[last..tag.start]);
        if let Some(new) = with(&cid, &html[tag.start..tag.end]) {
            out.push_str(&new);
        }
        last = tag.end;
    }
    out.push_str(&html[last..]);
    out
}

/// Outlook's text part marks each image as `[cid:image001.png@01D…]`: that
/// becomes `[image: name]`, or goes when the mail has no such part.
pub fn outlook_markers(text: &str, name_of: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("[cid:") {
        let Some(len) = rest[at..].find(']') else { break };
        out.push_str(&rest[..at]);
        let cid = bare_content_id(&rest[at + 5..at + len]);
        if let Some(name) = name_of(&cid) {
            out.push_str(&marker(&name));
        }
        rest = &rest[at + len + 1..];
    }
    out.push_str(rest);
    out
}

/// An image of an outgoing mail: the escaped marker the HTML body carries
/// and the Content-ID of the part it becomes.
pub fn place_in_html(html: &str, name: &str, content_id: &str) -> Option<String> {
    let escaped = handlebars::html_escape(&marker(name));
    let at = html.find(&escaped)?;
    let img = format!(
        "<img src=\"cid:{}\" alt=\"{}\" style=\"max-width:100%; height:auto;\">",
        handlebars::html_escape(content_id),
        handlebars::html_escape(name)
    );
    Some(format!("{}{img}{}", &html[..at], &html[at + escaped.len()..]))
}

/// The files of an outgoing mail with its images placed: each image the
/// HTML body shows by its marker gets a Content-ID of this mail and an
/// `<img>` there; an image whose marker is not in the body (trimmed with
/// the quoted history) is not sent. Other files stay attachments.
pub fn place_images(html: String, files: &[Attachment], message_id: &str) -> (String, Vec<Attachment>) {
    let mut html = html;
    let mut kept = Vec::with_capacity(files.len());
    for (n, file) in files.iter().enumerate() {
        if !file.in_html {
            kept.push(Attachment { content_id: None, ..file.clone() });
            continue;
        }
        let id = format!("image{}.{message_id}", n + 1);
        if let Some(placed) = place_in_html(&html, &file.filename, &id) {
            html = placed;
            kept.push(Attachment { content_id: Some(id), ..file.clone() });
        }
    }
    (html, kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ids_lose_brackets_and_url_escapes() {
        assert_eq!(bare_content_id(" <image001.png@01DB4F2A.5C3E1B20> "), "image001.png@01DB4F2A.5C3E1B20");
        assert_eq!(bare_content_id("part1%4001D.x"), "part1@01D.x");
        assert_eq!(bare_content_id("100%"), "100%");
    }

    #[test]
    fn only_cid_sources_are_references() {
        let html = r#"<p><img src="https://example.test/a.png"><img alt="a>b" src="cid:ii_1"><img data-src="cid:no" src='cid:ii_2'><img src="cid:ii_1"></p>"#;
        assert_eq!(referenced(html), vec!["ii_1", "ii_2"]);
    }

    #[test]
    fn unknown_images_are_removed_and_known_ones_replaced() {
        let html = r#"<p>a<img src="cid:x" alt="a>b">b<img src="cid:gone">c<img src="x.png"></p>"#;
        let out = replace_images(html, |cid, _| (cid == "x").then(|| "[image: x.png]".to_string()));
        assert_eq!(out, r#"<p>a[image: x.png]bc<img src="x.png"></p>"#);
    }

    #[test]
    fn outlook_text_markers_name_the_image() {
        let text = "Voici :\n[cid:image001.png@01D]\n[cid:other]\n";
        let out = outlook_markers(text, |cid| (cid == "image001.png@01D").then(|| "image001.png".to_string()));
        assert_eq!(out, "Voici :\n[image: image001.png]\n\n");
    }

    #[test]
    fn a_marker_in_escaped_html_becomes_an_image() {
        let html = "<div>Voir [image: a&amp;b.png]<br></div>";
        let out = place_in_html(html, "a&b.png", "img1.x@example.test").unwrap();
        assert!(out.starts_with("<div>Voir <img src=\"cid:img1.x@example.test\" alt=\"a&amp;b.png\""), "{out}");
        assert!(place_in_html(html, "other.png", "c").is_none());
    }
}
