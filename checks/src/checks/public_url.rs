//! `public-url`: the stored file is (or is not) readable at its result URL, as intended.

use crate::check::{Category, Check, CheckInfo};
use crate::probe::{PublicRead, Upload};
use crate::url_prefix::{doubled_segments, route, PrefixRoute};
use crate::{Acl, Context, Outcome};
use async_trait::async_trait;

pub struct PublicUrl;

static INFO: CheckInfo = CheckInfo {
    id: "public-url",
    title: "Result URL serves the file as intended",
    category: Category::Upload,
    online: true,
    requires: &["dry-run-put"],
    docs: r#"## What it checks
While the dry-run probe exists, fetches its result URL — built like `result-url` builds it —
without credentials, as a browser would, with a query string unique to the run
(`?x-bucket-preflight=…`) so that no cache left by an earlier run can answer.
- An answer from a cache (`Age` above 0, `X-Cache: Hit…`, `CF-Cache-Status: HIT`) proves
  nothing about the bucket today: error, never a pass.
- `url_prefix` at the bucket's own S3 endpoint (`BUCKET.s3.REGION.amazonaws.com`,
  `s3.REGION.amazonaws.com/BUCKET/`, the `--endpoint-url`): with `acl: public` the answer must
  be 200 with the probe's content; with `private` / `bucket-default` a 403 is "not public, as
  intended" and a 200 warns (files are public anyway).
- `url_prefix` anywhere else (CloudFront, a custom domain): Transloadit hands that URL to your
  users, so it must serve the file — 200 with the probe's content — whatever the `acl`.
- A 404 means there is no such object at that URL: the URL, not the ACL, is wrong.
- With `sign_urls_for` (`--sign-urls-for SECONDS`), Transloadit adds signed URLs
  (`signed_url`, `signed_ssl_url`) to the results: GETs presigned with the export's
  credentials. The check then presigns a GET of the probe with the run's credentials, valid that
  long, and fetches it: it must answer 200 with the file, whatever the `acl` — a private `acl`
  with signed URLs is the intended setup, not a problem. A 403 means the credentials lack
  `s3:GetObject` (or `kms:Decrypt` under SSE-KMS). The unsigned URL still counts when the `acl`
  is public, or when it serves files meant to be private. More than 604800 seconds (7 days, the
  longest S3 accepts for a presigned URL) is a warning.
Skipped when no probe was written (`--no-write`, or the upload failed).

## Why it matters
An upload can succeed while its URL serves nothing: IgnorePublicAcls drops the ACL, an
account-level setting overrides the bucket, a CDN in `url_prefix` has no access to the bucket,
or `url_prefix` points somewhere else entirely. The other way round, "private" files served to
anyone are a data leak.

## What it cannot see
The signed URL is presigned with the credentials the checks run with, on the bucket's S3
endpoint; Transloadit signs with the step's credentials, and whether it signs `url_prefix`'s
host is not documented. With temporary credentials a presigned URL stops working when they
expire, whatever `sign_urls_for` says. It fetches the URL from this machine: a CDN's geo-restrictions, WAF rules or signed-URL
requirements may answer other clients differently. An answer served from a cache (`Age`,
`X-Cache`) is reported and never counted as proof.

## How to fix
- 403 with `acl: public` at the bucket's endpoint: turn off IgnorePublicAcls (bucket and account
  level), or set `acl: bucket-default` and grant public reads with a bucket policy.
- 403 through a CDN: grant the CDN's origin access (CloudFront OAC: `s3:GetObject` for the
  `cloudfront.amazonaws.com` service principal with the distribution's `aws:SourceArn`) in the
  bucket policy; check the origin path; with Object Ownership `ObjectWriter`, objects written
  by another account stay theirs and the policy cannot grant reads of them — switch to
  `BucketOwnerEnforced`.
- 404: `url_prefix` does not lead to where files are stored (another bucket, a wrong origin
  path, or a prefix written twice, as in `…/exports/` with `path: exports/…`); correct it.
- Signed URL refused (403): grant the export user `s3:GetObject` on `arn:aws:s3:::BUCKET/PREFIX*`
  (the `policy` command includes it with `--sign-urls-for`), and `kms:Decrypt` under SSE-KMS.
- 200 with a private acl at the bucket's endpoint: remove the public read grant (a bucket policy
  statement with `"Principal": "*"` and `s3:GetObject`).

## Errors this prevents
`bucket-preflight diagnose` names these; this check confirms or rules them out.
- `S3_STORE_URL_VERIFICATION_FAILURE`: the stored file cannot be fetched at its result URL —
  cause `url-not-reachable`.

