//! Dates as an Indian office reads them: the calendar date and time in IST (UTC+5:30, no
//! daylight saving) of a unix-millis instant, and the financial year (1 April – 31 March)
//! it falls in, written `2026-27`.
//!
//! Everything here is arithmetic on the instant the caller passes; there is no clock and no
//! time-zone database (IST has had one fixed offset since 1945).

use std::fmt;

use crate::ids::UnixMillis;

/// IST is UTC+5:30.
pub const IST_OFFSET_MILLIS: i64 = (5 * 60 + 30) * 60 * 1000;

const DAY_MILLIS: i64 = 24 * 60 * 60 * 1000;

/// A proleptic Gregorian calendar date. Written `yyyy-mm-dd`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CivilDate {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl CivilDate {
    /// A date if `month` and `day` exist in `year`.
    pub fn new(year: i32, month: u32, day: u32) -> Option<CivilDate> {
        let valid = (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month);
        valid.then_some(CivilDate { year, month, day })
    }

    /// A date written `yyyy-mm-dd`, if it exists.
    pub fn parse(text: &str) -> Option<CivilDate> {
        let mut parts = text.trim().splitn(3, '-');
        let mut part = |len: usize| parts.next().filter(|p| p.len() == len && p.bytes().all(|b| b.is_ascii_digit()));
        let (year, month, day) = (part(4)?.parse().ok()?, part(2)?.parse().ok()?, part(2)?.parse().ok()?);
        CivilDate::new(year, month, day)
    }

    /// Days since 1970-01-01 (negative before it).
    pub fn days_since_epoch(self) -> i64 {
        // Howard Hinnant's days_from_civil.
        let (m, d) = (i64::from(self.month), i64::from(self.day));
        let y = i64::from(self.year) - i64::from(m <= 2);
        let era = y.div_euclid(400);
        let yoe = y.rem_euclid(400);
        let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date `days` after 1970-01-01; `days` must come from an instant (|days| < 2^37), so
    /// that the year fits an `i32`.
    pub(crate) fn from_days_since_epoch(days: i64) -> CivilDate {
        // Howard Hinnant's civil_from_days.
        let z = days.saturating_add(719_468);
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        CivilDate { year, month, day }
    }
}

impl fmt::Display for CivilDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A wall-clock time in IST, to the minute (what a receipt prints).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct IstDateTime {
    pub date: CivilDate,
    pub hour: u32,
    pub minute: u32,
}

impl IstDateTime {
    /// The IST date and time of an instant. Instants within 5:30 of `i64::MAX` saturate.
    pub fn of(at: UnixMillis) -> IstDateTime {
        let local = at.saturating_add(IST_OFFSET_MILLIS);
        let date = CivilDate::from_days_since_epoch(local.div_euclid(DAY_MILLIS));
        let minutes = local.rem_euclid(DAY_MILLIS) / 60_000;
        IstDateTime { date, hour: (minutes / 60) as u32, minute: (minutes % 60) as u32 }
    }
}

impl fmt::Display for IstDateTime {
    /// `2026-05-14 10:30 IST`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {:02}:{:02} IST", self.date, self.hour, self.minute)
    }
}

/// The IST calendar date of an instant.
pub fn ist_date(at: UnixMillis) -> CivilDate {
    IstDateTime::of(at).date
}

/// An Indian financial year, from 1 April of `start_year` to 31 March of the next year (IST).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FinancialYear {
    pub start_year: i32,
}

impl FinancialYear {
    /// The financial year an instant falls in, by its IST date.
    pub fn of(at: UnixMillis) -> FinancialYear {
        FinancialYear::of_date(ist_date(at))
    }

    /// The financial year of a calendar date.
    pub fn of_date(date: CivilDate) -> FinancialYear {
        let start_year = if date.month >= 4 { date.year } else { date.year - 1 };
        FinancialYear { start_year }
    }

    /// The first instant of the year: 1 April, 00:00 IST.
    pub fn start_millis(self) -> UnixMillis {
        let days = CivilDate { year: self.start_year, month: 4, day: 1 }.days_since_epoch();
        days * DAY_MILLIS - IST_OFFSET_MILLIS
    }

    /// The first instant after the year (the next year's start): the year is
    /// `start_millis() <= at < end_millis()`.
    pub fn end_millis(self) -> UnixMillis {
        FinancialYear { start_year: self.start_year + 1 }.start_millis()
    }
}

impl fmt::Display for FinancialYear {
    /// `2026-27`; the year after 2099-00 is 2100-01.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{:02}", self.start_year, (self.start_year + 1).rem_euclid(100))
    }
}

