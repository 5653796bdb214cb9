//! A local emulator of the Webflow (Data API site users, SCIM 2.0, workspace members and site
//! access), Flatfile and awork user APIs, so examples and tests run without vendor accounts.
//!
//! One axum server speaks each vendor's wire format (paths, field names, error bodies, status
//! codes, auth, rate-limit headers) and keeps all state in memory. An admin API under
//! `/_sandbox/` (and the same operations as methods on [`Sandbox`]) lets tests inspect state,
//! count requests and invitations, inject faults and tune rate limits.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! use invite_sandbox::Sandbox;
//!
//! let sandbox = Sandbox::start().await?;
//! let s = sandbox.settings();
//! assert!(s.webflow_api_base_url.ends_with("/v2"));
//! for (key, value) in s.env_pairs() {
//!     assert!(!value.is_empty(), "{key}");
//! }
//! sandbox.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! # Surfaces and paths
//!
//! | surface | base | token setting |
//! |---|---|---|
//! | Webflow Data API (site users) | `/v2` | `WEBFLOW_API_TOKEN` |
//! | Webflow SCIM 2.0 | `/scim/v2` | `WEBFLOW_SCIM_TOKEN` |
//! | Webflow workspace members / site access | `/v2` | `WEBFLOW_WORKSPACE_TOKEN` |
//! | Flatfile | `/v1` | `FLATFILE_API_KEY` |
//! | awork | `/api/v1` | `AWORK_API_TOKEN` |
//!
//! # Admin API (prefix `/_sandbox`, no auth)
//!
//! | request | answer |
//! |---|---|
//! | `GET /_sandbox/state` | every surface's state as JSON, keyed by surface slug |
//! | `GET /_sandbox/invitations` | `{surface: {lower-cased email: count}}` |
//! | `GET /_sandbox/emails` | `[{surface, to, kind}]` emails "sent" |
//! | `GET /_sandbox/requests` | `{total, surfaces: {surface: {total, routes: {"METHOD template": n}}}}` |
//! | `POST /_sandbox/reset` | back to the seeded state; clears logs, faults and rate windows |
//! | `GET`/`POST`/`DELETE /_sandbox/faults` | list / add (one rule or an array) / clear fault rules |
//! | `GET`/`POST /_sandbox/rate-limits` | list / set `{surface, limit?, window_ms?, headers?}` |
//! | `POST /_sandbox/{surface}/accept` | `{"email": ...}`: the invitee accepts the invitation |
//! | `POST /_sandbox/webflow/retire` | `{"retired": true}`: site users answer 403 `users_not_enabled` |
//!
//! Fault rules are described on [`FaultRule`].
//!
//! # Seed format
//!
//! A JSON document (`--seed FILE`, [`SandboxConfig::seed_file`] or [`SandboxConfig::seed`])
//! with one optional section per surface slug. Sections of surfaces not listed below are
//! documented in those surfaces' modules.
//!
//! ```json
//! {
//!   "webflow": {
//!     "retired": false,
//!     "sites": [{
//!       "id": "optional; absent or equal to WEBFLOW_SITE_ID = the main site",
//!       "displayName": "Sandbox Site", "shortName": "sandbox-site",
//!       "userLimit": 100,
//!       "accessGroups": [{"slug": "webflowers", "name": "Webflowers"}],
//!       "users": [{"email": "ada@example.com", "name": "Ada", "status": "verified",
//!                  "accessGroups": ["webflowers"], "data": {"accept-privacy": true}}]
//!     }]
//!   },
//!   "scim": {
//!     "users": [{"userName": "ada@example.com", "name": {"givenName": "Ada"}, "active": true}],
//!     "groups": [{"displayName": "Designers", "members": ["ada@example.com"]}]
//!   }
//! }
//! ```
//!
//! Without a seed the main Webflow site has the access groups `webflowers` and
//! `premium-members` and no users, and SCIM has the groups `Designers` and `Editors`.
#![warn(missing_docs)]
// Handlers return `Result<_, Response>` (axum's idiom); boxing every error response
// would only add allocations on the error path.
#![allow(clippy::result_large_err)]

pub mod common;
pub mod scim;
pub mod webflow;

pub mod awork;
pub mod flatfile;
mod vendor_util;
pub mod workspace;

use std::collections::HashMap;
use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

pub use common::{
    AdminError, Fault, FaultRule, InvitationCounts, Problem, RateLimit, RequestCounts, SentEmail,
    Shared, Surface, SurfaceModule, SurfaceRequests,
};

