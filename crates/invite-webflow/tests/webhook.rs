//! Webhook signature verification and user-account event parsing.

#![cfg(test)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use invite_core::UserStatus;
use invite_webflow::webhook::{
    SignedRequest, UserEventKind, WebhookError, WebhookSecret, WebhookVerifier, parse_event, sign,
};

const SECRET: &str = "whsec_0123456789abcdef";
/// 2026-01-01T00:00:00Z.
const NOW_SECS: u64 = 1_767_225_600;

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(NOW_SECS)
}

fn secret() -> WebhookSecret {
    WebhookSecret::new(SECRET)
}

fn verifier() -> WebhookVerifier {
    WebhookVerifier::new(secret())
}

const BODY: &str = r#"{"triggerType":"user_account_added","payload":{"id":"6287ec36a841b25637c663df","isEmailVerified":false,"lastUpdated":"2022-05-20T13:46:12.093Z","invitedOn":"2022-05-20T13:46:12.093Z","createdOn":"2022-05-20T13:46:12.093Z","lastLogin":null,"status":"invited","accessGroups":[{"slug":"webflowers","type":"admin"}],"data":{"accept-privacy":true,"accept-communications":false,"email":"Some.One@home.com","name":"Some One"}}}"#;

fn request<'a>(ts: &'a str, sig: &'a str, body: &'a [u8]) -> SignedRequest<'a> {
    SignedRequest::from_headers(
        [
            ("X-Webflow-Timestamp", ts),
            ("x-webflow-signature", sig),
            ("content-type", "application/json"),
        ],
        body,
    )
}

