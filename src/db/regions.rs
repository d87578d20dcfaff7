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
