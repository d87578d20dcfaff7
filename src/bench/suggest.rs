//! `labormatch bench-suggest`: how well the occupation suggester reads titles, on three sets,
//! each beside a plain baseline, and how long one title takes.
//!
//! - the development set (tests/data/occupation_titles.csv, tuned on);
//! - alias hold-out over the catalogue's own alias column: the aliases are cut into folds, a
//!   suggester is built from the catalogue without one fold's aliases and asked for each of
//!   them (every alias is predicted with itself, and its fold, removed from the vocabulary);
//! - an independent labelled set (`--holdout`, title,code,label_level,sector,city,style):
//!   only aggregate figures are printed, never a row.
//!
//! An answer counts as right when it is the labelled code or lies inside a labelled group.
//! The baseline is a character 1–3-gram TF-IDF over the catalogue's names and aliases, cosine.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use labormatch::db::seed::{split_markers, OCCUPATIONS_CSV};
use labormatch::search::suggest::{Evidence, Granularity, OccupationSuggester, Weights};

pub struct SuggestBenchOptions {
    pub dev: PathBuf,
    pub holdout: Option<PathBuf>,
    pub folds: usize,
    /// Times every title is asked for in the latency run.
    pub rounds: usize,
    /// Refit the suggester's weights (see [`fit`]) on these alias folds instead of measuring.
    pub fit: Option<FitFolds>,
    /// Weight of the development set's top-1 + top-5 in the fit's objective.
    pub fit_dev_weight: f64,
}

/// Which alias folds a fit learns from; the others are reported as untouched.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FitFolds {
    Even,
    Odd,
    All,
}

/// One labelled title.
struct Case {
    title: String,
    code: String,
    /// Breakdown keys (label level, style), empty for sets without them.
    level: String,
    style: String,
}

#[derive(Default, Clone, Copy)]
struct Tally {
    n: usize,
    top1: usize,
    top5: usize,
}

impl Tally {
    fn add(&mut self, rank: Option<usize>) {
        self.n += 1;
        if rank == Some(0) {
            self.top1 += 1;
        }
        if rank.is_some_and(|r| r < 5) {
            self.top5 += 1;
        }
    }

    fn cell(&self) -> String {
        if self.n == 0 {
            return "–".into();
        }
        let n = self.n as f64;
        format!("{:.3} / {:.3}", self.top1 as f64 / n, self.top5 as f64 / n)
    }
}

#[derive(serde::Deserialize)]
struct CatalogueRow {
    level: i16,
    code: String,
    name: String,
    alias: String,
}

/// The catalogue's levels by code (the most specific row wins, as the suggester reads it).
fn levels() -> HashMap<String, i16> {
    let mut levels: HashMap<String, i16> = HashMap::new();
    for row in rows() {
        let level = levels.entry(row.code.clone()).or_insert(row.level);
        *level = (*level).max(row.level);
    }
    levels
}

fn rows() -> Vec<CatalogueRow> {
    csv::Reader::from_reader(OCCUPATIONS_CSV.as_bytes())
        .deserialize()
        .filter_map(Result::ok)
        .collect()
}

/// Whether `answer` is `label` or lies inside the group `label` names.
fn right(answer: &str, label: &str, levels: &HashMap<String, i16>) -> bool {
    if answer == label {
        return true;
    }
    let level = levels.get(label).copied().unwrap_or(4);
    let prefix = match level {
        1 => &label[..1],
        2 => &label[..4],
        3 => &label[..7],
        _ => return false,
    };
    answer.len() == label.len()
        && answer.starts_with(prefix)
        && answer[prefix.len()..].starts_with('-')
}

fn rank(answers: &[String], label: &str, levels: &HashMap<String, i16>) -> Option<usize> {
    answers.iter().take(5).position(|a| right(a, label, levels))
}

fn read_dev(path: &Path) -> anyhow::Result<Vec<Case>> {
    #[derive(serde::Deserialize)]
    struct Row {
        title: String,
        expected_code: String,
    }
    let mut reader = csv::Reader::from_path(path)?;
    reader
        .deserialize::<Row>()
        .map(|r| {
            let r = r?;
            Ok(Case {
                title: r.title,
                code: r.expected_code,
                level: String::new(),
                style: String::new(),
            })
        })
        .collect()
}

