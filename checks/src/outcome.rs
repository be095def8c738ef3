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
