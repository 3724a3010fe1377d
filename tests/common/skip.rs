//! Skipping a test that needs what the machine lacks (mosquitto, its clients, openssl, a shell):
//! [`skip`] says so where `cargo test` shows it and records it for `.ci/run`, which counts the
//! skipped tests apart from the passed ones. With `CI=true` nothing may be skipped: [`skip`]
//! fails the test instead.
//!
//! It depends on nothing of the harness, so a test binary without the harness (tests/docs.rs)
//! includes this file alone.

use std::fs::OpenOptions;
use std::io::Write;

/// The environment variable that names the file [`skip`] and [`narrowed`] append their lines to;
/// `.ci/run` sets it and counts the lines.
pub const RECORD: &str = "MQTK_TEST_SKIPS";

/// Whether we run in CI, where nothing may be skipped.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|value| value == "true" || value == "1")
}

/// Skips the calling test because of `why` ("mosquitto is not installed"): prints
/// "skipped: TEST (tests/BINARY.rs): WHY" and records the line; the test then returns. With
/// `CI=true`, panics instead.
///
/// Called from the test's own thread, whose name is the test's.
pub fn skip(why: &str) {
    let test = current_test();
    if in_ci() {
        panic!("CI=true, yet {test} would be skipped: {why}");
    }
    say(&format!("skipped: {test}: {why}"));
}

/// Says that the calling test runs narrowed because of `why` (on rumqttd only, as mosquitto is
/// not installed): prints "narrowed: TEST (tests/BINARY.rs): WHY" and records the line. With
/// `CI=true`, panics instead.
pub fn narrowed(why: &str) {
    let test = current_test();
    if in_ci() {
        panic!("CI=true, yet {test} would run narrowed: {why}");
    }
    say(&format!("narrowed: {test}: {why}"));
}

/// Writes `line` to stderr and to the file named by [`RECORD`], if any.
fn say(line: &str) {
    let line = format!("{line}\n");
    // Straight to the process's stderr: `eprintln!` goes to the test harness's capture, shown
    // only for a failed test or with --nocapture, and a skip is news when the test passes.
    let _ = std::io::stderr().write_all(line.as_bytes());
    if let Some(path) = std::env::var_os(RECORD) {
        // One write in append mode: test binaries and threads writing at once do not mix lines.
        let written = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut file| file.write_all(line.as_bytes()));
        if let Err(err) = written {
            panic!("cannot record a skip in {}: {err}", path.to_string_lossy());
        }
    }
}

/// "TEST (tests/BINARY.rs)": libtest runs each test on a thread named after it, and the test
/// binary is named after its file, with a hash.
fn current_test() -> String {
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("?");
    let binary = std::env::current_exe()
        .ok()
        .and_then(|exe| {
            let stem = exe.file_stem()?.to_string_lossy().into_owned();
            Some(match stem.rsplit_once('-') {
                Some((name, _hash)) => name.to_string(),
                None => stem,
            })
        })
        .unwrap_or_else(|| "?".to_string());
    format!("{test} (tests/{binary}.rs)")
}
