//! What Transloadit does with a bucket: its Assembly error codes (and, on other branches, its
//! Templates and storage Robots).

pub mod errors;
