//! AWS partitions: the `aws` in `arn:aws:s3:::bucket`.
//!
//! Buckets in the China regions have `arn:aws-cn:` ARNs, those in GovCloud `arn:aws-us-gov:`,
//! and so on. A policy that grants `arn:aws:s3:::bucket/*` does not match a request in another
//! partition, so every ARN the tool builds, matches or suggests must carry the bucket's partition.

use crate::{Context, Target};

impl Target {
    /// The bucket's partition as far as the parameters tell: from `bucket_region`, else `aws`.
    /// A malformed `bucket_region` counts as the region it names (`cn-north1` → `aws-cn`).
    pub fn partition(&self) -> &'static str {
        self.corrected()
            .bucket_region
            .as_deref()
            .map_or("aws", of_region)
    }
}

impl Context {
    /// The bucket's partition: from `bucket_region` when given, else from the session's region
    /// (credentials and endpoints of one partition cannot reach buckets of another).
    pub fn partition(&self) -> &'static str {
        // A malformed `bucket_region` counts as the region it names (see `Target::corrected`).
        let given = self.target.corrected().bucket_region;
        let region = given
            .as_deref()
            .or_else(|| self.session().map(|s| s.region().0));
        region.map_or("aws", of_region)
    }

    /// The bucket's ARN, in its partition.
    pub fn bucket_arn(&self) -> String {
        bucket_arn(self.partition(), &self.target.bucket)
    }

    /// The ARN pattern of every object the export writes (`BUCKET/PREFIX*`), in its partition.
    pub fn objects_arn(&self) -> String {
        objects_arn(
            self.partition(),
            &self.target.bucket,
            self.target.key_prefix(),
        )
    }
}

/// Region prefixes of the partitions other than `aws`, most specific first.
const PARTITIONS: [(&str, &str); 7] = [
    ("cn-", "aws-cn"),
    ("us-gov-", "aws-us-gov"),
    ("us-isob-", "aws-iso-b"),
    ("us-isof-", "aws-iso-f"),
    ("us-iso-", "aws-iso"),
    ("eu-isoe-", "aws-iso-e"),
    ("eusc-", "aws-eusc"),
];

/// The partition a region belongs to; `aws` for every commercial region (and unknown shapes).
pub fn of_region(region: &str) -> &'static str {
    let region = region.trim().to_ascii_lowercase();
    PARTITIONS
        .iter()
        .find(|(prefix, _)| region.starts_with(prefix))
        .map_or("aws", |(_, partition)| partition)
}

/// The ARN of a bucket in `partition`.
pub fn bucket_arn(partition: &str, bucket: &str) -> String {
    format!("arn:{partition}:s3:::{bucket}")
}

/// The ARN pattern of the objects under `prefix` in a bucket of `partition`.
pub fn objects_arn(partition: &str, bucket: &str, prefix: &str) -> String {
    format!("arn:{partition}:s3:::{bucket}/{prefix}*")
}

/// The ARN of one object.
pub fn object_arn(partition: &str, bucket: &str, key: &str) -> String {
    format!("arn:{partition}:s3:::{bucket}/{key}")
}

/// The partition an ARN names (`arn:PARTITION:...`), if it is an ARN.
pub fn of_arn(arn: &str) -> Option<&str> {
    let mut parts = arn.splitn(3, ':');
    (parts.next() == Some("arn"))
        .then(|| parts.next())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_map_to_their_partitions() {
        for (region, partition) in [
            ("us-east-1", "aws"),
            ("eu-west-1", "aws"),
            ("cn-north-1", "aws-cn"),
            ("cn-northwest-1", "aws-cn"),
            ("us-gov-west-1", "aws-us-gov"),
            ("us-gov-east-1", "aws-us-gov"),
            ("us-iso-east-1", "aws-iso"),
            ("us-isob-east-1", "aws-iso-b"),
            ("eu-isoe-west-1", "aws-iso-e"),
            ("us-isof-south-1", "aws-iso-f"),
            ("eusc-de-east-1", "aws-eusc"),
            ("CN-NORTH-1", "aws-cn"),
            ("", "aws"),
        ] {
            assert_eq!(of_region(region), partition, "{region}");
        }
    }

    #[test]
    fn a_malformed_region_counts_as_the_one_it_names() {
        let mut target = Target::new("b");
        target.bucket_region = Some("cn-north1".into());
        assert_eq!(target.partition(), "aws-cn");
        target.bucket_region = Some("EU".into());
        assert_eq!(target.partition(), "aws");
        target.bucket_region = Some("Ireland".into());
        assert_eq!(target.partition(), "aws");
    }

    #[test]
    fn arns_carry_the_partition() {
        assert_eq!(bucket_arn("aws-cn", "b"), "arn:aws-cn:s3:::b");
        assert_eq!(
            objects_arn("aws-us-gov", "b", "exports/"),
            "arn:aws-us-gov:s3:::b/exports/*"
        );
        assert_eq!(object_arn("aws", "b", "k"), "arn:aws:s3:::b/k");
        assert_eq!(of_arn("arn:aws-cn:iam::1:user/x"), Some("aws-cn"));
        assert_eq!(of_arn("my-bucket"), None);
    }
}
