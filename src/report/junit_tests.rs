//! The JUnit report parsed back with an XML library: structure, counts and the text of each
//! outcome.

use super::*;
use crate::audit::sample;

fn parsed(xml: &str) -> roxmltree::Document<'_> {
    roxmltree::Document::parse(xml).unwrap_or_else(|err| panic!("{err}\n{xml}"))
}

#[test]
fn one_suite_per_target_one_case_per_check() {
    let xml = render(&sample::mixed_run());
    let doc = parsed(&xml);
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let suites: Vec<_> = root
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    assert_eq!(suites.len(), 3);

    let video = suites[0];
    assert_eq!(video.attribute("name"), Some("video-exports"));
    assert_eq!(video.attribute("tests"), Some("5"));
    assert_eq!(video.attribute("failures"), Some("1"));
    assert_eq!(video.attribute("errors"), Some("1"));
    assert_eq!(video.attribute("skipped"), Some("1"));
    assert_eq!(video.attribute("time"), Some("2.500"));
    let cases: Vec<_> = video
        .children()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 5);
    for case in &cases {
        assert_eq!(case.attribute("classname"), Some("video-exports"));
        assert_eq!(case.attribute("time"), Some("1.500"));
    }
    let names: Vec<_> = cases.iter().map(|c| c.attribute("name").unwrap()).collect();
    assert_eq!(
        names,
        [
            "bucket-name",
            "result-url",
            "block-public-access",
            "credentials",
            "bucket-exists"
        ]
    );
    let only_child = |case: roxmltree::Node<'_, '_>| {
        let children: Vec<_> = case.children().filter(|n| n.is_element()).collect();
        assert!(children.len() <= 1, "{children:?}");
        children.first().map(|n| n.tag_name().name().to_owned())
    };
    assert_eq!(only_child(cases[0]), None, "a pass has no child");
    assert_eq!(
        only_child(cases[1]).as_deref(),
        Some("system-out"),
        "a warn passes"
    );
    assert_eq!(only_child(cases[2]).as_deref(), Some("failure"));
    assert_eq!(only_child(cases[3]).as_deref(), Some("error"));
    assert_eq!(only_child(cases[4]).as_deref(), Some("skipped"));

    let failure = cases[2]
        .children()
        .find(|n| n.has_tag_name("failure"))
        .unwrap();
    let message = failure.attribute("message").unwrap();
    assert!(
        message.starts_with("[new] block-public-access said fail"),
        "{message}"
    );
    assert!(
        message.contains("<with & markup \"quoted\">"),
        "escaped and read back: {message}"
    );
    let body = failure.text().unwrap();
    assert!(
        body.contains("How to fix: fix block-public-access"),
        "{body}"
    );
    let warning = cases[1]
        .children()
        .find(|n| n.has_tag_name("system-out"))
        .unwrap();
    assert!(warning.text().unwrap().contains("result-url said warn"));
}

#[test]
fn a_muted_finding_is_skipped_with_its_reason() {
    let xml = render(&sample::mixed_run());
    let doc = parsed(&xml);
    let legacy = doc
        .descendants()
        .find(|n| {
            n.has_tag_name("testsuite") && n.attribute("name").unwrap().starts_with("legacy-")
        })
        .unwrap();
    // The terminal escape in the name cannot be carried by XML 1.0: replaced, still parseable.
    assert_eq!(legacy.attribute("name"), Some("legacy-\u{FFFD}[31mred"));
    assert_eq!(legacy.attribute("failures"), Some("0"));
    assert_eq!(legacy.attribute("skipped"), Some("1"));
    let skipped = legacy
        .descendants()
        .find(|n| n.has_tag_name("skipped"))
        .unwrap();
    assert_eq!(
        skipped.attribute("message"),
        Some("muted: old CDN & friends (until 2027-01-31)")
    );
}

#[test]
fn a_target_that_could_not_be_checked_is_one_error_case() {
    let xml = render(&sample::mixed_run());
    let doc = parsed(&xml);
    let broken = doc
        .descendants()
        .find(|n| n.has_tag_name("testsuite") && n.attribute("name") == Some("broken"))
        .unwrap();
    assert_eq!(broken.attribute("tests"), Some("1"));
    assert_eq!(broken.attribute("errors"), Some("1"));
    let error = broken
        .descendants()
        .find(|n| n.has_tag_name("error"))
        .unwrap();
    assert!(error
        .attribute("message")
        .unwrap()
        .contains("could not assume role"));
}
