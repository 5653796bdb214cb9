//! [`AworkProvider`]: the trait implementations, awork's extra calls, the whole mapping
//! between awork's wire shapes ([`crate::wire`]) and the normalized model, and
//! [`parse_error`], the adapter's error mapper.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use futures::StreamExt;
use futures::stream::BoxStream;
use invite_core::http::{self, HttpClient, Request};
use invite_core::page::{Page, paginate};
use invite_core::redact;
use invite_core::{
    Capabilities, Describe, Email, EmailDelivery, Error, Grant, GrantChange, GrantKind, Invitation,
    InvitationCode, InviteProvider, InviteReceipt, LimitKey, ListQuery, Operation, PersonName,
    ProviderInfo, Result, User, UserDirectory, UserId, UserPatch, UserStatus, VendorDetail,
    parse_timestamp,
};
use secrecy::ExposeSecret;
use serde_json::Value;
use time::{Duration, OffsetDateTime};

use crate::config::{AworkConfig, check_uuid};
use crate::wire;

/// The provider kind reported in [`ProviderInfo::kind`].
pub const KIND: &str = "awork";

/// Page size used when [`ListQuery::page_size`] is not set, and the largest one sent.
///
/// The spec's `pageSize` has a default of 10 and **no stated maximum** (contracts 4.7 and
/// 7 item 12). 100 is the common cap of awork-style APIs and keeps one page well under any
/// plausible server limit; a larger value the server silently clamped would end the
/// "stop on a short page" loop early, so the adapter never asks for more. UNCONFIRMED.
pub const MAX_PAGE_SIZE: u32 = 100;

/// How long an invitation code can be redeemed ("valid for 24 hours", spec
/// `InvitationResponse.invitationCode`).
pub const INVITATION_CODE_TTL: Duration = Duration::hours(24);

/// The `invitationFlow` sent with every invite.
///
/// The spec: "Use 'invite' for an invitation from a system admin, 'new_user_new_workspace'
/// … or 'existing_user_new_workspace' …". The two other flows create workspaces; an API
/// token inviting someone into an existing workspace is the admin invitation, and sending the
/// value explicitly keeps the server from inferring a workspace-creating flow. The official
/// CLI's sample omits the field. UNCONFIRMED: whether "system admin" means a workspace admin
/// (our reading) or awork staff.
pub const INVITATION_FLOW: &str = "invite";

/// `ErrorResponse.code` values that mean "this person is already in the workspace".
///
/// `POST /invitations` declares no error answers at all (contracts 4.8, 7 item 12), so the
/// duplicate-invite answer is unconfirmed: it most likely arrives as 400 with a kebab-case
/// code. The list holds the code the sandbox uses and the likeliest spellings of the real
/// one; in addition any code containing `already` is read as a conflict (see
/// [`is_already_member_code`]). A 409, should awork ever send one, is a conflict anyway.
pub const ALREADY_MEMBER_CODES: &[&str] = &[
    "user-already-in-workspace",
    "user-already-exists",
    "user-exists",
    "email-already-in-use",
    "email-already-exists",
    "duplicate-email",
    "duplicate-user",
];

/// True when an awork error code means the person is already in the workspace.
pub fn is_already_member_code(code: &str) -> bool {
    let c = code.to_ascii_lowercase();
    ALREADY_MEMBER_CODES.contains(&c.as_str()) || c.contains("already")
}

/// The profile attributes invite and update accept, with their `maxLength` in the spec.
const ATTRIBUTES: &[(&str, usize)] = &[("title", 100), ("position", 1000), ("gender", 25)];
/// The values the spec allows for `gender`.
const GENDERS: &[&str] = &["male", "female", "other"];
/// `maxLength` of `firstName` / `lastName`.
const MAX_NAME: usize = 1000;
/// Hard stop for the vendor-specific list calls that collect every page.
const MAX_PAGES: u32 = 10_000;

/// What the awork adapter can do.
#[allow(clippy::field_reassign_with_default)]
pub fn capabilities() -> Capabilities {
    let mut c = Capabilities::default();
    c.invite = true;
    c.silent_invite = true; // skipSendingEmail: true
    c.explicit_email = true; // skipSendingEmail: false
    c.invitation_code = true;
    c.resend = false; // no resend endpoint in the spec
    c.list = true;
    c.get = true;
    c.server_side_email_lookup = false; // `User` has no email; no documented filter
    c.update_name = true;
    c.update_email = false; // `UserForm` has no email
    c.update_grants = true; // roles via /roles/moveuser, teams via /teams/{id}/addusers|removeusers
    c.attributes = ATTRIBUTES.iter().map(|(k, _)| *k).collect();
    c.deactivate = true;
    c.reactivate = true;
    c.remove = true;
    c.grant_kinds = vec![GrantKind::AworkRole, GrantKind::AworkTeam];
    // A user holds exactly one role: convergence never moves an existing user's role.
    c.exclusive_grant_kinds = vec![GrantKind::AworkRole];
    // An expired code leaves the invited user in the workspace: a new invite would meet
    // the existing user. Report such people instead of inviting again.
    c.reinvite_lapsed = false;
    c.max_page_size = Some(MAX_PAGE_SIZE);
    c
}

