//! `policy`: the least-privilege policy one export needs, as JSON or Terraform.
//!
//! stdout carries exactly the document, so it can be piped into `aws iam put-user-policy` or a
//! file; every explanation goes to stderr.

use crate::cli::{PolicyArgs, PolicyFormat};
use preflight::iam::{
    evaluate, grants, minimal_policy, required_actions, validate_policy, Decision, PolicyKind,
    PolicyRequest, PolicyTarget, Request,
};
use preflight::{Context, Session, Target};
use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// How long reading the bucket's default encryption may take before the policy is printed
/// without it.
const ENCRYPTION_LOOKUP_LIMIT: Duration = Duration::from_secs(5);

pub async fn run(args: PolicyArgs) -> ExitCode {
    if let Err(message) = args.aws.validate_environment() {
        return crate::bad_input(&message);
    }
    if let Some(Err(message)) = args.kms_key.as_deref().map(kms_key_arn) {
        return crate::bad_input(&message);
    }
    let store = &args.store;
    let mut target = Target::new(args.bucket.clone());
    target.acl = store.acl;
    target.bucket_region = store.bucket_region.clone();
    target.path = store.path.clone();
    target.endpoint = args.aws.endpoint();
    target.headers = store.header.clone();
    target.tags = store.tag.clone();
    target.sign_urls_for = store.sign_urls_for;
    target.check_integrity = store.check_integrity;
    if let Err(message) = store.validate_tags() {
        return crate::bad_input(&message);
    }
    let from_step = PolicyRequest::of_target(&target);

    let kms_key = match &args.kms_key {
        Some(key) => Some(key.clone()),
        // A key the step names in its headers is the one uploads use, whatever the default.
        None if from_step.kms_key_arn.is_some() => from_step.kms_key_arn.map(str::to_owned),
        None if args.offline => None,
        None => detect_kms_key(&args, &target).await,
    };
    let request = PolicyRequest {
        tags: args.tags || from_step.tags,
        import: args.import || from_step.import,
        kms_key_arn: kms_key.as_deref(),
        principal: args.principal.as_deref(),
        ..from_step
    };
    let policy = minimal_policy(&request);
    if let Err(problem) = self_test(&policy, &request) {
        eprintln!("error: internal: the generated policy {problem}; please report this");
        return ExitCode::FAILURE;
    }
    explain(&target, &request);
    let json = serde_json::to_string_pretty(&policy).expect("a policy serialises");
    let out = match args.format {
        PolicyFormat::Json => json + "\n",
        PolicyFormat::Terraform => terraform(&target, args.principal.is_some(), &json),
    };
    let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), out.as_bytes());
    ExitCode::SUCCESS
}

/// The policy just generated must be one AWS saves as written (the grammar `policy-document`
/// checks) and must allow every request the export makes.
fn self_test(policy: &serde_json::Value, request: &PolicyRequest) -> Result<(), String> {
    let document = preflight::iam::parse_policy(&policy.to_string())
        .map_err(|e| format!("is unparseable ({e})"))?;
    let kind = if request.principal.is_some() {
        PolicyKind::Resource
    } else {
        PolicyKind::Identity
    };
    let grammar = validate_policy(
        &document,
        &PolicyTarget {
            kind,
            bucket: request.bucket,
            partition: request.partition,
        },
    );
    if let Some(finding) = grammar.first() {
        return Err(format!("breaks a policy rule: {}", finding.sentence()));
    }
    let context = BTreeMap::new();
    for need in required_actions(request) {
        let evaluation = evaluate(
            &document,
            kind,
            &Request {
                principal_arn: request.principal,
                context: &context,
                ..Request::new(need.action, &need.resource)
            },
        );
        if evaluation.decision != Decision::Allowed {
            return Err(format!(
                "does not allow {} on {}",
                need.action, need.resource
            ));
        }
    }
    Ok(())
}

/// `--kms-key` must be a key ARN (`arn:aws:kms:REGION:ACCOUNT:key/ID`): IAM refuses a Resource
/// that is not an ARN, and an alias ARN does not grant use of the key it points to.
fn kms_key_arn(key: &str) -> Result<(), String> {
    let parts: Vec<&str> = key.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", partition, "kms", region, account, resource]
            if !partition.is_empty()
                && !region.is_empty()
                && account.len() == 12
                && account.bytes().all(|b| b.is_ascii_digit())
                && resource.len() > "key/".len()
                && resource.starts_with("key/") =>
        {
            Ok(())
        }
        _ => Err(format!(
            "--kms-key {key:?} is not a KMS key ARN: give the key's ARN, e.g. arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab (an alias or key id cannot be granted in a policy)"
        )),
    }
}

