//! Probe keys and bodies: the reserved, self-identifying names the dry run writes under, and how
//! an earlier run's leftover probe is recognised without reading it.
//!
//! A probe key is `DIR` + `STEM.` + `bucket-preflight-probe-` + 32 hex digits + `EXT`, where
//! `DIR`, `STEM` and `EXT` come from `--probe-key` (default: the path's fixed prefix, no stem,
//! `.txt`). The 32 hex digits are the writing run's id, so every run has a key of its own: two
//! runs at once never write to the same key. A leftover is recognised by name and size alone
//! (the body always has the same length), because the least-privilege export policy grants
//! neither s3:GetObject (to read metadata) nor a way around SSE-KMS ETags, which are no MD5s.
//! Keys of that exact shape are reserved for the tool; the module docs of `dry-run-put` say so.

use md5::{Digest, Md5};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// The marker every probe key carries in its file name.
pub const PROBE_MARKER: &str = "bucket-preflight-probe-";

/// The fixed opening of every probe body; the writer's run id and a newline follow, so every
/// body has the same length ([`PROBE_LEN`]).
pub const PROBE_BODY: &[u8] = b"This object was written by bucket-preflight to prove that uploads to this bucket work.\nIt is safe to delete.\nrun ";

/// Hex digits of a run id.
const RUN_ID_LEN: usize = 32;

/// The size of every probe object while its run is under way.
pub const PROBE_LEN: usize = PROBE_BODY.len() + RUN_ID_LEN + 1;

/// Appended to a probe that its run could not delete (no s3:DeleteObject): the new size tells
/// later runs, from a listing alone, that the probe is abandoned and theirs to write over. A
/// probe of [`PROBE_LEN`] belongs to a run still under way and is never touched.
pub const ABANDONED_NOTE: &[u8] = b"left behind: its run could not delete it\n";

/// The size of an abandoned probe.
pub const ABANDONED_LEN: usize = PROBE_LEN + ABANDONED_NOTE.len();

/// A probe of a run's size older than this was abandoned by a run that could not finish (killed
/// mid-way): no run takes that long.
pub const STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(3600);

