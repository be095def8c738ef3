//! The runner's tests: prerequisites blocking dependents, panics and hangs costing one check,
//! the run deadline, secrets redacted from panic messages, and selection by --only/--skip.

use super::*;
use async_trait::async_trait;
use preflight::{Category, Status, Target};

struct Fake {
    info: &'static CheckInfo,
    behaviour: Behaviour,
}

#[derive(Clone, Copy)]
enum Behaviour {
    Returns(Status),
    Panics,
    /// Panics with this message, as a check might when formatting something it holds.
    PanicsWith(&'static str),
    Hangs,
}

#[async_trait]
impl Check for Fake {
    fn info(&self) -> &'static CheckInfo {
        self.info
    }
    async fn run(&self, _ctx: &Context) -> Outcome {
        match self.behaviour {
            Behaviour::Returns(Status::Pass) => Outcome::pass("fine"),
            Behaviour::Returns(Status::Warn) => Outcome::warn("hmm", "do x"),
            Behaviour::Returns(_) => Outcome::fail("broken", "do y"),
            Behaviour::Panics => panic!("boom"),
            Behaviour::PanicsWith(message) => panic!("{message}"),
            Behaviour::Hangs => std::future::pending().await,
        }
    }
}

fn fake(
    id: &'static str,
    online: bool,
    requires: &'static [&'static str],
    behaviour: Behaviour,
) -> &'static dyn Check {
    let info = Box::leak(Box::new(CheckInfo {
        id,
        title: id,
        category: Category::Bucket,
        online,
        requires,
        docs: "",
    }));
    Box::leak(Box::new(Fake { info, behaviour }))
}

fn limits() -> Limits {
    Limits {
        per_check: Duration::from_secs(5),
        whole_run: Duration::from_secs(30),
    }
}

async fn run_all(
    checks: &[&'static dyn Check],
    selection: Selection,
    limits: Limits,
) -> Vec<(String, Status, String)> {
    let plan = Plan::with_checks(checks, &selection).unwrap();
    run(
        &plan,
        Arc::new(Context::offline(Target::new("b-1"))),
        limits,
    )
    .await
    .into_iter()
    .map(|r| (r.info.id.to_owned(), r.outcome.status, r.outcome.summary))
    .collect()
}

#[tokio::test]
async fn a_failed_prerequisite_blocks_dependents_and_never_passes_them() {
    let checks = [
        fake("root", true, &[], Behaviour::Returns(Status::Fail)),
        fake("child", true, &["root"], Behaviour::Returns(Status::Pass)),
        fake(
            "grandchild",
            true,
            &["child"],
            Behaviour::Returns(Status::Pass),
        ),
        fake("independent", false, &[], Behaviour::Returns(Status::Pass)),
    ];
    let results = run_all(&checks, Selection::default(), limits()).await;
    assert_eq!(
        results[1],
        ("child".into(), Status::Skip, "blocked by root".into())
    );
    assert_eq!(
        results[2],
        ("grandchild".into(), Status::Skip, "blocked by child".into())
    );
    assert_eq!(results[3].1, Status::Pass);
}

#[tokio::test]
async fn a_warning_prerequisite_lets_dependents_run() {
    let checks = [
        fake("root", true, &[], Behaviour::Returns(Status::Warn)),
        fake("child", true, &["root"], Behaviour::Returns(Status::Pass)),
    ];
    let results = run_all(&checks, Selection::default(), limits()).await;
    assert_eq!(results[1].1, Status::Pass);
}

#[tokio::test]
async fn panics_and_hangs_are_errors_of_that_check_only() {
    let checks = [
        fake("panics", false, &[], Behaviour::Panics),
        fake("hangs", false, &[], Behaviour::Hangs),
        fake("fine", false, &[], Behaviour::Returns(Status::Pass)),
    ];
    let short = Limits {
        per_check: Duration::from_millis(200),
        whole_run: Duration::from_secs(30),
    };
    let results = run_all(&checks, Selection::default(), short).await;
    assert_eq!(results[0].1, Status::Error);
    assert!(results[0].2.contains("crashed: boom"), "{}", results[0].2);
    assert_eq!(results[1].1, Status::Error);
    assert!(
        results[1].2.contains("no answer within 0.2s"),
        "{}",
        results[1].2
    );
    assert_eq!(results[2].1, Status::Pass);
}

/// A caught panic's message reaches the report (it helps a bug report), so it must pass
/// through the same redaction as every other text: in no format, at no verbosity, does a
/// secret carried by a panic message survive.
#[tokio::test]
async fn a_panic_message_carrying_secrets_is_redacted_in_every_format() {
    use crate::report::{Report, TableStyle};
    const SECRET: &str = "fakeSecretKey/InAPanicMessage+0123456789ab";
    const TOKEN: &str = "FwoGZXIvYXdzEFAKEsessionTOKENinApanic//////////";
    const KEY_ID: &str = "AKIAFAKEPANICKEY0001";
    let message: &'static str = Box::leak(
        format!("credentials {KEY_ID}:{SECRET} token={TOKEN} were rejected").into_boxed_str(),
    );
    let checks = [fake("leaky", false, &[], Behaviour::PanicsWith(message))];
    let plan = Plan::with_checks(&checks, &Selection::default()).unwrap();
    let target = Target::new("b-1");
    let results = run(&plan, Arc::new(Context::offline(target.clone())), limits()).await;
    assert!(
        results[0].outcome.summary.contains(SECRET),
        "the runner keeps the panic message: {}",
        results[0].outcome.summary
    );
    let mut report = Report::new(target, results);
    report.redact(&[SECRET.to_owned(), KEY_ID.to_owned(), TOKEN.to_owned()]);
    let mut rendered = vec![report.to_json(), report.to_markdown()];
    rendered.extend((0..=2).map(|verbose| report.to_table(&TableStyle::plain(verbose))));
    for text in rendered {
        for secret in [SECRET, TOKEN, KEY_ID] {
            assert!(!text.contains(secret), "{secret} in:\n{text}");
        }
        assert!(text.contains("[REDACTED]"), "{text}");
    }
}

