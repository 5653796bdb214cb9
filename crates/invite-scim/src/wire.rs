//! SCIM 2.0 messages exactly as they travel (RFC 7643 resources, RFC 7644 messages), read
//! leniently: unknown attributes are ignored, every attribute is optional, ids may be any
//! string (or a number), booleans may arrive as `"True"`/`"false"` strings and counters as
//! strings, `null` stands for "absent" everywhere.

use std::collections::BTreeMap;

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Core User schema URN.
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// Core Group schema URN.
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// ListResponse message URN.
pub const LIST_RESPONSE_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
/// PatchOp message URN.
pub const PATCH_OP_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/// Error message URN.
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
/// The SCIM media type (RFC 7644 §3.1), sent as `Content-Type` of every body.
pub const SCIM_MEDIA_TYPE: &str = "application/scim+json";
/// The `Accept` header sent with every request.
pub const ACCEPT: &str = "application/scim+json, application/json";

/// A SCIM User (request and response). Only the attributes this adapter reads or writes
/// are named; the whole resource is kept in [`invite_core::User::raw`].
#[non_exhaustive]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ScimUser {
    /// Schema URNs (sent: the core User URN).
    #[serde(deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
    pub schemas: Vec<String>,
    /// Server-assigned id; never sent.
    #[serde(deserialize_with = "lenient", skip_serializing)]
    pub id: Option<String>,
    /// The unique login name; this adapter uses the email address as typed.
    #[serde(deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    /// Name parts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<Name>,
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Whether the account is active (`true`, `false`, or loose `"True"`/`"False"`).
    #[serde(deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// Email addresses.
    #[serde(deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
    pub emails: Vec<MultiValue>,
    /// Groups the user belongs to (read-only; many servers never fill it). `None` when the
    /// attribute is absent, which is not the same as "no groups".
    #[serde(skip_serializing)]
    pub groups: Option<Vec<MemberRef>>,
    /// Resource metadata; never sent.
    #[serde(skip_serializing)]
    pub meta: Option<Meta>,
    /// Every other attribute, as received or to be sent (for the adapter: the string
    /// attributes of [`crate::ATTRIBUTES`], such as `externalId`, `title` or `locale`).
    #[serde(flatten)]
    pub attributes: BTreeMap<String, Value>,
}

impl ScimUser {
    /// A user resource with `userName` set and `schemas` = the core User URN.
    pub fn new(user_name: impl Into<String>) -> Self {
        Self {
            schemas: vec![USER_SCHEMA.to_owned()],
            user_name: Some(user_name.into()),
            ..Self::default()
        }
    }
}

/// The `name` complex attribute.
#[non_exhaustive]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Name {
    /// Full name, formatted for display.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub formatted: Option<String>,
    /// Family name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    /// Given name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
}

/// An entry of a multi-valued attribute (RFC 7643 §2.4): an email in `User.emails`, a member
/// in `Group.members`, a group in `User.groups`.
#[non_exhaustive]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MultiValue {
    /// The value: the address, or the referenced resource's id.
    #[serde(deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// `work`, `home`, `other`, `User`, `Group`, `direct`, `indirect`, …
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Whether this is the primary value.
    #[serde(deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub primary: Option<bool>,
    /// Display text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
    /// The referenced resource's URI.
    #[serde(rename = "$ref", skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

impl MultiValue {
    /// A primary work email.
    pub fn work_email(address: impl Into<String>) -> Self {
        Self {
            value: Some(address.into()),
            kind: Some("work".to_owned()),
            primary: Some(true),
            ..Self::default()
        }
    }

    /// A reference carrying only the id (what PATCH `add members` sends).
    pub fn id(id: impl Into<String>) -> Self {
        Self {
            value: Some(id.into()),
            ..Self::default()
        }
    }
}

/// A reference to a user (in `Group.members`) or a group (in `User.groups`).
pub type MemberRef = MultiValue;

/// Resource metadata: what the adapter reads of it.
#[non_exhaustive]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Meta {
    /// Creation time (RFC 3339).
    pub created: Option<String>,
    /// Last modification time (RFC 3339).
    pub last_modified: Option<String>,
    /// The version (an ETag such as `W/"7"`).
    #[serde(deserialize_with = "lenient")]
    pub version: Option<String>,
}

