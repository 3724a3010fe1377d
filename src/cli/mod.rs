//! The command line: one clap definition that parses arguments and also
//! produces the man pages and shell completions.
//!
//! Flags follow mosquitto_pub and mosquitto_sub, so `-h` is the host and
//! `--help` is help; `-V` is the protocol version and `--version` the version.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::codec::MAX_VARINT;

mod bench;
pub use bench::{parse_duration, BenchArgs, Scenario};

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
    /// `sub`: stdout was closed, as for a process ended by SIGPIPE (128 + 13).
    pub const CLOSED_PIPE: u8 = 141;
}

// The help sections are macros so that `concat!` can join them into the
// static strings clap wants. They follow one layout, which `docs` turns into
// man page sections (see `docs::help_sections`): a block starts with a
// "Title:" line; "  NAME  text" lines (two spaces around NAME) are entries of
// a table, other lines indented by two are paragraphs, and lines indented by
// four are commands after a paragraph or continue the entry above.

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

/// The environment variables, with extra rows for a command that reads more.
macro_rules! environment_help {
    ($($extra:expr),*) => {
        concat!(
            "Environment:
  MQTK_PASSWORD  password, when neither -P nor --pw-file is given"
            $(, "\n  ", $extra)*
        )
    };
}

/// The exit code `sub` adds, 141.
macro_rules! closed_pipe_exit_code {
    () => {
        "stdout was closed (mqtk sub ... | head -3), as for a process ended by SIGPIPE"
    };
}

/// The variables `sub` adds.
macro_rules! no_color_environment {
    () => {
        "NO_COLOR       when set and not empty, never colour the output, unless --color always"
    };
}

macro_rules! tz_environment {
    () => {
        "TZ             the zone of local times in -F (%I, @): a name (Europe/Berlin) or a POSIX
                 rule (UTC-2 is two hours east); unset, the zone /etc/localtime holds"
    };
}

macro_rules! pub_examples {
    () => {
        "Examples:
  Publish a reading from a script, waiting for the broker's acknowledgement:
    mqtk pub -h broker -t house/kitchen/temperature -m 21.5 -q 1
  Publish every line of a log as it grows:
    tail -F sensor.log | mqtk pub -t sensors/raw -l
  Publish a file as one retained message:
    mqtk pub -t config/device1 -f device1.json -r
  Set a will and vanish without DISCONNECT, so the broker publishes it:
    mqtk pub -t dev/1/status -m up --will-topic dev/1/status --will-payload down --no-disconnect
  and watch it arrive, in another shell:
    mqtk sub -t dev/1/status -v"
    };
}

macro_rules! sub_examples {
    () => {
        "Examples:
  Watch every temperature in the house, with topics:
    mqtk sub -t 'house/+/temperature' -v
  Feed messages to jq, one JSON object per line:
    mqtk sub -t 'house/#' --json | jq .payload
  Wait for one message, at most 10 seconds:
    mqtk sub -t dev/1/status -C 1 -W 10
  Print in a format of your own, here the time, topic and payload:
    mqtk sub -t '#' -F '%I %t %p'"
    };
}

macro_rules! ping_examples {
    () => {
        "Examples:
  Is the broker there? Five round trips, a summary, exit 0 when all were answered:
    mqtk ping -h broker -c 5
  What the broker offers (MQTT 5 CONNACK properties), and one round trip:
    mqtk ping -h broker --info -c 1
  The TLS version, cipher suite and certificate chain, and when it expires:
    mqtk ping -h broker --tls -v -c 1
  A message through the broker and back, at QoS 1, ten times a second:
    mqtk ping -h broker --publish -q 1 -i 0.1 -c 50
  The whole result as JSON, for a monitoring script:
    mqtk ping -h broker -c 3 --json | jq .summary"
    };
}

/// What `ping` says about the flags it takes from ping(8), and how it matches answers.
macro_rules! ping_notes_help {
    () => {
        "Notes:
  As in ping(8), -c is the count, -i the interval and -W the timeout of one
  round trip. So the client identifier is --id only (-i elsewhere), and ping
  has no session flags (-c is --disable-clean-start elsewhere).
  A PINGRESP carries no identifier: answers are matched in order, and one that
  comes after its timeout counts as lost and is not taken for a later answer.
  While the connection is down, as ping(8) does, a round trip is still due every
  -i seconds and counts as sent and lost (and towards -c); so do those out when it
  was lost. Keep alive (-k) notices a dead path after 1.5 times its interval."
    };
}

