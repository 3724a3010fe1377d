//! TLS and Unix sockets against real mosquitto listeners, with certificates
//! this test makes (rcgen): verification, the errors a person sees when it
//! fails, client certificates, versions, and a broker's Unix socket.

mod common;

use std::fs;
use std::path::Path;

use common::own_mosquitto::OwnMosquitto;
use common::pki::{Pki, BROKER_NAME, CA_NAME};
use common::run::{spawn, Finished};
use common::{mqtk, unique_topic, HOST};

/// Runs `mqtk pub -h 127.0.0.1 -p PORT -t TOPIC -m x -q 1 ARGS...`.
fn publish(broker: &OwnMosquitto, args: &[&str]) -> Finished {
    let port = broker.broker().port.to_string();
    let topic = unique_topic("tls");
    let mut command = mqtk();
    command
        .args([
            "pub", "-h", HOST, "-p", &port, "-t", &topic, "-m", "x", "-q", "1",
        ])
        .args(args);
    spawn(&format!("pub {}", args.join(" ")), &mut command, None).finish()
}

#[test]
fn a_verified_tls_connection_carries_messages_both_ways() {
    let pki = Pki::new();
    let Some(broker) = OwnMosquitto::start_with(&pki.listener("")) else {
        return common::skip("mosquitto is not installed");
    };
    let ca = pki.arg("ca.pem");
    let tls = ["--cafile", ca.as_str(), "--sni", BROKER_NAME];
    publish(&broker, &tls).assert_code(0, "pub over TLS");
    // Retained, then read back over TLS, through an mqtts:// URL.
    let topic = unique_topic("tls-retained");
    let port = broker.broker().port;
    let url = format!("mqtts://{HOST}:{port}/{topic}");
    let mut command = mqtk();
    command
        .args(["pub", "-L", &url, "-m", "kept", "-r", "-q", "1"])
        .args(tls);
    spawn("pub -L mqtts://", &mut command, None)
        .finish()
        .assert_code(0, "pub -L mqtts://");
    let mut command = mqtk();
    command
        .args(["sub", "-L", &url, "-C", "1", "-W", "5"])
        .args(tls);
    let read = spawn("sub -L mqtts://", &mut command, None).finish();
    read.assert_code(0, "sub over TLS");
    assert_eq!(read.stdout(), "kept\n");
}

#[test]
fn a_certificate_from_another_ca_is_refused_in_one_line_naming_the_ca() {
    let pki = Pki::new();
    let Some(broker) = OwnMosquitto::start_with(&pki.listener("")) else {
        return common::skip("mosquitto is not installed");
    };
    let other = pki.arg("other-ca.pem");
    let output = publish(&broker, &["--cafile", &other, "--sni", BROKER_NAME]);
    output.assert_code(3, "the wrong CA");
    assert_eq!(output.stderr.lines().count(), 1, "{}", output.stderr);
    assert!(
        output.stderr.contains("not signed by a CA we trust") && output.stderr.contains(&other),
        "{}",
        output.stderr
    );
}

#[test]
fn a_name_mismatch_names_both_names_and_sni_or_insecure_get_past_it() {
    let pki = Pki::new();
    let Some(broker) = OwnMosquitto::start_with(&pki.listener("")) else {
        return common::skip("mosquitto is not installed");
    };
    let ca = pki.arg("ca.pem");
    // By address, the name on the certificate does not match.
    let output = publish(&broker, &["--cafile", &ca]);
    output.assert_code(3, "a name mismatch");
    assert!(
        output.stderr.contains(BROKER_NAME) && output.stderr.contains(HOST),
        "{}",
        output.stderr
    );
    publish(&broker, &["--cafile", &ca, "--sni", BROKER_NAME]).assert_code(0, "--sni");
    let insecure = publish(&broker, &["--insecure"]);
    insecure.assert_code(0, "--insecure");
    assert!(
        insecure.stderr.contains("warning: TLS without verifying"),
        "{}",
        insecure.stderr
    );
}

