//! The Data API v2 site-users wire shapes, exactly as Webflow sends them, read leniently:
//! every field optional, unknown fields ignored (docs/vendors/webflow-site.md#objects).
//!
//! The mapping to the normalized model is at the bottom (`to_user`); the requests the
//! provider sends are `InviteBody` and `UpdateBody`.

use std::borrow::Cow;
use std::collections::BTreeMap;

use invite_core::pipeline::decode_error;
use invite_core::{
    Email, Grant, PersonName, ProviderInfo, Result, User, UserStatus, decode, parse_timestamp,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::grant::AccessGroupGrant;
use crate::common::borrow_opt_str;

/// One site user (`User`): the answer of get, invite and update, and a list item. Read from
/// the raw JSON value the adapter keeps: the strings are borrowed from it, not copied. The
/// `data` object (`{data: {...}}` on Webflow's pages and in the final SDK, `{...}` in
/// webhooks, v1 and the older spec) is not decoded here: [`to_user`] reads it from the kept value by reference (see
/// [`user_fields`]).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireUser<'a> {
    #[serde(default, borrow, deserialize_with = "borrow_opt_str")]
    pub id: Option<Cow<'a, str>>,
    #[serde(default)]
    pub is_email_verified: Option<bool>,
    #[serde(default, borrow, deserialize_with = "borrow_opt_str")]
    pub last_updated: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "borrow_opt_str")]
    pub invited_on: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "borrow_opt_str")]
    pub created_on: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "borrow_opt_str")]
    pub last_login: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "borrow_opt_str")]
    pub status: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub access_groups: Option<Vec<WireGroupRef<'a>>>,
}

/// An entry of a user's `accessGroups`: `{slug, type}` as documented; a bare slug string is
/// read too. The strings are borrowed like [`WireUser`]'s.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum WireGroupRef<'a> {
    Object {
        #[serde(default, borrow, deserialize_with = "borrow_opt_str")]
        slug: Option<Cow<'a, str>>,
        /// `admin` (assigned by API or Designer) or `ecommerce` (granted by a purchase).
        #[serde(default, rename = "type", borrow, deserialize_with = "borrow_opt_str")]
        kind: Option<Cow<'a, str>>,
    },
    Slug(#[serde(borrow)] Cow<'a, str>),
    /// Anything else (ignored).
    Other(#[allow(dead_code)] serde::de::IgnoredAny),
}

impl WireGroupRef<'_> {
    /// The slug of a group the library manages: type `admin` (or no type, or a bare slug).
    /// A group of any other type (`ecommerce`: the person bought it) is not an admin grant
    /// (docs/vendors/webflow-site.md#trap-ecommerce-groups).
    fn managed_slug(&self) -> Option<&str> {
        match self {
            WireGroupRef::Object { slug, kind } if is_admin(kind.as_deref()) => slug.as_deref(),
            WireGroupRef::Slug(s) => Some(s),
            _ => None,
        }
    }
}

/// Whether an access group's `type` makes it a grant the library manages.
fn is_admin(kind: Option<&str>) -> bool {
    kind.is_none_or(|k| k.trim().eq_ignore_ascii_case("admin"))
}

/// The `accessGroups` entries of a user payload that the library does not manage (type
/// `ecommerce`, or any type other than `admin`), verbatim: a grant change writes them back
/// as they are, since `PATCH` replaces the whole list.
pub(crate) fn kept_groups(raw: &Value) -> Vec<Value> {
    raw.get("accessGroups")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|g| {
            g.as_object().is_some_and(|o| {
                let kind = o.get("type").and_then(Value::as_str);
                o.get("slug").is_some_and(Value::is_string) && !is_admin(kind)
            })
        })
        .cloned()
        .collect()
}

/// `UserList` (`users`) or `AccessGroupList` (`accessGroups`). `count`, `limit` and
/// `offset` may not echo the query (the SDK's wire test answers `count:5, limit:5,
/// offset:0` to `offset=1&limit=1`): only `total` and the items are used.
#[derive(Clone, Debug, Deserialize)]
#[serde(bound = "T: Deserialize<'de>")]
pub(crate) struct WireList<T> {
    #[serde(default)]
    pub total: Option<u64>,
    #[serde(default, alias = "users", alias = "accessGroups")]
    pub items: Option<Vec<T>>,
}