// What `output::Template` implements; a test below keeps the two in step.
macro_rules! format_help {
    () => {
        r#"Format (-F):
  -F prints each message in a format of its own, followed by a newline unless -N.
  Between % and the letter, - aligns left, 0 pads numbers with zeros, a number is
  the minimum width and .N the maximum width of text (the decimals of %d and %f).
  An absent MQTT 5 property prints nothing.
  %t  topic
  %p  payload, the bytes as received
  %q  QoS
  %r  retain flag, 0 or 1
  %l  payload length in bytes
  %m  packet id, 0 for QoS 0
  %x  payload as lowercase hex
  %X  payload as uppercase hex
  %d  payload as an 8-byte IEEE 754 double, little-endian
  %f  payload as a 4-byte IEEE 754 float, little-endian
  %j  the --json object, payload as a string
  %J  the --json object, a JSON payload embedded as JSON
  %I  ISO 8601 local time: 2025-11-25T14:04:05+0100
  %U  Unix time with nanoseconds: 1764075845.123456789
  %A  topic alias (MQTT 5)
  %C  content type (MQTT 5)
  %D  correlation data, the bytes as received (MQTT 5)
  %E  message expiry interval (MQTT 5)
  %F  payload format indicator, 0 or 1 (MQTT 5)
  %P  user properties, as key:value key:value (MQTT 5)
  %R  response topic (MQTT 5)
  %S  subscription identifiers, as 3,9 (MQTT 5)
  %%  a percent sign
  @ and a letter prints the time the message arrived, in local time (see TZ below),
  as strftime does in the C locale:
  @Y @y @C @G @g     year
  @m @b @B @h        month
  @d @e @j           day
  @H @I @k @l        hour
  @M @S @N           minute, second, nanoseconds
  @s                 Unix seconds
  @a @A @u @w        weekday
  @U @W @V           week
  @p @P              AM or PM, am or pm
  @F @T @D @R @r     date and time combinations
  @c @x @X           date and time combinations
  @z @Z              offset and zone name, as +0100 and CET
  @n @t @% @@        newline, tab, a percent sign, an at sign
  Escapes: \\ \0 \a \e \n \r \t \v"#
    };
}

/// The exit code table.
pub const EXIT_CODES: &str = exit_codes_help!();

const PUB_LONG_HELP: &str = concat!(
    pub_examples!(),
    "\n\n",
    exit_codes_help!(),
    "\n\n",
    environment_help!()
);

const SUB_LONG_HELP: &str = concat!(
    sub_examples!(),
    "\n\n",
    format_help!(),
    "\n\n",
    exit_codes_help!(concat!("141  ", closed_pipe_exit_code!())),
    "\n\n",
    environment_help!(no_color_environment!(), tz_environment!())
);

macro_rules! will_examples {
    () => {
        "Examples:
  Does the broker publish the will of a device whose network vanished?
    mqtk will --will-topic dev/1/status --will-payload gone --end reset
  A will delayed 5 s, with a session that outlives it:
    mqtk will --will-topic d/1 --will-payload gone --will-delay 5 -x 60 -i dev1
  A device that falls silent, noticed after 1.5 times its keep alive:
    mqtk will --will-topic d/1 --will-payload gone -k 2 --end silent
  A normal DISCONNECT, after which no will may come, for CI:
    mqtk will --will-topic d/1 --end disconnect --json"
    };
}

const WILL_LONG_HELP: &str = concat!(
    will_examples!(),
    "\n\n",
    "What is checked:
  disconnect            no will may come [MQTT-3.14.4-3]
  disconnect-with-will  the will comes (MQTT 5, reason 0x04)
  close, reset          the will comes [MQTT-3.1.2-8]
  silent                the broker closes after 1.5 x keep alive, then the will comes
  takeover              the will comes; with a will delay (MQTT 5) it must not when the
                        new connection resumes the session (-c), and either is allowed
                        after a clean start
  The will must not come before the shorter of its delay and the session expiry
  (MQTT 5), at its own QoS, with its payload and properties, and a retained will is
  retained for a later subscriber.",
    "\n\n",
    exit_codes_help!(),
    "\n\n",
    environment_help!()
);

const PING_LONG_HELP: &str = concat!(
    ping_examples!(),
    "\n\n",
    ping_notes_help!(),
    "\n\n",
    exit_codes_help!(
        "141  stdout was closed (mqtk ping ... | head -3), as for a process ended by SIGPIPE"
    ),
    "\n\n",
    environment_help!()
);

const BENCH_LONG_HELP: &str = concat!(
    "Examples:
  200 publishers at 50,000 messages/s in all, QoS 1, for a minute:
    mqtk bench pub -h broker -c 200 -R 50000 -s 64 -q 1 -d 60s
  Fan-in: 100 publishers, one subscriber to all of them:
    mqtk bench -c 100 -S 1 -T 'mqtk-bench/#'
  10,000 connections held for 5 minutes, 2,000 new ones a second:
    mqtk bench conn -c 10000 --connect-rate 2000 -k 300 -d 5m
  A CI gate: fail when a message is lost or p99 passes 20 ms:
    mqtk bench -q 1 -d 30s --max-p99 20 --json report.json

Notes:
  As in emqtt-bench, -c is the number of clients, -d the duration, -I the
  interval and -S the subscribers. So --debug, --id, --id-prefix and
  --disable-clean-start have no short forms here. --id is a template: %i is
  the connection's index (publishers first, then subscribers), and every
  connection needs an id of its own.
  Latency runs from the time a message was due, and needs the clocks of
  publisher and subscriber to agree: in one process they do.
  mosquitto delays small writes (Nagle) unless set_tcp_nodelay is true: at
  low rates, tens of milliseconds of latency are mosquitto waiting for a TCP
  acknowledgement.

",
    exit_codes_help!(),
    "\n\n",
    environment_help!()
);

