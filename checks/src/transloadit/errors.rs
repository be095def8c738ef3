//! Transloadit's Assembly error codes and the AWS error texts behind them → the likely causes,
//! most likely first → the checks that confirm or rule out each one. What `diagnose` knows;
//! reading the input is `parse`, the AWS codes themselves are `crate::error_codes`.

mod causes;
pub mod parse;
#[cfg(test)]
mod tests;

pub use causes::{causes, Cause, CauseKind, Known, Likelihood, CAUSES};
pub use parse::{parse, Unrecognised, ACCEPTED};

use crate::denial::Denial;
use serde::Serialize;

/// One of the codes an Assembly fails with when its storage step fails, by what follows the
/// provider: `S3_STORE_ACCESS_DENIED`, `WASABI_STORE_ACCESS_DENIED` and the general
/// `S3_ACCESS_DENIED` are all `ACCESS_DENIED`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreCode {
    /// The `/s3/store` spelling, as documentation names it.
    pub code: &'static str,
    pub meaning: &'static str,
    /// The checks that predict it, most specific first.
    pub checks: &'static [&'static str],
}

/// The storage Robots whose codes follow the `{PROVIDER}_STORE_{SUFFIX}` pattern.
pub const PROVIDERS: &[&str] = &[
    "S3",
    "WASABI",
    "MINIO",
    "TIGRIS",
    "SUPABASE",
    "SWIFT",
    "MEGA",
    "DIGITALOCEAN",
    "CLOUDFLARE",
];

pub static STORE_CODES: &[StoreCode] = &[
    StoreCode {
        code: "S3_STORE_ACCESS_DENIED",
        meaning: "the store refused the upload (403): a missing permission, a Deny, Block Public Access against the `acl`, the KMS key, or credentials it does not accept",
        checks: &["dry-run-put", "iam-simulation", "bucket-policy", "block-public-access", "credentials"],
    },
    StoreCode {
        code: "S3_STORE_WRONG_REGION",
        meaning: "the bucket lives in another region than `bucket_region` says",
        checks: &["bucket-region"],
    },
    StoreCode {
        code: "S3_STORE_NOT_FOUND",
        meaning: "no bucket of that name exists where the store looked",
        checks: &["bucket-exists", "bucket-name"],
    },
    StoreCode {
        code: "S3_STORE_VALIDATION",
        meaning: "a parameter of the store step is invalid",
        checks: &["store-params", "bucket-name"],
    },
    StoreCode {
        code: "S3_STORE_URL_VERIFICATION_FAILURE",
        meaning: "the stored file could not be fetched at its result URL (`url_prefix` + `path`)",
        checks: &["public-url", "result-url"],
    },
    StoreCode {
        code: "S3_STORE_FAILURE",
        meaning: "the upload failed for another reason; the S3 error behind it is usually in the message",
        checks: &["dry-run-put"],
    },
    StoreCode {
        code: "TRANSIENT_STORAGE_SERVICE_ERROR",
        meaning: "the storage service answered with a temporary error (a 5xx or SlowDown)",
        checks: &["dry-run-put"],
    },
];

/// The store code `code` stands for, and the provider it names (`S3`, `WASABI`…). Accepts the
/// `{PROVIDER}_STORE_{SUFFIX}` codes, the general `S3_{SUFFIX}` ones, in any case.
pub fn find_store_code(code: &str) -> Option<(&'static StoreCode, &'static str)> {
    let code = code.trim().to_ascii_uppercase();
    if let Some(known) = STORE_CODES
        .iter()
        .find(|c| c.code == code && !c.code.starts_with("S3_"))
    {
        return Some((known, "any"));
    }
    PROVIDERS.iter().find_map(|provider| {
        let rest = code.strip_prefix(provider)?.strip_prefix('_')?;
        let suffix = rest.strip_prefix("STORE_").unwrap_or(rest);
        STORE_CODES
            .iter()
            .find(|c| c.code.strip_prefix("S3_STORE_") == Some(suffix))
            .map(|known| (known, *provider))
    })
}

/// Where the failure came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InputKind {
    AssemblyStatus,
    SdkError,
    S3Xml,
    AccessDeniedMessage,
    Code,
    Text,
}

/// What the error says, as far as it says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub kind: InputKind,
    /// `S3_STORE_ACCESS_DENIED` and the like.
    pub transloadit_code: Option<String>,
    /// The S3/STS/KMS code: `AccessDenied`, `PermanentRedirect`…
    pub aws_code: Option<String>,
    /// An Assembly code this tool knows no causes for.
    pub unknown_code: Option<String>,
    pub http_status: Option<u16>,
    pub message: Option<String>,
    pub reason: Option<String>,
    pub step: Option<String>,
    pub assembly_url: Option<String>,
    pub bucket: Option<String>,
    pub key: Option<String>,
    /// The bucket's region, when the error names it.
    pub region: Option<String>,
    /// The endpoint a PermanentRedirect names.
    pub endpoint: Option<String>,
    /// The enhanced AccessDenied: principal, action, resource, policy type.
    pub denial: Option<Denial>,
    /// The Assembly's other (ignored) errors, one line each.
    pub other_errors: Vec<String>,
}

impl Failure {
    pub fn new(kind: InputKind) -> Self {
        Failure {
            kind,
            transloadit_code: None,
            aws_code: None,
            unknown_code: None,
            http_status: None,
            message: None,
            reason: None,
            step: None,
            assembly_url: None,
            bucket: None,
            key: None,
            region: None,
            endpoint: None,
            denial: None,
            other_errors: Vec::new(),
        }
    }

    /// The Transloadit code's entry, if any.
    pub fn store_code(&self) -> Option<&'static StoreCode> {
        self.transloadit_code
            .as_deref()
            .and_then(find_store_code)
            .map(|(code, _)| code)
    }
}

/// Whether `code` (a Transloadit, S3, STS or KMS code) is one `diagnose` knows.
pub fn is_recognised(code: &str) -> bool {
    find_store_code(code).is_some() || crate::error_codes::find(code).is_some()
}
