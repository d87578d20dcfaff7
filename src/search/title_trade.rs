//! The one place the ranking depends on the occupation suggester: "the best occupation (leaf
//! code) a title names, and how sure that reading is, 0..1". Everything else in the ranking
//! sees only [`TitleTrade`], so a new suggester only has to implement [`ReadsTrade`].

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::suggest::OccupationSuggester;

/// The trade a title names, as the suggester read it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TitleTrade {
    /// CSCO 2022 occupation code.
    pub code: String,
    /// 0..1: how sure the reading is.
    pub confidence: f32,
}

/// The least confidence at which the ranking acts on a title's trade.
pub const CONFIDENT: f32 = 0.6;

pub trait ReadsTrade: Send + Sync {
    /// The best occupation for a title, or `None` when it names none.
    fn best_trade(&self, title: &str) -> Option<TitleTrade>;
}

/// A best score at least this high is a strong reading on its own: the suggester's phrase
/// hits (a trade's name or colloquial word inside the title) score 3 and more.
const STRONG_SCORE: f32 = 3.0;

impl ReadsTrade for OccupationSuggester {
    /// This suggester's scores are only comparable within one answer, so confidence is read
    /// from the lead of the best over the runner-up, times how strong the best is at all.
    fn best_trade(&self, title: &str) -> Option<TitleTrade> {
        let top = self.suggest(title, 2).ok()?;
        let best = top.first().filter(|s| s.level == 4 && s.score > 0.0)?;
        let runner_up = top.get(1).map_or(0.0, |s| s.score.max(0.0));
        let lead = ((best.score - runner_up) / best.score).clamp(0.0, 1.0);
        let strength = (best.score / STRONG_SCORE).clamp(0.0, 1.0);
        Some(TitleTrade {
            code: best.code.clone(),
            confidence: lead * strength,
        })
    }
}
