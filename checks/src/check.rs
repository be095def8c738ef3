//! The `Check` trait and the static description every check declares.

use crate::{Context, Outcome};
use async_trait::async_trait;
use serde::Serialize;
use std::fmt;

/// What part of the upload path a check looks at; groups the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// The `/s3/store` parameters themselves, before any request is made.
    Parameters,
    /// Who is calling: credentials and identity.
    Identity,
    /// The bucket and its configuration.
    Bucket,
    /// Permissions: identity policies, bucket policies, keys.
    Permissions,
    /// Proof by doing: the dry-run upload and the public URL.
    Upload,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Parameters => "parameters",
            Category::Identity => "identity",
            Category::Bucket => "bucket",
            Category::Permissions => "permissions",
            Category::Upload => "upload",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The fixed description of a check: its stable id, where it belongs, and its documentation.
#[derive(Debug, Serialize)]
pub struct CheckInfo {
    /// Stable kebab-case name, used by `--only`, `--skip`, `explain` and in JSON reports.
    pub id: &'static str,
    pub title: &'static str,
    pub category: Category,
    /// Whether the check talks to AWS (and so needs credentials and a network).
    pub online: bool,
    /// Checks that must pass (or warn) first; otherwise this one is skipped as "blocked by".
    pub requires: &'static [&'static str],
    /// Markdown with the sections What it checks / Why it matters / What it cannot see / How to
    /// fix / References.
    #[serde(skip)]
    pub docs: &'static str,
}

/// The documentation sections every check's `docs` must contain, in this order.
pub const DOC_SECTIONS: [&str; 5] = [
    "## What it checks",
    "## Why it matters",
    // What is invisible to the check (organisation policies, network conditions, other
    // accounts' settings) and how the report shows it: a check never passes on what it
    // could not see.
    "## What it cannot see",
    "## How to fix",
    "## References",
];

#[async_trait]
pub trait Check: Send + Sync + 'static {
    fn info(&self) -> &'static CheckInfo;

    /// Runs the check. Never prints, never panics on bad input: every problem is an `Outcome`.
    async fn run(&self, ctx: &Context) -> Outcome;
}
