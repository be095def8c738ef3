//! Replays AWS responses, exactly as AWS documents them (status, headers, XML body), through the
//! SDK's own HTTP layer, for behaviour the emulator does not reproduce.

use crate::session::{Session, SessionOptions};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use aws_smithy_http_client::test_util::infallible_client_fn;
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use aws_smithy_types::body::SdkBody;
use std::sync::{Arc, Mutex};

pub const ACCESS_KEY: &str = "AKIDREPLAYEXAMPLE";
pub const SECRET_KEY: &str = "replaySecretKeyThatMustNeverBeShown";

struct Route {
    method: &'static str,
    needle: String,
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

/// Requests the replay saw, as `METHOD uri`, for asserting what was (not) sent.
pub type RequestLog = Arc<Mutex<Vec<String>>>;

/// An S3 Control error body: unlike S3's, wrapped in `<ErrorResponse>`.
pub fn s3control_error(code: &str, message: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<ErrorResponse><Error><Code>{code}</Code><Message>{message}</Message><AccountId>111122223333</AccountId></Error><RequestId>4442587FB7D0A2F9</RequestId><HostId>vjhDA6Mt5bCJ1ERDZyWuDe+Iqfq2BhJKx8CG/SsRE5TwZ5Etd5zIlOxaTjMmGvwzwbVeHwFAXE4=</HostId></ErrorResponse>"#
    )
}

/// An S3 error body, as S3 sends it.
pub fn s3_error(code: &str, message: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>{code}</Code><Message>{message}</Message><RequestId>4442587FB7D0A2F9</RequestId><HostId>vjhDA6Mt5bCJ1ERDZyWuDe+Iqfq2BhJKx8CG/SsRE5TwZ5Etd5zIlOxaTjMmGvwzwbVeHwFAXE4=</HostId></Error>"#
    )
}

/// An IAM SimulatePrincipalPolicy answer with one evaluation result per
/// `(action, resource, decision, source policy id)`, as IAM documents it; an empty policy id
/// gives no matched statement (as for an implicit deny).
pub fn iam_simulation(results: &[(&str, &str, &str, &str)]) -> String {
    let members: String = results
        .iter()
        .map(|(action, resource, decision, policy)| {
            let matched = if policy.is_empty() {
                "<MatchedStatements/>".to_owned()
            } else {
                format!("<MatchedStatements><member><SourcePolicyId>{policy}</SourcePolicyId><SourcePolicyType>IAM Policy</SourcePolicyType><StartPosition><Line>1</Line><Column>44</Column></StartPosition><EndPosition><Line>1</Line><Column>167</Column></EndPosition></member></MatchedStatements>")
            };
            format!("<member><EvalActionName>{action}</EvalActionName><EvalResourceName>{resource}</EvalResourceName><EvalDecision>{decision}</EvalDecision>{matched}<MissingContextValues/></member>")
        })
        .collect();
    format!(
        r#"<SimulatePrincipalPolicyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><SimulatePrincipalPolicyResult><IsTruncated>false</IsTruncated><EvaluationResults>{members}</EvaluationResults></SimulatePrincipalPolicyResult><ResponseMetadata><RequestId>004d7059-4c14-11e5-b121-bd8c7EXAMPLE</RequestId></ResponseMetadata></SimulatePrincipalPolicyResponse>"#
    )
}

/// An IAM error body (awsQuery: `<ErrorResponse>` with a `Type`).
pub fn iam_error(code: &str, message: &str) -> String {
    format!(
        r#"<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId></ErrorResponse>"#
    )
}

#[derive(Default)]
pub struct Replay {
    routes: Vec<Route>,
}

impl Replay {
    pub fn new() -> Self {
        Self::default()
    }

