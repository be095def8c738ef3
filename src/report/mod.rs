//! Reports: one model, rendered as a terminal table, JSON or Markdown.

pub mod audit_json;
pub mod audit_markdown;
pub mod audit_table;
mod fixes;
mod json;
pub mod junit;
mod markdown;
pub mod sarif;
mod scope;
mod table;

pub use scope::{RunLimits, Scope};
pub use table::TableStyle;

use crate::runner::CheckReport;
use preflight::{Evidence, Status, Target};
use serde::Serialize;

/// Bumped whenever a field changes meaning; adding fields does not bump it.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub tool: Tool,
    /// When the run started, RFC 3339 in UTC.
    pub started_at: String,
    /// `ready`, `limited`, `not_ready` or `unverified`: what the exit code says (`ready` and
    /// `limited` both exit 0).
    pub verdict: &'static str,
    pub exit_code: u8,
    /// Whose credentials the online checks used, when STS said so.
    pub caller: Option<Caller>,
    pub target: Target,
    pub summary: Summary,
    /// What the run established and what it did not, and as whom.
    pub scope: Scope,
    /// The closing verdict as the reports word it.
    pub conclusion: String,
    pub results: Vec<ResultEntry>,
    /// How the command line limited the run; set before [`Report::conclude`].
    #[serde(skip)]
    pub limits: RunLimits,
    /// With `-vv`: every request the run sent, when it started and ended (ms since the run
    /// began), its operation, host and HTTP status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timings: Option<Vec<preflight::timeline::RequestTiming>>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Caller {
    pub arn: String,
    pub account: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Summary {
    pub pass: usize,
    pub warn: usize,
    pub fail: usize,
    pub skip: usize,
    pub error: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct ResultEntry {
    pub id: &'static str,
    pub title: &'static str,
    pub status: Status,
    pub summary: String,
    pub detail: Option<String>,
    pub remediation: Option<String>,
    pub evidence: Evidence,
    pub duration_ms: u64,
}

/// Replaces every secret (of 8 characters or more: shorter strings are no credentials and would
/// match ordinary words) in `text` with `[REDACTED]`.
pub fn redact_text(text: &mut String, secrets: &[String]) {
    for secret in secrets.iter().filter(|s| s.len() >= 8) {
        if text.contains(secret.as_str()) {
            *text = text.replace(secret.as_str(), "[REDACTED]");
        }
    }
}

/// RFC 3339 in UTC, to the second.
pub fn rfc3339(time: std::time::SystemTime) -> String {
    aws_smithy_types::DateTime::from(time)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default()
}

/// How the run ends, as the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The full set ran, the dry run proved the upload, no fail, no error (and with --strict,
    /// no warn).
    Ready,
    /// No fail and no error in what ran, but the run was limited (see [`Scope`]); with
    /// --strict that is `Unverified`.
    Limited,
    /// At least one fail (or, with --strict, warn).
    Failed,
    /// No fail, but at least one check could not verify (or, with --strict, the run was
    /// limited).
    Unverified,
}

impl Verdict {
    pub fn exit_code(self) -> u8 {
        match self {
            Verdict::Ready | Verdict::Limited => 0,
            Verdict::Failed => 1,
            Verdict::Unverified => 3,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ready => "ready",
            Verdict::Limited => "limited",
            Verdict::Failed => "not_ready",
            Verdict::Unverified => "unverified",
        }
    }
}

impl Report {
    pub fn new(target: Target, reports: Vec<CheckReport>) -> Self {
        let mut summary = Summary::default();
        let results: Vec<ResultEntry> = reports
            .into_iter()
            .map(|r| {
                *match r.outcome.status {
                    Status::Pass => &mut summary.pass,
                    Status::Warn => &mut summary.warn,
                    Status::Fail => &mut summary.fail,
                    Status::Skip => &mut summary.skip,
                    Status::Error => &mut summary.error,
                } += 1;
                ResultEntry {
                    id: r.info.id,
                    title: r.info.title,
                    status: r.outcome.status,
                    summary: r.outcome.summary,
                    detail: r.outcome.detail,
                    remediation: r.outcome.remediation,
                    evidence: r.outcome.evidence,
                    duration_ms: u64::try_from(r.duration.as_millis()).unwrap_or(u64::MAX),
                }
            })
            .collect();
        let mut report = Report {
            schema_version: SCHEMA_VERSION,
            tool: Tool {
                name: env!("CARGO_PKG_NAME"),
                version: env!("CARGO_PKG_VERSION"),
            },
            started_at: rfc3339(std::time::SystemTime::now()),
            verdict: "ready",
            exit_code: 0,
            caller: None,
            timings: None,
            target,
            summary,
            scope: Scope::default(),
            conclusion: String::new(),
            results,
            limits: RunLimits::default(),
        };
        report.conclude(false);
        report
    }

