//! The run's HDR histograms: latency, connect time (and, with TLS, its
//! handshake and its CONNACK apart), lateness and SUBACK time. Each thread
//! that records has a set of its own, which only it locks while the run goes
//! on, once per batch of samples; the sets are added up at the end (and, for
//! --metrics, at each scrape). No lock is shared on the hot path, no sample
//! waits in a queue, and the memory is a set per worker thread (about 800 KB),
//! however many samples come.

use std::cell::RefCell;
use std::collections::HashMap;
use std::iter::once;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use hdrhistogram::Histogram;
use prometheus_client::metrics::histogram::exponential_buckets;

/// The series a run records, each a histogram in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Series {
    /// From a message's due time to its arrival at a subscriber.
    Latency,
    /// From starting to connect to the CONNACK.
    Connect,
    /// With TLS: from TCP connected to TLS established.
    TlsHandshake,
    /// With TLS: from CONNECT sent to the CONNACK, the part of a connect
    /// after the TLS handshake.
    Connack,
    /// How late a publisher wrote a message after it was due.
    Lateness,
    /// From SUBSCRIBE to SUBACK (--sub-churn).
    Suback,
}

/// The run's histograms, in nanoseconds, 3 significant digits, up to an hour.
#[derive(Debug, Clone)]
pub struct Histograms {
    pub latency: Histogram<u64>,
    pub connect: Histogram<u64>,
    pub lateness: Histogram<u64>,
    pub suback: Histogram<u64>,
    pub tls_handshake: Histogram<u64>,
    pub connack: Histogram<u64>,
}

impl Histograms {
    pub fn new() -> Histograms {
        Histograms {
            latency: histogram(),
            connect: histogram(),
            lateness: histogram(),
            suback: histogram(),
            tls_handshake: growing_histogram(),
            connack: growing_histogram(),
        }
    }

    fn of(&mut self, series: Series) -> &mut Histogram<u64> {
        match series {
            Series::Latency => &mut self.latency,
            Series::Connect => &mut self.connect,
            Series::Lateness => &mut self.lateness,
            Series::Suback => &mut self.suback,
            Series::TlsHandshake => &mut self.tls_handshake,
            Series::Connack => &mut self.connack,
        }
    }

    fn reset(&mut self) {
        self.latency.reset();
        self.connect.reset();
        self.lateness.reset();
        self.suback.reset();
        self.tls_handshake.reset();
        self.connack.reset();
    }

    /// Adds `other`'s counts to these.
    pub fn add(&mut self, other: &Histograms) {
        // Cannot fail: all are of histogram()'s bounds, so every value fits.
        let _ = self.latency.add(&other.latency);
        let _ = self.connect.add(&other.connect);
        let _ = self.lateness.add(&other.lateness);
        let _ = self.suback.add(&other.suback);
        let _ = self.tls_handshake.add(&other.tls_handshake);
        let _ = self.connack.add(&other.connack);
    }
}

/// An empty histogram of the run's resolution.
pub fn histogram() -> Histogram<u64> {
    // 1 ns to an hour at 3 significant digits: valid bounds, cannot fail.
    Histogram::new_with_bounds(1, 3_600_000_000_000, 3).expect("valid histogram bounds")
}

/// An empty histogram of the run's resolution that takes memory only as
/// samples come: for the series only TLS runs record, which the other runs'
/// threads should not carry (a histogram() is some 270 KB).
fn growing_histogram() -> Histogram<u64> {
    // Valid bounds, cannot fail; it grows to take any value.
    let mut histogram = Histogram::new_with_bounds(1, 2, 3).expect("valid histogram bounds");
    histogram.auto(true);
    histogram
}

/// The latency histogram --metrics serves, in Prometheus' terms: seconds,
/// buckets from 100 µs doubling to about 52 s, their upper bounds and counts
/// (not cumulative), the sum and the count.
#[derive(Debug, Clone, PartialEq)]
pub struct LatencyBuckets {
    pub sum: f64,
    pub count: u64,
    pub buckets: Vec<(f64, u64)>,
}

impl LatencyBuckets {
    pub fn new() -> LatencyBuckets {
        let bounds = exponential_buckets(0.000_1, 2.0, 20).chain(once(f64::MAX));
        LatencyBuckets {
            sum: 0.0,
            count: 0,
            buckets: bounds.map(|bound| (bound, 0)).collect(),
        }
    }

    /// Counts a latency of `seconds` in the first bucket that holds it.
    fn observe(&mut self, seconds: f64) {
        self.sum += seconds;
        self.count += 1;
        if let Some((_, n)) = self.buckets.iter_mut().find(|(bound, _)| *bound >= seconds) {
            *n += 1;
        }
    }

