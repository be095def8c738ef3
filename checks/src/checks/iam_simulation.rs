//! `iam-simulation`: the IAM policy simulator allows every request the upload makes.

use crate::api_error::ApiFailure;
use crate::check::{Category, Check, CheckInfo};
use crate::checks::encryption::is_alias;
use crate::denial::{allow_statement, bucket_arn, objects_arn};
use crate::iam::{required_actions, PolicyRequest};
use crate::session::IdentityProblem;
use crate::{Context, Findings, Outcome};
use async_trait::async_trait;
use aws_sdk_iam::types::{
    ContextEntry, ContextKeyTypeEnum, EvaluationResult, PolicyEvaluationDecisionType, Statement,
};
use serde_json::{json, Value};

pub struct IamSimulation;

static INFO: CheckInfo = CheckInfo {
    id: "iam-simulation",
    title: "IAM simulation allows the upload",
    category: Category::Permissions,
    online: true,
    requires: &["credentials"],
    docs: r#"## What it checks
Asks the IAM policy simulator (`iam:SimulatePrincipalPolicy`) whether the principal the export
service uses may make every request of the upload: `s3:ListBucket` (and `s3:GetBucketLocation`
without `bucket_region`) on the bucket ARN, `s3:PutObject` (and `s3:PutObjectAcl` when the
store step sends an ACL) on an object under the path prefix, and `kms:GenerateDataKey` and
`kms:Decrypt` on the bucket's KMS key when it encrypts with SSE-KMS. The principal is
`--principal ARN`, or else the caller (an assumed-role session is simulated as its role). The
simulation includes the principal's identity policies and permissions boundary and, when it
can be read and the principal is an IAM user, the bucket policy, with the request context the
upload carries (`s3:x-amz-acl`, `aws:SecureTransport`). Each action's decision (`allowed`,
`implicitDeny`, `explicitDeny`) and the statements that decided it are reported. On an
S3-compatible endpoint the check is skipped: there is no IAM there.

## Why it matters
A denied upload fails at export time with 403 AccessDenied, one missing permission at a time.
The simulator evaluates every action of the upload at once, without writing anything, and
names the missing permission or the statement that denies it.

## How to fix
- `implicitDeny`: no policy allows the action. Add the statement this check prints to the
  principal's IAM policy, for instance
  `{"Sid":"ListExportBucket","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::BUCKET"}`
  — bucket actions act on the bucket ARN, object actions on `arn:aws:s3:::BUCKET/PREFIX*`.
- `explicitDeny`: a Deny statement matches. Remove or narrow the statement in the policy the
  check names: an explicit deny overrides every Allow.
- Skipped because the caller may not simulate: grant the caller `iam:SimulatePrincipalPolicy` on
  the principal (`arn:aws:iam::ACCOUNT:user/NAME` or `role/NAME`), or rely on `dry-run-put`.
- An assumed-role session is simulated as `arn:aws:iam::ACCOUNT:role/NAME`; a role with a path
  needs `--principal` with its full ARN.

AWS warns that simulation results can differ from the live environment. The simulator sees
the principal's identity policies, its permissions boundary and the inputs given; it does not
see session policies (of an assumed-role session), takes a single resource policy (the bucket
policy, and only for an IAM user; never the KMS key policy) and may judge service control
policies differently. A pass here is strong evidence, not proof: `dry-run-put` is the proof.

## References
- Testing IAM policies with the policy simulator: https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_testing-policies.html
- SimulatePrincipalPolicy: https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html
- Policy evaluation logic: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
- Actions, resources and condition keys for Amazon S3: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html
"#,
};

/// The permission the caller needs to run the simulator.
const SIMULATE: &str = "iam:SimulatePrincipalPolicy";

const CAVEAT: &str = "simulation results can differ from live requests (session policies, service control policies, the KMS key policy are not or not fully simulated); dry-run-put is the proof";

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
/// without a `CallerArn`, which must itself be a user.
fn is_user(arn: &str) -> bool {
    arn.splitn(6, ':')
        .nth(5)
        .is_some_and(|resource| resource.starts_with("user/"))
}

/// `arn:PARTITION:iam::ACCOUNT:root` for the account of `arn`.
fn account_root(arn: &str, account: &str) -> String {
    let partition = arn
        .split(':')
        .nth(1)
        .filter(|p| !p.is_empty())
        .unwrap_or("aws");
    format!("arn:{partition}:iam::{account}:root")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Bucket,
    Objects,
    Key,
}

