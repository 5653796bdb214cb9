//! SCIM 2.0 messages exactly as they travel (RFC 7643 resources, RFC 7644 messages), read
//! leniently: unknown attributes are ignored, every attribute is optional, ids may be any
//! string (or a number), booleans may arrive as `"True"`/`"false"` strings and counters as
//! strings, `null` stands for "absent" everywhere.
//!
//! Resources read back from a server are kept whole as JSON ([`invite_core::User::raw`]);
//! the adapter reads them through crate-private views (`UserView`, `GroupView`) that
//! borrow their strings from that value instead of copying them. The public [`ScimUser`]
//! and [`ScimGroup`] stay owned: they are also request bodies.

use invite_core::de::{BorrowedStr, opt_str};
use std::borrow::Cow;
use std::fmt;

use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::{Number, Value};

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
#[serde(rename_all = "camelCase")]
pub struct ScimUser {
    /// Schema URNs (sent: the core User URN).
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub schemas: Vec<String>,
    /// Server-assigned id; never sent.
    #[serde(default, deserialize_with = "lenient_string", skip_serializing)]
    pub id: Option<String>,
    /// The identity provider's id for the person.
    #[serde(
        default,
        deserialize_with = "lenient_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub external_id: Option<String>,
    /// The unique login name; this adapter uses the email address as typed.
    #[serde(
        default,
        deserialize_with = "lenient_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub user_name: Option<String>,
    /// Name parts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Name>,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Nickname.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nick_name: Option<String>,
    /// Title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// User type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_type: Option<String>,
    /// Preferred language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_language: Option<String>,
    /// Locale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Time zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// Whether the account is active (`true`, `false`, or loose `"True"`/`"False"`).
    #[serde(
        default,
        deserialize_with = "lenient_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub active: Option<bool>,
    /// Email addresses.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub emails: Vec<MultiValue>,
    /// Groups the user belongs to (read-only; many servers never fill it). `None` when the
    /// attribute is absent, which is not the same as "no groups".
    #[serde(default, skip_serializing)]
    pub groups: Option<Vec<MemberRef>>,
    /// Resource metadata; never sent.
    #[serde(default, skip_serializing)]
    pub meta: Option<Meta>,
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
#[serde(rename_all = "camelCase")]
pub struct Name {
    /// Full name, formatted for display.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub formatted: Option<String>,
    /// Family name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    /// Given name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
}

/// A multi-valued attribute entry (`emails`).
#[non_exhaustive]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MultiValue {
    /// The value (the address).
    #[serde(
        default,
        deserialize_with = "lenient_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub value: Option<String>,
    /// `work`, `home`, `other`, …
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Whether this is the primary value.
    #[serde(
        default,
        deserialize_with = "lenient_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub primary: Option<bool>,
    /// Display text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

impl MultiValue {
    /// A primary work email.
    pub fn work_email(address: impl Into<String>) -> Self {
        Self {
            value: Some(address.into()),
            kind: Some("work".to_owned()),
            primary: Some(true),
            display: None,
        }
    }
}

/// A reference to a user (in `Group.members`) or a group (in `User.groups`).
#[non_exhaustive]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberRef {
    /// The referenced resource's id.
    #[serde(
        default,
        deserialize_with = "lenient_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub value: Option<String>,
    /// Display text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
    /// `User`, `Group`, `direct`, `indirect`, …
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The resource URI.
    #[serde(default, rename = "$ref", skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

impl MemberRef {
    /// A reference carrying only the id (what PATCH `add members` sends).
    pub fn id(id: impl Into<String>) -> Self {
        Self {
            value: Some(id.into()),
            ..Self::default()
        }
    }
}

/// Resource metadata.
#[non_exhaustive]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Meta {
    /// `User`, `Group`, …
    #[serde(default)]
    pub resource_type: Option<String>,
    /// Creation time (RFC 3339).
    #[serde(default)]
    pub created: Option<String>,
    /// Last modification time (RFC 3339).
    #[serde(default)]
    pub last_modified: Option<String>,
    /// The resource URI.
    #[serde(default)]
    pub location: Option<String>,
    /// The version (an ETag such as `W/"7"`).
    #[serde(default, deserialize_with = "lenient_string")]
    pub version: Option<String>,
}

