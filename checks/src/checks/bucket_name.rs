//! `bucket-name`: the bucket name follows S3's naming rules for general-purpose buckets.

use crate::check::{Category, Check, CheckInfo};
use crate::target::path_style_url_prefix;
use crate::{Context, Outcome};
use async_trait::async_trait;

pub struct BucketName;

static INFO: CheckInfo = CheckInfo {
    id: "bucket-name",
    title: "Bucket name is valid and DNS-compliant",
    category: Category::Parameters,
    online: false,
    requires: &[],
    docs: DOCS,
};

const DOCS: &str = r#"## What it checks
The bucket name against every current naming rule for S3 general-purpose buckets:
- 3 to 63 characters long;
- only lowercase letters, digits, periods (`.`) and hyphens (`-`);
- begins and ends with a letter or digit;
- no two adjacent periods;
- not formatted as an IP address (such as `192.168.5.4`);
- does not begin with the reserved prefixes `xn--`, `sthree-` or `amzn-s3-demo-`;
- does not end with the reserved suffixes `-s3alias`, `--ol-s3`, `.mrap`, `--x-s3` or `--table-s3`.

A name with periods is valid but gets a warning (see below). Every violated rule is named.

## Why it matters
The export service addresses the bucket as a host name (`BUCKET.s3.amazonaws.com`), and builds
the public URL of every stored file the same way. A name that is not a valid DNS label cannot be
addressed like that at all: uppercase letters are folded to lowercase by DNS (so the request
reaches a different bucket name) and underscores are not allowed in host names. Legacy buckets in
us-east-1 could be created with such names and still work with path-style URLs, so the remaining
checks still run.

Periods are legal, but the wildcard certificate `*.s3.amazonaws.com` covers one label only:
`https://my.bucket.s3.amazonaws.com/...` fails certificate validation, so HTTPS result URLs
break, and S3 Transfer Acceleration refuses such buckets.

## What it cannot see
It reads the name only, offline. Whether the bucket exists and who owns it is for
`bucket-exists`; whether a CDN or custom domain in `url_prefix` avoids a dotted name's
certificate problem only `public-url` can tell, by fetching the URL.

## How to fix
- Invalid name: buckets cannot be renamed. Create a new bucket with a compliant name (lowercase
  letters, digits and hyphens, e.g. `my-exports-2024`) and set the store step's `bucket` to it.
- Keeping an existing legacy bucket with an invalid name: address it path-style by setting
  `url_prefix` to `https://s3.<bucket_region>.amazonaws.com/<bucket>/`.
- Name with periods: set `url_prefix` to the path-style URL above, or serve the files through a
  CDN with its own certificate; prefer hyphens over periods in new bucket names.

## Errors this prevents
`bucket-preflight diagnose` names these; this check confirms or rules them out.
- `InvalidBucketName`: cause `invalid-bucket-name`.
- `NoSuchBucket` / `S3_STORE_NOT_FOUND` from a misspelled name: cause `no-such-bucket`.
- `S3_STORE_VALIDATION` from a name S3 refuses: cause `invalid-parameter`.

## References
- General purpose bucket naming rules: https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
- Virtual hosting of buckets: https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html
- Transloadit `/s3/store` parameters (`bucket`, `url_prefix`): https://transloadit.com/docs/robots/s3-store/
"#;

const RESERVED_PREFIXES: [&str; 3] = ["xn--", "sthree-", "amzn-s3-demo-"];
const RESERVED_SUFFIXES: [&str; 5] = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];

/// One broken naming rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// A stable name for the rule, shown in evidence.
    pub rule: &'static str,
    pub message: String,
}

fn violation(rule: &'static str, message: impl Into<String>) -> Violation {
    Violation {
        rule,
        message: message.into(),
    }
}

