//! Webflow user-account webhooks: signature verification and event parsing.
//!
//! Webflow signs each delivery with two headers: `x-webflow-timestamp` and
//! `x-webflow-signature` = lowercase hex of HMAC-SHA256, keyed with the secret's UTF-8
//! bytes, over `"{timestamp}:{raw body}"`. The secret is the one generated when the webhook
//! was created, or the OAuth client secret for app-created webhooks. Always verify the
//! **exact bytes received**: re-serialising parsed JSON breaks the signature.
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use invite_webflow::webhook::{SignedRequest, UserEventKind, WebhookSecret, WebhookVerifier, sign};
//!
//! let secret = WebhookSecret::new("whsec_test");
//! let body = br#"{"triggerType":"user_account_added","payload":{"id":"u1","status":"invited","data":{"email":"ada@example.com","accept-privacy":true}}}"#;
//! let timestamp = "1767225600000"; // milliseconds
//! let signature = sign(&secret, timestamp, body);
//!
//! let request = SignedRequest::from_headers(
//!     [("X-Webflow-Timestamp", timestamp), ("x-webflow-signature", signature.as_str())],
//!     body,
//! );
//! let now = UNIX_EPOCH + Duration::from_millis(1_767_225_630_000);
//! let event = WebhookVerifier::new(secret).parse_at(&request, now)?;
//! assert_eq!(event.kind, UserEventKind::Added);
//! assert_eq!(event.user.email.unwrap().as_str(), "ada@example.com");
//! assert_eq!(event.accept_privacy, Some(true));
//! # Ok::<(), invite_webflow::webhook::WebhookError>(())
//! ```

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use invite_core::{Capabilities, ProviderInfo, User};
use secrecy::ExposeSecret;
use serde_json::Value;
use sha2::Sha256;

use crate::site::wire::{to_user, user_fields};

type HmacSha256 = Hmac<Sha256>;

/// The timestamp header.
pub const TIMESTAMP_HEADER: &str = "x-webflow-timestamp";
/// The signature header.
pub const SIGNATURE_HEADER: &str = "x-webflow-signature";
/// How old (or how far ahead) a delivery may be: 5 minutes.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(5 * 60);

/// Timestamps at or above this are read as milliseconds, below as seconds.
///
/// The unit of `x-webflow-timestamp` is not documented
/// (docs/vendors/webflow-site.md#oq-webhook-timestamp-unit): the SDK only concatenates it.
/// 10^11 seconds is the year 5138 and 10^11 milliseconds is March 1973, so the magnitude
/// tells the two apart for any real delivery.
const MILLIS_THRESHOLD: u64 = 100_000_000_000;

invite_core::secret_type! {
    /// The webhook signing secret. Redacted in `Debug`; no `Display`.
    pub struct WebhookSecret;
}

/// Why a delivery was rejected.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// A signature header is missing or empty.
    #[error("webhook header `{0}` is missing")]
    MissingHeader(&'static str),
    /// The timestamp is not a whole number.
    #[error("webhook timestamp is not a whole number of seconds or milliseconds")]
    MalformedTimestamp,
    /// The signature is not 64 hex digits.
    #[error("webhook signature is not a hex-encoded SHA-256 HMAC")]
    MalformedSignature,
    /// The signature does not match the body and timestamp.
    #[error("webhook signature does not match")]
    BadSignature,
    /// The delivery is older than the tolerance.
    #[error("webhook timestamp is {0:?} old (tolerance exceeded)")]
    Stale(Duration),
    /// The delivery's timestamp is further in the future than the tolerance.
    #[error("webhook timestamp is {0:?} in the future (tolerance exceeded)")]
    FromFuture(Duration),
    /// The body is not a user-account event.
    #[error("webhook payload: {0}")]
    Payload(String),
}

/// The parts of a delivery that verification reads.
#[derive(Clone, Copy, Debug)]
pub struct SignedRequest<'a> {
    /// `x-webflow-timestamp`.
    pub timestamp: Option<&'a str>,
    /// `x-webflow-signature`.
    pub signature: Option<&'a str>,
    /// The raw body, exactly as received.
    pub body: &'a [u8],
}