macro_rules! broker_examples {
    () => {
        "Examples:
  A broker for experiments on this machine, MQTT 3.1.1 on 1883 and MQTT 5 on 1884:
    mqtk broker
  and, in other shells, a subscriber on the MQTT 5 port and a publisher:
    mqtk sub -p 1884 -t 'house/#' -v
    mqtk pub -t house/kitchen/temperature -m 21.5
  For other machines too, on ports 11883 and 11884:
    mqtk broker -h 0.0.0.0 -p 11883
  On two free ports, which the first line names:
    mqtk broker -p 0"
    };
}

/// The exit codes of `broker`, which listens instead of connecting.
macro_rules! broker_exit_codes {
    () => {
        "Exit codes:
  0    stopped by Ctrl-C
  1    the broker stopped by itself, or this mqtk was built without the broker
       (cargo feature broker)
  2    usage error: wrong flags or values
  3    cannot listen: a port is in use, or the address is not this machine's"
    };
}

/// What rumqttd 0.20 does otherwise than the MQTT specification says, as far as we know: from
/// its source and from trying it with mqtk (tests/broker.rs checks some).
macro_rules! broker_deviations {
    () => {
        "Deviations (rumqttd 0.20):
  Where rumqttd 0.20 departs from the MQTT specification, as far as known from
  its source and from trying it with mqtk pub and mqtk sub:
  versions        each listener speaks one protocol version and closes a CONNECT
                  of another without CONNACK, where MQTT 3.1.1 requires CONNACK
                  0x01; neither speaks MQTT 3.1. mqtk falls back to 3.1.1 itself.
  keep alive 0    a CONNECT with keep alive 0 (no keep alive) is closed without
                  CONNACK: use -k 1 or more
  QoS             a message, a will too, reaches a subscriber at the QoS of its
                  subscription, also when it was published at a lower one
  retained        an empty message deletes the retained message of its topic
                  even without the retain flag; a new subscription gets at most
                  100 retained messages (200 at QoS 0), and never the others
  options         the MQTT 5 subscription options No Local, Retain As Published
                  and Retain Handling are ignored: a client gets its own
                  messages, live ones always with retain 0, and the retained
                  ones with every new subscription
  $ topics        a SUBSCRIBE to a filter beginning with $ (but $share/) is
                  answered by closing the connection, so messages on such
                  topics reach no one
  UNSUBSCRIBE     gets one UNSUBACK for each of its filters the connection has
                  subscribed to itself, so none when it has none of them
  sessions        a session with clean start 0 (-c) outlives its connection even
                  with a Session Expiry Interval of 0 (-x 0)
  topic aliases   to a client that allows them (mqtk's clients do not), every
                  topic under a wildcard subscription comes with the alias of
                  the first: later messages seem to come on that topic
  client limits   the client's Receive Maximum and Maximum Packet Size are
                  ignored; up to 100 QoS 1 and 2 messages are in flight to each
                  subscriber
  slow readers    a subscriber more than about 1 GiB behind on a topic filter
                  (ten segments of 100 MiB) loses the oldest messages without a
                  word, at QoS 1 and 2 too"
    };
}

const BROKER_LONG_HELP: &str = concat!(
    broker_examples!(),
    "\n\n",
    broker_deviations!(),
    "\n\n",
    broker_exit_codes!(),
    "\n\n",
    "Environment:
  mqtk broker reads no environment variables."
);

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
        exit_codes_help!(concat!("141  sub, ping: ", closed_pipe_exit_code!())),
        "\n\n",
        environment_help!(no_color_environment!(), tz_environment!()),
        "\n\nRun 'mqtk <command> --help' for the options and examples of each command."
    ),
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

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

/// Arguments of `mqtk broker`.
#[derive(Debug, Args)]
pub struct BrokerArgs {
    /// Address to listen on: a name or an IP address, 0.0.0.0 (or ::) for every interface
    #[arg(short = 'h', long, default_value = "127.0.0.1")]
    pub host: String,

    /// Port of the MQTT 3.1.1 listener; MQTT 5 listens on the next one; 0 for two free ports
    #[arg(short = 'p', long, default_value_t = 1883)]
    pub port: u16,

    /// Print help
    #[arg(long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
}