#[tokio::test]
async fn the_run_deadline_reports_unfinished_checks_as_errors() {
    let checks = [
        fake("hangs", false, &[], Behaviour::Hangs),
        fake("fine", false, &[], Behaviour::Returns(Status::Pass)),
    ];
    let tight = Limits {
        per_check: Duration::from_secs(60),
        whole_run: Duration::from_millis(200),
    };
    let results = run_all(&checks, Selection::default(), tight).await;
    assert_eq!(results[0].1, Status::Error);
    assert!(results[0].2.contains("time limit"), "{}", results[0].2);
    assert_eq!(results[1].1, Status::Pass);
}

#[tokio::test]
async fn selection_keeps_prerequisites_and_reports_skips() {
    let checks = [
        fake("root", true, &[], Behaviour::Returns(Status::Pass)),
        fake("child", true, &["root"], Behaviour::Returns(Status::Pass)),
        fake("other", false, &[], Behaviour::Returns(Status::Pass)),
    ];
    let only = Selection {
        only: vec!["child".into()],
        ..Default::default()
    };
    let ids: Vec<String> = run_all(&checks, only, limits())
        .await
        .into_iter()
        .map(|r| r.0)
        .collect();
    assert_eq!(ids, ["root", "child"]);

    let offline = Selection {
        offline: true,
        ..Default::default()
    };
    let results = run_all(&checks, offline, limits()).await;
    assert_eq!(
        results[0],
        ("root".into(), Status::Skip, "not run with --offline".into())
    );
    assert_eq!(results[1].2, "not run with --offline");
    assert_eq!(results[2].1, Status::Pass);

    let skip = Selection {
        skip: vec!["root".into()],
        ..Default::default()
    };
    let results = run_all(&checks, skip, limits()).await;
    assert_eq!(results[0].2, "skipped with --skip");
    assert_eq!(results[1].2, "blocked by root");
}

#[test]
fn unknown_ids_are_rejected_with_the_accepted_list() {
    let checks = [fake("root", true, &[], Behaviour::Returns(Status::Pass))];
    let err = Plan::with_checks(
        &checks,
        &Selection {
            skip: vec!["nope".into()],
            ..Default::default()
        },
    )
    .err()
    .unwrap();
    assert_eq!(
        err.to_string(),
        "unknown check 'nope' in --skip: expected one of root"
    );
}