impl<'a> SignedRequest<'a> {
    /// Picks the two headers out of `headers` (names compared case-insensitively).
    pub fn from_headers<I>(headers: I, body: &'a [u8]) -> Self
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        let mut req = SignedRequest {
            timestamp: None,
            signature: None,
            body,
        };
        for (name, value) in headers {
            if name.eq_ignore_ascii_case(TIMESTAMP_HEADER) {
                req.timestamp = Some(value);
            } else if name.eq_ignore_ascii_case(SIGNATURE_HEADER) {
                req.signature = Some(value);
            }
        }
        req
    }
}

/// Signs `body` as Webflow does (lowercase hex HMAC-SHA256 over `"{timestamp}:{body}"`),
/// for tests and local tooling that send signed payloads.
pub fn sign(secret: &WebhookSecret, timestamp: &str, body: &[u8]) -> String {
    mac(secret, timestamp, body)
        .map(|m| hex::encode(m.finalize().into_bytes()))
        .unwrap_or_default()
}

/// The MAC over `"{timestamp}:{body}"`. HMAC accepts keys of any length, so this is only
/// `None` if that ever stopped being true (a verification then fails, never passes).
fn mac(secret: &WebhookSecret, timestamp: &str, body: &[u8]) -> Option<HmacSha256> {
    let mut mac = <HmacSha256 as Mac>::new_from_slice(secret.0.expose_secret().as_bytes()).ok()?;
    mac.update(timestamp.as_bytes());
    mac.update(b":");
    mac.update(body);
    Some(mac)
}

/// Verifies signed deliveries and parses user-account events.
#[derive(Clone, Debug)]
pub struct WebhookVerifier {
    secret: WebhookSecret,
    tolerance: Duration,
}

impl WebhookVerifier {
    /// A verifier with the default 5-minute tolerance.
    pub fn new(secret: WebhookSecret) -> Self {
        Self {
            secret,
            tolerance: DEFAULT_TOLERANCE,
        }
    }

    /// Sets how old (or how far ahead) a delivery may be.
    pub fn with_tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// Verifies a delivery against the current time.
    pub fn verify(&self, request: &SignedRequest<'_>) -> Result<(), WebhookError> {
        self.verify_at(request, SystemTime::now())
    }

    /// Verifies a delivery as of `now`: both headers present, the signature matches
    /// (compared in constant time), and the timestamp is within the tolerance of `now`.
    pub fn verify_at(
        &self,
        request: &SignedRequest<'_>,
        now: SystemTime,
    ) -> Result<(), WebhookError> {
        let timestamp = request
            .timestamp
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or(WebhookError::MissingHeader(TIMESTAMP_HEADER))?;
        let signature = request
            .signature
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or(WebhookError::MissingHeader(SIGNATURE_HEADER))?;
        let sent_at = parse_timestamp(timestamp)?;
        let expected_len = 2 * <Sha256 as sha2::digest::OutputSizeUser>::output_size();
        if signature.len() != expected_len {
            return Err(WebhookError::MalformedSignature);
        }
        let given = hex::decode(signature).map_err(|_| WebhookError::MalformedSignature)?;
        mac(&self.secret, timestamp, request.body)
            .ok_or(WebhookError::BadSignature)?
            .verify_slice(&given)
            .map_err(|_| WebhookError::BadSignature)?;
        match now.duration_since(sent_at) {
            Ok(age) if age > self.tolerance => Err(WebhookError::Stale(age)),
            Ok(_) => Ok(()),
            Err(ahead) if ahead.duration() > self.tolerance => {
                Err(WebhookError::FromFuture(ahead.duration()))
            }
            Err(_) => Ok(()),
        }
    }

    /// Verifies a delivery and parses its user-account event.
    pub fn parse(&self, request: &SignedRequest<'_>) -> Result<UserEvent, WebhookError> {
        self.parse_at(request, SystemTime::now())
    }

