//! The score of one worker for one opening, and the explanation that shows every input it used.
//!
//! A score is a whole-point **band** plus less than one point of tie-breakers:
//!
//! - band = occupation + certified + experience + title words − shortfall, each part rounded to
//!   whole points: the trade's fit (stand-ins from the relatedness table), a certificate in the
//!   matched trade (worth more when the opening requires one), experience on a saturating
//!   curve, the title's own words found in the worker's notes, and a penalty for missing the
//!   opening's minimum years;
//! - inside the band, and only there: the household's equity factor, a recent certificate and
//!   the exact years within their experience step (together under one point).
//!
//! So equity orders workers of equal band and can never lift a worker above a better band.
//! Everything read here is a per-worker value (codes, certificates and their dates, years,
//! household status) or a per-opening one (see `profile`). The index keeps those values in its
//! `rank` column (see `columns`), and the collectors in `rank` rank with the very same
//! [`score_match`] over them, so the list is ranked in one pass and `score_pair` is only run for
//! the answers shown, to explain them.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use super::documents::{OpeningDoc, SkillDoc, WorkerDoc};
use super::profile::{OpeningProfile, Role};
use super::relatedness::{Relatedness, Relation, MIN_FIT};
use super::schema::day_number;
use crate::config::MatchWeights;
use crate::domain::requirements::{CertificateRule, Requirements};
use crate::domain::RegionCode;

/// Names for explanations (occupation code → name).
pub type Names = HashMap<String, String>;

/// What ranking needs besides the two documents; one per service, shared by every search.
pub struct Ranking {
    pub weights: MatchWeights,
    pub names: Names,
    pub related: Relatedness,
}

impl Ranking {
    pub async fn load(
        client: &impl tokio_postgres::GenericClient,
        weights: MatchWeights,
    ) -> anyhow::Result<Ranking> {
        let names: Names = client
            .query("SELECT code, name FROM occupations", &[])
            .await?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        Ok(Ranking {
            weights,
            names,
            related: Relatedness::load(client).await?,
        })
    }

    fn name_of(&self, code: &str) -> String {
        self.names.get(code).cloned().unwrap_or_default()
    }
}

/// Years at which each experience step begins: 0.5, 2, 4, 7, 12 years are steps 1..5. The
/// steps widen as years grow, so 1, 5 and 15 years stay apart (1, 3 and 5 points) while 15
/// and 20 years count alike.
pub const EXPERIENCE_STEPS: [f32; 5] = [0.5, 2.0, 4.0, 7.0, 12.0];
/// How many of the title's words found in the notes count.
pub const TITLE_WORDS_COUNTED: usize = 2;
/// Most points a shortfall against the opening's minimum years takes off.
pub const MAX_SHORTFALL: f32 = 3.0;
/// Tie-breaker for the exact years inside their step (the whole range: step start to end).
pub const WITHIN_STEP: f32 = 0.2;

/// Experience step (0..=5) and how far into it `years` are (0..1).
pub fn experience_step(years: f32) -> (usize, f32) {
    let years = years.max(0.0);
    let step = EXPERIENCE_STEPS.iter().filter(|s| years >= **s).count();
    let start = if step == 0 {
        0.0
    } else {
        EXPERIENCE_STEPS[step - 1]
    };
    let end = EXPERIENCE_STEPS.get(step).copied().unwrap_or(start * 2.0);
    (step, ((years - start) / (end - start)).clamp(0.0, 1.0))
}

/// A certificate's worth, as a multiple of the certified weight.
pub fn certificate_factor(rule: CertificateRule) -> f32 {
    match rule {
        CertificateRule::None => 0.5,
        CertificateRule::Preferred => 1.0,
        CertificateRule::Required => 3.0,
    }
}

pub fn equity_factor(status: Option<&str>) -> f32 {
    match status {
        Some("registered_poor") => 1.0,
        Some("monitored") => 0.6,
        _ => 0.0,
    }
}

