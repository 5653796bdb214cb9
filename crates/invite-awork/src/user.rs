//! The mapping between awork's `User` ([`crate::wire`]) and the normalized model, and the
//! profile fields invite and update send (names, `title`, `position`, `gender`), checked
//! against the spec's limits before anything is sent.

use std::collections::BTreeMap;

use invite_core::{
    AdapterGrant, Email, Error, PersonName, ProviderInfo, Result, User, UserStatus, decode,
    parse_timestamp,
};
use serde_json::Value;

use crate::grant::AworkGrant;
use crate::wire;

/// The profile attributes invite and update accept.
pub(crate) const ATTRIBUTES: &[&str] = &["title", "position", "gender"];
/// The values the spec allows for `gender`.
const GENDERS: &[&str] = &["male", "female", "other"];

/// The spec's `maxLength` of a profile field (`firstName` and `lastName`: 1000).
fn max_len(field: &str) -> usize {
    match field {
        "title" => 100,
        "gender" => 25,
        _ => 1000,
    }
}

/// Decodes one awork `User` from `raw`, maps it, and keeps `raw` as the payload.
pub(crate) fn user_from_value(raw: Value, info: &ProviderInfo, op: &'static str) -> Result<User> {
    let user = user_from_wire(&decode(&raw, info, op, "an awork User")?);
    Ok(user.with_raw(raw))
}

/// The normalized user for an awork `User` (without the raw payload, which `u` borrows
/// from). awork's `User` carries no role: the grants are its teams.
pub(crate) fn user_from_wire(u: &wire::User<'_>) -> User {
    let non_blank = |s: Option<&str>| s.filter(|s| !s.trim().is_empty()).map(str::to_owned);
    let name = PersonName {
        given: non_blank(u.first_name),
        family: non_blank(u.last_name),
        display: None,
    };
    let grants = teams_of(u).iter().map(AworkGrant::to_grant).collect();
    User::new(u.id.unwrap_or_default(), status_of(u))
        .with_email(email_of(u))
        .with_name(name)
        .with_grants(grants)
        .with_timestamps(
            u.created_on.and_then(parse_timestamp),
            u.updated_on.and_then(parse_timestamp),
            None,
            None,
        )
}

/// The teams a user is in, as awork lists them.
pub(crate) fn teams_of(u: &wire::User<'_>) -> Vec<AworkGrant> {
    u.teams
        .iter()
        .flatten()
        .filter_map(|t| t.id)
        .map(|id| AworkGrant::Team {
            team_id: id.to_owned(),
        })
        .collect()
}

/// Where an awork user stands.
///
/// Deleted (`deletedOn` set: soft delete), archived and deactivated (top-level or in
/// `status`) all mean "present but without access" and win over a pending invitation;
/// then `status.invitationAccepted == false` means invited; otherwise active.
pub(crate) fn status_of(u: &wire::User<'_>) -> UserStatus {
    let status = u.status.clone().unwrap_or_default();
    if is_deleted(u)
        || u.is_archived == Some(true)
        || u.is_deactivated == Some(true)
        || status.is_deactivated == Some(true)
    {
        UserStatus::Deactivated
    } else if status.invitation_accepted == Some(false) {
        UserStatus::Invited
    } else {
        UserStatus::Active
    }
}

/// Whether the user was removed (`deletedOn` set: awork deletes softly).
pub(crate) fn is_deleted(u: &wire::User<'_>) -> bool {
    u.deleted_on.is_some_and(|s| !s.trim().is_empty())
}

/// The email of an awork user: `User` has no email field, so it is the first
/// `userContactInfos` entry with `type: "email"` whose value is a valid address.
pub(crate) fn email_of(u: &wire::User<'_>) -> Option<Email> {
    u.user_contact_infos
        .iter()
        .flatten()
        .filter(|c| c.kind.is_some_and(|k| k.eq_ignore_ascii_case("email")))
        .find_map(|c| c.value.and_then(|v| Email::parse(v).ok()))
}

