//! The vocabulary the suggester reads: the CSCO 2022 catalogue (names, aliases, definitions,
//! tasks, at every level) and the reviewed trade words of `sql/seed/occupation_trade_words.csv`.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;
use tantivy_jieba::jieba_rs::Jieba;

use super::cleaning::{normalize, split_brackets};
use crate::db::seed::{split_markers, trade_word_rows};

/// Colloquial trade words as workers and small employers write them (挖机, 电焊, 车位), with
/// the occupation they usually mean: reviewed data in `sql/seed/occupation_trade_words.csv`,
/// each row with its source. A trade word outranks a catalogue alias spelled the same.
pub(super) fn trade_words() -> &'static [(String, String)] {
    static WORDS: std::sync::LazyLock<Vec<(String, String)>> = std::sync::LazyLock::new(|| {
        trade_word_rows()
            .map(|rows| rows.into_iter().map(|r| (r.code, r.word)).collect())
            .unwrap_or_default()
    });
    &WORDS
}

/// Occupations are the answers; unit and minor groups are candidates too (their names and
/// aliases are evidence for what lies inside them), major groups only context.
pub(super) const LEAF_LEVEL: i16 = 4;
const LEAST_CANDIDATE_LEVEL: i16 = 2;

/// Every normalised occupation name, alias and trade word, all levels.
pub(super) fn catalogue_vocabulary(csv_text: &str) -> HashSet<String> {
    let trade_words = trade_words().iter().map(|(_, word)| normalize_key(word));
    read_rows(csv_text)
        .iter()
        .flat_map(|row| {
            let mut words = alias_keys(&row.alias);
            words.push(normalize_key(&split_markers(&row.name).0));
            words
        })
        .chain(trade_words)
        .filter(|w| !w.is_empty())
        .collect()
}

#[derive(Debug, Deserialize)]
pub(super) struct Row {
    pub(super) level: i16,
    pub(super) code: String,
    pub(super) name: String,
    #[serde(default)]
    pub(super) definition: String,
    #[serde(default)]
    pub(super) tasks: String,
    #[serde(default)]
    pub(super) alias: String,
}

pub(super) fn read_rows(csv_text: &str) -> Vec<Row> {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    reader.deserialize::<Row>().filter_map(Result::ok).collect()
}

/// One row per code: a few codes repeat in the source, and the most specific row wins.
pub(super) fn dedupe_by_code(rows: Vec<Row>) -> Vec<Row> {
    let mut by_code: HashMap<String, Row> = HashMap::new();
    for row in rows {
        match by_code.get(&row.code) {
            Some(seen) if seen.level >= row.level => {}
            _ => {
                by_code.insert(row.code.clone(), row);
            }
        }
    }
    let mut rows: Vec<Row> = by_code.into_values().collect();
    rows.sort_by(|a, b| a.code.cmp(&b.code));
    rows
}

/// Lower-cased, bracket-free, space-free form used for every dictionary key.
pub(super) fn normalize_key(text: &str) -> String {
    let (outside, _) = split_brackets(&normalize(text));
    outside.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Aliases are comma-separated; "a/b" aliases also name each part, a shared head or field
/// spelled out ([`slash_parts`]: "市场/营销/拓展经理" → 市场经理, 营销经理, 拓展经理).
pub(super) fn alias_keys(alias: &str) -> Vec<String> {
    let mut keys = Vec::new();
    for item in alias.split([',', '，']) {
        let (item, _) = split_markers(item);
        let key = normalize_key(&item);
        if key.contains('/') {
            keys.extend(
                slash_parts(&key)
                    .into_iter()
                    .filter(|part| part.chars().count() >= 2),
            );
        }
        keys.push(key);
    }
    keys.retain(|k| !k.is_empty());
    keys
}

/// Words that end a title and name the role, not the field: what "a/b" aliases share.
const ROLE_HEADS: &[&str] = &[
    "工程师",
    "技术员",
    "技师",
    "设计师",
    "设计",
    "经理",
    "主管",
    "总监",
    "专员",
    "助理",
    "顾问",
    "策划",
    "研发",
    "开发",
    "运营",
    "工艺师",
    "分析师",
    "跟单",
    "会计",
    "操作",
    "执行",
    "结算",
    "研究员",
    "经纪人",
    "操盘手",
    "负责人",
    "工程",
    "司机",
    "客服",
    "翻译",
    "维修",
    "店长",
    "组长",
    "拉长",
    "领班",
    "部长",
    "专家",
    "学徒",
    "秘书",
    "文员",
    "督导",
    "推广",
    "销售",
    "代表",
    "规划",
    "治理",
    "检测",
    "检验",
    "管理",
    "培训",
    "讲师",
    "分析",
    "主任",
];

/// The role head a name ends with, when the rest (the field) keeps at least two characters.
pub(super) fn role_head(name: &str) -> Option<&'static str> {
    ROLE_HEADS
        .iter()
        .copied()
        .filter(|h| name.ends_with(h) && name.chars().count() >= h.chars().count() + 2)
        .max_by_key(|h| h.len())
}