fn read_holdout(path: &Path) -> anyhow::Result<Vec<Case>> {
    #[derive(serde::Deserialize)]
    struct Row {
        title: String,
        code: String,
        label_level: String,
        style: String,
    }
    let mut reader = csv::Reader::from_path(path)?;
    reader
        .deserialize::<Row>()
        .map(|r| {
            let r = r?;
            Ok(Case {
                title: r.title,
                code: r.code,
                level: r.label_level,
                style: r.style,
            })
        })
        .collect()
}

/// Every (code, alias) of the catalogue that differs from its row's name, as the seed loader
/// splits them.
fn aliases() -> Vec<(String, String)> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for row in rows() {
        let name = split_markers(&row.name).0;
        for alias in row.alias.split([',', '，', '\n']) {
            let alias = split_markers(alias).0;
            if alias.chars().count() >= 2
                && alias != name
                && seen.insert((row.code.clone(), alias.clone()))
            {
                out.push((row.code.clone(), alias));
            }
        }
    }
    out
}

/// The catalogue CSV with the given (code, alias) pairs taken out of the alias column.
fn catalogue_without(held_out: &HashSet<(String, String)>) -> anyhow::Result<String> {
    let mut reader = csv::Reader::from_reader(OCCUPATIONS_CSV.as_bytes());
    let headers = reader.headers()?.clone();
    let alias_col = headers.iter().position(|h| h == "alias").unwrap_or(7);
    let code_col = headers.iter().position(|h| h == "code").unwrap_or(1);
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(&headers)?;
    for record in reader.records() {
        let record = record?;
        let code = record[code_col].to_string();
        let kept: Vec<&str> = record[alias_col]
            .split([',', '，', '\n'])
            .filter(|a| !held_out.contains(&(code.clone(), split_markers(a).0)))
            .collect();
        let joined = kept.join(",");
        let fields: Vec<&str> = record
            .iter()
            .enumerate()
            .map(|(i, f)| if i == alias_col { joined.as_str() } else { f })
            .collect();
        writer.write_record(fields)?;
    }
    Ok(String::from_utf8(writer.into_inner()?)?)
}

/// Character 1–3-grams of runs of letters and digits, lower-cased.
fn grams(text: &str) -> HashMap<String, f32> {
    let mut out: HashMap<String, f32> = HashMap::new();
    for run in text.to_lowercase().split(|c: char| !c.is_alphanumeric()) {
        let chars: Vec<char> = run.chars().collect();
        for n in 1..=3 {
            for w in chars.windows(n) {
                *out.entry(w.iter().collect()).or_default() += 1.0;
            }
        }
    }
    out
}

/// The baseline: TF-IDF over character 1–3-grams of each code's name and aliases, cosine.
struct Baseline {
    idf: HashMap<String, f32>,
    postings: HashMap<String, Vec<(usize, f32)>>,
    codes: Vec<String>,
}

impl Baseline {
    fn build(csv_text: &str) -> Baseline {
        let mut docs: BTreeMap<String, String> = BTreeMap::new();
        let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
        for row in reader.deserialize::<CatalogueRow>().filter_map(Result::ok) {
            let doc = docs.entry(row.code).or_default();
            doc.push(' ');
            doc.push_str(&split_markers(&row.name).0);
            doc.push(' ');
            doc.push_str(&row.alias);
        }
        let codes: Vec<String> = docs.keys().cloned().collect();
        let vectors: Vec<HashMap<String, f32>> = docs.values().map(|d| grams(d)).collect();
        let mut df: HashMap<String, f32> = HashMap::new();
        for v in &vectors {
            for g in v.keys() {
                *df.entry(g.clone()).or_default() += 1.0;
            }
        }
        let n = vectors.len() as f32;
        let idf: HashMap<String, f32> = df
            .into_iter()
            .map(|(g, d)| (g, (n / d).ln() + 1.0))
            .collect();
        let mut postings: HashMap<String, Vec<(usize, f32)>> = HashMap::new();
        for (i, v) in vectors.into_iter().enumerate() {
            let weighted: Vec<(String, f32)> = v
                .into_iter()
                .map(|(g, tf)| {
                    let w = tf * idf[&g];
                    (g, w)
                })
                .collect();
            let norm = weighted
                .iter()
                .map(|(_, w)| w * w)
                .sum::<f32>()
                .sqrt()
                .max(1e-6);
            for (g, w) in weighted {
                postings.entry(g).or_default().push((i, w / norm));
            }
        }
        Baseline {
            idf,
            postings,
            codes,
        }
    }

