//! `--load FILE`: a mix of groups in one run, as a TOML file lists them,
//! each `[[group]]` a table whose keys are bench's long flag names where one
//! exists:
//!
//! ```toml
//! [[group]]
//! name = "sensors"
//! role = "publishers"      # or "subscribers", or "connections" (idle)
//! count = 2000             # connections, across all shards
//! topic = "site/%i/temp"   # %i counts from 0 in each group
//! rate = 2000              # msg/s for the whole group; or interval = "1s" each
//! qos = 0
//! size = 64
//!
//! [[group]]
//! name = "backend"
//! role = "subscribers"
//! count = 2
//! filter = "$share/be/site/+/temp"
//! qos = 1
//! ```
//!
//! A mistake is one line, `FILE:LINE: what`, and a usage error.

use std::path::Path;
use std::time::Duration;

use toml_edit::{ImDocument, Item, Table, Value};

use super::header::HEADER_LEN;
use super::plan::{Group, Pace, Role};
use super::template::Template;
use crate::cli::parse_duration;
use crate::codec::QoS;
use crate::commands::usage;

/// The keys a group may have.
const KEYS: &[&str] = &[
    "name",
    "role",
    "count",
    "topic",
    "filter",
    "share",
    "rate",
    "interval",
    "qos",
    "size",
    "retain",
    "keepalive",
    "session-expiry",
    "disable-clean-start",
    "max-loss",
    "max-p99",
];

/// The groups of the load file at `path`, in its order.
pub fn read(path: &Path) -> anyhow::Result<Vec<Group>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) => return usage(format!("--load: cannot read {}: {error}", path.display())),
    };
    parse(&text).or_else(|mistake| {
        let at = match mistake.line {
            Some(line) => format!("{}:{line}", path.display()),
            None => path.display().to_string(),
        };
        usage(format!("{at}: {}", mistake.message))
    })
}

/// A mistake in a load file, and its line where one is known.
#[derive(Debug, PartialEq)]
pub struct Mistake {
    pub line: Option<usize>,
    pub message: String,
}

/// The groups a load file's text lists.
pub fn parse(text: &str) -> Result<Vec<Group>, Mistake> {
    let document = ImDocument::parse(text).map_err(|e| Mistake {
        line: e.span().map(|span| line_of(text, span.start)),
        message: format!("not valid TOML: {}", e.message().trim().replace('\n', " ")),
    })?;
    let file = File { text };
    for (key, _) in document.iter() {
        if key != "group" {
            return Err(file.at_key(
                document.as_table(),
                key,
                format!("unknown key '{key}': a load file lists [[group]] tables"),
            ));
        }
    }
    let Some(Item::ArrayOfTables(tables)) = document.get("group") else {
        let line = document.as_table().get_key_value("group").map(|_| 1);
        return Err(Mistake {
            line,
            message: "no [[group]] tables: a load file lists at least one".into(),
        });
    };
    let mut groups: Vec<Group> = Vec::new();
    for table in tables.iter() {
        let group = file.group(table)?;
        if groups.iter().any(|g| g.name == group.name) {
            return Err(file.at_key(
                table,
                "name",
                format!("a second group named '{}'", group.name),
            ));
        }
        groups.push(group);
    }
    Ok(groups)
}

/// The file's text, for the lines its mistakes are on.
struct File<'a> {
    text: &'a str,
}

