//! The vendors' documented examples as the test oracle.
//!
//! Each file under `fixtures/vendors/<vendor>/<name>.json` (at the workspace root) is the
//! project's own copy of one example a vendor publishes — on its reference page, in its
//! official SDK's wire tests or in its OpenAPI document — with the public source named:
//!
//! ```json
//! {
//!   "source": "https://developers.flatfile.com/api-reference/users/create-and-invite",
//!   "note": "what the page shows, and anything the copy had to decide",
//!   "request":  { "method": "POST", "path": "/v1/users/invite",
//!                 "headers": { "X-Disable-Hooks": "true", "Authorization": "Bearer <token>" },
//!                 "body": { "email": "john.doe@example.com" } },
//!   "response": { "status": 200, "body": { "data": { "id": "us_acc_YOUR_ID" } } }
//! }
//! ```
//!
//! Both halves are optional (a page may show only a response). Tests check two things
//! against an example, and fail when either side drifts from what the vendor documents:
//!
//! - an adapter **builds** the documented request ([`assert_request_matches`]): same method,
//!   same path (a `{placeholder}` segment matches any segment), every documented header with
//!   its value (a `<placeholder>` value matches any value), and a JSON-equal body;
//! - the sandbox **answers** in the documented shape ([`assert_same_shape`]): every documented
//!   field present, with the same JSON type and nesting (values may differ).
//!
//! Decoding a documented response to an asserted normalized user is plain adapter code in
//! each adapter's tests: [`Documented::response_body`] hands the body over.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;
use serde_json::Value;

/// One documented example: a request, a response or both, and where the vendor shows it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Documented {
    /// The public page, SDK test or OpenAPI path the example is copied from.
    pub source: String,
    /// What the example shows and any choice the copy made (e.g. a value the page elides).
    #[serde(default)]
    pub note: Option<String>,
    /// The documented request, when the source shows one.
    #[serde(default)]
    pub request: Option<DocumentedRequest>,
    /// The documented response, when the source shows one.
    #[serde(default)]
    pub response: Option<DocumentedResponse>,
    /// The file the example was read from (set by [`documented`]).
    #[serde(skip)]
    pub file: PathBuf,
}

/// A documented request.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentedRequest {
    /// The HTTP method, upper case.
    pub method: String,
    /// The path, with `{name}` for a segment the caller fills in.
    pub path: String,
    /// Query parameters the request carries.
    #[serde(default)]
    pub query: BTreeMap<String, String>,
    /// Headers the request must carry; `<…>` values match any value.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// The JSON body, when the request has one.
    #[serde(default)]
    pub body: Option<Value>,
}

/// A documented response.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentedResponse {
    /// The HTTP status.
    pub status: u16,
    /// The JSON body (`null` for a response without one).
    #[serde(default)]
    pub body: Value,
}

/// A request as a server saw it, to compare against a [`DocumentedRequest`].
#[derive(Debug, Clone)]
pub struct SeenRequest {
    /// The HTTP method.
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The query parameters.
    pub query: Vec<(String, String)>,
    /// Header names (any case) and values.
    pub headers: Vec<(String, String)>,
    /// The body parsed as JSON, when it is JSON.
    pub body: Option<Value>,
}

impl From<&wiremock::Request> for SeenRequest {
    fn from(r: &wiremock::Request) -> Self {
        SeenRequest {
            method: r.method.as_str().to_owned(),
            path: r.url.path().to_owned(),
            query: r
                .url
                .query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
            headers: r
                .headers
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_owned(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body: serde_json::from_slice(&r.body).ok(),
        }
    }
}

/// The directory the documented examples live in (`fixtures/vendors` at the workspace root).
pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/vendors")
}