/// Where the broker is and how to talk to it; shared by every subcommand.
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "Connection")]
pub struct ConnectionArgs {
    /// Broker host name or address
    #[arg(short = 'h', long, default_value = "localhost")]
    pub host: String,

    /// Broker port [default: 1883; 8883 with TLS, 80 with --ws, 443 with both]
    #[arg(short = 'p', long)]
    pub port: Option<u16>,

    /// The broker as a URL: mqtt[s]://[user[:password]@]host[:port][/topic], or over WebSocket ws[s]://[user[:password]@]host[:port][/path]; for pub and sub an mqtt[s] path is the topic (write # and + as %23 and %2B), a ws[s] path the WebSocket path [default: /mqtt]
    #[arg(short = 'L', long = "url", value_name = "URL", conflicts_with_all = ["host", "port", "unix"])]
    pub url: Option<String>,

    /// Connect to the broker's Unix domain socket at PATH instead of host and port
    #[arg(long = "unix", value_name = "PATH", conflicts_with_all = ["host", "port"])]
    pub unix: Option<PathBuf>,

    /// MQTT over WebSocket to -h and -p [default port: 80, 443 with TLS]; on too with --ws-path or --ws-header
    #[arg(long = "ws")]
    pub ws: bool,

    /// The HTTP path of the WebSocket upgrade [default: /mqtt]
    #[arg(long = "ws-path", value_name = "PATH")]
    pub ws_path: Option<String>,

    /// An HTTP header for the WebSocket upgrade, as 'Name: value', e.g. a broker's authorization (repeatable)
    #[arg(long = "ws-header", value_name = "HEADER", value_parser = parse_header)]
    pub ws_headers: Vec<(String, String)>,

    /// Reach the broker through a SOCKS5 proxy: socks5h://[user:password@]host[:port] (the proxy resolves the broker's name) or socks5:// (mqtk does) [default port: 1080]
    #[arg(long = "proxy", value_name = "URL", conflicts_with = "unix")]
    pub proxy: Option<String>,

    /// MQTT version: 5, 3.1.1 or 3.1 [default: 5, falling back to 3.1.1]
    #[arg(short = 'V', long = "protocol-version", value_name = "VERSION")]
    pub protocol_version: Option<ProtocolVersion>,

    /// Client identifier; an empty one lets the broker assign it [default: mqtk- and random characters]
    #[arg(short = 'i', long = "id", value_name = "ID")]
    pub id: Option<String>,

    /// Client identifier prefix, completed with random characters
    #[arg(
        short = 'I',
        long = "id-prefix",
        value_name = "PREFIX",
        conflicts_with = "id"
    )]
    pub id_prefix: Option<String>,

    /// Keep alive in seconds; 0 disables it
    #[arg(
        short = 'k',
        long = "keepalive",
        value_name = "SECONDS",
        default_value_t = 60
    )]
    pub keepalive: u16,

    /// Seconds to wait for the connection and for the broker to answer CONNECT, SUBSCRIBE, UNSUBSCRIBE
    #[arg(
        long = "connect-timeout",
        value_name = "SECONDS",
        default_value_t = 10.0
    )]
    pub connect_timeout: f64,

    /// User name
    #[arg(short = 'u', long)]
    pub username: Option<String>,

    /// Password (visible to other users in ps: prefer --pw-file or MQTK_PASSWORD)
    #[arg(
        short = 'P',
        long = "pw",
        value_name = "PASSWORD",
        env = "MQTK_PASSWORD",
        hide_env_values = true
    )]
    pub password: Option<String>,

    /// Read the password from the first line of FILE
    #[arg(long = "pw-file", value_name = "FILE", conflicts_with = "password")]
    pub password_file: Option<PathBuf>,

    /// Print every packet sent and received on stderr
    #[arg(short = 'd', long)]
    pub debug: bool,

    #[command(flatten)]
    pub tls: TlsArgs,

    #[command(flatten)]
    pub will: WillArgs,

    /// Print help
    #[arg(long, action = clap::ArgAction::Help, help_heading = None)]
    pub help: Option<bool>,
}

/// TLS: on with --tls, an mqtts:// URL or any of the options that only TLS has.
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "TLS")]
pub struct TlsArgs {
    /// Use TLS, verifying the broker against the system's root certificates
    #[arg(long)]
    pub tls: bool,

    /// Trust the CA certificates in FILE (PEM) instead of the system's
    #[arg(long, value_name = "FILE")]
    pub cafile: Option<PathBuf>,

    /// Trust the CA certificates in the PEM files of DIR instead of the system's
    #[arg(long, value_name = "DIR")]
    pub capath: Option<PathBuf>,

    /// Client certificate chain (PEM), for brokers that ask for one; with --key
    #[arg(long, value_name = "FILE", requires = "key")]
    pub cert: Option<PathBuf>,