/// Each part of a score, already weighted; `band` is the whole-point sum of the first five,
/// `total` = band + recent_training + equity + experience_within_step.
#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct ScoreParts {
    pub occupation: f32,
    pub certified: f32,
    pub experience: f32,
    pub title_words: f32,
    /// Subtracted: years short of the opening's minimum.
    pub shortfall: f32,
    pub band: f32,
    pub recent_training: f32,
    pub equity: f32,
    pub experience_within_step: f32,
    pub total: f32,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct OccupationMatch {
    pub worker_code: String,
    pub worker_occupation: String,
    pub opening_code: String,
    pub opening_occupation: String,
    /// How the opening asks for its code.
    pub role: Role,
    pub relation: Relation,
    /// How well the worker's trade fits the opening's, 0..1.
    pub fit: f32,
    /// `fit` times the role's weight (nice-to-have counts half): what the score used.
    pub weighted_fit: f32,
    /// Why a stand-in fits, from the relatedness table.
    pub reason: Option<String>,
    pub certified: bool,
    pub certified_on: Option<NaiveDate>,
    pub level: Option<i16>,
    /// The years counted: the worker's most in this occupation, from any of their skills.
    pub years_experience: f32,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RegionFit {
    pub work_region: String,
    /// The worker's accepted destination that covers it, or "*" (anywhere).
    pub accepted_as: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct WageFit {
    pub worker_minimum: i32,
    pub offered_min: i32,
    pub offered_max: i32,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct EquityFactor {
    /// registered_poor | monitored | exited | other | none
    pub household_status: String,
    /// 0..1 before weighting.
    pub factor: f32,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Explanation {
    /// The first is the match the score used; the others are the worker's next-best.
    pub occupations: Vec<OccupationMatch>,
    /// What the opening asks, and where that was read.
    pub requirements: Requirements,
    /// The title's words found in the worker's notes (the first two count).
    pub title_words: Vec<String>,
    /// Days since the scored skill was certified, when it is.
    pub certificate_age_days: Option<i64>,
    pub region: RegionFit,
    pub wage: WageFit,
    pub available_from: Option<NaiveDate>,
    pub start_date: NaiveDate,
    pub equity: EquityFactor,
    pub score: ScoreParts,
}

/// The destination of `w` that covers `work_region`, if any ("*" for anywhere).
pub fn accepted_as(w: &WorkerDoc, work_region: &str) -> Option<String> {
    let Ok(work) = RegionCode::parse(work_region) else {
        return None;
    };
    let covering = w
        .destinations
        .iter()
        .filter_map(|d| RegionCode::parse(d).ok())
        .filter(|d| d.contains(&work))
        // The most specific accepted destination explains best.
        .max_by_key(|d| (d.lineage().len(), d.as_str().to_string()));
    match covering {
        Some(d) => Some(d.as_str().to_string()),
        None if w.accept_anywhere => Some("*".into()),
        None => None,
    }
}

/// A worker's skills merged by occupation: a course certifies a skill with no years of its
/// own, and the worker's declared experience in the same occupation still counts.
pub fn merged_skills(w: &WorkerDoc) -> Vec<SkillDoc> {
    let mut merged: Vec<SkillDoc> = Vec::new();
    for s in &w.skills {
        match merged.iter_mut().find(|m| m.code == s.code) {
            Some(m) => {
                m.years = m.years.max(s.years);
                if s.certified {
                    m.level = m.level.max(s.level);
                    m.certified_on = m.certified_on.max(s.certified_on);
                    m.certified = true;
                }
            }
            None => {
                let mut s = s.clone();
                if !s.certified {
                    s.level = None;
                    s.certified_on = None;
                }
                merged.push(s);
            }
        }
    }
    merged
}

struct Scored {
    parts: ScoreParts,
    m: OccupationMatch,
}

fn points(x: f32) -> f32 {
    x.round()
}

/// What a score reads of one (merged) skill: the same values whether they come from a stored
/// document or from the index's `rank` column, so both give the same score to the bit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SkillInputs {
    pub years: f32,
    pub certified: bool,
    /// Days since 1970 of the certificate, when certified and dated.
    pub certified_day: Option<i64>,
}

impl SkillInputs {
    pub fn of(skill: &SkillDoc) -> SkillInputs {
        SkillInputs {
            years: skill.years,
            certified: skill.certified,
            certified_day: skill
                .certified_on
                .filter(|_| skill.certified)
                .map(day_number),
        }
    }
}

/// The score of one skill for one target trade at `fit` (already weighted by the role).
/// `today` is a day number (see `schema::day_number`).
#[inline]
pub fn score_match(
    skill: SkillInputs,
    fit: f32,
    title_words: usize,
    requirements: &Requirements,
    equity: f32,
    today: i64,
    weights: &MatchWeights,
) -> ScoreParts {
    let (step, within) = experience_step(skill.years);
    let occupation = points(weights.occupation * fit);
    let certified = if skill.certified {
        points(weights.certified * certificate_factor(requirements.certificate) * fit)
    } else {
        0.0
    };
    let experience = points(weights.experience * step as f32 * fit);
    let title_words = points(weights.title_words * title_words.min(TITLE_WORDS_COUNTED) as f32);
    let shortfall = if skill.years < requirements.min_years {
        points(
            weights.experience
                * (requirements.min_years - skill.years)
                    .ceil()
                    .min(MAX_SHORTFALL),
        )
    } else {
        0.0
    };
    let band = occupation + certified + experience + title_words - shortfall;
    let recent = match (skill.certified, skill.certified_day) {
        (true, Some(on)) => recency(today - on),
        _ => 0.0,
    };
    let recent_training = weights.recent_training * recent;
    let equity = weights.equity * equity;
    let experience_within_step = WITHIN_STEP * within;
    ScoreParts {
        occupation,
        certified,
        experience,
        title_words,
        shortfall,
        band,
        recent_training,
        equity,
        experience_within_step,
        total: band + recent_training + equity + experience_within_step,
    }
}

/// The share of the recent-training weight a certificate `days` old earns: all of it on its
/// day, falling to none a year on, and none for one dated ahead.
pub fn recency(days: i64) -> f32 {
    if (0..365).contains(&days) {
        1.0 - days as f32 / 365.0
    } else {
        0.0
    }
}

/// The most `score_match` can give any skill of a worker whose skills reach experience step
/// `step` at most and of which one is certified when `certified`, at a fit of `fit` at most,
/// with an equity factor of `equity` at most. Every part is monotone in the fit, the step and
/// the equity and the parts are added in the same order, so this bounds the score to the bit
/// (see `rank`, which skips workers that cannot enter).
#[inline]
pub fn score_bound(
    step: usize,
    certified: bool,
    fit: f32,
    title_words: usize,
    requirements: &Requirements,
    equity: f32,
    weights: &MatchWeights,
) -> f32 {
    let ties = TieBounds {
        recent: 1.0,
        within: 1.0,
    };
    score_bound_with(
        step,
        certified,
        fit,
        title_words,
        requirements,
        equity,
        ties,
        weights,
    )
}

/// The most a worker's tie-breakers can give, 0..1 each: how recent its latest certificate
/// is and how far into its step its years are (both as `score_match` computes them).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TieBounds {
    pub recent: f32,
    pub within: f32,
}

/// [`score_bound`] with the tie-breakers bounded too.
#[inline]
#[allow(clippy::too_many_arguments)]
pub fn score_bound_with(
    step: usize,
    certified: bool,
    fit: f32,
    title_words: usize,
    requirements: &Requirements,
    equity: f32,
    ties: TieBounds,
    weights: &MatchWeights,
) -> f32 {
    let occupation = points(weights.occupation * fit);
    let certified_points = if certified {
        points(weights.certified * certificate_factor(requirements.certificate) * fit)
    } else {
        0.0
    };
    let experience = points(weights.experience * step as f32 * fit);
    let title_words = points(weights.title_words * title_words.min(TITLE_WORDS_COUNTED) as f32);
    let band = occupation + certified_points + experience + title_words;
    let recent_training = if certified {
        weights.recent_training * ties.recent
    } else {
        0.0
    };
    band + recent_training + weights.equity * equity + WITHIN_STEP * ties.within
}

/// Exact score of a worker for an opening, with its explanation. `title_words` are the indexes
/// (into `profile.title_words`) of the title's words found in the worker's notes. `None` when
/// a hard filter fails or no trade of the worker fits well enough.
pub fn score_pair(
    profile: &OpeningProfile,
    o: &OpeningDoc,
    w: &WorkerDoc,
    title_words: &[usize],
    today: NaiveDate,
    ranking: &Ranking,
) -> Option<Explanation> {
    let accepted = accepted_as(w, &o.work_region)?;
    if o.wage_max < w.min_wage || o.deadline < today {
        return None;
    }
    if w.available_from.map(|d| d > o.start_date).unwrap_or(false) {
        return None;
    }
    let words: Vec<String> = title_words
        .iter()
        .filter_map(|i| profile.title_words.get(*i))
        .map(|t| t.word.clone())
        .collect();
    let equity = equity_factor(w.household_status.as_deref());
    let today_day = day_number(today);
    let mut scored: Vec<Scored> = Vec::new();
    for skill in merged_skills(w) {
        for target in &profile.targets {
            let Some(link) = ranking.related.link(&skill.code, &target.code) else {
                continue;
            };
            let weighted_fit = link.fit * target.role.weight();
            if weighted_fit < MIN_FIT {
                continue;
            }
            let parts = score_match(
                SkillInputs::of(&skill),
                weighted_fit,
                words.len(),
                &profile.requirements,
                equity,
                today_day,
                &ranking.weights,
            );
            scored.push(Scored {
                parts,
                m: OccupationMatch {
                    worker_code: skill.code.clone(),
                    worker_occupation: ranking.name_of(&skill.code),
                    opening_code: target.code.clone(),
                    opening_occupation: ranking.name_of(&target.code),
                    role: target.role,
                    relation: link.relation,
                    fit: link.fit,
                    weighted_fit,
                    reason: link.reason.map(|r| r.to_string()),
                    certified: skill.certified,
                    certified_on: skill.certified_on,
                    level: skill.level,
                    years_experience: skill.years,
                },
            });
        }
    }
    // Best first; ties go to the closer fit, then code order, so the choice is deterministic.
    scored.sort_by(|a, b| {
        b.parts
            .total
            .total_cmp(&a.parts.total)
            .then(b.m.weighted_fit.total_cmp(&a.m.weighted_fit))
            .then(a.m.worker_code.cmp(&b.m.worker_code))
            .then(a.m.opening_code.cmp(&b.m.opening_code))
    });
    let best = scored.first()?;
    let parts = best.parts.clone();
    let certificate_age_days = best
        .m
        .certified_on
        .filter(|_| best.m.certified)
        .map(|on| (today - on).num_days());
    let mut seen = HashSet::new();
    let occupations = scored
        .into_iter()
        .filter(|s| seen.insert((s.m.worker_code.clone(), s.m.opening_code.clone())))
        .take(5)
        .map(|s| s.m)
        .collect();
    Some(Explanation {
        occupations,
        requirements: profile.requirements.clone(),
        title_words: words,
        certificate_age_days,
        region: RegionFit {
            work_region: o.work_region.clone(),
            accepted_as: accepted,
        },
        wage: WageFit {
            worker_minimum: w.min_wage,
            offered_min: o.wage_min,
            offered_max: o.wage_max,
        },
        available_from: w.available_from,
        start_date: o.start_date,
        equity: EquityFactor {
            household_status: w.household_status.clone().unwrap_or_else(|| "none".into()),
            factor: equity,
        },
        score: parts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::profile::OpeningProfile;

    fn ranking() -> Ranking {
        Ranking {
            weights: MatchWeights::default(),
            names: Names::new(),
            related: Relatedness::from_seed().unwrap(),
        }
    }

    pub fn worker(skills: Vec<SkillDoc>, household: Option<&str>) -> WorkerDoc {
        WorkerDoc {
            household_status: household.map(str::to_string),
            skills,
            ..WorkerDoc::example()
        }
    }

    fn skill(code: &str, years: f32, certified_on: Option<NaiveDate>) -> SkillDoc {
        SkillDoc {
            code: code.into(),
            certified: certified_on.is_some(),
            level: certified_on.map(|_| 4),
            years,
            certified_on,
        }
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()
    }

    fn days_ago(n: i64) -> Option<NaiveDate> {
        Some(today() - chrono::Duration::days(n))
    }

    fn score(o: &OpeningDoc, w: &WorkerDoc) -> Option<Explanation> {
        score_pair(&OpeningProfile::of(o), o, w, &[], today(), &ranking())
    }

    fn total(o: &OpeningDoc, skills: Vec<SkillDoc>, household: Option<&str>) -> f32 {
        score(o, &worker(skills, household)).unwrap().score.total
    }

    #[test]
    fn experience_steps_saturate_but_keep_1_5_and_15_years_apart() {
        assert_eq!(experience_step(0.0).0, 0);
        assert_eq!(experience_step(1.0).0, 1);
        assert_eq!(experience_step(5.0).0, 3);
        assert_eq!(experience_step(15.0).0, 5);
        assert_eq!(experience_step(40.0), (5, 1.0));
        assert!((experience_step(3.0).1 - 0.5).abs() < 1e-6);
    }

    #[test]
    fn years_outweigh_a_fresh_certificate_unless_one_is_required() {
        let o = OpeningDoc::example();
        let novice = total(&o, vec![skill("6-18-02-04", 0.5, days_ago(20))], None);
        let veteran = total(&o, vec![skill("6-18-02-04", 20.0, None)], None);
        assert!(veteran > novice, "{veteran} > {novice}");
        // Certified 5 years beats certified last month with none.
        let fresh = total(&o, vec![skill("6-18-02-04", 0.0, days_ago(10))], None);
        let seasoned = total(&o, vec![skill("6-18-02-04", 5.0, days_ago(900))], None);
        assert!(seasoned > fresh);
        // 持证上岗: any certified welder above an uncertified one.
        let mut required = OpeningDoc::example();
        required.requirements.certificate = CertificateRule::Required;
        let certified = total(
            &required,
            vec![skill("6-18-02-04", 1.0, days_ago(400))],
            None,
        );
        let uncertified = total(&required, vec![skill("6-18-02-04", 20.0, None)], None);
        assert!(certified > uncertified);
    }

    #[test]
    fn a_minimum_of_years_pushes_novices_down() {
        let mut o = OpeningDoc::example();
        let trainee = || vec![skill("6-18-02-04", 0.2, days_ago(30))];
        let hand = || vec![skill("6-18-02-04", 4.0, None)];
        let without = total(&o, hand(), None) - total(&o, trainee(), None);
        o.requirements.min_years = 2.0;
        let with = total(&o, hand(), None) - total(&o, trainee(), None);
        assert!(with > without + 1.5, "{with} vs {without}");
    }

    #[test]
    fn equity_orders_a_band_and_never_crosses_one() {
        let o = OpeningDoc::example();
        let helper_poor = score(
            &o,
            &worker(
                vec![skill("6-18-02-04", 1.0, None)],
                Some("registered_poor"),
            ),
        )
        .unwrap();
        let veteran = score(&o, &worker(vec![skill("6-18-02-04", 6.0, None)], None)).unwrap();
        assert!(veteran.score.band > helper_poor.score.band);
        assert!(veteran.score.total > helper_poor.score.total);
        let poor = score(
            &o,
            &worker(
                vec![skill("6-18-02-04", 6.0, None)],
                Some("registered_poor"),
            ),
        )
        .unwrap();
        assert_eq!(poor.score.band, veteran.score.band);
        assert!(poor.score.total > veteran.score.total);
        assert_eq!(poor.equity.factor, 1.0);
        // Less than a point of tie-breakers, whatever they are.
        let most = score(
            &o,
            &worker(
                vec![skill("6-18-02-04", 11.9, days_ago(0))],
                Some("registered_poor"),
            ),
        )
        .unwrap();
        assert!(most.score.total - most.score.band < 1.0);
    }

    #[test]
    fn stand_ins_from_the_table_rank_below_the_trade_and_others_not_at_all() {
        let mut o = OpeningDoc::example();
        o.required = vec!["4-03-02-02".into()];
        let lamian = total(&o, vec![skill("4-03-02-02", 5.0, None)], None);
        let cook = total(&o, vec![skill("4-03-02-01", 9.0, days_ago(30))], None);
        assert!(lamian > cook);
        let waiter = score(&o, &worker(vec![skill("4-03-02-05", 5.0, None)], None));
        assert!(waiter.is_none());
        let explained = score(&o, &worker(vec![skill("4-03-02-01", 9.0, None)], None)).unwrap();
        assert_eq!(explained.occupations[0].relation, Relation::StandIn);
        assert_eq!(explained.occupations[0].fit, 0.5);
        assert!(explained.occupations[0].reason.is_some());
    }

    #[test]
    fn a_certified_skill_explains_the_years_that_counted() {
        let o = OpeningDoc::example();
        // A course certifies with 0 years; the declared 9 years in the same trade count.
        let w = worker(
            vec![
                skill("6-18-02-04", 9.0, None),
                skill("6-18-02-04", 0.0, days_ago(100)),
            ],
            None,
        );
        let e = score(&o, &w).unwrap();
        assert_eq!(e.occupations.len(), 1);
        assert_eq!(e.occupations[0].years_experience, 9.0);
        assert!(e.occupations[0].certified);
        assert_eq!(e.certificate_age_days, Some(100));
        assert_eq!(e.score.experience, 4.0);
    }

    #[test]
    fn the_bound_is_never_below_a_score() {
        let weights = MatchWeights::default();
        let today = day_number(today());
        for rule in [
            CertificateRule::None,
            CertificateRule::Preferred,
            CertificateRule::Required,
        ] {
            let requirements = Requirements {
                certificate: rule,
                min_years: 1.5,
                ..Requirements::default()
            };
            for years in [0.0, 0.3, 0.5, 1.9, 2.0, 3.7, 6.99, 7.0, 11.9, 12.0, 30.0] {
                for certified_day in [None, Some(today), Some(today - 100), Some(today - 900)] {
                    for fit in [0.3, 0.4, 0.5, 0.6, 0.85, 1.0] {
                        for words in 0..4 {
                            let skill = SkillInputs {
                                years,
                                certified: certified_day.is_some(),
                                certified_day,
                            };
                            let total =
                                score_match(skill, fit, words, &requirements, 1.0, today, &weights)
                                    .total;
                            let step = experience_step(years).0;
                            for best_fit in [fit, 1.0] {
                                let bound = score_bound(
                                    step,
                                    skill.certified,
                                    best_fit,
                                    words,
                                    &requirements,
                                    1.0,
                                    &weights,
                                );
                                assert!(bound >= total, "{bound} < {total} for {skill:?} {fit}");
                            }
                            // Its own tie-breakers, as exact as `score_match` computes
                            // them, bound it too (and equal it without a shortfall).
                            let recent = match certified_day {
                                Some(on) if (0..365).contains(&(today - on)) => {
                                    1.0 - (today - on) as f32 / 365.0
                                }
                                _ => 0.0,
                            };
                            let ties = TieBounds {
                                recent,
                                within: experience_step(years).1,
                            };
                            let bound = score_bound_with(
                                step,
                                skill.certified,
                                fit,
                                words,
                                &requirements,
                                1.0,
                                ties,
                                &weights,
                            );
                            assert!(bound >= total, "{bound} < {total} for {skill:?} {ties:?}");
                            if years >= requirements.min_years {
                                assert_eq!(bound, total, "{skill:?} {ties:?}");
                            }
                            // The worker's own equity bounds as tightly, to the bit.
                            for equity in [0.0, 0.6, 1.0] {
                                let total = score_match(
                                    skill,
                                    fit,
                                    words,
                                    &requirements,
                                    equity,
                                    today,
                                    &weights,
                                )
                                .total;
                                let bound = score_bound(
                                    step,
                                    skill.certified,
                                    fit,
                                    words,
                                    &requirements,
                                    equity,
                                    &weights,
                                );
                                assert!(bound >= total, "{bound} < {total} at equity {equity}");
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn hard_filters() {
        let o = OpeningDoc::example();
        let mut elsewhere = worker(vec![skill("6-18-02-04", 2.0, None)], None);
        elsewhere.destinations = vec!["330000".into()];
        assert!(score(&o, &elsewhere).is_none());
        let mut greedy = worker(vec![skill("6-18-02-04", 2.0, None)], None);
        greedy.min_wage = 9001;
        assert!(score(&o, &greedy).is_none());
        let mut late = worker(vec![skill("6-18-02-04", 2.0, None)], None);
        late.available_from = NaiveDate::from_ymd_opt(2027, 1, 1);
        assert!(score(&o, &late).is_none());
        let after_deadline = NaiveDate::from_ymd_opt(2026, 12, 11).unwrap();
        let w = worker(vec![skill("6-18-02-04", 2.0, None)], None);
        assert!(score_pair(
            &OpeningProfile::of(&o),
            &o,
            &w,
            &[],
            after_deadline,
            &ranking()
        )
        .is_none());
    }
}
