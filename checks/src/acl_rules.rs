//! How S3 treats the upload's ACL header, given Object Ownership and Block Public Access, and
//! whether the uploaded file ends up public (through its ACL or through the bucket policy).
//!
//! Pure functions, so the whole acl × ownership × Block Public Access table is tested in one
//! place and the checks that explain parts of it cannot disagree.

use crate::iam::minimal::SAMPLE_OBJECT_NAME;
use crate::iam::{evaluate, Decision, Effect, PolicyDocument, PolicyKind, Request};
use crate::Acl;
use serde::Serialize;

/// The four Block Public Access switches, after combining bucket and account level (a switch
/// on at either level is on).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct BpaFlags {
    pub block_public_acls: bool,
    pub ignore_public_acls: bool,
    pub block_public_policy: bool,
    pub restrict_public_buckets: bool,
}

impl BpaFlags {
    /// The most restrictive combination of two levels.
    pub fn combine(self, other: BpaFlags) -> BpaFlags {
        BpaFlags {
            block_public_acls: self.block_public_acls || other.block_public_acls,
            ignore_public_acls: self.ignore_public_acls || other.ignore_public_acls,
            block_public_policy: self.block_public_policy || other.block_public_policy,
            restrict_public_buckets: self.restrict_public_buckets || other.restrict_public_buckets,
        }
    }

    pub fn names_on(self) -> Vec<&'static str> {
        [
            ("BlockPublicAcls", self.block_public_acls),
            ("IgnorePublicAcls", self.ignore_public_acls),
            ("BlockPublicPolicy", self.block_public_policy),
            ("RestrictPublicBuckets", self.restrict_public_buckets),
        ]
        .into_iter()
        .filter_map(|(name, on)| on.then_some(name))
        .collect()
    }
}

/// The bucket's Object Ownership setting; `None` (no controls configured) behaves like
/// `ObjectWriter`: ACLs enabled, as on buckets created before April 2023.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Ownership {
    BucketOwnerEnforced,
    BucketOwnerPreferred,
    ObjectWriter,
}

impl Ownership {
    pub fn parse(value: &str) -> Option<Ownership> {
        match value {
            "BucketOwnerEnforced" => Some(Ownership::BucketOwnerEnforced),
            "BucketOwnerPreferred" => Some(Ownership::BucketOwnerPreferred),
            "ObjectWriter" => Some(Ownership::ObjectWriter),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Ownership::BucketOwnerEnforced => "BucketOwnerEnforced",
            Ownership::BucketOwnerPreferred => "BucketOwnerPreferred",
            Ownership::ObjectWriter => "ObjectWriter",
        }
    }
}

/// What happens to an upload with this ACL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AclPrediction {
    /// Stored; publicly readable exactly when the acl is public.
    Accepted,
    /// 400 AccessControlListNotSupported: ACLs are disabled (BucketOwnerEnforced).
    AclsDisabled,
    /// 403 AccessDenied: BlockPublicAcls rejects public ACLs.
    BlockedPublicAcl,
    /// Stored, but the public ACL is ignored (IgnorePublicAcls): the file is not public.
    PublicAclIgnored,
}

/// Predicts S3's answer to the upload. Ownership is checked first: with ACLs disabled any ACL
/// header other than `bucket-owner-full-control` is refused before Block Public Access matters.
pub fn predict(acl: Acl, ownership: Option<Ownership>, bpa: BpaFlags) -> AclPrediction {
    if acl.canned_header().is_none() {
        return AclPrediction::Accepted;
    }
    if ownership == Some(Ownership::BucketOwnerEnforced) {
        return AclPrediction::AclsDisabled;
    }
    if acl.is_public() && bpa.block_public_acls {
        return AclPrediction::BlockedPublicAcl;
    }
    if acl.is_public() && bpa.ignore_public_acls {
        return AclPrediction::PublicAclIgnored;
    }
    AclPrediction::Accepted
}

/// Whether the bucket policy lets anonymous readers get the exported files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyPublicRead {
    /// A statement allows `s3:GetObject` to everyone on the export path.
    Yes {
        statements: Vec<String>,
    },
    /// Allowed to everyone only under conditions (a referer, a source address, ...).
    Conditional {
        explanation: String,
    },
    No,
}

/// Whether `policy` makes objects under `key_prefix` of `bucket` readable by anyone. The same
/// question as the bucket-policy check's own (private) one, asked again here on top of the IAM
/// evaluator so Block Public Access can weigh it.
pub fn policy_public_read(
    policy: &PolicyDocument,
    partition: &str,
    bucket: &str,
    key_prefix: &str,
) -> PolicyPublicRead {
    let object = crate::partition::object_arn(
        partition,
        bucket,
        &format!("{key_prefix}{SAMPLE_OBJECT_NAME}"),
    );
    // An account no policy can name: only statements for everyone apply to it.
    let request = Request {
        principal_account: Some("anonymous"),
        ..Request::new("s3:GetObject", &object)
    };
    let evaluation = evaluate(policy, PolicyKind::Resource, &request);
    let allowing: Vec<String> = evaluation
        .matched
        .iter()
        .filter(|m| m.effect == Effect::Allow)
        .map(|m| m.statement.clone())
        .collect();
    match evaluation.decision {
        Decision::Allowed => PolicyPublicRead::Yes {
            statements: allowing,
        },
        Decision::Conditional if !allowing.is_empty() => PolicyPublicRead::Conditional {
            explanation: evaluation.explanation,
        },
        _ => PolicyPublicRead::No,
    }
}

