//! A fault-injecting HTTP/1.1 proxy for loopback tests: it sits between the tool and the
//! emulator, names the AWS API of every request, and makes one chosen API fail in one chosen
//! way while every other request reaches the emulator untouched.
//!
//! Raw tokio sockets rather than an HTTP library, because the faults are malformed exchanges
//! (a reset halfway through a body, XML cut short, a request that never gets an answer) that a
//! well-behaved HTTP stack would refuse to produce. Every answer closes its connection
//! (`Connection: close`), as the emulator itself does, so no framing has to survive reuse.

#![allow(dead_code)] // each test binary uses a different part of this module

mod wire;

use std::fmt;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use wire::{read_request, reset, synthetic, Answer, Request};

/// The API a request calls, as far as the tool uses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Api {
    /// STS (form body `Action=GetCallerIdentity`).
    GetCallerIdentity,
    HeadBucket,
    GetBucketLocation,
    ListObjectsV2,
    GetPublicAccessBlock,
    /// S3 Control, account level: `GET /v20180820/configuration/publicAccessBlock`.
    GetAccountPublicAccessBlock,
    GetBucketOwnershipControls,
    GetBucketVersioning,
    GetBucketEncryption,
    GetBucketPolicy,
    GetBucketRequestPayment,
    GetObjectLockConfiguration,
    GetBucketReplication,
    GetBucketNotificationConfiguration,
    PutObject,
    HeadObject,
    /// A GET of an object: the anonymous read of the result URL.
    GetObject,
    DeleteObject,
    CreateMultipartUpload,
    UploadPart,
    CompleteMultipartUpload,
    AbortMultipartUpload,
    /// Any other IAM/STS query action, and anything unrecognised: never faulted, always logged.
    Other,
}

/// Whether an API changes anything. Only the probe may be written; a write of any other kind
/// seen on the wire is a broken rule, whatever the emulator made of it.
impl Api {
    pub fn writes(self) -> bool {
        matches!(
            self,
            Api::PutObject
                | Api::DeleteObject
                | Api::CreateMultipartUpload
                | Api::UploadPart
                | Api::CompleteMultipartUpload
                | Api::AbortMultipartUpload
        )
    }
}

/// How the faulted API answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// The connection is torn down (TCP reset) before a single byte of answer: what a client
    /// sees when the endpoint refuses it. (A port nobody listens on refuses every API at once;
    /// the matrix tests that separately.)
    Refused,
    /// The request is read and never answered; the socket stays open until the client gives up.
    NoAnswer,
    /// 500 InternalError.
    InternalError,
    /// 503 SlowDown.
    SlowDown,
    /// 403 with no body at all.
    EmptyForbidden,
    /// The emulator's own answer with its body cut in half (Content-Length says so, so the
    /// message is complete but the XML is not). A body-less answer is cut in its headers.
    TruncatedXml,
    /// The emulator's own answer, half of it sent, then a TCP reset.
    ResetMidBody,
    /// 200 with an HTML page, as captive portals and misconfigured proxies answer.
    HtmlPage,
    /// 403 with the error body S3 sends for a bad signature or token, which echoes what the
    /// client sent: its access key id, the string to sign, the canonical request with every
    /// signed header (the session token among them) and the token itself (`<Token-0>`). Not in
    /// [`Fault::ALL`]: the secrets tests use it.
    EchoCredentials,
}

impl Fault {
    pub const ALL: [Fault; 8] = [
        Fault::Refused,
        Fault::NoAnswer,
        Fault::InternalError,
        Fault::SlowDown,
        Fault::EmptyForbidden,
        Fault::TruncatedXml,
        Fault::ResetMidBody,
        Fault::HtmlPage,
    ];
}

impl fmt::Display for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// One request the proxy saw.
#[derive(Debug, Clone)]
pub struct Seen {
    pub api: Api,
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    /// The `Action=` of a form-encoded (STS/IAM) request.
    pub action: Option<String>,
    /// Whether the fault was applied to this request.
    pub faulted: bool,
}

impl Seen {
    /// The object key of a path-style object request (`/BUCKET/KEY`), percent-decoding left out:
    /// probe keys need none.
    pub fn object_key(&self) -> Option<&str> {
        let path = self.target.split('?').next().unwrap_or_default();
        let mut parts = path.trim_start_matches('/').splitn(2, '/');
        let _bucket = parts.next()?;
        parts.next().filter(|k| !k.is_empty())
    }
}

