//! Round-trip statistics, summarised the way ping(8) prints them.

use std::fmt::Write as _;
use std::time::Duration;

/// What became of the probes: how many were sent and answered, and the
/// round-trip times of the answered ones, in milliseconds; and the outages
/// they went through.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Stats {
    /// Sent, or due while the connection was down.
    pub transmitted: u64,
    pub received: u64,
    /// Times the connection was lost.
    pub outages: u64,
    /// Times it was made again.
    pub reconnects: u64,
    /// How long it was down, in all.
    pub outage: Duration,
    min: f64,
    max: f64,
    sum: f64,
    sum_of_squares: f64,
}

/// Minimum, average, maximum and standard deviation of the round trips, in
/// milliseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rtt {
    pub min: f64,
    pub avg: f64,
    pub max: f64,
    pub mdev: f64,
}

impl Rtt {
    /// `rtt min/avg/max/mdev = 0.045/0.060/0.080/0.012 ms` and a newline.
    pub fn line(&self) -> String {
        format!(
            "rtt min/avg/max/mdev = {:.3}/{:.3}/{:.3}/{:.3} ms\n",
            self.min, self.avg, self.max, self.mdev
        )
    }
}

impl Stats {
    /// Counts a probe sent.
    pub fn sent(&mut self) {
        self.transmitted += 1;
    }

    /// Counts a probe answered after `rtt`.
    pub fn answered(&mut self, rtt: Duration) {
        let ms = millis(rtt);
        if self.received == 0 {
            self.min = ms;
            self.max = ms;
        } else {
            self.min = self.min.min(ms);
            self.max = self.max.max(ms);
        }
        self.received += 1;
        self.sum += ms;
        self.sum_of_squares += ms * ms;
    }

    /// Counts an outage that lasted `took`, in which the client connected
    /// again `reconnects` times (0 when the pinging stopped first).
    pub fn offline(&mut self, took: Duration, reconnects: u64) {
        self.outages += 1;
        self.reconnects += reconnects;
        self.outage += took;
    }

    /// Whether every probe sent was answered (and at least one was sent).
    pub fn all_answered(&self) -> bool {
        self.transmitted > 0 && self.received == self.transmitted
    }

    /// The share of probes not answered, in percent.
    pub fn loss_percent(&self) -> f64 {
        if self.transmitted == 0 {
            return 0.0;
        }
        (self.transmitted - self.received) as f64 * 100.0 / self.transmitted as f64
    }

    /// The round-trip figures, once something was answered. The deviation is
    /// the population standard deviation, as ping(8)'s mdev.
    pub fn rtt(&self) -> Option<Rtt> {
        if self.received == 0 {
            return None;
        }
        let n = self.received as f64;
        let avg = self.sum / n;
        let variance = (self.sum_of_squares / n - avg * avg).max(0.0);
        Some(Rtt {
            min: self.min,
            avg,
            max: self.max,
            mdev: variance.sqrt(),
        })
    }

    /// The closing lines, as ping(8) prints them:
    ///
    /// ```text
    /// --- HOST mqtt ping statistics ---
    /// 5 packets transmitted, 5 received, 0% packet loss, time 4005ms
    /// rtt min/avg/max/mdev = 0.045/0.060/0.080/0.012 ms
    /// ```
    ///
    /// The rtt line is left out when nothing was answered. After an outage,
    /// the counts line ends with the reconnects and the time without a
    /// connection, as ping(8) adds its errors: `..., 2 reconnects, outage 1520ms`.
    pub fn summary(&self, host: &str, elapsed: Duration) -> String {
        let mut text = format!("--- {host} mqtt ping statistics ---\n");
        let _ = write!(
            text,
            "{} packets transmitted, {} received, {}% packet loss, time {}ms",
            self.transmitted,
            self.received,
            significant(self.loss_percent()),
            elapsed.as_millis()
        );
        if self.outages > 0 {
            let s = if self.reconnects == 1 { "" } else { "s" };
            let _ = write!(
                text,
                ", {} reconnect{s}, outage {}ms",
                self.reconnects,
                self.outage.as_millis()
            );
        }
        text.push('\n');
        if let Some(rtt) = self.rtt() {
            text.push_str(&rtt.line());
        }
        text
    }
}

/// A duration in milliseconds, with its fraction.
fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// A round-trip time as ping(8) shows one reply: three significant digits
/// below 100 ms (0.123, 1.23, 12.3), whole milliseconds above.
pub fn reply_time(duration: Duration) -> String {
    let ms = millis(duration);
    let decimals = match ms {
        ms if ms >= 99.95 => 0,
        ms if ms >= 9.995 => 1,
        ms if ms >= 1.0 => 2,
        _ => 3,
    };
    format!("{ms:.decimals$}")
}

