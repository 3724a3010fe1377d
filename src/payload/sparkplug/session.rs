//! What a Sparkplug host keeps of each edge node's session: the names and
//! datatypes its BIRTH messages gave the aliases, its `seq` and its `bdSeq`,
//! with a warning for each break of the rules it sees.

use std::collections::HashMap;

use super::schema::{Metric, MetricValue, Payload};
use super::topic::Kind;

/// The names and datatypes one BIRTH gave.
#[derive(Debug, Default)]
pub struct Birth {
    by_alias: HashMap<u64, (String, u32)>,
    by_name: HashMap<String, u32>,
}

impl Birth {
    fn new(metrics: &[Metric]) -> Birth {
        let mut birth = Birth::default();
        for metric in metrics {
            let (Some(name), Some(datatype)) = (&metric.name, metric.datatype) else {
                continue;
            };
            if let Some(alias) = metric.alias {
                birth.by_alias.insert(alias, (name.clone(), datatype));
            }
            birth.by_name.insert(name.clone(), datatype);
        }
        birth
    }

    /// The name and datatype of a metric sent by alias, or by name alone.
    pub fn lookup<'a>(
        &'a self,
        alias: Option<u64>,
        name: Option<&'a str>,
    ) -> Option<(&'a str, u32)> {
        match (alias, name) {
            (Some(alias), _) => self.by_alias.get(&alias).map(|(n, t)| (n.as_str(), *t)),
            (None, Some(name)) => self.by_name.get(name).map(|&t| (name, t)),
            (None, None) => None,
        }
    }
}

/// One edge node, as far as its messages showed it.
#[derive(Debug, Default)]
struct EdgeNode {
    birth: Option<Birth>,
    devices: HashMap<String, Birth>,
    /// The `seq` of its last sequenced message.
    seq: Option<u64>,
    /// The `bdSeq` of its NBIRTH.
    bd_seq: Option<u64>,
    /// A warning about missing names was given since the last NBIRTH.
    told_unnamed: bool,
}

/// The edge nodes seen, by group and edge node id.
#[derive(Debug, Default)]
pub struct Session {
    nodes: HashMap<(String, String), EdgeNode>,
}

/// What [`Session::observe`] found.
#[derive(Debug, Default)]
pub struct Observed {
    pub warnings: Vec<String>,
    /// Names are missing that a new BIRTH would give: the first time since
    /// the edge node's last NBIRTH.
    pub wants_birth: bool,
}

impl Session {
    /// Takes a message in: a BIRTH's names, the checks of `seq` and `bdSeq`,
    /// and DATA that came before its BIRTH. `name` is `group/edge[/device]`.
    pub fn observe(
        &mut self,
        (group, edge_node, device): (&str, &str, Option<&str>),
        kind: Kind,
        payload: &Payload,
    ) -> Observed {
        let mut observed = Observed::default();
        let name = match device {
            Some(device) => format!("{group}/{edge_node}/{device}"),
            None => format!("{group}/{edge_node}"),
        };
        let node = self
            .nodes
            .entry((group.to_string(), edge_node.to_string()))
            .or_default();
        if kind.is_sequenced() {
            if let (Some(last), Some(seq), false) = (node.seq, payload.seq, kind == Kind::NBirth) {
                let expected = (last + 1) % 256;
                if seq != expected {
                    observed.warnings.push(format!(
                        "Sparkplug: {kind:?} from {name} has seq {seq}, expected {expected}: messages lost or out of order"
                    ));
                }
            }
            node.seq = payload.seq.or(node.seq);
        }
        match kind {
            Kind::NBirth => {
                *node = EdgeNode {
                    birth: Some(Birth::new(&payload.metrics)),
                    seq: payload.seq,
                    bd_seq: bd_seq(payload),
                    ..EdgeNode::default()
                };
            }
            Kind::DBirth => {
                if let Some(device) = device {
                    node.devices
                        .insert(device.to_string(), Birth::new(&payload.metrics));
                }
            }
            Kind::NDeath => {
                match (node.bd_seq, bd_seq(payload)) {
                    (Some(born), Some(died)) if born != died => observed.warnings.push(format!(
                        "Sparkplug: NDEATH from {name} has bdSeq {died}, but its NBIRTH had {born}: a stale death certificate, the node is still online"
                    )),
                    _ => *node = EdgeNode::default(),
                }
            }
            Kind::DDeath => {
                if let Some(device) = device {
                    node.devices.remove(device);
                }
            }
            Kind::NData | Kind::DData => {
                let birth = match device {
                    Some(device) => node.devices.get(device),
                    None => node.birth.as_ref(),
                };
                if birth.is_none() && !node.told_unnamed {
                    let which = if device.is_some() { "DBIRTH" } else { "NBIRTH" };
                    observed.warnings.push(format!(
                        "Sparkplug: {kind:?} from {name} came before its {which}: its aliases have no names"
                    ));
                    node.told_unnamed = true;
                    observed.wants_birth = true;
                }
            }
            Kind::NCmd | Kind::DCmd => {}
        }
        observed
    }

    /// The BIRTH names that hold for a message: its device's, then its edge
    /// node's.
    pub fn births(&self, group: &str, edge_node: &str, device: Option<&str>) -> Vec<&Birth> {
        let Some(node) = self.nodes.get(&(group.to_string(), edge_node.to_string())) else {
            return Vec::new();
        };
        device
            .and_then(|d| node.devices.get(d))
            .into_iter()
            .chain(node.birth.as_ref())
            .collect()
    }

    /// Aliases without names were found in a message of this edge node:
    /// whether that is news since its last NBIRTH (so worth a warning).
    pub fn first_unnamed(&mut self, group: &str, edge_node: &str) -> bool {
        let node = self
            .nodes
            .entry((group.to_string(), edge_node.to_string()))
            .or_default();
        !std::mem::replace(&mut node.told_unnamed, true)
    }
}

/// The `bdSeq` metric of an NBIRTH or NDEATH.
fn bd_seq(payload: &Payload) -> Option<u64> {
    payload
        .metrics
        .iter()
        .find(|m| m.name.as_deref() == Some("bdSeq"))
        .and_then(|m| match m.value {
            Some(MetricValue::Long(n)) => Some(n),
            Some(MetricValue::Int(n)) => Some(u64::from(n)),
            _ => None,
        })
}
