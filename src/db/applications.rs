//! Applications with their history, placements, follow-ups and dispatches.

use chrono::{DateTime, NaiveDate, Utc};
use deadpool_postgres::GenericClient;
use serde::Serialize;
use tokio_postgres::Row;
use utoipa::ToSchema;

use super::DbResult;

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Application {
    pub id: i64,
    pub opening_id: i64,
    pub opening_title: String,
    pub employer_id: i64,
    pub worker_id: i64,
    pub worker_home_region: String,
    /// The worker's own account, if they have one (for access checks; never shown).
    #[serde(skip)]
    pub worker_account_id: Option<i64>,
    pub state: String,
    pub worker_consented: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Event {
    pub from_state: Option<String>,
    pub to_state: String,
    pub actor_id: Option<i64>,
    pub actor_role: String,
    pub note: String,
    pub at: DateTime<Utc>,
}

const COLUMNS: &str = "a.id, a.opening_id, o.title AS opening_title, o.employer_id, a.worker_id, \
                       w.home_region AS worker_home_region, w.account_id AS worker_account_id, \
                       a.state, a.worker_consented, \
                       a.created_at, a.updated_at";
const FROM: &str = "applications a JOIN openings o ON o.id = a.opening_id \
                    JOIN workers w ON w.id = a.worker_id";

fn from_row(r: &Row) -> Application {
    Application {
        id: r.get("id"),
        opening_id: r.get("opening_id"),
        opening_title: r.get("opening_title"),
        employer_id: r.get("employer_id"),
        worker_id: r.get("worker_id"),
        worker_home_region: r.get("worker_home_region"),
        worker_account_id: r.get("worker_account_id"),
        state: r.get("state"),
        worker_consented: r.get("worker_consented"),
        created_at: r.get("created_at"),
        updated_at: r.get("updated_at"),
    }
}

/// Creates the application, or returns `None` when this worker already has one for the opening.
pub async fn insert(
    client: &impl GenericClient,
    opening_id: i64,
    worker_id: i64,
    state: &str,
    consented: bool,
) -> DbResult<Option<i64>> {
    Ok(client
        .query_opt(
            "INSERT INTO applications (opening_id, worker_id, state, worker_consented)
             VALUES ($1, $2, $3, $4) ON CONFLICT (opening_id, worker_id) DO NOTHING RETURNING id",
            &[&opening_id, &worker_id, &state, &consented],
        )
        .await?
        .map(|r| r.get(0)))
}

pub async fn find(client: &impl GenericClient, id: i64) -> DbResult<Option<Application>> {
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE a.id = $1");
    Ok(client.query_opt(&sql, &[&id]).await?.as_ref().map(from_row))
}

pub async fn find_for(
    client: &impl GenericClient,
    opening_id: i64,
    worker_id: i64,
) -> DbResult<Option<Application>> {
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE a.opening_id = $1 AND a.worker_id = $2");
    Ok(client
        .query_opt(&sql, &[&opening_id, &worker_id])
        .await?
        .as_ref()
        .map(from_row))
}

/// Locks the application row for a state change.
pub async fn lock(client: &impl GenericClient, id: i64) -> DbResult<Option<Application>> {
    client
        .execute(
            "SELECT 1 FROM applications WHERE id = $1 FOR UPDATE",
            &[&id],
        )
        .await?;
    find(client, id).await
}

pub async fn set_state(
    client: &impl GenericClient,
    id: i64,
    state: &str,
    consented: bool,
) -> DbResult<()> {
    client
        .execute(
            "UPDATE applications SET state = $2, worker_consented = worker_consented OR $3,
                 updated_at = now() WHERE id = $1",
            &[&id, &state, &consented],
        )
        .await?;
    Ok(())
}

pub async fn add_event(
    client: &impl GenericClient,
    application_id: i64,
    from: Option<&str>,
    to: &str,
    actor_id: i64,
    actor_role: &str,
    note: &str,
) -> DbResult<()> {
    client
        .execute(
            "INSERT INTO application_events (application_id, from_state, to_state, actor_id,
                                             actor_role, note)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[&application_id, &from, &to, &actor_id, &actor_role, &note],
        )
        .await?;
    Ok(())
}

