//! Matching both ways, free-text search of openings, occupation suggestions, index admin.
//!
//! Read-your-writes: writes that change searchable data answer a change number (`change` in
//! worker bodies, the `X-Change` header elsewhere). Pass it as `after_change` and the request
//! waits, bounded by LABORMATCH_READ_YOUR_WRITES_WAIT_MS, until the index has applied it.

use actix_web::{get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::policy::{self, CandidatePool};
use crate::auth::{AdminOnly, AnyUser, Auth, Principal, WorkerOnly};
use crate::db::openings;
use crate::domain::requirements::{requirements, CertificateRule, Requirements};
use crate::domain::{OccupationCode, RegionCode};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::search::documents;
use crate::search::indexer::ReindexReport;
use crate::search::matcher::{
    self, Candidate, OpeningMatch, SearchError, SearchFilters, SearchResults,
};
use crate::search::profile::{OpeningProfile, TitleTradeReading};
use crate::search::suggest::{Granularity, Suggestion};
use crate::search::IndexStatus;
use crate::state::AppState;
use crate::validate::today;

#[derive(Deserialize, IntoParams)]
pub struct MatchQuery {
    /// 1..=100, default 20.
    pub limit: Option<usize>,
    /// Wait until this change number is searchable (read-your-writes).
    pub after_change: Option<i64>,
}

fn match_limit(limit: Option<usize>) -> ApiResult<usize> {
    match limit {
        None => Ok(20),
        Some(n) if (1..=100).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::field("limit", "limit_out_of_range")),
    }
}

/// Checks `after_change` while the request still holds its connection: a negative number or
/// one beyond the newest change recorded names no change, and waiting for it would only hold
/// the request to the wait's limit (422 instead).
async fn checked_after_change(
    client: &impl deadpool_postgres::GenericClient,
    change: Option<i64>,
) -> ApiResult<Option<i64>> {
    let Some(change) = change else {
        return Ok(None);
    };
    if change < 0 {
        return Err(ApiError::field("after_change", "must_not_be_negative"));
    }
    let latest: i64 = client
        .query_one("SELECT coalesce(max(seq), 0)::int8 FROM index_changes", &[])
        .await?
        .get(0);
    if change > latest {
        return Err(ApiError::field("after_change", "beyond_latest_change")
            .with_extra(serde_json::json!({ "latest_change": latest })));
    }
    Ok(Some(change))
}

