//! The command line: one clap definition that parses arguments and also
//! produces the man pages and shell completions.
//!
//! Flags follow mosquitto_pub and mosquitto_sub, so `-h` is the host and
//! `--help` is help; `-V` is the protocol version and `--version` the version.
//!
//! Layout:
//! - `mod.rs`: [`Cli`], [`Command`] and the exit codes
//! - `connection`: the argument groups the connecting commands share
//!   (connection, TLS, will, session, reconnect, ending, status, properties)
//! - `publish`, `subscribe`, `topics`, `replay`, `ping`, `will`, `bench`, `broker`, `config`: one
//!   command's arguments each
//! - `help`: the examples, notes and tables shown after `--help`'s options
//! - [`docs`]: the man pages and shell completions rendered from [`Cli`]

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Exit codes, documented in `--help`, the man pages and the README.
pub mod exit {
    /// Everything asked for was done.
    pub const SUCCESS: u8 = 0;
    /// A runtime failure: connection lost, a message not acknowledged, a timeout.
    pub const FAILURE: u8 = 1;
    /// The command line is wrong.
    pub const USAGE: u8 = 2;
    /// No MQTT connection could be made: the broker could not be reached, or
    /// it accepted the TCP connection and never answered CONNECT.
    pub const UNREACHABLE: u8 = 3;
    /// `broker`: it cannot listen where it was asked to (a port in use, an
    /// address not this machine's); the code of no connection, seen from the
    /// other side.
    pub const CANNOT_LISTEN: u8 = 3;
    /// The broker refused the connection: credentials, authorisation, the
    /// protocol version, ...
    pub const REFUSED: u8 = 4;
    /// `bench`: a second Ctrl-C stopped it at once, without its report, as
    /// for a process ended by SIGINT (128 + 2).
    pub const INTERRUPTED: u8 = 130;
    /// `sub`: stdout was closed, as for a process ended by SIGPIPE (128 + 13).
    pub const CLOSED_PIPE: u8 = 141;
    /// `replay`: the input is not a recording, or has a line that is not a
    /// recorded message: sysexits' EX_DATAERR, so that a script tells a bad
    /// file from a broker that failed.
    pub const BAD_RECORDING: u8 = 65;
}

/// The exit code table, as `--help`, the man pages and the README show it,
/// with extra rows for a command that has codes of its own.
macro_rules! exit_codes_help {
    ($($extra:expr),*) => {
        concat!(
            "Exit codes:
  0    success
  1    runtime failure: connection lost and not regained (--no-reconnect,
       retries used up, session taken over), message not acknowledged or
       in doubt, timeout (-W)
  2    usage error: wrong flags or values, invalid topic
  3    no connection: the broker could not be reached (refused, DNS, timeout)
       or did not answer CONNECT
  4    the broker refused the connection (credentials, not authorised,
       protocol version, redirected too often, ...)"
            $(, "\n  ", $extra)*
        )
    };
}

/// The exit code table.
pub const EXIT_CODES: &str = exit_codes_help!();

#[macro_use]
mod help;

mod bench;
mod broker;
mod config;
mod connection;
pub mod docs;
mod ping;
mod publish;
mod replay;
mod respond;
mod rr;
mod subscribe;
mod topics;
mod will;

pub use bench::{parse_duration, BenchArgs, BenchCommand, BenchMergeArgs, Scenario};
pub use broker::BrokerArgs;
pub use config::{ConfigAction, ConfigArgs, ConfigShowArgs};
use connection::qos_parser;
pub use connection::{
    ConnectPropertyArgs, ConnectionArgs, End, EndingArgs, MessagePropertyArgs, PayloadFormat,
    ProtocolVersion, ReadAheadArgs, ReconnectArgs, SchemaArgs, SessionArgs, StatusArgs, TlsArgs,
    TlsVersionArg, WillArgs,
};
use help::{
    BENCH_LONG_HELP, BROKER_LONG_HELP, CONFIG_LONG_HELP, PING_LONG_HELP, PUB_LONG_HELP,
    REPLAY_LONG_HELP, RESPOND_LONG_HELP, RR_LONG_HELP, SUB_LONG_HELP, TOPICS_LONG_HELP,
    WILL_LONG_HELP,
};
pub use ping::PingArgs;
pub use publish::{AckArgs, MessageSource, PubArgs};
pub use replay::ReplayArgs;
pub use respond::RespondArgs;
pub use rr::RrArgs;
pub use subscribe::{ColorChoice, OutputArgs, SubArgs};
pub use topics::TopicsArgs;
pub use will::WillTestArgs;

