//! The smallest policy that lets the export service upload: nothing it does not use.

use super::arn::{bucket_arn, object_arn};
use super::diagnose::RequiredAction;
use super::policy::VARIABLES_VERSION;
use crate::{store_headers, Target};
use serde_json::{json, Value};

/// What the upload does, and so what it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicyRequest<'a> {
    pub bucket: &'a str,
    /// The bucket's partition (`aws`, `aws-cn`, `aws-us-gov`, ...): the `aws` of its ARNs.
    pub partition: &'a str,
    /// The fixed key prefix every file gets; may be empty.
    pub key_prefix: &'a str,
    /// The bucket's region is not configured, so the service asks S3 for it.
    pub needs_location: bool,
    /// Uploads send `x-amz-acl` (the ACL is not the bucket default).
    pub acl_header: bool,
    /// Uploads send object tags.
    pub tags: bool,
    /// Files are also read back: by the /s3/import Robot, or through signed result URLs
    /// (`sign_urls_for`), which are GETs signed with the export's credentials.
    pub import: bool,
    /// The bucket encrypts with this customer-managed KMS key.
    pub kms_key_arn: Option<&'a str>,
    /// `Some` for a bucket policy granting this principal; `None` for an identity policy.
    pub principal: Option<&'a str>,
}

impl<'a> PolicyRequest<'a> {
    /// Plain uploads to `bucket` under `key_prefix`, for an identity policy.
    pub fn new(bucket: &'a str, key_prefix: &'a str) -> Self {
        PolicyRequest {
            bucket,
            partition: "aws",
            key_prefix,
            needs_location: false,
            acl_header: false,
            tags: false,
            import: false,
            kms_key_arn: None,
            principal: None,
        }
    }
}

impl<'a> PolicyRequest<'a> {
    /// What the store step's parameters ask of the policy: `bucket_region`, `acl`, `tags` (or
    /// an `x-amz-tagging` header), `sign_urls_for` (signed result URLs are GETs by the same
    /// credentials) and a KMS key named in `headers`, for an identity policy.
    pub fn of_target(target: &'a Target) -> Self {
        let kms_key_arn = store_headers::step_kms_key(target)
            .filter(|key| key.starts_with("arn:") && !key.contains(":alias/"));
        PolicyRequest {
            partition: target.partition(),
            needs_location: target.bucket_region.is_none(),
            acl_header: target.acl.canned_header().is_some(),
            tags: !store_headers::request_tags(target).is_empty(),
            import: target.sign_urls_for.is_some(),
            kms_key_arn,
            ..PolicyRequest::new(&target.bucket, target.key_prefix())
        }
    }
}

/// The object name used to stand for "any file the export writes" in `required_actions`.
pub const SAMPLE_OBJECT_NAME: &str = "example.jpg";

/// One statement to write: its actions all act on the same kind of resource.
struct PlannedStatement {
    sid: &'static str,
    actions: Vec<&'static str>,
    /// What the policy names (`arn:aws:s3:::b/exports/*`).
    resource_pattern: String,
    /// One resource the upload actually touches (`arn:aws:s3:::b/exports/example.jpg`).
    sample_resource: String,
}

/// Statements are split by resource because bucket actions (ListBucket) act on the bucket ARN
/// and object actions on object ARNs: one statement for both is the classic mistake.
fn plan(request: &PolicyRequest) -> Vec<PlannedStatement> {
    let bucket = bucket_arn(request.partition, request.bucket);
    let mut statements = vec![
        PlannedStatement {
            sid: "ListExportBucket",
            actions: with_optional(
                "s3:ListBucket",
                &[(request.needs_location, "s3:GetBucketLocation")],
            ),
            resource_pattern: bucket.clone(),
            sample_resource: bucket,
        },
        PlannedStatement {
            sid: "WriteExportedFiles",
            actions: with_optional(
                "s3:PutObject",
                &[
                    (request.acl_header, "s3:PutObjectAcl"),
                    (request.tags, "s3:PutObjectTagging"),
                    (request.import, "s3:GetObject"),
                ],
            ),
            resource_pattern: object_arn(
                request.partition,
                request.bucket,
                &format!("{}*", request.key_prefix),
            ),
            sample_resource: object_arn(
                request.partition,
                request.bucket,
                &format!("{}{SAMPLE_OBJECT_NAME}", request.key_prefix),
            ),
        },
    ];
    // A bucket policy can only name the bucket and its objects (S3 rejects a key ARN there);
    // use of the key is granted in the key policy or the caller's identity policy instead.
    if let (Some(key), None) = (request.kms_key_arn, request.principal) {
        statements.push(PlannedStatement {
            sid: "UseBucketKmsKey",
            actions: vec!["kms:GenerateDataKey", "kms:Decrypt"],
            resource_pattern: key.to_owned(),
            sample_resource: key.to_owned(),
        });
    }
    statements
}

