//! How S3 treats the upload's ACL header, given Object Ownership and Block Public Access, and
//! whether the uploaded file ends up public (through its ACL or through the bucket policy).
//!
//! Pure functions, so the whole acl × ownership × Block Public Access table is tested in one
//! place and the checks that explain parts of it cannot disagree.

use crate::iam::minimal::SAMPLE_OBJECT_NAME;
use crate::iam::{Decision, Effect, PolicyDocument};
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

/// Whether `policy` makes objects under `key_prefix` of `bucket` readable by anyone: the
/// bucket-policy check's question ([`crate::iam::bucket_policy::public_read`]), in the words
/// Block Public Access weighs it with.
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
    match crate::iam::bucket_policy::public_read(policy, &object) {
        Some(evaluation) if evaluation.decision == Decision::Allowed => PolicyPublicRead::Yes {
            statements: evaluation
                .matched
                .iter()
                .filter(|m| m.effect == Effect::Allow)
                .map(|m| m.statement.clone())
                .collect(),
        },
        Some(evaluation) => PolicyPublicRead::Conditional {
            explanation: evaluation.explanation,
        },
        None => PolicyPublicRead::No,
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