    /// Answers requests with `method` whose URI or body contains `needle` (the first match
    /// wins). Unmatched requests get 418, which no check treats as success.
    pub fn on(
        mut self,
        method: &'static str,
        needle: &str,
        status: u16,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Self {
        self.routes.push(Route {
            method,
            needle: needle.to_owned(),
            status,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: body.to_owned(),
        });
        self
    }

    /// STS GetCallerIdentity answering with an IAM user of account 111122223333.
    pub fn identity(self) -> Self {
        self.on(
            "POST",
            "Action=GetCallerIdentity",
            200,
            &[("content-type", "text/xml")],
            r#"<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>
    <Arn>arn:aws:iam::111122223333:user/exporter</Arn>
    <UserId>AIDASAMPLEUSERID</UserId>
    <Account>111122223333</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata><RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId></ResponseMetadata>
</GetCallerIdentityResponse>"#,
        )
    }

    /// The IAM policy simulator allowing every action an export can ask for (results are
    /// matched by action, so one answer serves every resource).
    pub fn iam_simulation_allowed(self) -> Self {
        let bucket = "arn:aws:s3:::my-bucket";
        let object = "arn:aws:s3:::my-bucket/example.jpg";
        let key = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        let body = iam_simulation(&[
            ("s3:ListBucket", bucket, "allowed", "export"),
            ("s3:GetBucketLocation", bucket, "allowed", "export"),
            ("s3:PutObject", object, "allowed", "export"),
            ("s3:PutObjectAcl", object, "allowed", "export"),
            ("s3:PutObjectTagging", object, "allowed", "export"),
            ("s3:GetObject", object, "allowed", "export"),
            ("kms:GenerateDataKey", key, "allowed", "export"),
            ("kms:Decrypt", key, "allowed", "export"),
        ]);
        self.on(
            "POST",
            "Action=SimulatePrincipalPolicy",
            200,
            &[("content-type", "text/xml")],
            &body,
        )
    }

    /// A bucket on AWS in `region` that is ready for `acl: public`: HeadBucket 200 with the
    /// region header, nothing configured (the documented 404 answers), uploads and deletes
    /// accepted. Routes added before this one override it.
    pub fn healthy_bucket(self, region: &str) -> Self {
        let location = if region == "us-east-1" {
            String::new()
        } else {
            region.to_owned()
        };
        self.identity()
            .iam_simulation_allowed()
            .on("HEAD", "amazonaws.com", 200, &[("x-amz-bucket-region", region)], "")
            .on("GET", "?location", 200, &[], &format!(r#"<?xml version="1.0" encoding="UTF-8"?><LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">{location}</LocationConstraint>"#))
            .on("GET", "/v20180820/configuration/publicAccessBlock", 404, &[], &s3control_error("NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found"))
            .on("GET", "?publicAccessBlock", 404, &[], &s3_error("NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found"))
            .on("GET", "?ownershipControls", 404, &[], &s3_error("OwnershipControlsNotFoundError", "The bucket ownership controls were not found"))
            .on("GET", "?versioning", 200, &[], r#"<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>"#)
            .on("GET", "?encryption", 200, &[], r#"<ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>false</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>"#)
            .on("GET", "?policy", 404, &[], &s3_error("NoSuchBucketPolicy", "The bucket policy does not exist"))
            .on("GET", "?requestPayment", 200, &[], r#"<RequestPaymentConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Payer>BucketOwner</Payer></RequestPaymentConfiguration>"#)
            .on("GET", "?replication", 404, &[], &s3_error("ReplicationConfigurationNotFoundError", "The replication configuration was not found"))
            .on("GET", "?notification", 200, &[], r#"<NotificationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>"#)
            .on("GET", "?object-lock", 404, &[], &s3_error("ObjectLockConfigurationNotFoundError", "Object Lock configuration does not exist for this bucket"))
            .on("GET", "list-type=2", 200, &[], r#"<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>my-bucket</Name><Prefix></Prefix><KeyCount>0</KeyCount><MaxKeys>1</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>"#)
            .on("PUT", "amazonaws.com", 200, &[("etag", "\"0123456789abcdef0123456789abcdef\"")], "")
            .on("DELETE", "amazonaws.com", 204, &[], "")
    }

    pub async fn session(self, options: SessionOptions) -> (Session, RequestLog) {
        self.session_through(|client| client, options).await
    }

    /// [`Self::session`], with the replay's HTTP client wrapped by `wrap` (a test's own layer
    /// between the SDK and the replayed answers).
    pub async fn session_through(
        self,
        wrap: impl FnOnce(SharedHttpClient) -> SharedHttpClient,
        mut options: SessionOptions,
    ) -> (Session, RequestLog) {
        let log: RequestLog = Arc::default();
        let seen = log.clone();
        let routes = Arc::new(self.routes);
        let client = infallible_client_fn(move |request: http::Request<SdkBody>| {
            let method = request.method().as_str().to_owned();
            let uri = request.uri().to_string();
            let body = request
                .body()
                .bytes()
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default();
            let headers: String = request
                .headers()
                .iter()
                .map(|(k, v)| format!("{k}: {}\n", v.to_str().unwrap_or_default()))
                .collect();
            seen.lock().unwrap().push(format!("{method} {uri}"));
            let route = routes.iter().find(|r| {
                r.method == method
                    && (uri.contains(&r.needle)
                        || body.contains(&r.needle)
                        || headers.contains(&r.needle))
            });
            let mut response = http::Response::builder();
            let body = match route {
                Some(route) => {
                    response = response.status(route.status);
                    for (name, value) in &route.headers {
                        response = response.header(name, value);
                    }
                    route.body.clone()
                }
                None => {
                    response = response.status(418);
                    format!("<Error><Code>UnexpectedRequest</Code><Message>no replay for {method} {uri}</Message></Error>")
                }
            };
            response.body(SdkBody::from(body)).expect("valid response")
        });
        options.http_client = Some(wrap(client));
        if options.credentials_provider.is_none() {
            let credentials = Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "replay");
            options.credentials_provider = Some(SharedCredentialsProvider::new(credentials));
        }
        options.region.get_or_insert_with(|| "us-east-1".to_owned());
        (Session::new(options).await, log)
    }
}
