//! Client errors in the words users read. The client says what went wrong,
//! with its values, and knows no flags; here the flags that bear on an error
//! are added to it, and every error line is put together.

use std::fmt::{self, Write as _};

use crate::client::ClientError;

/// A client error as users read it: its words, with the flags that bear on it.
pub struct Said<'a>(pub &'a ClientError);

impl fmt::Display for Said<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A client error with a hint at what to type instead, after it.
#[derive(Debug)]
pub(super) struct Hinted {
    pub(super) error: ClientError,
    pub(super) hint: String,
}

impl fmt::Display for Hinted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}; {}", Said(&self.error), self.hint)
    }
}

impl std::error::Error for Hinted {}

/// An error and its causes on one line, joined by colons as anyhow's `{:#}`
/// joins them, with the client's errors [`Said`].
pub fn error_line(error: &anyhow::Error) -> String {
    let mut line = String::new();
    for (index, cause) in error.chain().enumerate() {
        if index > 0 {
            line.push_str(": ");
        }
        let _ = match cause.downcast_ref::<ClientError>() {
            Some(error) => write!(line, "{}", Said(error)),
            None => write!(line, "{cause}"),
        };
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::io;

    #[test]
    fn an_error_line_joins_the_causes_as_anyhow_does() {
        let refused = io::Error::new(io::ErrorKind::ConnectionRefused, "connection refused");
        let error = anyhow::Error::new(ClientError::Unreachable {
            addr: "b:1883".into(),
            source: refused,
        })
        .context("connecting");
        assert_eq!(error_line(&error), format!("{error:#}"));
        assert_eq!(
            error_line(&error),
            "connecting: cannot connect to b:1883: connection refused"
        );
    }
}
