//! Topic names and topic filters (MQTT 5.0 §4.7, MQTT 3.1.1 §4.7): which strings
//! are valid, and which names a filter matches.

use std::fmt;

/// Why a topic name or filter is invalid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicError {
    pub topic: String,
    pub why: &'static str,
}

impl fmt::Display for TopicError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.topic, self.why)
    }
}

impl std::error::Error for TopicError {}

fn invalid(topic: &str, why: &'static str) -> Result<(), TopicError> {
    Err(TopicError {
        topic: topic.to_owned(),
        why,
    })
}

/// Checks a topic name, which a PUBLISH or a will is sent to: at least one
/// character, no wildcards [MQTT-4.7.3-1, MQTT-3.3.2-2], no U+0000.
pub fn validate_name(topic: &str) -> Result<(), TopicError> {
    if topic.is_empty() {
        return invalid(topic, "a topic name must not be empty");
    }
    // Byte by byte (both are ASCII, never inside a multi-byte character):
    // this runs for every message sent, and a search for either of two chars
    // decodes every character.
    if topic.bytes().any(|byte| matches!(byte, b'+' | b'#')) {
        return invalid(topic, "a topic name must not contain the wildcards + or #");
    }
    check_common(topic)
}

/// Checks a topic filter, which a SUBSCRIBE or UNSUBSCRIBE names: `+` stands
/// alone in its level, `#` alone in the last level [MQTT-4.7.1-1, -2], and a
/// shared subscription `$share/{group}/{filter}` names a group without wildcards
/// or slashes and a filter after it [MQTT-4.8.2-1, -2].
pub fn validate_filter(filter: &str) -> Result<(), TopicError> {
    if filter.is_empty() {
        return invalid(filter, "a topic filter must not be empty");
    }
    check_common(filter)?;
    let inner = match shared_parts(filter) {
        Some((group, inner)) => {
            if group.is_empty() || group.contains(['+', '#']) {
                return invalid(filter, "a share name must not be empty or contain + or #");
            }
            if inner.is_empty() {
                return invalid(
                    filter,
                    "a shared subscription needs a filter after the share name",
                );
            }
            inner
        }
        None if filter == "$share" || filter.starts_with("$share/") => {
            return invalid(filter, "a shared subscription is $share/{group}/{filter}");
        }
        None => filter,
    };
    let levels: Vec<&str> = inner.split('/').collect();
    for (i, level) in levels.iter().enumerate() {
        if level.contains('#') && (*level != "#" || i != levels.len() - 1) {
            return invalid(filter, "# must be the whole of the last level");
        }
        if level.contains('+') && *level != "+" {
            return invalid(filter, "+ must be a whole level");
        }
    }
    Ok(())
}

fn check_common(topic: &str) -> Result<(), TopicError> {
    if topic.len() > usize::from(u16::MAX) {
        return invalid(topic, "a topic must not be longer than 65535 bytes");
    }
    if topic.contains('\0') {
        return invalid(topic, "a topic must not contain U+0000");
    }
    Ok(())
}

/// The share name and inner filter of `$share/{group}/{filter}`.
pub fn shared_parts(filter: &str) -> Option<(&str, &str)> {
    filter.strip_prefix("$share/")?.split_once('/')
}

/// Whether `filter` is a shared subscription.
pub fn is_shared(filter: &str) -> bool {
    shared_parts(filter).is_some()
}

/// Whether the topic name `topic` matches the (valid) filter `filter`.
///
/// A shared subscription matches as its inner filter. A leading wildcard does
/// not match a name that starts with `$` [MQTT-4.7.2-1].
pub fn matches(filter: &str, topic: &str) -> bool {
    let filter = shared_parts(filter).map_or(filter, |(_, inner)| inner);
    if topic.starts_with('$') && filter.starts_with(['+', '#']) {
        return false;
    }
    let mut names = topic.split('/');
    for level in filter.split('/') {
        match (level, names.next()) {
            ("#", _) => return true,
            ("+", Some(_)) => {}
            (level, Some(name)) if level == name => {}
            _ => return false,
        }
    }
    names.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_reject_wildcards_and_emptiness() {
        assert!(validate_name("house/kitchen/temperature").is_ok());
        assert!(validate_name("/").is_ok());
        assert!(validate_name("$SYS/broker").is_ok());
        assert!(validate_name("").is_err());
        assert!(validate_name("house/+").is_err());
        assert!(validate_name("house/#").is_err());
        assert!(validate_name("a\0b").is_err());
    }

    #[test]
    fn filters_place_wildcards_whole() {
        for good in [
            "#",
            "+",
            "+/+",
            "a/#",
            "a/+/b",
            "/",
            "$share/g/a/#",
            "sport/tennis/#",
        ] {
            assert!(validate_filter(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "a#",
            "a/#/b",
            "a/b#",
            "a+/b",
            "a/+b",
            "$share/g",
            "$share//a",
            "$share/g+/a",
        ] {
            assert!(validate_filter(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn matching_follows_the_specification_examples() {
        // MQTT 5.0 §4.7.1.2 and §4.7.1.3
        assert!(matches("sport/tennis/player1/#", "sport/tennis/player1"));
        assert!(matches(
            "sport/tennis/player1/#",
            "sport/tennis/player1/ranking"
        ));
        assert!(matches("sport/#", "sport"));
        assert!(matches("sport/tennis/+", "sport/tennis/player1"));
        assert!(!matches("sport/tennis/+", "sport/tennis/player1/ranking"));
        assert!(matches("+/+", "/finance"));
        assert!(matches("/+", "/finance"));
        assert!(!matches("+", "/finance"));
        assert!(!matches("sport/+", "sport"));
        assert!(matches("sport/+", "sport/"));
        assert!(matches("#", "a/b/c"));
        // §4.7.2: $-topics and leading wildcards
        assert!(!matches("#", "$SYS/broker/clients"));
        assert!(!matches("+/monitor/Clients", "$SYS/monitor/Clients"));
        assert!(matches("$SYS/#", "$SYS/monitor/Clients"));
        assert!(matches("$SYS/monitor/+", "$SYS/monitor/Clients"));
        assert!(matches("$share/g/house/+", "house/kitchen"));
    }
}