/// A running proxy. It stops when the runtime it was started on shuts down.
pub struct FaultProxy {
    pub endpoint: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl FaultProxy {
    /// Starts a proxy to `upstream` (`http://127.0.0.1:PORT`) that applies `fault` to every
    /// request of `api` (none when `rule` is `None`).
    pub async fn start(upstream: &str, rule: Option<(Api, Fault)>) -> FaultProxy {
        FaultProxy::start_with(upstream, rule.into_iter().collect()).await
    }

    /// Like [`FaultProxy::start`], with a fault for each of several APIs: some calls happen
    /// only after another failed (AbortMultipartUpload), or only when another setting was
    /// unreadable (HeadObject for retention).
    pub async fn start_with(upstream: &str, rules: Vec<(Api, Fault)>) -> FaultProxy {
        let rules: Arc<[(Api, Fault)]> = rules.into();
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        let upstream = upstream.trim_start_matches("http://").to_owned();
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let log = seen.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let upstream = upstream.clone();
                let log = log.clone();
                let rules = rules.clone();
                tokio::spawn(async move {
                    let _ = serve(client, &upstream, &rules, &log).await;
                });
            }
        });
        FaultProxy {
            endpoint: format!("http://127.0.0.1:{port}"),
            seen,
        }
    }

    /// Every request so far, in arrival order.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

async fn serve(
    mut client: TcpStream,
    upstream: &str,
    rules: &[(Api, Fault)],
    log: &Mutex<Vec<Seen>>,
) -> std::io::Result<()> {
    let Some(request) = read_request(&mut client).await? else {
        return Ok(());
    };
    let api = classify(&request);
    let fault = rules
        .iter()
        .find(|(faulted, _)| *faulted == api)
        .map(|(_, f)| *f);
    log.lock().unwrap_or_else(|e| e.into_inner()).push(Seen {
        api,
        method: request.method.clone(),
        target: request.target.clone(),
        action: form_action(&request),
        faulted: fault.is_some(),
    });
    let head_request = request.method == "HEAD";
    match fault {
        None => {
            let answer = upstream_answer(upstream, &request, api).await?;
            client.write_all(&answer.to_bytes()).await?;
        }
        Some(Fault::Refused) => {
            reset(client);
            return Ok(());
        }
        Some(Fault::NoAnswer) => {
            // Hold the connection until the client hangs up (its timeout, or the process ends).
            let mut sink = [0u8; 1024];
            while client.read(&mut sink).await? > 0 {}
        }
        Some(Fault::InternalError) => {
            let body = error_body(
                api,
                "InternalError",
                "We encountered an internal error. Please try again.",
            );
            client
                .write_all(&synthetic(
                    500,
                    "Internal Server Error",
                    "application/xml",
                    &body,
                    head_request,
                ))
                .await?;
        }
        Some(Fault::SlowDown) => {
            let body = error_body(api, "SlowDown", "Please reduce your request rate.");
            client
                .write_all(&synthetic(
                    503,
                    "Slow Down",
                    "application/xml",
                    &body,
                    head_request,
                ))
                .await?;
        }
        Some(Fault::EmptyForbidden) => {
            client
                .write_all(&synthetic(
                    403,
                    "Forbidden",
                    "application/xml",
                    b"",
                    head_request,
                ))
                .await?;
        }
        Some(Fault::EchoCredentials) => {
            let body = echo_body(api, &request);
            client
                .write_all(&synthetic(
                    403,
                    "Forbidden",
                    "application/xml",
                    &body,
                    head_request,
                ))
                .await?;
        }
        Some(Fault::HtmlPage) => {
            let page = b"<!DOCTYPE html>\n<html><head><title>Network login</title></head><body><h1>Sign in to continue</h1><form method=\"post\"><input name=\"user\"></form></body></html>\n";
            client
                .write_all(&synthetic(
                    200,
                    "OK",
                    "text/html; charset=utf-8",
                    page,
                    head_request,
                ))
                .await?;
        }
        Some(Fault::TruncatedXml) => {
            let answer = upstream_answer(upstream, &request, api).await?;
            if answer.body.is_empty() {
                let bytes = answer.to_bytes();
                client.write_all(&bytes[..bytes.len() / 2]).await?;
            } else {
                let cut = answer.body.len() / 2;
                let truncated = Answer {
                    head: answer.head.clone(),
                    body: answer.body[..cut].to_vec(),
                    declared_length: Some(cut),
                };
                client.write_all(&truncated.to_bytes()).await?;
            }
        }
        Some(Fault::ResetMidBody) => {
            let answer = upstream_answer(upstream, &request, api).await?;
            let bytes = answer.to_bytes();
            let half = if answer.body.is_empty() {
                bytes.len() / 2
            } else {
                bytes.len() - answer.body.len() / 2
            };
            client.write_all(&bytes[..half]).await?;
            client.flush().await?;
            reset(client);
            return Ok(());
        }
    }
    let _ = client.shutdown().await;
    Ok(())
}

/// `Action=` of a form-encoded query-protocol request (STS, IAM).
fn form_action(request: &Request) -> Option<String> {
    let form = String::from_utf8_lossy(&request.body);
    let query = request.target.split_once('?').map(|(_, q)| q).unwrap_or("");
    form.split('&')
        .chain(query.split('&'))
        .find_map(|pair| pair.strip_prefix("Action="))
        .map(str::to_owned)
}

