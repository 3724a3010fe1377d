//! Self-tests of the integration-test harness in `common/`: every broker it offers answers a
//! hand-built CONNECT, the password-protected mosquitto refuses strangers, the fake peer
//! frames packets and reports script failures, the fault proxy breaks connections as ordered,
//! and a persistent mosquitto of a test's own keeps sessions across a restart. None of this
//! needs `mqtk` to do anything.

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use common::fault_proxy::FaultProxy;
use common::own_mosquitto::OwnMosquitto;
use common::run::publish_ok;
use common::{
    assert_closed, brokers, mosquitto_with_password, mqtk, read_packet, rumqttd_v311, rumqttd_v5,
    set_timeouts, unique_topic, Broker, FakePeer, Version, TIMEOUT,
};

/// Protocol level byte of an MQTT 3.1.1 CONNECT.
const MQTT_311: u8 = 0x04;
/// Protocol level byte of an MQTT 5 CONNECT.
const MQTT_5: u8 = 0x05;

/// A CONNECT with a clean session, keep-alive 60 s and an optional user name and password.
fn connect_packet(level: u8, client_id: &str, login: Option<(&str, &str)>) -> Vec<u8> {
    let mut flags = 0x02; // clean session (3.1.1) / clean start (5)
    if login.is_some() {
        flags |= 0x80 | 0x40; // user name flag | password flag
    }
    let mut body = Vec::new();
    push_string(&mut body, "MQTT"); // protocol name: 0x00 0x04 'M' 'Q' 'T' 'T'
    body.push(level); // protocol level: 0x04 = 3.1.1, 0x05 = 5
    body.push(flags); // connect flags
    body.extend([0x00, 0x3c]); // keep-alive 60 s (rumqttd drops a CONNECT with keep-alive 0)
    if level == MQTT_5 {
        body.push(0x00); // property length 0: no properties
    }
    push_string(&mut body, client_id); // payload: client identifier
    if let Some((user, password)) = login {
        push_string(&mut body, user); // payload: user name
        push_string(&mut body, password); // payload: password
    }
    let remaining = u8::try_from(body.len())
        .ok()
        .filter(|len| *len < 0x80)
        .expect("test CONNECT fits a one-byte remaining length");
    let mut packet = vec![
        0x10,      // CONNECT
        remaining, // remaining length
    ];
    packet.extend(body);
    packet
}

#[test]
fn connect_packet_lays_out_the_fields_of_both_versions() {
    #[rustfmt::skip]
    let v311 = [
        0x10, 0x0e,                         // CONNECT, remaining length 14
        0x00, 0x04, b'M', b'Q', b'T', b'T', // protocol name "MQTT"
        0x04,                               // protocol level 4: MQTT 3.1.1
        0x02,                               // connect flags: clean session
        0x00, 0x3c,                         // keep-alive 60 s
        0x00, 0x02, b'i', b'd',             // client identifier "id"
    ];
    assert_eq!(connect_packet(MQTT_311, "id", None), v311);
    #[rustfmt::skip]
    let v5 = [
        0x10, 0x15,                         // CONNECT, remaining length 21
        0x00, 0x04, b'M', b'Q', b'T', b'T', // protocol name "MQTT"
        0x05,                               // protocol level 5: MQTT 5
        0xc2,                               // connect flags: user name, password, clean start
        0x00, 0x3c,                         // keep-alive 60 s
        0x00,                               // property length 0
        0x00, 0x02, b'i', b'd',             // client identifier "id"
        0x00, 0x01, b'u',                   // user name "u"
        0x00, 0x01, b'p',                   // password "p"
    ];
    assert_eq!(connect_packet(MQTT_5, "id", Some(("u", "p"))), v5);
}

/// Appends an MQTT string: two-byte big-endian length, then the UTF-8 bytes.
fn push_string(buf: &mut Vec<u8>, text: &str) {
    let len = u16::try_from(text.len()).expect("test string shorter than 64 KiB");
    buf.extend(len.to_be_bytes());
    buf.extend(text.as_bytes());
}

