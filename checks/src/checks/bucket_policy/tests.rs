//! `bucket-policy` against replayed GetBucketPolicy answers: the export's own requests, the
//! `--principal` given, the transport, file names and network conditions.
use super::*;
use crate::replay::Replay;
use crate::{SessionOptions, Settings, Status, Target};
use std::sync::Arc;

const EXPORTER: &str = "arn:aws:iam::111122223333:user/exporter";
const ADMIN: &str = "arn:aws:iam::111122223333:user/admin";

/// Runs `bucket-policy` against a replayed GetBucketPolicy answer holding `statements`, as
/// the replay's caller (`EXPORTER`) unless `principal` is given.
async fn check(
    statements: &str,
    principal: Option<&str>,
    configure: impl FnOnce(&mut Target),
) -> Outcome {
    let policy = format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#);
    let replay = Replay::new()
        .on("GET", "?policy", 200, &[], &policy)
        .healthy_bucket("eu-west-1");
    let (session, _) = replay.session(SessionOptions::default()).await;
    let mut target = Target::new("my-bucket");
    target.path = "exports/${unique_prefix}/${file.url_name}".into();
    configure(&mut target);
    let settings = Settings {
        principal: principal.map(str::to_owned),
        ..Settings::default()
    };
    let ctx = Context::online(target, Arc::new(session)).with_settings(settings);
    BucketPolicy.run(&ctx).await
}

fn text(outcome: &Outcome) -> String {
    format!(
        "{} {}",
        outcome.summary,
        outcome.remediation.as_deref().unwrap_or_default()
    )
}

#[tokio::test]
async fn the_enforce_conditional_writes_policy_fails_the_export() {
    // AWS's documented policy: the export sends no If-None-Match, the dry run does.
    let outcome = check(
        r#"{"Sid":"BlockNonConditionalObjectUploads","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::my-bucket/*","Condition":{"Null":{"s3:if-none-match":"true"}}}"#,
        None,
        |_| {},
    )
    .await;
    assert_eq!(outcome.status, Status::Fail, "{outcome:#?}");
    let text = text(&outcome);
    for needle in [
        "statement \"BlockNonConditionalObjectUploads\" denies s3:PutObject",
        "If-None-Match",
        "the dry run sends If-None-Match: *, so its success cannot stand for the export",
        EXPORTER,
    ] {
        assert!(text.contains(needle), "{text} lacks {needle}");
    }
    assert_eq!(
        outcome.evidence["requests"]["s3:PutObject"],
        "explicit_deny"
    );
}

#[tokio::test]
async fn the_given_principal_is_evaluated_instead_of_the_caller() {
    let spares_admin = [
        format!(
            r#"{{"Sid":"OnlyAdmin","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::my-bucket/*","Condition":{{"ArnNotEquals":{{"aws:PrincipalArn":"{ADMIN}"}}}}}}"#
        ),
        format!(
            r#"{{"Sid":"OnlyAdmin","Effect":"Deny","NotPrincipal":{{"AWS":["{ADMIN}","arn:aws:iam::111122223333:root"]}},"Action":"s3:PutObject","Resource":"arn:aws:s3:::my-bucket/*"}}"#
        ),
    ];
    for statement in &spares_admin {
        // Run as the admin for the export user: the Deny hits the export user.
        let outcome = check(statement, Some(EXPORTER), |_| {}).await;
        assert_eq!(outcome.status, Status::Fail, "{outcome:#?}");
        assert!(text(&outcome).contains("\"OnlyAdmin\""), "{outcome:#?}");
        assert_eq!(outcome.evidence["principal"], EXPORTER);
        // For the admin itself nothing is denied, and the summary says whose requests.
        let outcome = check(statement, Some(ADMIN), |_| {}).await;
        assert_eq!(outcome.status, Status::Pass, "{outcome:#?}");
        assert!(
            outcome
                .summary
                .contains(&format!("requests of {ADMIN} (--principal)")),
            "{}",
            outcome.summary
        );
    }
}

#[tokio::test]
async fn a_plain_http_deny_hits_an_export_to_an_http_endpoint() {
    let statement = r#"{"Sid":"AllowSSLRequestsOnly","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::my-bucket","arn:aws:s3:::my-bucket/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}"#;
    let outcome = check(statement, None, |target| {
        target.endpoint = Some("http://127.0.0.1:9000".into())
    })
    .await;
    assert_eq!(outcome.status, Status::Fail, "{outcome:#?}");
    assert!(text(&outcome).contains("\"AllowSSLRequestsOnly\" denies s3:PutObject, s3:PutObjectAcl, s3:ListBucket, s3:GetBucketLocation over plain HTTP"), "{outcome:#?}");
    assert!(text(&outcome).contains("https:// `host`"), "{outcome:#?}");
    let outcome = check(statement, None, |target| {
        target.endpoint = Some("https://storage.example.com".into())
    })
    .await;
    assert_eq!(outcome.status, Status::Pass, "{outcome:#?}");
}

#[tokio::test]
async fn a_deny_on_some_extensions_warns_that_it_depends_on_the_file_name() {
    let outcome = check(
        r#"{"Sid":"NoVideos","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::my-bucket/*.mp4"}"#,
        None,
        |_| {},
    )
    .await;
    assert_eq!(outcome.status, Status::Warn, "{outcome:#?}");
    let text = text(&outcome);
    assert!(
        text.contains("depending on the file name or extension"),
        "{text}"
    );
    assert!(text.contains("clip.mp4"), "{text}");
    assert_eq!(outcome.evidence["requests"]["s3:PutObject"], "conditional");
}

#[tokio::test]
async fn network_conditions_never_pass_silently() {
    let deny = r#"{"Sid":"VpcOnly","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::my-bucket/*","Condition":{"NotIpAddress":{"aws:VpcSourceIp":"10.0.0.0/8"}}}"#;
    let outcome = check(deny, None, |_| {}).await;
    assert_eq!(outcome.status, Status::Warn, "{outcome:#?}");
    assert!(
        text(&outcome).contains("10.0.0.0/8 inside a VPC"),
        "{outcome:#?}"
    );
    let allow = format!(
        r#"{{"Sid":"OfficeWriters","Effect":"Allow","Principal":{{"AWS":"{EXPORTER}"}},"Action":["s3:PutObject","s3:PutObjectAcl"],"Resource":"arn:aws:s3:::my-bucket/*","Condition":{{"IpAddress":{{"aws:SourceIp":"203.0.113.0/24"}}}}}}"#
    );
    let outcome = check(&allow, None, |_| {}).await;
    assert_eq!(outcome.status, Status::Warn, "{outcome:#?}");
    assert!(
        text(&outcome).contains("statement \"OfficeWriters\" grants s3:PutObject, s3:PutObjectAcl only if aws:SourceIp is in 203.0.113.0/24"),
        "{outcome:#?}"
    );
}
