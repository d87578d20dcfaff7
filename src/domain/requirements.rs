//! What an opening asks of a worker beyond the trade: a certificate (required, preferred or not
//! asked for) and a minimum of years. The employer may state them; when they did not, the words
//! of the title and the description are read the way a recruiter reads a posting ("持证上岗",
//! "有证优先", "三年以上经验", "熟手", "学徒可带").

use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How an opening treats a certificate in its trade.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CertificateRule {
    /// Nothing said: a certificate still shows skill, and counts a little.
    #[default]
    None,
    Preferred,
    Required,
}

impl CertificateRule {
    pub const NAMES: [&'static str; 3] = ["none", "preferred", "required"];

    pub fn parse(raw: &str) -> Option<CertificateRule> {
        match raw {
            "none" => Some(CertificateRule::None),
            "preferred" => Some(CertificateRule::Preferred),
            "required" => Some(CertificateRule::Required),
            _ => None,
        }
    }
}

/// Where a requirement came from, so an explanation can say so.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RequirementSource {
    /// Set on the opening by the employer.
    Employer,
    /// Read from the title's words.
    Title,
    /// Read from the description's words.
    Description,
    /// Stated nowhere: the neutral default.
    #[default]
    NotStated,
}

/// The requirements the ranking uses, each with where it was read.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Requirements {
    pub certificate: CertificateRule,
    pub certificate_from: RequirementSource,
    /// Years of experience in the trade the opening asks for (0: no minimum).
    pub min_years: f32,
    pub min_years_from: RequirementSource,
}

/// Upper bound of a stated minimum (also the validation limit of the opening field).
pub const MAX_MIN_YEARS: f32 = 50.0;

/// "熟手" / "熟练工" without a number: a recruiter reads about two years.
const SKILLED_HAND_YEARS: f32 = 2.0;

static YEARS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(\d+(?:\.\d+)?|[一二两三四五六七八九十]+)\s*年(?:以上|及以上|或以上)|(?:至少|最少|不少于)\s*(\d+(?:\.\d+)?|[一二两三四五六七八九十]+)\s*年")
        .expect("years pattern")
});
/// A certificate named as a plus: 有证优先, 持证优先, 有焊工证者优先, 有育婴师证优先 ...
static CERT_PREFERRED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:有|持有?|具备)?[^，,。；;！!、\s]{0,8}(?:证|证书|执照)[者的]?优先")
        .expect("preferred")
});
/// A certificate as a condition: 持证上岗, 必须持有焊工证, 须持证, 持低压电工证, 无证勿扰 ...
static CERT_REQUIRED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"持证上岗|(?:必须|须|需|需要|要求)(?:持有?|具有|具备|有)[^，,。；;！!、\s]{0,10}(?:证|证书|执照)|持有?[^，,。；;！!、\s优]{0,8}证|无证勿扰|证件齐全|证书齐全")
        .expect("required")
});

fn chinese_number(raw: &str) -> Option<f32> {
    if let Ok(n) = raw.parse::<f32>() {
        return Some(n);
    }
    let digit = |c: char| "零一二三四五六七八九".find(c).map(|i| (i / 3) as f32);
    let chars: Vec<char> = raw
        .chars()
        .map(|c| if c == '两' { '二' } else { c })
        .collect();
    match chars.as_slice() {
        ['十'] => Some(10.0),
        ['十', u] => Some(10.0 + digit(*u)?),
        [t, '十'] => Some(10.0 * digit(*t)?),
        [t, '十', u] => Some(10.0 * digit(*t)? + digit(*u)?),
        [u] => digit(*u),
        _ => None,
    }
}

/// The minimum years a text states, if any ("三年以上经验" → 3, "熟手" → 2, "学徒可带" → 0).
pub fn min_years_in(text: &str) -> Option<f32> {
    let stated = YEARS
        .captures_iter(text)
        .filter_map(|c| c.get(1).or_else(|| c.get(2)))
        .filter_map(|m| chinese_number(m.as_str()))
        .filter(|y| (0.0..=MAX_MIN_YEARS).contains(y))
        .reduce(f32::max);
    if stated.is_some() {
        return stated;
    }
    // Apprentices welcome says no minimum, and wins over a vaguer "skilled" elsewhere.
    if text.contains("学徒") || text.contains("无经验") || text.contains("零基础") {
        return Some(0.0);
    }
    if text.contains("熟手") || text.contains("熟练工") || text.contains("熟练") {
        return Some(SKILLED_HAND_YEARS);
    }
    None
}

