//! The Flatfile provider: the [`InviteProvider`] and [`UserDirectory`] impls, the
//! Flatfile-specific calls, the mapping between Flatfile's wire shapes and the normalized
//! model, and [`parse_error`], the adapter's error mapper.
//!
//! Every route, header and field this adapter sends is in this file; the shapes themselves
//! are in [`crate::wire`].

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use futures::stream::BoxStream;
use invite_core::http::{ErrorResponse, HttpClient, Request};
use invite_core::page::{Page, paginate};
use invite_core::redact;
use invite_core::{
    Capabilities, Describe, Email, Error, Grant, GrantChange, GrantKind, Invitation,
    InviteProvider, InviteReceipt, LimitKey, ListQuery, Operation, PersonName, ProviderInfo,
    RawPayload, Result, User, UserDirectory, UserId, UserPatch, UserStatus, VendorDetail, check_id,
    parse_timestamp,
};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::config::{ActorRoleSpec, FlatfileConfig, env};
use crate::wire::{
    Account, ActorRole, AssignActorRoleRequest, Data, Errors, InviteRequest, ListUsersResponse,
    Pagination, Role, UpdateUserRequest, WireAccount, WireUser,
};

/// The provider kind name.
pub const KIND: &str = "flatfile";

/// The header Flatfile's invite page marks required and the SDK sends on every users and
/// roles call. Its server-side effect (suppressing event hooks) is not documented locally.
const DISABLE_HOOKS: &str = "X-Disable-Hooks";

/// Page size used when the caller asks for none. Flatfile's default is 20; asking for more
/// saves requests.
const DEFAULT_PAGE_SIZE: u32 = 100;
/// Largest page size this adapter asks for. UNCONFIRMED: Flatfile documents no maximum
/// (vendor contracts 3.3); 100 is this adapter's own cap.
const MAX_PAGE_SIZE: u32 = 100;

/// Flatfile users and actor roles, through `https://api.x.flatfile.com/v1`.
///
/// Cheap to clone; clones share the connection pool and the per-key rate budget.
#[derive(Clone)]
pub struct FlatfileProvider {
    info: ProviderInfo,
    http: HttpClient,
    default_role: Option<ActorRoleSpec>,
    disable_hooks: bool,
}

impl fmt::Debug for FlatfileProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FlatfileProvider")
            .field("info", &self.info)
            .field("http", &self.http)
            .field("default_role", &self.default_role)
            .field("disable_hooks", &self.disable_hooks)
            .finish()
    }
}

impl fmt::Display for FlatfileProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.info, f)
    }
}

/// What the Flatfile adapter can do.
#[allow(clippy::field_reassign_with_default)]
pub fn capabilities() -> Capabilities {
    let mut c = Capabilities::default();
    c.invite = true;
    // Flatfile always emails the invitee; asking for the email is therefore honoured,
    // asking for silence is not (Flatfile documents no way to skip it).
    c.explicit_email = true;
    c.silent_invite = false;
    c.resend = true;
    c.list = true;
    c.get = true;
    c.server_side_email_lookup = true;
    c.update_name = true;
    // `UpdateUserRequest` has no email field (vendor contracts 3.4).
    c.update_email = false;
    c.update_grants = true;
    c.remove = true;
    // Flatfile has no suspension: deleting is the only way to take access away.
    c.deactivate = false;
    c.reactivate = false;
    c.grant_kinds = vec![GrantKind::FlatfileActorRole];
    c.max_page_size = Some(MAX_PAGE_SIZE);
    c
}

