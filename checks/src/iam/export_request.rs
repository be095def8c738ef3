//! The export request model: each request one Transloadit `/s3/store` export makes, on the
//! exact resource it acts on, with the condition keys AWS puts in *that* request's context.
//!
//! Both the identity-policy evaluation (`policy-document`) and the bucket-policy evaluation
//! (`bucket-policy`) build their requests here, so they cannot disagree about what the export
//! sends. The keys per action follow the Service Authorization Reference for Amazon S3
//! (<https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html>):
//! `s3:x-amz-acl` exists only on PutObject/PutObjectAcl, `s3:if-none-match` only on PutObject,
//! `s3:prefix` only on ListBucket. A key the action supports but the export does not send is
//! absent, and so is a key the action does not support; only what cannot be known offline (the
//! source IP, the payload hash, ...) stays unknown.

use super::arn::{bucket_arn, object_arn};
use super::eval::{evaluate, Decision, Evaluation, PolicyKind, Request};
use super::policy::PolicyDocument;
use crate::path_template::{self, Piece};
use crate::{store_headers, Target};
use aws_smithy_types::date_time::{DateTime, Format};
use std::collections::BTreeMap;
use std::time::SystemTime;

/// Every S3 condition key the request does not list in its context is absent: we know exactly
/// which headers the export sends. (Object tags are S3's `s3:RequestObjectTag/*` keys;
/// `aws:RequestTag` does not apply to S3 object requests.)
const ABSENT_KEYS: &[&str] = &["s3:*", "aws:TagKeys", "aws:RequestTag/*"];

/// S3 keys every request carries but whose value depends on the export service's client, not
/// on anything configured here.
const UNKNOWN_S3_KEYS: &[&str] = &[
    "s3:TlsVersion",
    "s3:signatureAge",
    "s3:x-amz-content-sha256",
    "s3:ResourceAccount",
];

/// ListBucket's own keys: the listing's parameters are the export service's choice.
const UNKNOWN_LIST_KEYS: &[&str] = &["s3:prefix", "s3:delimiter", "s3:max-keys"];

/// Tags of an object that may already exist at the key.
const UNKNOWN_ACL_KEYS: &[&str] = &["s3:ExistingObjectTag/*"];

/// Sample files standing for "any file the export writes": a name with spaces and brackets, a
/// different extension, and no extension at all.
const SAMPLE_FILES: [&str; 3] = [path_template::SAMPLE_FILE_NAME, "clip.mp4", "README"];

/// Two `${unique_prefix}` values: it holds a `/`, so real keys are `PREFIX/f2/d3ee.../name`.
const SAMPLE_UNIQUE_PREFIXES: [&str; 2] = [
    "f2/d3eeeb67479f11f8b091b04f6181ad",
    "0a/9c1e2b7f4d3a4e0b8c6d5f4a3b2c1d0e",
];

/// What is known about how one export reaches S3.
#[derive(Debug, Clone)]
pub struct ExportShape<'a> {
    pub bucket: &'a str,
    /// The bucket's partition (`aws`, `aws-cn`, `aws-us-gov`, ...): the `aws` of its ARNs.
    pub partition: &'a str,
    /// The `path` template.
    pub path: &'a str,
    /// The canned ACL sent in `x-amz-acl`; `None` for `acl: bucket-default`.
    pub acl_header: Option<&'a str>,
    /// No `bucket_region`: the export asks S3 for it (GetBucketLocation).
    pub needs_location: bool,
    /// The `x-amz-server-side-encryption` value uploads send, if any.
    pub sse: Option<&'a str>,
    /// The KMS key uploads name in `x-amz-server-side-encryption-aws-kms-key-id`, if any.
    pub sse_kms_key: Option<&'a str>,
    /// Other headers of the store step that S3 exposes as condition keys (storage class,
    /// grants, object lock), as sent.
    pub condition_headers: Vec<(String, String)>,
    /// The object tags uploads send (`x-amz-tagging`): PutObject needs s3:PutObjectTagging too.
    pub tags: Vec<(String, String)>,
    /// Result URLs are presigned GETs (`sign_urls_for`): reading them needs s3:GetObject.
    pub signed_urls: bool,
    /// Whether PutObject sends `If-None-Match: *`. Transloadit's upload does not; the dry-run
    /// probe does.
    pub if_none_match: bool,
    /// HTTPS (`aws:SecureTransport` true): AWS's endpoints; false for an `http://` endpoint.
    pub secure_transport: bool,
    /// The caller as S3 sees it (an IAM user or role ARN, or an STS session ARN).
    pub caller_arn: Option<&'a str>,
    /// The caller's account, when known without the ARN.
    pub caller_account: Option<&'a str>,
    /// The time the policy is evaluated at (`aws:CurrentTime`, `aws:EpochTime`).
    pub now: SystemTime,
}

