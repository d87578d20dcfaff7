//! The `rank` column: everything the ranking reads of a document, as a few tagged 64-bit values
//! in one multi-valued fast field, so the collectors in `rank` score every document that passes
//! the filters without touching the document store.
//!
//! Each value carries a 4-bit tag in its top bits:
//!
//! | tag | of | payload |
//! | --- | --- | --- |
//! | `EQUITY` | worker | the household's equity factor (f32 bits) |
//! | `SKILL` | worker | skill index (8 bits), occupation code number (24), certified (1), certificate day + 1 (23; 0: none) |
//! | `YEARS` | worker | skill index (8 bits), years of experience (f32 bits) |
//! | `TARGET` | opening | target index (8 bits), occupation code number (24), role (2) |
//! | `REQUIRES` | opening | certificate rule (2 bits), minimum years (f32 bits) |
//! | `TITLE_TERM` | opening | title word index (8 bits), 52-bit hash of one of its terms |
//!
//! Skills are the worker's skills merged by occupation (`score::merged_skills`), and years are
//! kept as their exact f32 bits: scoring from the column and from the stored document give the
//! same score to the bit. Title terms are hashed (FNV-1a): two different words share a hash
//! with odds of about one in 10^15 per pair compared, and the explanation, written from the
//! stored document, uses the words themselves.

use super::documents::{OpeningDoc, WorkerDoc};
use super::profile::{OpeningProfile, Role};
use super::score::{equity_factor, merged_skills, SkillInputs};
use crate::domain::requirements::CertificateRule;

const TAG_SHIFT: u32 = 60;
const EQUITY: u64 = 1;
const SKILL: u64 = 2;
const YEARS: u64 = 3;
const TARGET: u64 = 4;
const REQUIRES: u64 = 5;
const TITLE_TERM: u64 = 6;

const INDEX_SHIFT: u32 = 52;
const HASH_BITS: u64 = (1 << 52) - 1;
const DAY_BITS: u64 = (1 << 23) - 1;
/// At most this many skills, targets and title words are kept (the index field is 8 bits).
pub const MAX_ITEMS: usize = 256;

/// "6-18-02-04" → 6180204; group codes too ("6-00-00-00" → 6000000). `None` for anything else.
pub fn code_number(code: &str) -> Option<u32> {
    let b = code.as_bytes();
    if b.len() != 10 || b[1] != b'-' || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let mut n: u32 = 0;
    for &c in [b[0], b[2], b[3], b[5], b[6], b[8], b[9]].iter() {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u32::from(c - b'0');
    }
    Some(n)
}

/// The code a number stands for (inverse of [`code_number`]). Written digit by digit: the
/// ranking asks it for every code it meets, and `format!` was a tenth of a candidate search.
pub fn code_text(n: u32) -> String {
    let digit = |v: u32| char::from(b'0' + (v % 10) as u8);
    let mut out = String::with_capacity(10);
    out.push(digit(n / 1_000_000));
    for pair in [n / 10_000 % 100, n / 100 % 100, n % 100] {
        out.push('-');
        out.push(digit(pair / 10));
        out.push(digit(pair));
    }
    out
}

/// FNV-1a of a word, cut to 52 bits: how title words and notes meet in the column.
pub fn term_hash(term: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in term.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h & HASH_BITS
}

fn value(tag: u64, payload: u64) -> u64 {
    (tag << TAG_SHIFT) | payload
}

fn indexed(tag: u64, index: usize, payload: u64) -> u64 {
    value(tag, ((index as u64) << INDEX_SHIFT) | payload)
}

fn tag_of(v: u64) -> u64 {
    v >> TAG_SHIFT
}

fn index_of(v: u64) -> usize {
    ((v >> INDEX_SHIFT) & 0xff) as usize
}

fn rule_number(rule: CertificateRule) -> u64 {
    match rule {
        CertificateRule::None => 0,
        CertificateRule::Preferred => 1,
        CertificateRule::Required => 2,
    }
}

fn rule_of(n: u64) -> CertificateRule {
    match n {
        1 => CertificateRule::Preferred,
        2 => CertificateRule::Required,
        _ => CertificateRule::None,
    }
}

fn role_number(role: Role) -> u64 {
    match role {
        Role::Required => 0,
        Role::TitleTrade => 1,
        Role::NiceToHave => 2,
    }
}

fn role_of(n: u64) -> Role {
    match n {
        1 => Role::TitleTrade,
        2 => Role::NiceToHave,
        _ => Role::Required,
    }
}

