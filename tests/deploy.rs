//! The deployment files in deploy/ run command lines that mqtk accepts, with
//! the shard count of the Job that runs them.

use mqtk::cli::{Cli, Command};

use clap::Parser;
use yaml_rust2::YamlLoader;

#[test]
fn the_kubernetes_job_runs_one_shard_per_completion_index() {
    let text = std::fs::read_to_string("deploy/kubernetes/bench-job.yaml").unwrap();
    let docs = YamlLoader::load_from_str(&text).unwrap();
    let job = &docs[0];
    assert_eq!(job["kind"].as_str(), Some("Job"));
    let spec = &job["spec"];
    assert_eq!(spec["completionMode"].as_str(), Some("Indexed"));
    let completions = spec["completions"].as_i64().unwrap();
    let container = &spec["template"]["spec"]["containers"][0];
    let script = container["args"][0].as_str().unwrap();
    // What the pod of completion index 1 runs, once sh has expanded it.
    let line = script
        .replace("$JOB_COMPLETION_INDEX", "1")
        .replace("$START_AT", "2026-12-01T12:00:00Z");
    let words: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(words[..2], ["exec", "mqtk"], "{script}");
    let cli = Cli::try_parse_from(&words[1..]).unwrap_or_else(|e| panic!("{script}: {e}"));
    let Command::Bench(args) = cli.command else {
        panic!("not mqtk bench: {script}");
    };
    assert_eq!(args.shard, Some((1, completions as u32)), "{script}");
    assert!(args.start_at.is_some(), "{script}");
    assert!(args.json.is_some(), "{script}");
    // The volume the reports go to is mounted.
    let mount = container["volumeMounts"][0]["mountPath"].as_str().unwrap();
    assert!(
        args.json.unwrap().starts_with(mount),
        "reports outside {mount}"
    );
}