    /// Private key of --cert (PEM: PKCS#1, PKCS#8 or SEC1; RSA, ECDSA or Ed25519)
    #[arg(long, value_name = "FILE", requires = "cert")]
    pub key: Option<PathBuf>,

    /// Do not verify the broker's certificate at all (a warning says so every time)
    #[arg(long)]
    pub insecure: bool,

    /// The oldest TLS version to accept
    #[arg(long = "tls-version", value_name = "VERSION")]
    pub tls_version: Option<TlsVersionArg>,

    /// ALPN protocol to offer, e.g. x-amzn-mqtt-ca for AWS IoT on port 443 (repeatable)
    #[arg(long, value_name = "PROTOCOL")]
    pub alpn: Vec<String>,

    /// Server name to send (SNI) and verify, when it is not the host
    #[arg(long, value_name = "NAME")]
    pub sni: Option<String>,

    /// Append the TLS session keys to FILE, for Wireshark (SSLKEYLOGFILE works too)
    #[arg(long = "tls-keylog", value_name = "FILE")]
    pub tls_keylog: Option<PathBuf>,
}

impl TlsArgs {
    /// Whether any option asks for TLS.
    pub fn wanted(&self) -> bool {
        self.tls
            || self.cafile.is_some()
            || self.capath.is_some()
            || self.cert.is_some()
            || self.insecure
            || self.tls_version.is_some()
            || !self.alpn.is_empty()
            || self.sni.is_some()
    }
}

/// TLS versions by number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TlsVersionArg {
    #[value(name = "1.2", alias = "tlsv1.2")]
    V1_2,
    #[value(name = "1.3", alias = "tlsv1.3")]
    V1_3,
}

/// The last will: what the broker publishes when this client vanishes.
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "Last will")]
pub struct WillArgs {
    /// Topic of the will message
    #[arg(long = "will-topic", value_name = "TOPIC")]
    pub will_topic: Option<String>,

    /// Payload of the will message
    #[arg(long = "will-payload", value_name = "PAYLOAD", requires = "will_topic")]
    pub will_payload: Option<String>,

    /// QoS of the will message
    #[arg(long = "will-qos", value_name = "QOS", default_value_t = 0, value_parser = qos_parser(), requires = "will_topic")]
    pub will_qos: u8,

    /// Retain the will message
    #[arg(long = "will-retain", requires = "will_topic")]
    pub will_retain: bool,

    /// Seconds the broker waits before publishing the will (MQTT 5)
    #[arg(long = "will-delay", value_name = "SECONDS", requires = "will_topic")]
    pub will_delay: Option<u32>,

    /// Message expiry interval of the will in seconds (MQTT 5)
    #[arg(
        long = "will-message-expiry",
        value_name = "SECONDS",
        requires = "will_topic"
    )]
    pub will_message_expiry: Option<u32>,

    /// Content type of the will (MQTT 5)
    #[arg(
        long = "will-content-type",
        value_name = "TYPE",
        requires = "will_topic"
    )]
    pub will_content_type: Option<String>,

    /// User property of the will, as key=value (MQTT 5; repeatable)
    #[arg(long = "will-user-property", value_name = "KEY=VALUE", value_parser = parse_key_value, requires = "will_topic")]
    pub will_user_properties: Vec<(String, String)>,
}

/// Session persistence, for the commands where it matters.
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "Session")]
pub struct SessionArgs {
    /// Resume the session instead of starting clean (needs a fixed -i)
    #[arg(short = 'c', long = "disable-clean-start")]
    pub disable_clean_start: bool,

    /// Session expiry interval in seconds (MQTT 5) [default: 0, or forever with -c]
    #[arg(short = 'x', long = "session-expiry", value_name = "SECONDS")]
    pub session_expiry: Option<u32>,
}

/// What a long-running command does when its connection is lost.
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "Reconnect")]
pub struct ReconnectArgs {
    /// Exit on a lost connection instead of reconnecting
    #[arg(long = "no-reconnect")]
    pub no_reconnect: bool,

    /// Give up after this many failed tries to reconnect in one outage [default: no limit]
    #[arg(
        long = "reconnect-retries",
        alias = "maximum-reconnect-times",
        value_name = "COUNT",
        conflicts_with = "no_reconnect"
    )]
    pub reconnect_retries: Option<u32>,

    /// Try the first connection this many more times when the broker cannot be reached
    #[arg(long = "connect-retries", value_name = "COUNT", default_value_t = 0)]
    pub connect_retries: u32,
}

/// How a command ends its connection, to see what the broker does with the will.
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "Ending")]
pub struct EndingArgs {
    /// How to end the connection, and with it what the broker does with the will
    #[arg(long = "end", value_name = "HOW", default_value = "disconnect")]
    pub end: End,

    /// Same as --end close: no DISCONNECT, so the broker publishes the will
    #[arg(long = "no-disconnect", conflicts_with = "end")]
    pub no_disconnect: bool,