/// The financial year of an instant as `2026-27` (IST dates).
pub fn financial_year(at: UnixMillis) -> String {
    FinancialYear::of(at).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Unix millis of an IST wall-clock time, computed independently of the code under test
    /// (these were checked with Python's `datetime` and a +05:30 zone).
    const IST_2027_03_31_2300: UnixMillis = 1_806_514_200_000;
    const IST_2027_04_01_0010: UnixMillis = 1_806_518_400_000;
    const UTC_2027_03_31_1900: UnixMillis = 1_806_519_600_000;
    const UTC_2027_03_31_182959_999: UnixMillis = 1_806_517_799_999;
    const IST_2026_04_01_0000: UnixMillis = 1_774_981_800_000;

    #[test]
    fn the_last_evening_of_march_belongs_to_the_old_year() {
        assert_eq!(financial_year(IST_2027_03_31_2300), "2026-27");
    }

    #[test]
    fn the_first_minutes_of_april_belong_to_the_new_year() {
        assert_eq!(financial_year(IST_2027_04_01_0010), "2027-28");
    }

    #[test]
    fn an_evening_in_utc_can_already_be_april_in_india() {
        // 19:00 UTC on 31 March is 00:30 IST on 1 April.
        assert_eq!(IstDateTime::of(UTC_2027_03_31_1900).to_string(), "2027-04-01 00:30 IST");
        assert_eq!(financial_year(UTC_2027_03_31_1900), "2027-28");
        // One millisecond before IST midnight is still March.
        assert_eq!(ist_date(UTC_2027_03_31_182959_999).to_string(), "2027-03-31");
        assert_eq!(financial_year(UTC_2027_03_31_182959_999), "2026-27");
        assert_eq!(financial_year(UTC_2027_03_31_182959_999 + 1), "2027-28");
    }

    #[test]
    fn a_year_runs_from_april_first_midnight_ist_to_the_next() {
        let fy = FinancialYear::of(IST_2026_04_01_0000);
        assert_eq!(fy, FinancialYear { start_year: 2026 });
        assert_eq!(fy.start_millis(), IST_2026_04_01_0000);
        assert_eq!(fy.end_millis(), UTC_2027_03_31_182959_999 + 1);
        assert_eq!(financial_year(IST_2026_04_01_0000 - 1), "2025-26");
    }

    #[test]
    fn labels_use_two_digits_for_the_second_year() {
        let label = |start_year| FinancialYear { start_year }.to_string();
        assert_eq!(label(2026), "2026-27");
        assert_eq!(label(2008), "2008-09");
        assert_eq!(label(2099), "2099-00");
        assert_eq!(label(1999), "1999-00");
    }

    #[test]
    fn january_to_march_belong_to_the_year_that_began_the_april_before() {
        let fy = |y, m, d| FinancialYear::of_date(CivilDate::new(y, m, d).unwrap()).to_string();
        assert_eq!(fy(2027, 1, 1), "2026-27");
        assert_eq!(fy(2028, 2, 29), "2027-28");
        assert_eq!(fy(2026, 12, 31), "2026-27");
    }

    #[test]
    fn dates_round_trip_through_day_numbers() {
        assert_eq!(CivilDate::from_days_since_epoch(0).to_string(), "1970-01-01");
        assert_eq!(CivilDate::from_days_since_epoch(-1).to_string(), "1969-12-31");
        assert_eq!(CivilDate::new(2000, 3, 1).unwrap().days_since_epoch(), 11_017);
        for days in (-800_000..800_000).step_by(37) {
            let date = CivilDate::from_days_since_epoch(days);
            assert_eq!(CivilDate::new(date.year, date.month, date.day), Some(date));
            assert_eq!(date.days_since_epoch(), days);
        }
    }

    #[test]
    fn impossible_dates_are_refused() {
        assert_eq!(CivilDate::new(2026, 2, 29), None);
        assert_eq!(CivilDate::parse("2026-05-14"), CivilDate::new(2026, 5, 14));
        assert_eq!(CivilDate::parse(" 2024-02-29 "), CivilDate::new(2024, 2, 29));
        for bad in ["2026-02-29", "2026-5-14", "14-05-2026", "2026-05-14x", "", "२०२६-05-14"] {
            assert_eq!(CivilDate::parse(bad), None, "{bad}");
        }
        assert_eq!(CivilDate::new(2026, 4, 31), None);
        assert_eq!(CivilDate::new(2026, 13, 1), None);
        assert_eq!(CivilDate::new(2026, 0, 1), None);
        assert_eq!(CivilDate::new(2026, 1, 0), None);
        assert!(CivilDate::new(2024, 2, 29).is_some());
        assert!(CivilDate::new(2000, 2, 29).is_some());
        assert_eq!(CivilDate::new(1900, 2, 29), None);
    }

    #[test]
    fn extreme_instants_do_not_panic() {
        assert_eq!(IstDateTime::of(i64::MAX).date.year, 292_278_994);
        assert!(IstDateTime::of(i64::MIN).date.year < -292_000_000);
    }
}