#[test]
fn a_broker_that_requires_a_client_certificate_refuses_none_and_takes_ours() {
    let pki = Pki::new();
    let config = pki.listener("require_certificate true\n");
    let Some(broker) = OwnMosquitto::start_with(&config) else {
        return common::skip("mosquitto is not installed");
    };
    let ca = pki.arg("ca.pem");
    let tls = ["--cafile", ca.as_str(), "--sni", BROKER_NAME];
    let refused = publish(&broker, &tls);
    refused.assert_code(4, "no client certificate");
    assert!(
        refused.stderr.contains("refused our client certificate"),
        "{}",
        refused.stderr
    );
    let (cert, key) = (pki.arg("client.pem"), pki.arg("client.key"));
    let mut with_cert = tls.to_vec();
    with_cert.extend(["--cert", &cert, "--key", &key]);
    publish(&broker, &with_cert).assert_code(0, "a client certificate");
}

#[test]
fn the_tls_version_is_ours_to_choose_and_keys_can_be_logged() {
    let pki = Pki::new();
    let Some(broker) = OwnMosquitto::start_with(&pki.listener("")) else {
        return common::skip("mosquitto is not installed");
    };
    let ca = pki.arg("ca.pem");
    let keylog = pki.path("keys.log");
    let keylog_arg = keylog.display().to_string();
    let args = [
        "--cafile",
        ca.as_str(),
        "--sni",
        BROKER_NAME,
        "--tls-version",
        "1.3",
        "--tls-keylog",
        &keylog_arg,
        "-d",
    ];
    let output = publish(&broker, &args);
    output.assert_code(0, "TLS 1.3");
    assert!(
        output.stderr.contains("mqtk: TLS 1.3 with TLS13_"),
        "{}",
        output.stderr
    );
    // The NSS key log format Wireshark reads: label, client random, secret.
    let log = read(&keylog);
    let line = log
        .lines()
        .find(|l| l.starts_with("CLIENT_TRAFFIC_SECRET_0 "));
    assert!(line.is_some_and(|l| l.split(' ').count() == 3), "{log}");
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_default()
}

#[test]
fn a_pem_file_that_is_not_one_is_named() {
    let pki = Pki::new();
    let Some(broker) = OwnMosquitto::start_with(&pki.listener("")) else {
        return common::skip("mosquitto is not installed");
    };
    let not_pem = pki.path("not.pem");
    fs::write(&not_pem, "hello").unwrap();
    let output = publish(&broker, &["--cafile", &not_pem.display().to_string()]);
    output.assert_code(1, "a CA file without certificates");
    assert!(
        output.stderr.contains(&not_pem.display().to_string()),
        "{}",
        output.stderr
    );
}

#[test]
fn a_broker_unix_socket_is_reached_with_unix() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("mosquitto.sock");
    let config = format!("listener 0 {}\n", socket.display());
    let Some(_broker) = OwnMosquitto::start_with(&config) else {
        return common::skip("mosquitto is not installed");
    };
    let socket_arg = socket.display().to_string();
    let topic = unique_topic("unix");
    let mut command = mqtk();
    command.args([
        "pub",
        "--unix",
        &socket_arg,
        "-t",
        &topic,
        "-m",
        "local",
        "-r",
        "-q",
        "1",
    ]);
    spawn("pub --unix", &mut command, None)
        .finish()
        .assert_code(0, "pub --unix");
    let mut command = mqtk();
    command.args([
        "sub",
        "--unix",
        &socket_arg,
        "-t",
        &topic,
        "-C",
        "1",
        "-W",
        "5",
    ]);
    let read = spawn("sub --unix", &mut command, None).finish();
    read.assert_code(0, "sub --unix");
    assert_eq!(read.stdout(), "local\n");
}

/// Runs `mqtk ping -c 1 ARGS...` against the broker over TLS, verified.
fn ping_tls(pki: &Pki, broker: &OwnMosquitto, args: &[&str]) -> Finished {
    let port = broker.broker().port.to_string();
    let ca = pki.arg("ca.pem");
    let mut command = mqtk();
    command
        .args(["ping", "-h", HOST, "-p", &port, "-c", "1"])
        .args(["--cafile", &ca, "--sni", BROKER_NAME])
        .args(args);
    spawn(&format!("ping {}", args.join(" ")), &mut command, None).finish()
}

