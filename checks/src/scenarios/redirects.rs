//! Finding the bucket's region: 301 redirects, 400 AuthorizationHeaderMalformed answers, and a
//! redirect that leads to another redirect.

use super::{assert_status, run};
use crate::replay::{s3_error, Replay};
use crate::{SessionOptions, Status};

#[tokio::test]
async fn a_301_redirect_is_followed_to_the_real_region() {
    let replay = Replay::new()
        .on("HEAD", "s3.us-east-1.amazonaws.com", 301, &[("x-amz-bucket-region", "eu-west-1")], "")
        .on("GET", "s3.us-east-1.amazonaws.com", 301, &[("x-amz-bucket-region", "eu-west-1")], &s3_error("PermanentRedirect", "The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint."))
        .healthy_bucket("eu-west-1");
    let (outcomes, log) = run(replay, SessionOptions::default(), |t| {
        t.bucket_region = None
    })
    .await;
    assert_status(&outcomes, "bucket-exists", Status::Pass, "exists");
    assert_eq!(
        outcomes["bucket-exists"].evidence["redirected_from"],
        "us-east-1"
    );
    assert_status(&outcomes, "bucket-region", Status::Warn, "is in eu-west-1");
    assert_status(
        &outcomes,
        "bucket-region",
        Status::Warn,
        "Set `bucket_region: eu-west-1`",
    );
    assert_status(&outcomes, "list-objects", Status::Pass, "allowed");
    let requests = log.lock().unwrap().clone();
    assert!(
        requests
            .iter()
            .filter(|r| r.contains("s3.us-east-1"))
            .count()
            == 1,
        "only the first HEAD goes to the wrong region: {requests:#?}"
    );
}

#[tokio::test]
async fn a_400_authorization_header_malformed_is_read_for_the_region() {
    // Regions launched after March 2019 answer 400 instead of 301; a HEAD answer has no body.
    let replay = Replay::new()
        .on(
            "HEAD",
            "s3.eu-west-1.amazonaws.com",
            400,
            &[("x-amz-bucket-region", "ap-east-2")],
            "",
        )
        .healthy_bucket("ap-east-2");
    let (outcomes, _) = run(replay, SessionOptions::default(), |_| {}).await;
    assert_status(&outcomes, "bucket-exists", Status::Pass, "exists");
    assert_status(
        &outcomes,
        "bucket-region",
        Status::Fail,
        "bucket_region is eu-west-1, but bucket `my-bucket` is in ap-east-2",
    );
    assert_status(
        &outcomes,
        "bucket-region",
        Status::Fail,
        "Set `bucket_region: ap-east-2`",
    );
}

#[tokio::test]
async fn a_second_redirect_is_not_reachable() {
    let replay = Replay::new()
        .on(
            "HEAD",
            "s3.eu-west-1.amazonaws.com",
            301,
            &[("x-amz-bucket-region", "us-west-2")],
            "",
        )
        .on(
            "HEAD",
            "s3.us-west-2.amazonaws.com",
            301,
            &[("x-amz-bucket-region", "ap-south-1")],
            "",
        )
        .healthy_bucket("eu-west-1");
    let (outcomes, _) = run(replay, SessionOptions::default(), |_| {}).await;
    assert_status(&outcomes, "bucket-exists", Status::Error, "redirected");
}