/// Names the API of a request from its method, path and query (and the form's `Action`).
fn classify(request: &Request) -> Api {
    let (path, query) = request
        .target
        .split_once('?')
        .unwrap_or((request.target.as_str(), ""));
    let params: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split('=').next().unwrap_or_default())
        .collect();
    let has = |name: &str| params.contains(&name);
    if let Some(action) = form_action(request) {
        return match action.as_str() {
            "GetCallerIdentity" => Api::GetCallerIdentity,
            _ => Api::Other,
        };
    }
    if path.starts_with("/v20180820/configuration/publicAccessBlock") {
        return Api::GetAccountPublicAccessBlock;
    }
    let trimmed = path.trim_start_matches('/');
    let object = trimmed
        .split_once('/')
        .is_some_and(|(_, key)| !key.is_empty());
    match (request.method.as_str(), object) {
        ("HEAD", false) => Api::HeadBucket,
        ("GET", false) if has("location") => Api::GetBucketLocation,
        ("GET", false) if has("list-type") => Api::ListObjectsV2,
        ("GET", false) if has("publicAccessBlock") => Api::GetPublicAccessBlock,
        ("GET", false) if has("ownershipControls") => Api::GetBucketOwnershipControls,
        ("GET", false) if has("versioning") => Api::GetBucketVersioning,
        ("GET", false) if has("encryption") => Api::GetBucketEncryption,
        ("GET", false) if has("policy") => Api::GetBucketPolicy,
        ("GET", false) if has("requestPayment") => Api::GetBucketRequestPayment,
        ("GET", false) if has("object-lock") => Api::GetObjectLockConfiguration,
        ("GET", false) if has("replication") => Api::GetBucketReplication,
        ("GET", false) if has("notification") => Api::GetBucketNotificationConfiguration,
        ("POST", true) if has("uploads") => Api::CreateMultipartUpload,
        ("POST", true) if has("uploadId") => Api::CompleteMultipartUpload,
        ("PUT", true) if has("uploadId") => Api::UploadPart,
        ("DELETE", true) if has("uploadId") => Api::AbortMultipartUpload,
        ("PUT", true) => Api::PutObject,
        ("HEAD", true) => Api::HeadObject,
        ("GET", true) => Api::GetObject,
        ("DELETE", true) => Api::DeleteObject,
        _ => Api::Other,
    }
}

/// An error body in the shape the service uses: S3's `<Error>`, or the query protocol's
/// `<ErrorResponse>` for STS.
fn error_body(api: Api, code: &str, message: &str) -> Vec<u8> {
    match api {
        Api::GetCallerIdentity | Api::Other => format!(
            "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Receiver</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>"
        ),
        _ => format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message><RequestId>FAULTPROXY</RequestId><HostId>fault-proxy</HostId></Error>"
        ),
    }
    .into_bytes()
}

/// S3's answer to a request signed with credentials it does not accept, quoting the request.
fn echo_body(api: Api, request: &Request) -> Vec<u8> {
    let header = |name: &str| request.header(name).unwrap_or_default().to_owned();
    let authorization = header("authorization");
    let key_id = authorization
        .split("Credential=")
        .nth(1)
        .and_then(|c| c.split('/').next())
        .unwrap_or_default()
        .to_owned();
    let canonical: String = request
        .headers
        .iter()
        .map(|(n, v)| format!("{}:{v}\n", n.to_ascii_lowercase()))
        .collect();
    let error = format!(
        "<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided. Check your key and signing method. (AWSAccessKeyId {key_id}, token {token})</Message><AWSAccessKeyId>{key_id}</AWSAccessKeyId><StringToSign>AWS4-HMAC-SHA256 {authorization}</StringToSign><CanonicalRequest>{method} {target}\n{canonical}</CanonicalRequest><Token-0>{token}</Token-0><RequestId>FAULTPROXY</RequestId><HostId>fault-proxy</HostId></Error>",
        token = header("x-amz-security-token"),
        method = request.method,
        target = request.target,
    );
    match api {
        // The query protocol (STS, IAM) wraps the same error in <ErrorResponse>.
        Api::GetCallerIdentity | Api::Other => {
            format!("<ErrorResponse>{error}<RequestId>FAULTPROXY</RequestId></ErrorResponse>")
        }
        _ => format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{error}"),
    }
    .into_bytes()
}

/// The emulator's answer, or — for what the emulator lacks — the answer real S3 gives.
async fn upstream_answer(upstream: &str, request: &Request, api: Api) -> std::io::Result<Answer> {
    if api == Api::GetBucketRequestPayment {
        // moto answers this with a ListBucketResult; real S3 with the bucket's payer.
        return Ok(Answer {
            head: vec![
                "HTTP/1.1 200 OK".to_owned(),
                "Content-Type: application/xml".to_owned(),
            ],
            body: b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<RequestPaymentConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Payer>BucketOwner</Payer></RequestPaymentConfiguration>".to_vec(),
            declared_length: None,
        });
    }
    wire::forward(upstream, request).await
}
