//! The matcher's explanation of a match in plain words, for a worker's matches and an
//! employer's candidates: 持证焊工 · 3 年 · 接受广州市 · 月薪 6000–8000 ≥ 期望 5000. Every
//! word comes from the explanation the ranking returned (the same the API answers), nothing is
//! worked out again here.

use std::collections::HashMap;

use crate::domain::requirements::CertificateRule;
use crate::i18n::Lang;
use crate::search::relatedness::Relation;
use crate::search::score::Explanation;

/// Years as people say them: 3, 1.5.
pub fn years(y: f32) -> String {
    if y.fract() == 0.0 {
        format!("{y:.0}")
    } else {
        format!("{:.1}", y)
    }
}

/// The region codes an explanation names (for one lookup of their names).
pub fn places_named(e: &Explanation) -> Vec<String> {
    let mut codes = vec![e.region.work_region.clone()];
    if e.region.accepted_as != "*" {
        codes.push(e.region.accepted_as.clone());
    }
    codes
}

/// The reasons, in the order a recruiter reads them: trade (and certificate), years, place,
/// wage, and what falls short of the opening's asks.
pub fn in_words(lang: Lang, e: &Explanation, places: &HashMap<String, String>) -> Vec<String> {
    let zh = lang == Lang::Zh;
    let mut out = Vec::new();
    if let Some(m) = e.occupations.first() {
        let trade = if m.certified {
            if zh {
                format!("持证{}", m.worker_occupation)
            } else {
                format!("Certified {}", m.worker_occupation)
            }
        } else {
            m.worker_occupation.clone()
        };
        let close = !matches!(
            m.relation,
            Relation::SameOccupation | Relation::InsideChosenGroup
        );
        out.push(if close && m.opening_occupation != m.worker_occupation {
            if zh {
                format!("{trade}（相近：{}）", m.opening_occupation)
            } else {
                format!("{trade} (close to {})", m.opening_occupation)
            }
        } else {
            trade
        });
        if m.years_experience > 0.0 {
            out.push(if zh {
                format!("{} 年", years(m.years_experience))
            } else {
                format!("{} years", years(m.years_experience))
            });
        }
        let min = e.requirements.min_years;
        if min > 0.0 && m.years_experience < min {
            out.push(if zh {
                format!("不到要求的 {} 年", years(min))
            } else {
                format!("under the {} years asked", years(min))
            });
        }
        if e.requirements.certificate == CertificateRule::Required && !m.certified {
            out.push(
                if zh {
                    "无证（要求持证）"
                } else {
                    "no certificate (required)"
                }
                .to_string(),
            );
        }
    }
    let accepted = &e.region.accepted_as;
    out.push(if accepted == "*" {
        if zh { "全国都去" } else { "goes anywhere" }.to_string()
    } else {
        let place = places
            .get(accepted)
            .cloned()
            .unwrap_or_else(|| accepted.clone());
        if zh {
            format!("接受{place}")
        } else {
            format!("accepts {place}")
        }
    });
    let w = &e.wage;
    out.push(match (zh, w.worker_minimum > 0) {
        (true, true) => format!(
            "月薪 {}–{} ≥ 期望 {}",
            w.offered_min, w.offered_max, w.worker_minimum
        ),
        (true, false) => format!("月薪 {}–{}", w.offered_min, w.offered_max),
        (false, true) => format!(
            "wage {}–{} ≥ wanted {}",
            w.offered_min, w.offered_max, w.worker_minimum
        ),
        (false, false) => format!("wage {}–{}", w.offered_min, w.offered_max),
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_read_as_said() {
        assert_eq!(years(3.0), "3");
        assert_eq!(years(1.5), "1.5");
    }
}
