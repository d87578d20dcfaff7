//! Region lists for the staff pages' choosers (the reference table itself is `reference.rs`).

use deadpool_postgres::GenericClient;

use super::DbResult;

/// Counties inside `scope` (any level; a county holds itself), by code, with full names.
pub async fn counties_within(
    client: &impl GenericClient,
    scope: &str,
) -> DbResult<Vec<(String, String)>> {
    let rows = client
        .query(
            "SELECT code, CASE WHEN full_name = '' THEN name ELSE full_name END
             FROM regions WHERE level = 3 AND region_within(code, $1) ORDER BY code",
            &[&scope],
        )
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// Provinces and prefectures, for an admin's region choice (counties are too many for a list).
pub async fn provinces_and_prefectures(
    client: &impl GenericClient,
) -> DbResult<Vec<(String, String)>> {
    let rows = client
        .query(
            "SELECT code, CASE WHEN full_name = '' THEN name ELSE full_name END
             FROM regions WHERE level <= 2 ORDER BY code",
            &[],
        )
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// Names of the things statistics are grouped by: course titles and organization names by id.
pub async fn course_titles(
    client: &impl GenericClient,
    ids: &[i64],
) -> DbResult<std::collections::HashMap<i64, String>> {
    let rows = client
        .query("SELECT id, title FROM courses WHERE id = ANY($1)", &[&ids])
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

pub async fn organization_names(
    client: &impl GenericClient,
    ids: &[i64],
) -> DbResult<std::collections::HashMap<i64, String>> {
    let rows = client
        .query(
            "SELECT id, name FROM organizations WHERE id = ANY($1)",
            &[&ids],
        )
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}
