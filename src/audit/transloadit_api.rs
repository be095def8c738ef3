//! The Transloadit API client behind `audit --transloadit`: lists every Template of the account,
//! read-only (`GET /templates`, paginated), with the key and secret from `TRANSLOADIT_KEY` and
//! `TRANSLOADIT_SECRET`. Requests are signed as Transloadit documents it: `params` is a JSON
//! object with `auth.key` and `auth.expires` (a few minutes ahead), and `signature` is `sha384:`
//! followed by the hex HMAC-SHA384 of that exact JSON text under the secret. The secret itself
//! never leaves the process and never appears in an error.
//!
//! This module returns the Templates as raw JSON; turning their storage steps into targets is
//! the template parser's job (the same one `check --template` uses).

use hmac::{Hmac, KeyInit, Mac};
use serde_json::{json, Value};
use sha2::Sha384;
use std::time::Duration;

/// The API's address; `TRANSLOADIT_API_URL` overrides it (tests, a proxy).
pub const DEFAULT_API_URL: &str = "https://api2.transloadit.com";
/// Templates per page; the API accepts up to 5,000.
const PAGE_SIZE: u64 = 50;
/// How far ahead a request's signature is valid.
const SIGNATURE_LIFETIME: Duration = Duration::from_secs(10 * 60);
/// Per request; the whole listing is a handful of requests.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// A runaway `count` must not loop forever: 2,000 pages of 50 is 100,000 Templates.
const MAX_PAGES: u64 = 2_000;

/// A Template as the API returns it; `raw` is the whole item for the template parser.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiTemplate {
    pub id: String,
    pub name: String,
    pub raw: Value,
}

/// Why the Templates could not be listed, with the exit code it deserves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub message: String,
    /// 2: missing or rejected credentials, a bad URL (the user must change something);
    /// 3: the API could not be reached or answered nonsense (try again).
    pub exit_code: u8,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

fn bad_input(message: String) -> ApiError {
    ApiError {
        message,
        exit_code: 2,
    }
}

fn unverified(message: String) -> ApiError {
    ApiError {
        message,
        exit_code: 3,
    }
}

/// The account's API credentials.
#[derive(Clone)]
pub struct Auth {
    pub key: String,
    secret: String,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth")
            .field("key", &self.key)
            .field("secret", &"[REDACTED]")
            .finish()
    }
}

impl Auth {
    pub fn new(key: impl Into<String>, secret: impl Into<String>) -> Self {
        Auth {
            key: key.into(),
            secret: secret.into(),
        }
    }

    /// `TRANSLOADIT_KEY` and `TRANSLOADIT_SECRET`, both required.
    pub fn from_env() -> Result<Auth, ApiError> {
        let read = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        match (read("TRANSLOADIT_KEY"), read("TRANSLOADIT_SECRET")) {
            (Some(key), Some(secret)) => Ok(Auth::new(key.trim(), secret.trim())),
            (key, _) => Err(bad_input(format!(
                "--transloadit needs {} in the environment: the Auth Key and Secret of the account \
                 (Transloadit console → Credentials); the Templates are only read",
                if key.is_none() {
                    "TRANSLOADIT_KEY and TRANSLOADIT_SECRET"
                } else {
                    "TRANSLOADIT_SECRET"
                }
            ))),
        }
    }
}

/// `sha384:` + hex HMAC-SHA384 of `params` under `secret`.
pub fn sign(secret: &str, params: &str) -> String {
    let mut mac =
        Hmac::<Sha384>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(params.as_bytes());
    format!("sha384:{}", hex::encode(mac.finalize().into_bytes()))
}

/// `auth.expires` in the format the Go SDK sends: `YYYY/MM/DD HH:MM:SS+00:00`, UTC.
pub fn expires_at(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y/%m/%d %H:%M:%S+00:00").to_string()
}

/// Lists Templates from one account.
pub struct Client {
    base: url::Url,
    auth: Auth,
    http: reqwest::Client,
    page_size: u64,
}

impl Client {
    /// A client for `base` (the API's root URL).
    pub fn new(base: &str, auth: Auth) -> Result<Client, ApiError> {
        let base = url::Url::parse(base.trim())
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
            .ok_or_else(|| {
                bad_input(format!(
                    "TRANSLOADIT_API_URL `{base}` is not an http(s) URL; expected e.g. {DEFAULT_API_URL}"
                ))
            })?;
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("bucket-preflight/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|err| unverified(format!("cannot start an HTTP client: {err}")))?;
        Ok(Client {
            base,
            auth,
            http,
            page_size: PAGE_SIZE,
        })
    }

    /// The client `--transloadit` uses: credentials and (optional) URL from the environment.
    pub fn from_env() -> Result<Client, ApiError> {
        let base = std::env::var("TRANSLOADIT_API_URL")
            .ok()
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_API_URL.to_owned());
        Client::new(&base, Auth::from_env()?)
    }

