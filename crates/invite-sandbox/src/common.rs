//! Shared machinery every emulated surface uses.
//!
//! A surface (one vendor API) is a type implementing [`SurfaceModule`]. It owns its own
//! in-memory state, builds an axum [`Router`] with its routes (full paths, such as
//! `/v2/sites/{site_id}/users`), checks credentials in [`SurfaceModule::authorize`] and
//! renders the vendor's own error bodies in [`SurfaceModule::problem`]. The framework wraps
//! every surface router with one guard middleware that, in this order:
//!
//! 1. counts the request (per surface and per `METHOD route-template`),
//! 2. applies a matching [`FaultRule`] (early answer, delay, or a post-processing step),
//! 3. calls [`SurfaceModule::authorize`], which returns the rate-limit scope on success,
//! 4. applies the fixed-window rate limit of `(surface, scope)` (429 + `Retry-After`),
//! 5. runs the handler and adds the `X-RateLimit-*` headers when enabled for the surface.
//!
//! Route templates must use the same parameter names as the other surfaces at the same
//! position (axum rejects `/v2/sites/{site_id}` next to `/v2/sites/{id}`): use `{site_id}`,
//! `{workspace_id}`, `{user_id}` and `{member_id}`.
//!
//! Helpers for handlers: [`Shared::record_invitation`], [`Shared::record_email`],
//! [`bearer_token`], [`parse_json`], [`query_pairs`], [`new_object_id`], [`new_uuid`],
//! [`now_rfc3339`], [`lock`].

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::SandboxConfig;

/// One emulated vendor API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Surface {
    /// Webflow Data API v2, site users ("User Accounts"), under `/v2`.
    #[serde(rename = "webflow", alias = "webflow-data", alias = "webflow_data")]
    WebflowData,
    /// Webflow SCIM 2.0, under `/scim/v2`.
    #[serde(rename = "scim", alias = "webflow-scim", alias = "webflow_scim")]
    WebflowScim,
    /// Webflow Enterprise workspace members and site access, under `/v2`.
    #[serde(
        rename = "workspace",
        alias = "webflow-workspace",
        alias = "webflow_workspace"
    )]
    WebflowWorkspace,
    /// Flatfile users and roles, under `/v1`.
    #[serde(rename = "flatfile")]
    Flatfile,
    /// awork invitations and users, under `/api/v1`.
    #[serde(rename = "awork")]
    Awork,
}

impl Surface {
    /// Every surface, in a stable order.
    pub const ALL: [Surface; 5] = [
        Surface::WebflowData,
        Surface::WebflowScim,
        Surface::WebflowWorkspace,
        Surface::Flatfile,
        Surface::Awork,
    ];

    /// The short name used in the admin API and in JSON (`webflow`, `scim`, `workspace`,
    /// `flatfile`, `awork`).
    pub fn slug(self) -> &'static str {
        match self {
            Surface::WebflowData => "webflow",
            Surface::WebflowScim => "scim",
            Surface::WebflowWorkspace => "workspace",
            Surface::Flatfile => "flatfile",
            Surface::Awork => "awork",
        }
    }

    /// Parses a slug (also `webflow-data`, `webflow-scim`, `webflow-workspace`).
    pub fn from_slug(s: &str) -> Option<Surface> {
        match s.to_ascii_lowercase().replace('_', "-").as_str() {
            "webflow" | "webflow-data" => Some(Surface::WebflowData),
            "scim" | "webflow-scim" => Some(Surface::WebflowScim),
            "workspace" | "webflow-workspace" => Some(Surface::WebflowWorkspace),
            "flatfile" => Some(Surface::Flatfile),
            "awork" => Some(Surface::Awork),
            _ => None,
        }
    }
}

impl fmt::Display for Surface {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}

impl FromStr for Surface {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Surface::from_slug(s).ok_or_else(|| format!("unknown surface `{s}`"))
    }
}

/// A framework-level failure a surface renders in its own error shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Problem {
    /// Missing or wrong credentials (401).
    Unauthorized,
    /// Rate limit exhausted (429). The framework adds `Retry-After`.
    TooManyRequests,
    /// A server error with this status (5xx), in the vendor's JSON shape.
    ServerError(StatusCode),
    /// No route matched under the surface's prefix (404).
    RouteNotFound,
}

/// Why an admin action failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AdminError {
    /// The request was invalid (400).
    BadRequest(String),
    /// The named thing does not exist (404).
    NotFound(String),
    /// The surface does not support this action (400).
    Unsupported(String),
}

