//! Outcome reports and statistics, computed in SQL and scoped to the caller's region.

use chrono::NaiveDate;
use deadpool_postgres::GenericClient;
use serde::Serialize;
use utoipa::ToSchema;

use super::DbResult;
use crate::domain::RegionFilter;

#[derive(Debug, Serialize, ToSchema)]
pub struct HouseholdOutcome {
    pub household_id: i64,
    pub registry_number: String,
    pub county_code: String,
    pub village: String,
    pub status: String,
    pub member_count: i32,
    /// Last assessed annual per-capita income (yuan), if any.
    pub assessed_per_capita: Option<i32>,
    /// Members' latest recorded monthly wages × 12, plus other income, over the member count.
    pub estimated_per_capita: i64,
    pub working_members: i64,
    /// up: was below the line, now at or above; down: the reverse.
    pub crossed: String,
}

/// Each household's estimated per-capita income now: members' latest recorded monthly wages
/// × 12 (a follow-up while working, or the agreed wage of an active placement not yet followed
/// up), plus other income, over the member count. `$1` is the region scope. Shared by the
/// household list and the outcome statistics, so both count the same households.
const HOUSEHOLD_ESTIMATE: &str = "member_wage AS (
                 SELECT w.household_id, w.id AS worker_id,
                        coalesce(
                          (SELECT CASE WHEN f.employment = 'not_working' THEN 0 ELSE f.monthly_wage END
                           FROM followups f JOIN placements p ON p.id = f.placement_id
                           WHERE p.worker_id = w.id AND f.recorded_at IS NOT NULL
                           ORDER BY f.recorded_at DESC, f.id DESC LIMIT 1),
                          (SELECT p.agreed_wage FROM placements p
                           WHERE p.worker_id = w.id AND p.ended_on IS NULL
                           ORDER BY p.start_date DESC LIMIT 1),
                          0) AS monthly
                 FROM workers w WHERE w.household_id IS NOT NULL
             ),
             estimate AS (
                 SELECT h.id, h.registry_number, h.county_code, h.village, h.status,
                        h.member_count, h.income_per_capita,
                        ((coalesce(sum(m.monthly), 0) * 12 + h.other_income_yuan)
                            / h.member_count)::int8 AS estimated,
                        count(*) FILTER (WHERE m.monthly > 0) AS working
                 FROM households h LEFT JOIN member_wage m ON m.household_id = h.id
                 WHERE ($1::text IS NULL OR region_within(h.county_code, $1))
                 GROUP BY h.id
             )";

