//! The Sparkplug topic namespace: `spBv1.0/GROUP/TYPE/EDGE_NODE[/DEVICE]`,
//! and `spBv1.0/STATE/HOST` for a host application's state.

/// What a Sparkplug topic names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Topic<'a> {
    Message {
        group: &'a str,
        kind: Kind,
        edge_node: &'a str,
        device: Option<&'a str>,
    },
    /// A host application's online state (Sparkplug 3.0).
    State { host: &'a str },
}

/// The message types of the namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    NBirth,
    NDeath,
    DBirth,
    DDeath,
    NData,
    DData,
    NCmd,
    DCmd,
}

impl Kind {
    fn parse(text: &str) -> Option<Kind> {
        Some(match text {
            "NBIRTH" => Kind::NBirth,
            "NDEATH" => Kind::NDeath,
            "DBIRTH" => Kind::DBirth,
            "DDEATH" => Kind::DDeath,
            "NDATA" => Kind::NData,
            "DDATA" => Kind::DData,
            "NCMD" => Kind::NCmd,
            "DCMD" => Kind::DCmd,
            _ => return None,
        })
    }

    /// A device's message, whose topic names the device.
    fn is_device(self) -> bool {
        matches!(self, Kind::DBirth | Kind::DDeath | Kind::DData | Kind::DCmd)
    }

    /// Sent by the edge node itself, and so numbered by its `seq` (NDEATH,
    /// sent by the broker as the will, is not).
    pub fn is_sequenced(self) -> bool {
        matches!(
            self,
            Kind::NBirth | Kind::DBirth | Kind::DDeath | Kind::NData | Kind::DData
        )
    }
}

/// The namespace's first level.
pub const NAMESPACE: &str = "spBv1.0";

/// Whether a topic is in the Sparkplug B namespace.
pub fn is_sparkplug(topic: &str) -> bool {
    topic
        .strip_prefix(NAMESPACE)
        .is_some_and(|rest| rest.starts_with('/'))
}

/// The parts of a Sparkplug topic, or `None` for a topic outside the
/// namespace or not shaped as it says.
pub fn parse(topic: &str) -> Option<Topic<'_>> {
    let mut levels = topic.split('/');
    if levels.next() != Some(NAMESPACE) {
        return None;
    }
    let rest: Vec<&str> = levels.collect();
    match rest[..] {
        ["STATE", host] if !host.is_empty() => Some(Topic::State { host }),
        [group, kind, edge_node] | [group, kind, edge_node, _] => {
            let kind = Kind::parse(kind)?;
            let device = rest.get(3).copied();
            if group.is_empty() || edge_node.is_empty() || kind.is_device() != device.is_some() {
                return None;
            }
            Some(Topic::Message {
                group,
                kind,
                edge_node,
                device,
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_are_parsed_into_their_parts() {
        assert_eq!(
            parse("spBv1.0/plant/DDATA/edge-1/pump"),
            Some(Topic::Message {
                group: "plant",
                kind: Kind::DData,
                edge_node: "edge-1",
                device: Some("pump")
            })
        );
        assert_eq!(
            parse("spBv1.0/plant/NBIRTH/edge-1"),
            Some(Topic::Message {
                group: "plant",
                kind: Kind::NBirth,
                edge_node: "edge-1",
                device: None
            })
        );
        assert_eq!(
            parse("spBv1.0/STATE/scada"),
            Some(Topic::State { host: "scada" })
        );
        for not in [
            "spBv1.0/plant/NDATA/edge-1/extra",
            "spBv1.0/plant/DDATA/edge-1",
            "spBv1.0/plant/XDATA/edge-1",
            "spAv1.0/plant/NDATA/edge-1",
            "house/kitchen",
        ] {
            assert_eq!(parse(not), None, "{not}");
        }
        assert!(is_sparkplug("spBv1.0/x"));
        assert!(!is_sparkplug("spBv1.0x/y"));
    }
}