    /// Sets `scope`, `verdict`, `exit_code` and `conclusion` for the run's `--strict`, from
    /// `limits` and `caller` (set those first).
    pub fn conclude(&mut self, strict: bool) {
        self.scope = Scope::of(
            &self.results,
            &self.limits,
            self.caller.as_ref().map(|c| c.arn.as_str()),
        );
        let verdict = self.verdict(strict);
        self.verdict = verdict.as_str();
        self.exit_code = verdict.exit_code();
        self.conclusion = self.verdict_line(strict);
    }

    pub fn verdict(&self, strict: bool) -> Verdict {
        if self.summary.fail > 0 || (strict && self.summary.warn > 0) {
            Verdict::Failed
        } else if self.summary.error > 0 || (strict && !self.scope.complete) {
            // With --strict, what the run did not establish is unverified too.
            Verdict::Unverified
        } else if !self.scope.complete {
            Verdict::Limited
        } else {
            Verdict::Ready
        }
    }

    /// Replaces every occurrence of each secret in every string of the report. The checks never
    /// put secrets into outcomes; this is the second line of defence for text that comes from
    /// elsewhere (SDK error messages, configuration files).
    pub fn redact(&mut self, secrets: &[String]) {
        if secrets.iter().all(|s| s.len() < 8) {
            return;
        }
        let scrub = |text: &mut String| redact_text(text, secrets);
        scrub(&mut self.conclusion);
        for gap in &mut self.scope.not_established {
            scrub(&mut gap.why);
        }
        for result in &mut self.results {
            scrub(&mut result.summary);
            result.detail.as_mut().map(scrub);
            result.remediation.as_mut().map(scrub);
            for value in result.evidence.values_mut() {
                let mut text = value.to_string();
                let before = text.clone();
                scrub(&mut text);
                if text != before {
                    *value = serde_json::from_str(&text)
                        .unwrap_or(serde_json::Value::String("[REDACTED]".into()));
                }
            }
        }
    }

    pub fn to_json(&self) -> String {
        json::render(self)
    }

    pub fn to_markdown(&self) -> String {
        markdown::render(self)
    }

    pub fn to_table(&self, style: &TableStyle) -> String {
        table::render(self, style)
    }

    /// "1 fail, 2 warn, 3 pass", leaving out zero counts, worst first.
    pub fn counts_line(&self) -> String {
        let s = &self.summary;
        let parts: Vec<String> = [
            ("fail", s.fail),
            ("error", s.error),
            ("warn", s.warn),
            ("pass", s.pass),
            ("skip", s.skip),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(name, n)| format!("{n} {name}"))
        .collect();
        if parts.is_empty() {
            "no checks ran".to_owned()
        } else {
            parts.join(", ")
        }
    }

    /// One sentence on what the exit code means, and on what the run did not establish.
    pub fn verdict_line(&self, strict: bool) -> String {
        let limits = self.scope.limits_clauses(&self.results, &self.limits);
        let limited = || {
            let offline_only = self.scope.limited_by == ["offline"];
            let warnings = if self.summary.warn > 0 {
                " (read the warnings)"
            } else {
                ""
            };
            let strict_note = if strict {
                " --strict counts a limited run as unverified."
            } else {
                ""
            };
            if offline_only {
                let warnings = if self.summary.warn > 0 {
                    " The warnings above are worth reading."
                } else {
                    ""
                };
                format!("Not a readiness verdict: name and parameters are fine; nothing was checked against the bucket (--offline).{warnings}{strict_note}")
            } else {
                format!(
                    "Nothing failed{warnings}, but this is not a readiness verdict: {}.{strict_note}",
                    limits.join("; ")
                )
            }
        };
        match self.verdict(strict) {
            Verdict::Ready => {
                let who = self
                    .scope
                    .proved_as
                    .as_deref()
                    .map(|arn| format!(" as {arn}"))
                    .unwrap_or_default();
                let warnings = if self.summary.warn > 0 {
                    ", with warnings worth reading"
                } else {
                    ""
                };
                format!("Ready to receive exports{warnings}: the dry run proved the upload{who}.")
            }
            Verdict::Limited => limited(),
            Verdict::Failed if self.summary.fail == 0 => {
                "Not ready under --strict: warnings count as failures.".to_owned()
            }
            Verdict::Failed => {
                "Not ready: uploads or their URLs will fail until the problems above are fixed."
                    .to_owned()
            }
            Verdict::Unverified if self.summary.error > 0 => {
                "Could not verify everything: see the errors above.".to_owned()
            }
            Verdict::Unverified => limited(),
        }
    }

