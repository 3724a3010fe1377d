//! mqtk's SCRAM client against a SCRAM server written apart from it: a few lines of Python on
//! its standard library (hashlib's PBKDF2, hmac), which check the client's proof as a broker
//! does and sign the exchange, for SCRAM-SHA-1, SCRAM-SHA-256 and SCRAM-SHA-512. No SCRAM
//! broker can be installed here (EMQX is the one that speaks it); this is the oracle.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Duration;

use common::run::{spawn, Finished};
use common::{mqtk, programs, read_packet, skip, FakePeer};
use mqtk::client::scram::{nonce, Mechanism, ScramClient, ScramError};

/// The server: reads the client's first message, answers with its own, reads the client's
/// final message and answers `v=SIGNATURE`, or `e=invalid-proof` when the proof is wrong.
/// It knows the password "pencil"; argv[1] is the hash.
const SERVER: &str = r#"
import base64, hashlib, hmac, os, sys
h = sys.argv[1]
first = sys.stdin.readline().strip()
bare = first[3:]                                   # after the "n,," header
cnonce = dict(f.split("=", 1) for f in bare.split(","))["r"]
salt, iterations = os.urandom(16), 4096
nonce = cnonce + base64.b64encode(os.urandom(12)).decode()
server_first = "r=%s,s=%s,i=%d" % (nonce, base64.b64encode(salt).decode(), iterations)
print(server_first, flush=True)
final = sys.stdin.readline().strip()
without_proof, proof = final.rsplit(",p=", 1)
salted = hashlib.pbkdf2_hmac(h, b"pencil", salt, iterations)
client_key = hmac.new(salted, b"Client Key", h).digest()
stored_key = hashlib.new(h, client_key).digest()
auth = ",".join([bare, server_first, without_proof])
signature = hmac.new(stored_key, auth.encode(), h).digest()
claimed = bytes(a ^ b for a, b in zip(base64.b64decode(proof), signature))
ok = hashlib.new(h, claimed).digest() == stored_key and ("r=" + nonce) in without_proof
server_key = hmac.new(salted, b"Server Key", h).digest()
verdict = "v=" + base64.b64encode(hmac.new(server_key, auth.encode(), h).digest()).decode()
print(verdict if ok else "e=invalid-proof", flush=True)
"#;

/// The Python server of one exchange, spoken to a line at a time.
struct Server {
    process: Child,
    to: ChildStdin,
    from: BufReader<ChildStdout>,
}

impl Server {
    /// Starts a server for `hash` (hashlib's name), or skips the test without python3.
    fn start(hash: &str) -> Option<Server> {
        let Some(python) = programs::find_program("python3") else {
            skip("python3 is not installed: no SCRAM server to check against");
            return None;
        };
        let mut process = Command::new(python)
            .args(["-c", SERVER, hash])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the Python SCRAM server");
        let to = process.stdin.take().expect("its stdin");
        let from = BufReader::new(process.stdout.take().expect("its stdout"));
        Some(Server { process, to, from })
    }

    /// Sends one of the client's messages and returns the server's answer.
    fn answer(&mut self, message: &[u8]) -> Vec<u8> {
        self.to.write_all(message).expect("write to the server");
        self.to.write_all(b"\n").expect("write to the server");
        let mut line = String::new();
        self.from.read_line(&mut line).expect("read the server");
        line.trim_end().as_bytes().to_vec()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// Runs one exchange of `mechanism` with `password` against the Python server: the client's
/// verdict on the server's final message.
fn exchange(mechanism: Mechanism, hash: &str, password: &[u8]) -> Option<Result<(), ScramError>> {
    let mut server = Server::start(hash)?;
    let mut client = ScramClient::new(mechanism, "user", password, &nonce());
    let server_first = server.answer(&client.client_first());
    let client_final = client
        .client_final(&server_first)
        .expect("a server-first the client takes");
    let server_final = server.answer(&client_final);
    Some(client.verify_server_final(&server_final))
}

#[test]
fn every_mechanism_agrees_with_an_independent_server() {
    for (mechanism, hash) in [
        (Mechanism::Sha1, "sha1"),
        (Mechanism::Sha256, "sha256"),
        (Mechanism::Sha512, "sha512"),
    ] {
        let Some(verdict) = exchange(mechanism, hash, b"pencil") else {
            return;
        };
        assert_eq!(verdict, Ok(()), "{}", mechanism.name());
    }
}

#[test]
fn a_wrong_password_is_refused_by_the_server() {
    let Some(verdict) = exchange(Mechanism::Sha256, "sha256", b"crayon") else {
        return;
    };
    assert_eq!(verdict, Err(ScramError::Refused("invalid-proof".into())));
}

/// Runs `mqtk pub` against `peer`, authenticating as "user" with `method` and `password`.
fn pub_with_scram(peer: &FakePeer, method: &str, password: &str) -> Finished {
    let mut command = mqtk();
    command
        .arg("pub")
        .args(peer.args())
        .args(["-t", "t", "-m", "x"]);
    command.args(["--auth-method", method, "-u", "user", "-P", password]);
    let what = format!("mqtk pub --auth-method {method}");
    spawn(&what, &mut command, None).finish_within(Duration::from_secs(20))
}

/// A packet: `first` byte, the remaining length, `body`.
fn packet(first: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![first];
    let mut length = body.len();
    loop {
        let byte = (length % 128) as u8;
        length /= 128;
        out.push(if length > 0 { byte | 0x80 } else { byte });
        if length == 0 {
            break;
        }
    }
    out.extend_from_slice(body);
    out
}

/// A property of a string or binary value: its identifier, a two-byte length, the bytes.
fn property(id: u8, value: &[u8]) -> Vec<u8> {
    let mut out = vec![id, (value.len() >> 8) as u8, value.len() as u8];
    out.extend_from_slice(value);
    out
}

/// The value of the first string or binary property `id` in `packet` that starts with `start`.
fn find_property<'a>(packet: &'a [u8], id: u8, start: &[u8]) -> &'a [u8] {
    let at = (3..packet.len())
        .find(|&i| packet[i - 3] == id && packet[i..].starts_with(start))
        .unwrap_or_else(|| panic!("property {id:#04x} starting {start:?} in {packet:02x?}"));
    let len = usize::from(packet[at - 2]) << 8 | usize::from(packet[at - 1]);
    &packet[at..at + len]
}

