//! `mqtk bench`'s arguments turned into a plan: who connects, what each
//! publishes and subscribes to, how fast, and when the run ends. Every check
//! and default lives here, so the workers only follow the plan.

use std::ops::Range;
use std::path::PathBuf;
use std::time::Duration;

use super::header::{HEADER_LEN, MAX_PUBLISHER};
use super::load;
use super::template::{self, Filling, Template};
use crate::cli::{BenchArgs, Scenario};
use crate::client::Options;
use crate::codec::QoS;
use crate::commands::{client_options, qos, random_suffix, usage};

/// How publishers pace themselves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pace {
    /// Messages per second across all publishers, spread evenly.
    Rate(f64),
    /// Time between two messages of one publisher.
    Interval(Duration),
    /// As fast as the in-flight window and the socket allow.
    Unpaced,
}

/// Which part a connection plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Publisher,
    Subscriber,
    /// conn: connects and holds.
    Idle,
}

impl Role {
    /// Every role, in the order connections are made.
    pub const ALL: [Role; 3] = [Role::Publisher, Role::Subscriber, Role::Idle];

    /// The role's connections as a load file and the report name them.
    pub fn name(self) -> &'static str {
        match self {
            Role::Publisher => "publishers",
            Role::Subscriber => "subscribers",
            Role::Idle => "connections",
        }
    }
}

/// Which slice of the load this process makes (`--shard I/N`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    /// This shard's part of the indexes `0..total`: contiguous, and of
    /// sizes that differ by one at most.
    pub fn slice(&self, total: u32) -> Range<u32> {
        let at = |i: u32| (u64::from(total) * u64::from(i) / u64::from(self.count)) as u32;
        at(self.index)..at(self.index + 1)
    }
}

/// --offline: the subscribers' outage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offline {
    /// How long they stay away.
    pub duration: Duration,
    /// How far into the load they leave.
    pub at: Duration,
    /// Their session expiry: long enough for the broker to keep their
    /// sessions across the outage (or -x).
    pub session_expiry: u32,
    /// Whether they end their sessions when the run is over: yes, unless
    /// -c or -x said to keep them.
    pub expire_at_end: bool,
}

/// How many connections of each role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Roles {
    pub publishers: u32,
    pub subscribers: u32,
    /// conn: connections that only connect and hold.
    pub idle: u32,
}

/// Connections that play one role alike. The flags make one group per role;
/// a load file (--load) as many as it lists, each with rows of its own in
/// the report.
#[derive(Debug, Clone)]
pub struct Group {
    pub name: String,
    pub role: Role,
    /// Its connections, across all shards.
    pub count: u32,
    /// Its first connection's index among all of its role, across all shards.
    pub first: u32,
    /// Publishers' topics, and subscribers' filters.
    pub topic: Template,
    pub filter: Template,
    pub qos: QoS,
    pub retain: bool,
    pub size: usize,
    pub pace: Pace,
    /// Subscribers: the shared subscription group they join.
    pub share: Option<String>,
    /// A load file's keep-alive and session, over the plan's options.
    pub keep_alive: Option<u16>,
    pub session_expiry: Option<u32>,
    pub clean_start: Option<bool>,
    /// A load file's gates for this group alone.
    pub max_loss: Option<f64>,
    pub max_p99: Option<Duration>,
}

impl Group {
    /// Whether the connection `index` of `role` (among all of its role) is one of these.
    pub fn has(&self, role: Role, index: u32) -> bool {
        self.role == role && (self.first..self.first + self.count).contains(&index)
    }

    /// The time between two messages of one publisher, and when publisher
    /// `index` (among all of its role) sends its first, so that all of the
    /// group's together are evenly spread.
    pub fn pacing(&self, index: u32) -> Option<(Duration, Duration)> {
        let (index, count) = (f64::from(index - self.first), f64::from(self.count));
        match self.pace {
            Pace::Unpaced => None,
            Pace::Interval(interval) => Some((interval, interval.mul_f64(index / count))),
            Pace::Rate(rate) => Some((
                Duration::from_secs_f64(count / rate),
                Duration::from_secs_f64(index / rate),
            )),
        }
    }

    /// What fills its templates for the connection `index` of its role: %i
    /// counts from 0 in each group.
    pub fn filling<'a>(&self, index: u32, client_id: &'a str, username: &'a str) -> Filling<'a> {
        Filling {
            index: index - self.first,
            client_id,
            username,
        }
    }

