//! Profiles: the configuration file's settings under the environment and the
//! flags, its secrets, its relative paths, `mqtk config show` and `check`,
//! and a profile driving pub, sub, ping and bench against the real brokers.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::run::{for_each_broker, spawn, Finished};
use common::{brokers, mqtk, unique_topic, Broker, Version};

/// A folder with a config.toml holding `text`, readable by its owner only.
fn config_file(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("config.toml");
    std::fs::write(&path, text).expect("write config.toml");
    set_mode(&path, 0o600);
    (dir, path)
}

fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// `mqtk ARGS` with MQTK_CONFIG naming `config`.
fn mqtk_with(config: &Path, args: &[&str]) -> Command {
    let mut command = mqtk();
    command.env("MQTK_CONFIG", config).args(args);
    command
}

fn run(command: &mut Command, what: &str) -> Finished {
    spawn(what, command, None).finish()
}

/// The line of `config show` for `long`: its value and its origin.
fn shown<'a>(stdout: &'a str, long: &str) -> &'a str {
    stdout
        .lines()
        .find(|line| line.split_whitespace().next() == Some(long))
        .unwrap_or_else(|| panic!("no {long} in:\n{stdout}"))
}

#[test]
fn flags_win_over_the_environment_which_wins_over_the_file_over_the_defaults() {
    let (_dir, path) = config_file(
        r#"
[default]
keepalive = 30
username = "everyone"

[profiles.p]
keepalive = 20
id-prefix = "from-file-"
pw-env = "PROFILE_SECRET"

[profiles.p.sub]
qos = 2
"#,
    );
    let mut command = mqtk_with(
        &path,
        &["config", "show", "--profile", "p", "sub", "-q", "1"],
    );
    command
        .env("PROFILE_SECRET", "file-secret")
        .env("MQTK_PASSWORD", "env-secret");
    let output = run(&mut command, "config show");
    output.assert_code(0, "config show");
    let stdout = output.stdout();
    assert!(shown(&stdout, "host").ends_with("default"), "{stdout}");
    assert!(shown(&stdout, "keepalive").contains("20"), "{stdout}");
    assert!(
        shown(&stdout, "keepalive").ends_with("file ([profiles.p], line 7)"),
        "{stdout}"
    );
    assert!(shown(&stdout, "username").contains("everyone"), "{stdout}");
    assert!(
        shown(&stdout, "pw").ends_with("environment (MQTK_PASSWORD)"),
        "{stdout}"
    );
    assert!(shown(&stdout, "qos").ends_with("flag"), "{stdout}");
    assert!(!stdout.contains("secret"), "a password shown:\n{stdout}");

    // A flag wins over MQTK_PROFILE, and over the file.
    let mut command = mqtk_with(
        &path,
        &["config", "show", "sub", "-k", "5", "--profile", "p"],
    );
    command
        .env("MQTK_PROFILE", "nothing-of-that-name")
        .env("PROFILE_SECRET", "file-secret");
    let output = run(&mut command, "config show -k 5");
    output.assert_code(0, "config show -k 5");
    assert!(shown(&output.stdout(), "keepalive").ends_with("flag"));
    // Without a profile, only [default] applies.
    let output = run(&mut mqtk_with(&path, &["config", "show"]), "config show");
    let stdout = output.stdout();
    assert!(shown(&stdout, "keepalive").contains("30"), "{stdout}");
    assert!(!stdout.contains("from-file-"), "{stdout}");
}

#[test]
fn a_password_in_a_file_others_may_read_is_refused_and_never_shown() {
    let (_dir, path) = config_file("[profiles.p]\npassword = \"hunter2\"\n");
    set_mode(&path, 0o644);
    let output = run(
        &mut mqtk_with(&path, &["ping", "--profile", "p", "-c", "1"]),
        "ping with a 0644 password",
    );
    output.assert_code(2, "a 0644 password");
    output.assert_one_error_line("a 0644 password");
    assert!(
        output.stderr.contains("config.toml:2:"),
        "{}",
        output.stderr
    );
    assert!(!output.stderr.contains("hunter2"));

    set_mode(&path, 0o600);
    let output = run(
        &mut mqtk_with(&path, &["config", "show", "--profile", "p"]),
        "config show, 0600",
    );
    output.assert_code(0, "config show, 0600");
    let stdout = output.stdout();
    assert!(shown(&stdout, "pw").contains("********"), "{stdout}");
    assert!(!stdout.contains("hunter2"), "{stdout}");
}

