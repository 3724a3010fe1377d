//! MQTT over WebSocket, through the harness's bridge in front of each broker (neither has a
//! WebSocket listener of its own): messages both ways at every QoS, packets that do not line up
//! with frames, the batching of a burst into few frames, headers, a refused upgrade, a broker
//! that leaves the `mqtt` subprotocol out, and wss.

mod common;

use common::pki::{Pki, BROKER_NAME, CA_NAME};
use common::run::{
    for_each_broker, numbered_lines, publish_ok, publish_with_input, spawn, subscribe, Finished,
};
use common::websocket_bridge::{Bridge, BridgeOptions};
use common::{brokers, mosquitto, mqtk, rumqttd_v5, unique_topic, Broker, HOST};

/// The bridge as a broker for the harness's helpers, which add `-h 127.0.0.1 -p PORT` and the
/// `-V` the broker behind it needs; the tests add `--ws`.
fn bridged(broker: &Broker, bridge: &Bridge) -> Broker {
    Broker {
        port: bridge.port,
        ..broker.clone()
    }
}

/// Runs `mqtk ARGS` to the end.
fn run(what: &str, args: &[&str]) -> Finished {
    let mut command = mqtk();
    command.args(args);
    spawn(what, &mut command, None).finish()
}

#[test]
fn messages_at_every_qos_go_both_ways_over_websocket() {
    for_each_broker(&brokers(), |broker| {
        let bridge = Bridge::start(broker, BridgeOptions::default());
        let through = bridged(broker, &bridge);
        let topic = unique_topic("ws");
        let subscriber = subscribe(
            &through,
            &["--ws", "-t", &topic, "-q", "2", "-C", "3", "-W", "20"],
        );
        for qos in ["0", "1", "2"] {
            let message = format!("over ws at QoS {qos}");
            publish_ok(&through, &["--ws", "-t", &topic, "-m", &message, "-q", qos]);
        }
        let received = subscriber.finish();
        received.assert_code(0, &format!("{}: sub --ws", broker.name));
        assert_eq!(
            received.stdout(),
            "over ws at QoS 0\nover ws at QoS 1\nover ws at QoS 2\n",
            "{}",
            broker.name
        );
        let seen = bridge.seen();
        // A subscriber and three publishers, each offering the mqtt subprotocol.
        assert_eq!(seen.requests.len(), 4, "{}: {seen:?}", broker.name);
        for headers in &seen.requests {
            assert!(
                headers.contains(&("sec-websocket-protocol".into(), "mqtt".into())),
                "{headers:?}"
            );
        }
    });
}

#[test]
fn a_ws_url_names_host_port_and_path_and_the_topic_comes_from_t() {
    let broker = rumqttd_v5();
    let options = BridgeOptions {
        path: "/custom/mqtt".into(),
        ..BridgeOptions::default()
    };
    let bridge = Bridge::start(&broker, options);
    let url = format!("ws://{HOST}:{}/custom/mqtt", bridge.port);
    let topic = unique_topic("ws-url");
    let published = run(
        "pub -L ws://",
        &[
            "pub", "-L", &url, "-V", "5", "-t", &topic, "-m", "kept", "-r", "-q", "1",
        ],
    );
    published.assert_code(0, "pub -L ws://");
    let read = run(
        "sub -L ws://",
        &[
            "sub", "-L", &url, "-V", "5", "-t", &topic, "-C", "1", "-W", "10",
        ],
    );
    read.assert_code(0, "sub -L ws://");
    assert_eq!(read.stdout(), "kept\n");
    // Clean up the retained message.
    let cleared = run(
        "clear",
        &[
            "pub", "-L", &url, "-V", "5", "-t", &topic, "-n", "-r", "-q", "1",
        ],
    );
    cleared.assert_code(0, "clear the retained message");
}

#[test]
fn packets_split_across_tiny_frames_arrive_whole() {
    for_each_broker(&brokers(), |broker| {
        // Every frame from the broker holds at most 3 bytes: CONNACK, SUBACK and each
        // PUBLISH span several.
        let options = BridgeOptions {
            frame_size: Some(3),
            ..BridgeOptions::default()
        };
        let bridge = Bridge::start(broker, options);
        let through = bridged(broker, &bridge);
        let topic = unique_topic("ws-split");
        let subscriber = subscribe(
            &through,
            &["--ws", "-t", &topic, "-q", "1", "-C", "20", "-W", "20"],
        );
        let lines = numbered_lines(20);
        let what = format!("{}: pub --ws -l", broker.name);
        publish_with_input(
            broker,
            &["-t", &topic, "-l", "-q", "1"],
            Some(lines.clone()),
        )
        .assert_code(0, &what);
        let received = subscriber.finish();
        received.assert_code(0, &format!("{}: sub through 3-byte frames", broker.name));
        assert_eq!(received.stdout, lines, "{}", broker.name);
    });
}

