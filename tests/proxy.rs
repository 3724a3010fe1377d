//! `--proxy`: the broker reached through a SOCKS5 proxy of the harness's own (fast-socks5),
//! with the broker's name resolved by the proxy (socks5h) or by mqtk (socks5), with a user
//! name and password, and the errors a person sees when the proxy refuses.

mod common;

use common::run::{for_each_broker, spawn, subscribe, Finished};
use common::socks_proxy::SocksProxy;
use common::websocket_bridge::{Bridge, BridgeOptions};
use common::{brokers, mqtk, rumqttd_v5, unique_topic, Broker, Version};

/// `mqtk COMMAND -h localhost -p PORT [-V ...] --proxy URL ARGS...`, run to the end.
fn through(command: &str, broker: &Broker, proxy: &str, args: &[&str]) -> Finished {
    let mut mqtk = mqtk();
    let port = broker.port.to_string();
    mqtk.args([command, "-h", "localhost", "-p", &port, "--proxy", proxy]);
    match broker.version {
        Version::V311 => mqtk.args(["-V", "3.1.1"]),
        Version::V5 => mqtk.args(["-V", "5"]),
        Version::Both => &mut mqtk,
    };
    mqtk.args(args);
    let what = format!(
        "{}: {command} --proxy {proxy} {}",
        broker.name,
        args.join(" ")
    );
    spawn(&what, &mut mqtk, None).finish()
}

#[test]
fn pub_and_sub_go_through_a_socks5_proxy_that_resolves_the_name_or_not() {
    for_each_broker(&brokers(), |broker| {
        let proxy = SocksProxy::start(Some(("alice", "s3cret")));
        let remote = proxy.url("socks5h", "alice:s3cret@");
        let local = proxy.url("socks5", "alice:s3cret@");
        let topic = unique_topic("socks");
        // The subscriber directly, the publisher through the proxy both ways.
        let subscriber = subscribe(broker, &["-t", &topic, "-q", "1", "-C", "2", "-W", "20"]);
        for (url, message) in [(&remote, "by name"), (&local, "by address")] {
            let published = through(
                "pub",
                broker,
                url,
                &["-t", &topic, "-m", message, "-q", "1"],
            );
            published.assert_code(0, &format!("{}: pub --proxy {url}", broker.name));
            assert_eq!(
                published.stderr,
                "mqtk: warning: the proxy's password in --proxy is visible to other users in ps\n"
            );
        }
        let received = subscriber.finish();
        received.assert_code(0, &format!("{}: sub", broker.name));
        assert_eq!(
            received.stdout(),
            "by name\nby address\n",
            "{}",
            broker.name
        );
        // socks5h hands the proxy the name; socks5 an address mqtk resolved it to (perhaps
        // ::1 first, which the proxy cannot reach, then 127.0.0.1).
        let targets = proxy.targets();
        let port = broker.port;
        assert_eq!(
            targets[0],
            format!("domain localhost:{port}"),
            "{targets:?}"
        );
        assert!(
            targets[1..].iter().all(|t| t.starts_with("ip "))
                && targets.contains(&format!("ip 127.0.0.1:{port}")),
            "{targets:?}"
        );
    });
}

#[test]
fn ping_through_a_proxy_shows_its_handshake_as_a_phase() {
    let broker = rumqttd_v5();
    let proxy = SocksProxy::start(None);
    let ping = through("ping", &broker, &proxy.url("socks5h", ""), &["-c", "1"]);
    ping.assert_code(0, "ping --proxy");
    let stdout = ping.stdout();
    let connected = ping.connected_line();
    assert!(
        connected.contains(", TCP connect ") && connected.contains(", SOCKS5 proxy "),
        "{connected}"
    );
    // The proxy resolved the name, so the peer is the name as given.
    assert!(
        stdout.starts_with(&format!("PING localhost:{0} (localhost:{0})", broker.port)),
        "{stdout}"
    );
}

#[test]
fn websocket_goes_through_a_proxy_too() {
    let broker = rumqttd_v5();
    let bridge = Bridge::start(&broker, BridgeOptions::default());
    let proxy = SocksProxy::start(None);
    let bridged = Broker {
        port: bridge.port,
        ..broker.clone()
    };
    let topic = unique_topic("socks-ws");
    let published = through(
        "pub",
        &bridged,
        &proxy.url("socks5h", ""),
        &["--ws", "-t", &topic, "-m", "x", "-q", "1"],
    );
    published.assert_code(0, "pub --ws --proxy");
    assert_eq!(bridge.seen().requests.len(), 1);
    assert_eq!(
        proxy.targets(),
        [format!("domain localhost:{}", bridge.port)]
    );
}

#[test]
fn a_wrong_password_or_none_is_refused_in_one_line_with_exit_3() {
    let broker = rumqttd_v5();
    let proxy = SocksProxy::start(Some(("alice", "s3cret")));
    let topic = unique_topic("socks-refused");
    let args = ["-t", topic.as_str(), "-m", "x"];
    let wrong = through("pub", &broker, &proxy.url("socks5h", "alice:wrong@"), &args);
    wrong.assert_code(3, "a wrong proxy password");
    wrong.assert_one_error_line("a wrong proxy password");
    assert!(
        wrong.stderr.contains(&format!(
            "SOCKS5 proxy socks5h://127.0.0.1:{}: the proxy refused our user name and password",
            proxy.port
        )),
        "{}",
        wrong.stderr
    );
    assert!(
        !wrong.stderr.contains("wrong"),
        "the password is shown: {}",
        wrong.stderr
    );
    let none = through("pub", &broker, &proxy.url("socks5h", ""), &args);
    none.assert_code(3, "no proxy password");
    none.assert_one_error_line("no proxy password");
    assert!(
        none.stderr.contains("wants a user name and password"),
        "{}",
        none.stderr
    );
}

#[test]
fn an_unreachable_proxy_and_a_proxy_with_unix_are_named() {
    let broker = rumqttd_v5();
    let closed = common::HeldPort::closed();
    let url = format!("socks5://127.0.0.1:{}", closed.port());
    let unreachable = through("pub", &broker, &url, &["-t", "t", "-m", "x"]);
    unreachable.assert_code(3, "an unreachable proxy");
    unreachable.assert_one_error_line("an unreachable proxy");
    assert!(
        unreachable.stderr.contains("cannot connect to the proxy"),
        "{}",
        unreachable.stderr
    );
    let mut command = mqtk();
    command.args([
        "pub", "--unix", "/nowhere", "--proxy", &url, "-t", "t", "-m", "x",
    ]);
    let with_unix = spawn("pub --unix --proxy", &mut command, None).finish();
    with_unix.assert_code(2, "--proxy with --unix");
    let mut command = mqtk();
    command.args(["pub", "--proxy", "http://proxy:3128", "-t", "t", "-m", "x"]);
    let http = spawn("pub --proxy http://", &mut command, None).finish();
    http.assert_code(2, "an HTTP proxy");
    assert!(http.stderr.contains("SOCKS5"), "{}", http.stderr);
}