/// A SCIM Group.
#[non_exhaustive]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScimGroup {
    /// Schema URNs.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub schemas: Vec<String>,
    /// Server-assigned id.
    #[serde(default, deserialize_with = "lenient_string", skip_serializing)]
    pub id: Option<String>,
    /// Display name (not necessarily unique).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// External id.
    #[serde(
        default,
        deserialize_with = "lenient_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub external_id: Option<String>,
    /// Members (users or groups), by id.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub members: Vec<MemberRef>,
    /// Metadata.
    #[serde(default, skip_serializing)]
    pub meta: Option<Meta>,
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
#[serde(rename_all = "camelCase")]
pub struct ListResponse {
    /// Matches in total.
    #[serde(default, deserialize_with = "lenient_u64")]
    pub total_results: Option<u64>,
    /// Resources on this page (some servers leave it out).
    #[serde(default, deserialize_with = "lenient_u64")]
    pub items_per_page: Option<u64>,
    /// 1-based index of the first resource on this page.
    #[serde(default, deserialize_with = "lenient_u64")]
    pub start_index: Option<u64>,
    /// The resources (`Resources`; some servers send `resources`).
    #[serde(
        rename = "Resources",
        alias = "resources",
        default,
        deserialize_with = "null_default"
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
    /// `{op: "replace", path, value}`.
    pub fn replace(path: impl Into<String>, value: Value) -> Self {
        Self {
            op: "replace",
            path: Some(path.into()),
            value: Some(value),
        }
    }
    /// `{op: "add", path, value}`.
    pub fn add(path: impl Into<String>, value: Value) -> Self {
        Self {
            op: "add",
            path: Some(path.into()),
            value: Some(value),
        }
    }
    /// `{op: "remove", path}`.
    pub fn remove(path: impl Into<String>) -> Self {
        Self {
            op: "remove",
            path: Some(path.into()),
            value: None,
        }
    }
}

/// An RFC 7644 §3.12 error body. `status` is a string on the wire (`"409"`); numbers are
/// accepted too.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScimError {
    /// The HTTP status as the server wrote it.
    #[serde(default, deserialize_with = "lenient_string")]
    pub status: Option<String>,
    /// `uniqueness`, `invalidFilter`, `invalidValue`, `invalidSyntax`, `invalidPath`,
    /// `noTarget`, `mutability`, `tooMany`, `sensitive`, `invalidVers`.
    #[serde(default)]
    pub scim_type: Option<String>,
    /// Human-readable detail.
    #[serde(default)]
    pub detail: Option<String>,
}

/// `{supported: bool}`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Supported {
    /// Whether the feature is supported.
    #[serde(default, deserialize_with = "lenient_bool")]
    pub supported: Option<bool>,
}

/// The `bulk` section of the ServiceProviderConfig.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkConfig {
    /// Whether `/Bulk` is supported.
    #[serde(default, deserialize_with = "lenient_bool")]
    pub supported: Option<bool>,
    /// Largest number of operations.
    #[serde(default, deserialize_with = "lenient_u64")]
    pub max_operations: Option<u64>,
    /// Largest payload in bytes.
    #[serde(default, deserialize_with = "lenient_u64")]
    pub max_payload_size: Option<u64>,
}

/// The `filter` section of the ServiceProviderConfig.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FilterConfig {
    /// Whether filtering is supported.
    #[serde(default, deserialize_with = "lenient_bool")]
    pub supported: Option<bool>,
    /// Largest number of resources returned.
    #[serde(default, deserialize_with = "lenient_u64")]
    pub max_results: Option<u64>,
}

