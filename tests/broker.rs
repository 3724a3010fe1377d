//! `mqtk broker` as a user runs it: a process of its own, reached by `mqtk pub` and `mqtk sub`
//! on its MQTT 3.1.1 and MQTT 5 ports, refusing a taken port, stopped by Ctrl-C, and doing what
//! its help says of rumqttd. Built without the `broker` feature, it says so in one line.

mod common;

#[cfg(feature = "broker")]
mod embedded {
    use std::net::{SocketAddr, TcpListener, TcpStream};
    use std::time::Duration;

    use super::common::run::{
        publish_marker, publish_ok, publish_with_input, spawn, subscribe, subscriber, Running,
    };
    use super::common::{mqtk, unique_topic, Broker, HeldPort, Version, HOST};

    /// How long `mqtk broker` may take to say where it listens.
    const START_TIMEOUT: Duration = Duration::from_secs(10);

    /// A running `mqtk broker` and the listeners its first line named.
    struct BrokerProcess {
        running: Running,
        first_line: String,
        v311: Broker,
        v5: Broker,
    }

    /// Starts `mqtk broker -p PORT` (0: two free ports) and waits for its first line.
    fn start_broker(port: u16) -> BrokerProcess {
        let what = format!("mqtk broker -p {port}");
        let mut command = mqtk();
        command.args(["broker", "-p", &port.to_string()]);
        let mut running = spawn(&what, &mut command, None);
        let first_line = running.wait_for_stdout_line(START_TIMEOUT);
        let (v311_port, v5_port) = listening_ports(&first_line);
        if port != 0 {
            assert_eq!(
                (v311_port, v5_port),
                (port, port + 1),
                "{what}: {first_line}"
            );
        }
        let listener = |name, port, version| Broker {
            name,
            host: HOST.to_string(),
            port,
            version,
        };
        BrokerProcess {
            running,
            first_line,
            v311: listener("mqtk-broker-v311", v311_port, Version::V311),
            v5: listener("mqtk-broker-v5", v5_port, Version::V5),
        }
    }

    /// The two ports of "mqtk broker: MQTT 3.1.1 on 127.0.0.1:P, MQTT 5 on 127.0.0.1:Q
    /// (Ctrl-C stops)".
    fn listening_ports(line: &str) -> (u16, u16) {
        let ports = line
            .strip_prefix("mqtk broker: MQTT 3.1.1 on 127.0.0.1:")
            .and_then(|rest| rest.strip_suffix(" (Ctrl-C stops)"))
            .and_then(|rest| rest.split_once(", MQTT 5 on 127.0.0.1:"))
            .and_then(|(v311, v5)| Some((v311.parse().ok()?, v5.parse().ok()?)));
        ports.unwrap_or_else(|| panic!("not the line that says where it listens: {line:?}"))
    }

    /// Two adjacent ports on 127.0.0.1, P and P + 1, held for `mqtk broker -p P` until they
    /// are dropped: no other process can take one between finding and using it.
    fn held_port_pair() -> (u16, [HeldPort; 2]) {
        loop {
            let first = HeldPort::for_server();
            let port = first.port();
            if port < u16::MAX {
                if let Ok(second) = HeldPort::try_for_server_at(port + 1) {
                    return (port, [first, second]);
                }
            }
        }
    }

    /// Sends Ctrl-C and checks that the broker exits with 0, having printed only its first
    /// line, and that its ports are closed then.
    fn stop_with_ctrl_c(broker: BrokerProcess) {
        broker.running.interrupt();
        let got = broker.running.finish_within(Duration::from_secs(10));
        got.assert_code(0, "mqtk broker after Ctrl-C");
        assert_eq!(got.stdout(), format!("{}\n", broker.first_line));
        assert_eq!(got.stderr, "", "mqtk broker after Ctrl-C");
        for listener in [&broker.v311, &broker.v5] {
            let addr: SocketAddr = listener.addr().parse().expect("ip:port");
            assert!(
                TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_err(),
                "{} still accepts connections after Ctrl-C",
                listener.name
            );
        }
    }

    #[test]
    fn pub_and_sub_meet_on_both_ports_of_mqtk_broker() {
        let (port, _held) = held_port_pair();
        let broker = start_broker(port);
        let (v311, v5) = (&broker.v311, &broker.v5);
        for (from, to) in [(v311, v311), (v5, v5), (v311, v5), (v5, v311)] {
            let topic = unique_topic("broker");
            let payload = format!("from {} to {}", from.name, to.name);
            let what = format!("mqtk broker -p {port}: {payload}");
            let receiver = subscribe(to, &["-t", &topic, "-q", "1", "-C", "1"]);
            publish_ok(from, &["-t", &topic, "-m", &payload, "-q", "1"]);
            let got = receiver.finish();
            got.assert_code(0, &what);
            assert_eq!(got.stdout(), format!("{payload}\n"), "{what}");
        }
        let (v311, v5) = (v311.clone(), v5.clone());
        stop_with_ctrl_c(broker);
        // So it was mqtk broker that carried the messages, and nothing else on these ports.
        for listener in [v311, v5] {
            let got = publish_with_input(&listener, &["-t", "a", "-m", "b"], None);
            got.assert_code(3, &format!("pub to {} once it stopped", listener.name));
        }
    }