/// Connects to `broker`, sends `connect` and returns the first packet it answers with.
fn send_connect(broker: &Broker, connect: &[u8]) -> (TcpStream, Vec<u8>) {
    let mut stream = broker.connect_tcp();
    stream.write_all(connect).expect("write CONNECT");
    let reply = read_packet(&mut stream);
    (stream, reply)
}

/// The protocol levels a listener speaks.
fn levels(version: Version) -> &'static [u8] {
    match version {
        Version::V311 => &[MQTT_311],
        Version::V5 => &[MQTT_5],
        Version::Both => &[MQTT_311, MQTT_5],
    }
}

#[test]
fn every_broker_accepts_a_connect_in_every_version_it_speaks() {
    for broker in brokers() {
        for &level in levels(broker.version) {
            let client_id = format!("harness-accept-{level}");
            let (_stream, connack) =
                send_connect(&broker, &connect_packet(level, &client_id, None));
            let context = format!("{} (protocol level {level}): {connack:02x?}", broker.name);
            assert_eq!(connack[0], 0x20, "CONNACK packet type, {context}");
            assert_eq!(connack[2], 0x00, "no session present, {context}");
            assert_eq!(connack[3], 0x00, "return/reason code accepted, {context}");
            if level == MQTT_311 {
                assert_eq!(connack.len(), 4, "3.1.1 CONNACK is four bytes, {context}");
            }
        }
    }
}

#[test]
fn rumqttd_listeners_drop_a_connect_of_the_other_version_without_connack() {
    for (broker, level) in [(rumqttd_v311(), MQTT_5), (rumqttd_v5(), MQTT_311)] {
        let mut stream = broker.connect_tcp();
        let connect = connect_packet(level, "harness-wrong-version", None);
        stream.write_all(&connect).expect("write CONNECT");
        assert_closed(&mut stream);
    }
}

#[test]
fn mosquitto_with_password_refuses_a_connect_without_credentials() {
    let Some((broker, _, _)) = mosquitto_with_password() else {
        return common::skip("mosquitto or mosquitto_passwd is not installed");
    };
    // mosquitto 2.0 answers "not authorized" and then closes the connection.
    let connect = connect_packet(MQTT_311, "harness-anonymous-311", None);
    let (mut stream, connack) = send_connect(&broker, &connect);
    let expected = [
        0x20, 0x02, // CONNACK, remaining length 2
        0x00, // connect acknowledge flags: no session present
        0x05, // return code 5: not authorized
    ];
    assert_eq!(connack, expected);
    assert_closed(&mut stream);

    let connect = connect_packet(MQTT_5, "harness-anonymous-5", None);
    let (mut stream, connack) = send_connect(&broker, &connect);
    let expected = [
        0x20, 0x03, // CONNACK, remaining length 3
        0x00, // connect acknowledge flags: no session present
        0x87, // reason code 0x87: not authorized
        0x00, // property length 0
    ];
    assert_eq!(connack, expected);
    assert_closed(&mut stream);
}

#[test]
fn mosquitto_with_password_refuses_a_wrong_password() {
    let Some((broker, user, _)) = mosquitto_with_password() else {
        return common::skip("mosquitto or mosquitto_passwd is not installed");
    };
    // mosquitto 2.0 says "not authorized" here too, not 3.1.1's code 4 or MQTT 5's 0x86
    // ("bad user name or password").
    let connect = connect_packet(MQTT_311, "harness-wrong-311", Some((user, "wrong")));
    let (mut stream, connack) = send_connect(&broker, &connect);
    assert_eq!(connack, [0x20, 0x02, 0x00, 0x05]);
    assert_closed(&mut stream);

    let connect = connect_packet(MQTT_5, "harness-wrong-5", Some((user, "wrong")));
    let (mut stream, connack) = send_connect(&broker, &connect);
    assert_eq!(connack, [0x20, 0x03, 0x00, 0x87, 0x00]);
    assert_closed(&mut stream);
}

