//! Transloadit's side of an export: the Templates and Assembly Instructions users hold their
//! store step in (`templates`), the storage Robots that speak the S3 API (`robots`), one
//! storage step turned into the target the checks run against (`store_step`), and the errors a
//! failed export reports (`errors`).

pub mod errors;
pub mod robots;
pub mod store_step;
pub mod templates;

pub use store_step::{resolve, InlineKeys, StepCredentials, StepError, StoreStep};
pub use templates::{parse, InputError, Instructions, Shape, Step};