/// The `rank_bound` column of a worker: the highest experience step of its skills (bits 0..3)
/// and whether one is certified (bit 3), enough to bound its score (`score::score_bound`).
pub fn worker_bound(w: &WorkerDoc) -> u64 {
    let skills = merged_skills(w);
    let step = skills
        .iter()
        .map(|s| super::score::experience_step(s.years).0 as u64)
        .max()
        .unwrap_or(0);
    let certified = skills.iter().any(|s| s.certified);
    step.min(7) | (u64::from(certified) << 3)
}

/// Reads a `rank_bound` value back: (highest step, any certified).
pub fn bound_of(v: u64) -> (usize, bool) {
    ((v & 0b111) as usize, v & 0b1000 != 0)
}

/// A worker's ranking inputs as column values.
pub fn worker_values(w: &WorkerDoc) -> Vec<u64> {
    let equity = equity_factor(w.household_status.as_deref());
    let mut out = vec![value(EQUITY, u64::from(equity.to_bits()))];
    let skills = merged_skills(w);
    for (i, s) in skills
        .iter()
        .filter_map(|s| code_number(&s.code).map(|n| (n, s)))
        .take(MAX_ITEMS)
        .enumerate()
    {
        let (code, skill) = s;
        let inputs = SkillInputs::of(skill);
        let day = inputs
            .certified_day
            .map_or(0, |d| (d.max(0) as u64 + 1).min(DAY_BITS));
        let payload = (u64::from(code) << 24) | (u64::from(inputs.certified) << 23) | day;
        out.push(indexed(SKILL, i, payload));
        out.push(indexed(YEARS, i, u64::from(inputs.years.to_bits())));
    }
    out
}

/// An opening's ranking inputs as column values (its profile as indexed).
pub fn opening_values(o: &OpeningDoc) -> Vec<u64> {
    let profile = OpeningProfile::of(o);
    let r = &profile.requirements;
    let mut out = vec![value(
        REQUIRES,
        (rule_number(r.certificate) << 32) | u64::from(r.min_years.to_bits()),
    )];
    for (i, (code, role)) in profile
        .targets
        .iter()
        .filter_map(|t| code_number(&t.code).map(|n| (n, t.role)))
        .take(MAX_ITEMS)
        .enumerate()
    {
        out.push(indexed(
            TARGET,
            i,
            (u64::from(code) << 8) | role_number(role),
        ));
    }
    for (i, word) in profile.title_words.iter().take(MAX_ITEMS).enumerate() {
        let mut hashes: Vec<u64> = word.terms.iter().map(|t| term_hash(t)).collect();
        hashes.sort_unstable();
        hashes.dedup();
        for h in hashes {
            out.push(indexed(TITLE_TERM, i, h));
        }
    }
    out
}

/// One merged skill read back from the column.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ColumnSkill {
    pub code: u32,
    pub inputs: SkillInputs,
}

/// A worker's ranking inputs read back from the column.
#[derive(Debug, Default, PartialEq)]
pub struct WorkerColumns {
    pub equity: f32,
    pub skills: Vec<ColumnSkill>,
}

impl WorkerColumns {
    /// Refills `self` from a document's values (kept in the order they were written).
    pub fn read(&mut self, values: impl Iterator<Item = u64>) {
        self.equity = 0.0;
        self.skills.clear();
        for v in values {
            match tag_of(v) {
                EQUITY => self.equity = f32::from_bits(v as u32),
                SKILL => {
                    let day = v & DAY_BITS;
                    self.skills.push(ColumnSkill {
                        code: ((v >> 24) & 0xff_ffff) as u32,
                        inputs: SkillInputs {
                            years: 0.0,
                            certified: (v >> 23) & 1 == 1,
                            certified_day: (day > 0).then(|| day as i64 - 1),
                        },
                    });
                }
                YEARS => {
                    let i = index_of(v);
                    if let Some(s) = self.skills.get_mut(i) {
                        s.inputs.years = f32::from_bits(v as u32);
                    }
                }
                _ => {}
            }
        }
    }
}

/// A target trade read back from an opening's column.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ColumnTarget {
    pub code: u32,
    pub role: Role,
}

/// An opening's ranking inputs read back from the column; `title_words` counts the title's
/// words with a term among `notes` (sorted hashes of the worker's note words).
#[derive(Debug, Default, PartialEq)]
pub struct OpeningColumns {
    pub certificate: CertificateRule,
    pub min_years: f32,
    pub targets: Vec<ColumnTarget>,
    pub title_words: usize,
}