/// The user behind the token and their workspace (`GET /me`).
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct AworkMe {
    /// The token's user, normalized.
    pub user: User,
    /// The current workspace: `id` is the value for `AWORK_WORKSPACE_ID`.
    pub workspace: wire::WorkspaceOfUser,
}

/// The awork adapter. Cheap to clone; clones share the connection pool and rate budget.
#[derive(Clone)]
pub struct AworkProvider {
    info: ProviderInfo,
    http: HttpClient,
    settings: Arc<Settings>,
}

#[derive(Debug)]
struct Settings {
    workspace_id: String,
    default_role_id: Option<String>,
    default_team_ids: Vec<String>,
}

impl fmt::Debug for AworkProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AworkProvider")
            .field("info", &self.info)
            .field("base_url", &self.http.base_url().as_str())
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for AworkProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.info, f)
    }
}

impl Describe for AworkProvider {
    fn info(&self) -> &ProviderInfo {
        &self.info
    }
}

impl AworkProvider {
    /// Builds the provider from a validated configuration.
    pub fn new(config: AworkConfig) -> Result<Self> {
        let info = ProviderInfo::new(KIND, config.workspace_id.clone(), capabilities());
        let http = HttpClient::builder(info.to_string(), config.base_url.clone())
            .bearer(config.token.secret().clone())
            .options(config.options.clone())
            // awork's limits are per token (the spec is silent, contracts 4.9).
            .limit_key(LimitKey::hashed(
                "awork-token",
                config.token.secret().expose_secret(),
            ))
            .error_mapper(Arc::new(parse_error))
            .default_header("Accept", "application/json")
            .build()?;
        Ok(Self {
            info,
            http,
            settings: Arc::new(Settings {
                workspace_id: config.workspace_id,
                default_role_id: config.default_role_id,
                default_team_ids: config.default_team_ids,
            }),
        })
    }

    /// Builds the provider from the environment (see [`AworkConfig::from_env`]).
    pub fn from_env() -> Result<Self> {
        Self::new(AworkConfig::from_env()?)
    }

    fn caps(&self) -> &Capabilities {
        &self.info.capabilities
    }

    /// Redeems an invitation code (`POST /invitations/accept`), making the invitee a member
    /// straight away. The code never appears in errors or logs.
    pub async fn accept_invitation(&self, code: &InvitationCode) -> Result<()> {
        let secret = code.expose();
        if secret.trim().is_empty() {
            return Err(Error::invalid_input("invitation_code", "is empty"));
        }
        let body = wire::AcceptInvitation {
            invitation_code: secret,
        };
        let req = Request::post("/invitations/accept")
            .json(&body)
            .secret(secret)
            .operation("accept_invitation");
        self.http.send(req).await.map(|_| ())
    }

    /// The token's user and workspace (`GET /me`): use `workspace.id` for
    /// `AWORK_WORKSPACE_ID`.
    pub async fn me(&self) -> Result<AworkMe> {
        let raw: Value = self.http.json(Request::get("/me").operation("me")).await?;
        let (user, workspace) = {
            let decoded: wire::UserAndWorkspace<'_> =
                decode_value(&raw, "awork UserAndWorkspace", &self.info, "me")?;
            (user_from_wire(&decoded.user), decoded.workspace)
        };
        Ok(AworkMe {
            user: user.with_raw(raw),
            workspace: workspace.unwrap_or_default(),
        })
    }

    /// The workspace's roles (`GET /roles`), archived ones included when asked.
    pub async fn list_roles(&self, include_archived: bool) -> Result<Vec<wire::Role>> {
        let req = Request::get("/roles")
            .query("showArchived", include_archived)
            .operation("list_roles");
        self.http.json(req).await
    }

    /// Every team of the workspace (`GET /teams`, all pages).
    pub async fn list_teams(&self) -> Result<Vec<wire::Team>> {
        let mut out = Vec::new();
        for page in 1..=MAX_PAGES {
            let req = Request::get("/teams")
                .query("page", page)
                .query("pageSize", MAX_PAGE_SIZE)
                .operation("list_teams");
            let items: Vec<wire::Team> = self.http.json(req).await?;
            let short = items.len() < MAX_PAGE_SIZE as usize;
            out.extend(items);
            if short {
                break;
            }
        }
        Ok(out)
    }

