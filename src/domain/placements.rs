//! Placements: an accepted application becomes a placement once the worker starts work; it is
//! followed up at fixed months after the start, and ends once.

use chrono::{Months, NaiveDate};

use super::application_state::AppState;

/// Only an accepted application becomes a placement.
pub fn may_become_placement(state: AppState) -> bool {
    state == AppState::Accepted
}

/// Follow-up due dates: `months` after the start. A start on the 31st falls due on the last
/// day of shorter months (31 January + 1 month = 28/29 February).
pub fn followup_due_dates(start: NaiveDate, months: &[u32]) -> Vec<(u32, NaiveDate)> {
    months
        .iter()
        .filter_map(|m| start.checked_add_months(Months::new(*m)).map(|d| (*m, d)))
        .collect()
}

/// A placement ends on or after its start.
pub fn valid_end(start: NaiveDate, ended_on: NaiveDate) -> bool {
    ended_on >= start
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_end_starts() {
        let start = NaiveDate::from_ymd_opt(2027, 1, 31).unwrap();
        let due = followup_due_dates(start, &[1, 3, 6, 12]);
        let dates: Vec<String> = due.iter().map(|(_, d)| d.to_string()).collect();
        assert_eq!(
            dates,
            ["2027-02-28", "2027-04-30", "2027-07-31", "2028-01-31"]
        );
        let leap = followup_due_dates(NaiveDate::from_ymd_opt(2028, 1, 31).unwrap(), &[1]);
        assert_eq!(leap[0].1.to_string(), "2028-02-29");
        assert!(valid_end(start, start));
        assert!(!valid_end(start, start.pred_opt().unwrap()));
        assert!(may_become_placement(AppState::Accepted));
        assert!(!may_become_placement(AppState::Offered));
    }
}
