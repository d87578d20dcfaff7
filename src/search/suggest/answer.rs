//! From summed evidence to an answer: group candidates hand their score to the best occupation
//! inside them, scores become calibrated probabilities, and a unit or minor group leads the
//! answer when no occupation is confident but the group is.

use std::collections::HashMap;

use super::scoring::Weights;
use super::vocabulary::{Occupation, LEAF_LEVEL};
use super::{Granularity, OrdMap, Suggestion};

/// The catalogue's tree as the answer needs it.
pub(super) struct Tree {
    /// For each candidate: the occupations inside it (groups), empty for occupations.
    inside: Vec<Vec<usize>>,
    /// For each occupation: its unit group and minor group candidates, most specific first.
    groups_of: Vec<Vec<usize>>,
    /// For each candidate: the number of its unit group and of its minor group (by code
    /// prefix, whether or not the group is itself a candidate), and how many there are.
    unit_of: Vec<usize>,
    minor_of: Vec<usize>,
    prefixes: usize,
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
        // "4-01-02" (a unit group) and "4-01" (a minor group) never collide.
        let mut numbers: HashMap<&str, usize> = HashMap::new();
        let mut unit_of = Vec::with_capacity(occupations.len());
        let mut minor_of = Vec::with_capacity(occupations.len());
        for o in occupations {
            for (len, out) in [(7, &mut unit_of), (4, &mut minor_of)] {
                let next = numbers.len();
                out.push(
                    *numbers
                        .entry(o.code.get(..len).unwrap_or(&o.code))
                        .or_insert(next),
                );
            }
        }
        let prefixes = numbers.len();
        Tree {
            inside,
            groups_of,
            unit_of,
            minor_of,
            prefixes,
        }
    }
}

/// Ranks the occupations and, when allowed and unsure, puts a group first.
pub(super) fn answer(
    occupations: &[Occupation],
    tree: &Tree,
    totals: OrdMap<f32>,
    limit: usize,
    granularity: Granularity,
    w: &Weights,
) -> Vec<Suggestion> {
    let mut leaves: OrdMap<f32> = totals
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
            let handed = score - w.group_handoff;
            let own = leaves.entry(leaf).or_insert(handed);
            *own = own.max(handed);
        }
    }
    if w.unit_backoff != 0.0 || w.minor_backoff != 0.0 {
        back_off(tree, &mut leaves, w);
    }
    let mut ranked: Vec<(usize, f32)> = leaves.into_iter().collect();
    ranked.sort_by(|a, b| {
        b.1.total_cmp(&a.1)
            .then_with(|| occupations[a.0].code.cmp(&occupations[b.0].code))
    });
    let confidence = calibrate(&ranked, w);
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
            if confidence.get(&top).copied().unwrap_or(0.0) < w.leaf_sure {
                let sure = tree.groups_of[top].iter().find_map(|g| {
                    let mass: f32 = tree.inside[*g]
                        .iter()
                        .filter_map(|o| confidence.get(o))
                        .sum();
                    (mass >= w.group_sure).then_some((*g, mass))
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

/// Moves each occupation's score part of the way to its unit group's and its minor group's,
/// each a soft maximum (log-sum-exp at the softmax temperature) over the occupations inside
/// with evidence: a unit group many of whose occupations fit the text is likelier than a lone
/// occupation elsewhere that fits a little better, so a right-group, wrong-occupation answer
/// at least lands in the right group.
fn back_off(tree: &Tree, leaves: &mut OrdMap<f32>, w: &Weights) {
    let t = w.temperature.max(1e-3);
    let best = leaves.values().copied().fold(f32::MIN, f32::max);
    let mut sums = vec![0.0f32; tree.prefixes];
    for (o, s) in leaves.iter() {
        let weight = ((s - best) / t).exp();
        sums[tree.unit_of[*o]] += weight;
        sums[tree.minor_of[*o]] += weight;
    }
    for (o, s) in leaves.iter_mut() {
        let own = *s;
        let unit = best + t * sums[tree.unit_of[*o]].ln();
        let minor = best + t * sums[tree.minor_of[*o]].ln();
        *s += w.unit_backoff * (unit - own) + w.minor_backoff * (minor - own);
    }
}

/// Probabilities from scores: a softmax with a "none of these" candidate.
fn calibrate(ranked: &[(usize, f32)], w: &Weights) -> OrdMap<f32> {
    let none = w.none_score;
    let t = w.temperature.max(1e-3);
    let best = ranked.first().map_or(none, |r| r.1).max(none);
    let weight = |s: f32| ((s - best) / t).exp();
    let total: f32 = ranked.iter().map(|r| weight(r.1)).sum::<f32>() + weight(none);
    ranked
        .iter()
        .map(|(o, s)| (*o, weight(*s) / total))
        .collect()
}