/// Reads the documented example `name` (`"flatfile/invite-user"` reads
/// `fixtures/vendors/flatfile/invite-user.json`). Panics, naming the file, when it is
/// missing or malformed: a fixture is part of the test.
pub fn documented(name: &str) -> Documented {
    let file = fixtures_dir().join(format!("{name}.json"));
    let text = std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("documented example {}: {e}", file.display()));
    let mut example: Documented = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("documented example {}: {e}", file.display()));
    assert!(
        example.source.starts_with("https://"),
        "documented example {} must name its public source, got {:?}",
        file.display(),
        example.source
    );
    example.file = file;
    example
}

/// Every documented example of `vendor`, by name (`"flatfile/invite-user"`), sorted.
pub fn all_documented(vendor: &str) -> Vec<(String, Documented)> {
    let dir = fixtures_dir().join(vendor);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("documented examples {}: {e}", dir.display()))
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().into_string().ok()?;
            Some(format!("{vendor}/{}", name.strip_suffix(".json")?))
        })
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let example = documented(&name);
            (name, example)
        })
        .collect()
}

impl Documented {
    /// The documented request; panics naming the file when the example has none.
    pub fn request(&self) -> &DocumentedRequest {
        self.request
            .as_ref()
            .unwrap_or_else(|| panic!("{} documents no request", self.file.display()))
    }

    /// The documented response; panics naming the file when the example has none.
    pub fn response(&self) -> &DocumentedResponse {
        self.response
            .as_ref()
            .unwrap_or_else(|| panic!("{} documents no response", self.file.display()))
    }

    /// The documented response body.
    pub fn response_body(&self) -> &Value {
        &self.response().body
    }

    /// The documented request body; panics when the request has none.
    pub fn request_body(&self) -> &Value {
        self.request()
            .body
            .as_ref()
            .unwrap_or_else(|| panic!("{} documents no request body", self.file.display()))
    }
}

/// Asserts that `seen` is the request `example` documents: method, path (`{…}` segments match
/// any segment), documented query parameters and headers (`<…>` values match any value; header
/// names in any case) and, when one is documented, a JSON-equal body.
pub fn assert_request_matches(example: &Documented, seen: &SeenRequest) {
    let doc = example.request();
    let file = example.file.display();
    assert_eq!(
        seen.method.to_ascii_uppercase(),
        doc.method.to_ascii_uppercase(),
        "{file}: method"
    );
    assert!(
        path_matches(&doc.path, &seen.path),
        "{file}: path {} is not the documented {}",
        seen.path,
        doc.path
    );
    for (name, want) in &doc.query {
        let got = seen.query.iter().find(|(k, _)| k == name).map(|(_, v)| v);
        match got {
            Some(got) => assert!(
                value_matches(want, got),
                "{file}: query {name}={got}, documented {want}"
            ),
            None => panic!("{file}: query parameter {name} missing (documented {want})"),
        }
    }
    for (name, want) in &doc.headers {
        let got = seen
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v);
        match got {
            Some(got) => assert!(
                value_matches(want, got),
                "{file}: header {name}: {got:?}, documented {want:?}"
            ),
            None => panic!("{file}: header {name} missing (documented {want:?})"),
        }
    }
    if let Some(body) = &doc.body {
        assert_eq!(
            seen.body.as_ref(),
            Some(body),
            "{file}: body differs from the documented one"
        );
    }
}

/// Asserts that `actual` has the shape of `documented`: every field the documentation shows
/// is present with the same JSON type and nesting; values may differ. A documented `null`
/// accepts any value ("string or null"), an actual `null` is accepted where the vendor
/// documents the field as nullable (pass its path in `nullable`, e.g. `"data.lastSeenAt"`),
/// and each element of an actual array must have the shape of the first documented element.
/// Fields the documentation does not show are allowed.
pub fn assert_same_shape(what: &str, documented: &Value, actual: &Value, nullable: &[&str]) {
    let mut problems = Vec::new();
    shape_diff("", documented, actual, nullable, &mut problems);
    assert!(
        problems.is_empty(),
        "{what}: differs from the documented shape:\n  {}\nactual: {actual:#}",
        problems.join("\n  ")
    );
}

