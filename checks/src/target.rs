//! The upload being checked: the bucket and the `/s3/store` parameters that shape the request.

use crate::path_template;
use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// The path template Transloadit's `/s3/store` uses when none is given.
pub const DEFAULT_PATH: &str = "${unique_prefix}/${file.url_name}";

/// The `acl` parameter of the store step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Acl {
    /// The documented default; sends `x-amz-acl: public-read`.
    Public,
    /// Same canned ACL as `public`.
    PublicRead,
    /// Sends `x-amz-acl: private` — still an ACL header, unlike `bucket-default`.
    Private,
    /// Sends no ACL header: the bucket's own settings decide.
    BucketDefault,
}

impl Acl {
    pub const VALUES: [&'static str; 4] = ["public", "public-read", "private", "bucket-default"];

    pub fn as_str(self) -> &'static str {
        match self {
            Acl::Public => "public",
            Acl::PublicRead => "public-read",
            Acl::Private => "private",
            Acl::BucketDefault => "bucket-default",
        }
    }

    /// The canned ACL the upload carries in `x-amz-acl`, if any.
    pub fn canned_header(self) -> Option<&'static str> {
        match self {
            Acl::Public | Acl::PublicRead => Some("public-read"),
            Acl::Private => Some("private"),
            Acl::BucketDefault => None,
        }
    }

    /// Whether stored files are meant to be readable by anyone with the URL.
    pub fn is_public(self) -> bool {
        matches!(self, Acl::Public | Acl::PublicRead)
    }
}

impl fmt::Display for Acl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Acl {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "public" => Ok(Acl::Public),
            "public-read" => Ok(Acl::PublicRead),
            "private" => Ok(Acl::Private),
            "bucket-default" => Ok(Acl::BucketDefault),
            other => Err(format!(
                "unknown acl '{other}': expected one of {}",
                Acl::VALUES.join(", ")
            )),
        }
    }
}

/// One bucket and the store parameters to check it against.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Target {
    pub bucket: String,
    pub acl: Acl,
    pub bucket_region: Option<String>,
    pub path: String,
    pub url_prefix: Option<String>,
    /// The endpoint S3 requests go to instead of AWS's: from `--endpoint-url`, or from the
    /// environment or profile that the SDK reads (see [`crate::endpoints`]).
    pub endpoint: Option<String>,
    /// Where `endpoint` came from (`--endpoint-url`, `AWS_ENDPOINT_URL_S3`, a profile, ...).
    pub endpoint_source: Option<String>,
    /// Where STS requests go when that is not AWS: identity is asked there.
    pub sts_endpoint: Option<String>,
    /// The store step's `headers`: sent with every file. An `x-amz-server-side-encryption*`
    /// or `Content-*` header here changes what the upload asks of the bucket.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        serialize_with = "serialize_headers"
    )]
    pub headers: Vec<(String, String)>,
    /// The store step's `tags`: set on every file, so the upload needs `s3:PutObjectTagging`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<(String, String)>,
    /// The store step's `sign_urls_for` (seconds): result URLs are presigned GETs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sign_urls_for: Option<u64>,
    /// The store step's `check_integrity`: the upload carries a checksum of the file.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub check_integrity: bool,
    /// Where the parameters came from, when read from a Template or Assembly Instructions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<TargetSource>,
}

/// The Template or Assembly Instructions a target was read from (`check --template`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetSource {
    /// The file as given (`-` for standard input).
    pub file: String,
    /// The step's name (`TEMPLATE/STEP` on a Template list page).
    pub step: String,
    /// The step's Robot, such as `/s3/store`.
    pub robot: String,
    /// What the report must say about the step: parameters Transloadit would reject, inline
    /// keys, credentials the checks could not use.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// The step's headers for reports: values of secret headers (an SSE-C key) are never shown.
fn serialize_headers<S: serde::Serializer>(
    headers: &[(String, String)],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = serializer.serialize_seq(Some(headers.len()))?;
    for (name, value) in headers {
        let shown = if crate::store_headers::is_secret(name) {
            "(not shown)"
        } else {
            value.as_str()
        };
        seq.serialize_element(&(name, shown))?;
    }
    seq.end()
}

impl Target {
    /// A target with Transloadit's defaults: `acl: public` and the default path.
    pub fn new(bucket: impl Into<String>) -> Self {
        Target {
            bucket: bucket.into(),
            acl: Acl::Public,
            bucket_region: None,
            path: DEFAULT_PATH.to_owned(),
            url_prefix: None,
            endpoint: None,
            endpoint_source: None,
            sts_endpoint: None,
            headers: Vec::new(),
            tags: Vec::new(),
            sign_urls_for: None,
            check_integrity: false,
            source: None,
        }
    }

    /// The fixed part of `path` before its first variable: the key prefix that every stored
    /// file shares, and so the prefix that permissions and the dry-run probe use.
    pub fn key_prefix(&self) -> &str {
        path_template::fixed_prefix(&self.path)
    }

    /// The URL prefix stored files get: `url_prefix`, or Transloadit's default.
    pub fn effective_url_prefix(&self) -> String {
        match &self.url_prefix {
            Some(prefix) => prefix.clone(),
            None => default_url_prefix(&self.bucket),
        }
    }
}

