//! How `mqtk ping` shows what happened: lines on stdout as it happens, in
//! the shape of ping(8)'s, or with `--json` one object at the end.

use std::io::{self, Write};
use std::time::Duration;

use serde_json::{json, Value};

use super::info::{Asked, Info};
use super::stats::{reply_time, Stats};
use super::{tls, PingPlan, Probe};
use crate::client::{Client, ConnectTimes};
use crate::codec::QoS;
use crate::commands::json_ms;

/// Where the results go: lines on stdout as they happen, or with `--json`
/// one object at the end. A failed write means stdout was closed.
pub(super) struct Report {
    /// With `--json`: the document so far.
    json: Option<Value>,
    /// How the reply lines name the broker: "PINGRESP from ADDR" or "N bytes from ADDR".
    from: String,
    /// With `--publish`: the topic the messages go through.
    topic: Option<String>,
}

impl Report {
    pub(super) fn new(plan: &PingPlan, client: &Client, topic: Option<&str>) -> Report {
        let times = client.connect_times();
        let from = match plan.probe {
            Probe::Ping => format!("PINGRESP from {}", times.peer),
            Probe::Publish { size, .. } => format!("{size} bytes from {}", times.peer),
        };
        let json = plan.json.then(|| {
            let mut document = json!({
                "host": plan.options.host,
                "port": plan.options.port,
                "peer": times.peer,
                "protocol_version": client.protocol().to_string(),
                "client_id": client.client_id(),
                "probe": match plan.probe { Probe::Ping => "pingreq", Probe::Publish { .. } => "publish" },
                "connect": connect_json(times),
                "round_trips": [],
            });
            if let Some((_, info)) = &times.tls {
                document["tls"] = tls::json(info, tls::now());
            }
            if let (Probe::Publish { qos, size }, Some(topic)) = (plan.probe, topic) {
                document["topic"] = json!(topic);
                document["qos"] = json!(qos as u8);
                document["size"] = json!(size);
            }
            document
        });
        Report {
            json,
            from,
            topic: topic.map(str::to_string),
        }
    }

    /// The connection line, the phases, and with `--info` the CONNACK.
    pub(super) fn connected(&mut self, plan: &PingPlan, client: &Client) -> io::Result<()> {
        let info = plan.info.then(|| {
            let asked = Asked {
                protocol: plan.options.protocol,
                client_id: &plan.options.client_id,
                keep_alive: plan.options.keep_alive,
            };
            Info::new(client.protocol(), client.connack(), asked)
        });
        if let Some(document) = &mut self.json {
            if let Some(info) = &info {
                document["info"] = info.json();
            }
            return Ok(());
        }
        let times = client.connect_times();
        let options = &plan.options;
        let mut text = format!(
            "PING {}:{} ({}): MQTT {}, client id {}",
            options.host,
            options.port,
            times.peer,
            client.protocol(),
            client.client_id()
        );
        if let (Probe::Publish { qos, size }, Some(topic)) = (plan.probe, &self.topic) {
            let qos = qos as u8;
            text.push_str(&format!(", {size} bytes at QoS {qos} through {topic}"));
        }
        let phases = phases(times);
        let total: Duration = phases.iter().map(|(_, took)| *took).sum();
        let phases: Vec<String> = phases
            .iter()
            .map(|(name, took)| format!("{name} {} ms", reply_time(*took)))
            .collect();
        text.push_str(&format!(
            "\nconnected in {} ms: {}\n",
            reply_time(total),
            phases.join(", ")
        ));
        if let (true, Some((_, info))) = (plan.verbose || plan.info, &times.tls) {
            text.push_str(&tls::text(info, tls::now()));
        }
        if let Some(info) = &info {
            text.push_str(&info.text());
        }
        print(&text)
    }

    /// A probe counted as sent: its entry in the JSON.
    pub(super) fn sent(&mut self, seq: u64) {
        if let Some(document) = &mut self.json {
            if let Value::Array(rounds) = &mut document["round_trips"] {
                rounds.push(json!({"seq": seq}));
            }
        }
    }

    pub(super) fn answered(&mut self, seq: u64, rtt: Duration, qos: Option<QoS>) -> io::Result<()> {
        if let Some(round) = self.round(seq) {
            round["ms"] = json!(json_ms(rtt));
            return Ok(());
        }
        let qos = qos.map_or(String::new(), |q| format!(" qos={}", q as u8));
        print(&format!(
            "{}: seq={seq}{qos} time={} ms\n",
            self.from,
            reply_time(rtt)
        ))
    }

    /// A probe not answered within `timeout`.
    pub(super) fn lost(&mut self, seq: u64, timeout: Duration) -> io::Result<()> {
        if self.json.is_some() {
            self.unanswered(seq);
            return Ok(());
        }
        let seconds = timeout.as_secs_f64();
        print(&format!("no answer for seq={seq} within {seconds} s\n"))
    }

    /// A probe still out when the pinging stopped: lost too, as in ping(8),
    /// which says nothing about it but the count.
    pub(super) fn unanswered(&mut self, seq: u64) {
        if let Some(round) = self.round(seq) {
            round["lost"] = json!(true);
        }
    }

