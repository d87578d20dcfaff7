//! An opening's status and headcount rules. Drafts are private; an open opening is matched and
//! takes applications; it is filled once as many applications are accepted as it has places;
//! closed is final.
//!
//! - A new opening is a draft or open.
//! - draft → open or closed; open → filled or closed; filled → closed, or open again when it
//!   has more places than accepted applications; closed stays closed.
//! - The headcount is never below the applications already accepted.
//! - An open opening whose places are all taken is filled (as accepting the last one does).

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpeningStatus {
    Draft,
    Open,
    Filled,
    Closed,
}

#[derive(Debug, PartialEq, Eq)]
pub enum OpeningRefused {
    /// This status change is not allowed (the allowed ones are listed).
    Transition {
        from: Option<OpeningStatus>,
        to: OpeningStatus,
        allowed: Vec<&'static str>,
    },
    /// Fewer places than applications already accepted.
    HeadcountBelowAccepted { accepted: i64 },
}

impl OpeningStatus {
    pub const ALL: [OpeningStatus; 4] = [
        OpeningStatus::Draft,
        OpeningStatus::Open,
        OpeningStatus::Filled,
        OpeningStatus::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OpeningStatus::Draft => "draft",
            OpeningStatus::Open => "open",
            OpeningStatus::Filled => "filled",
            OpeningStatus::Closed => "closed",
        }
    }

    pub fn parse(raw: &str) -> Option<OpeningStatus> {
        OpeningStatus::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// Where an employer may take an opening from here (besides staying).
    fn next(self, has_room: bool) -> Vec<OpeningStatus> {
        use OpeningStatus::*;
        match self {
            Draft => vec![Draft, Open, Closed],
            Open => vec![Open, Filled, Closed],
            Filled if has_room => vec![Filled, Open, Closed],
            Filled => vec![Filled, Closed],
            Closed => vec![Closed],
        }
    }
}

/// The status a new opening may have.
pub fn check_new(status: OpeningStatus) -> Result<OpeningStatus, OpeningRefused> {
    match status {
        OpeningStatus::Draft | OpeningStatus::Open => Ok(status),
        to => Err(OpeningRefused::Transition {
            from: None,
            to,
            allowed: vec!["draft", "open"],
        }),
    }
}

/// Checks an employer's change of an opening that has `accepted` accepted applications, and
/// answers the status it gets.
pub fn check_change(
    from: OpeningStatus,
    to: OpeningStatus,
    headcount: i32,
    accepted: i64,
) -> Result<OpeningStatus, OpeningRefused> {
    if i64::from(headcount) < accepted {
        return Err(OpeningRefused::HeadcountBelowAccepted { accepted });
    }
    let has_room = i64::from(headcount) > accepted;
    let allowed = from.next(has_room);
    if !allowed.contains(&to) {
        return Err(OpeningRefused::Transition {
            from: Some(from),
            to,
            allowed: allowed.into_iter().map(OpeningStatus::as_str).collect(),
        });
    }
    Ok(if to == OpeningStatus::Open && !has_room {
        OpeningStatus::Filled
    } else {
        to
    })
}

/// Whether accepting one more application fills the opening.
pub fn fills_on_acceptance(headcount: i32, accepted_before: i64) -> bool {
    accepted_before + 1 >= i64::from(headcount)
}

#[cfg(test)]
mod tests {
    use super::OpeningStatus::*;
    use super::*;

    #[test]
    fn filled_reopens_only_with_room() {
        assert!(matches!(
            check_change(Filled, Open, 2, 2),
            Err(OpeningRefused::Transition { .. })
        ));
        assert_eq!(check_change(Filled, Open, 3, 2), Ok(Open));
        assert_eq!(check_change(Filled, Closed, 2, 2), Ok(Closed));
        assert!(check_change(Closed, Open, 5, 0).is_err());
        assert!(check_change(Open, Draft, 5, 0).is_err());
        assert_eq!(check_change(Draft, Open, 5, 0), Ok(Open));
    }

    #[test]
    fn headcount_never_below_accepted() {
        assert_eq!(
            check_change(Filled, Filled, 1, 2),
            Err(OpeningRefused::HeadcountBelowAccepted { accepted: 2 })
        );
        // Cutting the places to those taken fills it.
        assert_eq!(check_change(Open, Open, 2, 2), Ok(Filled));
        assert!(check_new(Filled).is_err());
        assert!(fills_on_acceptance(2, 1));
        assert!(!fills_on_acceptance(3, 1));
    }
}
