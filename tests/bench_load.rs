//! `mqtk bench --load FILE` against real brokers: a load file's mistakes,
//! a mix of groups whose counts agree with a subscriber of its own, a
//! group's gate, and shards of a load file merged.

mod common;

use std::path::Path;
use std::time::Duration;

use common::run::{spawn, Finished};
use common::{unique_topic, Broker};
use serde_json::Value;

/// Runs `mqtk bench --load FILE ARGS --json -` against `broker`: how it
/// ended, and its report (`Null` when it wrote none).
fn bench(broker: &Broker, file: &Path, args: &[&str]) -> (Finished, Value) {
    let mut command = common::mqtk();
    command
        .arg("bench")
        .arg("--load")
        .arg(file)
        .args(args)
        .args(broker.args())
        .args(["--json", "-"]);
    let what = format!("{}: mqtk bench --load {}", broker.name, args.join(" "));
    let output = spawn(&what, &mut command, None).finish();
    let report = serde_json::from_str(output.stdout().trim()).unwrap_or(Value::Null);
    (output, report)
}

/// Writes `text` as `name` in `dir`.
fn load_file(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// The group named `name` of a report.
fn group<'a>(report: &'a Value, name: &str) -> &'a Value {
    (report["groups"].as_array().into_iter().flatten())
        .find(|g| g["name"] == name)
        .unwrap_or_else(|| panic!("no group {name} in {report:#}"))
}

fn messages(group: &Value, field: &str) -> u64 {
    group["messages"][field]
        .as_u64()
        .unwrap_or_else(|| panic!("no messages.{field} in {group:#}"))
}

#[test]
fn a_load_file_mistake_is_one_line_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = load_file(
        &dir,
        "mix.toml",
        "[[group]]\nname = \"sensors\"\nrole = \"publishers\"\ncount = 10\nqos = 3\n",
    );
    let mut command = common::mqtk();
    command
        .args(["bench", "--load"])
        .arg(&file)
        .args(["-p", "1"]);
    let output = spawn("bench --load with a bad qos", &mut command, None).finish();
    output.assert_code(2, "a mistake in the load file");
    output.assert_one_error_line("a mistake in the load file");
    let expected = format!(
        "{}:5: group 'sensors': qos: expected a whole number from 0 to 2",
        file.display()
    );
    assert!(output.stderr.contains(&expected), "{}", output.stderr);

    let mut command = common::mqtk();
    command.args(["bench", "--load", "no-such-load.toml", "-p", "1"]);
    let output = spawn("bench --load with no file", &mut command, None).finish();
    output.assert_code(2, "a load file that is not there");
    output.assert_one_error_line("a load file that is not there");

    // The flags that describe a group are the file's to say.
    let mut command = common::mqtk();
    command
        .args(["bench", "--load"])
        .arg(&file)
        .args(["-c", "5"]);
    let output = spawn("bench --load -c", &mut command, None).finish();
    output.assert_code(2, "--load with -c");
}

/// Sensors publishing per index, dashboards on a wildcard and a backend in a
/// shared subscription: the counts of each group agree with what a `mqtk sub`
/// of its own received.
#[test]
fn a_mix_of_groups_agrees_with_an_independent_subscriber() {
    let Some(mosquitto) = common::mosquitto() else {
        return common::skip("mosquitto is not installed");
    };
    let prefix = unique_topic("bench-load");
    let filter = format!("{prefix}/+/temp");
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        r#"
[[group]]
name = "sensors"
role = "publishers"
count = 10
topic = "{prefix}/%i/temp"
rate = 400
qos = 1
size = 48

[[group]]
name = "dashboards"
role = "subscribers"
count = 3
filter = "{filter}"

[[group]]
name = "backend"
role = "subscribers"
count = 2
filter = "$share/be/{filter}"
qos = 1
"#
    );
    let file = load_file(&dir, "mix.toml", &text);
    let independent = common::run::subscribe(
        &mosquitto,
        &[
            "-t", &filter, "-q", "1", "-C", "200", "-W", "60", "-F", "%t",
        ],
    );
    let (output, report) = bench(&mosquitto, &file, &["-n", "20"]);
    output.assert_code(0, "a three-group mix on mosquitto");
    let seen = independent.finish_within(Duration::from_secs(60));
    seen.assert_code(0, "the independent subscriber");
    let lines: Vec<String> = seen.stdout().lines().map(String::from).collect();
    assert_eq!(lines.len(), 200, "{}", seen.stdout());
    for i in 0..10 {
        let topic = format!("{prefix}/{i}/temp");
        assert_eq!(lines.iter().filter(|l| **l == topic).count(), 20, "{topic}");
    }
    let what = format!("{report:#}");
    assert_eq!(report["scenario"], "load", "{what}");
    assert_eq!(report["settings"]["publishers"], 10, "{what}");
    assert_eq!(report["settings"]["subscribers"], 5, "{what}");
    let sensors = group(&report, "sensors");
    assert_eq!(messages(sensors, "sent"), 200, "{what}");
    assert_eq!(messages(sensors, "acknowledged"), 200, "{what}");
    assert_eq!(sensors["topic"], format!("{prefix}/%i/temp"), "{what}");
    assert_eq!(sensors["connections"]["up"], 10, "{what}");
    assert!(sensors["late_ms"]["count"].as_u64() > Some(0), "{what}");
    let dashboards = group(&report, "dashboards");
    assert_eq!(messages(dashboards, "received"), 3 * 200, "{what}");
    assert_eq!(messages(dashboards, "expected"), 3 * 200, "{what}");
    assert_eq!(messages(dashboards, "lost"), 0, "{what}");
    assert_eq!(dashboards["latency_ms"]["count"], 3 * 200, "{what}");
    let backend = group(&report, "backend");
    assert_eq!(backend["filter"], format!("$share/be/{filter}"), "{what}");
    assert_eq!(messages(backend, "received"), 200, "{what}");
    assert_eq!(messages(backend, "expected"), 200, "{what}");
    assert_eq!(messages(backend, "duplicated"), 0, "{what}");
    // In total: each message to four subscriptions (three alone, one shared).
    assert_eq!(report["messages"]["expected"], 4 * 200, "{what}");
    assert_eq!(report["messages"]["received"], 4 * 200, "{what}");
    assert_eq!(report["messages"]["lost"], 0, "{what}");
    assert_eq!(report["latency_ms"]["count"], 4 * 200, "{what}");
}

