//! The IAM policy simulator (`iam:SimulatePrincipalPolicy`) as the upload needs it: which
//! principal to simulate, which calls to make (actions grouped by resource and by the request
//! context they carry), and what each answer says per action. The `iam-simulation` check turns
//! these verdicts into findings.

use crate::api_error::ApiFailure;
use crate::denial::allow_statement;
use crate::iam::{required_actions, PolicyRequest};
use aws_sdk_iam::types::{
    ContextEntry, ContextKeyTypeEnum, EvaluationResult, PolicyEvaluationDecisionType, Statement,
};
use serde_json::{json, Value};

/// What a principal ARN is simulated as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Simulated {
    /// The `PolicySourceArn`: an IAM user or role.
    pub arn: String,
    /// Set when the ARN was derived from an STS session ARN.
    pub note: Option<String>,
}

/// The ARN the simulator accepts for `arn`: users and roles as they are, an assumed-role
/// session as its role. `Err` says why `arn` cannot be simulated.
pub fn simulation_principal(arn: &str) -> Result<Simulated, String> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [prefix, partition, service, _region, account, resource] = parts[..] else {
        return Err(format!("`{arn}` is not an ARN"));
    };
    if prefix != "arn" {
        return Err(format!("`{arn}` is not an ARN"));
    }
    match service {
        "iam" if resource.starts_with("user/") || resource.starts_with("role/") => Ok(Simulated {
            arn: arn.to_owned(),
            note: None,
        }),
        "iam" if resource == "root" => Err(format!(
            "`{arn}` is the account root user, which the simulator cannot simulate"
        )),
        "sts" => match resource.strip_prefix("assumed-role/").and_then(|r| r.split_once('/')) {
            Some((role, session)) => {
                let role_arn = format!("arn:{partition}:iam::{account}:role/{role}");
                Ok(Simulated {
                    note: Some(format!(
                        "the caller is the assumed-role session `{session}` of role {role}, simulated as {role_arn}; a session ARN does not carry the role's path, so if the role has one, pass --principal with the role's full ARN"
                    )),
                    arn: role_arn,
                })
            }
            None => Err(format!(
                "`{arn}` is an STS session that is not an assumed role (a federated user?), which the simulator cannot simulate"
            )),
        },
        _ => Err(format!("`{arn}` is not an IAM user or role")),
    }
}

/// Whether `arn` names an IAM user: only then does the simulator take a `ResourcePolicy`
/// without a `CallerArn`, and only a user can be the `CallerArn`.
pub fn is_user(arn: &str) -> bool {
    arn.splitn(6, ':')
        .nth(5)
        .is_some_and(|resource| resource.starts_with("user/"))
}

/// The account of an ARN (`arn:aws:iam::ACCOUNT:user/x` → `ACCOUNT`).
pub fn account_of(arn: &str) -> Option<&str> {
    arn.split(':').nth(4).filter(|a| !a.is_empty())
}

/// `arn:PARTITION:iam::ACCOUNT:root`, in the partition of `arn`.
pub fn account_root(arn: &str, account: &str) -> String {
    let partition = arn
        .split(':')
        .nth(1)
        .filter(|p| !p.is_empty())
        .unwrap_or("aws");
    format!("arn:{partition}:iam::{account}:root")
}

/// Condition keys the export's requests are known not to carry: Transloadit sends no
/// conditional-write headers. The simulator leaving them out matches the live request.
const NEVER_SENT_BY_THE_EXPORT: &[&str] = &["s3:if-none-match", "s3:if-match"];

/// Actions whose request carries the `x-amz-acl` header of the store step.
const SENDS_ACL_HEADER: &[&str] = &["s3:PutObject", "s3:PutObjectAcl"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Bucket,
    Objects,
    Key,
}

/// Required actions on the same resource with the same request context: one simulator call.
#[derive(Debug)]
pub struct Group {
    pub kind: Kind,
    pub resource: String,
    pub actions: Vec<&'static str>,
    /// The `x-amz-acl` value these actions' requests carry.
    pub acl_header: Option<&'static str>,
}

