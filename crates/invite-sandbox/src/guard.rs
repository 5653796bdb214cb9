//! The guard middleware around every surface router. In this order it
//!
//! 1. counts the request (per surface and per `METHOD route-template`),
//! 2. applies a matching [`FaultRule`](crate::FaultRule) (early answer, delay, or a
//!    post-processing step),
//! 3. calls [`SurfaceModule::authorize`], which returns the rate-limit scope on success,
//! 4. applies the fixed-window rate limit of `(surface, scope)` (429 + `Retry-After`),
//! 5. runs the handler and adds the `X-RateLimit-*` headers when enabled for the surface.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};

use crate::fault::Fault;
use crate::rate::RateDecision;
use crate::shared::Shared;
use crate::surface::{Problem, Surface, SurfaceModule};

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
    surface: Surface,
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
    let surface = g.surface;
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
            RateDecision::refused(g.shared.rate_limit(surface), *retry_after_secs)
                .apply_headers(r.headers_mut());
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
    if !decision.allowed() {
        let mut r = rate_limited(g.module.as_ref(), decision.reset_secs());
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
pub(crate) fn guarded(shared: &Shared, surface: Surface, module: Arc<dyn SurfaceModule>) -> Router {
    let g = Guard {
        shared: shared.clone(),
        surface,
        module: module.clone(),
    };
    module
        .router()
        .route_layer(middleware::from_fn_with_state(g, guard))
}
