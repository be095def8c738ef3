//! The resource rules of policy grammar: what IAM and S3 accept in `Resource`, and which
//! statements of a bucket policy S3 refuses because an action acts on none of its resources.

use super::{Rules, Severity};
use crate::iam::arn::Arn;
use crate::iam::eval::PolicyKind;
use crate::iam::policy::PatternList;

/// The partitions IAM accepts in a resource ARN.
const KNOWN_PARTITIONS: [&str; 8] = [
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
];

/// S3 actions of an export that act on the bucket (`arn:aws:s3:::BUCKET`) and on objects
/// (`arn:aws:s3:::BUCKET/KEY`). S3 refuses a bucket policy statement where one of them has no
/// resource of its kind; other actions are not classified here, so never reported.
const BUCKET_ACTIONS: [&str; 3] = [
    "s3:ListBucket",
    "s3:GetBucketLocation",
    "s3:ListBucketVersions",
];
const OBJECT_ACTIONS: [&str; 5] = [
    "s3:PutObject",
    "s3:PutObjectAcl",
    "s3:PutObjectTagging",
    "s3:GetObject",
    "s3:DeleteObject",
];

impl Rules<'_, '_> {
    pub(super) fn resources(&mut self) {
        let Some(resources) = &self.statement.resource else {
            let (who, quote) = match self.target.kind {
                PolicyKind::Identity => (
                    "IAM",
                    "MalformedPolicyDocument: \"Policy statement must contain resources\"",
                ),
                PolicyKind::Resource => ("S3", "MalformedPolicy"),
            };
            let fix = format!(
                "Add \"Resource\": [\"{}\", \"{}\"] — or only the one the statement's actions act on.",
                self.bucket_arn(),
                self.objects_arn()
            );
            self.refused(
                "missing-resource",
                format!("has no Resource or NotResource, which {who} refuses ({quote})"),
                fix,
            );
            return;
        };
        for pattern in resources.patterns.iter().filter(|p| p.as_str() != "*") {
            self.resource(pattern);
        }
    }

    fn resource(&mut self, pattern: &str) {
        let identity = self.target.kind == PolicyKind::Identity;
        let refusal = if identity {
            r#"IAM refuses (MalformedPolicyDocument: Resource … must be in ARN format or "*")"#
        } else {
            "S3 refuses (MalformedPolicy: \"Policy has invalid resource\")"
        };
        let Some(arn) = Arn::parse(pattern) else {
            let suggestion = if pattern.starts_with("arn:") {
                format!("Write the full ARN, arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE (for this bucket: {} or {}).", self.bucket_arn(), self.objects_arn())
            } else {
                format!(
                    "Write it as an ARN: {:?}.",
                    format!(
                        "arn:{}:s3:::{}",
                        self.target.partition,
                        pattern.trim_start_matches('/')
                    )
                )
            };
            self.refused(
                "resource-not-arn",
                format!("Resource {pattern:?} is not an ARN (arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE), which {refusal}"),
                suggestion,
            );
            return;
        };
        if !has_wildcard(arn.partition) && !KNOWN_PARTITIONS.contains(&arn.partition) {
            let message = if identity {
                format!("Resource {pattern:?} names partition {:?}, which IAM refuses (MalformedPolicyDocument: \"Partition … is not valid for resource\")", arn.partition)
            } else {
                format!(
                    "Resource {pattern:?} names partition {:?}, which {refusal}",
                    arn.partition
                )
            };
            self.refused(
                "invalid-partition",
                message,
                format!("Use the bucket's partition: {}.", self.bucket_arn()),
            );
            return;
        }
        if identity {
            self.identity_resource(pattern, &arn);
        } else {
            self.bucket_policy_resource(pattern, &arn, refusal);
        }
    }

