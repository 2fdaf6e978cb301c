//! PINs of the people who share a device: kept as Argon2id hashes with a random salt, never
//! as digits.

use argon2::Argon2;

use super::{ApiError, ApiResult};
use crate::ids::UserId;

const SALT_BYTES: usize = 16;
const HASH_BYTES: usize = 32;

/// The setting under which a user's PIN hash is kept.
pub(super) fn key(user: UserId) -> String {
    format!("app.pin.{user}")
}

/// 4 to 6 digits.
pub(super) fn check_format(pin: &str) -> ApiResult<()> {
    if (4..=6).contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(ApiError::field("pin", "pin_format", "a PIN is 4 to 6 digits"))
    }
}

fn derive(pin: &str, salt: &[u8]) -> [u8; HASH_BYTES] {
    let mut out = [0u8; HASH_BYTES];
    Argon2::default()
        .hash_password_into(pin.as_bytes(), salt, &mut out)
        .expect("argon2 accepts a 16-byte salt and a 32-byte output");
    out
}

/// `hex(salt)$hex(hash)`.
pub(super) fn hash(pin: &str) -> String {
    let salt = uuid::Uuid::new_v4().into_bytes();
    format!("{}${}", hex::encode(salt), hex::encode(derive(pin, &salt)))
}

pub(super) fn verify(stored: &str, pin: &str) -> bool {
    let Some((salt, expected)) = stored.split_once('$') else { return false };
    match (hex::decode(salt), hex::decode(expected)) {
        (Ok(salt), Ok(expected)) if salt.len() == SALT_BYTES => derive(pin, &salt).as_slice() == expected.as_slice(),
        _ => false,
    }
}

/// A PIN typed for a user, with the hash kept for them (none before their first sign-in).
#[derive(Clone, Debug)]
pub struct PinAttempt {
    pub(super) user: UserId,
    pub(super) pin: String,
    pub(super) stored: Option<String>,
}

/// A PIN that matched (or was set on a first sign-in, with the hash to keep).
#[derive(Clone, Debug)]
pub struct CheckedPin {
    pub(super) user: UserId,
    pub(super) new_hash: Option<String>,
}

impl PinAttempt {
    /// The slow part of signing in (Argon2id), with no store: right, or `wrong_pin`.
    pub fn check(self) -> ApiResult<CheckedPin> {
        match &self.stored {
            Some(stored) if !verify(stored, &self.pin) => {
                Err(ApiError::field("pin", "wrong_pin", "the PIN does not match"))
            }
            Some(_) => Ok(CheckedPin { user: self.user, new_hash: None }),
            None => Ok(CheckedPin { user: self.user, new_hash: Some(hash(&self.pin)) }),
        }
    }
}
