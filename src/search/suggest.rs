//! Occupation suggestions: free-text job titles to ranked CSCO 2022 codes.
//!
//! People type titles the way job ads read ("肇州世纪华辰超市连锁招聘收银（兼职）"), so a query
//! goes through three stages:
//!
//! 1. [`clean_title`] strips recruiting noise: brackets, places, employers, pay, perks and codes.
//! 2. Phrase hits: occupation names, their aliases and a small table of colloquial trade words
//!    found inside the cleaned text. A specific phrase that covers most of the text is the
//!    strongest signal available, so these dominate the score.
//! 3. BM25 over jieba words of the name, aliases, parent groups, definition and tasks, plus a
//!    character-bigram field for compounds no dictionary has seen.
//!
//! Scores are combined per occupation; ties are broken by code so results are deterministic.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, LazyLock};

use serde::Deserialize;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, INDEXED, STORED, STRING,
};
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};
use tantivy::{Index, IndexReader, ReloadPolicy, Searcher, TantivyDocument, Term};
use tantivy_jieba::jieba_rs::{Jieba, TokenizeMode};

use crate::db::seed::{split_markers, OCCUPATIONS_CSV, REGIONS_CSV};

/// One ranked occupation for a piece of free text.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Suggestion {
    /// CSCO 2022 code, e.g. `6-18-02-04`.
    pub code: String,
    pub name: String,
    /// Always 4 (occupation) today; kept so clients need not assume it.
    pub level: i16,
    /// Relative relevance, higher is better; only comparable within one answer.
    pub score: f32,
}

#[derive(Debug, thiserror::Error)]
pub enum SuggestError {
    #[error("empty query")]
    Empty,
    #[error("search failed: {0}")]
    Search(String),
}

impl From<tantivy::TantivyError> for SuggestError {
    fn from(err: tantivy::TantivyError) -> Self {
        SuggestError::Search(err.to_string())
    }
}

const MAX_LIMIT: usize = 50;
const MAX_TITLE_CHARS: usize = 120;
/// Only suggestion targets are indexed; coarser levels serve as context.
const OCCUPATION_LEVEL: i16 = 4;
/// BM25 candidates fetched per field group before re-ranking; the catalogue is small.
const CANDIDATES: usize = 200;
const WRITER_MEMORY: usize = 50_000_000;

const JIEBA: &str = "jieba";
const BIGRAM: &str = "bigram";

/// Weight of the phrase signal against the (max-normalised) BM25 signals.
const PHRASE_WEIGHT: f32 = 2.0;
const WORDS_WEIGHT: f32 = 1.0;
const GRAMS_WEIGHT: f32 = 0.5;

/// Colloquial trade words as workers and small employers write them, mapped to the occupation
/// the word usually means. Only words the catalogue's names and aliases do not already cover.
const TRADE_SYNONYMS: &[(&str, &str)] = &[
    // Welding (焊工).
    ("电焊", "6-18-02-04"),
    ("气焊", "6-18-02-04"),
    ("氩弧焊", "6-18-02-04"),
    ("二保焊", "6-18-02-04"),
    ("电气焊", "6-18-02-04"),
    ("焊接工", "6-18-02-04"),
    // Earth-moving machinery (挖掘铲运和桩工机械司机).
    ("挖机", "6-30-05-05"),
    ("勾机", "6-30-05-05"),
    ("钩机", "6-30-05-05"),
    ("挖掘机", "6-30-05-05"),
    ("挖土机", "6-30-05-05"),
    ("铲车", "6-30-05-05"),
    ("装载机", "6-30-05-05"),
    ("推土机", "6-30-05-05"),
    ("打桩", "6-30-05-05"),
    // Lifting and forklifts.
    ("吊车", "6-30-05-02"),
    ("塔吊", "6-30-05-01"),
    ("行车工", "6-30-05-01"),
    ("天车工", "6-30-05-01"),
    ("叉车", "6-30-05-01"),
    // Kitchen.
    ("拉面", "4-03-02-02"),
    ("面点", "4-03-02-02"),
    ("面食", "4-03-02-02"),
    ("白案", "4-03-02-02"),
    ("包子", "4-03-02-02"),
    ("饺子", "4-03-02-02"),
    ("炒菜", "4-03-02-01"),
    ("厨子", "4-03-02-01"),
    ("大厨", "4-03-02-01"),
    ("帮厨", "4-03-02-01"),
    ("掌勺", "4-03-02-01"),
    ("切配", "4-03-02-01"),
    ("红案", "4-03-02-01"),
    ("传菜", "4-03-02-05"),
    ("洗碗", "4-03-02-05"),
    ("烘焙", "6-02-01-01"),
    ("面包师", "6-02-01-01"),
    // Household and care work.
    ("育婴", "4-10-01-03"),
    ("育儿嫂", "4-10-01-03"),
    ("住家阿姨", "4-10-01-06"),
    ("陪护", "4-14-01-02"),
    ("护理员", "4-14-01-02"),
    ("养老院", "4-10-01-05"),
    ("清洁", "4-09-08-01"),
    ("扫地", "4-09-08-01"),
    // Building trades.
    ("瓦工", "6-29-01-01"),
    ("泥工", "6-29-01-01"),
    ("瓦匠", "6-29-01-01"),
    ("泥水工", "6-29-01-01"),
    ("砌砖", "6-29-01-01"),
    ("木匠", "6-06-03-01"),
    ("油漆", "6-18-03-03"),
    ("喷漆", "6-18-03-03"),
    ("刷漆", "6-18-03-03"),
    ("腻子", "6-29-04-01"),
    ("抹灰", "6-29-04-01"),
    ("贴砖", "6-29-04-01"),
    ("装修工", "6-29-04-01"),
    ("水暖工", "6-29-03-04"),
    // Transport and delivery.
    ("外卖", "4-10-08-01"),
    ("骑手", "4-10-08-01"),
    ("快递", "4-02-07-08"),
    ("网约车", "4-02-02-01"),
    ("出租车", "4-02-02-01"),
    ("大巴", "4-02-02-01"),
    ("货车", "4-02-02-02"),
    ("卡车", "4-02-02-02"),
    ("大车司机", "4-02-02-02"),
    ("搬家", "4-02-05-01"),
    ("分拣", "4-02-06-02"),
    ("打包", "6-31-05-00"),
    ("仓管", "4-02-06-01"),
    ("库管", "4-02-06-01"),
    // Personal services.
    ("理发", "4-10-03-02"),
    ("足浴", "4-10-03-05"),
    ("搓澡", "4-10-03-04"),
    ("门卫", "4-07-05-01"),
    ("汽修", "4-12-01-01"),
    ("修车", "4-12-01-01"),
    // Garment and farm work.
    ("缝纫", "6-05-01-03"),
    ("平车", "6-05-01-03"),
    ("制衣", "6-05-01-03"),
    ("养猪", "5-03-02-01"),
    ("养牛", "5-03-02-01"),
    ("养羊", "5-03-02-01"),
    ("养鸡", "5-03-02-02"),
    ("带货", "4-01-06-02"),
];

