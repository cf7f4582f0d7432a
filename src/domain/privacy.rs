//! The rights of the people who write to the desk, as decisions: the
//! pseudonym that stands for a person once erased, the note left in place
//! of their words, and text with their address and name taken out.

/// The address that replaces a person's everywhere: stable (one per
/// contact row), unique, and undeliverable by construction (RFC 6761).
pub fn pseudonym(contact_id: i64) -> String {
    format!("erased-{contact_id}@invalid")
}

/// The display name that replaces a person's.
pub fn pseudonym_name(contact_id: i64) -> String {
    format!("erased-{contact_id}")
}

/// What an erased article says in place of the text, HTML and files.
pub const ERASED_NOTE: &str = "[Content erased: the person who wrote it asked for their data to be removed.]";

/// What an article of an anonymised ticket says in place of its text.
pub const ANONYMISED_NOTE: &str = "[Content removed by the retention policy.]";

/// A person as the desk knows them, and what stands for them once erased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub address: String,
    pub name: String,
    pub pseudonym: String,
    pub pseudonym_name: String,
}

impl Person {
    pub fn new(contact_id: i64, address: &str, name: &str) -> Person {
        Person {
            address: address.to_string(),
            name: name.trim().to_string(),
            pseudonym: pseudonym(contact_id),
            pseudonym_name: pseudonym_name(contact_id),
        }
    }

    /// What is searched for and what replaces it, longest first. A name
    /// shorter than 3 characters is left alone: it would match ordinary
    /// words.
    pub fn replacements(&self) -> Vec<(String, String)> {
        let mut v = vec![(self.address.clone(), self.pseudonym.clone())];
        if self.name.chars().count() >= 3 && !self.name.eq_ignore_ascii_case(&self.address) {
            v.push((self.name.clone(), self.pseudonym_name.clone()));
        }
        v.sort_by_key(|(from, _)| std::cmp::Reverse(from.len()));
        v
    }
}

/// `text` with every needle replaced (ASCII letters matched without
/// regard to case, as addresses and names are written in any case);
/// `None` when nothing was found.
pub fn scrub(text: &str, replacements: &[(String, String)]) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut changed = false;
    let mut i = 0;
    let mut copied = 0;
    while i < bytes.len() {
        let hit = text.is_char_boundary(i).then(|| {
            replacements.iter().find(|(from, _)| {
                !from.is_empty()
                    && bytes.len() - i >= from.len()
                    && bytes[i..i + from.len()].eq_ignore_ascii_case(from.as_bytes())
                    && text.is_char_boundary(i + from.len())
            })
        });
        match hit.flatten() {
            Some((from, to)) => {
                out.push_str(&text[copied..i]);
                out.push_str(to);
                i += from.len();
                copied = i;
                changed = true;
            }
            None => i += 1,
        }
    }
    out.push_str(&text[copied..]);
    changed.then_some(out)
}

/// A comma-separated address list with the person's address replaced,
/// kept in its order.
pub fn scrub_list(list: &str, person: &Person) -> Option<String> {
    scrub(list, &person.replacements())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alice() -> Person {
        Person::new(7, "alice.martin@example.test", "Alice Martin")
    }

    #[test]
    fn pseudonyms_are_stable_and_undeliverable() {
        assert_eq!(pseudonym(7), "erased-7@invalid");
        assert_eq!(alice().pseudonym, pseudonym(7));
        assert_eq!(alice().pseudonym_name, "erased-7");
    }

    #[test]
    fn scrub_replaces_address_and_name_in_any_case() {
        let cases = [
            ("Alice Martin <alice.martin@example.test> wrote:", Some("erased-7 <erased-7@invalid> wrote:")),
            ("ALICE.MARTIN@EXAMPLE.TEST", Some("erased-7@invalid")),
            ("alice martin, hello", Some("erased-7, hello")),
            ("nothing here", None),
            ("Élodie <alice.martin@example.test>", Some("Élodie <erased-7@invalid>")),
            ("", None),
        ];
        for (text, want) in cases {
            assert_eq!(scrub(text, &alice().replacements()).as_deref(), want, "{text}");
        }
    }

    #[test]
    fn a_short_name_is_not_scrubbed_as_a_word() {
        let p = Person::new(3, "al@example.test", "Al");
        assert_eq!(p.replacements().len(), 1);
        assert_eq!(scrub("Al says al@example.test", &p.replacements()).as_deref(), Some("Al says erased-3@invalid"));
    }

    #[test]
    fn scrub_list_keeps_the_others() {
        let list = "bob@example.test,alice.martin@example.test";
        assert_eq!(scrub_list(list, &alice()).as_deref(), Some("bob@example.test,erased-7@invalid"));
    }
}
