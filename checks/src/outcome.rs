//! What a check found: a status, a one-line summary, and everything a person needs to act on it.

use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;

/// The verdict of one check.
///
/// `Skip` and `Error` both mean "not verified" and are never a pass: `Skip` is deliberate (the
/// user asked for it, or a prerequisite failed), `Error` is the tool failing to find out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Warn,
    Fail,
    Skip,
    Error,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Pass,
        Status::Warn,
        Status::Fail,
        Status::Skip,
        Status::Error,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Skip => "skip",
            Status::Error => "error",
        }
    }

    /// Whether checks that depend on this one may run: only a verified pass or warn lets them.
    pub fn unblocks_dependents(self) -> bool {
        matches!(self, Status::Pass | Status::Warn)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The values a check saw, by name, so that a report can show why it decided as it did.
pub type Evidence = BTreeMap<String, Value>;

/// The result of running one check.
///
/// The constructors make the rules hard to break: `warn`, `fail` and `error` take a remediation,
/// because a problem without a concrete next step is not a finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    pub status: Status,
    pub summary: String,
    pub detail: Option<String>,
    pub remediation: Option<String>,
    pub evidence: Evidence,
}

impl Outcome {
    fn new(status: Status, summary: impl Into<String>, remediation: Option<String>) -> Self {
        Outcome {
            status,
            summary: summary.into(),
            detail: None,
            remediation,
            evidence: Evidence::new(),
        }
    }

    pub fn pass(summary: impl Into<String>) -> Self {
        Self::new(Status::Pass, summary, None)
    }

    pub fn warn(summary: impl Into<String>, remediation: impl Into<String>) -> Self {
        Self::new(Status::Warn, summary, Some(remediation.into()))
    }

    pub fn fail(summary: impl Into<String>, remediation: impl Into<String>) -> Self {
        Self::new(Status::Fail, summary, Some(remediation.into()))
    }

    /// The check could not find out; the remediation says what would let it.
    pub fn error(summary: impl Into<String>, remediation: impl Into<String>) -> Self {
        Self::new(Status::Error, summary, Some(remediation.into()))
    }

    pub fn skip(reason: impl Into<String>) -> Self {
        Self::new(Status::Skip, reason, None)
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn with_evidence(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.evidence.insert(key.to_owned(), value.into());
        self
    }

    pub fn with_all_evidence(mut self, evidence: Evidence) -> Self {
        self.evidence.extend(evidence);
        self
    }
}

/// Several problems found by one check, folded into one outcome: the worst severity wins,
/// summaries are joined with `; `, and each distinct fix is said once.
#[derive(Debug, Default)]
pub struct Findings {
    fails: Vec<(String, String)>,
    warns: Vec<(String, String)>,
}

impl Findings {
    pub fn fail(&mut self, summary: impl Into<String>, fix: impl Into<String>) {
        self.fails.push((summary.into(), fix.into()));
    }

    pub fn warn(&mut self, summary: impl Into<String>, fix: impl Into<String>) {
        self.warns.push((summary.into(), fix.into()));
    }

    /// The outcome: `pass` with `pass_summary` when nothing was found.
    pub fn into_outcome(self, pass_summary: impl Into<String>) -> Outcome {
        let failed = !self.fails.is_empty();
        let all: Vec<(String, String)> = self.fails.into_iter().chain(self.warns).collect();
        if all.is_empty() {
            return Outcome::pass(pass_summary);
        }
        let summary = all
            .iter()
            .map(|(s, _)| s.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        let mut fixes: Vec<&str> = Vec::new();
        for (_, fix) in &all {
            if !fixes.contains(&fix.as_str()) {
                fixes.push(fix);
            }
        }
        let fix = fixes.join(" ");
        if failed {
            Outcome::fail(summary, fix)
        } else {
            Outcome::warn(summary, fix)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings_fold_worst_first_and_say_each_fix_once() {
        assert_eq!(Findings::default().into_outcome("ok").status, Status::Pass);
        let mut found = Findings::default();
        found.warn("w", "fix a");
        found.fail("f", "fix a");
        found.warn("w2", "fix b");
        let outcome = found.into_outcome("ok");
        assert_eq!(outcome.status, Status::Fail);
        assert_eq!(outcome.summary, "f; w; w2");
        assert_eq!(outcome.remediation.as_deref(), Some("fix a fix b"));
    }
}
