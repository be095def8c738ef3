//! Just enough ARN handling for policy evaluation.
//!
//! A plain split into the six colon-separated parts. The `aws-arn` crate validates each part
//! (and pulls in `regex`), so it rejects wildcard patterns such as `arn:*:s3:::bucket` that
//! policies are full of.

use wildmatch::WildMatch;

/// The parts of `arn:partition:service:region:account:resource`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Arn<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    /// Everything after the fifth colon; may itself contain `:` and `/`.
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    pub fn parse(text: &'a str) -> Option<Self> {
        let mut parts = text.splitn(6, ':');
        if parts.next()? != "arn" {
            return None;
        }
        Some(Arn {
            partition: parts.next()?,
            service: parts.next()?,
            region: parts.next()?,
            account: parts.next()?,
            resource: parts.next()?,
        })
    }

    fn parts(&self) -> [&'a str; 5] {
        [
            self.partition,
            self.service,
            self.region,
            self.account,
            self.resource,
        ]
    }

    /// For an S3 ARN, the bucket and (for an object ARN) the key part.
    pub fn s3_location(&self) -> Option<(&'a str, Option<&'a str>)> {
        if self.service != "s3" || !self.region.is_empty() || !self.account.is_empty() {
            return None;
        }
        Some(match self.resource.split_once('/') {
            Some((bucket, key)) => (bucket, Some(key)),
            None => (self.resource, None),
        })
    }

    /// The role name of an STS session ARN (`arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION`).
    pub fn assumed_role_name(&self) -> Option<&'a str> {
        if self.service != "sts" {
            return None;
        }
        let rest = self.resource.strip_prefix("assumed-role/")?;
        rest.split_once('/').map(|(role, _session)| role)
    }

    /// The role name of an IAM role ARN, without its path (`role/path/NAME` gives `NAME`).
    pub fn role_name(&self) -> Option<&'a str> {
        if self.service != "iam" {
            return None;
        }
        let path_and_name = self.resource.strip_prefix("role/")?;
        path_and_name.rsplit('/').next()
    }
}

/// Whether an ARN pattern covers an ARN, the way IAM matches `Resource` and `ArnLike`:
/// case-sensitive, `*` and `?` wildcards, each of the first five parts matched on its own so
/// a wildcard there never swallows a colon, while one in the resource part may span `/` and `:`.
pub(crate) fn arn_matches(pattern: &str, arn: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    match (Arn::parse(pattern), Arn::parse(arn)) {
        (Some(pattern), Some(arn)) => pattern
            .parts()
            .iter()
            .zip(arn.parts())
            .all(|(pattern_part, part)| WildMatch::new(pattern_part).matches(part)),
        _ => false,
    }
}

pub(crate) use crate::partition::{bucket_arn, object_arn};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_into_parts_and_keeps_colons_in_the_resource() {
        let arn = Arn::parse("arn:aws:kms:eu-west-1:111122223333:key/abc:def").unwrap();
        assert_eq!(arn.service, "kms");
        assert_eq!(arn.account, "111122223333");
        assert_eq!(arn.resource, "key/abc:def");
        assert_eq!(Arn::parse("arn:aws:s3"), None);
        assert_eq!(Arn::parse("my-bucket/*"), None);
    }

    #[test]
    fn matches_part_by_part() {
        assert!(arn_matches("*", "arn:aws:s3:::b"));
        assert!(arn_matches("arn:aws:s3:::b/*", "arn:aws:s3:::b/x/y.jpg"));
        assert!(arn_matches("arn:aws:s3:::b*", "arn:aws:s3:::b/x"));
        assert!(arn_matches("arn:*:s3:::b", "arn:aws:s3:::b"));
        assert!(arn_matches(
            "arn:aws:s3:::*",
            "arn:aws:s3:::b/key:with:colons"
        ));
        assert!(!arn_matches("arn:aws:s3:::b/*", "arn:aws:s3:::b"));
        assert!(!arn_matches("arn:aws:s3:::B/*", "arn:aws:s3:::b/x"));
        assert!(!arn_matches("arn:aws:s3:*", "arn:aws:s3:::b"));
        assert!(!arn_matches("b/*", "arn:aws:s3:::b/x"));
    }

    #[test]
    fn reads_s3_locations_and_role_names() {
        let object = Arn::parse("arn:aws:s3:::b/exports/x.jpg").unwrap();
        assert_eq!(object.s3_location(), Some(("b", Some("exports/x.jpg"))));
        let bucket = Arn::parse("arn:aws:s3:::b").unwrap();
        assert_eq!(bucket.s3_location(), Some(("b", None)));
        let session = Arn::parse("arn:aws:sts::111122223333:assumed-role/Exporter/i-123").unwrap();
        assert_eq!(session.assumed_role_name(), Some("Exporter"));
        let role = Arn::parse("arn:aws:iam::111122223333:role/service/Exporter").unwrap();
        assert_eq!(role.role_name(), Some("Exporter"));
    }
}
