//! The target as the user meant it, for fix texts: a remediation pasted as printed must work,
//! so it never repeats an invalid value back. `--bucket-region EU` becomes `eu-west-1` in every
//! suggested URL, `ACME-EXPORTS` becomes `acme-exports` in every suggested URL and command —
//! unless the online checks found a bucket under the name as given (a legacy name), which then
//! stays, and is never suggested to be created.

use crate::bucket_naming::{suggest_compliant_name, violations};
use crate::facts::Existence;
use crate::target::{is_region_code, path_style_url_prefix, suggest_region};
use crate::{Context, Target};
use std::time::Duration;

/// How long a fix text waits for HeadBucket's answer before it is written without it: the
/// checks that use it are offline checks, which must not hang on the network.
const HEAD_WAIT: Duration = Duration::from_secs(3);

impl Target {
    /// This target with invalid values replaced by those most likely meant: a bucket name that
    /// breaks the naming rules by a compliant one close to it, a malformed `bucket_region` by
    /// the region it names (`None` when it names none). Valid values are kept as they are.
    pub fn corrected(&self) -> Target {
        let mut corrected = self.clone();
        if !violations(&self.bucket).is_empty() {
            if let Some(name) = suggest_compliant_name(&self.bucket) {
                corrected.bucket = name;
            }
        }
        if let Some(region) = &self.bucket_region {
            if !is_region_code(region) {
                corrected.bucket_region = suggest_region(region);
            }
        }
        corrected
    }
}

/// The sentence every fix uses to keep a bucket whose name is not a DNS label: path-style
/// requests and URLs, with the name as it is and the corrected region.
pub fn legacy_path_style_fix(target: &Target) -> String {
    let prefix = match &target.endpoint {
        // On another store, its own URL: the bucket is not on AWS.
        Some(endpoint) => format!("{}/{}/", endpoint.trim_end_matches('/'), target.bucket),
        None => path_style_url_prefix(&target.bucket, target.corrected().bucket_region.as_deref()),
    };
    format!(
        "To keep using an existing legacy bucket named `{}`, address it path-style: set `no_vhost: true` and `url_prefix: {prefix}`.",
        target.bucket,
    )
}

impl Context {
    /// Whether the online checks found a bucket under the name as given (HeadBucket answered
    /// 200 or 403): `None` offline, when HeadBucket failed, or when it did not answer in time.
    pub async fn bucket_found(&self) -> Option<bool> {
        self.session()?;
        match tokio::time::timeout(HEAD_WAIT, self.head()).await {
            Ok(Ok(head)) => Some(head.existence != Existence::Missing),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_values_are_replaced_by_the_ones_meant() {
        let mut target = Target::new("ACME-EXPORTS");
        target.bucket_region = Some("EU".into());
        let corrected = target.corrected();
        assert_eq!(corrected.bucket, "acme-exports");
        assert_eq!(corrected.bucket_region.as_deref(), Some("eu-west-1"));

        let mut valid = Target::new("acme-exports");
        valid.bucket_region = Some("eu-central-1".into());
        assert_eq!(valid.corrected(), valid);

        let mut unknown = Target::new("acme-exports");
        unknown.bucket_region = Some("Ireland".into());
        assert_eq!(unknown.corrected().bucket_region, None);
    }

    #[test]
    fn the_legacy_fix_keeps_the_name_and_corrects_the_region() {
        let mut target = Target::new("ACME-EXPORTS");
        target.bucket_region = Some("EU".into());
        let fix = legacy_path_style_fix(&target);
        assert!(
            fix.contains("url_prefix: https://s3.eu-west-1.amazonaws.com/ACME-EXPORTS/"),
            "{fix}"
        );
        assert!(fix.contains("no_vhost: true"), "{fix}");
        target.endpoint = Some("http://127.0.0.1:9000/".into());
        let fix = legacy_path_style_fix(&target);
        assert!(
            fix.contains("url_prefix: http://127.0.0.1:9000/ACME-EXPORTS/"),
            "{fix}"
        );
    }
}