    /// The `Invitation` body for `inv`, validated. Nothing is sent when this fails.
    fn invitation_body(&self, inv: &Invitation) -> Result<wire::InvitationBody> {
        let mut role_id: Option<String> = None;
        let mut team_ids: Vec<String> = Vec::new();
        for (i, grant) in inv.grants.iter().enumerate() {
            match grant {
                Grant::AworkRole { role_id: r } => {
                    check_uuid(&format!("grants[{i}].role_id"), r)?;
                    if role_id
                        .as_ref()
                        .is_some_and(|prev| !prev.eq_ignore_ascii_case(r))
                    {
                        return Err(Error::invalid_input(
                            format!("grants[{i}]"),
                            "an awork user has exactly one role; give at most one AworkRole grant",
                        ));
                    }
                    role_id = Some(r.clone());
                }
                Grant::AworkTeam { team_id } => {
                    check_uuid(&format!("grants[{i}].team_id"), team_id)?;
                    if !team_ids.iter().any(|t| t.eq_ignore_ascii_case(team_id)) {
                        team_ids.push(team_id.clone());
                    }
                }
                other => {
                    return Err(Error::unsupported(
                        self,
                        format!("grant of kind {}", other.kind()),
                        "awork understands AworkRole and AworkTeam grants",
                    ));
                }
            }
        }
        if role_id.is_none() {
            role_id = self.settings.default_role_id.clone();
        }
        if team_ids.is_empty() {
            team_ids = self.settings.default_team_ids.clone();
        }
        let name = split_name(&inv.name);
        check_len("name.given", name.given.as_deref(), MAX_NAME)?;
        check_len("name.family", name.family.as_deref(), MAX_NAME)?;
        let attrs = read_attributes(&inv.attributes, false)?;
        Ok(wire::InvitationBody {
            workspace_id: self.settings.workspace_id.clone(),
            invitation_flow: INVITATION_FLOW,
            email: inv.email.as_str().to_owned(),
            first_name: name.given,
            last_name: name.family,
            title: attrs.get("title").cloned().flatten(),
            position: attrs.get("position").cloned().flatten(),
            gender: attrs.get("gender").cloned().flatten(),
            role_id,
            team_ids,
            skip_sending_email: matches!(inv.delivery, EmailDelivery::Suppress),
        })
    }

    /// The receipt for a `POST /invitations` success body.
    fn receipt(
        &self,
        inv: &Invitation,
        sent: &wire::InvitationBody,
        body: &[u8],
    ) -> Result<InviteReceipt> {
        let uncertain = |reason: String| {
            let mut d = VendorDetail::new(self.info.to_string(), "invite");
            d.status = Some(200);
            d.body_excerpt = Some(redact::excerpt(body, &[]));
            Error::Uncertain {
                reason,
                detail: Box::new(d),
            }
        };
        let mut raw: Value = serde_json::from_slice(body).map_err(|e| {
            uncertain(format!(
                "the success answer could not be decoded as InvitationResponse ({e})"
            ))
        })?;
        // The decoded answer borrows from `raw`: take what outlives it before `raw` changes.
        let (user_id, code) = {
            let decoded: wire::InvitationResponse<'_> = serde::Deserialize::deserialize(&raw)
                .map_err(|e| {
                    uncertain(format!(
                        "the success answer could not be decoded as InvitationResponse ({e})"
                    ))
                })?;
            let user_id = decoded
                .user_id
                .filter(|id| check_uuid("userId", id).is_ok())
                .ok_or_else(|| uncertain("the success answer carries no userId".into()))?;
            let code = decoded.invitation_code.filter(|c| !c.is_empty());
            (user_id.into_owned(), code.map(Cow::into_owned))
        };
        // The answer names the workspace the person landed in: anything but ours means the
        // request went somewhere unexpected (awork creates workspaces for invites without a
        // workspaceId). The invite happened, so report it, loudly.
        if let Some(ws) = raw
            .get("workspace")
            .and_then(|w| w.get("id"))
            .and_then(Value::as_str)
            && !ws.eq_ignore_ascii_case(&self.settings.workspace_id)
        {
            tracing::warn!(
                provider = %self.info,
                answered_workspace = ws,
                "awork invited the person into a different workspace than configured"
            );
        }
        // Keep the answer (userId, workspace) without its secrets.
        if let Value::Object(map) = &mut raw {
            map.retain(|k, _| !redact::is_sensitive_key(k));
        }
        let mut grants: Vec<Grant> = Vec::new();
        if let Some(r) = &sent.role_id {
            grants.push(Grant::AworkRole { role_id: r.clone() });
        }
        grants.extend(
            sent.team_ids
                .iter()
                .map(|t| Grant::AworkTeam { team_id: t.clone() }),
        );
        let user = User::new(user_id, UserStatus::Invited)
            .with_email(Some(inv.email.clone()))
            .with_name(split_name(&inv.name))
            .with_grants(grants)
            .with_timestamps(None, None, Some(OffsetDateTime::now_utc()), None)
            .with_raw(raw);
        let mut receipt = InviteReceipt::new(user).with_email_sent(Some(!sent.skip_sending_email));
        if let Some(code) = code {
            receipt = receipt.with_code(
                InvitationCode::new(code),
                Some(OffsetDateTime::now_utc() + INVITATION_CODE_TTL),
            );
        }
        Ok(receipt)
    }

