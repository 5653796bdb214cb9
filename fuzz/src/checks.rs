//! Fuzz bodies with their properties. Shared by the cargo-fuzz targets (`fuzz/fuzz_targets`)
//! and the root regression test `tests/fuzz_regressions.rs`, which runs every file of
//! `fuzz/corpus/<target>/` through the function of the same name. A violated property panics.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use invite_core::http::header::{HeaderMap, HeaderValue};
use invite_core::http::{ErrorResponse, Request, parse_reset, parse_retry_after};
use invite_core::{Email, Error, VendorDetail, redact};

/// A secret the fuzzed request "carried": no error may show it.
pub const SECRET: &str = "tok_FUZZ_s3cr3t_0123456789";

const HEADER_NAMES: &[&str] = &[
    "retry-after",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "x-request-id",
    "www-authenticate",
    "content-type",
    "location",
];

/// Splits fuzz input into an error answer: status (2 bytes), header block (length byte, then
/// `\n`-separated lines whose first byte picks the header name), body.
fn error_parts(data: &[u8]) -> Option<(u16, HeaderMap, &[u8])> {
    let (&[hi, lo], rest) = data.split_first_chunk::<2>()?;
    let status = 400 + u16::from_be_bytes([hi, lo]) % 200;
    let (&len, rest) = rest.split_first()?;
    let len = usize::from(len).min(rest.len());
    let (head, body) = rest.split_at(len);
    let mut headers = HeaderMap::new();
    for line in head.split(|b| *b == b'\n') {
        if let Some((&pick, value)) = line.split_first()
            && let Ok(v) = HeaderValue::from_bytes(value)
        {
            headers.append(HEADER_NAMES[usize::from(pick) % HEADER_NAMES.len()], v);
        }
    }
    Some((status, headers, body))
}

/// Every text an error carries, raw (not `Debug`-escaped: escaping a control character can
/// put a letter next to an unrelated text, e.g. `\t` + `ok_…`).
fn error_texts(e: &Error) -> Vec<String> {
    let mut out = vec![e.to_string()];
    if let Some(d) = e.detail() {
        out.extend(
            [&d.code, &d.message, &d.request_id, &d.body_excerpt]
                .into_iter()
                .flatten()
                .cloned(),
        );
        out.push(d.provider.clone());
    }
    match e {
        Error::InvalidInput { field, reason } => out.extend([field.clone(), reason.clone()]),
        Error::Config(s) | Error::Coordination(s) => out.push(s.clone()),
        Error::Forbidden { missing_scope, .. } => out.extend(missing_scope.clone()),
        Error::Unsupported {
            provider,
            operation,
            reason,
        } => out.extend([provider.clone(), operation.clone(), reason.clone()]),
        Error::Retired {
            feature,
            since,
            advice,
            ..
        } => {
            out.extend([feature.clone(), advice.clone()]);
            out.extend(since.clone());
        }
        Error::Transport { message, .. } => out.push(message.clone()),
        Error::Decode { expected, .. } => out.push(expected.clone()),
        Error::Uncertain { reason, .. } => out.push(reason.clone()),
        _ => {}
    }
    out
}

fn assert_hidden(what: &str, e: &Error) {
    for text in error_texts(e) {
        assert!(
            !text.contains(SECRET),
            "{what}: the request's secret is shown: {text:?} in {e:?}"
        );
    }
}

/// Every adapter's error mapper on an arbitrary error answer: no panic, and the secret the
/// request carried never shows in the error (even when the body echoes it in a code,
/// message, key or scope).
pub fn error_mappers(data: &[u8]) {
    let Some((status, headers, body)) = error_parts(data) else {
        return;
    };
    let secrets = [SECRET];
    let retry_after = headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(parse_retry_after);
    let response = || {
        let mut detail = VendorDetail::new("fuzz", "fuzz");
        detail.status = Some(status);
        detail.body_excerpt = Some(redact::excerpt(body, &secrets));
        ErrorResponse {
            status,
            headers: &headers,
            body,
            detail,
            retry_after,
            secrets: &secrets,
        }
    };
    assert_hidden("flatfile", &invite_flatfile::parse_error(response()));
    assert_hidden("awork", &invite_awork::parse_error(response()));
    assert_hidden("scim", &invite_scim::parse_error(response()));
    assert_hidden(
        "webflow",
        &invite_webflow::common::classify(&response(), None),
    );
    assert_hidden(
        "webflow (scope)",
        &invite_webflow::common::classify(&response(), Some("users:write")),
    );
    assert_hidden("generic", &response().classify_generic());
    let _ = invite_webflow::site::is_retirement(status, body);
    if let Some(parsed) = invite_webflow::ErrorBody::parse(body) {
        let _ = parsed.message_with_details();
    }
    let _ = invite_webflow::common::missing_scope_in(&String::from_utf8_lossy(body));
    let _ = invite_awork::is_already_member_code(&String::from_utf8_lossy(body));
    for name in ["x-ratelimit-reset", "retry-after"] {
        if let Some(v) = headers.get(name).and_then(|v| v.to_str().ok()) {
            if let Some(d) = parse_reset(v) {
                assert!(d <= Duration::from_secs(86_400), "reset {v:?} -> {d:?}");
            }
            if let Some(d) = parse_retry_after(v) {
                assert!(
                    d <= Duration::from_secs(86_400),
                    "retry-after {v:?} -> {d:?}"
                );
            }
        }
    }
}

