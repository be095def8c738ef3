//! Mute files: parsing errors, glob matching, expiry against an injected "today", notices.

use super::*;

fn parse(text: &str) -> Result<MuteList, String> {
    MuteList::parse(text, Path::new("mutes.toml"))
}

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

const FILE: &str = r#"
[[mute]]
check = "result-url"
target = "legacy-*"
reason = "old CDN, migrating in Q1"
expires = "2027-01-31"

[[mute]]
check = "block-public-access"
target = "archive"
reason = "archive is private on purpose"
"#;

#[test]
fn a_glob_mutes_matching_targets_only() {
    let list = parse(FILE).unwrap();
    let mut ledger = list.clone().ledger(day("2026-12-01"));
    match ledger.decide("legacy-video", "result-url", Status::Fail) {
        MuteDecision::Muted(mute) => {
            assert_eq!(mute.reason, "old CDN, migrating in Q1");
            assert_eq!(mute.line, 2);
            assert_eq!(mute.note().expires.as_deref(), Some("2027-01-31"));
        }
        other => panic!("expected muted, got {other:?}"),
    }
    assert!(matches!(
        ledger.decide("video-legacy", "result-url", Status::Fail),
        MuteDecision::None
    ));
    assert!(matches!(
        ledger.decide("legacy-video", "bucket-name", Status::Fail),
        MuteDecision::None
    ));
}

#[test]
fn passes_and_skips_are_never_muted() {
    let list = parse(FILE).unwrap();
    let mut ledger = list.clone().ledger(day("2026-12-01"));
    assert!(matches!(
        ledger.decide("legacy-a", "result-url", Status::Pass),
        MuteDecision::None
    ));
    assert!(matches!(
        ledger.decide("legacy-a", "result-url", Status::Skip),
        MuteDecision::None
    ));
    for status in [Status::Warn, Status::Error] {
        assert!(matches!(
            ledger.decide("legacy-a", "result-url", status),
            MuteDecision::Muted(_)
        ));
    }
}

#[test]
fn a_mute_applies_through_its_last_day_and_expires_the_day_after() {
    let list = parse(FILE).unwrap();
    let mut on_last_day = list.clone().ledger(day("2027-01-31"));
    assert!(matches!(
        on_last_day.decide("legacy-a", "result-url", Status::Fail),
        MuteDecision::Muted(_)
    ));
    let mut after = list.clone().ledger(day("2027-02-01"));
    assert!(matches!(
        after.decide("legacy-a", "result-url", Status::Fail),
        MuteDecision::Expired(_)
    ));
    let notices = after.notices();
    assert_eq!(notices[0].state, "expired");
    assert_eq!(notices[0].check, "result-url");
    assert!(describe(&notices[0]).contains("expired on 2027-01-31"));
}

#[test]
fn a_live_mute_wins_over_an_expired_one() {
    let text = r#"
[[mute]]
check = "result-url"
target = "*"
reason = "old"
expires = 2020-01-01
[[mute]]
check = "result-url"
target = "a"
reason = "renewed"
"#;
    let list = parse(text).unwrap();
    let mut ledger = list.clone().ledger(day("2026-01-01"));
    match ledger.decide("a", "result-url", Status::Fail) {
        MuteDecision::Muted(mute) => assert_eq!(mute.reason, "renewed"),
        other => panic!("expected the live mute, got {other:?}"),
    }
}

#[test]
fn mutes_that_match_nothing_are_listed() {
    let list = parse(FILE).unwrap();
    let mut ledger = list.clone().ledger(day("2026-12-01"));
    ledger.decide("legacy-a", "result-url", Status::Warn);
    // The archive bucket passes now: its mute matched no finding.
    ledger.decide("archive", "block-public-access", Status::Pass);
    let notices = ledger.notices();
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert_eq!(notices[0].state, "unmatched");
    assert_eq!(notices[0].target, "archive");
    assert_eq!(notices[0].line, 8);
    assert!(describe(&notices[0]).contains("matched no finding"));
}

#[test]
fn a_check_glob_covers_several_checks() {
    let list = parse("[[mute]]\ncheck = \"public-*\"\ntarget = \"*\"\nreason = \"r\"\n").unwrap();
    let mut ledger = list.clone().ledger(day("2026-01-01"));
    assert!(matches!(
        ledger.decide("x", "public-read", Status::Fail),
        MuteDecision::Muted(_)
    ));
}