#[test]
fn mosquitto_with_password_accepts_its_user_and_password() {
    let Some((broker, user, password)) = mosquitto_with_password() else {
        return common::skip("mosquitto or mosquitto_passwd is not installed");
    };
    for level in [MQTT_311, MQTT_5] {
        let client_id = format!("harness-login-{level}");
        let connect = connect_packet(level, &client_id, Some((user, password)));
        let (_stream, connack) = send_connect(&broker, &connect);
        assert_eq!(connack[0], 0x20, "CONNACK packet type: {connack:02x?}");
        assert_eq!(connack[3], 0x00, "accepted: {connack:02x?}");
    }
}

#[test]
fn fake_peer_reads_back_the_packets_a_client_wrote() {
    // A PUBLISH whose 200-byte payload needs a two-byte remaining length.
    let mut publish = vec![
        0x30, // PUBLISH, QoS 0
        0xcd, 0x01, // remaining length 205 = 0x4d + 0x01 * 128
        0x00, 0x03, b'a', b'/', b'b', // topic "a/b"
    ];
    publish.extend([0x5a; 200]); // payload
    let pingreq = [
        0xc0, // PINGREQ
        0x00, // remaining length 0
    ];

    let expected_publish = publish.clone();
    let peer = FakePeer::start(move |mut stream| {
        assert_eq!(read_packet(&mut stream), expected_publish);
        assert_eq!(read_packet(&mut stream), pingreq);
        let pingresp = [
            0xd0, // PINGRESP
            0x00, // remaining length 0
        ];
        stream.write_all(&pingresp).expect("write PINGRESP");
    });

    // This test's thread is the client.
    let mut stream = TcpStream::connect(peer.addr()).expect("connect to the fake peer");
    common::set_timeouts(&stream);
    // Both packets in one write: read_packet must split them by their lengths.
    stream
        .write_all(&[publish.as_slice(), &pingreq].concat())
        .expect("write PUBLISH and PINGREQ");
    assert_eq!(read_packet(&mut stream), [0xd0, 0x00]);
    peer.join();
}

#[test]
fn fake_peer_serves_connections_in_turn_then_refuses_more() {
    let peer = FakePeer::start_many(2, |index, mut stream| match index {
        0 => stream
            .shutdown(Shutdown::Both)
            .expect("close the first connection"),
        _ => stream.write_all(&[0xd0, 0x00]).expect("write PINGRESP"),
    });

    let mut first = TcpStream::connect(peer.addr()).expect("first connection");
    assert_closed(&mut first);
    let mut second = TcpStream::connect(peer.addr()).expect("second connection");
    assert_eq!(read_packet(&mut second), [0xd0, 0x00]);
    let addr = peer.addr();
    peer.join();
    assert!(
        TcpStream::connect(&addr).is_err(),
        "the listener closes after the last connection"
    );
}

#[test]
fn fake_peer_join_fails_the_test_when_the_script_panicked() {
    let peer = FakePeer::start(|_stream| panic!("scripted failure"));
    let _stream = TcpStream::connect(peer.addr()).expect("connect to the fake peer");
    let result = panic::catch_unwind(AssertUnwindSafe(|| peer.join()));
    let panic = result.expect_err("join re-raises the script's panic");
    assert_eq!(panic.downcast_ref::<&str>(), Some(&"scripted failure"));
}

#[test]
fn broker_args_name_the_version_only_for_single_version_listeners() {
    let broker = |version| Broker {
        name: "test",
        host: "127.0.0.1".to_string(),
        port: 1883,
        version,
    };
    let base = ["-h", "127.0.0.1", "-p", "1883"];
    assert_eq!(broker(Version::Both).args(), base);
    assert_eq!(
        broker(Version::V311).args(),
        [&base[..], &["-V", "3.1.1"]].concat()
    );
    assert_eq!(
        broker(Version::V5).args(),
        [&base[..], &["-V", "5"]].concat()
    );
    assert_eq!(broker(Version::V5).addr(), "127.0.0.1:1883");
}

#[test]
fn unique_topics_differ_and_share_a_prefix() {
    let first = unique_topic("harness");
    let second = unique_topic("harness");
    assert_ne!(first, second);
    assert!(first.starts_with("mqtk-test/harness/"), "{first}");
}