pub async fn events(client: &impl GenericClient, application_id: i64) -> DbResult<Vec<Event>> {
    let rows = client
        .query(
            "SELECT from_state, to_state, actor_id, actor_role, note, at
             FROM application_events WHERE application_id = $1 ORDER BY id",
            &[&application_id],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| Event {
            from_state: r.get(0),
            to_state: r.get(1),
            actor_id: r.get(2),
            actor_role: r.get(3),
            note: r.get(4),
            at: r.get(5),
        })
        .collect())
}

/// Applications of a worker or of an opening, newest first.
pub async fn list(
    client: &impl GenericClient,
    worker_id: Option<i64>,
    opening_id: Option<i64>,
    before: Option<i64>,
    limit: i64,
) -> DbResult<Vec<Application>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM {FROM}
         WHERE ($1::int8 IS NULL OR a.worker_id = $1) AND ($2::int8 IS NULL OR a.opening_id = $2)
           AND ($3::int8 IS NULL OR a.id < $3)
         ORDER BY a.id DESC LIMIT $4"
    );
    let rows = client
        .query(&sql, &[&worker_id, &opening_id, &before, &limit])
        .await?;
    Ok(rows.iter().map(from_row).collect())
}

pub async fn accepted_count(client: &impl GenericClient, opening_id: i64) -> DbResult<i64> {
    Ok(client
        .query_one(
            "SELECT count(*) FROM applications WHERE opening_id = $1 AND state = 'accepted'",
            &[&opening_id],
        )
        .await?
        .get(0))
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Placement {
    pub id: i64,
    pub application_id: i64,
    pub worker_id: i64,
    pub opening_id: i64,
    pub employer_id: i64,
    pub start_date: NaiveDate,
    pub agreed_wage: i32,
    pub contract_months: Option<i32>,
    pub work_region: String,
    pub ended_on: Option<NaiveDate>,
    pub end_reason: Option<String>,
    pub followups: Vec<Followup>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Followup {
    pub id: i64,
    pub placement_id: i64,
    pub due_month: i32,
    pub due_on: NaiveDate,
    pub recorded_at: Option<DateTime<Utc>>,
    pub recorder_role: Option<String>,
    /// same_employer | other_employer | not_working
    pub employment: Option<String>,
    pub monthly_wage: Option<i32>,
    pub evidence_ref: Option<String>,
}

fn followup_from_row(r: &Row) -> Followup {
    Followup {
        id: r.get("id"),
        placement_id: r.get("placement_id"),
        due_month: r.get("due_month"),
        due_on: r.get("due_on"),
        recorded_at: r.get("recorded_at"),
        recorder_role: r.get("recorder_role"),
        employment: r.get("employment"),
        monthly_wage: r.get("monthly_wage"),
        evidence_ref: r.get("evidence_ref"),
    }
}

const FOLLOWUP_COLUMNS: &str = "f.id, f.placement_id, f.due_month, f.due_on, f.recorded_at, \
                                f.recorder_role, f.employment, f.monthly_wage, f.evidence_ref";

pub struct NewPlacement<'a> {
    pub application_id: i64,
    pub worker_id: i64,
    pub opening_id: i64,
    pub employer_id: i64,
    pub start_date: NaiveDate,
    pub agreed_wage: i32,
    pub contract_months: Option<i32>,
    pub work_region: &'a str,
}

pub async fn insert_placement(
    client: &impl GenericClient,
    p: &NewPlacement<'_>,
    due: &[(u32, NaiveDate)],
) -> DbResult<i64> {
    let id: i64 = client
        .query_one(
            "INSERT INTO placements (application_id, worker_id, opening_id, employer_id,
                                     start_date, agreed_wage, contract_months, work_region)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            &[
                &p.application_id,
                &p.worker_id,
                &p.opening_id,
                &p.employer_id,
                &p.start_date,
                &p.agreed_wage,
                &p.contract_months,
                &p.work_region,
            ],
        )
        .await?
        .get(0);
    for (month, on) in due {
        let month = *month as i32;
        client
            .execute(
                "INSERT INTO followups (placement_id, due_month, due_on) VALUES ($1, $2, $3)",
                &[&id, &month, on],
            )
            .await?;
    }
    Ok(id)
}