    /// A subscriber's filter as it subscribes: in the group's shared
    /// subscription, when it has one.
    pub fn subscription(&self, filter: &str) -> String {
        match &self.share {
            Some(share) => format!("$share/{share}/{filter}"),
            None => filter.to_string(),
        }
    }

    /// The messages per second the group publishes, when paced.
    pub fn rate(&self) -> Option<f64> {
        match self.pace {
            Pace::Rate(rate) => Some(rate),
            Pace::Interval(interval) => Some(f64::from(self.count) / interval.as_secs_f64()),
            Pace::Unpaced => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct BenchPlan {
    pub scenario: Scenario,
    /// This process's connections, by role (its shard of `all`).
    pub publishers: u32,
    pub subscribers: u32,
    pub idle: u32,
    /// The whole load's, across every shard.
    pub all: Roles,
    pub shard: Shard,
    /// When the load begins, for shards that begin together.
    pub start_at: Option<jiff::Timestamp>,
    /// The highest QoS of the publishers (of the subscribers, when none
    /// publish): -q, with the flags.
    pub qos: QoS,
    /// Who connects, group by group: one per role from the flags, or the
    /// groups of a load file (--load).
    pub groups: Vec<Group>,
    /// The load file the groups come from.
    pub load: Option<PathBuf>,
    /// How long publishers publish and idle connections hold; `None` until Ctrl-C.
    pub duration: Option<Duration>,
    /// Messages per publisher.
    pub count: Option<u64>,
    pub warmup: Duration,
    pub connect_rate: Option<f64>,
    /// How often a connect that could not reach the broker is tried again.
    pub connect_retries: u32,
    /// Tries to reconnect a lost connection, an outage (--reconnect); `None`:
    /// a lost connection is out of the run.
    pub reconnect: Option<u32>,
    /// The runtime's worker threads, when not one per core.
    pub threads: Option<u16>,
    pub churn: Option<Duration>,
    pub offline: Option<Offline>,
    /// --sub-churn: unsubscribe-subscribe cycles per second, all subscribers together.
    pub sub_churn: Option<f64>,
    /// What every connection shares; the client id is filled in per connection.
    pub options: Options,
    pub client_ids: Template,
    /// Run against a broker of mqtk's own, started for the run.
    pub embedded: bool,
    /// Local addresses the connections are made from, in turn.
    pub sources: Vec<std::net::IpAddr>,
    pub report_interval: Duration,
    pub json: Option<PathBuf>,
    /// Where to serve the live figures for Prometheus.
    pub metrics: Option<std::net::SocketAddr>,
    /// Percent of deliveries that may be lost before the run fails.
    pub max_loss: Option<f64>,
    pub max_p99: Option<Duration>,
    /// --find-max: the search for the highest rate that holds the objective.
    pub search: Option<SearchPlan>,
}

/// What --find-max searches for, and how.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SearchPlan {
    /// The first step's rate, in messages per second in all.
    pub start_rate: f64,
    /// The 99th percentile latency a step may have.
    pub target_p99: Duration,
    /// Percent of deliveries a step may lose.
    pub max_loss: f64,
    /// How long a step's load lasts, and the part at its start left out of its figures.
    pub step: Duration,
    pub settle: Duration,
    /// The highest rate to try (--max-rate).
    pub max_rate: Option<f64>,
}

/// --find-max's first rate, when -R does not give one.
const SEARCH_START_RATE: f64 = 1_000.0;

/// The default run length, when neither -d nor -n says.
const DEFAULT_DURATION: Duration = Duration::from_secs(10);

/// The MQTT 5 session expiry of a connection that reconnects (--reconnect):
/// long enough for any outage a run rides out.
const RECONNECT_SESSION_EXPIRY: u32 = 300;

/// With --embedded, a short run at a rate the in-process broker keeps up
/// with, unless the flags say otherwise: a first run that shows everything
/// working in a few seconds rather than a broker swamped.
const EMBEDDED_DURATION: Duration = Duration::from_secs(5);
const EMBEDDED_RATE: f64 = 10_000.0;

/// When --offline does not say when: this far into a load without -d.
const OFFLINE_AT: Duration = Duration::from_secs(1);

/// A session expiry of subscribers that go offline outlasts the outage by this.
const OFFLINE_SESSION_MARGIN: u32 = 60;

impl BenchPlan {
    pub fn new(args: &BenchArgs) -> anyhow::Result<BenchPlan> {
        let mut groups = match &args.load {
            Some(path) => load::read(path)?,
            None => flag_groups(args)?,
        };
        number(&mut groups);
        let all = Roles::of(&groups);
        let shard = match args.shard {
            Some((index, count)) => Shard { index, count },
            None => Shard { index: 0, count: 1 },
        };
        let this = all.of_shard(&shard)?;
        check_churn(args)?;
        check_subscriber_loads(args, all.subscribers)?;
        let offline = offline(args)?;
        if args.count.is_some() && this.publishers == 0 {
            return usage("-n counts messages per publisher, and this scenario has none");
        }
        let (max_loss, max_p99) = gates(args, &groups)?;
        let mut options = connection_options(args)?;
        let comes_back = args.churn.is_some() || args.reconnect.is_some() || offline.is_some();
        if let (Some(tls), true) = (&mut options.route.tls, comes_back) {
            // Tickets for each connection that connects again, so that it
            // resumes its TLS session as a device would: two, as brokers on
            // OpenSSL send two a handshake and a connection that comes back
            // sooner than another may take both. In a run whose connections
            // never come back, kept tickets would only cost memory.
            let connections = this.publishers + this.subscribers + this.idle;
            tls.session_tickets = Some(2 * connections as usize);
        }
        let client_ids = client_id_template(args, all.publishers + all.subscribers + all.idle)?;
        // %c in a topic is the client id, which must not itself be made of the topic.
        let names_client_id = |g: &Group| g.topic.names_client_id() || g.filter.names_client_id();
        if groups.iter().any(names_client_id) && client_ids.names_client_id() {
            return usage("-i cannot use %c, the client id it makes");
        }
        Ok(BenchPlan {
            scenario: args.scenario,
            publishers: this.publishers,
            subscribers: this.subscribers,
            idle: this.idle,
            all,
            shard,
            start_at: args.start_at,
            qos: publishing_qos(&groups),
            groups,
            load: args.load.clone(),
            duration: duration(args),
            count: args.count,
            warmup: args.warmup,
            connect_rate: args.connect_rate,
            connect_retries: args.connect_retries,
            reconnect: args.reconnect,
            threads: args.threads,
            churn: args.churn,
            offline,
            sub_churn: args.sub_churn,
            options,
            client_ids,
            embedded: args.embedded,
            sources: args.ifaddr.clone(),
            report_interval: args.report_interval.max(Duration::from_millis(100)),
            json: args.json.clone(),
            metrics: args.metrics,
            max_loss,
            max_p99,
            search: search(args, this.publishers, max_loss)?,
        })
    }

    /// The group the connection `index` of `role` (among all of its role) is in.
    pub fn group(&self, role: Role, index: u32) -> &Group {
        &self.groups[self.group_index(role, index)]
    }

    /// Where that group is in `groups`.
    pub fn group_index(&self, role: Role, index: u32) -> usize {
        (self.groups.iter())
            .position(|group| group.has(role, index))
            .expect("every connection of the plan is in a group")
    }

    /// The flags' group of `role` (a load file's first of it).
    pub fn group_of(&self, role: Role) -> Option<&Group> {
        self.groups.iter().find(|group| group.role == role)
    }

    /// This process's connections: publishers first, then subscribers, then
    /// idle ones, each with its index within its role across all shards,
    /// which fills `%i` in topics.
    pub fn connections(&self) -> impl Iterator<Item = (Role, u32)> + '_ {
        let roles = [
            (Role::Publisher, self.all.publishers),
            (Role::Subscriber, self.all.subscribers),
            (Role::Idle, self.all.idle),
        ];
        roles
            .into_iter()
            .flat_map(|(role, n)| self.shard.slice(n).map(move |index| (role, index)))
    }

    pub fn total_connections(&self) -> u32 {
        self.publishers + self.subscribers + self.idle
    }

    /// The client id of a connection: the template filled with its place
    /// among all connections of all shards, so that publisher 0 and
    /// subscriber 0 differ.
    pub fn client_id(&self, role: Role, index: u32) -> String {
        self.client_ids.filled(template::Filling {
            index: self.place(role, index),
            client_id: "",
            username: self.username(),
        })
    }

    /// A connection's place among all connections of all shards.
    pub fn place(&self, role: Role, index: u32) -> u32 {
        let all = &self.all;
        match role {
            Role::Publisher => index,
            Role::Subscriber => all.publishers + index,
            Role::Idle => all.publishers + all.subscribers + index,
        }
    }

    /// The local address the connection at `place` connects from.
    pub fn source(&self, place: usize) -> Option<std::net::IpAddr> {
        (!self.sources.is_empty()).then(|| self.sources[place % self.sources.len()])
    }

    pub fn username(&self) -> &str {
        self.options.username.as_deref().unwrap_or("")
    }
}

impl Roles {
    /// The connections of the groups, by role, across all shards.
    fn of(groups: &[Group]) -> Roles {
        let of = |role| {
            (groups.iter().filter(|g| g.role == role))
                .map(|g| g.count)
                .sum()
        };
        Roles {
            publishers: of(Role::Publisher),
            subscribers: of(Role::Subscriber),
            idle: of(Role::Idle),
        }
    }

