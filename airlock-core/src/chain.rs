//! The audit hash chain (`behaviour.md` AUD-4) and its verification (AUD-5).
//!
//! [`entry_hash`] computes an entry's hash from the previous hash and the RFC 8785 (JCS)
//! serialisation of its content. [`ChainVerifier`] checks a chain streamed to it entry by entry,
//! in id order, in constant memory apart from the set of early returns and hidden turns.

use crate::audit::{AuditEntry, AuditType, NewAudit};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashSet};
use std::fmt;

/// The `prev_hash` of the first entry: 64 zeros.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The canonical content of an entry with this id (AUD-4): the RFC 8785 (JCS) serialisation of
/// the object with keys `id`, `type`, `user`, `workspace`, `request`, `path`, `extra`,
/// `created_at`.
///
/// Written directly rather than through a generic canonicaliser: the object has a fixed shape
/// (strings, one integer, one map of strings), so JCS reduces to sorted keys and JSON string
/// escaping, and `audit verify` recomputes this for every entry of a long chain. A property test
/// checks it against the `serde_json_canonicalizer` crate.
pub fn canonical_content(id: i64, entry: &NewAudit) -> String {
    let mut out = String::with_capacity(256);
    write_canonical(&mut out, id, entry);
    out
}

/// Appends the canonical content to `out`. Top-level keys in JCS order (all ASCII, so UTF-16
/// and byte order agree): created_at, extra, id, path, request, type, user, workspace.
fn write_canonical(out: &mut String, id: i64, entry: &NewAudit) {
    use std::fmt::Write as _;
    out.push_str("{\"created_at\":\"");
    // Infallible: writing to a String.
    let _ = write!(out, "{}", entry.created_at.format("%Y-%m-%dT%H:%M:%S%.6fZ"));
    out.push_str("\",\"extra\":{");
    let mut keys: Vec<&String> = entry.extra.keys().collect();
    // JCS sorts member names by their UTF-16 code units.
    if keys.iter().any(|k| !k.is_ascii()) {
        keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
    }
    for (i, key) in keys.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_json_string(out, key);
        out.push(':');
        push_json_string(out, &entry.extra[key]);
    }
    out.push_str("},\"id\":");
    let _ = write!(out, "{id}");
    out.push_str(",\"path\":");
    push_optional(out, entry.path.as_deref());
    out.push_str(",\"request\":");
    push_optional(out, entry.request.as_deref());
    out.push_str(",\"type\":");
    push_json_string(out, entry.kind.as_str());
    out.push_str(",\"user\":");
    push_json_string(out, &entry.user);
    out.push_str(",\"workspace\":");
    push_json_string(out, &entry.workspace);
    out.push('}');
}

fn push_optional(out: &mut String, value: Option<&str>) {
    match value {
        Some(v) => push_json_string(out, v),
        None => out.push_str("null"),
    }
}

/// RFC 8785 §3.2.2.2 string serialisation: `"` and `\\` escaped, control characters as the
/// short escapes or `\\u00xx` (lowercase hex), everything else literal.
fn push_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(HEX[(c as usize) >> 4] as char);
                out.push(HEX[(c as usize) & 0xf] as char);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The hash of an entry with this id after `prev_hash` (AUD-4): lowercase hex sha256 of the
/// ASCII bytes of `prev_hash` followed by the canonical content.
pub fn entry_hash(prev_hash: &str, id: i64, entry: &NewAudit) -> String {
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(canonical_content(id, entry).as_bytes());
    hex::encode(hasher.finalize())
}

/// Why an entry fails verification (AUD-5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainFault {
    /// Ids must increase.
    IdNotIncreasing {
        /// The id of the previous entry.
        previous: i64,
    },
    /// `prev_hash` is not the previous entry's hash (or the genesis hash for the first).
    BrokenLink {
        /// What `prev_hash` should be.
        expected: String,
        /// What it is.
        found: String,
    },
    /// The stored hash differs from the recomputed one: the entry was changed.
    HashMismatch {
        /// The recomputed hash.
        expected: String,
        /// The stored hash.
        found: String,
    },
    /// A hidden entry without a REQUEST_EARLY_RETURN of its request and turn (RET-3).
    HiddenWithoutEarlyReturn {
        /// The request, if any.
        request: Option<String>,
        /// The turn.
        turn: i64,
    },
}

impl fmt::Display for ChainFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChainFault::IdNotIncreasing { previous } => {
                write!(f, "id does not increase (previous id {previous})")
            }
            ChainFault::BrokenLink { expected, found } => write!(
                f,
                "prev_hash {found} is not the previous entry's hash {expected}"
            ),
            ChainFault::HashMismatch { expected, found } => write!(
                f,
                "stored hash {found} does not match the recomputed hash {expected}: the entry was changed"
            ),
            ChainFault::HiddenWithoutEarlyReturn { request, turn } => match request {
                Some(r) => write!(
                    f,
                    "hidden entry without an early return of request {r} in turn {turn}"
                ),
                None => write!(f, "hidden entry that belongs to no request"),
            },
        }
    }
}