/// An AUTH of SCRAM-SHA-256 with `reason` and `data`.
fn auth_packet(reason: u8, data: &[u8]) -> Vec<u8> {
    let mut properties = property(0x15, b"SCRAM-SHA-256");
    properties.extend(property(0x16, data));
    let mut body = vec![reason, properties.len() as u8];
    body.extend(properties);
    packet(0xF0, &body)
}

/// The broker's side of one exchange after the client's first message: the server's first
/// message in an AUTH 0x18, the client's proof read from its AUTH 0x18, and the server's
/// final message (or `e=...`) returned.
fn challenge(s: &mut TcpStream, server: &mut Server, client_first: &[u8]) -> Vec<u8> {
    let server_first = server.answer(client_first);
    s.write_all(&auth_packet(0x18, &server_first))
        .expect("send AUTH");
    let auth = read_packet(s);
    assert_eq!(
        &auth[..3],
        [0xF0, auth[1], 0x18],
        "an AUTH 0x18: {auth:02x?}"
    );
    server.answer(find_property(&auth, 0x16, b"c=biws"))
}

/// What the scripted broker does after the client's final message.
enum Ending {
    /// CONNACK success with the server's final message.
    Verified,
    /// CONNACK success with a signature that is not the server's.
    WrongSignature,
}

/// Plays an MQTT 5 broker that authenticates with SCRAM-SHA-256 through the Python server,
/// and runs `mqtk pub` against it with `password`.
fn pub_against_scram_peer(password: &str, ending: Ending) -> Option<Finished> {
    let mut server = Server::start("sha256")?;
    let peer = FakePeer::start(move |mut s: TcpStream| {
        let connect = read_packet(&mut s);
        let method = find_property(&connect, 0x15, b"SCRAM");
        assert_eq!(method, b"SCRAM-SHA-256");
        let flags = connect[connect.windows(4).position(|w| w == b"MQTT").unwrap() + 5];
        assert_eq!(
            flags & 0x40,
            0,
            "no password in the CONNECT: {connect:02x?}"
        );
        let server_final = challenge(&mut s, &mut server, find_property(&connect, 0x16, b"n,,"));
        let server_final = match ending {
            Ending::Verified => server_final,
            Ending::WrongSignature => b"v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".to_vec(),
        };
        if server_final.starts_with(b"e=") {
            // A refused proof: CONNACK "bad user name or password" (0x86), no properties.
            s.write_all(&[0x20, 0x03, 0x00, 0x86, 0x00])
                .expect("send CONNACK");
            return;
        }
        let properties = property(0x16, &server_final);
        let mut body = vec![0x00, 0x00, properties.len() as u8];
        body.extend(properties);
        s.write_all(&packet(0x20, &body)).expect("send CONNACK");
        while common::try_read_packet(&mut s).is_ok_and(|p| p.is_some()) {}
    });
    let got = pub_with_scram(&peer, "SCRAM-SHA-256", password);
    peer.join();
    Some(got)
}