/// Transloadit's default `url_prefix`: plain HTTP, virtual-hosted, on the global endpoint.
pub fn default_url_prefix(bucket: &str) -> String {
    format!("http://{bucket}.s3.amazonaws.com/")
}

/// Whether `region` has the shape of an AWS region code (`eu-west-1`, `us-gov-west-1`,
/// `ap-southeast-5`). Shape only: new regions appear faster than any list could follow.
pub fn is_region_code(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    if parts.len() < 3 {
        return false;
    }
    let (first, rest) = parts.split_first().expect("at least three parts");
    let (last, middle) = rest.split_last().expect("at least two parts");
    let lower = |p: &&str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase());
    first.len() == 2
        && lower(first)
        && middle.iter().all(lower)
        && (1..=2).contains(&last.len())
        && last.bytes().all(|b| b.is_ascii_digit())
}

/// A likely intended region code for a malformed `bucket_region`, for the remediation text.
pub fn suggest_region(given: &str) -> Option<String> {
    let lowered = given.trim().to_ascii_lowercase();
    if lowered == "eu" {
        // The legacy LocationConstraint `EU` names Ireland.
        return Some("eu-west-1".to_owned());
    }
    // An endpoint host pasted as region: s3.eu-west-1.amazonaws.com or s3-eu-west-1.amazonaws.com.
    for part in lowered.split(['.', '/']) {
        let candidate = part.strip_prefix("s3-").unwrap_or(part);
        if candidate != lowered && is_region_code(candidate) {
            return Some(candidate.to_owned());
        }
    }
    // A missing dash before the number: eu-west1 → eu-west-1.
    // (The split goes after the last non-digit character, which may be wider than one byte.)
    let split_at = lowered
        .char_indices()
        .rfind(|(_, c)| !c.is_ascii_digit())
        .map(|(i, c)| i + c.len_utf8())
        .filter(|&i| i < lowered.len());
    if let Some(i) = split_at {
        let (head, digits) = lowered.split_at(i);
        let candidate = format!("{}-{digits}", head.trim_end_matches('-'));
        if is_region_code(&candidate) {
            return Some(candidate);
        }
    }
    let candidate = lowered.replace('_', "-");
    is_region_code(&candidate).then_some(candidate)
}

/// A path-style URL prefix for `bucket`: the form that works for every bucket name over HTTPS.
pub fn path_style_url_prefix(bucket: &str, region: Option<&str>) -> String {
    let region = region.unwrap_or("<bucket_region>");
    format!("https://s3.{region}.amazonaws.com/{bucket}/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_suggestions_survive_non_ascii_input() {
        assert_eq!(suggest_region("é1"), None);
        assert_eq!(suggest_region("eu-wést1"), None);
        assert_eq!(suggest_region("eu-west1"), Some("eu-west-1".to_owned()));
    }

    #[test]
    fn region_shapes() {
        for ok in [
            "us-east-1",
            "eu-central-2",
            "ap-southeast-5",
            "us-gov-west-1",
            "cn-north-1",
            "us-isob-east-1",
            "il-central-1",
        ] {
            assert!(is_region_code(ok), "{ok}");
        }
        for bad in [
            "",
            "EU",
            "eu",
            "eu-west1",
            "EU-WEST-1",
            "eu-west-",
            "europe-west-1",
            "us-east-100",
            "s3.eu-west-1.amazonaws.com",
            "eu west 1",
        ] {
            assert!(!is_region_code(bad), "{bad}");
        }
    }

    #[test]
    fn region_suggestions() {
        assert_eq!(suggest_region("EU").as_deref(), Some("eu-west-1"));
        assert_eq!(suggest_region("eu-west1").as_deref(), Some("eu-west-1"));
        assert_eq!(suggest_region("EU-WEST-1").as_deref(), Some("eu-west-1"));
        assert_eq!(suggest_region("eu_west_1").as_deref(), Some("eu-west-1"));
        assert_eq!(
            suggest_region("s3.eu-west-1.amazonaws.com").as_deref(),
            Some("eu-west-1")
        );
        assert_eq!(
            suggest_region("s3-eu-west-1.amazonaws.com").as_deref(),
            Some("eu-west-1")
        );
        assert_eq!(suggest_region("Ireland"), None);
    }

    #[test]
    fn acl_headers() {
        assert_eq!(Acl::Public.canned_header(), Some("public-read"));
        assert_eq!(Acl::PublicRead.canned_header(), Some("public-read"));
        assert_eq!(Acl::Private.canned_header(), Some("private"));
        assert_eq!(Acl::BucketDefault.canned_header(), None);
        assert!("publci"
            .parse::<Acl>()
            .unwrap_err()
            .contains("public, public-read, private, bucket-default"));
    }

    #[test]
    fn key_prefix_is_the_fixed_part_of_the_path() {
        let mut t = Target::new("b");
        assert_eq!(t.key_prefix(), "");
        t.path = "exports/${assembly.id}/${file.url_name}".into();
        assert_eq!(t.key_prefix(), "exports/");
        t.path = "static/logo.png".into();
        assert_eq!(t.key_prefix(), "static/logo.png");
    }
}