/// `Email::parse`: what it accepts has no whitespace or control characters, one `@` with
/// text on both sides, and parses again to the same normalized address.
pub fn email(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let _ = s.parse::<Email>();
    let Ok(e) = Email::parse(s) else {
        return;
    };
    let a = e.as_str();
    assert!(
        !a.chars().any(|c| c.is_control() || c.is_whitespace()),
        "{a:?}"
    );
    let (local, domain) = a.rsplit_once('@').expect("an accepted address has an @");
    assert!(!local.is_empty() && !domain.is_empty(), "{a:?}");
    let again = Email::parse(a).expect("an accepted address parses again");
    assert_eq!(again.normalized(), e.normalized());
    assert_eq!(again, e);
    // The normalized form is itself a valid address that normalizes to itself (fixed after
    // the finding in fuzz/findings/email_normalized_refused: `İ` lower-cases to two chars).
    let lower = Email::parse(e.normalized()).expect("the normalized form parses");
    assert_eq!(lower.normalized(), e.normalized(), "{a:?}");
    assert_eq!(lower, e);
    assert!(!e.domain().is_empty());
}

/// Redaction: a known secret never survives `excerpt`, excerpts are bounded, secret-named
/// JSON values are replaced, and the text helpers never panic.
pub fn redact(data: &[u8]) {
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let n = usize::from(n % 25) + 8;
    if rest.len() < n {
        return;
    }
    let (raw_secret, body) = rest.split_at(n);
    const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_";
    let secret: String = raw_secret
        .iter()
        .map(|b| char::from(ALNUM[usize::from(*b) % ALNUM.len()]))
        .collect();
    let out = redact::excerpt(body, &[secret.as_str()]);
    if !redact::REDACTED.contains(secret.as_str()) {
        assert!(
            !out.contains(&secret),
            "secret {secret:?} survives in {out:?}"
        );
    }
    assert!(
        out.chars().count() <= redact::EXCERPT_LIMIT + 1,
        "{}",
        out.len()
    );

    let text = String::from_utf8_lossy(body);
    let _ = redact::scrub_text(&text);
    let cut = redact::truncate(&text, n);
    assert!(cut.chars().count() <= n + 1);
    let _ = redact::is_sensitive_key(&text);
    if let Ok(mut v) = serde_json::from_slice::<serde_json::Value>(body) {
        redact::redact_json(&mut v);
        assert_no_sensitive_values(&v);
    }
}

fn assert_no_sensitive_values(v: &serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, x) in map {
                if redact::is_sensitive_key(k) && !x.is_null() {
                    assert_eq!(x.as_str(), Some(redact::REDACTED), "{k}: {x}");
                } else {
                    assert_no_sensitive_values(x);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(assert_no_sensitive_values),
        _ => {}
    }
}

