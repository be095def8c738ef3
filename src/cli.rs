//! The command line: `check`, `policy`, `steps`, `diagnose`, `audit`, `history`, `explain`, `list`.
//! Each command's arguments live in a module of their own below; this one holds the commands
//! and the output choices several of them share.

mod audit;
mod check;
mod diagnose;
mod policy;
mod shared;
mod steps;
mod values;

use clap::{Parser, Subcommand, ValueEnum};

pub use audit::{AuditArgs, AuditFormat, FailOnArg, HistoryArgs};
use check::CHECK_EXAMPLES;
pub use check::{CheckArgs, PolicyKindArg};
pub use diagnose::DiagnoseArgs;
use diagnose::DIAGNOSE_EXAMPLES;
pub use policy::{PolicyArgs, PolicyFormat};
pub use steps::StepsArgs;
pub use values::parse_http_url;

#[derive(Debug, Parser)]
#[command(
    name = "bucket-preflight",
    version,
    about = "Tells you, before the first upload, whether an S3 bucket is ready to receive exported files — and what to change when it is not.",
    after_help = "Exit codes: 0 ready, 1 a check failed, 2 bad input, 3 could not verify everything.\nDocumentation of a check: bucket-preflight explain <CHECK-ID>."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a bucket against the store step's parameters.
    #[command(after_help = CHECK_EXAMPLES)]
    Check(Box<CheckArgs>),
    /// Print the least-privilege IAM policy the export needs (JSON on stdout, notes on stderr).
    Policy(Box<PolicyArgs>),
    /// Explain a failed export's error (Assembly Status JSON, SDK error line, S3 error XML, error
    /// code or AccessDenied message): its likely causes, and, with credentials, which the checks
    /// confirm.
    #[command(after_help = DIAGNOSE_EXAMPLES)]
    Diagnose(Box<DiagnoseArgs>),
    /// Show a check's documentation: what it checks, why it matters, how to fix it.
    Explain {
        /// A check's id, as shown by `list`, or an error code from a failed upload (such as
        /// `AccessControlListNotSupported`); without it, the catalog.
        #[arg(value_name = "CHECK-ID|ERROR-CODE")]
        check_id: Option<String>,
    },
    /// List the steps of a Template or Assembly Instructions: which are checked, their
    /// targets, and what cannot be resolved.
    Steps(StepsArgs),
    /// Check many targets in one run: from a config file, templates, the Transloadit API or
    /// every bucket the credentials can list; one report over all of them.
    Audit(Box<AuditArgs>),
    /// Show the runs and changes an audit history recorded (`audit --history FILE`).
    History(HistoryArgs),
    /// List every check: id, title, category, online or offline.
    List {
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// One row per check, then the fixes and the verdict; sized to the terminal.
    Table,
    /// Every result with its evidence, for scripts and CI (`jq '.results[]'`).
    Json,
    /// A report to paste into an issue or pull request: problems first, then the passes.
    Markdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColourChoice {
    Auto,
    Always,
    Never,
}

#[cfg(test)]
mod tests {
    use super::values::{parse_bucket, parse_sign_urls_for};
    use super::*;

    fn check_help() -> String {
        use clap::CommandFactory;
        let mut cli = Cli::command();
        cli.find_subcommand_mut("check")
            .expect("a check subcommand")
            .render_long_help()
            .to_string()
    }

    #[test]
    fn check_help_shows_the_readme_examples() {
        let help = check_help();
        let readme = include_str!("../README.md");
        let section = readme
            .split("### `check <BUCKET>`")
            .nth(1)
            .and_then(|s| s.split("\n### ").next())
            .expect("the README's check section");
        let examples = section
            .split("Examples:\n\n```sh\n")
            .nth(1)
            .and_then(|s| s.split("```").next())
            .expect("the README's check examples");
        // The help breaks long commands with `\` and aligns comments its own way: compare
        // the commands word by word.
        let words = |text: &str| {
            text.split_whitespace()
                .filter(|w| *w != "\\")
                .collect::<Vec<_>>()
                .join(" ")
        };
        let help_words = words(&help);
        // One command per entry: continuation lines joined, comment lines left out.
        let commands = examples
            .replace("\\\n", " ")
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
            .map(str::to_owned)
            .collect::<Vec<_>>();
        for line in &commands {
            let command = words(line.split(" #").next().unwrap());
            assert!(
                help_words.contains(&command),
                "check --help lacks `{command}`:\n{help}"
            );
        }
    }

    #[test]
    fn format_values_are_explained() {
        let help = check_help();
        let format = help
            .split("--format <FORMAT>")
            .nth(1)
            .expect("--format in check --help");
        let format = format.split("\n      --").next().unwrap();
        assert!(format.contains("How to print the report"), "{format}");
        for value in ["table:", "json:", "markdown:"] {
            assert!(format.contains(value), "`{value}` not explained:\n{format}");
        }
    }

    #[test]
    fn bucket_argument_forms() {
        assert_eq!(parse_bucket("my-bucket").unwrap(), "my-bucket");
        assert_eq!(parse_bucket("s3://my-bucket/").unwrap(), "my-bucket");
        assert_eq!(parse_bucket("arn:aws:s3:::my-bucket").unwrap(), "my-bucket");
        assert_eq!(
            parse_bucket("arn:aws-cn:s3:::my-bucket").unwrap(),
            "my-bucket"
        );
        assert!(parse_bucket("  ").unwrap_err().contains("empty"));
        assert!(parse_bucket("s3://my-bucket/exports")
            .unwrap_err()
            .contains("`my-bucket`"));
    }

    #[test]
    fn url_arguments() {
        assert!(parse_http_url("https://cdn.example.com/").is_ok());
        assert!(parse_http_url("http://127.0.0.1:9000").is_ok());
        assert!(parse_http_url("cdn.example.com/")
            .unwrap_err()
            .contains("relative URL"));
        assert!(parse_http_url("ftp://x/").unwrap_err().contains("`ftp:`"));
    }

    #[test]
    fn store_step_arguments() {
        let cli = Cli::try_parse_from([
            "bucket-preflight",
            "check",
            "b",
            "--header",
            "x-amz-server-side-encryption: aws:kms",
            "--tag",
            "project=acme",
            "--tag",
            "team=media",
            "--sign-urls-for",
            "3600",
            "--check-integrity",
        ])
        .unwrap();
        let Command::Check(args) = cli.command else {
            panic!("check")
        };
        assert_eq!(args.store.header.len(), 1);
        assert_eq!(args.store.tag.len(), 2);
        assert_eq!(args.store.sign_urls_for, Some(3600));
        assert!(args.store.check_integrity);
        for seconds in ["0", "604801", "1h", "-5"] {
            assert!(parse_sign_urls_for(seconds)
                .unwrap_err()
                .contains("1 to 604800"));
        }
    }

    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
