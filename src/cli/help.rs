//! The help texts of `--help` and the man pages: examples, notes and the
//! `-F` reference, as macros so that one text is both a `concat!` piece and
//! a const.

// The help sections are macros so that `concat!` can join them into the
// static strings clap wants. They follow one layout, which `docs` turns into
// man page sections (see `docs::help_sections`): a block starts with a
// "Title:" line; "  NAME  text" lines (two spaces around NAME) are entries of
// a table, other lines indented by two are paragraphs, and lines indented by
// four are commands after a paragraph or continue the entry above.

/// The environment variables, with extra rows for a command that reads more.
macro_rules! environment_help {
    ($($extra:expr),*) => {
        concat!(
            "Environment:
  MQTK_CONFIG    the configuration file, when --config is not given
  MQTK_PROFILE   the profile, when --profile is not given
  MQTK_PASSWORD  password, when neither -P nor --pw-file is given"
            $(, "\n  ", $extra)*
        )
    };
}

/// The exit code `sub` adds, 141.
macro_rules! interrupted_exit_code {
    () => {
        "a second Ctrl-C stopped it at once, without the report"
    };
}

macro_rules! bad_recording_exit_code {
    () => {
        "the input is not a recording, or a line of it is not a recorded message"
    };
}

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

macro_rules! replay_examples {
    () => {
        "Examples:
  Record a day of a plant, every property and the QoS it was published at:
    mqtk sub -t 'plant/#' -q 2 --json > day.jsonl
  Replay it into a test broker ten times as fast:
    mqtk replay day.jsonl -h test-broker --speed 10
  Only the temperatures, as fast as the broker takes them, three times over:
    mqtk replay day.jsonl -t 'plant/+/temperature' --speed 0 --loop 3
  The retained state first, then the stream, under staging/:
    mqtk replay day.jsonl --retained-first --topic-prefix staging/
  Copy one broker's messages into another as they come:
    mqtk sub -h one -t 'a/#' -q 1 --json | mqtk replay - -h other"
    };
}

