//! The benchmarks' loopback HTTP/1.1 proxy that adds network latency in front of the S3
//! emulator (`scripts/bench.sh`, `scripts/bench-audit.sh`).
//!
//! Every request/response exchange costs one round trip (half on the way there, half on the way
//! back), every new client connection one more (the TCP handshake), and a request that expects
//! `100 Continue` one more before its body is sent, as with S3. Client connections are kept
//! alive although the emulator closes its own after each response, so a client that reuses
//! connections benefits exactly as it would against S3. Prints `listening on PORT` once ready.
//!
//! It is Rust, not Python, so that on a 2-core machine it takes next to no CPU from the emulator
//! it stands in front of: a benchmark must measure the client, not its own proxy.
//!
//! Usage: latency_proxy UPSTREAM_PORT RTT_MS [CONNECTION_COUNT_FILE [REQUEST_LOG]]
//! With CONNECTION_COUNT_FILE, the number of client connections accepted so far is written there
//! after each new one (the benchmark reports connections per run from it). With REQUEST_LOG,
//! every request exactly as sent to the emulator is appended there, each as its length in
//! bytes, a newline, and the bytes: the audit benchmark replays them straight at the emulator
//! to measure what it can serve of this very mix.
//! Build: `cargo build --release --example latency_proxy`.

use std::fs::File;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

type Error = Box<dyn std::error::Error + Send + Sync>;

/// Sleeps `duration`, to within a fraction of a millisecond. Tokio's timer fires on whole
/// milliseconds, so a 25 ms sleep ended 1–2 ms late: over a run's chain of exchanges that added
/// several milliseconds (a tenth of a round trip) which the benchmark counted as the client's.
/// The timer sleeps all but the last two milliseconds; a blocking thread's `nanosleep`, which
/// is precise, the rest. Sleeping threads take no CPU from the emulator.
async fn sleep(duration: Duration) {
    const PRECISE: Duration = Duration::from_millis(2);
    let deadline = Instant::now() + duration;
    if duration > PRECISE {
        tokio::time::sleep(duration - PRECISE).await;
    }
    let rest = deadline.saturating_duration_since(Instant::now());
    if !rest.is_zero() {
        let _ = tokio::task::spawn_blocking(move || std::thread::sleep(rest)).await;
    }
}

struct Proxy {
    upstream_port: u16,
    rtt: Duration,
    count_file: Option<String>,
    request_log: Option<Mutex<File>>,
    connections: AtomicU64,
}

/// One HTTP message: its start line, its headers (without the framing ones once its body is
/// read: the proxy rewrites those) and its whole body (a chunked body is reassembled).
struct Message {
    start: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// Whether the message came with a length or chunks (a GET without either is passed on
    /// without a `Content-Length: 0` it never had).
    framed: bool,
}

impl Message {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn without(&mut self, names: &[&str]) {
        self.headers
            .retain(|(n, _)| !names.iter().any(|drop| n.eq_ignore_ascii_case(drop)));
    }

    /// The message as bytes, with an explicit length (if it had a body) and the given
    /// `Connection` header.
    fn encode(&self, start: &str, connection: &str) -> Vec<u8> {
        let mut out = format!("{start}\r\n");
        for (name, value) in &self.headers {
            out.push_str(&format!("{name}: {value}\r\n"));
        }
        if self.framed {
            out.push_str(&format!("Content-Length: {}\r\n", self.body.len()));
        }
        out.push_str(&format!("Connection: {connection}\r\n\r\n"));
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }
}

/// Reads a message head; `None` at a clean end of stream.
async fn read_head(reader: &mut (impl AsyncBufRead + Unpin)) -> Result<Option<Message>, Error> {
    let mut start = String::new();
    if reader.read_line(&mut start).await? == 0 {
        return Ok(None);
    }
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await? == 0 {
            return Err("connection closed inside a message head".into());
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            break;
        }
        let (name, value) = line
            .split_once(':')
            .ok_or("a header line without a colon")?;
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    let start = start.trim_end_matches(['\r', '\n']).to_owned();
    Ok(Some(Message {
        start,
        headers,
        body: Vec::new(),
        framed: false,
    }))
}