impl fmt::Display for AdminError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AdminError::BadRequest(m) | AdminError::NotFound(m) | AdminError::Unsupported(m) => {
                f.write_str(m)
            }
        }
    }
}

impl std::error::Error for AdminError {}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        let status = match self {
            AdminError::NotFound(_) => StatusCode::NOT_FOUND,
            AdminError::BadRequest(_) | AdminError::Unsupported(_) => StatusCode::BAD_REQUEST,
        };
        (status, axum::Json(json!({ "error": self.to_string() }))).into_response()
    }
}

/// One emulated vendor API: its state, routes, credential check and error shapes.
pub trait SurfaceModule: Send + Sync + 'static {
    /// Which surface this is.
    fn surface(&self) -> Surface;

    /// Path prefixes the surface owns (such as `/scim/v2`). Unmatched requests under a prefix
    /// are counted for this surface and answered with [`Problem::RouteNotFound`]; the
    /// longest matching prefix wins.
    fn prefixes(&self) -> &'static [&'static str];

    /// The surface's routes with full paths, state already applied. The framework adds the
    /// guard (counting, faults, auth, rate limit) around them.
    fn router(self: Arc<Self>) -> Router;

    /// Checks the request's credentials (and scopes, feature switches). On success returns
    /// the rate-limit scope key (site id for Webflow, the token otherwise); on failure the
    /// complete vendor-shaped response (401/403).
    fn authorize(&self, parts: &Parts) -> Result<String, Response>;

    /// Renders a framework-level problem in the vendor's error shape.
    fn problem(&self, problem: Problem) -> Response;

    /// All of the surface's state as JSON (for `GET /_sandbox/state`).
    fn snapshot(&self) -> Value;

    /// Drops all state and loads `seed` (the surface's section of the seed document, if any).
    fn reset(&self, seed: Option<&Value>) -> Result<(), String>;

    /// Runs an admin action (`POST /_sandbox/{surface}/{action}` with a JSON body), such as
    /// `accept` with `{"email": ...}`. Returns a JSON answer.
    fn admin_action(&self, action: &str, body: &Value) -> Result<Value, AdminError>;
}

/// Locks a mutex, recovering the data if a previous holder panicked.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

// ---------------------------------------------------------------------------------------
// Rate limiting
// ---------------------------------------------------------------------------------------

/// A fixed-window rate budget for one surface.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed per window and scope.
    pub limit: u32,
    /// Window length.
    pub window: Duration,
    /// Whether responses carry `X-RateLimit-Limit`, `X-RateLimit-Remaining` and
    /// `X-RateLimit-Reset` (seconds until the window resets).
    pub headers: bool,
}

impl RateLimit {
    /// A budget of `limit` requests per `window`, without headers.
    pub fn new(limit: u32, window: Duration) -> Self {
        RateLimit {
            limit,
            window,
            headers: false,
        }
    }

    /// The same budget with headers switched on or off.
    pub fn with_headers(mut self, headers: bool) -> Self {
        self.headers = headers;
        self
    }

    /// The default budget: 1000 requests per 60 s; headers on for the Webflow Data API and
    /// Webflow workspace surfaces, off for SCIM, Flatfile and awork.
    pub fn default_for(surface: Surface) -> Self {
        let headers = matches!(surface, Surface::WebflowData | Surface::WebflowWorkspace);
        RateLimit::new(1000, Duration::from_secs(60)).with_headers(headers)
    }

    fn to_json(self, surface: Surface) -> Value {
        json!({
            "surface": surface,
            "limit": self.limit,
            "window_ms": u64::try_from(self.window.as_millis()).unwrap_or(u64::MAX),
            "headers": self.headers,
        })
    }
}

/// Body of `POST /_sandbox/rate-limits`; absent fields keep their current value.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct RateLimitUpdate {
    surface: Surface,
    limit: Option<u32>,
    window_ms: Option<u64>,
    window_secs: Option<u64>,
    headers: Option<bool>,
}

#[derive(Clone, Copy, Debug)]
struct RateDecision {
    allowed: bool,
    limit: u32,
    remaining: u32,
    reset_secs: u64,
    headers: bool,
}

impl RateDecision {
    fn apply_headers(&self, headers: &mut HeaderMap) {
        if self.headers {
            headers.insert("x-ratelimit-limit", HeaderValue::from(self.limit));
            headers.insert("x-ratelimit-remaining", HeaderValue::from(self.remaining));
            headers.insert("x-ratelimit-reset", HeaderValue::from(self.reset_secs));
        }
    }
}