## References
- Blocking public access: https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html
- Restricting access to an S3 origin (CloudFront OAC): https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html
- CloudFront response headers (`X-Cache`, `Age`): https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/understanding-the-cache-key.html
- Transloadit `/s3/store` `url_prefix`, `sign_urls_for`: https://transloadit.com/docs/robots/s3-store/
- Sharing objects with presigned URLs (7-day limit): https://docs.aws.amazon.com/AmazonS3/latest/userguide/ShareObjectPreSignedURL.html
"#,
};

/// What the verdict needs to know about the URL besides the answer.
struct Request<'a> {
    /// The result URL (without the run's query string).
    url: &'a str,
    /// The stored key the URL should lead to.
    key: &'a str,
    acl: Acl,
    route: PrefixRoute,
    /// The `url_prefix` path part that `path` repeats, if any.
    doubled: Option<String>,
}

/// Why a URL in front of the bucket (a CDN, a custom domain) does not serve the file.
const CDN_CAUSES: &str = "likely causes: (1) the CDN's origin access (CloudFront OAC or OAI) is not granted s3:GetObject in the bucket policy; (2) the CDN's origin or origin path does not lead to the bucket and prefix files are stored under; (3) with Object Ownership ObjectWriter, objects written by another account stay owned by it and the bucket policy cannot grant reads of them (switch to BucketOwnerEnforced)";

fn verdict(read: &PublicRead, request: &Request) -> Outcome {
    let Request { url, key, acl, .. } = *request;
    let (status, serves_probe, cached, error_code) = match read {
        PublicRead::NotChecked => return Outcome::skip("the URL was not fetched"),
        PublicRead::Unreachable {
            fetched,
            happened,
            advice,
        } => {
            return Outcome::error(format!("GET {fetched} failed: {happened}"), advice.clone());
        }
        PublicRead::Status {
            status,
            serves_probe,
            cached,
            error_code,
            ..
        } => (*status, *serves_probe, cached, error_code),
    };
    let answer = match error_code {
        Some(code) => format!("GET {url} → {status} {code}"),
        None => format!("GET {url} → {status}"),
    };
    if let Some(hit) = cached {
        return Outcome::error(
            format!("{answer}, but from a cache ({hit}): that is no proof of what the bucket serves now"),
            "The cache answered a URL unique to this run, so it ignores query strings and caches missing files: invalidate the path (CloudFront: create an invalidation) or wait for the entry to expire, then run again.",
        );
    }
    let at_endpoint = request.route.is_bucket_endpoint();
    let host = url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();
    if status == 200 && serves_probe {
        return match (acl.is_public(), at_endpoint) {
            (true, _) => Outcome::pass(format!("anyone can read stored files: {answer} with the file")),
            (false, true) => Outcome::warn(
                format!("files are publicly readable although `acl: {acl}`: {answer} with the file"),
                "If files should be private, remove the public read grant (a bucket policy statement with \"Principal\": \"*\" and s3:GetObject).",
            ),
            (false, false) => Outcome::pass(format!("the result URL serves stored files through {host}: {answer} with the file")),
        };
    }
    if status == 200 {
        let summary = format!("{answer}, but not with the stored file");
        return if at_endpoint {
            Outcome::error(
                format!("{summary}: could not tell whether stored files are publicly readable"),
                "Check what serves `url_prefix`: a website that answers every path with a page hides whether the bucket serves the file.",
            )
        } else {
            Outcome::fail(
                format!("{summary}: {host} answers with something else, so result URLs will not serve files"),
                "Check what serves `url_prefix`: a CDN or website that answers every path (or every error) with a page; its origin must be the bucket and the prefix files are stored under.",
            )
        };
    }
    if !matches!(status, 401 | 403 | 404) {
        return Outcome::error(
            format!("{answer}: could not tell whether stored files are readable at their URL"),
            "Run again; if it persists, check what serves `url_prefix` (the bucket, or a CDN in front of it).",
        );
    }
    let doubled = request
        .doubled
        .as_ref()
        .map(|part| format!("`url_prefix` ends with `{part}` and `path` starts with it again, so URLs contain `{part}{part}`; "))
        .unwrap_or_default();
    if let PrefixRoute::BucketEndpoint { key_prefix } = &request.route {
        if !key_prefix.is_empty() {
            let fixed = url.strip_suffix(key).unwrap_or(url);
            let fixed = fixed.strip_suffix(key_prefix.as_str()).unwrap_or(fixed);
            return Outcome::fail(
                format!("the result URL does not lead to the stored file: {answer}; {doubled}`url_prefix` adds `{key_prefix}` to the key, so the URL addresses `{key_prefix}{key}`, not `{key}`"),
                format!("Set `url_prefix: {fixed}` (the bucket's endpoint addresses keys from its root; `path` already holds the key prefix)."),
            );
        }
    }
    if status == 404 {
        let why = match (error_code.as_deref(), at_endpoint) {
            (Some("NoSuchBucket"), _) => "`url_prefix` names a bucket that does not exist".to_owned(),
            (_, true) => "`url_prefix` does not lead to where files are stored".to_owned(),
            (_, false) => format!("the CDN behind {host} does not lead to the bucket and prefix files are stored under (its origin or origin path)"),
        };
        return Outcome::fail(
            format!("no such object at the result URL: {answer} (the URL is wrong; this is no ACL problem)"),
            format!("{doubled}{why}. Correct `url_prefix` so that `url_prefix` + `path` is the file's address."),
        );
    }
    match (acl.is_public(), at_endpoint) {
        (false, true) => Outcome::pass(format!("stored files are not publicly readable ({answer}), as `acl: {acl}` intends")),
        (true, true) => Outcome::fail(
            format!("the stored file is not publicly readable despite `acl: {acl}`: {answer}"),
            format!("{doubled}S3 refuses anonymous reads: IgnorePublicAcls at bucket or account level drops the public ACL, or a bucket policy denies reads. Turn off IgnorePublicAcls (bucket and account level), or set `acl: bucket-default` and grant public reads with a bucket policy."),
        ),
        (public, false) => {
            let ignored_acl = if public {
                "; (4) if the CDN reads the bucket anonymously, IgnorePublicAcls (bucket or account level) drops the public ACL"
            } else {
                ""
            };
            Outcome::fail(
                format!("the result URL does not serve the file: {answer}; Transloadit hands this URL to your users, so it must answer 200 with the file"),
                format!("{doubled}The URL is not the bucket's own endpoint, so {CDN_CAUSES}{ignored_acl}."),
            )
        }
    }
}