    fn suggest(&self, text: &str) -> Vec<String> {
        let mut scores: HashMap<usize, f32> = HashMap::new();
        for (g, tf) in grams(text) {
            let w = tf * self.idf.get(&g).copied().unwrap_or(0.0);
            for (doc, dw) in self.postings.get(&g).into_iter().flatten() {
                *scores.entry(*doc).or_default() += w * dw;
            }
        }
        let mut ranked: Vec<(usize, f32)> = scores.into_iter().collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked
            .into_iter()
            .take(5)
            .map(|(i, _)| self.codes[i].clone())
            .collect()
    }
}

/// The codes answered, and the confidence stated for the first.
fn answers(suggester: &OccupationSuggester, text: &str) -> (Vec<String>, f32) {
    let answer = suggester
        .suggest_at(text, 5, Granularity::GroupsWhenUnsure)
        .unwrap_or_default();
    let confidence = answer.first().map_or(0.0, |s| s.confidence);
    (answer.into_iter().map(|s| s.code).collect(), confidence)
}

/// Like [`answers`], from evidence gathered once, under the given weights.
fn weighed(
    suggester: &OccupationSuggester,
    evidence: &Evidence,
    weights: &Weights,
) -> (Vec<String>, f32) {
    let answer = suggester.weigh(evidence, 5, Granularity::GroupsWhenUnsure, weights);
    let confidence = answer.first().map_or(0.0, |s| s.confidence);
    (answer.into_iter().map(|s| s.code).collect(), confidence)
}

/// Figures for one set: overall and by breakdown key.
#[derive(Default)]
struct SetReport {
    /// Confidence stated for the first answer, by tenth: (answers, right ones).
    calibration: [(usize, usize); 10],
    suggester: Tally,
    baseline: Tally,
    by_key: BTreeMap<String, (Tally, Tally)>,
}

impl SetReport {
    fn add(
        &mut self,
        keys: &[String],
        (ours, confidence): (Option<usize>, f32),
        base: Option<usize>,
    ) {
        let bin = &mut self.calibration[((confidence * 10.0) as usize).min(9)];
        bin.0 += 1;
        bin.1 += usize::from(ours == Some(0));
        self.suggester.add(ours);
        self.baseline.add(base);
        for key in keys.iter().filter(|k| !k.is_empty()) {
            let e = self.by_key.entry(key.clone()).or_default();
            e.0.add(ours);
            e.1.add(base);
        }
    }
}

fn evaluate(
    cases: &[Case],
    suggester: &OccupationSuggester,
    baseline: &Baseline,
    levels: &HashMap<String, i16>,
) -> SetReport {
    let mut report = SetReport::default();
    for case in cases {
        let (codes, confidence) = answers(suggester, &case.title);
        let ours = (rank(&codes, &case.code, levels), confidence);
        let base = rank(&baseline.suggest(&case.title), &case.code, levels);
        let keys = [
            if case.level.is_empty() {
                String::new()
            } else {
                format!("label level {}", case.level)
            },
            if case.style.is_empty() {
                String::new()
            } else {
                format!("style {}", case.style)
            },
        ];
        report.add(&keys, ours, base);
    }
    report
}

fn alias_holdout(folds: usize, levels: &HashMap<String, i16>) -> anyhow::Result<SetReport> {
    let all = aliases();
    let folds = folds.max(2);
    let mut report = SetReport::default();
    for fold in 0..folds {
        // A fixed interleaving: neighbouring aliases of one code land in different folds.
        let held: Vec<&(String, String)> = all.iter().skip(fold).step_by(folds).collect();
        let held_set: HashSet<(String, String)> = held.iter().map(|p| (*p).clone()).collect();
        let csv_text = catalogue_without(&held_set)?;
        let suggester = OccupationSuggester::from_csv(&csv_text)?;
        let baseline = Baseline::build(&csv_text);
        for (code, alias) in held {
            let level = format!("label level {}", levels.get(code).copied().unwrap_or(4));
            let (codes, confidence) = answers(&suggester, alias);
            let ours = (rank(&codes, code, levels), confidence);
            if std::env::var_os("SUGGEST_ALIAS_MISSES").is_some() && ours.0 != Some(0) {
                // A tuning aid over the alias folds (never over an independent set).
                eprintln!("{alias}\t{code}\t{}", codes.join(" "));
            }
            let base = rank(&baseline.suggest(alias), code, levels);
            dump("alias", fold, alias, code, &suggester);
            report.add(&[level], ours, base);
        }
    }
    Ok(report)
}

