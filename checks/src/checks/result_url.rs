//! `result-url`: the URL a stored file gets, previewed, and whether it will work.

use crate::check::{Category, Check, CheckInfo};
use crate::checks::bucket_name;
use crate::checks::store_params::url_prefix_problems;
use crate::corrected::legacy_path_style_fix;
use crate::path_template::{self, Piece, SAMPLE_FILE_NAME};
use crate::target::path_style_url_prefix;
use crate::url_prefix::{doubled_segments, route, PrefixRoute};
use crate::{Context, Findings, Outcome, Target};
use async_trait::async_trait;

pub struct ResultUrl;

static INFO: CheckInfo = CheckInfo {
    id: "result-url",
    title: "Result URLs of stored files will work",
    category: Category::Parameters,
    online: false,
    requires: &[],
    docs: DOCS,
};

const DOCS: &str = r#"## What it checks
Builds the URL a stored file gets, exactly as the store step does: `url_prefix` (or the default
`http://BUCKET.s3.amazonaws.com/`) followed by the `path` expanded for a sample file named
`Summer holiday (1).jpg` (`${file.url_name}` turns non-alphanumeric characters into `_` and
spaces into `-`). Then it looks for what breaks such URLs:
- plain `http://` (the default): warning;
- a virtual-hosted HTTPS URL for a bucket whose name contains periods: warning, the certificate
  does not match;
- a virtual-hosted URL for a bucket name that is not a DNS label (uppercase, underscores):
  failure, the host name cannot reach the bucket;
- the default AWS URL while the bucket lives on an S3-compatible endpoint (`--endpoint-url`):
  warning;
- keys with characters that must be percent-encoded in URLs (from `${file.name}` and the like):
  warning;
- a prefix written twice (`url_prefix: …/acme-exports/exports/` with `path: exports/…` gives
  `…/exports/exports/…`): failure at the bucket's own endpoint, where every path segment of
  `url_prefix` becomes part of the key; warning behind a CDN, whose origin path could add it
  back.

## Why it matters
The result URL is what ends up in your application, your database or your users' browsers.
Plain HTTP is blocked as mixed content on HTTPS pages and can be altered in transit. A URL whose
certificate does not match fails in every browser. A URL pointing at the wrong host serves
nothing at all, even though the upload itself succeeded.

## What it cannot see
It builds the URL offline. Whether that URL serves the file (DNS, a CDN's origin access,
certificates, bucket settings) only `public-url` can tell, by fetching it after the dry run.

## How to fix
- Set `url_prefix` to an HTTPS URL: `https://BUCKET.s3.amazonaws.com/` for DNS-compliant names
  without periods, or the path-style `https://s3.REGION.amazonaws.com/BUCKET/` otherwise, or
  your CDN's URL.
- On an S3-compatible store, set `url_prefix` to the URL under which that store serves the bucket.
- Build `path` from `${file.url_name}` rather than `${file.name}`.
- Say a key prefix once: in `path`, not also at the end of `url_prefix`.

## Errors this prevents
`bucket-preflight diagnose` names these; this check confirms or rules them out.
- `S3_STORE_URL_VERIFICATION_FAILURE` from a result URL that does not lead to the bucket: cause
  `url-not-reachable`.

## References
- Transloadit `/s3/store` (`url_prefix`, `path`): https://transloadit.com/docs/robots/s3-store/
- Methods for accessing a bucket: https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-bucket-intro.html
- Mixed content: https://developer.mozilla.org/en-US/docs/Web/Security/Mixed_content
"#;

/// The HTTPS `url_prefix` that works for this bucket on AWS.
pub fn recommended_url_prefix(target: &Target) -> String {
    let bucket = &target.bucket;
    // The region as meant (`EU` → `eu-west-1`): a suggested URL must work when pasted.
    let region = target.corrected().bucket_region;
    if needs_path_style(bucket) {
        return path_style_url_prefix(bucket, region.as_deref());
    }
    match &region {
        Some(region) => format!("https://{bucket}.s3.{region}.amazonaws.com/"),
        None => format!("https://{bucket}.s3.amazonaws.com/"),
    }
}

/// Whether HTTPS URLs for `bucket` must be path-style: a virtual host cannot serve a name with
/// periods (the certificate does not match) or one that is not a DNS label.
fn needs_path_style(bucket: &str) -> bool {
    bucket.contains('.') || !bucket_name::violations(bucket).is_empty()
}