mod signed;

use signed::{signed_verdict, with_signed};

#[async_trait]
impl Check for PublicUrl {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    async fn run(&self, ctx: &Context) -> Outcome {
        if let Some(prefix) = &ctx.target.url_prefix {
            if !crate::url_prefix::problems(prefix).is_empty() {
                return Outcome::skip(format!(
                    "not tried: `url_prefix: {prefix}` is malformed (see store-params), and the URLs it makes lead elsewhere"
                ));
            }
        }
        let probe = ctx.probe().await;
        if !matches!(probe.upload, Upload::Written { .. }) {
            return Outcome::skip("no probe object was written, so there is no URL to try");
        }
        let prefix = probe
            .url
            .strip_suffix(probe.key.as_str())
            .map_or_else(|| ctx.target.effective_url_prefix(), str::to_owned);
        let route = route(&prefix, &ctx.target.bucket, ctx.target.endpoint.as_deref());
        let request = Request {
            url: &probe.url,
            key: &probe.key,
            acl: ctx.target.acl,
            doubled: doubled_segments(&prefix, ctx.target.key_prefix()),
            route,
        };
        let outcome = verdict(&probe.public_read, &request);
        let outcome = match (ctx.target.sign_urls_for, &probe.signed_read) {
            (Some(seconds), Some(read)) => with_signed(
                outcome,
                signed_verdict(read, ctx, seconds),
                ctx.target.acl,
                seconds,
            )
            .with_evidence(
                "signed_url_status",
                match read {
                    PublicRead::Status { status, .. } => serde_json::json!(status),
                    _ => serde_json::Value::Null,
                },
            ),
            _ => outcome,
        };
        let outcome = outcome
            .with_evidence("url", probe.url.as_str())
            .with_evidence(
                "url_prefix_at_bucket_endpoint",
                request.route.is_bucket_endpoint(),
            );
        match &probe.public_read {
            PublicRead::Status {
                status,
                cached,
                cache_headers,
                fetched,
                ..
            } => {
                // Say where the answer came from whenever a cache shows itself, hit or not.
                let outcome = if cache_headers.is_empty() {
                    outcome
                } else {
                    let source = if cached.is_some() {
                        "from a cache"
                    } else {
                        "not from a cache"
                    };
                    outcome.with_detail(format!(
                        "Fetched {fetched}: the answer came {source} ({}).",
                        cache_headers.join(", ")
                    ))
                };
                outcome
                    .with_evidence("status", *status)
                    .with_evidence("fetched", fetched.as_str())
                    .with_evidence("cached", cached.is_some())
                    .with_evidence("cache_headers", cache_headers.clone())
            }
            PublicRead::Unreachable { fetched, .. } => {
                outcome.with_evidence("fetched", fetched.as_str())
            }
            PublicRead::NotChecked => outcome,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loopback_http::serve;
    use crate::probe::PROBE_BODY;
    use crate::public_read::read_anonymously;
    use crate::replay::s3_error;
    use crate::Status;

    const KEY: &str = "bucket-preflight-probe.txt";
    const AT_ENDPOINT: &str = "https://my-bucket.s3.eu-west-1.amazonaws.com/";
    const CDN: &str = "https://cdn.example.com/";

    /// Fetches from a loopback server answering as given, and judges the answer as if
    /// `url_prefix` were `prefix` and the acl `acl`.
    async fn judge(prefix: &str, acl: Acl, status: &str, headers: &[&str], body: &[u8]) -> Outcome {
        let (base, _) = serve(status, headers, body).await;
        let read = read_anonymously(&format!("{base}{KEY}")).await;
        let url = format!("{prefix}{KEY}");
        let request = Request {
            url: &url,
            key: KEY,
            acl,
            route: route(prefix, "my-bucket", None),
            doubled: doubled_segments(prefix, ""),
        };
        verdict(&read, &request)
    }

    fn assert_outcome(outcome: &Outcome, status: Status, needle: &str) {
        let text = format!(
            "{} {}",
            outcome.summary,
            outcome.remediation.as_deref().unwrap_or_default()
        );
        assert_eq!(outcome.status, status, "{outcome:#?}");
        assert!(text.contains(needle), "{text:?} lacks {needle:?}");
    }

    /// `url_prefix`, acl, the answer's status line, headers and body; the expected verdict and
    /// a phrase it must contain.
    type Case<'a> = (
        &'a str,
        Acl,
        &'a str,
        Vec<&'a str>,
        &'a [u8],
        Status,
        &'a str,
    );

