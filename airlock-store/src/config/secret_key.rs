//! The server secret (`secret_key`) that the pages sign CSRF tokens and cookie sessions with:
//! the configured one, or 32 random bytes generated on first start and kept in
//! `<work_dir>/secret_key` (mode 0600, written atomically), reused on every later start.

use super::{Config, ConfigError};
use base64::Engine;
use base64::engine::{GeneralPurpose, GeneralPurposeConfig};
use rand::TryRngCore;
use std::fmt;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

/// The file inside `work_dir` that holds the generated secret when `secret_key` is not set.
pub const SECRET_KEY_FILE: &str = "secret_key";

/// How many random bytes a generated secret has.
const GENERATED_BYTES: usize = 32;

/// Standard base64 with its padding; like the checks before it, it accepts non-zero trailing
/// bits.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
);

/// The server secret: 32 or 64 bytes. `Debug` never shows them.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey(Vec<u8>);

impl SecretKey {
    /// A key of these bytes (tests, and tools that derive one).
    pub fn from_bytes(bytes: impl Into<Vec<u8>>) -> SecretKey {
        SecretKey(bytes.into())
    }

    /// The bytes; use them only to sign or verify.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey([redacted])")
    }
}

impl Config {
    /// Where the generated secret is kept when `secret_key` is not set.
    pub fn secret_key_file(&self) -> PathBuf {
        self.work_dir.join(SECRET_KEY_FILE)
    }

    /// The server secret: `secret_key` when it is set; otherwise the one in
    /// [`Config::secret_key_file`], generated there on first use (so `work_dir` must exist:
    /// [`Config::create_dirs`]). A file that cannot be read or does not hold a key is refused,
    /// naming the file; nothing here logs or shows the key.
    pub fn secret_key_or_generate(&self) -> Result<SecretKey, ConfigError> {
        match &self.secret_key {
            Some(text) => decode(text.expose())
                .map(SecretKey)
                .map_err(|message| self.invalid("secret_key", message)),
            None => read_or_generate(&self.secret_key_file()),
        }
    }
}

/// Checks a configured `secret_key` (never showing it).
pub(crate) fn check_secret_key(text: &str) -> Result<(), String> {
    decode(text).map(drop)
}

/// 32 or 64 bytes, written as hex or as standard padded base64.
fn decode(text: &str) -> Result<Vec<u8>, String> {
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

fn file_error(path: &Path, problem: String) -> ConfigError {
    ConfigError::SecretKeyFile {
        path: path.to_path_buf(),
        problem,
    }
}

/// The key in `path`, or a new one written there when there is no such file.
fn read_or_generate(path: &Path) -> Result<SecretKey, ConfigError> {
    match std::fs::read(path) {
        Ok(bytes) => parse_file(path, &bytes),
        Err(e) if e.kind() == ErrorKind::NotFound => generate(path),
        Err(e) => Err(file_error(path, format!("cannot be read: {e}"))),
    }
}

/// The key a generated file holds: hex, as [`generate`] writes it (any form `secret_key`
/// accepts is taken).
fn parse_file(path: &Path, bytes: &[u8]) -> Result<SecretKey, ConfigError> {
    match std::str::from_utf8(bytes).map(decode) {
        Ok(Ok(key)) => Ok(SecretKey(key)),
        _ => Err(file_error(
            path,
            "is malformed: it must hold 32 or 64 bytes as hex or base64; remove it and a new \
             key is generated at the next start, or set secret_key"
                .into(),
        )),
    }
}

/// Writes a new random key to `path`: a temporary file of mode 0600 beside it, synced, then
/// renamed into place unless `path` exists by then (another process generated it first: its
/// key is the one).
fn generate(path: &Path) -> Result<SecretKey, ConfigError> {
    let mut bytes = vec![0; GENERATED_BYTES];
    rand::rngs::OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(|e| file_error(path, format!("cannot be generated: {e}")))?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let written = (|| {
        let mut file = tempfile::Builder::new()
            .prefix(".secret_key.")
            .tempfile_in(dir)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            file.as_file()
                .set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        writeln!(file, "{}", hex::encode(&bytes))?;
        file.as_file().sync_all()?;
        file.persist_noclobber(path).map_err(|e| e.error)?;
        std::fs::File::open(dir)?.sync_all()
    })();
    match written {
        Ok(()) => {
            tracing::info!(file = %path.display(), "generated the server secret key");
            Ok(SecretKey(bytes))
        }
        Err(e) if e.kind() == ErrorKind::AlreadyExists => match std::fs::read(path) {
            Ok(bytes) => parse_file(path, &bytes),
            Err(e) => Err(file_error(path, format!("cannot be read: {e}"))),
        },
        Err(e) => Err(file_error(path, format!("cannot be written: {e}"))),
    }
}
