//! The words of `bucket-policy`: what it says about each statement that denies, or may deny,
//! the export's requests, and the fix it names.

use super::Export;
use crate::iam::bucket_policy::{
    conditions_on_conditional_writes, demanded_sse, evaluate_bucket_policy,
    network_conditioned_grants, sse_candidates, statement_denial, SampledEvaluations, ACL_KEY,
    KMS_KEY_ID_KEY, SSE_VALUES,
};
use crate::iam::policy::{Condition, Statement};
use crate::iam::{ExportShape, PolicyDocument};
use crate::{Acl, Findings};

/// Whether the statement lets the export's requests through once PutObject carries
/// `If-None-Match: *` (as the dry-run probe's does).
pub(super) fn resolves_with_if_none_match(export: &Export, statement: &str) -> bool {
    let shape = ExportShape {
        if_none_match: true,
        ..export.shape.clone()
    };
    !certainly_denies(&evaluate_bucket_policy(export.policy, &shape), statement)
}

/// Whether `statement` certainly denies some request of these evaluations.
pub(super) fn certainly_denies(evaluations: &SampledEvaluations, statement: &str) -> bool {
    let denial = statement_denial(evaluations, statement);
    !denial.always.is_empty() || !denial.for_some_files.is_empty()
}

pub(super) fn keys_conditions<'s>(statement: &'s Statement, key: &str) -> Vec<&'s Condition> {
    statement
        .conditions
        .iter()
        .filter(|condition| condition.key.eq_ignore_ascii_case(key))
        .collect()
}