/// Words that only advertise the job: pay, perks, urgency, employment terms.
const NOISE_WORDS: &[&str] = &[
    "招聘",
    "诚聘",
    "急聘",
    "急招",
    "直招",
    "诚招",
    "热招",
    "招募",
    "聘请",
    "招工",
    "直聘",
    "高薪",
    "包吃住",
    "包吃包住",
    "包食宿",
    "提供食宿",
    "管吃住",
    "管吃管住",
    "食宿",
    "包住",
    "包吃",
    "五险一金",
    "五险",
    "社保",
    "双休",
    "单休",
    "长白班",
    "白班",
    "夜班",
    "倒班",
    "两班倒",
    "长期",
    "短期",
    "临时",
    "兼职",
    "全职",
    "暑假工",
    "寒假工",
    "日结",
    "周结",
    "月结",
    "月薪",
    "底薪",
    "时薪",
    "日薪",
    "年薪",
    "薪资",
    "工资",
    "提成",
    "保底",
    "待遇",
    "优厚",
    "面议",
    "不封顶",
    "以上",
    "以下",
    "左右",
    "男女不限",
    "不限",
    "男女",
    "限男",
    "限女",
    "年龄",
    "无经验",
    "有经验",
    "经验",
    "学徒",
    "包教包会",
    "包教",
    "带薪培训",
    "岗前培训",
    "免费培训",
    "免费",
    "住宿",
    "离家近",
    "急需",
    "多名",
    "若干",
    "数名",
    "优先",
    "岗位",
    "职位",
    "上班",
    "正式工",
    "大量",
    "内推",
    "师傅",
    "阿姨",
    "小工",
    "全国",
    "省内",
    "市内",
    "市区",
    "县城",
    "城区",
    "乡镇",
    "周边",
    "附近",
    "本地",
    "同城",
    "异地",
    "外地",
];

/// Words that start a job after an employer's name ("某某超市招聘收银员").
const RECRUIT_MARKERS: &[&str] = &[
    "招聘", "诚聘", "急聘", "急招", "直招", "诚招", "热招", "招募", "招", "聘",
];

/// Employer suffixes whose text before them is never the job.
const EMPLOYER_SUFFIXES: &[&str] = &["有限公司", "公司", "集团", "超市", "商行", "连锁"];

/// Real job words that contain a noise or marker word and must survive cleaning.
const KEEP_WORDS: &[&str] = &[
    "招商",
    "招标",
    "招投标",
    "招生",
    "招待",
    "招聘专员",
    "招聘主管",
    "招聘经理",
    "招聘助理",
    "招聘顾问",
    "招聘总监",
];

const CN_NUMERALS: &str = "一二两三四五六七八九十百几";

/// Word fields and their BM25 boosts: what people call a job matters more than how the
/// catalogue describes it.
struct FieldBoosts {
    name: f32,
    aliases: f32,
    groups: f32,
    definition: f32,
    tasks: f32,
}

const BOOSTS: FieldBoosts = FieldBoosts {
    name: 4.0,
    aliases: 3.0,
    groups: 0.7,
    definition: 1.0,
    tasks: 0.4,
};

// ---------------------------------------------------------------------------------------------
// Cleaning

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Lexeme {
    Keep,
    Noise,
    Place,
}

/// Longest-match lexicon for the cleaner, built once from the reference data in the binary.
struct Lexicon {
    words: HashMap<String, Lexeme>,
    max_chars: usize,
}

static LEXICON: LazyLock<Lexicon> = LazyLock::new(Lexicon::build);

