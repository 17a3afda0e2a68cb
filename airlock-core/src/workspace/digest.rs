//! sha256 digests: the manifest's `content_hash` as bytes, and the set of the hashes released
//! from a workspace (WS-5 row 2).

/// A sha256 digest as bytes.
pub type Digest = [u8; 32];

/// Parses a 64-character hex sha256 (either case).
pub fn parse_digest(hex: &str) -> Option<Digest> {
    let bytes: &[u8; 64] = hex.as_bytes().try_into().ok()?;
    // Without a branch per character: random hex defeats branch prediction, and a manifest
    // holds one digest per output.
    let mut out = [0u8; 32];
    let mut invalid = 0u8;
    for (byte, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        let (high, low) = (HEX_VALUES[pair[0] as usize], HEX_VALUES[pair[1] as usize]);
        invalid |= high | low;
        *byte = (high << 4) | (low & 0x0f);
    }
    (invalid & 0xf0 == 0).then_some(out)
}

/// The value of each hex digit, and 0xff for every other byte.
const HEX_VALUES: [u8; 256] = {
    let mut table = [0xffu8; 256];
    let mut i = 0;
    while i < 10 {
        table[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        table[b'a' as usize + i] = 10 + i as u8;
        table[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    table
};

/// The lowercase hex form of a digest.
pub fn digest_hex(digest: &Digest) -> String {
    hex::encode(digest)
}

/// The set of `file_id`s of released request files of one workspace (WS-5 row 2), kept sorted
/// for lookups without hashing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReleasedHashes {
    digests: Vec<Digest>,
    /// The first 8 bytes of each digest, big-endian, in the same (sorted) order.
    prefixes: Vec<u64>,
    /// A bit per top-bits value of the prefixes present: a clear bit proves absence with one
    /// memory read (digests are uniformly distributed, so about 1 in 64 lookups goes further).
    filter: Vec<u64>,
    /// How far a prefix is shifted right to index `filter`.
    filter_shift: u32,
}

fn digest_prefix(digest: &Digest) -> u64 {
    let mut head = [0u8; 8];
    head.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(head)
}

impl ReleasedHashes {
    /// The set of these hex digests; strings that are not sha256 hex are ignored.
    pub fn from_hex<I, S>(hashes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut digests: Vec<Digest> = hashes
            .into_iter()
            .filter_map(|h| parse_digest(h.as_ref()))
            .collect();
        digests.sort_unstable();
        digests.dedup();
        let prefixes: Vec<u64> = digests.iter().map(digest_prefix).collect();
        // At least 64 bits per digest, a power of two, at least one word.
        let bits = (prefixes.len() * 64).next_power_of_two().max(64);
        let filter_shift = 64 - bits.trailing_zeros();
        let mut filter = vec![0u64; bits / 64];
        for &prefix in &prefixes {
            let bit = (prefix >> filter_shift) as usize;
            filter[bit / 64] |= 1 << (bit % 64);
        }
        ReleasedHashes {
            digests,
            prefixes,
            filter,
            filter_shift,
        }
    }

    /// False when no released digest starts with `prefix` (never false for one that does).
    fn may_contain_prefix(&self, prefix: u64) -> bool {
        if self.prefixes.is_empty() {
            return false;
        }
        let bit = (prefix >> self.filter_shift) as usize;
        self.filter
            .get(bit / 64)
            .is_some_and(|word| word & (1 << (bit % 64)) != 0)
    }

    /// Whether the digest was released: a search over integers, then one full comparison.
    pub fn contains(&self, digest: &Digest) -> bool {
        let prefix = digest_prefix(digest);
        if !self.may_contain_prefix(prefix) {
            return false;
        }
        let start = self.prefixes.partition_point(|&p| p < prefix);
        self.prefixes[start..]
            .iter()
            .take_while(|&&p| p == prefix)
            .zip(&self.digests[start..])
            .any(|(_, d)| d == digest)
    }

    /// The released digests, sorted.
    pub fn iter(&self) -> impl Iterator<Item = &Digest> {
        self.digests.iter()
    }

    /// Whether the hex digest was released.
    pub fn contains_hex(&self, hex: &str) -> bool {
        parse_digest(hex).is_some_and(|d| self.contains(&d))
    }

    /// Number of distinct released digests.
    pub fn len(&self) -> usize {
        self.digests.len()
    }

    /// Whether nothing was released.
    pub fn is_empty(&self) -> bool {
        self.digests.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::fake_hash;

    #[test]
    fn released_hashes_ignore_garbage() {
        let r = ReleasedHashes::from_hex(["nothex", &fake_hash("a"), &fake_hash("a")]);
        assert_eq!(r.len(), 1);
        assert!(r.contains_hex(&fake_hash("a")));
        assert!(!r.contains_hex(&fake_hash("b")));
        assert_eq!(
            parse_digest(&fake_hash("a")).map(|d| digest_hex(&d)),
            Some(fake_hash("a"))
        );
        assert_eq!(parse_digest("zz"), None);
    }

    proptest::proptest! {
        /// The table-driven hex parser agrees with the `hex` crate on every 64-character
        /// string of hex digits of either case and near misses.
        #[test]
        fn parse_digest_agrees_with_hex(text in "[0-9a-fA-FgG/: \\x{ff}]{64}|[0-9a-f]{60,66}") {
            let expected = (text.len() == 64)
                .then(|| hex::decode(&text).ok())
                .flatten()
                .and_then(|v| <Digest>::try_from(v).ok());
            proptest::prop_assert_eq!(parse_digest(&text), expected);
        }

        /// WS-5 row 2: the released set (with its prefix filter) answers exactly as a plain
        /// set, for members, strangers and digests that share a member's first 8 bytes.
        #[test]
        fn released_hashes_answer_exactly(
            members in proptest::collection::vec(proptest::array::uniform32(proptest::num::u8::ANY), 0..300),
            strangers in proptest::collection::vec(proptest::array::uniform32(proptest::num::u8::ANY), 0..50),
        ) {
            let set = ReleasedHashes::from_hex(members.iter().map(digest_hex));
            let plain: std::collections::HashSet<Digest> = members.iter().copied().collect();
            proptest::prop_assert_eq!(set.len(), plain.len());
            for digest in &members {
                proptest::prop_assert!(set.contains(digest));
                let mut near = *digest;
                near[31] ^= 1;
                proptest::prop_assert_eq!(set.contains(&near), plain.contains(&near));
            }
            for digest in &strangers {
                proptest::prop_assert_eq!(set.contains(digest), plain.contains(digest));
            }
        }
    }
}
