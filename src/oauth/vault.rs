//! Refresh tokens at rest: sealed with ChaCha20-Poly1305 (ring) under a
//! key derived from `token_key_env`/`token_key_file` (or `[http]`
//! secret), the grant's name bound in as associated data so that a sealed
//! row cannot be moved to another mailbox. Kept in `desk_secrets` as
//! `oauth2:<grant>`.

use diesel::prelude::*;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::store::schema::desk_secrets;
use crate::store::Conn;

const PREFIX: &str = "oauth2:";

/// What a grant keeps.
#[derive(Clone, Serialize, Deserialize)]
pub struct Grant {
    pub refresh_token: String,
    pub login: String,
    pub client_id: String,
    pub scope: String,
}

impl std::fmt::Debug for Grant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Grant").field("login", &self.login).field("client_id", &self.client_id).finish_non_exhaustive()
    }
}

/// A stored grant as `guichet auth status` shows it (no secret).
#[derive(Debug, Clone)]
pub struct Stored {
    pub grant: String,
    pub saved_at: chrono::NaiveDateTime,
}

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("the stored token of `{0}` cannot be opened with this key (was token_key changed?): run `guichet auth login {0}`")]
    Unsealable(String),
    #[error("database: {0}")]
    Store(#[from] diesel::result::Error),
}

fn key(secret: &str) -> LessSafeKey {
    let mut h = Sha256::new();
    h.update(b"guichet oauth2 refresh tokens\n");
    h.update(secret.as_bytes());
    let bytes = h.finalize();
    // 32 bytes is ChaCha20-Poly1305's key length: this cannot fail.
    #[allow(clippy::expect_used)]
    LessSafeKey::new(UnboundKey::new(&CHACHA20_POLY1305, &bytes).expect("a 32-byte key"))
}

fn seal(secret: &str, grant: &str, plain: &[u8]) -> Result<String, String> {
    let mut nonce = [0u8; NONCE_LEN];
    SystemRandom::new().fill(&mut nonce).map_err(|_| "no random numbers".to_string())?;
    let mut data = plain.to_vec();
    key(secret)
        .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(grant.as_bytes()), &mut data)
        .map_err(|_| "sealing failed".to_string())?;
    Ok(format!("v1:{}{}", hex::encode(nonce), hex::encode(data)))
}

fn open(secret: &str, grant: &str, sealed: &str) -> Option<Vec<u8>> {
    let bytes = hex::decode(sealed.strip_prefix("v1:")?).ok()?;
    if bytes.len() < NONCE_LEN {
        return None;
    }
    let (nonce, data) = bytes.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
    let mut data = data.to_vec();
    let plain = key(secret).open_in_place(nonce, Aad::from(grant.as_bytes()), &mut data).ok()?;
    Some(plain.to_vec())
}

/// Saves (or replaces) the grant of `name`.
pub fn save(
    conn: &mut Conn,
    secret: &str,
    name: &str,
    grant: &Grant,
    now: chrono::NaiveDateTime,
) -> Result<(), VaultError> {
    let plain = serde_json::to_vec(grant).unwrap_or_default();
    let sealed = seal(secret, name, &plain).map_err(|_| VaultError::Unsealable(name.to_string()))?;
    let row = format!("{PREFIX}{name}");
    conn.transaction(|conn| {
        diesel::delete(desk_secrets::table.find(&row)).execute(conn)?;
        diesel::insert_into(desk_secrets::table)
            .values((desk_secrets::name.eq(&row), desk_secrets::value.eq(&sealed), desk_secrets::created_at.eq(now)))
            .execute(conn)
            .map(drop)
    })?;
    Ok(())
}

/// The grant of `name`, if one was saved.
pub fn load(conn: &mut Conn, secret: &str, name: &str) -> Result<Option<Grant>, VaultError> {
    let row = format!("{PREFIX}{name}");
    let sealed: Option<String> = desk_secrets::table.find(&row).select(desk_secrets::value).first(conn).optional()?;
    let Some(sealed) = sealed else { return Ok(None) };
    let plain = open(secret, name, &sealed).ok_or_else(|| VaultError::Unsealable(name.to_string()))?;
    serde_json::from_slice(&plain).map(Some).map_err(|_| VaultError::Unsealable(name.to_string()))
}

/// Every stored grant, without opening them.
pub fn list(conn: &mut Conn) -> Result<Vec<Stored>, VaultError> {
    let rows: Vec<(String, chrono::NaiveDateTime)> = desk_secrets::table
        .filter(desk_secrets::name.like(format!("{PREFIX}%")))
        .select((desk_secrets::name, desk_secrets::created_at))
        .order(desk_secrets::name.asc())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(n, saved_at)| Stored { grant: n.trim_start_matches(PREFIX).to_string(), saved_at })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_token_opens_with_its_key_and_name_only() {
        let sealed = seal("a key of sixteen+", "support", b"rt-1").unwrap();
        assert!(!sealed.contains("rt-1"));
        assert_eq!(open("a key of sixteen+", "support", &sealed).as_deref(), Some(&b"rt-1"[..]));
        assert_eq!(open("another key of 16", "support", &sealed), None);
        assert_eq!(open("a key of sixteen+", "sales", &sealed), None);
    }
}