#[derive(Deserialize)]
struct RegionRow {
    name: String,
    short_name: String,
}

impl Lexicon {
    fn build() -> Lexicon {
        let vocabulary = catalogue_vocabulary(OCCUPATIONS_CSV);
        let inside_vocabulary: HashSet<String> =
            vocabulary.iter().flat_map(|w| substrings(w)).collect();
        let mut words: HashMap<String, Lexeme> = HashMap::new();
        for place in place_names() {
            // A place spelled inside an occupation word (景泰蓝, 资源) is not a place there.
            if !inside_vocabulary.contains(&place) {
                words.insert(place, Lexeme::Place);
            }
        }
        for noise in NOISE_WORDS {
            words.insert((*noise).to_string(), Lexeme::Noise);
        }
        // Occupation words that contain noise (兼职店员, 烧烤师傅) are kept whole: the longest
        // match at a position wins, so they shadow the noise inside them.
        let keep: Vec<String> = vocabulary
            .iter()
            .filter(|w| substrings(w).any(|sub| sub.len() < w.len() && words.contains_key(&sub)))
            .cloned()
            .collect();
        for word in keep
            .into_iter()
            .chain(KEEP_WORDS.iter().map(|w| w.to_string()))
        {
            words.insert(word, Lexeme::Keep);
        }
        let max_chars = words.keys().map(|w| w.chars().count()).max().unwrap_or(0);
        Lexicon { words, max_chars }
    }

    /// The longest lexicon entry starting at `start`, as (kind, length in chars).
    fn longest_at(&self, chars: &[char], start: usize) -> Option<(Lexeme, usize)> {
        let longest = self.max_chars.min(chars.len().saturating_sub(start));
        (2..=longest).rev().find_map(|len| {
            let word: String = chars[start..start + len].iter().collect();
            self.words.get(&word).map(|kind| (*kind, len))
        })
    }
}

/// Every substring of two characters or more.
fn substrings(word: &str) -> impl Iterator<Item = String> {
    let chars: Vec<char> = word.chars().collect();
    let n = chars.len();
    (0..n).flat_map(move |start| {
        let chars = chars.clone();
        (start + 2..=n).map(move |end| chars[start..end].iter().collect())
    })
}

/// Full and short names (two characters or more) of provinces, prefectures and counties.
fn place_names() -> Vec<String> {
    let mut reader = csv::Reader::from_reader(REGIONS_CSV.as_bytes());
    reader
        .deserialize::<RegionRow>()
        .filter_map(Result::ok)
        .flat_map(|row| [row.name, row.short_name])
        .filter(|name| name.chars().count() >= 2)
        .collect()
}