#[test]
fn relative_paths_start_at_the_files_folder() {
    let (dir, path) = config_file("[default]\ncafile = \"certs/ca.pem\"\npw-file = \"/etc/pw\"\n");
    let output = run(&mut mqtk_with(&path, &["config", "show"]), "config show");
    output.assert_code(0, "config show");
    let stdout = output.stdout();
    let cafile = dir.path().join("certs").join("ca.pem");
    assert!(
        shown(&stdout, "cafile").contains(&*cafile.to_string_lossy()),
        "{stdout}"
    );
    assert!(shown(&stdout, "pw-file").contains(" /etc/pw "), "{stdout}");
}

#[test]
fn config_check_names_the_file_and_line_of_each_mistake() {
    for (text, line, says) in [
        (
            "[default]\nport = 1883\nhots = \"a\"\n",
            3,
            "unknown key 'hots'",
        ),
        (
            "[profiles.a]\n\nport = \"abc\"\n",
            3,
            "'port': invalid value",
        ),
        ("[profiles.a]\ndebug = \"yes\"\n", 2, "'debug' is a flag"),
        (
            "[profiles.a.sub]\nqos = 1\nretain = true\n",
            3,
            "unknown key 'retain' for mqtk sub",
        ),
        ("[default]\nport = \n", 2, "not valid TOML"),
    ] {
        let (_dir, path) = config_file(text);
        let output = run(&mut mqtk_with(&path, &["config", "check"]), "config check");
        output.assert_code(2, text);
        output.assert_one_error_line(text);
        let wanted = format!("config.toml:{line}: ");
        assert!(
            output.stderr.contains(&wanted) && output.stderr.contains(says),
            "{text:?}: {}",
            output.stderr
        );
    }
    let (dir, path) = config_file(
        "[profiles.a]\nport = 1883\npw-env = \"MQTK_TEST_NOT_SET\"\n[profiles.a.pub]\nqos = 1\n",
    );
    let output = run(&mut mqtk_with(&path, &["config", "check"]), "config check");
    // The file is checked, not the environment: pw-env's variable may be unset.
    output.assert_code(0, "a good file");
    assert!(output.stdout().contains("ok"), "{}", output.stdout());
    let missing = dir.path().join("missing.toml");
    let output = run(
        &mut mqtk_with(&missing, &["config", "check"]),
        "config check, no file",
    );
    output.assert_code(2, "no file");
    output.assert_one_error_line("no file");
    assert!(
        output.stderr.contains("missing.toml: "),
        "{}",
        output.stderr
    );

    // config path says which file, from --config first.
    let output = run(
        &mut mqtk_with(&missing, &["config", "path", "--config", "other.toml"]),
        "config path",
    );
    assert_eq!(output.stdout().trim(), "other.toml");
}

#[test]
fn an_unknown_profile_is_a_usage_error_naming_the_profiles_there_are() {
    let (_dir, path) = config_file("[profiles.prod]\nport = 1883\n");
    let output = run(
        &mut mqtk_with(
            &path,
            &["pub", "--profile", "staging", "-t", "a", "-m", "x"],
        ),
        "pub --profile staging",
    );
    output.assert_code(2, "an unknown profile");
    output.assert_one_error_line("an unknown profile");
    assert!(output.stderr.contains("(it has prod)"), "{}", output.stderr);
}

