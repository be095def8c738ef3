//! What `iam-simulation` simulates beyond the caller's own policies: the bucket policy (as the
//! owning account's) and the bucket's KMS key; whatever it cannot simulate becomes a gap, with
//! the note and the fix the check reports, so that no pass claims it.

use crate::bucket_owner::Owner;
use crate::checks::encryption::is_alias;
use crate::facts::Fetched;
use crate::iam_simulator::{account_of, account_root, is_user, ResourcePolicy};

/// A part of the upload the simulation could not cover, and how to cover it.
pub(super) struct Gap {
    pub(super) what: String,
    pub(super) fix: String,
}

/// The bucket policy to simulate with, as the policy of the account that owns the bucket.
/// Whatever cannot be simulated about the bucket's side becomes a gap, so no pass claims it.
pub(super) fn bucket_side(
    policy: &Fetched<Option<String>>,
    owner: &Owner,
    principal: &str,
    notes: &mut Vec<String>,
    gaps: &mut Vec<Gap>,
) -> Option<ResourcePolicy> {
    let principal_account = account_of(principal);
    // A bucket of another account (or of an account not known) must allow the upload in its
    // bucket policy too: the identity policy alone proves nothing there.
    let cross_account = match owner.account() {
        Some(account) => Some(account) != principal_account,
        None => true,
    };
    let owner_words = owner.describe_account();
    let cross_account_fix = format!("Have {owner_words} confirm that its bucket policy allows {principal} the upload's actions (see the fix of bucket-policy for the statement), or run bucket-preflight with credentials of that account.");
    match policy {
        Ok(Some(_)) if !is_user(principal) => {
            notes.push("the simulator takes a resource policy only for IAM users, so the bucket policy was not part of this role's simulation (see bucket-policy)".to_owned());
            if cross_account {
                gaps.push(Gap {
                    what: format!("the bucket policy of {owner_words}, which must also allow a principal of another account"),
                    fix: cross_account_fix,
                });
            }
            None
        }
        Ok(Some(text)) => match owner.account() {
            Some(account) => {
                if cross_account {
                    notes.push(format!("the bucket belongs to account {account} ({}), not to the account of {principal}: simulated as a cross-account request, which both the identity policy and the bucket policy must allow", owner.because()));
                }
                Some(ResourcePolicy {
                    text: text.clone(),
                    owner: account_root(principal, account),
                    caller: principal.to_owned(),
                })
            }
            None => {
                gaps.push(Gap {
                    what: format!("the bucket policy, because the account that owns the bucket is not known ({})", owner.because()),
                    fix: format!("Pass --expected-owner with the bucket owner's account id so the bucket policy is simulated as that account's. {cross_account_fix}"),
                });
                None
            }
        },
        Ok(None) => {
            if cross_account {
                gaps.push(Gap {
                    what: format!(
                        "the bucket's side ({} ({}), and it has no bucket policy to grant {principal} access)",
                        if owner.account().is_some() { "it belongs to another account" } else { "it may belong to another account" },
                        owner.because()
                    ),
                    fix: cross_account_fix,
                });
            }
            None
        }
        Err(failure) if cross_account && !owner.is_caller() => {
            notes.push(format!(
                "the bucket belongs to {owner_words} ({}); its bucket policy must also allow the upload, and only that account can read it ({failure})",
                owner.because()
            ));
            gaps.push(Gap {
                what: format!("the bucket policy of {owner_words}"),
                fix: cross_account_fix,
            });
            None
        }
        Err(failure) => {
            notes.push(format!(
                "the bucket policy could not be read ({failure}), so it was not part of the simulation"
            ));
            gaps.push(Gap {
                what: "the bucket policy".to_owned(),
                fix: "Grant the caller s3:GetBucketPolicy (or run as an administrator of the bucket's account) so the bucket policy is simulated; the dry run remains the proof.".to_owned(),
            });
            None
        }
    }
}

/// The KMS key to simulate, or the gap where it cannot be.
pub(super) fn kms_side<'a>(
    encryption: &'a Fetched<Option<crate::facts::DefaultEncryption>>,
    notes: &mut Vec<String>,
    gaps: &mut Vec<Gap>,
) -> Option<&'a str> {
    const FIX: &str = "Grant the caller s3:GetEncryptionConfiguration and name the key by ARN in the default encryption (see encryption), so the KMS permissions are simulated; the dry run remains the proof.";
    match encryption {
        Ok(Some(enc)) if enc.algorithm.starts_with("aws:kms") => match &enc.kms_key {
            Some(key) if key.starts_with("arn:") && !is_alias(key) => Some(key.as_str()),
            _ => {
                notes.push("the bucket encrypts with a KMS key not given by ARN, so the KMS permissions were not simulated (see encryption)".to_owned());
                gaps.push(Gap {
                    what: "the KMS permissions".to_owned(),
                    fix: FIX.to_owned(),
                });
                None
            }
        },
        Ok(_) => None,
        Err(failure) => {
            notes.push(format!(
                "the default encryption could not be read ({failure}), so KMS permissions were not simulated"
            ));
            gaps.push(Gap {
                what: "the KMS permissions".to_owned(),
                fix: FIX.to_owned(),
            });
            None
        }
    }
}
