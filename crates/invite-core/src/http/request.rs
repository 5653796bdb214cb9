//! Base URLs and requests: a route template whose `{}` parameters are percent-encoded as
//! exactly one path segment each.

use std::fmt;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use secrecy::SecretString;
use serde::Serialize;
use url::Url;

use super::Method;
use crate::error::{Error, Result};

/// Characters left unencoded in a path segment: RFC 3986 unreserved only. `/`, `?`, `#`, `%`
/// and everything else are encoded.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Parses and checks a base URL: `https`, or `http` to a loopback host (127.0.0.0/8, `::1`,
/// `localhost`) for sandboxes and tests. `setting` names where the value came from (an
/// environment variable or builder method) for the error message.
pub fn validate_base_url(value: &str, setting: &str) -> Result<Url> {
    let url = Url::parse(value.trim())
        .map_err(|e| Error::Config(format!("{setting} is not a valid URL ({e}): {value:?}")))?;
    if url.cannot_be_a_base() || url.host().is_none() {
        return Err(Error::Config(format!(
            "{setting} must be an absolute http(s) URL with a host: {value:?}"
        )));
    }
    if url.query().is_some()
        || url.fragment().is_some()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err(Error::Config(format!(
            "{setting} may not carry a query, fragment or credentials"
        )));
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(Error::Config(format!(
            "{setting} must use https (plain http is only allowed to loopback addresses): {value:?}"
        ))),
        other => Err(Error::Config(format!(
            "{setting} has unsupported scheme {other:?}; use https"
        ))),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// One request: method, route template, path parameters, query, body and headers.
///
/// ```
/// use invite_core::http::Request;
/// let req = Request::get("/sites/{}/users/{}")
///     .segment("5f0c8c9e1c9d440000e8d8c3")
///     .segment("../../admin")
///     .query("limit", "100");
/// assert_eq!(
///     req.path().unwrap(),
///     "/sites/5f0c8c9e1c9d440000e8d8c3/users/..%2F..%2Fadmin"
/// );
/// ```
#[derive(Clone)]
pub struct Request {
    pub(super) method: Method,
    pub(super) route: &'static str,
    pub(super) segments: Vec<String>,
    pub(super) query: Vec<(String, String)>,
    pub(super) body: Option<std::result::Result<Vec<u8>, String>>,
    pub(super) content_type: &'static str,
    pub(super) headers: Vec<(&'static str, String)>,
    pub(super) idempotent: bool,
    pub(super) operation: &'static str,
    pub(super) secrets: Vec<SecretString>,
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("route", &self.route)
            .field("operation", &self.operation)
            .field("idempotent", &self.idempotent)
            .finish_non_exhaustive()
    }
}

/// One constructor a method: `get(route)` is `Request::new(Method::GET, route)`.
macro_rules! by_method {
    ($($(#[$doc:meta])* $name:ident => $method:ident;)*) => {
        $(
            $(#[$doc])*
            #[inline]
            pub fn $name(route: &'static str) -> Self {
                Self::new(Method::$method, route)
            }
        )*
    };
}

impl Request {
    /// A request with `method` to `route` (relative to the base URL; `{}` marks a parameter).
    /// Idempotent unless the method is POST.
    #[inline]
    pub fn new(method: Method, route: &'static str) -> Self {
        let idempotent = method != Method::POST;
        Self {
            method,
            route,
            segments: Vec::new(),
            query: Vec::new(),
            body: None,
            content_type: "application/json",
            headers: Vec::new(),
            idempotent,
            operation: "",
            secrets: Vec::new(),
        }
    }
    by_method! {
        /// A GET.
        get => GET;
        /// A POST (not idempotent unless marked).
        post => POST;
        /// A PUT.
        put => PUT;
        /// A PATCH.
        patch => PATCH;
        /// A DELETE.
        delete => DELETE;
    }
    /// Fills the next `{}` of the route; the value is encoded as one path segment.
    #[inline]
    pub fn segment(mut self, value: impl Into<String>) -> Self {
        self.segments.push(value.into());
        self
    }
    /// Adds a query parameter.
    #[inline]
    pub fn query(mut self, key: impl Into<String>, value: impl ToString) -> Self {
        self.query.push((key.into(), value.to_string()));
        self
    }
    /// Adds a query parameter when `value` is `Some`.
    #[inline]
    pub fn query_opt(self, key: impl Into<String>, value: Option<impl ToString>) -> Self {
        match value {
            Some(v) => self.query(key, v),
            None => self,
        }
    }
    /// Sets a JSON body (`Content-Type: application/json`).
    pub fn json<T: Serialize + ?Sized>(mut self, body: &T) -> Self {
        self.body = Some(serde_json::to_vec(body).map_err(|e| e.to_string()));
        self
    }
    crate::setters! {
        /// Sets the body's content type (e.g. `application/scim+json`).
        #[inline]
        content_type(content_type: &'static str);
        /// Marks the request as safe (or not) to send twice.
        #[inline]
        idempotent(idempotent: bool);
        /// Names the operation for errors and traces (`invite`, `get`, …).
        #[inline]
        operation(operation: &'static str);
    }
    /// Adds a header. Never put a secret here: use the client's bearer token.
    #[inline]
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
    /// Declares a secret this request carries (e.g. an invitation code in its body): if the
    /// answer echoes it, it is redacted from every error excerpt, like the bearer token.
    pub fn secret(mut self, value: &str) -> Self {
        if !value.is_empty() {
            self.secrets.push(SecretString::from(value));
        }
        self
    }
    /// The route template.
    #[inline]
    pub fn route(&self) -> &'static str {
        self.route
    }
    /// The method.
    #[inline]
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The encoded path (without the base URL's path), checking that every template
    /// parameter has a value and that no value is empty, `.`, `..` or has control characters.
    pub fn path(&self) -> Result<String> {
        let mut out = String::with_capacity(self.route.len() + 32);
        self.write_path(&mut out)?;
        Ok(out)
    }

    /// Appends the encoded path to `out` (see [`Request::path`]).
    pub(super) fn write_path(&self, out: &mut String) -> Result<()> {
        let mut values = self.segments.iter();
        let mut rest = self.route;
        // A byte search: `str::find("{}")` would build a substring searcher per call.
        while let Some(idx) = rest.as_bytes().windows(2).position(|w| w == b"{}") {
            out.push_str(rest.get(..idx).unwrap_or_default());
            let value = values.next().ok_or_else(|| {
                Error::invalid_input(
                    "path",
                    format!("route {} is missing a parameter", self.route),
                )
            })?;
            crate::provider::check_id("path parameter", value)?;
            out.extend(utf8_percent_encode(value, SEGMENT));
            rest = rest.get(idx + 2..).unwrap_or_default();
        }
        out.push_str(rest);
        if values.next().is_some() {
            return Err(Error::invalid_input(
                "path",
                format!("route {} got more parameters than it has", self.route),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        assert!(validate_base_url("https://api.webflow.com/v2", "X").is_ok());
        assert!(validate_base_url("http://127.0.0.1:8080/v2", "X").is_ok());
        assert!(validate_base_url("http://localhost:1/v2", "X").is_ok());
        assert!(validate_base_url("http://[::1]:1/", "X").is_ok());
        let e = validate_base_url("http://api.webflow.com/v2", "WEBFLOW_API_BASE_URL").unwrap_err();
        assert!(e.to_string().contains("WEBFLOW_API_BASE_URL"));
        assert!(e.to_string().contains("https"));
        assert!(validate_base_url("ftp://x.com", "X").is_err());
        assert!(validate_base_url("not a url", "X").is_err());
        assert!(validate_base_url("https://u:p@x.com", "X").is_err());
        assert!(validate_base_url("https://x.com/?a=b", "X").is_err());
    }

    #[test]
    fn segments_are_encoded_one_each() {
        let p = |id: &str| Request::get("/sites/{}/users").segment(id).path();
        assert_eq!(p("abc").unwrap(), "/sites/abc/users");
        assert_eq!(p("a/b").unwrap(), "/sites/a%2Fb/users");
        assert_eq!(p("u1?x=y").unwrap(), "/sites/u1%3Fx%3Dy/users");
        assert_eq!(p("a#b").unwrap(), "/sites/a%23b/users");
        assert_eq!(p("%2F").unwrap(), "/sites/%252F/users");
        assert_eq!(p("../x").unwrap(), "/sites/..%2Fx/users");
        for bad in ["", "..", ".", "a\nb", " "] {
            assert!(matches!(p(bad), Err(Error::InvalidInput { .. })), "{bad:?}");
        }
        assert!(Request::get("/a/{}").path().is_err());
        assert!(Request::get("/a").segment("x").path().is_err());
    }
}