/// A profile that reaches `broker`, with settings for each command.
fn broker_profile(broker: &Broker) -> String {
    let version = match broker.version {
        Version::V311 => "protocol-version = \"3.1.1\"\n",
        Version::V5 => "protocol-version = \"5\"\n",
        Version::Both => "",
    };
    format!(
        "[profiles.b]\nhost = \"{}\"\nport = {}\n{version}\n\
         [profiles.b.sub]\ncount = 1\n\n\
         [profiles.b.pub]\nqos = 1\n\n\
         [profiles.b.ping]\ncount = 1\n\n\
         [profiles.b.bench]\ncount = 20\nclients = 1\n",
        broker.host, broker.port
    )
}

#[test]
fn a_profile_is_all_pub_sub_ping_and_bench_need_to_reach_the_broker() {
    for_each_broker(&brokers(), |broker| {
        let (_dir, path) = config_file(&broker_profile(broker));
        let topic = unique_topic("profile");
        let what = |command: &str| format!("{}: {command} --profile b", broker.name);

        let mut sub = mqtk_with(&path, &["sub", "--profile", "b", "-d", "-t", &topic]);
        let mut subscriber = spawn(&what("sub"), &mut sub, None);
        subscriber.wait_for_stderr("received SUBACK", common::TIMEOUT);
        let output = run(
            &mut mqtk_with(
                &path,
                &["pub", "--profile", "b", "-t", &topic, "-m", "hello"],
            ),
            &what("pub"),
        );
        output.assert_code(0, &what("pub"));
        let output = subscriber.finish();
        output.assert_code(0, &what("sub (-C 1 from the file)"));
        assert_eq!(output.stdout(), "hello\n");

        let output = run(
            &mut mqtk_with(&path, &["ping", "--profile", "b"]),
            &what("ping"),
        );
        output.assert_code(0, &what("ping (-c 1 from the file)"));

        let bench_topic = format!("{topic}/%i");
        let output = run(
            &mut mqtk_with(&path, &["bench", "--profile", "b", "-t", &bench_topic]),
            &what("bench"),
        );
        output.assert_code(0, &what("bench"));
    });
}

#[test]
fn host_and_port_on_the_command_line_win_over_a_profiles_url() {
    let broker = common::rumqttd_v5();
    let closed = common::HeldPort::closed();
    let (_dir, path) = config_file(&format!(
        "[profiles.elsewhere]\nurl = \"mqtt://127.0.0.1:{}\"\n",
        closed.port()
    ));
    let mut args = vec!["ping", "--profile", "elsewhere", "-c", "1"];
    let broker_args = broker.args();
    args.extend(broker_args.iter().map(String::as_str));
    let output = run(&mut mqtk_with(&path, &args), "ping -h -p over a url");
    output.assert_code(0, "ping -h -p over a profile's url");
}

#[test]
fn a_profile_may_hold_the_topic_and_message_and_a_flag_of_their_group_replaces_them() {
    let broker = common::rumqttd_v5();
    let topic = unique_topic("profile-message");
    let (_dir, path) = config_file(&format!(
        "[profiles.b]\nhost = \"{}\"\nport = {}\n\n[profiles.b.pub]\ntopic = \"{topic}\"\nmessage = \"from-file\"\n",
        broker.host, broker.port
    ));
    let mut sub = mqtk_with(
        &path,
        &["sub", "--profile", "b", "-d", "-C", "2", "-t", &topic],
    );
    let mut subscriber = spawn("sub --profile b", &mut sub, None);
    subscriber.wait_for_stderr("received SUBACK", common::TIMEOUT);
    // -t and -m from the file: the whole command is `mqtk pub --profile b`.
    let output = run(
        &mut mqtk_with(&path, &["pub", "--profile", "b"]),
        "pub --profile b",
    );
    output.assert_code(0, "pub --profile b");
    // -l is one of -m, -f, -s, -l and -n: the file's -m gives way to it.
    let mut publish = mqtk_with(&path, &["pub", "--profile", "b", "-l"]);
    let output = spawn(
        "pub --profile b -l",
        &mut publish,
        Some(b"from-stdin\n".to_vec()),
    )
    .finish();
    output.assert_code(0, "pub --profile b -l");
    let output = subscriber.finish();
    output.assert_code(0, "sub -C 2");
    assert_eq!(output.stdout(), "from-file\nfrom-stdin\n");
}
