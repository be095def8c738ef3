//! The checks behind `bucket-preflight`.
//!
//! This crate knows S3 and nothing about terminals: every check implements [`Check`], reads the
//! store parameters and shared facts from a [`Context`], and returns an [`Outcome`]. Checks never
//! print; the application decides how results are rendered.
//!
//! Adding a check means one new file under `checks/` and one line in [`registry::ALL`].

pub mod acl_rules;
pub mod answer_integrity;
pub mod api_error;
pub mod bucket_naming;
pub mod bucket_owner;
pub mod bucket_ref;
pub mod check;
pub mod checks;
pub mod context;
pub mod corrected;
pub mod denial;
pub mod denial_causes;
pub mod endpoints;
pub mod error_codes;
pub mod facts;
pub mod iam;
pub mod iam_simulator;
#[cfg(test)]
mod loopback_http;
pub mod outcome;
pub mod partition;
pub mod path_template;
pub mod path_variables;
pub mod probe;
pub mod public_read;
pub mod reconcile;
pub mod registry;
#[cfg(test)]
pub(crate) mod replay;
#[cfg(test)]
mod scenarios;
pub mod session;
pub mod store_headers;
pub mod target;
pub mod timeline;
pub mod transloadit;
pub mod transport_error;
pub mod url_prefix;

pub use check::{Category, Check, CheckInfo};
pub use context::{Context, PolicyFile, Settings};
pub use outcome::{Evidence, Findings, Outcome, Status};
pub use session::{Session, SessionOptions};
pub use target::{Acl, Target};
