//! The packet trace a caller turns on with `Options::trace` (mqtk's `-d`):
//! one line for every packet sent or received, in the spirit of mosquitto's
//! debug output, told as [`Notice::Trace`] to the caller's sink.

use std::fmt::Write as _;

use super::notice::{Notice, Notices};
use crate::codec::{Naming, Packet, Publish};

/// Tells packet summaries, and notes of the handshakes, to a sink.
#[derive(Debug, Clone)]
pub struct Trace(Notices);

impl Trace {
    pub fn new(notices: Notices) -> Trace {
        Trace(notices)
    }

    pub fn sent(&self, packet: &Packet) {
        self.note(format!("sending {}", summary(packet)));
    }

    /// A PUBLISH sent named as `naming` says: its topic, and the alias for it.
    pub fn sent_publish(&self, publish: &Publish, naming: Naming) {
        let alias = match naming {
            Naming::Topic => String::new(),
            Naming::SetAlias(alias) => format!(", alias {alias} set"),
            Naming::Alias(alias) => format!(", alias {alias}"),
        };
        self.note(format!(
            "sending PUBLISH{}",
            publish_summary(publish, &alias)
        ));
    }

    pub fn received(&self, packet: &Packet) {
        self.note(format!("received {}", summary(packet)));
    }

    /// A free-form note, such as a protocol fallback.
    pub fn note(&self, text: String) {
        self.0.tell(Notice::Trace(text));
    }
}

/// One line describing a packet: its name and the fields a person debugging
/// a session looks for.
fn summary(packet: &Packet) -> String {
    let mut s = packet.name().to_string();
    let _ = match packet {
        Packet::Connect(c) => write!(
            s,
            " (v{}, c{}, k{}, id {:?}{}{})",
            c.protocol,
            u8::from(c.clean_start),
            c.keep_alive,
            c.client_id,
            c.username
                .as_ref()
                .map_or(String::new(), |u| format!(", u {u:?}")),
            c.will.as_ref().map_or(String::new(), |w| format!(
                ", will {:?} q{} r{}",
                w.topic,
                w.qos as u8,
                u8::from(w.retain)
            )),
        ),
        Packet::ConnAck(c) => write!(
            s,
            " (session present {}, {}{})",
            u8::from(c.session_present),
            c.reason,
            c.properties
                .assigned_client_identifier
                .as_ref()
                .map_or(String::new(), |id| format!(", assigned id {id:?}"))
        ),
        Packet::Publish(p) => {
            let alias = p
                .properties
                .topic_alias
                .map_or(String::new(), |alias| format!(", alias {alias}"));
            s.push_str(&publish_summary(p, &alias));
            Ok(())
        }
        Packet::PubAck(a) | Packet::PubRec(a) | Packet::PubRel(a) | Packet::PubComp(a) => {
            write!(s, " (m{}, {})", a.packet_id, a.reason)
        }
        Packet::Subscribe(sub) => {
            let filters: Vec<String> = sub
                .subscriptions
                .iter()
                .map(|f| format!("{:?} q{}", f.filter, f.qos as u8))
                .collect();
            write!(s, " (m{}, {})", sub.packet_id, filters.join(", "))
        }
        Packet::SubAck(a) => {
            let codes: Vec<String> = a.reasons.iter().map(|r| format!("0x{:02x}", r.0)).collect();
            write!(s, " (m{}, {})", a.packet_id, codes.join(", "))
        }
        Packet::Unsubscribe(u) => write!(s, " (m{}, {:?})", u.packet_id, u.filters),
        Packet::UnsubAck(u) => write!(s, " (m{})", u.packet_id),
        Packet::Disconnect(d) => write!(s, " ({})", d.reason),
        Packet::Auth(a) => write!(s, " ({})", a.reason),
        Packet::PingReq | Packet::PingResp => Ok(()),
    };
    s
}

/// A PUBLISH's fields, with what its topic alias did (`alias`, empty for none).
fn publish_summary(p: &Publish, alias: &str) -> String {
    format!(
        " (d{}, q{}, r{}, m{}, {:?}{alias}, {} bytes)",
        u8::from(p.dup),
        p.qos as u8,
        u8::from(p.retain),
        p.packet_id,
        p.topic,
        p.payload.len()
    )
}