    fn add(&mut self, other: &LatencyBuckets) {
        self.sum += other.sum;
        self.count += other.count;
        for ((_, n), (_, more)) in self.buckets.iter_mut().zip(&other.buckets) {
            *n += more;
        }
    }
}

/// What one thread recorded.
#[derive(Debug)]
struct ThreadSet {
    histograms: Histograms,
    /// For --metrics.
    live_latency: Option<LatencyBuckets>,
    /// A load file's groups (--load): each group's own, of the series it
    /// recorded, beside the run's.
    groups: Option<HashMap<(usize, Series), Histogram<u64>>>,
}

impl ThreadSet {
    fn record(&mut self, series: Series, group: usize, samples: &[u64]) {
        if let (Series::Latency, Some(live)) = (series, &mut self.live_latency) {
            for &sample in samples {
                live.observe(sample as f64 / 1e9);
            }
        }
        let into = |histogram: &mut Histogram<u64>| {
            for &sample in samples {
                // A growing histogram grows to the sample; a fixed one, beyond
                // an hour, keeps it as an hour.
                let sample = sample.max(1);
                if histogram.record(sample).is_err() {
                    histogram.saturating_record(sample);
                }
            }
        };
        into(self.histograms.of(series));
        if let Some(groups) = &mut self.groups {
            into(groups.entry((group, series)).or_insert_with(histogram));
        }
    }
}

/// Tells runs apart, for the threads' sets.
static RUNS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// This thread's set, of the run that recorded on it last.
    static THIS_THREAD: RefCell<Option<(u64, Arc<Mutex<ThreadSet>>)>> =
        const { RefCell::new(None) };
}

/// Where the samples of a run go: the histograms of each thread that records.
#[derive(Debug)]
pub struct Recorder {
    run: u64,
    /// Whether latencies also go to --metrics' buckets.
    live_latency: bool,
    /// Each group keeps histograms of its own (--load).
    pub per_group: bool,
    /// Samples go to the histograms one by one, not in batches, so that a
    /// step of --find-max can be told apart from the next.
    pub immediate: bool,
    sets: Mutex<Vec<Arc<Mutex<ThreadSet>>>>,
}

impl Recorder {
    pub fn new(live_latency: bool) -> Recorder {
        Recorder {
            run: RUNS.fetch_add(1, Relaxed),
            live_latency,
            per_group: false,
            immediate: false,
            sets: Mutex::default(),
        }
    }

    /// Adds samples of `series`, in nanoseconds, taken by a connection of
    /// `group`, to this thread's histograms.
    pub fn record_in(&self, series: Series, group: usize, samples: &[u64]) {
        // On a thread that is ending, the samples are late: the run is over.
        let _ = THIS_THREAD.try_with(|this| {
            let mut this = this.borrow_mut();
            if !matches!(&*this, Some((run, _)) if *run == self.run) {
                *this = Some((self.run, self.new_set()));
            }
            if let Some((_, set)) = &*this {
                lock(set).record(series, group, samples);
            }
        });
    }

    /// Adds one sample of `series` to this thread's histograms: for what
    /// comes once a connect, too seldom to keep in a buffer per connection.
    pub fn record_one(&self, series: Series, group: usize, sample: Duration) {
        let sample = u64::try_from(sample.as_nanos()).unwrap_or(u64::MAX);
        self.record_in(series, group, &[sample]);
    }

    /// A set for the calling thread, which the run will add up.
    fn new_set(&self) -> Arc<Mutex<ThreadSet>> {
        let set = Arc::new(Mutex::new(ThreadSet {
            histograms: Histograms::new(),
            live_latency: self.live_latency.then(LatencyBuckets::new),
            groups: self.per_group.then(HashMap::new),
        }));
        lock(&self.sets).push(set.clone());
        set
    }

    /// Every thread's histograms, added up.
    pub fn histograms(&self) -> Histograms {
        let mut all = Histograms::new();
        for set in lock(&self.sets).iter() {
            all.add(&lock(set).histograms);
        }
        all
    }

    /// Each of `groups` groups' histograms, every thread's added up (empty
    /// unless `per_group`).
    pub fn group_histograms(&self, groups: usize) -> Vec<Histograms> {
        let mut all: Vec<Histograms> = (0..groups).map(|_| Histograms::new()).collect();
        for set in lock(&self.sets).iter() {
            for (&(group, series), histogram) in lock(set).groups.iter().flatten() {
                if let Some(histograms) = all.get_mut(group) {
                    // Cannot fail: of histogram()'s bounds, as the run's.
                    let _ = histograms.of(series).add(histogram);
                }
            }
        }
        all
    }