#[derive(Default)]
struct RateState {
    budgets: HashMap<Surface, RateLimit>,
    windows: HashMap<(Surface, String), (Instant, u32)>,
}

fn ceil_secs(d: Duration) -> u64 {
    let secs = d.as_secs();
    if d.subsec_nanos() > 0 { secs + 1 } else { secs }
}

impl RateState {
    fn budget(&self, surface: Surface) -> RateLimit {
        self.budgets
            .get(&surface)
            .copied()
            .unwrap_or_else(|| RateLimit::default_for(surface))
    }

    fn check(&mut self, surface: Surface, scope: &str) -> RateDecision {
        let budget = self.budget(surface);
        let now = Instant::now();
        let key = (surface, scope.to_owned());
        let entry = self.windows.entry(key).or_insert((now, 0));
        if now.duration_since(entry.0) >= budget.window {
            *entry = (now, 0);
        }
        let reset = budget.window.saturating_sub(now.duration_since(entry.0));
        let reset_secs = ceil_secs(reset).max(1);
        if entry.1 >= budget.limit {
            return RateDecision {
                allowed: false,
                limit: budget.limit,
                remaining: 0,
                reset_secs,
                headers: budget.headers,
            };
        }
        entry.1 += 1;
        RateDecision {
            allowed: true,
            limit: budget.limit,
            remaining: budget.limit - entry.1,
            reset_secs,
            headers: budget.headers,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Fault injection
// ---------------------------------------------------------------------------------------

/// What an injected fault does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// Answer 429 in the vendor's error shape with `Retry-After: retry_after_secs`.
    RateLimited {
        /// Seconds for the `Retry-After` header.
        #[serde(default = "one")]
        retry_after_secs: u64,
    },
    /// Answer `status` with the vendor's JSON error, or with an HTML page (as a proxy would).
    ServerError {
        /// HTTP status, 500 by default.
        #[serde(default = "five_hundred")]
        status: u16,
        /// Send an HTML page instead of the vendor's JSON error.
        #[serde(default)]
        html: bool,
    },
    /// Wait `ms` milliseconds, then handle the request normally.
    Delay {
        /// Delay in milliseconds.
        ms: u64,
    },
    /// Close the TCP connection without any response; the handler does not run.
    DropConnection,
    /// Handle normally, then send only the first half of the body (with a matching
    /// `Content-Length`, so the HTTP framing is valid and the JSON is not).
    TruncatedJson,
    /// Answer 200 with an invalid JSON body; the handler does not run.
    MalformedJson,
    /// Run the handler (state changes), then close the connection without a response.
    CommitThenDrop,
}

fn one() -> u64 {
    1
}
fn five_hundred() -> u16 {
    500
}
fn one_time() -> Option<u64> {
    Some(1)
}

/// A fault-injection rule. JSON form (`POST /_sandbox/faults`):
///
/// ```json
/// {"surface": "webflow", "method": "POST", "path": "/v2/sites/{}/users/invite",
///  "skip": 0, "times": 1, "fault": {"kind": "server_error", "status": 503, "html": true}}
/// ```
///
/// `surface`, `method` and `path` are optional filters (absent = any). `path` is a route
/// template matched segment by segment, where `{}` or any `{name}` matches one segment;
/// a trailing `*` makes it a prefix (`/scim/v2/*`). `skip` lets that many matching requests
/// pass first; `times` is how many requests the fault then applies to (default 1; `null` =
/// every later request).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultRule {
    /// Only requests to this surface.
    #[serde(default)]
    pub surface: Option<Surface>,
    /// Only requests with this method (case-insensitive).
    #[serde(default)]
    pub method: Option<String>,
    /// Only requests whose path matches this template or prefix.
    #[serde(default)]
    pub path: Option<String>,
    /// Matching requests to let pass before the fault applies.
    #[serde(default)]
    pub skip: u64,
    /// Matching requests the fault applies to after `skip` (`None` = unlimited).
    #[serde(default = "one_time")]
    pub times: Option<u64>,
    /// What happens.
    pub fault: Fault,
}

impl FaultRule {
    /// A rule applying `fault` once to any request.
    pub fn new(fault: Fault) -> Self {
        FaultRule {
            surface: None,
            method: None,
            path: None,
            skip: 0,
            times: Some(1),
            fault,
        }
    }
    /// Restricts the rule to one surface.
    pub fn surface(mut self, surface: Surface) -> Self {
        self.surface = Some(surface);
        self
    }
    /// Restricts the rule to one HTTP method.
    pub fn method(mut self, method: &str) -> Self {
        self.method = Some(method.to_owned());
        self
    }
    /// Restricts the rule to a path template (`{}` = one segment) or prefix (trailing `*`).
    pub fn path(mut self, path: &str) -> Self {
        self.path = Some(path.to_owned());
        self
    }
    /// Lets `n` matching requests pass first.
    pub fn skip(mut self, n: u64) -> Self {
        self.skip = n;
        self
    }
    /// Applies the fault to `n` requests.
    pub fn times(mut self, n: u64) -> Self {
        self.times = Some(n);
        self
    }
    /// Applies the fault to every matching request (after `skip`).
    pub fn always(mut self) -> Self {
        self.times = None;
        self
    }

