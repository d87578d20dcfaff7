//! Validated values, parsed once at the boundary. After parsing, the rest of the code trusts them.

pub mod application_state;
pub mod certification;
mod ids;
pub mod openings;
pub mod placements;
pub mod requirements;
pub mod targets;
pub mod worker_status;

pub use ids::{complete_credit_code, complete_id_number, mask_id_number, CreditCode, NationalId};

use serde::{Deserialize, Serialize};

/// A reason a value was refused, in stable snake_case, suitable for `details[].reason`.
pub type Reason = &'static str;

/// Mainland mobile number: 11 digits, starting 1[3-9]. Accepts "+86"/"86" prefixes and spaces.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Phone(String);

impl Phone {
    pub fn parse(raw: &str) -> Result<Phone, Reason> {
        let digits: String = raw.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        let digits = digits
            .strip_prefix("+86")
            .or_else(|| digits.strip_prefix("0086"))
            .unwrap_or(&digits);
        let digits = if digits.len() == 13 && digits.starts_with("86") {
            &digits[2..]
        } else {
            digits
        };
        let b = digits.as_bytes();
        if b.len() != 11 || !b.iter().all(u8::is_ascii_digit) {
            return Err("phone_must_be_11_digits");
        }
        if b[0] != b'1' || !(b'3'..=b'9').contains(&b[1]) {
            return Err("phone_not_mainland_mobile");
        }
        Ok(Phone(digits.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// 138****5678: enough for a person to recognise their own number.
    pub fn masked(&self) -> String {
        format!("{}****{}", &self.0[..3], &self.0[7..])
    }
}

/// Six-digit administrative division code (existence is checked against the regions table).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RegionCode(String);

impl RegionCode {
    pub fn parse(raw: &str) -> Result<RegionCode, Reason> {
        let raw = raw.trim();
        if raw.len() == 6 && raw.bytes().all(|b| b.is_ascii_digit()) && !raw.starts_with("00") {
            Ok(RegionCode(raw.to_string()))
        } else {
            Err("region_code_must_be_6_digits")
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn level(&self) -> RegionLevel {
        if self.0.ends_with("0000") {
            RegionLevel::Province
        } else if self.0.ends_with("00") {
            RegionLevel::Prefecture
        } else {
            RegionLevel::County
        }
    }

    /// Province, prefecture, county codes from the top down (as far as this code goes).
    pub fn lineage(&self) -> Vec<String> {
        let mut out = vec![format!("{}0000", &self.0[..2])];
        if self.level() != RegionLevel::Province {
            out.push(format!("{}00", &self.0[..4]));
        }
        if self.level() == RegionLevel::County {
            out.push(self.0.clone());
        }
        out
    }

    /// Whether `other` lies inside this region (or is it).
    pub fn contains(&self, other: &RegionCode) -> bool {
        match self.level() {
            RegionLevel::Province => self.0[..2] == other.0[..2],
            RegionLevel::Prefecture => self.0[..4] == other.0[..4],
            RegionLevel::County => self.0 == other.0,
        }
    }
}

/// Which regions a list covers: every one, or those inside one region. (There is no "none":
/// a caller who may see nothing is refused before any list is read.)
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegionFilter {
    All,
    Within(RegionCode),
}

impl RegionFilter {
    /// As a SQL parameter for `($1::text IS NULL OR region_within(col, $1))`.
    pub fn sql(&self) -> Option<&str> {
        match self {
            RegionFilter::All => None,
            RegionFilter::Within(r) => Some(r.as_str()),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegionLevel {
    Province,
    Prefecture,
    County,
}

/// CSCO 2022 occupation code such as 6-18-02-04 (existence is checked against the table).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OccupationCode(String);

impl OccupationCode {
    pub fn parse(raw: &str) -> Result<OccupationCode, Reason> {
        let raw = raw.trim();
        let b = raw.as_bytes();
        let shape_ok = b.len() == 10
            && b.iter().enumerate().all(|(i, c)| match i {
                1 | 4 | 7 => *c == b'-',
                _ => c.is_ascii_digit(),
            });
        if shape_ok {
            Ok(OccupationCode(raw.to_string()))
        } else {
            Err("occupation_code_format")
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Major group, minor group, unit group and the code itself: "6", "6-18", "6-18-02",
    /// "6-18-02-04". Indexed together so near occupations partly match.
    pub fn ancestors(&self) -> [String; 4] {
        [
            self.0[..1].to_string(),
            self.0[..4].to_string(),
            self.0[..7].to_string(),
            self.0.clone(),
        ]
    }
}

/// Passwords: at least 8 characters, at most 128 (argon2 cost grows with length).
pub const PASSWORD_MIN_CHARS: usize = 8;
pub const PASSWORD_MAX_CHARS: usize = 128;

pub fn check_password(raw: &str) -> Result<(), Reason> {
    let n = raw.chars().count();
    if n < PASSWORD_MIN_CHARS {
        Err("password_too_short")
    } else if n > PASSWORD_MAX_CHARS {
        Err("password_too_long")
    } else {
        Ok(())
    }
}

/// Trimmed non-empty text of bounded length.
pub fn bounded_text(raw: &str, max_chars: usize) -> Result<String, Reason> {
    let t = raw.trim();
    if t.is_empty() {
        Err("must_not_be_empty")
    } else if t.chars().count() > max_chars {
        Err("too_long")
    } else {
        Ok(t.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones() {
        assert_eq!(Phone::parse("13812345678").unwrap().as_str(), "13812345678");
        assert_eq!(
            Phone::parse("+86 138-1234-5678").unwrap().as_str(),
            "13812345678"
        );
        assert_eq!(
            Phone::parse("8613812345678").unwrap().as_str(),
            "13812345678"
        );
        assert_eq!(
            Phone::parse("12812345678"),
            Err("phone_not_mainland_mobile")
        );
        assert_eq!(Phone::parse("1381234567"), Err("phone_must_be_11_digits"));
        assert_eq!(Phone::parse("1381234567x"), Err("phone_must_be_11_digits"));
        assert_eq!(Phone::parse("13812345678").unwrap().masked(), "138****5678");
    }

    #[test]
    fn regions() {
        let hualong = RegionCode::parse("630224").unwrap();
        assert_eq!(hualong.lineage(), vec!["630000", "630200", "630224"]);
        assert!(RegionCode::parse("630000").unwrap().contains(&hualong));
        assert!(RegionCode::parse("630200").unwrap().contains(&hualong));
        assert!(!RegionCode::parse("630225").unwrap().contains(&hualong));
        assert!(RegionCode::parse("63022").is_err());
    }

    #[test]
    fn occupations() {
        let welder = OccupationCode::parse("6-18-02-04").unwrap();
        assert_eq!(welder.ancestors(), ["6", "6-18", "6-18-02", "6-18-02-04"]);
        assert!(OccupationCode::parse("6-18-2-04").is_err());
        assert!(OccupationCode::parse("61802004").is_err());
    }
}
