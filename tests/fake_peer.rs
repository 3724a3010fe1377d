//! The real `mqtk` binary against a scripted peer that plays broker over a
//! socket: for the exact bytes a set of flags produces and for brokers that
//! misbehave in ways a real broker will not on request.

mod common;

use std::io::Write;
use std::net::TcpStream;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::run::{spawn, Finished};
use common::{assert_closed, mqtk, read_packet, FakePeer};

/// CONNACK accepting a MQTT 3.1.1 connection: no session present, return code 0.
const CONNACK_V311: [u8; 4] = [0x20, 0x02, 0x00, 0x00];
/// CONNACK accepting a MQTT 5 connection: no session, success, no properties.
const CONNACK_V5: [u8; 5] = [0x20, 0x03, 0x00, 0x00, 0x00];
/// DISCONNECT without reason code or properties.
const DISCONNECT: [u8; 2] = [0xE0, 0x00];

/// The MQTT 5 DISCONNECT of `mqtk pub`, which kept its session only to survive a lost
/// connection and ends it now: reason 0x00, Session Expiry Interval 0.
#[rustfmt::skip]
const DISCONNECT_ENDING_SESSION: [u8; 9] = [
    0xE0, 0x07,                     // DISCONNECT, remaining length 7
    0x00,                           // normal disconnection
    0x05, 0x11, 0x00, 0x00, 0x00, 0x00, // properties: session expiry 0
];

/// The longest one `mqtk` run may take: every one here ends within seconds, and one that
/// waits or retries for ever is killed and fails its test instead of hanging the suite.
const DEADLINE: Duration = Duration::from_secs(20);

/// Runs `mqtk COMMAND ARGS...` against the peer under [`DEADLINE`]; `args[0]` is the
/// subcommand.
fn run(peer: &FakePeer, args: &[&str]) -> Finished {
    run_with(peer, args, None)
}

/// Like [`run`], with `input` on stdin.
fn run_with_input(peer: &FakePeer, args: &[&str], input: &[u8]) -> Finished {
    run_with(peer, args, Some(input.to_vec()))
}

/// [`run`] or [`run_with_input`]: `input` on stdin when given, else /dev/null.
fn run_with(peer: &FakePeer, args: &[&str], input: Option<Vec<u8>>) -> Finished {
    let mut command = mqtk();
    command.arg(args[0]).args(peer.args()).args(&args[1..]);
    let what = format!("mqtk {}", args.join(" "));
    spawn(&what, &mut command, input).finish_within(DEADLINE)
}

fn stderr(output: &Finished) -> &str {
    &output.stderr
}

fn send(stream: &mut TcpStream, bytes: &[u8]) {
    stream.write_all(bytes).expect("fake peer write");
}

/// Reads a SUBSCRIBE and grants `qos` in a SUBACK for its packet id, without properties.
fn grant_subscription(stream: &mut TcpStream, qos: u8) {
    let subscribe = read_packet(stream);
    send(stream, &[0x90, 0x04, subscribe[2], subscribe[3], 0x00, qos]);
}

#[test]
fn pub_sends_the_connect_and_publish_its_flags_describe() {
    let peer = FakePeer::start(|mut s| {
        #[rustfmt::skip]
        let connect = [
            0x10, 0x28,                                  // CONNECT, remaining length 40
            0x00, 0x04, b'M', b'Q', b'T', b'T', 0x04,    // "MQTT" level 4
            0xEE,                                        // user, password, will retain, will QoS 1, will, clean
            0x00, 0x1E,                                  // keep alive 30
            0x00, 0x03, b'c', b'i', b'd',                // client id "cid"
            0x00, 0x05, b'd', b'/', b'1', b'/', b's',    // will topic "d/1/s"
            0x00, 0x04, b'g', b'o', b'n', b'e',          // will payload "gone"
            0x00, 0x04, b'u', b's', b'e', b'r',          // user name "user"
            0x00, 0x04, b'p', b'a', b's', b's',          // password "pass"
        ];
        assert_eq!(read_packet(&mut s), connect);
        send(&mut s, &CONNACK_V311);
        #[rustfmt::skip]
        let publish = [
            0x33, 0x09,                                  // PUBLISH, QoS 1, retain, remaining length 9
            0x00, 0x03, b'a', b'/', b'b',                // topic "a/b"
            0x00, 0x01,                                  // packet id 1
            b'h', b'i',                                  // payload "hi"
        ];
        assert_eq!(read_packet(&mut s), publish);
        send(&mut s, &[0x40, 0x02, 0x00, 0x01]); // PUBACK 1
        assert_eq!(read_packet(&mut s), DISCONNECT);
    });
    let output = run(
        &peer,
        &[
            "pub",
            "-V",
            "3.1.1",
            "-i",
            "cid",
            "-k",
            "30",
            "-u",
            "user",
            "-P",
            "pass",
            "--will-topic",
            "d/1/s",
            "--will-payload",
            "gone",
            "--will-qos",
            "1",
            "--will-retain",
            "-t",
            "a/b",
            "-m",
            "hi",
            "-q",
            "1",
            "-r",
        ],
    );
    peer.join();
    assert!(output.status.success(), "{}", stderr(&output));
}

