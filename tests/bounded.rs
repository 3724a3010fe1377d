//! What must stay bounded however long the input is, against the real brokers:
//! the client's queue of events, and the input read but not yet queued, while
//! `pub -l` streams QoS 1 and 2 messages.

mod common;

use common::run::{for_each_broker, numbered_lines};
use common::{brokers, unique_topic, Broker, Version};
use mqtk::client::{Client, Ending, Options};
use mqtk::codec::{Protocol, Publish, QoS};
use mqtk::commands::publish::{Feed, Publisher};
use mqtk::commands::reconnect::Policy;

/// Long enough that a queue growing with the input would hold thousands.
const LINES: usize = 50_000;

/// The most input `pub -l` may hold read but not queued: a read or two.
const MOST_BUFFERED: usize = 256 * 1024;

fn options(broker: &Broker) -> Options {
    Options {
        host: broker.host.clone(),
        port: broker.port,
        protocol: match broker.version {
            Version::V311 => Some(Protocol::V311),
            Version::V5 => Some(Protocol::V5),
            Version::Both => None,
        },
        client_id: format!("bounded-{}", std::process::id()),
        ..Options::default()
    }
}

/// Streams [`LINES`] lines at `qos` through the line publisher of `mqtk pub -l`, at most
/// `max_queued` of them queued at once (--max-queued).
fn stream_lines(broker: &Broker, qos: QoS, max_queued: usize) {
    let options = Options {
        client_id: format!(
            "{}-{}-q{}",
            options(broker).client_id,
            broker.name,
            qos as u8
        ),
        ..options(broker)
    };
    let template = Publish {
        qos,
        topic: unique_topic("bounded").into(),
        ..Publish::default()
    };
    let input = numbered_lines(LINES);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(async {
        let client = Client::connect(&options).await.expect("connect");
        let policy = Policy {
            enabled: false,
            retries: None,
            connect_retries: 0,
        };
        let mut publisher = Publisher::new(client, &options, policy, max_queued);
        let mut feed = Feed::lines(template, &input[..], None);
        publisher
            .publish_all(&mut feed)
            .await
            .expect("every line published and acknowledged");
        let buffered = feed.peak_buffered();
        assert!(
            buffered <= MOST_BUFFERED,
            "{}: {buffered} bytes of input were held read but not queued, of {}",
            broker.name,
            input.len()
        );
        let (client, tally) = publisher.finish();
        assert_eq!(
            (tally.sent, tally.accepted),
            (LINES as u64, LINES as u64),
            "{}: every line sent and accepted",
            broker.name
        );
        let peak = client.peak_queued_events();
        assert!(
            peak <= usize::from(options.max_in_flight),
            "{}: {peak} events were queued at once at QoS {}; the in-flight window is {}",
            broker.name,
            qos as u8,
            options.max_in_flight
        );
        client.end(Ending::Disconnect).await.expect("disconnect");
    });
}

#[test]
fn qos1_lines_keep_the_event_queue_within_the_in_flight_window() {
    for_each_broker(&brokers(), |broker| {
        stream_lines(broker, QoS::AtLeastOnce, 10_000)
    });
}

#[test]
fn qos2_lines_keep_the_event_queue_within_the_in_flight_window() {
    for_each_broker(&brokers(), |broker| {
        stream_lines(broker, QoS::ExactlyOnce, 10_000)
    });
}

/// A queue shorter than one read's lines: the lines left in the buffer are taken before
/// anything more is read.
#[test]
fn qos0_lines_through_a_short_queue_all_leave_and_one_read_at_a_time() {
    for_each_broker(&brokers(), |broker| {
        stream_lines(broker, QoS::AtMostOnce, 100)
    });
}
