//! `iam-simulation`: the IAM policy simulator allows every request the upload makes.
//! What the bucket's side and its KMS key add to the simulation is in `iam_simulation/sides.rs`.

use crate::api_error::ApiFailure;
use crate::check::{Category, Check, CheckInfo};
use crate::denial::allow_statement;
use crate::iam::PolicyRequest;
use crate::iam_simulator::{groups, simulation_principal, Kind, Simulation, Verdict};
use crate::session::IdentityProblem;
use crate::{Context, Findings, Outcome, Status};
use async_trait::async_trait;
use aws_sdk_iam::types::PolicyEvaluationDecisionType;
use serde_json::Value;

mod sides;

use sides::{bucket_side, kms_side, Gap};

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
store step sends an ACL, `s3:PutObjectTagging` when it sets `tags`, `s3:GetObject` when
`sign_urls_for` makes result URLs signed GETs) on an object under the path prefix, and
`kms:GenerateDataKey` and `kms:Decrypt` on the KMS key uploads use: the one the step's `headers`
name (`x-amz-server-side-encryption-aws-kms-key-id`), else the bucket's default key under
SSE-KMS. The principal is
`--principal ARN`, or else the caller (an assumed-role session is simulated as its role). The
simulation includes the principal's identity policies and permissions boundary and, when it
can be read and the principal is an IAM user, the bucket policy as the policy of the account
that owns the bucket (`ResourceOwner`): for a bucket of another account, IAM then requires both
the identity policy and the bucket policy to allow. Each request carries the context the
upload's request carries: `aws:SecureTransport`, and `s3:x-amz-acl` for `s3:PutObject` and
`s3:PutObjectAcl` only; no conditional-write keys (the export sends none). Each action's
decision (`allowed`, `implicitDeny`, `explicitDeny`) and the statements that decided it are
reported, with whose permissions were simulated. On an S3-compatible endpoint the check is
skipped: there is no IAM there.

Never a pass when part of the upload was not simulated: a bucket policy that could not be read,
a bucket of another account whose policy only that account can read (GetBucketPolicy answers
405 to everyone else), or condition keys the simulator reports as missing
(`MissingContextValues`, such as `aws:SourceIp`) whose live value comes from Transloadit's
network, not from here — each is a warning naming what was not covered.

## Why it matters
A denied upload fails at export time with 403 AccessDenied, one missing permission at a time.
The simulator evaluates every action of the upload at once, without writing anything, and
names the missing permission or the statement that denies it.

## What it cannot see
The IAM policy simulator leaves out the service control and resource control policies of an AWS
Organization and session policies, and passes the bucket policy for IAM users only. Context keys
it cannot know (`aws:SourceIp`, VPC keys) come back as missing context values: reported as `warn`
naming them, never as a pass.

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
- Missing context values: check the statements conditioned on the keys named; the export's
  requests come from Transloadit's servers, so a condition on `aws:SourceIp` or a VPC endpoint
  that admits this machine can still refuse the export.
- Bucket of another account: its owner must grant the principal in the bucket policy; pass
  `--expected-owner ACCOUNT` so the bucket policy is simulated as that account's, or run with
  credentials of the owner account.

AWS warns that simulation results can differ from the live environment. The simulator sees
the principal's identity policies, its permissions boundary and the inputs given; it does not
see session policies (of an assumed-role session), takes a single resource policy (the bucket
policy, and only for an IAM user; never the KMS key policy) and may judge service control
policies differently. A pass here is strong evidence, not proof: `dry-run-put` is the proof.

## Errors this prevents
`bucket-preflight diagnose` names these; this check confirms or rules them out.
- `AccessDenied` / `S3_STORE_ACCESS_DENIED` `because no identity-based policy allows` the action:
  cause `identity-policy-no-allow`; `with an explicit deny in an identity-based policy`: cause
  `identity-policy-deny`; `because no permissions boundary allows`: cause `permissions-boundary`.

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
            format!(
                "Pass --principal with the exact ARN of the IAM user or role the export service uses; a role with a path needs its full ARN (arn:{}:iam::ACCOUNT:role/PATH/NAME).",
                crate::partition::of_arn(principal).unwrap_or("aws")
            ),
        );
    }
    Outcome::error(
        format!("could not run the IAM policy simulator: {failure}"),
        "Run again; if it persists, check network access to IAM (iam.amazonaws.com) and that --principal names an IAM user or role.",
    )
}

