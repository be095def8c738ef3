//! The audit run's result model: what every audit report (table, JSON, JUnit, SARIF), the mutes
//! and the history work from.
//!
//! An audit is streamed, not collected: the run announces itself ([`RunHeader`]), hands each
//! finished target to the annotators and writers one at a time ([`TargetReport`]), and closes
//! with the totals and the findings fixed since the last run ([`RunEnd`]). Memory stays flat in
//! the number of targets. [`AuditRun`] is the whole document at once, for tests and for
//! renderers that cannot stream.
//!
//! The JSON shape is documented in the README ("Audits"): `{"schema_version":1,"kind":"audit",
//! "tool":{…},"started_at":…,"targets":[…],"summary":{…},"fixed":[…],"verdict":…,
//! "exit_code":…}`. Add fields; never rename or repurpose one.

use crate::report::{Caller, ResultEntry, Tool, Verdict, SCHEMA_VERSION};
use preflight::{Status, Target};
use serde::Serialize;

/// The `kind` of an audit document, next to `schema_version`.
pub const KIND: &str = "audit";

/// What is known when the run starts.
#[derive(Debug, Clone, Serialize)]
pub struct RunHeader {
    pub schema_version: u32,
    pub kind: &'static str,
    pub tool: Tool,
    /// When the run started, RFC 3339 in UTC.
    pub started_at: String,
    /// `K/N` when this run is one shard of a split audit (`--shard`).
    pub shard: Option<String>,
}

impl RunHeader {
    pub fn new(started_at: String, shard: Option<String>) -> Self {
        RunHeader {
            schema_version: SCHEMA_VERSION,
            kind: KIND,
            tool: Tool {
                name: env!("CARGO_PKG_NAME"),
                version: env!("CARGO_PKG_VERSION"),
            },
            started_at,
            shard,
        }
    }
}

/// Where a target was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// A `[[target]]` of the `--config` file.
    Config,
    /// A storage step of a Template or Assembly Instructions file.
    Template,
    /// A storage step of a Template fetched from the Transloadit API (`--transloadit`).
    Transloadit,
    /// A bucket the credentials can list (`--all-buckets`).
    Account,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Config => "config",
            SourceKind::Template => "template",
            SourceKind::Transloadit => "transloadit",
            SourceKind::Account => "account",
        }
    }
}

/// Where a target was found, precisely enough to point at it (SARIF locations use it).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Source {
    pub kind: SourceKind,
    /// The config or template file (or the Template's id for `transloadit`); `null` for
    /// `account`.
    pub file: Option<String>,
    /// The storage step's name, for templates.
    pub step: Option<String>,
    /// 1-based line of the `[[target]]` or the step in `file`, when known.
    pub line: Option<u32>,
    /// What the source says about this target that the user should know (unknown parameters
    /// of a step, whose credentials the checks ran with).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl Source {
    pub fn new(kind: SourceKind) -> Self {
        Source {
            kind,
            file: None,
            step: None,
            line: None,
            notes: Vec::new(),
        }
    }
}

/// Whether a finding was there in the previous run of the same target (`--history`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    New,
    #[allow(dead_code)] // the history (`--history`) marks these
    Same,
}

/// A mute (`--mute`) that matched a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mute {
    pub reason: String,
    /// `YYYY-MM-DD`, when the mute ends; `null` for a mute without end.
    pub expires: Option<String>,
}

/// One check's result in one target: as `check` reports it, plus the audit's annotations.
#[derive(Debug, Clone, Serialize)]
pub struct AuditResult {
    #[serde(flatten)]
    pub result: ResultEntry,
    /// The mute that silences this finding: it stays in every report but does not count
    /// towards the exit code.
    pub muted: Option<Mute>,
    /// A mute that matched but has expired, so it no longer mutes (reported so that someone
    /// renews or removes it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expired_mute: Option<Mute>,
    /// `new` or `same` against the previous run in `--history`; `null` without history (and
    /// for pass and skip, which are no findings).
    pub change: Option<Change>,
}

impl AuditResult {
    pub fn new(result: ResultEntry) -> Self {
        AuditResult {
            result,
            muted: None,
            expired_mute: None,
            change: None,
        }
    }

    pub fn status(&self) -> Status {
        self.result.status
    }