/// `GET /ServiceProviderConfig` (RFC 7643 §5).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceProviderConfig {
    /// PATCH support.
    #[serde(default)]
    pub patch: Option<Supported>,
    /// Bulk support.
    #[serde(default)]
    pub bulk: Option<BulkConfig>,
    /// Filter support.
    #[serde(default)]
    pub filter: Option<FilterConfig>,
    /// Password changes.
    #[serde(default)]
    pub change_password: Option<Supported>,
    /// Sorting.
    #[serde(default)]
    pub sort: Option<Supported>,
    /// ETags.
    #[serde(default)]
    pub etag: Option<Supported>,
    /// Authentication schemes, as sent.
    #[serde(default, deserialize_with = "null_default")]
    pub authentication_schemes: Vec<Value>,
    /// Documentation link.
    #[serde(default)]
    pub documentation_uri: Option<String>,
}

// ----- read views -----------------------------------------------------------------------
//
// The adapter reads every User and Group resource through these views, from the raw JSON
// value it keeps: each string is borrowed from that value, not copied. A view names the
// same attributes as its public counterpart, in the same order, under the same struct
// name, with the same leniency, so it accepts and refuses exactly the same resources with
// the same messages (the tests below hold them to that); attributes the adapter does not
// use are read only for that reason.

/// [`ScimUser`] as read from a response, strings borrowed from the value it is read from.
#[derive(Debug, Deserialize)]
#[serde(
    rename = "ScimUser",
    expecting = "struct ScimUser",
    rename_all = "camelCase"
)]
pub(crate) struct UserView<'a> {
    #[serde(default, deserialize_with = "null_default")]
    #[allow(dead_code)]
    pub schemas: Strings,
    #[serde(default, borrow, deserialize_with = "lenient_str")]
    pub id: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "lenient_str")]
    #[allow(dead_code)]
    pub external_id: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "lenient_str")]
    pub user_name: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub name: Option<NameView<'a>>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    pub display_name: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    #[allow(dead_code)]
    pub nick_name: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    #[allow(dead_code)]
    pub title: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    #[allow(dead_code)]
    pub user_type: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    #[allow(dead_code)]
    pub preferred_language: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    #[allow(dead_code)]
    pub locale: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    #[allow(dead_code)]
    pub timezone: Option<Cow<'a, str>>,
    #[serde(default, deserialize_with = "lenient_bool")]
    pub active: Option<bool>,
    #[serde(default, borrow, deserialize_with = "null_default")]
    pub emails: Vec<MultiValueView<'a>>,
    /// `None` when the attribute is absent, which is not the same as "no groups".
    #[serde(default, borrow)]
    pub groups: Option<Vec<MemberRefView<'a>>>,
    #[serde(default, borrow)]
    pub meta: Option<MetaView<'a>>,
}

/// [`Name`] as read from a response.
#[derive(Debug, Deserialize)]
#[serde(rename = "Name", expecting = "struct Name", rename_all = "camelCase")]
pub(crate) struct NameView<'a> {
    #[serde(default, borrow, deserialize_with = "opt_str")]
    pub formatted: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    pub family_name: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    pub given_name: Option<Cow<'a, str>>,
}

/// [`MultiValue`] as read from a response.
#[derive(Debug, Deserialize)]
#[serde(rename = "MultiValue", expecting = "struct MultiValue")]
pub(crate) struct MultiValueView<'a> {
    #[serde(default, borrow, deserialize_with = "lenient_str")]
    pub value: Option<Cow<'a, str>>,
    #[serde(default, rename = "type", borrow, deserialize_with = "opt_str")]
    #[allow(dead_code)]
    pub kind: Option<Cow<'a, str>>,
    #[serde(default, deserialize_with = "lenient_bool")]
    pub primary: Option<bool>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    #[allow(dead_code)]
    pub display: Option<Cow<'a, str>>,
}

