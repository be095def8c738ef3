//! `bucket-name`: the bucket name follows S3's naming rules for general-purpose buckets.

pub use crate::bucket_naming::{suggest_compliant_name, violations, Violation};
use crate::check::{Category, Check, CheckInfo};
use crate::corrected::legacy_path_style_fix;
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
- Invalid name: buckets cannot be renamed. Use a bucket with a compliant name (lowercase
  letters, digits and hyphens; the fix names one close to yours, such as `acme-exports` for
  `ACME-EXPORTS`), creating it if needed, and set the store step's `bucket` to it. When the
  online checks found a bucket under the name as given, the fix never suggests creating one.
- Keeping an existing legacy bucket with an invalid name: address it path-style by setting
  `no_vhost: true` and `url_prefix` to `https://s3.<bucket_region>.amazonaws.com/<bucket>/`.
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

#[async_trait]
impl Check for BucketName {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    async fn run(&self, ctx: &Context) -> Outcome {
        let bucket = &ctx.target.bucket;
        let corrected = ctx.target.corrected();
        let path_style = path_style_url_prefix(bucket, corrected.bucket_region.as_deref());
        let broken = violations(bucket);
        if !broken.is_empty() {
            let rules: Vec<&str> = broken.iter().map(|v| v.rule).collect();
            let messages: Vec<&str> = broken.iter().map(|v| v.message.as_str()).collect();
            let region = corrected.bucket_region.as_deref().unwrap_or("REGION");
            let keep_legacy = legacy_path_style_fix(&ctx.target);
            let fix = match (ctx.bucket_found().await, suggest_compliant_name(bucket)) {
                // It exists: never suggest creating it; keeping it is the first option.
                (Some(true), Some(name)) => format!("`{bucket}` exists under this legacy name. {keep_legacy} Or move to a new bucket with a compliant name such as `{name}` and set `bucket: {name}` (buckets cannot be renamed)."),
                (Some(true), None) => format!("`{bucket}` exists under this legacy name. {keep_legacy}"),
                (_, Some(name)) => format!("Set `bucket: {name}`, a compliant name (create it if needed: `aws s3 mb s3://{name} --region {region}`); buckets cannot be renamed. {keep_legacy}"),
                (_, None) => format!("Use a bucket with a compliant name (lowercase letters, digits and hyphens, 3 to 63 characters) and set `bucket` to it; buckets cannot be renamed. {keep_legacy}"),
            };
            return Outcome::fail(
                format!("bucket name `{bucket}` {}", messages.join("; ")),
                fix,
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
            fix.contains("`bucket: my-bucket`")
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

    async fn run_online(name: &str, region: &str, head_status: u16) -> Outcome {
        let replay = crate::replay::Replay::new().identity().on(
            "HEAD",
            "amazonaws.com",
            head_status,
            &[("x-amz-bucket-region", "us-east-1")],
            "",
        );
        let (session, _) = replay.session(Default::default()).await;
        let mut target = crate::Target::new(name);
        target.bucket_region = Some(region.into());
        BucketName
            .run(&Context::online(target, std::sync::Arc::new(session)))
            .await
    }

    #[tokio::test]
    async fn fixes_use_the_corrected_name_and_region() {
        let mut target = crate::Target::new("ACME-EXPORTS");
        target.bucket_region = Some("EU".into());
        let fix = BucketName
            .run(&Context::offline(target))
            .await
            .remediation
            .unwrap();
        for wanted in [
            "Set `bucket: acme-exports`",
            "`aws s3 mb s3://acme-exports --region eu-west-1`",
            "`url_prefix: https://s3.eu-west-1.amazonaws.com/ACME-EXPORTS/`",
        ] {
            assert!(fix.contains(wanted), "{wanted} not in {fix}");
        }
        for unwanted in ["s3.EU.", "mb s3://ACME-EXPORTS", "--region EU"] {
            assert!(!fix.contains(unwanted), "{unwanted} in {fix}");
        }
    }

    #[tokio::test]
    async fn a_bucket_the_online_checks_found_is_never_to_be_created() {
        let found = run_online("ACME-EXPORTS", "EU", 200).await;
        assert_eq!(found.status, crate::Status::Fail);
        let fix = found.remediation.unwrap();
        assert!(fix.starts_with("`ACME-EXPORTS` exists"), "{fix}");
        assert!(!fix.contains("aws s3 mb"), "{fix}");
        assert!(!fix.to_ascii_lowercase().contains("create"), "{fix}");

        let missing = run_online("ACME-EXPORTS", "EU", 404).await;
        let fix = missing.remediation.unwrap();
        assert!(
            fix.contains("aws s3 mb s3://acme-exports --region eu-west-1"),
            "{fix}"
        );
    }
}
