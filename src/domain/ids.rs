//! National ID numbers (GB 11643) and unified social credit codes (GB 32100), with their check
//! characters.

use serde::{Deserialize, Serialize};

use super::Reason;

/// 18-character resident identity number. Stored in full, shown masked to most readers.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NationalId(String);

const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK: &[u8; 11] = b"10X98765432";

impl NationalId {
    pub fn parse(raw: &str) -> Result<NationalId, Reason> {
        let s = raw.trim().to_ascii_uppercase();
        let b = s.as_bytes();
        if b.len() != 18 || !b[..17].iter().all(u8::is_ascii_digit) {
            return Err("id_number_must_be_18_characters");
        }
        let sum: u32 = b[..17]
            .iter()
            .zip(ID_WEIGHTS)
            .map(|(c, w)| u32::from(c - b'0') * w)
            .sum();
        if ID_CHECK[(sum % 11) as usize] != b[17] {
            return Err("id_number_check_character");
        }
        let year: i32 = s[6..10].parse().map_err(|_| "id_number_birth_date")?;
        let month: u32 = s[10..12].parse().map_err(|_| "id_number_birth_date")?;
        let day: u32 = s[12..14].parse().map_err(|_| "id_number_birth_date")?;
        if chrono::NaiveDate::from_ymd_opt(year, month, day).is_none() || year < 1900 {
            return Err("id_number_birth_date");
        }
        Ok(NationalId(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn birth_year(&self) -> i32 {
        self.0[6..10].parse().unwrap_or(0)
    }

    /// First 6 and last 4 characters: 630224********123X.
    pub fn masked(&self) -> String {
        format!("{}********{}", &self.0[..6], &self.0[14..])
    }
}

/// Masks a stored ID number without re-validating it.
pub fn mask_id_number(stored: &str) -> String {
    if stored.len() == 18 && stored.is_ascii() {
        format!("{}********{}", &stored[..6], &stored[14..])
    } else {
        "******".into()
    }
}

/// 18-character unified social credit code of an organization.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CreditCode(String);

const CREDIT_CHARS: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const CREDIT_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

impl CreditCode {
    pub fn parse(raw: &str) -> Result<CreditCode, Reason> {
        let s = raw.trim().to_ascii_uppercase();
        let b = s.as_bytes();
        if b.len() != 18 {
            return Err("credit_code_must_be_18_characters");
        }
        let value = |c: u8| CREDIT_CHARS.iter().position(|x| *x == c).map(|p| p as u32);
        let mut sum = 0;
        for (c, w) in b[..17].iter().zip(CREDIT_WEIGHTS) {
            sum += value(*c).ok_or("credit_code_character")? * w;
        }
        let check = (31 - sum % 31) % 31;
        if value(b[17]) != Some(check) {
            return Err("credit_code_check_character");
        }
        Ok(CreditCode(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Builds a valid ID number from its first 17 digits (test and data-generation helper).
pub fn complete_id_number(first17: &str) -> Option<String> {
    let b = first17.as_bytes();
    if b.len() != 17 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = b
        .iter()
        .zip(ID_WEIGHTS)
        .map(|(c, w)| u32::from(c - b'0') * w)
        .sum();
    Some(format!(
        "{first17}{}",
        ID_CHECK[(sum % 11) as usize] as char
    ))
}

/// Builds a valid credit code from its first 17 characters (test and data-generation helper).
pub fn complete_credit_code(first17: &str) -> Option<String> {
    let b = first17.as_bytes();
    if b.len() != 17 {
        return None;
    }
    let mut sum = 0;
    for (c, w) in b.iter().zip(CREDIT_WEIGHTS) {
        sum += CREDIT_CHARS.iter().position(|x| x == c)? as u32 * w;
    }
    let check = (31 - sum % 31) % 31;
    Some(format!("{first17}{}", CREDIT_CHARS[check as usize] as char))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn national_ids() {
        let id = complete_id_number("63212719900307123").unwrap();
        let parsed = NationalId::parse(&id).unwrap();
        assert_eq!(parsed.birth_year(), 1990);
        assert_eq!(parsed.masked().len(), 18);
        assert!(parsed.masked().starts_with("632127********"));
        // Flip the check character.
        let last = id.as_bytes()[17];
        let wrong = if last == b'1' { '2' } else { '1' };
        let bad = format!("{}{wrong}", &id[..17]);
        assert_eq!(NationalId::parse(&bad), Err("id_number_check_character"));
        assert_eq!(
            NationalId::parse("123"),
            Err("id_number_must_be_18_characters")
        );
        // A well-known valid sample with an X check character.
        assert!(NationalId::parse("11010519491231002x").is_ok());
    }

    #[test]
    fn credit_codes() {
        assert!(CreditCode::parse("91350100M000100Y43").is_ok());
        assert_eq!(
            CreditCode::parse("91350100M000100Y44"),
            Err("credit_code_check_character")
        );
        assert_eq!(
            CreditCode::parse("9135"),
            Err("credit_code_must_be_18_characters")
        );
        let made = complete_credit_code("91630200MA7XYU123").unwrap();
        assert!(CreditCode::parse(&made).is_ok());
    }
}