    /// `GET /users/{id}`, undecoded: the wire user the caller decodes borrows from it.
    async fn fetch_user_raw(&self, id: &str, operation: &'static str) -> Result<Value> {
        self.http
            .json(Request::get("/users/{}").segment(id).operation(operation))
            .await
    }

    /// Role and team changes for `change`, given the user's current teams. Validates
    /// everything before anything is sent.
    fn plan_grants(&self, change: &GrantChange) -> Result<GrantPlan> {
        let mut role: Option<String> = None;
        let mut teams: Vec<String> = Vec::new();
        for (i, g) in change.grants().iter().enumerate() {
            match g {
                Grant::AworkRole { role_id } => {
                    check_uuid(&format!("grants[{i}].role_id"), role_id)?;
                    if matches!(change, GrantChange::Remove(_)) {
                        return Err(Error::unsupported(
                            self,
                            "removing an awork role",
                            "every awork user has exactly one role; move them to another role with GrantChange::Add or Replace",
                        ));
                    }
                    if role
                        .as_ref()
                        .is_some_and(|p| !p.eq_ignore_ascii_case(role_id))
                    {
                        return Err(Error::invalid_input(
                            format!("grants[{i}]"),
                            "an awork user has exactly one role; give at most one AworkRole grant",
                        ));
                    }
                    role = Some(role_id.clone());
                }
                Grant::AworkTeam { team_id } => {
                    check_uuid(&format!("grants[{i}].team_id"), team_id)?;
                    teams.push(team_id.to_ascii_lowercase());
                }
                other => {
                    return Err(Error::unsupported(
                        self,
                        format!("grant of kind {}", other.kind()),
                        "awork understands AworkRole and AworkTeam grants",
                    ));
                }
            }
        }
        // Replace changes the kinds it lists; an empty Replace clears every grant that can
        // be cleared (teams: a user always keeps one role).
        let touches_teams = match change {
            GrantChange::Replace(g) => g.is_empty() || !teams.is_empty(),
            _ => !teams.is_empty(),
        };
        Ok(GrantPlan {
            role,
            teams,
            touches_teams,
        })
    }

    async fn apply_grants(
        &self,
        id: &str,
        change: &GrantChange,
        plan: &GrantPlan,
        current: &wire::User<'_>,
    ) -> Result<()> {
        if let Some(role) = &plan.role {
            let body = wire::MoveUserInRole {
                user_id: id,
                to_role_id: role,
            };
            let req = Request::post("/roles/moveuser")
                .json(&body)
                .idempotent(true)
                .operation("update");
            self.http.send(req).await?;
        }
        if !plan.touches_teams {
            return Ok(());
        }
        let have: Vec<String> = current_team_ids(current);
        let (add, remove): (Vec<String>, Vec<String>) = match change {
            GrantChange::Add(_) => (
                plan.teams
                    .iter()
                    .filter(|t| !have.contains(t))
                    .cloned()
                    .collect(),
                Vec::new(),
            ),
            GrantChange::Remove(_) => (
                Vec::new(),
                plan.teams
                    .iter()
                    .filter(|t| have.contains(t))
                    .cloned()
                    .collect(),
            ),
            GrantChange::Replace(_) => (
                plan.teams
                    .iter()
                    .filter(|t| !have.contains(t))
                    .cloned()
                    .collect(),
                have.iter()
                    .filter(|t| !plan.teams.contains(t))
                    .cloned()
                    .collect(),
            ),
            // `GrantChange` is non-exhaustive; a future mode is refused, nothing is sent.
            _ => {
                return Err(Error::unsupported(
                    self,
                    "this grant change mode",
                    "awork supports Replace, Add and Remove",
                ));
            }
        };
        let ids = [id];
        for team in dedup(add) {
            let req = Request::post("/teams/{}/addusers")
                .segment(team)
                .json(&ids)
                .idempotent(true)
                .operation("update");
            self.http.send(req).await?;
        }
        for team in dedup(remove) {
            let req = Request::post("/teams/{}/removeusers")
                .segment(team)
                .json(&ids)
                .idempotent(true)
                .operation("update");
            self.http.send(req).await?;
        }
        Ok(())
    }

