//! The admin API under `/_sandbox` (no auth) and the [`Registry`] of surfaces behind it and
//! behind the `Sandbox` methods; also the argument readers surfaces use in their admin actions.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::fault::{FaultRule, path_matches};
use crate::rate::RateLimitUpdate;
use crate::shared::Shared;
use crate::surface::{AdminError, Problem, Surface, SurfaceModule};

/// All surfaces plus the shared context; backs the admin API and the `Sandbox` methods.
#[derive(Clone)]
pub(crate) struct Registry {
    pub(crate) shared: Shared,
    pub(crate) modules: Vec<(Surface, Arc<dyn SurfaceModule>)>,
    pub(crate) seed: Value,
}

impl Registry {
    pub(crate) fn module(&self, surface: Surface) -> Option<&Arc<dyn SurfaceModule>> {
        self.modules
            .iter()
            .find(|(s, _)| *s == surface)
            .map(|(_, m)| m)
    }

    pub(crate) fn state(&self) -> Value {
        let mut map = serde_json::Map::new();
        for (surface, m) in &self.modules {
            map.insert(surface.slug().to_owned(), m.snapshot());
        }
        Value::Object(map)
    }

    pub(crate) fn reset(&self) -> Result<(), String> {
        self.shared.reset();
        for (surface, m) in &self.modules {
            let section = self.seed.get(surface.slug());
            m.reset(section)
                .map_err(|e| format!("seed section `{surface}`: {e}"))?;
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
            .filter_map(|(surface, m)| {
                surface
                    .prefixes()
                    .iter()
                    .filter(|p| path_matches(&format!("{}*", p), &path))
                    .map(|p| p.len())
                    .max()
                    .map(|len| (len, *surface, m))
            })
            .max_by_key(|(len, _, _)| *len)
            .map(|(_, surface, m)| (surface, m.clone()));
        match owner {
            Some((surface, m)) => {
                reg.shared
                    .count_request(surface, format!("{} <unmatched>", req.method()));
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
                    let limit = u
                        .apply(r.shared.rate_limit(u.surface))
                        .map_err(AdminError::BadRequest)?;
                    r.shared.set_rate_limit(u.surface, limit);
                    Ok::<_, AdminError>(Json(limit.to_json(u.surface)))
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

/// The `email` string of an admin action's body.
pub(crate) fn email_arg(body: &Value) -> Result<&str, AdminError> {
    body.get("email")
        .and_then(Value::as_str)
        .ok_or_else(|| AdminError::BadRequest("`email` is required".to_owned()))
}

/// The boolean `key` of an admin action's body.
pub(crate) fn flag_arg(body: &Value, key: &str) -> Result<bool, AdminError> {
    body.get(key)
        .and_then(Value::as_bool)
        .ok_or_else(|| AdminError::BadRequest(format!("`{key}` (boolean) is required")))
}

/// The answer to an admin action `who` does not have; `note` says what it has instead.
pub(crate) fn unsupported(who: &str, action: &str, note: &str) -> AdminError {
    AdminError::Unsupported(format!("{who} has no admin action `{action}` ({note})"))
}
