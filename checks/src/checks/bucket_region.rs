//! `bucket-region`: where the bucket really is, and whether `bucket_region` says so.

use crate::check::{Category, Check, CheckInfo};
use crate::denial::grant_remediation;
use crate::facts::{Existence, Head};
use crate::{Context, Outcome};
use async_trait::async_trait;

pub struct BucketRegion;

static INFO: CheckInfo = CheckInfo {
    id: "bucket-region",
    title: "Bucket region matches bucket_region",
    category: Category::Bucket,
    online: true,
    requires: &["credentials"],
    docs: r#"## What it checks
Finds the bucket's real region from HeadBucket's `x-amz-bucket-region` header (S3 sends it even
on 301 and 403 answers), with GetBucketLocation as the fallback (an empty answer means
us-east-1, `EU` means eu-west-1).
- With `bucket_region` set: it must match.
- Without it: the export service calls GetBucketLocation before every upload, so the check
  makes the same call. Allowed → a warning recommending `bucket_region`; denied → a failure
  naming `s3:GetBucketLocation`.

## Why it matters
Requests signed for the wrong region are refused: S3 answers 301 `PermanentRedirect`, or 400
`AuthorizationHeaderMalformed` ("the region 'us-east-1' is wrong; expecting 'eu-west-1'") in
regions launched after 2019. Setting `bucket_region` saves a round trip on every export and
one permission.

## What it cannot see
An S3-compatible store may ignore regions altogether; the check reports what the endpoint
answered. Organisation policies that restrict regions (`aws:RequestedRegion` in an SCP) are not
readable; the dry run proves the upload.

## How to fix
- Set `bucket_region` to the region this check reports, e.g. `bucket_region: eu-west-1`.
- Or grant `s3:GetBucketLocation` on `arn:aws:s3:::BUCKET` (the bucket ARN, without `/*`).

## Errors this prevents
`bucket-preflight diagnose` names these; this check confirms or rules them out.
- `PermanentRedirect`, `AuthorizationHeaderMalformed`, `IllegalLocationConstraintException` /
  `S3_STORE_WRONG_REGION`: `bucket_region` is not the bucket's region — cause `wrong-region`.

## References
- HeadBucket (`x-amz-bucket-region`): https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadBucket.html
- GetBucketLocation: https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLocation.html
- Transloadit `/s3/store` `bucket_region`: https://transloadit.com/docs/robots/s3-store/
"#,
};

#[async_trait]
impl Check for BucketRegion {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    async fn run(&self, ctx: &Context) -> Outcome {
        let bucket = &ctx.target.bucket;
        let head = ctx.head().await;
        if let Ok(Head {
            existence: Existence::Missing,
            ..
        }) = head
        {
            return Outcome::skip(format!("no bucket named `{bucket}` (see bucket-exists)"));
        }
        let (region, source) = match ctx.bucket_region().await {
            Ok(region) => {
                let from_header = matches!(head, Ok(Head { region: Some(_), .. }));
                (region, if from_header { "x-amz-bucket-region" } else { "GetBucketLocation" })
            }
            Err(failure) if failure.is_not_implemented() => return Outcome::skip(format!("this endpoint reports no bucket region ({failure})")),
            Err(failure) if failure.is_access_denied() => {
                return Outcome::fail(
                    "the bucket's region cannot be determined: HeadBucket sent no region and s3:GetBucketLocation is denied",
                    grant_remediation("s3:GetBucketLocation", &ctx.bucket_arn(), "LocateExportBucket", &failure),
                )
            }
            Err(failure) => {
                return Outcome::error(format!("could not determine the bucket's region: {failure}"), failure.fix_or("Run again; if it persists, set --bucket-region and check the network path to S3."))
            }
        };
        let mut evidence = vec![("region", region.clone()), ("source", source.to_owned())];
        if let Ok(Head {
            redirected_from: Some(from),
            ..
        }) = head
        {
            evidence.push(("redirected_from", from.clone()));
        }
        let outcome = match &ctx.target.bucket_region {
            Some(given) if *given == region => Outcome::pass(format!("bucket `{bucket}` is in {region}, as bucket_region says")),
            Some(given) => Outcome::fail(
                format!("bucket_region is {given}, but bucket `{bucket}` is in {region}"),
                format!("Set `bucket_region: {region}`."),
            ),
            None => match ctx.location().await {
                Ok(_) => Outcome::warn(
                    format!("bucket `{bucket}` is in {region}; bucket_region is not set, so every export first asks S3 where the bucket is"),
                    format!("Set `bucket_region: {region}` (one round trip less per export, and s3:GetBucketLocation is no longer needed)."),
                ),
                Err(failure) if failure.is_access_denied() => Outcome::fail(
                    format!("bucket_region is not set and s3:GetBucketLocation is denied, so exports cannot find the bucket's region ({region})"),
                    format!("Set `bucket_region: {region}`. Alternatively: {}", grant_remediation("s3:GetBucketLocation", &ctx.bucket_arn(), "LocateExportBucket", failure)),
                ),
                Err(failure) => Outcome::warn(
                    format!("bucket `{bucket}` is in {region}; bucket_region is not set and GetBucketLocation could not be checked ({failure})"),
                    format!("Set `bucket_region: {region}`."),
                ),
            },
        };
        evidence
            .into_iter()
            .fold(outcome, |o, (k, v)| o.with_evidence(k, v))
    }
}
