//! The Templates client against a loopback server that checks what Transloadit checks: the
//! key, the HMAC-SHA384 signature over the exact `params`, an expiry in the (near) future, and
//! the paging.

use super::*;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const KEY: &str = "a1b2c3d4e5f6";
const SECRET: &str = "s3cr3t-0123456789abcdef0123456789";

/// What the server saw and decided, one entry per request.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    page: u64,
    pagesize: u64,
    accepted: bool,
    raw_request: String,
}

fn query_value(query: &str, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Checks a request as the API would; `Err` is the error code it answers with.
fn verify(params: &str, signature: &str, secret: &str) -> Result<(u64, u64), &'static str> {
    if sign(secret, params) != signature {
        return Err("INVALID_SIGNATURE");
    }
    let value: Value = serde_json::from_str(params).map_err(|_| "INVALID_PARAMS")?;
    if value["auth"]["key"] != KEY {
        return Err("GET_ACCOUNT_UNKNOWN_AUTH_KEY");
    }
    let expires = value["auth"]["expires"].as_str().ok_or("NO_EXPIRES")?;
    let expires = chrono::NaiveDateTime::parse_from_str(expires, "%Y/%m/%d %H:%M:%S+00:00")
        .map_err(|_| "INVALID_EXPIRES")?
        .and_utc();
    let now = chrono::Utc::now();
    if expires <= now {
        return Err("AUTH_EXPIRED");
    }
    if expires > now + chrono::Duration::hours(1) {
        return Err("AUTH_EXPIRES_TOO_FAR");
    }
    Ok((
        value["page"].as_u64().ok_or("NO_PAGE")?,
        value["pagesize"].as_u64().ok_or("NO_PAGESIZE")?,
    ))
}

/// A loopback Templates API holding `total` Templates and knowing `secret`.
async fn serve(total: usize, secret: &'static str) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut request = Vec::new();
            let mut buffer = [0u8; 4096];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buffer).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buffer[..n]),
                }
            }
            let raw = String::from_utf8_lossy(&request).into_owned();
            let target = raw.split_whitespace().nth(1).unwrap_or_default().to_owned();
            let (path, query) = target.split_once('?').unwrap_or((&target, ""));
            let params = query_value(query, "params").unwrap_or_default();
            let signature = query_value(query, "signature").unwrap_or_default();
            let (status, body, seen_page) = match (path, verify(&params, &signature, secret)) {
                ("/templates", Ok((page, pagesize))) => {
                    let start = ((page - 1) * pagesize) as usize;
                    let items: Vec<Value> = (start..total.min(start + pagesize as usize))
                        .map(|i| json!({"id": format!("tpl{i}"), "name": format!("template-{i}"), "content": {"steps": {}}}))
                        .collect();
                    (
                        "200 OK",
                        json!({"items": items, "count": total}),
                        Some((page, pagesize)),
                    )
                }
                (_, Err(code)) => (
                    "403 Forbidden",
                    json!({"error": code, "message": "refused by the test server"}),
                    None,
                ),
                _ => ("404 Not Found", json!({"error": "NOT_FOUND"}), None),
            };
            let (page, pagesize) = seen_page.unwrap_or((0, 0));
            log.lock().unwrap().push(Seen {
                page,
                pagesize,
                accepted: seen_page.is_some(),
                raw_request: raw,
            });
            let body = body.to_string();
            let response = format!(
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes()).await;
        }
    });
    (format!("http://{address}"), seen)
}

#[tokio::test]
async fn lists_every_template_page_by_page_with_valid_signatures() {
    let (base, seen) = serve(5, SECRET).await;
    let client = Client::new(&base, Auth::new(KEY, SECRET))
        .unwrap()
        .with_page_size(2);
    let templates = client.templates().await.unwrap();
    let ids: Vec<_> = templates.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["tpl0", "tpl1", "tpl2", "tpl3", "tpl4"]);
    assert_eq!(templates[3].name, "template-3");
    assert_eq!(templates[0].raw["content"], json!({"steps": {}}));
    let seen = seen.lock().unwrap().clone();
    let pages: Vec<_> = seen
        .iter()
        .map(|s| (s.page, s.pagesize, s.accepted))
        .collect();
    assert_eq!(pages, [(1, 2, true), (2, 2, true), (3, 2, true)]);
    for request in &seen {
        assert!(
            request.raw_request.starts_with("GET /templates?"),
            "read-only"
        );
        assert!(
            !request.raw_request.contains(SECRET),
            "the secret never travels"
        );
    }
}

#[tokio::test]
async fn an_account_without_templates_is_one_request() {
    let (base, seen) = serve(0, SECRET).await;
    let client = Client::new(&base, Auth::new(KEY, SECRET)).unwrap();
    assert!(client.templates().await.unwrap().is_empty());
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_wrong_secret_is_refused_as_bad_input_without_echoing_it() {
    let (base, _) = serve(3, SECRET).await;
    let wrong = "not-the-secret-0123456789";
    let client = Client::new(&base, Auth::new(KEY, wrong)).unwrap();
    let err = client.templates().await.unwrap_err();
    assert_eq!(err.exit_code, 2, "{err}");
    assert!(err.message.contains("INVALID_SIGNATURE"), "{err}");
    assert!(err.message.contains("TRANSLOADIT_SECRET"), "{err}");
    assert!(!err.message.contains(wrong));
}

#[tokio::test]
async fn an_unreachable_api_is_unverified_not_bad_input() {
    // Bind and drop: nothing listens on this loopback port any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = Client::new(&format!("http://127.0.0.1:{port}"), Auth::new(KEY, SECRET)).unwrap();
    let err = client.templates().await.unwrap_err();
    assert_eq!(err.exit_code, 3, "{err}");
    assert!(
        !err.message.contains("signature="),
        "no signed URL in errors: {err}"
    );
}

#[test]
fn the_server_side_checks_can_fail() {
    let params = json!({"auth": {"key": KEY, "expires": "2020/01/01 00:00:00+00:00"}, "page": 1, "pagesize": 2}).to_string();
    assert_eq!(
        verify(&params, &sign(SECRET, &params), SECRET),
        Err("AUTH_EXPIRED")
    );
    let fresh = json!({"auth": {"key": KEY, "expires": expires_at(chrono::Utc::now() + chrono::Duration::minutes(5))}, "page": 1, "pagesize": 2}).to_string();
    assert!(verify(&fresh, &sign(SECRET, &fresh), SECRET).is_ok());
    // One changed byte of the params breaks the signature.
    let tampered = fresh.replace("\"page\":1", "\"page\":2");
    assert_eq!(
        verify(&tampered, &sign(SECRET, &fresh), SECRET),
        Err("INVALID_SIGNATURE")
    );
}

#[test]
fn signatures_match_a_known_hmac_sha384() {
    // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
    assert_eq!(
        sign("Jefe", "what do ya want for nothing?"),
        "sha384:af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649"
    );
}

#[test]
fn missing_credentials_are_bad_input_and_debug_hides_the_secret() {
    assert!(!format!("{:?}", Auth::new(KEY, SECRET)).contains(SECRET));
    let err = Client::new("ftp://example.com", Auth::new(KEY, SECRET))
        .err()
        .unwrap();
    assert_eq!(err.exit_code, 2);
}