/// Whether `host` addresses `bucket` virtual-hosted style on AWS (`BUCKET.s3[.-]….amazonaws.com`).
fn is_virtual_hosted(host: &str, bucket: &str) -> bool {
    let host = host.to_ascii_lowercase();
    let bucket = bucket.to_ascii_lowercase();
    host.strip_prefix(&bucket)
        .and_then(|rest| rest.strip_prefix(".s3"))
        .is_some_and(|rest| {
            (rest.starts_with('.') || rest.starts_with('-')) && rest.ends_with(".amazonaws.com")
        })
}

/// Prefixes that make URLs address another key than the stored one: at the bucket's own
/// endpoint every path segment of `url_prefix` becomes part of the key; elsewhere a path
/// segment that `path` repeats (`…/exports/` + `exports/…`) is most likely written twice.
fn check_key_doubling(target: &Target, prefix: &str, found: &mut Findings) {
    let key_prefix = target.key_prefix();
    let doubled = doubled_segments(prefix, key_prefix);
    match route(prefix, &target.bucket, target.endpoint.as_deref()) {
        PrefixRoute::BucketEndpoint { key_prefix: added } if !added.is_empty() => {
            let fixed = prefix.strip_suffix(added.as_str()).unwrap_or(prefix);
            let twice = match &doubled {
                Some(part) => format!(" (`{part}` twice)"),
                None => String::new(),
            };
            found.fail(
                format!("`url_prefix` adds `{added}` to every key at the bucket's own endpoint: URLs address `{added}{key_prefix}…`{twice}, but files are stored at `{key_prefix}…`"),
                format!("Set `url_prefix: {fixed}` (`path` already holds the key prefix)."),
            );
        }
        PrefixRoute::Elsewhere => {
            if let Some(part) = doubled {
                let fixed = prefix.strip_suffix(part.as_str()).unwrap_or(prefix);
                found.warn(
                    format!("result URLs contain `{part}{part}`: `url_prefix` ends with `{part}` and `path` starts with it again, which leads nowhere unless the CDN's origin path adds it back"),
                    format!("Set `url_prefix: {fixed}`, or drop `{part}` from the start of `path`."),
                );
            }
        }
        PrefixRoute::BucketEndpoint { .. } => {}
    }
}

/// Characters a URL path can carry as they are.
fn is_url_safe(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~/!$&'()*+,;=:@".contains(c)
}

/// Key characters that URLs must carry percent-encoded, blamed on where they come from: the
/// fixed text of `path` (the user's to change there) or a variable's value (the file's name).
fn check_url_unsafe_characters(path: &str, key: &str, found: &mut Findings) {
    let Ok(pieces) = path_template::parse(path) else {
        return;
    };
    let mut in_literals: Vec<char> = Vec::new();
    let mut from_variables = false;
    for piece in &pieces {
        match piece {
            Piece::Literal(text) => {
                for c in text.chars().filter(|&c| !is_url_safe(c)) {
                    if !in_literals.contains(&c) {
                        in_literals.push(c);
                    }
                }
            }
            Piece::Variable(name) => {
                let value =
                    path_template::render_sample(&format!("${{{name}}}")).unwrap_or_default();
                from_variables |= value.chars().any(|c| !is_url_safe(c));
            }
        }
    }
    if !in_literals.is_empty() {
        let shown: Vec<String> = in_literals.iter().map(|c| format!("`{c}`")).collect();
        let replaced: String = path
            .chars()
            .map(|c| if in_literals.contains(&c) { '-' } else { c })
            .collect();
        found.warn(
            format!("`path` contains {} in its fixed text: every result URL must carry it percent-encoded, and links pasted or built without encoding break", shown.join(", ")),
            format!("Set `path: {replaced}` (letters, digits, `-`, `_`, `.` and `/` need no encoding)."),
        );
    }
    if from_variables {
        found.warn(
            format!("stored keys contain characters that need percent-encoding in URLs (`{SAMPLE_FILE_NAME}` gives `{key}`)"),
            "Build `path` from `${file.url_name}` instead of `${file.name}` or `${file.basename}`.".to_owned(),
        );
    }
}

