//! A moment broken down into UTC calendar fields, for `%I`, `%U`, the JSON
//! timestamp and the `@` strftime letters, which are written as C-locale
//! strftime writes them. The date arithmetic is on the proleptic Gregorian
//! calendar, in whole days from 1970-01-01, so it needs no time-zone data.

use std::io::{self, Write};
use std::time::{SystemTime, UNIX_EPOCH};

/// The strftime letters `@` accepts.
pub(super) const TIME_SPECS: &[u8] = b"aAbBcCdDeFgGhHIjklmMnNpPrRsStTuUVwWxXyYzZ%";

const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// A moment broken down into its UTC calendar fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Clock {
    /// Seconds since 1970-01-01T00:00:00Z, rounded down.
    pub(super) secs: i64,
    /// Nanoseconds after `secs`.
    pub(super) nanos: u32,
    year: i64,
    /// 1 to 12.
    month: u32,
    /// 1 to 31.
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    /// 0 is Sunday.
    weekday: u32,
    /// Days since 1 January, from 0.
    yday: u32,
}

impl Clock {
    pub(super) fn new(at: SystemTime) -> Clock {
        let (secs, nanos) = match at.duration_since(UNIX_EPOCH) {
            Ok(after) => (
                i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
                after.subsec_nanos(),
            ),
            Err(before) => {
                let before = before.duration();
                let secs = -i64::try_from(before.as_secs()).unwrap_or(i64::MAX);
                match before.subsec_nanos() {
                    0 => (secs, 0),
                    nanos => (secs - 1, 1_000_000_000 - nanos),
                }
            }
        };
        Clock::from_unix(secs, nanos)
    }

    fn from_unix(secs: i64, nanos: u32) -> Clock {
        let days = secs.div_euclid(86_400);
        let of_day = secs.rem_euclid(86_400) as u32;
        let (year, month, day) = civil_from_days(days);
        Clock {
            secs,
            nanos,
            year,
            month,
            day,
            hour: of_day / 3600,
            minute: of_day / 60 % 60,
            second: of_day % 60,
            // 1970-01-01 was a Thursday.
            weekday: (days + 4).rem_euclid(7) as u32,
            yday: (days - days_from_civil(year, 1, 1)) as u32,
        }
    }

