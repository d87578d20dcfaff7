//! Evidence for an occupation from a cleaned title: phrase hits, coverage of the title's
//! character pairs, and how the signals add up.

// Fixed-seed hashing, not std's per-process random seed: scores are sums of floats taken in
// a map's order, so with a random seed the same title scored a hair differently in every
// process (a confidence of 0.70219797 in one build, 0.7021981 in the next).
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::index::bigrams;
use super::vocabulary::{field_of, Key, Source};
use super::OrdMap;

/// How fast a phrase loses weight as more occupations spell it inside their own words.
pub(super) const SPECIFICITY_DECAY: f32 = 0.5;

/// Characters that turn a trade word into a job title (仓管 → 仓管员, 电焊 → 电焊工).
pub(super) const ROLE_SUFFIXES: &str = "员工师手";

/// Character pairs of each occupation's own words, weighted by how few occupations use them.
pub(super) struct PairCoverage {
    /// Each occupation's pairs, sorted (a few dozen each: a binary search beats hashing).
    pairs: Vec<Vec<u64>>,
    idf: HashMap<u64, f32>,
    /// The weight of a pair no occupation uses, also the largest weight.
    unseen_idf: f32,
}

/// Two characters as one number, so a pair is compared and hashed without a string.
fn pair_key(first: char, second: char) -> u64 {
    (u64::from(first) << 32) | u64::from(second)
}

/// A text's character pairs with their weights, read once for all the occupations scored
/// against it.
pub(super) struct TextPairs {
    /// (pair, weight, whether it is the last pair of its fragment: the head).
    pairs: Vec<(u64, f32, bool)>,
    total: f32,
}

impl PairCoverage {
    pub(super) fn build(keys: &[Key], occupations: usize) -> PairCoverage {
        let mut pairs: Vec<Vec<u64>> = vec![Vec::new(); occupations];
        for key in keys {
            if let Some(own) = pairs.get_mut(key.ord) {
                own.extend(bigrams(&key.text).iter().filter_map(|pair| {
                    let mut chars = pair.chars();
                    Some(pair_key(chars.next()?, chars.next()?))
                }));
                // 仓管 also explains 仓管员: trade words rarely carry the role suffix.
                if let (Source::Synonym, Some(last)) = (key.source, key.text.chars().last()) {
                    own.extend(ROLE_SUFFIXES.chars().map(|suffix| pair_key(last, suffix)));
                }
            }
        }
        for own in &mut pairs {
            own.sort_unstable();
            own.dedup();
        }
        let mut users: HashMap<u64, usize> = HashMap::default();
        for pair in pairs.iter().flatten() {
            *users.entry(*pair).or_default() += 1;
        }
        let n = occupations as f32;
        let idf = users
            .into_iter()
            .map(|(pair, df)| (pair, (1.0 + n / df as f32).ln()))
            .collect();
        PairCoverage {
            pairs,
            idf,
            unseen_idf: (1.0 + n).ln(),
        }
    }

    /// The text's pairs, fragment by fragment, each with its rarity weight.
    pub(super) fn text_pairs(&self, fragments: &[Vec<char>]) -> TextPairs {
        let mut pairs = Vec::new();
        let mut total = 0.0f32;
        for chars in fragments {
            let count = chars.len().saturating_sub(1);
            for (i, pair) in chars.windows(2).enumerate() {
                let key = pair_key(pair[0], pair[1]);
                let weight = self.idf.get(&key).copied().unwrap_or(self.unseen_idf);
                total += weight;
                pairs.push((key, weight, i + 1 == count));
            }
        }
        TextPairs { pairs, total }
    }

    /// How much of the text the occupation's own words explain, pair by pair and weighted by
    /// rarity (压路机司机 is about the 压路机, not the 司机), with extra weight on the head:
    /// Chinese compounds put it last, so 物业电工 is an electrician.
    /// Returns (the share of the text explained, how much of the head is explained).
    pub(super) fn score(&self, ord: usize, text: &TextPairs) -> (f32, f32) {
        let Some(own) = self.pairs.get(ord) else {
            return (0.0, 0.0);
        };
        if text.total <= 0.0 {
            return (0.0, 0.0);
        }
        let (mut covered, mut head) = (0.0f32, 0.0f32);
        for &(pair, weight, last) in &text.pairs {
            if own.binary_search(&pair).is_ok() {
                covered += weight;
                if last {
                    head = head.max(weight / self.unseen_idf);
                }
            }
        }
        (covered / text.total, head)
    }
}