/// Households in `scope` whose estimated income crossed the monitoring line, either way.
/// A member's wage is their latest recorded follow-up wage while working, or the agreed wage
/// of an active placement not yet followed up.
pub async fn households_crossing(
    client: &impl GenericClient,
    scope: &RegionFilter,
    line: i64,
) -> DbResult<Vec<HouseholdOutcome>> {
    let rows = client
        .query(
            &format!(
                "WITH {HOUSEHOLD_ESTIMATE}
             SELECT *, CASE WHEN coalesce(income_per_capita, 0) < $2::int8 AND estimated >= $2::int8 THEN 'up'
                            ELSE 'down' END AS crossed
             FROM estimate
             WHERE (coalesce(income_per_capita, 0) < $2::int8 AND estimated >= $2::int8)
                OR (income_per_capita >= $2::int8 AND estimated < $2::int8)
             ORDER BY county_code, registry_number"
            ),
            &[&scope.sql(), &line],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| HouseholdOutcome {
            household_id: r.get("id"),
            registry_number: r.get("registry_number"),
            county_code: r.get("county_code"),
            village: r.get("village"),
            status: r.get("status"),
            member_count: r.get("member_count"),
            assessed_per_capita: r.get("income_per_capita"),
            estimated_per_capita: r.get("estimated"),
            working_members: r.get("working"),
            crossed: r.get("crossed"),
        })
        .collect())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubsidyEvidence {
    pub placement_id: i64,
    pub employer_name: String,
    pub work_region: String,
    pub start_date: NaiveDate,
    pub months_employed: i32,
    pub followup_month: i32,
    pub monthly_wage: Option<i32>,
    pub evidence_ref: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubsidyEligible {
    pub worker_id: i64,
    /// Masked: surname only.
    pub worker_name: String,
    pub home_region: String,
    pub household_registry_number: String,
    pub rule: String,
    pub evidence: SubsidyEvidence,
}

/// The one-time transport subsidy: a registered-poor worker employed outside the home province
/// for at least `min_months`, shown by a recorded follow-up at or after that month, still
/// employed, with wage evidence.
pub async fn transport_subsidy(
    client: &impl GenericClient,
    scope: &RegionFilter,
    min_months: i32,
) -> DbResult<Vec<SubsidyEligible>> {
    let rows = client
        .query(
            "SELECT DISTINCT ON (w.id) w.id, w.name, w.home_region, h.registry_number,
                    p.id AS placement_id, g.name AS employer_name, p.work_region, p.start_date,
                    f.due_month, f.monthly_wage, f.evidence_ref
             FROM workers w
             JOIN households h ON h.id = w.household_id
             JOIN placements p ON p.worker_id = w.id
             JOIN organizations g ON g.id = p.employer_id
             JOIN followups f ON f.placement_id = p.id
             WHERE h.status = 'registered_poor'
               AND left(p.work_region, 2) <> left(w.home_region, 2)
               AND f.due_month >= $2 AND f.recorded_at IS NOT NULL
               AND f.employment IN ('same_employer', 'other_employer')
               AND coalesce(f.evidence_ref, '') <> ''
               AND ($1::text IS NULL OR region_within(w.home_region, $1))
             ORDER BY w.id, f.due_month DESC",
            &[&scope.sql(), &min_months],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let name: String = r.get("name");
            SubsidyEligible {
                worker_id: r.get("id"),
                worker_name: crate::search::documents::mask_name(&name),
                home_region: r.get("home_region"),
                household_registry_number: r.get("registry_number"),
                rule: format!("transport_subsidy_outside_province_{min_months}_months"),
                evidence: SubsidyEvidence {
                    placement_id: r.get("placement_id"),
                    employer_name: r.get("employer_name"),
                    work_region: r.get("work_region"),
                    start_date: r.get("start_date"),
                    months_employed: r.get("due_month"),
                    followup_month: r.get("due_month"),
                    monthly_wage: r.get("monthly_wage"),
                    evidence_ref: r
                        .get::<_, Option<String>>("evidence_ref")
                        .unwrap_or_default(),
                },
            }
        })
        .collect())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupBy {
    County,
    Village,
    Course,
    Center,
    Employer,
    Occupation,
}

impl GroupBy {
    pub fn parse(raw: &str) -> Option<GroupBy> {
        Some(match raw {
            "county" => GroupBy::County,
            "village" => GroupBy::Village,
            "course" => GroupBy::Course,
            "center" => GroupBy::Center,
            "employer" => GroupBy::Employer,
            "occupation" => GroupBy::Occupation,
            _ => return None,
        })
    }