    /// Same as --end disconnect-with-will (MQTT 5)
    #[arg(long = "disconnect-with-will", conflicts_with_all = ["end", "no_disconnect"])]
    pub disconnect_with_will: bool,
}

impl EndingArgs {
    /// The ending asked for, by --end or one of its aliases.
    pub fn end(&self) -> End {
        match (self.no_disconnect, self.disconnect_with_will) {
            (true, _) => End::Close,
            (_, true) => End::DisconnectWithWill,
            _ => self.end,
        }
    }
}

/// The ways a connection can end, as a device's does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum End {
    /// DISCONNECT: the broker discards the will
    Disconnect,
    /// DISCONNECT with reason 0x04: the broker publishes the will (MQTT 5)
    DisconnectWithWill,
    /// Close the socket without DISCONNECT (TCP FIN)
    Close,
    /// Reset the socket (TCP RST), as when a device's network vanishes
    Reset,
    /// Send nothing more, PINGREQ included, until the broker gives up after 1.5 x keep alive
    Silent,
    /// Connect again with the same client identifier, which takes the session over
    Takeover,
}

/// The status pattern: a retained online message now, and offline when the
/// client goes, by its own hand or as its will.
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "Status")]
pub struct StatusArgs {
    /// Announce this client on TOPIC: retained online after connecting, offline at a clean exit, and offline as the will when it vanishes
    #[arg(long = "status", value_name = "TOPIC", conflicts_with = "will_topic")]
    pub status: Option<String>,

    /// The online announcement
    #[arg(
        long = "status-online",
        value_name = "TEXT",
        default_value = "online",
        requires = "status"
    )]
    pub status_online: String,

    /// The offline announcement
    #[arg(
        long = "status-offline",
        value_name = "TEXT",
        default_value = "offline",
        requires = "status"
    )]
    pub status_offline: String,

    /// QoS of both announcements
    #[arg(long = "status-qos", value_name = "QOS", default_value_t = 1, value_parser = qos_parser(), requires = "status")]
    pub status_qos: u8,
}

/// MQTT 5 properties of a published message.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "MQTT 5 message properties")]
pub struct MessagePropertyArgs {
    /// User property, as key=value (repeatable)
    #[arg(long = "user-property", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub user_properties: Vec<(String, String)>,

    /// Content type of the payload, e.g. application/json
    #[arg(long = "content-type", value_name = "TYPE")]
    pub content_type: Option<String>,

    /// Seconds after which the broker discards the message
    #[arg(long = "message-expiry", value_name = "SECONDS")]
    pub message_expiry: Option<u32>,

    /// Topic a receiver should answer on
    #[arg(long = "response-topic", value_name = "TOPIC")]
    pub response_topic: Option<String>,

    /// Correlation data sent with a request
    #[arg(long = "correlation-data", value_name = "DATA")]
    pub correlation_data: Option<String>,

    /// Payload format indicator: bytes (0) or utf8 (1)
    #[arg(long = "payload-format", value_name = "FORMAT")]
    pub payload_format: Option<PayloadFormat>,
}

/// Arguments of `mqtk pub`.
#[derive(Debug, Args)]
pub struct PubArgs {
    /// Topic to publish to (or the path of an -L URL)
    #[arg(
        short = 't',
        long,
        required_unless_present = "url",
        help_heading = "Message"
    )]
    pub topic: Option<String>,

    #[command(flatten)]
    pub source: MessageSource,

    /// Quality of service: 0, 1 or 2
    #[arg(short = 'q', long, default_value_t = 0, value_parser = qos_parser(), help_heading = "Message")]
    pub qos: u8,

    /// Ask the broker to retain the message
    #[arg(short = 'r', long, help_heading = "Message")]
    pub retain: bool,

    /// Publish the message this many times
    #[arg(long, value_name = "COUNT", default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..), help_heading = "Message")]
    pub repeat: u64,

    /// Seconds to wait between repeated messages
    #[arg(
        long = "repeat-delay",
        value_name = "SECONDS",
        default_value_t = 0.0,
        help_heading = "Message"
    )]
    pub repeat_delay: f64,

    #[command(flatten)]
    pub ending: EndingArgs,

    #[command(flatten)]
    pub status: StatusArgs,

    #[command(flatten)]
    pub properties: MessagePropertyArgs,

    #[command(flatten)]
    pub reconnect: ReconnectArgs,

    /// The most messages read ahead of the broker, while offline or waiting for acknowledgements; beyond, the input waits
    #[arg(
        long = "max-queued",
        value_name = "COUNT",
        default_value_t = 10_000,
        value_parser = clap::value_parser!(u32).range(1..),
        help_heading = "Reconnect"
    )]
    pub max_queued: u32,

    #[command(flatten)]
    pub session: SessionArgs,

    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// Arguments of `mqtk will`.