#[test]
fn a_burst_of_lines_leaves_in_few_frames_holding_many_packets() {
    let broker = rumqttd_v5();
    let bridge = Bridge::start(&broker, BridgeOptions::default());
    let through = bridged(&broker, &bridge);
    let topic = unique_topic("ws-burst");
    let count = 2000;
    let subscriber = subscribe(
        &broker,
        &["-t", &topic, "-C", &count.to_string(), "-W", "30"],
    );
    let lines = numbered_lines(count);
    publish_with_input(&through, &["--ws", "-t", &topic, "-l"], Some(lines.clone()))
        .assert_code(0, "pub --ws -l");
    let received = subscriber.finish();
    received.assert_code(0, "sub of the burst");
    assert_eq!(received.stdout, lines);
    let frames = bridge.seen().client_frames;
    // CONNECT, the publishes batched by the large reads of stdin, DISCONNECT: one frame per
    // write, never one per packet.
    assert!(
        frames.len() <= 20,
        "{} frames for {count} messages: {frames:?}",
        frames.len()
    );
    let biggest = frames.iter().max().copied().unwrap_or(0);
    assert!(biggest > 1000, "no frame held many packets: {frames:?}");
}

#[test]
fn ws_headers_reach_the_server() {
    let broker = rumqttd_v5();
    let bridge = Bridge::start(&broker, BridgeOptions::default());
    let through = bridged(&broker, &bridge);
    let topic = unique_topic("ws-headers");
    publish_ok(
        &through,
        &[
            "--ws-header",
            "X-Amz-Token: abc:def",
            "--ws-header",
            "Authorization: Bearer t0ken",
            "-t",
            &topic,
            "-m",
            "x",
        ],
    );
    let seen = bridge.seen();
    let headers = &seen.requests[0];
    for expected in [
        ("x-amz-token", "abc:def"),
        ("authorization", "Bearer t0ken"),
        ("sec-websocket-protocol", "mqtt"),
        ("host", &format!("{HOST}:{}", bridge.port)),
    ] {
        let expected = (expected.0.to_string(), expected.1.to_string());
        assert!(
            headers.contains(&expected),
            "{expected:?} not in {headers:?}"
        );
    }
}

#[test]
fn a_refused_upgrade_is_one_line_with_the_http_status_and_exit_3() {
    let broker = rumqttd_v5();
    let bridge = Bridge::start(&broker, BridgeOptions::default());
    let through = bridged(&broker, &bridge);
    let topic = unique_topic("ws-404");
    let refused = publish_with_input(
        &through,
        &["--ws-path", "/wrong", "-t", &topic, "-m", "x"],
        None,
    );
    refused.assert_code(3, "a wrong WebSocket path");
    refused.assert_one_error_line("a wrong WebSocket path");
    assert!(
        refused
            .stderr
            .contains("the broker refused the WebSocket upgrade of /wrong: 404 Not Found"),
        "{}",
        refused.stderr
    );
}

#[test]
fn a_broker_that_wants_a_header_refuses_without_it_with_exit_4_and_takes_it() {
    let broker = rumqttd_v5();
    let options = BridgeOptions {
        required_header: Some(("authorization".into(), "Bearer t0ken".into())),
        ..BridgeOptions::default()
    };
    let bridge = Bridge::start(&broker, options);
    let through = bridged(&broker, &bridge);
    let topic = unique_topic("ws-401");
    let refused = publish_with_input(&through, &["--ws", "-t", &topic, "-m", "x"], None);
    refused.assert_code(4, "no authorization header");
    refused.assert_one_error_line("no authorization header");
    assert!(
        refused
            .stderr
            .contains("refused the WebSocket upgrade of /mqtt: 401 Unauthorized"),
        "{}",
        refused.stderr
    );
    let header = ["--ws-header", "Authorization: Bearer t0ken"];
    let mut args = vec!["-t", topic.as_str(), "-m", "x"];
    args.extend(header);
    publish_ok(&through, &args);
}

#[test]
fn a_broker_that_leaves_the_mqtt_subprotocol_out_is_refused_in_one_line() {
    let broker = rumqttd_v5();
    let options = BridgeOptions {
        subprotocol: false,
        ..BridgeOptions::default()
    };
    let bridge = Bridge::start(&broker, options);
    let through = bridged(&broker, &bridge);
    let topic = unique_topic("ws-no-subprotocol");
    let refused = publish_with_input(&through, &["--ws", "-t", &topic, "-m", "x"], None);
    refused.assert_code(3, "no subprotocol");
    refused.assert_one_error_line("no subprotocol");
    assert!(
        refused
            .stderr
            .contains("without choosing the mqtt subprotocol"),
        "{}",
        refused.stderr
    );
}

