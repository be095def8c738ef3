//! `steps`: listing the steps of a Template or Assembly Instructions.

use clap::Args;

use super::values::parse_assignment;
use super::ListFormat;

#[derive(Debug, Args)]
pub struct StepsArgs {
    /// The Template or Assembly Instructions JSON (`-`: standard input).
    #[arg(long, value_name = "FILE|-")]
    pub template: String,

    /// Substitutes `${fields.NAME}` in the steps (repeatable).
    #[arg(long = "field", value_name = "NAME=VALUE", value_parser = parse_assignment)]
    pub fields: Vec<(String, String)>,

    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
}
