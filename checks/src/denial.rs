//! Reading AccessDenied answers: which permission is missing, and the policy line that adds it.

use crate::api_error::ApiFailure;

/// What S3 says about a same-account denial:
/// `User: ARN is not authorized to perform: ACTION on resource: "ARN" because no identity-based
/// policy allows the ACTION action` (or `... with an explicit deny in a resource-based policy`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    pub principal: String,
    pub action: String,
    pub resource: Option<String>,
    /// `identity-based`, `resource-based`, `session`, `permissions boundary`,
    /// `service control`, `VPC endpoint`…
    pub policy_type: Option<String>,
    pub explicit: bool,
}

impl Denial {
    pub fn parse(message: &str) -> Option<Denial> {
        let rest = message.strip_prefix("User: ")?;
        let (principal, rest) = rest.split_once(" is not authorized to perform: ")?;
        let (action, rest) = match rest.split_once(" on resource: ") {
            Some((action, rest)) => (action, Some(rest)),
            None => (rest.split_whitespace().next()?, None),
        };
        let (resource, reason) = match rest {
            Some(rest) => {
                let rest = rest.trim_start_matches('"');
                let end = rest.find(['"', ' ']).unwrap_or(rest.len());
                (Some(rest[..end].to_owned()), &rest[end..])
            }
            None => (None, message),
        };
        let explicit = reason.contains("explicit deny");
        // `… in a service control policy`, `… in an identity-based policy`, `because no
        // permissions boundary allows …`: the type ends at " policy" or " allows".
        let policy_type = if explicit {
            reason.split("explicit deny in ").nth(1).map(|r| {
                r.strip_prefix("an ")
                    .or_else(|| r.strip_prefix("a "))
                    .unwrap_or(r)
            })
        } else {
            reason.split("because no ").nth(1)
        }
        .map(|r| {
            let end = [" policy", " allows"]
                .iter()
                .filter_map(|m| r.find(m))
                .min()
                .unwrap_or(r.len());
            r[..end].trim().to_owned()
        });
        Some(Denial {
            principal: principal.to_owned(),
            action: action.trim().to_owned(),
            resource,
            policy_type,
            explicit,
        })
    }

    pub fn from_failure(failure: &ApiFailure) -> Option<Denial> {
        failure.message.as_deref().and_then(Denial::parse)
    }

    /// One sentence: which policy denies what.
    pub fn describe(&self) -> String {
        let on = self
            .resource
            .as_deref()
            .map(|r| format!(" on {r}"))
            .unwrap_or_default();
        let policy = self.policy_type.as_deref().unwrap_or("a");
        if self.explicit {
            format!(
                "{} is explicitly denied {}{on} by a {policy} policy",
                self.principal, self.action
            )
        } else {
            format!(
                "no {policy} policy allows {} {}{on}",
                self.principal, self.action
            )
        }
    }
}

/// A policy statement granting `actions` on `resource`, as one line of JSON.
pub fn allow_statement(sid: &str, actions: &[&str], resource: &str) -> String {
    let action = if actions.len() == 1 {
        serde_json::json!(actions[0])
    } else {
        serde_json::json!(actions)
    };
    serde_json::json!({ "Sid": sid, "Effect": "Allow", "Action": action, "Resource": resource })
        .to_string()
}

/// The remediation for a denied call: grant `action` on `resource`, or lift the explicit deny
/// that S3 named.
pub fn grant_remediation(action: &str, resource: &str, sid: &str, failure: &ApiFailure) -> String {
    match Denial::from_failure(failure) {
        Some(denial) if denial.explicit => format!(
            "A {} policy explicitly denies {} here: remove or narrow that Deny statement (explicit denies override every Allow).",
            denial.policy_type.as_deref().unwrap_or("matching"),
            denial.action
        ),
        _ => format!("Add to the IAM policy of the user the export service uses: {}", allow_statement(sid, &[action], resource)),
    }
}

/// The outcome when a configuration could not be read: `skip` where the endpoint lacks the
/// API, `warn` naming the permission where it was denied, `error` otherwise. Never `pass`.
pub fn unreadable(
    what: &str,
    permission: &str,
    resource: &str,
    sid: &str,
    failure: &ApiFailure,
) -> crate::Outcome {
    use crate::Outcome;
    if failure.is_not_implemented() {
        return Outcome::skip(format!(
            "{what}: not supported by this endpoint ({failure})"
        ));
    }
    if failure.is_access_denied() {
        let mut outcome = Outcome::warn(
            format!(
                "cannot read {what}: {permission} is not granted, so this could not be verified"
            ),
            grant_remediation(permission, resource, sid, failure),
        );
        if let Some(denial) = Denial::from_failure(failure) {
            outcome = outcome.with_detail(denial.describe());
        }
        return outcome.with_evidence("denied_permission", permission);
    }
    Outcome::error(
        format!("could not read {what}: {failure}"),
        failure.fix_or("Run again; if it persists, check the network path to S3 (proxy, firewall, --endpoint-url)."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_implicit_identity_denials() {
        let d = Denial::parse(r#"User: arn:aws:iam::111122223333:user/exporter is not authorized to perform: s3:ListBucket on resource: "arn:aws:s3:::my-bucket" because no identity-based policy allows the s3:ListBucket action"#).unwrap();
        assert_eq!(d.principal, "arn:aws:iam::111122223333:user/exporter");
        assert_eq!(d.action, "s3:ListBucket");
        assert_eq!(d.resource.as_deref(), Some("arn:aws:s3:::my-bucket"));
        assert_eq!(d.policy_type.as_deref(), Some("identity-based"));
        assert!(!d.explicit);
        assert_eq!(d.describe(), "no identity-based policy allows arn:aws:iam::111122223333:user/exporter s3:ListBucket on arn:aws:s3:::my-bucket");
    }

    #[test]
    fn parses_explicit_resource_denials_and_kms() {
        let d = Denial::parse(r#"User: arn:aws:sts::111122223333:assumed-role/Exporter/job is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::my-bucket/f.jpg" with an explicit deny in a resource-based policy"#).unwrap();
        assert!(d.explicit);
        assert_eq!(d.policy_type.as_deref(), Some("resource-based"));
        let d = Denial::parse(r#"User: arn:aws:iam::111122223333:user/exporter is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::my-bucket/f.jpg" with an explicit deny in an identity-based policy"#).unwrap();
        assert_eq!(d.policy_type.as_deref(), Some("identity-based"));
        let d = Denial::parse(r#"User: arn:aws:iam::111122223333:user/exporter is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::my-bucket/f.jpg" because no permissions boundary allows the s3:PutObject action"#).unwrap();
        assert_eq!(d.policy_type.as_deref(), Some("permissions boundary"));
        let kms = Denial::parse("User: arn:aws:iam::111122223333:user/exporter is not authorized to perform: kms:GenerateDataKey on resource: arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab because no identity-based policy allows the kms:GenerateDataKey action").unwrap();
        assert_eq!(kms.action, "kms:GenerateDataKey");
        assert_eq!(
            kms.resource.as_deref(),
            Some("arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab")
        );
    }

    #[test]
    fn bare_access_denied_is_not_parsed() {
        assert_eq!(Denial::parse("Access Denied"), None);
    }

    #[test]
    fn statements_are_valid_json() {
        let s = allow_statement(
            "ListExportBucket",
            &["s3:ListBucket"],
            &crate::partition::bucket_arn("aws", "b-1"),
        );
        assert_eq!(
            s,
            r#"{"Sid":"ListExportBucket","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b-1"}"#
        );
    }
}
