//! argon2id password hashing with explicit parameters, and a bound on how many hashes run at
//! once. Each hash holds `memory` KiB for its whole run and keeps a core busy; sign-up, sign-in
//! and invitation acceptance are anonymous, so without a bound a burst of them would take every
//! blocking thread and hundreds of megabytes. Beyond the bound a request waits briefly for a
//! slot, then gets `503 overloaded` with `Retry-After`.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::config::Settings;
use crate::error::{ApiError, ApiResult, ErrorCode};

#[derive(Clone)]
pub struct PasswordHasher {
    argon2: Argon2<'static>,
    slots: Arc<Semaphore>,
    wait: Duration,
    /// Verified against when the account does not exist (or is disabled), so a wrong phone
    /// costs the same time as a wrong password.
    dummy: Arc<OnceLock<String>>,
}

impl PasswordHasher {
    pub fn new(
        memory_kib: u32,
        iterations: u32,
        parallelism: u32,
        max_concurrency: usize,
        wait: Duration,
    ) -> anyhow::Result<PasswordHasher> {
        let params = Params::new(memory_kib, iterations, parallelism, None)
            .map_err(|e| anyhow::anyhow!("argon2 parameters: {e}"))?;
        Ok(PasswordHasher {
            argon2: Argon2::new(Algorithm::Argon2id, Version::V0x13, params),
            slots: Arc::new(Semaphore::new(max_concurrency.max(1))),
            wait,
            dummy: Arc::new(OnceLock::new()),
        })
    }

    pub fn from_settings(s: &Settings) -> anyhow::Result<PasswordHasher> {
        PasswordHasher::new(
            s.argon2_memory_kib,
            s.argon2_iterations,
            s.argon2_parallelism,
            s.hash_max_concurrency,
            s.hash_queue_wait,
        )
    }

    async fn slot(&self) -> ApiResult<OwnedSemaphorePermit> {
        let busy = || ApiError::new(ErrorCode::Overloaded).retry_after(1);
        if self.wait.is_zero() {
            return self.slots.clone().try_acquire_owned().map_err(|_| busy());
        }
        match tokio::time::timeout(self.wait, self.slots.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(busy()),
        }
    }

    pub fn hash_blocking(&self, password: &str) -> ApiResult<String> {
        let salt = SaltString::generate(&mut OsRng);
        self.argon2
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(ApiError::internal)
    }

    /// Checks `password` against `stored` (the stored hash carries its own parameters); with
    /// no stored hash, spends the same effort on a dummy and answers false.
    pub fn verify_blocking(&self, password: &str, stored: Option<&str>) -> bool {
        let dummy = || {
            self.dummy
                .get_or_init(|| self.hash_blocking("no such account").unwrap_or_default())
                .as_str()
        };
        let Ok(parsed) = PasswordHash::new(stored.unwrap_or_else(dummy)) else {
            return false;
        };
        let ok = self
            .argon2
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        ok && stored.is_some()
    }

    /// Hashes on the blocking pool once a slot is free.
    pub async fn hash(&self, password: String) -> ApiResult<String> {
        let permit = self.slot().await?;
        let hasher = self.clone();
        crate::telemetry::spawn_blocking_with_span(move || {
            let _permit = permit;
            hasher.hash_blocking(&password)
        })
        .await
        .map_err(ApiError::internal)?
    }

    pub async fn verify(&self, password: String, stored: Option<String>) -> ApiResult<bool> {
        let permit = self.slot().await?;
        let hasher = self.clone();
        crate::telemetry::spawn_blocking_with_span(move || {
            let _permit = permit;
            hasher.verify_blocking(&password, stored.as_deref())
        })
        .await
        .map_err(ApiError::internal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hasher() -> PasswordHasher {
        PasswordHasher::new(19 * 1024, 2, 1, 1, Duration::from_millis(0)).unwrap()
    }

    #[test]
    fn hash_and_verify_with_explicit_parameters() {
        let h = hasher();
        let stored = h.hash_blocking("correct horse").unwrap();
        assert!(
            stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{stored}"
        );
        assert!(h.verify_blocking("correct horse", Some(&stored)));
        assert!(!h.verify_blocking("wrong horse", Some(&stored)));
        assert!(!h.verify_blocking("anything", None));
        // A hash made with other parameters still verifies: they are read from the hash.
        let cheaper = PasswordHasher::new(8 * 1024, 1, 1, 1, Duration::ZERO).unwrap();
        let old = cheaper.hash_blocking("correct horse").unwrap();
        assert!(h.verify_blocking("correct horse", Some(&old)));
    }

    #[tokio::test]
    async fn a_full_hasher_answers_overloaded() {
        let h = hasher();
        let held = h.slot().await.unwrap();
        let err = h.hash("password".into()).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::Overloaded);
        assert_eq!(err.retry_after_secs, Some(1));
        drop(held);
        assert!(h.hash("password".into()).await.is_ok());
    }
}