/// The first bad entry found by a [`ChainVerifier`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadEntry {
    /// Its id.
    pub id: i64,
    /// Why it is bad.
    pub fault: ChainFault,
}

impl fmt::Display for BadEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "entry {}: {}", self.id, self.fault)
    }
}

/// Verifies the chain entry by entry, in id order (AUD-5).
///
/// Links and hashes are checked as entries arrive; hidden entries are checked at
/// [`finish`](ChainVerifier::finish), because the early return that hides a turn is written
/// after the entries it hides.
#[derive(Debug)]
pub struct ChainVerifier {
    prev_id: Option<i64>,
    prev_hash: String,
    checked: u64,
    first_fault: Option<BadEntry>,
    early_returns: HashSet<(String, i64)>,
    /// (request, turn) → the first hidden entry of that turn, for the final check.
    hidden: BTreeMap<(Option<String>, i64), i64>,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self::new()
    }
}

impl ChainVerifier {
    /// A verifier expecting the first entry of the chain.
    pub fn new() -> Self {
        ChainVerifier {
            prev_id: None,
            prev_hash: GENESIS_HASH.to_string(),
            checked: 0,
            first_fault: None,
            early_returns: HashSet::new(),
            hidden: BTreeMap::new(),
        }
    }

    /// Checks the next entry. Returns false once a fault was found (callers may stop reading).
    pub fn push(&mut self, entry: &AuditEntry) -> bool {
        if self.first_fault.is_some() {
            return false;
        }
        self.checked += 1;
        let fault = if let Some(previous) = self.prev_id.filter(|p| entry.id <= *p) {
            Some(ChainFault::IdNotIncreasing { previous })
        } else if entry.prev_hash != self.prev_hash {
            Some(ChainFault::BrokenLink {
                expected: self.prev_hash.clone(),
                found: entry.prev_hash.clone(),
            })
        } else {
            let expected = entry_hash(&entry.prev_hash, entry.id, &entry.entry);
            (expected != entry.hash).then(|| ChainFault::HashMismatch {
                expected,
                found: entry.hash.clone(),
            })
        };
        if let Some(fault) = fault {
            self.first_fault = Some(BadEntry {
                id: entry.id,
                fault,
            });
            return false;
        }
        if entry.entry.kind == AuditType::RequestEarlyReturn
            && let Some(request) = &entry.entry.request
        {
            self.early_returns.insert((request.clone(), entry.turn()));
        }
        if entry.hidden {
            self.hidden
                .entry((entry.entry.request.clone(), entry.turn()))
                .or_insert(entry.id);
        }
        self.prev_id = Some(entry.id);
        self.prev_hash = entry.hash.clone();
        true
    }

    /// The number of entries checked so far.
    pub fn checked(&self) -> u64 {
        self.checked
    }

