//! Occupation suggestions: free-text job titles to ranked CSCO 2022 codes.
//!
//! People type titles the way job ads read ("肇州世纪华辰超市连锁招聘收银（兼职）"), so
//! [`clean_title`] first strips recruiting noise: brackets, places, employers, pay, perks and
//! codes. The cleaned text is then scored per occupation by four signals, added up:
//!
//! 1. Phrase hits: occupation names, their aliases and a small table of colloquial trade words
//!    found inside the text. A specific phrase that covers most of the text is the strongest
//!    signal available, so it weighs most.
//! 2. BM25 over jieba words of the name, aliases, parent groups, definition and tasks.
//! 3. BM25 over character pairs of names and aliases, for compounds no dictionary has seen.
//! 4. Coverage: how much of the text the occupation's own words explain, weighted by how rare
//!    each character pair is, with a bonus for explaining the head (the last word).
//!
//! Ties are broken by code so results are deterministic.

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
const UNIGRAM: &str = "unigram";

/// Weight of the phrase signal against the (max-normalised) BM25 signals.
const PHRASE_WEIGHT: f32 = 2.0;
const WORDS_WEIGHT: f32 = 1.0;
const GRAMS_WEIGHT: f32 = 0.5;
/// Weight of how much of the text an occupation's own vocabulary explains, and the extra for
/// explaining the last word: Chinese compounds put the head last (物业电工 is an electrician).
const COVERAGE_WEIGHT: f32 = 1.5;
const HEAD_WEIGHT: f32 = 0.3;
/// How fast a phrase loses weight as more occupations spell it inside their own words.
const SPECIFICITY_DECAY: f32 = 0.5;