#[async_trait]
impl Check for ResultUrl {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    async fn run(&self, ctx: &Context) -> Outcome {
        let target = &ctx.target;
        if let Some(prefix) = &target.url_prefix {
            if !url_prefix_problems(prefix).is_empty() {
                return Outcome::skip(
                    "cannot preview result URLs: `url_prefix` is malformed (see store-params)",
                );
            }
        }
        let Some(key) = path_template::render_sample(&target.path) else {
            return Outcome::skip(
                "cannot preview result URLs: `path` is malformed (see store-params)",
            );
        };
        let prefix = target.effective_url_prefix();
        let url = format!("{prefix}{key}");
        let recommended = recommended_url_prefix(target);
        // One wording for the recommended prefix, so that findings suggesting it share one fix
        // and the remediation says it once.
        let set_recommended = if !bucket_name::violations(&target.bucket).is_empty() {
            // The very sentence bucket-name ends with, so that the report says it once.
            legacy_path_style_fix(target)
        } else if needs_path_style(&target.bucket) {
            format!("Set `url_prefix: {recommended}` (path-style).")
        } else {
            format!("Set `url_prefix: {recommended}`.")
        };
        let mut found = Findings::default();

        let parsed = url::Url::parse(&prefix).ok();
        let scheme = parsed
            .as_ref()
            .map(|u| u.scheme().to_owned())
            .unwrap_or_default();
        let host = parsed
            .as_ref()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default();
        let virtual_hosted = is_virtual_hosted(&host, &target.bucket);

        if target.endpoint.is_some() && target.url_prefix.is_none() {
            let endpoint = target
                .endpoint
                .as_deref()
                .unwrap_or_default()
                .trim_end_matches('/');
            found.warn(
                format!("the default result URL points at AWS, but the bucket is on {endpoint}"),
                format!("Set `url_prefix` to the URL your store serves the bucket under, e.g. `url_prefix: {endpoint}/{}/`.", target.bucket),
            );
        } else if virtual_hosted && !bucket_name::violations(&target.bucket).is_empty() {
            found.fail(
                format!(
                    "`{host}` cannot reach bucket `{}`: its name is not a valid DNS label",
                    target.bucket
                ),
                set_recommended.clone(),
            );
        } else if virtual_hosted && scheme == "https" && target.bucket.contains('.') {
            found.warn(
                format!("`https://{host}/` will fail certificate validation: the bucket name contains periods"),
                set_recommended.clone(),
            );
        }
        // On another store without `url_prefix`, the finding above already says which prefix to
        // set; a second one about the AWS default's scheme would contradict it.
        let default_replaced = target.endpoint.is_some() && target.url_prefix.is_none();
        if scheme == "http" && !default_replaced {
            // Plain https:// on a virtual host that cannot serve this bucket over TLS would
            // trade one problem for another: recommend the prefix that works.
            let https_breaks = virtual_hosted && needs_path_style(&target.bucket);
            let fix = if (target.url_prefix.is_none() && target.endpoint.is_none()) || https_breaks
            {
                set_recommended.clone()
            } else {
                format!(
                    "Use `https://` in `url_prefix` (e.g. `url_prefix: {}`).",
                    prefix.replacen("http://", "https://", 1)
                )
            };
            let whose = if target.url_prefix.is_none() {
                "the default `url_prefix` uses"
            } else {
                "`url_prefix` uses"
            };
            found.warn(
                format!("{whose} plain http://, which browsers block on HTTPS pages"),
                fix,
            );
        }
        check_key_doubling(target, &prefix, &mut found);
        check_url_unsafe_characters(&target.path, &key, &mut found);

        let outcome = found.into_outcome(format!("stored files will be served at {url}"));
        outcome
            .with_detail(format!(
                "Preview for a file named `{SAMPLE_FILE_NAME}`: {url}"
            ))
            .with_evidence("url_prefix", prefix.as_str())
            .with_evidence(
                "url_prefix_source",
                if target.url_prefix.is_some() {
                    "url_prefix"
                } else {
                    "default"
                },
            )
            .with_evidence("sample_file", SAMPLE_FILE_NAME)
            .with_evidence("sample_key", key.as_str())
            .with_evidence("sample_url", url.as_str())
    }
}

#[cfg(test)]
mod tests;