/// Every normalised occupation name and alias in a catalogue, all levels.
fn catalogue_vocabulary(csv_text: &str) -> HashSet<String> {
    read_rows(csv_text)
        .iter()
        .flat_map(|row| {
            let mut words = alias_keys(&row.alias);
            words.push(normalize_key(&split_markers(&row.name).0));
            words
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// Strips recruiting noise from a job title: bracketed asides, employers, places, pay, perks,
/// headcounts and posting codes. Returns space-separated fragments, lower-cased ASCII, or an
/// empty string when nothing job-like is left.
pub fn clean_title(raw: &str) -> String {
    let text = normalize(&truncate(raw));
    let (outside, asides) = split_brackets(&text);
    let main = clean_fragment(&drop_employer(&outside));
    if !main.is_empty() {
        return main;
    }
    // Everything outside was noise ("高薪招聘（焊工）"): the job is in the brackets.
    asides
        .iter()
        .map(|aside| clean_fragment(&drop_employer(aside)))
        .find(|cleaned| !cleaned.is_empty())
        .unwrap_or_default()
}

/// Titles are short; a long paste is cut so cleaning (quadratic in places) stays cheap.
fn truncate(raw: &str) -> String {
    raw.chars().take(MAX_TITLE_CHARS).collect()
}

/// Full-width forms to ASCII, ASCII to lower case, ideographic space to space.
fn normalize(raw: &str) -> String {
    raw.chars()
        .map(|c| match c {
            '\u{3000}' => ' ',
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn closing_bracket(open: char) -> Option<char> {
    Some(match open {
        '(' => ')',
        '[' => ']',
        '{' => '}',
        '<' => '>',
        '【' => '】',
        '〔' => '〕',
        '「' => '」',
        '『' => '』',
        '《' => '》',
        '〈' => '〉',
        '〖' => '〗',
        _ => return None,
    })
}

/// Splits text into what lies outside brackets (asides replaced by a space) and the asides
/// themselves. An unclosed bracket runs to the end of the text.
fn split_brackets(text: &str) -> (String, Vec<String>) {
    let mut outside = String::new();
    let mut asides = Vec::new();
    let mut current = String::new();
    let mut expected: Vec<char> = Vec::new();
    for c in text.chars() {
        if let Some(close) = closing_bracket(c) {
            expected.push(close);
            current.push(' ');
        } else if expected.last() == Some(&c) {
            expected.pop();
            if expected.is_empty() {
                asides.push(std::mem::take(&mut current));
                outside.push(' ');
            } else {
                current.push(' ');
            }
        } else if expected.is_empty() {
            outside.push(c);
        } else {
            current.push(c);
        }
    }
    if !current.trim().is_empty() {
        asides.push(current);
    }
    (outside, asides)
}

/// Drops an employer or place in front of the job: text before a recruiting word
/// ("…超市连锁招聘收银") or after an employer suffix ("…有限公司电焊工"), as long as a job is
/// left after it.
fn drop_employer(text: &str) -> String {
    let lexicon = &*LEXICON;
    let chars: Vec<char> = text.chars().collect();
    let mut cut = None;
    let mut i = 0;
    while i < chars.len() {
        if let Some((Lexeme::Keep, len)) = lexicon.longest_at(&chars, i) {
            i += len;
            continue;
        }
        let marker = RECRUIT_MARKERS
            .iter()
            .chain(EMPLOYER_SUFFIXES)
            .map(|m| m.chars().collect::<Vec<char>>())
            .filter(|m| chars[i..].starts_with(m))
            .map(|m| m.len())
            .max();
        match marker {
            Some(len) => {
                let rest: String = chars[i + len..].iter().collect();
                // The last employer or marker wins: "…超市连锁招聘收银" keeps only 收银.
                if !clean_fragment(&rest).is_empty() {
                    cut = Some(i + len);
                }
                i += len;
            }
            None => i += 1,
        }
    }
    match cut {
        Some(at) => chars[at..].iter().collect(),
        None => text.to_string(),
    }
}

/// Units that follow a number in pay, headcount and age ("5000-8000元/月", "2名", "18-45岁").
fn is_number_tail(c: char) -> bool {
    c.is_ascii_digit()
        || ".,-~+/%kw".contains(c)
        || "—～到至千万元块个名人位岁年月天日时小周起".contains(c)
}

/// Removes noise words, places, numbers and codes; separators become fragment breaks.
fn clean_fragment(text: &str) -> String {
    let lexicon = &*LEXICON;
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_digit() {
            i = skip_while(&chars, i, is_number_tail);
            out.push(' ');
        } else if c.is_ascii_alphabetic() {
            let end = skip_while(&chars, i, |c| c.is_ascii_alphanumeric());
            let run = &chars[i..end];
            // Posting and internal codes (MJ004615) carry digits; skill names (PLC, C1) few.
            if run.iter().filter(|c| c.is_ascii_digit()).count() < 2 {
                out.extend(run);
            } else {
                out.push(' ');
            }
            i = end;
        } else if CN_NUMERALS.contains(c) && counts_people(&chars, i) {
            i = skip_while(&chars, i, |c| CN_NUMERALS.contains(c)) + 1;
            out.push(' ');
        } else if let Some((kind, len)) = lexicon.longest_at(&chars, i) {
            if kind == Lexeme::Keep {
                out.extend(&chars[i..i + len]);
            } else {
                out.push(' ');
            }
            i += len;
        } else if c.is_alphanumeric() {
            out.push(c);
            i += 1;
        } else {
            out.push(' ');
            i += 1;
        }
    }
    out.split_whitespace()
        .filter(|fragment| !is_leftover(fragment))
        .collect::<Vec<_>>()
        .join(" ")
}

/// "两名", "三人": a Chinese numeral run followed by a headcount word.
fn counts_people(chars: &[char], start: usize) -> bool {
    let end = skip_while(chars, start, |c| CN_NUMERALS.contains(c));
    matches!(chars.get(end), Some('名' | '人' | '位'))
}

/// Single characters left behind by stripping ("市", "招") say nothing about the job.
fn is_leftover(fragment: &str) -> bool {
    let mut chars = fragment.chars();
    matches!((chars.next(), chars.next()), (Some(c), None) if "市县区省镇乡村招聘急的和及或".contains(c))
}

fn skip_while(chars: &[char], start: usize, keep: impl Fn(char) -> bool) -> usize {
    chars[start..]
        .iter()
        .position(|c| !keep(*c))
        .map_or(chars.len(), |offset| start + offset)
}

/// The text used when cleaning removed everything: just the letters, digits and CJK.
fn fallback_text(raw: &str) -> String {
    normalize(&truncate(raw))
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

// ---------------------------------------------------------------------------------------------
// Catalogue

#[derive(Debug, Deserialize)]
struct Row {
    level: i16,
    code: String,
    name: String,
    #[serde(default)]
    definition: String,
    #[serde(default)]
    tasks: String,
    #[serde(default)]
    alias: String,
}

fn read_rows(csv_text: &str) -> Vec<Row> {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    reader.deserialize::<Row>().filter_map(Result::ok).collect()
}

/// One row per code: a few codes repeat in the source, and the most specific row wins.
fn dedupe_by_code(rows: Vec<Row>) -> Vec<Row> {
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
fn normalize_key(text: &str) -> String {
    let (outside, _) = split_brackets(&normalize(text));
    outside.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Aliases are comma-separated; "a/b" aliases also name each part ("家政服务/保姆").
fn alias_keys(alias: &str) -> Vec<String> {
    let mut keys = Vec::new();
    for item in alias.split([',', '，']) {
        let (item, _) = split_markers(item);
        let key = normalize_key(&item);
        if key.contains('/') {
            keys.extend(
                key.split('/')
                    .filter(|part| part.chars().count() >= 2)
                    .map(str::to_string),
            );
        }
        keys.push(key);
    }
    keys.retain(|k| !k.is_empty());
    keys
}

struct Occupation {
    code: String,
    name: String,
    level: i16,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Source {
    Alias,
    Synonym,
    Name,
}

/// Phrase dictionary: every name, alias and trade word, with how specific it is.
struct Phrases {
    entries: HashMap<String, Phrase>,
    max_chars: usize,
}

struct Phrase {
    targets: Vec<(usize, Source)>,
    /// 1 for a word only one occupation uses, lower for heads shared by many (司机, 服务员).
    specificity: f32,
}

impl Phrases {
    fn build(keys: &[(String, usize, Source)], texts: &[(usize, Vec<String>)]) -> Phrases {
        let mut entries: HashMap<String, Phrase> = HashMap::new();
        for (key, ord, source) in keys {
            if key.chars().count() < 2 {
                continue;
            }
            let phrase = entries.entry(key.clone()).or_insert_with(|| Phrase {
                targets: Vec::new(),
                specificity: 1.0,
            });
            match phrase.targets.iter_mut().find(|(o, _)| o == ord) {
                Some(target) => target.1 = target.1.max(*source),
                None => phrase.targets.push((*ord, *source)),
            }
        }
        let max_chars = entries.keys().map(|k| k.chars().count()).max().unwrap_or(0);
        let mut phrases = Phrases { entries, max_chars };
        phrases.measure_specificity(texts);
        phrases
    }

    /// Counts how many occupations spell each key somewhere in their names or aliases.
    fn measure_specificity(&mut self, texts: &[(usize, Vec<String>)]) {
        let mut users: HashMap<&str, usize> = HashMap::new();
        for (_, words) in texts {
            let mut seen: HashSet<&str> = HashSet::new();
            for word in words {
                let chars: Vec<char> = word.chars().collect();
                for start in 0..chars.len() {
                    let longest = self.max_chars.min(chars.len() - start);
                    for len in 2..=longest {
                        let sub: String = chars[start..start + len].iter().collect();
                        if let Some((key, _)) = self.entries.get_key_value(&sub) {
                            seen.insert(key.as_str());
                        }
                    }
                }
            }
            for key in seen {
                *users.entry(key).or_default() += 1;
            }
        }
        let counts: Vec<(String, usize)> = users
            .into_iter()
            .map(|(key, n)| (key.to_string(), n))
            .collect();
        for (key, n) in counts {
            if let Some(phrase) = self.entries.get_mut(&key) {
                phrase.specificity = 1.0 / (1.0 + 0.5 * (n.max(1) as f32).ln());
            }
        }
    }

    /// Best phrase score per occupation for the cleaned text.
    fn score(&self, cleaned: &str) -> HashMap<usize, f32> {
        let fragments: Vec<Vec<char>> = cleaned
            .split_whitespace()
            .map(|f| f.chars().collect())
            .collect();
        let total: usize = fragments.iter().map(Vec::len).sum();
        let mut scores: HashMap<usize, f32> = HashMap::new();
        for chars in &fragments {
            for hit in self.maximal_hits(chars) {
                let Some(phrase) = self.entries.get(&hit.key) else {
                    continue;
                };
                let len = hit.end - hit.start;
                let coverage = len as f32 / total.max(1) as f32;
                let mut score = phrase.specificity * (0.5 + 0.5 * coverage);
                if len == total {
                    score += 0.5;
                }
                // Chinese compounds put the head last: 物业保安 is a guard, not a manager.
                if hit.end == chars.len() {
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
    fn maximal_hits(&self, chars: &[char]) -> Vec<Hit> {
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

struct Hit {
    start: usize,
    end: usize,
    key: String,
}

/// ASCII keys must be whole words: "ie" is an alias, but not inside "engineer".
fn ascii_bounded(chars: &[char], start: usize, end: usize) -> bool {
    let inner_ascii = |i: usize| chars.get(i).is_some_and(|c| c.is_ascii_alphanumeric());
    let starts_ok = !(inner_ascii(start) && start > 0 && inner_ascii(start - 1));
    let ends_ok = !(inner_ascii(end - 1) && inner_ascii(end));
    starts_ok && ends_ok
}

// ---------------------------------------------------------------------------------------------
// Tokenizers

/// Jieba behind an `Arc`: tantivy clones tokenizers per field and segment, and a `Jieba` owns
/// its whole dictionary.
#[derive(Clone)]
struct JiebaWords(Arc<Jieba>);

impl JiebaWords {
    /// Search-mode words (百货公司 also yields 百货 and 公司), lower-cased, punctuation dropped.
    fn words(&self, text: &str) -> Vec<Token> {
        self.0
            .tokenize(text, TokenizeMode::Search, true)
            .into_iter()
            .filter(|t| t.word.chars().any(char::is_alphanumeric))
            .map(|t| Token {
                offset_from: t.byte_start,
                offset_to: t.byte_end,
                position: t.start,
                text: t.word.to_lowercase(),
                position_length: t.end.saturating_sub(t.start).max(1),
            })
            .collect()
    }
}

impl Tokenizer for JiebaWords {
    type TokenStream<'a> = VecTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        VecTokenStream::new(self.words(text))
    }
}

/// Overlapping character pairs within runs of letters and digits: matches compounds the word
/// segmenter splits differently on the two sides.
#[derive(Clone)]
struct CharBigrams;

fn bigrams(text: &str) -> Vec<String> {
    let lowered = text.to_lowercase();
    let mut grams = Vec::new();
    for run in lowered.split(|c: char| !c.is_alphanumeric()) {
        let chars: Vec<char> = run.chars().collect();
        grams.extend(chars.windows(2).map(|pair| pair.iter().collect::<String>()));
    }
    grams
}

impl Tokenizer for CharBigrams {
    type TokenStream<'a> = VecTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        let tokens = bigrams(text)
            .into_iter()
            .enumerate()
            .map(|(position, text)| Token {
                position,
                text,
                ..Token::default()
            })
            .collect();
        VecTokenStream::new(tokens)
    }
}

struct VecTokenStream {
    tokens: std::vec::IntoIter<Token>,
    current: Token,
}

impl VecTokenStream {
    fn new(tokens: Vec<Token>) -> Self {
        VecTokenStream {
            tokens: tokens.into_iter(),
            current: Token::default(),
        }
    }
}

impl TokenStream for VecTokenStream {
    fn advance(&mut self) -> bool {
        match self.tokens.next() {
            Some(token) => {
                self.current = token;
                true
            }
            None => false,
        }
    }

    fn token(&self) -> &Token {
        &self.current
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.current
    }
}

// ---------------------------------------------------------------------------------------------
// Index

#[derive(Clone, Copy)]
struct Fields {
    name: Field,
    aliases: Field,
    groups: Field,
    definition: Field,
    tasks: Field,
    grams: Field,
    code: Field,
    level: Field,
    ord: Field,
}

impl Fields {
    fn schema() -> (Schema, Fields) {
        let text = |tokenizer: &str| {
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(tokenizer)
                    .set_index_option(IndexRecordOption::WithFreqs),
            )
        };
        let mut builder = Schema::builder();
        let fields = Fields {
            name: builder.add_text_field("name", text(JIEBA)),
            aliases: builder.add_text_field("aliases", text(JIEBA)),
            groups: builder.add_text_field("groups", text(JIEBA)),
            definition: builder.add_text_field("definition", text(JIEBA)),
            tasks: builder.add_text_field("tasks", text(JIEBA)),
            grams: builder.add_text_field("grams", text(BIGRAM)),
            code: builder.add_text_field("code", STRING | STORED),
            level: builder.add_i64_field("level", INDEXED | STORED),
            ord: builder.add_u64_field("ord", FAST),
        };
        (builder.build(), fields)
    }

    fn weighted_words(&self) -> [(Field, f32); 5] {
        [
            (self.name, BOOSTS.name),
            (self.aliases, BOOSTS.aliases),
            (self.groups, BOOSTS.groups),
            (self.definition, BOOSTS.definition),
            (self.tasks, BOOSTS.tasks),
        ]
    }
}

/// Everything needed to index one occupation.
struct Entry {
    code: String,
    name: String,
    level: i16,
    aliases: Vec<String>,
    groups: Vec<String>,
    definition: String,
    tasks: String,
}

/// The codes of the coarser groups an occupation belongs to (unit group, then minor group).
fn parent_codes(code: &str) -> Vec<String> {
    let parts: Vec<&str> = code.split('-').collect();
    let [major, minor, unit, _] = parts[..] else {
        return Vec::new();
    };
    vec![
        format!("{major}-{minor}-{unit}-00"),
        format!("{major}-{minor}-00-00"),
    ]
}

fn entries_from_rows(rows: Vec<Row>) -> Vec<Entry> {
    let names: HashMap<String, String> = rows
        .iter()
        .map(|r| (r.code.clone(), split_markers(&r.name).0))
        .collect();
    rows.into_iter()
        .filter(|row| row.level == OCCUPATION_LEVEL)
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
fn jieba_with(words: impl Iterator<Item = String>) -> Jieba {
    let mut jieba = Jieba::new();
    for word in words {
        if word.chars().count() >= 2 && !jieba.has_word(&word) {
            jieba.add_word(&word, None, None);
        }
    }
    jieba
}

/// Free text to ranked CSCO occupations. Built once, shared read-only across threads.
pub struct OccupationSuggester {
    reader: IndexReader,
    fields: Fields,
    words: JiebaWords,
    occupations: Vec<Occupation>,
    phrases: Phrases,
    /// `doc_ords[segment][doc]` is the index into `occupations`.
    doc_ords: Vec<Vec<usize>>,
}

impl OccupationSuggester {
    /// Builds the in-memory index from the occupation CSV
    /// (`level,code,code_num,name,definition,tasks,csco_code_num,alias`).
    pub fn from_csv(csv: &str) -> anyhow::Result<OccupationSuggester> {
        let entries = entries_from_rows(dedupe_by_code(read_rows(csv)));
        anyhow::ensure!(!entries.is_empty(), "no level-4 occupations in the CSV");
        let ord_of: HashMap<&str, usize> = entries
            .iter()
            .enumerate()
            .map(|(ord, e)| (e.code.as_str(), ord))
            .collect();

        let mut keys: Vec<(String, usize, Source)> = Vec::new();
        for (ord, entry) in entries.iter().enumerate() {
            keys.push((normalize_key(&entry.name), ord, Source::Name));
            keys.extend(
                entry
                    .aliases
                    .iter()
                    .map(|a| (a.clone(), ord, Source::Alias)),
            );
        }
        for (word, code) in TRADE_SYNONYMS {
            // A catalogue without the target (a test fixture, an older edition) just skips it.
            if let Some(&ord) = ord_of.get(code) {
                keys.push((normalize_key(word), ord, Source::Synonym));
            }
        }
        let texts: Vec<(usize, Vec<String>)> = entries
            .iter()
            .enumerate()
            .map(|(ord, e)| {
                let mut words = e.aliases.clone();
                words.push(normalize_key(&e.name));
                (ord, words)
            })
            .collect();
        let phrases = Phrases::build(&keys, &texts);
        let words = JiebaWords(Arc::new(jieba_with(keys.iter().map(|k| k.0.clone()))));

        let (schema, fields) = Fields::schema();
        let index = Index::create_in_ram(schema);
        // Custom tokenizers live in the index's manager, not in the schema.
        index.tokenizers().register(JIEBA, words.clone());
        index.tokenizers().register(BIGRAM, CharBigrams);
        write_entries(&index, fields, &entries)?;

        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let doc_ords = doc_ords(&reader.searcher())?;
        let occupations = entries
            .into_iter()
            .map(|e| Occupation {
                code: e.code,
                name: e.name,
                level: e.level,
            })
            .collect();
        Ok(OccupationSuggester {
            reader,
            fields,
            words,
            occupations,
            phrases,
            doc_ords,
        })
    }

    /// Ranked occupations for free text, best first; `limit` is clamped to 1..=50. Blocking
    /// CPU work: call it from a blocking thread.
    pub fn suggest(&self, text: &str, limit: usize) -> Result<Vec<Suggestion>, SuggestError> {
        if text.trim().is_empty() {
            return Err(SuggestError::Empty);
        }
        let limit = limit.clamp(1, MAX_LIMIT);
        let cleaned = match clean_title(text) {
            cleaned if cleaned.is_empty() => fallback_text(text),
            cleaned => cleaned,
        };
        if cleaned.is_empty() {
            return Ok(Vec::new());
        }

        let mut scores: HashMap<usize, f32> = HashMap::new();
        for (ord, score) in self.phrases.score(&cleaned) {
            *scores.entry(ord).or_default() += PHRASE_WEIGHT * score;
        }
        let searcher = self.reader.searcher();
        let word_query = self.words_query(&cleaned);
        let gram_query = self.grams_query(&cleaned);
        for (query, weight) in [(word_query, WORDS_WEIGHT), (gram_query, GRAMS_WEIGHT)] {
            let Some(query) = query else { continue };
            for (ord, score) in self.normalized_bm25(&searcher, query.as_ref())? {
                *scores.entry(ord).or_default() += weight * score;
            }
        }
        Ok(self.ranked(scores, limit))
    }

    fn words_query(&self, cleaned: &str) -> Option<Box<dyn Query>> {
        let mut words: Vec<String> = self
            .words
            .words(cleaned)
            .into_iter()
            .map(|t| t.text)
            .collect();
        words.sort();
        words.dedup();
        let clauses = self
            .fields
            .weighted_words()
            .into_iter()
            .flat_map(|(field, boost)| words.iter().map(move |w| term_clause(field, w, boost)))
            .collect();
        non_empty(clauses)
    }

    fn grams_query(&self, cleaned: &str) -> Option<Box<dyn Query>> {
        let mut grams = bigrams(cleaned);
        grams.sort();
        grams.dedup();
        let clauses = grams
            .iter()
            .map(|g| term_clause(self.fields.grams, g, 1.0))
            .collect();
        non_empty(clauses)
    }

    /// BM25 scores of the top candidates, divided by the best one so signals add up on one
    /// scale whatever the query length.
    fn normalized_bm25(
        &self,
        searcher: &Searcher,
        query: &dyn Query,
    ) -> Result<Vec<(usize, f32)>, SuggestError> {
        let top = searcher.search(query, &TopDocs::with_limit(CANDIDATES).order_by_score())?;
        let best = top.first().map_or(0.0, |(score, _)| *score);
        if best <= 0.0 {
            return Ok(Vec::new());
        }
        Ok(top
            .into_iter()
            .filter_map(|(score, address)| {
                let ord = self
                    .doc_ords
                    .get(address.segment_ord as usize)?
                    .get(address.doc_id as usize)?;
                Some((*ord, score / best))
            })
            .collect())
    }

    fn ranked(&self, scores: HashMap<usize, f32>, limit: usize) -> Vec<Suggestion> {
        let mut ranked: Vec<(usize, f32)> = scores.into_iter().collect();
        ranked.sort_by(|a, b| {
            b.1.total_cmp(&a.1)
                .then_with(|| self.occupations[a.0].code.cmp(&self.occupations[b.0].code))
        });
        ranked
            .into_iter()
            .take(limit)
            .filter_map(|(ord, score)| {
                let occupation = self.occupations.get(ord)?;
                Some(Suggestion {
                    code: occupation.code.clone(),
                    name: occupation.name.clone(),
                    level: occupation.level,
                    score,
                })
            })
            .collect()
    }
}

fn term_clause(field: Field, text: &str, boost: f32) -> (Occur, Box<dyn Query>) {
    let term = TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::WithFreqs,
    );
    (
        Occur::Should,
        Box::new(BoostQuery::new(Box::new(term), boost)),
    )
}

fn non_empty(clauses: Vec<(Occur, Box<dyn Query>)>) -> Option<Box<dyn Query>> {
    (!clauses.is_empty()).then(|| Box::new(BooleanQuery::new(clauses)) as Box<dyn Query>)
}

fn write_entries(index: &Index, fields: Fields, entries: &[Entry]) -> anyhow::Result<()> {
    let mut writer = index.writer_with_num_threads::<TantivyDocument>(1, WRITER_MEMORY)?;
    for (ord, entry) in entries.iter().enumerate() {
        let mut doc = TantivyDocument::default();
        doc.add_text(fields.name, &entry.name);
        doc.add_text(fields.grams, &entry.name);
        for alias in &entry.aliases {
            doc.add_text(fields.aliases, alias);
            doc.add_text(fields.grams, alias);
        }
        for group in &entry.groups {
            doc.add_text(fields.groups, group);
        }
        doc.add_text(fields.definition, &entry.definition);
        doc.add_text(fields.tasks, &entry.tasks);
        doc.add_text(fields.code, &entry.code);
        doc.add_i64(fields.level, i64::from(entry.level));
        doc.add_u64(fields.ord, ord as u64);
        writer.add_document(doc)?;
    }
    writer.commit()?;
    Ok(())
}

/// Maps every (segment, doc) to its occupation once, so a search needs no stored-field reads.
fn doc_ords(searcher: &Searcher) -> anyhow::Result<Vec<Vec<usize>>> {
    searcher
        .segment_readers()
        .iter()
        .map(|segment| {
            let column = segment.fast_fields().u64("ord")?;
            Ok((0..segment.max_doc())
                .map(|doc| column.first(doc).map_or(usize::MAX, |ord| ord as usize))
                .collect())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::seed::OCCUPATIONS_CSV;

    fn suggester() -> &'static OccupationSuggester {
        static SUGGESTER: LazyLock<OccupationSuggester> = LazyLock::new(|| {
            OccupationSuggester::from_csv(OCCUPATIONS_CSV).expect("the seed catalogue builds")
        });
        &SUGGESTER
    }

    fn top(text: &str) -> String {
        suggester()
            .suggest(text, 5)
            .expect("suggest")
            .first()
            .map(|s| s.code.clone())
            .unwrap_or_default()
    }

    #[test]
    fn welder_by_colloquial_name() {
        assert_eq!(top("电焊工"), "6-18-02-04");
    }

    #[test]
    fn cashier_through_noise() {
        assert_eq!(top("收银员（兼职）"), "4-01-02-04");
        assert_eq!(top("肇州世纪华辰超市连锁招聘收银"), "4-01-02-04");
    }

    #[test]
    fn stock_clerk_with_place_in_brackets() {
        assert_eq!(top("理货员（荆州）"), "4-02-06-02");
    }

    #[test]
    fn trade_words() {
        assert_eq!(top("挖机司机"), "6-30-05-05");
        assert_eq!(top("月嫂"), "4-10-01-06");
        assert_eq!(top("拉面师傅"), "4-03-02-02");
    }

    #[test]
    fn empty_text_is_an_error() {
        assert!(matches!(
            suggester().suggest("", 5),
            Err(SuggestError::Empty)
        ));
        assert!(matches!(
            suggester().suggest(" \t\u{3000}", 5),
            Err(SuggestError::Empty)
        ));
    }

    #[test]
    fn hostile_text_never_panics() {
        for text in [
            "！！！",
            "（）【】",
            "\"name:焊工\" AND (code:* OR -level:[1 TO 4])",
            "((((",
            "招聘",
            "123456",
            "a",
            "😀焊工😀",
            "焊工）（",
        ] {
            let result = suggester().suggest(text, 10);
            assert!(
                result.is_ok() || matches!(result, Err(SuggestError::Empty)),
                "{text}"
            );
        }
    }

    #[test]
    fn limit_is_clamped_and_order_is_stable() {
        let many = suggester().suggest("工", 1000).expect("suggest");
        assert!(many.len() <= MAX_LIMIT);
        let one = suggester().suggest("焊工", 0).expect("suggest");
        assert_eq!(one.len(), 1);
        assert_eq!(
            suggester()
                .suggest("服务员", 10)
                .expect("suggest")
                .iter()
                .map(|s| &s.code)
                .collect::<Vec<_>>(),
            suggester()
                .suggest("服务员", 10)
                .expect("suggest")
                .iter()
                .map(|s| &s.code)
                .collect::<Vec<_>>(),
        );
    }

    #[test]
    fn cleaning_removes_recruiting_noise() {
        assert_eq!(clean_title("收银员（兼职）"), "收银员");
        assert_eq!(
            clean_title("【广州】电焊工 8000-12000元/月 包吃住"),
            "电焊工"
        );
        assert_eq!(clean_title("肇州世纪华辰超市连锁招聘收银"), "收银");
        assert_eq!(clean_title("普工(MJ004615)"), "普工");
        assert_eq!(clean_title("高薪招聘（焊工）"), "焊工");
        assert_eq!(clean_title("急招两名保安 五险一金"), "保安");
    }

    #[test]
    fn cleaning_keeps_job_words_that_look_like_noise() {
        assert_eq!(clean_title("招聘专员"), "招聘专员");
        assert_eq!(clean_title("兼职店员"), "兼职店员");
    }

    #[test]
    fn suggester_is_shareable() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<OccupationSuggester>();
    }
}