impl File<'_> {
    /// One `[[group]]` table.
    fn group(&self, table: &Table) -> Result<Group, Mistake> {
        let line = table.span().map(|span| line_of(self.text, span.start));
        for (key, _) in table.iter() {
            if !KEYS.contains(&key) {
                return Err(self.at_key(
                    table,
                    key,
                    format!("unknown key '{key}' (a group has {})", KEYS.join(", ")),
                ));
            }
        }
        let keys = Keys { file: self, table };
        let name = match keys.string("name")? {
            Some(name) if !name.is_empty() => name,
            Some(_) => return Err(keys.mistake("name", "a group's name is not empty".into())),
            None => {
                return Err(Mistake {
                    line,
                    message: "a group needs a name".into(),
                })
            }
        };
        // The rest of the mistakes name the group.
        let in_group = |mistake: Mistake| Mistake {
            message: format!("group '{name}': {}", mistake.message),
            ..mistake
        };
        self.group_named(&keys, &name, line).map_err(in_group)
    }

    fn group_named(&self, keys: &Keys, name: &str, line: Option<usize>) -> Result<Group, Mistake> {
        let Some(asked) = keys.string("role")? else {
            return Err(missing(
                line,
                "a role (publishers, subscribers or connections)",
            ));
        };
        let Some(role) = Role::ALL.into_iter().find(|role| role.name() == asked) else {
            return Err(keys.mistake(
                "role",
                format!("role '{asked}' is not publishers, subscribers or connections"),
            ));
        };
        let count = match keys.integer("count", 1, 16_777_215)? {
            Some(count) => count as u32,
            None => return Err(missing(line, "a count of connections")),
        };
        keys.only_for(
            role,
            Role::Publisher,
            &["topic", "rate", "interval", "size", "retain"],
        )?;
        keys.only_for(role, Role::Subscriber, &["filter", "share"])?;
        let topic = keys.template("topic")?;
        let (share, filter) = self.filter(keys, role, line)?;
        let pace = match (keys.number("rate")?, keys.string("interval")?) {
            (Some(_), Some(_)) => {
                return Err(keys.mistake("interval", "rate or interval, not both".into()))
            }
            (Some(rate), None) if rate > 0.0 && rate.is_finite() => Pace::Rate(rate),
            (Some(_), None) => {
                return Err(keys.mistake("rate", "a rate is a positive number".into()))
            }
            (None, Some(interval)) => match parse_duration(&interval) {
                Ok(interval) if interval.is_zero() => Pace::Unpaced,
                Ok(interval) => Pace::Interval(interval),
                Err(e) => return Err(keys.mistake("interval", e)),
            },
            (None, None) => Pace::Unpaced,
        };
        let qos = match keys.integer("qos", 0, 2)? {
            Some(1) => QoS::AtLeastOnce,
            Some(2) => QoS::ExactlyOnce,
            _ => QoS::AtMostOnce,
        };
        let max_loss = keys.number("max-loss")?;
        if max_loss.is_some_and(|l| !(0.0..=100.0).contains(&l)) {
            return Err(keys.mistake("max-loss", "a percentage from 0 to 100".into()));
        }
        let max_p99 = match keys.number("max-p99")? {
            Some(ms) if ms > 0.0 && ms.is_finite() => Some(Duration::from_secs_f64(ms / 1e3)),
            Some(_) => return Err(keys.mistake("max-p99", "a positive number of ms".into())),
            None => None,
        };
        Ok(Group {
            name: name.into(),
            role,
            count,
            first: 0,
            topic: topic.unwrap_or_else(|| default_topic(name)),
            filter,
            qos,
            retain: keys.boolean("retain")?.unwrap_or(false),
            size: keys
                .integer("size", HEADER_LEN as i64, 268_435_000)?
                .map_or(HEADER_LEN, |size| size as usize),
            pace,
            share,
            keep_alive: keys.integer("keepalive", 0, 65_535)?.map(|k| k as u16),
            session_expiry: (keys.integer("session-expiry", 0, i64::from(u32::MAX))?)
                .map(|x| x as u32),
            clean_start: keys.boolean("disable-clean-start")?.map(|disable| !disable),
            max_loss,
            max_p99,
        })
    }

    /// A subscriber group's share group and filter: `share`, or a filter
    /// written `$share/GROUP/FILTER`.
    fn filter(
        &self,
        keys: &Keys,
        role: Role,
        line: Option<usize>,
    ) -> Result<(Option<String>, Template), Mistake> {
        let text = keys.string("filter")?;
        let Some(text) = text else {
            if role == Role::Subscriber {
                return Err(missing(line, "a filter (subscribers)"));
            }
            return Ok((None, Template::parse("#").expect("a plain filter")));
        };
        let mut share = keys.string("share")?;
        let filter = match text.strip_prefix("$share/") {
            Some(rest) if share.is_none() => match rest.split_once('/') {
                Some((group, filter)) => {
                    share = Some(group.into());
                    filter.to_string()
                }
                None => {
                    return Err(keys.mistake("filter", "$share/GROUP/FILTER has no filter".into()))
                }
            },
            Some(_) => {
                return Err(keys.mistake("share", "share, or a $share/ filter: not both".into()))
            }
            None => text,
        };
        if share
            .as_ref()
            .is_some_and(|g| g.is_empty() || g.contains(['/', '+', '#']))
        {
            return Err(keys.mistake(
                "share",
                "a share group's name is not empty and has no /, + or #".into(),
            ));
        }
        let filter = Template::parse(&filter).map_err(|e| keys.mistake("filter", e))?;
        if filter.varies_per_message() {
            return Err(keys.mistake(
                "filter",
                "a subscription has no sequence number (%s) or random part (%rand_N)".into(),
            ));
        }
        Ok((share, filter))
    }

    fn at_key(&self, table: &Table, key: &str, message: String) -> Mistake {
        Mistake {
            line: table
                .get_key_value(key)
                .and_then(|(key, _)| key.span())
                .map(|span| line_of(self.text, span.start)),
            message,
        }
    }
}

/// The keys of one group's table, read as the types they must be.
struct Keys<'a> {
    file: &'a File<'a>,
    table: &'a Table,
}

