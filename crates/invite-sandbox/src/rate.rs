//! Fixed-window rate limiting per surface and scope, with optional `X-RateLimit-*` headers.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderValue};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::surface::Surface;

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

    pub(crate) fn to_json(self, surface: Surface) -> Value {
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
    pub(crate) surface: Surface,
    limit: Option<u32>,
    window_ms: Option<u64>,
    window_secs: Option<u64>,
    headers: Option<bool>,
}

impl RateLimitUpdate {
    /// `current` with the fields this update sets; a zero window is refused.
    pub(crate) fn apply(&self, mut limit: RateLimit) -> Result<RateLimit, String> {
        if let Some(l) = self.limit {
            limit.limit = l;
        }
        if let Some(ms) = self.window_ms {
            limit.window = Duration::from_millis(ms);
        } else if let Some(s) = self.window_secs {
            limit.window = Duration::from_secs(s);
        }
        if let Some(h) = self.headers {
            limit.headers = h;
        }
        if limit.window.is_zero() {
            return Err("window must be > 0".into());
        }
        Ok(limit)
    }
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct RateDecision {
    allowed: bool,
    limit: u32,
    remaining: u32,
    reset_secs: u64,
    headers: bool,
}

impl RateDecision {
    /// A refused request under `budget`, the window resetting in `reset_secs`.
    pub(crate) fn refused(budget: RateLimit, reset_secs: u64) -> Self {
        RateDecision {
            allowed: false,
            limit: budget.limit,
            remaining: 0,
            reset_secs,
            headers: budget.headers,
        }
    }

    pub(crate) fn allowed(&self) -> bool {
        self.allowed
    }

    pub(crate) fn reset_secs(&self) -> u64 {
        self.reset_secs
    }

    pub(crate) fn apply_headers(&self, headers: &mut HeaderMap) {
        if self.headers {
            headers.insert("x-ratelimit-limit", HeaderValue::from(self.limit));
            headers.insert("x-ratelimit-remaining", HeaderValue::from(self.remaining));
            headers.insert("x-ratelimit-reset", HeaderValue::from(self.reset_secs));
        }
    }
}

#[derive(Default)]
pub(crate) struct RateState {
    budgets: HashMap<Surface, RateLimit>,
    windows: HashMap<(Surface, String), (Instant, u32)>,
}

fn ceil_secs(d: Duration) -> u64 {
    let secs = d.as_secs();
    if d.subsec_nanos() > 0 { secs + 1 } else { secs }
}

/// `surface`'s budget in `budgets`, else its default.
pub(crate) fn budget_in(budgets: &HashMap<Surface, RateLimit>, surface: Surface) -> RateLimit {
    budgets
        .get(&surface)
        .copied()
        .unwrap_or_else(|| RateLimit::default_for(surface))
}

impl RateState {
    /// Fresh windows with these budgets (absent surfaces get their default).
    pub(crate) fn new(budgets: &HashMap<Surface, RateLimit>) -> Self {
        RateState {
            budgets: budgets.clone(),
            windows: HashMap::new(),
        }
    }

    pub(crate) fn budget(&self, surface: Surface) -> RateLimit {
        budget_in(&self.budgets, surface)
    }

    pub(crate) fn set_budget(&mut self, surface: Surface, limit: RateLimit) {
        self.budgets.insert(surface, limit);
        self.windows.retain(|(s, _), _| *s != surface);
    }

    pub(crate) fn check(&mut self, surface: Surface, scope: &str) -> RateDecision {
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
            return RateDecision::refused(budget, reset_secs);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_window() {
        let mut r = RateState::default();
        r.set_budget(
            Surface::Flatfile,
            RateLimit::new(2, Duration::from_secs(60)),
        );
        assert!(r.check(Surface::Flatfile, "a").allowed);
        let d = r.check(Surface::Flatfile, "a");
        assert!(d.allowed && d.remaining == 0);
        assert!(!r.check(Surface::Flatfile, "a").allowed);
        assert!(r.check(Surface::Flatfile, "b").allowed);
    }
}