#[test]
fn ping_v_over_tls_shows_the_handshake_and_the_broker_certificate() {
    let pki = Pki::new();
    let Some(broker) = OwnMosquitto::start_with(&pki.listener("")) else {
        return common::skip("mosquitto is not installed");
    };
    let output = ping_tls(&pki, &broker, &["-v", "--alpn", "mqtt"]);
    output.assert_code(0, "ping -v over TLS");
    let stdout = output.stdout();
    let connected = output.connected_line();
    assert!(
        connected.contains(", TCP connect ") && connected.contains(", TLS handshake "),
        "{connected}"
    );
    let tls = stdout
        .lines()
        .find(|line| line.starts_with("TLS: "))
        .unwrap_or_else(|| panic!("no TLS line:\n{stdout}"));
    assert!(
        tls.starts_with("TLS: TLS 1.") && tls.contains(", cipher suite TLS"),
        "{tls}"
    );
    // mosquitto sends its CA after its own certificate.
    for expected in [
        "certificate 1 of 2 (the broker's):\n  subject    CN=broker\n",
        &format!("  issuer     CN={CA_NAME}\n  names      DNS:{BROKER_NAME}\n  not after  "),
        &format!("certificate 2 of 2:\n  subject    CN={CA_NAME}\n"),
    ] {
        assert!(stdout.contains(expected), "no {expected:?} in:\n{stdout}");
    }
    assert!(!stdout.contains("warning"), "{stdout}");
    // --json has the same, and the handshake's time.
    let output = ping_tls(&pki, &broker, &["--json"]);
    output.assert_code(0, "ping --json over TLS");
    let json: serde_json::Value = serde_json::from_str(&output.stdout()).expect("JSON");
    assert!(json["connect"]["tls_ms"].is_number(), "{json}");
    assert!(json["tls"]["version"]
        .as_str()
        .unwrap()
        .starts_with("TLS 1."));
    let certificate = &json["tls"]["certificates"][0];
    assert_eq!(certificate["issuer"], format!("CN={CA_NAME}"));
    assert_eq!(certificate["names"][0], format!("DNS:{BROKER_NAME}"));
    assert_eq!(certificate["warning"], serde_json::Value::Null);
}

#[test]
fn a_broker_certificate_that_expires_in_10_days_is_warned_about() {
    let pki = Pki::expiring_in(10);
    let Some(broker) = OwnMosquitto::start_with(&pki.listener("")) else {
        return common::skip("mosquitto is not installed");
    };
    let output = ping_tls(&pki, &broker, &["--info"]);
    output.assert_code(0, "ping --info with a certificate about to expire");
    let stdout = output.stdout();
    let warning = stdout
        .lines()
        .find(|line| line.starts_with("  warning: "))
        .unwrap_or_else(|| panic!("no warning in:\n{stdout}"));
    // Midnight UTC ten days from now: 9 or 10 whole days away.
    assert!(
        warning.contains("this certificate expires in 9 days")
            || warning.contains("this certificate expires in 10 days"),
        "{warning}"
    );
    assert!(
        stdout.contains("CONNACK:"),
        "--info still shows the CONNACK:\n{stdout}"
    );
    let output = ping_tls(&pki, &broker, &["--json"]);
    let json: serde_json::Value = serde_json::from_str(&output.stdout()).expect("JSON");
    let days = json["tls"]["certificates"][0]["expires_in_days"].as_i64();
    assert!(matches!(days, Some(9 | 10)), "{json}");
}

#[test]
fn ipv6_literals_reach_a_broker_on_the_ipv6_loopback() {
    let held = common::HeldPort::for_server_on(std::net::Ipv6Addr::LOCALHOST.into());
    let port = held.port().to_string();
    let Some(_broker) = OwnMosquitto::start_with(&format!("listener {port} ::1\n")) else {
        return common::skip("mosquitto is not installed");
    };
    let topic = unique_topic("ipv6");
    let mut command = mqtk();
    command.args([
        "pub", "-h", "::1", "-p", &port, "-t", &topic, "-m", "six", "-r", "-q", "1",
    ]);
    spawn("pub -h ::1", &mut command, None)
        .finish()
        .assert_code(0, "pub -h ::1");
    let url = format!("mqtt://[::1]:{port}/{topic}");
    let mut command = mqtk();
    command.args(["sub", "-L", &url, "-C", "1", "-W", "5"]);
    let read = spawn("sub -L mqtt://[::1]", &mut command, None).finish();
    read.assert_code(0, "sub -L mqtt://[::1]:PORT/TOPIC");
    assert_eq!(read.stdout(), "six\n");
}