/// Every naming rule `name` breaks, in the order the rules are documented.
pub fn violations(name: &str) -> Vec<Violation> {
    let mut found = Vec::new();
    let length = name.chars().count();
    if !(3..=63).contains(&length) {
        found.push(violation(
            "length",
            format!("is {length} characters long (3 to 63 allowed)"),
        ));
    }
    let uppercase: String = unique_chars(name, |c| c.is_ascii_uppercase());
    if !uppercase.is_empty() {
        found.push(violation(
            "uppercase",
            format!(
                "contains uppercase letters ({})",
                uppercase
                    .chars()
                    .map(String::from)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    if name.contains('_') {
        found.push(violation("underscore", "contains underscores (`_`)"));
    }
    let other: String = unique_chars(name, |c| {
        !(c.is_ascii_lowercase()
            || c.is_ascii_digit()
            || c == '.'
            || c == '-'
            || c == '_'
            || c.is_ascii_uppercase())
    });
    if !other.is_empty() {
        found.push(violation(
            "characters",
            format!(
                "contains characters other than a-z, 0-9, `.` and `-` ({})",
                quote_chars(&other)
            ),
        ));
    }
    // Case is the uppercase rule's business: here only whether it is a letter or digit at all.
    let alnum = |c: char| c.is_ascii_alphanumeric();
    if let Some(first) = name.chars().next().filter(|&c| !alnum(c)) {
        found.push(violation(
            "first-character",
            format!("begins with `{first}` (must begin with a letter or digit)"),
        ));
    }
    if let Some(last) = name
        .chars()
        .last()
        .filter(|&c| !alnum(c))
        .filter(|_| length > 1)
    {
        found.push(violation(
            "last-character",
            format!("ends with `{last}` (must end with a letter or digit)"),
        ));
    }
    if name.contains("..") {
        found.push(violation(
            "adjacent-periods",
            "contains two adjacent periods (`..`)",
        ));
    }
    if looks_like_ip_address(name) {
        found.push(violation("ip-address", "is formatted as an IP address"));
    }
    if let Some(prefix) = RESERVED_PREFIXES.iter().find(|p| name.starts_with(*p)) {
        found.push(violation(
            "reserved-prefix",
            format!("begins with the reserved prefix `{prefix}`"),
        ));
    }
    if let Some(suffix) = RESERVED_SUFFIXES.iter().find(|s| name.ends_with(*s)) {
        found.push(violation(
            "reserved-suffix",
            format!("ends with the reserved suffix `{suffix}`"),
        ));
    }
    found
}

/// Four dot-separated groups of one to three digits: what S3 treats as "formatted as an IP
/// address", whether or not the numbers are in range.
fn looks_like_ip_address(name: &str) -> bool {
    let groups: Vec<&str> = name.split('.').collect();
    groups.len() == 4
        && groups
            .iter()
            .all(|g| (1..=3).contains(&g.len()) && g.bytes().all(|b| b.is_ascii_digit()))
}

fn unique_chars(name: &str, keep: impl Fn(char) -> bool) -> String {
    let mut seen = String::new();
    for c in name.chars().filter(|&c| keep(c)) {
        if !seen.contains(c) {
            seen.push(c);
        }
    }
    seen
}

fn quote_chars(chars: &str) -> String {
    chars
        .chars()
        .map(|c| {
            if c == ' ' {
                "space".to_owned()
            } else {
                format!("`{c}`")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A compliant name close to `name`, for the rename hint; `None` when nothing sensible remains.
pub fn suggest_compliant_name(name: &str) -> Option<String> {
    let mut out = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        let c = if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' {
            c
        } else {
            '-'
        };
        let previous = out.chars().last();
        if (c == '-' && previous == Some('-')) || (c == '.' && previous == Some('.')) {
            continue;
        }
        out.push(c);
    }
    let mut candidate = out.trim_matches(|c: char| c == '-' || c == '.').to_owned();
    for prefix in RESERVED_PREFIXES {
        if let Some(rest) = candidate.strip_prefix(prefix) {
            candidate = rest.to_owned();
        }
    }
    for suffix in RESERVED_SUFFIXES {
        if let Some(rest) = candidate.strip_suffix(suffix) {
            candidate = rest.to_owned();
        }
    }
    candidate.truncate(63);
    let candidate = candidate
        .trim_matches(|c: char| c == '-' || c == '.')
        .to_owned();
    (violations(&candidate).is_empty() && candidate != name).then_some(candidate)
}

#[async_trait]
impl Check for BucketName {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    async fn run(&self, ctx: &Context) -> Outcome {
        let bucket = &ctx.target.bucket;
        let region = ctx.target.bucket_region.as_deref();
        let path_style = path_style_url_prefix(bucket, region);
        let broken = violations(bucket);
        if !broken.is_empty() {
            let rules: Vec<&str> = broken.iter().map(|v| v.rule).collect();
            let messages: Vec<&str> = broken.iter().map(|v| v.message.as_str()).collect();
            let rename = match suggest_compliant_name(bucket) {
                Some(name) => format!("Create a bucket with a compliant name (for example `{name}`) and set `bucket` to it; buckets cannot be renamed."),
                None => "Create a bucket with a compliant name (lowercase letters, digits and hyphens, 3 to 63 characters) and set `bucket` to it; buckets cannot be renamed.".to_owned(),
            };
            return Outcome::fail(
                format!("bucket name `{bucket}` {}", messages.join("; ")),
                format!("{rename} To keep using an existing legacy bucket with this name, address it path-style: set `url_prefix: {path_style}`."),
            )
            .with_detail("Names that are not valid DNS labels cannot be addressed as BUCKET.s3.amazonaws.com, which is how the export request and the default result URL reach the bucket.")
            .with_evidence("bucket", bucket.as_str())
            .with_evidence("violations", rules);
        }
        if bucket.contains('.') {
            return Outcome::warn(
                format!("bucket name `{bucket}` contains periods: HTTPS virtual-hosted URLs will fail certificate validation"),
                format!("Set `url_prefix: {path_style}` (path-style) so result URLs work over HTTPS, or serve files through a CDN with its own certificate."),
            )
            .with_detail("The certificate *.s3.amazonaws.com matches one DNS label only, so https://a.b.s3.amazonaws.com/ is rejected by browsers and HTTP clients. S3 Transfer Acceleration is also unavailable for such buckets.")
            .with_evidence("bucket", bucket.as_str());
        }
        Outcome::pass(format!("bucket name `{bucket}` is valid and DNS-compliant"))
            .with_evidence("bucket", bucket.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(name: &str) -> Vec<&'static str> {
        violations(name).into_iter().map(|v| v.rule).collect()
    }

    #[test]
    fn valid_names() {
        let sixty_three = "a".repeat(63);
        for name in [
            "abc",
            "my-bucket-123",
            "1bucket",
            "bucket1",
            "a.b.c",
            "my.dotted.bucket",
            "1.2.3",
            "192.168.5.4a",
            "xn-bucket",
            "s3alias",
            sixty_three.as_str(),
        ] {
            assert_eq!(rules(name), Vec::<&str>::new(), "{name} should be valid");
        }
    }

    #[test]
    fn each_rule_is_named() {
        let sixty_four = "a".repeat(64);
        let cases: &[(&str, &[&str])] = &[
            ("", &["length"]),
            ("ab", &["length"]),
            (&sixty_four, &["length"]),
            ("My_Bucket", &["uppercase", "underscore"]),
            ("my_bucket", &["underscore"]),
            ("MYBUCKET", &["uppercase"]),
            ("_bucket", &["underscore", "first-character"]),
            ("my bucket", &["characters"]),
            ("bücket", &["characters"]),
            ("-bucket", &["first-character"]),
            ("bucket-", &["last-character"]),
            (".bucket", &["first-character"]),
            ("bucket.", &["last-character"]),
            ("a..b", &["adjacent-periods"]),
            ("192.168.5.4", &["ip-address"]),
            ("999.999.999.999", &["ip-address"]),
            ("xn--bucket", &["reserved-prefix"]),
            ("sthree-bucket", &["reserved-prefix"]),
            ("sthree-configurator", &["reserved-prefix"]),
            ("amzn-s3-demo-bucket", &["reserved-prefix"]),
            ("bucket-s3alias", &["reserved-suffix"]),
            ("bucket--ol-s3", &["reserved-suffix"]),
            ("bucket.mrap", &["reserved-suffix"]),
            ("bucket--x-s3", &["reserved-suffix"]),
            ("bucket--table-s3", &["reserved-suffix"]),
        ];
        for (name, expected) in cases {
            assert_eq!(rules(name), *expected, "{name}");
        }
    }

    #[test]
    fn suggestions_are_compliant() {
        assert_eq!(
            suggest_compliant_name("My_Bucket").as_deref(),
            Some("my-bucket")
        );
        assert_eq!(
            suggest_compliant_name("-Exports..2024-").as_deref(),
            Some("exports.2024")
        );
        assert_eq!(
            suggest_compliant_name("xn--Bucket").as_deref(),
            Some("xn-bucket")
        );
        assert_eq!(
            suggest_compliant_name("sthree-Files").as_deref(),
            Some("files")
        );
        assert_eq!(suggest_compliant_name("ok-bucket"), None);
        assert_eq!(suggest_compliant_name("__"), None);
    }

    async fn run(name: &str) -> Outcome {
        BucketName
            .run(&Context::offline(crate::Target::new(name)))
            .await
    }

    #[tokio::test]
    async fn outcomes() {
        let bad = run("My_Bucket").await;
        assert_eq!(bad.status, crate::Status::Fail);
        assert!(
            bad.summary.contains("uppercase letters (M, B)") && bad.summary.contains("underscores"),
            "{}",
            bad.summary
        );
        let fix = bad.remediation.unwrap();
        assert!(
            fix.contains("`my-bucket`")
                && fix.contains("url_prefix: https://s3.<bucket_region>.amazonaws.com/My_Bucket/"),
            "{fix}"
        );

        let dotted = run("my.dotted.bucket").await;
        assert_eq!(dotted.status, crate::Status::Warn);
        assert!(dotted.summary.contains("HTTPS"));
        assert!(dotted
            .remediation
            .unwrap()
            .contains("https://s3.<bucket_region>.amazonaws.com/my.dotted.bucket/"));

        assert_eq!(run("valid-bucket-123").await.status, crate::Status::Pass);
    }
}