    /// Ends the walk: the number of entries checked, or the first bad entry.
    pub fn finish(self) -> Result<u64, BadEntry> {
        if let Some(bad) = self.first_fault {
            return Err(bad);
        }
        let orphan = self
            .hidden
            .into_iter()
            .filter(|((request, turn), _)| match request {
                Some(r) => !self.early_returns.contains(&(r.clone(), *turn)),
                None => true,
            })
            .min_by_key(|(_, id)| *id);
        match orphan {
            Some(((request, turn), id)) => Err(BadEntry {
                id,
                fault: ChainFault::HiddenWithoutEarlyReturn { request, turn },
            }),
            None => Ok(self.checked),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn t(sec: i64) -> crate::Timestamp {
        Utc.timestamp_opt(1_700_000_000 + sec, 123_000)
            .single()
            .expect("valid time")
    }

    fn chain(entries: Vec<NewAudit>) -> Vec<AuditEntry> {
        let mut prev = GENESIS_HASH.to_string();
        entries
            .into_iter()
            .enumerate()
            .map(|(i, entry)| {
                let id = i as i64 + 1;
                let hash = entry_hash(&prev, id, &entry);
                let e = AuditEntry {
                    id,
                    entry,
                    hidden: false,
                    prev_hash: prev.clone(),
                    hash: hash.clone(),
                };
                prev = hash;
                e
            })
            .collect()
    }

    fn sample() -> Vec<AuditEntry> {
        chain(vec![
            NewAudit::about_request(AuditType::RequestCreate, "r", "ws", "R1", 0, t(0)),
            NewAudit::about_request(AuditType::RequestSubmit, "r", "ws", "R1", 0, t(1)),
            NewAudit::about_request(AuditType::RequestFileApprove, "c", "ws", "R1", 1, t(2))
                .path("output/a.csv")
                .extra("group", "g"),
            NewAudit::about_request(AuditType::RequestEarlyReturn, "c", "ws", "R1", 1, t(3)),
        ])
    }

    fn verify(entries: &[AuditEntry]) -> Result<u64, BadEntry> {
        let mut v = ChainVerifier::new();
        for e in entries {
            if !v.push(e) {
                break;
            }
        }
        v.finish()
    }

    #[test]
    fn aud_4_canonical_content_is_jcs_with_every_key() {
        let e = NewAudit::about_workspace(AuditType::WorkspaceFileView, "u", "ws", "a/b.csv", t(0));
        assert_eq!(
            canonical_content(7, &e),
            r#"{"created_at":"2023-11-14T22:13:20.000123Z","extra":{},"id":7,"path":"a/b.csv","request":null,"type":"WORKSPACE_FILE_VIEW","user":"u","workspace":"ws"}"#
        );
    }

    /// The oracle: the same object through a general RFC 8785 implementation.
    fn jcs_oracle(id: i64, e: &NewAudit) -> String {
        let value = serde_json::json!({
            "id": id,
            "type": e.kind.as_str(),
            "user": e.user,
            "workspace": e.workspace,
            "request": e.request,
            "path": e.path,
            "extra": e.extra,
            "created_at": e.created_at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
        });
        serde_json_canonicalizer::to_string(&value).expect("canonical")
    }

    proptest::proptest! {
        /// AUD-4: the direct writer agrees with a general JCS implementation on any strings,
        /// control characters, quotes and non-ASCII (including astral) keys and values.
        #[test]
        fn aud_4_canonical_content_matches_rfc_8785(
            // JCS numbers are IEEE doubles: ids are exact up to 2^53, far beyond any chain.
            id in 0i64..(1 << 53),
            user in "\\PC*|[\\x00-\\x1f\"\\\\/]{0,8}",
            workspace in "[a-z0-9-]{0,12}",
            path in proptest::option::of("\\PC{0,20}"),
            request in proptest::option::of("[A-Z0-9]{26}"),
            extra in proptest::collection::btree_map("\\PC{0,6}|[\\u{e000}-\\u{e010}\\u{10000}-\\u{10010}]{1,3}", "\\PC{0,10}", 0..5),
            micros in 0i64..4_000_000_000_000_000,
        ) {
            let mut e = NewAudit::about_workspace(AuditType::RequestComment, &user, &workspace, "", t(0));
            e.path = path;
            e.request = request;
            e.extra = extra;
            e.created_at = chrono::DateTime::from_timestamp_micros(micros).expect("time");
            proptest::prop_assert_eq!(canonical_content(id, &e), jcs_oracle(id, &e));
        }
    }

    #[test]
    fn aud_4_hash_is_sha256_of_prev_hash_and_content() {
        let e = NewAudit::about_workspace(AuditType::WorkspaceFileView, "u", "ws", "p", t(0));
        let mut h = Sha256::new();
        h.update(GENESIS_HASH.as_bytes());
        h.update(canonical_content(1, &e).as_bytes());
        assert_eq!(entry_hash(GENESIS_HASH, 1, &e), hex::encode(h.finalize()));
        assert_ne!(
            entry_hash(GENESIS_HASH, 1, &e),
            entry_hash(GENESIS_HASH, 2, &e)
        );
    }

    #[test]
    fn aud_5_a_good_chain_verifies() {
        assert_eq!(verify(&sample()), Ok(4));
        assert_eq!(verify(&[]), Ok(0));
    }

    #[test]
    fn aud_5_a_changed_entry_is_found() {
        let mut entries = sample();
        entries[2].entry.user = "someone-else".into();
        let bad = verify(&entries).expect_err("tampered");
        assert_eq!(bad.id, 3);
        assert!(matches!(bad.fault, ChainFault::HashMismatch { .. }));
    }

    #[test]
    fn aud_5_a_broken_link_is_found() {
        let mut entries = sample();
        entries.remove(1);
        let bad = verify(&entries).expect_err("gap");
        assert_eq!(bad.id, 3);
        assert!(matches!(bad.fault, ChainFault::BrokenLink { .. }));
    }

    #[test]
    fn aud_5_hidden_entries_need_an_early_return_of_their_turn() {
        let mut entries = sample();
        entries[2].hidden = true;
        entries[3].hidden = true;
        assert_eq!(verify(&entries), Ok(4), "turn 1 was returned early");
        entries[1].hidden = true; // turn 0 had no early return
        let bad = verify(&entries).expect_err("orphan hidden");
        assert_eq!(bad.id, 2);
        assert_eq!(
            bad.fault,
            ChainFault::HiddenWithoutEarlyReturn {
                request: Some("R1".into()),
                turn: 0
            }
        );
        assert!(bad.to_string().starts_with("entry 2: hidden entry"));
    }

    #[test]
    fn hiding_does_not_change_the_hash() {
        let mut entries = sample();
        entries[2].hidden = true;
        assert_eq!(
            entries[2].hash,
            entry_hash(&entries[2].prev_hash, 3, &entries[2].entry)
        );
    }
}
