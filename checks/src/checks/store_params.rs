//! `store-params`: the `/s3/store` parameters are well-formed before anything is sent.

use crate::check::{Category, Check, CheckInfo};
use crate::path_template::{self, Piece};
use crate::path_variables::{self, VariableProblem};
use crate::target::{is_region_code, suggest_region};
use crate::{Context, Findings, Outcome};
use async_trait::async_trait;

pub struct StoreParams;

static INFO: CheckInfo = CheckInfo {
    id: "store-params",
    title: "Store parameters are well-formed",
    category: Category::Parameters,
    online: false,
    requires: &[],
    docs: DOCS,
};

const DOCS: &str = r#"## What it checks
The parameters of the store step, as given with `--acl`, `--bucket-region`, `--url-prefix` and
`--path`:
- `acl` is one of `public`, `public-read`, `private`, `bucket-default`, and which `x-amz-acl`
  header it makes the upload send (`public-read`, `private`, or none);
- `bucket_region`, when given, has the shape of an AWS region code (`eu-west-1`,
  `us-gov-west-1`), with a suggestion for common slips (`EU`, `eu-west1`, an endpoint host name);
- `url_prefix`, when given, is an absolute `http://` or `https://` URL ending in `/`, without a
  query string or fragment;
- `path` is not empty, does not end in `/`, closes every `${`, and (warnings) does not start
  with `/`, contain `//`, or lack variables altogether;
- every `${...}` in `path` is one of Transloadit's documented Assembly Variables
  (`${unique_prefix}`, `${file.url_name}`, `${file.id}`, `${fields.NAME}`, `${file.meta.NAME}`,
  ...): a close miss (`${file.url_nam}`) fails with the variable that was meant, an unknown name
  warns; variable-like text that Transloadit stores literally (`$unique_prefix`,
  `{unique_prefix}`) fails with the variable it resembles.
- `headers` (`--header`) holds nothing S3 refuses or the client must compute per file
  (`Authorization`, `Host`, `Content-Length`, `Content-MD5`, `x-amz-checksum-*`, `x-amz-date`,
  …), an `x-amz-server-side-encryption` S3 accepts (`AES256`, `aws:kms`, `aws:kms:dsse`), a KMS
  key id only with `aws:kms`, no `x-amz-acl` contradicting `acl` (or sent with
  `bucket-default`), no `x-amz-grant-*` beside a canned ACL, no `x-amz-tagging` beside `tags`,
  and (warning) ASCII `x-amz-meta-*` values;
- `tags` (`--tag`) keep S3's rules: at most 10, unique keys of 1–128 characters not starting
  with `aws:`, values up to 256, only letters, digits, spaces and `+ - = . _ : / @`; a value
  taken from `${file.name}` warns (file names may hold other characters).

## Why it matters
The service builds each request and each result URL from these values verbatim. A region code
with a typo sends every request to an endpoint that does not exist. A `url_prefix` without the
trailing slash is glued to the path (`https://cdn.example.comf2/...`). A path ending in `/`
stores files under a key that looks like a folder; an unclosed `${` stores the literal text; a
misspelt variable does not expand to the value meant, and `$unique_prefix` or `{unique_prefix}`
is stored as literal text, so files with the same name overwrite each other; a path without
variables makes every file overwrite the previous one; a leading `/` creates a top-level folder
with an empty name and URLs with `//`.

## What it cannot see
It reads the parameters only, offline. Whether the values fit the real bucket (its region,
ACL settings, encryption, policies) is for the online checks; with `--offline` the report lists
them as not run, never as passed.

## How to fix
- `headers`: remove what the client computes (set `check_integrity: true` for a checksum);
  choose the ACL with `acl`, tags with `tags`; `x-amz-server-side-encryption: aws:kms` with the
  key's ARN in `x-amz-server-side-encryption-aws-kms-key-id`.
- `tags`: keep to S3's characters; use `${file.url_name}` rather than `${file.name}` in values.
- `bucket_region`: use the region code shown in the S3 console next to the bucket (for example
  `eu-west-1`), or leave it out and let the service look it up.
- `url_prefix`: write it as an absolute URL ending in `/`, such as `https://cdn.example.com/`.
- `path`: keep the default `${unique_prefix}/${file.url_name}`, or build on it, such as
  `exports/${unique_prefix}/${file.url_name}`.

## Errors this prevents
`bucket-preflight diagnose` names these; this check confirms or rules them out.
- `KeyTooLongError`: cause `key-too-long`.
- `S3_STORE_VALIDATION`: cause `invalid-parameter`.

## References
- Transloadit `/s3/store` parameters: https://transloadit.com/docs/robots/s3-store/
- Assembly Variables: https://transloadit.com/docs/topics/assembly-variables/
- PutObject request headers: https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html
- Object tagging limits: https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-tagging.html
- AWS regions: https://docs.aws.amazon.com/general/latest/gr/s3.html
"#;