use common::{DropConnectionMarker, Registry};

/// The Webflow Data API scopes a token gets by default.
pub const WEBFLOW_DEFAULT_SCOPES: &[&str] = &[
    "users:read",
    "users:write",
    "sites:read",
    "sites:write",
    "authorized_user:read",
];

/// How the sandbox is started: address, credentials, ids, rate budgets, seed.
///
/// Every token and id defaults to a fresh random value in the vendor's format.
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// Address to bind (default `127.0.0.1`).
    pub host: IpAddr,
    /// Port to bind (0 = any free port).
    pub port: u16,
    /// Webflow Data API token (`wf_site_<hex>`).
    pub webflow_api_token: String,
    /// Scopes of the Webflow Data API token (default [`WEBFLOW_DEFAULT_SCOPES`]).
    pub webflow_token_scopes: Vec<String>,
    /// The main Webflow site id (24 hex).
    pub webflow_site_id: String,
    /// Maximum users per Webflow site (`None` = unlimited); beyond it invites get 409
    /// `user_limit_reached`. A seeded site's `userLimit` overrides it.
    pub webflow_user_limit: Option<usize>,
    /// Whether the Webflow site-users feature starts retired (403 `users_not_enabled`).
    pub webflow_retired: bool,
    /// Webflow SCIM bearer token (`wf_scim_<hex>`).
    pub webflow_scim_token: String,
    /// Webflow workspace id (24 hex).
    pub webflow_workspace_id: String,
    /// Webflow workspace token (`wf_ws_<hex>`).
    pub webflow_workspace_token: String,
    /// Scopes of the workspace token (default [`workspace::DEFAULT_SCOPES`]); a workspace
    /// call without its scope gets 403 `missing_scopes`.
    pub webflow_workspace_scopes: Vec<String>,
    /// Whether the workspace is on Enterprise (default true); if not, every workspace and
    /// site-access call gets 403 `not_enterprise_plan_workspace`.
    pub webflow_workspace_enterprise: bool,
    /// Flatfile secret key (`sk_<hex>`).
    pub flatfile_api_key: String,
    /// Flatfile role id (`us_rol_<alnum>`).
    pub flatfile_role_id: String,
    /// Flatfile account id (`us_acc_<alnum>`).
    pub flatfile_account_id: String,
    /// awork API token.
    pub awork_api_token: String,
    /// awork workspace id (UUID).
    pub awork_workspace_id: String,
    /// awork role id (UUID).
    pub awork_role_id: String,
    /// Rate budgets per surface (absent = [`RateLimit::default_for`]).
    pub rate_limits: HashMap<Surface, RateLimit>,
    /// Seed document (see the crate docs). Merged under `seed_file` sections if both are set.
    pub seed: Option<Value>,
    /// Seed file, read at start.
    pub seed_file: Option<PathBuf>,
}

fn alnum(n: usize) -> String {
    const A: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    (0..n)
        .map(|_| char::from(A[fastrand::usize(..A.len())]))
        .collect()
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            webflow_api_token: format!("wf_site_{}", common::random_hex(48)),
            webflow_token_scopes: WEBFLOW_DEFAULT_SCOPES
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            webflow_site_id: common::new_object_id(),
            webflow_user_limit: None,
            webflow_retired: false,
            webflow_scim_token: format!("wf_scim_{}", common::random_hex(48)),
            webflow_workspace_id: common::new_object_id(),
            webflow_workspace_token: format!("wf_ws_{}", common::random_hex(48)),
            webflow_workspace_scopes: workspace::DEFAULT_SCOPES
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            webflow_workspace_enterprise: true,
            flatfile_api_key: format!("sk_{}", common::random_hex(32)),
            flatfile_role_id: format!("us_rol_{}", alnum(8)),
            flatfile_account_id: format!("us_acc_{}", alnum(8)),
            awork_api_token: common::random_hex(40),
            awork_workspace_id: common::new_uuid(),
            awork_role_id: common::new_uuid(),
            rate_limits: HashMap::new(),
            seed: None,
            seed_file: None,
        }
    }
}