impl OpeningColumns {
    pub fn read(&mut self, values: impl Iterator<Item = u64>, notes: &[u64]) {
        self.certificate = CertificateRule::None;
        self.min_years = 0.0;
        self.targets.clear();
        self.title_words = 0;
        let mut last_word_found = usize::MAX;
        for v in values {
            match tag_of(v) {
                REQUIRES => {
                    self.certificate = rule_of((v >> 32) & 0b11);
                    self.min_years = f32::from_bits(v as u32);
                }
                TARGET => self.targets.push(ColumnTarget {
                    code: ((v >> 8) & 0xff_ffff) as u32,
                    role: role_of(v & 0b11),
                }),
                TITLE_TERM => {
                    let word = index_of(v);
                    if word != last_word_found && notes.binary_search(&(v & HASH_BITS)).is_ok() {
                        self.title_words += 1;
                        last_word_found = word;
                    }
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::documents::SkillDoc;
    use chrono::NaiveDate;

    #[test]
    fn codes_round_trip() {
        for code in [
            "6-18-02-04",
            "4-03-02-00",
            "6-00-00-00",
            "8-00-00-00",
            "1-01-00-01",
        ] {
            assert_eq!(code_text(code_number(code).unwrap()), code);
        }
        for n in (0..9_999_999).step_by(9_973).chain([9_999_999, 6_180_204]) {
            let expected = format!(
                "{}-{:02}-{:02}-{:02}",
                n / 1_000_000,
                n / 10_000 % 100,
                n / 100 % 100,
                n % 100
            );
            assert_eq!(code_text(n), expected);
        }
        assert_eq!(code_number("6-18-02"), None);
        assert_eq!(code_number("6-18-0a-04"), None);
        assert!(code_number("9-99-99-99").unwrap() < 1 << 24);
    }

    #[test]
    fn a_worker_reads_back_as_merged_with_exact_years() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
        let skill = |code: &str, years: f32, on: Option<NaiveDate>| SkillDoc {
            code: code.into(),
            certified: on.is_some(),
            level: on.map(|_| 3),
            years,
            certified_on: on,
        };
        let w = WorkerDoc {
            household_status: Some("monitored".into()),
            destinations: vec![],
            accept_anywhere: true,
            skills: vec![
                skill("6-18-02-04", 3.3, None),
                skill("6-18-02-04", 0.0, day(2026, 3, 1)),
                skill("4-03-02-02", 0.1, None),
                skill("4-03-02-01", 17.75, day(1960, 1, 1)),
            ],
            languages: vec![],
            ..WorkerDoc::example()
        };
        let mut read = WorkerColumns::default();
        read.read(worker_values(&w).into_iter());
        assert_eq!(read.equity, 0.6);
        let expected: Vec<ColumnSkill> = merged_skills(&w)
            .iter()
            .map(|s| ColumnSkill {
                code: code_number(&s.code).unwrap(),
                inputs: SkillInputs {
                    // A certificate from before 1970 reads as 1970-01-01: both are far more
                    // than a year old, which is all the score asks of them.
                    certified_day: SkillInputs::of(s).certified_day.map(|d| d.max(0)),
                    ..SkillInputs::of(s)
                },
            })
            .collect();
        assert_eq!(read.skills, expected);
        assert_eq!(read.skills[0].inputs.years, 3.3);
        assert!(read.skills[0].inputs.certified);
    }

    #[test]
    fn an_opening_reads_back_with_its_title_words() {
        let mut o = OpeningDoc {
            title: "船厂急招氩弧焊工".into(),
            title_words: crate::search::profile::title_words("船厂急招氩弧焊工"),
            ..OpeningDoc::example()
        };
        o.requirements.min_years = 2.5;
        o.requirements.certificate = CertificateRule::Required;
        let mut notes: Vec<u64> = ["氩弧焊", "不锈钢"].iter().map(|t| term_hash(t)).collect();
        notes.sort_unstable();
        let mut read = OpeningColumns::default();
        read.read(opening_values(&o).into_iter(), &notes);
        assert_eq!(read.certificate, CertificateRule::Required);
        assert_eq!(read.min_years, 2.5);
        assert_eq!(
            read.targets,
            vec![ColumnTarget {
                code: 6_180_204,
                role: Role::Required
            }]
        );
        assert_eq!(read.title_words, 1);
        read.read(opening_values(&o).into_iter(), &[]);
        assert_eq!(read.title_words, 0);
    }
}