#[test]
fn mqtt5_publish_carries_its_properties() {
    let peer = FakePeer::start(|mut s| {
        let connect = read_packet(&mut s);
        assert_eq!(connect[8], 5, "protocol level 5");
        send(&mut s, &CONNACK_V5);
        let got = read_packet(&mut s);
        // Properties go out in identifier order, user properties last.
        #[rustfmt::skip]
        let expected = [
            0x30, 0x17,                                  // PUBLISH QoS 0, remaining length 23
            0x00, 0x01, b't',                            // topic "t"
            0x12,                                        // properties, 18 bytes
            0x01, 0x01,                                  // payload format: UTF-8
            0x02, 0x00, 0x00, 0x00, 0x3C,                // message expiry 60
            0x03, 0x00, 0x01, b'j',                      // content type "j"
            0x26, 0x00, 0x01, b'k', 0x00, 0x01, b'v',    // user property k=v
            b'x',                                        // payload "x"
        ];
        assert_eq!(got, expected);
        assert_eq!(read_packet(&mut s), DISCONNECT);
    });
    let output = run(
        &peer,
        &[
            "pub",
            "-t",
            "t",
            "-m",
            "x",
            "--payload-format",
            "utf8",
            "--message-expiry",
            "60",
            "--content-type",
            "j",
            "--user-property",
            "k=v",
        ],
    );
    peer.join();
    assert!(output.status.success(), "{}", stderr(&output));
}

/// Three ways a MQTT 3.1.1 broker says no to a version 5 CONNECT.
fn falls_back_to_311(refusal: &'static [u8]) {
    let peer = FakePeer::start_many(2, move |index, mut s| {
        let connect = read_packet(&mut s);
        if index == 0 {
            assert_eq!(connect[8], 5, "the first attempt is MQTT 5");
            send(&mut s, refusal);
            return; // dropping the stream closes the connection
        }
        assert_eq!(connect[8], 4, "the second attempt is MQTT 3.1.1");
        send(&mut s, &CONNACK_V311);
        assert_eq!(read_packet(&mut s), [0x30, 0x04, 0x00, 0x01, b't', b'x']);
        assert_eq!(read_packet(&mut s), DISCONNECT);
    });
    let output = run(&peer, &["pub", "-t", "t", "-m", "x", "-d"]);
    peer.join();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).contains("connecting again with MQTT 3.1.1"));
}

#[test]
fn a_311_return_code_1_makes_the_client_fall_back() {
    falls_back_to_311(&[0x20, 0x02, 0x00, 0x01]);
}

#[test]
fn a_v5_unsupported_version_reason_makes_the_client_fall_back() {
    falls_back_to_311(&[0x20, 0x03, 0x00, 0x84, 0x00]);
}

#[test]
fn a_close_without_connack_makes_the_client_fall_back() {
    falls_back_to_311(&[]);
}

#[test]
fn a_pinned_version_does_not_fall_back() {
    let peer = FakePeer::start(|mut s| {
        read_packet(&mut s);
        send(&mut s, &[0x20, 0x03, 0x00, 0x84, 0x00]);
    });
    let output = run(&peer, &["pub", "-V", "5", "-t", "t", "-m", "x"]);
    peer.join();
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    assert!(stderr(&output).contains("unsupported protocol version"));
}