impl SandboxConfig {
    /// The defaults (random tokens and ids, any free port on 127.0.0.1).
    pub fn new() -> Self {
        Self::default()
    }
    /// Binds this port (0 = any free port).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }
    /// Binds this address.
    pub fn host(mut self, host: IpAddr) -> Self {
        self.host = host;
        self
    }
    /// Sets the Webflow Data API token.
    pub fn webflow_api_token(mut self, token: impl Into<String>) -> Self {
        self.webflow_api_token = token.into();
        self
    }
    /// Sets the scopes of the Webflow Data API token.
    pub fn webflow_token_scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.webflow_token_scopes = scopes.into_iter().map(Into::into).collect();
        self
    }
    /// Sets the main Webflow site id.
    pub fn webflow_site_id(mut self, id: impl Into<String>) -> Self {
        self.webflow_site_id = id.into();
        self
    }
    /// Sets the per-site user limit.
    pub fn webflow_user_limit(mut self, limit: Option<usize>) -> Self {
        self.webflow_user_limit = limit;
        self
    }
    /// Starts with the Webflow site-users feature retired.
    pub fn webflow_retired(mut self, retired: bool) -> Self {
        self.webflow_retired = retired;
        self
    }
    /// Sets the Webflow SCIM token.
    pub fn webflow_scim_token(mut self, token: impl Into<String>) -> Self {
        self.webflow_scim_token = token.into();
        self
    }
    /// Sets the Webflow workspace id.
    pub fn webflow_workspace_id(mut self, id: impl Into<String>) -> Self {
        self.webflow_workspace_id = id.into();
        self
    }
    /// Sets the Webflow workspace token.
    pub fn webflow_workspace_token(mut self, token: impl Into<String>) -> Self {
        self.webflow_workspace_token = token.into();
        self
    }
    /// Sets the scopes of the Webflow workspace token.
    pub fn webflow_workspace_scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.webflow_workspace_scopes = scopes.into_iter().map(Into::into).collect();
        self
    }
    /// Starts the Webflow workspace on (true) or off (false) the Enterprise plan.
    pub fn webflow_workspace_enterprise(mut self, enterprise: bool) -> Self {
        self.webflow_workspace_enterprise = enterprise;
        self
    }
    /// Sets the Flatfile API key.
    pub fn flatfile_api_key(mut self, key: impl Into<String>) -> Self {
        self.flatfile_api_key = key.into();
        self
    }
    /// Sets the Flatfile role id.
    pub fn flatfile_role_id(mut self, id: impl Into<String>) -> Self {
        self.flatfile_role_id = id.into();
        self
    }
    /// Sets the Flatfile account id.
    pub fn flatfile_account_id(mut self, id: impl Into<String>) -> Self {
        self.flatfile_account_id = id.into();
        self
    }
    /// Sets the awork API token.
    pub fn awork_api_token(mut self, token: impl Into<String>) -> Self {
        self.awork_api_token = token.into();
        self
    }
    /// Sets the awork workspace id.
    pub fn awork_workspace_id(mut self, id: impl Into<String>) -> Self {
        self.awork_workspace_id = id.into();
        self
    }
    /// Sets the awork role id.
    pub fn awork_role_id(mut self, id: impl Into<String>) -> Self {
        self.awork_role_id = id.into();
        self
    }
    /// Sets a surface's rate budget (requests per window, window, headers on/off).
    pub fn rate_limit(mut self, surface: Surface, limit: RateLimit) -> Self {
        self.rate_limits.insert(surface, limit);
        self
    }
    /// Switches a surface's `X-RateLimit-*` headers on or off, keeping its budget.
    pub fn rate_headers(mut self, surface: Surface, on: bool) -> Self {
        let current = self
            .rate_limits
            .get(&surface)
            .copied()
            .unwrap_or_else(|| RateLimit::default_for(surface));
        self.rate_limits.insert(surface, current.with_headers(on));
        self
    }
    /// Uses this seed document.
    pub fn seed(mut self, seed: Value) -> Self {
        self.seed = Some(seed);
        self
    }
    /// Reads the seed document from this file at start.
    pub fn seed_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.seed_file = Some(path.into());
        self
    }

    fn load_seed(&self) -> io::Result<Value> {
        let mut seed = match &self.seed_file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    io::Error::new(e.kind(), format!("seed file {}: {e}", path.display()))
                })?;
                serde_json::from_str(&text).map_err(|e| {
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("seed file {}: {e}", path.display()),
                    )
                })?
            }
            None => Value::Object(Default::default()),
        };
        if let Some(extra) = &self.seed {
            match (seed.as_object_mut(), extra.as_object()) {
                (Some(base), Some(extra)) => {
                    for (k, v) in extra {
                        base.insert(k.clone(), v.clone());
                    }
                }
                _ => seed = extra.clone(),
            }
        }
        if !seed.is_object() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the seed must be a JSON object keyed by surface",
            ));
        }
        Ok(seed)
    }
}

