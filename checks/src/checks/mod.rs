//! One module per check. Each file holds the check, its documentation and its unit tests.

pub mod block_public_access;
pub mod bucket_exists;
pub mod bucket_name;
pub mod bucket_policy;
pub mod bucket_region;
pub mod credentials;
pub mod dry_run_put;
pub mod encryption;
pub mod iam_simulation;
pub mod list_objects;
pub mod object_lock;
pub mod object_ownership;
pub mod policy_document;
pub mod public_url;
pub mod requester_pays;
pub mod result_url;
pub mod store_params;
pub mod versioning;
