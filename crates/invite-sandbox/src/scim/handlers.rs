//! The SCIM routes under `/scim/v2`. See docs/vendors/scim.md.

use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, RawQuery, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::filter::{Filter, ListParams, group_matches, list_params, search_params, user_matches};
use super::model::{
    GROUP_SCHEMA, LIST_SCHEMA, Projection, ScimError, ScimResult, USER_SCHEMA, bad, base_url,
    check_if_match, name_taken, not_found, resource, scim_json, seed_group,
};
use super::patch::{
    attrs_from_resource, group_from_body, parse_ops, patch_group_members, patch_user_attrs,
};
use super::{Module, ScimGroup, ScimState, ScimUser};
use crate::clock::now_millis;
use crate::ids::object_id;
use crate::surface::Surface;

type S = State<Module>;

/// The resource id of the path; one that does not decode answers 400.
pub(super) struct Id(pub(super) String);

impl<T: Send + Sync> FromRequestParts<T> for Id {
    type Rejection = ScimError;

    async fn from_request_parts(parts: &mut Parts, state: &T) -> Result<Self, ScimError> {
        let Path(id) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| bad("invalidValue", "The resource id is invalid"))?;
        Ok(Id(id))
    }
}

/// A full User resource body (POST, PUT) as attributes.
fn resource_attrs(body: &[u8]) -> Result<Map<String, Value>, ScimError> {
    let body: Value = serde_json::from_slice(body).map_err(|e| {
        bad(
            "invalidSyntax",
            format!("Request body is not valid JSON: {e}"),
        )
    })?;
    attrs_from_resource(&body)
}

/// The ListResponse page of `matched` (already rendered) that `p` asks for.
fn list_response(p: &ListParams, matched: Vec<Value>) -> Response {
    let total = matched.len();
    let page: Vec<Value> = matched
        .into_iter()
        .skip(p.start - 1)
        .take(p.count)
        .collect();
    scim_json(
        StatusCode::OK,
        json!({
            "schemas": [LIST_SCHEMA],
            "totalResults": total,
            "itemsPerPage": page.len(),
            "startIndex": p.start,
            "Resources": page,
        }),
    )
}

/// Users passing `p`'s filter, rendered and projected. A filter on an attribute users do not
/// have is an error, unless `lenient` (a search across resource types), where it matches none.
fn matching_users(
    st: &ScimState,
    p: &ListParams,
    base: &str,
    lenient: bool,
) -> Result<Vec<Value>, ScimError> {
    let mut out = Vec::new();
    for u in &st.users {
        if filter_passes(p.filter.as_ref(), |f| user_matches(u, f), lenient)? {
            out.push(p.projection.apply(st.user_json(u, base), USER_SCHEMA));
        }
    }
    Ok(out)
}

/// Groups passing `p`'s filter, rendered and projected (see [`matching_users`]).
fn matching_groups(
    st: &ScimState,
    p: &ListParams,
    base: &str,
    lenient: bool,
) -> Result<Vec<Value>, ScimError> {
    let mut out = Vec::new();
    for g in &st.groups {
        if filter_passes(p.filter.as_ref(), |f| group_matches(g, f), lenient)? {
            out.push(p.projection.apply(st.group_json(g, base), GROUP_SCHEMA));
        }
    }
    Ok(out)
}

fn filter_passes(
    filter: Option<&Filter>,
    matches: impl Fn(&Filter) -> Result<bool, ScimError>,
    lenient: bool,
) -> Result<bool, ScimError> {
    match filter.map(matches) {
        None => Ok(true),
        Some(Ok(hit)) => Ok(hit),
        Some(Err(_)) if lenient => Ok(false),
        Some(Err(e)) => Err(e),
    }
}

pub(super) async fn list_users(State(s): S, query: RawQuery, h: HeaderMap) -> ScimResult {
    let p = list_params(query.0.as_deref())?;
    let st = s.state.lock();
    Ok(list_response(
        &p,
        matching_users(&st, &p, &base_url(&h), false)?,
    ))
}

/// Which resource types a `POST …/.search` covers.
#[derive(Clone, Copy)]
pub(super) enum SearchScope {
    /// `POST /.search`: users and groups.
    All,
    /// `POST /Users/.search`.
    Users,
    /// `POST /Groups/.search`.
    Groups,
}

