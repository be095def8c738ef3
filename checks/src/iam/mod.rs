//! IAM policies as an S3 upload meets them.
//!
//! - [`parse_policy`] reads an identity or bucket policy, with errors that name the statement
//!   and element to fix.
//! - [`evaluate`] applies IAM's evaluation logic to one request (action, resource, caller,
//!   condition keys). What cannot be known offline yields [`Decision::Conditional`] with the
//!   open question spelled out, never a guess.
//! - [`diagnose_upload_policy`] names the classic mistakes (ListBucket on `bucket/*`, a prefix
//!   that misses the export path, a typo in an action, ...).
//! - [`export_request`] is the export request model: each request one export makes, on keys
//!   shaped like the real ones, with the condition keys AWS sets for that action; both policy
//!   checks evaluate through it ([`evaluate_export`]).
//! - [`bucket_policy`] evaluates a bucket policy against those requests (denials per statement,
//!   the encryption header it demands, conditional-write requirements, public read).
//! - [`validate_policy`] checks the grammar AWS enforces when a policy is saved (what IAM or S3
//!   refuses, and what they save but treat surprisingly), before anything is evaluated.
//! - [`minimal_policy`] writes the smallest policy that works, and [`required_actions`] lists
//!   the requests it must allow.

mod actions;
mod arn;
pub mod bucket_policy;
mod condition;
pub mod diagnose;
pub mod eval;
pub mod export_request;
pub mod minimal;
pub mod policy;
mod principal;
mod truth;
pub mod validate;
mod variables;

pub use diagnose::{diagnose_upload_policy, Mistake, MistakeKind, RequiredAction};
pub use eval::{evaluate, Decision, Evaluation, MatchedStatement, PolicyKind, Request};
pub use export_request::{evaluate_export, ActionVerdict, ExportRequest, ExportShape};
pub use minimal::{grants, minimal_policy, required_actions, statement_granting, PolicyRequest};
pub use policy::{parse_policy, Effect, PolicyDocument, PolicyError};
pub use validate::{validate_policy, GrammarFinding, PolicyTarget, Severity};