/// `SUGGEST_DUMP=path`: appends each alias-fold and development title's 30 best occupations
/// (code, score, confidence) as a JSON line, a tuning aid (never for an independent set).
fn dump(set: &str, fold: usize, title: &str, code: &str, suggester: &OccupationSuggester) {
    let Some(path) = std::env::var_os("SUGGEST_DUMP") else {
        return;
    };
    let answer = suggester
        .suggest_at(title, 30, Granularity::GroupsWhenUnsure)
        .unwrap_or_default();
    let line = serde_json::json!({
        "set": set, "fold": fold, "title": title, "label": code,
        "answer": answer.iter().map(|s| (s.code.as_str(), s.score, s.confidence)).collect::<Vec<_>>(),
    });
    use std::io::Write;
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = writeln!(f, "{line}");
    }
}

fn table(name: &str, r: &SetReport, out: &mut String) {
    out.push_str(&format!(
        "| {name} | {} | {} | {} |\n",
        r.suggester.n,
        r.suggester.cell(),
        r.baseline.cell()
    ));
    let bins: Vec<String> = r
        .calibration
        .iter()
        .enumerate()
        .filter(|(_, (n, _))| *n > 0)
        .map(|(i, (n, right))| {
            format!(
                "{:.1}-{:.1}: {:.2} of {n}",
                i as f64 / 10.0,
                (i + 1) as f64 / 10.0,
                *right as f64 / *n as f64
            )
        })
        .collect();
    out.push_str(&format!(
        "| {name}: top-1 right by stated confidence | {} | | |\n",
        bins.join("; ")
    ));
    for (key, (ours, base)) in &r.by_key {
        out.push_str(&format!(
            "| {name}: {key} | {} | {} | {} |\n",
            ours.n,
            ours.cell(),
            base.cell()
        ));
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Evidence gathered once per labelled text, with the suggester that gathered it.
struct Asked {
    suggester: OccupationSuggester,
    cases: Vec<(Evidence, String)>,
}

/// Top-1/top-5 and the log-loss of the first answer's confidence over some asked sets.
fn measure(sets: &[&Asked], weights: &Weights, levels: &HashMap<String, i16>) -> (Tally, f64) {
    let mut tally = Tally::default();
    let mut loss = 0.0f64;
    for asked in sets {
        for (evidence, code) in &asked.cases {
            let (codes, confidence) = weighed(&asked.suggester, evidence, weights);
            let rank = rank(&codes, code, levels);
            tally.add(rank);
            let p = f64::from(confidence).clamp(1e-4, 1.0 - 1e-4);
            loss -= if rank == Some(0) {
                p.ln()
            } else {
                (1.0 - p).ln()
            };
        }
    }
    (tally, loss / tally.n.max(1) as f64)
}

fn rate(t: &Tally) -> (f64, f64) {
    let n = t.n.max(1) as f64;
    (t.top1 as f64 / n, t.top5 as f64 / n)
}

/// `bench-suggest --fit even|odd|all`: refits [`Weights`] by coordinate ascent on the chosen
/// alias folds (top-1 + top-5, plus `--fit-dev-weight` times the development set's), the
/// other folds only reported, so their figure stays a measure of titles the fit never saw
/// (fit on even and on odd to see what the procedure is worth, ship the fit on all); every
/// step must keep the development set above its floors (with a margin). Then the softmax temperature and the none-of-these score
/// are refitted for the log-loss of the first answer's confidence (a Platt-style scaling), and
/// the group thresholds once more. Prints the weights to paste into `Weights::FITTED`.
fn fit(
    opts: &SuggestBenchOptions,
    on: FitFolds,
    levels: &HashMap<String, i16>,
) -> anyhow::Result<String> {
    let folds = opts.folds.max(2);
    let all = aliases();
    let mut fitted: Vec<Asked> = Vec::new();
    let mut checked: Vec<Asked> = Vec::new();
    for fold in 0..folds {
        let held: Vec<&(String, String)> = all.iter().skip(fold).step_by(folds).collect();
        let held_set: HashSet<(String, String)> = held.iter().map(|p| (*p).clone()).collect();
        let suggester = OccupationSuggester::from_csv(&catalogue_without(&held_set)?)?;
        let cases = held
            .iter()
            .filter_map(|(code, alias)| Some((suggester.evidence(alias).ok()?, code.clone())))
            .collect();
        let asked = Asked { suggester, cases };
        let fit_here = match on {
            FitFolds::Even => fold % 2 == 0,
            FitFolds::Odd => fold % 2 == 1,
            FitFolds::All => true,
        };
        if fit_here {
            fitted.push(asked);
        } else {
            checked.push(asked);
        }
    }
    let suggester = OccupationSuggester::from_csv(OCCUPATIONS_CSV)?;
    let cases = read_dev(&opts.dev)?
        .into_iter()
        .filter_map(|c| Some((suggester.evidence(&c.title).ok()?, c.code)))
        .collect();
    let dev = Asked { suggester, cases };
    let fit_sets: Vec<&Asked> = fitted.iter().collect();
    let check_sets: Vec<&Asked> = checked.iter().collect();

    let dev_weight = opts.fit_dev_weight;
    let objective = |w: &Weights| -> Option<f64> {
        let (d1, d5) = rate(&measure(&[&dev], w, levels).0);
        if d1 < 0.935 || d5 < 0.975 {
            return None;
        }
        let (a1, a5) = rate(&measure(&fit_sets, w, levels).0);
        Some(a1 + a5 + dev_weight * (d1 + d5))
    };
    type Field = fn(&mut Weights) -> &mut f32;
    let scaled: [(&str, Field); 10] = [
        ("phrase", |w| &mut w.phrase),
        ("words", |w| &mut w.words),
        ("grams", |w| &mut w.grams),
        ("coverage", |w| &mut w.coverage),
        ("covered_head", |w| &mut w.covered_head),
        ("cosine", |w| &mut w.cosine),
        ("head_level", |w| &mut w.head_level),
        ("head_minor", |w| &mut w.head_minor),
        ("field", |w| &mut w.field),
        ("field_match", |w| &mut w.field_match),
    ];
    let fixed: [(&str, Field, &[f32]); 8] = [
        ("head_minor", |w| &mut w.head_minor, &[0.05, 0.1, 0.2]),
        ("field", |w| &mut w.field, &[0.5, 1.0, 2.0, 4.0]),
        (
            "field_match",
            |w| &mut w.field_match,
            &[0.25, 0.5, 1.0, 2.0],
        ),
        (
            "unit_backoff",
            |w| &mut w.unit_backoff,
            &[0.0, 0.05, 0.1, 0.2, 0.3, 0.5],
        ),
        (
            "minor_backoff",
            |w| &mut w.minor_backoff,
            &[0.0, 0.05, 0.1, 0.2, 0.3],
        ),
        (
            "group_handoff",
            |w| &mut w.group_handoff,
            &[0.0, 0.05, 0.1, 0.2, 0.4],
        ),
        ("leaf_sure", |w| &mut w.leaf_sure, &[0.05, 0.1, 0.15]),
        (
            "group_sure",
            |w| &mut w.group_sure,
            &[0.3, 0.4, 0.45, 0.5, 0.6, 0.7],
        ),
    ];
    let mut best = Weights::FITTED;
    let mut best_score = objective(&best).unwrap_or(0.0);
    let mut log = format!("start: fitted folds top-1 + top-5 {best_score:.4}\n");
    let try_value = |best: &mut Weights, best_score: &mut f64, field: Field, v: f32| {
        let mut w = *best;
        *field(&mut w) = v;
        if let Some(score) = objective(&w) {
            if score > *best_score + 1e-9 {
                *best = w;
                *best_score = score;
            }
        }
    };
    for pass in 0..3 {
        for (_, field) in scaled {
            let current = *field(&mut best.clone());
            for factor in [0.0, 0.5, 0.7, 0.85, 1.2, 1.4, 2.0] {
                try_value(&mut best, &mut best_score, field, current * factor);
            }
        }
        for (_, field, values) in fixed {
            for v in values {
                try_value(&mut best, &mut best_score, field, *v);
            }
        }
        log.push_str(&format!("pass {pass}: {best_score:.4}\n"));
    }
    // Calibration: the temperature and none-of-these score that best state how often the
    // first answer is right, on the fitted folds.
    let mut calibrated = best;
    let mut best_loss = measure(&fit_sets, &calibrated, levels).1;
    for t in [
        0.3f32, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.2, 1.5, 2.0, 2.5, 3.0,
    ] {
        for none in [0.0f32, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0] {
            let w = Weights {
                temperature: t,
                none_score: none,
                ..best
            };
            let loss = measure(&fit_sets, &w, levels).1;
            if loss < best_loss && objective(&w).is_some() {
                best_loss = loss;
                calibrated = w;
            }
        }
    }
    best = calibrated;
    best_score = objective(&best).unwrap_or(0.0);
    for (_, field, values) in fixed {
        for v in values {
            try_value(&mut best, &mut best_score, field, *v);
        }
    }
    let report = |name: &str, w: &Weights| -> String {
        let (f, loss) = measure(&fit_sets, w, levels);
        let (c, _) = measure(&check_sets, w, levels);
        let (d, _) = measure(&[&dev], w, levels);
        format!(
            "{name}: fitted folds {} (log-loss {loss:.3}); untouched folds {}; development {}\n",
            f.cell(),
            c.cell(),
            d.cell()
        )
    };
    log.push_str(&report("before", &Weights::FITTED));
    log.push_str(&report("after", &best));
    log.push_str(&format!("{best:#?}\n"));
    Ok(log)
}

pub fn run(opts: &SuggestBenchOptions) -> anyhow::Result<String> {
    let levels = levels();
    if let Some(on) = opts.fit {
        return fit(opts, on, &levels);
    }
    let started = Instant::now();
    let suggester = OccupationSuggester::from_csv(OCCUPATIONS_CSV)?;
    let built = started.elapsed();
    let baseline = Baseline::build(OCCUPATIONS_CSV);
    let dev = read_dev(&opts.dev)?;
    let mut out = String::from(
        "| set | titles | suggester top-1 / top-5 | baseline top-1 / top-5 |\n|---|---|---|---|\n",
    );
    for case in &dev {
        dump("dev", 0, &case.title, &case.code, &suggester);
    }
    table(
        "development",
        &evaluate(&dev, &suggester, &baseline, &levels),
        &mut out,
    );
    if opts.folds > 0 {
        table(
            &format!("alias hold-out ({} folds)", opts.folds),
            &alias_holdout(opts.folds, &levels)?,
            &mut out,
        );
    }
    let holdout = match &opts.holdout {
        Some(path) => read_holdout(path)?,
        None => Vec::new(),
    };
    if !holdout.is_empty() {
        table(
            "independent",
            &evaluate(&holdout, &suggester, &baseline, &levels),
            &mut out,
        );
    }
    if opts.rounds > 0 {
        let titles: Vec<&str> = dev
            .iter()
            .chain(&holdout)
            .map(|c| c.title.as_str())
            .collect();
        let mut times = Vec::with_capacity(titles.len() * opts.rounds);
        for _ in 0..opts.rounds {
            for title in &titles {
                let t = Instant::now();
                let answer = suggester.suggest_at(title, 5, Granularity::GroupsWhenUnsure);
                times.push(t.elapsed().as_secs_f64() * 1e3);
                std::hint::black_box(answer.ok());
            }
        }
        times.sort_by(f64::total_cmp);
        out.push_str(&format!(
            "\nsuggester built in {:.0} ms; {} calls (limit 5): p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms\n",
            built.as_secs_f64() * 1e3,
            times.len(),
            percentile(&times, 0.5),
            percentile(&times, 0.99),
            times.last().copied().unwrap_or(0.0),
        ));
    }
    Ok(out)
}
