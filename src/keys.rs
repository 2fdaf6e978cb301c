//! Device keys: ed25519 signing keys made from the caller's random bytes, their public keys as
//! the server and the reference data list them, and signatures of canonical statements. Below
//! the domain (a trip's custody statements are signed with them) and the ledger (receipts and
//! workflow steps are); no I/O.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

/// Bytes of an ed25519 signature.
pub const SIGNATURE_LEN: usize = 64;

/// Bytes that are not a usable ed25519 public key, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an ed25519 public key: {0}")]
pub struct BadPublicKey(pub String);

/// A device's signing key. Its `Debug` shows the key id only, never the secret.
#[derive(Clone)]
pub struct DeviceKey(SigningKey);

impl DeviceKey {
    /// The key whose RFC 8032 secret is `seed`: 32 bytes from the caller's random source.
    pub fn from_seed(seed: [u8; 32]) -> DeviceKey {
        DeviceKey(SigningKey::from_bytes(&seed))
    }

    /// The seed, for the store to keep.
    pub fn seed(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }
}

impl fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceKey").field("key_id", &self.public_key().key_id()).finish_non_exhaustive()
    }
}

/// A device's public key, as the server and verifiers keep it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    /// Reads 32 bytes, refusing other lengths, bytes that are not a curve point and weak
    /// (small-order) keys.
    pub fn from_bytes(bytes: &[u8]) -> Result<PublicKey, BadPublicKey> {
        let bytes: &[u8; 32] =
            bytes.try_into().map_err(|_| BadPublicKey(format!("expected 32 bytes, got {}", bytes.len())))?;
        let key = VerifyingKey::from_bytes(bytes).map_err(|_| BadPublicKey("not a curve point".into()))?;
        if key.is_weak() {
            return Err(BadPublicKey("a weak (small-order) key".into()));
        }
        Ok(PublicKey(key))
    }

    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The first 8 lowercase hex digits of SHA-256 of the key's 32 bytes: a short name for
    /// the key on a slip (not a security boundary: the verifier looks the key up by it and
    /// then checks the signature with the whole key).
    pub fn key_id(&self) -> String {
        Sha256::digest(self.to_bytes())[..4].iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Signs other canonical statements than receipts (a trip's custody handover and
/// countersignature, [`crate::domain::custody`]). Every such statement opens with its own
/// length-prefixed context string, so a signature of one kind never verifies as another.
pub fn sign_statement(key: &DeviceKey, bytes: &[u8]) -> [u8; SIGNATURE_LEN] {
    key.0.sign(bytes).to_bytes()
}

/// Whether `signature` is `public`'s signature of the statement `bytes` (strict RFC 8032).
pub fn verify_statement(public: &PublicKey, bytes: &[u8], signature: &[u8]) -> bool {
    Signature::from_slice(signature).is_ok_and(|s| public.0.verify_strict(bytes, &s).is_ok())
}

/// A signature as stored in a receipt and printed in its QR code: base64url, no padding.
pub fn encode_signature(signature: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(signature)
}

/// The reverse of [`encode_signature`]; `None` for anything that is not 64 bytes of base64url.
pub fn decode_signature(text: &str) -> Option<[u8; SIGNATURE_LEN]> {
    URL_SAFE_NO_PAD.decode(text).ok()?.try_into().ok()
}

/// A public key as base64url text (as enrollment registers it and reference data lists it);
/// `None` for anything that is not a usable ed25519 key.
pub fn decode_public_key(text: &str) -> Option<PublicKey> {
    PublicKey::from_bytes(&URL_SAFE_NO_PAD.decode(text).ok()?).ok()
}