#[test]
fn a_plain_mqtt_port_is_no_websocket_and_says_so() {
    let broker = rumqttd_v5();
    let topic = unique_topic("ws-not");
    let refused = publish_with_input(&broker, &["--ws", "-t", &topic, "-m", "x"], None);
    refused.assert_code(3, "--ws to an MQTT port");
    refused.assert_one_error_line("--ws to an MQTT port");
    assert!(refused.stderr.contains("WebSocket"), "{}", refused.stderr);
}

#[test]
fn ws_flags_with_an_mqtt_url_and_a_ws_url_without_a_topic_are_usage_errors() {
    let finished = run(
        "pub -L mqtt:// --ws-path",
        &[
            "pub",
            "-L",
            "mqtt://localhost/t",
            "--ws-path",
            "/mqtt",
            "-m",
            "x",
        ],
    );
    finished.assert_code(2, "--ws-path with mqtt://");
    assert!(finished.stderr.contains("ws://"), "{}", finished.stderr);
    // The path of a ws:// URL is no topic.
    for command in ["pub", "sub"] {
        let mut args = vec![command, "-L", "ws://localhost:1/mqtt"];
        if command == "pub" {
            args.extend(["-m", "x"]);
        }
        let finished = run(&format!("{command} -L ws:// without -t"), &args);
        finished.assert_code(2, &format!("{command} -L ws:// without -t"));
        assert!(
            finished.stderr.contains("no topic: give -t"),
            "{}",
            finished.stderr
        );
    }
}

#[test]
fn a_will_is_published_when_a_websocket_connection_closes_or_resets() {
    // rumqttd 0.20 delivers a will at the subscription's QoS, which `mqtk will` reports.
    let Some(broker) = mosquitto() else {
        return common::skip("mosquitto is not installed");
    };
    let bridge = Bridge::start(&broker, BridgeOptions::default());
    let through = bridged(&broker, &bridge);
    for end in ["close", "reset"] {
        let topic = unique_topic("ws-will");
        let mut command = mqtk();
        command.arg("will").args(through.args()).args([
            "--ws",
            "--will-topic",
            &topic,
            "--will-payload",
            "gone",
            "--end",
            end,
        ]);
        let finished = spawn(&format!("will --ws --end {end}"), &mut command, None).finish();
        finished.assert_code(0, &format!("will --ws --end {end}"));
        assert!(
            finished.stdout().contains("the will arrived"),
            "{}",
            finished.stdout()
        );
    }
}

#[test]
fn wss_carries_messages_and_ping_shows_the_tls_and_websocket_phases() {
    let pki = Pki::new();
    let broker = rumqttd_v5();
    let options = BridgeOptions {
        tls: Some(pki.server_config()),
        ..BridgeOptions::default()
    };
    let bridge = Bridge::start(&broker, options);
    let url = format!("wss://{HOST}:{}/mqtt", bridge.port);
    let ca = pki.arg("ca.pem");
    let tls = ["--cafile", ca.as_str(), "--sni", BROKER_NAME];
    let topic = unique_topic("wss");
    let mut args = vec![
        "pub", "-L", &url, "-V", "5", "-t", &topic, "-m", "secret", "-r",
    ];
    args.extend(tls);
    run("pub -L wss://", &args).assert_code(0, "pub -L wss://");
    let mut args = vec![
        "sub", "-L", &url, "-V", "5", "-t", &topic, "-C", "1", "-W", "10",
    ];
    args.extend(tls);
    let read = run("sub -L wss://", &args);
    read.assert_code(0, "sub -L wss://");
    assert_eq!(read.stdout(), "secret\n");
    let mut args = vec!["pub", "-L", &url, "-V", "5", "-t", &topic, "-n", "-r"];
    args.extend(tls);
    run("clear", &args).assert_code(0, "clear the retained message");

    let mut args = vec!["ping", "-L", &url, "-V", "5", "-c", "1", "-v"];
    args.extend(tls);
    let ping = run("ping -L wss://", &args);
    ping.assert_code(0, "ping -L wss://");
    let stdout = ping.stdout();
    let connected = ping.connected_line();
    assert!(
        connected.contains(", TLS handshake ") && connected.contains(", WebSocket upgrade "),
        "{connected}"
    );
    assert!(stdout.contains(CA_NAME), "{stdout}");
}