    /// The connections the scenario asks for, across all shards.
    fn asked(args: &BenchArgs) -> anyhow::Result<Roles> {
        let (publishers, subscribers, idle) = match args.scenario {
            Scenario::Pubsub => (args.clients, args.subscribers.unwrap_or(args.clients), 0),
            Scenario::Pub => (args.clients, 0, 0),
            Scenario::Sub => (0, args.clients, 0),
            Scenario::Conn => (0, 0, args.clients),
        };
        if !args.unexpected.is_empty() {
            return usage("reports to merge go with bench merge only");
        }
        if args.subscribers.is_some() && args.scenario != Scenario::Pubsub {
            return usage("-S/--subscribers is for the pubsub scenario; use -c for the others");
        }
        Ok(Roles {
            publishers,
            subscribers,
            idle,
        })
    }

    /// The part of these connections `shard` makes; fails when it has none,
    /// or when there are more publishers than the payload header tells apart.
    fn of_shard(&self, shard: &Shard) -> anyhow::Result<Roles> {
        let part = |n: u32| shard.slice(n).len() as u32;
        let this = Roles {
            publishers: part(self.publishers),
            subscribers: part(self.subscribers),
            idle: part(self.idle),
        };
        if this.publishers + this.subscribers + this.idle == 0 {
            return usage(format!(
                "shard {}/{} has no connections: -c is the number for all shards together",
                shard.index, shard.count
            ));
        }
        if self.publishers > MAX_PUBLISHER + 1 {
            return usage(format!("at most {} publishers", MAX_PUBLISHER + 1));
        }
        Ok(this)
    }
}

/// --churn is for conn, and longer than 0.
fn check_churn(args: &BenchArgs) -> anyhow::Result<()> {
    if args.churn.is_some() && args.scenario != Scenario::Conn {
        return usage("--churn is for the conn scenario");
    }
    if args.churn.is_some_and(|c| c.is_zero()) {
        return usage("--churn must be longer than 0");
    }
    Ok(())
}

/// --share, --offline and --sub-churn: for runs with subscribers, one at a
/// time (each accounts for what a subscriber should see in its own way).
fn check_subscriber_loads(args: &BenchArgs, subscribers: u32) -> anyhow::Result<()> {
    let asked: Vec<&str> = [
        (args.share.is_some(), "--share"),
        (args.offline.is_some(), "--offline"),
        (args.sub_churn.is_some(), "--sub-churn"),
    ]
    .into_iter()
    .filter_map(|(asked, name)| asked.then_some(name))
    .collect();
    if let Some(first) = asked.first() {
        if subscribers == 0 {
            return usage(format!(
                "{first} is for runs with subscribers (pubsub, sub)"
            ));
        }
    }
    if asked.len() > 1 {
        return usage(format!("{} go one at a time", asked.join(" and ")));
    }
    if let Some(group) = &args.share {
        if group.is_empty() || group.contains(['/', '+', '#']) {
            return usage("--share: a group name is not empty and has no /, + or #");
        }
    }
    Ok(())
}

/// --offline: when the subscribers leave, given or centred in -d, and how
/// long the broker keeps their sessions.
fn offline(args: &BenchArgs) -> anyhow::Result<Option<Offline>> {
    let Some((duration, at)) = args.offline else {
        return Ok(None);
    };
    let run = self::duration(args);
    let at = match (at, run) {
        (Some(at), _) => at,
        (None, Some(run)) => run.saturating_sub(duration) / 2,
        (None, None) => OFFLINE_AT,
    };
    if let Some(run) = run {
        if at + duration >= run {
            return usage(format!(
                "--offline: the subscribers must be back before the load ends ({:.1} s with -d)",
                run.as_secs_f64()
            ));
        }
    }
    let outage = u32::try_from(duration.as_secs()).unwrap_or(u32::MAX - OFFLINE_SESSION_MARGIN);
    let kept = args.session.disable_clean_start || args.session.session_expiry.is_some();
    Ok(Some(Offline {
        duration,
        at,
        session_expiry: (args.session.session_expiry)
            .unwrap_or(outage.saturating_add(OFFLINE_SESSION_MARGIN)),
        expire_at_end: !kept,
    }))
}

/// The highest QoS of the groups that publish, or else of all.
fn publishing_qos(groups: &[Group]) -> QoS {
    let highest = |role: Option<Role>| {
        (groups.iter())
            .filter(|g| role.is_none_or(|role| g.role == role))
            .map(|g| g.qos)
            .max()
    };
    (highest(Some(Role::Publisher)).or(highest(None))).unwrap_or(QoS::AtMostOnce)
}

/// Numbers each group's connections on from the last group of its role's.
fn number(groups: &mut [Group]) {
    let mut next = [0u32; 3];
    for group in groups {
        let next = &mut next[group.role as usize];
        group.first = *next;
        *next += group.count;
    }
}

/// The flags' groups: one per role, each (even an empty one) with -t, -T,
/// -q, -r, -s, -R or -I and --share.
fn flag_groups(args: &BenchArgs) -> anyhow::Result<Vec<Group>> {
    let roles = Roles::asked(args)?;
    let (topic, filter) = templates(args, roles.subscribers)?;
    let group = |role: Role, count| Group {
        name: role.name().into(),
        role,
        count,
        first: 0,
        topic: topic.clone(),
        filter: filter.clone(),
        qos: qos(args.qos),
        retain: args.retain,
        size: usize::try_from(args.size)
            .unwrap_or(HEADER_LEN)
            .max(HEADER_LEN),
        pace: pace(args),
        share: args.share.clone(),
        keep_alive: None,
        session_expiry: None,
        clean_start: None,
        max_loss: None,
        max_p99: None,
    };
    Ok(vec![
        group(Role::Publisher, roles.publishers),
        group(Role::Subscriber, roles.subscribers),
        group(Role::Idle, roles.idle),
    ])
}

/// The publishers' topic template (-t) and the subscribers' filter (-T, or
/// the topic), which must be the same for every message when anyone subscribes.
fn templates(args: &BenchArgs, subscribers: u32) -> anyhow::Result<(Template, Template)> {
    let topic = Template::parse(&args.topic).or_else(|e| usage(format!("-t: {e}")))?;
    let filter_text = args.filter.as_deref().unwrap_or(&args.topic);
    let filter = Template::parse(filter_text).or_else(|e| usage(format!("-T: {e}")))?;
    if filter.varies_per_message() && subscribers > 0 {
        return match args.filter {
            Some(_) => {
                usage("-T: a subscription has no sequence number (%s) or random part (%rand_N)")
            }
            None => usage(
                "the topic varies per message (%s, %rand_N): give the subscribers a filter with -T",
            ),
        };
    }
    Ok((topic, filter))
}

/// -R or -I; with neither, unpaced (or, --embedded, a rate it keeps up with).
fn pace(args: &BenchArgs) -> Pace {
    match (args.rate, args.interval) {
        _ if args.find_max => Pace::Rate(args.rate.unwrap_or(SEARCH_START_RATE)),
        (Some(rate), _) => Pace::Rate(rate),
        (None, Some(interval)) if interval.is_zero() => Pace::Unpaced,
        (None, Some(interval)) => Pace::Interval(interval),
        (None, None) if args.embedded => Pace::Rate(EMBEDDED_RATE),
        (None, None) => Pace::Unpaced,
    }
}

/// -d; 0 is until Ctrl-C, and so is -n without -d.
fn duration(args: &BenchArgs) -> Option<Duration> {
    match (args.duration, args.count) {
        // The search ends the load itself.
        _ if args.find_max => None,
        (Some(d), _) if d.is_zero() => None,
        (Some(d), _) => Some(d),
        (None, Some(_)) => None,
        (None, None) if args.embedded => Some(EMBEDDED_DURATION),
        (None, None) => Some(DEFAULT_DURATION),
    }
}

/// --find-max's plan: a scenario with publishers, steps long enough to
/// measure; loss within --max-loss, none unless said (at QoS 0 too: a step
/// that drops is not sustained).
fn search(
    args: &BenchArgs,
    publishers: u32,
    max_loss: Option<f64>,
) -> anyhow::Result<Option<SearchPlan>> {
    if !args.find_max {
        return Ok(None);
    }
    if publishers == 0 {
        return usage("--find-max searches a publishing rate: the pub or pubsub scenario");
    }
    if args
        .max_rate
        .is_some_and(|max| max < args.rate.unwrap_or(SEARCH_START_RATE))
    {
        return usage("--max-rate is below the first step's rate (-R, default 1000)");
    }
    if args.step < Duration::from_millis(100) {
        return usage("--step must be 100ms or longer");
    }
    Ok(Some(SearchPlan {
        start_rate: args.rate.unwrap_or(SEARCH_START_RATE),
        target_p99: Duration::from_secs_f64(args.target_p99 / 1e3),
        max_loss: max_loss.unwrap_or(0.0),
        step: args.step,
        settle: args.step / 5,
        max_rate: args.max_rate,
    }))
}

/// --max-loss (no loss at QoS 1 and 2 unless said) and --max-p99.
fn gates(args: &BenchArgs, groups: &[Group]) -> anyhow::Result<(Option<f64>, Option<Duration>)> {
    if args.max_loss.is_some_and(|l| !(0.0..=100.0).contains(&l)) {
        return usage("--max-loss is a percentage from 0 to 100");
    }
    let max_p99 = match args.max_p99 {
        Some(ms) if ms > 0.0 && ms.is_finite() => Some(Duration::from_secs_f64(ms / 1e3)),
        Some(_) => return usage("--max-p99 must be a positive number of milliseconds"),
        None => None,
    };
    let max_loss = args.max_loss.or(lossless(groups).then_some(0.0));
    Ok((max_loss, max_p99))
}

/// Whether every message goes and arrives at QoS 1 or 2, so that none may
/// be lost unless --max-loss says: the groups that publish or subscribe
/// (with the flags, -q).
pub fn lossless<'a>(groups: impl IntoIterator<Item = &'a Group>) -> bool {
    (groups.into_iter())
        .filter(|g| g.role != Role::Idle && g.count > 0)
        .all(|g| g.qos != QoS::AtMostOnce)
}

