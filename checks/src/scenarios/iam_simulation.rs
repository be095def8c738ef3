//! `iam-simulation` against replayed SimulatePrincipalPolicy answers: allowed, implicit and
//! explicit denies, a caller that may not simulate, other failures, the principal simulated,
//! the bucket policy and KMS key passed along, and endpoints without a simulator.

use super::{assert_status, outcome_text, run, simulate};
use crate::replay::Replay;
use crate::{SessionOptions, Status};

/// Form-body needles of SimulatePrincipalPolicy, as the SDK encodes them.
const SIMULATE: &str = "Action=SimulatePrincipalPolicy";
const SIMULATE_LIST_BUCKET: &str = "ActionNames.member.1=s3%3AListBucket";
const SIMULATE_ACL_CONTEXT: &str =
    "ContextKeyName=s3%3Ax-amz-acl&ContextEntries.member.2.ContextKeyValues.member.1=public-read";

fn iam_invalid_input() -> String {
    crate::replay::iam_error(
        "InvalidInput",
        "the replay expected another simulation request",
    )
}

#[tokio::test]
async fn iam_simulation_passes_when_every_action_is_allowed() {
    let (outcome, log) = simulate(
        Replay::new().healthy_bucket("eu-west-1"),
        SessionOptions::default(),
        Default::default(),
    )
    .await;
    assert_eq!(outcome.status, Status::Pass, "{outcome:#?}");
    assert!(
        outcome.summary.contains(
            "the simulator allows every action of the upload for arn:aws:iam::111122223333:user/exporter"
        ),
        "{outcome:#?}"
    );
    let decisions = outcome.evidence["decisions"].as_array().unwrap();
    let actions: Vec<&str> = decisions
        .iter()
        .map(|d| d["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["s3:ListBucket", "s3:PutObject", "s3:PutObjectAcl"]
    );
    assert!(decisions.iter().all(|d| d["decision"] == "allowed"));
    assert_eq!(
        decisions[1]["matched_statements"][0],
        "policy `export` (IAM Policy), statement at line 1"
    );
    assert!(outcome.detail.unwrap().contains("dry-run-put is the proof"));
    let simulations = log
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.as_str() == "POST https://iam.amazonaws.com/")
        .count();
    assert_eq!(
        simulations, 2,
        "one call per resource: the bucket and an object"
    );
}