    async fn set_state(&self, id: &UserId, op: Operation, route: &'static str) -> Result<()> {
        self.caps().require(self, op)?;
        check_uuid("user_id", id.as_str())?;
        // Setting a state is safe to repeat: marked idempotent so lost answers are retried.
        let req = Request::post(route)
            .segment(id.as_str())
            .idempotent(true)
            .operation(op.as_str());
        self.http.send(req).await.map(|_| ())
    }
}

struct GrantPlan {
    role: Option<String>,
    teams: Vec<String>,
    touches_teams: bool,
}

fn dedup(v: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(v.len());
    for s in v {
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

fn current_team_ids(u: &wire::User<'_>) -> Vec<String> {
    u.teams
        .iter()
        .flatten()
        .filter_map(|t| t.id.as_deref())
        .map(str::to_ascii_lowercase)
        .collect()
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
fn split_name(name: &PersonName) -> PersonName {
    if name.given.is_none()
        && name.family.is_none()
        && let Some(d) = &name.display
    {
        return PersonName::from_display(d.clone());
    }
    name.clone()
}

/// Reads `title`, `position` and `gender` from attributes: strings (or `null` to clear,
/// when `allow_null`), within the spec's lengths, gender one of the allowed values.
fn read_attributes(
    attrs: &BTreeMap<String, Value>,
    allow_null: bool,
) -> Result<BTreeMap<&'static str, Option<String>>> {
    let mut out = BTreeMap::new();
    for (key, max) in ATTRIBUTES {
        let field = format!("attributes.{key}");
        let value = match attrs.get(*key) {
            None => continue,
            Some(Value::Null) if allow_null => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                return Err(Error::invalid_input(
                    field,
                    if allow_null {
                        "must be a string or null"
                    } else {
                        "must be a string"
                    },
                ));
            }
        };
        check_len(&field, value.as_deref(), *max)?;
        if *key == "gender"
            && let Some(g) = &value
            && !GENDERS.contains(&g.as_str())
        {
            return Err(Error::invalid_input(
                field,
                format!("must be one of {}", GENDERS.join(", ")),
            ));
        }
        out.insert(*key, value);
    }
    // Unknown keys were refused by `Capabilities::check_*` already.
    Ok(out)
}

/// Decodes `T` from `raw`; a `T` with borrowed fields borrows its strings from `raw`.
fn decode_value<'a, T: serde::Deserialize<'a>>(
    raw: &'a Value,
    expected: &str,
    info: &ProviderInfo,
    operation: &'static str,
) -> Result<T> {
    serde::Deserialize::deserialize(raw).map_err(|e| {
        let mut d = VendorDetail::new(info.to_string(), operation);
        d.message = Some(e.to_string());
        d.body_excerpt = Some(redact::excerpt(raw.to_string().as_bytes(), &[]));
        Error::Decode {
            expected: expected.to_owned(),
            detail: Box::new(d),
        }
    })
}

/// Where an awork user stands.
///
/// Deleted (`deletedOn` set: soft delete), archived and deactivated (top-level or in
/// `status`) all mean "present but without access" and win over a pending invitation;
/// then `status.invitationAccepted == false` means invited; otherwise active.
pub(crate) fn status_of(u: &wire::User<'_>) -> UserStatus {
    let status = u.status.clone().unwrap_or_default();
    let deleted = u
        .deleted_on
        .as_deref()
        .is_some_and(|s| !s.trim().is_empty());
    if deleted
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

/// The email of an awork user: `User` has no email field, so it is the first
/// `userContactInfos` entry with `type: "email"` whose value is a valid address.
pub(crate) fn email_of(u: &wire::User<'_>) -> Option<Email> {
    u.user_contact_infos
        .iter()
        .flatten()
        .filter(|c| {
            c.kind
                .as_deref()
                .is_some_and(|k| k.eq_ignore_ascii_case("email"))
        })
        .find_map(|c| c.value.as_deref().and_then(|v| Email::parse(v).ok()))
}

/// The normalized user for an awork `User`. The caller adds the raw payload
/// ([`User::with_raw`]) once `u`, which borrows its strings from it, is gone.
pub(crate) fn user_from_wire(u: &wire::User<'_>) -> User {
    let non_blank = |s: &Option<Cow<'_, str>>| {
        s.as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(str::to_owned)
    };
    let name = PersonName {
        given: non_blank(&u.first_name),
        family: non_blank(&u.last_name),
        display: None,
    };
    let grants = current_team_ids_raw(u)
        .into_iter()
        .map(|team_id| Grant::AworkTeam { team_id })
        .collect();
    User::new(u.id.as_deref().unwrap_or_default(), status_of(u))
        .with_email(email_of(u))
        .with_name(name)
        .with_grants(grants)
        .with_timestamps(
            u.created_on.as_deref().and_then(parse_timestamp),
            u.updated_on.as_deref().and_then(parse_timestamp),
            None,
            None,
        )
}

fn current_team_ids_raw(u: &wire::User<'_>) -> Vec<String> {
    u.teams
        .iter()
        .flatten()
        .filter_map(|t| t.id.as_deref())
        .map(str::to_owned)
        .collect()
}

/// Decodes one awork `User` from `raw`, maps it, then keeps `raw` as the payload.
fn user_from_value(raw: Value, info: &ProviderInfo, op: &'static str) -> Result<User> {
    let user = {
        let wire: wire::User<'_> = decode_value(&raw, "awork User", info, op)?;
        user_from_wire(&wire)
    };
    Ok(user.with_raw(raw))
}

fn users_from_values(
    values: Vec<Value>,
    info: &ProviderInfo,
    op: &'static str,
) -> Result<Vec<User>> {
    values
        .into_iter()
        .map(|v| user_from_value(v, info, op))
        .collect()
}

async fn fetch_users_page(
    http: &HttpClient,
    info: &ProviderInfo,
    page: u32,
    size: u32,
    include_archived: bool,
    op: &'static str,
) -> Result<Vec<User>> {
    let mut req = Request::get("/users")
        .query("page", page)
        .query("pageSize", size);
    if include_archived {
        req = req.query("showArchived", true);
    }
    let values: Vec<Value> = http.json(req.operation(op)).await?;
    users_from_values(values, info, op)
}

/// A lazy stream over every user: `page` is 1-based, and a page shorter than `pageSize`
/// ends it (awork sends no totals or paging headers, contracts 4.7).
fn user_stream(
    http: HttpClient,
    info: ProviderInfo,
    size: u32,
    include_archived: bool,
    op: &'static str,
) -> BoxStream<'static, Result<User>> {
    paginate(1u32, move |page| {
        let http = http.clone();
        let info = info.clone();
        async move {
            let items = fetch_users_page(&http, &info, page, size, include_archived, op).await?;
            let next = (items.len() >= size as usize).then(|| page.saturating_add(1));
            Ok(Page::new(items, next))
        }
    })
}