    /// `2025-11-25T13:04:05`
    pub(super) fn write_date_time(&self, out: &mut impl Write) -> io::Result<()> {
        write!(
            out,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }

    fn hour12(&self) -> u32 {
        match self.hour % 12 {
            0 => 12,
            hour => hour,
        }
    }

    /// The ISO 8601 week-based year and week number.
    fn iso_week(&self) -> (i64, u32) {
        let iso_weekday = (self.weekday + 6) % 7 + 1;
        let week = (i64::from(self.yday) + 1 - i64::from(iso_weekday) + 10) / 7;
        if week < 1 {
            (self.year - 1, iso_weeks_in(self.year - 1))
        } else if week > i64::from(iso_weeks_in(self.year)) {
            (self.year + 1, 1)
        } else {
            (self.year, week as u32)
        }
    }

    /// One strftime conversion in the C locale; `spec` is one of TIME_SPECS.
    pub(super) fn write_strftime(&self, out: &mut impl Write, spec: u8) -> io::Result<()> {
        let weekday = WEEKDAYS[self.weekday as usize];
        let month = MONTHS[self.month as usize - 1];
        match spec {
            b'a' => out.write_all(&weekday.as_bytes()[..3]),
            b'A' => out.write_all(weekday.as_bytes()),
            b'b' | b'h' => out.write_all(&month.as_bytes()[..3]),
            b'B' => out.write_all(month.as_bytes()),
            b'c' => {
                for (i, part) in b"abeTY".iter().enumerate() {
                    if i > 0 {
                        out.write_all(b" ")?;
                    }
                    self.write_strftime(out, *part)?;
                }
                Ok(())
            }
            b'C' => write!(out, "{:02}", self.year.div_euclid(100)),
            b'd' => write!(out, "{:02}", self.day),
            b'D' | b'x' => write!(
                out,
                "{:02}/{:02}/{:02}",
                self.month,
                self.day,
                self.year.rem_euclid(100)
            ),
            b'e' => write!(out, "{:2}", self.day),
            b'F' => write!(out, "{:04}-{:02}-{:02}", self.year, self.month, self.day),
            b'g' => write!(out, "{:02}", self.iso_week().0.rem_euclid(100)),
            b'G' => write!(out, "{}", self.iso_week().0),
            b'H' => write!(out, "{:02}", self.hour),
            b'I' => write!(out, "{:02}", self.hour12()),
            b'j' => write!(out, "{:03}", self.yday + 1),
            b'k' => write!(out, "{:2}", self.hour),
            b'l' => write!(out, "{:2}", self.hour12()),
            b'm' => write!(out, "{:02}", self.month),
            b'M' => write!(out, "{:02}", self.minute),
            b'n' => out.write_all(b"\n"),
            b'N' => write!(out, "{:09}", self.nanos),
            b'p' => out.write_all(if self.hour < 12 { b"AM" } else { b"PM" }),
            b'P' => out.write_all(if self.hour < 12 { b"am" } else { b"pm" }),
            b'r' => {
                let noon = if self.hour < 12 { "AM" } else { "PM" };
                write!(
                    out,
                    "{:02}:{:02}:{:02} {noon}",
                    self.hour12(),
                    self.minute,
                    self.second
                )
            }
            b'R' => write!(out, "{:02}:{:02}", self.hour, self.minute),
            b's' => write!(out, "{}", self.secs),
            b'S' => write!(out, "{:02}", self.second),
            b't' => out.write_all(b"\t"),
            b'T' | b'X' => write!(
                out,
                "{:02}:{:02}:{:02}",
                self.hour, self.minute, self.second
            ),
            b'u' => write!(out, "{}", (self.weekday + 6) % 7 + 1),
            b'U' => write!(out, "{:02}", (self.yday + 7 - self.weekday) / 7),
            b'V' => write!(out, "{:02}", self.iso_week().1),
            b'w' => write!(out, "{}", self.weekday),
            b'W' => write!(out, "{:02}", (self.yday + 7 - (self.weekday + 6) % 7) / 7),
            b'y' => write!(out, "{:02}", self.year.rem_euclid(100)),
            b'Y' => write!(out, "{}", self.year),
            b'z' => out.write_all(b"+0000"),
            b'Z' => out.write_all(b"UTC"),
            b'%' => out.write_all(b"%"),
            // Template::parse lets no other letter through.
            _ => Ok(()),
        }
    }
}

/// The proleptic Gregorian date of a day counted from 1970-01-01
/// (Howard Hinnant's civil_from_days: eras of 400 years starting 1 March).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    } as u32;
    (year_of_era + era * 400 + i64::from(month <= 2), month, day)
}