    fn matches(&self, surface: Surface, method: &Method, path: &str) -> bool {
        if self.surface.is_some_and(|s| s != surface) {
            return false;
        }
        if let Some(m) = &self.method
            && !m.eq_ignore_ascii_case(method.as_str())
        {
            return false;
        }
        match &self.path {
            Some(p) => path_matches(p, path),
            None => true,
        }
    }
}

/// Whether `path` matches a template (`{}`/`{name}` = one segment, trailing `*` = prefix).
pub fn path_matches(pattern: &str, path: &str) -> bool {
    let (pattern, prefix) = match pattern.strip_suffix('*') {
        Some(p) => (p, true),
        None => (pattern, false),
    };
    let pat: Vec<&str> = pattern.split('/').filter(|s| !s.is_empty()).collect();
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if prefix {
        if segs.len() < pat.len() {
            return false;
        }
    } else if segs.len() != pat.len() {
        return false;
    }
    pat.iter().zip(segs.iter()).all(|(p, s)| {
        (p.starts_with('{') && p.ends_with('}')) || *p == "*" || p.eq_ignore_ascii_case(s)
    })
}

#[derive(Clone, Debug)]
struct ActiveRule {
    rule: FaultRule,
    seen: u64,
    applied: u64,
}

// ---------------------------------------------------------------------------------------
// Logs: requests, invitations, emails
// ---------------------------------------------------------------------------------------

/// One email the sandbox "sent".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentEmail {
    /// The surface that sent it.
    pub surface: Surface,
    /// Recipient address, as given.
    pub to: String,
    /// What kind of email (`invitation`, `reinvitation`, ...).
    pub kind: String,
}

/// Requests received, per surface and per `METHOD route-template`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestCounts {
    /// All requests to vendor surfaces.
    pub total: u64,
    /// Per surface.
    pub surfaces: BTreeMap<Surface, SurfaceRequests>,
}

/// Requests received by one surface.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurfaceRequests {
    /// All requests to the surface.
    pub total: u64,
    /// Per `METHOD route-template` (unmatched paths count as `METHOD <unmatched>`).
    pub routes: BTreeMap<String, u64>,
}

impl RequestCounts {
    /// Requests received by one surface.
    pub fn surface(&self, surface: Surface) -> u64 {
        self.surfaces.get(&surface).map_or(0, |s| s.total)
    }
    /// Requests received for one `METHOD route-template` of a surface.
    pub fn route(&self, surface: Surface, method_and_template: &str) -> u64 {
        self.surfaces
            .get(&surface)
            .and_then(|s| s.routes.get(method_and_template))
            .copied()
            .unwrap_or(0)
    }
}

/// Invitations created, per surface and lower-cased email.
pub type InvitationCounts = BTreeMap<Surface, BTreeMap<String, u64>>;

#[derive(Default)]
struct Logs {
    requests: RequestCounts,
    invitations: InvitationCounts,
    emails: Vec<SentEmail>,
}

// ---------------------------------------------------------------------------------------
// Shared context
// ---------------------------------------------------------------------------------------

/// The state every surface shares: configuration, logs, fault rules and rate limiter.
/// Cheap to clone.
#[derive(Clone)]
pub struct Shared(Arc<SharedInner>);

struct SharedInner {
    config: SandboxConfig,
    logs: Mutex<Logs>,
    faults: Mutex<Vec<ActiveRule>>,
    rates: Mutex<RateState>,
}

