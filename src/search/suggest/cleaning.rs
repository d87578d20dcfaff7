//! Cleaning job titles: brackets, employers, places, pay, perks, headcounts and posting codes
//! go, the occupation words the catalogue knows are never cut through.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use serde::Deserialize;

use super::vocabulary::catalogue_vocabulary;
use crate::db::seed::{OCCUPATIONS_CSV, REGIONS_CSV};

pub(super) const MAX_TITLE_CHARS: usize = 120;

/// Words that only advertise the job: pay, perks, hours, terms, requirements, vague places.
pub(super) const NOISE_WORDS: &[&str] = &[
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
pub(super) const RECRUIT_MARKERS: &[&str] = &[
    "招聘", "诚聘", "急聘", "急招", "直招", "诚招", "热招", "招募", "招工", "招", "聘",
];

/// Employer suffixes whose text before them is never the job.
pub(super) const EMPLOYER_SUFFIXES: &[&str] = &["有限公司", "公司", "集团", "超市", "商行", "连锁"];

/// Job words outside the catalogue that contain a marker and must survive cleaning.
pub(super) const KEEP_WORDS: &[&str] = &[
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

pub(super) const CN_NUMERALS: &str = "一二两三四五六七八九十百几";

/// Administrative suffixes left after a short place name (化隆县 when only 化隆 is listed).
pub(super) const ADMIN_SUFFIXES: &str = "省市县区镇乡旗";

/// Vocabulary words longer than this never show up whole in a title; skipping them keeps the
/// protected-span scan cheap.
pub(super) const MAX_PROTECTED_CHARS: usize = 12;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Lexeme {
    Noise,
    Place,
}

/// What the cleaner knows, built once from the reference data in the binary: noise and place
/// words to strip, and the occupation vocabulary that must never be cut through.
pub(super) struct Lexicon {
    pub(super) words: HashMap<String, Lexeme>,
    pub(super) max_chars: usize,
    pub(super) vocabulary: HashSet<String>,
}

pub(super) static LEXICON: LazyLock<Lexicon> = LazyLock::new(Lexicon::build);

#[derive(Deserialize)]
pub(super) struct RegionRow {
    pub(super) name: String,
    pub(super) short_name: String,
}

impl Lexicon {
    pub(super) fn build() -> Lexicon {
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
    pub(super) fn protected_spans(&self, chars: &[char]) -> Vec<(usize, usize)> {
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
    pub(super) fn names_job(&self, chars: &[char]) -> bool {
        !self.protected_spans(chars).is_empty()
    }

    /// The longest noise or place word starting at `start`, as (kind, length in chars).
    pub(super) fn longest_at(&self, chars: &[char], start: usize) -> Option<(Lexeme, usize)> {
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
pub(super) fn cuts_into(spans: &[(usize, usize)], start: usize, end: usize) -> bool {
    spans
        .iter()
        .any(|&(s, e)| s < end && start < e && !(start <= s && e <= end))
}

/// Full and short names (two characters or more) of provinces, prefectures and counties.
pub(super) fn place_names() -> Vec<String> {
    let mut reader = csv::Reader::from_reader(REGIONS_CSV.as_bytes());
    reader
        .deserialize::<RegionRow>()
        .filter_map(Result::ok)
        .flat_map(|row| [row.name, row.short_name])
        .filter(|name| name.chars().count() >= 2)
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
pub(super) fn truncate(raw: &str) -> String {
    raw.chars().take(MAX_TITLE_CHARS).collect()
}

/// Full-width forms to ASCII, ASCII to lower case, ideographic space to space.
pub(super) fn normalize(raw: &str) -> String {
    raw.chars()
        .map(|c| match c {
            '\u{3000}' => ' ',
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

pub(super) fn closing_bracket(open: char) -> Option<char> {
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
pub(super) fn split_brackets(text: &str) -> (String, Vec<String>) {
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
pub(super) fn drop_employer(text: &str) -> String {
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
pub(super) fn marker_at(chars: &[char], i: usize) -> Option<(usize, bool)> {
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
pub(super) fn has_job_text(text: &str) -> bool {
    clean_fragment(text)
        .split_whitespace()
        .any(|fragment| fragment.chars().filter(|c| !c.is_ascii()).count() >= 2)
}

/// Units that follow a number in pay, headcount and age ("5000-8000元/月", "2名", "18-45岁").
pub(super) fn is_number_tail(c: char) -> bool {
    c.is_ascii_digit()
        || ".,-~+/%kw".contains(c)
        || "—～到至千万元块个名人位岁年月天日时小周起米吨".contains(c)
}

/// Removes noise words, places, numbers and codes; separators become fragment breaks.
pub(super) fn clean_fragment(text: &str) -> String {
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
pub(super) fn clean_ascii_run(chars: &[char], start: usize, out: &mut String) -> usize {
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
pub(super) fn counts_something(chars: &[char], start: usize) -> bool {
    let end = skip_while(chars, start, |c| CN_NUMERALS.contains(c));
    matches!(
        chars.get(end),
        Some('名' | '人' | '位' | '天' | '个' | '次' | '年')
    )
}

/// Single characters left behind by stripping ("市", "招") say nothing about the job.
pub(super) fn is_leftover(fragment: &str) -> bool {
    let mut chars = fragment.chars();
    matches!((chars.next(), chars.next()), (Some(c), None) if "市县区省镇乡村招聘急的和及或名人位男女各工天月米".contains(c))
}

pub(super) fn skip_while(chars: &[char], start: usize, keep: impl Fn(char) -> bool) -> usize {
    chars[start..]
        .iter()
        .position(|c| !keep(*c))
        .map_or(chars.len(), |offset| start + offset)
}

/// The text used when cleaning removed everything: just the letters, digits and CJK.
pub(super) fn fallback_text(raw: &str) -> String {
    normalize(&truncate(raw))
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}