fn with_optional(always: &'static str, optional: &[(bool, &'static str)]) -> Vec<&'static str> {
    std::iter::once(always)
        .chain(
            optional
                .iter()
                .filter(|(needed, _)| *needed)
                .map(|(_, action)| *action),
        )
        .collect()
}

/// The minimal policy document (Version 2012-10-17). With `principal` it is a bucket policy:
/// every statement names that principal, and the KMS statement is left out (see `plan`).
pub fn minimal_policy(request: &PolicyRequest) -> Value {
    let statements: Vec<Value> = plan(request)
        .into_iter()
        .map(|planned| statement_json(&planned, request.principal))
        .collect();
    json!({ "Version": VARIABLES_VERSION, "Statement": statements })
}

fn statement_json(planned: &PlannedStatement, principal: Option<&str>) -> Value {
    let mut statement = json!({
        "Sid": planned.sid,
        "Effect": "Allow",
        "Action": planned.actions,
        "Resource": planned.resource_pattern,
    });
    if let Some(principal) = principal {
        statement["Principal"] = json!({ "AWS": principal });
    }
    statement
}

/// The statement of the minimal policy that grants `action`, exactly as `minimal_policy` (and
/// so the `policy` command) writes it: all its actions, on `BUCKET` or `BUCKET/PREFIX*`.
/// Remediations quote it so that a fix never grants one sample file only.
pub fn statement_granting(request: &PolicyRequest, action: &str) -> Option<Value> {
    plan(request)
        .into_iter()
        .find(|planned| planned.actions.contains(&action))
        .map(|planned| statement_json(&planned, request.principal))
}

/// Each action the minimal policy grants, with the resource pattern it grants it on
/// (`arn:aws:s3:::b/exports/*`, not one sample file): what the `policy` command tells people.
pub fn grants(request: &PolicyRequest) -> Vec<(&'static str, String)> {
    plan(request)
        .into_iter()
        .flat_map(|planned| {
            let pattern = planned.resource_pattern;
            planned
                .actions
                .into_iter()
                .map(move |action| (action, pattern.clone()))
        })
        .collect()
}

