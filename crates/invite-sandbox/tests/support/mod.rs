//! Helpers shared by the integration tests.
#![allow(dead_code)]

use invite_sandbox::{Sandbox, SandboxConfig, Settings, Surface};
use reqwest::header::HeaderMap;
use reqwest::{Method, RequestBuilder};
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
pub async fn parts(resp: reqwest::Response) -> (u16, HeaderMap, Value, String) {
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap_or_else(|e| panic!("body: {e}"));
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    (status, headers, json, text)
}

/// Sends the request and reads the answer as [`parts`] does (a transport error panics).
pub async fn send(rb: RequestBuilder) -> (u16, HeaderMap, Value, String) {
    parts(rb.send().await.unwrap_or_else(|e| panic!("{e}"))).await
}

/// The emails `surface` "sent", as `(to, kind)` pairs in order.
pub fn emails_of(sb: &Sandbox, surface: Surface) -> Vec<(String, String)> {
    sb.emails()
        .into_iter()
        .filter(|e| e.surface == surface)
        .map(|e| (e.to, e.kind))
        .collect()
}

/// Asserts a SCIM error answer: the HTTP status, the same status as a string in the body,
/// and the SCIM media type.
pub fn assert_scim_error(status: u16, h: &HeaderMap, body: &Value, want: u16) {
    assert_eq!(status, want, "{body}");
    assert_eq!(body["status"], want.to_string());
    assert!(header(h, "content-type").starts_with("application/scim+json"));
}

pub fn header<'a>(h: &'a HeaderMap, name: &str) -> &'a str {
    h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// One vendor API of a sandbox: its base URL and bearer token, the admin URL, and all the
/// sandbox's settings (ids the tests send).
pub struct Api {
    pub c: reqwest::Client,
    pub base: String,
    pub token: String,
    pub admin: String,
    pub s: Settings,
    /// A header every request carries (Flatfile's `X-Disable-Hooks`).
    pub always: Option<(&'static str, &'static str)>,
}

impl Api {
    pub fn new(sb: &Sandbox, base: &str, token: &str) -> Api {
        Api {
            c: client(),
            base: base.to_owned(),
            token: token.to_owned(),
            admin: sb.settings().admin_url.clone(),
            s: sb.settings().clone(),
            always: None,
        }
    }

    /// The Webflow Data API (site users) with the site token.
    pub fn webflow(sb: &Sandbox) -> Api {
        let s = sb.settings();
        Api::new(sb, &s.webflow_api_base_url, &s.webflow_api_token)
    }

    /// The Webflow workspace API (same base) with the workspace token.
    pub fn workspace(sb: &Sandbox) -> Api {
        let s = sb.settings();
        Api::new(sb, &s.webflow_api_base_url, &s.webflow_workspace_token)
    }

    /// Webflow SCIM.
    pub fn scim(sb: &Sandbox) -> Api {
        let s = sb.settings();
        Api::new(sb, &s.webflow_scim_base_url, &s.webflow_scim_token)
    }

    /// Flatfile `/v1`, every request with `X-Disable-Hooks: true`.
    pub fn flatfile(sb: &Sandbox) -> Api {
        let s = sb.settings();
        let base = format!("{}/v1", s.flatfile_api_url);
        Api {
            always: Some(("X-Disable-Hooks", "true")),
            ..Api::new(sb, &base, &s.flatfile_api_key)
        }
    }

    /// awork `/api/v1`.
    pub fn awork(sb: &Sandbox) -> Api {
        let s = sb.settings();
        Api::new(sb, &s.awork_api_base_url, &s.awork_api_token)
    }

    /// A request to `base + path` with the bearer token.
    pub fn req(&self, method: Method, path: &str) -> RequestBuilder {
        let rb = self
            .c
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        match self.always {
            Some((k, v)) => rb.header(k, v),
            None => rb,
        }
    }

    /// Sends and answers status and JSON body.
    pub async fn send(&self, rb: RequestBuilder) -> (u16, Value) {
        let (status, _, body, _) = send(rb).await;
        (status, body)
    }

    pub async fn get(&self, path: impl AsRef<str>) -> (u16, Value) {
        self.send(self.req(Method::GET, path.as_ref())).await
    }

    pub async fn delete(&self, path: impl AsRef<str>) -> (u16, Value) {
        self.send(self.req(Method::DELETE, path.as_ref())).await
    }

    /// `method path` with a JSON body.
    pub async fn json(&self, method: Method, path: &str, body: Value) -> (u16, Value) {
        self.send(self.req(method, path).json(&body)).await
    }

    /// `POST path` without a body.
    pub async fn post_empty(&self, path: &str) -> (u16, Value) {
        self.send(self.req(Method::POST, path)).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.json(Method::POST, path, body).await
    }

    /// `POST /_sandbox/{path}` with a JSON body.
    pub async fn admin_post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(self.c.post(format!("{}/{path}", self.admin)).json(&body))
            .await
    }
}

/// Sending a request the way every test does: a transport error panics, unless asked for.
pub trait Fetch {
    /// Status, headers, JSON body (Null when not JSON) and text, as [`parts`].
    async fn reply(self) -> (u16, HeaderMap, Value, String);
    /// The status, or `None` when no answer came (a dropped connection, a timeout).
    async fn status(self) -> Option<u16>;
}

impl Fetch for RequestBuilder {
    async fn reply(self) -> (u16, HeaderMap, Value, String) {
        send(self).await
    }

    async fn status(self) -> Option<u16> {
        self.send().await.map(|r| r.status().as_u16()).ok()
    }
}