/// For a denial the simulator decided without some condition keys: the live upload carries
/// values for them (from Transloadit's network), and a statement on them may decide otherwise.
fn decided_without(keys: &[&str]) -> String {
    if keys.is_empty() {
        return String::new();
    }
    let keys = keys.join(", ");
    format!("; decided without a value for {keys}: statements conditioned on {keys} decide the live upload by the values Transloadit's requests carry")
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
        let who = principal.arn.as_str();
        let mut notes: Vec<String> = principal.note.iter().cloned().collect();
        let principal_source = if ctx.settings.principal.is_some() {
            notes.push(format!("the permissions simulated are those of {who}, given with --principal, not those of the caller {caller} who ran the simulation"));
            "--principal"
        } else {
            "the caller"
        };
        // Parts of the upload the simulation could not cover: with any of them, a "pass" would
        // claim more than was verified.
        let mut gaps: Vec<Gap> = Vec::new();

        let (policy, encryption, owner) =
            futures::join!(ctx.policy(), ctx.encryption(), ctx.bucket_owner());
        let resource_policy = bucket_side(policy, owner, who, &mut notes, &mut gaps);
        let kms_key = kms_side(encryption, &mut notes, &mut gaps);

        let target = &ctx.target;
        let acl_header = target.acl.canned_header();
        // A KMS key the store step names in its headers is the one uploads use.
        let from_step = PolicyRequest::of_target(target);
        let request = PolicyRequest {
            kms_key_arn: from_step.kms_key_arn.or(kms_key),
            partition: ctx.partition(),
            ..from_step
        };
        let groups = groups(&request, acl_header);
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
            principal: who,
            resource_policy,
        };
        let answers =
            futures::future::join_all(groups.iter().map(|group| simulation.run(group))).await;

        let mut verdicts = Vec::new();
        for (group, answer) in groups.iter().zip(answers) {
            let results = match answer {
                Ok(results) => results,
                Err(failure) => return simulation_failed(&failure, who, &caller),
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

        let mut findings = Findings::default();
        let mut unanswered = Vec::new();
        for (group, group_verdicts) in &verdicts {
            let mut implicit: Vec<&str> = Vec::new();
            let mut implicit_unknown: Vec<&str> = Vec::new();
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
                                "{} on {} is explicitly denied for {who} by {by}{}",
                                verdict.action,
                                verdict.resource,
                                decided_without(&verdict.unknown_context(group.acl_header))
                            ),
                            format!("Remove or narrow the Deny statement in {by}: an explicit deny overrides every Allow."),
                        );
                    }
                    Some(PolicyEvaluationDecisionType::ImplicitDeny) => {
                        implicit.push(verdict.action);
                        for key in verdict.unknown_context(group.acl_header) {
                            if !implicit_unknown.contains(&key) {
                                implicit_unknown.push(key);
                            }
                        }
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
                        "no policy allows {who} {} on {} (implicitDeny){}",
                        implicit.join(", "),
                        group.resource,
                        decided_without(&implicit_unknown)
                    ),
                    fix,
                );
            }
        }
        // Condition keys the simulation could not give the live value of: a statement on them
        // may decide differently for the upload from Transloadit's network than here.
        let mut unknown_keys: Vec<&str> = Vec::new();
        for (group, group_verdicts) in &verdicts {
            for verdict in group_verdicts {
                for key in verdict.unknown_context(group.acl_header) {
                    if !unknown_keys.contains(&key) {
                        unknown_keys.push(key);
                    }
                }
            }
        }
        let unknown_list = unknown_keys.join(", ");
        if !unknown_keys.is_empty() {
            notes.push(format!(
                "the policies have conditions on {unknown_list} that the simulation could not supply; statements with those conditions may decide differently on a live upload"
            ));
        }

        let mut outcome = findings.into_outcome(format!(
            "the simulator allows every action of the upload for {who}"
        ));
        if outcome.status == Status::Pass && !unanswered.is_empty() {
            outcome = Outcome::error(
                format!(
                    "the IAM policy simulator gave no decision for {}",
                    unanswered.join(", ")
                ),
                "Run again; if it persists, simulate the actions in the IAM console's policy simulator.",
            );
        }
        if outcome.status == Status::Pass && !unknown_keys.is_empty() {
            outcome = Outcome::warn(
                format!("the simulator allows the upload for {who} only without values for {unknown_list}: the upload from Transloadit's network can be denied while the probe from here succeeds"),
                format!("Check the statements of {who}'s policies and of the bucket policy that have conditions on {unknown_list}: the export's requests come from Transloadit's servers, not from this machine, so those conditions must admit them (for aws:SourceIp, Transloadit's addresses; for aws:SourceVpc/aws:SourceVpce, no VPC endpoint is involved)."),
            );
        }
        if outcome.status == Status::Pass && !gaps.is_empty() {
            let what: Vec<&str> = gaps.iter().map(|g| g.what.as_str()).collect();
            let mut fixes: Vec<&str> = Vec::new();
            for gap in &gaps {
                if !fixes.contains(&gap.fix.as_str()) {
                    fixes.push(&gap.fix);
                }
            }
            outcome = Outcome::warn(
                format!(
                    "the simulator allows the actions it was given for {who}, but {} could not be simulated",
                    what.join(" and ")
                ),
                fixes.join(" "),
            );
        }
        if outcome.status == Status::Pass {
            notes.push(CAVEAT.to_owned());
        }
        if !notes.is_empty() {
            outcome = outcome.with_detail(notes.join("; "));
        }
        outcome
            .with_evidence("principal", who)
            .with_evidence("principal_source", principal_source)
            .with_evidence(
                "bucket_policy_simulated",
                simulation.resource_policy.is_some(),
            )
            .with_evidence(
                "resource_owner",
                simulation
                    .resource_policy
                    .as_ref()
                    .map(|p| Value::from(p.owner.as_str()))
                    .unwrap_or(Value::Null),
            )
            .with_evidence("unknown_context_keys", unknown_keys)
            .with_evidence("decisions", evidence)
    }
}
