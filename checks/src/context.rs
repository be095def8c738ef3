//! What a check can see: the target, the run's settings, and (online) the session and the
//! bucket facts it fetches once.

use crate::facts::BucketFacts;
use crate::iam::{PolicyDocument, PolicyKind};
use crate::probe::ProbeCell;
use crate::{Session, Target};
use std::sync::Arc;

/// How far the run may go, from the command line.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Whether the dry-run upload may write its probe object (`--no-write` turns it off).
    pub write: bool,
    /// Write the probe even where object lock will keep it until retention ends.
    pub write_locked: bool,
    /// The account that must own the bucket (`x-amz-expected-bucket-owner`).
    pub expected_owner: Option<String>,
    /// Versioning must be enabled.
    pub expect_versioning: bool,
    /// The principal whose permissions `iam-simulation` simulates (default: the caller).
    pub principal: Option<String>,
    /// A policy document to analyse offline (`policy-document`), already parsed.
    pub policy_document: Option<PolicyFile>,
    /// A real export key (`--probe-key`) whose shape the dry-run probe's key copies, already
    /// checked with [`crate::probe::validate_probe_key`].
    pub probe_key: Option<String>,
}

/// A policy given with `--policy-file`.
#[derive(Debug, Clone)]
pub struct PolicyFile {
    /// Where it came from, for messages.
    pub name: String,
    pub kind: PolicyKind,
    pub document: PolicyDocument,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            write: true,
            write_locked: false,
            expected_owner: None,
            expect_versioning: false,
            principal: None,
            policy_document: None,
            probe_key: None,
        }
    }
}

pub struct Context {
    pub target: Target,
    pub settings: Settings,
    session: Option<Arc<Session>>,
    pub(crate) facts: BucketFacts,
    pub(crate) probe_cell: ProbeCell,
}

impl Context {
    /// A context for offline checks only: no credentials, no network.
    pub fn offline(target: Target) -> Self {
        Context {
            target,
            settings: Settings::default(),
            session: None,
            facts: BucketFacts::default(),
            probe_cell: ProbeCell::default(),
        }
    }

    /// A context whose online checks use `session`; many targets may share one session.
    pub fn online(target: Target, session: Arc<Session>) -> Self {
        Context {
            target,
            settings: Settings::default(),
            session: Some(session),
            facts: BucketFacts::default(),
            probe_cell: ProbeCell::default(),
        }
    }

    pub fn with_settings(mut self, settings: Settings) -> Self {
        self.settings = settings;
        self
    }

    /// The AWS session, or `None` when running offline.
    pub fn session(&self) -> Option<&Session> {
        self.session.as_deref()
    }
}
