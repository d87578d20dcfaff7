//! How well a worker's trade fits an opening's trade, 0..1.
//!
//! The reviewed table `sql/seed/occupation_relatedness.csv` says which trades can stand in for
//! which (a 中式面点师 can do a cook's job at 0.5; a 钢筋工 is no 架子工: fit 0). For a trade the
//! table speaks for (it appears as a `to_code`), the table is the whole truth: a worker of a trade
//! it does not list is not a candidate. Only for trades it does not cover do code prefixes stand
//! in, and lower than an exact code: the same unit group fits 0.4. Below [`MIN_FIT`] a worker is
//! not a candidate at all, so a short list stays short instead of filling up with other trades.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde::Serialize;
use utoipa::ToSchema;

use super::columns::code_number;

/// The least fit (after a nice-to-have's discount) that makes a worker a candidate.
pub const MIN_FIT: f32 = 0.3;
/// Fallback for trades the table does not cover: the same unit group (6-18-02).
pub const UNIT_GROUP_FIT: f32 = 0.4;
/// A worker registered only under a group (6-29-01-00, "construction worker") that contains
/// the opening's trade.
pub const WORKER_GROUP_FIT: f32 = 0.5;

/// Why a worker's trade fits an opening's trade.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    /// The very code.
    SameOccupation,
    /// The opening chose a group (4-03-02-00) and the worker's trade lies inside it.
    InsideChosenGroup,
    /// A reviewed stand-in from the relatedness table.
    StandIn,
    /// The worker is registered under a group containing the opening's trade.
    WorkerGroup,
    /// Not in the table, and the table does not cover the opening's trade: same unit group.
    SameUnitGroup,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Link {
    pub fit: f32,
    pub relation: Relation,
    /// The table's reason, for stand-ins.
    pub reason: Option<Arc<str>>,
}

/// The prefix a group code stands for ("4-03-02-00" → "4-03-02"), or `None` for an occupation.
/// CSCO 2022 has a few occupations numbered like a unit group (6-30-01-00); each is the only
/// member of its unit group, so treating it as that group admits exactly itself.
pub fn group_prefix(code: &str) -> Option<&str> {
    if code.len() != 10 {
        None
    } else if code.ends_with("-00-00-00") {
        Some(&code[..1])
    } else if code.ends_with("-00-00") {
        Some(&code[..4])
    } else if code.ends_with("-00") {
        Some(&code[..7])
    } else {
        None
    }
}

/// [`group_prefix`] on code numbers (`columns::code_number`: 6-29-01-00 → 6290100): what the
/// group's members share once divided by this, or `None` for an occupation.
fn group_divisor(code: u32) -> Option<u32> {
    [1_000_000, 10_000, 100]
        .into_iter()
        .find(|d| code.is_multiple_of(*d))
}

fn inside(code: u32, group: u32) -> bool {
    group_divisor(group).is_some_and(|d| code != group && code / d == group / d)
}

fn same_unit_group(a: u32, b: u32) -> bool {
    a / 100 == b / 100
}

/// Keyed by code numbers: the ranking asks for a thousand pairs a request, and a pair of
/// strings to hash (and to allocate for the lookup) was most of what a link cost.
#[derive(Default)]
pub struct Relatedness {
    pairs: HashMap<(u32, u32), (f32, Arc<str>)>,
    covered: HashSet<u32>,
    /// to_code → the from_codes that can stand in (fit ≥ MIN_FIT), and their fit.
    stand_ins: HashMap<String, Vec<(String, f32)>>,
    /// from_code → the to_codes it can stand in for (fit ≥ MIN_FIT), and their fit.
    stands_in_for: HashMap<String, Vec<(String, f32)>>,
}

impl Relatedness {
    /// From (from_code, to_code, fit, reason) rows.
    pub fn from_rows(rows: impl IntoIterator<Item = (String, String, f32, String)>) -> Self {
        let mut r = Relatedness::default();
        for (from, to, fit, reason) in rows {
            let (Some(from_number), Some(to_number)) = (code_number(&from), code_number(&to))
            else {
                // The seed's test holds every code to the catalogue; nothing else reaches here.
                continue;
            };
            r.covered.insert(to_number);
            if fit >= MIN_FIT {
                r.stand_ins
                    .entry(to.clone())
                    .or_default()
                    .push((from.clone(), fit));
                r.stands_in_for
                    .entry(from.clone())
                    .or_default()
                    .push((to.clone(), fit));
            }
            r.pairs
                .insert((from_number, to_number), (fit, Arc::from(reason.as_str())));
        }
        r
    }