/// [`MemberRef`] as read from a response.
#[derive(Debug, Deserialize)]
#[serde(rename = "MemberRef", expecting = "struct MemberRef")]
pub(crate) struct MemberRefView<'a> {
    #[serde(default, borrow, deserialize_with = "lenient_str")]
    pub value: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    #[allow(dead_code)]
    pub display: Option<Cow<'a, str>>,
    #[serde(default, rename = "type", borrow, deserialize_with = "opt_str")]
    #[allow(dead_code)]
    pub kind: Option<Cow<'a, str>>,
    #[serde(default, rename = "$ref", borrow, deserialize_with = "opt_str")]
    #[allow(dead_code)]
    pub reference: Option<Cow<'a, str>>,
}

/// [`Meta`] as read from a response.
#[derive(Debug, Deserialize)]
#[serde(rename = "Meta", expecting = "struct Meta", rename_all = "camelCase")]
pub(crate) struct MetaView<'a> {
    #[serde(default, borrow, deserialize_with = "opt_str")]
    #[allow(dead_code)]
    pub resource_type: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    pub created: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    pub last_modified: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    #[allow(dead_code)]
    pub location: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "lenient_str")]
    pub version: Option<Cow<'a, str>>,
}

/// [`ScimGroup`] as read from a response.
#[derive(Debug, Deserialize)]
#[serde(
    rename = "ScimGroup",
    expecting = "struct ScimGroup",
    rename_all = "camelCase"
)]
pub(crate) struct GroupView<'a> {
    #[serde(default, deserialize_with = "null_default")]
    #[allow(dead_code)]
    pub schemas: Strings,
    #[serde(default, borrow, deserialize_with = "lenient_str")]
    pub id: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    #[allow(dead_code)]
    pub display_name: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "lenient_str")]
    #[allow(dead_code)]
    pub external_id: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "null_default")]
    pub members: Vec<MemberRefView<'a>>,
    #[serde(default, borrow)]
    #[allow(dead_code)]
    pub meta: Option<MetaView<'a>>,
}

impl GroupView<'_> {
    /// True when `user_id` is a member (as [`ScimGroup::has_member`]).
    pub fn has_member(&self, user_id: &str) -> bool {
        self.members
            .iter()
            .any(|m| m.value.as_deref() == Some(user_id))
    }
}

/// A sequence of strings, checked like `Vec<String>` and then dropped (nothing is kept).
#[derive(Debug, Default)]
pub(crate) struct Strings;

impl<'de> Deserialize<'de> for Strings {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Strings;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a sequence")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Strings, A::Error> {
                while seq.next_element::<BorrowedStr<'de>>()?.is_some() {}
                Ok(Strings)
            }
        }
        d.deserialize_seq(V)
    }
}

/// `attr eq "value"` with `"` and `\` escaped inside the quotes (RFC 7644 §3.4.2.2: the
/// value is a JSON string). The query builder URL-encodes the result.
pub fn eq_filter(attribute: &str, value: &str) -> String {
    // serde_json writes a valid JSON string literal: quotes, backslashes and control
    // characters escaped.
    let quoted = serde_json::to_string(value).unwrap_or_else(|_| format!("\"{value}\""));
    format!("{attribute} eq {quoted}")
}

/// `members[value eq "ID"]`, the RFC path for one member.
pub fn member_path(user_id: &str) -> String {
    let quoted = serde_json::to_string(user_id).unwrap_or_else(|_| format!("\"{user_id}\""));
    format!("members[value eq {quoted}]")
}

fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Any JSON value, as the lenient readers below take it: a string is borrowed when the
/// input allows it.
enum Loose<'a> {
    Absent,
    Str(Cow<'a, str>),
    Number(Number),
    Bool(bool),
    /// An array or object, rebuilt for the error message only.
    Other(Value),
}

