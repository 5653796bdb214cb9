//! The SCIM routes under `/scim/v2`. See docs/vendors/scim.md.

use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, RawQuery, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use serde_json::{Map, Value, json};

use super::filter::{Filter, group_matches, list_params, user_matches};
use super::model::{
    LIST_SCHEMA, PAGE_CAP, ScimError, ScimResult, bad, base_url, check_if_match, name_taken,
    not_found, resource, scim_json,
};
use super::patch::{attrs_from_resource, parse_ops, patch_group_members, patch_user_attrs};
use super::{Module, ScimGroup, ScimState, ScimUser};
use crate::clock::now_millis;
use crate::ids::object_id;
use crate::surface::Surface;

type S = State<Module>;

/// The resource id of the path; one that does not decode answers 400.
pub(super) struct Id(String);

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

/// The ListResponse page of `items` the query's filter and paging ask for.
fn list<T>(
    query: Option<&str>,
    headers: &HeaderMap,
    items: &[T],
    matches: fn(&T, &Filter) -> Result<bool, ScimError>,
    render: impl Fn(&T, &str) -> Value,
) -> ScimResult {
    let p = list_params(query)?;
    let base = base_url(headers);
    let mut matched = Vec::new();
    for item in items {
        if p.filter.as_ref().map_or(Ok(true), |f| matches(item, f))? {
            matched.push(item);
        }
    }
    let page: Vec<Value> = matched
        .iter()
        .skip(p.start - 1)
        .take(p.count)
        .map(|item| render(item, &base))
        .collect();
    Ok(scim_json(
        StatusCode::OK,
        json!({
            "schemas": [LIST_SCHEMA],
            "totalResults": matched.len(),
            "itemsPerPage": page.len(),
            "startIndex": p.start,
            "Resources": page,
        }),
    ))
}

pub(super) async fn list_users(State(s): S, query: RawQuery, h: HeaderMap) -> ScimResult {
    let st = s.state.lock();
    let render = |u: &ScimUser, base: &str| st.user_json(u, base);
    list(query.0.as_deref(), &h, &st.users, user_matches, render)
}

pub(super) async fn create_user(State(s): S, h: HeaderMap, body: Bytes) -> ScimResult {
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
    let mut r = resource(StatusCode::CREATED, json, version);
    if let Ok(loc) = HeaderValue::from_str(&format!("{base}/Users/{id}")) {
        r.headers_mut().insert(header::LOCATION, loc);
    }
    Ok(r)
}

pub(super) async fn get_user(State(s): S, h: HeaderMap, Id(id): Id) -> ScimResult {
    let st = s.state.lock();
    let u = st.user(&id)?;
    let json = st.user_json(u, &base_url(&h));
    Ok(resource(StatusCode::OK, json, u.version))
}

/// The index of user `id` whose version `If-Match` allows changing.
fn user_to_change(st: &ScimState, id: &str, headers: &HeaderMap) -> Result<usize, ScimError> {
    check_if_match(headers, st.user(id)?.version)?;
    st.user_index(id)
}

/// Shared tail of PUT and PATCH: uniqueness, version bump, 200 with the resource.
fn store_user(st: &mut ScimState, idx: usize, attrs: Map<String, Value>, base: &str) -> ScimResult {
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
    Ok(resource(
        StatusCode::OK,
        st.user_json(&user, base),
        user.version,
    ))
}

pub(super) async fn replace_user(State(s): S, h: HeaderMap, Id(id): Id, body: Bytes) -> ScimResult {
    let attrs = resource_attrs(&body)?;
    let mut st = s.state.lock();
    let idx = user_to_change(&st, &id, &h)?;
    store_user(&mut st, idx, attrs, &base_url(&h))
}

pub(super) async fn patch_user(State(s): S, h: HeaderMap, Id(id): Id, body: Bytes) -> ScimResult {
    let ops = parse_ops(&body)?;
    let mut st = s.state.lock();
    let idx = user_to_change(&st, &id, &h)?;
    let mut attrs = st.user(&id)?.attrs.clone();
    patch_user_attrs(&mut attrs, ops)?;
    store_user(&mut st, idx, attrs, &base_url(&h))
}

pub(super) async fn delete_user(State(s): S, h: HeaderMap, Id(id): Id) -> ScimResult {
    let mut st = s.state.lock();
    let idx = user_to_change(&st, &id, &h)?;
    st.users.remove(idx);
    for g in st.groups.iter_mut() {
        g.members.retain(|m| m != &id);
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub(super) async fn list_groups(State(s): S, query: RawQuery, h: HeaderMap) -> ScimResult {
    let st = s.state.lock();
    let render = |g: &ScimGroup, base: &str| st.group_json(g, base);
    list(query.0.as_deref(), &h, &st.groups, group_matches, render)
}

pub(super) async fn get_group(State(s): S, h: HeaderMap, Id(id): Id) -> ScimResult {
    let st = s.state.lock();
    let g = st.group(&id)?;
    let json = st.group_json(g, &base_url(&h));
    Ok(resource(StatusCode::OK, json, g.version))
}

pub(super) async fn patch_group(State(s): S, h: HeaderMap, Id(id): Id, body: Bytes) -> ScimResult {
    let ops = parse_ops(&body)?;
    let mut st = s.state.lock();
    let idx = st.group_index(&id)?;
    let mut group = st.group(&id)?.clone();
    check_if_match(&h, group.version)?;
    patch_group_members(&st, &mut group, ops)?;
    group.version += 1;
    group.last_modified = now_millis();
    let out = resource(
        StatusCode::OK,
        st.group_json(&group, &base_url(&h)),
        group.version,
    );
    if let Some(slot) = st.groups.get_mut(idx) {
        *slot = group;
    }
    Ok(out)
}

pub(super) async fn service_provider_config(h: HeaderMap) -> ScimResult {
    let base = base_url(&h);
    Ok(scim_json(
        StatusCode::OK,
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
            "documentationUri": "https://help.webflow.com/hc/en-us/articles/scim",
            "patch": { "supported": true },
            "bulk": { "supported": false, "maxOperations": 0, "maxPayloadSize": 0 },
            "filter": { "supported": true, "maxResults": PAGE_CAP },
            "changePassword": { "supported": false },
            "sort": { "supported": false },
            "etag": { "supported": true },
            "authenticationSchemes": [{
                "type": "oauthbearertoken",
                "name": "OAuth Bearer Token",
                "description": "Authentication with the workspace SCIM token",
                "primary": true
            }],
            "meta": {
                "resourceType": "ServiceProviderConfig",
                "location": format!("{base}/ServiceProviderConfig"),
            }
        }),
    ))
}