impl Shared {
    pub(crate) fn new(config: SandboxConfig) -> Self {
        let mut rates = RateState::default();
        for s in Surface::ALL {
            let budget = config
                .rate_limits
                .get(&s)
                .copied()
                .unwrap_or_else(|| RateLimit::default_for(s));
            rates.budgets.insert(s, budget);
        }
        Shared(Arc::new(SharedInner {
            config,
            logs: Mutex::new(Logs::default()),
            faults: Mutex::new(Vec::new()),
            rates: Mutex::new(rates),
        }))
    }

    /// The configuration the sandbox started with.
    pub fn config(&self) -> &SandboxConfig {
        &self.0.config
    }

    /// Counts one invitation created for `email` (lower-cased) on `surface`.
    pub fn record_invitation(&self, surface: Surface, email: &str) {
        let mut logs = lock(&self.0.logs);
        *logs
            .invitations
            .entry(surface)
            .or_default()
            .entry(email.trim().to_lowercase())
            .or_insert(0) += 1;
    }

    /// Logs one email "sent" by `surface`.
    pub fn record_email(&self, surface: Surface, to: &str, kind: &str) {
        lock(&self.0.logs).emails.push(SentEmail {
            surface,
            to: to.to_owned(),
            kind: kind.to_owned(),
        });
    }

    /// Invitations created so far.
    pub fn invitations(&self) -> InvitationCounts {
        lock(&self.0.logs).invitations.clone()
    }

    /// Emails sent so far.
    pub fn emails(&self) -> Vec<SentEmail> {
        lock(&self.0.logs).emails.clone()
    }

    /// Requests received so far.
    pub fn requests(&self) -> RequestCounts {
        lock(&self.0.logs).requests.clone()
    }

    /// Adds a fault rule.
    pub fn add_fault(&self, rule: FaultRule) {
        lock(&self.0.faults).push(ActiveRule {
            rule,
            seen: 0,
            applied: 0,
        });
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        lock(&self.0.faults).clear();
    }

    /// The fault rules with their counters.
    pub fn faults(&self) -> Value {
        let faults = lock(&self.0.faults);
        Value::Array(
            faults
                .iter()
                .map(|a| json!({ "rule": a.rule, "seen": a.seen, "applied": a.applied }))
                .collect(),
        )
    }

    /// Sets a surface's rate budget (and clears its current windows).
    pub fn set_rate_limit(&self, surface: Surface, limit: RateLimit) {
        let mut rates = lock(&self.0.rates);
        rates.budgets.insert(surface, limit);
        rates.windows.retain(|(s, _), _| *s != surface);
    }

    /// A surface's current rate budget.
    pub fn rate_limit(&self, surface: Surface) -> RateLimit {
        lock(&self.0.rates).budget(surface)
    }

    /// Clears logs, faults and rate windows, and restores the configured budgets.
    pub(crate) fn reset(&self) {
        *lock(&self.0.logs) = Logs::default();
        self.clear_faults();
        let mut rates = lock(&self.0.rates);
        rates.windows.clear();
        for s in Surface::ALL {
            let budget = self
                .0
                .config
                .rate_limits
                .get(&s)
                .copied()
                .unwrap_or_else(|| RateLimit::default_for(s));
            rates.budgets.insert(s, budget);
        }
    }

    fn count_request(&self, surface: Surface, key: String) {
        let mut logs = lock(&self.0.logs);
        logs.requests.total += 1;
        let s = logs.requests.surfaces.entry(surface).or_default();
        s.total += 1;
        *s.routes.entry(key).or_insert(0) += 1;
    }

    fn take_fault(&self, surface: Surface, method: &Method, path: &str) -> Option<Fault> {
        let mut faults = lock(&self.0.faults);
        let mut chosen = None;
        for active in faults.iter_mut() {
            if !active.rule.matches(surface, method, path) {
                continue;
            }
            active.seen += 1;
            if chosen.is_some() || active.seen <= active.rule.skip {
                continue;
            }
            if active.rule.times.is_some_and(|t| active.applied >= t) {
                continue;
            }
            active.applied += 1;
            chosen = Some(active.rule.fault.clone());
        }
        chosen
    }

    fn check_rate(&self, surface: Surface, scope: &str) -> RateDecision {
        lock(&self.0.rates).check(surface, scope)
    }
}

// ---------------------------------------------------------------------------------------
// Guard middleware
// ---------------------------------------------------------------------------------------

/// Response extension telling the connection layer to close the connection without
/// writing the response.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DropConnectionMarker;

fn drop_response() -> Response {
    let mut r = Response::new(Body::empty());
    r.extensions_mut().insert(DropConnectionMarker);
    r
}