#[test]
fn an_empty_file_mutes_nothing() {
    assert!(parse("").unwrap().mutes.is_empty());
}

#[test]
fn errors_name_the_file_the_line_and_the_accepted_keys() {
    let unknown = parse("[[mute]]\ncheck = \"result-url\"\ntarget = \"a\"\nreason = \"r\"\nuntil = \"2027-01-01\"\n")
        .unwrap_err();
    assert!(unknown.starts_with("mutes.toml:5:"), "{unknown}");
    assert!(unknown.contains("until"), "{unknown}");
    assert!(
        unknown.contains("check, target, reason, expires"),
        "{unknown}"
    );

    let missing_reason = parse("[[mute]]\ncheck = \"result-url\"\ntarget = \"a\"\n").unwrap_err();
    assert!(missing_reason.contains("reason"), "{missing_reason}");
    assert!(
        missing_reason.starts_with("mutes.toml:1:"),
        "{missing_reason}"
    );

    let wrong_type = parse("[[mute]]\ncheck = 3\ntarget = \"a\"\nreason = \"r\"\n").unwrap_err();
    assert!(wrong_type.starts_with("mutes.toml:2:"), "{wrong_type}");

    let empty_reason =
        parse("[[mute]]\ncheck = \"result-url\"\ntarget = \"a\"\nreason = \" \"\n").unwrap_err();
    assert!(empty_reason.starts_with("mutes.toml:4:"), "{empty_reason}");

    let typo =
        parse("[[mute]]\ncheck = \"result-ulr\"\ntarget = \"a\"\nreason = \"r\"\n").unwrap_err();
    assert!(typo.contains("did you mean `result-url`"), "{typo}");

    let bad_date = parse("[[mute]]\ncheck = \"result-url\"\ntarget = \"a\"\nreason = \"r\"\nexpires = \"31/01/2027\"\n").unwrap_err();
    assert!(bad_date.starts_with("mutes.toml:5:"), "{bad_date}");
    assert!(bad_date.contains("YYYY-MM-DD"), "{bad_date}");

    let bad_glob =
        parse("[[mute]]\ncheck = \"result-url\"\ntarget = \"a[\"\nreason = \"r\"\n").unwrap_err();
    assert!(bad_glob.starts_with("mutes.toml:3:"), "{bad_glob}");

    let top_level = parse("[[mutes]]\ncheck = \"result-url\"\n").unwrap_err();
    assert!(top_level.starts_with("mutes.toml:1:"), "{top_level}");
    for error in [
        unknown,
        missing_reason,
        wrong_type,
        typo,
        bad_date,
        bad_glob,
        top_level,
    ] {
        assert!(!error.contains('\n'), "one line: {error}");
    }
}

#[test]
fn as_an_annotator_it_marks_results_and_recounts() {
    use crate::audit::model::Annotator;
    use crate::audit::sample;
    let mut ledger = parse(FILE).unwrap().ledger(day("2027-06-01"));
    let mut legacy = sample::target(
        "legacy-video",
        3,
        &[("result-url", Status::Fail), ("bucket-name", Status::Pass)],
    );
    let mut archive = sample::target("archive", 9, &[("block-public-access", Status::Fail)]);
    ledger.annotate(&mut legacy);
    ledger.annotate(&mut archive);
    // The result-url mute expired on 2027-01-31: the fail counts again and says so.
    assert!(legacy.results[0].muted.is_none());
    assert_eq!(
        legacy.results[0]
            .expired_mute
            .as_ref()
            .map(|m| m.reason.as_str()),
        Some("old CDN, migrating in Q1")
    );
    assert_eq!(legacy.summary.fail, 1);
    // The archive mute has no end: muted, counted under `muted` only.
    assert_eq!(
        archive.results[0].muted.as_ref().map(|m| m.reason.as_str()),
        Some("archive is private on purpose")
    );
    assert_eq!((archive.summary.fail, archive.summary.muted), (0, 1));
    let mut end = sample::end(&[legacy, archive]);
    ledger.finish(&mut end);
    assert_eq!(end.mutes.len(), 1);
    assert_eq!(end.mutes[0].state, "expired");
}
