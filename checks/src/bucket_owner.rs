//! Who owns the bucket: the caller's account or another one, worked out once per run.
//!
//! Several answers depend on it. Account-level Block Public Access and the bucket policy's
//! owner in an IAM simulation are the *owner's*, not the caller's; a claimed owner
//! (`--expected-owner`) is only confirmed where the endpoint really checks
//! `x-amz-expected-bucket-owner`. S3 never names a bucket's owner account directly, so the
//! owner is inferred from answers whose meaning AWS documents:
//! - HeadBucket with `x-amz-expected-bucket-owner: ACCOUNT` answers 403 unless ACCOUNT owns the
//!   bucket; compared with a plain HeadBucket that answered 200, it tells owner from non-owner.
//! - GetBucketPolicy answers 405 MethodNotAllowed to identities outside the owner's account
//!   (even with permission), and only identities of the owner's account can read the policy.
//!
//! Account ids written in the bucket policy (`Principal`, `aws:PrincipalAccount`) name who may
//! *call*, not who owns; they are never taken as the owner.

use crate::api_error::ApiFailure;
use crate::facts::Existence;
use crate::Context;
use tokio::sync::OnceCell;

/// Whose account the bucket belongs to, with the answer that showed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// The caller's account owns the bucket.
    Caller { account: String, because: String },
    /// Another account owns it; `account` when it is known (from a confirmed `--expected-owner`).
    Other {
        account: Option<String>,
        because: String,
    },
    /// Could not be told: treat as possibly another account. `claimed` is `--expected-owner`.
    Unknown {
        claimed: Option<String>,
        because: String,
    },
}

impl Owner {
    /// The owner account when it is known for certain.
    pub fn account(&self) -> Option<&str> {
        match self {
            Owner::Caller { account, .. } => Some(account),
            Owner::Other { account, .. } => account.as_deref(),
            Owner::Unknown { .. } => None,
        }
    }

    pub fn is_caller(&self) -> bool {
        matches!(self, Owner::Caller { .. })
    }

    /// "account 111122223333" or "the account that owns the bucket", for sentences.
    pub fn describe_account(&self) -> String {
        match self {
            Owner::Unknown {
                claimed: Some(claimed),
                ..
            } => format!("the owner account (claimed: {claimed}, not confirmed)"),
            _ => match self.account() {
                Some(account) => format!("the owner account {account}"),
                None => "the account that owns the bucket".to_owned(),
            },
        }
    }

    /// Why the owner is what it is, one phrase.
    pub fn because(&self) -> &str {
        match self {
            Owner::Caller { because, .. }
            | Owner::Other { because, .. }
            | Owner::Unknown { because, .. } => because,
        }
    }
}

/// Whether S3 confirmed the account `--expected-owner` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnerClaim {
    /// S3 checks the header: a HeadBucket naming another account was refused.
    Confirmed,
    /// The endpoint answered 200 to a HeadBucket naming another account too: it ignores the
    /// header, so its 200 says nothing about the owner.
    HeaderIgnored { control_account: String },
    /// The control request failed; the claim is unconfirmed.
    Unchecked(String),
}

/// The cells behind [`Context::bucket_owner`] and [`Context::expected_owner_claim`].
#[derive(Default)]
pub(crate) struct OwnerFacts {
    owner: OnceCell<Owner>,
    claim: OnceCell<Option<OwnerClaim>>,
    control_head: OnceCell<Result<bool, ApiFailure>>,
}

/// What GetBucketPolicy's answer says about the owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PolicyRead {
    /// Read (or "no policy"): only identities of the owner's account get that far.
    ByOwnerAccount,
    /// 405 MethodNotAllowed: the caller is outside the owner's account.
    OutsideOwnerAccount,
    /// Denied or failed: says nothing.
    Inconclusive,
}

/// The answers the owner is inferred from.
#[derive(Debug, Clone)]
pub(crate) struct Evidence<'a> {
    pub caller_account: Option<&'a str>,
    pub expected_owner: Option<&'a str>,
    /// HeadBucket as the run sends it (with `--expected-owner` when given).
    pub head: Option<&'a Existence>,
    /// HeadBucket naming the caller's account as owner: `Ok(true)` on 200, `Ok(false)` on 403.
    pub head_as_caller: Option<&'a Result<bool, ApiFailure>>,
    /// Filled in only when the answers above did not decide.
    pub policy: Option<PolicyRead>,
}