/// Reads the bucket's default encryption, when credentials allow, for the KMS statement.
async fn detect_kms_key(args: &PolicyArgs, target: &Target) -> Option<String> {
    let session = Arc::new(Session::new(args.aws.session_options()).await);
    let ctx = Context::online(target.clone(), session);
    let lookup = tokio::time::timeout(ENCRYPTION_LOOKUP_LIMIT, ctx.encryption()).await;
    let encryption = match lookup {
        Err(_) => {
            eprintln!("note: reading the bucket's default encryption took too long; if it uses SSE-KMS, pass --kms-key ARN");
            return None;
        }
        Ok(Err(failure)) => {
            eprintln!("note: could not read the bucket's default encryption ({failure}); if it uses SSE-KMS, pass --kms-key ARN");
            return None;
        }
        Ok(Ok(encryption)) => encryption,
    };
    match encryption {
        Some(e) if e.algorithm.starts_with("aws:kms") => match &e.kms_key {
            Some(key) if key.starts_with("arn:") && !key.contains(":alias/") => {
                eprintln!("note: the bucket encrypts with SSE-KMS key {key} (read with GetBucketEncryption): the policy includes it");
                Some(key.clone())
            }
            Some(key) => {
                eprintln!("note: the bucket encrypts with SSE-KMS key `{key}`, not given as a key ARN: pass --kms-key with the key's ARN to include it");
                None
            }
            None => {
                eprintln!("note: the bucket encrypts with the AWS managed key aws/s3: a writer in the bucket's own account needs no KMS statement, one from another account cannot use that key");
                None
            }
        },
        _ => {
            eprintln!("note: the bucket's default encryption needs no KMS permissions");
            None
        }
    }
}

fn explain(target: &Target, request: &PolicyRequest) {
    let kind = if request.principal.is_some() {
        "bucket policy"
    } else {
        "identity policy for the export user"
    };
    eprintln!(
        "Least-privilege {kind} for exports to s3://{} (acl {}, path {}):",
        target.bucket, target.acl, target.path
    );
    // The patterns the policy grants, so the notes say what stdout says (`exports/*`).
    for (action, resource) in grants(request) {
        eprintln!("  {action} on {resource}");
    }
    if request.needs_location {
        eprintln!("Set bucket_region in the template to drop s3:GetBucketLocation.");
    }
    if let (Some(key), Some(principal)) = (request.kms_key_arn, request.principal) {
        eprintln!("KMS permissions cannot be granted in a bucket policy: allow kms:GenerateDataKey and kms:Decrypt on {key} for {principal} in the key policy.");
    }
    if request.tags {
        eprintln!("Uploads send object tags (x-amz-tagging), hence s3:PutObjectTagging.");
    }
    if let Some(seconds) = target.sign_urls_for {
        eprintln!("sign_urls_for: {seconds} makes result URLs GETs signed with the export's credentials, hence s3:GetObject.");
    }
    if request.acl_header {
        eprintln!(
            "acl: {} sends an ACL header, hence s3:PutObjectAcl; acl: bucket-default needs none.",
            target.acl
        );
    }
}

fn terraform(target: &Target, bucket_policy: bool, json: &str) -> String {
    let name: String = target
        .bucket
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let header = format!(
        "# Generated by bucket-preflight {} for exports to s3://{} (acl {}).\n",
        env!("CARGO_PKG_VERSION"),
        target.bucket,
        target.acl
    );
    if bucket_policy {
        format!("{header}resource \"aws_s3_bucket_policy\" \"{name}_export\" {{\n  bucket = \"{}\"\n  policy = <<-POLICY\n{json}\n  POLICY\n}}\n", target.bucket)
    } else {
        format!(
            "{header}resource \"aws_iam_policy\" \"{name}_export\" {{\n  name        = \"{}-export\"\n  description = \"Lets the export service write to s3://{}\"\n  policy      = <<-POLICY\n{json}\n  POLICY\n}}\n",
            target.bucket.replace('.', "-"),
            target.bucket
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use preflight::checks::bucket_name::violations;
    use proptest::prelude::*;

    const PRINCIPAL: &str = "arn:aws:iam::111122223333:user/exporter";

    /// Names S3 accepts, dotted and hyphenated ones included.
    fn valid_bucket_name() -> impl Strategy<Value = String> {
        "[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]"
            .prop_filter("a valid bucket name", |name| violations(name).is_empty())
    }

    proptest! {
        /// What `policy` prints, for any valid bucket, partition, kind and option, is a policy
        /// AWS saves as written and that allows every request of the export.
        #[test]
        fn every_printed_policy_passes_the_grammar_aws_enforces(
            bucket in valid_bucket_name(),
            partition in prop::sample::select(vec!["aws", "aws-cn", "aws-us-gov"]),
            prefix in prop::sample::select(vec!["", "exports/", "a.b-c/2024/"]),
            bucket_policy: bool,
            needs_location: bool,
            acl_header: bool,
            tags: bool,
            import: bool,
            kms: bool,
        ) {
            let key = format!("arn:{partition}:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab");
            let principal = PRINCIPAL.replace("arn:aws:", &format!("arn:{partition}:"));
            let request = PolicyRequest {
                partition,
                needs_location,
                acl_header,
                tags,
                import,
                kms_key_arn: kms.then_some(key.as_str()),
                principal: bucket_policy.then_some(principal.as_str()),
                ..PolicyRequest::new(&bucket, prefix)
            };
            let policy = minimal_policy(&request);
            prop_assert_eq!(self_test(&policy, &request), Ok(()), "{}", policy);
        }
    }

    #[test]
    fn the_self_test_catches_a_policy_aws_would_refuse() {
        let request = PolicyRequest::new("my-bucket", "");
        let mut policy = minimal_policy(&request);
        policy["Statement"][0]["Sid"] = "List-my-bucket".into();
        let problem = self_test(&policy, &request).unwrap_err();
        assert!(
            problem.contains(r#"statement "List-my-bucket" (#1): its Sid contains '-'"#),
            "{problem}"
        );
    }
}