/// A random-enough id for one run: unique across concurrent runs and processes, not a secret.
pub fn new_run_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let mut hasher = Md5::new();
    hasher.update(now.to_le_bytes());
    hasher.update(std::process::id().to_le_bytes());
    hasher.update(COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    // The address of a fresh allocation differs between processes started at the same instant.
    let salt = Box::new(0u8);
    hasher.update((&*salt as *const u8 as usize).to_le_bytes());
    hex(&hasher.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The body a run writes: the fixed text, then the writer's run id.
pub fn probe_body(writer_run_id: &str) -> Vec<u8> {
    let mut body = PROBE_BODY.to_vec();
    body.extend_from_slice(writer_run_id.as_bytes());
    body.push(b'\n');
    body
}

/// Where probes of one run configuration go: everything of the key except the run id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyShape {
    /// Directory part and stem, ending with [`PROBE_MARKER`]: the prefix that lists leftovers.
    pub listing_prefix: String,
    /// What follows the run id, e.g. `.txt` or `.mp4` (may be empty).
    pub suffix: String,
}

impl KeyShape {
    /// The default shape: `PREFIX` + `bucket-preflight-probe-<id>.txt`.
    pub fn default_for(key_prefix: &str) -> Self {
        KeyShape {
            listing_prefix: format!("{key_prefix}{PROBE_MARKER}"),
            suffix: ".txt".to_owned(),
        }
    }

    /// A shape like a real key (`--probe-key exports/2024/clip.mp4` gives
    /// `exports/2024/clip.bucket-preflight-probe-<id>.mp4`): same directories, same start of the
    /// file name, same extension, so resource patterns such as `exports/*/*` or `*.mp4` treat it
    /// like the real file.
    pub fn like(real_key: &str) -> Self {
        let (dir, name) = match real_key.rfind('/') {
            Some(slash) => real_key.split_at(slash + 1),
            None => ("", real_key),
        };
        let (stem, ext) = match name.rfind('.') {
            Some(dot) if dot > 0 => name.split_at(dot),
            _ => (name, ""),
        };
        let stem = if stem.is_empty() {
            String::new()
        } else {
            format!("{stem}.")
        };
        KeyShape {
            listing_prefix: format!("{dir}{stem}{PROBE_MARKER}"),
            suffix: ext.to_owned(),
        }
    }

    pub fn key(&self, run_id: &str) -> String {
        format!("{}{run_id}{}", self.listing_prefix, self.suffix)
    }

    /// Whether `key` is a probe key of this shape (whatever run wrote it).
    pub fn is_probe_key(&self, key: &str) -> bool {
        key.strip_prefix(&self.listing_prefix)
            .and_then(|rest| rest.strip_suffix(&self.suffix))
            .is_some_and(|id| {
                id.len() == RUN_ID_LEN
                    && id
                        .bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            })
    }

    /// Whether a listed object is an earlier run's abandoned probe: a reserved key and exactly
    /// an abandoned probe's size, or a running probe's size and older than [`STALE_AFTER`]. A
    /// probe of another run still under way is never a leftover, so concurrent runs never
    /// write over each other's probe.
    pub fn is_leftover(
        &self,
        key: &str,
        size: Option<i64>,
        age: Option<std::time::Duration>,
    ) -> bool {
        self.is_probe_key(key)
            && (size == Some(ABANDONED_LEN as i64)
                || (size == Some(PROBE_LEN as i64) && age.is_some_and(|age| age > STALE_AFTER)))
    }
}

/// `key` as a URL path: everything but unreserved characters and `/` percent-encoded, so that
/// a `--probe-key` with spaces, `#` or `?` still names the object.
pub fn url_path(key: &str) -> String {
    key.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Checks `--probe-key` against the path: it must be a plain object key under the path's fixed
/// prefix, so that the probe lands where exports land.
pub fn validate_probe_key(key: &str, key_prefix: &str) -> Result<(), String> {
    if key.is_empty() {
        return Err("--probe-key must not be empty".into());
    }
    if key.starts_with('/') || key.ends_with('/') {
        return Err(format!(
            "--probe-key {key:?} must be an object key like exports/2024/clip.mp4, without a leading or trailing /"
        ));
    }
    if key.contains("${") {
        return Err(format!(
            "--probe-key {key:?} contains a variable: give a key as a real export would produce it, e.g. with the variables filled in"
        ));
    }
    if key.chars().any(char::is_control) {
        return Err("--probe-key must not contain control characters".into());
    }
    // S3 keys are at most 1024 bytes; the marker and run id take room too.
    if key.len() > 900 {
        return Err(format!(
            "--probe-key is {} bytes long; at most 900 are allowed",
            key.len()
        ));
    }
    if !key.starts_with(key_prefix) {
        return Err(format!(
            "--probe-key {key:?} is not under the path's fixed prefix {key_prefix:?}: the probe must land where exports land"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_differ_and_look_like_hex() {
        let (a, b) = (new_run_id(), new_run_id());
        assert_ne!(a, b);
        assert_eq!(a.len(), RUN_ID_LEN);
        assert!(KeyShape::default_for("x/").is_probe_key(&KeyShape::default_for("x/").key(&a)));
    }

    #[test]
    fn every_body_has_the_probe_length() {
        assert_eq!(probe_body(&new_run_id()).len(), PROBE_LEN);
    }

    #[test]
    fn default_keys_sit_under_the_prefix() {
        let shape = KeyShape::default_for("exports/");
        let id = "0123456789abcdef0123456789abcdef";
        assert_eq!(
            shape.key(id),
            "exports/bucket-preflight-probe-0123456789abcdef0123456789abcdef.txt"
        );
        let abandoned = Some(ABANDONED_LEN as i64);
        let just_now = Some(std::time::Duration::from_secs(5));
        let long_ago = Some(STALE_AFTER * 2);
        assert!(shape.is_leftover(&shape.key(id), abandoned, just_now));
        // Another run's probe while that run is under way: never a leftover. Only when it is
        // far older than any run (a run killed mid-way) is it taken for one.
        assert!(!shape.is_leftover(&shape.key(id), Some(PROBE_LEN as i64), just_now));
        assert!(!shape.is_leftover(&shape.key(id), Some(PROBE_LEN as i64), None));
        assert!(shape.is_leftover(&shape.key(id), Some(PROBE_LEN as i64), long_ago));
        // Someone's own file: another size, the old fixed name, or a name that only resembles one.
        assert!(!shape.is_leftover(&shape.key(id), Some(12), long_ago));
        assert!(!shape.is_leftover("exports/bucket-preflight-probe.txt", abandoned, long_ago));
        assert!(!shape.is_leftover(
            "exports/bucket-preflight-probe-notes.txt",
            abandoned,
            long_ago
        ));
        assert!(!shape.is_leftover(
            "exports/bucket-preflight-probe-0123456789ABCDEF0123456789abcdef.txt",
            abandoned,
            long_ago
        ));
    }

    #[test]
    fn keys_like_a_real_one_keep_its_directories_and_extension() {
        let id = "0123456789abcdef0123456789abcdef";
        let shape = KeyShape::like("exports/2024/clip.mp4");
        assert_eq!(
            shape.key(id),
            format!("exports/2024/clip.bucket-preflight-probe-{id}.mp4")
        );
        assert_eq!(
            KeyShape::like("exports/README").key(id),
            format!("exports/README.bucket-preflight-probe-{id}")
        );
        assert_eq!(
            KeyShape::like(".hidden").key(id),
            format!(".hidden.bucket-preflight-probe-{id}")
        );
    }

    #[test]
    fn keys_become_url_paths() {
        assert_eq!(url_path("exports/a b#1?.mp4"), "exports/a%20b%231%3F.mp4");
        assert_eq!(url_path("exports/ü.txt"), "exports/%C3%BC.txt");
    }

    #[test]
    fn probe_keys_must_be_plain_keys_under_the_prefix() {
        assert!(validate_probe_key("exports/a/b.mp4", "exports/").is_ok());
        assert!(validate_probe_key("anything.mp4", "").is_ok());
        for bad in [
            "",
            "/exports/a.mp4",
            "exports/a/",
            "exports/${file.name}",
            "other/a.mp4",
            "exports/\n.mp4",
        ] {
            let error = validate_probe_key(bad, "exports/").unwrap_err();
            assert!(!error.contains('\n'), "one line: {error}");
        }
        assert!(validate_probe_key(&format!("exports/{}", "a".repeat(950)), "exports/").is_err());
    }
}