/// The names an "a/b" alias stands for. A head shared by the parts is spelled out for each:
/// "市场/营销/拓展经理" names 市场经理, 营销经理 and 拓展经理 (short fields before one long
/// name); "餐饮店长/经理" names 餐饮店长 and 餐饮经理 (a name, then other heads for its field).
/// Parts that fit neither reading are kept as written ("前台接待/总机/接待生").
pub(super) fn slash_parts(key: &str) -> Vec<String> {
    let parts: Vec<&str> = key.split('/').collect();
    let (Some(first), Some(last)) = (parts.first().copied(), parts.last().copied()) else {
        return Vec::new();
    };
    let len = |p: &str| p.chars().count();
    let ascii = |p: &str| p.chars().any(|c| c.is_ascii_alphanumeric());
    let short = len(first);
    let fields_first = parts.len() >= 2
        && !ascii(first)
        && len(last) > short
        && parts[..parts.len() - 1].iter().all(|p| len(p) == short);
    if fields_first {
        // The long name's head is what follows a field as long as the others.
        let head: String = last.chars().skip(short).collect();
        let known = ROLE_HEADS.contains(&head.as_str())
            || role_head(&head).is_some_and(|h| len(&head) >= len(h) + 2);
        if known {
            return parts
                .iter()
                .map(|p| {
                    if *p == last {
                        p.to_string()
                    } else {
                        format!("{p}{head}")
                    }
                })
                .collect();
        }
    }
    let field = role_head(first).map(|h| &first[..first.len() - h.len()]);
    parts
        .iter()
        .enumerate()
        .map(|(i, p)| match field {
            Some(field) if i > 0 && ROLE_HEADS.contains(p) => format!("{field}{p}"),
            _ => p.to_string(),
        })
        .collect()
}

