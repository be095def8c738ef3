//! Where `check` gets its target: the BUCKET argument and flags, or a store step read with
//! `--template` (flags the user really typed override the step's values). Also whose
//! credentials the online checks use, and which checks mean nothing for the step's store.

use crate::cli::{parse_http_url, CheckArgs};
use aws_credential_types::provider::SharedCredentialsProvider;
use preflight::endpoints::{ConfiguredEndpoint, Endpoints};
use preflight::target::TargetSource;
use preflight::transloadit::{self, StepCredentials};
use preflight::Target;

/// The flags the user typed (clap's defaults are not "given"), by argument id.
#[derive(Debug, Default)]
pub struct Given(pub Vec<String>);

impl Given {
    pub fn from_matches(matches: &clap::ArgMatches) -> Self {
        Given(
            matches
                .ids()
                .filter(|id| {
                    matches.value_source(id.as_str())
                        == Some(clap::parser::ValueSource::CommandLine)
                })
                .map(|id| id.as_str().to_owned())
                .collect(),
        )
    }

    pub fn has(&self, id: &str) -> bool {
        self.0.iter().any(|given| given == id)
    }
}

/// What `check` runs against, before the endpoints are resolved.
pub struct StoreInput {
    pub target: Target,
    /// The endpoint the step names (its `host`, or its Robot's store); `None`: AWS, or flags.
    pub step_endpoint: Option<ConfiguredEndpoint>,
    pub path_style: bool,
    pub profile: Option<String>,
    pub credentials_provider: Option<SharedCredentialsProvider>,
    /// AWS-only checks on another store: skipped with the reason.
    pub not_applicable: Vec<(&'static str, &'static str)>,
    /// The step's inline keys: redacted from every output.
    pub secrets: Vec<String>,
    /// Said in the report only when checks run online: whose permissions they prove.
    pub online_notes: Vec<String>,
}

impl StoreInput {
    /// From the BUCKET argument and flags, or from `--template`.
    pub fn from_args(args: &CheckArgs, given: &Given) -> Result<StoreInput, String> {
        let Some(file) = &args.template.template else {
            let bucket = args
                .bucket
                .clone()
                .expect("clap requires BUCKET without --template");
            let target = Target {
                acl: args.store.acl,
                bucket_region: args.store.bucket_region.clone(),
                path: args.store.path.clone(),
                url_prefix: args.url_prefix.clone(),
                ..Target::new(bucket)
            };
            return Ok(StoreInput {
                target,
                step_endpoint: None,
                path_style: args.aws.path_style,
                profile: args.aws.profile.clone(),
                credentials_provider: None,
                not_applicable: Vec::new(),
                secrets: Vec::new(),
                online_notes: Vec::new(),
            });
        };
        let instructions = read_instructions(file)?;
        let step = instructions
            .select(args.template.step.as_deref())
            .map_err(|e| format!("--template {file}: {e}"))?;
        let mut fields = instructions.fields.clone();
        fields.extend(args.template.fields.iter().cloned());
        let store =
            transloadit::resolve(step, &fields).map_err(|e| format!("--template {file}: {e}"))?;
        from_step(file, store, args, given)
    }

    /// The S3 and STS endpoints: `--endpoint-url` first, then the step's own store, then what
    /// the environment or profile configures.
    pub fn endpoints(&self, configured: Endpoints, flag_given: bool) -> Endpoints {
        match &self.step_endpoint {
            Some(step) if !flag_given => Endpoints {
                s3: Some(step.clone()),
                sts: Some(step.clone()),
            },
            _ => configured,
        }
    }
}

/// Reads the file (`-`: standard input) and the instructions in it.
pub fn read_instructions(file: &str) -> Result<transloadit::Instructions, String> {
    let text = if file == "-" {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
            .map_err(|e| format!("cannot read --template from standard input: {e}"))?;
        text
    } else {
        std::fs::read_to_string(file).map_err(|e| format!("cannot read --template {file}: {e}"))?
    };
    transloadit::parse(&text).map_err(|e| format!("--template {file}: {e}"))
}

