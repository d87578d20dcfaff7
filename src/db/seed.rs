//! Reference data shipped inside the binary (copies of ../shared/data kept in sql/seed/), loaded
//! idempotently: a digest of each file is remembered, so unchanged data is not rewritten.

use anyhow::Context;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tokio_postgres::Client;

pub const REGIONS_CSV: &str = include_str!("../../sql/seed/cn_admin_divisions.csv");
pub const OCCUPATIONS_CSV: &str = include_str!("../../sql/seed/csco2022_occupations.csv");
/// Reviewed data: which trades can stand in for which (see README, "Reference data").
pub const RELATEDNESS_CSV: &str = include_str!("../../sql/seed/occupation_relatedness.csv");
/// Reviewed data: colloquial trade words and the occupation each names, with a source.
pub const TRADE_WORDS_CSV: &str = include_str!("../../sql/seed/occupation_trade_words.csv");

#[derive(Debug, Deserialize)]
struct RegionRow {
    id: String,
    name: String,
    parent_id: String,
    deep: i16,
    short_name: String,
    nerge_name: String,
    pinyin: String,
}

#[derive(Debug, Deserialize)]
pub struct RelatednessRow {
    pub from_code: String,
    pub to_code: String,
    pub fit: f32,
    pub reason: String,
    pub source: String,
}

#[derive(Debug, Deserialize)]
pub struct TradeWordRow {
    pub code: String,
    pub word: String,
    pub source: String,
    #[serde(default)]
    pub note: String,
}

/// The trade words seed's rows, as compiled in.
pub fn trade_word_rows() -> anyhow::Result<Vec<TradeWordRow>> {
    csv::Reader::from_reader(TRADE_WORDS_CSV.as_bytes())
        .deserialize()
        .collect::<Result<Vec<TradeWordRow>, _>>()
        .context("reading the occupation trade words seed")
}

/// The relatedness seed's rows, as compiled in.
pub fn relatedness_rows() -> anyhow::Result<Vec<RelatednessRow>> {
    csv::Reader::from_reader(RELATEDNESS_CSV.as_bytes())
        .deserialize()
        .collect::<Result<Vec<RelatednessRow>, _>>()
        .context("reading the occupation relatedness seed")
}

#[derive(Debug, Deserialize)]
struct OccupationRow {
    level: i16,
    code: String,
    name: String,
    definition: String,
    tasks: String,
    alias: String,
}