#[derive(Clone)]
struct Guard {
    shared: Shared,
    module: Arc<dyn SurfaceModule>,
}

fn html_error(status: StatusCode) -> Response {
    let line = format!(
        "{} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error")
    );
    let body = format!(
        "<html>\r\n<head><title>{line}</title></head>\r\n<body>\r\n<center><h1>{line}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    );
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

fn rate_limited(module: &dyn SurfaceModule, retry_after: u64) -> Response {
    let mut r = module.problem(Problem::TooManyRequests);
    *r.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
    r
}

async fn guard(State(g): State<Guard>, req: Request, next: Next) -> Response {
    let surface = g.module.surface();
    let template = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_else(|| req.uri().path().to_owned());
    g.shared
        .count_request(surface, format!("{} {}", req.method(), template));
    let fault = g.shared.take_fault(surface, req.method(), req.uri().path());
    match &fault {
        Some(Fault::RateLimited { retry_after_secs }) => {
            let mut r = rate_limited(g.module.as_ref(), *retry_after_secs);
            if g.shared.rate_limit(surface).headers {
                let budget = g.shared.rate_limit(surface);
                RateDecision {
                    allowed: false,
                    limit: budget.limit,
                    remaining: 0,
                    reset_secs: *retry_after_secs,
                    headers: true,
                }
                .apply_headers(r.headers_mut());
            }
            return r;
        }
        Some(Fault::ServerError { status, html }) => {
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            if *html {
                return html_error(status);
            }
            let mut r = g.module.problem(Problem::ServerError(status));
            *r.status_mut() = status;
            return r;
        }
        Some(Fault::Delay { ms }) => tokio::time::sleep(Duration::from_millis(*ms)).await,
        Some(Fault::DropConnection) => return drop_response(),
        Some(Fault::MalformedJson) => {
            return (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                "{\"id\": \"5f0c8c9e1c9d440000e8d8c4\", \"status\": invited,",
            )
                .into_response();
        }
        Some(Fault::TruncatedJson) | Some(Fault::CommitThenDrop) | None => {}
    }

    let (parts, body) = req.into_parts();
    let scope = match g.module.authorize(&parts) {
        Ok(scope) => scope,
        Err(resp) => return resp,
    };
    let decision = g.shared.check_rate(surface, &scope);
    if !decision.allowed {
        let mut r = rate_limited(g.module.as_ref(), decision.reset_secs);
        decision.apply_headers(r.headers_mut());
        return r;
    }
    let mut resp = next.run(Request::from_parts(parts, body)).await;
    decision.apply_headers(resp.headers_mut());
    match fault {
        Some(Fault::CommitThenDrop) => drop_response(),
        Some(Fault::TruncatedJson) => truncate(resp).await,
        _ => resp,
    }
}

async fn truncate(resp: Response) -> Response {
    let (mut parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let half = bytes.slice(..bytes.len() / 2);
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(half.len()));
    Response::from_parts(parts, Body::from(half))
}

/// Wraps a surface's router with the guard (counting, faults, auth, rate limiting).
pub(crate) fn guarded(shared: &Shared, module: Arc<dyn SurfaceModule>) -> Router {
    let g = Guard {
        shared: shared.clone(),
        module: module.clone(),
    };
    module
        .router()
        .route_layer(middleware::from_fn_with_state(g, guard))
}

// ---------------------------------------------------------------------------------------
// Registry and admin API
// ---------------------------------------------------------------------------------------

/// All surfaces plus the shared context; backs the admin API and the `Sandbox` methods.
#[derive(Clone)]
pub(crate) struct Registry {
    pub(crate) shared: Shared,
    pub(crate) modules: Vec<Arc<dyn SurfaceModule>>,
    pub(crate) seed: Value,
}

impl Registry {
    pub(crate) fn module(&self, surface: Surface) -> Option<&Arc<dyn SurfaceModule>> {
        self.modules.iter().find(|m| m.surface() == surface)
    }

    pub(crate) fn state(&self) -> Value {
        let mut map = serde_json::Map::new();
        for m in &self.modules {
            map.insert(m.surface().slug().to_owned(), m.snapshot());
        }
        Value::Object(map)
    }

    pub(crate) fn reset(&self) -> Result<(), String> {
        self.shared.reset();
        for m in &self.modules {
            let section = self.seed.get(m.surface().slug());
            m.reset(section)
                .map_err(|e| format!("seed section `{}`: {e}", m.surface()))?;
        }
        Ok(())
    }

    pub(crate) fn action(
        &self,
        surface: Surface,
        action: &str,
        body: &Value,
    ) -> Result<Value, AdminError> {
        match self.module(surface) {
            Some(m) => m.admin_action(action, body),
            None => Err(AdminError::NotFound(format!(
                "surface `{surface}` is not part of this sandbox"
            ))),
        }
    }

    fn rate_limits_json(&self) -> Value {
        Value::Array(
            Surface::ALL
                .iter()
                .map(|s| self.shared.rate_limit(*s).to_json(*s))
                .collect(),
        )
    }

    /// Answers requests no surface route matched.
    async fn fallback(State(reg): State<Registry>, req: Request) -> Response {
        let path = req.uri().path().to_owned();
        let owner = reg
            .modules
            .iter()
            .filter_map(|m| {
                m.prefixes()
                    .iter()
                    .filter(|p| path_matches(&format!("{}*", p), &path))
                    .map(|p| p.len())
                    .max()
                    .map(|len| (len, m))
            })
            .max_by_key(|(len, _)| *len)
            .map(|(_, m)| m.clone());
        match owner {
            Some(m) => {
                reg.shared
                    .count_request(m.surface(), format!("{} <unmatched>", req.method()));
                let mut r = m.problem(Problem::RouteNotFound);
                *r.status_mut() = StatusCode::NOT_FOUND;
                r
            }
            None => (
                StatusCode::NOT_FOUND,
                axum::Json(json!({ "error": format!("no route for {path}") })),
            )
                .into_response(),
        }
    }
}

fn admin_json_body(bytes: &Bytes) -> Result<Value, AdminError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Ok(Value::Object(Default::default()));
    }
    serde_json::from_slice(bytes).map_err(|e| AdminError::BadRequest(format!("invalid JSON: {e}")))
}