/// Phrase dictionary: every name, alias and trade word, with how specific it is.
pub(super) struct Phrases {
    pub(super) entries: HashMap<String, Phrase>,
    pub(super) max_chars: usize,
}

pub(super) struct Phrase {
    pub(super) targets: Vec<(usize, Source)>,
    /// 1 for a word only one occupation uses, lower for heads shared by many (司机, 服务员).
    pub(super) specificity: f32,
}

impl Phrases {
    pub(super) fn build(keys: &[Key]) -> Phrases {
        let mut entries: HashMap<String, Phrase> = HashMap::default();
        for key in keys {
            if key.text.chars().count() < 2 {
                continue;
            }
            let phrase = entries.entry(key.text.clone()).or_insert_with(|| Phrase {
                targets: Vec::new(),
                specificity: 1.0,
            });
            match phrase.targets.iter_mut().find(|(o, _)| *o == key.ord) {
                Some(target) => target.1 = target.1.max(key.source),
                None => phrase.targets.push((key.ord, key.source)),
            }
        }
        let max_chars = entries.keys().map(|k| k.chars().count()).max().unwrap_or(0);
        let mut phrases = Phrases { entries, max_chars };
        phrases.measure_specificity(keys);
        phrases
    }

    /// Counts how many occupations spell each key somewhere in their names or aliases.
    pub(super) fn measure_specificity(&mut self, keys: &[Key]) {
        let mut users: HashMap<&str, HashSet<usize>> = HashMap::default();
        for key in keys.iter().filter(|k| k.source != Source::Synonym) {
            let chars: Vec<char> = key.text.chars().collect();
            for start in 0..chars.len() {
                let longest = self.max_chars.min(chars.len() - start);
                for len in 2..=longest {
                    let sub: String = chars[start..start + len].iter().collect();
                    if let Some((text, _)) = self.entries.get_key_value(&sub) {
                        users.entry(text.as_str()).or_default().insert(key.ord);
                    }
                }
            }
        }
        let counts: Vec<(String, usize)> = users
            .into_iter()
            .map(|(text, ords)| (text.to_string(), ords.len()))
            .collect();
        for (text, n) in counts {
            if let Some(phrase) = self.entries.get_mut(&text) {
                phrase.specificity = 1.0 / (1.0 + SPECIFICITY_DECAY * (n.max(1) as f32).ln());
            }
        }
    }

    /// Best phrase score per occupation for the cleaned text.
    pub(super) fn score(&self, cleaned: &str) -> OrdMap<f32> {
        let fragments: Vec<Vec<char>> = cleaned
            .split_whitespace()
            .map(|f| f.chars().collect())
            .collect();
        let total: usize = fragments.iter().map(Vec::len).sum();
        let mut scores: OrdMap<f32> = OrdMap::default();
        for chars in &fragments {
            for hit in self.maximal_hits(chars) {
                let Some(phrase) = self.entries.get(&hit.key) else {
                    continue;
                };
                // A role suffix right after the hit belongs to it (仓管员, 挖机手).
                let end = match chars.get(hit.end) {
                    Some(c) if ROLE_SUFFIXES.contains(*c) => hit.end + 1,
                    _ => hit.end,
                };
                let len = end - hit.start;
                let coverage = len as f32 / total.max(1) as f32;
                let mut score = phrase.specificity * (0.5 + 0.5 * coverage);
                if len == total {
                    score += 0.5;
                }
                // Chinese compounds put the head last: 物业保安 is a guard, not a manager.
                if end == chars.len() {
                    score += 0.1 * phrase.specificity;
                }
                for (ord, source) in &phrase.targets {
                    let bonus = if *source == Source::Alias { 0.0 } else { 0.05 };
                    let entry = scores.entry(*ord).or_default();
                    *entry = entry.max(score + bonus);
                }
            }
        }
        scores
    }

