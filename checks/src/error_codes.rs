//! The error codes S3, STS and KMS answer a failed upload with, and the checks that predict
//! each one: what `explain CODE` tells the person holding the error of a failed export.

/// One error code and what causes it on the export's path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorCode {
    pub code: &'static str,
    /// What the service means by it, on the export's path.
    pub meaning: &'static str,
    /// The checks that predict or prove it, most specific first.
    pub checks: &'static [&'static str],
}

pub static ALL: &[ErrorCode] = &[
    ErrorCode {
        code: "AccessControlListNotSupported",
        meaning: "the bucket does not allow ACLs (Object Ownership is BucketOwnerEnforced), and the upload sent one (`acl` other than `bucket-default`)",
        checks: &["object-ownership", "dry-run-put"],
    },
    ErrorCode {
        code: "AccessDenied",
        meaning: "a policy refused the request: the identity policy, the bucket policy, Block Public Access refusing a public ACL, the KMS key, requester pays, or an organisation policy",
        checks: &[
            "dry-run-put",
            "bucket-policy",
            "iam-simulation",
            "block-public-access",
            "encryption",
            "requester-pays",
            "list-objects",
            "policy-document",
        ],
    },
    ErrorCode {
        code: "AllAccessDisabled",
        meaning: "all access to the bucket has been disabled",
        checks: &["bucket-exists"],
    },
    ErrorCode {
        code: "AuthorizationHeaderMalformed",
        meaning: "the request was signed for another region than the bucket's (regions launched after 2019)",
        checks: &["bucket-region"],
    },
    ErrorCode {
        code: "PermanentRedirect",
        meaning: "the bucket lives in another region than the request went to",
        checks: &["bucket-region"],
    },
    ErrorCode {
        code: "IllegalLocationConstraintException",
        meaning: "the request went to a region the bucket is not in",
        checks: &["bucket-region"],
    },
    ErrorCode {
        code: "NoSuchBucket",
        meaning: "no bucket of that name exists",
        checks: &["bucket-exists", "bucket-name"],
    },
    ErrorCode {
        code: "InvalidBucketName",
        meaning: "the bucket name breaks S3's naming rules",
        checks: &["bucket-name"],
    },
    ErrorCode {
        code: "InvalidAccessKeyId",
        meaning: "the access key does not exist (or belongs to another partition or store)",
        checks: &["credentials"],
    },
    ErrorCode {
        code: "SignatureDoesNotMatch",
        meaning: "the secret key does not belong to the access key",
        checks: &["credentials"],
    },
    ErrorCode {
        code: "ExpiredToken",
        meaning: "temporary credentials (a session token) have expired",
        checks: &["credentials"],
    },
    ErrorCode {
        code: "InvalidToken",
        meaning: "the session token is malformed or belongs to other keys",
        checks: &["credentials"],
    },
    ErrorCode {
        code: "RequestTimeTooSkewed",
        meaning: "the request was signed with a clock more than 15 minutes off S3's",
        checks: &["credentials"],
    },
    ErrorCode {
        code: "KMS.AccessDeniedException",
        meaning: "the writer may not use the bucket's KMS key (kms:GenerateDataKey), in its IAM policy or the key policy",
        checks: &["encryption", "dry-run-put"],
    },
    ErrorCode {
        code: "KMS.DisabledException",
        meaning: "the bucket's KMS key is disabled",
        checks: &["encryption", "dry-run-put"],
    },
    ErrorCode {
        code: "KMS.NotFoundException",
        meaning: "the bucket's KMS key does not exist (an alias resolved in the writer's account?)",
        checks: &["encryption", "dry-run-put"],
    },
    ErrorCode {
        code: "InvalidRequest",
        meaning: "the request breaks a bucket rule, such as object lock's requirement of Content-MD5 or a checksum",
        checks: &["object-lock", "dry-run-put"],
    },
    ErrorCode {
        code: "PreconditionFailed",
        meaning: "a conditional header (If-None-Match, If-Match) did not hold",
        checks: &["dry-run-put", "bucket-policy"],
    },
    ErrorCode {
        code: "KeyTooLongError",
        meaning: "the object key is over 1024 bytes",
        checks: &["store-params"],
    },
    ErrorCode {
        code: "NotImplemented",
        meaning: "the endpoint (an S3-compatible store) does not implement the API",
        checks: &["dry-run-put"],
    },
];

/// The error code, matched without regard to case, with or without the `S3_` prefixes and
/// punctuation people paste along.
pub fn find(code: &str) -> Option<&'static ErrorCode> {
    let wanted = code.trim().trim_matches(|c: char| !c.is_alphanumeric());
    ALL.iter()
        .find(|known| known.code.eq_ignore_ascii_case(wanted))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_names_registered_checks() {
        for code in ALL {
            assert!(!code.checks.is_empty(), "{}", code.code);
            for id in code.checks {
                assert!(crate::registry::find(id).is_some(), "{}: {id}", code.code);
            }
        }
    }

    #[test]
    fn codes_are_found_as_people_paste_them() {
        assert_eq!(
            find("accesscontrollistnotsupported").map(|c| c.checks[0]),
            Some("object-ownership")
        );
        assert_eq!(
            find(" PermanentRedirect: ").map(|c| c.code),
            Some("PermanentRedirect")
        );
        assert_eq!(find("block-public-access"), None);
    }
}