impl FlatfileProvider {
    /// A provider for `config`.
    pub fn new(config: FlatfileConfig) -> Result<Self> {
        // Instance label: the account the default role binds to, else the API host.
        let instance = match &config.default_role {
            Some(r) if r.resource_id.starts_with("us_acc_") => r.resource_id.clone(),
            _ => config.base_url.host_str().unwrap_or_default().to_owned(),
        };
        let info = ProviderInfo::new(KIND, instance, capabilities());
        let token = config.token.secret().clone();
        let limit_key = {
            use secrecy::ExposeSecret;
            LimitKey::hashed("flatfile-key", token.expose_secret())
        };
        let http = HttpClient::builder(info.to_string(), config.base_url.clone())
            .bearer(token)
            .options(config.options.clone())
            .limit_key(limit_key)
            .error_mapper(Arc::new(parse_error))
            .default_header("Accept", "application/json")
            .build()?;
        Ok(Self {
            info,
            http,
            default_role: config.default_role,
            disable_hooks: config.disable_hooks,
        })
    }

    /// A provider configured from the environment ([`FlatfileConfig::from_env`]).
    pub fn from_env() -> Result<Self> {
        Self::new(FlatfileConfig::from_env()?)
    }

    /// The default actor role given to invitees without a `Grant::FlatfileActorRole`.
    pub fn default_role(&self) -> Option<&ActorRoleSpec> {
        self.default_role.as_ref()
    }

    /// The roles of the account (`GET /roles`).
    pub async fn list_roles(&self) -> Result<Vec<Role>> {
        let req = self.users_call(Request::get("/roles").operation("list_roles"));
        Ok(self.http.json::<Data<Vec<Role>>>(req).await?.data)
    }

    /// The account the API key belongs to (`GET /accounts/current`).
    pub async fn current_account(&self) -> Result<Account> {
        // Not a users or roles call: sent without `X-Disable-Hooks`, as the SDK does.
        let req = Request::get("/accounts/current").operation("current_account");
        let raw = self.http.json::<Data<Value>>(req).await?.data;
        let wire: WireAccount = serde::Deserialize::deserialize(&raw)
            .map_err(|e| self.decode_error("current_account", "an account", &e, &raw))?;
        Ok(Account {
            id: wire.id,
            name: wire.name,
            default_environment_id: wire.default_environment_id,
            raw,
        })
    }

    /// A user's role assignments (`GET /users/{userId}/roles`).
    pub async fn user_roles(&self, id: &UserId) -> Result<Vec<ActorRole>> {
        check_id("id", id.as_str())?;
        self.fetch_roles(id, "user_roles").await
    }

    /// Gives a user a role on a resource (`POST /users/{userId}/roles`).
    pub async fn assign_role(
        &self,
        id: &UserId,
        role_id: &str,
        resource_id: &str,
    ) -> Result<ActorRole> {
        check_id("id", id.as_str())?;
        let spec = ActorRoleSpec::new(role_id, resource_id, "role")?;
        self.post_role(id, &spec, "assign_role").await
    }