/// The (action, exact resource) pairs the upload performs, which `minimal_policy` grants;
/// evaluate a user's policy against these.
pub fn required_actions(request: &PolicyRequest) -> Vec<RequiredAction> {
    plan(request)
        .into_iter()
        .flat_map(|planned| {
            let resource = planned.sample_resource;
            planned
                .actions
                .into_iter()
                .map(move |action| RequiredAction {
                    action,
                    resource: resource.clone(),
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::diagnose::diagnose_upload_policy;
    use crate::iam::eval::{evaluate, Decision, PolicyKind, Request};
    use crate::iam::policy::parse_policy;

    const KEY: &str = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    const ROLE: &str = "arn:aws:iam::111122223333:role/Exporter";

    #[test]
    fn the_statement_granting_an_action_is_the_policy_commands() {
        let request = PolicyRequest {
            acl_header: true,
            ..PolicyRequest::new("my-bucket", "exports/")
        };
        let statement = statement_granting(&request, "s3:PutObjectAcl").unwrap();
        assert_eq!(statement, minimal_policy(&request)["Statement"][1]);
        assert_eq!(statement["Resource"], "arn:aws:s3:::my-bucket/exports/*");
        assert_eq!(statement_granting(&request, "s3:DeleteObject"), None);
    }

    #[test]
    fn grants_name_the_prefix_pattern_not_a_sample_file() {
        let request = PolicyRequest {
            acl_header: true,
            ..PolicyRequest::new("my-bucket", "exports/")
        };
        assert_eq!(
            grants(&request),
            [
                ("s3:ListBucket", "arn:aws:s3:::my-bucket".to_owned()),
                (
                    "s3:PutObject",
                    "arn:aws:s3:::my-bucket/exports/*".to_owned()
                ),
                (
                    "s3:PutObjectAcl",
                    "arn:aws:s3:::my-bucket/exports/*".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn the_plainest_upload_needs_two_actions() {
        assert_eq!(
            minimal_policy(&PolicyRequest::new("my-bucket", "")),
            json!({
                "Version": "2012-10-17",
                "Statement": [
                    {"Sid": "ListExportBucket", "Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": "arn:aws:s3:::my-bucket"},
                    {"Sid": "WriteExportedFiles", "Effect": "Allow", "Action": ["s3:PutObject"], "Resource": "arn:aws:s3:::my-bucket/*"}
                ]
            })
        );
    }

    #[test]
    fn every_option_adds_its_action() {
        let request = PolicyRequest {
            needs_location: true,
            acl_header: true,
            tags: true,
            import: true,
            kms_key_arn: Some(KEY),
            ..PolicyRequest::new("my-bucket", "exports/")
        };
        let policy = minimal_policy(&request);
        let statements = policy["Statement"].as_array().unwrap();
        assert_eq!(
            statements[0]["Action"],
            json!(["s3:ListBucket", "s3:GetBucketLocation"])
        );
        assert_eq!(
            statements[1]["Action"],
            json!([
                "s3:PutObject",
                "s3:PutObjectAcl",
                "s3:PutObjectTagging",
                "s3:GetObject"
            ])
        );
        assert_eq!(
            statements[1]["Resource"],
            "arn:aws:s3:::my-bucket/exports/*"
        );
        assert_eq!(statements[2]["Sid"], "UseBucketKmsKey");
        assert_eq!(statements[2]["Resource"], KEY);
        assert_eq!(
            required_actions(&request)[2],
            RequiredAction {
                action: "s3:PutObject",
                resource: "arn:aws:s3:::my-bucket/exports/example.jpg".into()
            }
        );
    }

    #[test]
    fn a_bucket_policy_names_the_principal_and_leaves_kms_to_the_key_policy() {
        let request = PolicyRequest {
            kms_key_arn: Some(KEY),
            principal: Some(ROLE),
            ..PolicyRequest::new("my-bucket", "")
        };
        let policy = minimal_policy(&request);
        let statements = policy["Statement"].as_array().unwrap();
        assert_eq!(statements.len(), 2);
        for statement in statements {
            assert_eq!(statement["Principal"], json!({ "AWS": ROLE }));
        }
    }

    fn combinations() -> Vec<PolicyRequest<'static>> {
        let base = PolicyRequest::new("my-bucket", "");
        vec![
            base,
            PolicyRequest {
                key_prefix: "exports/",
                needs_location: true,
                ..base
            },
            PolicyRequest {
                key_prefix: "exports/2024/",
                acl_header: true,
                tags: true,
                ..base
            },
            PolicyRequest {
                key_prefix: "raw",
                import: true,
                kms_key_arn: Some(KEY),
                ..base
            },
            PolicyRequest {
                bucket: "my.dotted.bucket",
                acl_header: true,
                kms_key_arn: Some(KEY),
                principal: Some(ROLE),
                ..base
            },
            PolicyRequest {
                needs_location: true,
                acl_header: true,
                tags: true,
                import: true,
                kms_key_arn: Some(KEY),
                ..base
            },
        ]
    }

    /// What minimal_policy writes, evaluated independently, grants exactly what the upload does.
    #[test]
    fn every_minimal_policy_allows_every_required_action() {
        for request in combinations() {
            let text = minimal_policy(&request).to_string();
            let policy = parse_policy(&text).unwrap();
            let kind = match request.principal {
                Some(_) => PolicyKind::Resource,
                None => PolicyKind::Identity,
            };
            let required = required_actions(&request);
            assert!(required.len() >= 2, "{request:?}");
            for needed in &required {
                let evaluation = evaluate(
                    &policy,
                    kind,
                    &Request {
                        principal_arn: request.principal,
                        ..Request::new(needed.action, &needed.resource)
                    },
                );
                assert_eq!(
                    evaluation.decision,
                    Decision::Allowed,
                    "{request:?}: {}",
                    evaluation.explanation
                );
            }
            let mistakes =
                diagnose_upload_policy(&policy, request.bucket, request.key_prefix, &required);
            assert_eq!(mistakes, [], "{request:?}");
        }
    }
}
