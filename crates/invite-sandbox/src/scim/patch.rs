//! SCIM PatchOp and resource bodies: attribute paths (`attr`, `attr.sub`,
//! `attr[sub eq "v"]`, URN forms), `add`/`replace`/`remove` on users and group members.
//! See docs/vendors/scim.md, Request bodies.

use serde_json::{Map, Value, json};

use super::filter::parse_filter;
use super::model::{GROUP_SCHEMA, ScimError, USER_SCHEMA, bad, json_body, unsupported_extension};
use super::{Member, ScimGroup, ScimState};

/// Writable core User attributes (canonical spelling; matched case-insensitively).
const USER_ATTRS: &str = "userName name displayName nickName profileUrl title userType \
    preferredLanguage locale timezone active password emails phoneNumbers ims photos addresses \
    entitlements roles x509Certificates externalId";

/// Canonical spelling of a top-level core User attribute name, or `None` if unknown.
fn canonical_attr(name: &str) -> Option<String> {
    USER_ATTRS
        .split_whitespace()
        .find(|a| a.eq_ignore_ascii_case(name))
        .map(str::to_owned)
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
fn normalise(attr: &str, v: Value) -> Result<Value, ScimError> {
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
pub(super) fn attrs_from_resource(body: &Value) -> Result<Map<String, Value>, ScimError> {
    let o = body
        .as_object()
        .ok_or_else(|| bad("invalidSyntax", "The request body must be a JSON object"))?;
    refuse_extensions(o, USER_SCHEMA)?;
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

/// 400 `invalidSyntax` when a resource body names a schema other than `core` (in `schemas`
/// or as an extension attribute): this surface serves no extension, the enterprise User
/// extension included (docs/vendors/scim.md, Request bodies).
fn refuse_extensions(o: &Map<String, Value>, core: &str) -> Result<(), ScimError> {
    let listed = o
        .get("schemas")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str);
    let keyed = o
        .keys()
        .map(String::as_str)
        .filter(|k| k.starts_with("urn:"));
    match listed.chain(keyed).find(|urn| *urn != core) {
        Some(urn) => Err(unsupported_extension("invalidSyntax", urn)),
        None => Ok(()),
    }
}

pub(super) struct PathExpr {
    pub(super) attr: String,
    pub(super) filter: Option<(String, String)>,
    pub(super) sub: Option<String>,
}

/// Parses `attr`, `attr.sub`, `attr[sub eq "v"]`, `attr[sub eq "v"].sub` and URN forms.
pub(super) fn parse_path(path: &str) -> Result<PathExpr, ScimError> {
    let invalid = || bad("invalidPath", format!("The path `{path}` is not supported"));
    let mut p = path.trim();
    if let Some(rest) = p.strip_prefix(USER_SCHEMA) {
        p = rest.strip_prefix(':').unwrap_or(rest);
    } else if p.starts_with("urn:") {
        let urn = p.rsplit_once(':').map_or(p, |(urn, _)| urn);
        return Err(unsupported_extension("invalidPath", urn));
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
                format!("The attribute `{head}` is read-only"),
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
) -> Result<(), ScimError> {
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
) -> Result<(), ScimError> {
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

pub(super) struct Op {
    pub(super) op: String,
    pub(super) path: Option<String>,
    pub(super) value: Option<Value>,
}

pub(super) fn parse_ops(body: &[u8]) -> Result<Vec<Op>, ScimError> {
    let v = json_body(body)?;
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
                return Err(bad("invalidSyntax", format!("Unknown op `{op}`")));
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

pub(super) fn patch_user_attrs(
    attrs: &mut Map<String, Value>,
    ops: Vec<Op>,
) -> Result<(), ScimError> {
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
                    let path = parse_path(&k)?;
                    apply_set(attrs, &path, v, add)?;
                }
            }
        }
    }
    Ok(())
}

/// Members from `[{value, display?}]` (or bare id strings), each checked against existing users.
fn members(st: &ScimState, v: Option<&Value>) -> Result<Vec<Member>, ScimError> {
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
                Ok(Member {
                    value: id.to_owned(),
                    display: i.get("display").and_then(Value::as_str).map(str::to_owned),
                })
            } else {
                Err(bad("invalidValue", format!("No user with id {id}")))
            }
        })
        .collect()
}