#[test]
fn refused_credentials_exit_4_with_the_reason_string() {
    let peer = FakePeer::start(|mut s| {
        read_packet(&mut s);
        #[rustfmt::skip]
        send(&mut s, &[
            0x20, 0x09,                                  // CONNACK, remaining length 9
            0x00, 0x86,                                  // bad user name or password
            0x06, 0x1F, 0x00, 0x03, b'n', b'o', b'!',    // reason string "no!"
        ]);
    });
    let output = run(&peer, &["pub", "-t", "t", "-m", "x", "-u", "a", "-P", "b"]);
    peer.join();
    assert_eq!(output.status.code(), Some(4));
    let err = stderr(&output);
    assert!(
        err.contains("bad user name or password") && err.contains("no!"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "one line: {err}");
}

#[test]
fn a_broker_that_vanishes_before_acknowledging_loses_the_message() {
    let peer = FakePeer::start(|mut s| {
        read_packet(&mut s);
        send(&mut s, &CONNACK_V5);
        read_packet(&mut s); // the PUBLISH, never acknowledged
    });
    let output = run(
        &peer,
        &["pub", "-t", "t", "-m", "x", "-q", "1", "--no-reconnect"],
    );
    peer.join();
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(err.contains("1 of 1 messages not acknowledged"), "{err}");
    assert!(err.contains("closed the connection"), "{err}");
}

/// A publisher whose connection is lost before the acknowledgement comes back, resumes its
/// MQTT 5 session (clean start 0, the session expiry it set) and sends the message again with
/// DUP; the broker that kept the session acknowledges it, and the clean exit ends the session.
#[test]
fn a_lost_publish_goes_out_again_with_dup_in_the_resumed_session() {
    let peer = FakePeer::start_many(2, |index, mut s| {
        let connect = read_packet(&mut s);
        #[rustfmt::skip]
        let session = [
            0x05,                           // properties, 5 bytes
            0x11, 0x00, 0x00, 0x0E, 0x10,   // session expiry 3600
        ];
        assert_eq!(
            connect[12..18],
            session,
            "a session that outlives the connection"
        );
        let clean_start = connect[9] & 0x02 != 0;
        if index == 0 {
            assert!(clean_start, "the first CONNECT starts clean");
            send(&mut s, &CONNACK_V5);
            let publish = read_packet(&mut s);
            assert_eq!(publish[0], 0x32, "PUBLISH QoS 1");
            // Gone without a word: no PUBACK, no DISCONNECT.
            return;
        }
        assert!(!clean_start, "the second CONNECT resumes the session");
        send(&mut s, &[0x20, 0x03, 0x01, 0x00, 0x00]); // CONNACK, session present
        let publish = read_packet(&mut s);
        assert_eq!(publish[0], 0x3A, "PUBLISH QoS 1 with DUP");
        assert_eq!(publish[publish.len() - 1], b'x');
        send(&mut s, &[0x40, 0x02, publish[5], publish[6]]);
        assert_eq!(read_packet(&mut s), DISCONNECT_ENDING_SESSION);
    });
    let output = run(&peer, &["pub", "-t", "t", "-m", "x", "-q", "1", "-V", "5"]);
    peer.join();
    assert!(output.status.success(), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(
        err.contains("the broker closed the connection; reconnecting in 0.5s"),
        "{err}"
    );
    assert!(
        err.contains("the broker kept the session; 1 sent again"),
        "{err}"
    );
}

#[test]
fn a_refused_message_fails_and_no_matching_subscribers_does_not() {
    let peer = FakePeer::start(|mut s| {
        read_packet(&mut s);
        send(&mut s, &CONNACK_V5);
        let first = read_packet(&mut s);
        let second = read_packet(&mut s);
        #[rustfmt::skip]
        send(&mut s, &[
            0x40, 0x03, first[5], first[6], 0x10,       // PUBACK: no matching subscribers
            0x40, 0x08, second[5], second[6], 0x87,     // PUBACK: not authorized,
            0x04, 0x1F, 0x00, 0x01, b'!',               // reason string "!"
        ]);
        assert_eq!(read_packet(&mut s), DISCONNECT_ENDING_SESSION);
    });
    let output = run_with_input(&peer, &["pub", "-t", "t", "-l", "-q", "1"], b"a\nb\n");
    peer.join();
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains("1 of 2 messages refused by the broker: not authorized (0x87): !"),
        "{err}"
    );
}

#[test]
fn a_malformed_packet_from_the_broker_is_a_clear_error() {
    let peer = FakePeer::start(|mut s| {
        read_packet(&mut s);
        send(&mut s, &CONNACK_V5);
        read_packet(&mut s);
        send(&mut s, &[0x40, 0x02, 0x00, 0x00]); // PUBACK with packet id 0
        let _ = common::try_read_packet(&mut s);
    });
    let output = run(&peer, &["pub", "-t", "t", "-m", "x", "-q", "1"]);
    peer.join();
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains("malformed packet") && err.contains("packet identifier 0"),
        "{err}"
    );
}

#[test]
fn the_broker_receive_maximum_bounds_messages_in_flight() {
    let peer = FakePeer::start(|mut s| {
        read_packet(&mut s);
        #[rustfmt::skip]
        send(&mut s, &[
            0x20, 0x06, 0x00, 0x00,                      // CONNACK success
            0x03, 0x21, 0x00, 0x02,                      // receive maximum 2
        ]);
        let first = read_packet(&mut s);
        let second = read_packet(&mut s);
        assert_eq!((first[6], second[6]), (1, 2), "packet ids 1 and 2");
        // A third must wait for an acknowledgement.
        s.set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        assert!(
            common::try_read_packet(&mut s).is_err(),
            "a third PUBLISH within the window"
        );
        common::set_timeouts(&s);
        send(&mut s, &[0x40, 0x02, 0x00, 0x01]);
        let third = read_packet(&mut s);
        assert_eq!(third[6], 3);
        send(&mut s, &[0x40, 0x02, 0x00, 0x02, 0x40, 0x02, 0x00, 0x03]);
        assert_eq!(read_packet(&mut s), DISCONNECT_ENDING_SESSION);
    });
    let output = run_with_input(&peer, &["pub", "-t", "t", "-l", "-q", "1"], b"a\nb\nc\n");
    peer.join();
    assert!(output.status.success(), "{}", stderr(&output));
}

