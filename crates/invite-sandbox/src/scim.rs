//! Webflow SCIM 2.0 (RFC 7643/7644) for workspace collaborators, under `/scim/v2`.
//!
//! Routes: `GET`/`POST /Users`, `GET`/`PUT`/`PATCH`/`DELETE /Users/{id}`, `GET /Groups`,
//! `GET`/`PATCH /Groups/{id}`, `GET /ServiceProviderConfig`. Every answer is
//! `application/scim+json`; errors carry the RFC 7644 error URN, `status` as a string,
//! `scimType` where the RFC defines one, and `detail`. Single resources carry an `ETag`
//! (`W/"n"`, also `meta.version`); `If-Match` with another version answers 412.
//!
//! Lists support `filter` (`attr eq "value"` on `userName`, `emails.value`, `emails`,
//! `externalId`, `id`, `displayName`, `active`; `userName` and emails compare
//! case-insensitively), 1-based `startIndex` and `count` (capped at 100); users come in
//! creation order. A SCIM `POST /Users` sends no email but is counted in the invitation
//! counts under the `scim` surface (keyed by the user's email, else its `userName`).

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Map, Value, json};

use crate::common::{
    AdminError, Problem, Shared, Surface, SurfaceModule, bearer_token, lock, new_object_id,
    now_rfc3339, query_pairs,
};

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

const PAGE_CAP: usize = 100;

/// Writable core User attributes (canonical spelling; matched case-insensitively).
const USER_ATTRS: &[&str] = &[
    "userName",
    "name",
    "displayName",
    "nickName",
    "profileUrl",
    "title",
    "userType",
    "preferredLanguage",
    "locale",
    "timezone",
    "active",
    "password",
    "emails",
    "phoneNumbers",
    "ims",
    "photos",
    "addresses",
    "entitlements",
    "roles",
    "x509Certificates",
    "externalId",
];

/// Renders a SCIM JSON body with the SCIM media type.
pub fn scim_json(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON))],
        axum::Json(body),
    )
        .into_response()
}

/// An RFC 7644 error response.
pub fn scim_error(status: StatusCode, scim_type: Option<&str>, detail: &str) -> Response {
    let mut body = json!({
        "schemas": [ERROR_SCHEMA],
        "status": status.as_u16().to_string(),
        "detail": detail,
    });
    if let (Some(t), Some(o)) = (scim_type, body.as_object_mut()) {
        o.insert("scimType".into(), Value::String(t.to_owned()));
    }
    scim_json(status, body)
}

fn bad(scim_type: &str, detail: &str) -> Response {
    scim_error(StatusCode::BAD_REQUEST, Some(scim_type), detail)
}

fn not_found(what: &str, id: &str) -> Response {
    scim_error(
        StatusCode::NOT_FOUND,
        None,
        &format!("{what} {id} not found"),
    )
}

fn etag(version: u64) -> String {
    format!("W/\"{version}\"")
}

fn with_etag(mut r: Response, version: u64) -> Response {
    if let Ok(v) = HeaderValue::from_str(&etag(version)) {
        r.headers_mut().insert(header::ETAG, v);
    }
    r
}

/// `Err(412)` when an `If-Match` header names no current version.
fn check_if_match(headers: &HeaderMap, version: u64) -> Result<(), Response> {
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
        Err(scim_error(
            StatusCode::PRECONDITION_FAILED,
            None,
            "Failed to update. Resource changed on the server.",
        ))
    }
}

fn base_url(headers: &HeaderMap) -> String {
    match headers.get(header::HOST).and_then(|h| h.to_str().ok()) {
        Some(host) => format!("http://{host}/scim/v2"),
        None => "/scim/v2".to_owned(),
    }
}

#[derive(Clone, Debug)]
struct ScimUser {
    id: String,
    attrs: Map<String, Value>,
    created: String,
    last_modified: String,
    version: u64,
}

