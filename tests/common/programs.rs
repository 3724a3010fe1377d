//! Finding installed programs (mosquitto, its clients, openssl) for the tests and the
//! benchmarks, which include this file too: it depends on nothing of the harness.

use std::path::PathBuf;

/// Where programs are looked for after PATH: apt puts the broker in /usr/sbin, which is not on
/// every user's PATH.
pub const EXTRA_DIRS: &[&str] = &[
    "/usr/sbin",
    "/usr/bin",
    "/usr/local/sbin",
    "/usr/local/bin",
    "/opt/homebrew/sbin",
    "/opt/homebrew/bin",
];

/// The path of program `name`, in PATH or [`EXTRA_DIRS`].
pub fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(EXTRA_DIRS.iter().map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}