/// What `replay` takes from the recording, and how it paces it.
macro_rules! replay_notes_help {
    () => {
        "Notes:
  A recording is what mqtk sub --json writes: one JSON object a line (see the
  README, \"The recording format\"). Each message keeps its topic, payload,
  QoS, retain flag and properties: payload format, message expiry (as it was
  left when recorded), content type, response topic, correlation data and user
  properties. Packet ids, dup flags, subscription identifiers and topic aliases
  belong to the recording's connection and are not replayed. Under MQTT 3.1.1
  the properties are left out, and a line says so.
  The first message goes out at once; each other one at the start plus its
  offset_s from the first, divided by --speed (0: no pauses). Each loop
  follows the last, one mean gap between two messages later.
  -t and --topic-rewrite match the recorded topic; --topic-rewrite FROM=TO
  replaces FROM when it is the topic's whole first levels, then --topic-prefix
  is put before it. Response topics are not rewritten.
  --retained-first publishes the messages recorded with the retain flag first,
  in the order of the file (the last of a topic is the one a broker keeps),
  then the others at their pace, retained ones left out. With - there is
  nothing to read ahead: mqtk sub delivers the retained messages first anyway,
  so --retained-first and --loop are refused.
  A line that is not a recorded message ends the replay: the messages before it
  are published, then one line names the file and line, and the exit code is
  65. pub's -t, -m, -q and -r have no place here: each message brings its own,
  and -t is a filter, as in sub."
    };
}

macro_rules! rr_examples {
    () => {
        "Examples:
  Ask a service for the time and print its answer:
    mqtk rr -t svc/time/req -m now
  Answer within 5 seconds or exit 1, and say how long the answer took:
    mqtk rr -t svc/time/req -m now -W 5 --latency
  A hundred round trips at QoS 1, and their min/avg/max/mdev:
    mqtk rr -t svc/echo -m ping -q 1 --repeat 100
  An MQTT 3.1.1 broker: the correlation in the id field of JSON payloads:
    mqtk rr -V 3.1.1 -t svc/echo -m '{\"ask\":1}' --correlate-json id
  One request for each line of stdin, answered in turn:
    seq 3 | mqtk rr -t svc/square -l"
    };
}

/// How `rr` matches a response to its request.
macro_rules! rr_notes_help {
    () => {
        "Notes:
  Without -e the response topic is mqtk/rr/ and ten random characters.
  Under MQTT 5 each request carries a Response Topic and Correlation Data (ten
  random characters and the request's number, or --correlation-data), and only a
  message with the same correlation is its answer; others are acknowledged,
  counted and shown with -d. MQTT 3.1.1 has no properties: the first message on
  the response topic is the answer. --correlate-json FIELD is mqtk's convention
  for it: the request, a JSON object, gets FIELD as its first member (unless it
  has one, whose value is then the correlation), and a response is the answer
  when its FIELD has the same value; mqtk respond --correlate-json keeps to it.
  A response is acknowledged once it was written to stdout. Exit 1 when a
  request went unanswered within -W, the broker refused it, or the connection
  was lost."
    };
}

macro_rules! respond_examples {
    () => {
        "Examples:
  Tell the time to whoever asks:
    mqtk respond -t svc/time/req -- date -u +%s
  The same answer to every request:
    mqtk respond -t 'svc/+/ping' -m pong
  Four commands at once, each killed after 10 seconds:
    mqtk respond -t jobs/req -q 1 --jobs 4 --timeout 10 -- ./handle.sh
  MQTT 3.1.1: answer on the request's topic plus /reply, copying its id field:
    mqtk respond -V 3.1.1 -t svc/echo --response-topic %t/reply --correlate-json id -- cat"
    };
}

/// What `respond` gives the command, and when it answers nothing.
macro_rules! respond_notes_help {
    () => {
        "Notes:
  The command gets the request's payload on stdin and, in its environment,
  MQTK_TOPIC, MQTK_QOS, MQTK_RESPONSE_TOPIC, MQTK_CORRELATION_DATA,
  MQTK_CONTENT_TYPE and MQTK_USER_PROPERTIES (a JSON array of [key, value]
  pairs), those the request has. Its stdout, less a final newline, is the
  answer. A command that fails or outlives --timeout answers nothing
  (--answer-stderr answers its stderr instead), and a request that names no
  response topic is answered only with --response-topic. The request is
  acknowledged either way. Ctrl-C (or -C) takes no more requests, and ends once
  those in hand are answered; Ctrl-C while reconnecting ends at once."
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

// The `-F` reference, written once in the output module whose `Template`
// implements it (a test below keeps the two in step); its module docs show it too.
macro_rules! format_help {
    () => {
        include_str!("../output/format.txt")
    };
}

/// The end of the help of a command that prints messages as `sub` does: the -F
/// reference, the closed-pipe exit code, and the variables of colour and time.
macro_rules! printed_messages_help {
    () => {
        concat!(
            format_help!(), // its text ends with a newline
            "\n",
            exit_codes_help!(concat!("141  ", closed_pipe_exit_code!())),
            "\n\n",
            environment_help!(no_color_environment!(), tz_environment!())
        )
    };
}

pub(super) const PUB_LONG_HELP: &str = concat!(
    pub_examples!(),
    "\n\n",
    exit_codes_help!(),
    "\n\n",
    environment_help!()
);

pub(super) const SUB_LONG_HELP: &str = concat!(sub_examples!(), "\n\n", printed_messages_help!());

pub(super) const TOPICS_LONG_HELP: &str = concat!(
    "Examples:
  Which topics live on the broker, and how busy they are, over 10 seconds:
    mqtk topics -h broker -W 10
  One subtree, as JSON for a script:
    mqtk topics -t 'house/#' -W 5 --json | jq '.topics[] | select(.retained)'
  The retained messages, with the start of each payload:
    mqtk topics --retained
  What clearing a subtree's retained messages would delete, then delete them:
    mqtk topics --clear 'old/#'
    mqtk topics --clear 'old/#' --yes

Notes:
  The tree has a row for each topic level; a topic that received messages
  shows MSGS (every message received, the retained one included), RATE/S (the
  live messages per second while watching), SIZE (bytes of the last payload),
  QOS (the QoS levels the messages came with: -q 2, the default, shows the QoS
  they were published with), RETAINED (yes when a retained message came with
  the subscription) and LAST (the local time of the last message).
  # does not match the topics that begin with $: add -t '$SYS/#' for those.
  Retained messages come first after subscribing. --retained and --clear
  take them to be all there after --settle seconds without a message (1 by
  default), at the first live message, or after -W; they subscribe at QoS 0.
  --clear publishes an empty retained message (QoS 1) to each topic listed,
  counts the broker's acknowledgements, then subscribes again: exit 0 when no
  cleared topic delivers a retained message any more, 1 when one still does.
  The tree rides out a lost connection as sub does: it connects again, with
  growing pauses, and subscribes again. With --no-reconnect, or once
  --reconnect-retries run out, it prints what was seen so far and exits 1,
  as --retained and --clear do on a lost connection.

",
    exit_codes_help!("4    also: the broker refused every subscription (not authorised, ...)"),
    "\n\n",
    environment_help!(
        "TZ             the zone of the local times in the LAST column; unset, the zone
                 /etc/localtime holds"
    )
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

pub(super) const WILL_LONG_HELP: &str = concat!(
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

pub(super) const REPLAY_LONG_HELP: &str = concat!(
    replay_examples!(),
    "\n\n",
    replay_notes_help!(),
    "\n\n",
    exit_codes_help!(concat!("65   ", bad_recording_exit_code!())),
    "\n\n",
    environment_help!()
);

pub(super) const RR_LONG_HELP: &str = concat!(
    rr_examples!(),
    "\n\n",
    rr_notes_help!(),
    "\n\n",
    printed_messages_help!()
);

pub(super) const RESPOND_LONG_HELP: &str = concat!(
    respond_examples!(),
    "\n\n",
    respond_notes_help!(),
    "\n\n",
    exit_codes_help!("2    also: the command cannot be run (checked before subscribing)"),
    "\n\n",
    environment_help!()
);

pub(super) const PING_LONG_HELP: &str = concat!(
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

pub(super) const BENCH_LONG_HELP: &str = concat!(
    "Examples:
  200 publishers at 50,000 messages/s in all, QoS 1, for a minute:
    mqtk bench pub -h broker -c 200 -R 50000 -s 64 -q 1 -d 60s
  Fan-in: 100 publishers, one subscriber to all of them:
    mqtk bench -c 100 -S 1 -T 'mqtk-bench/#'
  10,000 connections held for 5 minutes, 2,000 new ones a second:
    mqtk bench conn -c 10000 --connect-rate 2000 -k 300 -d 5m
  A CI gate: fail when a message is lost or p99 passes 20 ms:
    mqtk bench -q 1 -d 30s --max-p99 20 --json report.json
  The highest rate with p99 within 50 ms and nothing lost, at QoS 1:
    mqtk bench -c 100 -q 1 --find-max --target-p99 50
  A mix of sensors, dashboards and a backend, from a load file:
    mqtk bench --load mix.toml -d 60s --json mix.json

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
  --find-max exits 0 when it found the broker's limit (or passed at
  --max-rate), 1 when no rate passed, when mqtk itself was the limit, or
  when Ctrl-C ended the search.
  Realistic loads, one at a time: --share g (4 members of one group:
  mqtk bench -c 10 -S 4 -T 'mqtk-bench/#' --share g -q 1), --offline 20s
  (subscribers away 20 s mid-run with their sessions kept, then they drain
  the backlog) and --sub-churn 50 (50 unsubscribe-subscribe cycles a second
  in all). Messages published while a subscriber was unsubscribed are
  expected missing, not loss; messages lost while it was offline are loss.

Load files (--load FILE): each [[group]] is connections that play one role
alike. Keys: name, role (publishers, subscribers or connections), count
(connections, across all shards); publishers: topic (%i counts from 0 in
each group), rate (msg/s for the group) or interval (per connection, e.g.
\"1s\"), size, retain; subscribers: filter (\"$share/GROUP/...\" or share =
\"GROUP\"); all: qos, keepalive, session-expiry, disable-clean-start, and the
group's own gates, max-loss (percent) and max-p99 (ms). For example:
    [[group]]
    name = \"sensors\"
    role = \"publishers\"
    count = 2000
    topic = \"site/%i/temp\"
    rate = 2000
    [[group]]
    name = \"dashboards\"
    role = \"subscribers\"
    count = 20
    filter = \"site/+/temp\"
    [[group]]
    name = \"backend\"
    role = \"subscribers\"
    count = 2
    filter = \"$share/be/site/+/temp\"
    qos = 1
  Each group has rows of its own in the summary and the JSON report (its
  latency as its subscribers saw it, its publishers' lateness); a subscriber
  group's loss is of what every publisher sent to its subscriptions. The
  flags' gates (--max-loss, --max-p99) apply to the run and to each group; a
  group's own replace them for it. A subscriber group at QoS 1/2 fed by
  publishers at QoS 1/2 may lose nothing unless max-loss says. --shard and
  bench merge work on load files as on flags.

",
    exit_codes_help!(concat!("130  ", interrupted_exit_code!())),
    "\n\n",
    environment_help!()
);

pub(super) const BENCH_MERGE_LONG_HELP: &str = "Examples:
  Three shards of one load, beginning together, then one report of them:
    mqtk bench -h broker -c 3000 -R 30000 -d 60s --shard 0/3 --start-at $AT --json shard-0.json
    mqtk bench merge shard-0.json shard-1.json shard-2.json
  The merged report as JSON, for CI:
    mqtk bench merge shard-*.json --json report.json

Exit codes:
  0    success
  1    a report could not be read, the runs did not overlap in time, or
       their settings differ
  2    usage error: wrong flags, fewer than two reports

Environment:
  bench merge reads no environment variables.";

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

pub(super) const BROKER_LONG_HELP: &str = concat!(
    broker_examples!(),
    "\n\n",
    broker_deviations!(),
    "\n\n",
    broker_exit_codes!(),
    "\n\n",
    "Environment:
  mqtk broker reads no environment variables."
);

/// The closing text of `mqtk config` and its subcommands.
pub(super) const CONFIG_LONG_HELP: &str = concat!(
    "Examples:
  A profile in ~/.config/mqtk/config.toml:
    [profiles.prod]
    url = \"mqtts://broker.example.com\"
    cafile = \"certs/ca.pem\"      # beside the file
    username = \"ops\"
    pw-env = \"PROD_PASSWORD\"
    [profiles.prod.sub]
    qos = 1
  then the whole command is:
    mqtk sub --profile prod -t 'house/#'
  What sub would use with it, and where each value comes from:
    mqtk config show --profile prod sub
  Which file is read, and whether it is right:
    mqtk config path
    mqtk config check

",
    exit_codes_help!(),
    "\n\n",
    environment_help!()
);
