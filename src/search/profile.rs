//! An opening as the ranking sees it: the trades it asks for (the chosen codes and the trade its
//! title names), what it requires (certificate, years) and its title's own words. Everything
//! here is per-opening, computed once, so ranking a worker needs only that worker's columns.

use serde::{Deserialize, Serialize};
use tantivy::tokenizer::TokenStream;
use utoipa::ToSchema;

use super::documents::OpeningDoc;
use super::relatedness::{group_prefix, Relatedness};
use super::title_trade::{ReadsTrade, TitleTrade, CONFIDENT};
use crate::domain::requirements::Requirements;

/// A nice-to-have occupation counts at this share of a required one.
pub const NICE_TO_HAVE: f32 = 0.5;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
// Not `Role` in the document: that is the accounts' role, and one name cannot hold both.
#[schema(as = OccupationRole)]
pub enum Role {
    /// Chosen by the employer as required.
    Required,
    /// Named by the title, inside or next to a chosen code: matched as required.
    TitleTrade,
    /// Chosen as nice-to-have, or a chosen code the title's trade narrowed.
    NiceToHave,
}

impl Role {
    pub fn weight(self) -> f32 {
        match self {
            Role::Required | Role::TitleTrade => 1.0,
            Role::NiceToHave => NICE_TO_HAVE,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    pub code: String,
    pub role: Role,
}

/// What the ranking did with the trade read from the title.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TitleTradeUse {
    /// Inside or next to a chosen required code (same unit group): matched as required, and
    /// that chosen code became nice-to-have.
    Required,
    /// Another trade than the chosen ones, or a group (the title names a field, no occupation
    /// surely): matched as nice-to-have.
    NiceToHave,
    /// One of the chosen codes already.
    AlreadyChosen,
    /// The reviewed relatedness table calls it another trade than a chosen code (塔吊 read as
    /// the forklift sibling of a chosen 起重工): the employer's choice stands, the reading is
    /// not used.
    ContradictsChosen,
    /// The suggester was not sure enough.
    NotConfident,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TitleTradeReading {
    pub code: String,
    pub confidence: f32,
    pub used_as: TitleTradeUse,
    /// Chosen required codes the title's trade narrowed to nice-to-have.
    pub narrows: Vec<String>,
}

/// One word of the title (overlapping pieces of it, as jieba cuts them: 拉面馆 → 拉面, 面馆,
/// 拉面馆), looked up in workers' own notes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TitleWord {
    pub word: String,
    pub terms: Vec<String>,
}

/// Recruiting words that say nothing about the work (招聘 boilerplate, pay and perks, and
/// the words the requirements are read from).
const NOT_WORK_WORDS: &[&str] = &[
    "招",
    "招聘",
    "急招",
    "诚聘",
    "高薪",
    "聘请",
    "招工",
    "月薪",
    "薪资",
    "工资",
    "底薪",
    "提成",
    "计件",
    "包吃住",
    "包吃",
    "包住",
    "吃住",
    "包食宿",
    "食宿",
    "长期",
    "稳定",
    "优先",
    "以上",
    "经验",
    "师傅",
    "持证",
    "上岗",
    "有证",
    "熟手",
    "熟练",
    "若干",
    "名",
    "数名",
    "人员",
    "工人",
    "公司",
    "有限公司",
    "急聘",
    "直招",
    "大量",
    "五险",
    "一金",
    "待遇",
    "面议",
    "元",
    "加班",
];

/// The title's words that can say something about the work, grouped so that overlapping
/// pieces of one word count once.
pub fn title_words(title: &str) -> Vec<TitleWord> {
    let mut analyzer = super::schema::jieba_analyzer();
    let mut stream = analyzer.token_stream(title);
    // (from, to, text) of each useful token.
    let mut tokens: Vec<(usize, usize, String)> = Vec::new();
    while let Some(t) = stream.next() {
        let text = t.text.trim();
        let useful = text.chars().count() >= 2
            && text.chars().any(char::is_alphabetic)
            && !NOT_WORK_WORDS.contains(&text);
        if useful {
            tokens.push((t.offset_from, t.offset_to, text.to_string()));
        }
    }
    // Tokens whose spans overlap, or which are the same text, form one word.
    let mut groups: Vec<(usize, usize, Vec<String>)> = Vec::new();
    for (from, to, text) in tokens {
        if groups.iter().any(|(_, _, terms)| terms.contains(&text)) {
            continue;
        }
        match groups.iter().position(|(f, t, _)| from < *t && *f < to) {
            Some(i) => {
                let g = &mut groups[i];
                g.0 = g.0.min(from);
                g.1 = g.1.max(to);
                g.2.push(text);
            }
            None => groups.push((from, to, vec![text])),
        }
    }
    groups
        .into_iter()
        .map(|(from, to, mut terms)| {
            terms.sort();
            TitleWord {
                word: title.get(from..to).unwrap_or_default().to_lowercase(),
                terms,
            }
        })
        .collect()
}

/// Fills what the ranking needs from an opening's title: the trade it names (unless the
/// employer pinned the codes) and its words. Blocking CPU work (the suggester, jieba).
pub fn prepare(o: &mut OpeningDoc, reader: &dyn ReadsTrade, related: &Relatedness) {
    o.title_trade = if o.pin_occupations {
        None
    } else {
        reader.best_trade(&o.title)
    };
    check_title_trade(o, related);
    o.title_words = title_words(&o.title);
}

/// Notes which chosen codes the relatedness table calls another trade than the title's. Cheap,
/// and redone whenever the chosen codes may have changed since the title was read.
pub fn check_title_trade(o: &mut OpeningDoc, related: &Relatedness) {
    if let Some(t) = o.title_trade.as_mut() {
        t.other_trade_than = o
            .required
            .iter()
            .chain(&o.nice)
            .filter(|chosen| related.rules_out(&t.code, chosen))
            .cloned()
            .collect();
    }
}

/// Whether `title_code` names a trade inside `chosen` (a group) or next to it (the same unit
/// group): then the title is the more precise of the two.
fn narrows(title_code: &str, chosen: &str) -> bool {
    match group_prefix(chosen) {
        Some(prefix) => title_code.starts_with(prefix),
        None => title_code.len() >= 7 && chosen.len() >= 7 && title_code[..7] == chosen[..7],
    }
}

#[derive(Clone, Debug)]
pub struct OpeningProfile {
    pub targets: Vec<Target>,
    pub requirements: Requirements,
    pub title_trade: Option<TitleTradeReading>,
    pub title_words: Vec<TitleWord>,
}

impl OpeningProfile {
    pub fn of(o: &OpeningDoc) -> OpeningProfile {
        let mut targets: Vec<Target> = Vec::new();
        let mut add = |code: &str, role: Role| {
            if !targets.iter().any(|t| t.code == code) {
                targets.push(Target {
                    code: code.to_string(),
                    role,
                });
            }
        };
        let reading = o.title_trade.as_ref().map(|t| Self::read(o, t));
        let narrowed: &[String] = reading.as_ref().map_or(&[], |r| &r.narrows);
        if let Some(r) = reading.as_ref() {
            match r.used_as {
                TitleTradeUse::Required => add(&r.code, Role::TitleTrade),
                TitleTradeUse::NiceToHave => add(&r.code, Role::NiceToHave),
                _ => {}
            }
        }
        for c in &o.required {
            if narrowed.contains(c) {
                add(c, Role::NiceToHave);
            } else {
                add(c, Role::Required);
            }
        }
        for c in &o.nice {
            add(c, Role::NiceToHave);
        }
        OpeningProfile {
            targets,
            requirements: o.requirements.clone(),
            title_trade: reading,
            title_words: o.title_words.clone(),
        }
    }

