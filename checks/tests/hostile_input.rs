//! Hostile input against the library: whatever a user types or a policy file holds, the parsing
//! and analysis code neither panics nor hangs. Property tests (proptest) generate the input:
//! arbitrary text, text built from the syntax's own delimiters, arbitrary JSON, and mutations of
//! real policies.
//!
//! "Bounded time" is asserted per case with a generous limit: these are pure functions, so a
//! case that takes seconds is a runaway (a backtracking pattern match, a quadratic loop).

use preflight::checks::bucket_name::{suggest_compliant_name, violations};
use preflight::iam::{
    diagnose_upload_policy, evaluate, parse_policy, required_actions, PolicyKind, PolicyRequest,
    Request,
};
use preflight::path_template;
use preflight::{registry, Acl, Context, Target};
use proptest::prelude::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// What one pure case may take before it counts as a hang (debug build, loaded 2-core CI).
const CASE_LIMIT: Duration = Duration::from_secs(2);

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        // Shrinking a failure is worth a few seconds, not minutes.
        max_shrink_iters: 2_000,
        // A failure prints its minimal input; no regression files are written into the tree.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Text from the pieces a template, an ARN, a URL or a bucket name is made of, plus anything.
fn syntax_soup() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("${".to_owned()),
        Just("}".to_owned()),
        Just("$".to_owned()),
        Just("/".to_owned()),
        Just("..".to_owned()),
        Just(".".to_owned()),
        Just("-".to_owned()),
        Just("*".to_owned()),
        Just("?".to_owned()),
        Just(":".to_owned()),
        Just("%".to_owned()),
        Just("\0".to_owned()),
        Just("xn--".to_owned()),
        Just("arn:aws:s3:::".to_owned()),
        Just("https://".to_owned()),
        Just("${unique_prefix}".to_owned()),
        Just("${file.url_name}".to_owned()),
        Just("${assembly.id}".to_owned()),
        Just("é".to_owned()),
        Just("ß".to_owned()),
        Just("İ".to_owned()),
        Just("\u{202e}".to_owned()),
        Just("👩‍👩‍👧".to_owned()),
        "[a-zA-Z0-9]{1,8}",
        any::<String>(),
    ];
    prop::collection::vec(piece, 0..24).prop_map(|pieces| pieces.concat())
}

fn long_or_soup() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => syntax_soup(),
        1 => ("[a-z]{1,3}", 60usize..5_000).prop_map(|(unit, n)| unit.repeat(n)),
    ]
}

fn timed<T>(what: &str, input: &dyn std::fmt::Debug, f: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let out = f();
    let took = started.elapsed();
    assert!(took < CASE_LIMIT, "{what} took {took:?} on {input:?}");
    out
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn bucket_names_never_panic_and_suggestions_comply(name in long_or_soup()) {
        timed("bucket_name::violations", &name, || violations(&name));
        let suggestion = timed("suggest_compliant_name", &name, || suggest_compliant_name(&name));
        if let Some(suggested) = suggestion {
            prop_assert!(
                violations(&suggested).is_empty(),
                "the suggested name {suggested:?} for {name:?} breaks the rules: {:?}",
                violations(&suggested)
            );
        }
    }

    #[test]
    fn path_templates_never_panic(template in long_or_soup()) {
        timed("path_template", &template, || {
            let _ = path_template::parse(&template);
            let _ = path_template::render_sample(&template);
            let _ = path_template::url_name(&template);
        });
        let prefix = path_template::fixed_prefix(&template);
        prop_assert!(template.starts_with(prefix));
        prop_assert!(!prefix.contains("${"), "{prefix:?} holds a variable");
    }
}

/// Arbitrary JSON, nested a few levels, with the policy grammar's own words as keys and values
/// often enough that the parser gets past its first check.
fn arbitrary_json() -> impl Strategy<Value = Value> {
    let word = prop_oneof![
        Just("Version".to_owned()),
        Just("Statement".to_owned()),
        Just("Effect".to_owned()),
        Just("Allow".to_owned()),
        Just("Deny".to_owned()),
        Just("Action".to_owned()),
        Just("NotAction".to_owned()),
        Just("Resource".to_owned()),
        Just("NotResource".to_owned()),
        Just("Principal".to_owned()),
        Just("NotPrincipal".to_owned()),
        Just("Condition".to_owned()),
        Just("2012-10-17".to_owned()),
        Just("s3:*".to_owned()),
        Just("*".to_owned()),
        Just("arn:aws:s3:::b/*".to_owned()),
        any::<String>(),
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        word.clone().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((word.clone(), inner), 0..6)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
}

/// A real upload policy with one part replaced by something arbitrary.
fn mutated_policy() -> impl Strategy<Value = Value> {
    let base = json!({
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "List", "Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetBucketLocation"], "Resource": "arn:aws:s3:::exports"},
            {"Sid": "Write", "Effect": "Allow", "Action": ["s3:PutObject", "s3:PutObjectAcl"], "Resource": "arn:aws:s3:::exports/uploads/*",
             "Condition": {"StringEquals": {"s3:x-amz-acl": "public-read"}, "IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}},
            {"Sid": "NoPlain", "Effect": "Deny", "Principal": "*", "NotAction": "s3:Get*", "NotResource": "arn:aws:s3:::exports/${aws:username}/*",
             "Condition": {"Null": {"s3:x-amz-server-side-encryption": "true"}, "Bool": {"aws:SecureTransport": "false"}}}
        ]
    });
    let places = prop_oneof![
        Just("/Version"),
        Just("/Statement"),
        Just("/Statement/0"),
        Just("/Statement/1/Action"),
        Just("/Statement/1/Resource"),
        Just("/Statement/1/Condition"),
        Just("/Statement/1/Condition/StringEquals"),
        Just("/Statement/1/Condition/IpAddress/aws:SourceIp"),
        Just("/Statement/2/Principal"),
        Just("/Statement/2/NotResource"),
        Just("/Statement/2/Condition/Null"),
        Just("/Statement/2/Effect"),
    ];
    (
        places,
        prop_oneof![arbitrary_json(), syntax_soup().prop_map(Value::String)],
    )
        .prop_map(move |(place, replacement)| {
            let mut policy = base.clone();
            if let Some(slot) = policy.pointer_mut(place) {
                *slot = replacement;
            }
            policy
        })
}