/// Waits, bounded, until the index has applied `change`. Callers have given their connection
/// back first: the wait holds nothing but the request.
async fn wait_for_change(state: &AppState, change: Option<i64>) {
    if let Some(change) = change {
        if !state
            .search
            .wait_for(change, state.settings.read_your_writes_wait)
            .await
        {
            // Answer anyway: a slightly stale list beats no list on a slow network.
            tracing::warn!(change, "index did not catch up in time");
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CandidateList {
    pub opening_id: i64,
    pub opening_status: String,
    /// Changes up to this number are reflected.
    pub visible_change: i64,
    /// Occupations matched because the title names them (see `title_trade`).
    pub inferred_occupations: Vec<String>,
    /// The trade the title names, how sure that reading is and what the ranking did with it
    /// (absent when the employer pinned the codes or the title names none).
    pub title_trade: Option<TitleTradeReading>,
    /// What the opening asks beyond the trade, and where each requirement was read.
    pub requirements: Requirements,
    /// How many workers passed the filters (trade, destination, wage, availability): a short
    /// list says how short it is.
    pub passed_filters: usize,
    pub items: Vec<Candidate>,
}

/// Ranked available workers for an opening, each with why they fit. For the opening's
/// employer, and for officers (who see the workers of their own region) and admins.
#[utoipa::path(
    tag = "matching",
    security(("bearer" = [])),
    params(("id" = i64, Path), MatchQuery),
    responses(
        (status = 200, body = CandidateList),
        (status = 404, body = crate::error::ErrorBody),
        (status = 503, body = crate::error::ErrorBody, description = "overloaded")
    )
)]
#[get("/openings/{id}/candidates")]
pub async fn candidates(
    state: web::Data<AppState>,
    user: Auth<AnyUser>,
    path: web::Path<i64>,
    query: crate::input::Query<MatchQuery>,
) -> ApiResult<web::Json<CandidateList>> {
    let limit = match_limit(query.limit)?;
    let list = candidate_list(&state, &user, path.into_inner(), limit, query.after_change).await?;
    Ok(web::Json(list))
}

/// The candidate list of an opening for `user`, as `GET /openings/{id}/candidates` answers it
/// (the route and the employer's page both call this).
pub async fn candidate_list(
    state: &AppState,
    user: &Principal,
    id: i64,
    limit: usize,
    after_change: Option<i64>,
) -> ApiResult<CandidateList> {
    let client = state.pool.get().await?;
    let after_change = checked_after_change(&client, after_change).await?;
    // One read: the searchable form of an open opening carries its employer for the check.
    let open = documents::load_open_opening(&client, id).await?;
    let Some(mut doc) = open else {
        // Not open (or not there): what the list says without searching.
        let opening = openings::find(&client, id)
            .await?
            .ok_or_else(ApiError::not_found)?;
        policy::candidate_pool(user, &opening)?;
        drop(client);
        wait_for_change(state, after_change).await;
        return Ok(CandidateList {
            opening_id: id,
            opening_status: opening.status,
            visible_change: state.search.visible_change(),
            inferred_occupations: Vec::new(),
            title_trade: None,
            requirements: requirements(
                opening
                    .certificate
                    .as_deref()
                    .and_then(CertificateRule::parse),
                opening.min_years_experience,
                &opening.title,
                &opening.description,
            ),
            passed_filters: 0,
            items: Vec::new(),
        });
    };
    drop(client);
    let pool = policy::candidate_pool_of(user, doc.employer_id)?;
    wait_for_change(state, after_change).await;
    let visible_change = state.search.visible_change();
    let scope = match pool {
        CandidatePool::HomeIn(region) => Some(region.as_str().to_string()),
        CandidatePool::Everyone => None,
    };
    let ranking = state.search.ranking.clone();
    let suggester = state.search.suggester.clone();
    let today = today();
    let question =
        serde_json::to_string(&(&doc, &scope, limit, today)).map_err(ApiError::internal)?;
    let answer = state
        .search
        .run_cached(
            &state.search.candidate_cache,
            question,
            |(c, _)| c.items.len(),
            move |live| {
                // The title may name the trade more precisely than the codes chosen.
                matcher::prepare_opening(live, &mut doc, &*suggester, &ranking.related);
                let segments = live.segments;
                matcher::candidates(
                    live,
                    &doc,
                    scope.as_deref(),
                    today,
                    &ranking,
                    limit,
                    segments,
                )
                .map(|c| (c, doc))
            },
        )
        .await?
        .map_err(ApiError::internal)?;
    let (found, doc) = (&answer.0, &answer.1);
    let profile = OpeningProfile::of(doc);
    Ok(CandidateList {
        opening_id: id,
        opening_status: "open".into(),
        visible_change,
        inferred_occupations: profile.inferred_codes(),
        title_trade: profile.title_trade,
        requirements: profile.requirements,
        passed_filters: found.passed_filters,
        items: found.items.clone(),
    })
}

#[derive(Serialize, ToSchema)]
pub struct MatchList {
    pub worker_status: String,
    pub visible_change: i64,
    pub items: Vec<OpeningMatch>,
}

/// Ranked open openings for the signed-in worker, each with why it fits.
#[utoipa::path(
    tag = "matching",
    security(("bearer" = [])),
    params(MatchQuery),
    responses(
        (status = 200, body = MatchList),
        (status = 404, body = crate::error::ErrorBody, description = "no worker profile yet")
    )
)]
#[get("/me/matches")]
pub async fn my_matches(
    state: web::Data<AppState>,
    user: Auth<WorkerOnly>,
    query: crate::input::Query<MatchQuery>,
) -> ApiResult<web::Json<MatchList>> {
    let limit = match_limit(query.limit)?;
    Ok(web::Json(
        match_list(&state, &user, limit, query.after_change).await?,
    ))
}

