//! Worker profiles. Workers keep their own; officers keep those of their region. Phone and ID
//! number are shown only to those with business seeing them, and never in lists. Two fields
//! are the program's, not the worker's: the household link (it decides the equity factor and
//! subsidy eligibility) and the status "placed".

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use super::check_version;
use crate::auth::policy::{self, WorkerAccess};
use crate::auth::Principal;
use crate::db::audit::{self, AuditEntry};
use crate::db::outbox::{self, Entity};
use crate::db::workers::{self, Skill, Worker, WorkerInput, WorkerRecord};
use crate::db::{accounts, households};
use crate::domain::worker_status::{self, StatusActor, StatusRefused, WorkerStatus};
use crate::domain::{mask_id_number, Phone};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::state::AppState;
use crate::validate;

/// A worker as one reader may see it.
#[derive(Serialize, ToSchema)]
pub struct WorkerView {
    pub id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub household_id: Option<i64>,
    pub name: String,
    pub gender: String,
    pub birth_year: i32,
    pub ethnicity: String,
    pub languages: Vec<String>,
    pub education: String,
    /// Full for the worker, officers in scope and admins; masked (138****5678) otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Full for the worker, officers in scope and admins; masked (first 6, last 4) otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_number: Option<String>,
    pub home_region: String,
    pub destinations: Vec<String>,
    pub accept_anywhere: bool,
    pub min_wage: i32,
    pub available_from: Option<NaiveDate>,
    pub skills: Vec<Skill>,
    pub brand_tags: Vec<String>,
    pub status: String,
    pub version: i32,
    /// Change number of the last write (only on writes): pass it as `after_change` to a match
    /// request to see this write reflected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<i64>,
}

pub fn view(w: Worker, full_pii: bool) -> WorkerView {
    let phone = w.phone.as_deref().map(|p| {
        if full_pii {
            p.to_string()
        } else {
            Phone::parse(p)
                .map(|p| p.masked())
                .unwrap_or_else(|_| "***".into())
        }
    });
    let id_number = w.id_number.as_deref().map(|id| {
        if full_pii {
            id.to_string()
        } else {
            mask_id_number(id)
        }
    });
    WorkerView {
        id: w.id,
        household_id: w.household_id,
        name: w.name,
        gender: w.gender,
        birth_year: w.birth_year,
        ethnicity: w.ethnicity,
        languages: w.languages,
        education: w.education,
        phone,
        id_number,
        home_region: w.home_region,
        destinations: w.destinations,
        accept_anywhere: w.accept_anywhere,
        min_wage: w.min_wage,
        available_from: w.available_from,
        skills: w.skills,
        brand_tags: w.brand_tags,
        status: w.status,
        version: w.version,
        change: None,
    }
}

/// A worker in a list: no phone, no ID number.
#[derive(Serialize, ToSchema)]
pub struct WorkerSummary {
    pub id: i64,
    pub name: String,
    pub gender: String,
    pub birth_year: i32,
    pub home_region: String,
    pub status: String,
    pub skills: Vec<Skill>,
    pub brand_tags: Vec<String>,
}

impl From<Worker> for WorkerSummary {
    fn from(w: Worker) -> Self {
        WorkerSummary {
            id: w.id,
            name: w.name,
            gender: w.gender,
            birth_year: w.birth_year,
            home_region: w.home_region,
            status: w.status,
            skills: w.skills,
            brand_tags: w.brand_tags,
        }
    }
}

fn status_refused(r: StatusRefused) -> ApiError {
    super::transition_refused(Some(r.from.as_str()), r.to.as_str(), r.allowed)
}

/// Which profile a save writes.
enum Target {
    /// A new profile registered by program staff.
    New,
    /// The caller's own profile (created when missing).
    Mine,
    /// A profile by id.
    Id(i64),
}

/// The household a save leaves the worker in. A worker's own profile never carries one in:
/// what they send is ignored when it is none or unchanged, refused when it is another.
async fn household_link(
    tx: &impl deadpool_postgres::GenericClient,
    p: &Principal,
    actor: StatusActor,
    current: Option<i64>,
    wanted: Option<i64>,
) -> ApiResult<Option<i64>> {
    if wanted == current || (actor == StatusActor::Worker && wanted.is_none()) {
        return Ok(current);
    }
    // Linking to a household, or unlinking from one: staff of that household's region.
    let Some(id) = wanted.or(current) else {
        return Ok(None);
    };
    let household = households::find(tx, id)
        .await?
        .ok_or_else(|| ApiError::field("household_id", "unknown_household"))?;
    policy::may_link_household(p, &household)?;
    Ok(wanted)
}

