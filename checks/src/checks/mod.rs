//! One module per check. Each file holds the check, its documentation and its unit tests.

pub mod bucket_name;
pub mod credentials;
pub mod result_url;
pub mod store_params;