/// A SCIM Group.
#[non_exhaustive]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ScimGroup {
    /// Schema URNs.
    #[serde(deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
    pub schemas: Vec<String>,
    /// Server-assigned id.
    #[serde(deserialize_with = "lenient", skip_serializing)]
    pub id: Option<String>,
    /// Display name (not necessarily unique).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Members (users or groups), by id.
    #[serde(deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<MemberRef>,
    /// Metadata.
    #[serde(skip_serializing)]
    pub meta: Option<Meta>,
    /// Every other attribute (`externalId`, extensions, …), as received or to be sent.
    #[serde(flatten)]
    pub attributes: BTreeMap<String, Value>,
}

impl ScimGroup {
    /// True when `user_id` is a member.
    pub fn has_member(&self, user_id: &str) -> bool {
        self.members
            .iter()
            .any(|m| m.value.as_deref() == Some(user_id))
    }
}

/// A ListResponse. `Resources` is kept as raw JSON so each resource's payload survives.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ListResponse {
    /// Matches in total.
    #[serde(deserialize_with = "lenient")]
    pub total_results: Option<u64>,
    /// Resources on this page (some servers leave it out).
    #[serde(deserialize_with = "lenient")]
    pub items_per_page: Option<u64>,
    /// 1-based index of the first resource on this page.
    #[serde(deserialize_with = "lenient")]
    pub start_index: Option<u64>,
    /// The resources (`Resources`; some servers send `resources`).
    #[serde(
        rename = "Resources",
        alias = "resources",
        deserialize_with = "nullable"
    )]
    pub resources: Vec<Value>,
}

/// A PatchOp request.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PatchOp {
    /// `[PatchOp URN]`.
    pub schemas: [&'static str; 1],
    /// The operations, applied atomically in order.
    #[serde(rename = "Operations")]
    pub operations: Vec<PatchOperation>,
}

impl PatchOp {
    /// A PatchOp with these operations.
    pub fn new(operations: Vec<PatchOperation>) -> Self {
        Self {
            schemas: [PATCH_OP_SCHEMA],
            operations,
        }
    }
}

/// One PATCH operation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PatchOperation {
    /// `add`, `remove` or `replace`.
    pub op: &'static str,
    /// The attribute path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The value (absent for `remove`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
}

impl PatchOperation {
    fn new(op: &'static str, path: impl Into<String>, value: Option<Value>) -> Self {
        Self {
            op,
            path: Some(path.into()),
            value,
        }
    }
    /// `{op: "replace", path, value}`.
    pub fn replace(path: impl Into<String>, value: Value) -> Self {
        Self::new("replace", path, Some(value))
    }
    /// `{op: "add", path, value}`.
    pub fn add(path: impl Into<String>, value: Value) -> Self {
        Self::new("add", path, Some(value))
    }
    /// `{op: "remove", path}`.
    pub fn remove(path: impl Into<String>) -> Self {
        Self::new("remove", path, None)
    }
}

/// An RFC 7644 §3.12 error body. `status` is a string on the wire (`"409"`); numbers are
/// accepted too.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ScimError {
    /// The HTTP status as the server wrote it.
    #[serde(deserialize_with = "lenient")]
    pub status: Option<String>,
    /// `uniqueness`, `invalidFilter`, `invalidValue`, `invalidSyntax`, `invalidPath`,
    /// `noTarget`, `mutability`, `tooMany`, `sensitive`, `invalidVers`.
    pub scim_type: Option<String>,
    /// Human-readable detail.
    pub detail: Option<String>,
}

/// One feature of the ServiceProviderConfig (`patch`, `bulk`, `filter`, `sort`, …): whether
/// it is supported and, for `bulk` and `filter`, its limits.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Feature {
    /// Whether the feature is supported.
    #[serde(deserialize_with = "lenient")]
    pub supported: Option<bool>,
    /// `bulk`: largest number of operations.
    #[serde(deserialize_with = "lenient")]
    pub max_operations: Option<u64>,
    /// `bulk`: largest payload in bytes.
    #[serde(deserialize_with = "lenient")]
    pub max_payload_size: Option<u64>,
    /// `filter`: largest number of resources returned.
    #[serde(deserialize_with = "lenient")]
    pub max_results: Option<u64>,
}

/// `GET /ServiceProviderConfig` (RFC 7643 §5).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ServiceProviderConfig {
    /// PATCH support.
    pub patch: Option<Feature>,
    /// Bulk support and limits.
    pub bulk: Option<Feature>,
    /// Filter support and `maxResults`.
    pub filter: Option<Feature>,
    /// Password changes.
    pub change_password: Option<Feature>,
    /// Sorting.
    pub sort: Option<Feature>,
    /// ETags.
    pub etag: Option<Feature>,
    /// Authentication schemes, as sent.
    #[serde(deserialize_with = "nullable")]
    pub authentication_schemes: Vec<Value>,
    /// Documentation link.
    pub documentation_uri: Option<String>,
}

