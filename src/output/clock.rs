//! When a message arrived, written as mosquitto_sub writes it: `%I`, `%U` and
//! the `@` strftime letters in local time (the zone C's `localtime()` uses:
//! `TZ`, then /etc/localtime), the JSON timestamp in UTC.
//!
//! jiff does the calendar and reads the time-zone rules. The `@` letters go
//! through jiff's strftime in the POSIX locale, except the few where glibc's
//! C locale writes something else (see [`Clock::write_strftime`]), which are
//! written here from jiff's fields.

use std::cell::OnceCell;
use std::io::{self, Write};
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use jiff::civil::DateTime;
use jiff::fmt::strtime::{BrokenDownTime, Config, PosixCustom};
use jiff::fmt::StdIoWrite;
use jiff::tz::{Offset, TimeZone};
use jiff::Timestamp;

/// The strftime letters `@` accepts.
pub(super) const TIME_SPECS: &[u8] = b"aAbBcCdDeFgGhHIjklmMnNpPrRsStTuUVwWxXyYzZ%";

/// The zone mosquitto_sub's `localtime()` would use: `TZ` (a zone name, a
/// file or a POSIX rule such as `UTC-2`), else /etc/localtime, else UTC.
/// Looked up once per process, because `sub` prints a time for every message.
pub(super) fn local_time_zone() -> &'static TimeZone {
    static LOCAL: OnceLock<TimeZone> = OnceLock::new();
    LOCAL.get_or_init(|| TimeZone::try_system().unwrap_or(TimeZone::UTC))
}

/// When a message arrived: the wall clock, and for `mqtk sub` the time since
/// it started, on the monotonic clock, which no adjustment of the wall clock
/// moves (the `offset_s` a replay is paced by).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arrival {
    pub at: SystemTime,
    pub since_start: Option<Duration>,
}

impl Arrival {
    /// Now, on both clocks, for a command that started at `start`.
    pub fn now(start: Instant) -> Arrival {
        Arrival {
            at: SystemTime::now(),
            since_start: Some(start.elapsed()),
        }
    }

    /// `at` on the wall clock alone.
    pub fn at(at: SystemTime) -> Arrival {
        Arrival {
            at,
            since_start: None,
        }
    }
}

/// When a message arrived, and the zone its local time is shown in.
#[derive(Debug)]
pub(super) struct Clock<'z> {
    at: Timestamp,
    /// Since the command started, when it counts (see [`Arrival`]).
    since_start: Option<Duration>,
    /// `None` is the local zone, so that a printer that never shows local
    /// time never looks it up.
    zone: Option<&'z TimeZone>,
    /// The wall clock in `zone`, worked out on first use: the JSON timestamp
    /// needs only UTC.
    local: OnceCell<Local>,
}

/// The wall-clock time in a zone and that zone's offset at the moment.
#[derive(Debug, Clone, Copy)]
struct Local {
    datetime: DateTime,
    offset: Offset,
}