/// Every setting a client needs, as printed by the binary (`KEY=VALUE`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// `WEBFLOW_API_BASE_URL`: `http://127.0.0.1:PORT/v2`.
    pub webflow_api_base_url: String,
    /// `WEBFLOW_API_TOKEN`.
    pub webflow_api_token: String,
    /// `WEBFLOW_SITE_ID`.
    pub webflow_site_id: String,
    /// `WEBFLOW_SCIM_BASE_URL`: `http://127.0.0.1:PORT/scim/v2`.
    pub webflow_scim_base_url: String,
    /// `WEBFLOW_SCIM_TOKEN`.
    pub webflow_scim_token: String,
    /// `WEBFLOW_WORKSPACE_ID`.
    pub webflow_workspace_id: String,
    /// `WEBFLOW_WORKSPACE_TOKEN`.
    pub webflow_workspace_token: String,
    /// `FLATFILE_API_URL`: the root, without `/v1`.
    pub flatfile_api_url: String,
    /// `FLATFILE_API_KEY`.
    pub flatfile_api_key: String,
    /// `FLATFILE_ROLE_ID`.
    pub flatfile_role_id: String,
    /// `FLATFILE_ACCOUNT_ID`.
    pub flatfile_account_id: String,
    /// `AWORK_API_BASE_URL`: `http://127.0.0.1:PORT/api/v1`.
    pub awork_api_base_url: String,
    /// `AWORK_API_TOKEN`.
    pub awork_api_token: String,
    /// `AWORK_WORKSPACE_ID`.
    pub awork_workspace_id: String,
    /// `AWORK_ROLE_ID`.
    pub awork_role_id: String,
    /// `INVITE_SANDBOX_ADMIN_URL`: `http://127.0.0.1:PORT/_sandbox`.
    pub admin_url: String,
}

impl Settings {
    fn new(root: &str, c: &SandboxConfig) -> Self {
        Settings {
            webflow_api_base_url: format!("{root}/v2"),
            webflow_api_token: c.webflow_api_token.clone(),
            webflow_site_id: c.webflow_site_id.clone(),
            webflow_scim_base_url: format!("{root}/scim/v2"),
            webflow_scim_token: c.webflow_scim_token.clone(),
            webflow_workspace_id: c.webflow_workspace_id.clone(),
            webflow_workspace_token: c.webflow_workspace_token.clone(),
            flatfile_api_url: root.to_owned(),
            flatfile_api_key: c.flatfile_api_key.clone(),
            flatfile_role_id: c.flatfile_role_id.clone(),
            flatfile_account_id: c.flatfile_account_id.clone(),
            awork_api_base_url: format!("{root}/api/v1"),
            awork_api_token: c.awork_api_token.clone(),
            awork_workspace_id: c.awork_workspace_id.clone(),
            awork_role_id: c.awork_role_id.clone(),
            admin_url: format!("{root}/_sandbox"),
        }
    }

    /// The settings as `(KEY, value)` pairs, in a stable order.
    pub fn env_pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("WEBFLOW_API_BASE_URL", self.webflow_api_base_url.clone()),
            ("WEBFLOW_API_TOKEN", self.webflow_api_token.clone()),
            ("WEBFLOW_SITE_ID", self.webflow_site_id.clone()),
            ("WEBFLOW_SCIM_BASE_URL", self.webflow_scim_base_url.clone()),
            ("WEBFLOW_SCIM_TOKEN", self.webflow_scim_token.clone()),
            ("WEBFLOW_WORKSPACE_ID", self.webflow_workspace_id.clone()),
            (
                "WEBFLOW_WORKSPACE_TOKEN",
                self.webflow_workspace_token.clone(),
            ),
            ("FLATFILE_API_URL", self.flatfile_api_url.clone()),
            ("FLATFILE_API_KEY", self.flatfile_api_key.clone()),
            ("FLATFILE_ROLE_ID", self.flatfile_role_id.clone()),
            ("FLATFILE_ACCOUNT_ID", self.flatfile_account_id.clone()),
            ("AWORK_API_BASE_URL", self.awork_api_base_url.clone()),
            ("AWORK_API_TOKEN", self.awork_api_token.clone()),
            ("AWORK_WORKSPACE_ID", self.awork_workspace_id.clone()),
            ("AWORK_ROLE_ID", self.awork_role_id.clone()),
            ("INVITE_SANDBOX_ADMIN_URL", self.admin_url.clone()),
        ]
    }

    /// The settings as `KEY=VALUE` lines (each ending in a newline).
    pub fn to_env_lines(&self) -> String {
        self.env_pairs()
            .into_iter()
            .map(|(k, v)| format!("{k}={v}\n"))
            .collect()
    }
}

