//! Reading requests: the bearer token, the matched route template, the query string and a
//! JSON object body (which never panics on bad input).

use axum::extract::MatchedPath;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::Response;
use serde_json::{Map, Value};

use crate::surface::{Problem, SurfaceModule};

/// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive).
pub(crate) fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    if scheme.eq_ignore_ascii_case("bearer") {
        let token = token.trim();
        (!token.is_empty()).then_some(token)
    } else {
        None
    }
}

/// Whether the request carries `Authorization: Bearer <token>` with exactly this token.
pub(crate) fn has_bearer(parts: &Parts, token: &str) -> bool {
    bearer_token(&parts.headers) == Some(token)
}

/// The rate-limit scope of a `surface` that only checks its token: the token itself, or the
/// surface's 401 ([`Problem::Unauthorized`]) when the request does not carry it. Shaped like
/// [`SurfaceModule::authorize`], whose error is the finished response.
#[allow(clippy::result_large_err)]
pub(crate) fn token_scope(
    surface: &impl SurfaceModule,
    parts: &Parts,
    token: &str,
) -> Result<String, Response> {
    if has_bearer(parts, token) {
        Ok(token.to_owned())
    } else {
        Err(surface.problem(Problem::Unauthorized))
    }
}

/// The route template the request matched (`/v2/sites/{site_id}/users`), else its path.
pub(crate) fn route_template(parts: &Parts) -> &str {
    parts
        .extensions
        .get::<MatchedPath>()
        .map_or(parts.uri.path(), MatchedPath::as_str)
}

/// The value of a path segment right after `marker` (e.g. the site id after `sites`).
pub(crate) fn segment_after<'a>(path: &'a str, marker: &str) -> Option<&'a str> {
    let mut it = path.split('/');
    while let Some(s) = it.next() {
        if s == marker {
            return it.next().filter(|s| !s.is_empty());
        }
    }
    None
}

/// Decoded query pairs in request order (repeated keys kept).
pub(crate) fn query_pairs(raw: Option<&str>) -> Vec<(String, String)> {
    raw.map(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    })
    .unwrap_or_default()
}

/// The last value of `key` among query pairs.
pub(crate) fn last_param<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// Why a request body could not be read as a JSON object.
#[derive(Debug)]
pub(crate) enum BodyError {
    /// The body is not valid JSON.
    Malformed(String),
    /// The body is valid JSON but not an object.
    NotAnObject,
}

/// Parses `body` as a JSON object; an empty body counts as `{}` only when
/// `empty_ok` is set.
pub(crate) fn json_object(body: &[u8], empty_ok: bool) -> Result<Map<String, Value>, BodyError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return if empty_ok {
            Ok(Map::new())
        } else {
            Err(BodyError::Malformed("the request body is empty".to_owned()))
        };
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(BodyError::NotAnObject),
        Err(e) => Err(BodyError::Malformed(e.to_string())),
    }
}