/// A timestamp re-sent as RFC 3339 when it can be read (awork's own example
/// `1998-04-19T00:00:000Z` is not valid), else as it came.
fn normalize_timestamp(s: &str) -> String {
    use time::format_description::well_known::Rfc3339;
    parse_timestamp(s)
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| s.to_owned())
}

/// Profile fields to send, read and checked: the name (given and family, split from the
/// display name when only that is known) and the attributes named (`None`: clear it).
pub(crate) struct Profile {
    name: Option<PersonName>,
    attributes: BTreeMap<&'static str, Option<String>>,
}

impl Profile {
    /// Reads `name` and the attributes `title`, `position` and `gender`: strings (or `null`
    /// to clear, when `allow_null`), within the spec's lengths, gender one of the allowed
    /// values. Unknown attributes were refused by the pipeline already.
    pub(crate) fn read(
        name: Option<&PersonName>,
        attrs: &BTreeMap<String, Value>,
        allow_null: bool,
    ) -> Result<Self> {
        let name = name.map(split_name);
        if let Some(n) = &name {
            check_len("name.given", n.given.as_deref(), max_len("name"))?;
            check_len("name.family", n.family.as_deref(), max_len("name"))?;
        }
        let mut attributes = BTreeMap::new();
        for key in ATTRIBUTES {
            let field = format!("attributes.{key}");
            let value = match attrs.get(*key) {
                None => continue,
                Some(Value::Null) if allow_null => None,
                Some(Value::String(s)) => Some(s.clone()),
                Some(_) if allow_null => {
                    return Err(Error::invalid_input(field, "must be a string or null"));
                }
                Some(_) => return Err(Error::invalid_input(field, "must be a string")),
            };
            check_len(&field, value.as_deref(), max_len(key))?;
            if *key == "gender"
                && let Some(g) = &value
                && !GENDERS.contains(&g.as_str())
            {
                return Err(Error::invalid_input(
                    field,
                    format!("must be one of {}", GENDERS.join(", ")),
                ));
            }
            attributes.insert(*key, value);
        }
        Ok(Self { name, attributes })
    }

    /// Given and family name, when the profile names the person.
    pub(crate) fn name(&self) -> Option<&PersonName> {
        self.name.as_ref()
    }

    /// An attribute's new value (`None` when not set or cleared).
    pub(crate) fn attribute(&self, key: &str) -> Option<String> {
        self.attributes.get(key).cloned().flatten()
    }

    /// The full `UserForm` for `PUT /users/{id}`: PUT replaces every field, so what the
    /// profile does not change is copied from `current`.
    pub(crate) fn form(&self, current: &wire::User<'_>) -> wire::UserForm {
        let owned = |now: Option<&str>| now.map(str::to_owned);
        let keep = |key: &str, now: Option<&str>| match self.attributes.get(key) {
            Some(v) => v.clone(),
            None => owned(now),
        };
        wire::UserForm {
            first_name: self
                .name
                .as_ref()
                .map_or_else(|| owned(current.first_name), |n| n.given.clone()),
            last_name: self
                .name
                .as_ref()
                .map_or_else(|| owned(current.last_name), |n| n.family.clone()),
            birth_date: current.birth_date.map(normalize_timestamp),
            gender: keep("gender", current.gender),
            title: keep("title", current.title),
            position: keep("position", current.position),
            language: owned(current.language),
        }
    }
}

fn check_len(field: &str, value: Option<&str>, max: usize) -> Result<()> {
    match value {
        Some(v) if v.chars().count() > max => Err(Error::invalid_input(
            field,
            format!("is longer than {max} characters (awork's limit)"),
        )),
        _ => Ok(()),
    }
}

