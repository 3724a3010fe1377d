//! `mqtk topics`: what is on the broker. Subscribes to some filters and
//! keeps one small entry per topic seen (`table`), then prints the topic
//! tree or the retained listing (`render`); `--clear` deletes retained
//! messages and checks that they are gone.
//!
//! Retained messages come first after a SUBSCRIBE, and nothing marks their
//! end: the retained listing takes them to be all there after `--settle`
//! seconds without a message, at the first live message (one without the
//! retain flag, as the subscriptions do not ask for Retain As Published),
//! or after `-W`.
//!
//! Layout:
//! - `mod.rs`: the plan, the subscriptions, and the three modes (the tree,
//!   the retained listing, clearing)
//! - `table`: [`table::Table`], the topics in tree order and what was seen on each
//! - `render`: the text and the JSON of the tree and of the listing

mod render;
mod table;

use std::io::{self, IsTerminal, Write};
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use super::notices::say;
use super::{
    check_topic_filter, client_options_with_topic, connect, positive_seconds, qos, reconnect,
    require_suback, sleep_until, usage, Interrupt,
};
use crate::cli::{exit, TopicsArgs};
use crate::client::{Client, ClientError, Ending, Event, Options, Resumption};
use crate::codec::{Properties, Publish, QoS, Subscription};
use render::{Cleared, Retained, Watched};
use table::Table;

/// How often the live view on a terminal is drawn again.
const REDRAW: Duration = Duration::from_millis(500);

/// The most messages handled between two looks at the clock and the screen.
const BATCH: usize = 4096;

/// The most topics named in the error of a clearing that did not hold.
const NAMED: usize = 5;

/// What `mqtk topics` will do, resolved from its arguments.
struct TopicsPlan {
    options: Options,
    filters: Vec<String>,
    /// The QoS of the tree's subscriptions; the retained listing takes QoS 0.
    qos: QoS,
    timeout: Option<Duration>,
    settle: Duration,
    mode: Mode,
    json: bool,
    reconnect: reconnect::Policy,
}

/// Which of the three things `topics` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Watch and print the topic tree.
    Tree,
    /// List the retained messages.
    Retained,
    /// List the retained messages and, with `--yes`, delete them.
    Clear { yes: bool },
}

/// How receiving retained messages ended.
#[derive(Debug, PartialEq, Eq)]
enum Listing {
    /// They are taken to be all there.
    Complete,
    /// Ctrl-C.
    Interrupted,
}

/// Runs `mqtk topics`.
pub async fn run(args: TopicsArgs) -> anyhow::Result<u8> {
    let plan = plan(args)?;
    // Listen for Ctrl-C from the start, as sub does.
    let mut interrupt = Interrupt::new()?;
    let setup = async {
        let mut client =
            reconnect::first_connect(&plan.reconnect, || connect(&plan.options)).await?;
        subscribe(&mut client, &plan).await?;
        anyhow::Ok(client)
    };
    let client = tokio::select! {
        client = setup => client?,
        _ = interrupt.recv() => return Ok(exit::SUCCESS),
    };
    match plan.mode {
        Mode::Tree => watch(client, &plan, &mut interrupt).await,
        Mode::Retained | Mode::Clear { .. } => retained(client, &plan, &mut interrupt).await,
    }
}

/// Resolves the arguments into what `topics` will do, refusing bad ones first.
fn plan(args: TopicsArgs) -> anyhow::Result<TopicsPlan> {
    let (options, url_topic) = client_options_with_topic(&args.connection, None)?;
    let (mode, filters, flag) = if !args.clear.is_empty() {
        if url_topic.is_some() {
            return usage("give the filters to clear with --clear, not in the URL (-L)");
        }
        (Mode::Clear { yes: args.yes }, args.clear, "--clear")
    } else {
        let mut filters = args.topics;
        filters.extend(url_topic);
        if filters.is_empty() {
            filters.push("#".to_string());
        }
        let mode = match args.retained {
            true => Mode::Retained,
            false => Mode::Tree,
        };
        (mode, filters, "-t")
    };
    for filter in &filters {
        check_topic_filter(filter, flag)?;
    }
    let settle = positive_seconds(Some(args.settle), "--settle")?.unwrap_or_default();
    Ok(TopicsPlan {
        options,
        filters,
        qos: match mode {
            Mode::Tree => qos(args.qos),
            _ => QoS::AtMostOnce,
        },
        timeout: positive_seconds(args.timeout, "-W")?,
        settle,
        mode,
        json: args.json,
        reconnect: reconnect::Policy::new(&args.reconnect),
    })
}