/// `POST /.search`, `/Users/.search`, `/Groups/.search` (RFC 7644 §3.4.3): a SearchRequest
/// body with the list query's `filter`, `startIndex`, `count`, `attributes`,
/// `excludedAttributes`.
async fn search(s: Module, h: HeaderMap, body: Bytes, scope: SearchScope) -> ScimResult {
    let p = search_params(&body)?;
    let st = s.state.lock();
    let base = base_url(&h);
    let matched = match scope {
        SearchScope::Users => matching_users(&st, &p, &base, false)?,
        SearchScope::Groups => matching_groups(&st, &p, &base, false)?,
        SearchScope::All => {
            let mut all = matching_users(&st, &p, &base, true)?;
            all.extend(matching_groups(&st, &p, &base, true)?);
            all
        }
    };
    Ok(list_response(&p, matched))
}

pub(super) async fn search_all(State(s): S, h: HeaderMap, body: Bytes) -> ScimResult {
    search(s, h, body, SearchScope::All).await
}

pub(super) async fn search_users(State(s): S, h: HeaderMap, body: Bytes) -> ScimResult {
    search(s, h, body, SearchScope::Users).await
}

pub(super) async fn search_groups(State(s): S, h: HeaderMap, body: Bytes) -> ScimResult {
    search(s, h, body, SearchScope::Groups).await
}

pub(super) async fn create_user(State(s): S, q: RawQuery, h: HeaderMap, body: Bytes) -> ScimResult {
    let attrs = resource_attrs(&body)?;
    let base = base_url(&h);
    let (json, email, version, id) = {
        let mut st = s.state.lock();
        let name = attrs
            .get("userName")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if st.user_name_taken(name, None) {
            return Err(name_taken(name));
        }
        let now = now_millis();
        let user = ScimUser {
            id: object_id(),
            attrs,
            created: now.clone(),
            last_modified: now,
            version: 1,
        };
        let out = (
            st.user_json(&user, &base),
            user.email(),
            user.version,
            user.id.clone(),
        );
        st.users.push(user);
        out
    };
    s.shared.record_invitation(Surface::WebflowScim, &email);
    let json = Projection::from_query(q.0.as_deref()).apply(json, USER_SCHEMA);
    Ok(created(json, version, &format!("{base}/Users/{id}")))
}

/// 201 with the resource, its `ETag` and `Location`.
fn created(json: Value, version: u64, location: &str) -> Response {
    let mut r = resource(StatusCode::CREATED, json, version);
    if let Ok(loc) = HeaderValue::from_str(location) {
        r.headers_mut().insert(header::LOCATION, loc);
    }
    r
}

pub(super) async fn get_user(State(s): S, q: RawQuery, h: HeaderMap, Id(id): Id) -> ScimResult {
    let st = s.state.lock();
    let u = st.user(&id)?;
    let json =
        Projection::from_query(q.0.as_deref()).apply(st.user_json(u, &base_url(&h)), USER_SCHEMA);
    Ok(resource(StatusCode::OK, json, u.version))
}

/// The index of user `id` whose version `If-Match` allows changing.
fn user_to_change(st: &ScimState, id: &str, headers: &HeaderMap) -> Result<usize, ScimError> {
    check_if_match(headers, st.user(id)?.version)?;
    st.user_index(id)
}

/// Shared tail of PUT and PATCH: uniqueness, version bump, 200 with the (projected) resource.
fn store_user(
    st: &mut ScimState,
    idx: usize,
    attrs: Map<String, Value>,
    base: &str,
    projection: &Projection,
) -> ScimResult {
    let name = attrs
        .get("userName")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    if name.is_empty() {
        return Err(bad("invalidValue", "userName is required"));
    }
    let id = st.users.get(idx).map(|u| u.id.clone()).unwrap_or_default();
    if st.user_name_taken(&name, Some(&id)) {
        return Err(name_taken(&name));
    }
    let user = st
        .users
        .get_mut(idx)
        .ok_or_else(|| not_found("User", &id))?;
    user.attrs = attrs;
    user.version += 1;
    user.last_modified = now_millis();
    let user = user.clone();
    let json = projection.apply(st.user_json(&user, base), USER_SCHEMA);
    Ok(resource(StatusCode::OK, json, user.version))
}

pub(super) async fn replace_user(
    State(s): S,
    q: RawQuery,
    h: HeaderMap,
    Id(id): Id,
    body: Bytes,
) -> ScimResult {
    let attrs = resource_attrs(&body)?;
    let mut st = s.state.lock();
    let idx = user_to_change(&st, &id, &h)?;
    let projection = Projection::from_query(q.0.as_deref());
    store_user(&mut st, idx, attrs, &base_url(&h), &projection)
}

