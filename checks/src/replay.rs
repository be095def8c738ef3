//! Replays AWS responses, exactly as AWS documents them (status, headers, XML body), through the
//! SDK's own HTTP layer, for behaviour the emulator does not reproduce.

use crate::session::{Session, SessionOptions};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use aws_smithy_http_client::test_util::infallible_client_fn;
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

    pub async fn session(self, mut options: SessionOptions) -> (Session, RequestLog) {
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
            seen.lock().unwrap().push(format!("{method} {uri}"));
            let route = routes.iter().find(|r| {
                r.method == method && (uri.contains(&r.needle) || body.contains(&r.needle))
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
        options.http_client = Some(client);
        if options.credentials_provider.is_none() {
            let credentials = Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "replay");
            options.credentials_provider = Some(SharedCredentialsProvider::new(credentials));
        }
        options.region.get_or_insert_with(|| "us-east-1".to_owned());
        (Session::new(options).await, log)
    }
}