#[async_trait]
impl InviteProvider for AworkProvider {
    async fn invite(&self, invitation: &Invitation) -> Result<InviteReceipt> {
        self.caps().check_invitation(self, invitation)?;
        let body = self.invitation_body(invitation)?;
        let req = Request::post("/invitations")
            .json(&body)
            .operation("invite");
        let resp = self.http.send(req).await?;
        self.receipt(invitation, &body, &resp.body)
    }

    async fn resend(&self, _id: &UserId) -> Result<()> {
        self.caps().require(self, Operation::Resend)?;
        Err(Error::unsupported(
            self,
            "resend",
            "awork has no resend endpoint",
        ))
    }
}

#[async_trait]
impl UserDirectory for AworkProvider {
    fn list(&self, query: ListQuery) -> BoxStream<'static, Result<User>> {
        if let Err(e) = self.caps().require(self, Operation::List) {
            return futures::stream::once(async move { Err(e) }).boxed();
        }
        let size = query
            .page_size
            .unwrap_or(MAX_PAGE_SIZE)
            .clamp(1, MAX_PAGE_SIZE);
        user_stream(
            self.http.clone(),
            self.info.clone(),
            size,
            query.include_inactive,
            "list",
        )
    }

    async fn get(&self, id: &UserId) -> Result<User> {
        self.caps().require(self, Operation::Get)?;
        check_uuid("user_id", id.as_str())?;
        let raw = self.fetch_user_raw(id.as_str(), "get").await?;
        user_from_value(raw, &self.info, "get")
    }

    /// Pages through `GET /users` (archived users included) and matches the `type: "email"`
    /// contact infos case-insensitively: awork's `User` has no email field and no
    /// server-side email filter is documented. A present account wins over a deleted one.
    async fn find_by_email(&self, email: &Email) -> Result<Option<User>> {
        self.caps().require(self, Operation::FindByEmail)?;
        let mut stream = user_stream(
            self.http.clone(),
            self.info.clone(),
            MAX_PAGE_SIZE,
            true,
            "find_by_email",
        );
        let mut fallback = None;
        while let Some(item) = stream.next().await {
            let user = item?;
            if user.has_email(email) {
                if user.status.is_present() {
                    return Ok(Some(user));
                }
                fallback.get_or_insert(user);
            }
        }
        Ok(fallback)
    }

    async fn update(&self, id: &UserId, patch: &UserPatch) -> Result<User> {
        self.caps().check_patch(self, patch)?;
        check_uuid("user_id", id.as_str())?;
        let name = patch.name.as_ref().map(split_name);
        if let Some(n) = &name {
            check_len("name.given", n.given.as_deref(), MAX_NAME)?;
            check_len("name.family", n.family.as_deref(), MAX_NAME)?;
        }
        let attrs = read_attributes(&patch.attributes, true)?;
        let plan = patch
            .grants
            .as_ref()
            .map(|c| self.plan_grants(c).map(|p| (c, p)))
            .transpose()?;

        let current_raw = self.fetch_user_raw(id.as_str(), "update").await?;
        let current: wire::User<'_> =
            decode_value(&current_raw, "awork User", &self.info, "update")?;
        // The user as it stands after the last call that answered with it; `None`: unchanged.
        let mut result: Option<User> = None;
        if name.is_some() || !attrs.is_empty() {
            // PUT replaces every UserForm field: start from the current values.
            let owned = |now: &Option<Cow<'_, str>>| now.as_deref().map(str::to_owned);
            let keep = |key: &str, now: &Option<Cow<'_, str>>| match attrs.get(key) {
                Some(v) => v.clone(),
                None => owned(now),
            };
            let form = wire::UserForm {
                first_name: name
                    .as_ref()
                    .map_or_else(|| owned(&current.first_name), |n| n.given.clone()),
                last_name: name
                    .as_ref()
                    .map_or_else(|| owned(&current.last_name), |n| n.family.clone()),
                birth_date: current.birth_date.as_deref().map(normalize_timestamp),
                gender: keep("gender", &current.gender),
                title: keep("title", &current.title),
                position: keep("position", &current.position),
                language: owned(&current.language),
            };
            let req = Request::put("/users/{}")
                .segment(id.as_str())
                .json(&form)
                .operation("update");
            let raw: Value = self.http.json(req).await?;
            result = Some(user_from_value(raw, &self.info, "update")?);
        }
        if let Some((change, plan)) = plan {
            self.apply_grants(id.as_str(), change, &plan, &current)
                .await?;
            let raw = self.fetch_user_raw(id.as_str(), "update").await?;
            result = Some(user_from_value(raw, &self.info, "update")?);
        }
        match result {
            Some(user) => Ok(user),
            None => Ok(user_from_wire(&current).with_raw(current_raw)),
        }
    }

    async fn deactivate(&self, id: &UserId) -> Result<()> {
        self.set_state(id, Operation::Deactivate, "/users/{}/deactivate")
            .await
    }

    async fn reactivate(&self, id: &UserId) -> Result<()> {
        self.set_state(id, Operation::Reactivate, "/users/{}/activate")
            .await
    }

    async fn remove(&self, id: &UserId) -> Result<()> {
        self.caps().require(self, Operation::Remove)?;
        check_uuid("user_id", id.as_str())?;
        let req = Request::delete("/users/{}")
            .segment(id.as_str())
            .operation("remove");
        self.http.send(req).await.map(|_| ())
    }
}