/// Builds every surface module. New surfaces are added here.
fn build_modules(shared: &Shared) -> Vec<Arc<dyn SurfaceModule>> {
    vec![
        webflow::WebflowData::new(shared.clone()),
        scim::Scim::new(shared.clone()),
        workspace::Workspace::new(shared.clone()),
        flatfile::Flatfile::new(shared.clone()),
        awork::Awork::new(shared.clone()),
    ]
}

/// A running sandbox server. Dropping it stops the server (without waiting);
/// [`Sandbox::shutdown`] stops it gracefully and waits.
pub struct Sandbox {
    addr: SocketAddr,
    settings: Settings,
    registry: Registry,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Sandbox {
    /// Starts a sandbox with the default configuration on a free loopback port.
    pub async fn start() -> io::Result<Sandbox> {
        Self::start_with(SandboxConfig::default()).await
    }

    /// Starts a sandbox with this configuration.
    pub async fn start_with(config: SandboxConfig) -> io::Result<Sandbox> {
        let seed = config.load_seed()?;
        let listener = TcpListener::bind(SocketAddr::new(config.host, config.port)).await?;
        let addr = listener.local_addr()?;
        let shared = Shared::new(config);
        let registry = Registry {
            shared: shared.clone(),
            modules: build_modules(&shared),
            seed,
        };
        registry
            .reset()
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        let mut app = Router::new();
        for m in &registry.modules {
            app = app.merge(common::guarded(&shared, m.clone()));
        }
        let app = app.merge(common::admin_router(registry.clone()));
        let host = match addr.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            ip => ip,
        };
        let root = match host {
            IpAddr::V6(ip) => format!("http://[{ip}]:{}", addr.port()),
            IpAddr::V4(ip) => format!("http://{ip}:{}", addr.port()),
        };
        let settings = Settings::new(&root, shared.config());
        let (stop, stop_rx) = watch::channel(false);
        let task = tokio::spawn(serve(listener, app, stop_rx));
        Ok(Sandbox {
            addr,
            settings,
            registry,
            stop,
            task: Some(task),
        })
    }

    /// The bound socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The root URL, such as `http://127.0.0.1:41234` (no trailing slash).
    pub fn url(&self) -> String {
        self.settings.flatfile_api_url.clone()
    }

    /// Every setting a client needs.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The shared context (configuration, logs, faults, rate limits).
    pub fn shared(&self) -> &Shared {
        &self.registry.shared
    }

    /// Every surface's state (what `GET /_sandbox/state` answers).
    pub fn state(&self) -> Value {
        self.registry.state()
    }

    /// Invitations created per surface and lower-cased email.
    pub fn invitations(&self) -> InvitationCounts {
        self.registry.shared.invitations()
    }

    /// How many invitations `surface` created for `email` (case-insensitive).
    pub fn invitation_count(&self, surface: Surface, email: &str) -> u64 {
        self.invitations()
            .get(&surface)
            .and_then(|m| m.get(&email.trim().to_lowercase()))
            .copied()
            .unwrap_or(0)
    }

    /// Emails "sent" so far.
    pub fn emails(&self) -> Vec<SentEmail> {
        self.registry.shared.emails()
    }

    /// Requests received so far.
    pub fn requests(&self) -> RequestCounts {
        self.registry.shared.requests()
    }

    /// Restores the seeded state and clears logs, faults and rate windows.
    pub fn reset(&self) -> Result<(), String> {
        self.registry.reset()
    }

    /// Adds a fault rule.
    pub fn add_fault(&self, rule: FaultRule) {
        self.registry.shared.add_fault(rule);
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        self.registry.shared.clear_faults();
    }

    /// Sets a surface's rate budget.
    pub fn set_rate_limit(&self, surface: Surface, limit: RateLimit) {
        self.registry.shared.set_rate_limit(surface, limit);
    }

    /// Runs a surface's admin action (as `POST /_sandbox/{surface}/{action}`).
    pub fn admin_action(
        &self,
        surface: Surface,
        action: &str,
        body: &Value,
    ) -> Result<Value, AdminError> {
        self.registry.action(surface, action, body)
    }