#[derive(Debug, Args)]
pub struct WillTestArgs {
    /// How the device connection ends
    #[arg(
        long = "end",
        value_name = "HOW",
        default_value = "close",
        help_heading = "Test"
    )]
    pub end: End,

    /// Seconds to wait for the will [default: what the rules need, plus 3]
    #[arg(long = "wait", value_name = "SECONDS", help_heading = "Test")]
    pub wait: Option<f64>,

    /// Print the whole result as one JSON object
    #[arg(long, help_heading = "Test")]
    pub json: bool,

    #[command(flatten)]
    pub session: SessionArgs,

    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// Where the payload comes from: exactly one of these.
#[derive(Debug, Args, Clone)]
#[group(required = true, multiple = false)]
pub struct MessageSource {
    /// The message payload
    #[arg(short = 'm', long, value_name = "MESSAGE", help_heading = "Message")]
    pub message: Option<String>,

    /// Send the contents of FILE as the message
    #[arg(short = 'f', long, value_name = "FILE", help_heading = "Message")]
    pub file: Option<PathBuf>,

    /// Read stdin to its end and send it as one message
    #[arg(short = 's', long = "stdin-file", help_heading = "Message")]
    pub stdin_file: bool,

    /// Send each line of stdin as a message
    #[arg(short = 'l', long = "stdin-line", help_heading = "Message")]
    pub stdin_line: bool,

    /// Send an empty message
    #[arg(short = 'n', long = "null-message", help_heading = "Message")]
    pub null_message: bool,
}

/// Arguments of `mqtk sub`.
#[derive(Debug, Args)]
pub struct SubArgs {
    /// Topic filter to subscribe to (repeatable; + and # wildcards)
    #[arg(
        short = 't',
        long = "topic",
        value_name = "FILTER",
        required_unless_present_any = ["unsubscribe", "url"],
        help_heading = "Subscription"
    )]
    pub topics: Vec<String>,

    /// Maximum QoS of the subscriptions: 0, 1 or 2
    #[arg(short = 'q', long, default_value_t = 0, value_parser = qos_parser(), help_heading = "Subscription")]
    pub qos: u8,

    /// Hide messages whose topic matches FILTER (repeatable)
    #[arg(
        short = 'T',
        long = "filter-out",
        value_name = "FILTER",
        help_heading = "Subscription"
    )]
    pub filter_out: Vec<String>,

    /// Unsubscribe from FILTER first, e.g. in a resumed session (repeatable)
    #[arg(
        short = 'U',
        long = "unsubscribe",
        value_name = "FILTER",
        help_heading = "Subscription"
    )]
    pub unsubscribe: Vec<String>,

    /// Do not receive our own messages (MQTT 5)
    #[arg(long = "no-local", help_heading = "Subscription")]
    pub no_local: bool,

    /// Keep the retain flag as published (MQTT 5)
    #[arg(long = "retain-as-published", help_heading = "Subscription")]
    pub retain_as_published: bool,

    /// When to send retained messages: 0 always, 1 for new subscriptions, 2 never (MQTT 5)
    #[arg(long = "retain-handling", value_name = "0|1|2", default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=2), help_heading = "Subscription")]
    pub retain_handling: u8,

    /// Subscription identifier the broker returns with each matching message (MQTT 5)
    #[arg(long = "subscription-id", value_name = "ID", value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_VARINT)), help_heading = "Subscription")]
    pub subscription_id: Option<u32>,

    /// Exit once the subscriptions are acknowledged
    #[arg(short = 'E', long = "exit-after-subscribe", help_heading = "Ending")]
    pub exit_after_subscribe: bool,

    /// Exit after COUNT messages
    #[arg(
        short = 'C',
        long = "count",
        value_name = "COUNT",
        help_heading = "Ending"
    )]
    pub count: Option<u64>,

    /// Exit with status 1 after SECONDS without the count reached
    #[arg(
        short = 'W',
        long = "timeout",
        value_name = "SECONDS",
        help_heading = "Ending"
    )]
    pub timeout: Option<f64>,

    /// Do not print stale retained messages
    #[arg(short = 'R', long = "no-retained", help_heading = "Ending")]
    pub no_retained: bool,

    /// Print only retained messages; exit when the first live one arrives
    #[arg(
        long = "retained-only",
        conflicts_with = "no_retained",
        help_heading = "Ending"
    )]
    pub retained_only: bool,

    /// Clear each retained message received
    #[arg(long = "remove-retained", help_heading = "Ending")]
    pub remove_retained: bool,

    /// Print the topic before each payload
    #[arg(short = 'v', long, help_heading = "Output")]
    pub verbose: bool,

    /// No newline after each message
    #[arg(short = 'N', long = "no-newline", help_heading = "Output")]
    pub no_newline: bool,

    /// Print each message in FORMAT (see Format, below)
    #[arg(short = 'F', long = "format", value_name = "FORMAT", conflicts_with_all = ["verbose", "json"], help_heading = "Output")]
    pub format: Option<String>,

    /// One JSON object per message per line, its timestamp in UTC
    #[arg(long, conflicts_with = "verbose", help_heading = "Output")]
    pub json: bool,

    /// Pretty-print a JSON payload
    #[arg(long, help_heading = "Output")]
    pub pretty: bool,

    /// When to colour the output
    #[arg(
        long,
        value_name = "WHEN",
        default_value = "auto",
        help_heading = "Output"
    )]
    pub color: ColorChoice,

    #[command(flatten)]
    pub ending: EndingArgs,

    #[command(flatten)]
    pub status: StatusArgs,

    #[command(flatten)]
    pub reconnect: ReconnectArgs,

    #[command(flatten)]
    pub session: SessionArgs,

    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// Arguments of `mqtk ping`.