impl<'de> Deserialize<'de> for Loose<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Loose<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any valid JSON value")
            }
            fn visit_unit<E>(self) -> Result<Loose<'de>, E> {
                Ok(Loose::Absent)
            }
            fn visit_none<E>(self) -> Result<Loose<'de>, E> {
                Ok(Loose::Absent)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Loose<'de>, D::Error> {
                Loose::deserialize(d)
            }
            fn visit_bool<E>(self, b: bool) -> Result<Loose<'de>, E> {
                Ok(Loose::Bool(b))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Loose<'de>, E> {
                Ok(Loose::Number(n.into()))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Loose<'de>, E> {
                Ok(Loose::Number(n.into()))
            }
            fn visit_f64<E>(self, n: f64) -> Result<Loose<'de>, E> {
                // As `Value` does: a non-finite number is `null`.
                Ok(Number::from_f64(n).map_or(Loose::Absent, Loose::Number))
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Loose<'de>, E> {
                Ok(Loose::Str(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Loose<'de>, E> {
                Ok(Loose::Str(Cow::Owned(s.to_owned())))
            }
            fn visit_string<E>(self, s: String) -> Result<Loose<'de>, E> {
                Ok(Loose::Str(Cow::Owned(s)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Loose<'de>, A::Error> {
                Value::deserialize(SeqAccessDeserializer::new(seq)).map(Loose::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Loose<'de>, A::Error> {
                Value::deserialize(MapAccessDeserializer::new(map)).map(Loose::Other)
            }
        }
        d.deserialize_any(V)
    }
}

/// A string, number or boolean as a string; `null` as absent.
fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(lenient_str(d)?.map(Cow::into_owned))
}

/// [`lenient_string`], borrowed.
fn lenient_str<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Cow<'de, str>>, D::Error> {
    match Loose::deserialize(d)? {
        Loose::Absent => Ok(None),
        Loose::Str(s) => Ok(Some(s)),
        Loose::Number(n) => Ok(Some(Cow::Owned(n.to_string()))),
        Loose::Bool(b) => Ok(Some(Cow::Owned(b.to_string()))),
        Loose::Other(other) => Err(de::Error::custom(format!("expected a string, got {other}"))),
    }
}

/// A boolean; `"true"`/`"false"`/`"yes"`/`"no"`/`"1"`/`"0"` in any case and spacing (blank
/// is absent); a whole number `>= 0` (non-zero is true; other numbers are absent); `null` as
/// absent.
fn lenient_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    match Loose::deserialize(d)? {
        Loose::Absent => Ok(None),
        Loose::Bool(b) => Ok(Some(b)),
        Loose::Str(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Ok(Some(true)),
            "false" | "0" | "no" => Ok(Some(false)),
            "" => Ok(None),
            _ => Err(de::Error::custom(format!("expected a boolean, got {s:?}"))),
        },
        Loose::Number(n) => Ok(n.as_u64().map(|n| n != 0)),
        Loose::Other(other) => Err(de::Error::custom(format!(
            "expected a boolean, got {other}"
        ))),
    }
}