    /// The invitee `email` accepts their invitation on `surface`.
    pub fn accept(&self, surface: Surface, email: &str) -> Result<Value, AdminError> {
        self.admin_action(surface, "accept", &serde_json::json!({ "email": email }))
    }

    /// Switches the Webflow site-users "retired" answer on or off.
    pub fn set_webflow_retired(&self, retired: bool) {
        // The webflow module always supports `retire`; its answer carries nothing we need.
        let _ = self.admin_action(
            Surface::WebflowData,
            "retire",
            &serde_json::json!({ "retired": retired }),
        );
    }

    /// Stops accepting connections, lets open requests finish (up to 5 s) and waits.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

#[derive(Debug)]
struct DroppedConnection;

impl std::fmt::Display for DroppedConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("sandbox fault: connection dropped")
    }
}

impl std::error::Error for DroppedConnection {}

async fn serve(listener: TcpListener, app: Router, mut stop: watch::Receiver<bool>) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let app = app.clone();
                let mut stop = stop.clone();
                conns.spawn(async move {
                    let svc = hyper::service::service_fn(move |req| {
                        let app = app.clone();
                        async move {
                            let resp = match tower_service::Service::call(&mut app.clone(), req).await {
                                Ok(r) => r,
                                Err(e) => match e {},
                            };
                            if resp.extensions().get::<DropConnectionMarker>().is_some() {
                                Err(DroppedConnection)
                            } else {
                                Ok(resp)
                            }
                        }
                    });
                    let conn = http1::Builder::new()
                        .keep_alive(true)
                        .serve_connection(TokioIo::new(stream), svc);
                    tokio::pin!(conn);
                    tokio::select! {
                        _ = conn.as_mut() => {}
                        _ = stop.changed() => {
                            conn.as_mut().graceful_shutdown();
                            let _ = conn.await;
                        }
                    }
                });
            }
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        while conns.join_next().await.is_some() {}
    })
    .await;
    conns.abort_all();
}

/// Command-line options of the `invite-sandbox` binary.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CliOptions {
    /// `--port N` (0 = any free port).
    pub port: u16,
    /// `--seed FILE`.
    pub seed: Option<PathBuf>,
    /// `--help` was given.
    pub help: bool,
}

/// Usage text of the binary.
pub const USAGE: &str = "usage: invite-sandbox [--port N] [--seed FILE]\n\n\
Starts the local vendor API emulator, prints one KEY=VALUE line per setting, \
and serves until SIGINT/SIGTERM.\n  --port N     port to listen on (0 = any free port, the default)\n  \
--seed FILE  JSON seed document (see the invite-sandbox docs)\n";

/// Parses `[--port N] [--seed FILE]` (also `--port=N`, `--seed=FILE`, `-h`, `--help`).
pub fn parse_args<I, S>(args: I) -> Result<CliOptions, String>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    let mut opts = CliOptions::default();
    let mut it = args.into_iter().map(Into::into);
    while let Some(arg) = it.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        match name.as_str() {
            "-h" | "--help" => opts.help = true,
            "--port" | "-p" => {
                let v = inline.or_else(|| it.next()).ok_or("--port needs a value")?;
                opts.port = v
                    .parse()
                    .map_err(|_| format!("--port: `{v}` is not a port number"))?;
            }
            "--seed" => {
                let v = inline
                    .or_else(|| it.next())
                    .ok_or("--seed needs a file name")?;
                opts.seed = Some(PathBuf::from(v));
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(opts)
}

/// Waits for SIGINT (Ctrl-C) or, on Unix, SIGTERM.
pub async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Runs the binary: parses `args` (without the program name), starts the sandbox, prints
/// the `KEY=VALUE` settings on stdout, serves until SIGINT/SIGTERM, then shuts down.
pub async fn run_cli<I, S>(args: I) -> io::Result<()>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    let opts = parse_args(args).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    if opts.help {
        print!("{USAGE}");
        return io::stdout().flush();
    }
    let mut config = SandboxConfig::default().port(opts.port);
    config.seed_file = opts.seed;
    let sandbox = Sandbox::start_with(config).await?;
    {
        let mut out = io::stdout().lock();
        out.write_all(sandbox.settings().to_env_lines().as_bytes())?;
        out.flush()?;
    }
    wait_for_signal().await;
    sandbox.shutdown().await;
    Ok(())
}
