//! Client errors in the words users read. The client says what went wrong,
//! with its values, and knows no flags; here the flags that bear on an error
//! are added to it, and every error line is put together.

use std::fmt::{self, Write as _};

use crate::client::{
    Client, ClientError, HttpStatus, Options, Shortfall, TlsCause, TlsSetupError, Trusted,
    WebSocketFailure,
};
use crate::codec::Protocol;

/// A client error as users read it: its words, with the flags that bear on it.
pub struct Said<'a>(pub &'a ClientError);

impl fmt::Display for Said<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            ClientError::Tls { addr, cause } => match tls_cause(cause) {
                Some(words) => write!(f, "TLS with {addr} failed: {words}"),
                None => self.0.fmt(f),
            },
            ClientError::TlsSetup(problem) => match tls_setup(problem) {
                Some(words) => write!(f, "TLS: {words}"),
                None => self.0.fmt(f),
            },
            ClientError::WebSocket {
                failure:
                    WebSocketFailure::Refused {
                        status: HttpStatus(404),
                        ..
                    },
                ..
            } => write!(
                f,
                "{} (is the path right? --ws-path or the URL names another)",
                self.0
            ),
            other => other.fmt(f),
        }
    }
}

/// A failed TLS handshake with the flag that changes its outcome, when one
/// does.
fn tls_cause(cause: &TlsCause) -> Option<String> {
    Some(match cause {
        TlsCause::UnknownIssuer { trusted } => format!(
            "the broker's certificate is not signed by a CA we trust (we trust {}; --cafile \
             names another)",
            trusted_words(trusted)
        ),
        TlsCause::NameMismatch {
            presented: Some(names),
            ..
        } if names.is_empty() => return None,
        TlsCause::NameMismatch { .. } => format!("{cause} (--sni names another)"),
        TlsCause::OldStyleUnderSystemRoots { shortfall } => {
            let what = match shortfall {
                Shortfall::Version1 => "is X.509 version 1",
                Shortfall::CnOnly => "names its host only in the CN (no subjectAltName)",
            };
            format!(
                "the broker's certificate {what}, which mqtk accepts only from a CA given with \
                 --cafile or --capath"
            )
        }
        TlsCause::NoCommonAlpn => format!("{cause} (--alpn)"),
        _ => return None,
    })
}

/// TLS settings that could not be made, with the flags that mend them, when
/// some do.
fn tls_setup(problem: &TlsSetupError) -> Option<String> {
    Some(match problem {
        TlsSetupError::NoCaCertificate { .. } => format!("{problem}; give one with --cafile"),
        TlsSetupError::CertificateOrKeyAlone => {
            "a client certificate needs both --cert and --key".to_string()
        }
        _ => return None,
    })
}