impl Group {
    /// The statement that grants `actions` of this group, as `minimal_policy` writes it.
    pub fn statement(&self, bucket: &str, prefix: &str, actions: &[&str]) -> String {
        // The group's resource was named in the bucket's partition; the grant must be too.
        let partition = crate::partition::of_arn(&self.resource).unwrap_or("aws");
        match self.kind {
            Kind::Bucket => allow_statement(
                "ListExportBucket",
                actions,
                &crate::partition::bucket_arn(partition, bucket),
            ),
            Kind::Objects => allow_statement(
                "WriteExportedFiles",
                actions,
                &crate::partition::objects_arn(partition, bucket, prefix),
            ),
            Kind::Key => allow_statement("UseBucketKmsKey", actions, &self.resource),
        }
    }

    fn context(&self) -> Vec<ContextEntry> {
        let mut context = vec![entry(
            "aws:SecureTransport",
            ContextKeyTypeEnum::Boolean,
            "true",
        )];
        if let Some(acl) = self.acl_header {
            context.push(entry("s3:x-amz-acl", ContextKeyTypeEnum::String, acl));
        }
        context
    }
}

/// The simulator calls for `request`, whose uploads send `acl_header`.
pub fn groups(request: &PolicyRequest, acl_header: Option<&'static str>) -> Vec<Group> {
    let bucket = crate::partition::bucket_arn(request.partition, request.bucket);
    let mut groups: Vec<Group> = Vec::new();
    for needed in required_actions(request) {
        let acl = acl_header.filter(|_| SENDS_ACL_HEADER.contains(&needed.action));
        match groups
            .iter_mut()
            .find(|g| g.resource == needed.resource && g.acl_header == acl)
        {
            Some(group) => group.actions.push(needed.action),
            None => groups.push(Group {
                kind: if needed.resource == bucket {
                    Kind::Bucket
                } else if Some(needed.resource.as_str()) == request.kms_key_arn {
                    Kind::Key
                } else {
                    Kind::Objects
                },
                resource: needed.resource,
                actions: vec![needed.action],
                acl_header: acl,
            }),
        }
    }
    groups
}

fn entry(name: &str, kind: ContextKeyTypeEnum, value: &str) -> ContextEntry {
    ContextEntry::builder()
        .context_key_name(name)
        .context_key_type(kind)
        .context_key_values(value)
        .build()
}

/// The bucket policy as the simulator takes it.
#[derive(Debug, Clone)]
pub struct ResourcePolicy {
    pub text: String,
    /// `ResourceOwner`: the root of the account that owns the bucket. When it is not the
    /// principal's account, IAM requires both the identity policy and this policy to allow.
    pub owner: String,
    /// `CallerArn`: the IAM user the bucket policy's `Principal` is matched against.
    pub caller: String,
}

/// One principal's simulation inputs beyond each group.
pub struct Simulation<'a> {
    pub client: aws_sdk_iam::Client,
    pub principal: &'a str,
    /// For the S3 groups only: the key policy is not the bucket policy.
    pub resource_policy: Option<ResourcePolicy>,
}

impl Simulation<'_> {
    pub async fn run(&self, group: &Group) -> Result<Vec<EvaluationResult>, ApiFailure> {
        let policy = self
            .resource_policy
            .as_ref()
            .filter(|_| group.kind != Kind::Key);
        let mut results = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let out = self
                .client
                .simulate_principal_policy()
                .policy_source_arn(self.principal)
                .set_action_names(Some(group.actions.iter().map(|a| a.to_string()).collect()))
                .resource_arns(&group.resource)
                .set_context_entries(Some(group.context()))
                .set_resource_policy(policy.map(|p| p.text.clone()))
                .set_resource_owner(policy.map(|p| p.owner.clone()))
                .set_caller_arn(policy.map(|p| p.caller.clone()))
                .set_marker(marker.take())
                .send()
                .await
                .map_err(|e| ApiFailure::from_sdk(&e))?;
            results.extend(out.evaluation_results().iter().cloned());
            match out.marker() {
                Some(next) if out.is_truncated() => marker = Some(next.to_owned()),
                _ => break,
            }
        }
        Ok(results)
    }
}

/// One action's verdict, as the simulator gave it.
#[derive(Debug)]
pub struct Verdict {
    pub action: &'static str,
    pub resource: String,
    pub decision: Option<PolicyEvaluationDecisionType>,
    pub matched: Vec<String>,
    /// Condition keys the policies use that the simulation did not supply.
    pub missing_context: Vec<String>,
    /// Permissions boundary or SCP refusals the simulator reported.
    pub limits: Vec<&'static str>,
}

