//! The causes a failed export's error can have, each backed by the checks that confirm or rule
//! it out, and the ranking of them for one error: what the message proves first, then what is
//! most often the culprit for that code.

use super::Failure;
use crate::denial::allow_statement;
use crate::Acl;
use serde::Serialize;

/// One cause `diagnose` can name, with the checks that look at it.
#[derive(Debug, Serialize)]
pub struct CauseKind {
    /// Stable kebab-case id, used in JSON.
    pub id: &'static str,
    pub title: &'static str,
    /// The checks that confirm or rule it out, most specific first.
    pub checks: &'static [&'static str],
    /// The store step parameter whose Template value the checks need to rule this cause out
    /// (`acl`, `bucket_region`); a run with the default value proves nothing about the Template.
    pub depends_on: Option<&'static str>,
}

macro_rules! cause_kinds {
    ($($name:ident = $id:literal, $title:literal, [$($check:literal),*], $depends:expr;)*) => {
        $(pub static $name: CauseKind = CauseKind { id: $id, title: $title, checks: &[$($check),*], depends_on: $depends };)*
        /// Every cause `diagnose` can name.
        pub static CAUSES: &[&CauseKind] = &[$(&$name),*];
    };
}

cause_kinds! {
    IDENTITY_NO_ALLOW = "identity-policy-no-allow", "The writer's IAM policy does not allow the request", ["iam-simulation", "policy-document", "dry-run-put"], None;
    IDENTITY_DENY = "identity-policy-deny", "A Deny statement in the writer's IAM policy", ["iam-simulation", "dry-run-put"], None;
    BUCKET_POLICY_DENY = "bucket-policy-deny", "A Deny statement in the bucket policy", ["bucket-policy", "dry-run-put"], None;
    BUCKET_POLICY_NO_ALLOW = "bucket-policy-no-allow", "The bucket policy does not grant the writer (a bucket of another account)", ["bucket-policy", "dry-run-put"], None;
    PERMISSIONS_BOUNDARY = "permissions-boundary", "The writer's permissions boundary", ["iam-simulation", "dry-run-put"], None;
    SESSION_POLICY = "session-policy", "The session policy of the writer's temporary credentials", ["dry-run-put"], None;
    ORGANISATION_POLICY = "organisation-policy", "An AWS Organizations policy (SCP or RCP)", ["dry-run-put"], None;
    VPC_ENDPOINT_POLICY = "vpc-endpoint-policy", "A VPC endpoint policy", ["dry-run-put"], None;
    BLOCK_PUBLIC_ACLS = "block-public-acls", "Block Public Access refuses the public `acl`", ["block-public-access", "dry-run-put"], Some("acl");
    ACLS_DISABLED = "acls-disabled", "The bucket does not allow ACLs (Object Ownership: bucket owner enforced)", ["object-ownership", "dry-run-put"], Some("acl");
    KMS_KEY = "kms-key", "The bucket's KMS key refuses the writer, or is disabled or gone", ["encryption", "dry-run-put"], None;
    REQUESTER_PAYS = "requester-pays", "Requester pays is on", ["requester-pays", "dry-run-put"], None;
    WRONG_REGION = "wrong-region", "`bucket_region` is not the bucket's region", ["bucket-region"], Some("bucket_region");
    NO_SUCH_BUCKET = "no-such-bucket", "No bucket of that name exists", ["bucket-exists", "bucket-name"], None;
    INVALID_BUCKET_NAME = "invalid-bucket-name", "The bucket name breaks S3's rules", ["bucket-name"], None;
    ACCESS_DISABLED = "access-disabled", "All access to the bucket is disabled", ["bucket-exists"], None;
    UNKNOWN_ACCESS_KEY = "unknown-access-key", "The access key does not exist", ["credentials"], None;
    WRONG_SECRET = "wrong-secret", "The secret does not belong to the access key", ["credentials"], None;
    EXPIRED_TOKEN = "expired-token", "The temporary credentials have expired", ["credentials"], None;
    CLOCK_SKEW = "clock-skew", "The signing clock is off by more than 15 minutes", ["credentials"], None;
    OBJECT_LOCK_INTEGRITY = "object-lock-integrity", "Object lock demands Content-MD5 or a checksum", ["object-lock", "dry-run-put"], None;
    KEY_TOO_LONG = "key-too-long", "The object key is over 1024 bytes", ["store-params"], None;
    INVALID_PARAMETER = "invalid-parameter", "A store step parameter is invalid", ["store-params", "bucket-name"], None;
    URL_NOT_REACHABLE = "url-not-reachable", "The stored file is not reachable at its result URL", ["public-url", "result-url"], Some("url_prefix");
    UNSUPPORTED_ENDPOINT = "unsupported-endpoint", "The endpoint does not implement the request", ["dry-run-put"], None;
    PRECONDITION_FAILED = "precondition-failed", "A conditional header did not hold", ["dry-run-put", "bucket-policy"], None;
    TRANSIENT = "transient", "A temporary error of the storage service", ["dry-run-put"], None;
}

