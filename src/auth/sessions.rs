//! Ended sessions, kept in memory so that checking an access token's session costs a hash-set
//! lookup, not a database round trip.
//!
//! An access token names its session (`sid`). Sessions end by logout, refresh-token reuse or the
//! account being disabled; each writes `sessions.revoked_at` in its own transaction. This set
//! holds every session that ended within the access-token lifetime (an older one can have no
//! live token left: none is issued for an ended session), re-read from PostgreSQL every
//! `LABORMATCH_SESSION_POLL_MS`, so a session ended by another instance stops working here
//! within that; one ended by this instance is added at once. If the set could not be re-read
//! for `STALE_AFTER`, the check fails closed (503) rather than trust an old list.
//!
//! `Sessions::check` is the one session check: the bearer extractor calls it, and so will
//! cookie-carrying pages.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::{Duration, Instant};

use deadpool_postgres::{GenericClient, Pool};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult, ErrorCode};

/// Past this without a successful re-read, the set is not trusted.
const STALE_AFTER: Duration = Duration::from_secs(5);
/// Slack on top of the token lifetime: clock skew (the JWT leeway is 5 s) and slow commits.
const MARGIN: Duration = Duration::from_secs(60);

pub struct Sessions {
    ended: RwLock<HashSet<Uuid>>,
    /// Ended here since the last re-read: kept until a re-read surely includes them.
    ended_here: Mutex<Vec<(Uuid, Instant)>>,
    /// When the set was last read, in milliseconds after `origin` (0: never). An atomic, so
    /// the check takes no lock but the set's read lock.
    refreshed_ms: AtomicU64,
    origin: Instant,
    window: Duration,
}

impl Sessions {
    /// `access_ttl`: how long an access token lives.
    pub fn new(access_ttl: Duration) -> Arc<Sessions> {
        Arc::new(Sessions {
            ended: RwLock::new(HashSet::new()),
            ended_here: Mutex::new(Vec::new()),
            refreshed_ms: AtomicU64::new(0),
            origin: Instant::now(),
            window: access_ttl + MARGIN,
        })
    }

    /// Whether tokens of session `sid` may still be used: 401 if it ended, 503 if the list of
    /// ended sessions is too old to trust.
    pub fn check(&self, sid: Uuid) -> ApiResult<()> {
        let refreshed = self.refreshed_ms.load(Ordering::Acquire);
        let now = self.origin.elapsed().as_millis() as u64;
        let fresh = refreshed > 0 && now.saturating_sub(refreshed) < STALE_AFTER.as_millis() as u64;
        if !fresh {
            return Err(ApiError {
                cause: Some("the list of ended sessions is stale".into()),
                ..ApiError::new(ErrorCode::DatabaseUnavailable)
            }
            .retry_after(2));
        }
        let ended = self
            .ended
            .read()
            .map(|set| set.contains(&sid))
            .unwrap_or(true);
        if ended {
            Err(ApiError::unauthorized())
        } else {
            Ok(())
        }
    }

    /// Call after the transaction that ended `sids` committed.
    pub fn ended_here(&self, sids: &[Uuid]) {
        let now = Instant::now();
        if let Ok(mut set) = self.ended.write() {
            set.extend(sids.iter().copied());
        }
        if let Ok(mut here) = self.ended_here.lock() {
            here.extend(sids.iter().map(|s| (*s, now)));
        }
    }

    /// Re-reads the sessions ended within the window.
    pub async fn refresh(&self, client: &impl GenericClient) -> ApiResult<usize> {
        let started = Instant::now();
        let from_db = crate::db::sessions::ended_within(client, self.window.as_secs_f64()).await?;
        let mut set: HashSet<Uuid> = from_db.into_iter().collect();
        if let Ok(mut here) = self.ended_here.lock() {
            // A session ended here just before the query began may not be in its snapshot;
            // keep local entries for a few polls.
            here.retain(|(_, at)| at.elapsed() < STALE_AFTER);
            set.extend(here.iter().map(|(s, _)| *s));
        }
        let n = set.len();
        if let Ok(mut ended) = self.ended.write() {
            *ended = set;
        }
        self.mark_refreshed(started);
        Ok(n)
    }

    fn mark_refreshed(&self, at: Instant) {
        // At least 1: 0 means never read.
        let ms = (at.duration_since(self.origin).as_millis() as u64).max(1);
        self.refreshed_ms.store(ms, Ordering::Release);
    }

    /// Re-reads every `every` for as long as the service holds `this`, through a pool of its
    /// own (one connection): a request pool drained by a burst must not make the list stale.
    pub fn spawn_poller(this: &Arc<Sessions>, own_pool: Pool, every: Duration) {
        let weak: Weak<Sessions> = Arc::downgrade(this);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut failing = false;
            loop {
                tick.tick().await;
                let read = match own_pool.get().await {
                    Ok(client) => {
                        let Some(sessions) = weak.upgrade() else {
                            return;
                        };
                        sessions.refresh(&client).await
                    }
                    Err(e) => Err(ApiError::from(e)),
                };
                if weak.strong_count() == 0 {
                    return;
                }
                match read {
                    Ok(_) if failing => {
                        tracing::info!("ended sessions re-read again");
                        failing = false;
                    }
                    Ok(_) => {}
                    Err(e) if !failing => {
                        tracing::warn!(error = %e, "cannot re-read ended sessions");
                        failing = true;
                    }
                    Err(_) => {}
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unchecked_until_read_then_ended_sessions_are_refused() {
        let s = Sessions::new(Duration::from_secs(900));
        let sid = Uuid::new_v4();
        assert_eq!(
            s.check(sid).unwrap_err().code,
            ErrorCode::DatabaseUnavailable
        );
        s.mark_refreshed(Instant::now());
        assert!(s.check(sid).is_ok());
        s.ended_here(&[sid]);
        assert_eq!(s.check(sid).unwrap_err().code, ErrorCode::Unauthorized);
        assert!(s.check(Uuid::new_v4()).is_ok());
    }
}