impl<'z> Clock<'z> {
    /// `at` in `zone`, or in the local zone when `None`. A moment outside
    /// the years -9999 to 9999 is taken as the nearest one inside.
    pub(super) fn new(at: SystemTime, zone: Option<&'z TimeZone>) -> Clock<'z> {
        Clock::of(Arrival::at(at), zone)
    }

    /// The clock of `arrival`, local times in `zone` (see [`Clock::new`]).
    pub(super) fn of(arrival: Arrival, zone: Option<&'z TimeZone>) -> Clock<'z> {
        let at = arrival.at;
        let at = Timestamp::try_from(at).unwrap_or(if at < UNIX_EPOCH {
            Timestamp::MIN
        } else {
            Timestamp::MAX
        });
        Clock {
            at,
            since_start: arrival.since_start,
            zone,
            local: OnceCell::new(),
        }
    }

    fn zone(&self) -> &TimeZone {
        self.zone.unwrap_or_else(|| local_time_zone())
    }

    fn local(&self) -> Local {
        *self.local.get_or_init(|| {
            let offset = self.zone().to_offset(self.at);
            Local {
                datetime: offset.to_datetime(self.at),
                offset,
            }
        })
    }

    /// Whole seconds since the epoch, rounded down, and the nanoseconds after
    /// them, as `clock_gettime` gives them (jiff rounds toward zero).
    fn unix(&self) -> (i64, u32) {
        let (secs, nanos) = (self.at.as_second(), self.at.subsec_nanosecond());
        if nanos < 0 {
            (secs - 1, (nanos + 1_000_000_000) as u32)
        } else {
            (secs, nanos as u32)
        }
    }

    /// `%I`, mosquitto_sub's strftime `%FT%T%z`: `2025-11-25T14:04:05+0100`.
    pub(super) fn write_iso_time(&self, out: &mut impl Write) -> io::Result<()> {
        self.write_strftime(out, b'F')?;
        out.write_all(b"T")?;
        self.write_strftime(out, b'T')?;
        self.write_strftime(out, b'z')
    }

    /// `%U`: seconds and nanoseconds since the epoch, `1764075845.123456789`.
    pub(super) fn write_unix_time(&self, out: &mut impl Write) -> io::Result<()> {
        let (secs, nanos) = self.unix();
        write!(out, "{secs}.{nanos:09}")
    }

    /// The JSON timestamp, always UTC whatever the local zone, so that it
    /// reads the same on every machine: `2025-11-25T13:04:05.123456Z`.
    pub(super) fn write_utc_timestamp(&self, out: &mut impl Write) -> io::Result<()> {
        write!(out, "{:.6}", self.at)
    }

    /// The time since the command started, when it counts.
    pub(super) fn since_start(&self) -> Option<Duration> {
        self.since_start
    }

    /// One strftime conversion as glibc writes it in the C locale, in the
    /// clock's zone; `spec` is one of TIME_SPECS.
    ///
    /// jiff's strftime (with the POSIX locale for `%r` and `%X`) writes most
    /// letters as glibc does. These it writes otherwise, so they are written
    /// here: years (`%Y %G %F %c`), which glibc leaves unpadded where jiff
    /// pads them to four digits; centuries and two-digit years (`%C %y %g %D
    /// %x`), which glibc counts with floor division where jiff truncates
    /// toward zero (both matter only before the year 1000); `%z`, where glibc
    /// drops the seconds of an offset (local mean time, or a `TZ` such as
    /// `abc-1:00:30`) and jiff writes them; `%Z`, which glibc writes as the
    /// zone spells it and jiff in capitals; `%s`, rounded down before the
    /// epoch. `%N` is mosquitto_sub's own, not strftime's.
    pub(super) fn write_strftime(&self, out: &mut impl Write, spec: u8) -> io::Result<()> {
        let Local { datetime, offset } = self.local();
        let year = datetime.year();
        let iso_year = || datetime.iso_week_date().year();
        match spec {
            b'Y' => write!(out, "{year}"),
            b'G' => write!(out, "{}", iso_year()),
            b'C' => write!(out, "{}", year.div_euclid(100)),
            b'y' => write!(out, "{:02}", year.rem_euclid(100)),
            b'g' => write!(out, "{:02}", iso_year().rem_euclid(100)),
            b'F' => {
                write!(out, "{year}")?;
                write_jiff(out, datetime, b"-%m-%d")
            }
            b'D' | b'x' => {
                write_jiff(out, datetime, b"%m/%d/")?;
                self.write_strftime(out, b'y')
            }
            b'c' => {
                write_jiff(out, datetime, b"%a %b %e %H:%M:%S ")?;
                write!(out, "{year}")
            }
            b'z' => write_offset(out, offset),
            b'Z' => {
                let info = self.zone().to_offset_info(self.at);
                out.write_all(info.abbreviation().as_bytes())
            }
            b's' => write!(out, "{}", self.unix().0),
            b'N' => write!(out, "{:09}", self.unix().1),
            _ => write_jiff(out, datetime, &[b'%', spec]),
        }
    }
}

/// Writes `datetime` through jiff's strftime in the POSIX locale.
fn write_jiff(out: &mut impl Write, datetime: DateTime, format: &[u8]) -> io::Result<()> {
    let config = Config::new().custom(PosixCustom::new());
    BrokenDownTime::from(datetime)
        .format_with_config(&config, format, &mut StdIoWrite(&mut *out))
        .map_err(io::Error::other)
}

/// `%z` as glibc writes it: `+hhmm`, the seconds of an offset dropped.
fn write_offset(out: &mut impl Write, offset: Offset) -> io::Result<()> {
    let seconds = offset.seconds();
    let sign = if seconds < 0 { '-' } else { '+' };
    let minutes = seconds.unsigned_abs() / 60;
    write!(out, "{sign}{:02}{:02}", minutes / 60, minutes % 60)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::output::test_support::{formatted_text, formatted_text_in, message};
    use crate::output::Template;

    /// A moment `secs` seconds after (or before) the epoch.
    fn moment(secs: i64) -> SystemTime {
        let offset = Duration::from_secs(secs.unsigned_abs());
        if secs < 0 {
            UNIX_EPOCH - offset
        } else {
            UNIX_EPOCH + offset
        }
    }

    /// `format` written for a message that arrived at `secs` in `zone`.
    fn strftime_in(zone: &TimeZone, secs: i64, format: &str) -> String {
        let mut out = Vec::new();
        Template::parse(format)
            .unwrap()
            .write(
                &mut out,
                &message("t", b""),
                None,
                &Clock::new(moment(secs), Some(zone)),
                false,
            )
            .unwrap();
        String::from_utf8(out).unwrap()
    }

    fn posix(rule: &str) -> TimeZone {
        TimeZone::posix(rule).unwrap()
    }

    /// 2026-12-01T21:18:17Z
    const WINTER_EVENING: i64 = 1_796_159_897;

    #[test]
    fn time_specifiers() {
        assert_eq!(
            formatted_text("@Y-@m-@dT@H:@M:@S@z @N @s @j @a @b @e @F @T @Z @k@l@P", &message("t", b"")),
            "2025-11-25T13:04:05+0000 123456789 1764075845 329 Tue Nov 25 2025-11-25 13:04:05 UTC 13 1pm"
        );
    }

    #[test]
    fn strftime_agrees_with_glibc_in_utc() {
        // TZ=UTC strftime(localtime(SECS)) in glibc 2.36:
        // '%s %Y-%m-%dT%H:%M:%S %a %A %b %B %j %u %w %U %W %G %g %V %C %y %e %I %p %c|%x|%X|%D|%r'
        let cases: [(i64, &str); 9] = [
            (0, "0 1970-01-01T00:00:00 Thu Thursday Jan January 001 4 4 00 00 1970 70 01 19 70  1 12 AM Thu Jan  1 00:00:00 1970|01/01/70|00:00:00|01/01/70|12:00:00 AM"),
            (1_764_075_845, "1764075845 2025-11-25T13:04:05 Tue Tuesday Nov November 329 2 2 47 47 2025 25 48 20 25 25 01 PM Tue Nov 25 13:04:05 2025|11/25/25|13:04:05|11/25/25|01:04:05 PM"),
            (1_709_164_800, "1709164800 2024-02-29T00:00:00 Thu Thursday Feb February 060 4 4 08 09 2024 24 09 20 24 29 12 AM Thu Feb 29 00:00:00 2024|02/29/24|00:00:00|02/29/24|12:00:00 AM"),
            (951_782_400, "951782400 2000-02-29T00:00:00 Tue Tuesday Feb February 060 2 2 09 09 2000 00 09 20 00 29 12 AM Tue Feb 29 00:00:00 2000|02/29/00|00:00:00|02/29/00|12:00:00 AM"),
            (-1, "-1 1969-12-31T23:59:59 Wed Wednesday Dec December 365 3 3 52 52 1970 70 01 19 69 31 11 PM Wed Dec 31 23:59:59 1969|12/31/69|23:59:59|12/31/69|11:59:59 PM"),
            (253_402_128_000, "253402128000 9999-12-30T00:00:00 Thu Thursday Dec December 364 4 4 52 52 9999 99 52 99 99 30 12 AM Thu Dec 30 00:00:00 9999|12/30/99|00:00:00|12/30/99|12:00:00 AM"),
            (1_609_459_200, "1609459200 2021-01-01T00:00:00 Fri Friday Jan January 001 5 5 00 00 2020 20 53 20 21  1 12 AM Fri Jan  1 00:00:00 2021|01/01/21|00:00:00|01/01/21|12:00:00 AM"),
            (1_735_516_800, "1735516800 2024-12-30T00:00:00 Mon Monday Dec December 365 1 1 52 53 2025 25 01 20 24 30 12 AM Mon Dec 30 00:00:00 2024|12/30/24|00:00:00|12/30/24|12:00:00 AM"),
            (68_169_600, "68169600 1972-02-29T00:00:00 Tue Tuesday Feb February 060 2 2 09 09 1972 72 09 19 72 29 12 AM Tue Feb 29 00:00:00 1972|02/29/72|00:00:00|02/29/72|12:00:00 AM"),
        ];
        let format = "@s @Y-@m-@dT@H:@M:@S @a @A @b @B @j @u @w @U @W @G @g @V @C @y @e @I @p @c|@x|@X|@D|@r";
        for (secs, expected) in cases {
            assert_eq!(
                strftime_in(&TimeZone::UTC, secs, format),
                expected,
                "{secs}"
            );
        }
    }

    #[test]
    fn iso_time_is_local_time_with_its_offset_as_mosquitto_sub_prints_it() {
        let one_hour_east = TimeZone::fixed(Offset::constant(1));
        assert_eq!(
            strftime_in(&one_hour_east, WINTER_EVENING, "%I"),
            "2026-12-01T22:18:17+0100"
        );
        // POSIX counts hours west of Greenwich: UTC-2 is two hours east.
        assert_eq!(
            strftime_in(&posix("UTC-2"), WINTER_EVENING, "%I @Z"),
            "2026-12-01T23:18:17+0200 UTC"
        );
        assert_eq!(
            strftime_in(&posix("NST3:30NDT,M3.2.0,M11.1.0"), WINTER_EVENING, "%I"),
            "2026-12-01T17:48:17-0330"
        );
        // %U is the same moment in every zone
        assert_eq!(
            strftime_in(&posix("UTC-2"), WINTER_EVENING, "%U"),
            "1796159897.000000000"
        );
    }

    #[test]
    fn strftime_agrees_with_glibc_in_zones_with_summer_time() {
        // strftime(localtime(SECS)) in glibc 2.36 under each TZ
        let berlin = posix("CET-1CEST,M3.5.0,M10.5.0/3");
        let cases = [
            (
                &berlin,
                WINTER_EVENING,
                "%I @Z",
                "2026-12-01T22:18:17+0100 CET",
            ),
            (
                &berlin,
                1_782_908_297,
                "%I @Z",
                "2026-07-01T14:18:17+0200 CEST",
            ),
            (
                &posix("<+0530>-5:30"),
                WINTER_EVENING,
                "%I @Z @c @k @l @P @r",
                "2026-12-02T02:48:17+0530 +0530 Wed Dec  2 02:48:17 2026  2  2 am 02:48:17 AM",
            ),
            (
                &posix("NST3:30NDT,M3.2.0,M11.1.0"),
                WINTER_EVENING,
                "@Z @c @k @l @P @r @s",
                "NST Tue Dec  1 17:48:17 2026 17  5 pm 05:48:17 PM 1796159897",
            ),
        ];
        for (zone, secs, format, expected) in cases {
            assert_eq!(strftime_in(zone, secs, format), expected, "{format}");
        }
    }

    #[test]
    fn letters_jiff_writes_otherwise_are_written_as_glibc_writes_them() {
        // glibc drops an offset's seconds and keeps the abbreviation's case
        assert_eq!(
            strftime_in(&posix("abc-1:00:30"), WINTER_EVENING, "%I @Z"),
            "2026-12-01T22:18:47+0100 abc"
        );
        assert_eq!(strftime_in(&posix("xyz+0:00:30"), 0, "@z @Z"), "-0000 xyz");
        // years before 1000 are not padded, and centuries round down
        let utc = &TimeZone::UTC;
        assert_eq!(
            strftime_in(utc, -61_000_000_000, "@Y|@C|@G|@g|@F|@y|@c|@D"),
            "36|0|36|36|36-12-26|36|Fri Dec 26 11:33:20 36|12/26/36"
        );
        assert_eq!(
            strftime_in(utc, -80_000_000_000, "@C|@D|@F|@g|@x|@y"),
            "-6|11/26/34|-566-11-26|34|11/26/34|34"
        );
    }

    #[test]
    fn unix_time_and_iso_time_of_known_moments() {
        let iso = |at: SystemTime| {
            let mut out = Vec::new();
            Clock::new(at, Some(&TimeZone::UTC))
                .write_iso_time(&mut out)
                .unwrap();
            String::from_utf8(out).unwrap()
        };
        let iso_after = |secs| iso(moment(secs));
        assert_eq!(iso(UNIX_EPOCH), "1970-01-01T00:00:00+0000");
        assert_eq!(iso_after(1_764_075_845), "2025-11-25T13:04:05+0000");
        // leap days, including the 400-year rule
        assert_eq!(iso_after(1_709_164_800), "2024-02-29T00:00:00+0000");
        assert_eq!(iso_after(951_782_400), "2000-02-29T00:00:00+0000");
        assert_eq!(iso_after(1_709_251_199), "2024-02-29T23:59:59+0000");
        assert_eq!(iso_after(1_709_251_200), "2024-03-01T00:00:00+0000");
        // 2100 is not a leap year
        assert_eq!(iso_after(4_107_456_000), "2100-02-28T00:00:00+0000");
        assert_eq!(iso_after(4_107_542_400), "2100-03-01T00:00:00+0000");
        // a moment past jiff's last one is shown as that
        assert_eq!(
            iso(UNIX_EPOCH + Duration::from_secs(1 << 40)),
            "9999-12-30T22:00:00+0000"
        );
        // before the epoch the seconds round down and the nanoseconds count up
        let before = UNIX_EPOCH - Duration::from_millis(250);
        assert_eq!(iso(before), "1969-12-31T23:59:59+0000");
        let mut unix = Vec::new();
        Clock::new(before, Some(&TimeZone::UTC))
            .write_unix_time(&mut unix)
            .unwrap();
        assert_eq!(unix, b"-1.750000000");
        assert_eq!(
            formatted_text_in(&posix("UTC-2"), "%U", &message("t", b"")),
            "1764075845.123456789"
        );
    }

    #[test]
    fn the_local_zone_is_looked_up_once() {
        assert!(std::ptr::eq(local_time_zone(), local_time_zone()));
    }
}