#[test]
fn signature_is_hmac_sha256_hex_over_timestamp_colon_body() {
    // Independent reference value: computed with
    // `printf '%s' '1767225600000:{"a":1}' | openssl dgst -sha256 -hmac 'whsec_0123456789abcdef'`.
    let sig = sign(&secret(), "1767225600000", br#"{"a":1}"#);
    assert_eq!(sig.len(), 64);
    assert!(
        sig.chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );
    assert_eq!(
        sig,
        "d7d414efa8d99285605b6dfb72b3703358d841d7e7734731bcd4741c3c18c1e5"
    );
    let ts = "1767225600000";
    verifier()
        .verify_at(
            &request(ts, &sig, br#"{"a":1}"#),
            UNIX_EPOCH + Duration::from_millis(1_767_225_600_000),
        )
        .unwrap();
}

#[test]
fn valid_signature_in_milliseconds_and_seconds_is_accepted() {
    for ts in [
        (NOW_SECS * 1000 - 30_000).to_string(),
        (NOW_SECS - 30).to_string(),
    ] {
        let sig = sign(&secret(), &ts, BODY.as_bytes());
        let event = verifier()
            .parse_at(&request(&ts, &sig, BODY.as_bytes()), now())
            .unwrap_or_else(|e| panic!("{ts}: {e}"));
        assert_eq!(event.kind, UserEventKind::Added);
        assert_eq!(event.trigger_type, "user_account_added");
        assert_eq!(event.user.id.as_str(), "6287ec36a841b25637c663df");
        assert_eq!(
            event.user.email.as_ref().unwrap().as_str(),
            "Some.One@home.com"
        );
        assert_eq!(event.user.name.full().as_deref(), Some("Some One"));
        assert_eq!(event.user.status, UserStatus::Invited);
        assert_eq!(event.accept_privacy, Some(true));
        assert_eq!(event.accept_communications, Some(false));
        assert!(event.user.created_at.is_some());
    }
}

#[test]
fn uppercase_hex_signature_is_accepted() {
    let ts = NOW_SECS.to_string();
    let sig = sign(&secret(), &ts, BODY.as_bytes()).to_uppercase();
    verifier()
        .verify_at(&request(&ts, &sig, BODY.as_bytes()), now())
        .unwrap();
}

#[test]
fn wrong_secret_is_rejected() {
    let ts = NOW_SECS.to_string();
    let sig = sign(&WebhookSecret::new("another secret"), &ts, BODY.as_bytes());
    assert_eq!(
        verifier().verify_at(&request(&ts, &sig, BODY.as_bytes()), now()),
        Err(WebhookError::BadSignature)
    );
}

#[test]
fn tampered_body_or_timestamp_is_rejected() {
    let ts = NOW_SECS.to_string();
    let sig = sign(&secret(), &ts, BODY.as_bytes());
    let tampered = BODY.replace("Some.One@home.com", "attacker@evil.com");
    assert_eq!(
        verifier().verify_at(&request(&ts, &sig, tampered.as_bytes()), now()),
        Err(WebhookError::BadSignature)
    );
    // Whitespace counts: the raw bytes are signed, not the parsed JSON.
    let reformatted = format!("{BODY} ");
    assert_eq!(
        verifier().verify_at(&request(&ts, &sig, reformatted.as_bytes()), now()),
        Err(WebhookError::BadSignature)
    );
    let other_ts = (NOW_SECS - 1).to_string();
    assert_eq!(
        verifier().verify_at(&request(&other_ts, &sig, BODY.as_bytes()), now()),
        Err(WebhookError::BadSignature)
    );
}

#[test]
fn stale_and_future_timestamps_are_rejected() {
    let stale = (NOW_SECS - 301).to_string();
    let sig = sign(&secret(), &stale, BODY.as_bytes());
    assert!(matches!(
        verifier().verify_at(&request(&stale, &sig, BODY.as_bytes()), now()),
        Err(WebhookError::Stale(age)) if age == Duration::from_secs(301)
    ));
    let stale_ms = ((NOW_SECS - 600) * 1000).to_string();
    let sig = sign(&secret(), &stale_ms, BODY.as_bytes());
    assert!(matches!(
        verifier().verify_at(&request(&stale_ms, &sig, BODY.as_bytes()), now()),
        Err(WebhookError::Stale(_))
    ));
    let future = (NOW_SECS + 600).to_string();
    let sig = sign(&secret(), &future, BODY.as_bytes());
    assert!(matches!(
        verifier().verify_at(&request(&future, &sig, BODY.as_bytes()), now()),
        Err(WebhookError::FromFuture(ahead)) if ahead == Duration::from_secs(600)
    ));
    // Within the tolerance both ways; a wider tolerance accepts the stale one.
    let edge = (NOW_SECS - 299).to_string();
    let sig = sign(&secret(), &edge, BODY.as_bytes());
    verifier()
        .verify_at(&request(&edge, &sig, BODY.as_bytes()), now())
        .unwrap();
    let sig = sign(&secret(), &stale, BODY.as_bytes());
    verifier()
        .with_tolerance(Duration::from_secs(600))
        .verify_at(&request(&stale, &sig, BODY.as_bytes()), now())
        .unwrap();
    // `verify` uses the system clock: a delivery stamped now passes.
    let real_now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis()
        .to_string();
    let sig = sign(&secret(), &real_now, BODY.as_bytes());
    verifier()
        .verify(&request(&real_now, &sig, BODY.as_bytes()))
        .unwrap();
}

#[test]
fn missing_headers_are_rejected() {
    let ts = NOW_SECS.to_string();
    let sig = sign(&secret(), &ts, BODY.as_bytes());
    let only_sig =
        SignedRequest::from_headers([("x-webflow-signature", sig.as_str())], BODY.as_bytes());
    assert_eq!(
        verifier().verify_at(&only_sig, now()),
        Err(WebhookError::MissingHeader("x-webflow-timestamp"))
    );
    let only_ts =
        SignedRequest::from_headers([("x-webflow-timestamp", ts.as_str())], BODY.as_bytes());
    assert_eq!(
        verifier().verify_at(&only_ts, now()),
        Err(WebhookError::MissingHeader("x-webflow-signature"))
    );
    assert_eq!(
        verifier().verify_at(&request(&ts, "  ", BODY.as_bytes()), now()),
        Err(WebhookError::MissingHeader("x-webflow-signature"))
    );
}

#[test]
fn malformed_signature_and_timestamp_are_rejected() {
    let ts = NOW_SECS.to_string();
    let sig = sign(&secret(), &ts, BODY.as_bytes());
    let non_hex = format!("{}zz", &sig[..62]);
    assert_eq!(
        verifier().verify_at(&request(&ts, &non_hex, BODY.as_bytes()), now()),
        Err(WebhookError::MalformedSignature)
    );
    assert_eq!(
        verifier().verify_at(&request(&ts, &sig[..32], BODY.as_bytes()), now()),
        Err(WebhookError::MalformedSignature)
    );
    assert_eq!(
        verifier().verify_at(
            &request(&ts, &format!("sha256={sig}"), BODY.as_bytes()),
            now()
        ),
        Err(WebhookError::MalformedSignature)
    );
    for bad_ts in ["yesterday", "-5", "1.5e9", "99999999999999999999999"] {
        let sig = sign(&secret(), bad_ts, BODY.as_bytes());
        assert_eq!(
            verifier().verify_at(&request(bad_ts, &sig, BODY.as_bytes()), now()),
            Err(WebhookError::MalformedTimestamp),
            "{bad_ts}"
        );
    }
}

#[test]
fn event_names_of_both_sources_and_payload_variants() {
    for (trigger, kind) in [
        ("user_account_added", UserEventKind::Added),
        ("user_account_updated", UserEventKind::Updated),
        ("user_account_deleted", UserEventKind::Deleted),
        ("memberships_user_account_added", UserEventKind::Added),
        ("memberships_user_account_updated", UserEventKind::Updated),
        ("memberships_user_account_deleted", UserEventKind::Deleted),
    ] {
        let body = format!(
            r#"{{"triggerType":"{trigger}","payload":{{"id":"u1","status":"verified","data":{{"email":"a@example.com","accept-privacy-policy":true}}}}}}"#
        );
        let e = parse_event(body.as_bytes()).unwrap();
        assert_eq!(e.kind, kind, "{trigger}");
        assert_eq!(e.user.status, UserStatus::Active);
        assert_eq!(
            e.accept_privacy,
            Some(true),
            "accept-privacy-policy is read"
        );
    }
    // A deleted event may carry only the id; nested `data.data` is read too.
    let e =
        parse_event(br#"{"triggerType":"user_account_deleted","payload":{"id":"u9"}}"#).unwrap();
    assert_eq!(e.user.id.as_str(), "u9");
    assert!(e.user.email.is_none());
    let e = parse_event(br#"{"triggerType":"user_account_updated","payload":{"id":"u9","data":{"data":{"email":"n@example.com"}}}}"#).unwrap();
    assert_eq!(e.user.email.unwrap().as_str(), "n@example.com");
    for bad in [
        &br#"{"triggerType":"form_submission","payload":{"id":"u1"}}"#[..],
        br#"{"triggerType":"memberships_user_session_login","payload":{"id":"u1"}}"#,
        br#"{"payload":{"id":"u1"}}"#,
        br#"{"triggerType":"user_account_added"}"#,
        br#"{"triggerType":"user_account_added","payload":{"status":"invited"}}"#,
        b"not json",
    ] {
        assert!(
            matches!(parse_event(bad), Err(WebhookError::Payload(_))),
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
}

#[test]
fn secret_never_shows() {
    let v = verifier();
    let shown = format!("{v:?} {:?}", secret());
    assert!(!shown.contains(SECRET), "{shown}");
    let err = v.verify_at(&request("1", "00", b"{}"), now()).unwrap_err();
    assert!(!format!("{err} {err:?}").contains(SECRET));
}
