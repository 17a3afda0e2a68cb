//! The audit hash chain (`behaviour.md` AUD-4, AUD-5). (in progress)

use crate::audit::NewAudit;

/// The `prev_hash` of the first entry: 64 zeros.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The hash of an entry with this id after `prev_hash` (AUD-4).
pub fn entry_hash(prev_hash: &str, id: i64, entry: &NewAudit) -> String {
    let _ = (prev_hash, id, entry);
    String::new()
}
