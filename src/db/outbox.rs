//! The outbox of searchable changes: written in the same transaction as the change itself, so
//! the index can never miss a committed write.

use deadpool_postgres::GenericClient;

use super::DbResult;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entity {
    Worker,
    Opening,
}

impl Entity {
    pub fn as_str(self) -> &'static str {
        match self {
            Entity::Worker => "worker",
            Entity::Opening => "opening",
        }
    }
}

/// Call it after the transaction's own write (so the transaction already has its id when it
/// takes a sequence number: the indexer's gap handling relies on that).
/// Records that `entity` `id` changed; returns the change's sequence number, which a client may
/// pass back to wait until the index has applied it (read-your-writes).
/// Records that every member of a household changed (their equity factor follows the
/// household's status); returns the highest change number, if it has members.
pub async fn record_household_members(
    client: &impl GenericClient,
    household_id: i64,
) -> DbResult<Option<i64>> {
    let row = client
        .query_one(
            "WITH added AS (
                 INSERT INTO index_changes (entity, entity_id)
                 SELECT 'worker', id FROM workers WHERE household_id = $1 ORDER BY id
                 RETURNING seq)
             SELECT max(seq) FROM added",
            &[&household_id],
        )
        .await?;
    Ok(row.get(0))
}

pub async fn record_change(client: &impl GenericClient, entity: Entity, id: i64) -> DbResult<i64> {
    let row = client
        .query_one(
            "INSERT INTO index_changes (entity, entity_id) VALUES ($1, $2) RETURNING seq",
            &[&entity.as_str(), &id],
        )
        .await?;
    Ok(row.get(0))
}
