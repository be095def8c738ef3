//! `credentials`: credentials resolve through the standard chain and AWS accepts them.

use crate::api_error::{ApiFailure, FailureKind};
use crate::check::{Category, Check, CheckInfo};
use crate::session::{CredentialsProblem, IdentityProblem};
use crate::{Context, Outcome};
use async_trait::async_trait;

pub struct CredentialsCheck;

static INFO: CheckInfo = CheckInfo {
    id: "credentials",
    title: "Credentials resolve and are valid",
    category: Category::Identity,
    online: true,
    requires: &[],
    docs: DOCS,
};

const DOCS: &str = r#"## What it checks
Resolves credentials the way the AWS CLI and SDKs do — environment variables
(`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), the shared config and
credentials files (`--profile`, `AWS_PROFILE`, SSO, `credential_process`, assumed roles), web
identity, and container or instance roles — then asks STS `GetCallerIdentity` who they belong to.
It reports the principal ARN (the value a bucket policy's `Principal` names) and the account id.
Temporary credentials (a session token, or a key id starting with `ASIA`) get a warning. The
secret key and session token are never shown; the key id only shortened.

## Why it matters
Every other online check, and the export itself, runs as this principal. The export service
stores a key and secret in its template: credentials from an SSO session or an assumed role
expire after hours, and the exports start failing with `ExpiredToken` long after the setup
looked fine. Use long-lived access keys of a dedicated IAM user for the service, and check those.

## How to fix
- No credentials: export `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` for the IAM user the
  service will use, or pass `--profile NAME` for a profile in `~/.aws/credentials`.
- `InvalidClientTokenId`: the key id does not exist (deleted, mistyped, or from another
  partition); create a new access key for the user.
- `SignatureDoesNotMatch`: the secret does not belong to the key id; copy the secret again
  (watch for trailing spaces) or create a new access key.
- `ExpiredToken`: refresh the session (`aws sso login`), and give the service long-lived keys.
- Temporary credentials: create an access key for a dedicated IAM user (IAM → Users → Security
  credentials → Create access key) and use that in the store step.

## References
- Credential provider chain: https://docs.aws.amazon.com/sdkref/latest/guide/standardized-credentials.html
- GetCallerIdentity: https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html
- Managing access keys: https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html
"#;

const SET_CREDENTIALS: &str = "Export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for the IAM user the export service will use, or pass --profile NAME for a profile in ~/.aws/credentials (SSO profiles: run `aws sso login --profile NAME` first).";

fn rejected(failure: &ApiFailure) -> Option<Outcome> {
    let (summary, fix) = match failure.code.as_deref()? {
        "InvalidClientTokenId" => (
            "AWS does not recognise the access key id (InvalidClientTokenId)",
            "The key was deleted, mistyped, or belongs to another partition: create a new access key for the IAM user (IAM → Users → Security credentials) and use it.",
        ),
        "SignatureDoesNotMatch" => (
            "the secret access key does not match the access key id (SignatureDoesNotMatch)",
            "Copy the secret access key again (without surrounding spaces), or create a new access key pair.",
        ),
        "ExpiredToken" | "ExpiredTokenException" | "RequestExpired" => (
            "the credentials have expired (ExpiredToken)",
            "Refresh the session (for SSO: `aws sso login`), and give the export service long-lived access keys of an IAM user instead of session credentials.",
        ),
        "InvalidAccessKeyId" => (
            "the access key id is not valid here (InvalidAccessKeyId)",
            "Use an access key issued for this account and endpoint.",
        ),
        _ => return None,
    };
    Some(Outcome::fail(summary, fix).with_detail(failure.to_string()))
}

#[async_trait]
impl Check for CredentialsCheck {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    async fn run(&self, ctx: &Context) -> Outcome {
        let Some(session) = ctx.session() else {
            return Outcome::skip("not run offline");
        };
        let summary = match session.credentials().await {
            Ok(summary) => summary,
            Err(CredentialsProblem::NotFound(why)) => {
                return Outcome::fail("no AWS credentials found", SET_CREDENTIALS).with_detail(why);
            }
            Err(problem) => return Outcome::fail(problem.to_string(), SET_CREDENTIALS),
        };
        let with_key = |o: Outcome| {
            let o = o
                .with_evidence("access_key_id", summary.access_key_hint.as_str())
                .with_evidence("temporary", summary.temporary);
            match &summary.expires {
                Some(expires) => o.with_evidence("expires", expires.as_str()),
                None => o,
            }
        };
        let identity = match session.identity().await {
            Ok(identity) => identity,
            Err(IdentityProblem::Credentials(problem)) => {
                return with_key(Outcome::fail(problem.to_string(), SET_CREDENTIALS))
            }
            Err(IdentityProblem::Api(failure)) => {
                if let Some(outcome) = rejected(&failure) {
                    return with_key(outcome);
                }
                let custom_endpoint = session.options().endpoint_url.is_some();
                if custom_endpoint && failure.kind == FailureKind::Service {
                    // S3-compatible stores rarely implement STS: the keys may still be good.
                    return with_key(Outcome::warn(
                        "credentials found, but this endpoint cannot confirm them (no STS GetCallerIdentity)",
                        "Nothing to change if the bucket checks below pass; they show whether the endpoint accepts these keys.",
                    )
                    .with_detail(failure.to_string()));
                }
                let fix = match failure.kind {
                    FailureKind::Network | FailureKind::Timeout => "Check network access to AWS STS (proxy, firewall, --endpoint-url) and run again.",
                    _ => "Run again; if it persists, check that STS is reachable and the credentials belong to this partition.",
                };
                return with_key(Outcome::error(
                    format!("could not verify the credentials: {failure}"),
                    fix,
                ));
            }
        };
        let outcome = if summary.temporary {
            Outcome::warn(
                format!("temporary credentials of {}: keys stored in a template from them stop working when they expire", identity.arn),
                "Give the export service long-lived access keys of a dedicated IAM user (IAM → Users → Security credentials → Create access key), and check with those.",
            )
        } else {
            Outcome::pass(format!("authenticated as {}", identity.arn))
        };
        with_key(outcome)
            .with_evidence("principal_arn", identity.arn.as_str())
            .with_evidence("account", identity.account.as_str())
            .with_evidence("user_id", identity.user_id.as_str())
    }
}
