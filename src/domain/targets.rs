//! Progress against a year's target: done, remaining, and whether the pace so far would reach
//! the target by the year's end (a straight line from 1 January to 31 December).

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Pace {
    pub target: i64,
    pub done: i64,
    /// target − done, never below zero.
    pub remaining: i64,
    /// What a straight line to the target has reached by the date (rounded up).
    pub expected_by_now: i64,
    /// done ≥ expected_by_now.
    pub on_pace: bool,
}

/// Days of `year` elapsed by `as_of` (inclusive), and the days in the year.
pub fn elapsed(year: i32, as_of: NaiveDate) -> (i64, i64) {
    let start = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(as_of);
    let end = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(as_of);
    let days = (end - start).num_days() + 1;
    let done = if as_of < start {
        0
    } else if as_of > end {
        days
    } else {
        (as_of - start).num_days() + 1
    };
    (done, days)
}

pub fn pace(target: i64, done: i64, year: i32, as_of: NaiveDate) -> Pace {
    let (elapsed, days) = elapsed(year, as_of);
    let expected = if days == 0 {
        target
    } else {
        (target * elapsed + days - 1) / days
    };
    Pace {
        target,
        done,
        remaining: (target - done).max(0),
        expected_by_now: expected,
        on_pace: done >= expected,
    }
}

/// The period a year's progress counts: 1 January to the date, or to 31 December once past.
pub fn counted_period(year: i32, today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let start = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(today);
    let end = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(today);
    (start, end.min(today.max(start)))
}

/// Whether `year` is a year targets may be set for (the service refuses others).
pub fn valid_year(year: i32, today: NaiveDate) -> bool {
    (2000..=2100).contains(&year) && year <= today.year() + 5
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn a_straight_line_through_the_year() {
        // 2026 has 365 days; 1 July is day 182.
        let p = pace(365, 100, 2026, d(2026, 7, 1));
        assert_eq!(p.expected_by_now, 182);
        assert!(!p.on_pace);
        assert_eq!(p.remaining, 265);
        let p = pace(365, 200, 2026, d(2026, 7, 1));
        assert!(p.on_pace);
        // Before the year nothing is expected; after it, everything.
        assert_eq!(pace(10, 0, 2027, d(2026, 7, 1)).expected_by_now, 0);
        assert!(pace(10, 0, 2027, d(2026, 7, 1)).on_pace);
        assert_eq!(pace(10, 3, 2025, d(2026, 7, 1)).expected_by_now, 10);
        // More than the target leaves nothing remaining.
        assert_eq!(pace(10, 12, 2026, d(2026, 1, 2)).remaining, 0);
        // Rounded up: one person on day one of a target of one is expected.
        assert_eq!(pace(1, 0, 2026, d(2026, 1, 1)).expected_by_now, 1);
    }

    #[test]
    fn counted_periods() {
        assert_eq!(
            counted_period(2026, d(2026, 3, 5)),
            (d(2026, 1, 1), d(2026, 3, 5))
        );
        assert_eq!(
            counted_period(2025, d(2026, 3, 5)),
            (d(2025, 1, 1), d(2025, 12, 31))
        );
        assert_eq!(
            counted_period(2027, d(2026, 3, 5)),
            (d(2027, 1, 1), d(2027, 1, 1))
        );
    }
}
