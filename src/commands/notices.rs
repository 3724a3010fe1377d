//! What mqtk says on stderr while it works, besides the error it ends with:
//! events, the commands' own warnings, and what the client has to tell. One
//! line each, after the program's name.

use std::fmt::Display;
use std::io::{self, Write};

use crate::client::{Notice, Notices};

/// One line on stderr, after the program's name.
pub fn say(line: impl Display) {
    // stderr is unbuffered: the line is made first and written at once, so
    // that it stays whole beside other writers.
    let line = format!("mqtk: {line}\n");
    let _ = io::stderr().write_all(line.as_bytes());
}

/// A warning: something that did not go as asked, or that the user should
/// know, and that does not stop the command.
pub fn warn(text: impl Display) {
    say(format_args!("warning: {text}"));
}

/// The client's notices, printed: redirects and the packet trace as they
/// are, warnings as warnings.
pub fn printed() -> Notices {
    Notices::to(|notice| match notice {
        Notice::Warning(warning) => warn(warning),
        other => say(other),
    })
}