/// Required actions that act on the same resource: one simulator call.
#[derive(Debug)]
struct Group {
    kind: Kind,
    resource: String,
    actions: Vec<&'static str>,
}

impl Group {
    /// The Sid and resource pattern of the statement that grants this group's actions, as
    /// `minimal_policy` writes it.
    fn statement(&self, bucket: &str, prefix: &str, actions: &[&str]) -> String {
        match self.kind {
            Kind::Bucket => allow_statement("ListExportBucket", actions, &bucket_arn(bucket)),
            Kind::Objects => {
                allow_statement("WriteExportedFiles", actions, &objects_arn(bucket, prefix))
            }
            Kind::Key => allow_statement("UseBucketKmsKey", actions, &self.resource),
        }
    }
}

fn groups(request: &PolicyRequest) -> Vec<Group> {
    let bucket = bucket_arn(request.bucket);
    let mut groups: Vec<Group> = Vec::new();
    for needed in required_actions(request) {
        match groups.iter_mut().find(|g| g.resource == needed.resource) {
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
            }),
        }
    }
    groups
}

/// One call's inputs beyond the group itself.
struct Simulation<'a> {
    client: aws_sdk_iam::Client,
    principal: &'a str,
    acl_header: Option<&'static str>,
    /// The bucket policy and its owner (`ResourceOwner`), for the S3 groups.
    resource_policy: Option<(&'a str, Option<String>)>,
}

fn entry(name: &str, kind: ContextKeyTypeEnum, value: &str) -> ContextEntry {
    ContextEntry::builder()
        .context_key_name(name)
        .context_key_type(kind)
        .context_key_values(value)
        .build()
}