/// How a text treats a certificate, if it says anything.
pub fn certificate_in(text: &str) -> Option<CertificateRule> {
    let text: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    // A preferred phrase also contains "持...证": take the preferred phrases out before looking
    // for a condition.
    let without_preferred = CERT_PREFERRED.replace_all(&text, "，");
    if CERT_REQUIRED.is_match(&without_preferred) || without_preferred.contains("持证") {
        Some(CertificateRule::Required)
    } else if CERT_PREFERRED.is_match(&text) {
        Some(CertificateRule::Preferred)
    } else {
        None
    }
}

/// The requirements in force: the employer's where stated, else the title's words, else the
/// description's, else none.
pub fn requirements(
    certificate: Option<CertificateRule>,
    min_years: Option<f32>,
    title: &str,
    description: &str,
) -> Requirements {
    let (certificate, certificate_from) = match certificate {
        Some(rule) => (rule, RequirementSource::Employer),
        None => match (certificate_in(title), certificate_in(description)) {
            (Some(rule), _) => (rule, RequirementSource::Title),
            (None, Some(rule)) => (rule, RequirementSource::Description),
            (None, None) => (CertificateRule::None, RequirementSource::NotStated),
        },
    };
    let (min_years, min_years_from) = match min_years {
        Some(y) => (y.clamp(0.0, MAX_MIN_YEARS), RequirementSource::Employer),
        None => match (min_years_in(title), min_years_in(description)) {
            (Some(y), _) => (y, RequirementSource::Title),
            (None, Some(y)) => (y, RequirementSource::Description),
            (None, None) => (0.0, RequirementSource::NotStated),
        },
    };
    Requirements {
        certificate,
        certificate_from,
        min_years,
        min_years_from,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_are_read_from_numbers_and_words() {
        assert_eq!(min_years_in("三年以上经验，包吃住"), Some(3.0));
        assert_eq!(min_years_in("两年以上驾龄"), Some(2.0));
        assert_eq!(min_years_in("5年以上工作经验"), Some(5.0));
        assert_eq!(min_years_in("至少1年"), Some(1.0));
        assert_eq!(min_years_in("十二年及以上"), Some(12.0));
        assert_eq!(min_years_in("服装厂招熟手车工"), Some(2.0));
        assert_eq!(min_years_in("钢构车间，电焊，学徒可带"), Some(0.0));
        assert_eq!(min_years_in("月薪8000-11000 包吃住"), None);
        assert_eq!(min_years_in("长期稳定"), None);
    }

    #[test]
    fn certificates_required_preferred_or_silent() {
        use CertificateRule::{Preferred, Required};
        assert_eq!(certificate_in("船厂急招氩弧焊工 持证上岗"), Some(Required));
        assert_eq!(certificate_in("建筑工地招塔吊司机 持证"), Some(Required));
        assert_eq!(certificate_in("工地招持证电工"), Some(Required));
        assert_eq!(
            certificate_in("必须持有焊工证，三年以上经验"),
            Some(Required)
        );
        assert_eq!(certificate_in("持低压电工证，月薪8000"), Some(Required));
        assert_eq!(certificate_in("招育婴师/月嫂 持证优先"), Some(Preferred));
        assert_eq!(certificate_in("有焊工证优先，长期稳定"), Some(Preferred));
        assert_eq!(certificate_in("有汽车维修工证优先"), Some(Preferred));
        assert_eq!(certificate_in("有证者优先"), Some(Preferred));
        assert_eq!(certificate_in("持证上岗，有高级证优先"), Some(Required));
        assert_eq!(certificate_in("招电焊工 二保焊 包吃住"), None);
        assert_eq!(certificate_in("有经验者优先"), None);
    }

    #[test]
    fn the_employer_wins_then_the_title_then_the_description() {
        let r = requirements(None, None, "招叉车司机 持证上岗", "三年以上经验");
        assert_eq!(r.certificate, CertificateRule::Required);
        assert_eq!(r.certificate_from, RequirementSource::Title);
        assert_eq!(r.min_years, 3.0);
        assert_eq!(r.min_years_from, RequirementSource::Description);
        let r = requirements(
            Some(CertificateRule::None),
            Some(0.0),
            "招叉车司机 持证上岗",
            "三年以上经验",
        );
        assert_eq!(r.certificate, CertificateRule::None);
        assert_eq!(r.certificate_from, RequirementSource::Employer);
        assert_eq!(r.min_years, 0.0);
        assert_eq!(r.min_years_from, RequirementSource::Employer);
        let r = requirements(None, None, "招保洁员", "");
        assert_eq!(r, Requirements::default());
    }
}