/// How sure the message makes a cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Likelihood {
    /// The message says so (an enhanced AccessDenied naming the policy, a code with one cause).
    Certain,
    Likely,
    Possible,
}

impl Likelihood {
    /// The word reports print, the same as its JSON value.
    pub fn as_str(self) -> &'static str {
        match self {
            Likelihood::Certain => "certain",
            Likelihood::Likely => "likely",
            Likelihood::Possible => "possible",
        }
    }
}

/// One cause of this failure.
#[derive(Debug, Clone, Serialize)]
pub struct Cause {
    #[serde(flatten)]
    pub kind: &'static CauseKind,
    pub likelihood: Likelihood,
    /// What in the message points here.
    pub evidence: Vec<String>,
    pub fix: String,
}

/// What the person told us about the store step, to make fixes concrete.
#[derive(Debug, Clone, Default)]
pub struct Known {
    pub acl: Option<Acl>,
    pub bucket: Option<String>,
    /// `arn:aws:s3:::BUCKET/PREFIX*`, from the bucket and `path`.
    pub objects_arn: Option<String>,
}

/// The likely causes of `failure`, most likely first.
pub fn causes(failure: &Failure, known: &Known) -> Vec<Cause> {
    let mut found: Vec<Cause> = Vec::new();
    if let Some(denial) = &failure.denial {
        found.extend(from_denial(failure, known, denial));
    }
    if let Some(code) = failure.aws_code.as_deref() {
        found.extend(from_aws_code(code, failure, known));
    }
    if let Some(store) = failure.store_code() {
        let suffix = store.code.trim_start_matches("S3_STORE_");
        found.extend(from_store_code(suffix, failure, known));
    }
    // The first mention of a cause is its strongest; later ones add their evidence.
    let mut merged: Vec<Cause> = Vec::new();
    for cause in found {
        match merged.iter_mut().find(|m| m.kind.id == cause.kind.id) {
            Some(existing) => {
                existing.likelihood = existing.likelihood.min(cause.likelihood);
                for line in cause.evidence {
                    if !existing.evidence.contains(&line) {
                        existing.evidence.push(line);
                    }
                }
            }
            None => merged.push(cause),
        }
    }
    merged.sort_by_key(|c| c.likelihood);
    merged
}

fn cause(
    kind: &'static CauseKind,
    likelihood: Likelihood,
    evidence: Vec<String>,
    fix: String,
) -> Cause {
    Cause {
        kind,
        likelihood,
        evidence,
        fix,
    }
}

/// `arn:aws:s3:::BUCKET/*` for the objects, from what is known.
fn objects(failure: &Failure, known: &Known) -> String {
    if let Some(arn) = &known.objects_arn {
        return arn.clone();
    }
    let resource = failure.denial.as_ref().and_then(|d| d.resource.as_deref());
    let partition = resource.and_then(crate::partition::of_arn).unwrap_or("aws");
    let bucket = known
        .bucket
        .as_deref()
        .or(failure.bucket.as_deref())
        .unwrap_or("BUCKET");
    crate::partition::objects_arn(partition, bucket, "")
}

fn writer(failure: &Failure) -> String {
    failure
        .denial
        .as_ref()
        .map(|d| format!("`{}`", d.principal))
        .unwrap_or_else(|| "the user whose key the store step uses".to_owned())
}

