//! The Flatfile adapter: [`Flatfile`] implements core's [`Adapter`] (the shared
//! [`Pipeline`] does the checks, pagination, email matching and grant merging) and carries
//! the Flatfile-specific calls; [`FlatfileProvider`] is the provider callers use.
//!
//! Every route, header and field this adapter sends is in this file; the shapes themselves
//! are in [`crate::wire`].

use std::borrow::Cow;
use std::sync::Arc;

use async_trait::async_trait;
use futures::TryStreamExt;
use invite_core::http::{HttpClient, Request};
use invite_core::page::{Page, paginate};
use invite_core::registry::{ConfigKey, MissingGrant};
use invite_core::{
    Adapter, AdapterGrant, Capabilities, Email, Error, GrantPlan, Invitation, InviteReceipt,
    ListQuery, PersonName, Pipeline, ProviderInfo, Result, User, UserId, UserPatch, UserStatus,
    VendorDetail, check_id, decode, parse_timestamp, redact,
};
use serde::de::DeserializeOwned;
use serde_json::Value;
use time::OffsetDateTime;

use crate::config::{FlatfileConfig, FlatfileConfigKey, env};
use crate::errors::parse_error;
use crate::grant::{ACTOR_ROLE, ActorRole};
use crate::wire::{
    Account, AssignActorRoleRequest, Data, InviteRequest, ListUsersResponse, Pagination, Role,
    RoleAssignment, UpdateUserRequest, WireAccount, WireUser,
};

/// The provider kind name.
pub const KIND: &str = "flatfile";

/// The header Flatfile's reference pages mark required and the SDK sends on every call,
/// `GET /accounts/current` included (`docs/vendors/flatfile.md#trap-disable-hooks-header`).
const DISABLE_HOOKS: &str = "X-Disable-Hooks";

/// How much later than `createdAt` a `lastSeenAt` must be to count as a sighting: Flatfile
/// stamps a new invitee's `lastSeenAt` with its `createdAt`, and this margin absorbs two
/// stamps written apart or at different precisions (`docs/vendors/flatfile.md#trap-last-seen-at-creation`).
const SEEN_AFTER_CREATION: time::Duration = time::Duration::seconds(1);

/// Largest page size this adapter asks for, and the one it asks for when the caller names
/// none (Flatfile's default is 20; asking for more saves requests). UNCONFIRMED: Flatfile
/// documents no maximum (`docs/vendors/flatfile.md#oq-max-page-size`); 100 is this adapter's
/// own cap.
const MAX_PAGE_SIZE: u32 = 100;

/// What the Flatfile adapter can do.
pub const CAPABILITIES: Capabilities = Capabilities {
    invite: true,
    // Flatfile always emails the invitee; asking for the email is therefore honoured,
    // asking for silence is not (Flatfile documents no way to skip it).
    explicit_email: true,
    resend: true,
    list: true,
    get: true,
    server_side_email_lookup: true,
    update_name: true,
    // No `update_email`: `UpdateUserRequest` has no email field
    // (docs/vendors/flatfile.md#trap-email-immutable).
    update_grants: true,
    // No `deactivate` / `reactivate`: Flatfile has no suspension, deleting is the only way
    // to take access away.
    remove: true,
    grant_kinds: &[ACTOR_ROLE],
    max_page_size: Some(MAX_PAGE_SIZE),
    ..Capabilities::NONE
};

/// Flatfile users and actor roles, through `https://api.x.flatfile.com/v1`: the
/// [`Flatfile`] adapter behind the shared pipeline. Build it with
/// `FlatfileProvider::from_config(FlatfileConfig::from_env()?)`; cheap to clone (clones
/// share the connection pool and the per-key rate budget).
pub type FlatfileProvider = Pipeline<Flatfile>;

/// Flatfile's wire mapping (the adapter behind [`FlatfileProvider`]) and its
/// Flatfile-specific calls, which the provider reaches through `Deref`.
#[derive(Clone, Debug)]
pub struct Flatfile {
    info: ProviderInfo,
    http: HttpClient,
    default_role: Option<ActorRole>,
    disable_hooks: bool,
}

impl Flatfile {
    /// The default actor role given to invitees whose invitation carries no [`ActorRole`].
    pub fn default_role(&self) -> Option<&ActorRole> {
        self.default_role.as_ref()
    }

