//! The `audit` command: many targets from config files, templates, the Transloadit API and the
//! account's bucket list, checked in one run and reported together.

pub mod history;
pub mod model;
pub mod mute;
#[cfg(test)]
pub mod sample;