#[test]
fn the_broker_maximum_qos_is_respected_with_a_clear_error() {
    let peer = FakePeer::start(|mut s| {
        read_packet(&mut s);
        // CONNACK success, properties: maximum QoS 0
        send(&mut s, &[0x20, 0x05, 0x00, 0x00, 0x02, 0x24, 0x00]);
        // The client must send no PUBLISH; it may say DISCONNECT or just close.
        if let Ok(Some(packet)) = common::try_read_packet(&mut s) {
            assert_eq!(packet, DISCONNECT, "no PUBLISH");
        }
    });
    let output = run(&peer, &["pub", "-t", "t", "-m", "x", "-q", "1"]);
    peer.join();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("at most QoS 0"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_broker_without_retain_refuses_a_retained_message_before_it_is_sent() {
    let peer = FakePeer::start(|mut s| {
        read_packet(&mut s);
        // CONNACK success, properties: retain not available
        send(&mut s, &[0x20, 0x05, 0x00, 0x00, 0x02, 0x25, 0x00]);
        // The client must send no PUBLISH; it may say DISCONNECT or just close.
        if let Ok(Some(packet)) = common::try_read_packet(&mut s) {
            assert_eq!(packet, DISCONNECT, "no PUBLISH");
        }
    });
    let output = run(&peer, &["pub", "-t", "t", "-m", "x", "-r"]);
    peer.join();
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(err.contains("does not support retained messages"), "{err}");
}

#[test]
fn a_message_over_the_broker_maximum_packet_size_is_refused_with_its_size() {
    let peer = FakePeer::start(|mut s| {
        read_packet(&mut s);
        // CONNACK success, properties: maximum packet size 16 bytes
        send(
            &mut s,
            &[0x20, 0x08, 0x00, 0x00, 0x05, 0x27, 0x00, 0x00, 0x00, 0x10],
        );
        if let Ok(Some(packet)) = common::try_read_packet(&mut s) {
            assert_eq!(packet, DISCONNECT, "no PUBLISH");
        }
    });
    let output = run(
        &peer,
        &[
            "pub",
            "-t",
            "t",
            "-m",
            "a payload longer than sixteen bytes",
        ],
    );
    peer.join();
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains("exceeds the broker's maximum packet size of 16 bytes"),
        "{err}"
    );
}

#[test]
fn no_pingresp_within_the_keep_alive_is_a_lost_connection() {
    let (closed_tx, closed_rx) = mpsc::channel();
    let peer = FakePeer::start(move |mut s| {
        read_packet(&mut s);
        send(&mut s, &CONNACK_V5);
        // SUBACK for the same packet id, QoS 0 granted, no properties: the last the client
        // hears from the peer.
        grant_subscription(&mut s, 0);
        let last_heard = Instant::now();
        assert_eq!(read_packet(&mut s), [0xC0, 0x00], "a PINGREQ");
        assert_closed(&mut s); // no PINGRESP: the client gives up
        closed_tx.send(last_heard.elapsed()).unwrap();
    });
    let output = run(&peer, &["sub", "-t", "t", "-k", "1", "--no-reconnect"]);
    peer.join();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("keep alive"),
        "{}",
        stderr(&output)
    );
    // It gives up 1.5 keep alives after it last heard from the peer: timed from then, not from
    // the start, which a busy machine can make slow, with 3.5 s to spare.
    let gave_up = closed_rx.recv().unwrap();
    assert!(
        gave_up < Duration::from_secs(5),
        "closed {gave_up:?} after the SUBACK, for a keep alive of 1 s"
    );
}

/// Keep alive counts from the last packet the client sent (MQTT 5.0 §3.1.2.10): a client
/// that keeps answering sends no PINGREQ however long that lasts, and one keep alive after
/// it falls silent, it sends one.
#[test]
fn pingreq_follows_the_last_packet_sent_by_one_keep_alive() {
    let peer = FakePeer::start(|mut s| {
        read_packet(&mut s);
        send(&mut s, &CONNACK_V5);
        // SUBACK, QoS 1 granted
        grant_subscription(&mut s, 1);
        // 2.4 s of QoS 1 messages, each answered by a PUBACK: longer than two keep alives.
        // Timed from before the last PUBLISH went out: the client cannot have heard it, nor sent
        // its PUBACK, any earlier, however slow a busy machine makes this thread.
        let mut last_publish = Instant::now();
        for id in 1..=6 {
            last_publish = Instant::now();
            // topic "t", packet id, no properties, payload "!"
            send(
                &mut s,
                &[0x32, 0x07, 0x00, 0x01, b't', 0x00, id, 0x00, b'!'],
            );
            let answer = read_packet(&mut s);
            assert_eq!(answer[0], 0x40, "a PUBACK, not a PINGREQ: {answer:02x?}");
            std::thread::sleep(Duration::from_millis(400));
        }
        assert_eq!(read_packet(&mut s), [0xC0, 0x00], "a PINGREQ");
        // One keep alive later: not before 800 ms, and at most 2 s late, room for a busy machine.
        let waited = last_publish.elapsed();
        assert!(
            waited > Duration::from_millis(800) && waited < Duration::from_secs(3),
            "the PINGREQ came {waited:?} after the last PUBLISH, answered at once with a \
             PUBACK, for a keep alive of 1 s"
        );
        send(&mut s, &[0xD0, 0x00]);
        // The seventh message ends the subscriber (-C 7): QoS 0, topic "t", payload "!"
        send(&mut s, &[0x30, 0x05, 0x00, 0x01, b't', 0x00, b'!']);
        assert_eq!(read_packet(&mut s), DISCONNECT);
    });
    let output = run(&peer, &["sub", "-t", "t", "-q", "1", "-k", "1", "-C", "7"]);
    peer.join();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(output.stdout, b"!\n".repeat(7));
}

#[test]
fn the_server_keep_alive_replaces_ours() {
    let peer = FakePeer::start(|mut s| {
        read_packet(&mut s);
        // CONNACK success, properties: server keep alive 1 s
        send(&mut s, &[0x20, 0x06, 0x00, 0x00, 0x03, 0x13, 0x00, 0x01]);
        grant_subscription(&mut s, 0);
        let waited = Instant::now();
        assert_eq!(read_packet(&mut s), [0xC0, 0x00], "a PINGREQ");
        assert!(waited.elapsed() < Duration::from_secs(5));
        send(&mut s, &[0xD0, 0x00]);
        // one message ends the subscriber (-C 1): topic "t", no properties, payload "!"
        send(&mut s, &[0x30, 0x05, 0x00, 0x01, b't', 0x00, b'!']);
        assert_eq!(read_packet(&mut s), DISCONNECT);
    });
    let output = run(&peer, &["sub", "-t", "t", "-k", "60", "-C", "1"]);
    peer.join();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(output.stdout, b"!\n");
}

