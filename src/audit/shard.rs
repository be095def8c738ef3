//! `--shard K/N`: which targets belong to shard K of N, decided by the target's name alone, so
//! that N jobs that never talk to each other cover every target exactly once.
//!
//! The name is hashed with MD5 (stable across builds, platforms and Rust versions, unlike the
//! standard library's hasher): N jobs running different releases still split alike.

use md5::{Digest, Md5};

/// Shard `index` (1-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    pub fn new(index: u32, count: u32) -> Self {
        assert!(
            (1..=count).contains(&index),
            "shard {index}/{count} is checked by the CLI"
        );
        Shard { index, count }
    }

    /// Whether the target named `name` is this shard's.
    pub fn owns(&self, name: &str) -> bool {
        shard_of(name, self.count) == self.index
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The 1-based shard of `count` that `name` falls into.
pub fn shard_of(name: &str, count: u32) -> u32 {
    let digest = Md5::digest(name.as_bytes());
    let mut head = [0u8; 8];
    head.copy_from_slice(&digest[..8]);
    let bucket = u64::from_be_bytes(head) % u64::from(count.max(1));
    u32::try_from(bucket).expect("below count") + 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    proptest! {
        #[test]
        fn the_shards_partition_every_target_list(
            names in proptest::collection::btree_set("[a-z0-9.-]{1,30}", 0..200),
            count in 1u32..12,
        ) {
            let mut union = BTreeSet::new();
            for index in 1..=count {
                let shard = Shard::new(index, count);
                for name in names.iter().filter(|n| shard.owns(n)) {
                    // Pairwise disjoint: no name is in two shards.
                    prop_assert!(union.insert(name.clone()), "{} in two shards", name);
                }
            }
            // The union is exactly the whole set.
            prop_assert_eq!(union, names);
        }
    }

    #[test]
    fn the_split_is_stable_across_releases() {
        // Pinned: jobs running different builds must agree on every target's shard.
        let shards: Vec<u32> = ["acme-video", "acme-archive", "legacy-1", "a"]
            .iter()
            .map(|n| shard_of(n, 4))
            .collect();
        assert_eq!(shards, PINNED);
    }

    // Any change here splits running fleets differently: a target checked twice or never.
    const PINNED: [u32; 4] = [2, 3, 2, 1];

    #[test]
    fn a_single_shard_holds_everything() {
        assert!(["x", "y", ""].iter().all(|n| Shard::new(1, 1).owns(n)));
    }

    #[test]
    fn shards_are_not_empty_in_practice() {
        let names: Vec<String> = (0..1000).map(|i| format!("bucket-{i}")).collect();
        for index in 1..=4 {
            let owned = names
                .iter()
                .filter(|n| Shard::new(index, 4).owns(n))
                .count();
            assert!(
                (150..350).contains(&owned),
                "shard {index}/4 has {owned} of 1000"
            );
        }
    }
}
