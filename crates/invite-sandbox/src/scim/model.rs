//! The SCIM surface's state (users, groups), their JSON rendering with `meta` and `ETag`,
//! and the RFC 7644 error body. See docs/vendors/scim.md.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::filter::{Filter, group_matches, user_matches};
use super::{Member, ScimGroup, ScimState, ScimUser};
use crate::clock::now_millis;
use crate::ids::object_id;
use crate::seed::id_or;

/// Core User schema URN.
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// Core Group schema URN.
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// ListResponse message URN.
pub const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
/// PatchOp message URN.
pub const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/// Error message URN.
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
/// The SCIM media type.
pub const SCIM_JSON: &str = "application/scim+json";

pub(super) const PAGE_CAP: usize = 100;

/// Renders a SCIM JSON body with the SCIM media type.
pub(crate) fn scim_json(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON))],
        axum::Json(body),
    )
        .into_response()
}

/// An RFC 7644 error before rendering: status, `scimType` where the RFC defines one, `detail`.
#[derive(Debug)]
pub(crate) struct ScimError {
    status: StatusCode,
    scim_type: Option<&'static str>,
    detail: String,
}

/// What a SCIM handler answers.
pub(crate) type ScimResult = Result<Response, ScimError>;

impl ScimError {
    pub(crate) fn new(
        status: StatusCode,
        scim_type: Option<&'static str>,
        detail: impl Into<String>,
    ) -> Self {
        ScimError {
            status,
            scim_type,
            detail: detail.into(),
        }
    }
}

impl IntoResponse for ScimError {
    fn into_response(self) -> Response {
        let mut body = json!({
            "schemas": [ERROR_SCHEMA],
            "status": self.status.as_u16().to_string(),
            "detail": self.detail,
        });
        if let (Some(t), Some(o)) = (self.scim_type, body.as_object_mut()) {
            o.insert("scimType".into(), Value::String(t.to_owned()));
        }
        scim_json(self.status, body)
    }
}

/// 400 with this `scimType`.
pub(crate) fn bad(scim_type: &'static str, detail: impl Into<String>) -> ScimError {
    ScimError::new(StatusCode::BAD_REQUEST, Some(scim_type), detail)
}

/// A request body as JSON, or 400 `invalidSyntax`.
pub(crate) fn json_body(body: &[u8]) -> Result<Value, ScimError> {
    serde_json::from_slice(body).map_err(|e| {
        bad(
            "invalidSyntax",
            format!("Request body is not valid JSON: {e}"),
        )
    })
}

/// 404 "{what} {id} not found".
pub(crate) fn not_found(what: &str, id: &str) -> ScimError {
    ScimError::new(
        StatusCode::NOT_FOUND,
        None,
        format!("{what} {id} not found"),
    )
}

/// 400 for a schema extension this surface does not serve (the enterprise User extension
/// among them; see docs/vendors/scim.md, Request bodies): `scimType` as given.
pub(crate) fn unsupported_extension(scim_type: &'static str, urn: &str) -> ScimError {
    bad(
        scim_type,
        format!("The schema extension {urn} is not supported; Webflow syncs name and email only"),
    )
}

/// 409 `uniqueness` for a taken `userName`.
pub(crate) fn name_taken(name: &str) -> ScimError {
    ScimError::new(
        StatusCode::CONFLICT,
        Some("uniqueness"),
        format!("User with userName {name} already exists"),
    )
}

/// The `attributes` / `excludedAttributes` of a read (RFC 7644 §3.4.2.5, §3.9): attribute
/// paths (`userName`, `name.givenName`, fully qualified with the resource's schema URN),
/// compared case-insensitively. `id` and `schemas` are always returned.
#[derive(Debug, Default)]
pub(crate) struct Projection {
    include: Vec<String>,
    exclude: Vec<String>,
}

impl Projection {
    /// The projection a query string (`attributes=a,b`, `excludedAttributes=c`) asks for.
    pub(crate) fn from_query(query: Option<&str>) -> Projection {
        Projection::from_pairs(&crate::request::query_pairs(query))
    }

    /// The projection of decoded query pairs.
    pub(crate) fn from_pairs(pairs: &[(String, String)]) -> Projection {
        let mut p = Projection::default();
        for (k, v) in pairs {
            match k.as_str() {
                "attributes" => p.include.extend(split_paths(v)),
                "excludedAttributes" => p.exclude.extend(split_paths(v)),
                _ => {}
            }
        }
        p
    }