impl<'a> ExportShape<'a> {
    /// An export to `bucket` along `path`, with no ACL header, over HTTPS, by an unknown
    /// caller, now; set the other fields with struct update syntax.
    pub fn new(bucket: &'a str, path: &'a str) -> Self {
        ExportShape {
            bucket,
            partition: "aws",
            path,
            acl_header: None,
            needs_location: false,
            sse: None,
            sse_kms_key: None,
            condition_headers: Vec::new(),
            tags: Vec::new(),
            signed_urls: false,
            if_none_match: false,
            secure_transport: true,
            caller_arn: None,
            caller_account: None,
            now: SystemTime::now(),
        }
    }

    /// The export the store step's parameters describe: its bucket, `path`, `acl`,
    /// `bucket_region`, `headers` (encryption and other headers S3 has condition keys for),
    /// `tags` and `sign_urls_for`, over HTTPS on AWS's endpoints and plain HTTP on an `http://`
    /// endpoint. The caller is left unknown.
    pub fn of_target(target: &'a Target) -> Self {
        let plain_http = target
            .endpoint
            .as_deref()
            .is_some_and(|endpoint| endpoint.to_ascii_lowercase().starts_with("http://"));
        ExportShape {
            acl_header: target.acl.canned_header(),
            sse: store_headers::step_sse(target),
            sse_kms_key: store_headers::step_kms_key(target),
            condition_headers: target
                .headers
                .iter()
                .filter(|(name, _)| condition_key_of(name).is_some())
                .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
                .collect(),
            tags: store_headers::request_tags(target),
            signed_urls: target.sign_urls_for.is_some(),
            needs_location: target.bucket_region.is_none(),
            secure_transport: !plain_http,
            partition: target.partition(),
            ..ExportShape::new(&target.bucket, &target.path)
        }
    }

    /// `aws:PrincipalArn`: the caller's ARN for IAM users, roles and the root user. For an STS
    /// session it is the role's ARN, whose path the session ARN does not tell, so it is unknown.
    pub fn principal_arn(&self) -> Option<&'a str> {
        self.caller_arn
            .filter(|arn| arn.starts_with("arn:aws") && arn.contains(":iam::"))
    }

    /// The caller's account: given, or read from the ARN.
    pub fn principal_account(&self) -> Option<String> {
        self.caller_account.map(str::to_owned).or_else(|| {
            let account = self.caller_arn?.split(':').nth(4)?;
            (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()))
                .then(|| account.to_owned())
        })
    }

    /// The object keys evaluated: the path template expanded for a few sample files.
    pub fn sample_keys(&self) -> Vec<String> {
        sample_keys(self.path)
    }

    /// Every request of the export: PutObject (and PutObjectAcl, PutObjectTagging with tags,
    /// GetObject for signed result URLs) once per sample key, then ListBucket and
    /// GetBucketLocation on the bucket.
    pub fn requests(&self) -> Vec<ExportRequest> {
        let mut requests = Vec::new();
        for key in self.sample_keys() {
            let resource = object_arn(self.partition, self.bucket, &key);
            requests.push(self.request("s3:PutObject", resource.clone(), Some(&key)));
            if self.acl_header.is_some() {
                requests.push(self.request("s3:PutObjectAcl", resource.clone(), Some(&key)));
            }
            if !self.tags.is_empty() {
                requests.push(self.request("s3:PutObjectTagging", resource.clone(), Some(&key)));
            }
            if self.signed_urls {
                requests.push(self.request("s3:GetObject", resource, Some(&key)));
            }
        }
        let bucket = bucket_arn(self.partition, self.bucket);
        requests.push(self.request("s3:ListBucket", bucket.clone(), None));
        if self.needs_location {
            requests.push(self.request("s3:GetBucketLocation", bucket, None));
        }
        requests
    }

    fn request(&self, action: &'static str, resource: String, key: Option<&str>) -> ExportRequest {
        let mut context = BTreeMap::new();
        let mut set = |key: &str, value: &str| {
            context.insert(key.to_owned(), vec![value.to_owned()]);
        };
        set("aws:SecureTransport", &self.secure_transport.to_string());
        let now = DateTime::from(self.now);
        if let Ok(iso) = now.fmt(Format::DateTime) {
            set("aws:CurrentTime", &iso);
        }
        set("aws:EpochTime", &now.secs().to_string());
        if let Some(arn) = self.principal_arn() {
            set("aws:PrincipalArn", arn);
        }
        if let Some(account) = self.principal_account() {
            set("aws:PrincipalAccount", &account);
        }
        // Every request is signed with Signature Version 4 in the Authorization header.
        set("s3:authType", "REST-HEADER");
        set("s3:signatureversion", "AWS4-HMAC-SHA256");
        let mut unknown: Vec<&'static str> = UNKNOWN_S3_KEYS.to_vec();
        match action {
            "s3:PutObject" => {
                // A single PutObject completes the object (unlike the parts of a multipart
                // upload): AWS's "enforce conditional writes" policies test this key.
                set("s3:ObjectCreationOperation", "true");
                if let Some(acl) = self.acl_header {
                    set("s3:x-amz-acl", acl);
                }
                if let Some(sse) = self.sse {
                    set("s3:x-amz-server-side-encryption", sse);
                }
                if let Some(key) = self.sse_kms_key {
                    set("s3:x-amz-server-side-encryption-aws-kms-key-id", key);
                }
                for (name, value) in &self.condition_headers {
                    if let Some(key) = condition_key_of(name) {
                        set(&key, value);
                    }
                }
                if self.if_none_match {
                    set("s3:if-none-match", "*");
                }
                self.tag_keys(&mut context, &mut unknown);
            }
            // The tags of the upload, checked again by the tagging permission.
            "s3:PutObjectTagging" => self.tag_keys(&mut context, &mut unknown),
            "s3:PutObjectAcl" => {
                if let Some(acl) = self.acl_header {
                    set("s3:x-amz-acl", acl);
                }
                unknown.extend(UNKNOWN_ACL_KEYS);
            }
            "s3:ListBucket" => unknown.extend(UNKNOWN_LIST_KEYS),
            _ => {}
        }
        if !self.secure_transport {
            // No TLS, so no TLS version.
            unknown.retain(|k| *k != "s3:TlsVersion");
        }
        ExportRequest {
            action,
            resource,
            key: key.map(str::to_owned),
            context,
            unknown,
            caller_arn: self.caller_arn.map(str::to_owned),
            caller_account: self.principal_account(),
        }
    }
}

