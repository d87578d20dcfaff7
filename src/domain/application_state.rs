//! The application state machine: who may move an application from which state to which.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AppState {
    Invited,
    Applied,
    Shortlisted,
    Interviewing,
    Offered,
    Accepted,
    Declined,
    Rejected,
    Withdrawn,
}

/// Which side acts: the worker (or an officer on the worker's behalf) or the employer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Worker,
    Employer,
}

impl AppState {
    pub const ALL: [AppState; 9] = [
        AppState::Invited,
        AppState::Applied,
        AppState::Shortlisted,
        AppState::Interviewing,
        AppState::Offered,
        AppState::Accepted,
        AppState::Declined,
        AppState::Rejected,
        AppState::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AppState::Invited => "invited",
            AppState::Applied => "applied",
            AppState::Shortlisted => "shortlisted",
            AppState::Interviewing => "interviewing",
            AppState::Offered => "offered",
            AppState::Accepted => "accepted",
            AppState::Declined => "declined",
            AppState::Rejected => "rejected",
            AppState::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(raw: &str) -> Option<AppState> {
        AppState::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// States reachable from here, with the side allowed to make each move.
    pub fn next(self) -> &'static [(AppState, Side)] {
        use AppState::*;
        use Side::*;
        match self {
            Invited => &[(Applied, Worker), (Declined, Worker), (Withdrawn, Employer)],
            Applied => &[
                (Shortlisted, Employer),
                (Rejected, Employer),
                (Withdrawn, Worker),
            ],
            Shortlisted => &[
                (Interviewing, Employer),
                (Rejected, Employer),
                (Withdrawn, Worker),
            ],
            Interviewing => &[
                (Offered, Employer),
                (Rejected, Employer),
                (Withdrawn, Worker),
            ],
            Offered => &[
                (Accepted, Worker),
                (Declined, Worker),
                (Withdrawn, Employer),
            ],
            Accepted | Declined | Rejected | Withdrawn => &[],
        }
    }

    /// Whether `side` may move from `self` to `to`.
    pub fn allows(self, to: AppState, side: Side) -> bool {
        self.next().iter().any(|(s, who)| *s == to && *who == side)
    }

    /// The moves open to `side` from here (for error messages and clients' buttons).
    pub fn allowed_for(self, side: Side) -> Vec<&'static str> {
        self.next()
            .iter()
            .filter(|(_, who)| *who == side)
            .map(|(s, _)| s.as_str())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::AppState::*;
    use super::*;

    #[test]
    fn the_happy_paths() {
        for (from, to, side) in [
            (Invited, Applied, Side::Worker),
            (Applied, Shortlisted, Side::Employer),
            (Shortlisted, Interviewing, Side::Employer),
            (Interviewing, Offered, Side::Employer),
            (Offered, Accepted, Side::Worker),
        ] {
            assert!(from.allows(to, side), "{from:?} -> {to:?}");
        }
    }

    #[test]
    fn forbidden_moves() {
        assert!(!Applied.allows(Accepted, Side::Worker));
        assert!(!Offered.allows(Accepted, Side::Employer));
        assert!(!Applied.allows(Shortlisted, Side::Worker));
        assert!(!Rejected.allows(Applied, Side::Worker));
        assert!(!Accepted.allows(Withdrawn, Side::Worker));
        assert_eq!(
            Offered.allowed_for(Side::Worker),
            vec!["accepted", "declined"]
        );
        for s in AppState::ALL {
            assert_eq!(AppState::parse(s.as_str()), Some(s));
        }
    }
}
