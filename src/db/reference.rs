//! Look-ups against the seed tables, so every code a client sends is checked to exist.

use std::collections::{HashMap, HashSet};

use deadpool_postgres::GenericClient;

use super::DbResult;

/// Which of `codes` are known regions, with their level (1 province, 2 prefecture, 3 county).
pub async fn known_regions(
    client: &impl GenericClient,
    codes: &[String],
) -> DbResult<HashMap<String, i16>> {
    if codes.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = client
        .query(
            "SELECT code, level FROM regions WHERE code = ANY($1)",
            &[&codes],
        )
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// Which of `codes` are known occupation codes.
pub async fn known_occupations(
    client: &impl GenericClient,
    codes: &[String],
) -> DbResult<HashSet<String>> {
    if codes.is_empty() {
        return Ok(HashSet::new());
    }
    let rows = client
        .query(
            "SELECT code FROM occupations WHERE code = ANY($1)",
            &[&codes],
        )
        .await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// Names of occupations, for explanations and views.
pub async fn occupation_names(
    client: &impl GenericClient,
    codes: &[String],
) -> DbResult<HashMap<String, String>> {
    if codes.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = client
        .query(
            "SELECT code, name FROM occupations WHERE code = ANY($1)",
            &[&codes],
        )
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}
