//! `diagnose`: reads a failed export's error, names its likely causes (the library's
//! `transloadit::errors`), and with credentials runs the checks behind them to say which cause
//! still holds. Rendering is one file per format.

mod confirm;
mod json;
mod markdown;
mod table;

use crate::cli::{DiagnoseArgs, ReportFormat};
use crate::{bad_input, print_stdout};
use confirm::{CauseStatus, CheckLine};
use preflight::transloadit::errors::{self, Cause, Failure, InputKind, Known};
use serde::Serialize;
use std::io::{IsTerminal, Read};
use std::process::ExitCode;

/// Version of the JSON shape below; bumped on breaking changes.
pub const SCHEMA_VERSION: u32 = 1;

/// Inputs past this size are not an error message.
const MAX_INPUT_BYTES: u64 = 4 * 1024 * 1024;

/// What the error says, as the report shows it. Never the raw input: an Assembly Status also
/// carries the steps' parameters, inline secrets included.
#[derive(Debug, Serialize)]
pub struct ErrorFacts {
    pub input: InputKind,
    pub transloadit_code: Option<String>,
    pub aws_code: Option<String>,
    pub unrecognised_code: Option<String>,
    pub http_status: Option<u16>,
    pub message: Option<String>,
    pub reason: Option<String>,
    pub step: Option<String>,
    pub assembly_url: Option<String>,
    pub bucket: Option<String>,
    pub key: Option<String>,
    pub region: Option<String>,
    pub action: Option<String>,
    pub principal: Option<String>,
    pub resource: Option<String>,
    /// The policy type an enhanced AccessDenied names: `identity-based`, `resource-based`,
    /// `service control`, `permissions boundary`, `session`, `VPC endpoint`…
    pub denied_by: Option<String>,
    pub explicit_deny: Option<bool>,
}

impl ErrorFacts {
    fn new(failure: &Failure) -> Self {
        let denial = failure.denial.as_ref();
        ErrorFacts {
            input: failure.kind,
            transloadit_code: failure.transloadit_code.clone(),
            aws_code: failure.aws_code.clone(),
            unrecognised_code: failure.unknown_code.clone(),
            http_status: failure.http_status,
            message: failure.message.clone(),
            reason: failure.reason.clone(),
            step: failure.step.clone(),
            assembly_url: failure.assembly_url.clone(),
            bucket: failure.bucket.clone(),
            key: failure.key.clone(),
            region: failure.region.clone(),
            action: denial.map(|d| d.action.clone()),
            principal: denial.map(|d| d.principal.clone()),
            resource: denial.and_then(|d| d.resource.clone()),
            denied_by: denial.and_then(|d| d.policy_type.clone()),
            explicit_deny: denial.map(|d| d.explicit),
        }
    }

    /// `S3_STORE_ACCESS_DENIED (AccessDenied, HTTP 403)`.
    pub fn headline(&self) -> String {
        let mut inner: Vec<String> = Vec::new();
        if self.transloadit_code.is_some() {
            inner.extend(self.aws_code.clone());
        }
        inner.extend(self.http_status.map(|s| format!("HTTP {s}")));
        let code = self
            .transloadit_code
            .clone()
            .or_else(|| self.aws_code.clone())
            .unwrap_or_else(|| "the error".to_owned());
        if inner.is_empty() {
            code
        } else {
            format!("{code} ({})", inner.join(", "))
        }
    }

    /// `bucket: …`, `key: …` … for what the error names.
    pub fn named(&self) -> Vec<(&'static str, String)> {
        let denied_by = self.denied_by.as_ref().map(|p| {
            let how = if self.explicit_deny == Some(true) {
                "an explicit Deny"
            } else {
                "no Allow"
            };
            format!("{p} policy ({how})")
        });
        [
            ("step", self.step.clone()),
            ("assembly", self.assembly_url.clone()),
            ("bucket", self.bucket.clone()),
            ("key", self.key.clone()),
            ("region", self.region.clone()),
            ("action", self.action.clone()),
            ("principal", self.principal.clone()),
            ("resource", self.resource.clone()),
            ("denied by", denied_by),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.map(|v| (name, v)))
        .collect()
    }
}

/// One cause and what the checks made of it.
#[derive(Debug, Serialize)]
pub struct DiagnosedCause {
    #[serde(flatten)]
    pub cause: Cause,
    pub status: CauseStatus,
    /// Why the status: the check that failed or passed, or why none ran.
    pub status_reason: String,
    pub check_results: Vec<CheckLine>,
}