/// Saves a profile in one transaction with its audit entry and its index change; answers the
/// worker as the caller sees it.
async fn save(
    state: &AppState,
    p: &Principal,
    target: Target,
    mut input: WorkerInput,
    expected: Option<i32>,
) -> ApiResult<WorkerView> {
    let mut client = state.pool.get().await?;
    if matches!(target, Target::Mine) && input.phone.is_none() {
        // The account's phone is used when the profile gives none.
        input.phone = accounts::find_by_id(&client, p.account_id)
            .await?
            .map(|a| a.phone);
    }
    let (problems, clean) = validate::worker(&client, &input).await?;
    problems.finish()?;
    let tx = client.transaction().await?;
    let current = match target {
        Target::New => None,
        Target::Id(id) => {
            let w = workers::lock(&tx, id)
                .await?
                .ok_or_else(ApiError::not_found)?;
            policy::may_edit_worker(p, &w)?;
            Some(w)
        }
        Target::Mine => {
            policy::may_keep_own_profile(p)?;
            match workers::find_by_account(&tx, p.account_id).await? {
                Some(w) => workers::lock(&tx, w.id).await?,
                None => None,
            }
        }
    };
    policy::may_set_worker_home(p, &input.home_region)?;
    let actor = policy::worker_status_actor(p);
    let requested = input.status.as_deref().and_then(WorkerStatus::parse);
    let status = match &current {
        None => worker_status::initial(requested, actor),
        Some(w) => {
            let from = WorkerStatus::parse(&w.status)
                .ok_or_else(|| ApiError::internal(format!("worker status {}", w.status)))?;
            from.change(requested.unwrap_or(from), actor)
        }
    }
    .map_err(status_refused)?;
    if let Some(w) = &current {
        check_version(expected, w.version)?;
    }
    let household_id = household_link(
        &tx,
        p,
        actor,
        current.as_ref().and_then(|w| w.household_id),
        input.household_id,
    )
    .await?;
    let account_id = match (&target, &current) {
        (Target::Mine, None) => Some(p.account_id),
        (_, Some(w)) => w.account_id,
        (_, None) => None,
    };
    let rec = WorkerRecord {
        input: &input,
        phone: clean.phone,
        id_number: clean.id_number,
        account_id,
        household_id,
        status: status.as_str(),
    };
    let (id, action) = match &current {
        Some(w) => {
            workers::update(&tx, w.id, &rec)
                .await
                .map_err(phone_taken)?;
            (w.id, "update")
        }
        None => (
            workers::insert(&tx, &rec).await.map_err(phone_taken)?,
            "create",
        ),
    };
    audit::record(
        &tx,
        p,
        AuditEntry {
            action,
            entity: "worker",
            entity_id: id.to_string(),
            region_code: Some(&input.home_region),
            details: serde_json::json!({}),
        },
    )
    .await?;
    let change = outbox::record_change(&tx, Entity::Worker, id).await?;
    let worker = workers::find(&tx, id)
        .await?
        .ok_or_else(|| ApiError::internal("worker vanished"))?;
    tx.commit().await?;
    let full = policy::worker_access(p, &worker) == WorkerAccess::Full;
    let mut v = view(worker, full);
    v.change = Some(change);
    Ok(v)
}

/// A phone already on another profile is most often the worker's own profile, registered by
/// the office: say how to claim it.
fn phone_taken(e: crate::db::DbError) -> ApiError {
    let e = ApiError::from(e);
    let on_phone = e.details.iter().any(|d| d.field == "phone");
    if e.code == ErrorCode::AlreadyExists && on_phone {
        ApiError {
            message: Some((
                "这个手机号已登记在另一份求职资料上。如果是您本人的资料，请向村或县里的工作人员索取认领码".into(),
                "This phone number is on another worker profile. If it is yours, ask your village or county office for a claim code".into(),
            )),
            ..e
        }
    } else {
        e
    }
}

/// Program staff register a worker of their region (for workers without a smartphone).
pub async fn register(
    state: &AppState,
    p: &Principal,
    input: WorkerInput,
) -> ApiResult<WorkerView> {
    policy::may_register_worker(p, &input.home_region)?;
    save(state, p, Target::New, input, None).await
}

/// The caller's own profile (a worker's).
pub async fn get_mine(state: &AppState, p: &Principal) -> ApiResult<WorkerView> {
    policy::may_keep_own_profile(p)?;
    let client = state.pool.get().await?;
    let w = workers::find_by_account(&client, p.account_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(view(w, true))
}

/// Creates or replaces the caller's own profile.
pub async fn save_mine(
    state: &AppState,
    p: &Principal,
    input: WorkerInput,
    expected: Option<i32>,
) -> ApiResult<WorkerView> {
    save(state, p, Target::Mine, input, expected).await
}

/// Replaces a profile: staff of its home region (it must stay in their region), or the worker.
pub async fn update(
    state: &AppState,
    p: &Principal,
    id: i64,
    input: WorkerInput,
    expected: Option<i32>,
) -> ApiResult<WorkerView> {
    save(state, p, Target::Id(id), input, expected).await
}

/// One worker as the caller may see them; 404 when the caller has no business with them.
pub async fn get(state: &AppState, p: &Principal, id: i64) -> ApiResult<WorkerView> {
    let client = state.pool.get().await?;
    let w = workers::find(&client, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let full = match policy::worker_access(p, &w) {
        WorkerAccess::Full => true,
        WorkerAccess::IfEnrolledWith(center) => {
            if !workers::enrolled_with_center(&client, w.id, center).await? {
                return Err(ApiError::not_found());
            }
            false
        }
        WorkerAccess::None => return Err(ApiError::not_found()),
    };
    Ok(view(w, full))
}

/// Workers of the caller's region, without phone or ID numbers.
pub async fn list(
    state: &AppState,
    p: &Principal,
    status: Option<&str>,
    after: Option<i64>,
    limit: i64,
) -> ApiResult<Vec<WorkerSummary>> {
    let scope = policy::worker_list(p)?;
    validate::status_filter(status, &workers::STATUSES)?;
    let client = state.pool.get().await?;
    let rows = workers::list(&client, &scope, status, after, limit).await?;
    Ok(rows.into_iter().map(WorkerSummary::from).collect())
}
