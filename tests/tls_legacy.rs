//! Certificates made the way `man mosquitto-tls` teaches (`openssl x509 -req` without
//! `-extfile`): X.509 version 1, the host name only in the CN. mosquitto_pub takes them, and so
//! does mqtk under a CA the user gave (--cafile), with one warning, still checking the CA, the
//! dates and the name; under the system's CAs it keeps webpki's rules. Each test runs a
//! mosquitto of its own with a TLS listener.

mod common;

use std::fs;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::own_mosquitto::OwnMosquitto;
use common::run::{spawn, Finished};
use common::{mqtk, unique_topic, HOST};

/// The name on the broker's certificates; tests connect to 127.0.0.1 with `--sni localhost`.
const BROKER_NAME: &str = "localhost";

/// An OpenSSL configuration (OPENSSL_CONF) that holds TLS at version 1.2 at most.
const TLS_1_2_AT_MOST: &str = "openssl_conf = mqtk_test\n\
    [mqtk_test]\nssl_conf = ssl\n\
    [ssl]\nsystem_default = tls\n\
    [tls]\nMaxProtocol = TLSv1.2\n";

/// A directory of certificates made with the openssl command line.
struct Recipe {
    dir: tempfile::TempDir,
    openssl: PathBuf,
}

impl Recipe {
    /// `None`, after skipping the test, when openssl is not installed (with CI=true the harness
    /// panics instead).
    fn start() -> Option<Recipe> {
        let Some(openssl) = common::openssl() else {
            common::skip("openssl is not installed");
            return None;
        };
        let dir = tempfile::tempdir().expect("a directory for the certificates");
        Some(Recipe { dir, openssl })
    }