impl ScimUser {
    fn user_name(&self) -> &str {
        self.attrs
            .get("userName")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// The email used for invitation counts: primary email, first email, else userName.
    fn email(&self) -> String {
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

    fn emails(&self) -> Vec<&str> {
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

#[derive(Clone, Debug)]
struct ScimGroup {
    id: String,
    display_name: String,
    external_id: Option<String>,
    members: Vec<String>,
    created: String,
    last_modified: String,
    version: u64,
}

#[derive(Default)]
struct ScimState {
    users: Vec<ScimUser>,
    groups: Vec<ScimGroup>,
}

impl ScimState {
    fn user_json(&self, u: &ScimUser, base: &str) -> Value {
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
            .filter(|g| g.members.contains(&u.id))
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

    fn group_json(&self, g: &ScimGroup, base: &str) -> Value {
        let members: Vec<Value> = g
            .members
            .iter()
            .map(|id| {
                let display = self
                    .users
                    .iter()
                    .find(|u| &u.id == id)
                    .map(|u| u.user_name().to_owned());
                json!({ "value": id, "display": display, "$ref": format!("{base}/Users/{id}") })
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

    fn user_name_taken(&self, name: &str, except: Option<&str>) -> bool {
        self.users
            .iter()
            .any(|u| Some(u.id.as_str()) != except && u.user_name().eq_ignore_ascii_case(name))
    }
}

/// The Webflow SCIM 2.0 surface.
pub struct Scim {
    shared: Shared,
    state: Mutex<ScimState>,
}

type Module = Arc<Scim>;

impl Scim {
    /// A new, empty surface (the registry seeds it with [`SurfaceModule::reset`]).
    pub fn new(shared: Shared) -> Arc<Self> {
        Arc::new(Scim {
            shared,
            state: Mutex::new(ScimState::default()),
        })
    }
}

/// Canonical spelling of a top-level attribute name, or `None` if unknown.
fn canonical_attr(name: &str) -> Option<String> {
    if name.starts_with("urn:") {
        return Some(name.to_owned());
    }
    USER_ATTRS
        .iter()
        .find(|a| a.eq_ignore_ascii_case(name))
        .map(|a| (*a).to_owned())
}

fn coerce_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// Normalises an attribute value (`active` as bool, `userName` non-empty string).
fn normalise(attr: &str, v: Value) -> Result<Value, Response> {
    match attr {
        "active" => coerce_bool(&v)
            .map(Value::Bool)
            .ok_or_else(|| bad("invalidValue", "active must be a boolean")),
        "userName" => match v.as_str().map(str::trim) {
            Some(s) if !s.is_empty() => Ok(Value::String(s.to_owned())),
            _ => Err(bad("invalidValue", "userName must be a non-empty string")),
        },
        _ => Ok(v),
    }
}

/// Builds a user's attributes from a full resource body (POST/PUT).
fn attrs_from_resource(body: &Value) -> Result<Map<String, Value>, Response> {
    let o = body
        .as_object()
        .ok_or_else(|| bad("invalidSyntax", "The request body must be a JSON object"))?;
    let mut attrs = Map::new();
    for (k, v) in o {
        if v.is_null() {
            continue;
        }
        if let Some(name) = canonical_attr(k) {
            attrs.insert(name.clone(), normalise(&name, v.clone())?);
        }
    }
    if !attrs.contains_key("userName") {
        return Err(bad("invalidValue", "userName is required"));
    }
    attrs.entry("active").or_insert(Value::Bool(true));
    Ok(attrs)
}

struct PathExpr {
    attr: String,
    filter: Option<(String, String)>,
    sub: Option<String>,
}

/// Parses `attr`, `attr.sub`, `attr[sub eq "v"]`, `attr[sub eq "v"].sub` and URN forms.
fn parse_path(path: &str) -> Result<PathExpr, Response> {
    let invalid = || {
        bad(
            "invalidPath",
            &format!("The path `{path}` is not supported"),
        )
    };
    let mut p = path.trim();
    if let Some(rest) = p.strip_prefix(USER_SCHEMA) {
        p = rest.strip_prefix(':').unwrap_or(rest);
    } else if p.starts_with("urn:") {
        let (urn, attr) = p.rsplit_once(':').ok_or_else(invalid)?;
        if attr.is_empty() {
            return Err(invalid());
        }
        return Ok(PathExpr {
            attr: urn.to_owned(),
            filter: None,
            sub: Some(attr.to_owned()),
        });
    }
    let (head, filter, tail) = match p.find('[') {
        Some(open) => {
            let close = p.rfind(']').ok_or_else(invalid)?;
            if close < open {
                return Err(invalid());
            }
            let f = parse_filter(&p[open + 1..close]).map_err(|_| invalid())?;
            if f.op != "eq" {
                return Err(invalid());
            }
            let v = f.value_str();
            (&p[..open], Some((f.attr, v)), &p[close + 1..])
        }
        None => match p.split_once('.') {
            Some((h, _)) => (h, None, &p[h.len()..]),
            None => (p, None, ""),
        },
    };
    let attr = match head {
        "id" | "meta" | "schemas" | "groups" => {
            return Err(bad(
                "mutability",
                &format!("The attribute `{head}` is read-only"),
            ));
        }
        h => canonical_attr(h).ok_or_else(invalid)?,
    };
    let sub = match tail.strip_prefix('.') {
        Some(s) if !s.is_empty() => Some(s.to_owned()),
        Some(_) => return Err(invalid()),
        None if tail.is_empty() => None,
        None => return Err(invalid()),
    };
    Ok(PathExpr { attr, filter, sub })
}

fn str_eq_ci(v: Option<&Value>, want: &str) -> bool {
    match v {
        Some(Value::String(s)) => s.eq_ignore_ascii_case(want),
        Some(Value::Bool(b)) => b.to_string() == want,
        _ => false,
    }
}

fn apply_set(
    attrs: &mut Map<String, Value>,
    path: &PathExpr,
    value: Value,
    add: bool,
) -> Result<(), Response> {
    match (&path.filter, &path.sub) {
        (None, None) => {
            let value = normalise(&path.attr, value)?;
            match (add, attrs.get_mut(&path.attr), value) {
                (true, Some(Value::Array(existing)), Value::Array(new)) => {
                    for item in new {
                        if !existing.contains(&item) {
                            existing.push(item);
                        }
                    }
                }
                (true, Some(Value::Object(existing)), Value::Object(new)) => {
                    existing.extend(new);
                }
                (_, _, value) => {
                    attrs.insert(path.attr.clone(), value);
                }
            }
        }
        (None, Some(sub)) => {
            let entry = attrs
                .entry(path.attr.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            match entry {
                Value::Object(o) => {
                    o.insert(sub.clone(), value);
                }
                Value::Array(items) => {
                    for item in items.iter_mut() {
                        if let Value::Object(o) = item {
                            o.insert(sub.clone(), value.clone());
                        }
                    }
                }
                other => {
                    *other = json!({ sub.as_str(): value });
                }
            }
        }
        (Some((fattr, fval)), sub) => {
            let entry = attrs
                .entry(path.attr.clone())
                .or_insert_with(|| Value::Array(Vec::new()));
            if !entry.is_array() {
                *entry = Value::Array(Vec::new());
            }
            let Value::Array(items) = entry else {
                return Err(bad("invalidPath", "The path target is not multi-valued"));
            };
            let mut hit = false;
            for item in items.iter_mut() {
                if str_eq_ci(item.get(fattr.as_str()), fval) {
                    hit = true;
                    match (sub, item) {
                        (Some(s), Value::Object(o)) => {
                            o.insert(s.clone(), value.clone());
                        }
                        (None, item) => *item = value.clone(),
                        (Some(_), _) => {}
                    }
                }
            }
            if !hit {
                let mut new = Map::new();
                new.insert(fattr.clone(), Value::String(fval.clone()));
                match (sub, value) {
                    (Some(s), v) => {
                        new.insert(s.clone(), v);
                    }
                    (None, Value::Object(o)) => new.extend(o),
                    (None, _) => {
                        return Err(bad("invalidValue", "The value must be an object"));
                    }
                }
                items.push(Value::Object(new));
            }
        }
    }
    Ok(())
}

fn apply_remove(
    attrs: &mut Map<String, Value>,
    path: &PathExpr,
    value: Option<&Value>,
) -> Result<(), Response> {
    if path.attr == "userName" && path.sub.is_none() {
        return Err(bad(
            "mutability",
            "userName is required and cannot be removed",
        ));
    }
    match (&path.filter, &path.sub) {
        (None, None) => match (attrs.get_mut(&path.attr), value) {
            (Some(Value::Array(items)), Some(Value::Array(drop))) => {
                items.retain(|i| !drop.contains(i));
            }
            _ => {
                attrs.remove(&path.attr);
            }
        },
        (None, Some(sub)) => match attrs.get_mut(&path.attr) {
            Some(Value::Object(o)) => {
                o.remove(sub);
            }
            Some(Value::Array(items)) => {
                for item in items.iter_mut() {
                    if let Value::Object(o) = item {
                        o.remove(sub);
                    }
                }
            }
            _ => {}
        },
        (Some((fattr, fval)), sub) => {
            if let Some(Value::Array(items)) = attrs.get_mut(&path.attr) {
                match sub {
                    None => items.retain(|i| !str_eq_ci(i.get(fattr.as_str()), fval)),
                    Some(s) => {
                        for item in items.iter_mut() {
                            if str_eq_ci(item.get(fattr.as_str()), fval)
                                && let Value::Object(o) = item
                            {
                                o.remove(s);
                            }
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

struct Op {
    op: String,
    path: Option<String>,
    value: Option<Value>,
}

fn parse_ops(body: &[u8]) -> Result<Vec<Op>, Response> {
    let v: Value = serde_json::from_slice(body).map_err(|e| {
        bad(
            "invalidSyntax",
            &format!("Request body is not valid JSON: {e}"),
        )
    })?;
    let ops = v
        .get("Operations")
        .or_else(|| v.get("operations"))
        .and_then(Value::as_array)
        .ok_or_else(|| bad("invalidSyntax", "A PatchOp needs an `Operations` array"))?;
    ops.iter()
        .map(|o| {
            let op = o
                .get("op")
                .and_then(Value::as_str)
                .map(str::to_ascii_lowercase)
                .ok_or_else(|| bad("invalidSyntax", "Each operation needs an `op`"))?;
            if !matches!(op.as_str(), "add" | "replace" | "remove") {
                return Err(bad("invalidSyntax", &format!("Unknown op `{op}`")));
            }
            let path = match o.get("path") {
                None | Some(Value::Null) => None,
                Some(Value::String(p)) if p.trim().is_empty() => None,
                Some(Value::String(p)) => Some(p.clone()),
                Some(_) => return Err(bad("invalidPath", "`path` must be a string")),
            };
            Ok(Op {
                op,
                path,
                value: o.get("value").cloned(),
            })
        })
        .collect()
}

fn patch_user_attrs(attrs: &mut Map<String, Value>, ops: Vec<Op>) -> Result<(), Response> {
    for op in ops {
        let add = op.op == "add";
        match (op.op.as_str(), op.path) {
            ("remove", None) => {
                return Err(bad("noTarget", "A remove operation needs a `path`"));
            }
            ("remove", Some(p)) => {
                let path = parse_path(&p)?;
                apply_remove(attrs, &path, op.value.as_ref())?;
            }
            (_, Some(p)) => {
                let path = parse_path(&p)?;
                let value = op
                    .value
                    .ok_or_else(|| bad("invalidValue", "The operation needs a `value`"))?;
                apply_set(attrs, &path, value, add)?;
            }
            (_, None) => {
                let Some(Value::Object(values)) = op.value else {
                    return Err(bad(
                        "invalidValue",
                        "Without a `path` the value must be an object",
                    ));
                };
                for (k, v) in values {
                    if k.starts_with("urn:") && k != USER_SCHEMA {
                        if let Value::Object(ext) = v {
                            let entry = attrs
                                .entry(k.clone())
                                .or_insert_with(|| Value::Object(Map::new()));
                            if let Value::Object(e) = entry {
                                e.extend(ext);
                            } else {
                                *entry = Value::Object(ext);
                            }
                        }
                        continue;
                    }
                    let path = parse_path(&k)?;
                    apply_set(attrs, &path, v, add)?;
                }
            }
        }
    }
    Ok(())
}

struct Filter {
    attr: String,
    op: String,
    value: Value,
}

impl Filter {
    fn value_str(&self) -> String {
        match &self.value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }
}

/// Parses `attr op "value"` (op `eq`, `ne`, `co`, `sw`, `ew`) or `attr pr`.
fn parse_filter(f: &str) -> Result<Filter, String> {
    let f = f.trim();
    let (attr, rest) = f.split_once(char::is_whitespace).unwrap_or((f, ""));
    let rest = rest.trim_start();
    let (op, value) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    let op = op.to_ascii_lowercase();
    let value = value.trim();
    if attr.is_empty() {
        return Err("empty filter".into());
    }
    if op == "pr" && value.is_empty() {
        return Ok(Filter {
            attr: attr.to_owned(),
            op,
            value: Value::Null,
        });
    }
    if !matches!(op.as_str(), "eq" | "ne" | "co" | "sw" | "ew") {
        return Err(format!("unsupported filter operator `{op}`"));
    }
    let value = if value.starts_with('"') {
        serde_json::from_str::<String>(value)
            .map(Value::String)
            .map_err(|_| "the filter value is not a valid quoted string".to_owned())?
    } else {
        match value {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            "null" => Value::Null,
            _ => return Err("the filter value must be quoted".into()),
        }
    };
    Ok(Filter {
        attr: attr.to_owned(),
        op,
        value,
    })
}

fn text_match(op: &str, have: &str, want: &str) -> bool {
    let have = have.to_lowercase();
    let want = want.to_lowercase();
    match op {
        "eq" => have == want,
        "ne" => have != want,
        "co" => have.contains(&want),
        "sw" => have.starts_with(&want),
        "ew" => have.ends_with(&want),
        _ => false,
    }
}

fn user_matches(u: &ScimUser, f: &Filter) -> Result<bool, Response> {
    let attr = f.attr.to_ascii_lowercase();
    let attr = attr
        .strip_prefix(&USER_SCHEMA.to_ascii_lowercase())
        .map_or(attr.as_str(), |a| a.trim_start_matches(':'));
    let want = f.value_str();
    let values: Vec<String> = match attr {
        "username" => vec![u.user_name().to_owned()],
        "emails" | "emails.value" => u.emails().into_iter().map(str::to_owned).collect(),
        "id" => vec![u.id.clone()],
        "externalid" | "displayname" => {
            let key = if attr == "externalid" {
                "externalId"
            } else {
                "displayName"
            };
            u.attrs
                .get(key)
                .and_then(Value::as_str)
                .map(|s| vec![s.to_owned()])
                .unwrap_or_default()
        }
        "active" => {
            let active = u
                .attrs
                .get("active")
                .and_then(Value::as_bool)
                .unwrap_or(true);
            return Ok(match (&f.op[..], &f.value) {
                ("eq", Value::Bool(b)) => active == *b,
                ("ne", Value::Bool(b)) => active != *b,
                ("pr", _) => true,
                _ => return Err(bad("invalidFilter", "active compares with true or false")),
            });
        }
        _ => {
            return Err(bad(
                "invalidFilter",
                &format!("Filtering on `{}` is not supported", f.attr),
            ));
        }
    };
    Ok(if f.op == "pr" {
        !values.is_empty()
    } else if f.op == "ne" {
        values.iter().all(|v| text_match("ne", v, &want))
    } else {
        values.iter().any(|v| text_match(&f.op, v, &want))
    })
}

struct ListParams {
    filter: Option<Filter>,
    start: usize,
    count: usize,
}

fn list_params(uri: &Uri) -> Result<ListParams, Response> {
    let mut p = ListParams {
        filter: None,
        start: 1,
        count: PAGE_CAP,
    };
    for (k, v) in query_pairs(uri) {
        match k.as_str() {
            "filter" => {
                p.filter = Some(parse_filter(&v).map_err(|e| bad("invalidFilter", &e))?);
            }
            "startIndex" => {
                let n: i64 = v
                    .parse()
                    .map_err(|_| bad("invalidValue", "startIndex must be an integer"))?;
                p.start = usize::try_from(n.max(1)).unwrap_or(1);
            }
            "count" => {
                let n: i64 = v
                    .parse()
                    .map_err(|_| bad("invalidValue", "count must be an integer"))?;
                p.count = usize::try_from(n.max(0)).unwrap_or(0).min(PAGE_CAP);
            }
            _ => {}
        }
    }
    Ok(p)
}

fn list_response(total: usize, start: usize, items: Vec<Value>) -> Response {
    scim_json(
        StatusCode::OK,
        json!({
            "schemas": [LIST_SCHEMA],
            "totalResults": total,
            "itemsPerPage": items.len(),
            "startIndex": start,
            "Resources": items,
        }),
    )
}

fn id_of(p: Result<Path<String>, PathRejection>) -> Result<String, Response> {
    p.map(|Path(s)| s)
        .map_err(|_| bad("invalidValue", "The resource id is invalid"))
}

async fn list_users(State(m): State<Module>, uri: Uri, headers: HeaderMap) -> Response {
    let p = match list_params(&uri) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let base = base_url(&headers);
    let st = lock(&m.state);
    let mut matched = Vec::new();
    for u in &st.users {
        let keep = match &p.filter {
            Some(f) => match user_matches(u, f) {
                Ok(k) => k,
                Err(r) => return r,
            },
            None => true,
        };
        if keep {
            matched.push(u);
        }
    }
    let items = matched
        .iter()
        .skip(p.start - 1)
        .take(p.count)
        .map(|u| st.user_json(u, &base))
        .collect();
    list_response(matched.len(), p.start, items)
}

async fn create_user(State(m): State<Module>, headers: HeaderMap, body: Bytes) -> Response {
    let body: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return bad(
                "invalidSyntax",
                &format!("Request body is not valid JSON: {e}"),
            );
        }
    };
    let attrs = match attrs_from_resource(&body) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let base = base_url(&headers);
    let (json, email, version, id) = {
        let mut st = lock(&m.state);
        let name = attrs
            .get("userName")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if st.user_name_taken(name, None) {
            return scim_error(
                StatusCode::CONFLICT,
                Some("uniqueness"),
                &format!("User with userName {name} already exists"),
            );
        }
        let now = now_rfc3339();
        let user = ScimUser {
            id: new_object_id(),
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
    m.shared.record_invitation(Surface::WebflowScim, &email);
    let mut r = with_etag(scim_json(StatusCode::CREATED, json), version);
    if let Ok(loc) = HeaderValue::from_str(&format!("{base}/Users/{id}")) {
        r.headers_mut().insert(header::LOCATION, loc);
    }
    r
}

async fn get_user(
    State(m): State<Module>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    let id = match id_of(id) {
        Ok(i) => i,
        Err(r) => return r,
    };
    let st = lock(&m.state);
    match st.users.iter().find(|u| u.id == id) {
        Some(u) => with_etag(
            scim_json(StatusCode::OK, st.user_json(u, &base_url(&headers))),
            u.version,
        ),
        None => not_found("User", &id),
    }
}

/// Shared tail of PUT and PATCH: uniqueness, version bump, 200 with the resource.
fn store_user(st: &mut ScimState, idx: usize, attrs: Map<String, Value>, base: &str) -> Response {
    let name = attrs
        .get("userName")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    if name.is_empty() {
        return bad("invalidValue", "userName is required");
    }
    let Some(id) = st.users.get(idx).map(|u| u.id.clone()) else {
        return not_found("User", "");
    };
    if st.user_name_taken(&name, Some(&id)) {
        return scim_error(
            StatusCode::CONFLICT,
            Some("uniqueness"),
            &format!("User with userName {name} already exists"),
        );
    }
    let Some(user) = st.users.get_mut(idx) else {
        return not_found("User", &id);
    };
    user.attrs = attrs;
    user.version += 1;
    user.last_modified = now_rfc3339();
    let user = user.clone();
    with_etag(
        scim_json(StatusCode::OK, st.user_json(&user, base)),
        user.version,
    )
}

async fn replace_user(
    State(m): State<Module>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
    body: Bytes,
) -> Response {
    let id = match id_of(id) {
        Ok(i) => i,
        Err(r) => return r,
    };
    let body: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return bad(
                "invalidSyntax",
                &format!("Request body is not valid JSON: {e}"),
            );
        }
    };
    let attrs = match attrs_from_resource(&body) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let mut st = lock(&m.state);
    let Some(idx) = st.users.iter().position(|u| u.id == id) else {
        return not_found("User", &id);
    };
    if let Err(r) = check_if_match(&headers, st.users[idx].version) {
        return r;
    }
    store_user(&mut st, idx, attrs, &base_url(&headers))
}

async fn patch_user(
    State(m): State<Module>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
    body: Bytes,
) -> Response {
    let id = match id_of(id) {
        Ok(i) => i,
        Err(r) => return r,
    };
    let ops = match parse_ops(&body) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let mut st = lock(&m.state);
    let Some(idx) = st.users.iter().position(|u| u.id == id) else {
        return not_found("User", &id);
    };
    if let Err(r) = check_if_match(&headers, st.users[idx].version) {
        return r;
    }
    let mut attrs = st.users[idx].attrs.clone();
    if let Err(r) = patch_user_attrs(&mut attrs, ops) {
        return r;
    }
    store_user(&mut st, idx, attrs, &base_url(&headers))
}

async fn delete_user(
    State(m): State<Module>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    let id = match id_of(id) {
        Ok(i) => i,
        Err(r) => return r,
    };
    let mut st = lock(&m.state);
    let Some(idx) = st.users.iter().position(|u| u.id == id) else {
        return not_found("User", &id);
    };
    if let Err(r) = check_if_match(&headers, st.users[idx].version) {
        return r;
    }
    st.users.remove(idx);
    for g in st.groups.iter_mut() {
        g.members.retain(|m| m != &id);
    }
    StatusCode::NO_CONTENT.into_response()
}

async fn list_groups(State(m): State<Module>, uri: Uri, headers: HeaderMap) -> Response {
    let p = match list_params(&uri) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let base = base_url(&headers);
    let st = lock(&m.state);
    let mut matched = Vec::new();
    for g in &st.groups {
        let keep = match &p.filter {
            None => true,
            Some(f) => {
                let have = match f.attr.to_ascii_lowercase().as_str() {
                    "displayname" => g.display_name.clone(),
                    "id" => g.id.clone(),
                    "externalid" => g.external_id.clone().unwrap_or_default(),
                    _ => {
                        return bad(
                            "invalidFilter",
                            &format!("Filtering on `{}` is not supported", f.attr),
                        );
                    }
                };
                f.op == "pr" || text_match(&f.op, &have, &f.value_str())
            }
        };
        if keep {
            matched.push(g);
        }
    }
    let items = matched
        .iter()
        .skip(p.start - 1)
        .take(p.count)
        .map(|g| st.group_json(g, &base))
        .collect();
    list_response(matched.len(), p.start, items)
}

async fn get_group(
    State(m): State<Module>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    let id = match id_of(id) {
        Ok(i) => i,
        Err(r) => return r,
    };
    let st = lock(&m.state);
    match st.groups.iter().find(|g| g.id == id) {
        Some(g) => with_etag(
            scim_json(StatusCode::OK, st.group_json(g, &base_url(&headers))),
            g.version,
        ),
        None => not_found("Group", &id),
    }
}

/// Member ids from `[{value}]` (or bare strings), each checked against existing users.
fn member_ids(st: &ScimState, v: Option<&Value>) -> Result<Vec<String>, Response> {
    let items = match v {
        Some(Value::Array(a)) => a.clone(),
        Some(Value::Object(_)) => vec![v.cloned().unwrap_or(Value::Null)],
        _ => return Err(bad("invalidValue", "members must be an array of {value}")),
    };
    items
        .iter()
        .map(|i| {
            let id = i
                .get("value")
                .and_then(Value::as_str)
                .or_else(|| i.as_str())
                .ok_or_else(|| bad("invalidValue", "each member needs a `value`"))?;
            if st.users.iter().any(|u| u.id == id) {
                Ok(id.to_owned())
            } else {
                Err(bad("invalidValue", &format!("No user with id {id}")))
            }
        })
        .collect()
}

fn patch_group_members(
    st: &ScimState,
    group: &mut ScimGroup,
    ops: Vec<Op>,
) -> Result<(), Response> {
    for op in ops {
        let path = op.path.as_deref().map(str::trim);
        match (op.op.as_str(), path) {
            ("add", Some(p)) if p.eq_ignore_ascii_case("members") => {
                for id in member_ids(st, op.value.as_ref())? {
                    if !group.members.contains(&id) {
                        group.members.push(id);
                    }
                }
            }
            ("replace", Some(p)) if p.eq_ignore_ascii_case("members") => {
                group.members = member_ids(st, op.value.as_ref())?;
                group.members.dedup();
            }
            ("remove", Some(p)) if p.eq_ignore_ascii_case("members") => match &op.value {
                None | Some(Value::Null) => group.members.clear(),
                Some(v) => {
                    let ids = match v {
                        Value::Array(a) => a
                            .iter()
                            .filter_map(|i| i.get("value").and_then(Value::as_str))
                            .map(str::to_owned)
                            .collect::<Vec<_>>(),
                        _ => return Err(bad("invalidValue", "members must be an array")),
                    };
                    group.members.retain(|m| !ids.contains(m));
                }
            },
            ("remove", Some(p)) if p.to_ascii_lowercase().starts_with("members[") => {
                let expr = parse_path(&format!("emails{}", &p[7..]))?;
                match expr.filter {
                    Some((attr, value)) if attr == "value" && expr.sub.is_none() => {
                        group.members.retain(|m| m != &value);
                    }
                    _ => {
                        return Err(bad(
                            "invalidPath",
                            &format!("The path `{p}` is not supported"),
                        ));
                    }
                }
            }
            (_, Some(p)) if p.eq_ignore_ascii_case("displayName") && op.op != "remove" => {
                group.display_name = op
                    .value
                    .as_ref()
                    .and_then(Value::as_str)
                    .ok_or_else(|| bad("invalidValue", "displayName must be a string"))?
                    .to_owned();
            }
            ("add" | "replace", None) => {
                let Some(Value::Object(o)) = &op.value else {
                    return Err(bad(
                        "invalidValue",
                        "Without a `path` the value must be an object",
                    ));
                };
                for (k, v) in o {
                    if k.eq_ignore_ascii_case("displayName") {
                        group.display_name = v
                            .as_str()
                            .ok_or_else(|| bad("invalidValue", "displayName must be a string"))?
                            .to_owned();
                    } else if k.eq_ignore_ascii_case("members") {
                        let ids = member_ids(st, Some(v))?;
                        if op.op == "replace" {
                            group.members.clear();
                        }
                        for id in ids {
                            if !group.members.contains(&id) {
                                group.members.push(id);
                            }
                        }
                    } else if k.eq_ignore_ascii_case("externalId") {
                        group.external_id = v.as_str().map(str::to_owned);
                    } else {
                        return Err(bad(
                            "invalidPath",
                            &format!("The attribute `{k}` is not supported"),
                        ));
                    }
                }
            }
            ("remove", None) => return Err(bad("noTarget", "A remove operation needs a `path`")),
            (_, Some(p)) => {
                return Err(bad(
                    "invalidPath",
                    &format!("The path `{p}` is not supported"),
                ));
            }
            _ => return Err(bad("invalidSyntax", "Unsupported operation")),
        }
    }
    Ok(())
}

async fn patch_group(
    State(m): State<Module>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
    body: Bytes,
) -> Response {
    let id = match id_of(id) {
        Ok(i) => i,
        Err(r) => return r,
    };
    let ops = match parse_ops(&body) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let mut st = lock(&m.state);
    let Some(idx) = st.groups.iter().position(|g| g.id == id) else {
        return not_found("Group", &id);
    };
    let mut group = st.groups[idx].clone();
    if let Err(r) = check_if_match(&headers, group.version) {
        return r;
    }
    if let Err(r) = patch_group_members(&st, &mut group, ops) {
        return r;
    }
    group.version += 1;
    group.last_modified = now_rfc3339();
    let out = with_etag(
        scim_json(StatusCode::OK, st.group_json(&group, &base_url(&headers))),
        group.version,
    );
    st.groups[idx] = group;
    out
}

async fn service_provider_config(headers: HeaderMap) -> Response {
    let base = base_url(&headers);
    scim_json(
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
    )
}

fn seed_group(name: &str) -> ScimGroup {
    let now = now_rfc3339();
    ScimGroup {
        id: new_object_id(),
        display_name: name.to_owned(),
        external_id: None,
        members: Vec::new(),
        created: now.clone(),
        last_modified: now,
        version: 1,
    }
}

impl SurfaceModule for Scim {
    fn surface(&self) -> Surface {
        Surface::WebflowScim
    }

    fn prefixes(&self) -> &'static [&'static str] {
        &["/scim/v2"]
    }

    fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route("/scim/v2/Users", get(list_users).post(create_user))
            .route(
                "/scim/v2/Users/{user_id}",
                get(get_user)
                    .put(replace_user)
                    .patch(patch_user)
                    .delete(delete_user),
            )
            .route("/scim/v2/Groups", get(list_groups))
            .route(
                "/scim/v2/Groups/{group_id}",
                get(get_group).patch(patch_group),
            )
            .route(
                "/scim/v2/ServiceProviderConfig",
                get(service_provider_config),
            )
            .with_state(self)
    }

    fn authorize(&self, parts: &Parts) -> Result<String, Response> {
        let token = &self.shared.config().webflow_scim_token;
        if bearer_token(&parts.headers) == Some(token.as_str()) {
            Ok(token.clone())
        } else {
            Err(self.problem(Problem::Unauthorized))
        }
    }

    fn problem(&self, problem: Problem) -> Response {
        match problem {
            Problem::Unauthorized => {
                let mut r = scim_error(
                    StatusCode::UNAUTHORIZED,
                    None,
                    "Authorization failure. The authorization header is invalid or missing.",
                );
                r.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"scim\""),
                );
                r
            }
            Problem::TooManyRequests => scim_error(
                StatusCode::TOO_MANY_REQUESTS,
                None,
                "Too many requests. Retry later.",
            ),
            Problem::ServerError(status) => scim_error(status, None, "Internal server error"),
            Problem::RouteNotFound => scim_error(
                StatusCode::NOT_FOUND,
                None,
                "The requested endpoint does not exist",
            ),
        }
    }

    fn snapshot(&self) -> Value {
        let st = lock(&self.state);
        json!({
            "users": st.users.iter().map(|u| st.user_json(u, "/scim/v2")).collect::<Vec<_>>(),
            "groups": st.groups.iter().map(|g| st.group_json(g, "/scim/v2")).collect::<Vec<_>>(),
        })
    }

    fn reset(&self, seed: Option<&Value>) -> Result<(), String> {
        let mut st = ScimState::default();
        let seed = match seed {
            Some(Value::Object(o)) => Some(o),
            Some(_) => return Err("must be an object".into()),
            None => None,
        };
        if let Some(users) = seed.and_then(|s| s.get("users")) {
            for u in users.as_array().ok_or("`users` must be an array")? {
                let attrs =
                    attrs_from_resource(u).map_err(|_| format!("invalid seeded SCIM user {u}"))?;
                let name = attrs
                    .get("userName")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                if st.user_name_taken(name, None) {
                    return Err(format!("duplicate seeded userName {name}"));
                }
                let now = now_rfc3339();
                st.users.push(ScimUser {
                    id: u
                        .get("id")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                        .unwrap_or_else(new_object_id),
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
                        group.members.push(user.id.clone());
                    }
                    st.groups.push(group);
                }
            }
            None => {
                st.groups.push(seed_group("Designers"));
                st.groups.push(seed_group("Editors"));
            }
        }
        *lock(&self.state) = st;
        Ok(())
    }

    fn admin_action(&self, action: &str, _body: &Value) -> Result<Value, AdminError> {
        Err(AdminError::Unsupported(format!(
            "surface scim has no admin action `{action}` (SCIM users are provisioned, not invited)"
        )))
    }
}