    fn read(o: &OpeningDoc, t: &TitleTrade) -> TitleTradeReading {
        let chosen = o.required.contains(&t.code) || o.nice.contains(&t.code);
        let narrows: Vec<String> = o
            .required
            .iter()
            .filter(|c| !chosen && narrows(&t.code, c))
            .cloned()
            .collect();
        // A group read from the title is a guess at the field, never precise enough to
        // narrow a chosen code: it is a nice-to-have at group fit.
        let group = group_prefix(&t.code).is_some();
        let used_as = if chosen {
            TitleTradeUse::AlreadyChosen
        } else if t.confidence < CONFIDENT {
            TitleTradeUse::NotConfident
        } else if !t.other_trade_than.is_empty() {
            // The employer named the trade; a reading the reviewed table contradicts is the
            // suggester's mistake or a different job, and either way not the employer's.
            TitleTradeUse::ContradictsChosen
        } else if !narrows.is_empty() && !group {
            TitleTradeUse::Required
        } else {
            TitleTradeUse::NiceToHave
        };
        TitleTradeReading {
            code: t.code.clone(),
            confidence: t.confidence,
            narrows: if used_as == TitleTradeUse::Required {
                narrows
            } else {
                Vec::new()
            },
            used_as,
        }
    }

    /// Codes matched because of the title (not chosen by the employer).
    pub fn inferred_codes(&self) -> Vec<String> {
        self.targets
            .iter()
            .filter(|t| !matches!(t.role, Role::Required) && self.is_inferred(&t.code))
            .map(|t| t.code.clone())
            .collect()
    }