fn parse_surface(s: &str) -> Result<Surface, AdminError> {
    Surface::from_slug(s).ok_or_else(|| AdminError::NotFound(format!("unknown surface `{s}`")))
}

/// The `/_sandbox` admin router (no auth) plus the fallback for unmatched paths.
pub(crate) fn admin_router(reg: Registry) -> Router {
    use axum::Json;
    Router::new()
        .route(
            "/_sandbox/state",
            get(|State(r): State<Registry>| async move { Json(r.state()) }),
        )
        .route(
            "/_sandbox/invitations",
            get(|State(r): State<Registry>| async move { Json(r.shared.invitations()) }),
        )
        .route(
            "/_sandbox/emails",
            get(|State(r): State<Registry>| async move { Json(r.shared.emails()) }),
        )
        .route(
            "/_sandbox/requests",
            get(|State(r): State<Registry>| async move { Json(r.shared.requests()) }),
        )
        .route(
            "/_sandbox/reset",
            post(|State(r): State<Registry>| async move {
                match r.reset() {
                    Ok(()) => Json(json!({ "reset": true })).into_response(),
                    Err(e) => AdminError::BadRequest(e).into_response(),
                }
            }),
        )
        .route(
            "/_sandbox/faults",
            get(|State(r): State<Registry>| async move { Json(r.shared.faults()) })
                .post(|State(r): State<Registry>, body: Bytes| async move {
                    let value = admin_json_body(&body)?;
                    let rules: Vec<FaultRule> = if value.is_array() {
                        serde_json::from_value(value)
                    } else {
                        serde_json::from_value(value).map(|r| vec![r])
                    }
                    .map_err(|e| AdminError::BadRequest(format!("invalid fault rule: {e}")))?;
                    let n = rules.len();
                    for rule in rules {
                        r.shared.add_fault(rule);
                    }
                    Ok::<_, AdminError>(Json(json!({ "added": n })))
                })
                .delete(|State(r): State<Registry>| async move {
                    r.shared.clear_faults();
                    Json(json!({ "cleared": true }))
                }),
        )
        .route(
            "/_sandbox/rate-limits",
            get(|State(r): State<Registry>| async move { Json(r.rate_limits_json()) }).post(
                |State(r): State<Registry>, body: Bytes| async move {
                    let value = admin_json_body(&body)?;
                    let u: RateLimitUpdate = serde_json::from_value(value).map_err(|e| {
                        AdminError::BadRequest(format!("invalid rate-limit update: {e}"))
                    })?;
                    let mut limit = r.shared.rate_limit(u.surface);
                    if let Some(l) = u.limit {
                        limit.limit = l;
                    }
                    if let Some(ms) = u.window_ms {
                        limit.window = Duration::from_millis(ms);
                    } else if let Some(s) = u.window_secs {
                        limit.window = Duration::from_secs(s);
                    }
                    if let Some(h) = u.headers {
                        limit.headers = h;
                    }
                    if limit.window.is_zero() {
                        return Err(AdminError::BadRequest("window must be > 0".into()));
                    }
                    r.shared.set_rate_limit(u.surface, limit);
                    Ok(Json(limit.to_json(u.surface)))
                },
            ),
        )
        .route(
            "/_sandbox/{surface}/{action}",
            post(
                |State(r): State<Registry>,
                 Path((surface, action)): Path<(String, String)>,
                 body: Bytes| async move {
                    let surface = parse_surface(&surface)?;
                    let value = admin_json_body(&body)?;
                    r.action(surface, &action, &value).map(Json)
                },
            ),
        )
        .fallback(Registry::fallback)
        .with_state(reg)
}