/// An MQTT command-line toolkit: publish, subscribe, and more
///
/// mqtk speaks MQTT 5.0, 3.1.1 and 3.1. mqtk pub and mqtk sub work like
/// mosquitto_pub and mosquitto_sub, with the same flags: -h is the host and
/// --help is help.
#[derive(Debug, Parser)]
#[command(
    name = "mqtk",
    version,
    disable_version_flag = true,
    after_help = EXIT_CODES,
    after_long_help = concat!(
        exit_codes_help!(
            concat!("65   replay: ", bad_recording_exit_code!()),
            concat!("130  bench: ", interrupted_exit_code!()),
            concat!("141  sub, ping: ", closed_pipe_exit_code!())
        ),
        "\n\n",
        environment_help!(no_color_environment!(), tz_environment!()),
        "\n\nRun 'mqtk <command> --help' for the options and examples of each command."
    ),
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// The configuration file [default: $XDG_CONFIG_HOME/mqtk/config.toml, or ~/.config/mqtk/config.toml]
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        env = "MQTK_CONFIG",
        help_heading = "Profile"
    )]
    pub config: Option<PathBuf>,

    /// Take the settings of [profiles.NAME] in the configuration file (flags and variables win)
    #[arg(
        long,
        global = true,
        value_name = "NAME",
        env = "MQTK_PROFILE",
        help_heading = "Profile"
    )]
    pub profile: Option<String>,

    /// Print the version
    #[arg(long, action = clap::ArgAction::Version)]
    version: Option<bool>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Publish messages: one, a file, or stdin whole or line by line
    ///
    /// The payload comes from exactly one of -m, -f, -s, -l and -n. mqtk pub
    /// connects, publishes and ends with DISCONNECT; with -q 1 or 2 it exits
    /// with status 0 only once the broker has acknowledged every message. With
    /// -l every line of stdin is a message, sent in order as fast as the broker
    /// takes them, none dropped.
    ///
    /// --no-disconnect and --disconnect-with-will end the connection abnormally
    /// on purpose, so that the broker publishes the will.
    #[command(
        disable_help_flag = true,
        after_help = EXIT_CODES,
        after_long_help = PUB_LONG_HELP,
    )]
    Pub(PubArgs),
    /// Subscribe to topics and print the messages that arrive
    ///
    /// Each message is printed as it arrives: the payload alone, with its topic
    /// (-v), as one JSON object per line (--json), or in a format of your own
    /// (-F); coloured on a terminal. A QoS 1 or 2 message is acknowledged only
    /// after it was written to stdout. A lost connection is re-established with
    /// backoff, unless --no-reconnect.
    #[command(
        disable_help_flag = true,
        after_help = EXIT_CODES,
        after_long_help = SUB_LONG_HELP,
    )]
    Sub(SubArgs),
    /// What is on the broker: its topics, how busy they are, what is retained
    ///
    /// Subscribes to -t (every topic, #, by default) for -W seconds or until
    /// Ctrl-C and prints a tree of the topics seen: for each, the messages
    /// received, the rate of live ones, the size of the last payload, the QoS
    /// seen, whether a retained message came with the subscription, and when
    /// the last message came. On a terminal the tree is redrawn in place as
    /// messages arrive; otherwise only the final tree is printed. --json gives
    /// the same as one JSON document.
    ///
    /// --retained lists the retained messages instead: topic, size and the
    /// start of the payload. --clear FILTER deletes the retained messages
    /// under FILTER with empty retained messages, then subscribes again to
    /// check that they are gone; without --yes it only lists what it would
    /// delete.
    #[command(
        disable_help_flag = true,
        after_help = EXIT_CODES,
        after_long_help = TOPICS_LONG_HELP,
    )]
    Topics(TopicsArgs),
    /// Publish a recording of mqtk sub --json again, at its pace
    ///
    /// Each recorded message goes out with its topic, payload, QoS, retain
    /// flag and MQTT 5 properties, at the pace it was recorded: each is due
    /// at the start plus its recorded offset from the first (divided by
    /// --speed), so a late message does not delay the rest. FILE - reads
    /// stdin as it comes, so that mqtk sub --json | mqtk replay - copies one
    /// broker's messages into another. -t replays a subset, --topic-prefix
    /// and --topic-rewrite into another namespace. QoS 1 and 2 messages are
    /// published as pub publishes them: none lost across a lost connection,
    /// and exit 0 only once every one is acknowledged.
    #[command(
        disable_help_flag = true,
        after_help = concat!(exit_codes_help!(concat!("65   ", bad_recording_exit_code!()))),
        after_long_help = REPLAY_LONG_HELP,
    )]
    Replay(ReplayArgs),
    /// Send a request and wait for its response, as mosquitto_rr does
    ///
    /// mqtk rr subscribes to the response topic (-e, or one made up under
    /// mqtk/rr/), publishes the request to -t and prints the response as
    /// mqtk sub prints a message. Under MQTT 5 the request carries a Response
    /// Topic and Correlation Data, and a message with another correlation is
    /// not taken for the answer. MQTT 3.1.1 has neither: the first message on
    /// the response topic is the answer, unless --correlate-json matches a
    /// field of JSON payloads. --repeat asks again after each answer and ends
    /// with a summary of the round trips, as ping(8) does.
    #[command(
        disable_help_flag = true,
        after_help = EXIT_CODES,
        after_long_help = RR_LONG_HELP,
    )]
    Rr(RrArgs),
    /// Answer requests: run a command for each, or answer with a fixed text
    ///
    /// mqtk respond subscribes to -t and answers every request on its
    /// Response Topic (or --response-topic, made from the request), with its
    /// Correlation Data and at its QoS. The answer is -m's text, or what the
    /// command after -- prints with the request's payload on its stdin and the
    /// rest of the request in MQTK_ environment variables. A QoS 1 or 2
    /// request is acknowledged only once its answer is out, so a responder
    /// that dies in between leaves it to the broker to deliver again.
    #[command(
        disable_help_flag = true,
        after_help = EXIT_CODES,
        after_long_help = RESPOND_LONG_HELP,
    )]
    Respond(RespondArgs),
    /// Test a last will: end a connection on purpose and watch the will arrive
    ///
    /// An observer subscribes to the will topic; then a device connection
    /// with the will (--will-topic, --will-payload, ... and -x) ends the way
    /// --end says. mqtk will reports whether the will arrived, after how long
    /// and as what, and holds that against what the MQTT specification
    /// requires for that ending, will delay and session expiry: exit 0 when
    /// the broker behaved as specified (or where the specification allows
    /// either), 1 with the rule it broke. A retained will stays on its topic,
    /// as a real device's would.
    #[command(
        disable_help_flag = true,
        after_help = EXIT_CODES,
        after_long_help = WILL_LONG_HELP,
    )]
    Will(WillTestArgs),
    /// Measure how the broker answers: connect time, round trips, what it offers
    ///
    /// Like ping(8): connects, prints how long each phase took (name
    /// resolution, TCP, the SOCKS5 proxy, TLS, the WebSocket upgrade, CONNECT
    /// to CONNACK), then times one PINGREQ round trip every -i seconds, until
    /// -c round trips or Ctrl-C, and prints a summary. Exit 0 when every round
    /// trip was answered, 1 when one was not.
    ///
    /// A lost connection is made again as pub and sub do, while the round
    /// trips keep their schedule: those due meanwhile count as sent and lost,
    /// the outage is one line, and the summary counts the reconnects.
    /// --no-reconnect ends ping at the first loss instead, after the summary.
    ///
    /// --publish times a message through the broker instead: to a topic of its
    /// own, and back. --info prints what the broker said in its CONNACK, and
    /// which values it sent and which are defaults. Over TLS, -v and --info
    /// print what the handshake agreed on and the broker's certificates, with
    /// a warning for one that expires within 30 days.
    #[command(
        disable_help_flag = true,
        after_help = EXIT_CODES,
        after_long_help = PING_LONG_HELP,
        mut_arg("id", |a| a
            .short(None)
            .help("Client identifier, --id only (-i is the interval) [default: mqtk- and random characters]")),
    )]
    Ping(PingArgs),
    /// Load-test a broker: many connections, a target rate, loss and latency
    ///
    /// Publishers (-c) send -s byte messages at QoS -q, at -R messages per
    /// second in all or as fast as the in-flight window allows, for -d or -n
    /// messages each; subscribers count what arrives. Each payload carries its
    /// publisher, a sequence number and the time it was due, so the report
    /// counts loss, duplicates and reordering, and measures latency from the
    /// scheduled time (a stall shows as latency, not as a lower rate). While
    /// it runs, a live display on stderr; at the end, a summary on stdout and,
    /// with --json, the same as JSON with the latency histograms.
    ///
    /// Exit 0 when the run completed; 1 when --max-loss or --max-p99 was
    /// exceeded; 3 or 4 when no connection could be made.
    #[command(
        disable_help_flag = true,
        after_help = EXIT_CODES,
        after_long_help = BENCH_LONG_HELP,
        // `bench merge REPORT...`, while `bench -c 10 merge` is a mistake, not a merge.
        args_conflicts_with_subcommands = true,
        disable_help_subcommand = true,
        mut_arg("id", |a| a
            .help("Client identifier template, with %i the connection's index [default: mqtk-bench- random characters -%i]")),
        mut_arg("id_prefix", |a| a.short(None)),
        mut_arg("debug", |a| a.short(None)),
        mut_arg("disable_clean_start", |a| a
            .short(None)
            .help("Resume each connection's session instead of starting clean (fix the ids with -i)")),
        mut_arg("session_expiry", |a| a
            .help("Session expiry interval in seconds (MQTT 5) [default: 0, or forever with --disable-clean-start]")),
    )]
    Bench(BenchArgs),
    /// Run an MQTT broker on this machine, for experiments (an embedded rumqttd)
    ///
    /// An embedded rumqttd 0.20 on -h (127.0.0.1: this machine only), which
    /// speaks one protocol version per listener: MQTT 3.1.1 on -p (1883) and
    /// MQTT 5 on the port after it (1884). No authentication, TLS, WebSocket
    /// or persistence. The first line on stdout says where it listens; Ctrl-C
    /// stops it, with exit status 0.
    ///
    /// It is set up for load: up to 200,000 connections, packets up to MQTT's
    /// largest (256 MiB), big batches, and no logging. It deviates from the
    /// MQTT specification as listed below.
    #[command(
        disable_help_flag = true,
        after_help = broker_exit_codes!(),
        after_long_help = BROKER_LONG_HELP,
    )]
    Broker(BrokerArgs),
    /// Profiles: show the settings a command would use, print the file's path, check the file
    ///
    /// The configuration file is TOML: a [default] table for every command,
    /// [profiles.NAME] tables chosen with --profile, and tables for one
    /// command inside either ([profiles.NAME.sub]). Keys are the long names
    /// of the options; the password goes in pw-file, pw-env (a variable's
    /// name) or, in a file only its owner may read, password. Relative paths
    /// start at the file's folder. A flag wins over an environment variable,
    /// which wins over the file, which wins over the built-in default.
    #[command(after_help = EXIT_CODES, after_long_help = CONFIG_LONG_HELP)]
    Config(ConfigArgs),
    /// Write the shell completions and man pages (for packagers and the docs test)
    #[command(name = "generate-docs", hide = true)]
    GenerateDocs(GenerateDocsArgs),
}