/// Given and family name, split from the display name when only that is known.
pub(crate) fn split_name(name: &PersonName) -> PersonName {
    if name.given.is_none()
        && name.family.is_none()
        && let Some(d) = &name.display
    {
        return PersonName::from_display(d.clone());
    }
    name.clone()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::provider::CAPABILITIES;

    /// Maps `v` as a wire user (decoded from the value, borrowing its strings).
    fn with_wire<T>(v: Value, f: impl FnOnce(&wire::User<'_>) -> T) -> T {
        f(&serde::Deserialize::deserialize(&v).unwrap())
    }

    #[test]
    fn status_mapping() {
        for (v, want) in [
            (
                json!({"status": {"invitationAccepted": false, "isDeactivated": false}}),
                UserStatus::Invited,
            ),
            (
                json!({"status": {"invitationAccepted": true}}),
                UserStatus::Active,
            ),
            (json!({}), UserStatus::Active),
            (
                json!({"status": {"invitationAccepted": true, "isDeactivated": true}}),
                UserStatus::Deactivated,
            ),
            (json!({"isDeactivated": true}), UserStatus::Deactivated),
            (
                json!({"isArchived": true, "status": {"invitationAccepted": true}}),
                UserStatus::Deactivated,
            ),
            (
                json!({"deletedOn": "2024-01-01T00:00:00Z", "status": {"invitationAccepted": false}}),
                UserStatus::Deactivated,
            ),
            (
                json!({"deletedOn": null, "status": {"invitationAccepted": false}}),
                UserStatus::Invited,
            ),
        ] {
            assert_eq!(with_wire(v.clone(), status_of), want, "{v}");
        }
    }

    #[test]
    fn email_from_contact_infos() {
        let v = json!({
            "userContactInfos": [
                {"type": "phone", "value": "+49 1"},
                {"type": "Email", "value": "not an email"},
                {"type": "email", "value": "Ada@Example.com"}
            ]
        });
        assert_eq!(with_wire(v, email_of).unwrap().as_str(), "Ada@Example.com");
        assert!(with_wire(json!({"userContactInfos": null}), email_of).is_none());
    }

    /// The wire shapes read their strings straight from the raw value (`&str` fields can
    /// only borrow), through `UserAndWorkspace`'s flattened user too.
    #[test]
    fn wire_user_reads_from_the_raw_value() {
        let raw = json!({
            "id": "c0ffee00-1234-4abc-9def-0123456789ab",
            "firstName": "Ada",
            "userContactInfos": [{"type": "email", "value": "ada@example.com"}],
            "teams": [{"id": "aaaaaaaa-0000-4000-8000-000000000001", "name": "Design"}],
            "workspace": {"id": "ws"}
        });
        let info = ProviderInfo::new("awork", "ws", CAPABILITIES);
        let check = |u: &wire::User<'_>| {
            assert_eq!(u.id, Some("c0ffee00-1234-4abc-9def-0123456789ab"));
            assert_eq!(u.first_name, Some("Ada"));
            let contacts = u.user_contact_infos.as_deref().unwrap_or_default();
            assert_eq!(contacts[0].value, Some("ada@example.com"));
            let teams = u.teams.as_deref().unwrap_or_default();
            assert_eq!(teams[0].name, Some("Design"));
            assert_eq!((contacts.len(), teams.len()), (1, 1));
        };
        check(&decode::<wire::User<'_>>(&raw, &info, "get", "an awork User").unwrap());
        let me: wire::UserAndWorkspace<'_> = decode(&raw, &info, "me", "me").unwrap();
        check(&me.user);
        assert_eq!(me.workspace.unwrap().id.as_deref(), Some("ws"));
        let answer = json!({"userId": "c0ffee00-1234-4abc-9def-0123456789ab"});
        let invited: wire::InvitationResponse<'_> = decode(&answer, &info, "invite", "x").unwrap();
        assert_eq!(invited.user_id, answer["userId"].as_str());
    }

    #[test]
    fn decode_errors_redact_codes() {
        let info = ProviderInfo::new("awork", "ws", CAPABILITIES);
        let raw = json!({"id": 5, "invitationCode": "c0de-s3cret=="});
        let err = user_from_value(raw, &info, "get").unwrap_err();
        assert!(matches!(err, Error::Decode { .. }), "{err:?}");
        let shown = format!("{err:?} {err}");
        assert!(!shown.contains("c0de-s3cret"), "{shown}");
    }

    #[test]
    fn timestamps_resent_as_rfc3339() {
        assert_eq!(
            normalize_timestamp("1998-04-19T00:00:000Z"),
            "1998-04-19T00:00:00Z"
        );
        assert_eq!(normalize_timestamp("garbage"), "garbage");
    }
}