/// `attr eq "value"` with `"` and `\` escaped inside the quotes (RFC 7644 §3.4.2.2: the
/// value is a JSON string). The query builder URL-encodes the result.
pub fn eq_filter(attribute: &str, value: &str) -> String {
    format!("{attribute} eq {}", quoted(value))
}

/// `members[value eq "ID"]`, the RFC path for one member.
pub fn member_path(user_id: &str) -> String {
    format!("members[value eq {}]", quoted(user_id))
}

/// `value` as a JSON string literal: quotes, backslashes and control characters escaped.
fn quoted(value: &str) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| format!("\"{value}\""))
}

fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A scalar read leniently: what it is called in errors, and how it is read from the JSON
/// types servers send for it (`None` when the value is not one of them).
trait Lenient: Sized {
    const WHAT: &'static str;
    fn read(value: &Value) -> Option<Option<Self>>;
}

/// Ids and strings: numbers and booleans are taken as their text.
impl Lenient for String {
    const WHAT: &'static str = "a string";
    fn read(value: &Value) -> Option<Option<Self>> {
        match value {
            Value::String(s) => Some(Some(s.clone())),
            Value::Number(_) | Value::Bool(_) => Some(Some(value.to_string())),
            _ => None,
        }
    }
}

/// Booleans: also `"True"`/`"false"`/`"1"`/`"no"` (an empty string is absent) and numbers.
impl Lenient for bool {
    const WHAT: &'static str = "a boolean";
    fn read(value: &Value) -> Option<Option<Self>> {
        match value {
            Value::Bool(b) => Some(Some(*b)),
            Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => Some(Some(true)),
                "false" | "0" | "no" => Some(Some(false)),
                "" => Some(None),
                _ => None,
            },
            Value::Number(n) => Some(n.as_u64().map(|n| n != 0)),
            _ => None,
        }
    }
}

/// Counters: also strings of digits, and non-negative floats (truncated).
impl Lenient for u64 {
    const WHAT: &'static str = "a count";
    fn read(value: &Value) -> Option<Option<Self>> {
        match value {
            Value::Number(n) => Some(n.as_u64().or_else(|| {
                n.as_f64()
                    .filter(|f| f.is_finite() && *f >= 0.0)
                    .map(|f| f as u64)
            })),
            Value::String(s) => s.trim().parse().ok().map(Some),
            _ => None,
        }
    }
}

/// `null` and absence are `None`; anything else is read by [`Lenient::read`].
fn lenient<'de, D: Deserializer<'de>, T: Lenient>(d: D) -> Result<Option<T>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(v) => {
            T::read(&v).ok_or_else(|| de::Error::custom(format!("expected {}, got {v}", T::WHAT)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lenient_user() {
        let u: ScimUser = serde_json::from_value(json!({
            "id": 42, "userName": "a@b.co", "active": "False", "emails": null,
            "name": {"givenName": "A", "middleName": "x"}, "unknown": [1],
            "meta": {"version": "W/\"3\"", "created": "2024-01-01T00:00:00Z"}
        }))
        .unwrap();
        assert_eq!(u.id.as_deref(), Some("42"));
        assert_eq!(u.active, Some(false));
        assert!(u.emails.is_empty());
        assert!(u.groups.is_none());
        let u: ScimUser = serde_json::from_value(json!({"active": "True", "groups": []})).unwrap();
        assert_eq!(u.active, Some(true));
        assert_eq!(u.groups, Some(vec![]));
    }

    #[test]
    fn filters_escape() {
        assert_eq!(eq_filter("userName", "a@b.co"), r#"userName eq "a@b.co""#);
        assert_eq!(
            eq_filter("userName", r#"a"b\c"#),
            r#"userName eq "a\"b\\c""#
        );
        assert_eq!(member_path("u\"1"), r#"members[value eq "u\"1"]"#);
    }

    #[test]
    fn list_counts_as_strings() {
        let l: ListResponse = serde_json::from_value(json!({
            "totalResults": "3", "startIndex": 1, "resources": [{}]
        }))
        .unwrap();
        assert_eq!(l.total_results, Some(3));
        assert_eq!(l.items_per_page, None);
        assert_eq!(l.resources.len(), 1);
    }
}