#[test]
fn mqtk_runs_the_binary_cargo_built() {
    let command = mqtk();
    let program = Path::new(command.get_program());
    assert!(program.is_file(), "{} exists", program.display());
}

// ---------------------------------------------------------------------------------------------
// Fault proxy

/// PINGREQ, remaining length 0.
const PINGREQ: [u8; 2] = [0xc0, 0x00];
/// PINGRESP, remaining length 0.
const PINGRESP: [u8; 2] = [0xd0, 0x00];
/// The CONNACK accepting a 3.1.1 CONNECT: remaining length 2, no session present, return
/// code 0.
const CONNACK_ACCEPTED: [u8; 4] = [0x20, 0x02, 0x00, 0x00];

/// Connects to the broker through `proxy` as `client_id` (MQTT 3.1.1) and returns the
/// connection once the CONNACK came back through the proxy.
fn connect_through(proxy: &FaultProxy, client_id: &str) -> TcpStream {
    let connect = connect_packet(MQTT_311, client_id, None);
    let (stream, connack) = send_connect(&rumqttd_v311().via(proxy), &connect);
    assert_eq!(connack, CONNACK_ACCEPTED, "CONNACK for {client_id}");
    stream
}

/// Sends a PINGREQ and asserts that the PINGRESP comes back.
fn ping(stream: &mut TcpStream) {
    stream.write_all(&PINGREQ).expect("write PINGREQ");
    assert_eq!(read_packet(stream), PINGRESP);
}

/// One read on `stream`, which must fail: its error kind.
fn read_error(stream: &mut TcpStream) -> ErrorKind {
    match stream.read(&mut [0u8; 64]) {
        Ok(0) => panic!("expected a read error, got end-of-file"),
        Ok(n) => panic!("expected a read error, got {n} bytes"),
        Err(err) => err.kind(),
    }
}

/// Asserts that nothing arrives on `stream` for `wait`, and that it stays open meanwhile.
fn assert_silent_for(stream: &mut TcpStream, wait: Duration) {
    stream
        .set_read_timeout(Some(wait))
        .expect("set a short read timeout");
    let kind = read_error(stream);
    // A closed connection would read end-of-file or ConnectionReset.
    assert!(
        matches!(kind, ErrorKind::WouldBlock | ErrorKind::TimedOut),
        "expected silence, got {kind:?}"
    );
    set_timeouts(stream);
}

#[test]
fn fault_proxy_forwards_raw_clients_and_mqtk_and_counts_them() {
    let proxy = FaultProxy::start(&rumqttd_v311());
    let broker = rumqttd_v311().via(&proxy);
    assert_eq!(
        (broker.name, broker.port, broker.version),
        ("rumqttd-v311", proxy.port(), Version::V311)
    );

    let mut stream = connect_through(&proxy, "fault-proxy-forwards");
    ping(&mut stream);
    assert_eq!(proxy.connections_accepted(), 1);
    assert_eq!(proxy.open_connections(), 1);

    // `broker.args()` point mqtk at the proxy.
    let topic = unique_topic("fault-proxy");
    publish_ok(
        &broker,
        &["-t", &topic, "-m", "through the proxy", "-q", "1"],
    );
    proxy.wait_for_connections(2, TIMEOUT);
    assert_eq!(proxy.connections_refused(), 0);
}

#[test]
fn fault_proxy_reset_all_resets_the_open_connections_only() {
    let proxy = FaultProxy::start(&rumqttd_v311());
    let mut stream = connect_through(&proxy, "fault-proxy-reset");
    proxy.reset_all();
    assert_eq!(
        proxy.open_connections(),
        0,
        "reset_all returns once all are closed"
    );
    assert_eq!(read_error(&mut stream), ErrorKind::ConnectionReset);

    // A connection made after the reset is not touched by it.
    let mut again = connect_through(&proxy, "fault-proxy-reset");
    ping(&mut again);
    assert_eq!(proxy.connections_accepted(), 2);
    assert_eq!(proxy.open_connections(), 1);
}