    /// Dictionary keys found in a fragment, without those lying inside a longer hit.
    pub(super) fn maximal_hits(&self, chars: &[char]) -> Vec<Hit> {
        let mut hits = Vec::new();
        for start in 0..chars.len() {
            let longest = self.max_chars.min(chars.len() - start);
            for len in 2..=longest {
                let end = start + len;
                if !ascii_bounded(chars, start, end) {
                    continue;
                }
                let key: String = chars[start..end].iter().collect();
                if self.entries.contains_key(&key) {
                    hits.push(Hit { start, end, key });
                }
            }
        }
        let spans: Vec<(usize, usize)> = hits.iter().map(|h| (h.start, h.end)).collect();
        hits.retain(|h| {
            !spans
                .iter()
                .any(|&(s, e)| s <= h.start && h.end <= e && (e - s) > (h.end - h.start))
        });
        hits
    }
}

pub(super) struct Hit {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) key: String,
}

/// ASCII keys must be whole words: "ie" is an alias, but not inside "engineer".
pub(super) fn ascii_bounded(chars: &[char], start: usize, end: usize) -> bool {
    let inner_ascii = |i: usize| chars.get(i).is_some_and(|c| c.is_ascii_alphanumeric());
    let starts_ok = !(inner_ascii(start) && start > 0 && inner_ascii(start - 1));
    let ends_ok = !(inner_ascii(end - 1) && inner_ascii(end));
    starts_ok && ends_ok
}

/// The raw evidence for one candidate, before weighting; kept apart so tuning can see what
/// drove a rank and refit the weights without asking the index again.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Signals {
    /// Best phrase hit (0..~1.7).
    pub(super) phrase: f32,
    /// BM25 over jieba words, divided by the best candidate's.
    pub(super) words: f32,
    /// BM25 over character pairs, divided by the best candidate's.
    pub(super) grams: f32,
    /// Share of the text's (rarity-weighted) pairs the candidate's words explain.
    pub(super) coverage: f32,
    /// How much of the last pair (the head) they explain.
    pub(super) covered_head: f32,
    /// TF-IDF cosine of character 1–3-grams.
    pub(super) cosine: f32,
    /// ln P(major group | the title's head) / P(major group).
    pub(super) head: f32,
    /// The same for the minor group.
    pub(super) head_minor: f32,
    /// TF-IDF cosine of character 1–3-grams with the field clause of the definition.
    pub(super) field: f32,
    /// The title's field (without its role head) is the field of one of the candidate's names,
    /// by how specific that field is.
    pub(super) field_match: f32,
}

impl Signals {
    pub(super) fn total(&self, w: &Weights) -> f32 {
        w.phrase * self.phrase
            + w.words * self.words
            + w.grams * self.grams
            + w.coverage * self.coverage
            + w.covered_head * self.covered_head
            + w.cosine * self.cosine
            + w.head_level * self.head
            + w.head_minor * self.head_minor
            + w.field * self.field
            + w.field_match * self.field_match
    }
}

/// How the evidence adds up and how the answer reads it. [`Weights::FITTED`] is what the
/// service uses; `labormatch bench-suggest --fit` refits it on the alias hold-out (even folds
/// fitted, odd folds reported untouched) within the development set's floors and prints it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Weights {
    /// Phrase hits of names, aliases and trade words: a specific phrase covering most of the
    /// text is the strongest signal available.
    pub phrase: f32,
    pub words: f32,
    pub grams: f32,
    /// How much of the text the candidate's own words explain...
    pub coverage: f32,
    /// ...and the extra for explaining the head: Chinese compounds put it last (物业电工 is an
    /// electrician).
    pub covered_head: f32,
    /// The TF-IDF cosine of character 1–3-grams.
    pub cosine: f32,
    /// Per nat of what the title's head says about the level of the work.
    pub head_level: f32,
    /// The same for what the head says about the minor group.
    pub head_minor: f32,
    /// The cosine with the field of work the definition names ("从事…的人员").
    pub field: f32,
    /// A name of the candidate shares the title's field, whatever its head.
    pub field_match: f32,
    /// Back-off through the code tree: an occupation's score moves this share of the way to
    /// its unit group's (a soft maximum over the occupations inside it with evidence)...
    pub unit_backoff: f32,
    /// ...and this share to its minor group's.
    pub minor_backoff: f32,
    /// What a group candidate hands down is this much less than its own score, so an
    /// occupation with evidence of its own ranks above one only standing in for its group.
    pub group_handoff: f32,
    /// Softmax temperature turning scores into probabilities, and the score of "none of
    /// these" (a weak best match is not a confident one).
    pub temperature: f32,
    pub none_score: f32,
    /// An occupation below this confidence is not a sure answer, and then a group holding
    /// this much confidence or more leads the answer.
    pub leaf_sure: f32,
    pub group_sure: f32,
}