impl Simulation<'_> {
    async fn run(&self, group: &Group) -> Result<Vec<EvaluationResult>, ApiFailure> {
        let mut context = vec![entry(
            "aws:SecureTransport",
            ContextKeyTypeEnum::Boolean,
            "true",
        )];
        let mut policy = None;
        let mut owner = None;
        if group.kind != Kind::Key {
            if let Some(acl) = self.acl_header {
                context.push(entry("s3:x-amz-acl", ContextKeyTypeEnum::String, acl));
            }
            if let Some((text, resource_owner)) = &self.resource_policy {
                policy = Some((*text).to_owned());
                owner = resource_owner.clone();
            }
        }
        let mut results = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let out = self
                .client
                .simulate_principal_policy()
                .policy_source_arn(self.principal)
                .set_action_names(Some(group.actions.iter().map(|a| a.to_string()).collect()))
                .resource_arns(&group.resource)
                .set_context_entries(Some(context.clone()))
                .set_resource_policy(policy.clone())
                .set_resource_owner(owner.clone())
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
struct Verdict {
    action: &'static str,
    resource: String,
    decision: Option<PolicyEvaluationDecisionType>,
    matched: Vec<String>,
    missing_context: Vec<String>,
    /// Permissions boundary or SCP refusals the simulator reported.
    limits: Vec<&'static str>,
}

impl Verdict {
    fn from_results(action: &'static str, resource: &str, results: &[EvaluationResult]) -> Self {
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

    fn decision_str(&self) -> &str {
        self.decision
            .as_ref()
            .map(|d| d.as_str())
            .unwrap_or("not evaluated")
    }

    fn evidence(&self) -> Value {
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

fn simulation_failed(failure: &ApiFailure, principal: &str, caller: &str) -> Outcome {
    if failure.is_access_denied() {
        let grant = allow_statement("SimulateExportPrincipal", &[SIMULATE], principal);
        let mut detail = format!("To run this check, grant the caller {grant}.");
        if let Some(message) = &failure.message {
            detail = format!("{message}. {detail}");
        }
        return Outcome::skip(format!(
            "cannot simulate: {caller} is not allowed {SIMULATE} on {principal}, so the IAM policies were not evaluated"
        ))
        .with_detail(detail)
        .with_evidence("denied_permission", SIMULATE);
    }
    if failure.code_is("NoSuchEntity") {
        return Outcome::error(
            format!("the IAM policy simulator does not know {principal} ({failure})"),
            "Pass --principal with the exact ARN of the IAM user or role the export service uses; a role with a path needs its full ARN (arn:aws:iam::ACCOUNT:role/PATH/NAME).",
        );
    }
    Outcome::error(
        format!("could not run the IAM policy simulator: {failure}"),
        "Run again; if it persists, check network access to IAM (iam.amazonaws.com) and that --principal names an IAM user or role.",
    )
}

#[async_trait]
impl Check for IamSimulation {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    async fn run(&self, ctx: &Context) -> Outcome {
        let Some(session) = ctx.session() else {
            return Outcome::skip("not run offline");
        };
        if session.options().endpoint_url.is_some() {
            return Outcome::skip("the IAM policy simulator is not available on this endpoint");
        }
        let identity = session.identity().await;
        let (given, caller) = match (&ctx.settings.principal, &identity) {
            (Some(principal), Ok(identity)) => (principal.clone(), identity.arn.clone()),
            (Some(principal), Err(_)) => (principal.clone(), "the caller".to_owned()),
            (None, Ok(identity)) => (identity.arn.clone(), identity.arn.clone()),
            (None, Err(problem)) => {
                let why = match problem {
                    IdentityProblem::Credentials(problem) => problem.to_string(),
                    IdentityProblem::Api(failure) => failure.to_string(),
                };
                return Outcome::error(
                    format!("the caller's identity is unknown, so there is no principal to simulate ({why})"),
                    "Fix what the credentials check reports, or pass --principal with the ARN of the IAM user or role the export service uses.",
                );
            }
        };
        let principal = match simulation_principal(&given) {
            Ok(principal) => principal,
            Err(why) => {
                return Outcome::skip(format!(
                    "cannot simulate: {why}; pass --principal with the IAM user or role the export service uses"
                ))
            }
        };
        let mut notes: Vec<String> = principal.note.iter().cloned().collect();
        // Parts of the upload the simulation could not cover: with any of them, a "pass" would
        // claim more than was verified.
        let mut gaps: Vec<&str> = Vec::new();

        let (policy, encryption) = futures::join!(ctx.policy(), ctx.encryption());
        let resource_policy = match policy {
            Ok(Some(_)) if !is_user(&principal.arn) => {
                notes.push("the simulator takes a resource policy only for IAM users, so the bucket policy was not part of this role's simulation (see bucket-policy)".to_owned());
                None
            }
            Ok(Some(text)) => {
                let owner = identity
                    .as_ref()
                    .ok()
                    .map(|id| account_root(&id.arn, &id.account));
                Some((text.as_str(), owner))
            }
            Ok(None) => None,
            Err(failure) => {
                notes.push(format!(
                    "the bucket policy could not be read ({failure}), so it was not part of the simulation"
                ));
                gaps.push("the bucket policy");
                None
            }
        };
        let kms_key = match encryption {
            Ok(Some(enc)) if enc.algorithm.starts_with("aws:kms") => match &enc.kms_key {
                Some(key) if key.starts_with("arn:") && !is_alias(key) => Some(key.as_str()),
                _ => {
                    notes.push("the bucket encrypts with a KMS key not given by ARN, so the KMS permissions were not simulated (see encryption)".to_owned());
                    gaps.push("the KMS permissions");
                    None
                }
            },
            Ok(_) => None,
            Err(failure) => {
                notes.push(format!(
                    "the default encryption could not be read ({failure}), so KMS permissions were not simulated"
                ));
                gaps.push("the KMS permissions");
                None
            }
        };

        let target = &ctx.target;
        let acl_header = target.acl.canned_header();
        let request = PolicyRequest {
            needs_location: target.bucket_region.is_none(),
            acl_header: acl_header.is_some(),
            kms_key_arn: kms_key,
            ..PolicyRequest::new(&target.bucket, target.key_prefix())
        };
        let groups = groups(&request);
        let client = match session.iam().await {
            Ok(client) => client,
            Err(problem) => {
                return Outcome::error(
                    format!("could not create an IAM client: {problem}"),
                    "Fix what the credentials check reports, then run again.",
                )
            }
        };
        let simulation = Simulation {
            client,
            principal: &principal.arn,
            acl_header,
            resource_policy,
        };
        let answers =
            futures::future::join_all(groups.iter().map(|group| simulation.run(group))).await;

        let mut verdicts = Vec::new();
        for (group, answer) in groups.iter().zip(answers) {
            let results = match answer {
                Ok(results) => results,
                Err(failure) => return simulation_failed(&failure, &principal.arn, &caller),
            };
            verdicts.push((
                group,
                group
                    .actions
                    .iter()
                    .map(|action| Verdict::from_results(action, &group.resource, &results))
                    .collect::<Vec<_>>(),
            ));
        }
        let evidence: Vec<Value> = verdicts
            .iter()
            .flat_map(|(_, v)| v.iter().map(Verdict::evidence))
            .collect();

        let who = &principal.arn;
        let mut findings = Findings::default();
        let mut unanswered = Vec::new();
        for (group, group_verdicts) in &verdicts {
            let mut implicit: Vec<&str> = Vec::new();
            for verdict in group_verdicts {
                match &verdict.decision {
                    Some(PolicyEvaluationDecisionType::Allowed) => {}
                    Some(PolicyEvaluationDecisionType::ExplicitDeny) => {
                        let by = if verdict.matched.is_empty() {
                            "a policy the simulator did not name".to_owned()
                        } else {
                            verdict.matched.join(" and ")
                        };
                        findings.fail(
                            format!(
                                "{} on {} is explicitly denied for {who} by {by}",
                                verdict.action, verdict.resource
                            ),
                            format!("Remove or narrow the Deny statement in {by}: an explicit deny overrides every Allow."),
                        );
                    }
                    Some(PolicyEvaluationDecisionType::ImplicitDeny) => {
                        implicit.push(verdict.action)
                    }
                    Some(other) => unanswered.push(format!(
                        "{} on {} ({})",
                        verdict.action,
                        verdict.resource,
                        other.as_str()
                    )),
                    None => unanswered.push(format!("{} on {}", verdict.action, verdict.resource)),
                }
                for limit in &verdict.limits {
                    notes.push(format!("{}: {limit}", verdict.action));
                }
            }
            if !implicit.is_empty() {
                let statement = group.statement(&target.bucket, target.key_prefix(), &implicit);
                let mut fix = format!("Add to the IAM policy of {who}: {statement}");
                if group.kind == Kind::Key {
                    fix.push_str(" (or allow it in the key policy)");
                }
                fix.push('.');
                findings.fail(
                    format!(
                        "no policy allows {who} {} on {} (implicitDeny)",
                        implicit.join(", "),
                        group.resource
                    ),
                    fix,
                );
            }
        }
        let mut missing: Vec<&str> = Vec::new();
        for (_, group_verdicts) in &verdicts {
            for key in group_verdicts.iter().flat_map(|v| &v.missing_context) {
                if !missing.contains(&key.as_str()) {
                    missing.push(key);
                }
            }
        }
        if !missing.is_empty() {
            notes.push(format!(
                "the policies have conditions on {} that the simulation could not supply; statements with those conditions may decide differently on a live upload",
                missing.join(", ")
            ));
        }

        let mut outcome = findings.into_outcome(format!(
            "the simulator allows every action of the upload for {who}"
        ));
        if outcome.status == crate::Status::Pass && !unanswered.is_empty() {
            outcome = Outcome::error(
                format!(
                    "the IAM policy simulator gave no decision for {}",
                    unanswered.join(", ")
                ),
                "Run again; if it persists, simulate the actions in the IAM console's policy simulator.",
            );
        }
        if outcome.status == crate::Status::Pass && !gaps.is_empty() {
            outcome = Outcome::warn(
                format!("the simulator allows the actions it was given for {who}, but {} could not be simulated", gaps.join(" and ")),
                "Grant the caller s3:GetBucketPolicy and s3:GetEncryptionConfiguration (or run as an administrator) so the whole upload is simulated; the dry run remains the proof.",
            );
        }
        if outcome.status == crate::Status::Pass {
            notes.push(CAVEAT.to_owned());
        }
        if !notes.is_empty() {
            outcome = outcome.with_detail(notes.join("; "));
        }
        outcome
            .with_evidence("principal", who.as_str())
            .with_evidence(
                "bucket_policy_simulated",
                simulation.resource_policy.is_some(),
            )
            .with_evidence("decisions", evidence)
    }
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
        let groups = groups(&request);
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
    fn the_account_root_keeps_the_partition() {
        assert_eq!(
            account_root("arn:aws-cn:iam::111122223333:user/x", "111122223333"),
            "arn:aws-cn:iam::111122223333:root"
        );
    }
}