fn digest(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Splits the source's trailing digital/green markers ("S", "L", "L/S") off a name.
pub fn split_markers(raw: &str) -> (String, String) {
    let trimmed = raw.trim();
    let name = trimmed.trim_end_matches(['S', 'L', '/']);
    if name.is_empty() || name.len() == trimmed.len() {
        return (trimmed.to_string(), String::new());
    }
    let markers: String = trimmed[name.len()..]
        .chars()
        .filter(|c| *c != '/')
        .collect();
    (name.to_string(), markers)
}

async fn already_loaded(
    client: &impl tokio_postgres::GenericClient,
    name: &str,
    digest: &str,
) -> anyhow::Result<bool> {
    let row = client
        .query_opt("SELECT digest FROM seed_state WHERE name = $1", &[&name])
        .await?;
    Ok(row
        .map(|r| r.get::<_, String>(0) == digest)
        .unwrap_or(false))
}

/// Loads the seed tables unless their digests show they are already there.
pub async fn load_seed(client: &mut Client) -> anyhow::Result<()> {
    let tx = client.transaction().await?;
    // One loader at a time (parallel test databases are separate; this guards two services).
    tx.execute("SELECT pg_advisory_xact_lock(7202201)", &[])
        .await?;
    let regions_digest = digest(REGIONS_CSV);
    if !already_loaded(&tx, "regions", &regions_digest).await? {
        let mut codes = Vec::new();
        let mut names = Vec::new();
        let mut parents: Vec<Option<String>> = Vec::new();
        let mut levels = Vec::new();
        let mut shorts = Vec::new();
        let mut fulls = Vec::new();
        let mut pinyins = Vec::new();
        let mut reader = csv::Reader::from_reader(REGIONS_CSV.as_bytes());
        for row in reader.deserialize::<RegionRow>() {
            let row = row.context("reading the regions seed")?;
            codes.push(row.id);
            names.push(row.name);
            parents.push(Some(row.parent_id).filter(|p| !p.is_empty() && p != "100000"));
            levels.push(row.deep);
            shorts.push(row.short_name);
            fulls.push(row.nerge_name.replace(',', ""));
            pinyins.push(row.pinyin);
        }
        tx.execute(
            "INSERT INTO regions (code, name, parent_code, level, short_name, full_name, pinyin)
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::int2[], $5::text[],
                                  $6::text[], $7::text[])
             ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name,
                 parent_code = EXCLUDED.parent_code, level = EXCLUDED.level,
                 short_name = EXCLUDED.short_name, full_name = EXCLUDED.full_name,
                 pinyin = EXCLUDED.pinyin",
            &[&codes, &names, &parents, &levels, &shorts, &fulls, &pinyins],
        )
        .await?;
        mark_loaded(&tx, "regions", &regions_digest, codes.len()).await?;
    }

    let occupations_digest = digest(OCCUPATIONS_CSV);
    if !already_loaded(&tx, "occupations", &occupations_digest).await? {
        let mut codes = Vec::new();
        let mut levels = Vec::new();
        let mut names = Vec::new();
        let mut markers = Vec::new();
        let mut aliases: Vec<String> = Vec::new();
        let mut definitions = Vec::new();
        let mut tasks = Vec::new();
        let mut reader = csv::Reader::from_reader(OCCUPATIONS_CSV.as_bytes());
        let mut rows: Vec<OccupationRow> = Vec::new();
        let mut position = std::collections::HashMap::new();
        for row in reader.deserialize::<OccupationRow>() {
            let row = row.context("reading the occupations seed")?;
            // The source repeats a few codes; a unit group that is also an occupation is kept
            // at its most specific level so it can be chosen.
            match position.get(&row.code) {
                Some(&i) => {
                    let kept: &mut OccupationRow = &mut rows[i];
                    if row.level > kept.level {
                        *kept = row;
                    }
                }
                None => {
                    position.insert(row.code.clone(), rows.len());
                    rows.push(row);
                }
            }
        }
        for row in rows {
            let (name, marker) = split_markers(&row.name);
            let alias_list: Vec<String> = row
                .alias
                .split([',', '，', '\n'])
                .map(|a| split_markers(a).0)
                .filter(|a| !a.is_empty() && *a != name)
                .collect();
            codes.push(row.code);
            levels.push(row.level);
            names.push(name);
            markers.push(marker);
            // Arrays of arrays of different lengths cannot go through UNNEST: join, split in SQL.
            aliases.push(alias_list.join("\u{1f}"));
            definitions.push(row.definition);
            tasks.push(row.tasks);
        }
        tx.execute(
            "INSERT INTO occupations (code, level, name, markers, aliases, definition, tasks)
             SELECT c, l, n, m, CASE WHEN a = '' THEN '{}'::text[]
                                     ELSE string_to_array(a, chr(31)) END, d, t
             FROM UNNEST($1::text[], $2::int2[], $3::text[], $4::text[], $5::text[],
                         $6::text[], $7::text[]) AS u(c, l, n, m, a, d, t)
             ON CONFLICT (code) DO UPDATE SET level = EXCLUDED.level, name = EXCLUDED.name,
                 markers = EXCLUDED.markers, aliases = EXCLUDED.aliases,
                 definition = EXCLUDED.definition, tasks = EXCLUDED.tasks",
            &[
                &codes,
                &levels,
                &names,
                &markers,
                &aliases,
                &definitions,
                &tasks,
            ],
        )
        .await?;
        mark_loaded(&tx, "occupations", &occupations_digest, codes.len()).await?;
    }

    // Rows may be removed in review, so the table is replaced as a whole.
    let relatedness_digest = digest(RELATEDNESS_CSV);
    if !already_loaded(&tx, "occupation_relatedness", &relatedness_digest).await? {
        let rows = relatedness_rows()?;
        let from: Vec<&str> = rows.iter().map(|r| r.from_code.as_str()).collect();
        let to: Vec<&str> = rows.iter().map(|r| r.to_code.as_str()).collect();
        let fit: Vec<f32> = rows.iter().map(|r| r.fit).collect();
        let reason: Vec<&str> = rows.iter().map(|r| r.reason.as_str()).collect();
        let source: Vec<&str> = rows.iter().map(|r| r.source.as_str()).collect();
        tx.execute("DELETE FROM occupation_relatedness", &[])
            .await?;
        tx.execute(
            "INSERT INTO occupation_relatedness (from_code, to_code, fit, reason, source)
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::real[], $4::text[], $5::text[])",
            &[&from, &to, &fit, &reason, &source],
        )
        .await
        .context("loading the occupation relatedness seed")?;
        mark_loaded(
            &tx,
            "occupation_relatedness",
            &relatedness_digest,
            rows.len(),
        )
        .await?;
    }
    // Rows may be removed in review, so the table is replaced as a whole.
    let trade_words_digest = digest(TRADE_WORDS_CSV);
    if !already_loaded(&tx, "occupation_trade_words", &trade_words_digest).await? {
        let rows = trade_word_rows()?;
        let code: Vec<&str> = rows.iter().map(|r| r.code.as_str()).collect();
        let word: Vec<&str> = rows.iter().map(|r| r.word.as_str()).collect();
        let source: Vec<&str> = rows.iter().map(|r| r.source.as_str()).collect();
        let note: Vec<&str> = rows.iter().map(|r| r.note.as_str()).collect();
        tx.execute("DELETE FROM occupation_trade_words", &[])
            .await?;
        tx.execute(
            "INSERT INTO occupation_trade_words (code, word, source, note)
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[])",
            &[&code, &word, &source, &note],
        )
        .await
        .context("loading the occupation trade words seed")?;
        mark_loaded(
            &tx,
            "occupation_trade_words",
            &trade_words_digest,
            rows.len(),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

async fn mark_loaded(
    client: &tokio_postgres::Transaction<'_>,
    name: &str,
    digest: &str,
    rows: usize,
) -> anyhow::Result<()> {
    let rows = rows as i32;
    client
        .execute(
            "INSERT INTO seed_state (name, digest, rows) VALUES ($1, $2, $3)
             ON CONFLICT (name) DO UPDATE SET digest = EXCLUDED.digest, rows = EXCLUDED.rows,
                 loaded_at = now()",
            &[&name, &digest, &rows],
        )
        .await?;
    tracing::info!(name, rows, "seed data loaded");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::split_markers;

    #[test]
    fn markers_are_split() {
        assert_eq!(split_markers("焊工"), ("焊工".into(), "".into()));
        assert_eq!(
            split_markers("数据分析处理工程技术人员S"),
            ("数据分析处理工程技术人员".into(), "S".into())
        );
        assert_eq!(
            split_markers("地理国情监测工程技术人员L/S"),
            ("地理国情监测工程技术人员".into(), "LS".into())
        );
    }
}
