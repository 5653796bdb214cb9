//! SCIM list queries: `filter` (`attr op "value"`, `attr pr`), `startIndex`, `count`.
//! See docs/vendors/scim.md, Pagination.

use serde_json::Value;

use super::model::{PAGE_CAP, ScimError, USER_SCHEMA, bad};
use super::{ScimGroup, ScimUser};
use crate::request::query_pairs;

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

pub(super) struct ListParams {
    pub(super) filter: Option<Filter>,
    pub(super) start: usize,
    pub(super) count: usize,
}

pub(super) fn list_params(query: Option<&str>) -> Result<ListParams, ScimError> {
    let mut p = ListParams {
        filter: None,
        start: 1,
        count: PAGE_CAP,
    };
    for (k, v) in query_pairs(query) {
        match k.as_str() {
            "filter" => {
                p.filter = Some(parse_filter(&v).map_err(|e| bad("invalidFilter", e))?);
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