pub(super) async fn patch_user(
    State(s): S,
    q: RawQuery,
    h: HeaderMap,
    Id(id): Id,
    body: Bytes,
) -> ScimResult {
    let ops = parse_ops(&body)?;
    let mut st = s.state.lock();
    let idx = user_to_change(&st, &id, &h)?;
    let mut attrs = st.user(&id)?.attrs.clone();
    patch_user_attrs(&mut attrs, ops)?;
    let projection = Projection::from_query(q.0.as_deref());
    store_user(&mut st, idx, attrs, &base_url(&h), &projection)
}

pub(super) async fn delete_user(State(s): S, h: HeaderMap, Id(id): Id) -> ScimResult {
    let mut st = s.state.lock();
    let idx = user_to_change(&st, &id, &h)?;
    st.users.remove(idx);
    for g in st.groups.iter_mut() {
        g.members.retain(|m| m.value != id);
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub(super) async fn list_groups(State(s): S, query: RawQuery, h: HeaderMap) -> ScimResult {
    let p = list_params(query.0.as_deref())?;
    let st = s.state.lock();
    Ok(list_response(
        &p,
        matching_groups(&st, &p, &base_url(&h), false)?,
    ))
}

pub(super) async fn create_group(
    State(s): S,
    q: RawQuery,
    h: HeaderMap,
    body: Bytes,
) -> ScimResult {
    let base = base_url(&h);
    let mut st = s.state.lock();
    let mut group = seed_group("");
    group_from_body(&st, &mut group, &body)?;
    let json =
        Projection::from_query(q.0.as_deref()).apply(st.group_json(&group, &base), GROUP_SCHEMA);
    let out = created(json, group.version, &format!("{base}/Groups/{}", group.id));
    st.groups.push(group);
    Ok(out)
}

pub(super) async fn get_group(State(s): S, q: RawQuery, h: HeaderMap, Id(id): Id) -> ScimResult {
    let st = s.state.lock();
    let g = st.group(&id)?;
    let json =
        Projection::from_query(q.0.as_deref()).apply(st.group_json(g, &base_url(&h)), GROUP_SCHEMA);
    Ok(resource(StatusCode::OK, json, g.version))
}

/// Stores `group` (changed by PUT or PATCH) with a new version; 200 with the resource.
fn store_group(
    st: &mut ScimState,
    idx: usize,
    mut group: ScimGroup,
    q: &RawQuery,
    h: &HeaderMap,
) -> ScimResult {
    group.version += 1;
    group.last_modified = now_millis();
    let json = Projection::from_query(q.0.as_deref())
        .apply(st.group_json(&group, &base_url(h)), GROUP_SCHEMA);
    let out = resource(StatusCode::OK, json, group.version);
    if let Some(slot) = st.groups.get_mut(idx) {
        *slot = group;
    }
    Ok(out)
}

/// The index and a copy of group `id` whose version `If-Match` allows changing.
fn group_to_change(
    st: &ScimState,
    id: &str,
    h: &HeaderMap,
) -> Result<(usize, ScimGroup), ScimError> {
    let group = st.group(id)?.clone();
    check_if_match(h, group.version)?;
    Ok((st.group_index(id)?, group))
}

pub(super) async fn replace_group(
    State(s): S,
    q: RawQuery,
    h: HeaderMap,
    Id(id): Id,
    body: Bytes,
) -> ScimResult {
    let mut st = s.state.lock();
    let (idx, mut group) = group_to_change(&st, &id, &h)?;
    group_from_body(&st, &mut group, &body)?;
    store_group(&mut st, idx, group, &q, &h)
}

pub(super) async fn patch_group(
    State(s): S,
    q: RawQuery,
    h: HeaderMap,
    Id(id): Id,
    body: Bytes,
) -> ScimResult {
    let ops = parse_ops(&body)?;
    let mut st = s.state.lock();
    let (idx, mut group) = group_to_change(&st, &id, &h)?;
    patch_group_members(&st, &mut group, ops)?;
    store_group(&mut st, idx, group, &q, &h)
}

pub(super) async fn delete_group(State(s): S, h: HeaderMap, Id(id): Id) -> ScimResult {
    let mut st = s.state.lock();
    let (idx, _) = group_to_change(&st, &id, &h)?;
    st.groups.remove(idx);
    Ok(StatusCode::NO_CONTENT.into_response())
}