/// Colloquial trade words as workers and small employers write them, grouped by the occupation
/// they usually mean. Only words the catalogue's names and aliases do not already cover, plus a
/// few deliberate overrides where an alias contradicts the catalogue's own definitions (吊车司机,
/// 木工, 注塑工, 消防中控员); a synonym outranks an alias for the same word.
const TRADE_SYNONYMS: &[(&str, &[&str])] = &[
    // 焊工
    (
        "6-18-02-04",
        &[
            "电焊",
            "气焊",
            "弧焊",
            "二保焊",
            "保护焊",
            "电气焊",
            "焊接工",
        ],
    ),
    // 电子设备装接工: the program's factory placements are mostly electronics lines.
    (
        "6-25-04-07",
        &["焊锡", "普工", "电子厂", "流水线", "插件", "贴片", "smt"],
    ),
    // 挖掘铲运和桩工机械司机
    (
        "6-30-05-05",
        &[
            "挖机",
            "勾机",
            "钩机",
            "挖掘机",
            "挖土机",
            "小挖",
            "旋挖",
            "铲车",
            "装载机",
            "推土机",
            "打桩",
        ],
    ),
    // 起重装卸机械操作工: operating a crane; 起重工 rigs and signals.
    (
        "6-30-05-01",
        &["叉车", "塔吊", "行车", "天车", "吊车", "汽车吊", "吊车司机"],
    ),
    ("6-30-05-02", &["司索"]),
    ("6-29-02-03", &["压路机", "摊铺"]),
    ("6-29-02-05", &["盾构"]),
    ("6-30-01-00", &["矿卡"]),
    ("5-05-05-01", &["农机手", "拖拉机", "收割机"]),
    // 道路货运汽车驾驶员 / 客运车辆驾驶员
    (
        "4-02-02-02",
        &[
            "货车",
            "卡车",
            "大车",
            "半挂",
            "重卡",
            "渣土车",
            "冷链车",
            "厢货",
            "罐车",
            "货运",
        ],
    ),
    ("4-02-02-01", &["网约车", "出租车", "大巴", "公交"]),
    // Kitchens: 中式烹调师, 中式面点师, 西式烹调师, 餐厅服务员.
    (
        "4-03-02-01",
        &[
            "炒菜",
            "炒锅",
            "厨子",
            "大厨",
            "大师傅",
            "帮厨",
            "厨工",
            "掌勺",
            "切配",
            "砧板",
            "红案",
        ],
    ),
    (
        "4-03-02-02",
        &[
            "拉面", "面点", "面食", "面条", "白案", "包子", "饺子", "馒头", "烙饼", "点心",
        ],
    ),
    ("4-03-02-03", &["西厨", "西餐", "日料", "寿司"]),
    ("4-03-02-05", &["传菜", "洗碗"]),
    ("6-02-01-01", &["烘焙", "面包"]),
    ("6-02-03-02", &["速冻"]),
    // Household and care work.
    ("4-10-01-03", &["育婴", "育儿嫂"]),
    ("4-10-01-06", &["住家阿姨", "做饭阿姨", "做饭", "家庭保洁"]),
    ("4-10-01-05", &["养老", "敬老院", "介护", "老人"]),
    ("4-14-01-02", &["陪护"]),
    ("4-09-08-01", &["清洁", "扫地", "环卫", "外墙清洗"]),
    // Building trades.
    ("6-29-01-01", &["瓦工", "泥工", "瓦匠", "泥水工", "砌砖"]),
    ("6-29-01-03", &["打灰"]),
    ("6-29-01-05", &["脚手架"]),
    ("6-06-03-01", &["木匠", "木工"]),
    ("6-18-03-03", &["油漆", "喷漆", "刷漆"]),
    (
        "6-29-04-01",
        &["腻子", "抹灰", "贴砖", "瓷砖", "吊顶", "墙纸", "装修工"],
    ),
    ("6-29-03-04", &["水暖"]),
    ("6-29-03-05", &["空调安装", "空调维修"]),
    // Delivery, logistics, warehouses.
    ("4-10-08-01", &["外卖", "骑手", "蓝骑士"]),
    ("4-02-07-08", &["快递", "收派", "派件"]),
    ("4-02-07-09", &["快递分拣", "中转场"]),
    ("4-02-05-01", &["搬家", "卸货"]),
    ("4-02-06-02", &["分拣"]),
    ("4-02-06-01", &["仓管", "库管", "物料员"]),
    ("6-31-05-00", &["打包"]),
    // Personal services.
    ("4-10-03-02", &["理发", "洗头"]),
    ("4-10-03-05", &["足浴"]),
    ("4-10-03-04", &["搓澡"]),
    ("4-07-05-01", &["门卫"]),
    ("4-07-05-03", &["消防中控", "消防中控员"]),
    ("4-12-01-01", &["汽修", "修车", "汽车修理", "补胎", "换胎"]),
    // Factories.
    ("6-05-01-03", &["缝纫", "平车", "车位", "制衣"]),
    ("6-20-01-01", &["装配工", "机械装配"]),
    ("6-31-03-05", &["品检", "qc", "iqc"]),
    ("6-18-01-07", &["加工中心"]),
    ("6-18-01-12", &["冲床"]),
    ("6-14-02-00", &["注塑", "注塑工"]),
    ("6-31-01-10", &["设备维修"]),
    // Farms.
    ("5-03-02-01", &["养猪", "养牛", "养羊"]),
    ("5-03-02-02", &["养鸡"]),
    ("5-01-02-02", &["大棚", "果园", "蔬菜"]),
    // Offices, shops, schools.
    ("4-01-06-02", &["带货"]),
    ("4-01-06-01", &["电商"]),
    ("4-01-02-01", &["业务员"]),
    ("4-06-02-01", &["房产中介", "房产经纪"]),
    ("4-07-03-04", &["hr", "人事"]),
    ("4-04-05-05", &["数据标注"]),
    ("2-08-03-00", &["幼师", "幼儿园老师"]),
    ("2-08-02-03", &["初中"]),
    ("2-08-02-04", &["小学"]),
];

/// Words that only advertise the job: pay, perks, hours, terms, requirements, vague places.
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
    "做一休一",
    "做六休一",
    "月休",
    "长期",
    "短期",
    "临时",
    "兼职",
    "全职",
    "实习",
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
    "补贴",
    "待遇",
    "优厚",
    "面议",
    "不封顶",
    "计件",
    "按件",
    "按天",
    "按平方",
    "按工日",
    "按吨",
    "多劳多得",
    "返费",
    "有返费",
    "报销路费",
    "路费",
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
    "熟练工",
    "熟练",
    "熟手",
    "新手",
    "包教包会",
    "包教",
    "可培训",
    "带薪培训",
    "岗前培训",
    "免费培训",
    "免费",
    "持证上岗",
    "持证",
    "上岗",
    "驾照",
    "驾驶证",
    "会电脑",
    "能吃苦",
    "吃苦耐劳",
    "身体健康",
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
    "出国劳务",
    "师傅",
    "阿姨",
    "小工",
    "点工",
    "在家",
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
    "劳务输出",
    "外出务工",
    "劳务",
    "大工",
    "寒暑假",
    "带薪",
    "出师",
    "月入过万",
    "月入",
    "过万",
    "年终奖",
    "包工作餐",
    "工作餐",
    "包午餐",
    "坐班",
    "排班",
    "早班",
    "中班",
    "晚班",
    "凌晨班",
    "外派",
    "每周",
    "按小时",
    "计费",
    "计时",
    "结算",
];