impl Verdict {
    pub fn from_results(
        action: &'static str,
        resource: &str,
        results: &[EvaluationResult],
    ) -> Self {
        let mut verdict = Verdict {
            action,
            resource: resource.to_owned(),
            decision: None,
            matched: Vec::new(),
            missing_context: Vec::new(),
            limits: Vec::new(),
        };
        let Some(result) = results
            .iter()
            .find(|r| r.eval_action_name().eq_ignore_ascii_case(action))
        else {
            return verdict;
        };
        verdict.decision = Some(result.eval_decision().clone());
        if let Some(name) = result
            .eval_resource_name()
            .filter(|n| !n.is_empty() && *n != "*")
        {
            verdict.resource = name.to_owned();
        }
        let specific = result.resource_specific_results();
        let statements = result
            .matched_statements()
            .iter()
            .chain(specific.iter().flat_map(|r| r.matched_statements()));
        for statement in statements {
            let described = describe_statement(statement);
            if !verdict.matched.contains(&described) {
                verdict.matched.push(described);
            }
        }
        // With ResourceArns given, IAM lists missing keys per resource, not at the top.
        let missing = result
            .missing_context_values()
            .iter()
            .chain(specific.iter().flat_map(|r| r.missing_context_values()));
        for key in missing {
            if !verdict.missing_context.contains(key) {
                verdict.missing_context.push(key.clone());
            }
        }
        if result
            .organizations_decision_detail()
            .is_some_and(|d| !d.allowed_by_organizations())
        {
            verdict
                .limits
                .push("a service control policy of AWS Organizations does not allow it");
        }
        let boundary_refuses = result
            .permissions_boundary_decision_detail()
            .into_iter()
            .chain(
                specific
                    .iter()
                    .filter_map(|r| r.permissions_boundary_decision_detail()),
            )
            .any(|d| !d.allowed_by_permissions_boundary());
        if boundary_refuses {
            verdict
                .limits
                .push("the principal's permissions boundary does not allow it");
        }
        verdict
    }

    pub fn decision_str(&self) -> &str {
        self.decision
            .as_ref()
            .map(|d| d.as_str())
            .unwrap_or("not evaluated")
    }

    /// Missing keys whose live value is unknown here. Keys the export never sends are left
    /// out: the simulator treating them as absent is exactly what happens live.
    pub fn unknown_context(&self, acl_header: Option<&str>) -> Vec<&str> {
        self.missing_context
            .iter()
            .map(String::as_str)
            .filter(|key| {
                let never_sent = NEVER_SENT_BY_THE_EXPORT
                    .iter()
                    .any(|k| k.eq_ignore_ascii_case(key))
                    || (acl_header.is_none() && key.eq_ignore_ascii_case("s3:x-amz-acl"));
                !never_sent
            })
            .collect()
    }

    pub fn evidence(&self) -> Value {
        json!({
            "action": self.action,
            "resource": self.resource,
            "decision": self.decision_str(),
            "matched_statements": self.matched,
            "missing_context_values": self.missing_context,
        })
    }
}