/// Whether the confirming checks ran, and as whom.
#[derive(Debug, Serialize)]
pub struct ChecksRun {
    pub ran: bool,
    /// Why not, when they did not run.
    pub reason: Option<String>,
    pub bucket: Option<String>,
    /// The identity the checks ran as.
    pub caller: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

/// The whole answer, as every format renders it.
#[derive(Debug, Serialize)]
pub struct Diagnosis {
    pub schema_version: u32,
    pub tool: Tool,
    pub error: ErrorFacts,
    pub causes: Vec<DiagnosedCause>,
    pub checks: ChecksRun,
    /// The Assembly's other errors, one line each.
    pub other_errors: Vec<String>,
}

impl Diagnosis {
    /// 1 when the checks confirm a cause (the failure still happens), else 0.
    pub fn exit_code(&self) -> u8 {
        u8::from(
            self.causes
                .iter()
                .any(|c| c.status == CauseStatus::Confirmed),
        )
    }
}

/// Reads FILE, or stdin for `-` or nothing; a terminal on stdin gets usage, not a hang.
fn read_input(input: Option<&std::path::Path>) -> Result<String, String> {
    let mut bytes = Vec::new();
    match input.filter(|p| p.as_os_str() != "-") {
        Some(path) => {
            let file = std::fs::File::open(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            file.take(MAX_INPUT_BYTES + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        }
        None => {
            let stdin = std::io::stdin();
            if input.is_none() && stdin.is_terminal() {
                return Err(format!(
                    "give the error as FILE, or pipe it in (`-` reads stdin); expected {}",
                    errors::ACCEPTED
                ));
            }
            stdin
                .lock()
                .take(MAX_INPUT_BYTES + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| format!("cannot read stdin: {e}"))?;
        }
    }
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(format!(
            "the input is over {} MiB: give the Assembly Status or the error message alone",
            MAX_INPUT_BYTES / 1024 / 1024
        ));
    }
    String::from_utf8(bytes).map_err(|_| "the input is not UTF-8 text".to_owned())
}

pub async fn run(mut args: DiagnoseArgs) -> ExitCode {
    let text = match read_input(args.input.as_deref()) {
        Ok(text) => text,
        Err(message) => return bad_input(&message),
    };
    let failure = match errors::parse(&text) {
        Ok(failure) => failure,
        Err(err) => return bad_input(&err.to_string()),
    };
    if let Err(message) = apply_template(&mut args, &failure) {
        return bad_input(&message);
    }
    let bucket = args.bucket.clone().or_else(|| failure.bucket.clone());
    let known = Known {
        acl: args.acl,
        bucket: bucket.clone(),
        objects_arn: bucket
            .as_deref()
            .zip(args.path.as_deref())
            .map(|(bucket, path)| {
                let target = preflight::Target {
                    path: path.to_owned(),
                    bucket_region: args.bucket_region.clone(),
                    ..preflight::Target::new(bucket)
                };
                preflight::partition::objects_arn(target.partition(), bucket, target.key_prefix())
            }),
    };
    let causes = errors::causes(&failure, &known);
    let (confirmation, checks) = match confirm::run(&args, bucket.as_deref(), &causes).await {
        Ok(found) => found,
        Err(message) => return bad_input(&message),
    };
    let causes = causes
        .into_iter()
        .map(|cause| {
            let (status, status_reason, check_results) =
                confirm::judge(&cause, &failure, &confirmation, &args);
            DiagnosedCause {
                cause,
                status,
                status_reason,
                check_results,
            }
        })
        .collect();
    let diagnosis = Diagnosis {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "bucket-preflight",
            version: env!("CARGO_PKG_VERSION"),
        },
        error: ErrorFacts::new(&failure),
        causes,
        checks,
        other_errors: failure.other_errors.clone(),
    };
    let mut rendered = match args.format {
        ReportFormat::Json => json::render(&diagnosis),
        ReportFormat::Markdown => markdown::render(&diagnosis),
        ReportFormat::Table => table::render(&diagnosis),
    };
    crate::report::redact_text(&mut rendered, &confirmation.secrets);
    print_stdout(&rendered);
    ExitCode::from(diagnosis.exit_code())
}

/// Takes what the flags leave open from the store step of `--template`: the step named with
/// `--step`, else the one the error names (when the file has it), else the file's only one.
fn apply_template(args: &mut DiagnoseArgs, failure: &Failure) -> Result<(), String> {
    use preflight::transloadit::{self, StepCredentials};
    let Some(file) = args.template.template.clone() else {
        return Ok(());
    };
    let instructions = crate::template_input::read_instructions(&file)?;
    let named_by_error = failure.step.clone().filter(|name| {
        instructions
            .storage_steps()
            .iter()
            .any(|step| step.name == *name || step.label() == *name)
    });
    let wanted = args.template.step.clone().or(named_by_error);
    let step = instructions
        .select(wanted.as_deref())
        .map_err(|e| format!("--template {file}: {e}"))?;
    let mut fields = instructions.fields.clone();
    fields.extend(args.template.fields.iter().cloned());
    let store =
        transloadit::resolve(step, &fields).map_err(|e| format!("--template {file}: {e}"))?;
    let target = store.target;
    if args.bucket.is_none() {
        args.bucket = Some(target.bucket.clone());
    }
    if args.acl.is_none() {
        args.acl = Some(target.acl);
    }
    if args.bucket_region.is_none() {
        args.bucket_region = target.bucket_region.clone();
    }
    if args.path.is_none() {
        args.path = Some(target.path.clone());
    }
    if args.url_prefix.is_none() {
        args.url_prefix = target.url_prefix.clone();
    }
    if args.aws.endpoint_url.is_none() {
        args.aws.endpoint_url = target.endpoint.clone();
    }
    args.aws.path_style |= store.path_style;
    match &store.credentials {
        StepCredentials::Inline(keys) if args.aws.profile.is_none() => {
            args.inline_credentials = Some(keys.provider());
        }
        StepCredentials::Named(name) if args.aws.profile.is_none() => {
            args.aws.profile = args
                .template
                .credentials
                .iter()
                .find(|(credential, _)| credential == name)
                .map(|(_, profile)| profile.clone());
        }
        _ => {}
    }
    Ok(())
}
