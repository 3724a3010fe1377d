//! Topic and client id templates, as emqtt-bench writes them: `%i` the
//! client's index, `%c` its client id, `%u` its username, `%s` the message's
//! sequence number, `%rand_N` a number from 1 to N drawn for each message.
//!
//! They are not `sub -F`'s format language ([`crate::output::Template`]),
//! though both start with `%`: `-F` also reads printf flags, `\` escapes and
//! `@` times, which would change what a topic such as `a@b` or `plant\7`
//! means, and each language has letters of its own (`%u` a username here, `%U`
//! a Unix time there). One engine would have to switch all of that per use;
//! two small parsers say each what they take.

use std::fmt::Write as _;

/// One piece of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Index,
    ClientId,
    Username,
    Sequence,
    Random(u64),
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
    /// As written, for the report.
    text: String,
}

/// What a template is filled in with, for one client.
#[derive(Debug, Clone, Copy)]
pub struct Filling<'a> {
    pub index: u32,
    pub client_id: &'a str,
    pub username: &'a str,
}

impl Template {
    pub fn parse(text: &str) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        while let Some(at) = rest.find('%') {
            literal.push_str(&rest[..at]);
            rest = &rest[at + 1..];
            let (part, len) = match rest.as_bytes().first() {
                Some(b'i') => (Part::Index, 1),
                Some(b'c') => (Part::ClientId, 1),
                Some(b'u') => (Part::Username, 1),
                Some(b's') => (Part::Sequence, 1),
                Some(b'%') => {
                    literal.push('%');
                    rest = &rest[1..];
                    continue;
                }
                _ if rest.starts_with("rand_") => {
                    let digits = rest[5..].bytes().take_while(u8::is_ascii_digit).count();
                    match rest[5..5 + digits].parse::<u64>() {
                        Ok(n) if n > 0 => (Part::Random(n), 5 + digits),
                        _ => return Err(format!("%rand_ needs a positive number in {text:?}")),
                    }
                }
                _ => {
                    return Err(format!(
                        "unknown field %{} in {text:?}: use %i, %c, %u, %s, %rand_N or %%",
                        rest.chars().next().map(String::from).unwrap_or_default()
                    ))
                }
            };
            if !literal.is_empty() {
                parts.push(Part::Text(std::mem::take(&mut literal)));
            }
            parts.push(part);
            rest = &rest[len..];
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            parts.push(Part::Text(literal));
        }
        Ok(Template {
            parts,
            text: text.to_string(),
        })
    }

    /// The template as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether each message gets a topic of its own (`%s`, `%rand_N`).
    pub fn varies_per_message(&self) -> bool {
        self.parts
            .iter()
            .any(|p| matches!(p, Part::Sequence | Part::Random(_)))
    }

    /// Whether the template names the client (`%c`), so a client id cannot be made from it.
    pub fn names_client_id(&self) -> bool {
        self.parts.contains(&Part::ClientId)
    }

    /// The template filled in with `filling` and the message numbered `sequence`.
    pub fn fill(&self, filling: Filling<'_>, sequence: u64, out: &mut String) {
        out.clear();
        for part in &self.parts {
            // Writing to a String cannot fail.
            let _ = match part {
                Part::Text(text) => {
                    out.push_str(text);
                    Ok(())
                }
                Part::Index => write!(out, "{}", filling.index),
                Part::ClientId => {
                    out.push_str(filling.client_id);
                    Ok(())
                }
                Part::Username => {
                    out.push_str(filling.username);
                    Ok(())
                }
                Part::Sequence => write!(out, "{sequence}"),
                Part::Random(n) => write!(out, "{}", 1 + random_below(*n)),
            };
        }
    }

    /// The template filled in once, for a client whose parts do not vary.
    pub fn filled(&self, filling: Filling<'_>) -> String {
        let mut out = String::new();
        self.fill(filling, 0, &mut out);
        out
    }
}

/// A number below `n` from a per-thread xorshift generator: topics need
/// spread, not secrecy.
fn random_below(n: u64) -> u64 {
    use std::cell::Cell;
    thread_local! {
        static STATE: Cell<u64> = Cell::new(seed());
    }
    STATE.with(|state| {
        let mut x = state.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        state.set(x);
        x % n
    })
}

fn seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u8(0);
    hasher.finish() | 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filling() -> Filling<'static> {
        Filling {
            index: 7,
            client_id: "bench-7",
            username: "alice",
        }
    }

    #[test]
    fn fields_are_filled_in() {
        let template = Template::parse("t/%i/%c/%u/%s/100%%").unwrap();
        let mut out = String::new();
        template.fill(filling(), 42, &mut out);
        assert_eq!(out, "t/7/bench-7/alice/42/100%");
        assert!(template.varies_per_message());
        assert!(!Template::parse("t/%i").unwrap().varies_per_message());
    }

    #[test]
    fn random_numbers_stay_in_range() {
        let template = Template::parse("r/%rand_3").unwrap();
        assert!(template.varies_per_message());
        let mut seen = std::collections::BTreeSet::new();
        let mut out = String::new();
        for _ in 0..200 {
            template.fill(filling(), 0, &mut out);
            seen.insert(out.clone());
        }
        let expected: std::collections::BTreeSet<String> = ["r/1", "r/2", "r/3"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(seen, expected);
    }

    #[test]
    fn unknown_fields_are_refused() {
        assert!(Template::parse("t/%x").is_err());
        assert!(Template::parse("t/%rand_").is_err());
        assert!(Template::parse("t/%rand_0").is_err());
        assert!(Template::parse("t/%").is_err());
    }
}