    /// The table as compiled into the binary (tests and tools; the service reads PostgreSQL).
    pub fn from_seed() -> anyhow::Result<Self> {
        Ok(Self::from_rows(
            crate::db::seed::relatedness_rows()?
                .into_iter()
                .map(|r| (r.from_code, r.to_code, r.fit, r.reason)),
        ))
    }

    pub async fn load(client: &impl tokio_postgres::GenericClient) -> anyhow::Result<Self> {
        let rows = client
            .query(
                "SELECT from_code, to_code, fit, reason FROM occupation_relatedness",
                &[],
            )
            .await?;
        Ok(Self::from_rows(
            rows.iter()
                .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3))),
        ))
    }

    /// Whether the table speaks for `opening_code` (then it alone decides stand-ins).
    pub fn covers(&self, opening_code: &str) -> bool {
        code_number(opening_code).is_some_and(|n| self.covered.contains(&n))
    }

    /// How a worker of `worker_code` fits a job of `opening_code`; `None`: not at all.
    pub fn link(&self, worker_code: &str, opening_code: &str) -> Option<Link> {
        match (code_number(worker_code), code_number(opening_code)) {
            (Some(w), Some(o)) => self.link_numbers(w, o),
            _ => None,
        }
    }

    /// [`Relatedness::link`] of code numbers.
    pub fn link_numbers(&self, worker_code: u32, opening_code: u32) -> Option<Link> {
        let link = |fit, relation| {
            Some(Link {
                fit,
                relation,
                reason: None,
            })
        };
        if worker_code == opening_code {
            return link(1.0, Relation::SameOccupation);
        }
        if inside(worker_code, opening_code) {
            return link(1.0, Relation::InsideChosenGroup);
        }
        if let Some((fit, reason)) = self.pairs.get(&(worker_code, opening_code)) {
            return (*fit >= MIN_FIT).then(|| Link {
                fit: *fit,
                relation: Relation::StandIn,
                reason: Some(reason.clone()),
            });
        }
        if inside(opening_code, worker_code) {
            return link(WORKER_GROUP_FIT, Relation::WorkerGroup);
        }
        if !self.covered.contains(&opening_code)
            && group_divisor(opening_code).is_none()
            && same_unit_group(worker_code, opening_code)
        {
            return link(UNIT_GROUP_FIT, Relation::SameUnitGroup);
        }
        None
    }

    /// Whether the table says outright that a worker of `worker_code` cannot do a job of
    /// `opening_code` (a reviewed pair below [`MIN_FIT`]: another trade, its certificate does
    /// not carry over), as opposed to saying nothing about the pair.
    pub fn rules_out(&self, worker_code: &str, opening_code: &str) -> bool {
        let (Some(w), Some(o)) = (code_number(worker_code), code_number(opening_code)) else {
            return false;
        };
        self.pairs
            .get(&(w, o))
            .is_some_and(|(fit, _)| *fit < MIN_FIT)
    }

    /// Trades that can stand in for `opening_code` at `min` or better.
    pub fn stand_ins(&self, opening_code: &str, min: f32) -> impl Iterator<Item = &str> {
        self.stand_ins
            .get(opening_code)
            .into_iter()
            .flatten()
            .filter(move |(_, fit)| *fit >= min)
            .map(|(code, _)| code.as_str())
    }

    /// Trades a worker of `worker_code` can stand in for at `min` or better.
    pub fn stands_in_for(&self, worker_code: &str, min: f32) -> impl Iterator<Item = &str> {
        self.stands_in_for
            .get(worker_code)
            .into_iter()
            .flatten()
            .filter(move |(_, fit)| *fit >= min)
            .map(|(code, _)| code.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_names_real_occupations_once_each_with_a_reason() {
        let occupations: HashMap<String, String> =
            csv::Reader::from_reader(crate::db::seed::OCCUPATIONS_CSV.as_bytes())
                .records()
                .map(|r| r.unwrap())
                .map(|r| (r[1].to_string(), r[0].to_string()))
                .collect();
        let rows = crate::db::seed::relatedness_rows().unwrap();
        assert!(rows.len() > 150, "the program's trades are covered");
        let mut seen = HashSet::new();
        for r in &rows {
            for code in [&r.from_code, &r.to_code] {
                assert_eq!(
                    occupations.get(code).map(String::as_str),
                    Some("4"),
                    "{code} is a CSCO 2022 occupation (level 4)"
                );
            }
            assert_ne!(r.from_code, r.to_code);
            assert!((0.0..1.0).contains(&r.fit), "{r:?}");
            assert!(!r.reason.trim().is_empty() && !r.source.trim().is_empty());
            assert!(seen.insert((&r.from_code, &r.to_code)), "{r:?} twice");
        }
    }

    #[test]
    fn stand_ins_from_the_table_and_refusals_it_records() {
        let r = Relatedness::from_seed().unwrap();
        let fit = |w: &str, o: &str| r.link(w, o).map(|l| l.fit);
        // A noodle and pastry cook can do a cook's job, and the reverse.
        assert_eq!(fit("4-03-02-02", "4-03-02-01"), Some(0.5));
        assert_eq!(fit("4-03-02-01", "4-03-02-02"), Some(0.5));
        // Same unit group, but no stand-ins: a waiter for a cook, a rebar worker for a
        // scaffolder, a forklift driver for an excavator (and back), a caster for a welder.
        assert_eq!(fit("4-03-02-05", "4-03-02-01"), None);
        assert_eq!(fit("6-29-01-04", "6-29-01-05"), None);
        assert_eq!(fit("6-30-05-01", "6-30-05-05"), None);
        assert_eq!(fit("6-30-05-05", "6-30-05-01"), None);
        assert_eq!(fit("6-18-02-01", "6-18-02-04"), None);
        // A covered trade admits only the stand-ins listed: a bricklayer is no scaffolder.
        assert!(r.covers("6-29-01-05"));
        assert_eq!(fit("6-29-01-02", "6-29-01-05"), None);
        let link = r.link("4-14-01-02", "4-10-01-05").unwrap();
        assert_eq!(link.relation, Relation::StandIn);
        assert!(link.reason.is_some());
    }

    #[test]
    fn code_numbers_group_as_code_strings_do() {
        let codes: Vec<String> =
            csv::Reader::from_reader(crate::db::seed::OCCUPATIONS_CSV.as_bytes())
                .records()
                .map(|r| r.unwrap()[1].to_string())
                .collect();
        let n = |c: &str| code_number(c).unwrap();
        for c in &codes {
            assert_eq!(
                group_divisor(n(c)).is_some(),
                group_prefix(c).is_some(),
                "{c}"
            );
        }
        // Every pair of a sample against the string rules they replace.
        for a in codes.iter().step_by(7) {
            for b in codes.iter().step_by(5) {
                let inside_text =
                    group_prefix(b).is_some_and(|prefix| a != b && a.starts_with(prefix));
                assert_eq!(inside(n(a), n(b)), inside_text, "{a} in {b}");
                assert_eq!(same_unit_group(n(a), n(b)), a[..7] == b[..7], "{a} {b}");
            }
        }
    }

    #[test]
    fn prefixes_only_where_the_table_is_silent_and_groups() {
        let r = Relatedness::from_rows(Vec::new());
        assert_eq!(
            r.link("6-18-02-02", "6-18-02-01").map(|l| l.relation),
            Some(Relation::SameUnitGroup)
        );
        // The same minor group is too far.
        assert_eq!(r.link("6-18-01-01", "6-18-02-01"), None);
        // An opening for a group takes everyone inside it.
        let inside = r.link("6-29-01-04", "6-29-01-00").unwrap();
        assert_eq!(
            (inside.fit, inside.relation),
            (1.0, Relation::InsideChosenGroup)
        );
        assert_eq!(r.link("6-29-01-04", "6-00-00-00").map(|l| l.fit), Some(1.0));
        // A worker registered under a group is a weaker fit for a trade inside it.
        assert_eq!(
            r.link("6-29-01-00", "6-29-01-04").map(|l| l.fit),
            Some(WORKER_GROUP_FIT)
        );
        assert_eq!(group_prefix("4-03-02-00"), Some("4-03-02"));
        assert_eq!(group_prefix("4-03-02-01"), None);
    }
}