impl ExportShape<'_> {
    /// `s3:RequestObjectTagKeys` and `s3:RequestObjectTag/KEY` for the tags the upload sends;
    /// a value holding Assembly variables differs per file, so it stays unknown.
    fn tag_keys(
        &self,
        context: &mut BTreeMap<String, Vec<String>>,
        unknown: &mut Vec<&'static str>,
    ) {
        if self.tags.is_empty() {
            return;
        }
        context.insert(
            "s3:RequestObjectTagKeys".to_owned(),
            self.tags.iter().map(|(k, _)| k.clone()).collect(),
        );
        for (key, value) in &self.tags {
            if value.contains("${") {
                unknown.push("s3:RequestObjectTag/*");
            } else {
                context.insert(format!("s3:RequestObjectTag/{key}"), vec![value.clone()]);
            }
        }
    }
}

/// The condition key S3 fills from a PutObject header, for headers besides the ACL and
/// encryption ones (Service Authorization Reference for Amazon S3, PutObject).
fn condition_key_of(header: &str) -> Option<String> {
    let lower = header.trim().to_ascii_lowercase();
    match lower.as_str() {
        "x-amz-storage-class"
        | "x-amz-website-redirect-location"
        | "x-amz-server-side-encryption-customer-algorithm"
        | "x-amz-grant-read"
        | "x-amz-grant-write"
        | "x-amz-grant-read-acp"
        | "x-amz-grant-write-acp"
        | "x-amz-grant-full-control" => Some(format!("s3:{lower}")),
        "x-amz-object-lock-mode" => Some("s3:object-lock-mode".to_owned()),
        "x-amz-object-lock-retain-until-date" => {
            Some("s3:object-lock-retain-until-date".to_owned())
        }
        "x-amz-object-lock-legal-hold" => Some("s3:object-lock-legal-hold".to_owned()),
        _ => None,
    }
}

/// One request of the export, ready to evaluate.
#[derive(Debug, Clone)]
pub struct ExportRequest {
    pub action: &'static str,
    /// The exact ARN it acts on.
    pub resource: String,
    /// The sample object key, for object requests.
    pub key: Option<String>,
    /// The condition keys the request carries.
    pub context: BTreeMap<String, Vec<String>>,
    unknown: Vec<&'static str>,
    caller_arn: Option<String>,
    caller_account: Option<String>,
}

impl ExportRequest {
    /// The request as the evaluator takes it.
    pub fn as_request(&self) -> Request<'_> {
        Request {
            principal_arn: self.caller_arn.as_deref(),
            principal_account: self.caller_account.as_deref(),
            context: &self.context,
            absent_keys: ABSENT_KEYS,
            unknown_keys: &self.unknown,
            ..Request::new(self.action, &self.resource)
        }
    }
}