/// `{sites: Site[]}` (no paging fields).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct WireSiteList {
    pub sites: Option<Vec<Value>>,
}

/// An access group of the site (`GET /sites/{site_id}/accessgroups`).
#[non_exhaustive]
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AccessGroup {
    /// The group's object id.
    pub id: Option<String>,
    /// Its name.
    pub name: Option<String>,
    /// The short id used in the member's JWT.
    pub short_id: Option<String>,
    /// The slug: what invite and update take.
    pub slug: Option<String>,
    /// When it was created (RFC 3339, as sent).
    pub created_on: Option<String>,
}

impl AccessGroup {
    /// The group as a grant, when it has a slug.
    pub fn grant(&self) -> Option<Grant> {
        self.slug.as_deref().map(AccessGroupGrant::grant)
    }
}

/// A site the token can see (`GET /sites`). The name field is `displayName`.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq)]
pub struct Site {
    /// The site id.
    pub id: String,
    /// The workspace id.
    pub workspace_id: Option<String>,
    /// The display name.
    pub display_name: Option<String>,
    /// The short name (subdomain).
    pub short_name: Option<String>,
    /// When the site was created.
    pub created_on: Option<OffsetDateTime>,
    /// When it was last published.
    pub last_published: Option<OffsetDateTime>,
    /// The vendor's payload, untouched.
    pub raw: Value,
}

/// The workspace account that authorized the token (`GET /token/authorized_by`); not a
/// site member.
#[non_exhaustive]
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AuthorizedUser {
    /// The account id.
    pub id: Option<String>,
    /// Its email.
    pub email: Option<String>,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
}

/// `POST /sites/{site_id}/users/invite`: only these two fields (the `name` a third-party
/// guide sends is not in the official contract: docs/vendors/webflow-site.md#request-bodies).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct InviteBody<'a> {
    pub email: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub access_groups: Vec<&'a str>,
}

/// `PATCH /sites/{site_id}/users/{user_id}`: only `data` and `accessGroups`, never the
/// read-only fields, in the form the Update User page and the last official SDK document:
/// `data` with its one nested property (`{"data": {"data": {…}}}`) and `accessGroups` as
/// `{slug, type}` objects (docs/vendors/webflow-site.md#request-bodies).
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UpdateBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<UserData>,
    /// The complete list (PATCH replaces it). See [`access_groups_wire`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_groups: Option<Vec<Value>>,
}

/// `data` of an update: the user's basic info and custom fields under `data`
/// (`{"name": …, "accept-privacy": …, "<custom-field>": …}`).
#[derive(Debug, Default, Serialize)]
pub(crate) struct UserData {
    pub data: BTreeMap<String, Value>,
}

/// How access groups are written on PATCH: each managed group as `{slug, type: "admin"}`,
/// then the groups the library does not manage ([`kept_groups`]) exactly as read. The
/// invite takes slug strings instead: each page documents its own call
/// (docs/vendors/webflow-site.md#oq-update-access-groups-shape).
pub(crate) fn access_groups_wire<'a>(
    slugs: impl Iterator<Item = &'a str>,
    kept: Vec<Value>,
) -> Vec<Value> {
    slugs
        .map(|slug| serde_json::json!({"slug": slug, "type": "admin"}))
        .chain(kept)
        .collect()
}

/// The user's fields: `data.data` when it is an object, else `data` itself
/// (docs/vendors/webflow-site.md#oq-data-nesting).
pub(crate) fn user_fields(data: Option<&Value>) -> Option<&Map<String, Value>> {
    let data = data?.as_object()?;
    match data.get("data") {
        Some(Value::Object(inner)) => Some(inner),
        _ => Some(data),
    }
}

/// Maps Webflow's status: `invited` → Invited, `verified` → Active, `unverified` →
/// Unverified. A missing status falls back to `isEmailVerified`.
pub(crate) fn status(status: Option<&str>, verified: Option<bool>) -> UserStatus {
    match status.map(str::trim) {
        Some(s) if s.eq_ignore_ascii_case("invited") => UserStatus::Invited,
        Some(s) if s.eq_ignore_ascii_case("verified") => UserStatus::Active,
        Some(s) if s.eq_ignore_ascii_case("unverified") => UserStatus::Unverified,
        Some(other) if !other.is_empty() => UserStatus::Unknown(other.to_owned()),
        _ => match verified {
            Some(true) => UserStatus::Active,
            _ => UserStatus::Unknown(String::new()),
        },
    }
}

