//! SCIM list queries: `filter` (`attr op "value"`, `attr pr`), `startIndex`, `count`.
//! See docs/vendors/scim.md, Pagination.

use serde_json::Value;

use super::model::{PAGE_CAP, Projection, ScimError, USER_SCHEMA, bad};
use super::{ScimGroup, ScimUser};
use crate::request::{json_object, query_pairs};

pub(super) struct Filter {
    pub(super) attr: String,
    pub(super) op: String,
    pub(super) value: Value,
}

impl Filter {
    pub(super) fn value_str(&self) -> String {
        match &self.value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }
}

/// Parses `attr op "value"` (op `eq`, `ne`, `co`, `sw`, `ew`) or `attr pr`.
pub(super) fn parse_filter(f: &str) -> Result<Filter, String> {
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

pub(super) fn text_match(op: &str, have: &str, want: &str) -> bool {
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

pub(super) fn user_matches(u: &ScimUser, f: &Filter) -> Result<bool, ScimError> {
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
                format!("Filtering on `{}` is not supported", f.attr),
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

/// A list query or search: filter, 1-based start, page size and attribute projection.
pub(super) struct ListParams {
    pub(super) filter: Option<Filter>,
    pub(super) start: usize,
    pub(super) count: usize,
    pub(super) projection: Projection,
}

/// The parameters of a list query string.
pub(super) fn list_params(query: Option<&str>) -> Result<ListParams, ScimError> {
    params_from_pairs(query_pairs(query))
}

/// The parameters of a `POST …/.search` SearchRequest body (RFC 7644 §3.4.3): the list
/// query's parameters as JSON (`attributes` and `excludedAttributes` as arrays).
pub(super) fn search_params(body: &[u8]) -> Result<ListParams, ScimError> {
    let o = json_object(body, true)
        .map_err(|_| bad("invalidSyntax", "A SearchRequest must be a JSON object"))?;
    let mut pairs = Vec::new();
    for (k, v) in o {
        let text = match (k.as_str(), v) {
            ("schemas", _) | (_, Value::Null) => continue,
            ("attributes" | "excludedAttributes", Value::Array(items)) => items
                .iter()
                .map(|i| i.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| bad("invalidValue", format!("`{k}` must be an array of strings")))?
                .join(","),
            (_, Value::String(s)) => s,
            (_, Value::Number(n)) => n.to_string(),
            _ => return Err(bad("invalidValue", format!("`{k}` has an invalid value"))),
        };
        pairs.push((k, text));
    }
    params_from_pairs(pairs)
}

fn params_from_pairs(pairs: Vec<(String, String)>) -> Result<ListParams, ScimError> {
    let mut p = ListParams {
        filter: None,
        start: 1,
        count: PAGE_CAP,
        projection: Projection::default(),
    };
    for (k, v) in &pairs {
        match k.as_str() {
            "filter" => {
                p.filter = Some(parse_filter(v).map_err(|e| bad("invalidFilter", e))?);
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
    p.projection = Projection::from_pairs(&pairs);
    Ok(p)
}

/// Whether group `g` passes filter `f` (on `displayName`, `id` or `externalId`).
pub(super) fn group_matches(g: &ScimGroup, f: &Filter) -> Result<bool, ScimError> {
    let have = match f.attr.to_ascii_lowercase().as_str() {
        "displayname" => g.display_name.clone(),
        "id" => g.id.clone(),
        "externalid" => g.external_id.clone().unwrap_or_default(),
        _ => {
            return Err(bad(
                "invalidFilter",
                format!("Filtering on `{}` is not supported", f.attr),
            ));
        }
    };
    Ok(f.op == "pr" || text_match(&f.op, &have, &f.value_str()))
}