/// The signed-in worker's matches, as `GET /me/matches` answers them (the route and the
/// worker's page both call this). No profile yet: 404.
pub async fn match_list(
    state: &AppState,
    user: &Principal,
    limit: usize,
    after_change: Option<i64>,
) -> ApiResult<MatchList> {
    policy::may_keep_own_profile(user)?;
    let client = state.pool.get().await?;
    let after_change = checked_after_change(&client, after_change).await?;
    // One read: the worker's status and, when available, its searchable form.
    let (worker_status, doc) = documents::load_worker_of_account(&**client, user.account_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    drop(client);
    wait_for_change(state, after_change).await;
    let visible_change = state.search.visible_change();
    let Some(doc) = doc else {
        return Ok(MatchList {
            worker_status,
            visible_change,
            items: Vec::new(),
        });
    };
    let ranking = state.search.ranking.clone();
    let today = today();
    let question = serde_json::to_string(&(&doc, limit, today)).map_err(ApiError::internal)?;
    let items = state
        .search
        .run_cached(&state.search.match_cache, question, Vec::len, move |live| {
            matcher::matches_for_worker(live, &doc, today, &ranking, limit)
        })
        .await?
        .map_err(ApiError::internal)?
        .as_ref()
        .clone();
    Ok(MatchList {
        worker_status,
        visible_change,
        items,
    })
}

#[derive(Deserialize, IntoParams)]
pub struct SearchQuery {
    /// Free text, Chinese or English (tantivy query syntax: quotes, AND/OR, +/-).
    #[serde(default)]
    pub q: String,
    /// Only openings whose work place lies in this region (any level).
    pub region: Option<String>,
    /// Only openings paying at least this much (their maximum monthly wage).
    pub wage_min: Option<i32>,
    /// Only openings for this occupation or group (6-18-02-04, 6-18-02, 6-18 or 6).
    pub occupation: Option<String>,
    /// 1..=50, default 20.
    pub limit: Option<usize>,
}

/// Free-text search of open openings, with counts by destination province and occupation
/// major group. Bad query syntax answers 400 `invalid_search_query`.
#[utoipa::path(
    tag = "matching",
    security(("bearer" = [])),
    params(SearchQuery),
    responses(
        (status = 200, body = SearchResults),
        (status = 400, body = crate::error::ErrorBody, description = "invalid_search_query"),
        (status = 422, body = crate::error::ErrorBody)
    )
)]
#[get("/openings/search")]
pub async fn search_openings(
    state: web::Data<AppState>,
    _user: Auth<AnyUser>,
    query: crate::input::Query<SearchQuery>,
) -> ApiResult<web::Json<SearchResults>> {
    let mut problems = crate::validate::Problems::default();
    if query.q.chars().count() > 200 {
        problems.add("q", "too_long");
    }
    if let Some(r) = &query.region {
        if let Err(reason) = RegionCode::parse(r) {
            problems.add("region", reason);
        }
    }
    if let Some(o) = &query.occupation {
        let ok = OccupationCode::parse(o).is_ok()
            || matches!(o.len(), 1 | 4 | 7)
                && OccupationCode::parse(&format!("{o}{}", &"-00-00-00"[o.len() - 1..])).is_ok();
        if !ok {
            problems.add("occupation", "occupation_code_format");
        }
    }
    if let Some(w) = query.wage_min {
        if !(0..=200_000).contains(&w) {
            problems.add("wage_min", "out_of_range");
        }
    }
    let limit = match query.limit {
        None => 20,
        Some(n) if (1..=50).contains(&n) => n,
        Some(_) => {
            problems.add("limit", "limit_out_of_range");
            20
        }
    };
    problems.finish()?;
    let filters = SearchFilters {
        region: query.region.clone(),
        wage_min: query.wage_min,
        occupation: query.occupation.clone(),
    };
    let q = query.q.clone();
    let today = today();
    let result = state
        .search
        .run(move |live| matcher::search_openings(live, &q, &filters, today, limit))
        .await?;
    match result {
        Ok(r) => Ok(web::Json(r)),
        Err(SearchError::Syntax(detail)) => Err(ApiError {
            message: Some((
                format!("搜索语句无效：{detail}"),
                format!("The search query is not valid: {detail}"),
            )),
            ..ApiError::new(ErrorCode::InvalidSearchQuery)
        }),
        Err(SearchError::Index(e)) => Err(ApiError::internal(e)),
    }
}