/// A timestamp re-sent as RFC 3339 when it can be read (awork's own example
/// `1998-04-19T00:00:000Z` is not valid), else as it came.
fn normalize_timestamp(s: &str) -> String {
    use time::format_description::well_known::Rfc3339;
    parse_timestamp(s)
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| s.to_owned())
}

/// awork's error mapper: reads `ErrorResponse`, takes `traceId` as the request id, and
/// classifies by status (401, 403, 404, 409, 429 as usual) plus `code` (the codes in
/// [`ALREADY_MEMBER_CODES`] are conflicts, whatever the status).
pub fn parse_error(r: http::ErrorResponse<'_>) -> Error {
    let body: Option<wire::ErrorResponse> = r.json();
    let Some(body) = body else {
        return r.classify_generic();
    };
    let mut message = body.description.clone().unwrap_or_default();
    let mut extras: Vec<String> = body.details.clone().unwrap_or_default();
    for v in body.validation_errors.iter().flatten() {
        match (&v.property, &v.message) {
            (Some(p), Some(m)) => extras.push(format!("{p}: {m}")),
            (None, Some(m)) => extras.push(m.clone()),
            _ => {}
        }
    }
    if !extras.is_empty() {
        if !message.is_empty() {
            message.push_str(" (");
            message.push_str(&extras.join("; "));
            message.push(')');
        } else {
            message = extras.join("; ");
        }
    }
    let code = body.code.clone();
    let mut err = r.classify(code.clone(), Some(message));
    if let Some(trace) = body.trace_id.filter(|t| !t.trim().is_empty())
        && let Some(d) = err.detail_mut()
    {
        d.request_id = Some(redact::truncate(trace.trim(), 128));
    }
    if code.as_deref().is_some_and(is_already_member_code)
        && !matches!(err, Error::Conflict(_))
        && let Some(d) = err.detail()
    {
        return Error::Conflict(Box::new(d.clone()));
    }
    err
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire_user(v: Value) -> wire::User<'static> {
        // An owned value decodes into owned strings.
        serde::Deserialize::deserialize(v).unwrap()
    }

    #[test]
    fn status_mapping() {
        let s = |v: Value| status_of(&wire_user(v));
        assert_eq!(
            s(serde_json::json!({"status": {"invitationAccepted": false, "isDeactivated": false}})),
            UserStatus::Invited
        );
        assert_eq!(
            s(serde_json::json!({"status": {"invitationAccepted": true}})),
            UserStatus::Active
        );
        assert_eq!(s(serde_json::json!({})), UserStatus::Active);
        assert_eq!(
            s(serde_json::json!({"status": {"invitationAccepted": true, "isDeactivated": true}})),
            UserStatus::Deactivated
        );
        assert_eq!(
            s(serde_json::json!({"isDeactivated": true})),
            UserStatus::Deactivated
        );
        assert_eq!(
            s(serde_json::json!({"isArchived": true, "status": {"invitationAccepted": true}})),
            UserStatus::Deactivated
        );
        assert_eq!(
            s(
                serde_json::json!({"deletedOn": "2024-01-01T00:00:00Z", "status": {"invitationAccepted": false}})
            ),
            UserStatus::Deactivated
        );
        assert_eq!(
            s(serde_json::json!({"deletedOn": null, "status": {"invitationAccepted": false}})),
            UserStatus::Invited
        );
    }

    #[test]
    fn email_from_contact_infos() {
        let u = wire_user(serde_json::json!({
            "userContactInfos": [
                {"type": "phone", "value": "+49 1"},
                {"type": "Email", "value": "not an email"},
                {"type": "email", "value": "Ada@Example.com"}
            ]
        }));
        assert_eq!(email_of(&u).unwrap().as_str(), "Ada@Example.com");
        assert!(email_of(&wire_user(serde_json::json!({"userContactInfos": null}))).is_none());
    }

    #[test]
    fn wire_user_borrows_from_the_raw_value() {
        let raw = serde_json::json!({
            "id": "c0ffee00-1234-4abc-9def-0123456789ab",
            "firstName": "Ada",
            "userContactInfos": [{"type": "email", "value": "ada@example.com"}],
            "teams": [{"id": "aaaaaaaa-0000-4000-8000-000000000001", "name": "Design"}],
            "workspace": {"id": "ws"}
        });
        let borrowed = |c: &Option<Cow<'_, str>>| matches!(c, Some(Cow::Borrowed(_)));
        let check = |u: &wire::User<'_>| {
            assert!(borrowed(&u.id));
            assert!(borrowed(&u.first_name));
            let contacts = u.user_contact_infos.as_deref().unwrap_or_default();
            assert!(
                contacts
                    .iter()
                    .all(|c| borrowed(&c.kind) && borrowed(&c.value))
            );
            let teams = u.teams.as_deref().unwrap_or_default();
            assert!(teams.iter().all(|t| borrowed(&t.id) && borrowed(&t.name)));
            assert_eq!((contacts.len(), teams.len()), (1, 1));
        };
        let info = ProviderInfo::new(KIND, "ws", capabilities());
        check(&decode_value::<wire::User<'_>>(&raw, "awork User", &info, "get").unwrap());
        let me: wire::UserAndWorkspace<'_> =
            decode_value(&raw, "awork UserAndWorkspace", &info, "me").unwrap();
        check(&me.user);
        let answer = serde_json::json!({"userId": "c0ffee00-1234-4abc-9def-0123456789ab"});
        let invited: wire::InvitationResponse<'_> =
            serde::Deserialize::deserialize(&answer).unwrap();
        assert!(borrowed(&invited.user_id));
    }

    #[test]
    fn decode_errors_redact_codes() {
        let info = ProviderInfo::new(KIND, "ws", capabilities());
        let raw = serde_json::json!({"id": 5, "invitationCode": "c0de-s3cret=="});
        let err = decode_value::<wire::User>(&raw, "awork User", &info, "get").unwrap_err();
        assert!(matches!(err, Error::Decode { .. }), "{err:?}");
        let shown = format!("{err:?} {err}");
        assert!(!shown.contains("c0de-s3cret"), "{shown}");
    }

    #[test]
    fn already_member_codes() {
        assert!(is_already_member_code("user-already-in-workspace"));
        assert!(is_already_member_code("USER-ALREADY-EXISTS"));
        assert!(is_already_member_code("email-already-taken"));
        assert!(!is_already_member_code("not-found"));
        assert!(!is_already_member_code("validation-error"));
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
