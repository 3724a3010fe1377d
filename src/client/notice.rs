//! What the client has to tell the person that is neither an error nor an
//! event: a redirect it follows, a warning about a connection that did not go
//! as asked and, when asked for, the packet trace.
//!
//! The client prints nothing. It hands each notice to the sink the caller put
//! in [`Options::notices`](super::Options::notices), nowhere by default, and
//! the caller decides how it reads and where it goes.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::redirect::Redirect;
use super::transport::Shortfall;
use crate::codec::Protocol;

/// Something the client tells the person while it works.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// The broker at `from` (host and port) sent the client to `to`, where it
    /// connects now.
    Redirected { from: (String, u16), to: Redirect },
    /// Something about the connection did not go as asked.
    Warning(Warning),
    /// A line of the packet trace, with [`Options::trace`](super::Options::trace):
    /// a packet sent or received, or what a handshake agreed on.
    Trace(String),
}

/// Something about the connection that did not go as asked, and that does
/// not stop it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Warning {
    /// No answer to an MQTT 5 CONNECT within `after`: MQTT 3.1.1 is tried.
    NoAnswerToV5 { after: Duration },
    /// The broker speaks `protocol`, which has no will properties: the will
    /// was set without them.
    WillPropertiesDropped { protocol: Protocol },
    /// TLS that takes any certificate the broker shows.
    Unverified,
    /// The broker's certificate, for the host `cn`, falls short of what
    /// webpki accepts, and was accepted because a CA the user gave signed it.
    OldStyleCertificate { shortfall: Shortfall, cn: String },
}

/// A notice in words; a warning without the "warning:" a printer puts
/// before it.
impl fmt::Display for Notice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Notice::Redirected {
                from: (host, port),
                to,
            } => write!(
                f,
                "{}: {host}:{port} sends clients to {to}; connecting there",
                to.reason
            ),
            Notice::Warning(warning) => warning.fmt(f),
            Notice::Trace(line) => f.write_str(line),
        }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::NoAnswerToV5 { after } => write!(
                f,
                "no answer to an MQTT 5 CONNECT within {}s; trying MQTT 3.1.1",
                after.as_secs_f32()
            ),
            Warning::WillPropertiesDropped { protocol } => write!(
                f,
                "the broker speaks MQTT {protocol}, which has no will properties: the will was \
                 set without its delay, expiry, content type and user properties"
            ),
            Warning::Unverified => f.write_str(
                "TLS without verifying the broker's certificate: whoever is in between can read \
                 and change everything",
            ),
            Warning::OldStyleCertificate { shortfall, cn } => {
                let (what, reissue) = match shortfall {
                    Shortfall::Version1 => (
                        "is X.509 version 1 (its name only in the CN)",
                        "as version 3 with a subjectAltName",
                    ),
                    Shortfall::CnOnly => (
                        "has its name only in the CN (no subjectAltName)",
                        "with a subjectAltName",
                    ),
                };
                write!(
                    f,
                    "the broker's certificate {what}, accepted because a CA you gave signed it; \
                     reissue it {reissue}: echo subjectAltName=DNS:{cn} > san.ext, then add \
                     -extfile san.ext to openssl x509 -req"
                )
            }
        }
    }
}

/// Where the client's notices go: a function of the caller's, called on the
/// task that has something to tell, or nowhere (the default). Clones share
/// the function.
#[derive(Clone, Default)]
pub struct Notices(Option<Arc<Sink>>);

/// The caller's function that takes the notices.
type Sink = dyn Fn(&Notice) + Send + Sync;

impl Notices {
    /// Notices handed to `sink`.
    pub fn to(sink: impl Fn(&Notice) + Send + Sync + 'static) -> Notices {
        Notices(Some(Arc::new(sink)))
    }

    /// Hands `notice` to the sink, if there is one.
    pub fn tell(&self, notice: Notice) {
        if let Some(sink) = &self.0 {
            sink(&notice);
        }
    }

    /// Hands `warning` to the sink, if there is one.
    pub fn warn(&self, warning: Warning) {
        self.tell(Notice::Warning(warning));
    }
}

impl fmt::Debug for Notices {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(_) => f.write_str("Notices(to a sink)"),
            None => f.write_str("Notices(nowhere)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::sync::Mutex;

    use crate::codec::ReasonCode;

    #[test]
    fn notices_reach_the_sink_and_none_is_kept_without_one() {
        let heard = Arc::new(Mutex::new(Vec::new()));
        let notices = Notices::to({
            let heard = heard.clone();
            move |notice| heard.lock().unwrap().push(notice.to_string())
        });
        notices.warn(Warning::Unverified);
        notices.clone().tell(Notice::Redirected {
            from: ("a".into(), 1883),
            to: Redirect {
                host: "::1".into(),
                port: 1884,
                reason: ReasonCode(0x9D),
            },
        });
        let heard = heard.lock().unwrap();
        assert_eq!(heard.len(), 2);
        assert!(
            heard[0].starts_with("TLS without verifying"),
            "{}",
            heard[0]
        );
        assert!(
            heard[1].ends_with(": a:1883 sends clients to [::1]:1884; connecting there"),
            "{}",
            heard[1]
        );
        Notices::default().warn(Warning::Unverified);
    }

    #[test]
    fn the_old_style_certificate_warning_says_how_to_add_a_subject_alt_name() {
        let warning = Warning::OldStyleCertificate {
            shortfall: Shortfall::Version1,
            cn: "localhost".into(),
        }
        .to_string();
        assert!(warning.contains("version 1"), "{warning}");
        assert!(
            warning.contains("subjectAltName=DNS:localhost") && warning.contains("-extfile"),
            "{warning}"
        );
        assert!(!warning.contains('\n'));
    }
}
