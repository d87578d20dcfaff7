//! The one place the ranking depends on the occupation suggester: "the best occupation (leaf
//! code, or a group when no occupation is sure) a title names, and how sure that reading is,
//! 0..1". Everything else in the ranking
//! sees only [`TitleTrade`], so a new suggester only has to implement [`ReadsTrade`].

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::suggest::{Granularity, OccupationSuggester};

/// The trade a title names, as the suggester read it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TitleTrade {
    /// CSCO 2022 code: an occupation, or a unit or minor group (level 3 or 2).
    pub code: String,
    /// 0..1: how sure the reading is.
    pub confidence: f32,
    /// Codes the employer chose that the reviewed relatedness table calls another trade than
    /// this one (its workers are no stand-in for them): filled by `profile::prepare`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_trade_than: Vec<String>,
}

/// The least confidence at which the ranking acts on a title's trade.
pub const CONFIDENT: f32 = 0.6;

pub trait ReadsTrade: Send + Sync {
    /// The best occupation for a title, or `None` when it names none.
    fn best_trade(&self, title: &str) -> Option<TitleTrade>;
}

impl ReadsTrade for OccupationSuggester {
    /// The suggester's first answer with its calibrated confidence: an occupation, or a unit
    /// or minor group when no occupation was sure but the group was (the ranking then uses the
    /// group as a nice-to-have, see `profile`).
    fn best_trade(&self, title: &str) -> Option<TitleTrade> {
        let best = self
            .suggest_at(title, 1, Granularity::GroupsWhenUnsure)
            .ok()?
            .into_iter()
            .next()?;
        Some(TitleTrade {
            code: best.code,
            confidence: best.confidence,
            other_trade_than: Vec::new(),
        })
    }
}