/// Arguments of the hidden `mqtk generate-docs`.
#[derive(Debug, Args)]
pub struct GenerateDocsArgs {
    /// Write DIR/completions/* and DIR/man/*, e.g. the project root
    #[arg(value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,

    /// Write nothing; exit with status 1 when the files in DIR are not current
    #[arg(long)]
    pub check: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn dash_h_is_the_host_and_dash_v_the_protocol() {
        let cli = Cli::try_parse_from([
            "mqtk", "pub", "-h", "broker", "-V", "mqttv311", "-t", "a", "-m", "x",
        ])
        .unwrap();
        let Command::Pub(args) = cli.command else {
            panic!("not pub")
        };
        assert_eq!(args.connection.host, "broker");
        assert_eq!(
            args.connection.protocol_version,
            Some(ProtocolVersion::V311)
        );
    }

    #[test]
    fn ping_takes_dash_i_and_dash_c_as_ping8_does_and_the_client_id_as_long_only() {
        let cli = Cli::try_parse_from([
            "mqtk", "ping", "-c", "3", "-i", "0.2", "-W", "0.5", "--id", "me",
        ])
        .unwrap();
        let Command::Ping(args) = cli.command else {
            panic!("not ping")
        };
        assert_eq!(args.count, Some(3));
        assert_eq!(args.interval, 0.2);
        assert_eq!(args.timeout, 0.5);
        assert_eq!(args.connection.id.as_deref(), Some("me"));
        // -i is still the client identifier elsewhere.
        let cli = Cli::try_parse_from(["mqtk", "sub", "-i", "me", "-c", "-t", "a"]).unwrap();
        let Command::Sub(args) = cli.command else {
            panic!("not sub")
        };
        assert_eq!(args.connection.id.as_deref(), Some("me"));
        assert!(args.session.disable_clean_start);
        // ping has no session flags, and -q and -s belong to --publish.
        assert!(Cli::try_parse_from(["mqtk", "ping", "-x", "10"]).is_err());
        assert!(Cli::try_parse_from(["mqtk", "ping", "-q", "1"]).is_err());
        assert!(Cli::try_parse_from(["mqtk", "ping", "--publish", "-q", "1", "-s", "8"]).is_ok());
        assert!(Cli::try_parse_from(["mqtk", "ping", "-c", "0"]).is_err());
    }

