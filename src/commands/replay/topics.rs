//! Which recorded messages a replay publishes (-t), and under which topic
//! (--topic-rewrite, then --topic-prefix).

use crate::codec::{topic, ByteString};

/// The filters and the renaming of a replay.
#[derive(Debug, Clone, Default)]
pub struct Topics {
    /// Filters on the recorded topic; none lets every message through.
    pub filters: Vec<String>,
    /// `FROM=TO`: whole leading topic levels replaced; the first that applies.
    pub rewrites: Vec<(String, String)>,
    /// Put before every topic, as it is.
    pub prefix: Option<String>,
}

impl Topics {
    /// Whether the message recorded on `recorded` is replayed.
    pub fn selects(&self, recorded: &str) -> bool {
        self.filters.is_empty() || self.filters.iter().any(|f| topic::matches(f, recorded))
    }

    /// Whether topics are renamed at all.
    pub fn renames(&self) -> bool {
        !self.rewrites.is_empty() || self.prefix.is_some()
    }

    /// The topic to publish a message recorded on `recorded` to: the first
    /// rewrite whose FROM is the whole of its first levels (`a/b` is the
    /// first levels of `a/b` and `a/b/c`, not of `a/bc`) replaced by its TO,
    /// then the prefix before it.
    pub fn rename(&self, recorded: &ByteString) -> ByteString {
        if !self.renames() {
            return recorded.clone();
        }
        let rewritten = self.rewrites.iter().find_map(|(from, to)| {
            let rest = recorded.strip_prefix(from.as_str())?;
            (rest.is_empty() || rest.starts_with('/')).then(|| format!("{to}{rest}"))
        });
        let topic = rewritten.as_deref().unwrap_or(recorded);
        match &self.prefix {
            Some(prefix) => format!("{prefix}{topic}").into(),
            None => topic.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topics(rewrites: &[(&str, &str)], prefix: Option<&str>) -> Topics {
        Topics {
            filters: Vec::new(),
            rewrites: rewrites
                .iter()
                .map(|(from, to)| (from.to_string(), to.to_string()))
                .collect(),
            prefix: prefix.map(str::to_string),
        }
    }

    fn renamed(topics: &Topics, recorded: &str) -> String {
        topics.rename(&recorded.into()).to_string()
    }

    #[test]
    fn a_rewrite_replaces_whole_leading_levels_only() {
        let t = topics(&[("plant/1", "test/plant-1")], None);
        assert_eq!(renamed(&t, "plant/1/temp"), "test/plant-1/temp");
        assert_eq!(renamed(&t, "plant/1"), "test/plant-1");
        assert_eq!(renamed(&t, "plant/10/temp"), "plant/10/temp");
        assert_eq!(renamed(&t, "x/plant/1"), "x/plant/1");
    }

    #[test]
    fn the_first_rewrite_that_applies_wins_and_the_prefix_comes_after() {
        let t = topics(&[("a", "x"), ("a/b", "y")], Some("staging/"));
        assert_eq!(renamed(&t, "a/b/c"), "staging/x/b/c");
        assert_eq!(renamed(&t, "other"), "staging/other");
        let bare = topics(&[], Some("copy-"));
        assert_eq!(renamed(&bare, "a/b"), "copy-a/b");
    }

    #[test]
    fn filters_match_the_recorded_topic() {
        let t = Topics {
            filters: vec!["a/+".into(), "b/#".into()],
            ..Topics::default()
        };
        assert!(t.selects("a/1") && t.selects("b") && t.selects("b/2/3"));
        assert!(!t.selects("a/1/2") && !t.selects("c"));
        assert!(Topics::default().selects("anything"));
    }
}