/// What every connection's options share; the client id is filled in per
/// connection.
fn connection_options(args: &BenchArgs) -> anyhow::Result<Options> {
    if !args.ifaddr.is_empty()
        && (args.connection.proxy.is_some() || args.connection.unix.is_some())
    {
        return usage("--ifaddr is for TCP connections without --proxy or --unix");
    }
    let mut options = client_options(&args.connection, None)?;
    options.alias_topics = !args.no_topic_alias;
    // Each connection has an id of its own (from the template), so a
    // session can resume without one fixed -i.
    let resume = args.session.disable_clean_start;
    options.clean_start = !resume;
    options.session_expiry = args.session.session_expiry.or(resume.then_some(u32::MAX));
    // A reconnecting connection keeps its session across the outage, so
    // that what was in flight is resumed, not lost or sent twice; a clean
    // exit ends it.
    if args.reconnect.is_some() && options.session_expiry.is_none() {
        options.session_expiry = Some(RECONNECT_SESSION_EXPIRY);
        options.expire_on_disconnect = true;
    }
    if let Some(inflight) = args.inflight {
        options.max_in_flight = inflight;
        options.v311_in_flight = inflight;
    } else {
        options.max_in_flight = u16::MAX;
    }
    Ok(options)
}

/// `-i` as a template, or `--id-prefix` (or "mqtk-bench-" and random
/// characters) followed by the index; more than one connection needs `%i`.
fn client_id_template(args: &BenchArgs, connections: u32) -> anyhow::Result<Template> {
    let text = match (&args.connection.id, &args.connection.id_prefix) {
        (Some(id), _) => id.clone(),
        (None, Some(prefix)) => format!("{prefix}%i"),
        (None, None) => format!("mqtk-bench-{}-%i", &random_suffix()[..6]),
    };
    let template = Template::parse(&text).or_else(|e| usage(format!("-i: {e}")))?;
    let numbered = template.filled(template::Filling {
        index: 0,
        client_id: "",
        username: "",
    }) != template.filled(template::Filling {
        index: 1,
        client_id: "",
        username: "",
    });
    if connections > 1 && !numbered {
        return usage(
            "-i must contain %i when there is more than one connection: client ids must differ",
        );
    }
    if template.varies_per_message() {
        return usage("-i: a client id has no sequence number (%s) or random part (%rand_N)");
    }
    Ok(template)
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;

    /// The plan of `mqtk bench ARGS`.
    pub fn plan(args: &str) -> anyhow::Result<BenchPlan> {
        let cli = Cli::try_parse_from(format!("mqtk bench {args}").split_whitespace())?;
        match cli.command {
            Command::Bench(args) => BenchPlan::new(&args),
            _ => unreachable!("parsed as bench"),
        }
    }

    /// How publisher `index` is paced.
    fn pacing(plan: &BenchPlan, index: u32) -> Option<(Duration, Duration)> {
        plan.group(Role::Publisher, index).pacing(index)
    }

    #[test]
    fn a_rate_is_spread_over_publishers_and_in_time() {
        let plan = plan("pub -c 4 -R 100").unwrap();
        assert_eq!(
            pacing(&plan, 0),
            Some((Duration::from_millis(40), Duration::ZERO))
        );
        assert_eq!(
            pacing(&plan, 3),
            Some((Duration::from_millis(40), Duration::from_millis(30)))
        );
    }

    #[test]
    fn connections_come_in_roles_with_distinct_ids() {
        let plan = plan("-c 2 -S 3 -i dev-%i").unwrap();
        let all: Vec<_> = plan.connections().collect();
        assert_eq!(all.len(), 5);
        assert_eq!(all[2], (Role::Subscriber, 0));
        assert_eq!(plan.client_id(Role::Publisher, 1), "dev-1");
        assert_eq!(plan.client_id(Role::Subscriber, 0), "dev-2");
    }

    #[test]
    fn mistakes_are_usage_errors() {
        for args in [
            "-c 2 -i same",
            "pub -S 3",
            "sub -n 5",
            "-T a/%s",
            "-t a/%s",
            "-t a/%q",
            "pub --churn 1s",
            "pub --share g",
            "--share a/b",
            "--share g --sub-churn 5",
            "-d 5s --offline 5s",
            "-d 5s --offline 2s@4s",
            "--max-loss 120",
            "pub a.json",
        ] {
            let error = plan(args).expect_err(args);
            assert!(error.is::<crate::commands::UsageError>(), "{args}: {error}");
        }
    }

    #[test]
    fn shards_split_the_load_and_its_rate() {
        let whole = plan("-c 10 -R 1000").unwrap();
        let mut seen = Vec::new();
        for i in 0..3 {
            let shard = plan(&format!("-c 10 -R 1000 --shard {i}/3")).unwrap();
            assert!((3..=4).contains(&shard.publishers));
            for (role, index) in shard.connections() {
                // The same index is paced as it would be in one process.
                if role == Role::Publisher {
                    assert_eq!(pacing(&shard, index), pacing(&whole, index));
                }
                seen.push((role, index));
            }
        }
        let key = |&(role, index): &(Role, u32)| (role as u8, index);
        seen.sort_by_key(key);
        let mut all: Vec<_> = whole.connections().collect();
        all.sort_by_key(key);
        assert_eq!(seen, all);
        assert!(plan("pub -c 1 --shard 1/3").is_err());
    }

    #[test]
    fn a_search_starts_at_the_rate_given_and_settles_a_fifth_of_each_step() {
        let search = plan("--find-max").unwrap().search.unwrap();
        assert_eq!(search.start_rate, 1000.0);
        assert_eq!(search.target_p99, Duration::from_millis(50));
        assert_eq!(
            (search.step, search.settle),
            (Duration::from_secs(5), Duration::from_secs(1))
        );
        assert_eq!(search.max_loss, 0.0);
        let search = plan("pub -R 500 --find-max --step 1s --target-p99 20 --max-loss 1")
            .unwrap()
            .search
            .unwrap();
        assert_eq!((search.start_rate, search.max_loss), (500.0, 1.0));
        assert_eq!(search.settle, Duration::from_millis(200));
        assert_eq!(search.target_p99, Duration::from_millis(20));
        let searching = plan("--find-max").unwrap();
        assert_eq!(
            (searching.duration, searching.groups[0].pace),
            (None, Pace::Rate(1000.0))
        );
    }

    #[test]
    fn an_outage_is_centred_in_the_run_unless_said() {
        let offline = plan("-d 10s --offline 4s").unwrap().offline.unwrap();
        assert_eq!(offline.at, Duration::from_secs(3));
        assert_eq!(offline.session_expiry, 64);
        assert!(offline.expire_at_end);
        let offline = plan("-n 100 --offline 2s@500ms -x 30")
            .unwrap()
            .offline
            .unwrap();
        assert_eq!(offline.at, Duration::from_millis(500));
        assert_eq!(offline.session_expiry, 30);
        assert!(!offline.expire_at_end);
        assert_eq!(
            plan("-n 9 --offline 2s").unwrap().offline.unwrap().at,
            OFFLINE_AT
        );
    }

    #[test]
    fn a_search_needs_publishers_and_steps_it_can_measure() {
        assert!(plan("sub --find-max").is_err());
        assert!(plan("conn --find-max").is_err());
        assert!(plan("--find-max --step 50ms").is_err());
        assert!(plan("--find-max -R 2000 --max-rate 1000").is_err());
        let apart = [
            "-d 10s",
            "-n 5",
            "-I 10ms",
            "--warmup 1s",
            "--shard 0/2",
            "--share g",
            "--offline 2s",
            "--sub-churn 5",
        ];
        for apart in apart {
            assert!(plan(&format!("--find-max {apart}")).is_err(), "{apart}");
        }
        assert!(plan("--step 1s").is_err(), "--step without --find-max");
    }

    #[test]
    fn a_load_files_groups_are_numbered_within_their_roles_and_paced_apart() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("mix.toml");
        let text = "[[group]]\nname = \"a\"\nrole = \"publishers\"\ncount = 2\nrate = 10\n\
                    [[group]]\nname = \"s\"\nrole = \"subscribers\"\ncount = 1\nfilter = \"#\"\n\
                    [[group]]\nname = \"b\"\nrole = \"publishers\"\ncount = 3\ninterval = \"1s\"\nqos = 1\n";
        std::fs::write(&file, text).unwrap();
        let mix = plan(&format!("--load {}", file.display())).unwrap();
        assert_eq!((mix.publishers, mix.subscribers), (5, 1));
        assert_eq!(mix.group(Role::Publisher, 1).name, "a");
        assert_eq!(mix.group(Role::Publisher, 2).name, "b");
        assert_eq!(mix.group_index(Role::Subscriber, 0), 1);
        // Each group's pace is its own, its first connection at its start.
        assert_eq!(
            pacing(&mix, 1),
            Some((Duration::from_millis(200), Duration::from_millis(100)))
        );
        assert_eq!(
            pacing(&mix, 2),
            Some((Duration::from_secs(1), Duration::ZERO))
        );
        assert_eq!(mix.qos, QoS::AtLeastOnce);
        // QoS 0 publishers: loss is allowed unless said.
        assert_eq!(mix.max_loss, None);
        let shard = plan(&format!("--load {} --shard 1/2", file.display())).unwrap();
        let shard: Vec<_> = shard.connections().collect();
        assert_eq!(
            shard,
            [
                (Role::Publisher, 2),
                (Role::Publisher, 3),
                (Role::Publisher, 4),
                (Role::Subscriber, 0)
            ]
        );
    }

    #[test]
    fn loss_is_not_allowed_at_qos_1_unless_said() {
        assert_eq!(plan("-q 1").unwrap().max_loss, Some(0.0));
        assert_eq!(plan("-q 0").unwrap().max_loss, None);
        assert_eq!(plan("-q 1 --max-loss 5").unwrap().max_loss, Some(5.0));
    }
}