    /// The roles of the account (`GET /roles`).
    pub async fn list_roles(&self) -> Result<Vec<Role>> {
        self.data(Request::get("/roles").operation("list_roles"))
            .await
    }

    /// The account the API key belongs to (`GET /accounts/current`).
    pub async fn current_account(&self) -> Result<Account> {
        let req = Request::get("/accounts/current").operation("current_account");
        let raw: Value = self.data(req).await?;
        let wire: WireAccount = decode(&raw, &self.info, "current_account", "an account")?;
        Ok(Account {
            id: wire.id,
            name: wire.name,
            default_environment_id: wire.default_environment_id,
            raw,
        })
    }

    /// A user's role assignments (`GET /users/{userId}/roles`).
    pub async fn user_roles(&self, id: &UserId) -> Result<Vec<RoleAssignment>> {
        check_id("id", id.as_str())?;
        self.fetch_roles(id, "user_roles").await
    }

    /// Gives a user a role on a resource (`POST /users/{userId}/roles`).
    pub async fn assign_role(&self, id: &UserId, role: &ActorRole) -> Result<RoleAssignment> {
        check_role(id, role)?;
        self.post_role(id, role, "assign_role").await
    }

    /// Takes a role on a resource away from a user: lists the user's assignments and
    /// deletes every one that matches (`DELETE /users/{userId}/roles/{actorRoleId}`).
    /// Returns how many were deleted (0 when the user did not hold the role).
    pub async fn remove_role(&self, id: &UserId, role: &ActorRole) -> Result<usize> {
        check_role(id, role)?;
        let mut removed = 0;
        for held in self.fetch_roles(id, "remove_role").await? {
            if ActorRole::from(&held) == *role {
                self.delete_actor_role(id, &held.id, "remove_role").await?;
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

    /// Adds `X-Disable-Hooks: true` when configured (every call, as the SDK sends it).
    fn call(&self, req: Request) -> Request {
        if self.disable_hooks {
            req.header(DISABLE_HOOKS, "true")
        } else {
            req
        }
    }

    /// Sends a call and answers its `data` (every answer is wrapped so).
    async fn data<T: DeserializeOwned + Send>(&self, req: Request) -> Result<T> {
        let answer: Data<T> = self.http.json(self.call(req)).await?;
        Ok(answer.data)
    }

    /// `GET /users/{userId}`.
    async fn fetch_user(&self, id: &UserId, op: &'static str) -> Result<User> {
        let req = Request::get("/users/{}").segment(id.as_str());
        self.user(self.data(req.operation(op)).await?, op)
    }

    /// One page of `GET /users` (`email` filter first when given), numbered from 1.
    async fn users_page(
        &self,
        page: u32,
        size: u32,
        email: Option<&str>,
        op: &'static str,
    ) -> Result<Page<User, u32>> {
        let mut req = Request::get("/users");
        if let Some(email) = email {
            req = req.query("email", email);
        }
        let req = req
            .query("pageSize", size)
            .query("pageNumber", page)
            .operation(op);
        let resp: ListUsersResponse = self.http.json(self.call(req)).await?;
        let next = next_page(page, resp.pagination.as_ref());
        let users = resp
            .data
            .into_iter()
            .map(|raw| self.user(raw, op))
            .collect::<Result<Vec<_>>>()?;
        Ok(Page::new(users, next))
    }

    async fn fetch_roles(&self, id: &UserId, op: &'static str) -> Result<Vec<RoleAssignment>> {
        let req = Request::get("/users/{}/roles").segment(id.as_str());
        self.data(req.operation(op)).await
    }

    async fn post_role(
        &self,
        id: &UserId,
        role: &ActorRole,
        op: &'static str,
    ) -> Result<RoleAssignment> {
        let req = Request::post("/users/{}/roles")
            .segment(id.as_str())
            .json(&AssignActorRoleRequest::from(role))
            .operation(op);
        self.data(req).await
    }

    async fn delete_actor_role(
        &self,
        id: &UserId,
        actor_role_id: &str,
        op: &'static str,
    ) -> Result<()> {
        let req = Request::delete("/users/{}/roles/{}")
            .segment(id.as_str())
            .segment(actor_role_id);
        self.send_for_success(req, op).await
    }

    /// Sends a call that answers Flatfile's `Success` =
    /// `{data?: {success: boolean}}`: an explicit `false` is a failure even with a 2xx
    /// status. Anything else (absent, unreadable) counts as done.
    async fn send_for_success(&self, req: Request, op: &'static str) -> Result<()> {
        let body = self.http.send(self.call(req.operation(op))).await?.body;
        let said_false = serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|v| v.get("data")?.get("success")?.as_bool())
            == Some(false);
        if said_false {
            let mut d = VendorDetail::new(self.info.to_string(), op);
            d.message = Some("Flatfile answered success: false".into());
            d.body_excerpt = Some(redact::excerpt(&body, &[]));
            return Err(Error::Vendor(Box::new(d)));
        }
        Ok(())
    }

    /// A Flatfile `User` / `UserWithRoles`, kept whole as the user's raw payload.
    fn user(&self, raw: Value, op: &'static str) -> Result<User> {
        let user = map_user(decode(&raw, &self.info, op, "a Flatfile user")?);
        Ok(user.with_raw(raw))
    }

    /// The actor roles an invitation asks for, or the configured default.
    fn invite_roles(&self, roles: Vec<ActorRole>) -> Result<Vec<ActorRole>> {
        if !roles.is_empty() {
            return Ok(roles);
        }
        match &self.default_role {
            Some(d) => Ok(vec![d.clone()]),
            None => Err(Error::invalid_input(
                "grants",
                format!(
                    "Flatfile requires at least one actor role to invite someone: add \
                     ActorRole::new(role_id, resource_id) to the invitation's grants, or \
                     configure a default role ({} with {} or {}, or \
                     FlatfileConfigBuilder::default_actor_role)",
                    env::ROLE_ID,
                    env::ACCOUNT_ID,
                    env::RESOURCE_ID
                ),
            )),
        }
    }

    /// After an invite refusal that may mean "already there": the account with that address
    /// as an already-member receipt, else the refusal itself. Flatfile documents no status
    /// for a duplicate invite (`docs/vendors/flatfile.md#trap-duplicate-invite-undocumented`),
    /// so a 400 or 422 (validation) and a 409 are told apart by looking the address up: a bad
    /// address or role stays the validation error it is. A failing lookup keeps the refusal.
    async fn existing_or(&self, email: &Email, refusal: Error) -> Result<InviteReceipt> {
        match <Self as Adapter>::find_by_email(self, email).await {
            Ok(found) => match found.into_iter().next() {
                Some(user) => {
                    tracing::debug!(target: "invite::flatfile", provider = %self.info, error = %refusal, "invite refused for an existing account; linking it");
                    let mut receipt = InviteReceipt::new(user);
                    receipt.already_member = true;
                    Ok(receipt)
                }
                None => Err(refusal),
            },
            Err(_) => Err(refusal),
        }
    }

    /// Assigns what `plan` adds, then deletes what it removes, so the user is never left
    /// without a role half-way. Returns the roles held afterwards.
    async fn apply(&self, id: &UserId, plan: GrantPlan<ActorRole>) -> Result<Vec<ActorRole>> {
        let mut held: Vec<ActorRole> = plan
            .current
            .iter()
            .filter(|r| plan.desired.contains(r))
            .cloned()
            .collect();
        for role in plan.added() {
            held.push(ActorRole::from(&self.post_role(id, role, "update").await?));
        }
        // The held roles come from `grants_of`, which reads each one's assignment id.
        for acr in plan.removed().filter_map(|r| r.assignment.as_deref()) {
            match self.delete_actor_role(id, acr, "update").await {
                // Already gone (a concurrent change): the goal is reached.
                Ok(()) | Err(Error::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(held)
    }
}

/// Whether an invite error is a refusal that may stand for an existing account: a 409, or a
/// 400 / 422 that names no field or names `email` (a 400 with a field key arrives as
/// [`Error::InvalidInput`], see [`crate::parse_error`]). A refusal naming another field
/// (`roleId`, `X-Disable-Hooks`, …) is about that field, never a duplicate.
fn is_refusal(e: &Error) -> bool {
    let about_the_address = |key: Option<&str>| key.is_none_or(|k| k.eq_ignore_ascii_case("email"));
    match e {
        Error::Conflict(_) => true,
        Error::InvalidInput { field, .. } => about_the_address(Some(field)),
        _ => matches!(e.status(), Some(400 | 422)) && about_the_address(e.vendor_code()),
    }
}

/// Checks a user id and a role the caller names (errors name `id`, `role.role_id`,
/// `role.resource_id`).
fn check_role(id: &UserId, role: &ActorRole) -> Result<()> {
    check_id("id", id.as_str())?;
    role.check("role")
}

/// A name to send: the display name, else the parts; `None` when blank.
fn full_name(name: &PersonName) -> Option<String> {
    name.full()
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
}

/// The next page number, or `None` at the end: Flatfile's pages are 1-based and the
/// answer's `pagination.pageCount` says how many there are; without `pagination` there is
/// only one page (`docs/vendors/flatfile.md#pagination`).
fn next_page(page: u32, pagination: Option<&Pagination>) -> Option<u32> {
    let count = pagination?.page_count?;
    (u64::from(page) < count).then(|| page.saturating_add(1))
}

/// Maps a Flatfile `User` / `UserWithRoles` to the normalized [`User`]. The caller adds the
/// raw payload ([`User::with_raw`]) once `wire`, which borrows its strings from it, is gone.
///
/// - **Status**: Flatfile's user has no status field, and a user just invited already
///   carries `lastSeenAt`, equal to `createdAt` (the invite page's own example). A user is
///   [`UserStatus::Active`] when seen more than [`SEEN_AFTER_CREATION`] after creation (or
///   seen at all when `createdAt` is missing); anyone else is [`UserStatus::Invited`]. An
///   inference, not a documented state (`docs/vendors/flatfile.md#trap-last-seen-at-creation`).
/// - **Name**: `name` is a display name (Flatfile may answer with the email's local part
///   instead of the name sent, `docs/vendors/flatfile.md#trap-name-echo-differs`).
/// - **Grants**: from `actorRoles`, which only the invite answer carries; `get` and `list`
///   answer without roles (use [`Flatfile::user_roles`]).
/// - **Timestamps**: `createdAt`, `updatedAt`; `lastSeenAt` as the last login of an
///   active user only (an invitee's is the creation stamp, not a login).
fn map_user(wire: WireUser<'_>) -> User {
    let email = wire.email.as_deref().and_then(|e| Email::parse(e).ok());
    let name = wire
        .name
        .as_deref()
        .map(PersonName::from_display)
        .unwrap_or_default();
    let grants = wire
        .actor_roles
        .iter()
        .flatten()
        .map(|a| ActorRole::from(a).to_grant())
        .collect();
    let ts = |s: &Option<Cow<'_, str>>| s.as_deref().and_then(parse_timestamp);
    let created = ts(&wire.created_at);
    let seen = ts(&wire.last_seen_at).filter(|seen| seen_since_creation(*seen, created));
    let status = match seen {
        Some(_) => UserStatus::Active,
        None => UserStatus::Invited,
    };
    User::new(wire.id.as_ref(), status)
        .with_email(email)
        .with_name(name)
        .with_grants(grants)
        .with_timestamps(created, ts(&wire.updated_at), None, seen)
}

/// Whether `lastSeenAt` is a sighting after the invitation: more than
/// [`SEEN_AFTER_CREATION`] after `createdAt`, or any value when `createdAt` is unknown.
fn seen_since_creation(seen: OffsetDateTime, created: Option<OffsetDateTime>) -> bool {
    created.is_none_or(|created| seen - created > SEEN_AFTER_CREATION)
}

#[async_trait]
impl Adapter for Flatfile {
    type Config = FlatfileConfig;
    type Grant = ActorRole;
    type Cursor = u32;

    fn from_config(config: FlatfileConfig) -> Result<Self> {
        // Instance label: the account the default role binds to, else the API host.
        let instance = match &config.default_role {
            Some(r) if r.resource_id.starts_with("us_acc_") => r.resource_id.clone(),
            _ => config.base_url.host_str().unwrap_or_default().to_owned(),
        };
        let info = ProviderInfo::new(KIND, instance, CAPABILITIES);
        let http = HttpClient::builder(info.to_string(), config.base_url.clone())
            .bearer_per_token("flatfile-key", config.token.secret())
            .options(config.options.clone())
            .error_mapper(Arc::new(parse_error))
            .accept_json()
            .build()?;
        Ok(Self {
            info,
            http,
            default_role: config.default_role.map(ActorRole::from),
            disable_hooks: config.disable_hooks,
        })
    }

    fn info(&self) -> &ProviderInfo {
        &self.info
    }

    fn first_page(&self) -> u32 {
        1
    }

    /// Flatfile requires an actor role on every invitation: without a default one, each
    /// invitation must bring its own.
    fn missing_grant(&self) -> Option<MissingGrant> {
        self.default_role.is_none().then(|| {
            MissingGrant::new(
                "flatfile requires an actor role (us_rol_…) bound to an account (us_acc_…) or another resource to invite",
                vec![
                    FlatfileConfigKey::RoleId.setting(),
                    FlatfileConfigKey::AccountId.setting(),
                ],
            )
        })
    }

    /// `GET /users?pageSize=&pageNumber=`.
    async fn list_page(&self, page: u32, size: u32, _query: &ListQuery) -> Result<Page<User, u32>> {
        self.users_page(page, size, None, "list").await
    }

    /// `GET /users/{userId}`.
    async fn get(&self, id: &UserId) -> Result<User> {
        self.fetch_user(id, "get").await
    }

    /// `POST /users/invite` with `email`, `name` and `actorRoles`. Flatfile requires a name;
    /// an invitation without one sends the address's local part, the name Flatfile's own
    /// example answers for an invitee (`docs/vendors/flatfile.md#trap-invite-requires-name-and-roles`).
    async fn invite(
        &self,
        invitation: &Invitation,
        roles: Vec<ActorRole>,
    ) -> Result<InviteReceipt> {
        let name =
            full_name(&invitation.name).unwrap_or_else(|| invitation.email.local_part().to_owned());
        let roles = self.invite_roles(roles)?;
        let body = InviteRequest {
            email: invitation.email.as_str(),
            name: &name,
            actor_roles: roles.iter().map(AssignActorRoleRequest::from).collect(),
        };
        let req = Request::post("/users/invite")
            .json(&body)
            .operation("invite");
        let answer = match self.data(req).await {
            Ok(answer) => answer,
            Err(refusal) if is_refusal(&refusal) => {
                return self.existing_or(&invitation.email, refusal).await;
            }
            Err(e) => return Err(e),
        };
        match self.user(answer, "invite") {
            Ok(user) => Ok(InviteReceipt::new(user)),
            // The invitation was accepted (2xx) but the answer is unreadable: the account
            // probably exists, so report an uncertain outcome for `ensure_invited` to
            // reconcile rather than a plain failure someone might retry.
            Err(Error::Decode { mut detail, .. }) => {
                detail.status = Some(200);
                Err(Error::Uncertain {
                    reason: format!(
                        "the invite answer is not a Flatfile user ({})",
                        detail.message.as_deref().unwrap_or("unreadable")
                    ),
                    detail,
                })
            }
            Err(e) => Err(e),
        }
    }

    /// `POST /users/{userId}/resend-invite`.
    async fn resend(&self, id: &UserId) -> Result<()> {
        let req = Request::post("/users/{}/resend-invite").segment(id.as_str());
        self.send_for_success(req, "resend").await
    }

    /// `GET /users?email=…`, page by page until an exact (case-insensitive) match or an
    /// empty page.
    ///
    /// UNCONFIRMED (`docs/vendors/flatfile.md#oq-email-filter-case`): whether Flatfile's
    /// `email` filter matches exactly or ignores case. The address is sent as typed; when
    /// that finds nothing and it has capitals, the lower-cased address is tried too.
    async fn find_by_email(&self, email: &Email) -> Result<Vec<User>> {
        let mut filters = vec![email.as_str()];
        if email.as_str() != email.normalized() {
            filters.push(email.normalized());
        }
        for filter in filters {
            let (this, filter) = (self.clone(), filter.to_owned());
            let mut users = paginate(1, move |page| {
                let (this, filter) = (this.clone(), filter.clone());
                async move {
                    let op = "find_by_email";
                    let found = this.users_page(page, MAX_PAGE_SIZE, Some(&filter), op);
                    let Page { items, next } = found.await?;
                    // An empty page ends the search, whatever `pageCount` says.
                    let next = next.filter(|_| !items.is_empty());
                    Ok(Page::new(items, next))
                }
            });
            while let Some(user) = users.try_next().await? {
                if user.has_email(email) {
                    return Ok(vec![user]);
                }
            }
        }
        Ok(Vec::new())
    }

    /// `GET /users/{userId}/roles`: the roles held, each with its assignment id.
    async fn grants_of(&self, id: &UserId) -> Result<Vec<ActorRole>> {
        let held = self.fetch_roles(id, "update").await?;
        Ok(held.iter().map(ActorRole::from).collect())
    }

    /// `PATCH /users/{userId}` for the name; `POST /users/{userId}/roles` and
    /// `DELETE /users/{userId}/roles/{actorRoleId}` for the grants the plan changes.
    async fn update(
        &self,
        id: &UserId,
        profile: Option<&UserPatch>,
        grants: Option<GrantPlan<ActorRole>>,
    ) -> Result<User> {
        let name = match profile.and_then(|p| p.name.as_ref()) {
            Some(n) => Some(
                full_name(n)
                    .ok_or_else(|| Error::invalid_input("name", "the new name is empty"))?,
            ),
            None => None,
        };
        let mut user = None;
        if let Some(name) = &name {
            let req = Request::patch("/users/{}")
                .segment(id.as_str())
                .json(&UpdateUserRequest { name });
            user = Some(self.user(self.data(req.operation("update")).await?, "update")?);
        }
        let held = match grants {
            Some(plan) => Some(self.apply(id, plan).await?),
            None => None,
        };
        let mut user = match user {
            Some(u) => u,
            None => self.fetch_user(id, "update").await?,
        };
        if let Some(held) = held {
            user.grants = held.iter().map(ActorRole::to_grant).collect();
        }
        Ok(user)
    }

    /// `DELETE /users/{userId}`.
    async fn remove(&self, id: &UserId) -> Result<()> {
        let req = Request::delete("/users/{}").segment(id.as_str());
        self.send_for_success(req, "remove").await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(raw: Value) -> Result<User> {
        let ff = Flatfile::from_config(FlatfileConfig::builder("sk").build().unwrap()).unwrap();
        ff.user(raw, "get")
    }

    /// The user's payload is kept whole, and strings with escapes are read all the same.
    #[test]
    fn the_payload_is_kept_whole() {
        let text = r#"{"id":"us_usr_9","name":"Ada \"Countess\" Lovelace","email":"ada@example.com","extra":1.50}"#;
        let raw: Value = serde_json::from_str(text).unwrap();
        let u = user(raw.clone()).unwrap();
        assert_eq!(u.raw, raw);
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
        let u = user(raw.clone()).unwrap();
        assert_eq!(u.status, UserStatus::Invited);
        assert_eq!(u.email.as_ref().unwrap().as_str(), "Ada@Example.com");
        assert_eq!(u.name.full().as_deref(), Some("Ada Lovelace"));
        assert_eq!(u.name.family.as_deref(), Some("Lovelace"));
        assert_eq!(
            u.grants,
            vec![ActorRole::new("us_rol_1", "us_acc_1").into()]
        );
        assert!(u.created_at.is_some() && u.last_login_at.is_none());
        assert_eq!(u.raw, raw);

        let seen = serde_json::json!({"id": "us_usr_2", "lastSeenAt": "2024-02-01T00:00:00.000Z", "lastSeenAtX": null});
        let u = user(seen).unwrap();
        assert_eq!(u.status, UserStatus::Active);
        assert!(u.last_login_at.is_some() && u.email.is_none());

        let u = user(serde_json::json!({"id": "us_usr_3", "lastSeenAt": null})).unwrap();
        assert_eq!(u.status, UserStatus::Invited);

        // A new invitee's `lastSeenAt` is its `createdAt` (the invite page's example); within
        // a second of it (two stamps, or one written to the second) is no sighting either.
        let created = "2023-10-30T16:59:45.735Z";
        for (seen, status) in [
            (created, UserStatus::Invited),
            ("2023-10-30T16:59:45Z", UserStatus::Invited),
            ("2023-10-30T16:59:46Z", UserStatus::Invited),
            ("2023-10-30T16:59:46.735Z", UserStatus::Invited),
            ("2023-10-30T16:59:46.736Z", UserStatus::Active),
            ("2023-11-02T09:00:00.000Z", UserStatus::Active),
            ("not a time", UserStatus::Invited),
        ] {
            let raw =
                serde_json::json!({"id": "us_usr_4", "createdAt": created, "lastSeenAt": seen});
            let u = user(raw).unwrap();
            assert_eq!(u.status, status, "lastSeenAt {seen}");
            assert_eq!(
                u.last_login_at.is_some(),
                status == UserStatus::Active,
                "{seen}"
            );
        }

        let e = user(serde_json::json!({"email": "x@y.com"})).unwrap_err();
        assert!(matches!(e, Error::Decode { .. }), "{e:?}");
    }
}
