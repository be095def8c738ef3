//! Reports: one model, rendered as a terminal table, JSON or Markdown.

mod json;
mod markdown;
mod table;

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
    /// `ready`, `not_ready` or `unverified`: what the exit code says.
    pub verdict: &'static str,
    pub exit_code: u8,
    /// Whose credentials the online checks used, when STS said so.
    pub caller: Option<Caller>,
    pub target: Target,
    pub summary: Summary,
    pub results: Vec<ResultEntry>,
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
    /// No fail, no error (and with --strict, no warn).
    Ready = 0,
    /// At least one fail (or, with --strict, warn).
    Failed = 1,
    /// No fail, but at least one check could not verify.
    Unverified = 3,
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
            results,
        };
        report.conclude(false);
        report
    }

    /// Sets `verdict` and `exit_code` for the run's `--strict`.
    pub fn conclude(&mut self, strict: bool) {
        let verdict = self.verdict(strict);
        self.verdict = match verdict {
            Verdict::Ready => "ready",
            Verdict::Failed => "not_ready",
            Verdict::Unverified => "unverified",
        };
        self.exit_code = verdict as u8;
    }

    pub fn verdict(&self, strict: bool) -> Verdict {
        if self.summary.fail > 0 || (strict && self.summary.warn > 0) {
            Verdict::Failed
        } else if self.summary.error > 0 {
            Verdict::Unverified
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

    /// One sentence on what the exit code means.
    pub fn verdict_line(&self, strict: bool) -> &'static str {
        match self.verdict(strict) {
            Verdict::Ready if self.summary.warn > 0 => {
                "Ready to receive exports, with warnings worth reading."
            }
            Verdict::Ready => "Ready to receive exports.",
            Verdict::Failed if self.summary.fail == 0 => {
                "Not ready under --strict: warnings count as failures."
            }
            Verdict::Failed => {
                "Not ready: uploads or their URLs will fail until the problems above are fixed."
            }
            Verdict::Unverified => "Could not verify everything: see the errors above.",
        }
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
        report
    }

    #[test]
    fn verdicts_follow_the_documented_exit_codes() {
        let mut report = sample();
        assert_eq!(report.verdict(false), Verdict::Failed);
        report.summary.fail = 0;
        assert_eq!(report.verdict(false), Verdict::Unverified);
        report.summary.error = 0;
        assert_eq!(report.verdict(false), Verdict::Ready);
        assert_eq!(report.verdict(true), Verdict::Failed);
        report.summary.warn = 0;
        assert_eq!(report.verdict(true), Verdict::Ready);
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