/// Words that start a job after an employer's name ("某某超市招聘收银员").
const RECRUIT_MARKERS: &[&str] = &[
    "招聘", "诚聘", "急聘", "急招", "直招", "诚招", "热招", "招募", "招工", "招", "聘",
];

/// Employer suffixes whose text before them is never the job.
const EMPLOYER_SUFFIXES: &[&str] = &["有限公司", "公司", "集团", "超市", "商行", "连锁"];

/// Job words outside the catalogue that contain a marker and must survive cleaning.
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

/// Characters that turn a trade word into a job title (仓管 → 仓管员, 电焊 → 电焊工).
const ROLE_SUFFIXES: &str = "员工师手";

const CN_NUMERALS: &str = "一二两三四五六七八九十百几";

/// Administrative suffixes left after a short place name (化隆县 when only 化隆 is listed).
const ADMIN_SUFFIXES: &str = "省市县区镇乡旗";

/// Vocabulary words longer than this never show up whole in a title; skipping them keeps the
/// protected-span scan cheap.
const MAX_PROTECTED_CHARS: usize = 12;

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
    Noise,
    Place,
}

/// What the cleaner knows, built once from the reference data in the binary: noise and place
/// words to strip, and the occupation vocabulary that must never be cut through.
struct Lexicon {
    words: HashMap<String, Lexeme>,
    max_chars: usize,
    vocabulary: HashSet<String>,
}

static LEXICON: LazyLock<Lexicon> = LazyLock::new(Lexicon::build);

#[derive(Deserialize)]
struct RegionRow {
    name: String,
    short_name: String,
}

impl Lexicon {
    fn build() -> Lexicon {
        let mut vocabulary = catalogue_vocabulary(OCCUPATIONS_CSV);
        vocabulary.extend(KEEP_WORDS.iter().map(|w| w.to_string()));
        vocabulary.retain(|w| (2..=MAX_PROTECTED_CHARS).contains(&w.chars().count()));
        let mut words: HashMap<String, Lexeme> = place_names()
            .into_iter()
            // A place spelled exactly like an occupation word (资源, 合作) is not a place here.
            .filter(|place| !vocabulary.contains(place))
            .map(|place| (place, Lexeme::Place))
            .collect();
        words.extend(NOISE_WORDS.iter().map(|w| (w.to_string(), Lexeme::Noise)));
        let max_chars = words.keys().map(|w| w.chars().count()).max().unwrap_or(0);
        Lexicon {
            words,
            max_chars,
            vocabulary,
        }
    }

    /// Where occupation words occur in the text, as char ranges.
    fn protected_spans(&self, chars: &[char]) -> Vec<(usize, usize)> {
        let mut spans = Vec::new();
        for start in 0..chars.len() {
            let longest = MAX_PROTECTED_CHARS.min(chars.len() - start);
            for len in 2..=longest {
                let word: String = chars[start..start + len].iter().collect();
                if self.vocabulary.contains(&word) {
                    spans.push((start, start + len));
                }
            }
        }
        spans
    }

    /// Whether the text contains an occupation word.
    fn names_job(&self, chars: &[char]) -> bool {
        !self.protected_spans(chars).is_empty()
    }

    /// The longest noise or place word starting at `start`, as (kind, length in chars).
    fn longest_at(&self, chars: &[char], start: usize) -> Option<(Lexeme, usize)> {
        let longest = self.max_chars.min(chars.len().saturating_sub(start));
        (2..=longest).rev().find_map(|len| {
            let word: String = chars[start..start + len].iter().collect();
            self.words.get(&word).map(|kind| (*kind, len))
        })
    }
}

