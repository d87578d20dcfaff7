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

/// The regions directly below `parent` (provinces when `None`), by code, for pickers. A
/// municipality's districts hang below a prefecture code the source does not list (110100), so
/// they count as its children too.
pub async fn region_children(
    client: &impl GenericClient,
    parent: Option<&str>,
) -> DbResult<Vec<(String, String)>> {
    let rows = match parent {
        None => {
            client
                .query(
                    "SELECT code, name FROM regions WHERE level = 1 ORDER BY code",
                    &[],
                )
                .await?
        }
        Some(parent) => {
            client
                .query(
                    "SELECT r.code, r.name FROM regions r
                     WHERE r.parent_code = $1
                        OR (right($1, 4) = '0000' AND left(r.code, 2) = left($1, 2)
                            AND r.parent_code IS NOT NULL AND r.parent_code <> $1
                            AND NOT EXISTS (SELECT 1 FROM regions p WHERE p.code = r.parent_code))
                     ORDER BY r.code",
                    &[&parent],
                )
                .await?
        }
    };
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// Full names of regions (青海省海东市化隆回族自治县 → as the source writes it), for views.
pub async fn region_names(
    client: &impl GenericClient,
    codes: &[String],
) -> DbResult<HashMap<String, String>> {
    if codes.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = client
        .query(
            "SELECT code, name, full_name FROM regions WHERE code = ANY($1)",
            &[&codes],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let full: String = r.get(2);
            let name: String = r.get(1);
            let shown = if full.is_empty() {
                name
            } else {
                full.replace(',', "")
            };
            (r.get(0), shown)
        })
        .collect())
}

/// Short names of regions (广州市, 化隆回族自治县), for reasons that fit on one line.
pub async fn region_short_names(
    client: &impl GenericClient,
    codes: &[String],
) -> DbResult<HashMap<String, String>> {
    if codes.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = client
        .query(
            "SELECT code, name FROM regions WHERE code = ANY($1)",
            &[&codes],
        )
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}