    /// [`WebhookVerifier::parse`] as of `now`.
    pub fn parse_at(
        &self,
        request: &SignedRequest<'_>,
        now: SystemTime,
    ) -> Result<UserEvent, WebhookError> {
        self.verify_at(request, now)?;
        parse_event(request.body)
    }
}

/// Reads the timestamp header: whole seconds or milliseconds since the epoch, told apart by
/// magnitude (see [`MILLIS_THRESHOLD`]).
fn parse_timestamp(value: &str) -> Result<SystemTime, WebhookError> {
    let n: u64 = value
        .parse()
        .map_err(|_| WebhookError::MalformedTimestamp)?;
    let since_epoch = if n >= MILLIS_THRESHOLD {
        Duration::from_millis(n)
    } else {
        Duration::from_secs(n)
    };
    UNIX_EPOCH
        .checked_add(since_epoch)
        .ok_or(WebhookError::MalformedTimestamp)
}

/// What happened to the user account.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserEventKind {
    /// `user_account_added` (third-party guide: `memberships_user_account_added`).
    Added,
    /// `user_account_updated` (third-party guide: `memberships_user_account_updated`).
    Updated,
    /// `user_account_deleted` (third-party guide: `memberships_user_account_deleted`).
    Deleted,
}

impl UserEventKind {
    /// Reads a trigger type: the SDK's names and the `memberships_` names a third-party
    /// guide uses (unconfirmed, docs/vendors/webflow-site.md#oq-webhook-trigger-names) are
    /// both accepted.
    pub fn from_trigger(trigger: &str) -> Option<Self> {
        let t = trigger.trim();
        let t = t.strip_prefix("memberships_").unwrap_or(t);
        match t {
            "user_account_added" => Some(Self::Added),
            "user_account_updated" => Some(Self::Updated),
            "user_account_deleted" => Some(Self::Deleted),
            _ => None,
        }
    }
}

/// A user-account webhook event.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq)]
pub struct UserEvent {
    /// What happened.
    pub kind: UserEventKind,
    /// The trigger type as sent.
    pub trigger_type: String,
    /// The account, normalized (the payload is in `user.raw`).
    pub user: User,
    /// `accept-privacy` (the payload type spells it `accept-privacy-policy`; both read).
    pub accept_privacy: Option<bool>,
    /// `accept-communications`.
    pub accept_communications: Option<bool>,
}

/// Parses a user-account event body (`{triggerType, payload: User}`, flat `data`). Does not
/// verify anything: use [`WebhookVerifier::parse`] for deliveries.
pub fn parse_event(body: &[u8]) -> Result<UserEvent, WebhookError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| WebhookError::Payload(format!("not JSON: {e}")))?;
    let trigger = value
        .get("triggerType")
        .and_then(Value::as_str)
        .ok_or_else(|| WebhookError::Payload("no `triggerType`".into()))?
        .to_owned();
    let kind = UserEventKind::from_trigger(&trigger)
        .ok_or_else(|| WebhookError::Payload(format!("`{trigger}` is not a user-account event")))?;
    let payload = value
        .get("payload")
        .filter(|p| p.is_object())
        .cloned()
        .ok_or_else(|| WebhookError::Payload("no `payload` object".into()))?;
    let fields = user_fields(payload.get("data"));
    let flag = |keys: &[&str]| {
        keys.iter()
            .find_map(|k| fields.and_then(|f| f.get(*k)).and_then(Value::as_bool))
    };
    let accept_privacy = flag(&["accept-privacy", "accept-privacy-policy"]);
    let accept_communications = flag(&["accept-communications"]);
    let info = ProviderInfo::new("webflow-webhook", "", Capabilities::NONE);
    let user =
        to_user(payload, &info, "webhook").map_err(|e| WebhookError::Payload(e.to_string()))?;
    Ok(UserEvent {
        kind,
        trigger_type: trigger,
        user,
        accept_privacy,
        accept_communications,
    })
}