/// Decides the owner from the answers; `None` when the bucket policy's answer is needed too.
pub(crate) fn decide(evidence: &Evidence) -> Option<Owner> {
    let Some(caller) = evidence.caller_account else {
        return Some(Owner::Unknown {
            claimed: evidence.expected_owner.map(str::to_owned),
            because: "the caller's account is unknown".to_owned(),
        });
    };
    let reachable = evidence.head == Some(&Existence::Reachable);
    let claimed_other = evidence.expected_owner.filter(|x| *x != caller);
    match evidence.head_as_caller {
        Some(Ok(true)) => {
            if let (true, Some(claimed)) = (reachable, claimed_other) {
                // Two different owners both answered 200: the header is not checked here.
                return Some(Owner::Unknown {
                    claimed: Some(claimed.to_owned()),
                    because: format!("the endpoint answered 200 to HeadBucket naming account {claimed} and naming account {caller} as owner, so it does not check x-amz-expected-bucket-owner"),
                });
            }
            return Some(Owner::Caller {
                account: caller.to_owned(),
                because: format!(
                    "HeadBucket naming the caller's account {caller} as owner answered 200"
                ),
            });
        }
        Some(Ok(false)) if reachable => {
            let because = match claimed_other {
                Some(claimed) => format!("S3 confirmed account {claimed} with x-amz-expected-bucket-owner and refused the caller's account {caller}"),
                None => format!("HeadBucket answered 200, but 403 when naming the caller's account {caller} as owner"),
            };
            return Some(Owner::Other {
                account: claimed_other.map(str::to_owned),
                because,
            });
        }
        _ => {}
    }
    match evidence.policy? {
        PolicyRead::ByOwnerAccount => Some(Owner::Caller {
            account: caller.to_owned(),
            because: "the caller could read the bucket policy, which only the owner's account can".to_owned(),
        }),
        PolicyRead::OutsideOwnerAccount => Some(Owner::Other {
            account: None,
            because: "GetBucketPolicy answered 405 MethodNotAllowed, which S3 answers to identities outside the bucket owner's account".to_owned(),
        }),
        PolicyRead::Inconclusive => Some(Owner::Unknown {
            claimed: evidence.expected_owner.map(str::to_owned),
            because: "neither HeadBucket nor GetBucketPolicy could show which account owns the bucket".to_owned(),
        }),
    }
}

fn policy_read(fetched: &Result<Option<String>, ApiFailure>) -> PolicyRead {
    match fetched {
        Ok(_) => PolicyRead::ByOwnerAccount,
        Err(failure) if failure.status == Some(405) || failure.code_is("MethodNotAllowed") => {
            PolicyRead::OutsideOwnerAccount
        }
        Err(_) => PolicyRead::Inconclusive,
    }
}

/// An account that cannot own the bucket when `owner` does: the control for a claimed owner.
fn control_account(owner: &str, caller: Option<&str>) -> String {
    match caller {
        Some(caller) if caller != owner => caller.to_owned(),
        _ if owner == "000000000000" => "111111111111".to_owned(),
        _ => "000000000000".to_owned(),
    }
}

impl Context {
    /// Who owns the bucket (AWS only: S3-compatible stores have no accounts to compare).
    pub async fn bucket_owner(&self) -> &Owner {
        self.facts
            .owner
            .owner
            .get_or_init(|| async {
                let caller = match self.session() {
                    Some(session) => session.identity().await.ok().map(|id| id.account),
                    None => None,
                };
                let head = self.head().await.as_ref().ok().map(|h| &h.existence);
                let head_as_caller = match caller {
                    Some(_) => Some(self.owned_by_caller().await),
                    None => None,
                };
                let mut evidence = Evidence {
                    caller_account: caller.as_deref(),
                    expected_owner: self.settings.expected_owner.as_deref(),
                    head,
                    head_as_caller,
                    policy: None,
                };
                if let Some(owner) = decide(&evidence) {
                    return owner;
                }
                evidence.policy = Some(policy_read(self.policy().await));
                decide(&evidence).expect("the policy's answer decides")
            })
            .await
    }