impl Keys<'_> {
    fn mistake(&self, key: &str, message: String) -> Mistake {
        self.file
            .at_key(self.table, key, format!("{key}: {message}"))
    }

    fn value(&self, key: &str) -> Option<&Value> {
        self.table.get(key).and_then(Item::as_value)
    }

    fn string(&self, key: &str) -> Result<Option<String>, Mistake> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.value().clone())),
            Some(_) => Err(self.mistake(key, "expected a string".into())),
        }
    }

    fn integer(&self, key: &str, min: i64, max: i64) -> Result<Option<i64>, Mistake> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::Integer(i)) if (min..=max).contains(i.value()) => Ok(Some(*i.value())),
            Some(_) => {
                Err(self.mistake(key, format!("expected a whole number from {min} to {max}")))
            }
        }
    }

    fn number(&self, key: &str) -> Result<Option<f64>, Mistake> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::Integer(i)) => Ok(Some(*i.value() as f64)),
            Some(Value::Float(f)) => Ok(Some(*f.value())),
            Some(_) => Err(self.mistake(key, "expected a number".into())),
        }
    }

    fn boolean(&self, key: &str) -> Result<Option<bool>, Mistake> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::Boolean(b)) => Ok(Some(*b.value())),
            Some(_) => Err(self.mistake(key, "expected true or false".into())),
        }
    }

    fn template(&self, key: &str) -> Result<Option<Template>, Mistake> {
        (self.string(key)?)
            .map(|text| Template::parse(&text).map_err(|e| self.mistake(key, e)))
            .transpose()
    }

    /// Fails when a key of `keys`, which only `owner` takes, is in a group of another role.
    fn only_for(&self, role: Role, owner: Role, keys: &[&str]) -> Result<(), Mistake> {
        match keys.iter().find(|key| self.table.contains_key(key)) {
            Some(key) if role != owner => {
                Err(self.mistake(key, format!("only {} take it", owner.name())))
            }
            _ => Ok(()),
        }
    }
}

/// A key a group cannot go without, missing.
fn missing(line: Option<usize>, what: &str) -> Mistake {
    Mistake {
        line,
        message: format!("the group needs {what}"),
    }
}

/// A publisher group's topic when the file gives none: its own, per connection.
fn default_topic(name: &str) -> Template {
    let escaped = name.replace('%', "%%");
    Template::parse(&format!("mqtk-bench/{escaped}/%i")).expect("a plain template")
}

/// The line, counted from 1, of the byte at `at` in `text`.
fn line_of(text: &str, at: usize) -> usize {
    text[..at.min(text.len())].matches('\n').count() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIX: &str = r#"
[[group]]
name = "sensors"
role = "publishers"
count = 2000
topic = "site/%i/temp"
rate = 2000
qos = 0
size = 64

[[group]]
name = "dashboards"
role = "subscribers"
count = 20
filter = "site/+/temp"

[[group]]
name = "backend"
role = "subscribers"
count = 2
filter = "$share/be/site/+/temp"
qos = 1
max-p99 = 250
"#;

    #[test]
    fn a_mix_reads_as_its_groups() {
        let groups = parse(MIX).unwrap();
        assert_eq!(groups.len(), 3);
        let sensors = &groups[0];
        assert_eq!((sensors.role, sensors.count), (Role::Publisher, 2000));
        assert_eq!(sensors.pace, Pace::Rate(2000.0));
        assert_eq!(sensors.size, 64);
        let backend = &groups[2];
        assert_eq!(backend.share.as_deref(), Some("be"));
        assert_eq!(backend.filter, Template::parse("site/+/temp").unwrap());
        assert_eq!(backend.qos, QoS::AtLeastOnce);
        assert_eq!(backend.max_p99, Some(Duration::from_millis(250)));
    }

    #[test]
    fn a_mistake_names_its_line_and_group() {
        let mistake = |text: &str| parse(text).unwrap_err();
        let bad_qos = MIX.replace("qos = 1", "qos = 3");
        assert_eq!(
            mistake(&bad_qos),
            Mistake {
                line: Some(22),
                message: "group 'backend': qos: expected a whole number from 0 to 2".into()
            }
        );
        let unknown = MIX.replace("size = 64", "sise = 64");
        let unknown = mistake(&unknown);
        assert_eq!(unknown.line, Some(9));
        assert!(
            unknown.message.starts_with("unknown key 'sise'"),
            "{unknown:?}"
        );
        let filter_on_publishers = MIX.replace("rate = 2000", "filter = \"a\"");
        assert_eq!(
            mistake(&filter_on_publishers).message,
            "group 'sensors': filter: only subscribers take it"
        );
        let twice = MIX.replace("\"dashboards\"", "\"sensors\"");
        assert_eq!(mistake(&twice).line, Some(12));
        let no_count = MIX.replace("count = 20\n", "");
        assert_eq!(
            mistake(&no_count),
            Mistake {
                line: Some(11),
                message: "group 'dashboards': the group needs a count of connections".into()
            }
        );
        assert_eq!(mistake("[[group]\nname = 1").line, Some(1));
        assert_eq!(mistake("title = \"x\"\n").line, Some(1));
        assert!(mistake("").message.starts_with("no [[group]] tables"));
        let both = MIX.replace("rate = 2000", "rate = 2000\ninterval = \"1s\"");
        assert!(mistake(&both)
            .message
            .ends_with("rate or interval, not both"));
    }

    #[test]
    fn a_publisher_group_without_a_topic_has_its_own() {
        let groups = parse("[[group]]\nname = \"a%\"\nrole = \"publishers\"\ncount = 1").unwrap();
        assert_eq!(
            groups[0].topic,
            Template::parse("mqtk-bench/a%%/%i").unwrap()
        );
        assert_eq!(groups[0].pace, Pace::Unpaced);
    }
}