/// Adds `new` members to `group`; one already there gets the new `display`.
fn add_members(group: &mut ScimGroup, new: Vec<Member>) {
    for m in new {
        match group.members.iter_mut().find(|x| x.value == m.value) {
            Some(x) => x.display = m.display.or(x.display.take()),
            None => group.members.push(m),
        }
    }
}

/// Fills `group` from a full Group body (POST, PUT): `displayName` (required), `externalId`,
/// `members`; attributes not given are dropped.
pub(super) fn group_from_body(
    st: &ScimState,
    group: &mut ScimGroup,
    body: &[u8],
) -> Result<(), ScimError> {
    let v = json_body(body)?;
    let o = v
        .as_object()
        .ok_or_else(|| bad("invalidSyntax", "The request body must be a JSON object"))?;
    refuse_extensions(o, GROUP_SCHEMA)?;
    let get = |name: &str| {
        o.iter()
            .find(|(k, v)| k.eq_ignore_ascii_case(name) && !v.is_null())
            .map(|(_, v)| v)
    };
    group.display_name = get("displayName")
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| bad("invalidValue", "displayName is required"))?
        .to_owned();
    group.external_id = match get("externalId") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(bad("invalidValue", "externalId must be a string")),
    };
    group.members.clear();
    if let Some(m) = get("members") {
        let new = members(st, Some(m))?;
        add_members(group, new);
    }
    Ok(())
}

pub(super) fn patch_group_members(
    st: &ScimState,
    group: &mut ScimGroup,
    ops: Vec<Op>,
) -> Result<(), ScimError> {
    for op in ops {
        let path = op.path.as_deref().map(str::trim);
        match (op.op.as_str(), path) {
            ("add", Some(p)) if p.eq_ignore_ascii_case("members") => {
                add_members(group, members(st, op.value.as_ref())?);
            }
            ("replace", Some(p)) if p.eq_ignore_ascii_case("members") => {
                let new = members(st, op.value.as_ref())?;
                group.members.clear();
                add_members(group, new);
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
                    group.members.retain(|m| !ids.contains(&m.value));
                }
            },
            ("remove", Some(p)) if p.to_ascii_lowercase().starts_with("members[") => {
                let expr = parse_path(&format!("emails{}", &p[7..]))?;
                match expr.filter {
                    Some((attr, value)) if attr == "value" && expr.sub.is_none() => {
                        group.members.retain(|m| m.value != value);
                    }
                    _ => {
                        return Err(bad(
                            "invalidPath",
                            format!("The path `{p}` is not supported"),
                        ));
                    }
                }
            }
            ("remove", Some(p)) if p.eq_ignore_ascii_case("externalId") => {
                group.external_id = None;
            }
            (_, Some(p)) if p.eq_ignore_ascii_case("externalId") => {
                group.external_id = Some(
                    op.value
                        .as_ref()
                        .and_then(Value::as_str)
                        .ok_or_else(|| bad("invalidValue", "externalId must be a string"))?
                        .to_owned(),
                );
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
                        let new = members(st, Some(v))?;
                        if op.op == "replace" {
                            group.members.clear();
                        }
                        add_members(group, new);
                    } else if k.eq_ignore_ascii_case("externalId") {
                        group.external_id = v.as_str().map(str::to_owned);
                    } else {
                        return Err(bad(
                            "invalidPath",
                            format!("The attribute `{k}` is not supported"),
                        ));
                    }
                }
            }
            ("remove", None) => return Err(bad("noTarget", "A remove operation needs a `path`")),
            (_, Some(p)) => {
                return Err(bad(
                    "invalidPath",
                    format!("The path `{p}` is not supported"),
                ));
            }
            _ => return Err(bad("invalidSyntax", "Unsupported operation")),
        }
    }
    Ok(())
}