    #[tokio::test]
    async fn verdicts_by_answer_acl_and_where_url_prefix_leads() {
        use Acl::{Private, Public};
        let probe = PROBE_BODY;
        let page: &[u8] = b"<html>Welcome</html>";
        let denied = s3_error("AccessDenied", "Access Denied");
        let missing = s3_error("NoSuchKey", "The specified key does not exist.");
        #[rustfmt::skip]
        let cases: Vec<Case> = vec![
            // At the bucket's own endpoint, a 403 for a private file is what was asked for.
            (AT_ENDPOINT, Private, "403 Forbidden", vec![], denied.as_bytes(), Status::Pass, "as `acl: private` intends"),
            (AT_ENDPOINT, Public, "403 Forbidden", vec![], denied.as_bytes(), Status::Fail, "IgnorePublicAcls"),
            (AT_ENDPOINT, Public, "200 OK", vec![], probe, Status::Pass, "anyone can read stored files"),
            (AT_ENDPOINT, Private, "200 OK", vec![], probe, Status::Warn, "publicly readable although `acl: private`"),
            (AT_ENDPOINT, Private, "200 OK", vec![], page, Status::Error, "not with the stored file"),
            // A 404 is a wrong URL, whatever the acl.
            (AT_ENDPOINT, Private, "404 Not Found", vec![], missing.as_bytes(), Status::Fail, "no such object at the result URL"),
            (AT_ENDPOINT, Public, "404 Not Found", vec![], missing.as_bytes(), Status::Fail, "404 NoSuchKey"),
            // Through a CDN the URL must serve the file, whatever the acl.
            (CDN, Private, "403 Forbidden", vec![], denied.as_bytes(), Status::Fail, "origin access (CloudFront OAC or OAI)"),
            (CDN, Public, "403 Forbidden", vec![], denied.as_bytes(), Status::Fail, "(4) if the CDN reads the bucket anonymously, IgnorePublicAcls"),
            (CDN, Private, "404 Not Found", vec![], b"", Status::Fail, "origin path"),
            (CDN, Private, "200 OK", vec![], probe, Status::Pass, "serves stored files through cdn.example.com"),
            (CDN, Public, "200 OK", vec![], probe, Status::Pass, "anyone can read stored files"),
            (CDN, Public, "200 OK", vec![], page, Status::Fail, "answers with something else"),
            // A cached answer proves nothing, whatever it says.
            (CDN, Public, "200 OK", vec!["Age: 3600"], probe, Status::Error, "from a cache (Age: 3600)"),
            (CDN, Private, "403 Forbidden", vec!["X-Cache: Hit from cloudfront"], denied.as_bytes(), Status::Error, "X-Cache: Hit from cloudfront"),
            (AT_ENDPOINT, Private, "403 Forbidden", vec!["CF-Cache-Status: HIT"], b"", Status::Error, "no proof"),
            (CDN, Public, "200 OK", vec!["X-Cache: Miss from cloudfront", "Age: 0"], probe, Status::Pass, "with the file"),
            (CDN, Public, "503 Service Unavailable", vec![], b"", Status::Error, "could not tell"),
        ];
        for (prefix, acl, status, headers, body, expected, needle) in cases {
            let outcome = judge(prefix, acl, status, &headers, body).await;
            let text = format!(
                "{} {}",
                outcome.summary,
                outcome.remediation.as_deref().unwrap_or_default()
            );
            assert!(
                outcome.status == expected && text.contains(needle),
                "{prefix} acl {acl} {status} {headers:?}: expected {expected} with {needle:?}, got {outcome:#?}"
            );
        }
    }