#[derive(Debug, Args)]
pub struct PingArgs {
    /// Stop after COUNT round trips [default: until Ctrl-C]
    #[arg(short = 'c', long = "count", value_name = "COUNT", value_parser = clap::value_parser!(u64).range(1..), help_heading = "Ping")]
    pub count: Option<u64>,

    /// Seconds between round trips; fractions allowed
    #[arg(
        short = 'i',
        long = "interval",
        value_name = "SECONDS",
        default_value_t = 1.0,
        help_heading = "Ping"
    )]
    pub interval: f64,

    /// Seconds to wait for one answer; a later one counts as lost
    #[arg(
        short = 'W',
        long = "timeout",
        value_name = "SECONDS",
        default_value_t = 5.0,
        help_heading = "Ping"
    )]
    pub timeout: f64,

    /// Time a message through the broker instead: published to a topic of its own, received back
    #[arg(long, help_heading = "Ping")]
    pub publish: bool,

    /// QoS of the --publish messages: 0, 1 or 2
    #[arg(short = 'q', long, default_value_t = 0, value_parser = qos_parser(), requires = "publish", help_heading = "Ping")]
    pub qos: u8,

    /// Payload size of the --publish messages, in bytes (at least 8: a sequence number)
    #[arg(short = 's', long = "size", value_name = "BYTES", default_value_t = 16, value_parser = clap::value_parser!(u32).range(8..=i64::from(MAX_VARINT)), requires = "publish", help_heading = "Ping")]
    pub size: u32,

    /// Print what the broker said in CONNACK, one item a line, and the TLS details, then ping
    #[arg(long, help_heading = "Output")]
    pub info: bool,

    /// Print the TLS details: version, cipher suite, ALPN, and the broker's certificates (subject, issuer, names, expiry), with a warning for one that expires within 30 days
    #[arg(short = 'v', long, help_heading = "Output")]
    pub verbose: bool,

    /// Print the whole result as one JSON object at the end, and nothing else
    #[arg(long, help_heading = "Output")]
    pub json: bool,

    #[command(flatten)]
    pub ending: EndingArgs,

    #[command(flatten)]
    pub status: StatusArgs,

    #[command(flatten)]
    pub reconnect: ReconnectArgs,

    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// MQTT protocol versions, by the names mosquitto accepts too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProtocolVersion {
    #[value(name = "5", alias = "mqttv5", alias = "5.0")]
    V5,
    #[value(name = "3.1.1", alias = "mqttv311")]
    V311,
    #[value(name = "3.1", alias = "mqttv31")]
    V31,
}

/// The MQTT 5 payload format indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PayloadFormat {
    /// Unspecified bytes (0)
    #[value(alias = "0")]
    Bytes,
    /// UTF-8 text (1)
    #[value(alias = "1")]
    Utf8,
}

/// When to use colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set
    Auto,
    Always,
    Never,
}

fn qos_parser() -> clap::builder::RangedI64ValueParser<u8> {
    clap::value_parser!(u8).range(0..=2)
}

/// `Name: value`, as an HTTP header is written.
fn parse_header(text: &str) -> Result<(String, String), String> {
    let (name, value) = text
        .split_once(':')
        .ok_or_else(|| format!("expected 'Name: value', got {text:?}"))?;
    let name = name.trim();
    let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if name.is_empty() || !name.chars().all(token) {
        return Err(format!("{name:?} is not an HTTP header name"));
    }
    Ok((name.to_string(), value.trim().to_string()))
}

fn parse_key_value(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("expected key=value, got {text:?}"))
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
    fn a_websocket_header_is_a_name_and_a_value() {
        assert_eq!(
            parse_header("Authorization: Bearer a:b"),
            Ok(("Authorization".to_string(), "Bearer a:b".to_string()))
        );
        assert_eq!(parse_header("X-Empty:"), Ok(("X-Empty".into(), "".into())));
        assert!(parse_header("no colon").is_err());
        assert!(parse_header("two words: x").is_err());
        assert!(parse_header(": x").is_err());
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