/// `mqtk sub --reauth-every 0.3s` against a scripted broker that authenticates the connection
/// and then two re-authentications (AUTH 0x19, 0x18 both ways, 0x00), each through a Python
/// server of its own; `wrong_second` signs the second with a signature that is not the server's.
fn sub_reauthenticating(wrong_second: bool) -> Option<(Finished, u32)> {
    let mut first = Server::start("sha256")?;
    let (rounds_tx, rounds_rx) = std::sync::mpsc::channel();
    let peer = FakePeer::start(move |mut s: TcpStream| {
        let connect = read_packet(&mut s);
        let server_final = challenge(&mut s, &mut first, find_property(&connect, 0x16, b"n,,"));
        let properties = property(0x16, &server_final);
        let mut body = vec![0x00, 0x00, properties.len() as u8];
        body.extend(properties);
        s.write_all(&packet(0x20, &body)).expect("send CONNACK");
        let subscribe = read_packet(&mut s);
        s.write_all(&[0x90, 0x04, subscribe[2], subscribe[3], 0x00, 0x00])
            .expect("send SUBACK");
        for round in 1..=2 {
            let auth = read_packet(&mut s);
            assert_eq!(&auth[..3], [0xF0, auth[1], 0x19], "AUTH 0x19: {auth:02x?}");
            let mut server = Server::start("sha256").expect("python3, found before");
            let mut server_final =
                challenge(&mut s, &mut server, find_property(&auth, 0x16, b"n,,"));
            if wrong_second && round == 2 {
                server_final = b"v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".to_vec();
            }
            s.write_all(&auth_packet(0x00, &server_final))
                .expect("send AUTH success");
            rounds_tx.send(round).expect("count the round");
        }
        while common::try_read_packet(&mut s).is_ok_and(|p| p.is_some()) {}
    });
    let mut command = mqtk();
    command
        .arg("sub")
        .args(peer.args())
        .args(["-t", "t", "-W", "3"]);
    command.args([
        "--auth-method",
        "SCRAM-SHA-256",
        "-u",
        "user",
        "-P",
        "pencil",
    ]);
    command.args(["--reauth-every", "0.3s", "--no-reconnect"]);
    let got = spawn("mqtk sub --reauth-every 0.3s", &mut command, None)
        .finish_within(Duration::from_secs(20));
    peer.join();
    Some((got, rounds_rx.try_iter().last().unwrap_or(0)))
}

#[test]
fn sub_proves_the_password_again_and_checks_the_broker_each_time() {
    let Some((got, rounds)) = sub_reauthenticating(false) else {
        return;
    };
    assert_eq!(rounds, 2, "two re-authentications: {}", got.stderr);
    got.assert_code(1, "sub -W 3 with re-authentication every 0.3 s");
    assert!(got.stderr.contains("timed out after 3s"), "{}", got.stderr);
}

#[test]
fn a_re_authentication_the_broker_cannot_sign_ends_the_connection_with_exit_4() {
    let Some((got, rounds)) = sub_reauthenticating(true) else {
        return;
    };
    assert_eq!(rounds, 2, "{}", got.stderr);
    got.assert_code(4, "a wrong signature at the second re-authentication");
    assert!(
        got.stderr
            .contains("authentication with SCRAM-SHA-256 failed: the server could not prove"),
        "{}",
        got.stderr
    );
}

#[test]
fn pub_authenticates_with_scram_and_checks_the_broker() {
    let Some(got) = pub_against_scram_peer("pencil", Ending::Verified) else {
        return;
    };
    got.assert_code(0, "the right password, a verified broker");
}

#[test]
fn a_broker_that_cannot_prove_the_password_is_refused_with_exit_4() {
    let Some(got) = pub_against_scram_peer("pencil", Ending::WrongSignature) else {
        return;
    };
    got.assert_code(4, "a wrong server signature");
    assert!(
        got.stderr.contains(
            "authentication with SCRAM-SHA-256 failed: the server could not prove it knows the password"
        ),
        "{}",
        got.stderr
    );
}

#[test]
fn a_wrong_password_is_refused_by_the_broker_with_exit_4() {
    let Some(got) = pub_against_scram_peer("crayon", Ending::Verified) else {
        return;
    };
    got.assert_code(4, "a wrong password");
    assert!(
        got.stderr.contains("bad user name or password"),
        "{}",
        got.stderr
    );
}

#[test]
fn an_auth_with_an_unexpected_reason_is_a_protocol_error() {
    let peer = FakePeer::start(|mut s: TcpStream| {
        read_packet(&mut s);
        // AUTH "re-authenticate" (0x19) where "continue authentication" (0x18) belongs.
        s.write_all(&[0xF0, 0x02, 0x19, 0x00]).expect("send AUTH");
        // The client closes the connection, before any CONNACK.
        while common::try_read_packet(&mut s).is_ok_and(|p| p.is_some()) {}
    });
    let got = pub_with_scram(&peer, "SCRAM-SHA-512", "pencil");
    peer.join();
    got.assert_code(1, "an AUTH 0x19 during the exchange");
    assert!(got.stderr.contains("AUTH before CONNACK"), "{}", got.stderr);
}
