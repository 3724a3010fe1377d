//! `--metrics ADDR:PORT`: the live counters and the latency histogram as a
//! Prometheus (OpenMetrics) text endpoint, so that a fleet of shards is
//! watched in Grafana while it runs.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::histograms::Recorder;
use super::stats::{Live, Snapshot};

/// The latency histogram, the threads' buckets added up at each scrape.
#[derive(Debug)]
struct Latency(Arc<Recorder>);

impl EncodeMetric for Latency {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), fmt::Error> {
        let latency = self.0.live_latency();
        encoder.encode_histogram::<NoLabelSet>(latency.sum, latency.count, &latency.buckets, None)
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Histogram
    }
}

/// The connections' counters, read at each scrape.
#[derive(Debug)]
struct Counters(Vec<Arc<Live>>);

impl Collector for Counters {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), fmt::Error> {
        let now = Snapshot::of(&self.0);
        let counters = [
            (
                "mqtk_bench_sent",
                "Messages written to the socket",
                now.sent,
            ),
            (
                "mqtk_bench_acknowledged",
                "QoS 1/2 messages acknowledged",
                now.acked,
            ),
            (
                "mqtk_bench_received",
                "Messages received by subscribers",
                now.received,
            ),
            (
                "mqtk_bench_errors",
                "Failed connects, lost connections, refused messages",
                now.errors,
            ),
        ];
        for (name, help, value) in counters {
            let counter = ConstCounter::new(value);
            counter.encode(encoder.encode_descriptor(
                name,
                help,
                None,
                counter.metric_type(),
            )?)?;
        }
        let up = ConstGauge::new(i64::try_from(now.up).unwrap_or(i64::MAX));
        up.encode(encoder.encode_descriptor(
            "mqtk_bench_connections_up",
            "Connections up now",
            None,
            up.metric_type(),
        )?)?;
        Ok(())
    }
}

/// Serves the metrics on `addr` until the run ends (the task is dropped).
pub async fn serve(
    addr: SocketAddr,
    lives: Vec<Arc<Live>>,
    recorder: Arc<Recorder>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot serve --metrics on {addr}"))?;
    let mut registry = Registry::default();
    registry.register(
        "mqtk_bench_latency_seconds",
        "From the time a message was due to its arrival at a subscriber",
        Latency(recorder),
    );
    registry.register_collector(Box::new(Counters(lives)));
    let registry = Arc::new(registry);
    Ok(tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let registry = registry.clone();
            tokio::spawn(async move {
                // Any request gets the metrics: one endpoint, one answer.
                let mut request = [0; 4096];
                let _ = stream.read(&mut request).await;
                let mut body = String::new();
                if prometheus_client::encoding::text::encode(&mut body, &registry).is_err() {
                    return;
                }
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/openmetrics-text; \
                     version=1.0.0; charset=utf-8\r\nContent-Length: {}\r\n\
                     Connection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.write_all(body.as_bytes()).await;
                let _ = stream.shutdown().await;
            });
        }
    }))
}