#[test]
fn fault_proxy_close_all_ends_the_connections_with_a_fin() {
    let proxy = FaultProxy::start(&rumqttd_v311());
    let mut stream = connect_through(&proxy, "fault-proxy-close");
    proxy.close_all();
    assert_eq!(
        proxy.open_connections(),
        0,
        "close_all returns once all are closed"
    );
    let read = stream
        .read(&mut [0u8; 64])
        .expect("a FIN reads as end-of-file");
    assert_eq!(read, 0, "end-of-file");
}

#[test]
fn fault_proxy_half_open_forwards_nothing_closes_nothing_then_carries_on() {
    let proxy = FaultProxy::start(&rumqttd_v311());
    let mut opened_before = connect_through(&proxy, "fault-proxy-stall-before");
    let stall = Duration::from_secs(2);
    let stalled_at = Instant::now();
    proxy.half_open(stall);
    assert!(proxy.is_half_open());

    opened_before.write_all(&PINGREQ).expect("write PINGREQ");
    // A connection accepted during the stall is stalled too.
    let mut opened_during = rumqttd_v311().via(&proxy).connect_tcp();
    let connect = connect_packet(MQTT_311, "fault-proxy-stall-during", None);
    opened_during.write_all(&connect).expect("write CONNECT");
    assert_silent_for(&mut opened_before, Duration::from_secs(1));
    assert!(proxy.is_half_open(), "the silence was the stall's");
    assert_eq!(proxy.open_connections(), 2);

    // The bytes held back go through once the stall ends, and the connections carry on.
    assert_eq!(read_packet(&mut opened_before), PINGRESP);
    assert!(
        stalled_at.elapsed() >= stall,
        "PINGRESP after {:?}, within the stall of {stall:?}",
        stalled_at.elapsed()
    );
    assert!(!proxy.is_half_open());
    assert_eq!(read_packet(&mut opened_during), CONNACK_ACCEPTED);
    ping(&mut opened_before);
    ping(&mut opened_during);
    assert_eq!(proxy.connections_accepted(), 2);
}

#[test]
fn fault_proxy_resets_at_once_in_the_middle_of_a_stall() {
    let proxy = FaultProxy::start(&rumqttd_v311());
    let mut stream = connect_through(&proxy, "fault-proxy-stall-reset");
    proxy.half_open(TIMEOUT);
    stream.write_all(&PINGREQ).expect("write PINGREQ");
    // reset_all would panic if the stalled connection did not close within TIMEOUT.
    proxy.reset_all();
    assert_eq!(read_error(&mut stream), ErrorKind::ConnectionReset);

    proxy.stop_faults();
    assert!(!proxy.is_half_open(), "stop_faults ends the stall");
    let mut again = connect_through(&proxy, "fault-proxy-stall-reset");
    ping(&mut again);
}

#[test]
fn fault_proxy_refuse_for_resets_new_connections_for_that_long() {
    let proxy = FaultProxy::start(&rumqttd_v311());
    let refusal = Duration::from_millis(500);
    let refused_at = Instant::now();
    proxy.refuse_for(refusal);
    // The kernel completes the handshake, so the connect itself succeeds; the reset follows.
    let mut refused = rumqttd_v311().via(&proxy).connect_tcp();
    assert_eq!(read_error(&mut refused), ErrorKind::ConnectionReset);
    assert_eq!(proxy.connections_refused(), 1);
    assert_eq!(proxy.connections_accepted(), 0);

    thread::sleep(refusal.saturating_sub(refused_at.elapsed()));
    let mut stream = connect_through(&proxy, "fault-proxy-refuse");
    ping(&mut stream);
    assert_eq!(proxy.connections_refused(), 1);
    assert_eq!(proxy.connections_accepted(), 1);
}