    #[test]
    fn ping_takes_the_reconnect_flags_of_pub_and_sub() {
        let parse = |args: &[&str]| match Cli::try_parse_from([&["mqtk", "ping"], args].concat()) {
            Ok(Cli {
                command: Command::Ping(args),
                ..
            }) => Ok(args.reconnect),
            Ok(_) => panic!("not ping"),
            Err(e) => Err(e),
        };
        let reconnect = parse(&[]).unwrap();
        assert!(!reconnect.no_reconnect);
        assert_eq!(reconnect.reconnect_retries, None);
        assert!(parse(&["--no-reconnect"]).unwrap().no_reconnect);
        let bounded = parse(&["--reconnect-retries", "3", "--connect-retries", "2"]).unwrap();
        assert_eq!(bounded.reconnect_retries, Some(3));
        assert_eq!(bounded.connect_retries, 2);
        assert!(parse(&["--no-reconnect", "--reconnect-retries", "3"]).is_err());
    }

    #[test]
    fn topics_watches_hash_by_default_and_clears_only_what_clear_names() {
        let parse = |args: &[&str]| Cli::try_parse_from([&["mqtk", "topics"], args].concat());
        let Ok(Cli {
            command: Command::Topics(args),
            ..
        }) = parse(&["-W", "5"])
        else {
            panic!("not topics")
        };
        assert!(args.topics.is_empty() && args.clear.is_empty());
        assert_eq!((args.qos, args.timeout, args.settle), (2, Some(5.0), 1.0));
        assert!(parse(&["--clear", "old/#", "--yes"]).is_ok());
        // --yes says yes to --clear; -t and --clear would leave unclear what is deleted.
        assert!(parse(&["--yes"]).is_err());
        assert!(parse(&["-t", "a/#", "--clear", "old/#"]).is_err());
        // The retained listing subscribes at QoS 0.
        assert!(parse(&["--retained", "-q", "1"]).is_err());
    }

    #[test]
    fn a_message_source_is_required_and_unique() {
        assert!(Cli::try_parse_from(["mqtk", "pub", "-t", "a"]).is_err());
        assert!(Cli::try_parse_from(["mqtk", "pub", "-t", "a", "-m", "x", "-l"]).is_err());
    }

    #[test]
    fn the_format_help_lists_exactly_the_specifiers_the_printer_knows() {
        use crate::output::Template;
        let listed: Vec<char> = format_help!()
            .lines()
            .filter_map(|line| line.strip_prefix("  %"))
            .filter_map(|rest| rest.chars().next())
            .collect();
        assert!(listed.len() > 20, "the table was not found: {listed:?}");
        for letter in ('a'..='z').chain('A'..='Z').chain(['%']) {
            let parsed = Template::parse(&format!("%{letter}"));
            assert_eq!(
                parsed.is_ok(),
                listed.contains(&letter),
                "%{letter}: help and printer disagree"
            );
        }
    }
}
