//! The check of `secret_key`: 32 or 64 bytes as hex or base64.

use base64::Engine;
use base64::engine::{GeneralPurpose, GeneralPurposeConfig};

/// Standard base64 with its padding; like the checks before it, it accepts non-zero trailing
/// bits.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
);

/// Checks a configured `secret_key` (never showing it).
pub(crate) fn check_secret_key(text: &str) -> Result<(), String> {
    decode(text).map(drop)
}

/// 32 or 64 bytes, written as hex or as standard padded base64.
pub(super) fn decode(text: &str) -> Result<Vec<u8>, String> {
    let key = text.trim();
    let hex = matches!(key.len(), 64 | 128) && key.chars().all(|c| c.is_ascii_hexdigit());
    let bytes = if hex {
        hex::decode(key).ok()
    } else {
        BASE64.decode(key).ok()
    };
    match bytes {
        Some(bytes) if matches!(bytes.len(), 32 | 64) => Ok(bytes),
        _ => Err(format!(
            "must be 32 or 64 random bytes as hex or base64 (e.g. `openssl rand -base64 64`); \
             got {} characters",
            key.len()
        )),
    }
}
