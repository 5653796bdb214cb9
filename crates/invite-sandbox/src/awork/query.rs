//! awork list queries: `page`/`pageSize`, `filterby` (`field eq 'value'` joined by `and`),
//! `orderby` (`field [asc|desc]`) and boolean flags. See docs/vendors/awork.md, Pagination.

use super::model::AwError;
use crate::request::last_param;

/// Fields `GET /users` filters on.
pub(super) const USER_FIELDS: &[&str] = &["firstName", "lastName"];
/// Fields `GET /users` orders by.
pub(super) const USER_ORDER_FIELDS: &[&str] = &["firstName", "lastName", "createdOn", "updatedOn"];

/// A parsed `filterby` expression: `field eq 'value'` joined by `and`.
pub(super) fn parse_filter(expr: &str, fields: &[&str]) -> Result<Vec<(String, String)>, AwError> {
    let mut clauses = Vec::new();
    for clause in expr.split(" and ") {
        let clause = clause.trim();
        let bad = || {
            AwError::bad(
                "invalid-filter",
                format!(
                    "The filter expression '{expr}' is not supported. Use `<field> eq '<value>'` on {}.",
                    fields.join(", ")
                ),
            )
        };
        let (field, rest) = clause.split_once(' ').ok_or_else(bad)?;
        let rest = rest.trim_start();
        let value = rest
            .strip_prefix("eq ")
            .map(str::trim)
            .and_then(|v| v.strip_prefix('\''))
            .and_then(|v| v.strip_suffix('\''))
            .ok_or_else(bad)?;
        let field = fields
            .iter()
            .find(|f| f.eq_ignore_ascii_case(field))
            .ok_or_else(bad)?;
        clauses.push(((*field).to_owned(), value.replace("''", "'")));
    }
    Ok(clauses)
}

/// A parsed `orderby`: `field [asc|desc]`.
pub(super) fn parse_order(expr: &str, fields: &[&str]) -> Result<(String, bool), AwError> {
    let mut parts = expr.split_whitespace();
    let bad = || {
        AwError::bad(
            "invalid-orderby",
            format!(
                "The order expression '{expr}' is not supported. Use `<field> [asc|desc]` on {}.",
                fields.join(", ")
            ),
        )
    };
    let field = parts.next().ok_or_else(bad)?;
    let field = fields
        .iter()
        .find(|f| f.eq_ignore_ascii_case(field))
        .ok_or_else(bad)?;
    let desc = match parts.next().map(str::to_ascii_lowercase).as_deref() {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(_) => return Err(bad()),
    };
    if parts.next().is_some() {
        return Err(bad());
    }
    Ok(((*field).to_owned(), desc))
}

/// `page` / `pageSize` from the query; both must be positive integers.
pub(super) struct Page {
    page: usize,
    size: usize,
}

impl Page {
    pub(super) fn parse(pairs: &[(String, String)]) -> Result<Page, AwError> {
        let mut p = Page { page: 1, size: 10 };
        for (k, v) in pairs {
            let target = match k.as_str() {
                "page" => &mut p.page,
                "pageSize" => &mut p.size,
                _ => continue,
            };
            *target = v
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| {
                    AwError::validation(k, format!("{k} must be a positive integer."))
                })?;
        }
        Ok(p)
    }

    /// This page of `items`.
    pub(super) fn of<I: IntoIterator>(&self, items: I) -> impl Iterator<Item = I::Item> {
        items
            .into_iter()
            .skip(self.size.saturating_mul(self.page - 1))
            .take(self.size)
    }
}

/// The `filterby` clauses (on `filter_fields`) and `orderby` (on `order_fields`) of a list.
pub(super) type FilterOrder = (Vec<(String, String)>, Option<(String, bool)>);

/// Reads `filterby` and `orderby` (the last of each; blank means absent).
pub(super) fn filter_and_order(
    pairs: &[(String, String)],
    filter_fields: &[&str],
    order_fields: &[&str],
) -> Result<FilterOrder, AwError> {
    let given = |key: &str| last_param(pairs, key).filter(|v| !v.trim().is_empty());
    let filter = match given("filterby") {
        Some(f) => parse_filter(f, filter_fields)?,
        None => Vec::new(),
    };
    let order = match given("orderby") {
        Some(o) => Some(parse_order(o, order_fields)?),
        None => None,
    };
    Ok((filter, order))
}

pub(super) fn bool_param(pairs: &[(String, String)], name: &str) -> Result<bool, AwError> {
    match last_param(pairs, name) {
        None => Ok(false),
        Some(v) => match v.to_ascii_lowercase().as_str() {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(AwError::validation(
                name,
                format!("{name} must be true or false."),
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_and_orders_parse() {
        let f = parse_filter(
            "firstName eq 'Carla' and lastName eq 'O''Neil'",
            USER_FIELDS,
        );
        assert_eq!(
            f.ok(),
            Some(vec![
                ("firstName".to_owned(), "Carla".to_owned()),
                ("lastName".to_owned(), "O'Neil".to_owned())
            ])
        );
        assert!(parse_filter("email eq 'a@b.c'", USER_FIELDS).is_err());
        assert!(parse_filter("firstName ne 'x'", USER_FIELDS).is_err());
        assert_eq!(
            parse_order("lastName desc", USER_ORDER_FIELDS).ok(),
            Some(("lastName".to_owned(), true))
        );
        assert!(parse_order("lastName sideways", USER_ORDER_FIELDS).is_err());
    }
}
