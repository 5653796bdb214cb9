//! The SCIM routes under `/scim/v2`. See docs/vendors/scim.md.

use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, RawQuery, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::filter::{Filter, ListParams, list_params, search_params};
use super::model::{
    LIST_SCHEMA, Projection, Resource, ScimError, ScimResult, bad, base_url, check_if_match,
    json_body, name_taken, resource, scim_json, seed_group,
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

/// What a route on one resource (`…/Users/{id}`, `…/Groups/{id}`) reads before the body: the
/// [`Id`], the headers (`Host` for locations, `If-Match`) and the query's `attributes` /
/// `excludedAttributes`.
pub(super) struct Target {
    id: String,
    headers: HeaderMap,
    projection: Projection,
}

impl<T: Send + Sync> FromRequestParts<T> for Target {
    type Rejection = ScimError;

    async fn from_request_parts(parts: &mut Parts, state: &T) -> Result<Self, ScimError> {
        let Id(id) = Id::from_request_parts(parts, state).await?;
        Ok(Target {
            id,
            headers: parts.headers.clone(),
            projection: Projection::from_query(parts.uri.query()),
        })
    }
}

impl Target {
    /// `r`'s JSON, projected.
    fn render<R: Resource>(&self, st: &ScimState, r: &R) -> Value {
        projected(st, r, &self.projection, &base_url(&self.headers))
    }

    /// The index and a copy of the resource whose version `If-Match` allows changing.
    fn to_change<R: Resource + Clone>(&self, st: &ScimState) -> Result<(usize, R), ScimError> {
        let r = st.find::<R>(&self.id)?.clone();
        check_if_match(&self.headers, r.version())?;
        Ok((st.position::<R>(&self.id)?, r))
    }
}

/// A full User resource body (POST, PUT) as attributes.
fn resource_attrs(body: &[u8]) -> Result<Map<String, Value>, ScimError> {
    attrs_from_resource(&json_body(body)?)
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

/// Resources `R` passing `p`'s filter, rendered and projected. A filter on an attribute `R`
/// does not have is an error, unless `lenient` (a search across resource types), where it
/// matches none.
fn matching<R: Resource>(
    st: &ScimState,
    p: &ListParams,
    base: &str,
    lenient: bool,
) -> Result<Vec<Value>, ScimError> {
    let mut out = Vec::new();
    for r in R::all(st) {
        if filter_passes(p.filter.as_ref(), |f| r.matches(f), lenient)? {
            out.push(p.projection.apply(r.render(st, base), R::SCHEMA));
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

/// The ListResponse of the resources `R` that `p` asks for.
fn list_of<R: Resource>(s: &Module, p: &ListParams, h: &HeaderMap) -> ScimResult {
    let st = s.state.lock();
    Ok(list_response(
        p,
        matching::<R>(&st, p, &base_url(h), false)?,
    ))
}

/// `GET /Users`, `GET /Groups`.
pub(super) async fn list<R: Resource>(State(s): S, query: RawQuery, h: HeaderMap) -> ScimResult {
    list_of::<R>(&s, &list_params(query.0.as_deref())?, &h)
}

/// `POST /Users/.search`, `/Groups/.search` (RFC 7644 §3.4.3): a SearchRequest body with the
/// list query's `filter`, `startIndex`, `count`, `attributes`, `excludedAttributes`.
pub(super) async fn search<R: Resource>(State(s): S, h: HeaderMap, body: Bytes) -> ScimResult {
    list_of::<R>(&s, &search_params(&body)?, &h)
}

/// `POST /.search`: users and groups; a filter on an attribute one type lacks matches none of it.
pub(super) async fn search_all(State(s): S, h: HeaderMap, body: Bytes) -> ScimResult {
    let p = search_params(&body)?;
    let st = s.state.lock();
    let base = base_url(&h);
    let mut all = matching::<ScimUser>(&st, &p, &base, true)?;
    all.extend(matching::<ScimGroup>(&st, &p, &base, true)?);
    Ok(list_response(&p, all))
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
            projected(&st, &user, &Projection::from_query(q.0.as_deref()), &base),
            user.email(),
            user.version,
            user.id.clone(),
        );
        st.users.push(user);
        out
    };
    s.shared.record_invitation(Surface::WebflowScim, &email);
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

/// `r`'s JSON under `base`, reduced to what `projection` asks for.
fn projected<R: Resource>(st: &ScimState, r: &R, projection: &Projection, base: &str) -> Value {
    projection.apply(r.render(st, base), R::SCHEMA)
}

/// `GET /Users/{id}`, `GET /Groups/{id}`.
pub(super) async fn read<R: Resource>(State(s): S, t: Target) -> ScimResult {
    let st = s.state.lock();
    let r = st.find::<R>(&t.id)?;
    Ok(resource(StatusCode::OK, t.render(&st, r), r.version()))
}

/// PUT and PATCH: `change` edits a copy of the target (whose version `If-Match` allows
/// changing); the copy is checked, stored with a new version and answered 200 with its
/// (projected) JSON.
fn update<R: Resource + Clone>(
    s: &Module,
    t: &Target,
    change: impl FnOnce(&ScimState, &mut R) -> Result<(), ScimError>,
) -> ScimResult {
    let mut st = s.state.lock();
    let (idx, mut r) = t.to_change::<R>(&st)?;
    change(&st, &mut r)?;
    r.check(&st)?;
    r.touch();
    let out = resource(StatusCode::OK, t.render(&st, &r), r.version());
    if let Some(slot) = R::all_mut(&mut st).get_mut(idx) {
        *slot = r;
    }
    Ok(out)
}

pub(super) async fn replace_user(State(s): S, t: Target, body: Bytes) -> ScimResult {
    let attrs = resource_attrs(&body)?;
    update(&s, &t, |_, u: &mut ScimUser| {
        u.attrs = attrs;
        Ok(())
    })
}

pub(super) async fn patch_user(State(s): S, t: Target, body: Bytes) -> ScimResult {
    let ops = parse_ops(&body)?;
    update(&s, &t, |_, u: &mut ScimUser| {
        patch_user_attrs(&mut u.attrs, ops)
    })
}

pub(super) async fn delete_user(State(s): S, t: Target) -> ScimResult {
    let mut st = s.state.lock();
    let (idx, _) = t.to_change::<ScimUser>(&st)?;
    st.users.remove(idx);
    for g in st.groups.iter_mut() {
        g.members.retain(|m| m.value != t.id);
    }
    Ok(StatusCode::NO_CONTENT.into_response())
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
    let json = projected(&st, &group, &Projection::from_query(q.0.as_deref()), &base);
    let out = created(json, group.version, &format!("{base}/Groups/{}", group.id));
    st.groups.push(group);
    Ok(out)
}

pub(super) async fn replace_group(State(s): S, t: Target, body: Bytes) -> ScimResult {
    update(&s, &t, |st, g: &mut ScimGroup| {
        group_from_body(st, g, &body)
    })
}

pub(super) async fn patch_group(State(s): S, t: Target, body: Bytes) -> ScimResult {
    let ops = parse_ops(&body)?;
    update(&s, &t, |st, g: &mut ScimGroup| {
        patch_group_members(st, g, ops)
    })
}

pub(super) async fn delete_group(State(s): S, t: Target) -> ScimResult {
    let mut st = s.state.lock();
    let (idx, _) = t.to_change::<ScimGroup>(&st)?;
    st.groups.remove(idx);
    Ok(StatusCode::NO_CONTENT.into_response())
}