#[test]
fn a_topic_alias_the_client_never_allowed_is_a_protocol_error() {
    let peer = FakePeer::start(|mut s| {
        let connect = read_packet(&mut s);
        // CONNECT properties: none, so no Topic Alias Maximum was offered
        assert_eq!(connect[12], 0x00, "empty CONNECT properties");
        send(&mut s, &CONNACK_V5);
        grant_subscription(&mut s, 0);
        #[rustfmt::skip]
        send(&mut s, &[
            0x30, 0x0A,                                  // PUBLISH QoS 0, remaining length 10
            0x00, 0x03, b'a', b'/', b'b',                // topic "a/b"
            0x03, 0x23, 0x00, 0x01,                      // properties: topic alias 1
            b'1',                                        // payload "1"
        ]);
        let _ = common::try_read_packet(&mut s);
    });
    let output = run(&peer, &["sub", "-t", "#", "-v", "--no-reconnect"]);
    peer.join();
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains("protocol violation") && err.contains("topic alias 1"),
        "{err}"
    );
    assert!(output.stdout.is_empty());
}

#[test]
fn a_subscription_identifier_is_sent_and_shown_with_each_message() {
    let peer = FakePeer::start(|mut s| {
        read_packet(&mut s);
        send(&mut s, &CONNACK_V5);
        let subscribe = read_packet(&mut s);
        // packet id, properties: 2 bytes, subscription identifier 7
        assert_eq!(&subscribe[4..7], [0x02, 0x0B, 0x07]);
        send(
            &mut s,
            &[0x90, 0x04, subscribe[2], subscribe[3], 0x00, 0x00],
        );
        #[rustfmt::skip]
        send(&mut s, &[
            0x30, 0x07,                                  // PUBLISH QoS 0, remaining length 7
            0x00, 0x01, b't',                            // topic "t"
            0x02, 0x0B, 0x07,                            // properties: subscription identifier 7
            b'x',                                        // payload "x"
        ]);
        assert_eq!(read_packet(&mut s), DISCONNECT);
    });
    let output = run(
        &peer,
        &[
            "sub",
            "-t",
            "t",
            "--subscription-id",
            "7",
            "-F",
            "%S %p",
            "-C",
            "1",
        ],
    );
    peer.join();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(String::from_utf8_lossy(&output.stdout), "7 x\n");
}