    /// Every thread's histograms, added up, and each thread's emptied: what
    /// was recorded since the last take (--find-max's steps).
    pub fn take(&self) -> Histograms {
        let mut all = Histograms::new();
        for set in lock(&self.sets).iter() {
            let mut set = lock(set);
            all.add(&set.histograms);
            set.histograms.reset();
        }
        all
    }

    /// Every thread's --metrics latency buckets, added up.
    pub fn live_latency(&self) -> LatencyBuckets {
        let mut all = LatencyBuckets::new();
        for set in lock(&self.sets).iter() {
            if let Some(live) = &lock(set).live_latency {
                all.add(live);
            }
        }
        all
    }
}

/// A lock that a panic elsewhere does not poison: counts stay counts.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_thread_records_on_its_own_and_the_run_adds_them_up() {
        let recorder = Arc::new(Recorder::new(true));
        let threads: Vec<_> = (0..4u64)
            .map(|t| {
                let recorder = recorder.clone();
                std::thread::spawn(move || {
                    let samples: Vec<u64> =
                        (1..=250).map(|ms| (t * 250 + ms) * 1_000_000).collect();
                    recorder.record_in(Series::Latency, 0, &samples[..100]);
                    recorder.record_in(Series::Latency, 0, &samples[100..]);
                    recorder.record_in(Series::Connect, 0, &[1_000]);
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert_eq!(lock(&recorder.sets).len(), 4);
        let histograms = recorder.histograms();
        assert_eq!(histograms.latency.len(), 1000);
        let p50 = histograms.latency.value_at_quantile(0.5);
        assert!((499_000_000..=501_000_000).contains(&p50), "{p50}");
        assert_eq!(histograms.connect.len(), 4);
        assert!(histograms.lateness.is_empty());
        let live = recorder.live_latency();
        assert_eq!(live.count, 1000);
        assert_eq!(live.buckets.iter().map(|(_, n)| n).sum::<u64>(), 1000);
    }

    #[test]
    fn a_group_keeps_its_samples_beside_the_runs() {
        let mut recorder = Recorder::new(false);
        recorder.per_group = true;
        recorder.record_in(Series::Latency, 1, &[5_000, 6_000]);
        recorder.record_in(Series::Latency, 0, &[7_000]);
        recorder.record_in(Series::Connect, 1, &[1_000]);
        assert_eq!(recorder.histograms().latency.len(), 3);
        let groups = recorder.group_histograms(2);
        assert_eq!(groups[0].latency.len(), 1);
        assert_eq!((groups[1].latency.len(), groups[1].connect.len()), (2, 1));
        assert!(Recorder::new(false).group_histograms(2)[1]
            .latency
            .is_empty());
    }

    #[test]
    fn runs_on_one_thread_keep_their_samples_apart() {
        let (first, second) = (Recorder::new(false), Recorder::new(false));
        first.record_in(Series::Latency, 0, &[5_000]);
        second.record_in(Series::Latency, 0, &[6_000, 7_000]);
        first.record_in(Series::Latency, 0, &[8_000]);
        assert_eq!(first.histograms().latency.len(), 2);
        assert_eq!(second.histograms().latency.len(), 2);
        assert_eq!(first.live_latency().count, 0);
    }

    #[test]
    fn a_take_empties_every_series() {
        let recorder = Recorder::new(false);
        for series in [Series::Latency, Series::Suback, Series::TlsHandshake] {
            recorder.record_in(series, 0, &[5_000]);
        }
        let taken = recorder.take();
        assert_eq!(taken.latency.len() + taken.suback.len(), 2);
        assert_eq!(taken.tls_handshake.len(), 1);
        let again = recorder.take();
        assert_eq!(again.latency.len() + again.suback.len(), 0);
        assert!(again.tls_handshake.is_empty());
    }

    #[test]
    fn latency_buckets_are_prometheus_buckets() {
        let mut buckets = LatencyBuckets::new();
        for seconds in [0.000_05, 0.000_1, 0.000_15, 100.0] {
            buckets.observe(seconds);
        }
        assert_eq!(buckets.buckets.len(), 21);
        assert_eq!(buckets.buckets[0], (0.000_1, 2));
        assert_eq!(buckets.buckets[1], (0.000_2, 1));
        assert_eq!(buckets.buckets[20], (f64::MAX, 1));
        assert_eq!(buckets.count, 4);
    }
}