    #[test]
    fn a_taken_port_is_one_error_line_and_exit_code_3() {
        for (taken, protocol) in [(0, "MQTT 3.1.1"), (1, "MQTT 5")] {
            let (port, _held) = held_port_pair();
            let taken_port = port + taken;
            // Another program listens on the taken one.
            let _taken = TcpListener::bind((HOST, taken_port)).expect("listen on a held port");
            let what = format!("mqtk broker -p {port} with port {taken_port} taken");
            let mut command = mqtk();
            command.args(["broker", "-p", &port.to_string()]);
            let got = spawn(&what, &mut command, None).finish();
            got.assert_code(3, &what);
            got.assert_one_error_line(&what);
            let expected = format!(
                "mqtk: cannot listen on 127.0.0.1:{taken_port} for {protocol}: the port is in use\n"
            );
            assert_eq!(got.stderr, expected, "{what}");
            assert_eq!(got.stdout(), "", "{what}");
        }
    }

    #[test]
    fn ctrl_c_stops_mqtk_broker_on_free_ports_with_exit_0() {
        let broker = start_broker(0);
        assert_ne!(broker.v311.port, broker.v5.port, "{}", broker.first_line);
        for listener in [&broker.v311, &broker.v5] {
            let mut command = mqtk();
            command.args(["ping", "-c", "1"]).args(listener.args());
            let got = spawn(&format!("ping {}", listener.name), &mut command, None).finish();
            got.assert_code(0, &format!("ping {}", listener.name));
        }
        stop_with_ctrl_c(broker);
    }

    #[test]
    fn a_port_with_no_port_after_it_is_a_usage_error() {
        let mut command = mqtk();
        command.args(["broker", "-p", "65535"]);
        let got = spawn("mqtk broker -p 65535", &mut command, None).finish();
        got.assert_code(2, "mqtk broker -p 65535");
        got.assert_one_error_line("mqtk broker -p 65535");
        assert!(got.stderr.contains("no port for MQTT 5"), "{}", got.stderr);
    }

    /// The deviations `mqtk broker --help` lists, a few of them tried.
    #[test]
    fn rumqttd_deviates_from_the_specification_as_the_help_says() {
        let mut command = mqtk();
        command.args(["broker", "--help"]);
        let help = spawn("mqtk broker --help", &mut command, None).finish();
        help.assert_code(0, "mqtk broker --help");
        let help = help.stdout();
        for entry in [
            "Deviations (rumqttd 0.20):",
            "  QoS ",
            "  options ",
            "  retained ",
        ] {
            assert!(help.contains(entry), "{entry:?} in:\n{help}");
        }

        let broker = start_broker(0);
        let (v311, v5) = (&broker.v311, &broker.v5);

        // QoS: a QoS 0 message reaches a QoS 2 subscription at QoS 2, in either version.
        for listener in [v311, v5] {
            let topic = unique_topic("qos");
            let receiver = subscribe(listener, &["-t", &topic, "-q", "2", "-C", "1", "-F", "%q"]);
            publish_ok(listener, &["-t", &topic, "-m", "x", "-q", "0"]);
            let got = receiver.finish();
            got.assert_code(0, &format!("{}: QoS", listener.name));
            assert_eq!(got.stdout(), "2\n", "{}: QoS 0 at QoS 2", listener.name);
        }

        // options: Retain Handling 2 (never send retained messages) is ignored.
        let topic = unique_topic("retain-handling");
        publish_ok(v5, &["-t", &topic, "-m", "kept", "-r", "-q", "1"]);
        let args = [
            "-t",
            &topic,
            "--retain-handling",
            "2",
            "-C",
            "1",
            "-F",
            "%r %p",
        ];
        let got = spawn("sub --retain-handling 2", &mut subscriber(v5, &args), None).finish();
        got.assert_code(0, "sub --retain-handling 2");
        assert_eq!(got.stdout(), "1 kept\n", "--retain-handling 2");

        // retained: an empty message without the retain flag deletes the retained one. It was
        // there (above), and a subscriber now sees only the marker published after it.
        publish_ok(v5, &["-t", &topic, "-n", "-q", "1"]);
        let mut receiver = subscribe(v5, &["-t", &topic, "-q", "1", "-C", "1"]);
        publish_marker(v5, &topic, &mut receiver);
        receiver
            .finish()
            .assert_code(0, "the subscriber after the empty message");

        // $ topics: a SUBSCRIBE to one is answered by closing the connection.
        let args = ["-t", "$mqtk/test", "--no-reconnect"];
        let got = spawn("sub -t '$mqtk/test'", &mut subscriber(v5, &args), None).finish();
        got.assert_code(1, "sub -t '$mqtk/test'");
        assert!(
            got.stderr.contains("the broker closed the connection"),
            "{}",
            got.stderr
        );
        stop_with_ctrl_c(broker);
    }
}

#[cfg(not(feature = "broker"))]
#[test]
fn without_the_broker_feature_mqtk_broker_says_so_in_one_line() {
    let what = "mqtk broker, built without the broker feature";
    let mut command = common::mqtk();
    command.args(["broker", "-p", "0"]);
    let got = common::run::spawn(what, &mut command, None).finish();
    got.assert_code(1, what);
    got.assert_one_error_line(what);
    assert!(
        got.stderr.contains("built without the embedded broker"),
        "{}",
        got.stderr
    );
}
