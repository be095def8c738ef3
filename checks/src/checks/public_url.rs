//! `public-url`: the stored file is (or is not) readable at its result URL, as intended.

use crate::check::{Category, Check, CheckInfo};
use crate::probe::{PublicRead, Upload};
use crate::{Context, Outcome};
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
without credentials, as a browser would.
- `acl: public`: the answer must be 200.
- `private` / `bucket-default`: a 200 means files are publicly readable anyway (a public bucket
  policy or CDN): a warning.
Skipped when no probe was written (`--no-write`, or the upload failed).

## Why it matters
An upload can succeed while its URL serves nothing: IgnorePublicAcls drops the ACL, an
account-level setting overrides the bucket, a CDN in `url_prefix` has no access to the bucket,
or `url_prefix` points somewhere else entirely. The other way round, "private" files served to
anyone are a data leak.

## How to fix
- 403 with `acl: public`: turn off IgnorePublicAcls (bucket and account level), or set
  `acl: bucket-default` and grant public reads with a bucket policy or through the CDN.
- 404: `url_prefix` does not lead to the bucket; correct it.
- 200 with a private acl: remove the public read grant (a bucket policy statement with
  `"Principal": "*"` and `s3:GetObject`) or restrict the CDN.

## References
- Blocking public access: https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html
- Transloadit `/s3/store` `url_prefix`: https://transloadit.com/docs/robots/s3-store/
"#,
};

#[async_trait]
impl Check for PublicUrl {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    async fn run(&self, ctx: &Context) -> Outcome {
        let probe = ctx.probe().await;
        if !matches!(probe.upload, Upload::Written { .. }) {
            return Outcome::skip("no probe object was written, so there is no URL to try");
        }
        let url = &probe.url;
        let acl = ctx.target.acl;
        let outcome = match (&probe.public_read, acl.is_public()) {
            (PublicRead::Status { status: 200, serves_probe: false }, _) => Outcome::error(
                format!("GET {url} → 200, but not with the stored file: could not tell whether stored files are publicly readable"),
                "Check what serves `url_prefix`: a website or CDN that answers every path with a page hides whether the bucket serves the file.",
            ),
            (PublicRead::Status { status, .. }, _) if !matches!(status, 200 | 401 | 403 | 404) => Outcome::error(
                format!("GET {url} → {status}: could not tell whether stored files are publicly readable"),
                "Run again; if it persists, check what serves `url_prefix` (the bucket, or a CDN in front of it).",
            ),
            (PublicRead::Status { status: 200, .. }, true) => Outcome::pass(format!("anyone can read stored files: GET {url} → 200 with the file")),
            (PublicRead::Status { status, .. }, true) => {
                let why = match status {
                    401 | 403 => "S3 (or the CDN) refuses anonymous reads: IgnorePublicAcls at bucket or account level drops the public ACL, or a bucket policy denies reads",
                    404 => "the URL does not lead to the stored file: `url_prefix` points elsewhere",
                    _ => "the URL does not serve the file",
                };
                Outcome::fail(
                    format!("the stored file is not publicly readable despite `acl: {acl}`: GET {url} → {status}"),
                    format!("{why}. Turn off IgnorePublicAcls (bucket and account level), or set `acl: bucket-default` and grant public reads with a bucket policy or a CDN; check that `url_prefix` leads to the bucket."),
                )
            }
            (PublicRead::Status { status: 200, .. }, false) => Outcome::warn(
                format!("files are publicly readable although `acl: {acl}`: GET {url} → 200 with the file"),
                "If files should be private, remove the public read grant (a bucket policy statement with \"Principal\": \"*\" and s3:GetObject) or restrict the CDN.",
            ),
            (PublicRead::Status { status, .. }, false) => Outcome::pass(format!("stored files are not publicly readable (GET {url} → {status}), as `acl: {acl}` intends")),
            (PublicRead::Unreachable(reason), _) => Outcome::error(
                format!("could not fetch {url}: {reason}"),
                "Check that `url_prefix` names a host that resolves and answers, then run again.",
            ),
            (PublicRead::NotChecked, _) => Outcome::skip("the URL was not fetched"),
        };
        match probe.public_read {
            PublicRead::Status { status, .. } => outcome
                .with_evidence("url", url.as_str())
                .with_evidence("status", status),
            _ => outcome.with_evidence("url", url.as_str()),
        }
    }
}
