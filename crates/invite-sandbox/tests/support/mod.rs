//! Helpers shared by the integration tests.
#![allow(dead_code)]

use invite_sandbox::{Sandbox, SandboxConfig};
use serde_json::Value;

pub fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .build()
        .unwrap_or_else(|e| panic!("client: {e}"))
}

pub async fn start() -> Sandbox {
    start_with(SandboxConfig::default()).await
}

pub async fn start_with(config: SandboxConfig) -> Sandbox {
    Sandbox::start_with(config)
        .await
        .unwrap_or_else(|e| panic!("start: {e}"))
}

/// Status, headers and parsed JSON body (Null when empty or not JSON).
pub async fn parts(resp: reqwest::Response) -> (u16, reqwest::header::HeaderMap, Value, String) {
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap_or_else(|e| panic!("body: {e}"));
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    (status, headers, json, text)
}

pub fn header<'a>(h: &'a reqwest::header::HeaderMap, name: &str) -> &'a str {
    h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}