fn check_region(region: &str, found: &mut Findings) {
    if is_region_code(region) {
        return;
    }
    let fix = match suggest_region(region) {
        Some(suggestion) => format!("Set `bucket_region: {suggestion}`."),
        None => "Set `bucket_region` to the region code shown next to the bucket in the S3 console (such as `eu-west-1`), or leave it out.".to_owned(),
    };
    found.fail(
        format!("`bucket_region: {region}` is not an AWS region code"),
        fix,
    );
}

pub use crate::url_prefix::problems as url_prefix_problems;

fn check_url_prefix(prefix: &str, path: &str, found: &mut Findings) {
    let suggestion =
        if prefix.contains("://") && !prefix.ends_with('/') && !prefix.contains(['?', '#']) {
            format!("Set `url_prefix: {prefix}/`.")
        } else {
            "Set `url_prefix` to an absolute URL ending in `/`, such as `https://cdn.example.com/`."
                .to_owned()
        };
    for mut problem in url_prefix_problems(prefix) {
        // Transloadit concatenates: show the address a file would really get.
        if problem.contains("does not end in `/`") {
            if let Some(key) = path_template::render_sample(path) {
                problem = format!(
                    "{problem}: Transloadit concatenates, so `{}` is served at `{prefix}{key}`",
                    path_template::SAMPLE_FILE_NAME
                );
            }
        }
        found.fail(problem, suggestion.clone());
    }
}

fn check_path(path: &str, found: &mut Findings) {
    const DEFAULT_FIX: &str = "Use the default `path: ${unique_prefix}/${file.url_name}`, optionally after a folder such as `exports/`.";
    if path.trim().is_empty() {
        return found.fail("`path` is empty", DEFAULT_FIX);
    }
    match path_template::parse(path) {
        Err(err) => found.fail(
            format!("`path` is malformed: {err}"),
            "Close every `${` with `}`, e.g. `${file.url_name}`.",
        ),
        Ok(pieces) if !pieces.iter().any(|p| matches!(p, Piece::Variable(_))) => found.warn(
            "`path` has no variables: every file is stored under the same key and overwrites the one before",
            format!(
                "Add a unique part, such as `path: {}/${{unique_prefix}}/${{file.url_name}}`.",
                path.trim_end_matches('/')
            ),
        ),
        Ok(_) => {}
    }
    for problem in path_variables::problems(path) {
        let (summary, fix) = problem.describe(path);
        match problem {
            // A variable that resembles none may be a newer one than this tool knows.
            VariableProblem::Unknown {
                suggestion: None, ..
            } => found.warn(summary, fix),
            _ => found.fail(summary, fix),
        }
    }
    if path.ends_with('/') {
        found.fail(
            "`path` ends in `/`, so files are stored under a key without a file name",
            format!("End it with the file name: `path: {path}${{file.url_name}}`."),
        );
    }
    if path.starts_with('/') {
        found.warn(
            "`path` starts with `/`: keys get an empty top-level folder and URLs contain `//`",
            format!(
                "Drop the leading slash: `path: {}`.",
                path.trim_start_matches('/')
            ),
        );
    }
    if path.trim_start_matches('/').contains("//") {
        found.warn(
            "`path` contains `//`, an empty folder name",
            "Remove the doubled slash.",
        );
    }
}

#[async_trait]
impl Check for StoreParams {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    async fn run(&self, ctx: &Context) -> Outcome {
        let target = &ctx.target;
        let mut found = Findings::default();
        if let Some(region) = &target.bucket_region {
            check_region(region, &mut found);
        }
        if let Some(prefix) = &target.url_prefix {
            check_url_prefix(prefix, &target.path, &mut found);
        }
        check_path(&target.path, &mut found);
        check_key_length(&target.path, &mut found);
        crate::store_headers::problems(target, &mut found);

        let acl_header = target
            .acl
            .canned_header()
            .map_or("no ACL header".to_owned(), |h| format!("x-amz-acl: {h}"));
        let prefix = match target.key_prefix() {
            "" => "no fixed key prefix".to_owned(),
            prefix => format!("key prefix `{prefix}`"),
        };
        found
            .into_outcome(format!(
                "store parameters are well-formed (acl `{}` sends {acl_header}; {prefix})",
                target.acl
            ))
            .with_evidence("acl", target.acl.as_str())
            .with_evidence("acl_header", acl_header)
            .with_evidence("bucket_region", serde_json::json!(target.bucket_region))
            .with_evidence("path", target.path.as_str())
            .with_evidence("key_prefix", target.key_prefix())
            .with_evidence("url_prefix", serde_json::json!(target.url_prefix))
    }
}