/// Parses and, when it parses, evaluates and diagnoses the document for the requests an upload
/// makes, as both an identity and a bucket policy.
fn analyse(text: &str) {
    let Ok(policy) = parse_policy(text) else {
        return;
    };
    let mut context = BTreeMap::new();
    context.insert("s3:x-amz-acl".to_owned(), vec!["public-read".to_owned()]);
    context.insert("aws:SourceIp".to_owned(), vec!["203.0.113.7".to_owned()]);
    let requests = [
        ("s3:PutObject", "arn:aws:s3:::exports/uploads/a/b.jpg"),
        ("s3:ListBucket", "arn:aws:s3:::exports"),
        ("s3:GetBucketLocation", "arn:aws:s3:::exports"),
    ];
    for kind in [PolicyKind::Identity, PolicyKind::Resource] {
        for (action, resource) in requests {
            let request = Request {
                principal_arn: Some("arn:aws:iam::111122223333:user/exporter"),
                context: &context,
                absent_keys: &["s3:x-amz-server-side-encryption"],
                ..Request::new(action, resource)
            };
            let evaluation = evaluate(&policy, kind, &request);
            assert!(!evaluation.explanation.is_empty());
        }
    }
    let request = PolicyRequest {
        needs_location: true,
        acl_header: true,
        ..PolicyRequest::new("exports", "uploads/")
    };
    let _ = diagnose_upload_policy(&policy, "exports", "uploads/", &required_actions(&request));
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn arbitrary_json_policies_never_panic(document in arbitrary_json()) {
        let text = document.to_string();
        timed("policy analysis", &text, || analyse(&text));
    }

    #[test]
    fn mutated_policies_never_panic(document in mutated_policy()) {
        let text = document.to_string();
        timed("policy analysis", &text, || analyse(&text));
    }

    #[test]
    fn policy_text_that_is_not_json_never_panics(text in syntax_soup()) {
        timed("policy analysis", &text, || analyse(&text));
    }

    /// Wildcards are matched against long ARNs: a backtracking matcher would take exponential
    /// time on patterns like `*a*a*a*…b`.
    #[test]
    fn wildcard_heavy_patterns_stay_fast(
        units in prop::collection::vec(prop_oneof![Just("*"), Just("?"), Just("a"), Just("*a")], 1..60),
        resource_len in 100usize..3_000,
    ) {
        let pattern = format!("arn:aws:s3:::exports/{}b", units.concat());
        let policy = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:*", "Resource": pattern},
            {"Effect": "Deny", "NotAction": pattern, "Resource": "*"}
        ]}).to_string();
        let resource = format!("arn:aws:s3:::exports/{}", "a".repeat(resource_len));
        let parsed = parse_policy(&policy).expect("a valid policy");
        timed("wildcard evaluation", &pattern, || {
            let _ = evaluate(&parsed, PolicyKind::Identity, &Request::new("s3:PutObject", &resource));
        });
    }
}

fn acl() -> impl Strategy<Value = Acl> {
    prop_oneof![
        Just(Acl::Public),
        Just(Acl::PublicRead),
        Just(Acl::Private),
        Just(Acl::BucketDefault)
    ]
}

/// `url_prefix` as a user might mistype it, or as anything at all.
fn url_prefix() -> impl Strategy<Value = Option<String>> {
    let scheme = prop_oneof![Just("http://"), Just("https://"), Just(""), Just("s3://")];
    let urlish = (scheme, syntax_soup(), syntax_soup())
        .prop_map(|(scheme, host, path)| format!("{scheme}{host}/{path}"));
    prop::option::of(prop_oneof![urlish, long_or_soup()])
}

proptest! {
    #![proptest_config(config(256))]

    /// Every offline check (bucket name, store parameters, result URL, policy document) with
    /// hostile store parameters: an outcome, never a panic.
    #[test]
    fn offline_checks_survive_hostile_store_parameters(
        bucket in long_or_soup(),
        path in long_or_soup(),
        url_prefix in url_prefix(),
        region in prop::option::of(syntax_soup()),
        acl in acl(),
    ) {
        let target = Target {
            bucket,
            acl,
            bucket_region: region,
            path,
            url_prefix,
            ..Target::new("placeholder")
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let ctx = Context::offline(target.clone());
        for check in registry::ALL.iter().filter(|c| !c.info().online) {
            let outcome = timed(check.info().id, &target, || runtime.block_on(check.run(&ctx)));
            prop_assert!(!outcome.summary.is_empty(), "{} gave no summary", check.info().id);
        }
    }
}