    /// A warn, fail or error: what mutes, history and the grouped table are about.
    pub fn is_finding(&self) -> bool {
        matches!(self.status(), Status::Warn | Status::Fail | Status::Error)
    }
}

/// Counts over results. Muted results count under `muted` only, so the status counts are what
/// the exit code reads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub pass: usize,
    pub warn: usize,
    pub fail: usize,
    pub skip: usize,
    pub error: usize,
    pub muted: usize,
    /// Unmuted fails marked `new` by the history (what `--fail-on new` counts).
    pub new_fail: usize,
}

impl Counts {
    pub fn add(&mut self, result: &AuditResult) {
        if result.muted.is_some() {
            self.muted += 1;
            return;
        }
        *match result.status() {
            Status::Pass => &mut self.pass,
            Status::Warn => &mut self.warn,
            Status::Fail => &mut self.fail,
            Status::Skip => &mut self.skip,
            Status::Error => &mut self.error,
        } += 1;
        if result.status() == Status::Fail && result.change == Some(Change::New) {
            self.new_fail += 1;
        }
    }

    pub fn absorb(&mut self, other: &Counts) {
        self.pass += other.pass;
        self.warn += other.warn;
        self.fail += other.fail;
        self.skip += other.skip;
        self.error += other.error;
        self.muted += other.muted;
        self.new_fail += other.new_fail;
    }

    /// The exit code's reading of these counts.
    pub fn verdict(&self, strict: bool, fail_on: FailOn) -> Verdict {
        let fails = match fail_on {
            FailOn::Any => self.fail,
            FailOn::New => self.new_fail,
        };
        if fails > 0 || (strict && fail_on == FailOn::Any && self.warn > 0) {
            Verdict::Failed
        } else if self.error > 0 {
            Verdict::Unverified
        } else {
            Verdict::Ready
        }
    }

    /// The worst unmuted status: fail, error, warn, pass, then skip (a target whose every check
    /// was skipped proved nothing, but found nothing wrong either).
    pub fn worst(&self) -> Status {
        if self.fail > 0 {
            Status::Fail
        } else if self.error > 0 {
            Status::Error
        } else if self.warn > 0 {
            Status::Warn
        } else if self.pass > 0 {
            Status::Pass
        } else {
            Status::Skip
        }
    }
}

/// Which fails count for the exit code (`--fail-on`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FailOn {
    /// Every unmuted fail.
    #[default]
    Any,
    /// Only unmuted fails that are new since the previous run in `--history`.
    New,
}

/// One audited target: where it came from, what was checked, and every check's result.
#[derive(Debug, Clone, Serialize)]
pub struct TargetReport {
    /// The target's name: the config's `name`, the template step's, or the bucket.
    pub name: String,
    pub source: Source,
    /// The AWS profile whose credentials checked it, when not the default chain's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// The role assumed for it (`role_arn`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    /// Whose credentials the online checks used, when STS said so.
    pub caller: Option<Caller>,
    /// The bucket and store parameters, exactly as `check`'s JSON report has them.
    pub target: Target,
    pub summary: Counts,
    pub results: Vec<AuditResult>,
    /// Why the target could not be checked at all (its session could not be set up, its run
    /// crashed); the summary then counts one error and `results` may be empty.
    pub error: Option<String>,
    /// Names of the other entries (other sources) that are the same target and share this
    /// run's results: the same bucket, parameters and identity are checked once.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub same_as: Vec<String>,
    pub duration_ms: u64,
}

impl TargetReport {
    /// Recomputes `summary` from `results` (and `error`): call after changing mutes.
    pub fn recount(&mut self) {
        let mut counts = Counts::default();
        for result in &self.results {
            counts.add(result);
        }
        if self.error.is_some() {
            counts.error += 1;
        }
        self.summary = counts;
    }

    /// The worst unmuted status.
    pub fn worst(&self) -> Status {
        self.summary.worst()
    }

    /// The first unmuted result with the worst status, in report order.
    pub fn first_worst(&self) -> Option<&AuditResult> {
        let worst = self.worst();
        self.results
            .iter()
            .find(|r| r.muted.is_none() && r.status() == worst)
    }
}

/// Totals of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AuditSummary {
    pub targets: usize,
    /// Targets with at least one unmuted fail (and, with `--strict`, warn).
    pub targets_failing: usize,
    /// Targets with an unmuted error and no fail: not verified.
    pub targets_unverified: usize,
    #[serde(flatten)]
    pub counts: Counts,
}

