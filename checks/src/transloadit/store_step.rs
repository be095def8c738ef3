//! One storage step's parameters turned into what the checks need: the bucket, where requests
//! go, the upload's acl, path and headers, and whose credentials. `${fields.NAME}` is
//! substituted from `--field`; any other variable in a value that decides the target cannot be
//! known before the Assembly runs, and is refused with the way to supply it.

use super::robots::{DefaultEndpoint, StorageRobot};
use super::templates::Step;
use crate::target::{Acl, Target, DEFAULT_PATH};
use serde_json::Value;
use std::collections::BTreeMap;

/// Whose keys the step uses.
#[derive(Clone, PartialEq, Eq)]
pub enum StepCredentials {
    /// No `credentials`, no `key`: Transloadit would refuse the step; the checks use the
    /// local default chain.
    None,
    /// The name of a Template Credential, held by Transloadit, not in the file.
    Named(String),
    /// `key`/`secret` written into the step.
    Inline(InlineKeys),
}

/// Keys written into a step. Never printed: `Debug` hides them.
#[derive(Clone, PartialEq, Eq)]
pub struct InlineKeys {
    pub key: String,
    pub secret: String,
    pub session_token: Option<String>,
}

impl std::fmt::Debug for InlineKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InlineKeys { .. }")
    }
}

impl std::fmt::Debug for StepCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StepCredentials::None => f.write_str("None"),
            StepCredentials::Named(name) => write!(f, "Named({name:?})"),
            StepCredentials::Inline(keys) => write!(f, "Inline({keys:?})"),
        }
    }
}

impl InlineKeys {
    /// The keys as the SDK takes them, for [`crate::SessionOptions::credentials_provider`]:
    /// the online checks then run as the identity Transloadit will use.
    pub fn provider(&self) -> aws_credential_types::provider::SharedCredentialsProvider {
        aws_credential_types::provider::SharedCredentialsProvider::new(
            aws_credential_types::Credentials::new(
                &self.key,
                &self.secret,
                self.session_token.clone(),
                None,
                "the store step's inline key and secret",
            ),
        )
    }

    /// The strings no output may contain.
    pub fn secrets(&self) -> Vec<String> {
        [
            Some(&self.key),
            Some(&self.secret),
            self.session_token.as_ref(),
        ]
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .cloned()
        .collect()
    }
}

/// A storage step, resolved.
#[derive(Debug, Clone)]
pub struct StoreStep {
    /// The step's label (`STEP` or `TEMPLATE/STEP`).
    pub step: String,
    pub robot: &'static StorageRobot,
    /// The target the step describes; `endpoint_source` says it came from the step.
    pub target: Target,
    /// `no_vhost`, or the Robot's need for path-style addressing.
    pub path_style: bool,
    pub credentials: StepCredentials,
    /// Things the user should know: unknown parameters, inline keys, defaults assumed.
    pub warnings: Vec<String>,
}

/// Why a step cannot become a target.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("step `{step}` ({robot}): {message}")]
pub struct StepError {
    pub step: String,
    pub robot: String,
    pub message: String,
}

/// Parameters whose value decides which bucket, store or identity is checked.
fn decides_target(robot: &StorageRobot, param: &str) -> bool {
    param == robot.bucket_param
        || Some(param) == robot.region_param
        || matches!(
            param,
            "host" | "credentials" | "key" | "secret" | "session_token" | "acl"
        )
}