/// `policy `export` (IAM Policy), line 3` or `the bucket policy`.
fn describe_statement(statement: &Statement) -> String {
    let id = statement.source_policy_id().unwrap_or("unnamed");
    let kind = statement
        .source_policy_type()
        .map(|t| t.as_str())
        .unwrap_or("");
    let mut text = if kind.eq_ignore_ascii_case("resource") {
        "the bucket policy".to_owned()
    } else if kind.is_empty() {
        format!("policy `{id}`")
    } else {
        format!("policy `{id}` ({kind})")
    };
    if let Some(line) = statement.start_position().map(|p| p.line()) {
        text.push_str(&format!(", statement at line {line}"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_and_roles_are_simulated_as_they_are() {
        for arn in [
            "arn:aws:iam::111122223333:user/exporter",
            "arn:aws:iam::111122223333:role/service/Exporter",
        ] {
            assert_eq!(simulation_principal(arn).unwrap().arn, arn);
        }
    }

    #[test]
    fn an_assumed_role_session_is_simulated_as_its_role() {
        let simulated =
            simulation_principal("arn:aws:sts::111122223333:assumed-role/Exporter/worker-1")
                .unwrap();
        assert_eq!(simulated.arn, "arn:aws:iam::111122223333:role/Exporter");
        assert!(simulated.note.unwrap().contains("path"));
        let china =
            simulation_principal("arn:aws-cn:sts::111122223333:assumed-role/Exporter/s").unwrap();
        assert_eq!(china.arn, "arn:aws-cn:iam::111122223333:role/Exporter");
    }

    #[test]
    fn root_and_federated_users_cannot_be_simulated() {
        assert!(simulation_principal("arn:aws:iam::111122223333:root")
            .unwrap_err()
            .contains("root user"));
        assert!(
            simulation_principal("arn:aws:sts::111122223333:federated-user/bob")
                .unwrap_err()
                .contains("federated")
        );
        assert!(simulation_principal("exporter").is_err());
    }

    #[test]
    fn groups_follow_the_resources_of_the_upload() {
        let key = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        let request = PolicyRequest {
            needs_location: true,
            acl_header: true,
            kms_key_arn: Some(key),
            ..PolicyRequest::new("my-bucket", "exports/")
        };
        let groups = groups(&request, Some("public-read"));
        let kinds: Vec<Kind> = groups.iter().map(|g| g.kind).collect();
        assert_eq!(kinds, [Kind::Bucket, Kind::Objects, Kind::Key]);
        assert_eq!(groups[0].actions, ["s3:ListBucket", "s3:GetBucketLocation"]);
        assert_eq!(groups[1].actions, ["s3:PutObject", "s3:PutObjectAcl"]);
        assert_eq!(
            groups[1].statement("my-bucket", "exports/", &["s3:PutObjectAcl"]),
            r#"{"Sid":"WriteExportedFiles","Effect":"Allow","Action":"s3:PutObjectAcl","Resource":"arn:aws:s3:::my-bucket/exports/*"}"#
        );
        assert_eq!(groups[2].resource, key);
    }

    #[test]
    fn only_the_acl_carrying_requests_get_the_acl_context() {
        let request = PolicyRequest {
            acl_header: true,
            tags: true,
            ..PolicyRequest::new("my-bucket", "")
        };
        let groups = groups(&request, Some("public-read"));
        let with_acl: Vec<(&str, Option<&str>)> = groups
            .iter()
            .flat_map(|g| g.actions.iter().map(move |a| (*a, g.acl_header)))
            .collect();
        assert_eq!(
            with_acl,
            [
                ("s3:ListBucket", None),
                ("s3:PutObject", Some("public-read")),
                ("s3:PutObjectAcl", Some("public-read")),
                ("s3:PutObjectTagging", None),
            ]
        );
        let names = |g: &Group| -> Vec<String> {
            g.context()
                .iter()
                .map(|e| e.context_key_name().unwrap_or_default().to_owned())
                .collect()
        };
        assert_eq!(names(&groups[0]), ["aws:SecureTransport"]);
        assert_eq!(names(&groups[1]), ["aws:SecureTransport", "s3:x-amz-acl"]);
        assert!(!names(&groups[1])
            .iter()
            .any(|k| k.contains("if-none-match")));
    }

    #[test]
    fn keys_the_export_never_sends_are_not_unknown() {
        let verdict = Verdict {
            action: "s3:PutObject",
            resource: "arn:aws:s3:::b/k".into(),
            decision: None,
            matched: vec![],
            missing_context: vec![
                "aws:SourceIp".into(),
                "s3:if-none-match".into(),
                "s3:x-amz-acl".into(),
            ],
            limits: vec![],
        };
        assert_eq!(verdict.unknown_context(None), ["aws:SourceIp"]);
        assert_eq!(
            verdict.unknown_context(Some("private")),
            ["aws:SourceIp", "s3:x-amz-acl"]
        );
    }

    #[test]
    fn the_account_root_keeps_the_partition() {
        assert_eq!(
            account_root("arn:aws-cn:iam::111122223333:user/x", "111122223333"),
            "arn:aws-cn:iam::111122223333:root"
        );
        assert_eq!(
            account_of("arn:aws:iam::444455556666:role/x"),
            Some("444455556666")
        );
    }
}