fn from_step(
    file: &str,
    store: transloadit::StoreStep,
    args: &CheckArgs,
    given: &Given,
) -> Result<StoreInput, String> {
    let mut target = store.target;
    // Flags typed on the command line win over the step's values.
    if given.has("acl") {
        target.acl = args.store.acl;
    }
    if given.has("bucket_region") {
        target.bucket_region = args.store.bucket_region.clone();
    }
    if given.has("path") {
        target.path = args.store.path.clone();
    }
    if args.url_prefix.is_some() {
        target.url_prefix = args.url_prefix.clone();
    }
    let step_endpoint = target.endpoint.take().map(|url| ConfiguredEndpoint {
        url,
        source: target.endpoint_source.take().unwrap_or_default(),
    });
    target.sts_endpoint = None;
    if let Some(endpoint) = &step_endpoint {
        parse_http_url(&endpoint.url).map_err(|why| {
            format!(
                "--template {file}: step `{}` ({}): `host` gives the endpoint '{}': {why}",
                store.step, store.robot.name, endpoint.url
            )
        })?;
    }

    let mut notes = store.warnings;
    let mut online_notes = Vec::new();
    let mut secrets = Vec::new();
    let mut profile = args.aws.profile.clone();
    let mut credentials_provider = None;
    let mapped = |name: &str| {
        args.template
            .credentials
            .iter()
            .find(|(credential, _)| credential == name)
            .map(|(_, profile)| profile.clone())
    };
    match &store.credentials {
        StepCredentials::Inline(keys) => {
            secrets = keys.secrets();
            if profile.is_some() {
                online_notes.push("the online checks ran with --profile's credentials, not the step's inline key".to_owned());
            } else {
                credentials_provider = Some(keys.provider());
                online_notes.push("the online checks ran with the step's inline key and secret: the identity Transloadit will use".to_owned());
            }
        }
        StepCredentials::Named(name) => match (mapped(name), &profile) {
            (_, Some(given)) => online_notes.push(format!("the step uses the Template Credentials `{name}`; the online checks ran with --profile {given}: they prove its permissions, which are those of `{name}` only if it holds the same keys")),
            (Some(mapped), None) => {
                online_notes.push(format!("the step uses the Template Credentials `{name}`; the online checks ran with profile `{mapped}` (--credentials {name}={mapped})"));
                profile = Some(mapped);
            }
            (None, None) => online_notes.push(format!("the step uses the Template Credentials `{name}`, which only Transloadit holds: the online checks ran with this machine's default credentials and prove THAT identity's permissions, not those of `{name}`'s keys. Map them to a local profile with the same keys: --credentials {name}=PROFILE")),
        },
        StepCredentials::None => online_notes.push("the step names no credentials (Transloadit needs `credentials`, or `key` and `secret`): the online checks ran with this machine's default credentials".to_owned()),
    }
    for (name, _) in &args.template.credentials {
        if !matches!(&store.credentials, StepCredentials::Named(n) if n == name) {
            notes.push(format!(
                "--credentials {name}=…: step `{}` does not use Template Credentials `{name}`",
                store.step
            ));
        }
    }
    // `/s3/store` with a custom host that is not AWS's is another store too.
    let other_store = !store.robot.on_aws
        || step_endpoint
            .as_ref()
            .is_some_and(|e| !preflight::endpoints::is_aws_host(&e.url));
    let not_applicable = if other_store {
        transloadit::robots::AWS_ONLY_CHECKS.to_vec()
    } else {
        Vec::new()
    };
    target.source = Some(TargetSource {
        file: file.to_owned(),
        step: store.step.clone(),
        robot: store.robot.name.to_owned(),
        notes,
    });
    Ok(StoreInput {
        target,
        step_endpoint,
        path_style: args.aws.path_style || store.path_style,
        profile,
        credentials_provider,
        not_applicable,
        secrets,
        online_notes,
    })
}