    /// The SQL expression naming each event's group (see the `events` CTE).
    fn key(self) -> &'static str {
        match self {
            GroupBy::County => "w.home_region",
            GroupBy::Village => "coalesce(h.county_code || ' ' || h.village, '(no household)')",
            GroupBy::Course => "coalesce(e.course_id::text, '(none)')",
            GroupBy::Center => "coalesce(e.center_id::text, '(none)')",
            GroupBy::Employer => "coalesce(e.employer_id::text, '(none)')",
            GroupBy::Occupation => "coalesce(e.occupation, '(none)')",
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OutcomeRow {
    pub group: String,
    pub enrolled: i64,
    pub passed: i64,
    /// Distinct workers who applied (or accepted an invitation).
    pub applied: i64,
    pub placed: i64,
    /// placed ÷ applied; null when nobody applied.
    pub placement_rate: Option<f64>,
    /// Share of placements old enough to be measured whose follow-up at 1/3/6/12 months found
    /// the worker employed; null when none is old enough.
    pub retention_1m: Option<f64>,
    pub retention_3m: Option<f64>,
    pub retention_6m: Option<f64>,
    pub retention_12m: Option<f64>,
    pub median_wage: Option<f64>,
    pub mean_wage: Option<f64>,
    /// First and third quartiles of the agreed monthly wages of the placements.
    pub wage_p25: Option<f64>,
    pub wage_p75: Option<f64>,
    /// Households with a member placed in the period whose estimated per-capita income is now
    /// at or above the monitoring line while their last assessment was below it (the household
    /// report's "up"), and their members.
    pub households_crossed_up: i64,
    pub people_crossed_up: i64,
}

/// Outcome statistics by group. Courses and centers are those of the worker's latest passed
/// course before the event; employers and occupations those of the opening. `line` is the
/// monitoring line (yuan per person per year) for the households that crossed it.
pub async fn outcomes(
    client: &impl GenericClient,
    scope: &RegionFilter,
    from: NaiveDate,
    to: NaiveDate,
    group_by: GroupBy,
    today: NaiveDate,
    line: i64,
) -> DbResult<Vec<OutcomeRow>> {
    let key = group_by.key();
    let sql = format!(
        "WITH events AS (
             SELECT 'enrolled' AS kind, en.worker_id, en.created_at::date AS at, c.id AS course_id,
                    c.center_id, NULL::int8 AS employer_id, c.occupation_codes[1] AS occupation,
                    NULL::int8 AS placement_id, NULL::int4 AS wage, NULL::date AS start_date
             FROM enrollments en JOIN courses c ON c.id = en.course_id
             UNION ALL
             SELECT 'passed', en.worker_id, en.result_on, c.id, c.center_id, NULL, c.occupation_codes[1],
                    NULL, NULL, NULL
             FROM enrollments en JOIN courses c ON c.id = en.course_id WHERE en.status = 'passed'
             UNION ALL
             SELECT 'applied', a.worker_id, a.created_at::date, lc.course_id, lc.center_id,
                    o.employer_id, o.required_occupations[1], NULL, NULL, NULL
             FROM applications a JOIN openings o ON o.id = a.opening_id
             LEFT JOIN LATERAL (
                 SELECT c.id AS course_id, c.center_id FROM enrollments en JOIN courses c ON c.id = en.course_id
                 WHERE en.worker_id = a.worker_id AND en.status = 'passed'
                   AND en.result_on <= a.created_at::date
                 ORDER BY en.result_on DESC LIMIT 1) lc ON true
             WHERE a.worker_consented
             UNION ALL
             SELECT 'placed', p.worker_id, p.start_date, lc.course_id, lc.center_id, p.employer_id,
                    o.required_occupations[1], p.id, p.agreed_wage, p.start_date
             FROM placements p JOIN openings o ON o.id = p.opening_id
             LEFT JOIN LATERAL (
                 SELECT c.id AS course_id, c.center_id FROM enrollments en JOIN courses c ON c.id = en.course_id
                 WHERE en.worker_id = p.worker_id AND en.status = 'passed' AND en.result_on <= p.start_date
                 ORDER BY en.result_on DESC LIMIT 1) lc ON true
         ),
         {HOUSEHOLD_ESTIMATE},
         scoped AS (
             SELECT {key} AS grp, e.*, w.household_id,
                    (SELECT bool_or(f.employment IN ('same_employer', 'other_employer'))
                     FROM followups f WHERE f.placement_id = e.placement_id AND f.due_month = 1) AS kept1,
                    (SELECT bool_or(f.employment IN ('same_employer', 'other_employer'))
                     FROM followups f WHERE f.placement_id = e.placement_id AND f.due_month = 3) AS kept3,
                    (SELECT bool_or(f.employment IN ('same_employer', 'other_employer'))
                     FROM followups f WHERE f.placement_id = e.placement_id AND f.due_month = 6) AS kept6,
                    (SELECT bool_or(f.employment IN ('same_employer', 'other_employer'))
                     FROM followups f WHERE f.placement_id = e.placement_id AND f.due_month = 12) AS kept12
             FROM events e JOIN workers w ON w.id = e.worker_id
             LEFT JOIN households h ON h.id = w.household_id
             WHERE ($1::text IS NULL OR region_within(w.home_region, $1))
               AND e.at BETWEEN $2 AND $3
         ),
         lifted AS (
             SELECT grp, count(*) AS households_up, sum(member_count)::int8 AS people_up
             FROM (SELECT DISTINCT s.grp, es.id, es.member_count
                   FROM scoped s JOIN estimate es ON es.id = s.household_id
                   WHERE s.kind = 'placed' AND coalesce(es.income_per_capita, 0) < $5::int8
                     AND es.estimated >= $5::int8) d
             GROUP BY grp
         ),
         stats AS (
         SELECT grp,
                count(*) FILTER (WHERE kind = 'enrolled') AS enrolled,
                count(*) FILTER (WHERE kind = 'passed') AS passed,
                count(DISTINCT worker_id) FILTER (WHERE kind = 'applied') AS applied,
                count(*) FILTER (WHERE kind = 'placed') AS placed,
                count(*) FILTER (WHERE kind = 'placed' AND (start_date + interval '1 month')::date <= $4::date) AS old1,
                count(*) FILTER (WHERE kind = 'placed' AND (start_date + interval '1 month')::date <= $4::date AND kept1) AS ret1,
                count(*) FILTER (WHERE kind = 'placed' AND (start_date + interval '3 months')::date <= $4::date) AS old3,
                count(*) FILTER (WHERE kind = 'placed' AND (start_date + interval '3 months')::date <= $4::date AND kept3) AS ret3,
                count(*) FILTER (WHERE kind = 'placed' AND (start_date + interval '6 months')::date <= $4::date) AS old6,
                count(*) FILTER (WHERE kind = 'placed' AND (start_date + interval '6 months')::date <= $4::date AND kept6) AS ret6,
                count(*) FILTER (WHERE kind = 'placed' AND (start_date + interval '12 months')::date <= $4::date) AS old12,
                count(*) FILTER (WHERE kind = 'placed' AND (start_date + interval '12 months')::date <= $4::date AND kept12) AS ret12,
                percentile_cont(0.5) WITHIN GROUP (ORDER BY wage) FILTER (WHERE kind = 'placed') AS median_wage,
                avg(wage) FILTER (WHERE kind = 'placed')::float8 AS mean_wage,
                percentile_cont(0.25) WITHIN GROUP (ORDER BY wage) FILTER (WHERE kind = 'placed') AS wage_p25,
                percentile_cont(0.75) WITHIN GROUP (ORDER BY wage) FILTER (WHERE kind = 'placed') AS wage_p75
         FROM scoped GROUP BY grp
         )
         SELECT stats.*, coalesce(lifted.households_up, 0) AS households_up,
                coalesce(lifted.people_up, 0) AS people_up
         FROM stats LEFT JOIN lifted USING (grp) ORDER BY grp"
    );
    let rows = client
        .query(&sql, &[&scope.sql(), &from, &to, &today, &line])
        .await?;
    let ratio = |num: i64, den: i64| (den > 0).then(|| num as f64 / den as f64);
    Ok(rows
        .iter()
        .map(|r| {
            let applied: i64 = r.get("applied");
            let placed: i64 = r.get("placed");
            OutcomeRow {
                group: r.get("grp"),
                enrolled: r.get("enrolled"),
                passed: r.get("passed"),
                applied,
                placed,
                placement_rate: ratio(placed, applied),
                retention_1m: ratio(r.get("ret1"), r.get("old1")),
                retention_3m: ratio(r.get("ret3"), r.get("old3")),
                retention_6m: ratio(r.get("ret6"), r.get("old6")),
                retention_12m: ratio(r.get("ret12"), r.get("old12")),
                median_wage: r.get("median_wage"),
                mean_wage: r.get("mean_wage"),
                wage_p25: r.get("wage_p25"),
                wage_p75: r.get("wage_p75"),
                households_crossed_up: r.get("households_up"),
                people_crossed_up: r.get("people_up"),
            }
        })
        .collect())
}
