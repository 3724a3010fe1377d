//! mqtk's SCRAM client against a SCRAM server written apart from it: a few lines of Python on
//! its standard library (hashlib's PBKDF2, hmac), which check the client's proof as a broker
//! does and sign the exchange, for SCRAM-SHA-1, SCRAM-SHA-256 and SCRAM-SHA-512. No SCRAM
//! broker can be installed here (EMQX is the one that speaks it); this is the oracle.

// Of the harness, the program lookup and the skip alone (no broker here), of which only part.
#[allow(dead_code)]
#[path = "common/programs.rs"]
mod programs;
#[allow(dead_code)]
#[path = "common/skip.rs"]
mod skip;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

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

/// Runs one exchange of `mechanism` with `password` against the Python server: the client's
/// verdict on the server's final message.
fn exchange(mechanism: Mechanism, hash: &str, password: &[u8]) -> Option<Result<(), ScramError>> {
    let Some(python) = programs::find_program("python3") else {
        skip::skip("python3 is not installed: no SCRAM server to check against");
        return None;
    };
    let mut server = Command::new(python)
        .args(["-c", SERVER, hash])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the Python SCRAM server");
    let mut to_server = server.stdin.take().expect("its stdin");
    let mut from_server = BufReader::new(server.stdout.take().expect("its stdout"));
    let mut line = String::new();
    let mut client = ScramClient::new(mechanism, "user", password, &nonce());
    to_server
        .write_all(&client.client_first())
        .expect("send client-first");
    to_server.write_all(b"\n").expect("send client-first");
    from_server.read_line(&mut line).expect("read server-first");
    let client_final = client
        .client_final(line.trim_end().as_bytes())
        .expect("a server-first the client takes");
    to_server
        .write_all(&client_final)
        .expect("send client-final");
    to_server.write_all(b"\n").expect("send client-final");
    line.clear();
    from_server.read_line(&mut line).expect("read server-final");
    assert!(server.wait().expect("the server ends").success());
    Some(client.verify_server_final(line.trim_end().as_bytes()))
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