#[test]
fn a_broker_that_never_answers_subscribe_is_an_error_not_a_hang() {
    let peer = FakePeer::start(|mut s| {
        read_packet(&mut s);
        send(&mut s, &CONNACK_V5);
        read_packet(&mut s); // the SUBSCRIBE, never answered
        let _ = common::try_read_packet(&mut s);
    });
    let started = Instant::now();
    let output = run(&peer, &["sub", "-t", "t", "--connect-timeout", "1"]);
    peer.join();
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(err.contains("no SUBACK from the broker within 1s"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn a_refused_subscription_is_reported_and_fails_when_nothing_was_granted() {
    let peer = FakePeer::start(|mut s| {
        read_packet(&mut s);
        send(&mut s, &CONNACK_V311);
        let subscribe = read_packet(&mut s);
        send(&mut s, &[0x90, 0x03, subscribe[2], subscribe[3], 0x80]);
        let _ = common::try_read_packet(&mut s);
    });
    let output = run(&peer, &["sub", "-V", "3.1.1", "-t", "secret/#"]);
    peer.join();
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains("subscription to \"secret/#\" refused"),
        "{err}"
    );
}

/// The MQTT 5 Server Reference property naming `to`, as the properties of a CONNACK or a
/// DISCONNECT: their length, then the property.
fn server_reference(to: &str) -> Vec<u8> {
    let mut properties = vec![0x1C, 0x00, to.len() as u8];
    properties.extend_from_slice(to.as_bytes());
    let mut field = vec![properties.len() as u8];
    field.extend(properties);
    field
}

/// An MQTT 5 CONNACK refusing with `reason`, followed by `properties` (length first).
fn connack_refusing(reason: u8, properties: &[u8]) -> Vec<u8> {
    let mut packet = vec![0x20, 2 + properties.len() as u8, 0x00, reason];
    packet.extend_from_slice(properties);
    packet
}

/// An MQTT 5 DISCONNECT with `reason`, followed by `properties` (length first).
fn disconnect_with(reason: u8, properties: &[u8]) -> Vec<u8> {
    let mut packet = vec![0xE0, 1 + properties.len() as u8, reason];
    packet.extend_from_slice(properties);
    packet
}

/// `mqtk pub -m hello -q 1` to `topic`, through the peer, and a subscriber on the real broker
/// that must see it arrive.
fn publish_redirected(peer: &FakePeer, broker: &common::Broker, topic: &str) -> Finished {
    let mut counter = common::run::subscribe_quietly(broker, topic, &["-q", "1"]);
    let output = run(
        peer,
        &["pub", "-V", "5", "-t", topic, "-m", "hello", "-q", "1"],
    );
    if output.status.success() {
        counter.wait_for_stdout_containing(b"hello\n", common::TIMEOUT);
    }
    counter.interrupt();
    counter.finish();
    common::run::clear_ready(broker, topic);
    output
}

#[test]
fn a_connack_that_redirects_is_followed_to_the_broker_it_names() {
    let broker = common::rumqttd_v5();
    let to = broker.addr();
    let peer = FakePeer::start(move |mut s| {
        read_packet(&mut s);
        send(&mut s, &connack_refusing(0x9C, &server_reference(&to)));
    });
    let topic = common::unique_topic("redirected");
    let output = publish_redirected(&peer, &broker, &topic);
    let peer_port = peer.port;
    peer.join();
    assert!(output.status.success(), "{}", stderr(&output));
    let expected = format!(
        "use another server (0x9c): 127.0.0.1:{} sends clients to {}; connecting there",
        peer_port,
        broker.addr()
    );
    assert!(stderr(&output).contains(&expected), "{}", stderr(&output));
}

#[test]
fn a_disconnect_that_says_the_server_moved_reconnects_where_it_moved() {
    let broker = common::rumqttd_v5();
    let to = broker.addr();
    let peer = FakePeer::start(move |mut s| {
        read_packet(&mut s);
        send(&mut s, &CONNACK_V5);
        let publish = read_packet(&mut s);
        assert_eq!(publish[0], 0x32, "PUBLISH QoS 1");
        send(&mut s, &disconnect_with(0x9D, &server_reference(&to)));
    });
    let topic = common::unique_topic("moved");
    let output = publish_redirected(&peer, &broker, &topic);
    peer.join();
    assert!(output.status.success(), "{}", stderr(&output));
    let expected = format!(
        "the broker disconnected: server moved (0x9d), to {}; reconnecting",
        broker.addr()
    );
    assert!(stderr(&output).contains(&expected), "{}", stderr(&output));
}

#[test]
fn redirects_that_go_round_in_circles_end_after_a_few_hops() {
    // Each CONNACK sends the client back to the peer itself.
    let peer = FakePeer::start_many(6, |_, mut s| {
        read_packet(&mut s);
        let to = format!("127.0.0.1:{}", s.local_addr().unwrap().port());
        send(&mut s, &connack_refusing(0x9C, &server_reference(&to)));
    });
    let output = run(&peer, &["pub", "-V", "5", "-t", "t", "-m", "x"]);
    peer.join();
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    let err = stderr(&output);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 6, "one line per hop, then the error:\n{err}");
    assert!(lines[5].contains("redirected 5 times in a row"), "{err}");
}

#[test]
fn server_shutting_down_is_ridden_out_and_the_message_published_again() {
    let peer = FakePeer::start_many(2, |index, mut s| {
        read_packet(&mut s);
        send(&mut s, &CONNACK_V5);
        let publish = read_packet(&mut s);
        if index == 0 {
            send(&mut s, &disconnect_with(0x8B, &[0x00]));
            return;
        }
        assert_eq!(
            publish[0], 0x32,
            "published again as new: QoS 1 without DUP"
        );
        send(&mut s, &[0x40, 0x02, publish[5], publish[6]]);
        assert_eq!(read_packet(&mut s), DISCONNECT_ENDING_SESSION);
    });
    let output = run(&peer, &["pub", "-V", "5", "-t", "t", "-m", "x", "-q", "1"]);
    peer.join();
    assert!(output.status.success(), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(
        err.contains("the broker disconnected: server shutting down (0x8b); reconnecting in 0.5s"),
        "{err}"
    );
    assert!(
        err.contains("1 unacknowledged messages published again as new"),
        "{err}"
    );
}

#[test]
fn a_session_taken_over_is_not_taken_back() {
    let peer = FakePeer::start(|mut s| {
        read_packet(&mut s);
        send(&mut s, &CONNACK_V5);
        read_packet(&mut s);
        send(&mut s, &disconnect_with(0x8E, &[0x00]));
    });
    let output = run(&peer, &["pub", "-V", "5", "-t", "t", "-m", "x", "-q", "1"]);
    peer.join();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(
        err.contains(
            "session taken over (0x8e): another client connected with the same client identifier"
        ),
        "{err}"
    );
    assert!(!err.contains("reconnecting"), "{err}");
    output.assert_one_error_line("pub whose session was taken over");
}

/// A broker that sends (PINGRESP after PINGRESP) but never reads: the client's writes find no
/// room, and after 1.5 keep-alive intervals it says so, though it hears the broker all along.
#[test]
fn a_write_stuck_for_one_and_a_half_keep_alives_loses_the_connection() {
    let peer = FakePeer::start(|mut s| {
        read_packet(&mut s);
        send(&mut s, &CONNACK_V311);
        let began = Instant::now();
        while began.elapsed() < DEADLINE {
            if s.write_all(&[0xD0, 0x00]).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    let line = [b'x'; 99];
    let mut input = Vec::with_capacity(400_000 * 100);
    for _ in 0..400_000 {
        input.extend_from_slice(&line);
        input.push(b'\n');
    }
    let args = [
        "pub",
        "-V",
        "3.1.1",
        "-t",
        "t",
        "-l",
        "-k",
        "1",
        "--no-reconnect",
    ];
    let output = run_with_input(&peer, &args, &input);
    peer.join();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(
        err.contains(
            "nothing could be sent to the broker for 1.5s (keep alive 1s): the connection is lost"
        ),
        "{err}"
    );
}

/// Reads packets until the client closes the connection or gives up on it.
fn read_until_closed(stream: &mut TcpStream) {
    while let Ok(Some(_)) = common::try_read_packet(stream) {}
}

/// A reconnect attempt whose CONNECT went unanswered may still reach the broker once the path
/// heals, and take the session over from the connection made since: that 0x8E is the client's
/// own doing, and it connects again, where a takeover by another client ends it.
#[test]
fn a_takeover_by_our_own_late_connect_is_ridden_out() {
    let peer = FakePeer::start_many(4, |index, mut s| {
        read_packet(&mut s);
        match index {
            // Gone after the PUBLISH.
            0 => {
                send(&mut s, &CONNACK_V5);
                read_packet(&mut s);
            }
            // The CONNECT that is never answered: the attempt times out.
            1 => read_until_closed(&mut s),
            // The late CONNECT of attempt 1 takes this connection's session over.
            2 => {
                send(&mut s, &CONNACK_V5);
                read_packet(&mut s);
                send(&mut s, &disconnect_with(0x8E, &[0x00]));
            }
            _ => {
                send(&mut s, &CONNACK_V5);
                let publish = read_packet(&mut s);
                send(&mut s, &[0x40, 0x02, publish[5], publish[6]]);
                assert_eq!(read_packet(&mut s), DISCONNECT_ENDING_SESSION);
            }
        }
    });
    let args = [
        "pub",
        "-V",
        "5",
        "-t",
        "t",
        "-m",
        "x",
        "-q",
        "1",
        "--connect-timeout",
        "1",
    ];
    let output = run(&peer, &args);
    peer.join();
    let err = stderr(&output);
    assert!(output.status.success(), "{err}");
    assert!(
        err.contains(
            "session taken over (0x8e), most likely by an earlier connect attempt of ours"
        ),
        "{err}"
    );
}

#[test]
fn the_mqtt5_connection_options_go_into_the_connect() {
    let (tx, rx) = mpsc::channel();
    let peer = FakePeer::start(move |mut s| {
        tx.send(read_packet(&mut s)).expect("hand the CONNECT over");
        send(&mut s, &CONNACK_V5);
        read_packet(&mut s); // PUBLISH
        let _ = common::try_read_packet(&mut s); // DISCONNECT
    });
    let output = run(
        &peer,
        &[
            "pub",
            "-t",
            "t",
            "-m",
            "x",
            "--receive-maximum",
            "7",
            "--maximum-packet-size",
            "1000",
            "--topic-alias-maximum",
            "3",
            "--request-response-information",
            "--request-problem-information",
            "false",
            "--connect-user-property",
            "k=v",
            "--auth-method",
            "JWT",
            "--auth-data",
            "tok",
        ],
    );
    peer.join();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let connect = rx.recv().expect("the CONNECT");
    #[rustfmt::skip]
    let properties: [&[u8]; 8] = [
        &[0x21, 0x00, 0x07],                         // Receive Maximum 7
        &[0x27, 0x00, 0x00, 0x03, 0xE8],             // Maximum Packet Size 1000
        &[0x22, 0x00, 0x03],                         // Topic Alias Maximum 3
        &[0x19, 0x01],                               // Request Response Information
        &[0x17, 0x00],                               // Request Problem Information: no
        &[0x26, 0x00, 0x01, b'k', 0x00, 0x01, b'v'], // User Property k=v
        &[0x15, 0x00, 0x03, b'J', b'W', b'T'],       // Authentication Method "JWT"
        &[0x16, 0x00, 0x03, b't', b'o', b'k'],       // Authentication Data "tok"
    ];
    for property in properties {
        assert!(
            connect.windows(property.len()).any(|w| w == property),
            "{property:02x?} in the CONNECT {connect:02x?}"
        );
    }
}

#[test]
fn a_packet_over_our_maximum_packet_size_ends_the_connection_with_0x95() {
    let (tx, rx) = mpsc::channel();
    let peer = FakePeer::start(move |mut s| {
        read_packet(&mut s);
        send(&mut s, &CONNACK_V5);
        // SUBACK for its packet id, no properties, QoS 0 granted.
        grant_subscription(&mut s, 0);
        // A QoS 0 PUBLISH of 3 + 1 + 1 + 45 = 50 bytes: topic "t", no properties.
        let mut publish = vec![0x30, 48, 0x00, 0x01, b't', 0x00];
        publish.extend([b'x'; 42]);
        send(&mut s, &publish);
        tx.send(common::try_read_packet(&mut s))
            .expect("hand the answer over");
    });
    let output = run(
        &peer,
        &[
            "sub",
            "-t",
            "t",
            "--maximum-packet-size",
            "32",
            "--no-reconnect",
        ],
    );
    peer.join();
    let answer = rx
        .recv()
        .expect("what the client sent")
        .expect("a readable answer")
        .expect("a packet before the close");
    assert_eq!(answer[0], 0xE0, "a DISCONNECT: {answer:02x?}");
    assert_eq!(answer[2], 0x95, "packet too large: {answer:02x?}");
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains("exceeds the maximum packet size of 32 bytes"),
        "{err}"
    );
}

/// A QoS 1 PUBLISH as the peer reads it: DUP, topic, packet id, properties and payload
/// (remaining length and property length under 128).
struct ReadPublish {
    dup: bool,
    topic: String,
    packet_id: [u8; 2],
    properties: Vec<u8>,
    payload: Vec<u8>,
}

fn read_qos1_publish(stream: &mut TcpStream) -> ReadPublish {
    let p = read_packet(stream);
    assert_eq!(p[0] & 0xF6, 0x32, "a QoS 1 PUBLISH: {p:02x?}");
    let topic_len = usize::from(u16::from_be_bytes([p[2], p[3]]));
    let after_topic = 4 + topic_len;
    let properties_len = usize::from(p[after_topic + 2]);
    let properties_at = after_topic + 3;
    ReadPublish {
        dup: p[0] & 0x08 != 0,
        topic: String::from_utf8(p[4..after_topic].to_vec()).expect("a UTF-8 topic"),
        packet_id: [p[after_topic], p[after_topic + 1]],
        properties: p[properties_at..properties_at + properties_len].to_vec(),
        payload: p[properties_at + properties_len..].to_vec(),
    }
}

fn puback(stream: &mut TcpStream, publish: &ReadPublish) {
    send(
        stream,
        &[0x40, 0x02, publish.packet_id[0], publish.packet_id[1]],
    );
}

/// `pub -l` names its topic in full with alias 1, then by the alias alone. After a lost
/// connection the message sent again carries its whole topic (the broker forgot the alias),
/// and the next new message sets the alias anew.
#[test]
fn a_repeated_topic_goes_by_its_alias_and_the_alias_is_set_again_after_a_reconnect() {
    #[rustfmt::skip]
    let connack = |session_present: u8| [
        0x20, 0x09, session_present, 0x00,
        0x06,                   // properties, 6 bytes
        0x21, 0x00, 0x01,       // Receive Maximum 1: one message at a time
        0x22, 0x00, 0x02,       // Topic Alias Maximum 2
    ];
    const ALIAS_1: [u8; 3] = [0x23, 0x00, 0x01];
    let peer = FakePeer::start_many(2, move |index, mut s| {
        read_packet(&mut s);
        if index == 0 {
            send(&mut s, &connack(0));
            let first = read_qos1_publish(&mut s);
            assert_eq!(
                (&*first.topic, &*first.properties),
                ("a/topic", &ALIAS_1[..])
            );
            assert_eq!(first.payload, b"one");
            puback(&mut s, &first);
            let second = read_qos1_publish(&mut s);
            assert_eq!((&*second.topic, &*second.properties), ("", &ALIAS_1[..]));
            assert_eq!(second.payload, b"two");
            // Gone before the PUBACK.
            return;
        }
        send(&mut s, &connack(1));
        let resent = read_qos1_publish(&mut s);
        assert!(resent.dup, "sent again with DUP");
        assert_eq!((&*resent.topic, &*resent.properties), ("a/topic", &[][..]));
        assert_eq!(resent.payload, b"two");
        puback(&mut s, &resent);
        let third = read_qos1_publish(&mut s);
        assert_eq!(
            (&*third.topic, &*third.properties),
            ("a/topic", &ALIAS_1[..])
        );
        puback(&mut s, &third);
        let fourth = read_qos1_publish(&mut s);
        assert_eq!((&*fourth.topic, &*fourth.properties), ("", &ALIAS_1[..]));
        assert_eq!(fourth.payload, b"four");
        puback(&mut s, &fourth);
        assert_eq!(read_packet(&mut s), DISCONNECT_ENDING_SESSION);
    });
    let output = run_with_input(
        &peer,
        &["pub", "-t", "a/topic", "-l", "-q", "1", "-V", "5"],
        b"one\ntwo\nthree\nfour\n",
    );
    peer.join();
    assert!(output.status.success(), "{}", stderr(&output));
}

/// With `--no-topic-alias`, or a broker that allows none, every message names its topic.
#[test]
fn no_topic_alias_where_the_broker_or_the_user_says_none() {
    #[rustfmt::skip]
    const CONNACK_ALIASES: [u8; 8] = [0x20, 0x06, 0x00, 0x00, 0x03, 0x22, 0x00, 0x0A];
    for (connack, flag) in [
        (&CONNACK_ALIASES[..], Some("--no-topic-alias")),
        (&CONNACK_V5[..], None),
    ] {
        let peer = FakePeer::start(move |mut s| {
            read_packet(&mut s);
            send(&mut s, connack);
            for _ in 0..3 {
                let publish = read_qos1_publish(&mut s);
                assert_eq!((&*publish.topic, &*publish.properties), ("t", &[][..]));
                puback(&mut s, &publish);
            }
            assert_eq!(read_packet(&mut s), DISCONNECT_ENDING_SESSION);
        });
        let mut args = vec!["pub", "-t", "t", "-m", "x", "--repeat", "3", "-q", "1"];
        args.extend(flag);
        let output = run(&peer, &args);
        peer.join();
        assert!(output.status.success(), "{flag:?}: {}", stderr(&output));
    }
}