/// Whom we trust, and the flag that says why when it is nobody.
fn trusted_words(trusted: &Trusted) -> String {
    match trusted {
        Trusted::Nothing => "nothing (--insecure)".to_string(),
        other => other.to_string(),
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

/// Connects as `options` say; a broker that refuses the pinned protocol
/// version gets a hint at the flag that pinned it.
pub async fn connect(options: &Options) -> anyhow::Result<Client> {
    match Client::connect(options).await {
        Ok(client) => Ok(client),
        Err(e) if options.protocol.is_some() && e.is_unsupported_version() => {
            let other = match options.protocol {
                Some(Protocol::V5) => "3.1.1",
                _ => "5",
            };
            let hint = format!("leave -V out or use -V {other}");
            Err(Hinted { error: e, hint }.into())
        }
        Err(e) => Err(e.into()),
    }
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

    fn tls(cause: TlsCause) -> String {
        Said(&ClientError::Tls {
            addr: "b:8883".into(),
            cause,
        })
        .to_string()
    }

    fn setup(problem: TlsSetupError) -> String {
        Said(&ClientError::TlsSetup(problem)).to_string()
    }

    #[test]
    fn tls_failures_name_the_flags_that_change_them() {
        let ca_file = Trusted::Own {
            ca_file: Some("ca.crt".into()),
            ca_path: None,
        };
        let mismatch = |presented: Option<Vec<String>>| TlsCause::NameMismatch {
            name: "elsewhere.test".into(),
            presented,
        };
        let lines = [
            (
                tls(TlsCause::UnknownIssuer { trusted: ca_file }),
                "TLS with b:8883 failed: the broker's certificate is not signed by a CA we trust \
                 (we trust the CA file ca.crt; --cafile names another)",
            ),
            (
                tls(TlsCause::UnknownIssuer {
                    trusted: Trusted::Nothing,
                }),
                "TLS with b:8883 failed: the broker's certificate is not signed by a CA we trust \
                 (we trust nothing (--insecure); --cafile names another)",
            ),
            (
                tls(mismatch(None)),
                "TLS with b:8883 failed: the broker's certificate is not valid for \
                 \"elsewhere.test\" (--sni names another)",
            ),
            (
                tls(mismatch(Some(vec!["CN=localhost".into(), "b".into()]))),
                "TLS with b:8883 failed: the broker's certificate is for CN=localhost, b, not for \
                 \"elsewhere.test\" (--sni names another)",
            ),
            (
                tls(mismatch(Some(Vec::new()))),
                "TLS with b:8883 failed: the broker's certificate names no host, so not \
                 \"elsewhere.test\"",
            ),
            (
                tls(TlsCause::OldStyleUnderSystemRoots {
                    shortfall: Shortfall::Version1,
                }),
                "TLS with b:8883 failed: the broker's certificate is X.509 version 1, which mqtk \
                 accepts only from a CA given with --cafile or --capath",
            ),
            (
                tls(TlsCause::OldStyleUnderSystemRoots {
                    shortfall: Shortfall::CnOnly,
                }),
                "TLS with b:8883 failed: the broker's certificate names its host only in the CN \
                 (no subjectAltName), which mqtk accepts only from a CA given with --cafile or \
                 --capath",
            ),
            (
                tls(TlsCause::NoCommonAlpn),
                "TLS with b:8883 failed: the broker speaks none of the ALPN protocols offered \
                 (--alpn)",
            ),
            (
                tls(TlsCause::HandshakeRefused {
                    alert: "handshake failure".into(),
                }),
                "TLS with b:8883 failed: the broker refused the handshake (handshake failure)",
            ),
        ];
        for (line, expected) in lines {
            assert_eq!(line, expected);
        }
    }

    #[test]
    fn tls_settings_name_the_flags_that_mend_them() {
        let lines = [
            (
                setup(TlsSetupError::NoCaCertificate {
                    trusted: Trusted::System,
                }),
                "TLS: no CA certificate found in the system's root certificates; give one with \
                 --cafile",
            ),
            (
                setup(TlsSetupError::NoCaCertificate {
                    trusted: Trusted::Own {
                        ca_file: Some("a.pem".into()),
                        ca_path: Some("certs".into()),
                    },
                }),
                "TLS: no CA certificate found in the CA file a.pem and the CA directory certs; \
                 give one with --cafile",
            ),
            (
                setup(TlsSetupError::CertificateOrKeyAlone),
                "TLS: a client certificate needs both --cert and --key",
            ),
            (
                setup(TlsSetupError::NotPem {
                    path: "not.pem".into(),
                }),
                "TLS: not.pem holds no PEM certificate",
            ),
            (
                Said(&ClientError::TlsRefused {
                    alert: "certificate required".into(),
                })
                .to_string(),
                "TLS: the broker refused our client certificate, or the lack of one (certificate \
                 required)",
            ),
        ];
        for (line, expected) in lines {
            assert_eq!(line, expected);
        }
    }

    #[test]
    fn a_websocket_path_not_found_names_the_flag_that_gives_another() {
        let refused = |status| ClientError::WebSocket {
            addr: "b:80".into(),
            failure: WebSocketFailure::Refused {
                path: "/mqtt".into(),
                status: HttpStatus(status),
            },
        };
        assert_eq!(
            Said(&refused(404)).to_string(),
            "WebSocket with b:80: the broker refused the WebSocket upgrade of /mqtt: 404 Not \
             Found (is the path right? --ws-path or the URL names another)"
        );
        assert_eq!(
            Said(&refused(500)).to_string(),
            "WebSocket with b:80: the broker refused the WebSocket upgrade of /mqtt: 500 \
             Internal Server Error"
        );
        let unauthorised = ClientError::WebSocketRefused {
            path: "/mqtt".into(),
            status: HttpStatus(401),
        };
        assert_eq!(
            Said(&unauthorised).to_string(),
            "WebSocket: the broker refused the WebSocket upgrade of /mqtt: 401 Unauthorized"
        );
    }

    #[test]
    fn a_tls_failure_is_one_cause_however_many_values_it_holds() {
        let ended = io::Error::new(io::ErrorKind::UnexpectedEof, "early eof");
        let error = anyhow::Error::new(ClientError::Tls {
            addr: "b:8883".into(),
            cause: TlsCause::PlainPort { error: ended },
        });
        assert_eq!(error.chain().count(), 1);
        assert_eq!(
            error_line(&error),
            "TLS with b:8883 failed: the connection ended in the handshake (early eof); does the \
             broker speak TLS on this port?"
        );
    }
}