/// What an enhanced AccessDenied proves: the policy type that denied, and the exact request.
fn from_denial(failure: &Failure, known: &Known, denial: &crate::denial::Denial) -> Vec<Cause> {
    let said = vec![format!("S3 says: {}", denial.describe())];
    let action = denial.action.as_str();
    let resource = denial
        .resource
        .clone()
        .unwrap_or_else(|| objects(failure, known));
    let policy = denial
        .policy_type
        .as_deref()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let remove_deny = |what: &str| {
        format!("Find the Deny statement in {what} that matches {action} on {resource} and remove or narrow it: an explicit Deny overrides every Allow.")
    };
    if action.starts_with("kms:") {
        return vec![cause(&KMS_KEY, Likelihood::Certain, said, format!(
            "Allow {writer} kms:GenerateDataKey and kms:Decrypt on the key, in its IAM policy: {}; across accounts, the key policy must allow it too.",
            allow_statement("UseBucketKmsKey", &["kms:GenerateDataKey", "kms:Decrypt"], &resource),
            writer = writer(failure)
        ))];
    }
    let (kind, fix) = match (policy.as_str(), denial.explicit) {
        ("identity-based", false) => {
            // Object actions are granted on the objects under the export path, not one key.
            let on = if resource.contains('/') { objects(failure, known) } else { resource.clone() };
            let mut fix = format!(
                "Add this statement to the IAM policy of {}: {}",
                writer(failure),
                allow_statement("WriteExportedFiles", &[action], &on)
            );
            if action.eq_ignore_ascii_case("s3:PutObjectAcl") {
                fix += " — or set `acl: bucket-default`, which sends no ACL and needs no s3:PutObjectAcl.";
            }
            (&IDENTITY_NO_ALLOW, fix)
        }
        ("identity-based", true) => (&IDENTITY_DENY, remove_deny("the writer's IAM policies")),
        ("resource-based", true) => (&BUCKET_POLICY_DENY, remove_deny("the bucket policy")),
        ("resource-based", false) => (&BUCKET_POLICY_NO_ALLOW, format!(
            "Add to the bucket policy a statement granting {} {action} on {resource} (a bucket of another account needs it besides the writer's IAM policy).",
            writer(failure)
        )),
        ("permissions boundary", _) => (&PERMISSIONS_BOUNDARY, format!(
            "Allow {action} on {resource} in the permissions boundary of {} (IAM → the user or role → Permissions boundary): the IAM policy alone is not enough.",
            writer(failure)
        )),
        ("session", _) => (&SESSION_POLICY, format!(
            "Include {action} on {resource} in the session policy passed when the credentials were issued (AssumeRole/GetFederationToken `Policy`), or issue them without one."
        )),
        ("service control" | "resource control", _) => (&ORGANISATION_POLICY, format!(
            "Ask the AWS Organizations administrator to allow {action} on {resource} for this account in the {} policy: nothing in the account can override it.",
            policy
        )),
        ("vpc endpoint", _) => (&VPC_ENDPOINT_POLICY, format!(
            "Allow {action} on {resource} in the policy of the VPC endpoint the request went through."
        )),
        _ => (&IDENTITY_NO_ALLOW, format!(
            "Grant {action} on {resource} to {} in the policy S3 names.",
            writer(failure)
        )),
    };
    vec![cause(kind, Likelihood::Certain, said, fix)]
}

fn quote(failure: &Failure, code: &str) -> Vec<String> {
    let mut evidence = vec![format!("the error code is {code}")];
    if let Some(message) = failure.message.as_deref().filter(|m| !m.contains(code)) {
        evidence.push(format!("the message says: {message}"));
    }
    evidence
}