pub async fn find_placement(client: &impl GenericClient, id: i64) -> DbResult<Option<Placement>> {
    let Some(r) = client
        .query_opt(
            "SELECT id, application_id, worker_id, opening_id, employer_id, start_date,
                    agreed_wage, contract_months, work_region, ended_on, end_reason
             FROM placements WHERE id = $1",
            &[&id],
        )
        .await?
    else {
        return Ok(None);
    };
    let sql = format!(
        "SELECT {FOLLOWUP_COLUMNS} FROM followups f WHERE f.placement_id = $1 ORDER BY f.due_month"
    );
    let followups = client
        .query(&sql, &[&id])
        .await?
        .iter()
        .map(followup_from_row)
        .collect();
    Ok(Some(Placement {
        id: r.get("id"),
        application_id: r.get("application_id"),
        worker_id: r.get("worker_id"),
        opening_id: r.get("opening_id"),
        employer_id: r.get("employer_id"),
        start_date: r.get("start_date"),
        agreed_wage: r.get("agreed_wage"),
        contract_months: r.get("contract_months"),
        work_region: r.get("work_region"),
        ended_on: r.get("ended_on"),
        end_reason: r.get("end_reason"),
        followups,
    }))
}

pub async fn end_placement(
    client: &impl GenericClient,
    id: i64,
    ended_on: NaiveDate,
    reason: &str,
) -> DbResult<bool> {
    Ok(client
        .execute(
            "UPDATE placements SET ended_on = $2, end_reason = $3 WHERE id = $1 AND ended_on IS NULL",
            &[&id, &ended_on, &reason],
        )
        .await?
        == 1)
}

/// A follow-up with what its readers need to check access: the worker's home and account,
/// and the employer.
pub struct FollowupContext {
    pub followup: Followup,
    pub worker_id: i64,
    pub worker_home: String,
    pub worker_account: Option<i64>,
    pub employer_id: i64,
}

pub async fn find_followup(
    client: &impl GenericClient,
    id: i64,
) -> DbResult<Option<FollowupContext>> {
    let sql = format!(
        "SELECT {FOLLOWUP_COLUMNS}, p.worker_id, w.home_region, w.account_id, p.employer_id
         FROM followups f JOIN placements p ON p.id = f.placement_id
         JOIN workers w ON w.id = p.worker_id WHERE f.id = $1"
    );
    Ok(client
        .query_opt(&sql, &[&id])
        .await?
        .map(|r| FollowupContext {
            followup: followup_from_row(&r),
            worker_id: r.get("worker_id"),
            worker_home: r.get("home_region"),
            worker_account: r.get("account_id"),
            employer_id: r.get("employer_id"),
        }))
}

