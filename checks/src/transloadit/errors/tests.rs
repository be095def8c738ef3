//! Real-shaped failure messages → the causes `diagnose` names, and the codes kept in step with
//! the checks' "Errors this prevents" documentation.

use super::*;
use crate::error_codes;

const USER: &str = "arn:aws:iam::111122223333:user/exporter";
const OBJECT: &str = "arn:aws:s3:::acme-exports/uploads/ab/cd/clip.mp4";

fn enhanced(action: &str, resource: &str, reason: &str) -> String {
    format!(
        r#"User: {USER} is not authorized to perform: {action} on resource: "{resource}" {reason}"#
    )
}

/// The causes' ids for `input`, most likely first.
fn diagnose(input: &str) -> (Failure, Vec<Cause>) {
    let failure = parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
    let causes = causes(&failure, &Known::default());
    (failure, causes)
}

fn ids(causes: &[Cause]) -> Vec<&'static str> {
    causes.iter().map(|c| c.kind.id).collect()
}

#[test]
fn real_shaped_messages_name_their_causes_most_likely_first() {
    let status = |code: &str, message: &str| {
        serde_json::json!({
            "ok": null, "error": code, "message": message, "step": ":original_store",
            "assembly_id": "a1b2", "assembly_ssl_url": "https://api2.transloadit.com/assemblies/a1b2",
            "http_code": 403
        })
        .to_string()
    };
    let s3_xml = |code: &str, message: &str, extra: &str| {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>{message}</Message>{extra}<RequestId>4442587FB7D0A2F9</RequestId></Error>"#
        )
    };
    // (input, the causes expected first, in order)
    let cases: Vec<(String, Vec<&str>)> = vec![
        // Assembly Status JSON carrying the enhanced message.
        (status("S3_STORE_ACCESS_DENIED", &enhanced("s3:PutObject", OBJECT, "because no identity-based policy allows the s3:PutObject action")), vec!["identity-policy-no-allow"]),
        // The SDK one-liner with a bare denial.
        ("API error (HTTP 403) S3_STORE_ACCESS_DENIED: Access Denied https://api2.transloadit.com/assemblies/a1b2".into(), vec!["identity-policy-no-allow", "block-public-acls", "bucket-policy-deny", "bucket-policy-no-allow", "kms-key"]),
        ("API error (HTTP 400) S3_STORE_WRONG_REGION: The bucket is in this region: eu-west-1. https://api2.transloadit.com/assemblies/a1b2".into(), vec!["wrong-region"]),
        // S3's own XML.
        (s3_xml("AccessControlListNotSupported", "The bucket does not allow ACLs", ""), vec!["acls-disabled"]),
        (s3_xml("PermanentRedirect", "The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.", "<Endpoint>acme-exports.s3.eu-west-1.amazonaws.com</Endpoint><Bucket>acme-exports</Bucket>"), vec!["wrong-region"]),
        (s3_xml("AuthorizationHeaderMalformed", "The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'eu-central-1'", "<Region>eu-central-1</Region>"), vec!["wrong-region"]),
        (s3_xml("NoSuchBucket", "The specified bucket does not exist", "<BucketName>acme-exprots</BucketName>"), vec!["no-such-bucket"]),
        (s3_xml("InvalidRequest", "Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters", ""), vec!["object-lock-integrity"]),
        (s3_xml("KMS.DisabledException", "arn:aws:kms:eu-west-1:111122223333:key/1234abcd is disabled.", ""), vec!["kms-key"]),
        // Every enhanced AccessDenied variant.
        (enhanced("s3:PutObject", OBJECT, "with an explicit deny in a resource-based policy"), vec!["bucket-policy-deny"]),
        (enhanced("s3:PutObject", OBJECT, "because no resource-based policy allows the s3:PutObject action"), vec!["bucket-policy-no-allow"]),
        (enhanced("s3:PutObject", OBJECT, "with an explicit deny in an identity-based policy"), vec!["identity-policy-deny"]),
        (enhanced("s3:PutObject", OBJECT, "with an explicit deny in a service control policy"), vec!["organisation-policy"]),
        (enhanced("s3:PutObject", OBJECT, "with an explicit deny in a resource control policy"), vec!["organisation-policy"]),
        (enhanced("s3:PutObject", OBJECT, "because no permissions boundary allows the s3:PutObject action"), vec!["permissions-boundary"]),
        (enhanced("s3:PutObject", OBJECT, "with an explicit deny in a VPC endpoint policy"), vec!["vpc-endpoint-policy"]),
        (enhanced("s3:PutObject", OBJECT, "because no session policy allows the s3:PutObject action"), vec!["session-policy"]),
        (enhanced("kms:GenerateDataKey", "arn:aws:kms:eu-west-1:111122223333:key/1234abcd", "because no identity-based policy allows the kms:GenerateDataKey action"), vec!["kms-key"]),
        // Bare codes, as people paste them.
        ("S3_STORE_NOT_FOUND".into(), vec!["no-such-bucket", "invalid-bucket-name"]),
        ("wasabi_store_wrong_region".into(), vec!["wrong-region"]),
        ("S3_ACCESS_DENIED".into(), vec!["identity-policy-no-allow", "block-public-acls"]),
        ("S3_STORE_URL_VERIFICATION_FAILURE".into(), vec!["url-not-reachable"]),
        ("S3_STORE_VALIDATION".into(), vec!["invalid-parameter"]),
        ("TRANSIENT_STORAGE_SERVICE_ERROR".into(), vec!["transient"]),
        ("ExpiredToken".into(), vec!["expired-token"]),
        ("SignatureDoesNotMatch".into(), vec!["wrong-secret"]),
        ("RequestTimeTooSkewed".into(), vec!["clock-skew"]),
    ];
    let mut wrong = Vec::new();
    for (input, expected) in &cases {
        let (_, causes) = diagnose(input);
        let got = ids(&causes);
        if got.len() < expected.len() || got[..expected.len()] != expected[..] {
            wrong.push(format!(
                "{input}\n  expected {expected:?}\n  got      {got:?}"
            ));
        }
        for cause in &causes {
            assert!(
                !cause.evidence.is_empty() && !cause.fix.is_empty(),
                "{input}: {cause:?}"
            );
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn an_enhanced_put_object_denial_names_the_identity_policy_and_the_missing_statement() {
    let input = format!(
        "API error (HTTP 403) S3_STORE_ACCESS_DENIED: {} https://api2.transloadit.com/assemblies/a1b2",
        enhanced("s3:PutObject", OBJECT, "because no identity-based policy allows the s3:PutObject action")
    );
    let (failure, causes) = diagnose(&input);
    assert_eq!(failure.kind, InputKind::SdkError);
    assert_eq!(failure.http_status, Some(403));
    assert_eq!(
        failure.transloadit_code.as_deref(),
        Some("S3_STORE_ACCESS_DENIED")
    );
    assert_eq!(failure.aws_code.as_deref(), Some("AccessDenied"));
    assert_eq!(
        failure.assembly_url.as_deref(),
        Some("https://api2.transloadit.com/assemblies/a1b2")
    );
    assert_eq!(failure.bucket.as_deref(), Some("acme-exports"));
    assert_eq!(failure.key.as_deref(), Some("uploads/ab/cd/clip.mp4"));
    let denial = failure
        .denial
        .as_ref()
        .expect("the enhanced message is read");
    assert_eq!(
        (denial.principal.as_str(), denial.action.as_str()),
        (USER, "s3:PutObject")
    );
    assert_eq!(denial.policy_type.as_deref(), Some("identity-based"));
    assert!(!denial.explicit);
    let first = &causes[0];
    assert_eq!(
        (first.kind.id, first.likelihood),
        ("identity-policy-no-allow", Likelihood::Certain)
    );
    assert!(
        first.fix.contains(&format!("IAM policy of `{USER}`")),
        "{}",
        first.fix
    );
    assert!(
        first.fix.contains(r#"{"Sid":"WriteExportedFiles","Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::acme-exports/*"}"#),
        "{}",
        first.fix
    );
}

#[test]
fn fixes_name_the_store_step_parameter() {
    let (_, causes) = diagnose("AccessControlListNotSupported");
    assert!(
        causes[0].fix.contains("`acl: bucket-default`"),
        "{}",
        causes[0].fix
    );
    assert!(causes[0].kind.title.contains("Object Ownership"));
    let (failure, causes) = diagnose("<Error><Code>PermanentRedirect</Code><Message>The bucket you are attempting to access must be addressed using the specified endpoint.</Message><Endpoint>acme-exports.s3.ap-southeast-2.amazonaws.com</Endpoint></Error>");
    assert_eq!(failure.region.as_deref(), Some("ap-southeast-2"));
    assert!(
        causes[0].fix.contains("`bucket_region: ap-southeast-2`"),
        "{}",
        causes[0].fix
    );
}

#[test]
fn an_assembly_status_yields_its_error_and_lists_the_ignored_ones() {
    let input = serde_json::json!({
        "ok": "ASSEMBLY_COMPLETED",
        "assembly_ssl_url": "https://api2.transloadit.com/assemblies/x9",
        "params": {"steps": {"store": {"robot": "/s3/store", "key": "AKIAEXAMPLE", "secret": "wJalrXUtnFEMI-SECRET"}}},
        "ignored_errors": [
            {"step": "thumbs", "error": "IMAGE_RESIZE_FAILURE", "message": "bad image"},
            {"step": "store", "error": "S3_STORE_WRONG_REGION", "message": "The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'eu-north-1'"}
        ]
    })
    .to_string();
    let (failure, causes) = diagnose(&input);
    assert_eq!(failure.step.as_deref(), Some("store"));
    assert_eq!(failure.region.as_deref(), Some("eu-north-1"));
    assert_eq!(
        failure.other_errors,
        ["step thumbs: IMAGE_RESIZE_FAILURE: bad image"]
    );
    assert_eq!(ids(&causes)[0], "wrong-region");
    // The steps' parameters are never read: no secret reaches what diagnose reports.
    let everything = format!("{failure:?}{causes:?}");
    assert!(
        !everything.contains("SECRET") && !everything.contains("AKIAEXAMPLE"),
        "{everything}"
    );
}

#[test]
fn unrecognised_input_says_what_is_accepted() {
    for (input, why) in [
        ("", "empty"),
        ("hello world", "names no error code"),
        (r#"{"ok": "ASSEMBLY_COMPLETED"}"#, "no `error`"),
        ("{\"error\": ", "line 1, column"),
        ("<html><body>oops</body></html>", "not S3's <Error>"),
        ("<Error><Code>x</Cod></Error>", "not valid XML"),
    ] {
        let err = parse(input).expect_err(input).to_string();
        assert!(err.contains(why), "{input}: {err}");
        assert!(
            err.contains("Assembly Status JSON") && err.contains("S3_STORE_ACCESS_DENIED"),
            "{err}"
        );
    }
}

#[test]
fn every_code_leads_to_causes_backed_by_registered_checks() {
    for kind in CAUSES {
        assert!(!kind.checks.is_empty(), "{}", kind.id);
        for id in kind.checks {
            assert!(crate::registry::find(id).is_some(), "{}: {id}", kind.id);
        }
    }
    let codes = error_codes::ALL
        .iter()
        .map(|c| c.code)
        .chain(STORE_CODES.iter().map(|c| c.code));
    for code in codes {
        let (_, causes) = diagnose(code);
        assert!(!causes.is_empty(), "{code} names no cause");
    }
    for provider in PROVIDERS {
        assert!(
            find_store_code(&format!("{provider}_STORE_ACCESS_DENIED")).is_some(),
            "{provider}"
        );
    }
}

/// The "## Errors this prevents" section of a check's docs, its lines joined.
fn errors_section(check: &str) -> String {
    let docs = crate::registry::find(check)
        .expect("registered")
        .info()
        .docs;
    let start = docs
        .find("## Errors this prevents")
        .unwrap_or_else(|| panic!("{check}'s docs have no \"## Errors this prevents\" section"));
    let rest = &docs[start + 2..];
    let end = rest.find("\n## ").map_or(rest.len(), |e| e + 1);
    rest[..end].split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn the_codes_and_the_checks_docs_are_in_step() {
    // Each code, and each cause, → every check that predicts it lists it.
    let mut missing = Vec::new();
    let codes = error_codes::ALL
        .iter()
        .map(|c| (format!("`{}`", c.code), c.checks))
        .chain(
            STORE_CODES
                .iter()
                .map(|c| (format!("`{}`", c.code), c.checks)),
        )
        .chain(
            CAUSES
                .iter()
                .map(|c| (format!("cause `{}`", c.id), c.checks)),
        );
    for (named, checks) in codes {
        for check in checks {
            if !errors_section(check).contains(&named) {
                missing.push(format!("{check} does not list {named}"));
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
    // Each documented code is recognised, and each documented cause exists.
    for check in crate::registry::ALL {
        let id = check.info().id;
        if !check.info().docs.contains("## Errors this prevents") {
            continue;
        }
        let section = errors_section(id);
        for quoted in section.split('`').skip(1).step_by(2) {
            if quoted
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_uppercase())
            {
                assert!(
                    is_recognised(quoted),
                    "{id} documents unknown code `{quoted}`"
                );
            }
        }
        for named in section.split("cause `").skip(1) {
            let cause = named.split('`').next().unwrap_or_default();
            assert!(
                CAUSES.iter().any(|c| c.id == cause),
                "{id} documents unknown cause `{cause}`"
            );
        }
    }
}