#[test]
fn fault_proxy_reset_every_resets_each_connection_until_stop_faults() {
    let proxy = FaultProxy::start(&rumqttd_v311());
    let period = Duration::from_millis(200);
    proxy.reset_every(period);
    // rumqttd waits for a CONNECT, so only the cycle can end these connections.
    for count in 1..=2 {
        let mut stream = rumqttd_v311().via(&proxy).connect_tcp();
        proxy.wait_for_connections(count, TIMEOUT);
        assert_eq!(read_error(&mut stream), ErrorKind::ConnectionReset);
    }

    proxy.stop_faults();
    let mut stream = connect_through(&proxy, "fault-proxy-cycle");
    assert_silent_for(&mut stream, 3 * period);
    ping(&mut stream);
    assert_eq!(proxy.open_connections(), 1);
}

#[test]
fn fault_proxy_set_delay_holds_each_chunk_back_both_ways() {
    let proxy = FaultProxy::start(&rumqttd_v311());
    let delay = Duration::from_millis(300);
    proxy.set_delay(delay);
    let started = Instant::now();
    let mut stream = connect_through(&proxy, "fault-proxy-delay");
    let round_trip = started.elapsed();
    assert!(
        round_trip >= 2 * delay,
        "CONNECT and CONNACK are each held back {delay:?}, yet took {round_trip:?} in all"
    );

    proxy.set_delay(Duration::ZERO);
    let started = Instant::now();
    ping(&mut stream);
    let round_trip = started.elapsed();
    assert!(
        round_trip < delay,
        "no delay any more, yet PINGREQ and PINGRESP took {round_trip:?}"
    );
}

#[test]
fn fault_proxy_closes_everything_when_dropped() {
    let proxy = FaultProxy::start(&rumqttd_v311());
    let mut stream = connect_through(&proxy, "fault-proxy-drop");
    let addr = rumqttd_v311().via(&proxy).addr();
    drop(proxy);
    assert_closed(&mut stream);
    assert!(
        TcpStream::connect(&addr).is_err(),
        "the listener is closed with the proxy"
    );
}

// ---------------------------------------------------------------------------------------------
// A persistent mosquitto of a test's own

/// A 3.1.1 CONNECT like [`connect_packet`]'s, but with the clean session flag cleared: the
/// broker keeps the session after the connection ends.
fn connect_packet_keeping_session(client_id: &str) -> Vec<u8> {
    /// The connect flags follow the fixed header (2 bytes), the protocol name (6) and level (1).
    const CONNECT_FLAGS: usize = 9;
    let mut packet = connect_packet(MQTT_311, client_id, None);
    packet[CONNECT_FLAGS] &= !0x02;
    packet
}

#[test]
fn own_mosquitto_with_persistence_keeps_a_session_across_stop_and_start() {
    let Some(mut mosquitto) = OwnMosquitto::start_persistent() else {
        return common::skip("mosquitto is not installed");
    };
    let connect = connect_packet_keeping_session("harness-persistent");
    let (mut stream, connack) = send_connect(&mosquitto.broker(), &connect);
    assert_eq!(connack, CONNACK_ACCEPTED, "a new session");
    #[rustfmt::skip]
    let subscribe = [
        0x82, 0x09,                     // SUBSCRIBE, remaining length 9
        0x00, 0x01,                     // packet identifier 1
        0x00, 0x04, b'k', b'e', b'p', b't', // topic filter "kept"
        0x01,                           // requested QoS 1
    ];
    stream.write_all(&subscribe).expect("write SUBSCRIBE");
    #[rustfmt::skip]
    let suback = [
        0x90, 0x03, // SUBACK, remaining length 3
        0x00, 0x01, // packet identifier 1
        0x01,       // granted QoS 1
    ];
    assert_eq!(read_packet(&mut stream), suback);
    stream.write_all(&[0xe0, 0x00]).expect("write DISCONNECT");
    assert_closed(&mut stream);

    mosquitto.stop();
    mosquitto.start_again();
    let (_stream, connack) = send_connect(&mosquitto.broker(), &connect);
    #[rustfmt::skip]
    let session_present = [
        0x20, 0x02, // CONNACK, remaining length 2
        0x01,       // connect acknowledge flags: session present
        0x00,       // return code 0: accepted
    ];
    assert_eq!(connack, session_present);
}
