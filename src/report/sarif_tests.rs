//! The SARIF report validated against the official SARIF 2.1.0 schema (vendored in
//! tests/fixtures), and its rules, locations, fingerprints and suppressions.

use super::*;
use crate::audit::model::SourceKind;
use crate::audit::sample;

fn validator() -> jsonschema::Validator {
    let schema: Value =
        serde_json::from_str(include_str!("../../tests/fixtures/sarif-schema-2.1.0.json")).unwrap();
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap()
}

fn schema_errors(document: &Value) -> Vec<String> {
    validator()
        .iter_errors(document)
        .map(|err| format!("{} at {}", err, err.instance_path()))
        .collect()
}

fn sarif(run: &crate::audit::model::AuditRun) -> Value {
    let text = render(run);
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("{err}\n{text}"))
}

#[test]
fn the_report_is_valid_sarif_2_1_0() {
    let document = sarif(&sample::mixed_run());
    let errors = schema_errors(&document);
    assert!(errors.is_empty(), "{errors:#?}");
    // The validator does catch a broken document: the test can fail.
    let mut broken = document.clone();
    broken["runs"][0]["results"][0]["level"] = json!("fatal");
    broken.as_object_mut().unwrap().remove("version");
    assert!(schema_errors(&broken).len() >= 2);
}

#[test]
fn an_audit_without_findings_is_valid_too() {
    let run = sample::run(vec![sample::target(
        "fine",
        2,
        &[("bucket-name", Status::Pass)],
    )]);
    let document = sarif(&run);
    assert!(schema_errors(&document).is_empty());
    assert_eq!(document["runs"][0]["results"], json!([]));
    assert_eq!(document["runs"][0]["invocations"][0]["exitCode"], 0);
}

#[test]
fn one_rule_per_check_with_its_explain_text_as_help() {
    let document = sarif(&sample::mixed_run());
    let rules = document["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert_eq!(rules.len(), registry::ALL.len() + 1);
    for (rule, check) in rules.iter().zip(registry::ALL) {
        let info = check.info();
        assert_eq!(rule["id"], info.id);
        assert_eq!(rule["shortDescription"]["text"], info.title);
        assert_eq!(rule["help"]["markdown"], info.docs);
        assert!(!rule["fullDescription"]["text"].as_str().unwrap().is_empty());
    }
    for result in document["runs"][0]["results"].as_array().unwrap() {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
    }
}

#[test]
fn one_result_per_warn_fail_and_error_located_at_the_target() {
    let document = sarif(&sample::mixed_run());
    let results = document["runs"][0]["results"].as_array().unwrap();
    let found: Vec<(&str, &str)> = results
        .iter()
        .map(|r| (r["ruleId"].as_str().unwrap(), r["level"].as_str().unwrap()))
        .collect();
    // video-exports: warn, fail, error (pass and skip are no results); legacy: the muted fail;
    // broken: the target that could not be checked.
    assert_eq!(
        found,
        [
            ("result-url", "warning"),
            ("block-public-access", "error"),
            ("credentials", "warning"),
            ("result-url", "error"),
            ("audit-target", "warning"),
        ]
    );
    let location = &results[1]["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "audit.toml");
    assert_eq!(location["region"]["startLine"], 4);
    assert_eq!(results[1]["properties"]["change"], "new");
    assert!(results[1]["message"]["text"]
        .as_str()
        .unwrap()
        .contains("How to fix: fix block-public-access"));
    assert_eq!(
        results[4]["locations"][0]["physicalLocation"]["region"]["startLine"],
        20
    );
}

#[test]
fn a_muted_finding_carries_a_suppression_with_the_reason() {
    let document = sarif(&sample::mixed_run());
    let results = document["runs"][0]["results"].as_array().unwrap();
    let muted: Vec<_> = results
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .collect();
    assert_eq!(muted.len(), 1);
    assert_eq!(
        muted[0]["suppressions"][0]["justification"],
        "old CDN & friends (muted until 2027-01-31)"
    );
}

#[test]
fn unknown_places_fall_back_to_line_one_and_a_stable_address() {
    let mut from_account = sample::target("data lake", 1, &[("bucket-name", Status::Fail)]);
    from_account.source.kind = SourceKind::Account;
    from_account.source.file = None;
    from_account.source.line = None;
    let mut from_api = sample::target("api", 1, &[("bucket-name", Status::Fail)]);
    from_api.source.kind = SourceKind::Transloadit;
    from_api.source.file = Some("0f3a".to_owned());
    from_api.source.line = None;
    let document = sarif(&sample::run(vec![from_account, from_api]));
    assert!(schema_errors(&document).is_empty());
    let results = document["runs"][0]["results"].as_array().unwrap();
    let place = |i: usize| &results[i]["locations"][0]["physicalLocation"];
    assert_eq!(place(0)["artifactLocation"]["uri"], "s3://data%20lake");
    assert_eq!(place(0)["region"]["startLine"], 1);
    assert_eq!(
        place(1)["artifactLocation"]["uri"],
        "https://api2.transloadit.com/templates/0f3a"
    );
}

#[test]
fn fingerprints_follow_target_and_check_only() {
    let first = sample::target("video", 4, &[("result-url", Status::Warn)]);
    let mut later = sample::target("video", 9, &[("result-url", Status::Fail)]);
    later.results[0].result.summary = "something else entirely".to_owned();
    let other = sample::target("audio", 4, &[("result-url", Status::Warn)]);
    let print = |target| {
        let document = sarif(&sample::run(vec![target]));
        document["runs"][0]["results"][0]["partialFingerprints"][FINGERPRINT_KEY].clone()
    };
    let (a, b, c) = (print(first), print(later), print(other));
    assert_eq!(a, b, "same target and check: same alert");
    assert_ne!(a, c, "another target: another alert");
    assert_eq!(a.as_str().unwrap().len(), 64);
}
