//! argon2id password hashing. Hashing is slow on purpose, so it runs on the blocking pool.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;

use crate::error::ApiError;

pub fn hash_password_blocking(password: &str) -> Result<String, ApiError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(ApiError::internal)
}

/// A hash verified against when the account does not exist, so a wrong phone costs the same
/// time as a wrong password.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password_blocking("no such account").unwrap_or_default())
}

pub fn verify_password_blocking(password: &str, stored: Option<&str>) -> bool {
    let Ok(parsed) = PasswordHash::new(stored.unwrap_or_else(|| dummy_hash())) else {
        return false;
    };
    let ok = Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok();
    ok && stored.is_some()
}

pub async fn hash_password(password: String) -> Result<String, ApiError> {
    crate::telemetry::spawn_blocking_with_span(move || hash_password_blocking(&password))
        .await
        .map_err(ApiError::internal)?
}

pub async fn verify_password(password: String, stored: Option<String>) -> Result<bool, ApiError> {
    crate::telemetry::spawn_blocking_with_span(move || {
        verify_password_blocking(&password, stored.as_deref())
    })
    .await
    .map_err(ApiError::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_and_verify() {
        let h = hash_password_blocking("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password_blocking("correct horse", Some(&h)));
        assert!(!verify_password_blocking("wrong horse", Some(&h)));
        assert!(!verify_password_blocking("anything", None));
    }
}