    fn is_inferred(&self, code: &str) -> bool {
        self.title_trade.as_ref().is_some_and(|r| {
            r.code == code
                && matches!(
                    r.used_as,
                    TitleTradeUse::Required | TitleTradeUse::NiceToHave
                )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(title: &str) -> Vec<String> {
        title_words(title).into_iter().map(|w| w.word).collect()
    }

    #[test]
    fn title_words_leave_out_recruiting_noise_and_count_a_word_once() {
        assert_eq!(
            words("兰州牛肉拉面馆招拉面师傅 月薪7000-10000"),
            vec!["兰州", "牛肉", "拉面馆"]
        );
        assert_eq!(words("船厂急招氩弧焊工 持证上岗"), vec!["船厂", "氩弧焊"]);
        assert_eq!(words("招货车司机 B2/A2"), vec!["货车", "司机", "b2", "a2"]);
        let w = title_words("钢构厂招电焊工");
        assert_eq!(w.last().unwrap().word, "电焊工");
        assert_eq!(w.last().unwrap().terms, vec!["焊工", "电焊", "电焊工"]);
    }

    fn opening(required: &[&str], nice: &[&str], trade: Option<(&str, f32)>) -> OpeningDoc {
        OpeningDoc {
            required: required.iter().map(|c| c.to_string()).collect(),
            nice: nice.iter().map(|c| c.to_string()).collect(),
            title_trade: trade.map(|(code, confidence)| TitleTrade {
                code: code.into(),
                confidence,
                other_trade_than: Vec::new(),
            }),
            ..OpeningDoc::example()
        }
    }

    fn roles(p: &OpeningProfile) -> Vec<(&str, Role)> {
        p.targets
            .iter()
            .map(|t| (t.code.as_str(), t.role))
            .collect()
    }

    #[test]
    fn a_confident_title_trade_next_to_the_chosen_code_is_required() {
        // Coded as a generic cook, titled 拉面师傅.
        let p = OpeningProfile::of(&opening(&["4-03-02-01"], &[], Some(("4-03-02-02", 0.9))));
        assert_eq!(
            roles(&p),
            vec![
                ("4-03-02-02", Role::TitleTrade),
                ("4-03-02-01", Role::NiceToHave)
            ]
        );
        assert_eq!(p.inferred_codes(), vec!["4-03-02-02"]);
        // Inside a chosen group.
        let p = OpeningProfile::of(&opening(&["6-29-01-00"], &[], Some(("6-29-01-04", 0.9))));
        assert_eq!(p.targets[0].role, Role::TitleTrade);
        // Unsure: nothing changes.
        let p = OpeningProfile::of(&opening(&["4-03-02-01"], &[], Some(("4-03-02-02", 0.3))));
        assert_eq!(roles(&p), vec![("4-03-02-01", Role::Required)]);
        assert_eq!(p.title_trade.unwrap().used_as, TitleTradeUse::NotConfident);
        // Another trade altogether: nice-to-have, the chosen code stays required.
        let p = OpeningProfile::of(&opening(&["6-29-01-01"], &[], Some(("6-18-02-04", 0.9))));
        assert_eq!(
            roles(&p),
            vec![
                ("6-18-02-04", Role::NiceToHave),
                ("6-29-01-01", Role::Required)
            ]
        );
        // A group read from the title is only a nice-to-have, even inside a chosen code's
        // group.
        let p = OpeningProfile::of(&opening(&["4-01-02-01"], &[], Some(("4-01-02-00", 0.8))));
        assert_eq!(
            roles(&p),
            vec![
                ("4-01-02-00", Role::NiceToHave),
                ("4-01-02-01", Role::Required)
            ]
        );
        assert_eq!(p.inferred_codes(), vec!["4-01-02-00"]);
        // Already chosen.
        let p = OpeningProfile::of(&opening(
            &["4-03-02-02"],
            &["4-03-02-01"],
            Some(("4-03-02-01", 0.9)),
        ));
        assert_eq!(
            roles(&p),
            vec![
                ("4-03-02-02", Role::Required),
                ("4-03-02-01", Role::NiceToHave)
            ]
        );
    }

    #[test]
    fn a_sibling_the_relatedness_table_calls_another_trade_does_not_narrow_the_chosen_code() {
        let related = Relatedness::from_seed().unwrap();
        // 建筑工地招塔吊司机, coded 起重工 by the employer, read as the forklift sibling: the
        // table says a forklift driver is no 起重工, so the employer's code stays required.
        let mut o = opening(&["6-30-05-02"], &[], Some(("6-30-05-01", 0.9)));
        check_title_trade(&mut o, &related);
        let p = OpeningProfile::of(&o);
        assert_eq!(roles(&p), vec![("6-30-05-02", Role::Required)]);
        assert!(p.inferred_codes().is_empty());
        let reading = p.title_trade.unwrap();
        assert_eq!(reading.used_as, TitleTradeUse::ContradictsChosen);
        assert!(reading.narrows.is_empty());
        // A sibling the table lets stand in (a 中式面点师 can cook) still narrows.
        let mut o = opening(&["4-03-02-01"], &[], Some(("4-03-02-02", 0.9)));
        check_title_trade(&mut o, &related);
        let p = OpeningProfile::of(&o);
        assert_eq!(p.title_trade.unwrap().used_as, TitleTradeUse::Required);
        // The check follows the chosen codes when they change under an unchanged title.
        let mut o = opening(&["6-30-05-02"], &[], Some(("6-30-05-01", 0.9)));
        check_title_trade(&mut o, &related);
        o.required = vec!["6-30-05-00".into()];
        check_title_trade(&mut o, &related);
        let p = OpeningProfile::of(&o);
        assert_eq!(p.title_trade.unwrap().used_as, TitleTradeUse::Required);
    }
}