/// Reads the body `message`'s head announces. `until_eof` is for a response that has neither a
/// length nor chunks: its body ends with the connection.
async fn read_body(
    reader: &mut (impl AsyncBufRead + Unpin),
    message: &mut Message,
    until_eof: bool,
) -> Result<(), Error> {
    let chunked = message
        .header("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"));
    message.framed = message.header("content-length").is_some();
    if let Some(length) = message.header("content-length") {
        let mut body = vec![0; length.parse()?];
        reader.read_exact(&mut body).await?;
        message.body = body;
    } else if chunked {
        loop {
            let mut size_line = String::new();
            reader.read_line(&mut size_line).await?;
            let size = size_line.split(';').next().unwrap_or("").trim();
            let size = usize::from_str_radix(size, 16)?;
            let mut chunk = vec![0; size + 2]; // the chunk and its CRLF
            reader.read_exact(&mut chunk).await?;
            message.body.extend_from_slice(&chunk[..size]);
            if size == 0 {
                break; // (trailers are not used by the emulator or the SDK here)
            }
        }
    } else if until_eof {
        reader.read_to_end(&mut message.body).await?;
    }
    message.framed = message.framed || chunked || until_eof;
    message.without(&["content-length", "transfer-encoding", "connection"]);
    Ok(())
}

impl Proxy {
    /// Sends one request to the emulator on a connection of its own and returns the response,
    /// and whether it is one without a body (to HEAD, or 1xx/204/304).
    async fn exchange(&self, request: &Message) -> Result<(Message, bool), Error> {
        let upstream = TcpStream::connect(("127.0.0.1", self.upstream_port)).await?;
        upstream.set_nodelay(true)?;
        let mut upstream = BufReader::new(upstream);
        let bytes = request.encode(&request.start, "close");
        if let Some(log) = &self.request_log {
            let mut log = log
                .lock()
                .map_err(|_| "the request log's lock is poisoned")?;
            writeln!(log, "{}", bytes.len())?;
            log.write_all(&bytes)?;
        }
        upstream.get_mut().write_all(&bytes).await?;
        let mut response = read_head(&mut upstream)
            .await?
            .ok_or("the emulator closed the connection without answering")?;
        let status: u16 = response
            .start
            .split_whitespace()
            .nth(1)
            .ok_or("a status line without a status")?
            .parse()?;
        let bodiless =
            request.start.starts_with("HEAD ") || matches!(status, 100..=199 | 204 | 304);
        if bodiless {
            response.without(&["connection"]);
        } else {
            read_body(&mut upstream, &mut response, true).await?;
        }
        Ok((response, bodiless))
    }

    /// Serves one client connection until the client closes it.
    async fn serve(&self, client: TcpStream) -> Result<(), Error> {
        let accepted = self.connections.fetch_add(1, Ordering::SeqCst) + 1;
        if let Some(file) = &self.count_file {
            std::fs::write(file, accepted.to_string())?;
        }
        sleep(self.rtt).await; // the TCP handshake
        let mut client = BufReader::new(client);
        while let Some(mut request) = read_head(&mut client).await? {
            if request
                .header("expect")
                .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"))
            {
                // The head travels, the `100 Continue` travels back; only then the body.
                request.without(&["expect"]);
                sleep(self.rtt).await;
                client
                    .get_mut()
                    .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
                    .await?;
            }
            read_body(&mut client, &mut request, false).await?;
            sleep(self.rtt / 2).await; // the request travels
            let (response, bodiless) = self.exchange(&request).await?;
            // The response travels. One without a body keeps its headers as they came (a HEAD
            // response's Content-Length is the size of the body it would have had).
            sleep(self.rtt / 2).await;
            let bytes = if bodiless {
                let mut head = format!("{}\r\n", http11(&response.start));
                for (name, value) in &response.headers {
                    head.push_str(&format!("{name}: {value}\r\n"));
                }
                head.push_str("Connection: keep-alive\r\n\r\n");
                head.into_bytes()
            } else {
                response.encode(&http11(&response.start), "keep-alive")
            };
            client.get_mut().write_all(&bytes).await?;
        }
        Ok(())
    }
}

/// The status line as HTTP/1.1 (the emulator may answer 1.0; the client connection is 1.1).
fn http11(status_line: &str) -> String {
    let rest = status_line.split_once(' ').map_or("", |(_, rest)| rest);
    format!("HTTP/1.1 {rest}")
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(port), Some(rtt_ms)) = (args.first(), args.get(1)) else {
        eprintln!(
            "usage: latency_proxy UPSTREAM_PORT RTT_MS [CONNECTION_COUNT_FILE [REQUEST_LOG]]"
        );
        std::process::exit(2);
    };
    let proxy = Arc::new(Proxy {
        upstream_port: port.parse()?,
        rtt: Duration::from_secs_f64(rtt_ms.parse::<f64>()? / 1000.0),
        count_file: args.get(2).cloned(),
        request_log: args.get(3).map(File::create).transpose()?.map(Mutex::new),
        connections: AtomicU64::new(0),
    });
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    println!("listening on {}", listener.local_addr()?.port());
    loop {
        let (client, _) = listener.accept().await?;
        client.set_nodelay(true)?;
        let proxy = proxy.clone();
        tokio::spawn(async move {
            // A broken connection ends that connection only, as the client would see it.
            let _ = proxy.serve(client).await;
        });
    }
}