#[tokio::test]
async fn iam_simulation_implicit_deny_of_list_bucket_names_the_bucket_arn_statement() {
    let body = crate::replay::iam_simulation(&[(
        "s3:ListBucket",
        "arn:aws:s3:::my-bucket",
        "implicitDeny",
        "",
    )]);
    let replay = Replay::new()
        .on(
            "POST",
            SIMULATE_LIST_BUCKET,
            200,
            &[("content-type", "text/xml")],
            &body,
        )
        .healthy_bucket("eu-west-1");
    let (outcome, _) = simulate(replay, SessionOptions::default(), Default::default()).await;
    assert_eq!(outcome.status, Status::Fail, "{outcome:#?}");
    let text = outcome_text(&outcome);
    assert!(
        text.contains("no policy allows arn:aws:iam::111122223333:user/exporter s3:ListBucket on arn:aws:s3:::my-bucket (implicitDeny)"),
        "{text}"
    );
    assert!(
        text.contains(r#"{"Sid":"ListExportBucket","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::my-bucket"}"#),
        "{text}"
    );
    assert!(
        !text.contains("s3:PutObject on"),
        "only the denied action: {text}"
    );
    assert_eq!(outcome.evidence["decisions"][0]["decision"], "implicitDeny");
}

#[tokio::test]
async fn iam_simulation_explicit_deny_names_the_policy_to_change() {
    // Answered only when the object call carries the ACL the upload sends in its context.
    let object = "arn:aws:s3:::my-bucket/example.jpg";
    let body = crate::replay::iam_simulation(&[
        ("s3:PutObject", object, "allowed", "export"),
        (
            "s3:PutObjectAcl",
            object,
            "explicitDeny",
            "deny-public-acls",
        ),
    ]);
    let replay = Replay::new()
        .on(
            "POST",
            SIMULATE_ACL_CONTEXT,
            200,
            &[("content-type", "text/xml")],
            &body,
        )
        .healthy_bucket("eu-west-1");
    let (outcome, _) = simulate(replay, SessionOptions::default(), Default::default()).await;
    assert_eq!(outcome.status, Status::Fail, "{outcome:#?}");
    let text = outcome_text(&outcome);
    assert!(
        text.contains("s3:PutObjectAcl on arn:aws:s3:::my-bucket/example.jpg is explicitly denied for arn:aws:iam::111122223333:user/exporter by policy `deny-public-acls` (IAM Policy)"),
        "{text}"
    );
    assert!(
        text.contains("Remove or narrow the Deny statement in policy `deny-public-acls`"),
        "{text}"
    );
    assert!(!text.contains("s3:PutObject on"), "{text}");
}

#[tokio::test]
async fn iam_simulation_skips_when_the_caller_may_not_simulate() {
    let denied = crate::replay::iam_error(
        "AccessDenied",
        "User: arn:aws:iam::111122223333:user/exporter is not authorized to perform: iam:SimulatePrincipalPolicy on resource: user exporter",
    );
    let replay = Replay::new()
        .on(
            "POST",
            SIMULATE,
            403,
            &[("content-type", "text/xml")],
            &denied,
        )
        .healthy_bucket("eu-west-1");
    let (outcome, _) = simulate(replay, SessionOptions::default(), Default::default()).await;
    assert_eq!(outcome.status, Status::Skip, "{outcome:#?}");
    assert!(
        outcome
            .summary
            .contains("is not allowed iam:SimulatePrincipalPolicy"),
        "{outcome:#?}"
    );
    assert!(
        outcome
            .detail
            .as_deref()
            .unwrap_or_default()
            .contains(r#""Action":"iam:SimulatePrincipalPolicy","Resource":"arn:aws:iam::111122223333:user/exporter""#),
        "{outcome:#?}"
    );
    assert_eq!(
        outcome.evidence["denied_permission"],
        "iam:SimulatePrincipalPolicy"
    );
}

#[tokio::test]
async fn iam_simulation_other_failures_are_errors() {
    let replay = Replay::new()
        .on(
            "POST",
            SIMULATE,
            400,
            &[("content-type", "text/xml")],
            &iam_invalid_input(),
        )
        .healthy_bucket("eu-west-1");
    let (outcome, _) = simulate(replay, SessionOptions::default(), Default::default()).await;
    assert_eq!(outcome.status, Status::Error, "{outcome:#?}");
    assert!(outcome.summary.contains("InvalidInput"), "{outcome:#?}");
}

#[tokio::test]
async fn iam_simulation_simulates_the_principal_given() {
    // In the bucket owner's account: a principal of another account would also need the
    // bucket policy to allow it (see scenarios/cross_account.rs).
    let role = "arn:aws:iam::111122223333:role/Exporter";
    let allowed = crate::replay::iam_simulation(&[
        (
            "s3:ListBucket",
            "arn:aws:s3:::my-bucket",
            "allowed",
            "export",
        ),
        (
            "s3:PutObject",
            "arn:aws:s3:::my-bucket/example.jpg",
            "allowed",
            "export",
        ),
        (
            "s3:PutObjectAcl",
            "arn:aws:s3:::my-bucket/example.jpg",
            "allowed",
            "export",
        ),
    ]);
    let replay = Replay::new()
        .on(
            "POST",
            "PolicySourceArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2FExporter&",
            200,
            &[("content-type", "text/xml")],
            &allowed,
        )
        .on(
            "POST",
            SIMULATE,
            400,
            &[("content-type", "text/xml")],
            &iam_invalid_input(),
        )
        .healthy_bucket("eu-west-1");
    let settings = crate::Settings {
        principal: Some(role.into()),
        ..Default::default()
    };
    let (outcome, _) = simulate(replay, SessionOptions::default(), settings).await;
    assert_eq!(outcome.status, Status::Pass, "{outcome:#?}");
    assert!(outcome.summary.ends_with(role), "{outcome:#?}");
    assert_eq!(outcome.evidence["principal"], role);
}

#[tokio::test]
async fn iam_simulation_simulates_the_role_of_an_assumed_role_caller() {
    let allowed = crate::replay::iam_simulation(&[
        (
            "s3:ListBucket",
            "arn:aws:s3:::my-bucket",
            "allowed",
            "export",
        ),
        (
            "s3:PutObject",
            "arn:aws:s3:::my-bucket/example.jpg",
            "allowed",
            "export",
        ),
        (
            "s3:PutObjectAcl",
            "arn:aws:s3:::my-bucket/example.jpg",
            "allowed",
            "export",
        ),
    ]);
    let replay = Replay::new()
        .on(
            "POST",
            "Action=GetCallerIdentity",
            200,
            &[("content-type", "text/xml")],
            r#"<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>
    <Arn>arn:aws:sts::111122223333:assumed-role/Exporter/worker-1</Arn>
    <UserId>AROASAMPLEROLEID:worker-1</UserId>
    <Account>111122223333</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata><RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId></ResponseMetadata>
</GetCallerIdentityResponse>"#,
        )
        .on(
            "POST",
            "PolicySourceArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2FExporter&",
            200,
            &[("content-type", "text/xml")],
            &allowed,
        )
        .on(
            "POST",
            SIMULATE,
            400,
            &[("content-type", "text/xml")],
            &iam_invalid_input(),
        )
        .healthy_bucket("eu-west-1");
    let (outcome, _) = simulate(replay, SessionOptions::default(), Default::default()).await;
    assert_eq!(outcome.status, Status::Pass, "{outcome:#?}");
    assert!(
        outcome
            .summary
            .ends_with("arn:aws:iam::111122223333:role/Exporter"),
        "{outcome:#?}"
    );
    let detail = outcome.detail.unwrap_or_default();
    assert!(
        detail.contains("assumed-role session `worker-1`"),
        "{detail}"
    );
    assert!(detail.contains("path"), "{detail}");
}

#[tokio::test]
async fn iam_simulation_passes_the_bucket_policy_and_checks_the_kms_key() {
    let key = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Export","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/exporter"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::my-bucket/*"}]}"#;
    let kms_denied = crate::replay::iam_simulation(&[
        ("kms:GenerateDataKey", key, "implicitDeny", ""),
        ("kms:Decrypt", key, "implicitDeny", ""),
    ]);
    let replay = Replay::new()
        .on("GET", "?policy", 200, &[("content-type", "application/json")], policy)
        .on("GET", "?encryption", 200, &[], &format!(r#"<ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms</SSEAlgorithm><KMSMasterKeyID>{key}</KMSMasterKeyID></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>true</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>"#))
        .on("POST", "ActionNames.member.1=kms%3AGenerateDataKey", 200, &[("content-type", "text/xml")], &kms_denied)
        // The S3 calls carry the bucket policy and its owner; anything else is refused.
        .on("POST", "ResourceOwner=arn%3Aaws%3Aiam%3A%3A111122223333%3Aroot", 200, &[("content-type", "text/xml")], &crate::replay::iam_simulation(&[
            ("s3:ListBucket", "arn:aws:s3:::my-bucket", "allowed", "export"),
            ("s3:PutObject", "arn:aws:s3:::my-bucket/example.jpg", "allowed", "ResourcePolicy"),
            ("s3:PutObjectAcl", "arn:aws:s3:::my-bucket/example.jpg", "allowed", "export"),
        ]))
        .on("POST", SIMULATE, 400, &[("content-type", "text/xml")], &iam_invalid_input())
        .healthy_bucket("eu-west-1");
    let (outcome, _) = simulate(replay, SessionOptions::default(), Default::default()).await;
    assert_eq!(outcome.status, Status::Fail, "{outcome:#?}");
    let text = outcome_text(&outcome);
    assert!(
        text.contains(&format!(
            r#"{{"Sid":"UseBucketKmsKey","Effect":"Allow","Action":["kms:GenerateDataKey","kms:Decrypt"],"Resource":"{key}"}}"#
        )),
        "{text}"
    );
    assert!(text.contains("key policy"), "{text}");
    assert_eq!(outcome.evidence["bucket_policy_simulated"], true);
    assert_eq!(outcome.evidence["decisions"].as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn iam_simulation_is_skipped_on_another_endpoint() {
    let other_store = SessionOptions {
        endpoint_url: Some("http://127.0.0.1:9".into()),
        path_style: true,
        ..Default::default()
    };
    let (outcome, log) = simulate(
        Replay::new().healthy_bucket("eu-west-1"),
        other_store,
        Default::default(),
    )
    .await;
    assert_eq!(outcome.status, Status::Skip, "{outcome:#?}");
    assert_eq!(
        outcome.summary,
        "the IAM policy simulator is not available on this endpoint"
    );
    assert!(log.lock().unwrap().is_empty());
}

#[tokio::test]
async fn iam_simulation_does_not_pass_what_it_could_not_simulate() {
    let body = r#"<ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms</SSEAlgorithm><KMSMasterKeyID>alias/exports</KMSMasterKeyID></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>"#;
    let replay = Replay::new()
        .on("GET", "?encryption", 200, &[], body)
        .healthy_bucket("eu-west-1");
    let (outcomes, _) = run(replay, SessionOptions::default(), |_| {}).await;
    assert_status(
        &outcomes,
        "iam-simulation",
        Status::Warn,
        "the KMS permissions could not be simulated",
    );
}
