//! A bucket policy against the export's requests: which statements deny them (for every file
//! name, or only some), which encryption header the policy demands, whether it denies the
//! export's PutObject only because the export sends no `If-None-Match`, and whether it makes
//! objects public. The `bucket-policy` check words the findings; this module only evaluates.

use super::eval::{evaluate, Decision, Evaluation, PolicyKind, Request};
use super::export_request::{ExportRequest, ExportShape};
use super::policy::Statement;
use super::policy::{Condition, Effect, PatternList, PolicyDocument, Principal, PrincipalBlock};
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub const SSE_KEY: &str = "s3:x-amz-server-side-encryption";
pub const KMS_KEY_ID_KEY: &str = "s3:x-amz-server-side-encryption-aws-kms-key-id";
pub const ACL_KEY: &str = "s3:x-amz-acl";
/// The conditional-write keys: AWS's "enforce conditional writes" policy denies PutObject when
/// they are absent.
pub const CONDITIONAL_WRITE_KEYS: [&str; 2] = ["s3:if-none-match", "s3:if-match"];

/// The values `x-amz-server-side-encryption` can take, in the order they are suggested.
pub const SSE_VALUES: [&str; 3] = ["AES256", "aws:kms", "aws:kms:dsse"];

/// Every request of one export (each sample key separately) with IAM's verdict.
pub type SampledEvaluations = Vec<(ExportRequest, Evaluation)>;

/// Evaluates the bucket policy for every request `shape` describes.
pub fn evaluate_bucket_policy(policy: &PolicyDocument, shape: &ExportShape) -> SampledEvaluations {
    shape
        .requests()
        .into_iter()
        .map(|request| {
            let evaluation = evaluate(policy, PolicyKind::Resource, &request.as_request());
            (request, evaluation)
        })
        .collect()
}

/// How a statement denies the export's requests.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct StatementDenial {
    /// Actions it certainly denies, for every sample file.
    pub always: Vec<&'static str>,
    /// Actions it certainly denies for some sample files only: the verdict depends on the name.
    pub for_some_files: Vec<&'static str>,
    /// A key it certainly denies and one it does not, when `for_some_files` is not empty.
    pub example_keys: Option<(String, String)>,
    /// Actions it may deny, depending on something unknown here.
    pub possibly: Vec<&'static str>,
    /// What the possible denial hinges on.
    pub hinges_on: Vec<String>,
}

impl StatementDenial {
    pub fn is_empty(&self) -> bool {
        self.always.is_empty() && self.for_some_files.is_empty() && self.possibly.is_empty()
    }
}

/// How the Deny statement named `statement` meets the evaluated requests.
pub fn statement_denial(evaluations: &SampledEvaluations, statement: &str) -> StatementDenial {
    let mut denial = StatementDenial::default();
    let mut actions: Vec<&'static str> = Vec::new();
    for (request, _) in evaluations {
        if !actions.contains(&request.action) {
            actions.push(request.action);
        }
    }
    for action in actions {
        let samples: Vec<(&ExportRequest, Option<&super::eval::MatchedStatement>)> = evaluations
            .iter()
            .filter(|(request, _)| request.action == action)
            .map(|(request, evaluation)| {
                let matched = evaluation
                    .matched
                    .iter()
                    .find(|m| m.statement == statement && m.effect == Effect::Deny);
                (request, matched)
            })
            .collect();
        let certain: Vec<&ExportRequest> = samples
            .iter()
            .filter(|(_, m)| m.is_some_and(|m| m.is_certain()))
            .map(|(request, _)| *request)
            .collect();
        if !certain.is_empty() && certain.len() == samples.len() {
            denial.always.push(action);
        } else if !certain.is_empty() {
            denial.for_some_files.push(action);
            let spared = samples
                .iter()
                .find(|(_, m)| !m.is_some_and(|m| m.is_certain()))
                .map(|(request, _)| *request);
            if let (None, Some(spared)) = (&denial.example_keys, spared) {
                denial.example_keys = Some((
                    certain[0].key.clone().unwrap_or_default(),
                    spared.key.clone().unwrap_or_default(),
                ));
            }
        } else if let Some(open) = samples
            .iter()
            .find_map(|(_, m)| m.filter(|m| !m.is_certain()))
        {
            denial.possibly.push(action);
            if denial.hinges_on.is_empty() {
                denial.hinges_on = open.hinges_on.clone();
            }
        }
    }
    denial
}