/// The causes behind an S3, STS or KMS error code.
fn from_aws_code(code: &str, failure: &Failure, known: &Known) -> Vec<Cause> {
    use Likelihood::{Certain, Likely, Possible};
    let evidence = quote(failure, code);
    let acl = known
        .acl
        .map_or("public-read (the default)".to_owned(), |a| a.to_string());
    let region = failure.region.as_deref();
    let one = |kind, likelihood, fix: String| vec![cause(kind, likelihood, evidence.clone(), fix)];
    match code {
        "AccessDenied" if failure.denial.is_some() => Vec::new(),
        "AccessDenied" => bare_denial(failure, known, evidence),
        "AccessControlListNotSupported" => one(&ACLS_DISABLED, Certain, format!(
            "Set `acl: bucket-default` in the store step (it sends no ACL; now `{acl}`), and make files public, if needed, with a bucket policy; or enable ACLs: Object Ownership → ObjectWriter or BucketOwnerPreferred."
        )),
        "PermanentRedirect" | "AuthorizationHeaderMalformed" | "IllegalLocationConstraintException" => {
            let fix = match region {
                Some(region) => format!("Set `bucket_region: {region}` in the store step: that is the bucket's region."),
                None => "Set `bucket_region` in the store step to the bucket's region (the bucket-region check reads it).".to_owned(),
            };
            let mut evidence = evidence.clone();
            if let Some(region) = region {
                evidence.push(format!("the error names the bucket's region: {region}"));
            }
            vec![cause(&WRONG_REGION, Certain, evidence, fix)]
        }
        "NoSuchBucket" => one(&NO_SUCH_BUCKET, Certain, "Check the store step's `bucket` for typos (bucket names are lower-case), or create the bucket.".into()),
        "InvalidBucketName" => one(&INVALID_BUCKET_NAME, Certain, "Use the bucket's exact name: 3-63 characters, lower-case letters, digits, dots and hyphens.".into()),
        "AllAccessDisabled" => one(&ACCESS_DISABLED, Certain, "All access to this bucket has been disabled by AWS: contact AWS support, or use another bucket.".into()),
        "InvalidAccessKeyId" => one(&UNKNOWN_ACCESS_KEY, Certain, "Check the store step's `key` (or its Template Credentials): the access key does not exist, was deleted, or belongs to another partition or store.".into()),
        "SignatureDoesNotMatch" => one(&WRONG_SECRET, Certain, "Check the store step's `secret` (or its Template Credentials): it does not belong to the access key; paste it again without spaces.".into()),
        "ExpiredToken" | "InvalidToken" => one(&EXPIRED_TOKEN, Certain, "Temporary credentials expire: give the store step long-lived keys of an IAM user, or refresh `session_token` before every Assembly.".into()),
        "RequestTimeTooSkewed" => one(&CLOCK_SKEW, Certain, "The request's time differs from S3's by over 15 minutes: if it persists, contact Transloadit support; a proxy or an S3-compatible store with a wrong clock causes it too.".into()),
        "KMS.DisabledException" | "KMS.NotFoundException" | "KMS.AccessDeniedException" | "KMS.KMSInvalidStateException" => one(&KMS_KEY, Certain, format!(
            "Enable the bucket's KMS key or change the bucket's default encryption to a key the writer may use (kms:GenerateDataKey and kms:Decrypt on it, for {}).", writer(failure)
        )),
        "InvalidRequest" => one(&OBJECT_LOCK_INTEGRITY, if failure.message.as_deref().is_some_and(|m| m.contains("Content-MD5") || m.contains("checksum")) { Certain } else { Possible },
            "Object lock requires Content-MD5 or an x-amz-checksum-* header on every upload: set `check_integrity: true` in the store step.".into()),
        "KeyTooLongError" => one(&KEY_TOO_LONG, Certain, "Shorten the store step's `path`: the key (path with the file name) must be at most 1024 bytes.".into()),
        "NotImplemented" => one(&UNSUPPORTED_ENDPOINT, Certain, "The S3-compatible store does not implement this request: check `host` and `no_vhost`, and the store's S3 compatibility.".into()),
        "PreconditionFailed" => one(&PRECONDITION_FAILED, Likely, "A bucket policy or the store refused a conditional write: see the bucket-policy check for statements on s3:if-none-match.".into()),
        _ => Vec::new(),
    }
}

/// A bare "Access Denied": S3 names no cause. Ranked by how often each is the culprit.
fn bare_denial(failure: &Failure, known: &Known, evidence: Vec<String>) -> Vec<Cause> {
    use Likelihood::{Likely, Possible};
    let objects = objects(failure, known);
    let mut bare = evidence;
    bare.push(if failure.aws_code.is_some() {
        "S3 names no cause: a bare Access Denied (the bucket is in another account or organisation than the key, or the message was shortened)"
    } else {
        "the error names neither S3's code nor the policy: the causes are ranked by how often each is the culprit"
    }.into());
    let mut actions = vec!["s3:PutObject"];
    let public = known.acl.is_none_or(Acl::is_public);
    if known.acl.is_none_or(|a| a.canned_header().is_some()) {
        actions.push("s3:PutObjectAcl");
    }
    let mut found = vec![cause(
        &IDENTITY_NO_ALLOW,
        Likely,
        bare.clone(),
        format!(
            "Add this statement to the IAM policy of {}: {}",
            writer(failure),
            allow_statement("WriteExportedFiles", &actions, &objects)
        ),
    )];
    if public {
        let acl = known
            .acl
            .map_or("public-read (the default)".to_owned(), |a| a.to_string());
        found.push(cause(&BLOCK_PUBLIC_ACLS, Likely, bare.clone(), format!(
            "The store step's `acl: {acl}` is public and Block Public Access (BlockPublicAcls) refuses it: set `acl: bucket-default`, or turn BlockPublicAcls off."
        )));
    }
    found.extend([
        cause(&BUCKET_POLICY_DENY, Possible, bare.clone(), "Remove or narrow the bucket policy's Deny statement that matches the upload (the bucket-policy check names it).".into()),
        cause(&BUCKET_POLICY_NO_ALLOW, Possible, bare.clone(), format!("If the bucket belongs to another account, its bucket policy must grant the writer {} on {objects} as well.", actions.join(" and "))),
        cause(&KMS_KEY, Possible, bare.clone(), "If the bucket encrypts with SSE-KMS, allow the writer kms:GenerateDataKey and kms:Decrypt on the key (IAM policy and key policy).".into()),
        cause(&REQUESTER_PAYS, Possible, bare.clone(), "Turn requester pays off: uploads without x-amz-request-payer are refused.".into()),
        cause(&ORGANISATION_POLICY, Possible, bare, "Ask the AWS Organizations administrator whether an SCP or RCP denies s3:PutObject for this account.".into()),
    ]);
    found
}