impl Weights {
    /// `labormatch bench-suggest --fit all --fit-dev-weight 1` (see BENCHMARKS.md), refitted
    /// with the field of work (definition clause) and same-field signals: the character-pair
    /// BM25 and the head-coverage bonus fell to nothing beside the cosine and coverage; what the
    /// head says about the minor group added nothing over the major group. The group
    /// thresholds are set by hand under the fit's (it always lowers how often a group leads).
    pub const FITTED: Weights = Weights {
        phrase: 4.76,
        words: 0.833,
        grams: 0.0,
        coverage: 5.88,
        covered_head: 0.0,
        cosine: 10.08,
        head_level: 0.4998,
        head_minor: 0.0,
        field: 4.8,
        field_match: 1.0,
        unit_backoff: 0.1,
        minor_backoff: 0.0,
        group_handoff: 0.2,
        temperature: 1.5,
        none_score: 1.5,
        leaf_sure: 0.05,
        group_sure: 0.45,
    };
}

impl Default for Weights {
    fn default() -> Self {
        Weights::FITTED
    }
}

/// A head must end at least this many of the catalogue's names and aliases to be read.
const HEAD_SUPPORT: f32 = 8.0;

/// Smoothing of a head's level distribution towards the catalogue's overall one.
const HEAD_PRIOR: f32 = 4.0;

/// Character 1–3-grams of runs of letters and digits, with counts.
fn grams_1_to_3(text: &str) -> HashMap<String, f32> {
    let mut out: HashMap<String, f32> = HashMap::default();
    for run in text.split(|c: char| !c.is_alphanumeric()) {
        let chars: Vec<char> = run.chars().collect();
        for n in 1..=3 {
            for w in chars.windows(n) {
                *out.entry(w.iter().collect()).or_default() += 1.0;
            }
        }
    }
    out
}

/// TF-IDF over character 1–3-grams of each code's name, aliases and trade words, cosine: the
/// whole-vocabulary view that rewards a title sharing many pieces with one code's names, where
/// phrase hits need a name spelled out.
pub(super) struct GramCosine {
    idf: HashMap<String, f32>,
    postings: HashMap<String, Vec<(usize, f32)>>,
}

impl GramCosine {
    pub(super) fn build(keys: &[Key], occupations: usize) -> GramCosine {
        let mut docs: Vec<HashMap<String, f32>> = vec![HashMap::default(); occupations];
        for key in keys {
            if let Some(doc) = docs.get_mut(key.ord) {
                for (g, tf) in grams_1_to_3(&key.text) {
                    *doc.entry(g).or_default() += tf;
                }
            }
        }
        let mut df: HashMap<String, f32> = HashMap::default();
        for g in docs.iter().flat_map(|d| d.keys()) {
            *df.entry(g.clone()).or_default() += 1.0;
        }
        let n = occupations.max(1) as f32;
        let idf: HashMap<String, f32> = df
            .into_iter()
            .map(|(g, d)| (g, (n / d).ln() + 1.0))
            .collect();
        let mut postings: HashMap<String, Vec<(usize, f32)>> = HashMap::default();
        for (ord, doc) in docs.into_iter().enumerate() {
            let weighted: Vec<(String, f32)> = doc
                .into_iter()
                .map(|(g, tf)| {
                    let w = tf * idf.get(&g).copied().unwrap_or(1.0);
                    (g, w)
                })
                .collect();
            let norm = weighted.iter().map(|(_, w)| w * w).sum::<f32>().sqrt();
            if norm <= 0.0 {
                continue;
            }
            for (g, w) in weighted {
                postings.entry(g).or_default().push((ord, w / norm));
            }
        }
        GramCosine { idf, postings }
    }

    /// Cosine of the text with every code sharing a gram with it.
    pub(super) fn score(&self, cleaned: &str) -> OrdMap<f32> {
        let query: Vec<(String, f32)> = grams_1_to_3(cleaned)
            .into_iter()
            .filter_map(|(g, tf)| Some((g.clone(), tf * self.idf.get(&g)?)))
            .collect();
        let norm = query.iter().map(|(_, w)| w * w).sum::<f32>().sqrt();
        let mut scores: OrdMap<f32> = OrdMap::default();
        if norm <= 0.0 {
            return scores;
        }
        for (g, w) in &query {
            for (ord, dw) in self.postings.get(g).into_iter().flatten() {
                *scores.entry(*ord).or_default() += w / norm * dw;
            }
        }
        scores
    }
}

