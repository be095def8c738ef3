//! Every check, in the order reports list them. One line per check.
//!
//! A check's prerequisites must appear before it; a unit test keeps that true.

use crate::checks;
use crate::Check;

pub static ALL: &[&dyn Check] = &[
    &checks::bucket_name::BucketName,
    &checks::store_params::StoreParams,
    &checks::result_url::ResultUrl,
    &checks::policy_document::PolicyDocumentCheck,
    &checks::credentials::CredentialsCheck,
    &checks::bucket_exists::BucketExists,
    &checks::bucket_region::BucketRegion,
    &checks::list_objects::ListObjects,
    &checks::block_public_access::BlockPublicAccess,
    &checks::object_ownership::ObjectOwnership,
    &checks::versioning::VersioningCheck,
    &checks::encryption::Encryption,
    &checks::bucket_policy::BucketPolicy,
    &checks::requester_pays::RequesterPays,
    &checks::object_lock::ObjectLockCheck,
    &checks::iam_simulation::IamSimulation,
    &checks::dry_run_put::DryRunPut,
    &checks::public_url::PublicUrl,
];

/// The check with this id.
pub fn find(id: &str) -> Option<&'static dyn Check> {
    ALL.iter().copied().find(|check| check.info().id == id)
}

/// The id closest to a mistyped one (`block-public-acess`), when one is close enough.
pub fn suggest(typed: &str) -> Option<&'static str> {
    let typed = typed.trim().to_ascii_lowercase();
    ids()
        .into_iter()
        .map(|id| (strsim::levenshtein(&typed, id), id))
        .filter(|(distance, id)| *distance <= 3.max(id.len() / 4))
        .min()
        .map(|(_, id)| id)
}

/// All ids, for error messages that list what is accepted.
pub fn ids() -> Vec<&'static str> {
    ALL.iter().map(|check| check.info().id).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::DOC_SECTIONS;
    use std::collections::HashSet;

    #[test]
    fn mistyped_ids_get_a_suggestion() {
        assert_eq!(suggest("block-public-acess"), Some("block-public-access"));
        assert_eq!(suggest("DRY-RUN-PUT"), Some("dry-run-put"));
        assert_eq!(suggest("bucketpolicy"), Some("bucket-policy"));
        assert_eq!(suggest("something-else-entirely"), None);
    }

    #[test]
    fn ids_are_unique_kebab_case() {
        let mut seen = HashSet::new();
        for id in ids() {
            assert!(seen.insert(id), "duplicate id {id}");
            assert!(
                id.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{id} is not kebab-case"
            );
        }
    }

    #[test]
    fn prerequisites_exist_and_come_first() {
        for (position, check) in ALL.iter().enumerate() {
            for required in check.info().requires {
                let at = ALL.iter().position(|c| c.info().id == *required);
                assert!(
                    matches!(at, Some(p) if p < position),
                    "{} requires {required}, which must be listed before it",
                    check.info().id
                );
            }
        }
    }

    #[test]
    fn every_check_documents_the_five_sections_in_order() {
        for check in ALL {
            let docs = check.info().docs;
            let mut from = 0;
            for section in DOC_SECTIONS {
                let at = docs[from..].find(section).unwrap_or_else(|| {
                    panic!("{} lacks or misorders '{section}'", check.info().id)
                });
                from += at + section.len();
            }
        }
    }
}
