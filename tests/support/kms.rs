//! KMS keys in the emulator, which serves KMS at the same endpoint as S3. The SDK for KMS is
//! not a dependency, so the one call the tests need (CreateKey) is a JSON-protocol POST, signed
//! with SigV4 for the `kms` service: the signature's scope is how the emulator routes it.

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use std::time::SystemTime;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Creates a symmetric key (as for SSE-KMS) and returns its ARN.
pub async fn create_key(endpoint: &str, description: &str) -> String {
    let body =
        serde_json::json!({"Description": description, "KeyUsage": "ENCRYPT_DECRYPT"}).to_string();
    let host = endpoint.trim_start_matches("http://");
    let url = format!("{endpoint}/");
    let headers = [
        ("host", host),
        ("content-type", "application/x-amz-json-1.1"),
        ("x-amz-target", "TrentService.CreateKey"),
    ];
    let identity: Identity =
        Credentials::new(super::ACCESS_KEY, super::SECRET_KEY, None, None, "fixture").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("kms")
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .expect("signing parameters")
        .into();
    let signable = SignableRequest::new(
        "POST",
        &url,
        headers.iter().copied(),
        SignableBody::Bytes(body.as_bytes()),
    )
    .expect("signable request");
    let (signing, _) = sign(signable, &params).expect("signed").into_parts();
    let mut request = String::from("POST / HTTP/1.1\r\n");
    for (name, value) in headers.iter().copied().chain(signing.headers()) {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    ));
    let mut stream = TcpStream::connect(host)
        .await
        .expect("connect to the emulator");
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("answer");
    let answer = String::from_utf8_lossy(&answer);
    let (head, json) = answer.split_once("\r\n\r\n").expect("an HTTP answer");
    assert!(head.starts_with("HTTP/1.1 200"), "CreateKey: {answer}");
    let created: serde_json::Value = serde_json::from_str(json).expect("CreateKey answers JSON");
    created["KeyMetadata"]["Arn"]
        .as_str()
        .unwrap_or_else(|| panic!("CreateKey answered without an ARN: {json}"))
        .to_owned()
}