/// The verdict on one action over all sample keys.
#[derive(Debug, Clone)]
pub struct ActionVerdict {
    pub action: &'static str,
    /// The evaluation; when the sample keys disagree, `Conditional` with an explanation that
    /// names a key of each outcome.
    pub evaluation: Evaluation,
    /// The resource of the first sample (object requests) or the bucket.
    pub resource: String,
    /// Set when the verdict depends on the file name or extension.
    pub depends_on_file_name: bool,
}

/// Evaluates every request of the export, and folds the sample keys of each action into one
/// verdict.
pub fn evaluate_export(
    policy: &PolicyDocument,
    kind: PolicyKind,
    shape: &ExportShape,
) -> Vec<ActionVerdict> {
    let evaluated: Vec<(ExportRequest, Evaluation)> = shape
        .requests()
        .into_iter()
        .map(|request| {
            let evaluation = evaluate(policy, kind, &request.as_request());
            (request, evaluation)
        })
        .collect();
    let mut actions: Vec<&'static str> = Vec::new();
    for (request, _) in &evaluated {
        if !actions.contains(&request.action) {
            actions.push(request.action);
        }
    }
    actions
        .into_iter()
        .map(|action| {
            let samples: Vec<&(ExportRequest, Evaluation)> = evaluated
                .iter()
                .filter(|(request, _)| request.action == action)
                .collect();
            fold_samples(action, &samples)
        })
        .collect()
}

fn fold_samples(action: &'static str, samples: &[&(ExportRequest, Evaluation)]) -> ActionVerdict {
    let (first_request, first) = samples[0];
    let differing = samples
        .iter()
        .find(|(_, evaluation)| evaluation.decision != first.decision);
    let Some((_, other)) = differing else {
        return ActionVerdict {
            action,
            evaluation: first.clone(),
            resource: first_request.resource.clone(),
            depends_on_file_name: false,
        };
    };
    let mut matched = first.matched.clone();
    for statement in samples.iter().flat_map(|(_, e)| &e.matched) {
        if !matched.contains(statement) {
            matched.push(statement.clone());
        }
    }
    let mut notes = first.notes.clone();
    notes.extend(
        other
            .notes
            .iter()
            .filter(|n| !first.notes.contains(n))
            .cloned(),
    );
    let explanation = format!(
        "{action} depends on the file name: {}; but {}",
        first.explanation, other.explanation
    );
    ActionVerdict {
        action,
        evaluation: Evaluation {
            decision: Decision::Conditional,
            matched,
            explanation,
            notes,
        },
        resource: first_request.resource.clone(),
        depends_on_file_name: true,
    }
}

/// The template expanded for each sample file (and two `${unique_prefix}` values), without
/// repeats. An unparseable template yields its fixed prefix plus a sample name.
pub fn sample_keys(path: &str) -> Vec<String> {
    let Ok(pieces) = path_template::parse(path) else {
        return vec![format!(
            "{}{}",
            path_template::fixed_prefix(path),
            path_template::url_name(SAMPLE_FILES[0])
        )];
    };
    let mut keys: Vec<String> = Vec::new();
    for (index, file) in SAMPLE_FILES.iter().enumerate() {
        let unique_prefix = SAMPLE_UNIQUE_PREFIXES[index % SAMPLE_UNIQUE_PREFIXES.len()];
        let key: String = pieces
            .iter()
            .map(|piece| match piece {
                Piece::Literal(text) => (*text).to_owned(),
                Piece::Variable(name) => sample_value(name, file, unique_prefix),
            })
            .collect();
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    keys
}

/// A variable's value for one sample file; variables that do not depend on the file take the
/// value the `result-url` preview shows.
fn sample_value(variable: &str, file: &str, unique_prefix: &str) -> String {
    let (base, ext) = match file.rsplit_once('.') {
        Some((base, ext)) if !base.is_empty() => (base, ext),
        _ => (file, ""),
    };
    match variable {
        "unique_prefix" | "unique_original_prefix" => unique_prefix.to_owned(),
        "file.url_name" | "file.original_url_name" => path_template::url_name(file),
        "file.name" | "file.original_name" => file.to_owned(),
        "file.basename" | "file.original_basename" => base.to_owned(),
        "file.url_basename" => path_template::url_name(base),
        "file.ext" => ext.to_owned(),
        other => path_template::render_sample(&format!("${{{other}}}"))
            .unwrap_or_else(|| other.to_owned()),
    }
}

#[cfg(test)]
#[path = "export_request_tests.rs"]
mod tests;
