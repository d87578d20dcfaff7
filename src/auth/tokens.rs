//! Access tokens (HS256 JWT, validated with an explicit `Validation`) and refresh tokens
//! (random, stored hashed, rotated on every use).

use std::path::Path;
use std::time::Duration;

use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Role;

pub const AUDIENCE: &str = "labormatch-api";

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<i64>,
    #[serde(default)]
    pub org_admin: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The session (refresh-token family) this token belongs to: when the session ends
    /// (logout, refresh-token reuse, the account disabled) the token stops working.
    pub sid: uuid::Uuid,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
}

#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    pub issuer: String,
    pub access_ttl: Duration,
}

impl Claims {
    /// Claims for account `id` with `role` in session `sid`, with no organization or region;
    /// `JwtKeys::issue` fills in the issuer, audience and times.
    pub fn new(id: i64, role: Role, sid: uuid::Uuid) -> Claims {
        Claims {
            sub: id.to_string(),
            role,
            org: None,
            org_admin: false,
            region: None,
            sid,
            iss: String::new(),
            aud: String::new(),
            iat: 0,
            exp: 0,
        }
    }
}

impl JwtKeys {
    pub fn new(secret: &[u8], issuer: &str, access_ttl: Duration) -> JwtKeys {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[AUDIENCE]);
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.leeway = 5;
        JwtKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            issuer: issuer.to_string(),
            access_ttl,
        }
    }

    pub fn issue(&self, mut claims: Claims) -> Result<String, jsonwebtoken::errors::Error> {
        let now = chrono::Utc::now().timestamp();
        claims.iss = self.issuer.clone();
        claims.aud = AUDIENCE.into();
        claims.iat = now;
        claims.exp = now + self.access_ttl.as_secs() as i64;
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
    }

    pub fn verify(&self, token: &str) -> Result<Claims, jsonwebtoken::errors::Error> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).map(|d| d.claims)
    }
}

/// The configured secret, or one generated once and kept (mode 0600) under the data directory.
pub fn load_or_create_secret(configured: Option<&str>, file: &Path) -> anyhow::Result<Vec<u8>> {
    if let Some(secret) = configured {
        return Ok(secret.as_bytes().to_vec());
    }
    if let Ok(existing) = std::fs::read_to_string(file) {
        let existing = existing.trim();
        if existing.len() >= 32 {
            return Ok(existing.as_bytes().to_vec());
        }
    }
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut bytes = [0u8; 48];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(file)?;
    f.write_all(secret.as_bytes())?;
    tracing::info!(file = %file.display(), "generated a JWT secret (set LABORMATCH_JWT_SECRET to choose one)");
    Ok(secret.into_bytes())
}

/// A new opaque token (refresh tokens, invitation codes) and the hash we store.
pub fn new_opaque_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_opaque_token(&token);
    (token, hash)
}

pub fn hash_opaque_token(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// A hash keyed with a server secret, for short codes (profile claim codes) whose plain hash
/// could be reversed by trying them all: without the key a copy of the table reveals nothing.
pub fn keyed_hash(key: &[u8], value: &str) -> String {
    let mut h = Sha256::new();
    h.update((key.len() as u64).to_be_bytes());
    h.update(key);
    h.update(value.as_bytes());
    hex(&h.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> Claims {
        Claims::new(1, Role::Worker, uuid::Uuid::new_v4())
    }

    #[test]
    fn round_trip_and_wrong_secret() {
        let keys = JwtKeys::new(&[7u8; 32], "labormatch", Duration::from_secs(60));
        let token = keys.issue(claims()).unwrap();
        assert_eq!(keys.verify(&token).unwrap().sub, "1");
        let other = JwtKeys::new(&[8u8; 32], "labormatch", Duration::from_secs(60));
        assert!(other.verify(&token).is_err());
        let other_issuer = JwtKeys::new(&[7u8; 32], "someone-else", Duration::from_secs(60));
        assert!(other_issuer.verify(&token).is_err());
    }
}