    /// Runs `openssl` with the words of `line` (no quoting: names without spaces) in the
    /// directory; panics with what it said when it fails.
    fn openssl(&self, line: &str) -> String {
        let output = Command::new(&self.openssl)
            .args(line.split_whitespace())
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .output()
            .expect("run openssl");
        assert!(
            output.status.success(),
            "openssl {line}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// A CA: `NAME.crt` and `NAME.key`.
    fn ca(&self, name: &str, cn: &str) -> &Recipe {
        self.openssl(&format!(
            "req -new -x509 -days 365 -extensions v3_ca -nodes -subj /CN={cn} \
             -keyout {name}.key -out {name}.crt"
        ));
        self
    }

    /// A key and a certificate for `cn` signed by the CA `ca`: `NAME.crt` and `NAME.key`. Without
    /// `extensions` it is X.509 version 1, which is checked here; with them (`-extfile`),
    /// version 3.
    fn signed(&self, name: &str, cn: &str, ca: &str, extensions: Option<&str>) -> &Recipe {
        self.openssl(&format!("genrsa -out {name}.key 2048"));
        self.openssl(&format!(
            "req -out {name}.csr -key {name}.key -new -subj /CN={cn}"
        ));
        let mut sign = format!(
            "x509 -req -in {name}.csr -CA {ca}.crt -CAkey {ca}.key -CAcreateserial \
             -out {name}.crt -days 365"
        );
        if let Some(extensions) = extensions {
            fs::write(self.dir.path().join(format!("{name}.ext")), extensions).unwrap();
            sign.push_str(&format!(" -extfile {name}.ext"));
        }
        self.openssl(&sign);
        let text = self.openssl(&format!("x509 -noout -text -in {name}.crt"));
        let version_1 = text.contains("Version: 1 (0x0)");
        assert_eq!(
            version_1,
            extensions.is_none(),
            "the version of {name}.crt:\n{text}"
        );
        self
    }

    fn arg(&self, file: &str) -> String {
        self.dir.path().join(file).display().to_string()
    }

    /// mosquitto configuration lines for a TLS listener with `server.crt`, trusting `ca.crt` for
    /// client certificates, and `extra` lines.
    fn listener(&self, server: &str, extra: &str) -> String {
        format!(
            "cafile {}\ncertfile {}\nkeyfile {}\n{extra}",
            self.arg("ca.crt"),
            self.arg(&format!("{server}.crt")),
            self.arg(&format!("{server}.key")),
        )
    }
}

/// mosquitto with `config`, or `None`, after skipping the test, when it is not installed.
fn mosquitto(config: &str) -> Option<OwnMosquitto> {
    mosquitto_with_env(config, &[])
}

fn mosquitto_with_env(config: &str, env: &[(&str, &str)]) -> Option<OwnMosquitto> {
    let broker = OwnMosquitto::start_with_env(config, env);
    if broker.is_none() {
        common::skip("mosquitto is not installed");
    }
    broker
}

/// The `mqtk` arguments that reach `broker` over TLS as `localhost`, trusting `ca.crt`.
fn tls_args(recipe: &Recipe, broker: &OwnMosquitto) -> Vec<String> {
    let port = broker.broker().port.to_string();
    [
        "-h",
        HOST,
        "-p",
        &port,
        "--cafile",
        &recipe.arg("ca.crt"),
        "--sni",
        BROKER_NAME,
    ]
    .map(String::from)
    .to_vec()
}

/// Runs `mqtk pub -t TOPIC -m x -q 1 ARGS...`.
fn publish(topic: &str, args: &[String]) -> Finished {
    let mut command = mqtk();
    command
        .args(["pub", "-t", topic, "-m", "x", "-q", "1"])
        .args(args);
    spawn(&format!("pub {}", args.join(" ")), &mut command, None).finish()
}

fn warnings(output: &Finished) -> Vec<&str> {
    output
        .stderr
        .lines()
        .filter(|line| line.starts_with("mqtk: warning: "))
        .collect()
}

/// Panics unless the error line is a plain sentence, with no Rust debug form in it.
fn assert_plain(output: &Finished) {
    for debug_form in ["Other(", "OtherError", "DnsName(", "{"] {
        assert!(!output.stderr.contains(debug_form), "{}", output.stderr);
    }
}

#[test]
fn a_version_1_certificate_from_our_own_ca_carries_messages_with_one_warning() {
    let Some(recipe) = Recipe::start() else {
        return;
    };
    recipe
        .ca("ca", "mqtk-test-CA")
        .signed("server", BROKER_NAME, "ca", None);
    // mosquitto's tls_version is the oldest it takes; OpenSSL's own settings hold it at TLS 1.2,
    // where mqtk checks the handshake signature another way.
    fs::write(recipe.dir.path().join("tls12.cnf"), TLS_1_2_AT_MOST).unwrap();
    let tls12 = recipe.arg("tls12.cnf");
    for (env, version) in [(None, "TLS 1.3"), (Some(tls12.as_str()), "TLS 1.2")] {
        let env: Vec<_> = env.map(|file| ("OPENSSL_CONF", file)).into_iter().collect();
        let Some(broker) = mosquitto_with_env(&recipe.listener("server", ""), &env) else {
            return;
        };
        let tls = tls_args(&recipe, &broker);
        let topic = unique_topic("tls-v1");
        let mut command = mqtk();
        command
            .args(["sub", "-t", &topic, "-C", "1", "-W", "10", "-d"])
            .args(&tls);
        let mut subscriber = spawn("sub over TLS", &mut command, None);
        subscriber.wait_for_stderr("received SUBACK", Duration::from_secs(10));
        let mut args = tls.clone();
        args.push("-d".to_string());
        let output = publish(&topic, &args);
        output.assert_code(0, "pub to a broker with a version 1 certificate");
        let warnings = warnings(&output);
        assert_eq!(warnings.len(), 1, "{}", output.stderr);
        assert!(
            warnings[0].contains("X.509 version 1")
                && warnings[0].contains("subjectAltName=DNS:localhost")
                && warnings[0].contains("-extfile"),
            "{}",
            warnings[0]
        );
        assert!(
            output.stderr.contains(&format!("mqtk: {version} with ")),
            "{}",
            output.stderr
        );
        let received = subscriber.finish();
        received.assert_code(0, "sub over TLS");
        assert_eq!(received.stdout(), "x\n");
    }
}

#[test]
fn a_version_1_client_certificate_is_sent_to_a_broker_that_requires_one() {
    let Some(recipe) = Recipe::start() else {
        return;
    };
    recipe
        .ca("ca", "mqtk-test-CA")
        .signed("server", BROKER_NAME, "ca", None)
        .signed("client", "mqtk-client", "ca", None);
    let Some(broker) = mosquitto(&recipe.listener("server", "require_certificate true\n")) else {
        return;
    };
    let tls = tls_args(&recipe, &broker);
    let topic = unique_topic("tls-v1-client");
    let refused = publish(&topic, &tls);
    refused.assert_code(4, "no client certificate");
    let mut args = tls.clone();
    args.extend(
        [
            "--cert",
            &recipe.arg("client.crt"),
            "--key",
            &recipe.arg("client.key"),
        ]
        .map(String::from),
    );
    publish(&topic, &args).assert_code(0, "a version 1 client certificate");
}

#[test]
fn a_version_1_certificate_from_another_ca_is_refused_in_one_plain_sentence() {
    let Some(recipe) = Recipe::start() else {
        return;
    };
    recipe
        .ca("ca", "mqtk-test-CA")
        .ca("other-ca", "another-CA")
        .signed("stranger", BROKER_NAME, "other-ca", None);
    let Some(broker) = mosquitto(&recipe.listener("stranger", "")) else {
        return;
    };
    let output = publish(&unique_topic("tls-v1"), &tls_args(&recipe, &broker));
    output.assert_code(3, "a certificate from another CA");
    output.assert_one_error_line("a certificate from another CA");
    assert_plain(&output);
    assert!(warnings(&output).is_empty(), "{}", output.stderr);
    assert!(
        output.stderr.contains("not signed by a CA we trust") && output.stderr.contains("ca.crt"),
        "{}",
        output.stderr
    );
}

#[test]
fn a_version_1_certificate_for_another_name_is_refused_naming_both() {
    let Some(recipe) = Recipe::start() else {
        return;
    };
    recipe
        .ca("ca", "mqtk-test-CA")
        .signed("server", BROKER_NAME, "ca", None);
    let Some(broker) = mosquitto(&recipe.listener("server", "")) else {
        return;
    };
    let mut args = tls_args(&recipe, &broker);
    let sni = args.iter().position(|arg| arg == "--sni").unwrap();
    args[sni + 1] = "elsewhere.test".to_string();
    let output = publish(&unique_topic("tls-v1"), &args);
    output.assert_code(3, "a name mismatch");
    output.assert_one_error_line("a name mismatch");
    assert_plain(&output);
    assert!(warnings(&output).is_empty(), "{}", output.stderr);
    assert!(
        output.stderr.contains("CN=localhost") && output.stderr.contains("\"elsewhere.test\""),
        "{}",
        output.stderr
    );
}

#[test]
fn the_systems_cas_keep_webpkis_rules_for_a_version_1_certificate() {
    let Some(recipe) = Recipe::start() else {
        return;
    };
    recipe
        .ca("ca", "mqtk-test-CA")
        .signed("server", BROKER_NAME, "ca", None);
    let Some(broker) = mosquitto(&recipe.listener("server", "")) else {
        return;
    };
    let port = broker.broker().port.to_string();
    // The system's CAs, as rustls-native-certs reads them: here the very CA that signed it.
    let mut command = mqtk();
    command
        .env("SSL_CERT_FILE", recipe.arg("ca.crt"))
        .env_remove("SSL_CERT_DIR")
        .args(["pub", "-t", &unique_topic("tls-v1"), "-m", "x", "--tls"])
        .args(["-h", HOST, "-p", &port, "--sni", BROKER_NAME]);
    let output = spawn("pub with the system's CAs", &mut command, None).finish();
    output.assert_code(3, "a version 1 certificate under the system's CAs");
    output.assert_one_error_line("a version 1 certificate under the system's CAs");
    assert_plain(&output);
    assert!(
        output.stderr.contains("X.509 version 1") && output.stderr.contains("--cafile"),
        "{}",
        output.stderr
    );
}

#[test]
fn a_version_3_certificate_without_subject_alt_name_is_taken_for_its_cn() {
    let Some(recipe) = Recipe::start() else {
        return;
    };
    let extensions = "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n";
    recipe
        .ca("ca", "mqtk-test-CA")
        .signed("server", BROKER_NAME, "ca", Some(extensions));
    let Some(broker) = mosquitto(&recipe.listener("server", "")) else {
        return;
    };
    let output = publish(&unique_topic("tls-cn"), &tls_args(&recipe, &broker));
    output.assert_code(0, "a certificate with its name only in the CN");
    let warnings = warnings(&output);
    assert_eq!(warnings.len(), 1, "{}", output.stderr);
    assert!(warnings[0].contains("only in the CN"), "{}", warnings[0]);
}