    #[tokio::test]
    async fn a_prefix_inside_the_bucket_endpoint_addresses_another_key() {
        let (base, _) = serve("403 Forbidden", &[], b"").await;
        let read = read_anonymously(&format!("{base}exports/{KEY}")).await;
        let prefix = "https://s3.eu-west-1.amazonaws.com/acme-exports/exports/";
        let key = format!("exports/{KEY}");
        let url = format!("{prefix}{key}");
        let request = Request {
            url: &url,
            key: &key,
            acl: Acl::Private,
            route: route(prefix, "acme-exports", None),
            doubled: doubled_segments(prefix, "exports/"),
        };
        let outcome = verdict(&read, &request);
        assert_outcome(&outcome, Status::Fail, "URLs contain `exports/exports/`");
        assert_outcome(
            &outcome,
            Status::Fail,
            "the URL addresses `exports/exports/bucket-preflight-probe.txt`",
        );
        assert_outcome(
            &outcome,
            Status::Fail,
            "Set `url_prefix: https://s3.eu-west-1.amazonaws.com/acme-exports/`",
        );
    }

    fn answered(status: u16, serves_probe: bool) -> PublicRead {
        PublicRead::Status {
            status,
            serves_probe,
            cached: None,
            cache_headers: vec![],
            error_code: (status == 403).then(|| "AccessDenied".to_owned()),
            fetched: "http://127.0.0.1:9/my-bucket/k?X-Amz-Signature=… (presigned)".into(),
        }
    }

    #[test]
    fn signed_urls_decide_and_a_private_acl_is_no_problem() {
        let ctx = Context::offline(crate::Target::new("my-bucket"));
        let unsigned_refused = Outcome::pass(
            "stored files are not publicly readable (403), as `acl: private` intends",
        );
        // Served to the signed GET: pass, whatever the anonymous read said.
        let outcome = with_signed(
            unsigned_refused.clone(),
            signed_verdict(&answered(200, true), &ctx, 3600),
            Acl::Private,
            3600,
        );
        assert_eq!(outcome.status, Status::Pass, "{outcome:#?}");
        assert!(outcome
            .summary
            .contains("signed result URLs serve the file"));
        // Refused to the signed GET: fail naming s3:GetObject.
        let outcome = with_signed(
            unsigned_refused.clone(),
            signed_verdict(&answered(403, false), &ctx, 3600),
            Acl::Private,
            3600,
        );
        assert_eq!(outcome.status, Status::Fail, "{outcome:#?}");
        let fix = outcome.remediation.unwrap_or_default();
        assert!(fix.contains(r#""Action":"s3:GetObject""#), "{fix}");
        assert!(fix.contains("arn:aws:s3:::my-bucket/*"), "{fix}");
        // Longer than S3 accepts: a warning.
        let outcome = with_signed(
            unsigned_refused,
            signed_verdict(&answered(200, true), &ctx, 700_000),
            Acl::Private,
            700_000,
        );
        assert_eq!(outcome.status, Status::Warn, "{outcome:#?}");
        assert!(
            outcome.summary.contains("exceeds 7 days"),
            "{}",
            outcome.summary
        );
        // A public acl whose anonymous read fails still fails, signed URL or not.
        let outcome = with_signed(
            Outcome::fail(
                "the stored file is not publicly readable despite `acl: public`",
                "x",
            ),
            signed_verdict(&answered(200, true), &ctx, 3600),
            Acl::Public,
            3600,
        );
        assert_eq!(outcome.status, Status::Fail, "{outcome:#?}");
    }
}