/// The Webflow webhook verifier and event parser: arbitrary deliveries never panic and never
/// verify; a delivery signed with the secret verifies, parses exactly like `parse_event`,
/// and stops verifying when its body or timestamp changes.
pub fn webhook(data: &[u8]) {
    use invite_webflow::webhook::{
        SignedRequest, WebhookSecret, WebhookVerifier, parse_event, sign,
    };
    let secret = WebhookSecret::new("whsec_fuzz_secret");
    let verifier = WebhookVerifier::new(secret.clone());
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let now = UNIX_EPOCH + Duration::from_millis(1_767_225_600_000);
    let parsed = parse_event(rest);
    if let Ok(event) = &parsed {
        let _ = format!("{event:?}");
    }
    if mode % 2 == 0 {
        // Arbitrary headers and body: "timestamp\nsignature\nbody".
        let mut parts = rest.splitn(3, |b| *b == b'\n');
        let ts = parts.next().and_then(|p| std::str::from_utf8(p).ok());
        let sig = parts.next().and_then(|p| std::str::from_utf8(p).ok());
        let body = parts.next().unwrap_or_default();
        let req = SignedRequest {
            timestamp: ts,
            signature: sig,
            body,
        };
        let _ = verifier.verify_at(&req, now);
        let _ = verifier.parse_at(&req, now);
        let _ = verifier.verify_at(&req, SystemTime::UNIX_EPOCH);
        let headers = [
            ("X-Webflow-Timestamp", ts.unwrap_or_default()),
            ("x-webflow-signature", sig.unwrap_or_default()),
        ];
        let _ = verifier.verify_at(&SignedRequest::from_headers(headers, body), now);
        return;
    }
    // Signed with the right secret, at `now`.
    let ts = "1767225600000";
    let sig = sign(&secret, ts, rest);
    let req = SignedRequest {
        timestamp: Some(ts),
        signature: Some(&sig),
        body: rest,
    };
    assert!(
        verifier.verify_at(&req, now).is_ok(),
        "a signed delivery fails"
    );
    assert_eq!(
        verifier.parse_at(&req, now).is_ok(),
        parsed.is_ok(),
        "verified parsing differs from parse_event"
    );
    if let Some((first, tail)) = rest.split_first() {
        let mut tampered = vec![first ^ 0x01];
        tampered.extend_from_slice(tail);
        let bad = SignedRequest {
            body: &tampered,
            ..req
        };
        assert!(
            verifier.verify_at(&bad, now).is_err(),
            "a tampered body verifies"
        );
    }
    let later = SignedRequest {
        timestamp: Some("1767225600001"),
        ..req
    };
    assert!(
        verifier.verify_at(&later, now).is_err(),
        "a changed timestamp verifies"
    );
}

/// The adapters' public wire types decode arbitrary JSON without panicking (and what
/// decodes serializes again); timestamps and rate headers parse without panicking; a route
/// parameter is always exactly one path segment.
pub fn wire(data: &[u8]) {
    macro_rules! decode {
        ($($t:ty),* $(,)?) => {$(
            if let Ok(v) = serde_json::from_slice::<$t>(data) {
                let _ = format!("{v:?}");
            }
        )*};
    }
    // What decodes, serializes, and decodes again to the same value.
    macro_rules! round_trip {
        ($($t:ty),* $(,)?) => {$(
            if let Ok(v) = serde_json::from_slice::<$t>(data) {
                let bytes = serde_json::to_vec(&v).expect(concat!(stringify!($t), " serializes"));
                let again: $t = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                    panic!("{} does not decode its own output {}: {e}", stringify!($t), String::from_utf8_lossy(&bytes))
                });
                assert_eq!(again, v, "{} round trip", stringify!($t));
            }
        )*};
    }
    decode!(
        invite_scim::wire::ListResponse,
        invite_scim::wire::ScimError,
        invite_scim::wire::ServiceProviderConfig,
        invite_awork::WorkspaceOfUser,
    );
    // SCIM resources serialize as request bodies (server-assigned fields such as `id` are
    // left out on purpose): they must decode from their own output, not equal it.
    for bytes in [
        serde_json::from_slice::<invite_scim::wire::ScimUser>(data)
            .ok()
            .map(|v| serde_json::to_vec(&v).expect("ScimUser serializes")),
        serde_json::from_slice::<invite_scim::wire::ScimGroup>(data)
            .ok()
            .map(|v| serde_json::to_vec(&v).expect("ScimGroup serializes")),
    ]
    .into_iter()
    .flatten()
    {
        assert!(
            serde_json::from_slice::<invite_scim::wire::ScimUser>(&bytes).is_ok()
                || serde_json::from_slice::<invite_scim::wire::ScimGroup>(&bytes).is_ok(),
            "a SCIM resource does not decode its own output {}",
            String::from_utf8_lossy(&bytes)
        );
    }
    round_trip!(
        invite_flatfile::ActorRole,
        invite_flatfile::Role,
        invite_awork::Role,
        invite_awork::Team,
        invite_webflow::site::AccessGroup,
        invite_webflow::site::AuthorizedUser,
    );
    if let Ok(g) = serde_json::from_slice::<invite_webflow::site::AccessGroup>(data) {
        let _ = g.grant();
    }
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let _ = invite_core::parse_timestamp(s);
    let _ = parse_retry_after(s);
    let _ = parse_reset(s);
    let _ = invite_webflow::common::missing_scope_in(s);
    match Request::get("/users/{}").segment(s).path() {
        Ok(path) => {
            let seg = path
                .strip_prefix("/users/")
                .expect("the route's prefix stays");
            assert!(
                !seg.is_empty()
                    && !seg.contains(['/', '?', '#'])
                    && seg != "."
                    && seg != ".."
                    && !seg.chars().any(|c| c.is_control() || c.is_whitespace()),
                "{s:?} -> {path:?}"
            );
        }
        Err(e) => assert!(matches!(e, Error::InvalidInput { .. }), "{e:?}"),
    }
}