#[test]
fn a_group_that_misses_its_own_gate_fails_the_run_and_is_named() {
    let broker = common::rumqttd_v5();
    let prefix = unique_topic("bench-load-gate");
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        r#"
[[group]]
name = "meters"
role = "publishers"
count = 2
topic = "{prefix}/%i"
interval = "10ms"

[[group]]
name = "watchers"
role = "subscribers"
count = 1
filter = "{prefix}/#"
max-p99 = 0.001
"#
    );
    let file = load_file(&dir, "gate.toml", &text);
    let (output, report) = bench(&broker, &file, &["-d", "500ms"]);
    output.assert_code(1, "a group's --max-p99 missed");
    output.assert_one_error_line("a group's --max-p99 missed");
    assert!(
        output.stderr.contains("group watchers: p99 latency "),
        "{}",
        output.stderr
    );
    let watchers = group(&report, "watchers");
    assert_eq!(messages(watchers, "lost"), 0, "{report:#}");
}

/// Two shards of one load file, beginning together, merged: each group's
/// counts and its histograms added up.
#[test]
fn shards_of_a_load_file_merge_group_by_group() {
    let broker = common::rumqttd_v5();
    let prefix = unique_topic("bench-load-shards");
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        r#"
[[group]]
name = "sensors"
role = "publishers"
count = 4
topic = "{prefix}/%i"
rate = 200
qos = 1

[[group]]
name = "watchers"
role = "subscribers"
count = 4
filter = "{prefix}/%i"
qos = 1
"#
    );
    let file = load_file(&dir, "shards.toml", &text);
    let at = common::run::start_at_in(Duration::from_secs(2));
    let reports = common::run::shard_reports(dir.path(), 2);
    let shards: Vec<_> = (0..2)
        .map(|i| {
            let mut command = common::mqtk();
            command
                .arg("bench")
                .arg("--load")
                .arg(&file)
                .args(broker.args());
            command.args(["-n", "25", "--shard", &format!("{i}/2"), "--start-at", &at]);
            command.args(["--json", &reports[i]]);
            spawn(&format!("load shard {i}/2"), &mut command, None)
        })
        .collect();
    for (i, shard) in shards.into_iter().enumerate() {
        shard.finish().assert_code(0, &format!("load shard {i}/2"));
    }
    let mut command = common::mqtk();
    command
        .args(["bench", "merge"])
        .args(&reports)
        .args(["--json", "-"]);
    let output = spawn("bench merge of load shards", &mut command, None).finish();
    output.assert_code(0, "bench merge of load shards");
    let merged: Value = serde_json::from_str(output.stdout().trim()).unwrap();
    let what = format!("{merged:#}");
    let sensors = group(&merged, "sensors");
    assert_eq!(messages(sensors, "sent"), 100, "{what}");
    assert_eq!(sensors["connections"]["up"], 4, "{what}");
    let watchers = group(&merged, "watchers");
    assert_eq!(messages(watchers, "received"), 100, "{what}");
    assert_eq!(messages(watchers, "expected"), 100, "{what}");
    assert_eq!(messages(watchers, "lost"), 0, "{what}");
    // Percentiles of the shards' histograms added up.
    assert_eq!(watchers["latency_ms"]["count"], 100, "{what}");
    assert_eq!(merged["settings"]["load"], file.display().to_string());

    // A report of another load file does not merge with these.
    let other = load_file(&dir, "other.toml", &text.replace("watchers", "viewers"));
    let (run, _) = bench(&broker, &other, &["-n", "5"]);
    run.assert_code(0, "a run of another load file");
    let other_report = dir.path().join("other.json");
    std::fs::write(&other_report, run.stdout()).unwrap();
    let mut command = common::mqtk();
    command
        .args(["bench", "merge", &reports[0]])
        .arg(&other_report);
    let output = spawn("bench merge of unlike loads", &mut command, None).finish();
    assert_ne!(output.status.code(), Some(0), "{}", output.stderr);
    assert!(
        output.stderr.contains("different load files' groups"),
        "{}",
        output.stderr
    );
}