/// Maps a user payload (get, invite, update, list item or webhook `payload`) to the
/// normalized [`User`], keeping the payload in `raw`. `info`/`operation` name the call for
/// a decode error (a user without an id).
///
/// The wire user borrows its strings from `raw` and the `data` fields are read from `raw`
/// in place; `raw` is moved into the user once that borrow is over.
pub(crate) fn to_user(raw: Value, info: &ProviderInfo, operation: &'static str) -> Result<User> {
    let user = map_user(&raw, info, operation)?;
    Ok(user.with_raw(raw))
}

/// [`to_user`] without the raw payload, which the wire user borrows from.
fn map_user(raw: &Value, info: &ProviderInfo, operation: &'static str) -> Result<User> {
    let wire: WireUser<'_> = decode(raw, info, operation, "a Webflow user")?;
    let id = wire.id.filter(|id| !id.trim().is_empty()).ok_or_else(|| {
        decode_error(
            info,
            operation,
            "a Webflow user with an `id`",
            &"no `id`",
            raw,
        )
    })?;
    let fields = user_fields(raw.get("data"));
    let field = |k: &str| {
        fields
            .and_then(|f| f.get(k))
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    // An address Webflow accepted but our stricter parser does not is left out (kept in raw).
    let email = field("email").and_then(|e| Email::parse(e).ok());
    let name = field("name")
        .map(PersonName::from_display)
        .unwrap_or_default();
    let mut grants = Vec::new();
    for slug in wire
        .access_groups
        .iter()
        .flatten()
        .filter_map(WireGroupRef::managed_slug)
    {
        let g = AccessGroupGrant::grant(slug);
        if !grants.contains(&g) {
            grants.push(g);
        }
    }
    let ts = |v: &Option<Cow<'_, str>>| v.as_deref().and_then(parse_timestamp);
    Ok(User::new(
        id.into_owned(),
        status(wire.status.as_deref(), wire.is_email_verified),
    )
    .with_email(email)
    .with_name(name)
    .with_grants(grants)
    .with_timestamps(
        ts(&wire.created_on),
        ts(&wire.last_updated),
        ts(&wire.invited_on),
        ts(&wire.last_login),
    ))
}

/// Maps a site payload.
pub(crate) fn to_site(raw: Value) -> Option<Site> {
    let o = raw.as_object()?;
    let s = |k: &str| o.get(k).and_then(Value::as_str).map(str::to_owned);
    let t = |k: &str| o.get(k).and_then(Value::as_str).and_then(parse_timestamp);
    Some(Site {
        id: s("id").filter(|id| !id.is_empty())?,
        workspace_id: s("workspaceId"),
        display_name: s("displayName"),
        short_name: s("shortName"),
        created_on: t("createdOn"),
        last_published: t("lastPublished"),
        raw,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use invite_core::Error;
    use serde_json::json;

    fn info() -> ProviderInfo {
        ProviderInfo::new("webflow-site", "s", invite_core::Capabilities::NONE)
    }

    #[test]
    fn nested_and_flat_data_are_read() {
        let nested = json!({"id":"u1","status":"verified","data":{"data":{"email":"Ada@Example.com","name":"Ada Lovelace","accept-privacy":true}},
            "accessGroups":[{"slug":"webflowers","type":"admin"},{"slug":"shop","type":"ecommerce"},"plain",{"type":"admin"}]});
        let u = to_user(nested, &info(), "get").unwrap();
        assert_eq!(u.email.as_ref().unwrap().as_str(), "Ada@Example.com");
        assert_eq!(u.name.full().as_deref(), Some("Ada Lovelace"));
        assert_eq!(u.status, UserStatus::Active);
        // The purchased (`ecommerce`) group is not an admin grant; the rest are.
        assert_eq!(
            u.grants,
            vec![
                AccessGroupGrant::grant("webflowers"),
                AccessGroupGrant::grant("plain")
            ]
        );
        let flat =
            json!({"id":"u2","status":"invited","data":{"email":"b@example.com","name":"B"}});
        let u = to_user(flat, &info(), "get").unwrap();
        assert_eq!(u.email.as_ref().unwrap().as_str(), "b@example.com");
        assert_eq!(u.status, UserStatus::Invited);
        // `data.data` that is not an object: read `data` itself.
        let odd = json!({"id":"u3","data":{"data":"x","email":"c@example.com"}});
        let u = to_user(odd, &info(), "get").unwrap();
        assert_eq!(u.email.as_ref().unwrap().as_str(), "c@example.com");
        assert_eq!(u.status, UserStatus::Unknown(String::new()));
    }

    #[test]
    fn groups_the_library_does_not_manage_are_kept_verbatim() {
        let raw = json!({"id":"u1","accessGroups":[{"slug":"a","type":"admin"},
            {"slug":"shop","type":"ecommerce"},"plain",{"slug":"later","type":"Gift"},{"type":"ecommerce"}]});
        assert_eq!(
            kept_groups(&raw),
            vec![
                json!({"slug":"shop","type":"ecommerce"}),
                json!({"slug":"later","type":"Gift"})
            ]
        );
        assert_eq!(
            access_groups_wire(["b"].into_iter(), kept_groups(&raw)),
            vec![
                json!({"slug":"b","type":"admin"}),
                json!({"slug":"shop","type":"ecommerce"}),
                json!({"slug":"later","type":"Gift"})
            ]
        );
        assert!(kept_groups(&json!({"id":"u1"})).is_empty());
    }

    #[test]
    fn the_wire_user_borrows_its_strings() {
        let raw = json!({"id":"u1","status":"verified","createdOn":"2022-05-20T13:46:12Z",
            "lastUpdated":"2022-05-20T13:46:12Z","invitedOn":"2022-05-20T13:46:12Z","lastLogin":"2022-05-20T13:46:12Z",
            "accessGroups":[{"slug":"webflowers","type":"admin"},"plain"],"data":{"email":"a@example.com"}});
        let w = WireUser::deserialize(&raw).unwrap();
        assert!(matches!(w.id, Some(Cow::Borrowed("u1"))));
        assert!(matches!(w.status, Some(Cow::Borrowed("verified"))));
        for t in [&w.created_on, &w.last_updated, &w.invited_on, &w.last_login] {
            assert!(matches!(t, Some(Cow::Borrowed(_))));
        }
        assert!(matches!(
            w.access_groups.as_deref(),
            Some([
                WireGroupRef::Object {
                    slug: Some(Cow::Borrowed("webflowers")),
                    kind: Some(Cow::Borrowed("admin")),
                },
                WireGroupRef::Slug(Cow::Borrowed("plain")),
            ])
        ));
    }

    #[test]
    fn nulls_and_missing_fields_are_fine_but_an_id_is_required() {
        let u = to_user(
            json!({"id":"u1","status":null,"data":null,"accessGroups":null,"lastLogin":null,"isEmailVerified":true}),
            &info(),
            "get",
        )
        .unwrap();
        assert_eq!(u.status, UserStatus::Active);
        assert!(u.email.is_none());
        assert!(matches!(
            to_user(json!({"status":"invited"}), &info(), "get"),
            Err(Error::Decode { .. })
        ));
        assert!(matches!(
            to_user(json!("x"), &info(), "get"),
            Err(Error::Decode { .. })
        ));
    }

    #[test]
    fn statuses() {
        assert_eq!(status(Some("unverified"), None), UserStatus::Unverified);
        assert_eq!(
            status(Some("banned"), None),
            UserStatus::Unknown("banned".into())
        );
    }

    #[test]
    fn timestamps_with_and_without_fractions() {
        let u = to_user(
            json!({"id":"u1","createdOn":"2022-05-20T13:46:12Z","lastUpdated":"2022-05-20T13:46:12.093Z","invitedOn":"bad"}),
            &info(),
            "get",
        )
        .unwrap();
        assert!(u.created_at.is_some());
        assert!(u.updated_at.is_some());
        assert!(u.invited_at.is_none());
    }
}