/// Subscribes to the plan's filters: one line and exit 4 when the broker
/// refuses them all, a line for each refused one otherwise.
async fn subscribe(client: &mut Client, plan: &TopicsPlan) -> anyhow::Result<()> {
    let subscriptions: Vec<Subscription> = plan
        .filters
        .iter()
        .map(|filter| Subscription::new(filter.clone(), plan.qos))
        .collect();
    let suback = client
        .subscribe(subscriptions.clone(), Properties::default())
        .await?;
    require_suback(client.protocol(), &subscriptions, &suback)
}

/// How watching the tree ended.
enum WatchEnd {
    /// -W or Ctrl-C, while connected.
    Asked,
    /// -W or Ctrl-C while connecting again: there is nothing to end.
    AskedOffline,
    /// The connection was lost for good.
    Lost(anyhow::Error),
}

/// The tree: receives until -W or Ctrl-C, drawing the tree in place on a
/// terminal, then prints it. A lost connection is ridden out as sub rides it
/// out; one lost for good prints what was seen, then fails.
async fn watch(
    mut client: Client,
    plan: &TopicsPlan,
    interrupt: &mut Interrupt,
) -> anyhow::Result<u8> {
    let started = Instant::now();
    let deadline = plan.timeout.map(|t| started + t);
    let mut table = Table::new(false);
    let live = !plan.json && io::stdout().is_terminal();
    let mut redraw = tokio::time::interval(REDRAW);
    let mut first_frame = true;
    let end = loop {
        let event = tokio::select! {
            event = client.next_event() => event,
            _ = sleep_until(deadline) => break WatchEnd::Asked,
            _ = interrupt.recv() => break WatchEnd::Asked,
            _ = redraw.tick(), if live => {
                let watched = Watched { table: &table, filters: &plan.filters, seconds: started.elapsed().as_secs_f64() };
                if draw_live(&watched, first_frame).is_err() {
                    return Ok(exit::CLOSED_PIPE);
                }
                first_frame = false;
                continue;
            }
        };
        let Err(error) = handle(&mut client, event, &mut table) else {
            continue;
        };
        if !plan.reconnect.rides_out(&error) {
            break WatchEnd::Lost(error.into());
        }
        tokio::select! {
            back = recover(&mut client, plan, error) => match back {
                Ok(()) => {}
                Err(error) => break WatchEnd::Lost(error),
            },
            _ = sleep_until(deadline) => break WatchEnd::AskedOffline,
            _ = interrupt.recv() => break WatchEnd::AskedOffline,
        }
    };
    let watched = Watched {
        table: &table,
        filters: &plan.filters,
        seconds: started.elapsed().as_secs_f64(),
    };
    if let WatchEnd::Asked = end {
        // The figures are in either way.
        let _ = client.end(Ending::Disconnect).await;
    }
    let mut out = io::stdout().lock();
    let written = match plan.json {
        true => render::write_tree_json(&mut out, &watched),
        false => {
            // The final tree, whole, where the live view was.
            let home = if live { "\x1b[H\x1b[J" } else { "" };
            out.write_all(home.as_bytes())
                .and_then(|()| render::write_tree(&mut out, &watched, None))
        }
    };
    if written.and_then(|()| out.flush()).is_err() {
        return Ok(exit::CLOSED_PIPE);
    }
    match end {
        WatchEnd::Lost(error) => Err(error),
        WatchEnd::Asked | WatchEnd::AskedOffline => Ok(exit::SUCCESS),
    }
}

/// Connects again after `cause`, then subscribes again unless the broker
/// kept the session; a connection lost on the way is ridden out the same way.
///
/// Cancel safe only as a whole, as [`reconnect::reconnect`].
async fn recover(client: &mut Client, plan: &TopicsPlan, cause: ClientError) -> anyhow::Result<()> {
    let resume = async |client: &mut Client, resumption: &Resumption| {
        if !resumption.session_present {
            subscribe(client, plan).await?;
        }
        Ok(())
    };
    reconnect::ride_out(client, &plan.options, &plan.reconnect, cause, resume).await
}

