//! A bucket in the China partition: every ARN the checks build, match or print must be
//! `arn:aws-cn:...`, never the commercial `arn:aws:...` (a policy granting `arn:aws:s3:::bucket`
//! matches nothing there).

use super::{run, ACCESS_DENIED};
use crate::replay::{iam_simulation, s3_error, Replay};
use crate::SessionOptions;

const REGION: &str = "cn-north-1";

/// A caller and a simulator that speak the China partition, and a bucket whose every read and
/// write is denied, so that each check falls back to naming the permission and resource.
fn denied_china_bucket() -> Replay {
    let denied = s3_error("AccessDenied", ACCESS_DENIED);
    let bucket = "arn:aws-cn:s3:::my-bucket";
    let object = "arn:aws-cn:s3:::my-bucket/example.jpg";
    let simulation = iam_simulation(&[
        ("s3:ListBucket", bucket, "implicitDeny", ""),
        ("s3:GetBucketLocation", bucket, "implicitDeny", ""),
        ("s3:PutObject", object, "implicitDeny", ""),
        ("s3:PutObjectAcl", object, "implicitDeny", ""),
    ]);
    let mut replay = Replay::new()
        .on(
            "POST",
            "Action=GetCallerIdentity",
            200,
            &[("content-type", "text/xml")],
            r#"<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws-cn:iam::111122223333:user/exporter</Arn><UserId>AIDASAMPLEUSERID</UserId><Account>111122223333</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId></ResponseMetadata></GetCallerIdentityResponse>"#,
        )
        .on(
            "POST",
            "Action=SimulatePrincipalPolicy",
            200,
            &[("content-type", "text/xml")],
            &simulation,
        )
        .on("HEAD", "my-bucket", 200, &[("x-amz-bucket-region", REGION)], "");
    for needle in [
        "list-type=2",
        "?location",
        "?policy",
        "?publicAccessBlock",
        "?ownershipControls",
        "?versioning",
        "?encryption",
        "?object-lock",
        "?requestPayment",
        "?replication",
        "?notification",
        "/v20180820/configuration/publicAccessBlock",
    ] {
        replay = replay.on("GET", needle, 403, &[], &denied);
    }
    replay
        .on("PUT", "my-bucket", 403, &[], &denied)
        .healthy_bucket(REGION)
}

#[tokio::test]
async fn every_arn_in_a_china_bucket_report_is_in_the_aws_cn_partition() {
    let (outcomes, _) = run(denied_china_bucket(), SessionOptions::default(), |target| {
        target.bucket_region = Some(REGION.into());
    })
    .await;
    let mut named_an_arn = 0;
    for (id, outcome) in &outcomes {
        let text = serde_json::to_string(outcome).unwrap();
        assert!(
            !text.contains("arn:aws:"),
            "{id} prints a commercial-partition ARN for a {REGION} bucket: {outcome:#?}"
        );
        named_an_arn += usize::from(text.contains("arn:aws-cn:"));
    }
    // The assertion above must have had something to look at.
    assert!(named_an_arn >= 5, "only {named_an_arn} checks named an ARN");
}