pub async fn record_followup(
    client: &impl GenericClient,
    id: i64,
    actor_id: i64,
    role: &str,
    employment: &str,
    monthly_wage: Option<i32>,
    evidence_ref: Option<&str>,
) -> DbResult<()> {
    client
        .execute(
            "UPDATE followups SET recorded_at = now(), recorded_by = $2, recorder_role = $3,
                 employment = $4, monthly_wage = $5, evidence_ref = $6
             WHERE id = $1",
            &[
                &id,
                &actor_id,
                &role,
                &employment,
                &monthly_wage,
                &evidence_ref,
            ],
        )
        .await?;
    Ok(())
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DueFollowup {
    pub followup_id: i64,
    pub placement_id: i64,
    pub worker_id: i64,
    /// Masked: surname only.
    pub worker_name: String,
    pub worker_home_region: String,
    pub employer_id: i64,
    pub employer_name: String,
    pub due_month: i32,
    pub due_on: NaiveDate,
    pub overdue: bool,
}

/// Whose follow-ups a due list covers.
pub enum DueOf<'a> {
    All,
    WorkersWithin(&'a str),
    Employer(i64),
}

/// Unrecorded follow-ups due on or before `until`, of active placements.
pub async fn due(
    client: &impl GenericClient,
    of: DueOf<'_>,
    until: NaiveDate,
    today: NaiveDate,
    limit: i64,
) -> DbResult<Vec<DueFollowup>> {
    let (scope, employer) = match of {
        DueOf::All => (None, None),
        DueOf::WorkersWithin(region) => (Some(region), None),
        DueOf::Employer(id) => (None, Some(id)),
    };
    let rows = client
        .query(
            "SELECT f.id, f.placement_id, p.worker_id, w.name, w.home_region, p.employer_id,
                    g.name AS employer_name, f.due_month, f.due_on
             FROM followups f JOIN placements p ON p.id = f.placement_id
             JOIN workers w ON w.id = p.worker_id JOIN organizations g ON g.id = p.employer_id
             WHERE f.recorded_at IS NULL AND p.ended_on IS NULL AND f.due_on <= $3
               AND ($1::text IS NULL OR region_within(w.home_region, $1))
               AND ($2::int8 IS NULL OR p.employer_id = $2)
             ORDER BY f.due_on, f.id LIMIT $4",
            &[&scope, &employer, &until, &limit],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let due_on: NaiveDate = r.get("due_on");
            let name: String = r.get("name");
            DueFollowup {
                followup_id: r.get("id"),
                placement_id: r.get("placement_id"),
                worker_id: r.get("worker_id"),
                worker_name: crate::search::documents::mask_name(&name),
                worker_home_region: r.get("home_region"),
                employer_id: r.get("employer_id"),
                employer_name: r.get("employer_name"),
                due_month: r.get("due_month"),
                due_on,
                overdue: due_on < today,
            }
        })
        .collect())
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Dispatch {
    pub id: i64,
    pub departure_date: NaiveDate,
    pub from_county: String,
    pub to_region: String,
    pub transport: String,
    pub application_ids: Vec<i64>,
}

pub async fn insert_dispatch(
    client: &impl GenericClient,
    departure_date: NaiveDate,
    from_county: &str,
    to_region: &str,
    transport: &str,
    created_by: i64,
    application_ids: &[i64],
) -> DbResult<i64> {
    let id: i64 = client
        .query_one(
            "INSERT INTO dispatches (departure_date, from_county, to_region, transport, created_by)
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
            &[
                &departure_date,
                &from_county,
                &to_region,
                &transport,
                &created_by,
            ],
        )
        .await?
        .get(0);
    client
        .execute(
            "INSERT INTO dispatch_members (dispatch_id, application_id)
             SELECT $1, unnest($2::int8[])",
            &[&id, &application_ids],
        )
        .await?;
    Ok(id)
}

pub async fn find_dispatch(client: &impl GenericClient, id: i64) -> DbResult<Option<Dispatch>> {
    let Some(r) = client
        .query_opt(
            "SELECT d.id, d.departure_date, d.from_county, d.to_region, d.transport,
                    coalesce(array_agg(m.application_id ORDER BY m.application_id)
                             FILTER (WHERE m.application_id IS NOT NULL), '{}') AS apps
             FROM dispatches d LEFT JOIN dispatch_members m ON m.dispatch_id = d.id
             WHERE d.id = $1 GROUP BY d.id",
            &[&id],
        )
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(Dispatch {
        id: r.get("id"),
        departure_date: r.get("departure_date"),
        from_county: r.get("from_county"),
        to_region: r.get("to_region"),
        transport: r.get("transport"),
        application_ids: r.get("apps"),
    }))
}

/// A worker's placements (newest first), with the title of each one's opening.
pub async fn placements_of_worker(
    client: &impl GenericClient,
    worker_id: i64,
) -> DbResult<Vec<(i64, String)>> {
    Ok(client
        .query(
            "SELECT p.id, o.title FROM placements p JOIN openings o ON o.id = p.opening_id
             WHERE p.worker_id = $1 ORDER BY p.id DESC LIMIT 20",
            &[&worker_id],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect())
}

/// The placement recorded for an application, if any.
pub async fn placement_of_application(
    client: &impl GenericClient,
    application_id: i64,
) -> DbResult<Option<i64>> {
    Ok(client
        .query_opt(
            "SELECT id FROM placements WHERE application_id = $1",
            &[&application_id],
        )
        .await?
        .map(|r| r.get(0)))
}