#[derive(Deserialize, IntoParams)]
pub struct SuggestQuery {
    /// A job title or skill as people write it: 电焊工, 拉面师傅, 挖机司机, 月嫂 ...
    pub q: String,
    /// 1..=50, default 5.
    pub limit: Option<usize>,
    /// true: occupations (level 4) only, as a worker's skill is recorded. Default false: when
    /// no occupation is confident but its unit or minor group is, the group comes first
    /// (level 3 or 2).
    pub leaves_only: Option<bool>,
}

/// Turns free text into ranked CSCO 2022 occupation codes (no sign-in needed: used while
/// signing up).
#[utoipa::path(
    tag = "occupations",
    params(SuggestQuery),
    responses(
        (status = 200, body = [Suggestion]),
        (status = 422, body = crate::error::ErrorBody)
    )
)]
#[get("/occupations/suggest")]
pub async fn suggest_occupations(
    state: web::Data<AppState>,
    query: crate::input::Query<SuggestQuery>,
) -> ApiResult<web::Json<Vec<Suggestion>>> {
    let limit = match query.limit {
        None => 5,
        Some(n) if (1..=50).contains(&n) => n,
        Some(_) => return Err(ApiError::field("limit", "limit_out_of_range")),
    };
    let granularity = if query.leaves_only.unwrap_or(false) {
        Granularity::LeavesOnly
    } else {
        Granularity::GroupsWhenUnsure
    };
    Ok(web::Json(
        suggest(&state, &query.q, limit, granularity).await?,
    ))
}

/// Occupation suggestions for free text: `GET /occupations/suggest` and the profile page.
pub async fn suggest(
    state: &AppState,
    q: &str,
    limit: usize,
    granularity: Granularity,
) -> ApiResult<Vec<Suggestion>> {
    if q.trim().is_empty() {
        return Err(ApiError::field("q", "must_not_be_empty"));
    }
    if q.chars().count() > 200 {
        return Err(ApiError::field("q", "too_long"));
    }
    let suggester = state.search.suggester.clone();
    let q = q.to_string();
    let result = state
        .search
        .run(move |_| suggester.suggest_at(&q, limit, granularity))
        .await?;
    match result {
        Ok(s) => Ok(s),
        Err(crate::search::suggest::SuggestError::Empty) => {
            Err(ApiError::field("q", "no_words_left_after_cleaning"))
        }
        Err(e) => Err(ApiError::internal(e)),
    }
}

/// Builds a fresh index from PostgreSQL beside the live one and swaps it in; the service keeps
/// answering meanwhile.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    responses((status = 200, body = ReindexReport), (status = 403, body = crate::error::ErrorBody))
)]
#[post("/admin/reindex")]
pub async fn reindex(
    state: web::Data<AppState>,
    _admin: Auth<AdminOnly>,
) -> ApiResult<web::Json<ReindexReport>> {
    Ok(web::Json(state.search.reindex().await?))
}

/// The index's generation, document count and how far it has caught up.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    responses((status = 200, body = IndexStatus), (status = 403, body = crate::error::ErrorBody))
)]
#[get("/admin/index")]
pub async fn index_status(
    state: web::Data<AppState>,
    _admin: Auth<AdminOnly>,
) -> ApiResult<web::Json<IndexStatus>> {
    Ok(web::Json(state.search.status()))
}
