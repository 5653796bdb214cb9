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

mod admin;
pub mod awork;
mod cli;
mod clock;
mod config;
mod email;
mod fault;
pub mod flatfile;
mod guard;
mod ids;
mod rate;
mod request;
pub mod scim;
mod seed;
mod shared;
mod surface;
pub mod webflow;
pub mod workspace;

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

pub use cli::{CliOptions, USAGE, parse_args, run_cli, wait_for_signal};
pub use config::{SandboxConfig, Settings, WEBFLOW_DEFAULT_SCOPES};
pub use fault::{Fault, FaultRule, path_matches};
pub use rate::RateLimit;
pub use shared::{InvitationCounts, RequestCounts, SentEmail, Shared, SurfaceRequests};
pub use surface::{AdminError, Problem, Surface, SurfaceModule};

use admin::Registry;
use guard::DropConnectionMarker;

/// Builds every surface module, named by its surface. New surfaces are added here.
fn build_modules(shared: &Shared) -> Vec<(Surface, Arc<dyn SurfaceModule>)> {
    let s = || shared.clone();
    vec![
        (Surface::WebflowData, webflow::WebflowData::new(s())),
        (Surface::WebflowScim, scim::Scim::new(s())),
        (Surface::WebflowWorkspace, workspace::Workspace::new(s())),
        (Surface::Flatfile, flatfile::Flatfile::new(s())),
        (Surface::Awork, awork::Awork::new(s())),
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
        for (surface, m) in &registry.modules {
            app = app.merge(guard::guarded(&shared, *surface, m.clone()));
        }
        let app = app.merge(admin::admin_router(registry.clone()));
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