/// The causes behind a Transloadit code, after whatever its S3 code said.
fn from_store_code(suffix: &str, failure: &Failure, known: &Known) -> Vec<Cause> {
    use Likelihood::{Likely, Possible};
    let code = failure.transloadit_code.clone().unwrap_or_default();
    let evidence = quote(failure, &code);
    let lower = |mut causes: Vec<Cause>, to: Likelihood| {
        for c in &mut causes {
            c.likelihood = c.likelihood.max(to);
            // The Transloadit code is the evidence; what the message itself named stays.
            let named: Vec<String> = c
                .evidence
                .drain(..)
                .filter(|e| !e.starts_with("the error code is"))
                .collect();
            c.evidence = evidence.iter().cloned().chain(named).collect();
            c.evidence.dedup();
        }
        causes
    };
    match suffix {
        "ACCESS_DENIED" => {
            // The S3 code behind it, when the message has one, already named the causes.
            if failure.aws_code.is_some() {
                return Vec::new();
            }
            let mut found = bare_denial(failure, known, evidence.clone());
            found.extend(lower(from_aws_code("AccessControlListNotSupported", failure, known), Possible));
            found.extend(lower(from_aws_code("InvalidAccessKeyId", failure, known), Possible));
            found.extend(lower(from_aws_code("SignatureDoesNotMatch", failure, known), Possible));
            found
        }
        "WRONG_REGION" => lower(from_aws_code("PermanentRedirect", failure, known), Likelihood::Certain),
        "NOT_FOUND" => {
            let mut found = lower(from_aws_code("NoSuchBucket", failure, known), Likely);
            found.extend(lower(from_aws_code("InvalidBucketName", failure, known), Possible));
            found
        }
        "VALIDATION" => vec![cause(&INVALID_PARAMETER, Likely, evidence, "Check the store step's parameters against the store-params check: `acl`, `bucket_region`, `path`, `url_prefix`.".into())],
        "URL_VERIFICATION_FAILURE" => vec![cause(&URL_NOT_REACHABLE, Likely, evidence, "Make the result URL reachable: `url_prefix` must point at the bucket (or its CDN) and the files must be readable there (a public `acl` without Block Public Access, or a bucket policy granting s3:GetObject).".into())],
        "FAILURE" => vec![
            cause(&UNSUPPORTED_ENDPOINT, Possible, evidence.clone(), "With a custom `host`, check it and `no_vhost`: most S3-compatible stores need path-style requests.".into()),
            cause(&TRANSIENT, Possible, evidence, "Run the Assembly again; if it fails the same way, the dry-run upload shows the store's answer.".into()),
        ],
        "TRANSIENT_STORAGE_SERVICE_ERROR" => vec![cause(&TRANSIENT, Likely, evidence, "Run the Assembly again; if it keeps failing, check the store's status page.".into())],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod likelihood_tests {
    use super::Likelihood;

    #[test]
    fn the_printed_word_is_the_json_value() {
        for likelihood in [
            Likelihood::Certain,
            Likelihood::Likely,
            Likelihood::Possible,
        ] {
            assert_eq!(
                serde_json::to_value(likelihood).unwrap(),
                serde_json::Value::from(likelihood.as_str())
            );
        }
    }
}