/// Records an event's message, and those already received behind it, acknowledging each.
fn handle(
    client: &mut Client,
    event: Result<Event, ClientError>,
    table: &mut Table,
) -> Result<(), ClientError> {
    let mut event = Some(event?);
    let now = SystemTime::now();
    let mut handled = 0;
    while let Some(next) = event {
        if let Event::Message(message) = next {
            client.ack(&message)?;
            table.record(&message, now);
        }
        handled += 1;
        event = if handled < BATCH {
            client.try_next_event()
        } else {
            None
        };
    }
    Ok(())
}

/// Draws the tree over the last one (the first over a cleared screen), from
/// the top of the terminal, cut to its height.
fn draw_live(watched: &Watched, first: bool) -> io::Result<()> {
    // Besides the rows: the summary, the header, the "more topics" line and
    // the line the cursor ends on, which must not scroll the screen.
    let rows = terminal_rows().saturating_sub(4).max(1);
    let mut frame = Vec::with_capacity(16 * 1024);
    render::write_tree(&mut frame, watched, Some(rows))?;
    let mut out = io::stdout().lock();
    // Cursor home, each line erased to its end, everything below it erased:
    // no flicker of a cleared screen.
    out.write_all(if first { b"\x1b[H\x1b[2J" } else { b"\x1b[H" })?;
    for line in frame.split_inclusive(|&b| b == b'\n') {
        let text = line.strip_suffix(b"\n").unwrap_or(line);
        out.write_all(text)?;
        out.write_all(b"\x1b[K\n")?;
    }
    out.write_all(b"\x1b[J")?;
    out.flush()
}

/// The height of the terminal on stdout, 24 when it cannot be told.
fn terminal_rows() -> usize {
    #[cfg(unix)]
    if let Ok(size) = rustix::termios::tcgetwinsize(io::stdout()) {
        if size.ws_row > 0 {
            return usize::from(size.ws_row);
        }
    }
    24
}

/// The retained listing, and with `--clear` the clearing.
async fn retained(
    mut client: Client,
    plan: &TopicsPlan,
    interrupt: &mut Interrupt,
) -> anyhow::Result<u8> {
    let mut table = Table::new(true);
    let listing = collect_retained(&mut client, plan, &mut table, interrupt).await?;
    let clear = match plan.mode {
        Mode::Clear { yes } => Some(yes),
        _ => None,
    };
    if clear.is_some() && listing == Listing::Interrupted {
        let _ = client.end(Ending::Disconnect).await;
        say("interrupted: nothing was cleared");
        return Ok(exit::SUCCESS);
    }
    let Some(true) = clear else {
        let _ = client.end(Ending::Disconnect).await;
        let dry_run = clear.map(|_| Cleared {
            dry_run: true,
            cleared: 0,
            refused: 0,
            still_retained: &[],
        });
        let code = print_retained(plan, &table, dry_run);
        if clear.is_some() && code == exit::SUCCESS {
            say(format_args!(
                "dry run: {} retained message{} would be cleared; add --yes to clear {}",
                table.len(),
                render::plural(table.len() as u64),
                if table.len() == 1 { "it" } else { "them" },
            ));
        }
        return Ok(code);
    };
    let (cleared, refused) = clear_all(&mut client, plan, &table).await?;
    // Subscribing again (clear_all unsubscribed) is a new subscription,
    // which the retained messages that are left come with.
    subscribe(&mut client, plan).await?;
    let mut again = Table::new(false);
    collect_retained(&mut client, plan, &mut again, interrupt).await?;
    let _ = client.end(Ending::Disconnect).await;
    let still: Vec<String> = table
        .iter()
        .map(|(key, _)| key.as_str())
        .filter(|topic| again.contains(topic))
        .map(str::to_string)
        .collect();
    let outcome = Cleared {
        dry_run: false,
        cleared,
        refused,
        still_retained: &still,
    };
    let code = print_retained(plan, &table, Some(outcome));
    if !still.is_empty() {
        let named: Vec<String> = still.iter().take(NAMED).map(|t| format!("{t:?}")).collect();
        let more = if still.len() > NAMED { ", ..." } else { "" };
        anyhow::bail!(
            "{} of {} retained messages are still there after clearing: {}{more}",
            still.len(),
            table.len(),
            named.join(", ")
        );
    }
    if refused > 0 {
        anyhow::bail!(
            "the broker refused {refused} of the {} empty retained messages",
            table.len()
        );
    }
    Ok(code)
}