/// The verdict per action over all sample keys: the shared decision, or `Conditional` when
/// the sample keys disagree.
pub fn decisions_by_action(evaluations: &SampledEvaluations) -> Vec<(&'static str, Decision)> {
    let mut decisions: Vec<(&'static str, Decision)> = Vec::new();
    for (request, evaluation) in evaluations {
        match decisions
            .iter_mut()
            .find(|(action, _)| *action == request.action)
        {
            Some((_, decision)) if *decision != evaluation.decision => {
                *decision = Decision::Conditional
            }
            Some(_) => {}
            None => decisions.push((request.action, evaluation.decision)),
        }
    }
    decisions
}

/// Allow statements (their labels) that grant the export's PutObject only when it carries
/// `If-None-Match: *` — AWS's Allow-style "enforce conditional writes" policy. A user who relies
/// on such a grant (one from another account) cannot export, while the dry run can.
pub fn grants_only_with_conditional_header(
    policy: &PolicyDocument,
    export: &ExportShape,
) -> Vec<String> {
    let grants = |if_none_match: bool| -> Vec<String> {
        let shape = ExportShape {
            if_none_match,
            ..export.clone()
        };
        evaluate_bucket_policy(policy, &shape)
            .iter()
            .filter(|(request, _)| request.action == "s3:PutObject")
            .flat_map(|(_, evaluation)| &evaluation.matched)
            .filter(|m| m.effect == Effect::Allow && m.is_certain())
            .map(|m| m.statement.clone())
            .collect()
    };
    let (without, with) = (grants(false), grants(true));
    let mut labels: Vec<String> = Vec::new();
    for statement in &policy.statements {
        let name = statement.name();
        if with.contains(&name) && !without.contains(&name) && !labels.contains(&statement.label())
        {
            labels.push(statement.label());
        }
    }
    labels
}

/// Whether the statement conditions on a conditional-write header.
pub fn conditions_on_conditional_writes(statement: &Statement) -> bool {
    statement.conditions.iter().any(|condition| {
        CONDITIONAL_WRITE_KEYS
            .iter()
            .any(|key| condition.key.eq_ignore_ascii_case(key))
    })
}

/// The `x-amz-server-side-encryption` value an upload must send so that no Deny statement's
/// condition on that header matches: the value a statement names, or `AES256` when any value
/// will do. `None` when the policy does not deny uploads without the header.
///
/// Only the statements' conditions on the header are considered (whoever they apply to, on
/// whichever resource), so the answer errs towards sending the header, which is harmless.
pub fn demanded_sse(policy: &PolicyDocument) -> Option<String> {
    let statements: Vec<Statement> = policy
        .statements
        .iter()
        .filter(|statement| statement.effect == Effect::Deny)
        .filter_map(|statement| {
            let conditions: Vec<Condition> = statement
                .conditions
                .iter()
                .filter(|condition| condition.key.eq_ignore_ascii_case(SSE_KEY))
                .cloned()
                .collect();
            (!conditions.is_empty()).then(|| Statement {
                principal: Some(PrincipalBlock {
                    negated: false,
                    principal: Principal::Anyone,
                }),
                resource: Some(PatternList {
                    negated: false,
                    patterns: vec!["*".into()],
                }),
                conditions,
                ..statement.clone()
            })
        })
        .collect();
    if statements.is_empty() {
        return None;
    }
    let only_sse = PolicyDocument {
        version: policy.version.clone(),
        id: None,
        statements,
    };
    let denied = |sse: Option<&str>| {
        let context: BTreeMap<String, Vec<String>> = sse
            .map(|value| (SSE_KEY.to_owned(), vec![value.to_owned()]))
            .into_iter()
            .collect();
        let request = Request {
            context: &context,
            absent_keys: &[SSE_KEY],
            ..Request::new("s3:PutObject", "arn:aws:s3:::bucket/key")
        };
        evaluate(&only_sse, PolicyKind::Resource, &request).decision == Decision::ExplicitDeny
    };
    if !denied(None) {
        return None;
    }
    sse_candidates(policy)
        .into_iter()
        .find(|value| !denied(Some(value)))
        .map(str::to_owned)
}

/// SSE values to try: those the policy's conditions name first, then the usual order.
pub fn sse_candidates(policy: &PolicyDocument) -> Vec<&'static str> {
    let named = policy
        .statements
        .iter()
        .flat_map(|statement| &statement.conditions)
        .filter(|condition| condition.key.eq_ignore_ascii_case(SSE_KEY))
        .flat_map(|condition| &condition.values)
        .filter_map(|value| {
            SSE_VALUES
                .iter()
                .copied()
                .find(|known| known.eq_ignore_ascii_case(value))
        });
    let mut candidates: Vec<&'static str> = Vec::new();
    for value in named.chain(SSE_VALUES) {
        if !candidates.contains(&value) {
            candidates.push(value);
        }
    }
    candidates
}