impl AuditSummary {
    pub fn add(&mut self, target: &TargetReport, strict: bool) {
        self.targets += 1;
        match target.summary.verdict(strict, FailOn::Any) {
            Verdict::Failed => self.targets_failing += 1,
            Verdict::Unverified => self.targets_unverified += 1,
            Verdict::Ready | Verdict::Limited => {}
        }
        self.counts.absorb(&target.summary);
    }
}

/// A check that failed (or warned) in the previous run of a target and passes now (`--history`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fixed {
    pub target: String,
    pub check: String,
    /// When it was first seen failing, RFC 3339.
    pub since: String,
}

/// A mute (`--mute`) the operator should hear about: it expired (its findings count again) or
/// it matched no finding in this run (stale, or its glob is wrong).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MuteNotice {
    /// `expired` or `unmatched`.
    pub state: &'static str,
    pub check: String,
    pub target: String,
    pub reason: String,
    pub expires: Option<String>,
    /// The mute file and the 1-based line of the `[[mute]]` entry.
    pub file: String,
    pub line: usize,
}

/// What is known when the run ends.
#[derive(Debug, Clone, Serialize)]
pub struct RunEnd {
    pub summary: AuditSummary,
    pub fixed: Vec<Fixed>,
    /// Mutes that expired or matched nothing (`--mute`); empty without a mute file.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mutes: Vec<MuteNotice>,
    /// `ready`, `not_ready` or `unverified`: what the exit code says.
    pub verdict: &'static str,
    pub exit_code: u8,
}

impl RunEnd {
    pub fn new(summary: AuditSummary, fixed: Vec<Fixed>) -> Self {
        RunEnd {
            summary,
            fixed,
            mutes: Vec::new(),
            verdict: "ready",
            exit_code: 0,
        }
    }

    /// Sets `verdict` and `exit_code` from the summary.
    pub fn conclude(&mut self, strict: bool, fail_on: FailOn) {
        let verdict = self.summary.counts.verdict(strict, fail_on);
        self.verdict = verdict.as_str();
        self.exit_code = verdict.exit_code();
    }
}

/// The whole audit document at once (the streamed JSON has exactly these fields).
#[allow(dead_code)] // for renderers that cannot stream, and for tests
#[derive(Debug, Clone, Serialize)]
pub struct AuditRun {
    #[serde(flatten)]
    pub header: RunHeader,
    pub targets: Vec<TargetReport>,
    #[serde(flatten)]
    pub end: RunEnd,
}

/// Receives the run as it happens: a report format, a history database. Called from one task,
/// in order: `begin`, `target` once per target entry, `finish`.
pub trait AuditSink: Send {
    fn begin(&mut self, header: &RunHeader) -> std::io::Result<()>;
    fn target(&mut self, target: &TargetReport) -> std::io::Result<()>;
    fn finish(&mut self, end: &RunEnd) -> std::io::Result<()>;
}

/// Changes each target entry before the sinks see it (mutes, history's `new`/`same`), and adds
/// to the end of the run (history's `fixed`). Called in order like [`AuditSink`].
pub trait Annotator: Send {
    fn annotate(&mut self, target: &mut TargetReport);
    /// Called once after the last target, before the verdict is concluded.
    fn finish(&mut self, end: &mut RunEnd);
}

#[cfg(test)]
pub(crate) mod tests {
    //! Sample audit data for the renderers' tests, built without running anything.
    use super::*;
    use preflight::{registry, Acl, Evidence};

    pub fn sample_header() -> RunHeader {
        let mut header = RunHeader::new("2026-01-01T00:00:00Z".into(), None);
        header.tool.version = "0.0.0-test";
        header
    }

    fn result(id: &str, status: Status, summary: &str, fix: Option<&str>) -> AuditResult {
        let info = registry::find(id).expect("a real check").info();
        AuditResult::new(ResultEntry {
            id: info.id,
            title: info.title,
            status,
            summary: summary.into(),
            detail: None,
            remediation: fix.map(str::to_owned),
            evidence: Evidence::new(),
            duration_ms: 12,
        })
    }