/// Prints the listing; the exit code for a closed stdout, or success.
fn print_retained(plan: &TopicsPlan, table: &Table, clear: Option<Cleared>) -> u8 {
    let listing = Retained {
        table,
        filters: &plan.filters,
        clear,
    };
    let mut out = io::stdout().lock();
    let written = match plan.json {
        true => render::write_retained_json(&mut out, &listing),
        false => render::write_retained(&mut out, &listing),
    };
    match written.and_then(|()| out.flush()) {
        Ok(()) => exit::SUCCESS,
        Err(_) => exit::CLOSED_PIPE,
    }
}

/// Records the retained messages that come with the subscriptions, until
/// `--settle` seconds pass without a message, a live message comes, -W
/// passes or Ctrl-C.
async fn collect_retained(
    client: &mut Client,
    plan: &TopicsPlan,
    table: &mut Table,
    interrupt: &mut Interrupt,
) -> Result<Listing, ClientError> {
    let deadline = plan.timeout.map(|t| Instant::now() + t);
    loop {
        let quiet = Instant::now() + plan.settle;
        let event = tokio::select! {
            event = client.next_event() => event?,
            _ = tokio::time::sleep_until(quiet) => return Ok(Listing::Complete),
            _ = sleep_until(deadline) => return Ok(Listing::Complete),
            _ = interrupt.recv() => return Ok(Listing::Interrupted),
        };
        let Event::Message(message) = event else {
            continue;
        };
        client.ack(&message)?;
        if !message.retain {
            return Ok(Listing::Complete);
        }
        // An empty retained message is a deletion, never delivered as retained.
        if !message.payload.is_empty() {
            table.record(&message, SystemTime::now());
        }
    }
}

/// Publishes an empty retained message to each topic of `table`, at QoS 1
/// unless the broker takes only QoS 0, and returns how many the broker
/// acknowledged and how many it refused. Unsubscribes first, so that the
/// empty messages do not come back. The acknowledgements are counted as they
/// come, so that no more of them wait than the broker's window holds.
async fn clear_all(
    client: &mut Client,
    plan: &TopicsPlan,
    table: &Table,
) -> anyhow::Result<(u64, u64)> {
    client.unsubscribe(plan.filters.clone()).await?;
    let qos = QoS::AtLeastOnce.min(client.limits().maximum_qos);
    let mut tally = Tally::default();
    for (key, _) in table.iter() {
        client
            .publish(Publish {
                qos,
                retain: true,
                topic: key.as_str().into(),
                ..Publish::default()
            })
            .await?;
        while let Some(event) = client.try_next_event() {
            tally.count(client, event)?;
        }
    }
    client.flush().await?;
    let total = table.len() as u64;
    if qos == QoS::AtMostOnce {
        return Ok((total, 0));
    }
    let after = plan.options.response_timeout;
    while tally.cleared + tally.refused < total {
        let event = tokio::time::timeout(after, client.next_event())
            .await
            .map_err(|_| ClientError::NoResponse {
                packet: "PUBACK",
                after,
            })??;
        tally.count(client, event)?;
    }
    Ok((tally.cleared, tally.refused))
}

/// The broker's verdicts on the empty retained messages.
#[derive(Debug, Default)]
struct Tally {
    cleared: u64,
    refused: u64,
}

impl Tally {
    fn count(&mut self, client: &mut Client, event: Event) -> Result<(), ClientError> {
        match event {
            Event::Published { reason, .. } if reason.is_error() => self.refused += 1,
            Event::Published { .. } => self.cleared += 1,
            Event::Message(message) => client.ack(&message)?,
            _ => {}
        }
        Ok(())
    }
}