    /// `resource` (of schema `urn`) reduced to what the projection asks for.
    pub(crate) fn apply(&self, resource: Value, urn: &str) -> Value {
        let Value::Object(mut o) = resource else {
            return resource;
        };
        let local = |path: &String| -> (String, Option<String>) {
            let prefix = format!("{}:", urn.to_ascii_lowercase());
            let p = path.strip_prefix(&prefix).unwrap_or(path);
            match p.split_once('.') {
                Some((a, sub)) => (a.to_owned(), Some(sub.to_owned())),
                None => (p.to_owned(), None),
            }
        };
        if !self.include.is_empty() {
            let wanted: Vec<(String, Option<String>)> = self.include.iter().map(local).collect();
            o = o
                .into_iter()
                .filter_map(|(k, v)| {
                    let key = k.to_ascii_lowercase();
                    if key == "id" || key == "schemas" {
                        return Some((k, v));
                    }
                    let subs: Vec<&Option<String>> = wanted
                        .iter()
                        .filter(|(a, _)| *a == key)
                        .map(|(_, s)| s)
                        .collect();
                    if subs.is_empty() {
                        None
                    } else if subs.iter().any(|s| s.is_none()) {
                        Some((k, v))
                    } else {
                        let keep: Vec<&str> = subs.iter().filter_map(|s| s.as_deref()).collect();
                        Some((k, keep_subs(v, &keep)))
                    }
                })
                .collect();
        }
        for (attr, sub) in self.exclude.iter().map(local) {
            if attr == "id" || attr == "schemas" {
                continue;
            }
            let Some(key) = o.keys().find(|k| k.eq_ignore_ascii_case(&attr)).cloned() else {
                continue;
            };
            match sub {
                None => {
                    o.remove(&key);
                }
                Some(sub) => {
                    if let Some(v) = o.get_mut(&key) {
                        drop_sub(v, &sub);
                    }
                }
            }
        }
        Value::Object(o)
    }
}

fn split_paths(v: &str) -> impl Iterator<Item = String> + '_ {
    v.split(',')
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
}

/// A complex value (or each element of a multi-valued one) with only the `keep` sub-attributes.
fn keep_subs(v: Value, keep: &[&str]) -> Value {
    let only = |o: Map<String, Value>| -> Map<String, Value> {
        o.into_iter()
            .filter(|(k, _)| keep.iter().any(|s| s.eq_ignore_ascii_case(k)))
            .collect()
    };
    match v {
        Value::Object(o) => Value::Object(only(o)),
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|i| match i {
                    Value::Object(o) => Value::Object(only(o)),
                    other => other,
                })
                .collect(),
        ),
        other => other,
    }
}

/// Removes sub-attribute `sub` from a complex value or from each element of a multi-valued one.
fn drop_sub(v: &mut Value, sub: &str) {
    let drop = |o: &mut Map<String, Value>| o.retain(|k, _| !k.eq_ignore_ascii_case(sub));
    match v {
        Value::Object(o) => drop(o),
        Value::Array(items) => items.iter_mut().for_each(|i| {
            if let Value::Object(o) = i {
                drop(o);
            }
        }),
        _ => {}
    }
}

fn etag(version: u64) -> String {
    format!("W/\"{version}\"")
}

/// A 200 (or `status`) SCIM answer with the resource's `ETag`.
pub(super) fn resource(status: StatusCode, body: Value, version: u64) -> Response {
    let mut r = scim_json(status, body);
    if let Ok(v) = HeaderValue::from_str(&etag(version)) {
        r.headers_mut().insert(header::ETAG, v);
    }
    r
}

/// `Err(412)` when an `If-Match` header names no current version.
pub(super) fn check_if_match(headers: &HeaderMap, version: u64) -> Result<(), ScimError> {
    let Some(v) = headers.get(header::IF_MATCH) else {
        return Ok(());
    };
    let current = version.to_string();
    let ok = v.to_str().is_ok_and(|s| {
        s.split(',').any(|t| {
            let t = t.trim();
            let t = t.strip_prefix("W/").unwrap_or(t).trim_matches('"');
            t == "*" || t == current
        })
    });
    if ok {
        Ok(())
    } else {
        Err(ScimError::new(
            StatusCode::PRECONDITION_FAILED,
            None,
            "Failed to update. Resource changed on the server.",
        ))
    }
}

pub(super) fn base_url(headers: &HeaderMap) -> String {
    match headers.get(header::HOST).and_then(|h| h.to_str().ok()) {
        Some(host) => format!("http://{host}/scim/v2"),
        None => "/scim/v2".to_owned(),
    }
}

