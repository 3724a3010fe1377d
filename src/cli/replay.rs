//! The arguments of `mqtk replay`.

use std::path::PathBuf;

use clap::Args;

use super::{ConnectionArgs, EndingArgs, ReadAheadArgs, ReconnectArgs, SessionArgs, StatusArgs};

/// Arguments of `mqtk replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// A recording made by mqtk sub --json, one message a line; - reads stdin, as it comes
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// Replay only the messages whose recorded topic matches FILTER (repeatable; + and # wildcards)
    #[arg(
        short = 't',
        long = "topic",
        value_name = "FILTER",
        help_heading = "Replay"
    )]
    pub topics: Vec<String>,

    /// Pace: 2 replays twice as fast as recorded, 0.5 at half the pace, 0 as fast as the broker takes them
    #[arg(
        long,
        value_name = "FACTOR",
        default_value_t = 1.0,
        help_heading = "Replay"
    )]
    pub speed: f64,

    /// Replay the recording this many times, each pass after the last (not with -)
    #[arg(long = "loop", value_name = "COUNT", default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..), help_heading = "Replay")]
    pub loops: u64,

    /// First publish every retained message of the file, at once, then the others at their pace (not with -)
    #[arg(long = "retained-first", help_heading = "Replay")]
    pub retained_first: bool,

    /// Put PREFIX before every topic, as it is: --topic-prefix staging/ makes a/b staging/a/b
    #[arg(long = "topic-prefix", value_name = "PREFIX", help_heading = "Topics")]
    pub topic_prefix: Option<String>,

    /// Replace the leading topic levels FROM with TO: plant/1=test/1 makes plant/1/t test/1/t, not plant/10/t (repeatable; the first that applies)
    #[arg(long = "topic-rewrite", value_name = "FROM=TO", value_parser = parse_rewrite, help_heading = "Topics")]
    pub topic_rewrites: Vec<(String, String)>,

    #[command(flatten)]
    pub ending: EndingArgs,

    #[command(flatten)]
    pub status: StatusArgs,

    #[command(flatten)]
    pub reconnect: ReconnectArgs,

    #[command(flatten)]
    pub read_ahead: ReadAheadArgs,

    #[command(flatten)]
    pub session: SessionArgs,

    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// `FROM=TO`, each side one or more topic levels.
fn parse_rewrite(text: &str) -> Result<(String, String), String> {
    let (from, to) = text
        .split_once('=')
        .ok_or_else(|| format!("expected FROM=TO, got {text:?}"))?;
    for (side, levels) in [("FROM", from), ("TO", to)] {
        if levels.is_empty() {
            return Err(format!("{side} is empty in {text:?}"));
        }
        if levels.contains(['+', '#']) {
            return Err(format!(
                "{side} {levels:?} has a wildcard: it names topic levels"
            ));
        }
    }
    Ok((from.to_string(), to.to_string()))
}

#[cfg(test)]
mod tests {
    use super::parse_rewrite;

    #[test]
    fn a_rewrite_is_two_sides_of_topic_levels() {
        assert_eq!(
            parse_rewrite("plant/1=test/plant-1"),
            Ok(("plant/1".into(), "test/plant-1".into()))
        );
        assert_eq!(parse_rewrite("a=b=c"), Ok(("a".into(), "b=c".into())));
        assert!(parse_rewrite("plant").is_err());
        assert!(parse_rewrite("=x").is_err());
        assert!(parse_rewrite("x=").is_err());
        assert!(parse_rewrite("a/+=b").is_err());
    }
}
