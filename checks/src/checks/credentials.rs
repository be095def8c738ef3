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

## What it cannot see
It proves that the credentials are valid and whose they are (STS GetCallerIdentity), not what
they may do: permissions are for the checks after it. On an S3-compatible endpoint without STS
it warns instead of passing.

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

## Errors this prevents
`bucket-preflight diagnose` names these; this check confirms or rules them out.
- `InvalidAccessKeyId`: cause `unknown-access-key`.
- `SignatureDoesNotMatch`: cause `wrong-secret`.
- `ExpiredToken`, `InvalidToken`: cause `expired-token`.
- `RequestTimeTooSkewed`: cause `clock-skew` (locally; Transloadit signs with its own clock).
- `S3_STORE_ACCESS_DENIED` when the store step's key or secret is wrong.

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
        let credentials = session.credentials().await;
        // A --profile that no file defines: say so, where it was looked for, and what exists.
        if let (Err(problem), Some(profile)) = (&credentials, &session.options().profile) {
            let (profiles, files) = crate::session::known_profiles().await;
            if !profiles.contains(profile) {
                let existing = if profiles.is_empty() {
                    "they define no profiles".to_owned()
                } else {
                    format!("the profiles there: {}", profiles.join(", "))
                };
                return Outcome::fail(
                    format!("profile `{profile}` was not found in {files}; {existing}"),
                    format!("Give --profile one of the profiles that exist, or create it (`aws configure --profile {profile}`)."),
                )
                .with_detail(problem.to_string())
                .with_evidence("profiles", serde_json::json!(profiles));
            }
        }
        let summary = match credentials {
            Ok(summary) => summary,
            Err(CredentialsProblem::NotFound(why)) => {
                return match &session.options().profile {
                    Some(profile) => Outcome::fail(
                        format!("no AWS credentials found for profile `{profile}`"),
                        format!("Check that the profile exists ([profile {profile}] in ~/.aws/config or [{profile}] in ~/.aws/credentials; `aws configure --profile {profile}` creates it), or drop --profile."),
                    ),
                    None => Outcome::fail("no AWS credentials found", SET_CREDENTIALS),
                }
                .with_detail(why);
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
                if !custom_endpoint && failure.status == Some(403) {
                    // GetCallerIdentity needs no permission: AWS refusing it refuses the keys.
                    return with_key(Outcome::fail(
                        format!("AWS rejected the credentials ({failure})"),
                        "Create a new access key for the IAM user the export service uses, and check it is active (IAM → Users → Security credentials).",
                    ));
                }
                if custom_endpoint && failure.kind == FailureKind::Service {
                    // S3-compatible stores rarely implement STS: the keys may still be good.
                    return with_key(Outcome::warn(
                        "credentials found, but this endpoint cannot confirm them (no STS GetCallerIdentity)",
                        "Nothing to change if the bucket checks below pass; they show whether the endpoint accepts these keys.",
                    )
                    .with_detail(failure.to_string()));
                }
                let fix = failure.fix_or(match failure.kind {
                    FailureKind::Network | FailureKind::Timeout => "Check network access to AWS STS (proxy, firewall, --endpoint-url) and run again.",
                    _ => "Run again; if it persists, check that STS is reachable and the credentials belong to this partition.",
                });
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::{Replay, ACCESS_KEY, SECRET_KEY};
    use crate::{SessionOptions, Status, Target};
    use aws_credential_types::provider::SharedCredentialsProvider;
    use aws_credential_types::Credentials;
    use std::sync::Arc;

    fn sts_error(status: u16, code: &str, message: &str) -> Replay {
        let body = format!(
            r#"<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error>
    <Type>Sender</Type>
    <Code>{code}</Code>
    <Message>{message}</Message>
  </Error>
  <RequestId>4a7f8b3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b</RequestId>
</ErrorResponse>"#
        );
        Replay::new().on(
            "POST",
            "Action=GetCallerIdentity",
            status,
            &[("content-type", "text/xml")],
            &body,
        )
    }

    async fn run(replay: Replay, options: SessionOptions) -> Outcome {
        let (session, _) = replay.session(options).await;
        let ctx = Context::online(Target::new("my-bucket"), Arc::new(session));
        CredentialsCheck.run(&ctx).await
    }

    #[tokio::test]
    async fn valid_long_lived_keys_pass_with_the_principal() {
        let outcome = run(Replay::new().identity(), SessionOptions::default()).await;
        assert_eq!(outcome.status, Status::Pass, "{outcome:?}");
        assert_eq!(
            outcome.evidence["principal_arn"],
            "arn:aws:iam::111122223333:user/exporter"
        );
        assert_eq!(outcome.evidence["account"], "111122223333");
        assert_eq!(outcome.evidence["access_key_id"], "AKID…MPLE");
        let everything = format!("{outcome:?}");
        assert!(!everything.contains(SECRET_KEY) && !everything.contains(ACCESS_KEY));
    }

    #[tokio::test]
    async fn rejected_keys_fail_with_the_code_and_a_fix() {
        for (status, code, message, needle) in [
            (403, "InvalidClientTokenId", "The security token included in the request is invalid.", "create a new access key"),
            (403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.", "Copy the secret access key again"),
            (400, "ExpiredToken", "The security token included in the request is expired", "aws sso login"),
        ] {
            let outcome = run(sts_error(status, code, message), SessionOptions::default()).await;
            assert_eq!(outcome.status, Status::Fail, "{code}: {outcome:?}");
            assert!(outcome.summary.contains(code), "{code}: {}", outcome.summary);
            assert!(outcome.remediation.as_deref().unwrap().contains(needle), "{code}: {:?}", outcome.remediation);
        }
    }

    #[tokio::test]
    async fn a_bare_403_from_aws_is_a_rejection_but_not_from_another_store() {
        let bare = || Replay::new().on("POST", "Action=GetCallerIdentity", 403, &[], "");
        assert_eq!(
            run(bare(), SessionOptions::default()).await.status,
            Status::Fail
        );
        let other_store = SessionOptions {
            endpoint_url: Some("http://127.0.0.1:9".into()),
            ..Default::default()
        };
        let outcome = run(bare(), other_store).await;
        assert_eq!(outcome.status, Status::Warn, "{outcome:?}");
        assert!(outcome.summary.contains("cannot confirm"));
    }

    #[tokio::test]
    async fn session_credentials_warn_that_they_expire() {
        let temporary = Credentials::new(
            "ASIAEXAMPLEKEY1234",
            SECRET_KEY,
            Some("session-token-value".into()),
            None,
            "test",
        );
        let options = SessionOptions {
            credentials_provider: Some(SharedCredentialsProvider::new(temporary)),
            ..Default::default()
        };
        let outcome = run(Replay::new().identity(), options).await;
        assert_eq!(outcome.status, Status::Warn);
        assert!(outcome.summary.contains("temporary credentials"));
        assert!(outcome.remediation.unwrap().contains("IAM user"));
    }

    #[tokio::test]
    async fn offline_contexts_skip() {
        let outcome = CredentialsCheck
            .run(&Context::offline(Target::new("my-bucket")))
            .await;
        assert_eq!(outcome.status, Status::Skip);
    }
}