/// What the head of a title (its last characters: 工程师, 技术员, 专员, 经理, 工, 员 …) says
/// about the level of the work, read from how the catalogue's own names and aliases end: of
/// the 229 ending 工程师, 92 % are professionals (major group 2); of those ending 工, 87 % are
/// production workers (6). Built once over major groups and once over minor groups (专员 and
/// 经理 name different fields of the same major group). The field is left to the other signals.
pub(super) struct HeadLevels {
    /// Suffix (1–3 characters) → how many names and aliases of each class end with it.
    counts: HashMap<String, Vec<f32>>,
    overall: Vec<f32>,
}

impl HeadLevels {
    /// `classes[ord]` is the class (major or minor group) of each candidate, below `n`.
    pub(super) fn build(keys: &[Key], classes: &[usize], n: usize) -> HeadLevels {
        let mut counts: HashMap<String, Vec<f32>> = HashMap::default();
        let mut overall = vec![0.0f32; n];
        let mut seen: HashSet<(&str, usize)> = HashSet::default();
        for key in keys {
            let Some(class) = classes.get(key.ord).copied().filter(|c| *c < n) else {
                continue;
            };
            // A name repeated as an alias counts once.
            if !seen.insert((key.text.as_str(), class)) {
                continue;
            }
            overall[class] += 1.0;
            let chars: Vec<char> = key.text.chars().collect();
            for len in 1..=3.min(chars.len().saturating_sub(1)) {
                let suffix: String = chars[chars.len() - len..].iter().collect();
                counts.entry(suffix).or_insert_with(|| vec![0.0; n])[class] += 1.0;
            }
        }
        HeadLevels { counts, overall }
    }

    /// ln(P(class | head) / P(class)) for each class, from the longest suffix of the text's
    /// last fragment the catalogue has seen often enough; `None` when there is none.
    pub(super) fn log_ratios(&self, cleaned: &str) -> Option<Vec<f32>> {
        let last: Vec<char> = cleaned.split_whitespace().last()?.chars().collect();
        let total: f32 = self.overall.iter().sum();
        (1..=3.min(last.len())).rev().find_map(|len| {
            let suffix: String = last[last.len() - len..].iter().collect();
            let counts = self.counts.get(&suffix)?;
            let support: f32 = counts.iter().sum();
            if support < HEAD_SUPPORT {
                return None;
            }
            let out = counts
                .iter()
                .zip(&self.overall)
                .map(|(count, overall)| {
                    let base = overall / total;
                    if base > 0.0 {
                        let p = (count + HEAD_PRIOR * base) / (support + HEAD_PRIOR);
                        (p / base).ln()
                    } else {
                        0.0
                    }
                })
                .collect();
            Some(out)
        })
    }
}

/// The fields of every name, alias and trade word (each without its role head), with the
/// candidates naming them: 营销经理 and 营销专员 share the field 营销 with different heads, so
/// the field says what the work is about and the head (see [`HeadLevels`]) its level.
pub(super) struct FieldNames {
    fields: HashMap<String, (Vec<usize>, f32)>,
}

impl FieldNames {
    pub(super) fn build(keys: &[Key]) -> FieldNames {
        let mut users: HashMap<String, HashSet<usize>> = HashMap::default();
        for key in keys {
            let field = field_of(&key.text);
            if field.chars().count() >= 2 {
                users.entry(field.to_string()).or_default().insert(key.ord);
            }
        }
        let fields = users
            .into_iter()
            .map(|(field, ords)| {
                let n = ords.len();
                let specificity = 1.0 / (1.0 + SPECIFICITY_DECAY * (n.max(1) as f32).ln());
                (field, (ords.into_iter().collect(), specificity))
            })
            .collect();
        FieldNames { fields }
    }

    /// The candidates one of whose names has the field of the text's last fragment.
    pub(super) fn score(&self, cleaned: &str) -> Option<(&[usize], f32)> {
        let last = cleaned.split_whitespace().last()?;
        let (ords, specificity) = self.fields.get(field_of(last))?;
        Some((ords.as_slice(), *specificity))
    }
}