    /// Two config targets: one failing, one passing with a muted warning.
    pub fn sample_targets() -> Vec<TargetReport> {
        let mut source = Source::new(SourceKind::Config);
        source.file = Some("audit.toml".into());
        source.line = Some(7);
        let mut video = TargetReport {
            name: "video-exports".into(),
            source: source.clone(),
            profile: Some("exporter".into()),
            role_arn: None,
            caller: None,
            target: Target::new("acme-video"),
            summary: Counts::default(),
            results: vec![
                result("bucket-name", Status::Pass, "bucket name is valid", None),
                result(
                    "block-public-access",
                    Status::Fail,
                    "BlockPublicAcls is on: uploads with `acl: public` are refused",
                    Some("Turn off BlockPublicAcls, or set `acl: bucket-default`."),
                ),
                result(
                    "dry-run-put",
                    Status::Skip,
                    "blocked by block-public-access",
                    None,
                ),
            ],
            error: None,
            same_as: Vec::new(),
            duration_ms: 40,
        };
        video.results[1].change = Some(Change::New);
        video.recount();
        source.line = Some(14);
        let mut archive_target = Target::new("acme-archive");
        archive_target.acl = Acl::BucketDefault;
        let mut archive = TargetReport {
            name: "archive".into(),
            source,
            profile: None,
            role_arn: None,
            caller: None,
            target: archive_target,
            summary: Counts::default(),
            results: vec![
                result("bucket-name", Status::Pass, "bucket name is valid", None),
                result(
                    "result-url",
                    Status::Warn,
                    "the default `url_prefix` uses plain http://",
                    Some("Set `url_prefix`."),
                ),
            ],
            error: None,
            same_as: Vec::new(),
            duration_ms: 30,
        };
        archive.results[1].muted = Some(Mute {
            reason: "served through the CDN".into(),
            expires: Some("2027-01-31".into()),
        });
        archive.recount();
        vec![video, archive]
    }

    pub fn sample_end(targets: &[TargetReport]) -> RunEnd {
        let mut summary = AuditSummary::default();
        for target in targets {
            summary.add(target, false);
        }
        let mut end = RunEnd::new(summary, Vec::new());
        end.conclude(false, FailOn::Any);
        end
    }

    #[test]
    fn muted_findings_count_apart_and_do_not_fail() {
        let targets = sample_targets();
        assert_eq!(targets[1].summary.warn, 0);
        assert_eq!(targets[1].summary.muted, 1);
        assert_eq!(targets[1].worst(), Status::Pass);
        let end = sample_end(&targets);
        assert_eq!(end.summary.targets, 2);
        assert_eq!(end.summary.targets_failing, 1);
        assert_eq!(end.exit_code, 1);
        assert_eq!(end.verdict, "not_ready");
    }

    #[test]
    fn fail_on_new_counts_only_new_fails() {
        let mut targets = sample_targets();
        assert_eq!(
            targets[0].summary.verdict(false, FailOn::New),
            Verdict::Failed
        );
        targets[0].results[1].change = Some(Change::Same);
        targets[0].recount();
        assert_eq!(
            targets[0].summary.verdict(false, FailOn::New),
            Verdict::Ready
        );
        assert_eq!(
            targets[0].summary.verdict(false, FailOn::Any),
            Verdict::Failed
        );
    }

    #[test]
    fn a_target_that_could_not_be_checked_is_an_error() {
        let mut target = sample_targets().remove(1);
        target.results.clear();
        target.error = Some("ListBuckets answered AccessDenied".into());
        target.recount();
        assert_eq!(target.worst(), Status::Error);
        assert_eq!(
            target.summary.verdict(false, FailOn::Any),
            Verdict::Unverified
        );
    }

    #[test]
    fn results_serialise_as_check_does_plus_the_annotations() {
        let targets = sample_targets();
        let value = serde_json::to_value(&targets[1].results[1]).unwrap();
        assert_eq!(value["id"], "result-url");
        assert_eq!(value["status"], "warn");
        assert_eq!(value["muted"]["reason"], "served through the CDN");
        assert_eq!(value["muted"]["expires"], "2027-01-31");
        assert_eq!(value["change"], serde_json::Value::Null);
        let value = serde_json::to_value(&targets[0].results[1]).unwrap();
        assert_eq!(value["change"], "new");
        assert_eq!(value["muted"], serde_json::Value::Null);
    }
}
