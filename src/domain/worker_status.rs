//! A worker's status: available to be matched, placed in a job, or unavailable. "Placed" is the
//! program's to set: a placement sets it and ending the placement clears it. Through the
//! profile, a worker may only go between available and unavailable; program staff may set any
//! status (to correct a record, or register someone already at work).

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkerStatus {
    Available,
    Placed,
    Unavailable,
}

/// Who changes the status through a profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusActor {
    /// The worker, on their own profile.
    Worker,
    /// Officers and admins.
    Program,
}

/// A status change refused, with the statuses the actor could choose instead.
#[derive(Debug, PartialEq, Eq)]
pub struct StatusRefused {
    pub from: WorkerStatus,
    pub to: WorkerStatus,
    pub allowed: Vec<&'static str>,
}

impl WorkerStatus {
    pub const ALL: [WorkerStatus; 3] = [
        WorkerStatus::Available,
        WorkerStatus::Placed,
        WorkerStatus::Unavailable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            WorkerStatus::Available => "available",
            WorkerStatus::Placed => "placed",
            WorkerStatus::Unavailable => "unavailable",
        }
    }

    pub fn parse(raw: &str) -> Option<WorkerStatus> {
        WorkerStatus::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// Statuses `by` may give a worker whose status is `self`.
    pub fn choices(self, by: StatusActor) -> Vec<WorkerStatus> {
        use WorkerStatus::*;
        match (by, self) {
            (StatusActor::Program, _) => WorkerStatus::ALL.to_vec(),
            (StatusActor::Worker, Placed) => vec![Placed],
            (StatusActor::Worker, Available | Unavailable) => vec![Available, Unavailable],
        }
    }

    /// Checks a profile's status change.
    pub fn change(self, to: WorkerStatus, by: StatusActor) -> Result<WorkerStatus, StatusRefused> {
        let choices = self.choices(by);
        if choices.contains(&to) {
            Ok(to)
        } else {
            Err(StatusRefused {
                from: self,
                to,
                allowed: choices.into_iter().map(WorkerStatus::as_str).collect(),
            })
        }
    }
}

/// The status of a new profile: available unless the program registers otherwise; a worker
/// signing up cannot start out placed.
pub fn initial(
    requested: Option<WorkerStatus>,
    by: StatusActor,
) -> Result<WorkerStatus, StatusRefused> {
    let to = requested.unwrap_or(WorkerStatus::Available);
    WorkerStatus::Available.change(to, by)
}

#[cfg(test)]
mod tests {
    use super::StatusActor::*;
    use super::WorkerStatus::*;
    use super::*;

    #[test]
    fn placed_is_the_programs() {
        assert!(Placed.change(Available, Worker).is_err());
        assert!(Available.change(Placed, Worker).is_err());
        assert_eq!(Placed.change(Placed, Worker), Ok(Placed));
        assert_eq!(Available.change(Unavailable, Worker), Ok(Unavailable));
        assert_eq!(Placed.change(Available, Program), Ok(Available));
        let refused = Placed.change(Available, Worker).unwrap_err();
        assert_eq!(refused.allowed, vec!["placed"]);
        assert!(initial(Some(Placed), Worker).is_err());
        assert_eq!(initial(Some(Placed), Program), Ok(Placed));
        assert_eq!(initial(None, Worker), Ok(Available));
    }
}