    /// IAM saves any well-formed ARN; one of another service in a statement of S3 actions only
    /// grants nothing.
    fn identity_resource(&mut self, pattern: &str, arn: &Arn) {
        if has_wildcard(arn.service) || arn.service == "s3" || !self.only_s3_actions() {
            return;
        }
        let fix = format!(
            "Name the bucket or its objects: {} or {}.",
            self.bucket_arn(),
            self.objects_arn()
        );
        self.push(
            Severity::Surprising,
            "resource-of-another-service",
            format!(
                "Resource {pattern:?} belongs to service {:?}, but the statement names only S3 actions: IAM saves it, and it grants nothing",
                arn.service
            ),
            fix,
        );
    }

    /// S3 accepts only this bucket and its objects as a bucket policy's resources.
    fn bucket_policy_resource(&mut self, pattern: &str, arn: &Arn, refusal: &str) {
        let (bucket, fix) = (
            self.target.bucket,
            format!(
                "Name this bucket or its objects: {} or {}.",
                self.bucket_arn(),
                self.objects_arn()
            ),
        );
        if !has_wildcard(arn.service) && arn.service != "s3" {
            self.refused(
                "resource-of-another-service",
                format!("Resource {pattern:?} belongs to service {:?}, but a bucket policy can only name its bucket and objects, so {refusal}", arn.service),
                fix,
            );
            return;
        }
        if !arn.region.is_empty() || !arn.account.is_empty() {
            self.refused(
                "s3-arn-with-region-or-account",
                format!("Resource {pattern:?} has a region or account, which S3 bucket and object ARNs never have, so {refusal}"),
                fix,
            );
            return;
        }
        let named = arn.resource.split('/').next().unwrap_or_default();
        if !has_wildcard(named) && named != bucket {
            self.refused(
                "resource-of-another-bucket",
                format!("Resource {pattern:?} names bucket {named:?}, but this policy is for bucket {bucket:?}, so {refusal}"),
                fix,
            );
        }
    }

    /// S3 refuses a bucket policy statement in which an action acts on none of the resources
    /// ("Action does not apply to any resource(s) in statement"): `s3:ListBucket` with only
    /// `BUCKET/*`, `s3:PutObject` with only `BUCKET`.
    pub(super) fn action_applies_to_a_resource(&mut self) {
        let (
            Some(resources),
            PatternList {
                negated: false,
                patterns: actions,
            },
        ) = (&self.statement.resource, &self.statement.action)
        else {
            return;
        };
        if resources.negated {
            return;
        }
        let s3_resources: Vec<&str> = resources
            .patterns
            .iter()
            .filter_map(|pattern| match Arn::parse(pattern) {
                Some(arn) if arn.service == "s3" => Some(arn.resource),
                _ => None,
            })
            .collect();
        if s3_resources.len() != resources.patterns.len() {
            return; // "*" or patterns reported above
        }
        let names_bucket = s3_resources.iter().any(|r| !r.contains('/'));
        let names_objects = s3_resources
            .iter()
            .any(|r| r.contains('/') || r.contains('*'));
        for action in actions {
            let (acts_on, missing) = if is_one_of(action, &BUCKET_ACTIONS) && !names_bucket {
                ("the bucket", self.bucket_arn())
            } else if is_one_of(action, &OBJECT_ACTIONS) && !names_objects {
                ("objects", self.objects_arn())
            } else {
                continue;
            };
            self.refused(
                "action-without-resource",
                format!("{action} acts on {acts_on}, and none of the statement's resources is one, which S3 refuses (MalformedPolicy: \"Action does not apply to any resource(s) in statement\")"),
                format!("Add {missing} to the statement's Resource, or move {action} to a statement that names it."),
            );
        }
    }

    fn only_s3_actions(&self) -> bool {
        let action = &self.statement.action;
        !action.negated
            && action
                .patterns
                .iter()
                .all(|pattern| pattern.to_ascii_lowercase().starts_with("s3:"))
    }
}

fn has_wildcard(text: &str) -> bool {
    text.contains(['*', '?'])
}

/// Action names are case-insensitive in IAM and S3.
fn is_one_of(action: &str, actions: &[&str]) -> bool {
    actions
        .iter()
        .any(|known| known.eq_ignore_ascii_case(action))
}