    /// Takes a role on a resource away from a user: lists the user's assignments and
    /// deletes every one that matches (`DELETE /users/{userId}/roles/{actorRoleId}`).
    /// Returns how many were deleted (0 when the user did not hold the role).
    pub async fn remove_role(
        &self,
        id: &UserId,
        role_id: &str,
        resource_id: &str,
    ) -> Result<usize> {
        check_id("id", id.as_str())?;
        let spec = ActorRoleSpec::new(role_id, resource_id, "role")?;
        let mut removed = 0;
        for role in self.fetch_roles(id, "remove_role").await? {
            if role.role_id == spec.role_id && role.resource_id == spec.resource_id {
                self.delete_actor_role(id, &role.id, "remove_role").await?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Deletes one role assignment by its id (`us_acr_…`).
    pub async fn remove_actor_role(&self, id: &UserId, actor_role_id: &str) -> Result<()> {
        check_id("id", id.as_str())?;
        check_id("actor_role_id", actor_role_id)?;
        self.delete_actor_role(id, actor_role_id, "remove_actor_role")
            .await
    }

    // ---- requests ----------------------------------------------------------------------

    /// Adds `X-Disable-Hooks: true` when configured (every users and roles call).
    fn users_call(&self, req: Request) -> Request {
        with_hooks(req, self.disable_hooks)
    }

    async fn fetch_user(&self, id: &UserId, op: &'static str) -> Result<User> {
        let req = self.users_call(Request::get("/users/{}").segment(id.as_str()).operation(op));
        let raw = self.http.json::<Data<Box<RawValue>>>(req).await?.data;
        user_from_raw(&self.info, op, raw)
    }

    async fn fetch_roles(&self, id: &UserId, op: &'static str) -> Result<Vec<ActorRole>> {
        let req = self.users_call(
            Request::get("/users/{}/roles")
                .segment(id.as_str())
                .operation(op),
        );
        Ok(self.http.json::<Data<Vec<ActorRole>>>(req).await?.data)
    }

    async fn post_role(
        &self,
        id: &UserId,
        spec: &ActorRoleSpec,
        op: &'static str,
    ) -> Result<ActorRole> {
        let body = AssignActorRoleRequest {
            role_id: &spec.role_id,
            resource_id: &spec.resource_id,
        };
        let req = self.users_call(
            Request::post("/users/{}/roles")
                .segment(id.as_str())
                .json(&body)
                .operation(op),
        );
        Ok(self.http.json::<Data<ActorRole>>(req).await?.data)
    }

    async fn delete_actor_role(
        &self,
        id: &UserId,
        actor_role_id: &str,
        op: &'static str,
    ) -> Result<()> {
        let req = self.users_call(
            Request::delete("/users/{}/roles/{}")
                .segment(id.as_str())
                .segment(actor_role_id)
                .operation(op),
        );
        let resp = self.http.send(req).await?;
        self.check_success(op, &resp.body)
    }

    /// Flatfile answers `Success` = `{data?: {success: boolean}}`; an explicit `false` is a
    /// failure even with a 2xx status. Anything else (absent, unreadable) counts as done.
    fn check_success(&self, op: &'static str, body: &[u8]) -> Result<()> {
        let said_false = serde_json::from_slice::<Value>(body)
            .ok()
            .and_then(|v| v.get("data")?.get("success")?.as_bool())
            == Some(false);
        if said_false {
            let mut d = VendorDetail::new(self.info.to_string(), op);
            d.message = Some("Flatfile answered success: false".into());
            d.body_excerpt = Some(redact::excerpt(body, &[]));
            return Err(Error::Vendor(Box::new(d)));
        }
        Ok(())
    }

    /// Reads the current roles and assigns / deletes the difference to reach what `change`
    /// asks for. New roles are assigned before old ones are deleted, so the user is never
    /// left without a role half-way. Returns the assignments held afterwards.
    async fn apply_grant_change(
        &self,
        id: &UserId,
        change: &GrantChange,
        wanted: &[ActorRoleSpec],
    ) -> Result<Vec<ActorRole>> {
        let current = self.fetch_roles(id, "update").await?;
        let current_grants: Vec<Grant> = current.iter().map(grant_of).collect();
        let desired = change.apply_to(&current_grants);
        let (mut kept, stale): (Vec<ActorRole>, Vec<ActorRole>) = current
            .into_iter()
            .partition(|r| desired.contains(&grant_of(r)));
        for spec in wanted {
            let grant = grant_of_spec(spec);
            if desired.contains(&grant) && !current_grants.contains(&grant) {
                kept.push(self.post_role(id, spec, "update").await?);
            }
        }
        for role in stale {
            match self.delete_actor_role(id, &role.id, "update").await {
                // Already gone (a concurrent change): the goal is reached.
                Ok(()) | Err(Error::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(kept)
    }

    /// The actor roles an invitation asks for, or the configured default.
    fn invite_roles(&self, grants: &[Grant]) -> Result<Vec<ActorRoleSpec>> {
        let roles = specs_of(grants, "grants")?;
        if !roles.is_empty() {
            return Ok(roles);
        }
        match &self.default_role {
            Some(d) => Ok(vec![d.clone()]),
            None => Err(Error::invalid_input(
                "grants",
                format!(
                    "Flatfile requires at least one actor role to invite someone: add \
                     Grant::FlatfileActorRole {{ role_id, resource_id }} to the invitation, or \
                     configure a default role ({} with {} or {}, or \
                     FlatfileConfigBuilder::default_actor_role)",
                    env::ROLE_ID,
                    env::ACCOUNT_ID,
                    env::RESOURCE_ID
                ),
            )),
        }
    }

    fn decode_error(
        &self,
        op: &'static str,
        expected: &str,
        e: &dyn fmt::Display,
        raw: &Value,
    ) -> Error {
        decode_error(&self.info, op, expected, e, &raw.to_string())
    }
}

fn with_hooks(req: Request, disable_hooks: bool) -> Request {
    if disable_hooks {
        req.header(DISABLE_HOOKS, "true")
    } else {
        req
    }
}

/// The next page number, or `None` at the end: Flatfile's pages are 1-based and the
/// answer's `pagination.pageCount` says how many there are; without `pagination` there is
/// only one page (vendor contracts 3.6).
fn next_page(page: u32, pagination: Option<&Pagination>) -> Option<u32> {
    let count = pagination?.page_count?;
    (u64::from(page) < count).then(|| page.saturating_add(1))
}

/// Validates the actor role grants, naming the offending field (`grants[1].resource_id`),
/// and drops duplicates.
fn specs_of(grants: &[Grant], field: &str) -> Result<Vec<ActorRoleSpec>> {
    let mut out: Vec<ActorRoleSpec> = Vec::with_capacity(grants.len());
    for (i, grant) in grants.iter().enumerate() {
        let spec = match grant {
            Grant::FlatfileActorRole {
                role_id,
                resource_id,
            } => ActorRoleSpec::new(
                role_id.as_str(),
                resource_id.as_str(),
                &format!("{field}[{i}]"),
            )?,
            other => {
                return Err(Error::invalid_input(
                    format!("{field}[{i}]"),
                    format!(
                        "Flatfile only understands actor roles, not a {}",
                        other.kind()
                    ),
                ));
            }
        };
        if !out.contains(&spec) {
            out.push(spec);
        }
    }
    Ok(out)
}

fn grant_of(role: &ActorRole) -> Grant {
    Grant::FlatfileActorRole {
        role_id: role.role_id.clone(),
        resource_id: role.resource_id.clone(),
    }
}

fn grant_of_spec(spec: &ActorRoleSpec) -> Grant {
    Grant::FlatfileActorRole {
        role_id: spec.role_id.clone(),
        resource_id: spec.resource_id.clone(),
    }
}

/// Maps a Flatfile `User` / `UserWithRoles` to the normalized [`User`]. The caller adds the
/// raw payload ([`User::with_raw`]) once `wire`, which borrows its strings from it, is gone.
///
/// - **Status**: Flatfile's user has no status field. A user with `lastSeenAt` has used
///   the product since the invitation and is [`UserStatus::Active`]; anyone else is
///   [`UserStatus::Invited`]. This is an inference, not a documented state.
/// - **Name**: `name` is a display name (Flatfile may answer with the email's local part
///   instead of the name sent, vendor contracts 3.8 trap 4).
/// - **Grants**: from `actorRoles`, which only the invite answer carries; `get` and `list`
///   answer without roles (use [`FlatfileProvider::user_roles`]).
/// - **Timestamps**: `createdAt`, `updatedAt`; `lastSeenAt` as the last login.
pub(crate) fn map_user(wire: WireUser<'_>) -> User {
    let email = wire.email.as_deref().and_then(|e| Email::parse(e).ok());
    let name = wire
        .name
        .as_deref()
        .map(PersonName::from_display)
        .unwrap_or_default();
    let status = if wire.last_seen_at.is_some() {
        UserStatus::Active
    } else {
        UserStatus::Invited
    };
    let grants = wire.actor_roles.iter().flatten().map(grant_of).collect();
    let ts = |s: &Option<Cow<'_, str>>| s.as_deref().and_then(parse_timestamp);
    User::new(wire.id.as_ref(), status)
        .with_email(email)
        .with_name(name)
        .with_grants(grants)
        .with_timestamps(
            ts(&wire.created_at),
            ts(&wire.updated_at),
            None,
            ts(&wire.last_seen_at),
        )
}

/// A user from its JSON text: the typed view borrows from the text, which is then kept as
/// the user's [`RawPayload`] without ever building a `serde_json::Value` tree.
fn user_from_raw(info: &ProviderInfo, op: &'static str, raw: Box<RawValue>) -> Result<User> {
    let user = match serde_json::from_str::<WireUser<'_>>(raw.get()) {
        Ok(wire) => map_user(wire),
        Err(e) => return Err(decode_error(info, op, "a Flatfile user", &e, raw.get())),
    };
    Ok(user.with_raw(RawPayload::from_text(raw)))
}

fn decode_error(
    info: &ProviderInfo,
    op: &'static str,
    expected: &str,
    e: &dyn fmt::Display,
    raw: &str,
) -> Error {
    let mut d = VendorDetail::new(info.to_string(), op);
    d.status = Some(200);
    d.message = Some(e.to_string());
    d.body_excerpt = Some(redact::excerpt(raw.as_bytes(), &[]));
    Error::Decode {
        expected: expected.to_owned(),
        detail: Box::new(d),
    }
}

/// Flatfile's error mapper: reads `{"errors":[{"key"?, "message"}]}` (all messages are
/// kept, joined with `; `; the first `key` is the vendor code) and maps by status:
/// 400 with a `key` → [`Error::InvalidInput`] naming that field, other 400s →
/// [`Error::Vendor`]; 401, 403, 404, 409 and 429 to their variants. A body of another shape
/// (or not JSON) falls back to the generic classification, keeping a redacted excerpt.
/// Keys and messages are scrubbed of the API key in case the server echoes it.
pub fn parse_error(r: ErrorResponse<'_>) -> Error {
    let errors = r.json::<Errors>().map(|e| e.errors).unwrap_or_default();
    if errors.is_empty() {
        return r.classify_generic();
    }
    let scrub = |s: &str| r.scrub(s);
    let key = errors
        .iter()
        .filter_map(|e| e.key.as_deref())
        .find(|k| !k.trim().is_empty())
        .map(scrub);
    let message = errors
        .iter()
        .filter_map(|e| e.message.as_deref())
        .filter(|m| !m.trim().is_empty())
        .map(scrub)
        .collect::<Vec<_>>()
        .join("; ");
    let message = (!message.is_empty()).then_some(message);
    if r.status == 400
        && let Some(field) = &key
    {
        return Error::invalid_input(
            field.clone(),
            format!(
                "Flatfile refused it (HTTP 400): {}",
                redact::truncate(message.as_deref().unwrap_or("no message"), 300)
            ),
        );
    }
    r.classify(key, message)
}

impl Describe for FlatfileProvider {
    fn info(&self) -> &ProviderInfo {
        &self.info
    }
}

#[async_trait]
impl InviteProvider for FlatfileProvider {
    /// `POST /users/invite` with `email`, `name` and `actorRoles`.
    async fn invite(&self, invitation: &Invitation) -> Result<InviteReceipt> {
        self.info
            .capabilities
            .check_invitation(&self.info, invitation)?;
        let name = invitation
            .name
            .full()
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty())
            .ok_or_else(|| {
                Error::invalid_input(
                    "name",
                    "Flatfile requires a name to invite someone (Invitation::with_name)",
                )
            })?;
        let roles = self.invite_roles(&invitation.grants)?;
        let body = InviteRequest {
            email: invitation.email.as_str(),
            name: &name,
            actor_roles: roles
                .iter()
                .map(|r| AssignActorRoleRequest {
                    role_id: &r.role_id,
                    resource_id: &r.resource_id,
                })
                .collect(),
        };
        let req = self.users_call(
            Request::post("/users/invite")
                .json(&body)
                .operation("invite"),
        );
        let raw = self.http.json::<Data<Box<RawValue>>>(req).await?.data;
        let decoded = serde_json::from_str::<WireUser<'_>>(raw.get()).map(map_user);
        match decoded {
            Ok(user) => Ok(InviteReceipt::new(
                user.with_raw(RawPayload::from_text(raw)),
            )),
            // The invitation was accepted (2xx) but the answer is unreadable: the account
            // probably exists, so report an uncertain outcome for `ensure_invited` to
            // reconcile rather than a plain failure someone might retry.
            Err(e) => {
                let mut d = VendorDetail::new(self.info.to_string(), "invite");
                d.status = Some(200);
                d.body_excerpt = Some(redact::excerpt(raw.get().as_bytes(), &[]));
                Err(Error::Uncertain {
                    reason: format!("the invite answer is not a Flatfile user ({e})"),
                    detail: Box::new(d),
                })
            }
        }
    }

    /// `POST /users/{userId}/resend-invite`.
    async fn resend(&self, id: &UserId) -> Result<()> {
        self.info
            .capabilities
            .require(&self.info, Operation::Resend)?;
        check_id("id", id.as_str())?;
        let req = self.users_call(
            Request::post("/users/{}/resend-invite")
                .segment(id.as_str())
                .operation("resend"),
        );
        let resp = self.http.send(req).await?;
        self.check_success("resend", &resp.body)
    }
}

#[async_trait]
impl UserDirectory for FlatfileProvider {
    /// `GET /users?pageSize=&pageNumber=` page by page, starting at 1.
    fn list(&self, query: ListQuery) -> BoxStream<'static, Result<User>> {
        if let Err(e) = self.info.capabilities.require(&self.info, Operation::List) {
            return Box::pin(futures::stream::once(async move { Err(e) }));
        }
        let size = query
            .page_size
            .unwrap_or(DEFAULT_PAGE_SIZE)
            .clamp(1, MAX_PAGE_SIZE);
        let http = self.http.clone();
        let info = self.info.clone();
        let hooks = self.disable_hooks;
        paginate(1u32, move |page| {
            let http = http.clone();
            let info = info.clone();
            async move {
                let req = with_hooks(
                    Request::get("/users")
                        .query("pageSize", size)
                        .query("pageNumber", page)
                        .operation("list"),
                    hooks,
                );
                let resp: ListUsersResponse = http.json(req).await?;
                let next = next_page(page, resp.pagination.as_ref());
                let users = resp
                    .data
                    .into_iter()
                    .map(|raw| user_from_raw(&info, "list", raw))
                    .collect::<Result<Vec<_>>>()?;
                Ok(Page::new(users, next))
            }
        })
    }

    /// `GET /users/{userId}`.
    async fn get(&self, id: &UserId) -> Result<User> {
        self.info.capabilities.require(&self.info, Operation::Get)?;
        check_id("id", id.as_str())?;
        self.fetch_user(id, "get").await
    }

    /// `GET /users?email=…`, then an exact, case-insensitive comparison on this side.
    ///
    /// UNCONFIRMED (vendor contracts 7.11): whether Flatfile's `email` filter matches
    /// exactly or ignores case. The address is sent as typed; when that finds nothing and
    /// it has capitals, the lower-cased address is tried too. Only an exact
    /// (case-insensitive) match is returned, however loosely the server filters.
    async fn find_by_email(&self, email: &Email) -> Result<Option<User>> {
        self.info
            .capabilities
            .require(&self.info, Operation::FindByEmail)?;
        if let Some(user) = self.find_with_filter(email, email.as_str()).await? {
            return Ok(Some(user));
        }
        if email.as_str() != email.normalized() {
            return self.find_with_filter(email, email.normalized()).await;
        }
        Ok(None)
    }

    /// `PATCH /users/{userId}` for the name; the user's roles for grants (read, then
    /// `POST`/`DELETE` the difference).
    async fn update(&self, id: &UserId, patch: &UserPatch) -> Result<User> {
        self.info.capabilities.check_patch(&self.info, patch)?;
        check_id("id", id.as_str())?;
        // Everything is validated before the first request.
        let name = match &patch.name {
            Some(n) => Some(
                n.full()
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .ok_or_else(|| Error::invalid_input("name", "the new name is empty"))?,
            ),
            None => None,
        };
        let wanted = match &patch.grants {
            Some(change) => Some((change, specs_of(change.grants(), "grants")?)),
            None => None,
        };

        let mut user = None;
        if let Some(name) = &name {
            let req = self.users_call(
                Request::patch("/users/{}")
                    .segment(id.as_str())
                    .json(&UpdateUserRequest { name })
                    .operation("update"),
            );
            let raw = self.http.json::<Data<Box<RawValue>>>(req).await?.data;
            user = Some(user_from_raw(&self.info, "update", raw)?);
        }
        let roles = match &wanted {
            Some((change, specs)) => Some(self.apply_grant_change(id, change, specs).await?),
            None => None,
        };
        let mut user = match user {
            Some(u) => u,
            None => self.fetch_user(id, "update").await?,
        };
        if let Some(roles) = roles {
            user.grants = roles.iter().map(grant_of).collect();
        }
        Ok(user)
    }

    async fn deactivate(&self, _id: &UserId) -> Result<()> {
        self.info
            .capabilities
            .require(&self.info, Operation::Deactivate)
    }

    async fn reactivate(&self, _id: &UserId) -> Result<()> {
        self.info
            .capabilities
            .require(&self.info, Operation::Reactivate)
    }

    /// `DELETE /users/{userId}`.
    async fn remove(&self, id: &UserId) -> Result<()> {
        self.info
            .capabilities
            .require(&self.info, Operation::Remove)?;
        check_id("id", id.as_str())?;
        let req = self.users_call(
            Request::delete("/users/{}")
                .segment(id.as_str())
                .operation("remove"),
        );
        let resp = self.http.send(req).await?;
        self.check_success("remove", &resp.body)
    }
}

impl FlatfileProvider {
    async fn find_with_filter(&self, email: &Email, filter: &str) -> Result<Option<User>> {
        let mut page = 1u32;
        loop {
            let req = self.users_call(
                Request::get("/users")
                    .query("email", filter)
                    .query("pageSize", DEFAULT_PAGE_SIZE)
                    .query("pageNumber", page)
                    .operation("find_by_email"),
            );
            let resp: ListUsersResponse = self.http.json(req).await?;
            let empty = resp.data.is_empty();
            for raw in resp.data {
                let user = user_from_raw(&self.info, "find_by_email", raw)?;
                if user.has_email(email) {
                    return Ok(Some(user));
                }
            }
            match next_page(page, resp.pagination.as_ref()) {
                Some(n) if !empty => page = n,
                _ => return Ok(None),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The adapter reads users from their JSON text; these tests write them as values.
    fn user_from_value(info: &ProviderInfo, op: &'static str, raw: Value) -> Result<User> {
        user_from_raw(info, op, RawValue::from_string(raw.to_string()).unwrap())
    }

    /// The user's payload is kept as the vendor's text, verbatim, and strings with escapes
    /// (which cannot be borrowed from it) are read all the same.
    #[test]
    fn the_payload_is_kept_as_the_vendors_text() {
        let text = r#"{"id":"us_usr_9","name":"Ada \"Countess\" Lovelace","email":"ada@example.com","extra":1.50}"#;
        let u = user_from_raw(
            &ProviderInfo::new(KIND, "", capabilities()),
            "get",
            RawValue::from_string(text.to_owned()).unwrap(),
        )
        .unwrap();
        assert_eq!(u.raw.text(), Some(text));
        assert_eq!(u.name.display.as_deref(), Some("Ada \"Countess\" Lovelace"));
        assert_eq!(u.raw["extra"], 1.5);
        assert_eq!(u.id.as_str(), "us_usr_9");
    }

    #[test]
    fn pages_stop_at_page_count_or_without_pagination() {
        let p = |n| Pagination { page_count: n };
        assert_eq!(next_page(1, None), None);
        assert_eq!(next_page(1, Some(&p(None))), None);
        assert_eq!(next_page(1, Some(&p(Some(0)))), None);
        assert_eq!(next_page(1, Some(&p(Some(1)))), None);
        assert_eq!(next_page(1, Some(&p(Some(3)))), Some(2));
        assert_eq!(next_page(3, Some(&p(Some(3)))), None);
        assert_eq!(next_page(4, Some(&p(Some(3)))), None);
    }

    #[test]
    fn status_is_inferred_from_last_seen() {
        let raw = serde_json::json!({
            "id": "us_usr_1", "email": "Ada@Example.com", "name": "Ada Lovelace",
            "createdAt": "2024-01-02T03:04:05.678Z", "updatedAt": "2024-01-02T03:04:05.678Z",
            "actorRoles": [{"id": "us_acr_1", "roleId": "us_rol_1", "actorId": "us_ag_1", "resourceId": "us_acc_1"}],
            "unknownField": {"x": 1}
        });
        let u = user_from_value(
            &ProviderInfo::new(KIND, "", capabilities()),
            "get",
            raw.clone(),
        )
        .unwrap();
        assert_eq!(u.status, UserStatus::Invited);
        assert_eq!(u.email.as_ref().unwrap().as_str(), "Ada@Example.com");
        assert_eq!(u.name.full().as_deref(), Some("Ada Lovelace"));
        assert_eq!(u.name.family.as_deref(), Some("Lovelace"));
        assert_eq!(
            u.grants,
            vec![Grant::FlatfileActorRole {
                role_id: "us_rol_1".into(),
                resource_id: "us_acc_1".into()
            }]
        );
        assert!(u.created_at.is_some() && u.last_login_at.is_none());
        assert_eq!(u.raw, raw);

        let seen = serde_json::json!({"id": "us_usr_2", "lastSeenAt": "2024-02-01T00:00:00.000Z", "lastSeenAtX": null});
        let u = user_from_value(&ProviderInfo::new(KIND, "", capabilities()), "get", seen).unwrap();
        assert_eq!(u.status, UserStatus::Active);
        assert!(u.last_login_at.is_some() && u.email.is_none());

        let null_seen = serde_json::json!({"id": "us_usr_3", "lastSeenAt": null});
        let u = user_from_value(
            &ProviderInfo::new(KIND, "", capabilities()),
            "get",
            null_seen,
        )
        .unwrap();
        assert_eq!(u.status, UserStatus::Invited);

        let bad = serde_json::json!({"email": "x@y.com"});
        let e =
            user_from_value(&ProviderInfo::new(KIND, "", capabilities()), "get", bad).unwrap_err();
        assert!(matches!(e, Error::Decode { .. }), "{e:?}");
    }

    #[test]
    fn grants_are_validated_with_field_names() {
        let g = |r: &str, s: &str| Grant::FlatfileActorRole {
            role_id: r.into(),
            resource_id: s.into(),
        };
        let ok = specs_of(
            &[g("us_rol_a", "us_acc_1"), g("us_rol_a", "us_acc_1")],
            "grants",
        )
        .unwrap();
        assert_eq!(ok.len(), 1, "duplicates dropped");
        for (grants, field) in [
            (vec![g("rol_a", "us_acc_1")], "grants[0].role_id"),
            (
                vec![g("us_rol_a", "us_acc_1"), g("us_rol_a", "acc_1")],
                "grants[1].resource_id",
            ),
        ] {
            match specs_of(&grants, "grants") {
                Err(Error::InvalidInput { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{other:?}"),
            }
        }
        match specs_of(
            &[Grant::ScimGroup {
                group_id: "g".into(),
            }],
            "grants",
        ) {
            Err(Error::InvalidInput { field, .. }) => assert_eq!(field, "grants[0]"),
            other => panic!("{other:?}"),
        }
    }
}