/// S3 refuses object keys over 1024 bytes (UTF-8): a path whose keys grow past that fails every
/// upload, however permissions are set up.
const MAX_KEY_BYTES: usize = 1024;

fn check_key_length(path: &str, found: &mut Findings) {
    let longest = crate::iam::export_request::sample_keys(path)
        .into_iter()
        .max_by_key(String::len);
    if let Some(key) = longest.filter(|k| k.len() > MAX_KEY_BYTES) {
        found.fail(
            format!(
                "`path` makes object keys of {} bytes (for example for a file named like a photo), but S3 accepts at most {MAX_KEY_BYTES}: every upload would fail",
                key.len()
            ),
            "Shorten the fixed part of `path`; keys (prefix, `${unique_prefix}` and the file name together) must stay within 1024 bytes.",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Acl, Status, Target};

    async fn run(configure: impl FnOnce(&mut Target)) -> Outcome {
        let mut target = Target::new("my-bucket");
        configure(&mut target);
        StoreParams.run(&Context::offline(target)).await
    }

    #[tokio::test]
    async fn defaults_pass() {
        let outcome = run(|_| {}).await;
        assert_eq!(outcome.status, Status::Pass, "{outcome:?}");
        assert!(outcome.summary.contains("x-amz-acl: public-read"));
        let outcome = run(|t| t.acl = Acl::BucketDefault).await;
        assert!(
            outcome.summary.contains("sends no ACL header"),
            "{}",
            outcome.summary
        );
    }

    #[tokio::test]
    async fn keys_longer_than_s3_accepts_fail() {
        let outcome = run(|t| t.path = format!("{}/${{file.url_name}}", "a".repeat(1010))).await;
        assert_eq!(outcome.status, Status::Fail, "{outcome:?}");
        assert!(
            outcome.summary.contains("at most 1024"),
            "{}",
            outcome.summary
        );
        let outcome = run(|t| t.path = format!("{}/${{file.url_name}}", "a".repeat(900))).await;
        assert_eq!(outcome.status, Status::Pass, "{outcome:?}");
    }

    #[tokio::test]
    async fn bad_region_fails_with_a_suggestion() {
        let outcome = run(|t| t.bucket_region = Some("eu-west1".into())).await;
        assert_eq!(outcome.status, Status::Fail);
        assert_eq!(
            outcome.remediation.as_deref(),
            Some("Set `bucket_region: eu-west-1`.")
        );
    }

    #[tokio::test]
    async fn url_prefix_rules() {
        let outcome = run(|t| t.url_prefix = Some("https://cdn.example.com".into())).await;
        assert_eq!(outcome.status, Status::Fail);
        assert!(outcome.summary.contains("does not end in `/`"));
        assert_eq!(
            outcome.remediation.as_deref(),
            Some("Set `url_prefix: https://cdn.example.com/`.")
        );
        let outcome = run(|t| t.url_prefix = Some("https://cdn.example.com/?x=1".into())).await;
        assert!(
            outcome.summary.contains("query string"),
            "{}",
            outcome.summary
        );
        let outcome = run(|t| t.url_prefix = Some("https://cdn.example.com/files/".into())).await;
        assert_eq!(outcome.status, Status::Pass);
    }

    #[tokio::test]
    async fn path_rules() {
        for (path, status, needle) in [
            ("", Status::Fail, "empty"),
            ("exports/", Status::Fail, "ends in `/`"),
            ("exports/${file.url_name", Status::Fail, "never closed"),
            ("/exports/${file.url_name}", Status::Warn, "starts with `/`"),
            ("exports//${file.url_name}", Status::Warn, "`//`"),
            ("exports/logo.png", Status::Warn, "no variables"),
            (
                "${unique_prefix}/${file.url_nam}",
                Status::Fail,
                "did you mean `${file.url_name}`",
            ),
            (
                "$unique_prefix/${file.url_name}",
                Status::Fail,
                "did you mean `${unique_prefix}`",
            ),
            (
                "{unique_prefix}/${file.url_name}",
                Status::Fail,
                "did you mean `${unique_prefix}`",
            ),
            (
                "${unique_prefix}/${file.colour}",
                Status::Warn,
                "not one of Transloadit's documented",
            ),
            (
                "exports/${unique_prefix}/${file.url_name}",
                Status::Pass,
                "key prefix `exports/`",
            ),
        ] {
            let outcome = run(|t| t.path = path.into()).await;
            assert_eq!(outcome.status, status, "{path}: {outcome:?}");
            assert!(
                outcome.summary.contains(needle),
                "{path}: {}",
                outcome.summary
            );
            assert!(outcome.status == Status::Pass || outcome.remediation.is_some());
        }
    }
}
