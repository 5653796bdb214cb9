//! The context every surface shares: configuration, logs (requests, invitations, emails),
//! fault rules and rate limiter; and [`Locked`], the mutex every surface keeps its state in.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::http::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::SandboxConfig;
use crate::fault::{ActiveRule, Fault, FaultRule};
use crate::rate::{RateDecision, RateLimit, RateState};
use crate::surface::Surface;

/// Locks a mutex, recovering the data if a previous holder panicked.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A surface's state behind a mutex; a panicked holder does not poison it.
#[derive(Debug, Default)]
pub(crate) struct Locked<T>(Mutex<T>);

impl<T> Locked<T> {
    pub(crate) fn new(value: T) -> Self {
        Locked(Mutex::new(value))
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
        lock(&self.0)
    }

    /// Replaces the whole state (a reset).
    pub(crate) fn replace(&self, value: T) {
        *self.lock() = value;
    }

    /// Replaces the state by `fresh` with the surface's seed section, if any, loaded into it.
    pub(crate) fn reseed(
        &self,
        mut fresh: T,
        seed: Option<&serde_json::Value>,
        load: impl FnOnce(&mut T, &serde_json::Value) -> Result<(), String>,
    ) -> Result<(), String> {
        if let Some(seed) = seed {
            load(&mut fresh, seed)?;
        }
        self.replace(fresh);
        Ok(())
    }
}

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
        Shared(Arc::new(SharedInner {
            rates: Mutex::new(RateState::new(&config.rate_limits)),
            config,
            logs: Mutex::new(Logs::default()),
            faults: Mutex::new(Vec::new()),
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

    /// Counts one invitation for `email` on `surface` and logs the invitation email to it.
    pub fn record_invitation_email(&self, surface: Surface, email: &str) {
        self.record_invitation(surface, email);
        self.record_email(surface, email, "invitation");
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
        lock(&self.0.rates).set_budget(surface, limit);
    }

    /// A surface's current rate budget.
    pub fn rate_limit(&self, surface: Surface) -> RateLimit {
        lock(&self.0.rates).budget(surface)
    }

    /// Clears logs, faults and rate windows, and restores the configured budgets.
    pub(crate) fn reset(&self) {
        *lock(&self.0.logs) = Logs::default();
        self.clear_faults();
        *lock(&self.0.rates) = RateState::new(&self.0.config.rate_limits);
    }

    pub(crate) fn count_request(&self, surface: Surface, key: String) {
        let mut logs = lock(&self.0.logs);
        logs.requests.total += 1;
        let s = logs.requests.surfaces.entry(surface).or_default();
        s.total += 1;
        *s.routes.entry(key).or_insert(0) += 1;
    }

    pub(crate) fn take_fault(
        &self,
        surface: Surface,
        method: &Method,
        path: &str,
    ) -> Option<Fault> {
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

    pub(crate) fn check_rate(&self, surface: Surface, scope: &str) -> RateDecision {
        lock(&self.0.rates).check(surface, scope)
    }
}