/// The day, counted from 1970-01-01, of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// 53 when the year starts on a Thursday, or on a Wednesday in a leap year.
fn iso_weeks_in(year: i64) -> u32 {
    let jan1_weekday =
        |y: i64| (y + y.div_euclid(4) - y.div_euclid(100) + y.div_euclid(400)).rem_euclid(7);
    if jan1_weekday(year) == 4 || jan1_weekday(year - 1) == 3 {
        53
    } else {
        52
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::output::test_support::{formatted_text, message};
    use crate::output::Template;

    #[test]
    fn time_specifiers() {
        assert_eq!(
            formatted_text("@Y-@m-@dT@H:@M:@S@z @N @s @j @a @b @e @F @T @Z @k@l@P", &message("t", b"")),
            "2025-11-25T13:04:05+0000 123456789 1764075845 329 Tue Nov 25 2025-11-25 13:04:05 UTC 13 1pm"
        );
    }

    #[test]
    fn strftime_agrees_with_gnu_date() {
        // `date -u -d @SECS '+%s %Y-%m-%dT%H:%M:%S %a %A %b %B %j %u %w %U %W %G %g %V %C %y %e %I %p %c|%x|%X|%D|%r'`
        let cases: [(i64, &str); 9] = [
            (0, "0 1970-01-01T00:00:00 Thu Thursday Jan January 001 4 4 00 00 1970 70 01 19 70  1 12 AM Thu Jan  1 00:00:00 1970|01/01/70|00:00:00|01/01/70|12:00:00 AM"),
            (1_764_075_845, "1764075845 2025-11-25T13:04:05 Tue Tuesday Nov November 329 2 2 47 47 2025 25 48 20 25 25 01 PM Tue Nov 25 13:04:05 2025|11/25/25|13:04:05|11/25/25|01:04:05 PM"),
            (1_709_164_800, "1709164800 2024-02-29T00:00:00 Thu Thursday Feb February 060 4 4 08 09 2024 24 09 20 24 29 12 AM Thu Feb 29 00:00:00 2024|02/29/24|00:00:00|02/29/24|12:00:00 AM"),
            (951_782_400, "951782400 2000-02-29T00:00:00 Tue Tuesday Feb February 060 2 2 09 09 2000 00 09 20 00 29 12 AM Tue Feb 29 00:00:00 2000|02/29/00|00:00:00|02/29/00|12:00:00 AM"),
            (-1, "-1 1969-12-31T23:59:59 Wed Wednesday Dec December 365 3 3 52 52 1970 70 01 19 69 31 11 PM Wed Dec 31 23:59:59 1969|12/31/69|23:59:59|12/31/69|11:59:59 PM"),
            (253_402_300_799, "253402300799 9999-12-31T23:59:59 Fri Friday Dec December 365 5 5 52 52 9999 99 52 99 99 31 11 PM Fri Dec 31 23:59:59 9999|12/31/99|23:59:59|12/31/99|11:59:59 PM"),
            (1_609_459_200, "1609459200 2021-01-01T00:00:00 Fri Friday Jan January 001 5 5 00 00 2020 20 53 20 21  1 12 AM Fri Jan  1 00:00:00 2021|01/01/21|00:00:00|01/01/21|12:00:00 AM"),
            (1_735_516_800, "1735516800 2024-12-30T00:00:00 Mon Monday Dec December 365 1 1 52 53 2025 25 01 20 24 30 12 AM Mon Dec 30 00:00:00 2024|12/30/24|00:00:00|12/30/24|12:00:00 AM"),
            (68_169_600, "68169600 1972-02-29T00:00:00 Tue Tuesday Feb February 060 2 2 09 09 1972 72 09 19 72 29 12 AM Tue Feb 29 00:00:00 1972|02/29/72|00:00:00|02/29/72|12:00:00 AM"),
        ];
        let template =
            Template::parse("@s @Y-@m-@dT@H:@M:@S @a @A @b @B @j @u @w @U @W @G @g @V @C @y @e @I @p @c|@x|@X|@D|@r")
                .unwrap();
        for (secs, expected) in cases {
            let mut out = Vec::new();
            template
                .write(
                    &mut out,
                    &message("t", b""),
                    &Clock::from_unix(secs, 0),
                    false,
                )
                .unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), expected, "{secs}");
        }
    }

    #[test]
    fn iso_timestamps_of_known_moments() {
        let iso = |at: SystemTime| {
            let mut out = Vec::new();
            Clock::new(at).write_date_time(&mut out).unwrap();
            String::from_utf8(out).unwrap()
        };
        let iso_after = |secs| iso(UNIX_EPOCH + Duration::from_secs(secs));
        assert_eq!(iso(UNIX_EPOCH), "1970-01-01T00:00:00");
        assert_eq!(iso_after(1_764_075_845), "2025-11-25T13:04:05");
        // leap days, including the 400-year rule
        assert_eq!(iso_after(1_709_164_800), "2024-02-29T00:00:00");
        assert_eq!(iso_after(951_782_400), "2000-02-29T00:00:00");
        assert_eq!(iso_after(1_709_251_199), "2024-02-29T23:59:59");
        assert_eq!(iso_after(1_709_251_200), "2024-03-01T00:00:00");
        // 2100 is not a leap year
        assert_eq!(iso_after(4_107_456_000), "2100-02-28T00:00:00");
        assert_eq!(iso_after(4_107_542_400), "2100-03-01T00:00:00");
        assert_eq!(iso_after(253_402_300_799), "9999-12-31T23:59:59");
        // before the epoch the seconds round down and the nanoseconds count up
        let before = Clock::new(UNIX_EPOCH - Duration::from_millis(250));
        assert_eq!((before.secs, before.nanos), (-1, 750_000_000));
        assert_eq!(
            iso(UNIX_EPOCH - Duration::from_millis(250)),
            "1969-12-31T23:59:59"
        );
        assert_eq!(
            formatted_text("%U", &message("t", b"")),
            "1764075845.123456789"
        );
    }

    #[test]
    fn days_and_dates_round_trip() {
        for days in (-1_000_000..1_000_000).step_by(7) {
            let (year, month, day) = civil_from_days(days);
            assert!((1..=12).contains(&month) && (1..=31).contains(&day));
            assert_eq!(days_from_civil(year, month, day), days);
        }
        assert_eq!(civil_from_days(-719_468), (0, 3, 1));
    }
}
