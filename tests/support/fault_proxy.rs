//! A fault-injecting HTTP/1.1 proxy for loopback tests: it sits between the tool and the
//! emulator, names the AWS API of every request, and makes one chosen API fail in one chosen
//! way while every other request reaches the emulator untouched.
//!
//! Raw tokio sockets rather than an HTTP library, because the faults are malformed exchanges
//! (a reset halfway through a body, XML cut short, a request that never gets an answer) that a
//! well-behaved HTTP stack would refuse to produce. Every answer closes its connection
//! (`Connection: close`), as the emulator itself does, so no framing has to survive reuse.

#![allow(dead_code)] // each test binary uses a different part of this module

use std::fmt;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

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
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        let upstream = upstream.trim_start_matches("http://").to_owned();
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let log = seen.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let upstream = upstream.clone();
                let log = log.clone();
                tokio::spawn(async move {
                    let _ = serve(client, &upstream, rule, &log).await;
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

/// A request read off the wire.
struct Request {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    /// The whole request as received (head and body), to forward unchanged: it is signed.
    raw: Vec<u8>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

async fn serve(
    mut client: TcpStream,
    upstream: &str,
    rule: Option<(Api, Fault)>,
    log: &Mutex<Vec<Seen>>,
) -> std::io::Result<()> {
    let Some(request) = read_request(&mut client).await? else {
        return Ok(());
    };
    let api = classify(&request);
    let fault = rule.filter(|(faulted, _)| *faulted == api).map(|(_, f)| f);
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
            let answer = forward(upstream, &request).await?;
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
            let answer = forward(upstream, &request).await?;
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
            let answer = forward(upstream, &request).await?;
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

/// Closes with a TCP reset instead of an orderly FIN. (A zero linger time resets at once; it is
/// a non-zero one that would block the thread on drop, which tokio's deprecation is about.)
#[allow(deprecated)]
fn reset(stream: TcpStream) {
    let _ = stream.set_linger(Some(std::time::Duration::ZERO));
    drop(stream);
}

/// Reads one request: the head, then a body of `Content-Length` or chunked framing.
async fn read_request(stream: &mut TcpStream) -> std::io::Result<Option<Request>> {
    let mut raw = Vec::new();
    let mut buf = [0u8; 8192];
    let head_end = loop {
        if let Some(at) = find(&raw, b"\r\n\r\n") {
            break at + 4;
        }
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(None);
        }
        raw.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&raw[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or_default().split(' ');
    let method = first.next().unwrap_or_default().to_owned();
    let target = first.next().unwrap_or_default().to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let chunked = header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked"));
    if chunked {
        while find(&raw[head_end..], b"0\r\n\r\n").is_none() {
            let n = stream.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            raw.extend_from_slice(&buf[..n]);
        }
    } else {
        let length: usize = header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        while raw.len() < head_end + length {
            let n = stream.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            raw.extend_from_slice(&buf[..n]);
        }
    }
    let body = raw[head_end..].to_vec();
    Ok(Some(Request {
        method,
        target,
        headers,
        raw,
        body,
    }))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
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

/// An answer: its head (status line and headers, without framing headers) and body.
#[derive(Clone)]
struct Answer {
    head: Vec<String>,
    body: Vec<u8>,
    /// The Content-Length to declare; `None` keeps the body's own length.
    declared_length: Option<usize>,
}

impl Answer {
    fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for line in &self.head {
            out.extend_from_slice(line.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        let length = self.declared_length.unwrap_or(self.body.len());
        out.extend_from_slice(
            format!("Content-Length: {length}\r\nConnection: close\r\n\r\n").as_bytes(),
        );
        out.extend_from_slice(&self.body);
        out
    }
}

/// Sends the request to the emulator as it came (it is signed: not a byte changes) and reads
/// the whole answer; the emulator closes every connection after one answer. What the emulator
/// lacks, the proxy answers itself as real S3 does.
async fn forward(upstream: &str, request: &Request) -> std::io::Result<Answer> {
    if classify(request) == Api::GetBucketRequestPayment {
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
    let mut server = TcpStream::connect(upstream).await?;
    server.write_all(&request.raw).await?;
    let mut raw = Vec::new();
    let head_end = loop {
        if let Some(at) = find(&raw, b"\r\n\r\n") {
            break at + 4;
        }
        let mut buf = [0u8; 8192];
        let n = server.read(&mut buf).await?;
        if n == 0 {
            return Err(std::io::Error::other(
                "the emulator closed without an answer",
            ));
        }
        raw.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&raw[..head_end - 4]).into_owned();
    let framing = |line: &str| {
        let name = line.split(':').next().unwrap_or_default().trim();
        ["content-length", "connection", "transfer-encoding"]
            .iter()
            .any(|f| name.eq_ignore_ascii_case(f))
    };
    let declared: Option<usize> = head
        .split("\r\n")
        .filter_map(|l| l.split_once(':'))
        .find(|(n, _)| n.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok());
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let mut body = raw[head_end..].to_vec();
    let bodiless = request.method == "HEAD"
        || head.starts_with("HTTP/1.1 204")
        || head.starts_with("HTTP/1.1 304");
    if !bodiless {
        match declared {
            Some(length) if !chunked => {
                while body.len() < length {
                    let mut buf = [0u8; 8192];
                    let n = server.read(&mut buf).await?;
                    if n == 0 {
                        break;
                    }
                    body.extend_from_slice(&buf[..n]);
                }
            }
            _ => {
                server.read_to_end(&mut body).await?;
                if chunked {
                    body = dechunk(&body);
                }
            }
        }
    }
    let lines: Vec<String> = head
        .split("\r\n")
        .filter(|l| !framing(l))
        .map(str::to_owned)
        .collect();
    // A HEAD answer declares the length of the body a GET would have had.
    let declared_length = if request.method == "HEAD" {
        declared.or(Some(0))
    } else {
        None
    };
    Ok(Answer {
        head: lines,
        body,
        declared_length,
    })
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(line_end) = find(data, b"\r\n") {
        let size_text = String::from_utf8_lossy(&data[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("0").trim(), 16)
            .unwrap_or(0);
        data = &data[line_end + 2..];
        if size == 0 || data.len() < size {
            break;
        }
        out.extend_from_slice(&data[..size]);
        data = data.get(size + 2..).unwrap_or_default();
    }
    out
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

/// A made-up answer. A HEAD answer has the headers only.
fn synthetic(
    status: u16,
    reason: &str,
    content_type: &str,
    body: &[u8],
    head_request: bool,
) -> Vec<u8> {
    let answer = Answer {
        head: vec![
            format!("HTTP/1.1 {status} {reason}"),
            format!("Content-Type: {content_type}"),
        ],
        body: if head_request {
            Vec::new()
        } else {
            body.to_vec()
        },
        declared_length: Some(body.len()),
    };
    answer.to_bytes()
}
