//! The store step's headers and tags: parsing, S3's rules, what the probe sends.
use super::*;
use crate::Status;

fn with_headers(headers: &[(&str, &str)]) -> Target {
    let mut target = Target::new("b");
    target.headers = headers
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect();
    target
}

fn verdict(target: &Target) -> crate::Outcome {
    let mut found = Findings::default();
    problems(target, &mut found);
    found.into_outcome("fine")
}

#[test]
fn header_arguments() {
    assert_eq!(
        parse_header_arg("x-amz-server-side-encryption:  aws:kms ").unwrap(),
        ("x-amz-server-side-encryption".into(), "aws:kms".into())
    );
    assert!(parse_header_arg("Content-Type")
        .unwrap_err()
        .contains("'Name: value'"));
    assert!(parse_header_arg("Bad Name: x")
        .unwrap_err()
        .contains("not a valid header name"));
}

#[test]
fn tag_rules() {
    assert_eq!(
        parse_tag_arg("project=acme exports").unwrap(),
        ("project".into(), "acme exports".into())
    );
    assert!(parse_tag_arg("noequals").unwrap_err().contains("KEY=VALUE"));
    assert!(parse_tag_arg("aws:x=1").unwrap_err().contains("reserves"));
    assert!(parse_tag_arg(&format!("{}=v", "k".repeat(129)))
        .unwrap_err()
        .contains("1 to 128"));
    assert!(parse_tag_arg(&format!("k={}", "v".repeat(257)))
        .unwrap_err()
        .contains("at most 256"));
    assert!(parse_tag_arg("k=a,b").unwrap_err().contains("','"));
    assert!(parse_tag_arg("file=${file.url_name}").is_ok());
    let eleven: Vec<(String, String)> = (0..11).map(|i| (format!("k{i}"), "v".into())).collect();
    assert!(validate_tags(&eleven).unwrap_err().contains("at most 10"));
    let twice = vec![("k".into(), "1".into()), ("k".into(), "2".into())];
    assert!(validate_tags(&twice).unwrap_err().contains("twice"));
}

#[test]
fn the_probe_sends_concrete_values_and_never_client_owned_headers() {
    let mut target = with_headers(&[
        ("Content-Type", "${file.mime}"),
        ("Authorization", "AWS4-HMAC-SHA256 secret"),
        ("x-amz-server-side-encryption", "aws:kms"),
    ]);
    target.tags = vec![("origin".into(), "${file.name}".into())];
    let probe = probe_headers(&target);
    assert_eq!(
        probe.headers,
        vec![
            ("Content-Type".to_owned(), "text/plain".to_owned()),
            (
                "x-amz-server-side-encryption".to_owned(),
                "aws:kms".to_owned()
            )
        ]
    );
    assert_eq!(probe.left_out, ["Authorization"]);
    assert_eq!(
        probe.substitutions,
        ["Content-Type: ${file.mime} as text/plain"]
    );
    let tagging = probe.tagging.unwrap();
    assert!(tagging.starts_with("origin="), "{tagging}");
    assert!(!tagging.contains("%28"), "brackets made _: {tagging}");
}

#[test]
fn headers_s3_refuses_or_that_contradict_other_parameters_fail() {
    let cases: Vec<(Target, &str)> = vec![
        (with_headers(&[("Authorization", "x")]), "client computes"),
        (with_headers(&[("Content-MD5", "x")]), "check_integrity"),
        (with_headers(&[("x-amz-acl", "private")]), "contradict"),
        (with_headers(&[("x-amz-grant-read", "id=1")]), "both"),
        (
            with_headers(&[("x-amz-server-side-encryption", "kms")]),
            "AES256, aws:kms",
        ),
        (
            with_headers(&[(SSE_KMS_KEY_HEADER, "arn:aws:kms:eu-west-1:1:key/k")]),
            "without x-amz-server-side-encryption: aws:kms",
        ),
        (
            {
                let mut t = with_headers(&[("x-amz-tagging", "a=1")]);
                t.tags = vec![("b".into(), "2".into())];
                t
            },
            "only one tag set",
        ),
        (
            {
                let mut t = Target::new("b");
                t.tags = vec![("k".into(), "a|b".into())];
                t
            },
            "InvalidTag",
        ),
    ];
    for (target, needle) in cases {
        let outcome = verdict(&target);
        assert_eq!(outcome.status, Status::Fail, "{needle}: {outcome:?}");
        let text = format!(
            "{} {}",
            outcome.summary,
            outcome.remediation.unwrap_or_default()
        );
        assert!(text.contains(needle), "{needle}: {text}");
    }
    let mut fine = with_headers(&[
        ("Content-Type", "${file.mime}"),
        ("x-amz-server-side-encryption", "aws:kms"),
        (
            SSE_KMS_KEY_HEADER,
            "arn:aws:kms:eu-west-1:111122223333:key/k",
        ),
        ("x-amz-acl", "public-read"),
    ]);
    fine.tags = vec![("project".into(), "acme".into())];
    assert_eq!(verdict(&fine).status, Status::Pass);
}

#[test]
fn tags_in_a_tagging_header_count_as_tags() {
    let target = with_headers(&[("x-amz-tagging", "project=acme&team=a%20b")]);
    assert_eq!(
        request_tags(&target),
        vec![
            ("project".to_owned(), "acme".to_owned()),
            ("team".to_owned(), "a b".to_owned())
        ]
    );
}