fn lenient_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite() && *f >= 0.0)
                .map(|f| f as u64)
        })),
        Some(Value::String(s)) => s
            .trim()
            .parse::<u64>()
            .map(Some)
            .map_err(|_| de::Error::custom(format!("expected a count, got {s:?}"))),
        Some(other) => Err(de::Error::custom(format!("expected a count, got {other}"))),
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

    /// The readers as they were before they borrowed (through a whole `Value`), kept as
    /// the reference the borrowing ones must match.
    mod reference {
        use serde::Deserialize;
        use serde::de::{self, Deserializer};
        use serde_json::Value;

        pub fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
            match Option::<Value>::deserialize(d)? {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s)),
                Some(Value::Number(n)) => Ok(Some(n.to_string())),
                Some(Value::Bool(b)) => Ok(Some(b.to_string())),
                Some(other) => Err(de::Error::custom(format!("expected a string, got {other}"))),
            }
        }

        pub fn lenient_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
            match Option::<Value>::deserialize(d)? {
                None | Some(Value::Null) => Ok(None),
                Some(Value::Bool(b)) => Ok(Some(b)),
                Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
                    "true" | "1" | "yes" => Ok(Some(true)),
                    "false" | "0" | "no" => Ok(Some(false)),
                    "" => Ok(None),
                    _ => Err(de::Error::custom(format!("expected a boolean, got {s:?}"))),
                },
                Some(Value::Number(n)) => Ok(n.as_u64().map(|n| n != 0)),
                Some(other) => Err(de::Error::custom(format!(
                    "expected a boolean, got {other}"
                ))),
            }
        }
    }

    #[test]
    fn lenient_readers_match_the_reference() {
        fn same<T: PartialEq + std::fmt::Debug>(
            what: &str,
            a: Result<T, serde_json::Error>,
            b: Result<T, serde_json::Error>,
        ) {
            match (a, b) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "{what}"),
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{what}"),
                (a, b) => panic!("{what}: {a:?} / {b:?}"),
            }
        }
        let mut texts: Vec<String> = odd_values().iter().map(Value::to_string).collect();
        texts.extend(
            [
                "\"a\\u00e9\\n\"",
                "18446744073709551616",
                "-0",
                "1e3",
                "0.0",
                "\" yes \"",
            ]
            .map(str::to_owned),
        );
        for text in &texts {
            // From a parsed value (the views) and from bytes (the public types).
            let v: Value = serde_json::from_str(text).unwrap();
            same(text, lenient_string(&v), reference::lenient_string(&v));
            same(text, lenient_bool(&v), reference::lenient_bool(&v));
            same(
                text,
                lenient_str(&v).map(|s| s.map(Cow::into_owned)),
                reference::lenient_string(&v),
            );
            same(
                text,
                lenient_string(&mut serde_json::Deserializer::from_str(text)),
                reference::lenient_string(&mut serde_json::Deserializer::from_str(text)),
            );
            same(
                text,
                lenient_bool(&mut serde_json::Deserializer::from_str(text)),
                reference::lenient_bool(&mut serde_json::Deserializer::from_str(text)),
            );
            same(
                text,
                lenient_string(v.clone()),
                reference::lenient_string(v.clone()),
            );
            same(text, lenient_bool(v.clone()), reference::lenient_bool(v));
        }
    }

    /// Odd values for any attribute: every JSON type, loose booleans and counters.
    fn odd_values() -> Vec<Value> {
        vec![
            Value::Null,
            json!(true),
            json!(false),
            json!(0),
            json!(1),
            json!(7),
            json!(-1),
            json!(1.5),
            json!(""),
            json!("  "),
            json!(" True "),
            json!("no"),
            json!("1"),
            json!("maybe"),
            json!("a@b.co"),
            json!("x\"y\\z\u{e9}"),
            json!([]),
            json!([1]),
            json!(["a", "b"]),
            json!([null]),
            json!([{"value": 5, "primary": "yes", "type": "work"}]),
            json!([{"value": [1]}]),
            json!([{"primary": "perhaps"}]),
            json!([{"display": 3}]),
            json!({}),
            json!({"a": [1, {"b": null}]}),
            json!({"givenName": "A", "familyName": 2}),
            json!({"version": 3, "created": "2024-01-01T00:00:00Z"}),
            json!({"value": "v"}),
        ]
    }

    fn user() -> Value {
        json!({
            "schemas": [USER_SCHEMA], "id": "u1", "externalId": "e1", "userName": "a@b.co",
            "name": {"formatted": "A B", "familyName": "B", "givenName": "A"},
            "displayName": "A B", "nickName": "a", "title": "t", "userType": "u",
            "preferredLanguage": "en", "locale": "en-GB", "timezone": "Europe/Paris",
            "active": true,
            "emails": [{"value": "a@b.co", "type": "work", "primary": true, "display": "A"}],
            "groups": [{"value": "g1", "display": "G", "type": "direct", "$ref": "/Groups/g1"}],
            "meta": {"resourceType": "User", "created": "2024-01-01T00:00:00Z",
                     "lastModified": "2024-01-02T00:00:00Z", "location": "/Users/u1",
                     "version": "W/\"1\""}
        })
    }

    fn group() -> Value {
        json!({
            "schemas": [GROUP_SCHEMA], "id": "g1", "displayName": "G", "externalId": 9,
            "members": [{"value": "u1", "display": "A", "type": "User", "$ref": "/Users/u1"}],
            "meta": {"resourceType": "Group", "version": "W/\"2\""}
        })
    }

    /// `base` with the attribute at `path` (object keys, `0` for an array's first
    /// element) set to each odd value, and removed.
    fn variants(base: &Value, paths: &[&[&str]]) -> Vec<Value> {
        let mut out = vec![base.clone()];
        for path in paths {
            let (last, parents) = path.split_last().unwrap();
            let mut values: Vec<Option<Value>> = odd_values().into_iter().map(Some).collect();
            values.push(None);
            for value in values {
                let mut v = base.clone();
                let mut at = &mut v;
                for p in parents {
                    at = match p.parse::<usize>() {
                        Ok(i) => &mut at[i],
                        Err(_) => &mut at[*p],
                    };
                }
                let obj = at.as_object_mut().unwrap();
                match value {
                    Some(value) => obj.insert((*last).to_owned(), value),
                    None => obj.remove(*last),
                };
                out.push(v);
            }
        }
        // Whole resources of every shape (a derived struct also reads an array in field
        // order).
        out.extend(odd_values());
        out.extend([
            json!([["urn"], "u1"]),
            json!([
                null, 5, null, "a@b.co", null, null, null, null, null, null, null, null, "False"
            ]),
            json!([
                [],
                "u1",
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                null
            ]),
        ]);
        out
    }

    fn owned(s: &Option<Cow<'_, str>>) -> Option<String> {
        s.as_deref().map(str::to_owned)
    }

    fn member(m: &MemberRefView<'_>) -> MemberRef {
        MemberRef {
            value: owned(&m.value),
            display: owned(&m.display),
            kind: owned(&m.kind),
            reference: owned(&m.reference),
        }
    }

    fn meta(m: &MetaView<'_>) -> Meta {
        Meta {
            resource_type: owned(&m.resource_type),
            created: owned(&m.created),
            last_modified: owned(&m.last_modified),
            location: owned(&m.location),
            version: owned(&m.version),
        }
    }

    /// The view as the public type it mirrors (`schemas` is checked, not kept: taken from
    /// `like`).
    fn user_of(v: &UserView<'_>, like: &ScimUser) -> ScimUser {
        ScimUser {
            schemas: like.schemas.clone(),
            id: owned(&v.id),
            external_id: owned(&v.external_id),
            user_name: owned(&v.user_name),
            name: v.name.as_ref().map(|n| Name {
                formatted: owned(&n.formatted),
                family_name: owned(&n.family_name),
                given_name: owned(&n.given_name),
            }),
            display_name: owned(&v.display_name),
            nick_name: owned(&v.nick_name),
            title: owned(&v.title),
            user_type: owned(&v.user_type),
            preferred_language: owned(&v.preferred_language),
            locale: owned(&v.locale),
            timezone: owned(&v.timezone),
            active: v.active,
            emails: v
                .emails
                .iter()
                .map(|e| MultiValue {
                    value: owned(&e.value),
                    kind: owned(&e.kind),
                    primary: e.primary,
                    display: owned(&e.display),
                })
                .collect(),
            groups: v.groups.as_ref().map(|g| g.iter().map(member).collect()),
            meta: v.meta.as_ref().map(meta),
        }
    }

    fn group_of(v: &GroupView<'_>, like: &ScimGroup) -> ScimGroup {
        ScimGroup {
            schemas: like.schemas.clone(),
            id: owned(&v.id),
            display_name: owned(&v.display_name),
            external_id: owned(&v.external_id),
            members: v.members.iter().map(member).collect(),
            meta: v.meta.as_ref().map(meta),
        }
    }

    #[test]
    fn user_view_reads_exactly_what_scim_user_reads() {
        let paths: &[&[&str]] = &[
            &["schemas"],
            &["id"],
            &["externalId"],
            &["userName"],
            &["name"],
            &["name", "formatted"],
            &["name", "familyName"],
            &["name", "givenName"],
            &["displayName"],
            &["nickName"],
            &["title"],
            &["userType"],
            &["preferredLanguage"],
            &["locale"],
            &["timezone"],
            &["active"],
            &["emails"],
            &["emails", "0", "value"],
            &["emails", "0", "type"],
            &["emails", "0", "primary"],
            &["emails", "0", "display"],
            &["groups"],
            &["groups", "0", "value"],
            &["groups", "0", "display"],
            &["groups", "0", "type"],
            &["groups", "0", "$ref"],
            &["meta"],
            &["meta", "resourceType"],
            &["meta", "created"],
            &["meta", "lastModified"],
            &["meta", "location"],
            &["meta", "version"],
        ];
        let (mut ok, mut refused) = (0, 0);
        for v in variants(&user(), paths) {
            let view = UserView::deserialize(&v);
            match (ScimUser::deserialize(&v), view) {
                (Ok(u), Ok(view)) => {
                    assert_eq!(user_of(&view, &u), u, "{v}");
                    ok += 1;
                }
                (Err(a), Err(b)) => {
                    assert_eq!(a.to_string(), b.to_string(), "{v}");
                    refused += 1;
                }
                (a, b) => panic!("{v}: ScimUser {a:?}, view {b:?}"),
            }
        }
        assert!(ok > 100 && refused > 100, "{ok} read, {refused} refused");
    }

    #[test]
    fn group_view_reads_exactly_what_scim_group_reads() {
        let paths: &[&[&str]] = &[
            &["schemas"],
            &["id"],
            &["displayName"],
            &["externalId"],
            &["members"],
            &["members", "0", "value"],
            &["members", "0", "display"],
            &["members", "0", "type"],
            &["members", "0", "$ref"],
            &["meta"],
            &["meta", "version"],
            &["meta", "created"],
        ];
        let (mut ok, mut refused) = (0, 0);
        for v in variants(&group(), paths) {
            // `list_groups` reads an owned value, the view a borrowed one.
            let view = GroupView::deserialize(&v);
            match (serde_json::from_value::<ScimGroup>(v.clone()), view) {
                (Ok(g), Ok(view)) => {
                    assert_eq!(group_of(&view, &g), g, "{v}");
                    assert_eq!(view.has_member("u1"), g.has_member("u1"), "{v}");
                    ok += 1;
                }
                (Err(a), Err(b)) => {
                    assert_eq!(a.to_string(), b.to_string(), "{v}");
                    refused += 1;
                }
                (a, b) => panic!("{v}: ScimGroup {a:?}, view {b:?}"),
            }
        }
        assert!(ok > 50 && refused > 50, "{ok} read, {refused} refused");
    }

    #[test]
    fn views_borrow_their_strings() {
        let raw = user();
        let u = UserView::deserialize(&raw).unwrap();
        let name = u.name.as_ref().unwrap();
        let email = &u.emails[0];
        let g = &u.groups.as_ref().unwrap()[0];
        let meta = u.meta.as_ref().unwrap();
        for s in [
            &u.id,
            &u.user_name,
            &u.display_name,
            &name.given_name,
            &name.family_name,
            &name.formatted,
            &email.value,
            &g.value,
            &meta.created,
            &meta.last_modified,
            &meta.version,
        ] {
            assert!(matches!(s, Some(Cow::Borrowed(_))), "{s:?}");
        }
        let raw = group();
        let g = GroupView::deserialize(&raw).unwrap();
        assert!(matches!(g.id, Some(Cow::Borrowed("g1"))));
        assert!(matches!(g.members[0].value, Some(Cow::Borrowed("u1"))));
        // A number id is turned into a string, as `ScimUser` does.
        assert_eq!(g.external_id.as_deref(), Some("9"));
    }
}