    /// A probe due while the connection was down: sent nowhere, and lost.
    /// The text says it with the outage, in one line.
    pub(super) fn offline(&mut self, seq: u64) {
        if let Some(round) = self.round(seq) {
            round["lost"] = json!(true);
            round["offline"] = json!(true);
        }
    }

    /// An outage of `took`, once the connection is back or the pinging
    /// stopped: the probes it cost, those out when it began and those due
    /// during it, in one line.
    pub(super) fn outage(&mut self, lost: &[u64], took: Duration) -> io::Result<()> {
        if self.json.is_some() {
            return Ok(());
        }
        let lost = match lost {
            [] => "no probe lost".to_string(),
            seqs => format!("{} lost", seq_ranges(seqs)),
        };
        let seconds = took.as_secs_f64();
        print(&format!("no connection for {seconds:.1} s: {lost}\n"))
    }

    pub(super) fn late(&mut self, seq: u64, after: Duration) -> io::Result<()> {
        if let Some(round) = self.round(seq) {
            round["late_ms"] = json!(json_ms(after));
            return Ok(());
        }
        print(&format!(
            "late answer for seq={seq} (time={} ms), counted as lost\n",
            reply_time(after)
        ))
    }

    /// The summary, or with `--json` the whole document.
    pub(super) fn finish(
        &mut self,
        plan: &PingPlan,
        stats: &Stats,
        elapsed: Duration,
        failure: Option<&anyhow::Error>,
    ) -> io::Result<()> {
        let Some(document) = &mut self.json else {
            return print(&format!("\n{}", stats.summary(&plan.options.host, elapsed)));
        };
        document["summary"] = json!({
            "transmitted": stats.transmitted,
            "received": stats.received,
            "loss_percent": stats.loss_percent(),
            "time_ms": elapsed.as_millis() as u64,
            "reconnects": stats.reconnects,
            "outage_ms": stats.outage.as_millis() as u64,
            "rtt_ms": stats.rtt().map(|rtt| json!({
                "min": round3(rtt.min),
                "avg": round3(rtt.avg),
                "max": round3(rtt.max),
                "mdev": round3(rtt.mdev),
            })),
        });
        document["error"] = json!(failure.map(crate::commands::error_line));
        print(&format!("{document}\n"))
    }

    /// The JSON entry of probe `seq`.
    fn round(&mut self, seq: u64) -> Option<&mut Value> {
        let index = usize::try_from(seq).ok()?.checked_sub(1)?;
        self.json.as_mut()?.get_mut("round_trips")?.get_mut(index)
    }
}

/// The phases of connecting that took place, in order, by name.
fn phases(times: &ConnectTimes) -> Vec<(&'static str, Duration)> {
    let mut phases = vec![
        ("name resolution", times.resolve),
        ("TCP connect", times.tcp),
    ];
    phases.extend(times.proxy.map(|took| ("SOCKS5 proxy", took)));
    phases.extend(times.tls.as_ref().map(|(took, _)| ("TLS handshake", *took)));
    phases.extend(times.websocket.map(|took| ("WebSocket upgrade", took)));
    phases.push(("CONNECT -> CONNACK", times.connack));
    phases
}

/// The phases for `--json`: those that did not take place are left out.
fn connect_json(times: &ConnectTimes) -> Value {
    let mut connect = json!({
        "resolve_ms": json_ms(times.resolve),
        "tcp_ms": json_ms(times.tcp),
        "connack_ms": json_ms(times.connack),
    });
    if let Some(took) = times.proxy {
        connect["proxy_ms"] = json!(json_ms(took));
    }
    if let Some((took, _)) = &times.tls {
        connect["tls_ms"] = json!(json_ms(*took));
    }
    if let Some(took) = times.websocket {
        connect["websocket_ms"] = json!(json_ms(took));
    }
    connect
}

/// Sequence numbers in ascending order, runs joined: "seq=3, seq=5 to seq=9".
fn seq_ranges(seqs: &[u64]) -> String {
    let mut runs: Vec<(u64, u64)> = Vec::new();
    for &seq in seqs {
        match runs.last_mut() {
            Some((_, last)) if *last + 1 == seq => *last = seq,
            _ => runs.push((seq, seq)),
        }
    }
    let runs: Vec<String> = runs
        .iter()
        .map(|&(first, last)| {
            if first == last {
                format!("seq={first}")
            } else {
                format!("seq={first} to seq={last}")
            }
        })
        .collect();
    runs.join(", ")
}

fn print(text: &str) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

fn round3(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lost_probes_are_named_by_runs_of_sequence_numbers() {
        assert_eq!(seq_ranges(&[7]), "seq=7");
        assert_eq!(seq_ranges(&[5, 6, 7, 8, 9]), "seq=5 to seq=9");
        assert_eq!(seq_ranges(&[3, 5, 6, 7, 9]), "seq=3, seq=5 to seq=7, seq=9");
    }
}