    #[cfg(test)]
    fn with_page_size(mut self, size: u64) -> Self {
        self.page_size = size;
        self
    }

    /// Every Template of the account, in the API's order, fetched page by page.
    pub async fn templates(&self) -> Result<Vec<ApiTemplate>, ApiError> {
        let mut templates = Vec::new();
        for page in 1..=MAX_PAGES {
            let (items, count) = self.page(page).await?;
            let empty = items.is_empty();
            for item in items {
                templates.push(template(item)?);
            }
            if empty || templates.len() as u64 >= count {
                return Ok(templates);
            }
        }
        Err(unverified(format!(
            "the Transloadit API kept returning pages after {MAX_PAGES}; stopped"
        )))
    }

    /// One signed `GET /templates`: its items and the account's total count.
    async fn page(&self, page: u64) -> Result<(Vec<Value>, u64), ApiError> {
        let expires = chrono::Utc::now()
            + chrono::Duration::from_std(SIGNATURE_LIFETIME).expect("a short duration");
        let params = json!({
            "auth": {"key": self.auth.key, "expires": expires_at(expires)},
            "page": page,
            "pagesize": self.page_size,
        })
        .to_string();
        let signature = sign(&self.auth.secret, &params);
        let mut url = self.base.clone();
        url.path_segments_mut()
            .map_err(|_| {
                bad_input(format!(
                    "TRANSLOADIT_API_URL `{}` cannot take a path",
                    self.base
                ))
            })?
            .pop_if_empty()
            .push("templates");
        url.query_pairs_mut()
            .append_pair("params", &params)
            .append_pair("signature", &signature);
        let where_ = format!("GET {}templates (page {page})", self.base);
        let response = self.http.get(url).send().await.map_err(|err| {
            unverified(format!(
                "cannot reach the Transloadit API ({where_}): {}",
                without_url(&err)
            ))
        })?;
        let status = response.status();
        let body = response.text().await.map_err(|err| {
            unverified(format!(
                "{where_}: reading the answer failed: {}",
                without_url(&err)
            ))
        })?;
        let value: Value = serde_json::from_str(&body).map_err(|_| {
            unverified(format!(
                "{where_}: HTTP {status}, and the answer is not JSON ({} bytes)",
                body.len()
            ))
        })?;
        if let Some(code) = value.get("error").and_then(Value::as_str) {
            let message = value.get("message").and_then(Value::as_str).unwrap_or("");
            let error = format!("{where_}: the Transloadit API refused: {code}: {message}");
            // Authentication problems are the user's to fix; anything else may pass.
            return Err(
                if status.is_client_error() || code.contains("AUTH") || code.contains("SIGNATURE") {
                    bad_input(format!(
                    "{error} (check TRANSLOADIT_KEY and TRANSLOADIT_SECRET, and the clock: the signature expires)"
                ))
                } else {
                    unverified(error)
                },
            );
        }
        if !status.is_success() {
            return Err(unverified(format!("{where_}: HTTP {status}")));
        }
        let items = value
            .get("items")
            .and_then(Value::as_array)
            .cloned()
            .ok_or_else(|| unverified(format!("{where_}: the answer has no `items` list")))?;
        let count = value
            .get("count")
            .and_then(|c| {
                c.as_u64()
                    .or_else(|| c.as_str().and_then(|s| s.parse().ok()))
            })
            .unwrap_or(0);
        Ok((items, count))
    }
}

/// A reqwest error's text without the request URL (it carries the signed params).
fn without_url(err: &reqwest::Error) -> String {
    let mut text = err.to_string();
    if let Some(url) = err.url() {
        text = text.replace(url.as_str(), "<url>");
    }
    text
}

fn template(item: Value) -> Result<ApiTemplate, ApiError> {
    let text = |key: &str| match item.get(key) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let id = text("id").ok_or_else(|| {
        unverified("the Transloadit API returned a Template without an `id`".to_owned())
    })?;
    let name = text("name").unwrap_or_else(|| id.clone());
    Ok(ApiTemplate {
        id,
        name,
        raw: item,
    })
}

#[cfg(test)]
#[path = "transloadit_api_tests.rs"]
mod tests;