// ---------------------------------------------------------------------------------------
// Helpers for handlers
// ---------------------------------------------------------------------------------------

/// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive).
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    if scheme.eq_ignore_ascii_case("bearer") {
        let token = token.trim();
        (!token.is_empty()).then_some(token)
    } else {
        None
    }
}

/// Parses a JSON request body; the error message is meant for a vendor-shaped 400.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    serde_json::from_slice(bytes).map_err(|e| format!("Request body is not valid JSON: {e}"))
}

/// The decoded `key=value` pairs of a request's query string.
pub fn query_pairs(parts_or_uri: &axum::http::Uri) -> Vec<(String, String)> {
    parts_or_uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// The value of a path segment right after `marker` (e.g. the site id after `sites`).
pub fn segment_after<'a>(path: &'a str, marker: &str) -> Option<&'a str> {
    let mut it = path.split('/');
    while let Some(s) = it.next() {
        if s == marker {
            return it.next().filter(|s| !s.is_empty());
        }
    }
    None
}

/// A random lower-case hex string of `n` characters.
pub fn random_hex(n: usize) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    (0..n)
        .map(|_| char::from(HEX[fastrand::usize(..16)]))
        .collect()
}

/// A new Mongo-style object id (24 lower-case hex).
pub fn new_object_id() -> String {
    random_hex(24)
}

/// A new random (version 4) UUID, lower-case hyphenated.
pub fn new_uuid() -> String {
    let mut b = [0u8; 16];
    for x in b.iter_mut() {
        *x = fastrand::u8(..);
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// The current UTC time as RFC 3339 with milliseconds (`2026-02-01T10:00:00.123Z`).
pub fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc();
    let fmt = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    now.format(&fmt)
        .unwrap_or_else(|_| "1970-01-01T00:00:00.000Z".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match() {
        assert!(path_matches(
            "/v2/sites/{}/users/invite",
            "/v2/sites/abc/users/invite"
        ));
        assert!(path_matches(
            "/v2/sites/{site_id}/users",
            "/v2/sites/abc/users"
        ));
        assert!(!path_matches("/v2/sites/{}/users", "/v2/sites/abc/users/x"));
        assert!(path_matches("/v2/sites/*", "/v2/sites/abc/users/x"));
        assert!(path_matches("/scim/v2*", "/scim/v2/Users"));
        assert!(!path_matches("/scim/v2/*", "/v2/sites"));
    }

    #[test]
    fn rate_window() {
        let mut r = RateState::default();
        r.budgets.insert(
            Surface::Flatfile,
            RateLimit::new(2, Duration::from_secs(60)),
        );
        assert!(r.check(Surface::Flatfile, "a").allowed);
        let d = r.check(Surface::Flatfile, "a");
        assert!(d.allowed && d.remaining == 0);
        assert!(!r.check(Surface::Flatfile, "a").allowed);
        assert!(r.check(Surface::Flatfile, "b").allowed);
    }

    #[test]
    fn ids() {
        assert_eq!(new_object_id().len(), 24);
        let u = new_uuid();
        assert_eq!(u.len(), 36);
        assert_eq!(u.as_bytes()[14], b'4');
    }

    #[test]
    fn fault_json() {
        let r: FaultRule = serde_json::from_str(
            r#"{"surface":"webflow","path":"/v2/sites/{}/users/invite","fault":{"kind":"server_error","status":503,"html":true}}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.times, Some(1));
        let r: FaultRule =
            serde_json::from_str(r#"{"times":null,"fault":{"kind":"drop_connection"}}"#)
                .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.times, None);
    }
}
