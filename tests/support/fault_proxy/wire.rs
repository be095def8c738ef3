//! HTTP/1.1 on raw sockets, for the fault proxy: reading one request, forwarding it to the
//! emulator and reading its whole answer, and writing answers — whole, made up, or broken.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A request read off the wire.
pub(super) struct Request {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    /// The whole request as received (head and body), to forward unchanged: it is signed.
    pub raw: Vec<u8>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Closes with a TCP reset instead of an orderly FIN. (A zero linger time resets at once; it is
/// a non-zero one that would block the thread on drop, which tokio's deprecation is about.)
#[allow(deprecated)]
pub(super) fn reset(stream: TcpStream) {
    let _ = stream.set_linger(Some(std::time::Duration::ZERO));
    drop(stream);
}

/// Reads one request: the head, then a body of `Content-Length` or chunked framing.
pub(super) async fn read_request(stream: &mut TcpStream) -> std::io::Result<Option<Request>> {
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

/// An answer: its head (status line and headers, without framing headers) and body.
#[derive(Clone)]
pub(super) struct Answer {
    pub head: Vec<String>,
    pub body: Vec<u8>,
    /// The Content-Length to declare; `None` keeps the body's own length.
    pub declared_length: Option<usize>,
}

impl Answer {
    pub fn to_bytes(&self) -> Vec<u8> {
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
/// the whole answer; the emulator closes every connection after one answer.
pub(super) async fn forward(upstream: &str, request: &Request) -> std::io::Result<Answer> {
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

/// A made-up answer. A HEAD answer has the headers only.
pub(super) fn synthetic(
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
