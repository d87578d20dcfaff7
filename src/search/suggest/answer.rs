//! From summed evidence to an answer: group candidates hand their score to the best occupation
//! inside them, scores become calibrated probabilities, and a unit or minor group leads the
//! answer when no occupation is confident but the group is.

use std::collections::HashMap;

use super::vocabulary::{Occupation, LEAF_LEVEL};
use super::{Granularity, Suggestion};

/// Softmax temperature turning summed evidence into probabilities, and the score of "none of
/// these" (a weak best match is not a confident one); set so that on the alias hold-out the
/// stated confidence matches how often the answer is right (see BENCHMARKS.md).
const TEMPERATURE: f32 = 0.8;
const NONE_SCORE: f32 = 1.5;
/// An occupation below this confidence is not a sure answer...
const LEAF_SURE: f32 = 0.15;
/// ...and then a group containing it at this confidence or more leads the answer.
const GROUP_SURE: f32 = 0.45;
/// What a group candidate hands down is a little less than its own score, so an occupation
/// with evidence of its own ranks above one only standing in for its group.
const GROUP_HANDOFF: f32 = 0.05;

/// The catalogue's tree as the answer needs it.
pub(super) struct Tree {
    /// For each candidate: the occupations inside it (groups), empty for occupations.
    inside: Vec<Vec<usize>>,
    /// For each occupation: its unit group and minor group candidates, most specific first.
    groups_of: Vec<Vec<usize>>,
}

/// The prefix a group code stands for at its level ("4-01-02-00" at level 3 → "4-01-02-").
fn prefix(code: &str, level: i16) -> Option<String> {
    let keep = match level {
        1 => 1,
        2 => 4,
        3 => 7,
        _ => return None,
    };
    code.get(..keep).map(|p| format!("{p}-"))
}

impl Tree {
    pub(super) fn build(occupations: &[Occupation]) -> Tree {
        let mut inside = vec![Vec::new(); occupations.len()];
        let mut groups_of = vec![Vec::new(); occupations.len()];
        for (g, group) in occupations.iter().enumerate() {
            let Some(p) = prefix(&group.code, group.level) else {
                continue;
            };
            for (o, occupation) in occupations.iter().enumerate() {
                if occupation.level == LEAF_LEVEL && occupation.code.starts_with(&p) {
                    inside[g].push(o);
                    groups_of[o].push(g);
                }
            }
        }
        for groups in &mut groups_of {
            groups.sort_by_key(|g| std::cmp::Reverse(occupations[*g].level));
        }
        Tree { inside, groups_of }
    }
}

/// Ranks the occupations and, when allowed and unsure, puts a group first.
pub(super) fn answer(
    occupations: &[Occupation],
    tree: &Tree,
    totals: HashMap<usize, f32>,
    limit: usize,
    granularity: Granularity,
) -> Vec<Suggestion> {
    let mut leaves: HashMap<usize, f32> = totals
        .iter()
        .filter(|(o, _)| occupations[**o].level == LEAF_LEVEL)
        .map(|(o, s)| (*o, *s))
        .collect();
    let mut groups: Vec<(usize, f32)> = totals
        .iter()
        .filter(|(o, _)| occupations[**o].level != LEAF_LEVEL)
        .map(|(o, s)| (*o, *s))
        .collect();
    groups.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    for (g, score) in groups {
        // The best occupation inside the group so far, else its first by code.
        let best = tree.inside[g].iter().copied().max_by(|a, b| {
            let sa = leaves.get(a).copied().unwrap_or(f32::MIN);
            let sb = leaves.get(b).copied().unwrap_or(f32::MIN);
            sa.total_cmp(&sb).then(b.cmp(a))
        });
        if let Some(leaf) = best {
            let handed = score - GROUP_HANDOFF;
            let own = leaves.entry(leaf).or_insert(handed);
            *own = own.max(handed);
        }
    }
    let mut ranked: Vec<(usize, f32)> = leaves.into_iter().collect();
    ranked.sort_by(|a, b| {
        b.1.total_cmp(&a.1)
            .then_with(|| occupations[a.0].code.cmp(&occupations[b.0].code))
    });
    let confidence = calibrate(&ranked);
    let suggestion = |ord: usize, score: f32, confidence: f32| Suggestion {
        code: occupations[ord].code.clone(),
        name: occupations[ord].name.clone(),
        level: occupations[ord].level,
        score,
        confidence,
    };
    let mut out: Vec<Suggestion> = Vec::with_capacity(limit);
    if granularity == Granularity::GroupsWhenUnsure {
        if let Some((top, score)) = ranked.first().copied() {
            if confidence.get(&top).copied().unwrap_or(0.0) < LEAF_SURE {
                let sure = tree.groups_of[top].iter().find_map(|g| {
                    let mass: f32 = tree.inside[*g]
                        .iter()
                        .filter_map(|o| confidence.get(o))
                        .sum();
                    (mass >= GROUP_SURE).then_some((*g, mass))
                });
                if let Some((g, mass)) = sure {
                    out.push(suggestion(g, score, mass.min(1.0)));
                }
            }
        }
    }
    for (ord, score) in ranked {
        if out.len() >= limit {
            break;
        }
        out.push(suggestion(
            ord,
            score,
            confidence.get(&ord).copied().unwrap_or(0.0),
        ));
    }
    out
}

/// Probabilities from scores: a softmax with a "none of these" candidate.
fn calibrate(ranked: &[(usize, f32)]) -> HashMap<usize, f32> {
    let best = ranked.first().map_or(NONE_SCORE, |r| r.1).max(NONE_SCORE);
    let weight = |s: f32| ((s - best) / TEMPERATURE).exp();
    let total: f32 = ranked.iter().map(|r| weight(r.1)).sum::<f32>() + weight(NONE_SCORE);
    ranked
        .iter()
        .map(|(o, s)| (*o, weight(*s) / total))
        .collect()
}
