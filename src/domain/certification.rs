//! Certification: a course result. A pass needs a certificate number and certifies the course's
//! occupations at the level given (or the course's); a fail certifies nothing (and takes back
//! what an earlier pass of the same enrollment certified).

use chrono::NaiveDate;

use crate::error::FieldError;

/// A result as a center states it.
pub struct ResultClaim<'a> {
    pub passed: bool,
    pub score: Option<f32>,
    pub certificate_number: Option<&'a str>,
    pub level: Option<i16>,
    pub result_on: Option<NaiveDate>,
}

/// What a valid result records.
#[derive(Debug, PartialEq)]
pub struct Certification<'a> {
    /// passed | failed
    pub status: &'static str,
    /// The level certified (passes only).
    pub level: Option<i16>,
    pub certificate_number: Option<&'a str>,
    pub result_on: NaiveDate,
}

/// Checks a result against the course's certificate level and today; every problem at once.
pub fn certify<'a>(
    r: &ResultClaim<'a>,
    course_level: i16,
    today: NaiveDate,
) -> Result<Certification<'a>, Vec<FieldError>> {
    let mut problems = Vec::new();
    let mut add = |field: &str, reason: &str| {
        problems.push(FieldError {
            field: field.into(),
            reason: reason.into(),
        })
    };
    if let Some(score) = r.score {
        if !(0.0..=100.0).contains(&score) {
            add("score", "out_of_range_0_100");
        }
    }
    let certificate = r
        .certificate_number
        .map(str::trim)
        .filter(|c| !c.is_empty());
    if r.passed && certificate.is_none() {
        add("certificate_number", "required_when_passed");
    }
    if certificate.is_some_and(|c| c.chars().count() > 50) {
        add("certificate_number", "too_long");
    }
    if let Some(level) = r.level {
        if !(1..=5).contains(&level) {
            add("level", "level_1_to_5");
        }
    }
    let result_on = r.result_on.unwrap_or(today);
    if result_on > today {
        add("result_on", "in_the_future");
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Certification {
        status: if r.passed { "passed" } else { "failed" },
        level: r.level.or(Some(course_level)).filter(|_| r.passed),
        certificate_number: certificate,
        result_on,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pass_needs_a_certificate_and_takes_the_course_level() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let pass = ResultClaim {
            passed: true,
            score: Some(90.0),
            certificate_number: Some(" QH-1 "),
            level: None,
            result_on: None,
        };
        let c = certify(&pass, 4, today).unwrap();
        assert_eq!(
            (c.status, c.level, c.certificate_number),
            ("passed", Some(4), Some("QH-1"))
        );
        let no_cert = ResultClaim {
            certificate_number: None,
            result_on: Some(today.succ_opt().unwrap()),
            ..pass
        };
        let problems = certify(&no_cert, 4, today).unwrap_err();
        assert_eq!(problems.len(), 2);
        let fail = ResultClaim {
            passed: false,
            score: None,
            certificate_number: None,
            level: Some(3),
            result_on: None,
        };
        assert_eq!(certify(&fail, 4, today).unwrap().level, None);
    }
}