/// A number with at most six significant digits and no trailing zeros, as
/// C's `%g` prints a percentage: 0, 40, 33.3333, 0.1.
pub(crate) fn significant(value: f64) -> String {
    if value == 0.0 || !value.is_finite() {
        return "0".to_string();
    }
    let magnitude = value.abs().log10().floor() as i32;
    let decimals = (5 - magnitude).max(0) as usize;
    let text = format!("{value:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(transmitted: u64, rtts_ms: &[u64]) -> Stats {
        let mut stats = Stats::default();
        for _ in 0..transmitted {
            stats.sent();
        }
        for &ms in rtts_ms {
            stats.answered(Duration::from_millis(ms));
        }
        stats
    }

    #[test]
    fn min_avg_max_and_mdev_are_the_population_figures() {
        let rtt = stats(4, &[1, 2, 3, 4]).rtt().unwrap();
        assert_eq!((rtt.min, rtt.avg, rtt.max), (1.0, 2.5, 4.0));
        // sqrt(((1.5² + 0.5²) * 2) / 4) = sqrt(1.25)
        assert!((rtt.mdev - 1.25f64.sqrt()).abs() < 1e-9, "{}", rtt.mdev);
        let one = stats(1, &[7]).rtt().unwrap();
        assert_eq!((one.min, one.avg, one.max, one.mdev), (7.0, 7.0, 7.0, 0.0));
        assert_eq!(stats(3, &[]).rtt(), None);
    }

    #[test]
    fn the_summary_reads_as_ping8s() {
        let summary = stats(5, &[1, 2, 3, 4, 5]).summary("broker", Duration::from_millis(4005));
        assert_eq!(
            summary,
            "--- broker mqtt ping statistics ---\n\
             5 packets transmitted, 5 received, 0% packet loss, time 4005ms\n\
             rtt min/avg/max/mdev = 1.000/3.000/5.000/1.414 ms\n"
        );
        let lost = stats(2, &[]).summary("broker", Duration::from_millis(1500));
        assert_eq!(
            lost,
            "--- broker mqtt ping statistics ---\n\
             2 packets transmitted, 0 received, 100% packet loss, time 1500ms\n"
        );
        assert!(!stats(2, &[]).all_answered());
        assert!(!stats(0, &[]).all_answered());
        assert!(stats(2, &[1, 1]).all_answered());
    }

    #[test]
    fn the_summary_counts_the_reconnects_and_the_outage_after_one() {
        let mut s = stats(10, &[1, 1, 1, 1, 1, 1, 1]);
        s.offline(Duration::from_millis(1234), 1);
        assert_eq!(
            s.summary("broker", Duration::from_millis(2000)),
            "--- broker mqtt ping statistics ---\n\
             10 packets transmitted, 7 received, 30% packet loss, time 2000ms, \
             1 reconnect, outage 1234ms\n\
             rtt min/avg/max/mdev = 1.000/1.000/1.000/0.000 ms\n"
        );
        s.offline(Duration::from_millis(766), 0);
        let summary = s.summary("broker", Duration::from_millis(2000));
        assert!(
            summary.contains(", 30% packet loss, time 2000ms, 1 reconnect, outage 2000ms\n"),
            "{summary}"
        );
        s.offline(Duration::from_millis(1000), 1);
        let summary = s.summary("broker", Duration::from_millis(5000));
        assert!(
            summary.contains(" time 5000ms, 2 reconnects, outage 3000ms\n"),
            "{summary}"
        );
    }

    #[test]
    fn loss_is_printed_with_six_significant_digits_as_percent_g_does() {
        let loss = |transmitted, received| {
            let mut s = stats(transmitted, &[]);
            s.received = received;
            significant(s.loss_percent())
        };
        assert_eq!(loss(5, 5), "0");
        assert_eq!(loss(5, 3), "40");
        assert_eq!(loss(3, 2), "33.3333");
        assert_eq!(loss(3, 1), "66.6667");
        assert_eq!(loss(1000, 999), "0.1");
        assert_eq!(loss(3000, 2999), "0.0333333");
        assert_eq!(loss(4, 0), "100");
        assert_eq!(loss(0, 0), "0");
    }

    #[test]
    fn a_reply_shows_three_significant_digits_below_100_ms() {
        let t = |micros| reply_time(Duration::from_micros(micros));
        assert_eq!(t(45), "0.045");
        assert_eq!(t(1_234), "1.23");
        assert_eq!(t(12_345), "12.3");
        assert_eq!(t(123_456), "123");
    }
}
