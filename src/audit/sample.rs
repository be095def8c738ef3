//! Hand-built audit documents for the tests of mutes, history and the audit report formats:
//! targets with chosen results, made without running anything.

use super::model::{AuditResult, Counts, RunEnd, RunHeader, Source, SourceKind, TargetReport};
use crate::report::ResultEntry;
use preflight::{registry, Evidence, Status, Target};

/// One result of `check` with `status`; warn, fail and error carry a remediation.
pub fn result(check: &str, status: Status) -> AuditResult {
    let info = registry::find(check).expect("a registered check id").info();
    let finding = matches!(status, Status::Warn | Status::Fail | Status::Error);
    AuditResult::new(ResultEntry {
        id: info.id,
        title: info.title,
        status,
        summary: format!("{check} said {status} <with & markup \"quoted\">"),
        detail: finding.then(|| format!("detail of {check}")),
        remediation: finding.then(|| format!("fix {check}")),
        evidence: Evidence::new(),
        duration_ms: 1500,
    })
}

/// A target named `name` (bucket `name`) from a config file at `line`, with `results`.
pub fn target(name: &str, line: u32, results: &[(&str, Status)]) -> TargetReport {
    let mut report = TargetReport {
        name: name.to_owned(),
        source: Source {
            kind: SourceKind::Config,
            file: Some("audit.toml".to_owned()),
            step: None,
            line: Some(line),
            notes: Vec::new(),
        },
        profile: None,
        role_arn: None,
        caller: None,
        target: Target::new(name),
        summary: Counts::default(),
        results: results.iter().map(|(c, s)| result(c, *s)).collect(),
        error: None,
        same_as: Vec::new(),
        duration_ms: 2500,
    };
    report.recount();
    report
}

pub fn header() -> RunHeader {
    RunHeader::new("2026-11-29T12:00:00Z".to_owned(), None)
}

pub fn end(targets: &[TargetReport]) -> RunEnd {
    let mut summary = super::model::AuditSummary::default();
    for target in targets {
        summary.add(target, false);
    }
    RunEnd::new(summary, Vec::new())
}

/// A whole run over `targets`.
pub fn run(targets: Vec<TargetReport>) -> super::model::AuditRun {
    super::model::AuditRun {
        header: header(),
        end: end(&targets),
        targets,
    }
}

/// Two targets covering every status, a muted finding, a new one and a target-level error.
pub fn mixed_run() -> super::model::AuditRun {
    use super::model::{Change, Mute};
    let mut video = target(
        "video-exports",
        4,
        &[
            ("bucket-name", Status::Pass),
            ("result-url", Status::Warn),
            ("block-public-access", Status::Fail),
            ("credentials", Status::Error),
            ("bucket-exists", Status::Skip),
        ],
    );
    video.results[2].change = Some(Change::New);
    let mut legacy = target(
        "legacy-\u{1b}[31mred",
        12,
        &[("result-url", Status::Fail), ("bucket-name", Status::Pass)],
    );
    legacy.results[0].muted = Some(Mute {
        reason: "old CDN & friends".to_owned(),
        expires: Some("2027-01-31".to_owned()),
    });
    legacy.recount();
    let mut broken = target("broken", 20, &[]);
    broken.error = Some("could not assume role arn:aws:iam::111122223333:role/x".to_owned());
    broken.recount();
    run(vec![video, legacy, broken])
}