fn shape_diff(at: &str, doc: &Value, actual: &Value, nullable: &[&str], out: &mut Vec<String>) {
    let here = if at.is_empty() { "(root)" } else { at };
    match (doc, actual) {
        (Value::Null, _) => {}
        (_, Value::Null) if nullable.contains(&at) => {}
        (Value::Object(doc), Value::Object(actual)) => {
            for (key, doc_value) in doc {
                let path = if at.is_empty() {
                    key.clone()
                } else {
                    format!("{at}.{key}")
                };
                match actual.get(key) {
                    Some(v) => shape_diff(&path, doc_value, v, nullable, out),
                    None => out.push(format!("{path}: missing")),
                }
            }
        }
        (Value::Array(doc), Value::Array(actual)) => {
            if let Some(first) = doc.first() {
                for (i, v) in actual.iter().enumerate() {
                    shape_diff(&format!("{at}[{i}]"), first, v, nullable, out);
                }
            }
        }
        (doc, actual) if type_name(doc) == type_name(actual) => {}
        (doc, actual) => out.push(format!(
            "{here}: {} where the documentation has {}",
            type_name(actual),
            type_name(doc)
        )),
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn value_matches(documented: &str, actual: &str) -> bool {
    let placeholder = documented.starts_with('<') && documented.ends_with('>');
    if placeholder {
        return !actual.is_empty();
    }
    // "Bearer <token>": the scheme must match, the credential is anything.
    match documented.split_once(' ') {
        Some((scheme, rest)) if rest.starts_with('<') && rest.ends_with('>') => actual
            .split_once(' ')
            .is_some_and(|(s, v)| s.eq_ignore_ascii_case(scheme) && !v.is_empty()),
        _ => documented == actual,
    }
}

fn path_matches(documented: &str, actual: &str) -> bool {
    let doc: Vec<&str> = documented.trim_end_matches('/').split('/').collect();
    let act: Vec<&str> = actual.trim_end_matches('/').split('/').collect();
    doc.len() == act.len()
        && doc.iter().zip(&act).all(|(d, a)| {
            let placeholder = d.starts_with('{') && d.ends_with('}');
            (placeholder && !a.is_empty()) || d == a
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn problems(doc: Value, actual: Value, nullable: &[&str]) -> Vec<String> {
        let mut out = Vec::new();
        shape_diff("", &doc, &actual, nullable, &mut out);
        out
    }

    #[test]
    fn shape_names_missing_fields_and_wrong_types() {
        let doc = json!({"data": {"id": "x", "accessGroups": [{"slug": "a", "type": "admin"}]}});
        let actual = json!({"data": {"accessGroups": ["a"], "extra": 1}});
        assert_eq!(
            problems(doc, actual, &[]),
            vec![
                "data.accessGroups[0]: string where the documentation has object",
                "data.id: missing",
            ]
        );
    }

    #[test]
    fn shape_accepts_other_values_and_declared_nulls() {
        let doc = json!({"a": "x", "b": 1, "c": null, "d": "2024-01-01"});
        assert!(
            problems(
                doc.clone(),
                json!({"a": "y", "b": 2.5, "c": [1], "d": null}),
                &["d"]
            )
            .is_empty()
        );
        assert_eq!(
            problems(doc, json!({"a": "y", "b": 2, "c": 1, "d": null}), &[]),
            vec!["d: null where the documentation has string"]
        );
    }

    #[test]
    fn paths_and_values_match_placeholders_only() {
        assert!(path_matches(
            "/v2/sites/{site_id}/users/invite",
            "/v2/sites/abc/users/invite"
        ));
        assert!(!path_matches(
            "/v2/sites/{site_id}/users/invite",
            "/v2/sites/abc/users"
        ));
        assert!(!path_matches("/v2/sites/{site_id}", "/v2/sites/"));
        assert!(value_matches("Bearer <token>", "Bearer abc"));
        assert!(!value_matches("Bearer <token>", "Basic abc"));
        assert!(value_matches("<uuid>", "123"));
        assert!(value_matches("true", "true"));
        assert!(!value_matches("true", "false"));
    }
}