impl ScimUser {
    pub(super) fn user_name(&self) -> &str {
        self.attrs
            .get("userName")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// The email used for invitation counts: primary email, first email, else userName.
    pub(super) fn email(&self) -> String {
        let emails = self.attrs.get("emails").and_then(Value::as_array);
        let pick = emails.and_then(|e| {
            e.iter()
                .find(|x| x.get("primary").and_then(Value::as_bool) == Some(true))
                .or_else(|| e.first())
                .and_then(|x| x.get("value"))
                .and_then(Value::as_str)
        });
        pick.unwrap_or_else(|| self.user_name()).to_owned()
    }

    /// A stored user needs a `userName` no other user has.
    fn check_name(&self, st: &ScimState) -> Result<(), ScimError> {
        let name = self.user_name();
        if name.is_empty() {
            return Err(bad("invalidValue", "userName is required"));
        }
        if st.user_name_taken(name, Some(&self.id)) {
            return Err(name_taken(name));
        }
        Ok(())
    }

    pub(super) fn emails(&self) -> Vec<&str> {
        self.attrs
            .get("emails")
            .and_then(Value::as_array)
            .map(|e| {
                e.iter()
                    .filter_map(|x| x.get("value").and_then(Value::as_str))
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl ScimState {
    /// The state the `scim` seed section describes (default: the groups `Designers` and
    /// `Editors`, no users).
    pub(super) fn seeded(seed: Option<&Value>) -> Result<ScimState, String> {
        let mut st = ScimState::default();
        let seed = match seed {
            Some(Value::Object(o)) => Some(o),
            Some(_) => return Err("must be an object".into()),
            None => None,
        };
        if let Some(users) = seed.and_then(|s| s.get("users")) {
            for u in users.as_array().ok_or("`users` must be an array")? {
                let attrs = super::patch::attrs_from_resource(u)
                    .map_err(|_| format!("invalid seeded SCIM user {u}"))?;
                let name = attrs
                    .get("userName")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                if st.user_name_taken(name, None) {
                    return Err(format!("duplicate seeded userName {name}"));
                }
                let now = now_millis();
                st.users.push(ScimUser {
                    id: id_or(u, object_id),
                    attrs,
                    created: now.clone(),
                    last_modified: now,
                    version: 1,
                });
            }
        }
        match seed.and_then(|s| s.get("groups")) {
            Some(groups) => {
                for g in groups.as_array().ok_or("`groups` must be an array")? {
                    let name = g
                        .get("displayName")
                        .and_then(Value::as_str)
                        .ok_or("a group needs a `displayName`")?;
                    let mut group = seed_group(name);
                    if let Some(id) = g.get("id").and_then(Value::as_str) {
                        group.id = id.to_owned();
                    }
                    for m in g
                        .get("members")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        let key = m
                            .as_str()
                            .or_else(|| m.get("value").and_then(Value::as_str))
                            .ok_or("group members are user ids or userNames")?;
                        let user = st
                            .users
                            .iter()
                            .find(|u| u.id == key || u.user_name().eq_ignore_ascii_case(key))
                            .ok_or_else(|| format!("unknown group member {key}"))?;
                        group.members.push(Member {
                            value: user.id.clone(),
                            display: None,
                        });
                    }
                    st.groups.push(group);
                }
            }
            None => {
                st.groups.push(seed_group("Designers"));
                st.groups.push(seed_group("Editors"));
            }
        }
        Ok(st)
    }

    pub(super) fn user_json(&self, u: &ScimUser, base: &str) -> Value {
        let mut o = Map::new();
        o.insert("schemas".into(), json!([USER_SCHEMA]));
        o.insert("id".into(), Value::String(u.id.clone()));
        for (k, v) in &u.attrs {
            if k != "password" {
                o.insert(k.clone(), v.clone());
            }
        }
        let groups: Vec<Value> = self
            .groups
            .iter()
            .filter(|g| g.members.iter().any(|m| m.value == u.id))
            .map(|g| {
                json!({
                    "value": g.id, "display": g.display_name,
                    "$ref": format!("{base}/Groups/{}", g.id), "type": "direct"
                })
            })
            .collect();
        if !groups.is_empty() {
            o.insert("groups".into(), Value::Array(groups));
        }
        o.insert(
            "meta".into(),
            json!({
                "resourceType": "User",
                "created": u.created,
                "lastModified": u.last_modified,
                "location": format!("{base}/Users/{}", u.id),
                "version": etag(u.version),
            }),
        );
        Value::Object(o)
    }

    pub(super) fn group_json(&self, g: &ScimGroup, base: &str) -> Value {
        let members: Vec<Value> = g
            .members
            .iter()
            .map(|m| {
                let id = &m.value;
                let display = m.display.clone().or_else(|| {
                    self.users
                        .iter()
                        .find(|u| &u.id == id)
                        .map(|u| u.user_name().to_owned())
                });
                json!({
                    "value": id, "display": display,
                    "$ref": format!("{base}/Users/{id}"), "type": "User"
                })
            })
            .collect();
        let mut v = json!({
            "schemas": [GROUP_SCHEMA],
            "id": g.id,
            "displayName": g.display_name,
            "members": members,
            "meta": {
                "resourceType": "Group",
                "created": g.created,
                "lastModified": g.last_modified,
                "location": format!("{base}/Groups/{}", g.id),
                "version": etag(g.version),
            }
        });
        if let (Some(e), Some(o)) = (&g.external_id, v.as_object_mut()) {
            o.insert("externalId".into(), Value::String(e.clone()));
        }
        v
    }

    /// Resource `id` of type `R`, or 404.
    pub(super) fn find<R: Resource>(&self, id: &str) -> Result<&R, ScimError> {
        R::all(self)
            .iter()
            .find(|r| r.id() == id)
            .ok_or_else(|| not_found(R::KIND, id))
    }

    /// Where resource `id` of type `R` is, or 404.
    pub(super) fn position<R: Resource>(&self, id: &str) -> Result<usize, ScimError> {
        R::all(self)
            .iter()
            .position(|r| r.id() == id)
            .ok_or_else(|| not_found(R::KIND, id))
    }

    pub(super) fn user_name_taken(&self, name: &str, except: Option<&str>) -> bool {
        self.users
            .iter()
            .any(|u| Some(u.id.as_str()) != except && u.user_name().eq_ignore_ascii_case(name))
    }
}

/// What the list, search and read routes need of a resource type (User, Group).
pub(super) trait Resource: Sized {
    /// `meta.resourceType`, and the noun of a 404.
    const KIND: &'static str;
    /// The core schema URN.
    const SCHEMA: &'static str;
    /// Every resource of this type, in creation order.
    fn all(st: &ScimState) -> &[Self];
    fn all_mut(st: &mut ScimState) -> &mut Vec<Self>;
    fn id(&self) -> &str;
    fn version(&self) -> u64;
    /// The resource's JSON, locations under `base`.
    fn render(&self, st: &ScimState, base: &str) -> Value;
    /// Whether `f` matches; `Err` for a filter on an attribute this type does not have.
    fn matches(&self, f: &Filter) -> Result<bool, ScimError>;
    /// Whether a changed copy may be stored (PUT, PATCH).
    fn check(&self, _st: &ScimState) -> Result<(), ScimError> {
        Ok(())
    }
    /// A new version, modified now.
    fn touch(&mut self);
}

/// `impl Resource` for a resource type: its `KIND`, `SCHEMA`, the state's list of it, its
/// `ScimState` renderer, its filter matcher and (if any) its own check before storing.
macro_rules! resource {
    ($ty:ty, $kind:literal, $schema:expr, $list:ident, $render:ident, $matches:path
     $(, check: $check:ident)?) => {
        impl Resource for $ty {
            const KIND: &'static str = $kind;
            const SCHEMA: &'static str = $schema;
            fn all(st: &ScimState) -> &[Self] {
                &st.$list
            }
            fn all_mut(st: &mut ScimState) -> &mut Vec<Self> {
                &mut st.$list
            }
            fn id(&self) -> &str {
                &self.id
            }
            fn version(&self) -> u64 {
                self.version
            }
            fn render(&self, st: &ScimState, base: &str) -> Value {
                st.$render(self, base)
            }
            fn matches(&self, f: &Filter) -> Result<bool, ScimError> {
                $matches(self, f)
            }
            $(fn check(&self, st: &ScimState) -> Result<(), ScimError> {
                self.$check(st)
            })?
            fn touch(&mut self) {
                self.version += 1;
                self.last_modified = now_millis();
            }
        }
    };
}

resource!(ScimUser, "User", USER_SCHEMA, users, user_json, user_matches, check: check_name);
resource!(
    ScimGroup,
    "Group",
    GROUP_SCHEMA,
    groups,
    group_json,
    group_matches
);

/// A new group named `name`, version 1, no members.
pub(super) fn seed_group(name: &str) -> ScimGroup {
    let now = now_millis();
    ScimGroup {
        id: object_id(),
        display_name: name.to_owned(),
        external_id: None,
        members: Vec::new(),
        created: now.clone(),
        last_modified: now,
        version: 1,
    }
}