    /// Whether S3 confirmed `--expected-owner`; `None` without the flag or when HeadBucket did
    /// not answer 200 (then bucket-exists reports the 403 itself).
    pub async fn expected_owner_claim(&self) -> &Option<OwnerClaim> {
        self.facts
            .owner
            .claim
            .get_or_init(|| async {
                let claimed = self.settings.expected_owner.as_deref()?;
                let caller = match self.session() {
                    Some(session) => session.identity().await.ok().map(|id| id.account),
                    None => None,
                };
                let control = control_account(claimed, caller.as_deref());
                // The negative control goes out in the same wave as the HeadBucket naming the
                // claimed owner, so that both answers describe the endpoint at the same moment.
                let control_answer = async {
                    if caller.as_deref() == Some(control.as_str()) {
                        self.owned_by_caller().await
                    } else {
                        self.head_naming_owner_once(&control).await
                    }
                };
                let (head, answer) = futures::join!(self.head(), control_answer);
                match head {
                    Ok(head) if head.existence == Existence::Reachable => {}
                    _ => return None,
                }
                Some(match answer {
                    Ok(false) => OwnerClaim::Confirmed,
                    Ok(true) => OwnerClaim::HeaderIgnored {
                        control_account: control,
                    },
                    // Any refusal of the control shows the header is read (AWS may also
                    // answer 400 to an account id it finds malformed).
                    Err(failure) if failure.status.is_some_and(|s| (400..500).contains(&s)) => {
                        OwnerClaim::Confirmed
                    }
                    Err(failure) => OwnerClaim::Unchecked(failure.to_string()),
                })
            })
            .await
    }

    /// HeadBucket naming `account` as the owner, once per run.
    async fn head_naming_owner_once(&self, account: &str) -> &Result<bool, ApiFailure> {
        self.facts
            .owner
            .control_head
            .get_or_init(|| self.head_naming_owner(account))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CALLER: &str = "111122223333";
    const OTHER: &str = "444455556666";

    fn evidence<'a>(
        head: &'a Existence,
        as_caller: &'a Result<bool, ApiFailure>,
        expected: Option<&'a str>,
    ) -> Evidence<'a> {
        Evidence {
            caller_account: Some(CALLER),
            expected_owner: expected,
            head: Some(head),
            head_as_caller: Some(as_caller),
            policy: None,
        }
    }

    #[test]
    fn a_head_naming_the_caller_that_answers_200_makes_the_caller_owner() {
        let owner = decide(&evidence(&Existence::Reachable, &Ok(true), None)).unwrap();
        assert!(owner.is_caller(), "{owner:?}");
        assert_eq!(owner.account(), Some(CALLER));
    }

    #[test]
    fn a_403_naming_the_caller_after_a_200_makes_another_account_owner() {
        let owner = decide(&evidence(&Existence::Reachable, &Ok(false), None)).unwrap();
        assert_eq!(owner.account(), None);
        assert!(matches!(owner, Owner::Other { .. }), "{owner:?}");
        let confirmed = decide(&evidence(&Existence::Reachable, &Ok(false), Some(OTHER))).unwrap();
        assert_eq!(confirmed.account(), Some(OTHER));
        assert_eq!(
            confirmed.describe_account(),
            format!("the owner account {OTHER}")
        );
    }

    #[test]
    fn two_owners_that_both_answer_200_mean_the_header_is_ignored() {
        let owner = decide(&evidence(&Existence::Reachable, &Ok(true), Some(OTHER))).unwrap();
        assert!(matches!(owner, Owner::Unknown { .. }), "{owner:?}");
        assert!(owner.because().contains("does not check"), "{owner:?}");
    }

    #[test]
    fn a_forbidden_bucket_needs_the_policy_answer() {
        let forbidden = Existence::Forbidden;
        let refused = Ok(false);
        let mut e = evidence(&forbidden, &refused, None);
        assert_eq!(decide(&e), None);
        e.policy = Some(PolicyRead::OutsideOwnerAccount);
        assert!(matches!(
            decide(&e),
            Some(Owner::Other { account: None, .. })
        ));
        e.policy = Some(PolicyRead::ByOwnerAccount);
        assert!(decide(&e).unwrap().is_caller());
        e.policy = Some(PolicyRead::Inconclusive);
        assert!(matches!(decide(&e), Some(Owner::Unknown { .. })));
    }

    #[test]
    fn an_unknown_caller_leaves_the_owner_unknown() {
        let head = Existence::Reachable;
        let mut e = evidence(&head, &Ok(true), Some(OTHER));
        e.caller_account = None;
        assert!(matches!(
            decide(&e),
            Some(Owner::Unknown {
                claimed: Some(_),
                ..
            })
        ));
    }

    #[test]
    fn the_control_account_is_never_the_claimed_owner() {
        assert_eq!(control_account(OTHER, Some(CALLER)), CALLER);
        assert_eq!(control_account(CALLER, Some(CALLER)), "000000000000");
        assert_eq!(control_account("000000000000", None), "111111111111");
    }
}