pub(super) struct Occupation {
    pub(super) code: String,
    pub(super) name: String,
    pub(super) level: i16,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub(super) enum Source {
    Alias,
    Synonym,
    Name,
}

/// A word that names an occupation: its name, an alias or a trade word.
pub(super) struct Key {
    pub(super) text: String,
    pub(super) ord: usize,
    pub(super) source: Source,
}

/// Every key of every occupation. A trade word that is also another occupation's alias
/// overrides that alias, which is dropped from the entry too so it no longer matches there.
pub(super) fn occupation_keys(entries: &mut [Entry]) -> Vec<Key> {
    let ord_of: HashMap<String, usize> = entries
        .iter()
        .enumerate()
        .map(|(ord, e)| (e.code.clone(), ord))
        .collect();
    // A catalogue without a target (a test fixture, an older edition) just skips its words.
    let synonyms: HashMap<String, usize> = trade_words()
        .iter()
        .filter_map(|(code, word)| Some((normalize_key(word), ord_of.get(code).copied()?)))
        .collect();
    let mut keys = Vec::new();
    for (ord, entry) in entries.iter_mut().enumerate() {
        entry
            .aliases
            .retain(|alias| synonyms.get(alias).is_none_or(|target| *target == ord));
        keys.push(Key {
            text: normalize_key(&entry.name),
            ord,
            source: Source::Name,
        });
        keys.extend(entry.aliases.iter().map(|alias| Key {
            text: alias.clone(),
            ord,
            source: Source::Alias,
        }));
    }
    for (text, ord) in synonyms {
        // Indexed with the aliases too, so BM25 and character pairs see them.
        if let Some(entry) = entries.get_mut(ord) {
            entry.aliases.push(text.clone());
        }
        keys.push(Key {
            text,
            ord,
            source: Source::Synonym,
        });
    }
    keys
}

/// Everything needed to index one occupation.
pub(super) struct Entry {
    pub(super) code: String,
    pub(super) name: String,
    pub(super) level: i16,
    pub(super) aliases: Vec<String>,
    pub(super) groups: Vec<String>,
    pub(super) definition: String,
    pub(super) tasks: String,
}

/// The codes of the coarser groups an occupation belongs to (unit group, then minor group).
pub(super) fn parent_codes(code: &str) -> Vec<String> {
    let parts: Vec<&str> = code.split('-').collect();
    let [major, minor, unit, _] = parts[..] else {
        return Vec::new();
    };
    vec![
        format!("{major}-{minor}-{unit}-00"),
        format!("{major}-{minor}-00-00"),
    ]
}

pub(super) fn entries_from_rows(rows: Vec<Row>) -> Vec<Entry> {
    let names: HashMap<String, String> = rows
        .iter()
        .map(|r| (r.code.clone(), split_markers(&r.name).0))
        .collect();
    rows.into_iter()
        .filter(|row| row.level >= LEAST_CANDIDATE_LEVEL)
        .map(|row| {
            let groups = parent_codes(&row.code)
                .into_iter()
                .filter(|parent| *parent != row.code)
                .filter_map(|parent| names.get(&parent).cloned())
                .collect();
            Entry {
                aliases: alias_keys(&row.alias),
                name: split_markers(&row.name).0,
                groups,
                code: row.code,
                level: row.level,
                definition: row.definition,
                tasks: row.tasks,
            }
        })
        .collect()
}

/// Jieba with the catalogue's own words added, so 挖掘机司机 or 中式面点师 are not split into
/// unrelated pieces.
pub(super) fn jieba_with<'a>(words: impl Iterator<Item = &'a str>) -> Jieba {
    let mut jieba = Jieba::new();
    for word in words {
        if word.chars().count() >= 2 && !jieba.has_word(word) {
            jieba.add_word(word, None, None);
        }
    }
    jieba
}

/// Endings of a definition that name the kind of worker, not the field ("…的专业人员").
const WORKER_ENDINGS: &[&str] = &[
    "工作的专业人员",
    "工作的工程技术人员",
    "工作的技术人员",
    "工作的人员",
    "的工程技术人员",
    "的专业技术人员",
    "的技术人员",
    "的专业人员",
    "的工作人员",
    "的人员",
    "人员",
];

/// The field of work a CSCO definition names: "从事市场分析、产品宣传促销…的专业人员" →
/// "市场分析、产品宣传促销…", the clause after the last 从事 / 进行 / 负责 / 担任.
pub(super) fn field_clause(definition: &str) -> &str {
    let mut text = definition
        .trim()
        .trim_end_matches(['。', '.', '；', ';', ' ']);
    if let Some(ending) = WORKER_ENDINGS.iter().find(|e| text.ends_with(**e)) {
        text = &text[..text.len() - ending.len()];
    }
    let start = ["从事", "进行", "负责", "担任"]
        .iter()
        .filter_map(|verb| text.rfind(verb).map(|i| i + verb.len()))
        .max();
    start.map_or(text, |i| &text[i..])
}

/// One key per occupation with a definition: the field of work it names.
pub(super) fn field_keys(entries: &[Entry]) -> Vec<Key> {
    entries
        .iter()
        .enumerate()
        .filter(|(_, e)| e.level == LEAF_LEVEL)
        .map(|(ord, e)| Key {
            text: normalize_key(field_clause(&e.definition)),
            ord,
            source: Source::Name,
        })
        .filter(|k| !k.text.is_empty())
        .collect()
}

/// Heads the catalogue's own names end with ("…专业人员"), besides [`ROLE_HEADS`].
const CATALOGUE_HEADS: &[&str] = &[
    "工程技术人员",
    "专业技术人员",
    "专业人员",
    "技术人员",
    "人员",
];

/// A name without its role head: the field of work it names ("营销经理" → "营销",
/// "市场营销专业人员" → "市场营销"); the name itself when it has no head.
pub(super) fn field_of(name: &str) -> &str {
    let catalogue = CATALOGUE_HEADS
        .iter()
        .copied()
        .filter(|h| name.ends_with(h) && name.chars().count() >= h.chars().count() + 2)
        .max_by_key(|h| h.len());
    match catalogue.or_else(|| role_head(name)) {
        Some(head) => &name[..name.len() - head.len()],
        None => name,
    }
}