/// The statement's conditions as written, for sentences: `Null s3:x-amz-... = true`.
pub(super) fn describe_conditions(statement: &Statement) -> String {
    statement
        .conditions
        .iter()
        .map(|c| format!("{} {} = {}", c.operator, c.key, c.values.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}

pub(super) fn acl_phrase(acl: Option<&str>) -> String {
    match acl {
        Some(header) => format!("x-amz-acl: {header}"),
        None => "no x-amz-acl header".to_owned(),
    }
}

/// What the check found about one Deny statement that certainly matches.
pub(super) fn certain_denial(
    export: &Export,
    statement: &Statement,
    actions: &[&str],
    acl: Acl,
    findings: &mut Findings,
) {
    let label = statement.label();
    let name = statement.name();
    let header = acl.canned_header();
    let actions = actions.join(", ");
    let resolves =
        |acl: Option<&str>, sse: Option<&str>| !certainly_denies(&export.evaluate(acl, sse), &name);
    // A conditional-write requirement: the export sends no If-None-Match (the probe does).
    if conditions_on_conditional_writes(statement) && resolves_with_if_none_match(export, &name) {
        findings.fail(
            format!("{label} denies {actions} unless the upload sends a conditional-write header (If-None-Match), and Transloadit's upload sends none; the dry run sends If-None-Match: *, so its success cannot stand for the export"),
            format!("Remove {label} from the bucket policy, or exempt the export user by adding {} to its Condition: the export service cannot send conditional-write headers.", export.exemption()),
        );
        return;
    }
    // Plain HTTP to a custom endpoint, where the policy demands TLS.
    if !export.shape.secure_transport
        && !keys_conditions(statement, "aws:SecureTransport").is_empty()
    {
        findings.fail(
            format!("{label} denies {actions} over plain HTTP ({}), and the export reaches the bucket through an http:// endpoint", describe_conditions(statement)),
            "Give the store step an https:// `host` (Transloadit uses plain HTTP unless `host` starts with https://), so that its requests arrive over TLS.",
        );
        return;
    }
    // An encryption header the store step could send.
    let sse_values: Vec<&str> = sse_candidates(export.policy)
        .into_iter()
        .filter(|value| resolves(header, Some(value)))
        .collect();
    if let Some(value) = sse_values.first() {
        let others = match sse_values.len() {
            1 => String::new(),
            n if n == SSE_VALUES.len() => " (or any other value)".to_owned(),
            _ => format!(" (or {})", sse_values[1..].join(", ")),
        };
        let kms = if value.starts_with("aws:kms") {
            " With SSE-KMS the export user also needs kms:GenerateDataKey on the key (see the encryption check)."
        } else {
            ""
        };
        match export.shape.sse {
            Some(sent) => findings.fail(
                format!("{label} denies {actions}: the policy requires uploads to send x-amz-server-side-encryption: {value}{others}, and the store step's `headers` send x-amz-server-side-encryption: {sent}"),
                format!(r#"Set "x-amz-server-side-encryption": "{value}" in the store step's `headers`; the dry run sends the step's header as given.{kms}"#),
            ),
            None => findings.fail(
                format!("{label} denies {actions}: the policy requires uploads to send x-amz-server-side-encryption: {value}{others}, and the store step sends no such header"),
                format!(r#"Add "headers": {{"x-amz-server-side-encryption": "{value}"}} to the store step (keeping any headers it already sets); the dry run sends this header too.{kms}"#),
            ),
        }
        return;
    }
    // A KMS key the upload must name.
    let key_conditions = keys_conditions(statement, KMS_KEY_ID_KEY);
    if !key_conditions.is_empty() {
        let key = key_conditions
            .iter()
            .flat_map(|c| &c.values)
            .find(|value| value.starts_with("arn:"))
            .map_or("KEY-ARN", String::as_str);
        if let Some(sent) = export.shape.sse_kms_key {
            findings.fail(
                format!("{label} denies {actions}: the policy requires uploads to name another KMS key in x-amz-server-side-encryption-aws-kms-key-id than the store step's {sent}"),
                format!(r#"Set "x-amz-server-side-encryption-aws-kms-key-id": "{key}" in the store step's `headers`; the export user also needs kms:GenerateDataKey on that key."#),
            );
            return;
        }
        findings.fail(
            format!("{label} denies {actions}: the policy requires uploads to name their KMS key in x-amz-server-side-encryption-aws-kms-key-id, and the store step sends no such header"),
            format!(r#"Add "headers": {{"x-amz-server-side-encryption": "aws:kms", "x-amz-server-side-encryption-aws-kms-key-id": "{key}"}} to the store step (keeping any headers it already sets); the export user also needs kms:GenerateDataKey on that key."#),
        );
        return;
    }
    // Another `acl` setting the policy accepts.
    let demanded = demanded_sse(export.policy);
    let alternative = [Acl::BucketDefault, Acl::Private, Acl::Public]
        .into_iter()
        .filter(|other| other.canned_header() != header)
        .find(|other| resolves(other.canned_header(), demanded.as_deref()));
    if let Some(other) = alternative {
        findings.fail(
            format!(
                "{label} denies {actions} with {} (sent for `acl: {acl}`)",
                acl_phrase(header)
            ),
            format!(
                "Set `acl: {other}` in the store step: the policy accepts uploads with {}.",
                acl_phrase(other.canned_header())
            ),
        );
        return;
    }
    let exemption = export.exemption();
    let acl_conditions = keys_conditions(statement, ACL_KEY);
    if !acl_conditions.is_empty() {
        let values: Vec<&str> = acl_conditions
            .iter()
            .flat_map(|c| c.values.iter().map(String::as_str))
            .collect();
        findings.fail(
            format!(
                "{label} denies {actions} unless x-amz-acl meets its condition ({}), which no `acl` setting of the store step satisfies (it sends public-read, private or no header)",
                values.join(", ")
            ),
            format!("Remove {label} from the bucket policy, or exempt the export user by adding {exemption} to its Condition. (A required bucket-owner-full-control is not needed once Object Ownership is BucketOwnerEnforced: the bucket owner then owns every object.)"),
        );
        return;
    }
    let conditions = if statement.conditions.is_empty() {
        String::new()
    } else {
        format!(" (Condition: {})", describe_conditions(statement))
    };
    let caller = export
        .caller
        .arn
        .as_deref()
        .unwrap_or("the export's credentials");
    findings.fail(
        format!("{label} explicitly denies {actions} to {caller}{conditions}"),
        format!("Remove or narrow {label} so that it does not match the export's requests, or exempt the export user by adding {exemption} to its Condition: an explicit Deny overrides every Allow."),
    );
}

/// What the check found about one Deny statement that matches depending on something unknown.
pub(super) fn possible_denial(
    export: &Export,
    statement: &Statement,
    actions: &[&str],
    hinges: &[String],
    findings: &mut Findings,
) {
    let label = statement.label();
    let exemption = export.exemption();
    let operator_is = |condition: &Condition, prefixes: &[&str]| {
        let operator = condition.operator.to_ascii_lowercase();
        prefixes.iter().any(|prefix| operator.starts_with(prefix))
    };
    let first = |key: &str, prefixes: &[&str]| {
        keys_conditions(statement, key)
            .into_iter()
            .find(|condition| operator_is(condition, prefixes))
            .map(|condition| condition.values.join(", "))
    };
    if let Some(addresses) = first("aws:SourceIp", &["notipaddress"]) {
        findings.warn(
            format!("uploads are denied unless they come from {addresses} ({label}): the export service's addresses must be in that list"),
            format!("Add the export service's outgoing IP addresses to the aws:SourceIp list of {label}, or exempt the export user by adding {exemption} to its Condition."),
        );
    } else if let Some(endpoints) = first("aws:sourceVpce", &["stringnot"]) {
        findings.warn(
            format!("uploads are denied unless they come through VPC endpoint {endpoints} ({label}): an external export service cannot use your VPC endpoint"),
            format!("Exempt the export user from {label} by adding {exemption} to its Condition."),
        );
    } else if let Some(addresses) = first("aws:VpcSourceIp", &["notipaddress"]) {
        findings.warn(
            format!("uploads are denied unless they come from {addresses} inside a VPC ({label}): an external export service does not reach S3 through your VPC"),
            format!("Exempt the export user from {label} by adding {exemption} to its Condition."),
        );
    } else if let Some(vpcs) = first("aws:SourceVpc", &["stringnot"]) {
        findings.warn(
            format!("uploads are denied unless they come from VPC {vpcs} ({label}): an external export service is not in your VPC"),
            format!("Exempt the export user from {label} by adding {exemption} to its Condition."),
        );
    } else {
        findings.warn(
            format!(
                "{} may be denied: {label} denies it if {}",
                actions.join(", "),
                hinges.join(" and ")
            ),
            format!("Make sure the export's requests never meet that condition, or exempt the export user from {label} by adding {exemption} to its Condition."),
        );
    }
}

/// How sentences name a statement given by its evaluation name (Sid or `#index`).
pub(super) fn label_of(name: &str) -> String {
    if name.starts_with('#') {
        format!("statement {name}")
    } else {
        format!("statement {name:?}")
    }
}

/// Allow statements that grant the export's requests only from some network: if the export
/// user relies on them (another account, or an IAM policy that does not grant the action), the
/// upload from the export service's network is refused while a probe from here may succeed.
pub(super) fn network_conditioned_allows(
    policy: &PolicyDocument,
    evaluations: &SampledEvaluations,
    findings: &mut Findings,
) {
    for grant in network_conditioned_grants(policy, evaluations) {
        findings.warn(
            format!(
                "{} grants {} only if {}: the export service's requests come from its own network, so this grant may not apply to them",
                grant.label,
                grant.actions.join(", "),
                grant.hinges_on.join(" and ")
            ),
            "If the export user relies on this grant (a user from another account, or an IAM policy that does not grant these actions), add the export service's addresses to the condition, or grant the export user without it.",
        );
    }
}

/// A Deny statement that certainly denies some files' uploads and not others'.
pub(super) fn file_name_denial(
    export: &Export,
    statement: &Statement,
    actions: &[&str],
    keys: Option<&(String, String)>,
    findings: &mut Findings,
) {
    let label = statement.label();
    let example = keys
        .map(|(denied, spared)| format!(" (denied: {denied}; not denied: {spared})"))
        .unwrap_or_default();
    findings.warn(
        format!(
            "{label} denies {} for some files, depending on the file name or extension{example}",
            actions.join(", ")
        ),
        format!("Make sure the files this export writes never match {label}, or narrow it (or exempt the export user by adding {} to its Condition).", export.exemption()),
    );
}