    /// The lines under the verdict: whose identity the online checks proved, and what was not
    /// verified for a reason other than the user's selection.
    pub fn scope_lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        // The Ready sentence already names the identity.
        if self.verdict != "ready" {
            lines.extend(self.scope.identity_line(&self.results));
        }
        lines.extend(self.scope.not_verified_line(&self.results));
        lines
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::runner::CheckReport;
    use preflight::{registry, Acl, Outcome};
    use std::time::Duration;

    /// A report with one result of each status, built without running anything.
    pub fn sample() -> Report {
        let mut target = Target::new("My_Bucket");
        target.acl = Acl::Public;
        target.bucket_region = Some("eu-west-1".into());
        let outcomes = [
            ("bucket-name", Outcome::fail("bucket name `My_Bucket` contains uppercase letters (M, B); contains underscores (`_`)", "Create a bucket with a compliant name (for example `my-bucket`) and set `bucket` to it.").with_evidence("violations", vec!["uppercase", "underscore"])),
            ("store-params", Outcome::pass("store parameters are well-formed (acl `public` sends x-amz-acl: public-read; no fixed key prefix)")),
            ("result-url", Outcome::warn("the default `url_prefix` uses plain http://, which browsers block on HTTPS pages", "Set `url_prefix: https://s3.eu-west-1.amazonaws.com/My_Bucket/`.").with_detail("Preview for a file named `Summer holiday (1).jpg`: http://My_Bucket.s3.amazonaws.com/f2/x.jpg")),
            ("credentials", Outcome::error("could not verify the credentials: no answer in time", "Check network access to AWS STS and run again.")),
        ];
        let mut reports: Vec<CheckReport> = outcomes
            .into_iter()
            .map(|(id, outcome)| CheckReport {
                info: registry::find(id).unwrap().info(),
                outcome,
                duration: Duration::from_millis(12),
            })
            .collect();
        reports.push(CheckReport {
            info: registry::find("credentials").unwrap().info(),
            outcome: Outcome::skip("blocked by credentials"),
            duration: Duration::ZERO,
        });
        let mut report = Report::new(target, reports);
        report.tool.version = "0.0.0-test";
        report.started_at = "2026-01-01T00:00:00Z".to_owned();
        report.caller = Some(Caller {
            arn: "arn:aws:iam::111122223333:user/exporter".to_owned(),
            account: "111122223333".to_owned(),
        });
        report.conclude(false);
        report
    }

    #[test]
    fn verdicts_follow_the_documented_exit_codes() {
        let mut report = sample();
        assert_eq!(report.verdict(false), Verdict::Failed);
        report.summary.fail = 0;
        assert_eq!(report.verdict(false), Verdict::Unverified);
        report.summary.error = 0;
        // The sample has no dry run: nothing failed, but the run is limited.
        assert_eq!(report.verdict(false), Verdict::Limited);
        assert_eq!(report.verdict(false).exit_code(), 0);
        report.scope.complete = true;
        assert_eq!(report.verdict(false), Verdict::Ready);
        assert_eq!(report.verdict(true), Verdict::Failed);
        report.summary.warn = 0;
        assert_eq!(report.verdict(true), Verdict::Ready);
        report.scope.complete = false;
        assert_eq!(report.verdict(true), Verdict::Unverified);
        assert_eq!(report.verdict(true).exit_code(), 3);
    }

    #[test]
    fn redaction_reaches_every_string() {
        let mut report = sample();
        let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".to_owned();
        report.results[0].detail = Some(format!("profile line: aws_secret_access_key = {secret}"));
        report.results[0].evidence.insert(
            "raw".into(),
            serde_json::json!({ "nested": [secret.clone()] }),
        );
        report.redact(std::slice::from_ref(&secret));
        let everything = format!(
            "{}{}{}",
            report.to_json(),
            report.to_markdown(),
            report.to_table(&TableStyle::plain(2))
        );
        assert!(!everything.contains(&secret));
        assert!(everything.contains("[REDACTED]"));
    }
}