/// Substitutes `${fields.NAME}` with the given fields; other variables stay.
pub fn substitute_fields(value: &str, fields: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let name = after[..end].trim();
        match name
            .strip_prefix("fields.")
            .and_then(|field| fields.get(field))
        {
            Some(given) => out.push_str(given),
            None => out.push_str(&rest[start..start + 2 + end + 1]),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// The first variable left in `value`, if any.
fn first_variable(value: &str) -> Option<&str> {
    let start = value.find("${")?;
    let after = &value[start + 2..];
    Some(after[..after.find('}').unwrap_or(after.len())].trim())
}

/// Resolves `step` (a storage step) with `fields` substituted.
pub fn resolve(step: &Step, fields: &BTreeMap<String, String>) -> Result<StoreStep, StepError> {
    let robot = step
        .storage_robot()
        .expect("resolve is given storage steps");
    let fail = |message: String| StepError {
        step: step.label(),
        robot: robot.name.to_owned(),
        message,
    };
    let mut warnings = Vec::new();
    let unknown: Vec<&str> = step
        .params
        .keys()
        .map(String::as_str)
        .filter(|p| !robot.knows(p))
        .collect();
    if !unknown.is_empty() {
        warnings.push(format!(
            "step `{}` ({}) has parameters {} does not know: {}; Transloadit rejects unknown parameters (accepted: {})",
            step.label(),
            robot.name,
            robot.name,
            unknown.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", "),
            robot.params.join(", ")
        ));
    }
    // A string parameter, fields substituted; variables refused where they decide the target.
    let text = |param: &str| -> Result<Option<String>, StepError> {
        let Some(value) = step.params.get(param) else {
            return Ok(None);
        };
        let raw = match value {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Null => return Ok(None),
            _ => return Err(fail(format!("`{param}` must be a string"))),
        };
        let value = substitute_fields(&raw, fields);
        if decides_target(robot, param) {
            if let Some(variable) = first_variable(&value) {
                let how = match variable.strip_prefix("fields.") {
                    Some(field) => format!("supply it with --field {field}=VALUE"),
                    None => "give the value in a copy of the file (or write it as `${fields.NAME}` and pass --field NAME=VALUE)".to_owned(),
                };
                return Err(fail(format!("`{param}` is `{raw}`: `${{{variable}}}` is only known when the Assembly runs, and it decides what is checked; {how}")));
            }
        }
        Ok(Some(value))
    };
    let flag = |param: &str| -> Result<bool, StepError> {
        match step.params.get(param) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(Value::String(s)) if s == "true" || s == "false" => Ok(s == "true"),
            Some(_) => Err(fail(format!("`{param}` must be true or false"))),
        }
    };
    let pairs = |param: &str| -> Result<Vec<(String, String)>, StepError> {
        match step.params.get(param) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Object(map)) => map
                .iter()
                .map(|(k, v)| match v {
                    Value::String(s) => Ok((k.clone(), substitute_fields(s, fields))),
                    Value::Number(n) => Ok((k.clone(), n.to_string())),
                    _ => Err(fail(format!("`{param}.{k}` must be a string"))),
                })
                .collect(),
            Some(_) => Err(fail(format!(
                "`{param}` must be an object of names and values"
            ))),
        }
    };

    let credentials_name = text("credentials")?;
    let Some(bucket) = text(robot.bucket_param)?.filter(|b| !b.is_empty()) else {
        let held = match &credentials_name {
            Some(name) => format!(
                "it is held by the Template Credentials `{name}`, which are not in this file"
            ),
            None => "Transloadit would refuse the step".to_owned(),
        };
        return Err(fail(format!(
            "no `{}`: {held}; add `\"{}\": \"NAME\"` to the step in a copy of the file, or check the bucket directly with `bucket-preflight check BUCKET`",
            robot.bucket_param, robot.bucket_param
        )));
    };
    let region = text(robot.region_param.unwrap_or("bucket_region"))?.filter(|r| !r.is_empty());
    let host = text("host")?;
    let endpoint = robot
        .endpoint(host.as_deref(), region.as_deref())
        .map_err(&fail)?;

    let acl = match text("acl")? {
        Some(given) if !robot.acls.contains(&given.as_str()) => {
            let accepted = if robot.acls.is_empty() {
                format!(
                    "{} has no `acl` parameter: the bucket's own settings decide",
                    robot.name
                )
            } else {
                format!("{} accepts {}", robot.name, robot.acls.join(", "))
            };
            return Err(fail(format!("`acl: {given}` is not allowed: {accepted}")));
        }
        Some(given) => given.parse::<Acl>().map_err(&fail)?,
        None => match robot.default_acl() {
            Some(default) => default.parse::<Acl>().map_err(&fail)?,
            // No acl parameter: no ACL header is sent, as with `bucket-default`.
            None => Acl::BucketDefault,
        },
    };
    let path = match step.params.get("path") {
        None | Some(Value::Null) => DEFAULT_PATH.to_owned(),
        Some(Value::String(p)) => substitute_fields(p, fields),
        Some(_) => return Err(fail("`path` must be a string".to_owned())),
    };
    // Stores reached at an account's own host (MinIO, Supabase, R2) are addressed path-style:
    // Supabase's endpoint has a path, and a MinIO host is often an IP address.
    let path_style = flag("no_vhost")? || robot.endpoint == DefaultEndpoint::HostRequired;
    let url_prefix = match text("url_prefix")? {
        Some(prefix) => Some(prefix),
        None => {
            robot.default_url_prefix(&bucket, region.as_deref(), endpoint.as_deref(), path_style)
        }
    };
    let sign_urls_for =
        match step.params.get("sign_urls_for") {
            None | Some(Value::Null) => None,
            Some(value) => Some(value.as_u64().ok_or_else(|| {
                fail("`sign_urls_for` must be a whole number of seconds".to_owned())
            })?),
        };

    let credentials = match (text("key")?, text("secret")?) {
        (Some(key), Some(secret)) => {
            warnings.push(format!(
                "step `{}` holds its key and secret inline: anyone who can read the Template can use them; store them as Template Credentials and name those with `credentials` instead",
                step.label()
            ));
            StepCredentials::Inline(InlineKeys {
                key,
                secret,
                session_token: text("session_token")?,
            })
        }
        (Some(_), None) | (None, Some(_)) => {
            return Err(fail(
                "has only one of `key` and `secret`: Transloadit needs both".to_owned(),
            ))
        }
        (None, None) => match credentials_name {
            Some(name) => StepCredentials::Named(name),
            None => StepCredentials::None,
        },
    };

    let mut target = Target::new(bucket);
    target.acl = acl;
    // DigitalOcean's `region` names the endpoint, not an AWS region.
    target.bucket_region = if robot.region_param == Some("bucket_region") {
        region
    } else {
        None
    };
    target.path = path;
    target.url_prefix = url_prefix;
    target.endpoint_source = endpoint.as_ref().map(|_| match &host {
        Some(_) => format!("`host` of step `{}` ({})", step.label(), robot.name),
        None => format!(
            "the {} endpoint of step `{}` ({})",
            robot.service,
            step.label(),
            robot.name
        ),
    });
    target.sts_endpoint = endpoint.clone();
    target.endpoint = endpoint;
    target.headers = pairs("headers")?;
    target.tags = pairs("tags")?;
    target.sign_urls_for = sign_urls_for;
    target.check_integrity = flag("check_integrity")?;
    Ok(StoreStep {
        step: step.label(),
        robot,
        target,
        path_style,
        credentials,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transloadit::templates::parse;

    fn step(params: &str) -> Result<StoreStep, StepError> {
        step_with(params, &BTreeMap::new())
    }

    fn step_with(params: &str, fields: &BTreeMap<String, String>) -> Result<StoreStep, StepError> {
        let read = parse(&format!(r#"{{"steps": {{"export": {params}}}}}"#)).unwrap();
        resolve(read.select(None).unwrap(), fields)
    }

    #[test]
    fn an_s3_step_becomes_its_target() {
        let s = step(r#"{"robot": "/s3/store", "bucket": "acme", "bucket_region": "eu-west-1", "acl": "private", "path": "exports/${file.url_name}", "headers": {"x-amz-server-side-encryption": "aws:kms"}, "tags": {"team": "media"}, "sign_urls_for": 600, "check_integrity": true, "credentials": "prod"}"#).unwrap();
        let t = &s.target;
        assert_eq!(
            (t.bucket.as_str(), t.acl, t.bucket_region.as_deref()),
            ("acme", Acl::Private, Some("eu-west-1"))
        );
        assert_eq!(t.key_prefix(), "exports/");
        assert_eq!(t.endpoint, None);
        assert_eq!(
            t.headers,
            [(
                "x-amz-server-side-encryption".to_owned(),
                "aws:kms".to_owned()
            )]
        );
        assert_eq!(t.tags, [("team".to_owned(), "media".to_owned())]);
        assert_eq!((t.sign_urls_for, t.check_integrity), (Some(600), true));
        assert_eq!(s.credentials, StepCredentials::Named("prod".into()));
        assert!(s.warnings.is_empty());
    }

    #[test]
    fn absent_acl_is_transloadits_public_read() {
        assert_eq!(
            step(r#"{"robot": "/s3/store", "bucket": "a-b"}"#)
                .unwrap()
                .target
                .acl,
            Acl::PublicRead
        );
        assert_eq!(step(r#"{"robot": "/cloudflare/store", "bucket": "a-b", "host": "https://x.r2.cloudflarestorage.com"}"#).unwrap().target.acl, Acl::BucketDefault);
    }

    #[test]
    fn each_robot_allows_only_its_acls() {
        let err = step(r#"{"robot": "/wasabi/store", "bucket": "a-b", "acl": "bucket-default"}"#)
            .unwrap_err();
        assert!(err.to_string().contains("private, public-read"), "{err}");
        let err = step(r#"{"robot": "/supabase/store", "bucket": "a-b", "host": "https://p.supabase.co/storage/v1/s3", "acl": "private"}"#).unwrap_err();
        assert!(err.to_string().contains("no `acl` parameter"), "{err}");
    }

    #[test]
    fn digitalocean_space_and_region_make_the_endpoint() {
        let s = step(r#"{"robot": "/digitalocean/store", "space": "media", "region": "fra1"}"#)
            .unwrap();
        assert_eq!(s.target.bucket, "media");
        assert_eq!(
            s.target.endpoint.as_deref(),
            Some("https://fra1.digitaloceanspaces.com")
        );
        assert_eq!(s.target.bucket_region, None);
        assert_eq!(
            s.target.url_prefix.as_deref(),
            Some("https://media.fra1.digitaloceanspaces.com/")
        );
    }

    #[test]
    fn a_custom_host_is_plain_http_unless_it_says_https() {
        let s = step(r#"{"robot": "/s3/store", "bucket": "a-b", "host": "minio.example.com:9000", "no_vhost": true}"#).unwrap();
        assert_eq!(
            s.target.endpoint.as_deref(),
            Some("http://minio.example.com:9000")
        );
        assert!(s.path_style);
        assert!(s.target.endpoint_source.unwrap().contains("`host`"));
    }

    #[test]
    fn variables_that_decide_the_target_are_refused_with_the_field_to_give() {
        let err = step(r#"{"robot": "/s3/store", "bucket": "${fields.bucket}"}"#)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("step `export`")
                && err.contains("`bucket`")
                && err.contains("--field bucket=VALUE"),
            "{err}"
        );
        let fields = BTreeMap::from([("bucket".to_owned(), "acme".to_owned())]);
        assert_eq!(
            step_with(
                r#"{"robot": "/s3/store", "bucket": "${fields.bucket}"}"#,
                &fields
            )
            .unwrap()
            .target
            .bucket,
            "acme"
        );
        let err = step(
            r#"{"robot": "/s3/store", "bucket": "b", "host": "${assembly.region}.example.com"}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("`host`") && err.contains("assembly.region"),
            "{err}"
        );
        // Variables in `path` are the point of `path`.
        assert!(step(
            r#"{"robot": "/s3/store", "bucket": "b", "path": "${fields.dir}/${file.id}"}"#
        )
        .is_ok());
    }

    #[test]
    fn inline_keys_are_kept_but_never_shown() {
        let s = step(r#"{"robot": "/s3/store", "bucket": "b", "key": "AKIAINLINEKEY1234567", "secret": "inline/secret/value"}"#).unwrap();
        let StepCredentials::Inline(keys) = &s.credentials else {
            panic!("inline")
        };
        assert_eq!(keys.secrets().len(), 2);
        let dump = format!("{s:?}");
        assert!(
            !dump.contains("AKIAINLINEKEY1234567") && !dump.contains("inline/secret/value"),
            "{dump}"
        );
        assert!(s.warnings[0].contains("Template Credentials"));
    }

    #[test]
    fn unknown_parameters_are_named() {
        let s = step(r#"{"robot": "/minio/store", "bucket": "b", "host": "https://m.example.com", "bucket_region": "x", "no_vhost": true}"#).unwrap();
        assert!(
            s.warnings[0].contains("`bucket_region`, `no_vhost`"),
            "{:?}",
            s.warnings
        );
    }

    #[test]
    fn a_bucket_held_by_credentials_is_named() {
        let err = step(r#"{"robot": "/s3/store", "credentials": "prod"}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("Template Credentials `prod`"), "{err}");
    }
}