/// How an anonymous reader fares with the uploaded file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnonymousRead {
    /// The public ACL makes it readable.
    ByAcl,
    /// The ACL does not (private, ignored or absent), but a public bucket policy does.
    ByPolicy,
    /// A public bucket policy would, but RestrictPublicBuckets keeps anonymous readers out.
    PolicyRestricted,
    /// Nothing makes it public.
    No,
}

/// Whether the uploaded file is publicly readable. `policy_public` is whether the bucket policy
/// grants everyone `s3:GetObject` on it. BlockPublicPolicy only stops *new* public policies,
/// so it does not matter here; RestrictPublicBuckets makes an existing public policy ineffective
/// for anyone outside the owner's account.
pub fn anonymous_read(
    acl: Acl,
    ownership: Option<Ownership>,
    bpa: BpaFlags,
    policy_public: bool,
) -> AnonymousRead {
    let acl_public = acl.is_public() && predict(acl, ownership, bpa) == AclPrediction::Accepted;
    if acl_public {
        AnonymousRead::ByAcl
    } else if policy_public && bpa.restrict_public_buckets {
        AnonymousRead::PolicyRestricted
    } else if policy_public {
        AnonymousRead::ByPolicy
    } else {
        AnonymousRead::No
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AclPrediction::*;

    fn flags(bits: [bool; 4]) -> BpaFlags {
        BpaFlags {
            block_public_acls: bits[0],
            ignore_public_acls: bits[1],
            block_public_policy: bits[2],
            restrict_public_buckets: bits[3],
        }
    }

    /// Every acl × ownership × single Block Public Access flag (and none, and all).
    #[test]
    fn prediction_table() {
        let acls = [
            Acl::Public,
            Acl::PublicRead,
            Acl::Private,
            Acl::BucketDefault,
        ];
        let ownerships = [
            None,
            Some(Ownership::ObjectWriter),
            Some(Ownership::BucketOwnerPreferred),
            Some(Ownership::BucketOwnerEnforced),
        ];
        let bpas = [
            ("none", flags([false, false, false, false])),
            ("BlockPublicAcls", flags([true, false, false, false])),
            ("IgnorePublicAcls", flags([false, true, false, false])),
            ("BlockPublicPolicy", flags([false, false, true, false])),
            ("RestrictPublicBuckets", flags([false, false, false, true])),
            ("all", flags([true, true, true, true])),
        ];
        let mut rows = 0;
        for acl in acls {
            for ownership in ownerships {
                for (bpa_name, bpa) in bpas {
                    let expected = match (acl, ownership, bpa_name) {
                        (Acl::BucketDefault, _, _) => Accepted,
                        (_, Some(Ownership::BucketOwnerEnforced), _) => AclsDisabled,
                        (Acl::Public | Acl::PublicRead, _, "BlockPublicAcls" | "all") => {
                            BlockedPublicAcl
                        }
                        (Acl::Public | Acl::PublicRead, _, "IgnorePublicAcls") => PublicAclIgnored,
                        _ => Accepted,
                    };
                    assert_eq!(
                        predict(acl, ownership, bpa),
                        expected,
                        "acl {acl} × {ownership:?} × {bpa_name}"
                    );
                    rows += 1;
                }
            }
        }
        assert_eq!(rows, 4 * 4 * 6);
    }

    #[test]
    fn levels_combine_to_the_most_restrictive() {
        let bucket = flags([true, false, false, false]);
        let account = flags([false, true, false, true]);
        assert_eq!(bucket.combine(account), flags([true, true, false, true]));
        assert_eq!(
            bucket.combine(account).names_on(),
            [
                "BlockPublicAcls",
                "IgnorePublicAcls",
                "RestrictPublicBuckets"
            ]
        );
    }

    #[test]
    fn ignored_public_acls_are_public_through_a_public_policy_unless_restricted() {
        let ignore = flags([false, true, false, false]);
        let ignore_restrict = flags([false, true, false, true]);
        assert_eq!(
            anonymous_read(Acl::Public, None, flags([false; 4]), false),
            AnonymousRead::ByAcl
        );
        assert_eq!(
            anonymous_read(Acl::Public, None, ignore, true),
            AnonymousRead::ByPolicy
        );
        assert_eq!(
            anonymous_read(Acl::Public, None, ignore_restrict, true),
            AnonymousRead::PolicyRestricted
        );
        assert_eq!(
            anonymous_read(Acl::Public, None, ignore, false),
            AnonymousRead::No
        );
        assert_eq!(
            anonymous_read(
                Acl::BucketDefault,
                None,
                flags([false, false, true, false]),
                true
            ),
            AnonymousRead::ByPolicy,
            "BlockPublicPolicy leaves an existing public policy in force"
        );
    }

    #[test]
    fn a_policy_for_everyone_on_the_path_is_public() {
        let policy = |statement: &str| {
            crate::iam::parse_policy(&format!(
                r#"{{"Version": "2012-10-17", "Statement": [{statement}]}}"#
            ))
            .unwrap()
        };
        let anyone = policy(
            r#"{"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/exports/*"}"#,
        );
        assert_eq!(
            policy_public_read(&anyone, "aws", "b", "exports/"),
            PolicyPublicRead::Yes {
                statements: vec!["PublicRead".into()]
            }
        );
        assert_eq!(
            policy_public_read(&anyone, "aws", "b", "other/"),
            PolicyPublicRead::No
        );
        let account = policy(
            r#"{"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}"#,
        );
        assert_eq!(
            policy_public_read(&account, "aws", "b", ""),
            PolicyPublicRead::No
        );
        let referer = policy(
            r#"{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*", "Condition": {"StringLike": {"aws:Referer": "https://example.com/*"}}}"#,
        );
        assert!(matches!(
            policy_public_read(&referer, "aws", "b", ""),
            PolicyPublicRead::Conditional { .. }
        ));
    }
}