/// Whether removing `start..end` would cut into an occupation word: 修水 (a county) inside
/// 装修水电工, 兼职 inside 兼职店员. Removing a whole word, or one inside the removed range, is
/// fine (免费培训 goes, though 培训 is an alias).
fn cuts_into(spans: &[(usize, usize)], start: usize, end: usize) -> bool {
    spans
        .iter()
        .any(|&(s, e)| s < end && start < e && !(start <= s && e <= end))
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

/// Every normalised occupation name, alias and trade word, all levels.
fn catalogue_vocabulary(csv_text: &str) -> HashSet<String> {
    let trade_words = TRADE_SYNONYMS
        .iter()
        .flat_map(|(_, words)| words.iter().map(|w| normalize_key(w)));
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

/// Strips recruiting noise from a job title: bracketed asides, employers, places, pay, perks,
/// headcounts and posting codes. Returns space-separated fragments, lower-cased ASCII, or an
/// empty string when nothing job-like is left.
pub fn clean_title(raw: &str) -> String {
    // 装修工人 is a 装修工: "worker" adds nothing once the trade is named.
    let text = normalize(&truncate(raw)).replace("工人", "工");
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

/// Drops the employer around the job: text before a recruiting word ("…超市连锁招聘收银"),
/// text up to an employer suffix ("…有限公司电焊工"), or a trailing employer fragment
/// ("木工 家装公司"). A cut is only made when a job is left after it.
fn drop_employer(text: &str) -> String {
    let lexicon = &*LEXICON;
    let mut chars: Vec<char> = text.chars().collect();
    let spans = lexicon.protected_spans(&chars);
    let mut cut = 0;
    let mut trailing: Option<(usize, usize)> = None;
    let mut fragment_start = 0;
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_alphanumeric() {
            fragment_start = i + 1;
            i += 1;
            continue;
        }
        let Some((len, employer)) =
            marker_at(&chars, i).filter(|(len, _)| !cuts_into(&spans, i, i + len))
        else {
            i += 1;
            continue;
        };
        let rest: String = chars[i + len..].iter().collect();
        if has_job_text(&rest) {
            // The last marker wins ("…超市连锁招聘收银" keeps 收银), unless what precedes a
            // recruiting word names a trade or workplace (养老院招护理员): that is context.
            if employer || !lexicon.names_job(&chars[cut..i]) {
                cut = i + len;
            } else {
                chars[i..i + len].fill(' ');
            }
        } else if employer && trailing.is_none() && fragment_start >= cut {
            trailing = Some((fragment_start, i + len));
        }
        i += len;
    }
    let mut kept: String = chars[cut..].iter().collect();
    if let Some((from, to)) = trailing.filter(|(from, _)| *from >= cut) {
        let before: String = chars[cut..from].iter().collect();
        let after: String = chars[to..].iter().collect();
        if has_job_text(&before) {
            kept = format!("{before} {after}");
        }
    }
    kept
}

/// A recruiting word or employer suffix at `i`: its length, and whether it names an employer.
fn marker_at(chars: &[char], i: usize) -> Option<(usize, bool)> {
    let starts = |word: &&str| {
        let word: Vec<char> = word.chars().collect();
        chars[i..].starts_with(&word).then_some(word.len())
    };
    let employer = EMPLOYER_SUFFIXES.iter().filter_map(starts).max();
    let recruit = RECRUIT_MARKERS.iter().filter_map(starts).max();
    match (employer, recruit) {
        (Some(e), Some(r)) if r > e => Some((r, false)),
        (Some(e), _) => Some((e, true)),
        (None, Some(r)) => Some((r, false)),
        (None, None) => None,
    }
}

/// Whether cleaning leaves something that can name a job: two letters of CJK in a row.
fn has_job_text(text: &str) -> bool {
    clean_fragment(text)
        .split_whitespace()
        .any(|fragment| fragment.chars().filter(|c| !c.is_ascii()).count() >= 2)
}

/// Units that follow a number in pay, headcount and age ("5000-8000元/月", "2名", "18-45岁").
fn is_number_tail(c: char) -> bool {
    c.is_ascii_digit()
        || ".,-~+/%kw".contains(c)
        || "—～到至千万元块个名人位岁年月天日时小周起米吨".contains(c)
}

/// Removes noise words, places, numbers and codes; separators become fragment breaks.
fn clean_fragment(text: &str) -> String {
    let lexicon = &*LEXICON;
    let chars: Vec<char> = text.chars().collect();
    let spans = lexicon.protected_spans(&chars);
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_alphanumeric() {
            i = clean_ascii_run(&chars, i, &mut out);
        } else if CN_NUMERALS.contains(c) && counts_something(&chars, i) {
            i = skip_while(&chars, i, |c| CN_NUMERALS.contains(c)) + 1;
            out.push(' ');
        } else if let Some((kind, len)) = lexicon
            .longest_at(&chars, i)
            .filter(|(_, len)| !cuts_into(&spans, i, i + len))
        {
            i += len;
            // 化隆县: the county's listed names are 化隆回族自治县 and 化隆.
            if kind == Lexeme::Place && chars.get(i).is_some_and(|c| ADMIN_SUFFIXES.contains(*c)) {
                i += 1;
            }
            out.push(' ');
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

/// Handles a run of ASCII letters and digits starting at `start`; returns where it ends.
/// Pay and counts (8000-12000元, 9k+, 2名) go, codes with several digits (MJ004615) go, words
/// and licence or shop classes with at most one digit (PLC, A2, 4S店) stay.
fn clean_ascii_run(chars: &[char], start: usize, out: &mut String) -> usize {
    let end = skip_while(chars, start, |c| c.is_ascii_alphanumeric());
    let run = &chars[start..end];
    let digits = run.iter().filter(|c| c.is_ascii_digit()).count();
    let pay_units = run
        .iter()
        .filter(|c| c.is_ascii_alphabetic())
        .all(|c| matches!(c, 'k' | 'w'));
    if run[0].is_ascii_digit() && pay_units {
        out.push(' ');
        return skip_while(chars, start, is_number_tail);
    }
    if digits < 2 {
        out.extend(run);
    } else {
        out.push(' ');
    }
    end
}

/// "两名", "三人", "四天": a Chinese numeral run followed by a counter.
fn counts_something(chars: &[char], start: usize) -> bool {
    let end = skip_while(chars, start, |c| CN_NUMERALS.contains(c));
    matches!(
        chars.get(end),
        Some('名' | '人' | '位' | '天' | '个' | '次' | '年')
    )
}

/// Single characters left behind by stripping ("市", "招") say nothing about the job.
fn is_leftover(fragment: &str) -> bool {
    let mut chars = fragment.chars();
    matches!((chars.next(), chars.next()), (Some(c), None) if "市县区省镇乡村招聘急的和及或名人位男女各工天月米".contains(c))
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

/// A word that names an occupation: its name, an alias or a trade word.
struct Key {
    text: String,
    ord: usize,
    source: Source,
}

/// Every key of every occupation. A trade word that is also another occupation's alias
/// overrides that alias, which is dropped from the entry too so it no longer matches there.
fn occupation_keys(entries: &mut [Entry]) -> Vec<Key> {
    let ord_of: HashMap<String, usize> = entries
        .iter()
        .enumerate()
        .map(|(ord, e)| (e.code.clone(), ord))
        .collect();
    // A catalogue without a target (a test fixture, an older edition) just skips its words.
    let synonyms: HashMap<String, usize> = TRADE_SYNONYMS
        .iter()
        .filter_map(|(code, words)| Some((ord_of.get(*code).copied()?, *words)))
        .flat_map(|(ord, words)| words.iter().map(move |w| (normalize_key(w), ord)))
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

/// Character pairs of each occupation's own words, weighted by how few occupations use them.
struct PairCoverage {
    pairs: Vec<HashSet<String>>,
    idf: HashMap<String, f32>,
    /// The weight of a pair no occupation uses, also the largest weight.
    unseen_idf: f32,
}

impl PairCoverage {
    fn build(keys: &[Key], occupations: usize) -> PairCoverage {
        let mut pairs = vec![HashSet::new(); occupations];
        for key in keys {
            if let Some(set) = pairs.get_mut(key.ord) {
                set.extend(bigrams(&key.text));
                // 仓管 also explains 仓管员: trade words rarely carry the role suffix.
                if let (Source::Synonym, Some(last)) = (key.source, key.text.chars().last()) {
                    set.extend(
                        ROLE_SUFFIXES
                            .chars()
                            .map(|suffix| format!("{last}{suffix}")),
                    );
                }
            }
        }
        let mut users: HashMap<String, usize> = HashMap::new();
        for pair in pairs.iter().flatten() {
            *users.entry(pair.clone()).or_default() += 1;
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

    /// How much of the text the occupation's own words explain, pair by pair and weighted by
    /// rarity (压路机司机 is about the 压路机, not the 司机), with extra weight on the head:
    /// Chinese compounds put it last, so 物业电工 is an electrician.
    fn score(&self, ord: usize, fragments: &[Vec<char>]) -> f32 {
        let Some(own) = self.pairs.get(ord) else {
            return 0.0;
        };
        let (mut covered, mut total, mut head) = (0.0f32, 0.0f32, 0.0f32);
        for chars in fragments {
            let count = chars.len().saturating_sub(1);
            for (i, pair) in chars.windows(2).enumerate() {
                let pair: String = pair.iter().collect();
                let weight = self.idf.get(&pair).copied().unwrap_or(self.unseen_idf);
                total += weight;
                if own.contains(&pair) {
                    covered += weight;
                    if i + 1 == count {
                        head = head.max(weight / self.unseen_idf);
                    }
                }
            }
        }
        if total <= 0.0 {
            return 0.0;
        }
        COVERAGE_WEIGHT * covered / total + HEAD_WEIGHT * head
    }
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
    fn build(keys: &[Key]) -> Phrases {
        let mut entries: HashMap<String, Phrase> = HashMap::new();
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
    fn measure_specificity(&mut self, keys: &[Key]) {
        let mut users: HashMap<&str, HashSet<usize>> = HashMap::new();
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
struct JiebaWords {
    jieba: Arc<Jieba>,
    mode: TokenizeMode,
}

impl JiebaWords {
    /// Words in the given mode, lower-cased, punctuation dropped.
    fn words(&self, text: &str) -> Vec<Token> {
        self.jieba
            .tokenize(text, self.mode, true)
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

/// Overlapping runs of `n` characters within words: pairs match compounds the word segmenter
/// splits differently on the two sides, single characters are the last resort.
#[derive(Clone)]
struct CharGrams(usize);

fn char_grams(text: &str, n: usize) -> Vec<String> {
    let lowered = text.to_lowercase();
    let mut grams = Vec::new();
    for run in lowered.split(|c: char| !c.is_alphanumeric()) {
        let chars: Vec<char> = run.chars().collect();
        grams.extend(
            chars
                .windows(n.max(1))
                .map(|w| w.iter().collect::<String>()),
        );
    }
    grams
}

fn bigrams(text: &str) -> Vec<String> {
    char_grams(text, 2)
}

impl Tokenizer for CharGrams {
    type TokenStream<'a> = VecTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        let tokens = char_grams(text, self.0)
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
    chars: Field,
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
            chars: builder.add_text_field("chars", text(UNIGRAM)),
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
fn jieba_with<'a>(words: impl Iterator<Item = &'a str>) -> Jieba {
    let mut jieba = Jieba::new();
    for word in words {
        if word.chars().count() >= 2 && !jieba.has_word(word) {
            jieba.add_word(word, None, None);
        }
    }
    jieba
}

/// The weighted evidence for one candidate; kept apart so tuning can see what drove a rank.
#[derive(Debug, Default, Clone, Copy)]
struct Signals {
    phrase: f32,
    words: f32,
    grams: f32,
    coverage: f32,
}

impl Signals {
    fn total(&self) -> f32 {
        self.phrase + self.words + self.grams + self.coverage
    }
}

/// Free text to ranked CSCO occupations. Built once, shared read-only across threads.
pub struct OccupationSuggester {
    reader: IndexReader,
    fields: Fields,
    words: JiebaWords,
    occupations: Vec<Occupation>,
    phrases: Phrases,
    coverage: PairCoverage,
    /// `doc_ords[segment][doc]` is the index into `occupations`.
    doc_ords: Vec<Vec<usize>>,
}

impl OccupationSuggester {
    /// Builds the in-memory index from the occupation CSV
    /// (`level,code,code_num,name,definition,tasks,csco_code_num,alias`).
    pub fn from_csv(csv: &str) -> anyhow::Result<OccupationSuggester> {
        let mut entries = entries_from_rows(dedupe_by_code(read_rows(csv)));
        anyhow::ensure!(!entries.is_empty(), "no level-4 occupations in the CSV");
        let keys = occupation_keys(&mut entries);
        let phrases = Phrases::build(&keys);
        let coverage = PairCoverage::build(&keys, entries.len());
        let jieba = Arc::new(jieba_with(keys.iter().map(|k| k.text.as_str())));
        // Documents keep whole words (支护工 does not contain the word 护工); queries also
        // yield the words inside longer ones (电焊工: 电焊, 焊工), so 电焊工 still finds 焊工.
        let words = JiebaWords {
            jieba: Arc::clone(&jieba),
            mode: TokenizeMode::Search,
        };
        let document_words = JiebaWords {
            jieba,
            mode: TokenizeMode::Default,
        };

        let (schema, fields) = Fields::schema();
        let index = Index::create_in_ram(schema);
        // Custom tokenizers live in the index's manager, not in the schema.
        index.tokenizers().register(JIEBA, document_words);
        index.tokenizers().register(BIGRAM, CharGrams(2));
        index.tokenizers().register(UNIGRAM, CharGrams(1));
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
            coverage,
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

        let signals = self.signals(&cleaned)?;
        let totals = signals
            .into_iter()
            .map(|(ord, s)| (ord, s.total()))
            .collect();
        Ok(self.ranked(totals, limit))
    }

    /// Every signal for every candidate occupation of the cleaned text.
    fn signals(&self, cleaned: &str) -> Result<HashMap<usize, Signals>, SuggestError> {
        let mut signals: HashMap<usize, Signals> = HashMap::new();
        for (ord, score) in self.phrases.score(cleaned) {
            signals.entry(ord).or_default().phrase = PHRASE_WEIGHT * score;
        }
        let searcher = self.reader.searcher();
        if let Some(query) = self.words_query(cleaned) {
            for (ord, score) in self.normalized_bm25(&searcher, query.as_ref())? {
                signals.entry(ord).or_default().words = WORDS_WEIGHT * score;
            }
        }
        if let Some(query) = self.grams_query(self.fields.grams, char_grams(cleaned, 2)) {
            for (ord, score) in self.normalized_bm25(&searcher, query.as_ref())? {
                signals.entry(ord).or_default().grams = GRAMS_WEIGHT * score;
            }
        }
        if signals.is_empty() {
            // Nothing shares a word or a character pair with the text (刀削面): single
            // characters still beat an empty answer.
            if let Some(query) = self.grams_query(self.fields.chars, char_grams(cleaned, 1)) {
                for (ord, score) in self.normalized_bm25(&searcher, query.as_ref())? {
                    signals.entry(ord).or_default().grams = GRAMS_WEIGHT * score;
                }
            }
        }
        let fragments: Vec<Vec<char>> = cleaned
            .split_whitespace()
            .map(|f| f.chars().collect())
            .collect();
        for (ord, signal) in signals.iter_mut() {
            signal.coverage = self.coverage.score(*ord, &fragments);
        }
        Ok(signals)
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

    fn grams_query(&self, field: Field, mut grams: Vec<String>) -> Option<Box<dyn Query>> {
        grams.sort();
        grams.dedup();
        let clauses = grams.iter().map(|g| term_clause(field, g, 1.0)).collect();
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
        doc.add_text(fields.chars, &entry.name);
        for alias in &entry.aliases {
            doc.add_text(fields.aliases, alias);
            doc.add_text(fields.grams, alias);
            doc.add_text(fields.chars, alias);
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
            &"招聘焊工（".repeat(5_000),
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
        // 修水 is a county, but here it straddles 水电工.
        assert_eq!(clean_title("装修水电工 点工"), "装修水电工");
        assert_eq!(clean_title("化隆县劳务输出 挖掘机驾驶员"), "挖掘机驾驶员");
    }

    /// `SUGGEST_EXPLAIN='电焊工|挖机司机' cargo test --lib explain -- --ignored --nocapture`
    /// prints the signals behind the top candidates.
    #[test]
    #[ignore = "a tuning aid, not a check"]
    fn explain() {
        let titles = std::env::var("SUGGEST_EXPLAIN").unwrap_or_default();
        for title in titles.split('|').filter(|t| !t.trim().is_empty()) {
            let cleaned = clean_title(title);
            let s = suggester();
            let signals = s.signals(&cleaned).expect("signals");
            let mut rows: Vec<_> = signals.into_iter().collect();
            rows.sort_by(|a, b| b.1.total().total_cmp(&a.1.total()));
            println!("{title} -> {cleaned:?}");
            for (ord, signal) in rows.iter().take(5) {
                let o = &s.occupations[*ord];
                println!("  {} {} {:.2} {signal:?}", o.code, o.name, signal.total());
            }
        }
    }

    #[test]
    fn suggester_is_shareable() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<OccupationSuggester>();
    }
}
