//! A loopback HTTP server for tests of anonymous reads: it answers every request with the same
//! canned response (status line, headers, body) and records the request lines it saw. Only
//! 127.0.0.1 is used.

use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Request lines a server saw, as `GET /path?query HTTP/1.1`.
pub type SeenRequests = Arc<Mutex<Vec<String>>>;

/// A loopback HTTP server answering every request with `status`, `headers` and `body`;
/// returns its base URL and the request lines it saw.
pub async fn serve(status: &str, headers: &[&str], body: &[u8]) -> (String, SeenRequests) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let mut head = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for header in headers {
        head.push_str(&format!("{header}\r\n"));
    }
    head.push_str("\r\n");
    let response = [head.as_bytes(), body].concat();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut request = Vec::new();
            let mut buffer = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buffer).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buffer[..n]),
                }
            }
            let line = String::from_utf8_lossy(&request)
                .lines()
                .next()
                .unwrap_or_default()
                .to_owned();
            log.lock().unwrap().push(line);
            let _ = stream.write_all(&response).await;
        }
    });
    (format!("http://{address}/"), seen)
}