/// Keys that say where a request comes from: the export service's requests come from its own
/// network, not from where this tool runs.
pub const NETWORK_KEYS: [&str; 4] = [
    "aws:SourceIp",
    "aws:SourceVpc",
    "aws:SourceVpce",
    "aws:VpcSourceIp",
];

fn mentions_network_key(phrase: &str) -> bool {
    let phrase = phrase.to_ascii_lowercase();
    NETWORK_KEYS
        .iter()
        .any(|key| phrase.contains(&key.to_ascii_lowercase()))
}

/// An Allow statement that grants some of the export's requests only from some network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkGrant {
    pub label: String,
    pub actions: Vec<&'static str>,
    pub hinges_on: Vec<String>,
}

/// The Allow statements whose grant to the export hinges on a network condition.
pub fn network_conditioned_grants(
    policy: &PolicyDocument,
    evaluations: &SampledEvaluations,
) -> Vec<NetworkGrant> {
    let mut grants = Vec::new();
    for statement in policy
        .statements
        .iter()
        .filter(|s| s.effect == Effect::Allow)
    {
        let name = statement.name();
        let mut grant = NetworkGrant {
            label: statement.label(),
            actions: Vec::new(),
            hinges_on: Vec::new(),
        };
        for (request, evaluation) in evaluations {
            for matched in &evaluation.matched {
                let network = matched.hinges_on.iter().any(|h| mentions_network_key(h));
                if matched.statement == name && network {
                    if !grant.actions.contains(&request.action) {
                        grant.actions.push(request.action);
                    }
                    if grant.hinges_on.is_empty() {
                        grant.hinges_on = matched.hinges_on.clone();
                    }
                }
            }
        }
        if !grant.actions.is_empty() {
            grants.push(grant);
        }
    }
    grants
}

/// Whether the policy lets anyone read the object: its evaluation when it does, or may.
pub fn public_read(policy: &PolicyDocument, object: &str) -> Option<Evaluation> {
    // An account no policy can name: the statement must cover everyone to apply.
    let request = Request {
        principal_account: Some("anonymous"),
        ..Request::new("s3:GetObject", object)
    };
    let evaluation = evaluate(policy, PolicyKind::Resource, &request);
    let allows = evaluation.matched.iter().any(|m| m.effect == Effect::Allow);
    match evaluation.decision {
        Decision::Allowed => Some(evaluation),
        Decision::Conditional if allows => Some(evaluation),
        _ => None,
    }
}

/// A decision for evidence. A bucket policy that neither allows nor denies leaves the request
/// to the caller's IAM policy, which is not a denial.
pub fn decision_name(decision: Decision) -> Value {
    match decision {
        Decision::NotGranted => json!("no_matching_statement"),
        other => serde_json::to_value(other).unwrap_or(Value::Null),
    }
}

/// The statements that matched, one entry per statement.
pub fn matched_evidence(evaluations: &SampledEvaluations) -> Value {
    let mut entries: Vec<(String, Value)> = Vec::new();
    for (request, evaluation) in evaluations {
        let action = request.action;
        for m in &evaluation.matched {
            let decision = match (m.effect, m.is_certain()) {
                (_, false) => Decision::Conditional,
                (Effect::Deny, true) => Decision::ExplicitDeny,
                (Effect::Allow, true) => Decision::Allowed,
            };
            match entries.iter_mut().find(|(name, _)| *name == m.statement) {
                Some((_, entry)) => {
                    if let Some(actions) = entry["actions"].as_array_mut() {
                        if !actions.contains(&json!(action)) {
                            actions.push(json!(action));
                        }
                    }
                }
                None => entries.push((
                    m.statement.clone(),
                    json!({"statement": m.statement, "effect": m.effect, "decision": decision_name(decision), "actions": [action]}),
                )),
            }
        }
    }
    Value::Array(entries.into_iter().map(|(_, entry)| entry).collect())
}

#[cfg(test)]
#[path = "bucket_policy_tests.rs"]
mod tests;
