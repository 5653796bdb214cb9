//! [`Awork`]: the awork adapter behind [`AworkProvider`] (the wire calls of every
//! operation), and awork's extra calls ([`Awork::accept_invitation`], [`Awork::me`],
//! [`Awork::list_roles`], [`Awork::list_teams`]).

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use futures::TryStreamExt;
use invite_core::http::{HttpClient, Request};
use invite_core::page::{Page, paginate};
use invite_core::redact;
use invite_core::{
    Adapter, Capabilities, Email, EmailDelivery, Error, GrantPlan, Invitation, InvitationCode,
    InviteReceipt, ListQuery, Pipeline, ProviderInfo, Result, User, UserId, UserPatch, UserStatus,
    VendorDetail, decode,
};
use serde_json::Value;
use time::{Duration, OffsetDateTime};

use crate::config::{AworkConfig, check_uuid};
use crate::errors::parse_error;
use crate::grant::{AworkGrant, ROLE, TEAM};
use crate::user::{
    ATTRIBUTES, Profile, is_deleted, split_name, teams_of, user_from_value, user_from_wire,
};
use crate::wire;

/// The provider kind reported in [`ProviderInfo::kind`].
pub const KIND: &str = "awork";

/// Page size used when [`ListQuery::page_size`] is not set, and the largest one sent.
///
/// The spec's `pageSize` has a default of 10 and **no stated maximum**
/// (`docs/vendors/awork.md#oq-max-page-size`). 100 is the common cap of awork-style APIs and
/// keeps one page well under any plausible server limit; a larger value the server silently
/// clamped would end the "stop on a short page" loop early, so the adapter never asks for
/// more. UNCONFIRMED.
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

/// What the awork adapter can do. Not: `resend` (no such endpoint),
/// `server_side_email_lookup` (`User` has no email and no documented filter: the pipeline
/// scans the user list), `update_email` (`UserForm` has no email), `reinvite_lapsed` (an
/// expired code leaves the invited user in the workspace, so a new invite would meet them:
/// such people are reported instead).
pub const CAPABILITIES: Capabilities = Capabilities {
    invite: true,
    silent_invite: true,   // skipSendingEmail: true
    explicit_email: true,  // skipSendingEmail: false
    invitation_code: true, // InvitationResponse.invitationCode
    list: true,
    get: true,
    update_name: true,
    update_grants: true, // /roles/moveuser, /teams/{id}/addusers|removeusers
    attributes: Cow::Borrowed(ATTRIBUTES),
    deactivate: true,
    reactivate: true,
    remove: true,
    grant_kinds: &[ROLE, TEAM],
    // A user holds exactly one role: convergence never moves an existing user's role.
    exclusive_grant_kinds: &[ROLE],
    max_page_size: Some(MAX_PAGE_SIZE),
    ..Capabilities::NONE
};

/// The awork provider: [`Awork`] behind core's [`Pipeline`]
/// (`AworkProvider::from_config(AworkConfig::from_env()?)?`). Cheap to clone; clones share
/// the connection pool and rate budget. awork's extra calls are reachable through it.
pub type AworkProvider = Pipeline<Awork>;

/// The user behind the token and their workspace (`GET /me`).
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct AworkMe {
    /// The token's user, normalized.
    pub user: User,
    /// The current workspace: `id` is the value for `AWORK_WORKSPACE_ID`.
    pub workspace: wire::WorkspaceOfUser,
}

/// The awork adapter: awork's routes and shapes for every operation.
pub struct Awork {
    info: ProviderInfo,
    http: HttpClient,
    workspace_id: String,
    default_role_id: Option<String>,
    default_team_ids: Vec<String>,
    /// The address each user this adapter invited was invited with, by the user id the
    /// invite answered (lower-cased). awork's `User` has no email field: a pending invitee
    /// without an email contact entry is recognised by this id
    /// (`docs/vendors/awork.md#oq-invitee-email-contact`).
    invited: Mutex<HashMap<String, Email>>,
}

impl fmt::Debug for Awork {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AworkProvider")
            .field("info", &self.info)
            .field("base_url", &self.http.base_url().as_str())
            .field("workspace_id", &self.workspace_id)
            .field("default_role_id", &self.default_role_id)
            .field("default_team_ids", &self.default_team_ids)
            .finish_non_exhaustive()
    }
}

impl Awork {
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
        let me: wire::UserAndWorkspace<'_> =
            decode(&raw, &self.info, "me", "an awork UserAndWorkspace")?;
        let (user, workspace) = (user_from_wire(&me.user), me.workspace);
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
        let http = self.http.clone();
        paginate(1u32, move |page| {
            let req = Request::get("/teams")
                .query("page", page)
                .query("pageSize", MAX_PAGE_SIZE)
                .operation("list_teams");
            let http = http.clone();
            async move {
                let items: Vec<wire::Team> = http.json(req).await?;
                let next = next_page(items.len(), page, MAX_PAGE_SIZE);
                Ok(Page::new(items, next))
            }
        })
        .try_collect()
        .await
    }

    /// The `Invitation` body for `inv` and its grants (at most one role, ids checked),
    /// validated. Nothing is sent when this fails.
    fn invitation_body(
        &self,
        inv: &Invitation,
        grants: &[AworkGrant],
    ) -> Result<wire::InvitationBody> {
        let mut role_id = None;
        let mut team_ids = Vec::new();
        for grant in grants {
            match grant {
                AworkGrant::Role { role_id: r } => role_id = Some(r.clone()),
                AworkGrant::Team { team_id } => team_ids.push(team_id.clone()),
            }
        }
        if role_id.is_none() {
            role_id.clone_from(&self.default_role_id);
        }
        if team_ids.is_empty() {
            team_ids.clone_from(&self.default_team_ids);
        }
        let profile = Profile::read(Some(&inv.name), &inv.attributes, false)?;
        let name = profile.name().cloned().unwrap_or_default();
        Ok(wire::InvitationBody {
            workspace_id: self.workspace_id.clone(),
            invitation_flow: INVITATION_FLOW,
            email: inv.email.as_str().to_owned(),
            first_name: name.given,
            last_name: name.family,
            title: profile.attribute("title"),
            position: profile.attribute("position"),
            gender: profile.attribute("gender"),
            role_id,
            team_ids,
            skip_sending_email: matches!(inv.delivery, EmailDelivery::Suppress),
        })
    }

    /// The receipt for a `POST /invitations` success body. The invite happened: an answer
    /// that cannot be read is [`Error::Uncertain`], never a plain decode error.
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
            let answer: wire::InvitationResponse<'_> =
                decode(&raw, &self.info, "invite", "an awork InvitationResponse").map_err(|e| {
                    match e {
                        Error::Decode { expected, detail } => Error::Uncertain {
                            reason: format!("the success answer is not {expected}"),
                            detail,
                        },
                        other => other,
                    }
                })?;
            let user_id = answer
                .user_id
                .filter(|id| check_uuid("userId", id).is_ok())
                .ok_or_else(|| uncertain("the success answer carries no userId".into()))?;
            let code = answer.invitation_code.filter(|c| !c.is_empty());
            (user_id.to_owned(), code.map(InvitationCode::new))
        };
        // The answer names the workspace the person landed in: anything but ours means the
        // request went somewhere unexpected (awork creates workspaces for invites without a
        // workspaceId). The invite happened, so report it, loudly.
        if let Some(ws) = raw.pointer("/workspace/id").and_then(Value::as_str)
            && !ws.eq_ignore_ascii_case(&self.workspace_id)
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
        self.invited
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(user_id.to_ascii_lowercase(), inv.email.clone());
        let grants = sent.role_id.iter().map(AworkGrant::role);
        let grants = grants.chain(sent.team_ids.iter().map(AworkGrant::team));
        let user = User::new(user_id, UserStatus::Invited)
            .with_email(Some(inv.email.clone()))
            .with_name(split_name(&inv.name))
            .with_grants(grants.collect())
            .with_timestamps(None, None, Some(OffsetDateTime::now_utc()), None)
            .with_raw(raw);
        let receipt = InviteReceipt::new(user).with_email_sent(Some(!sent.skip_sending_email));
        Ok(match code {
            Some(code) => {
                receipt.with_code(code, Some(OffsetDateTime::now_utc() + INVITATION_CODE_TTL))
            }
            None => receipt,
        })
    }

    /// `GET /users/{id}`, undecoded (the caller decodes the wire user from it).
    async fn user_value(&self, id: &str, operation: &'static str) -> Result<Value> {
        check_uuid("id", id)?;
        let req = Request::get("/users/{}").segment(id).operation(operation);
        self.http.json(req).await
    }

    /// `GET /users/{id}`, normalized.
    async fn user(&self, id: &str, operation: &'static str) -> Result<User> {
        let raw = self.user_value(id, operation).await?;
        Ok(self.with_known_email(user_from_value(raw, &self.info, operation)?))
    }

    /// `user` with the address this adapter invited them with, when awork lists no email
    /// contact entry for them (`docs/vendors/awork.md#oq-invitee-email-contact`).
    fn with_known_email(&self, mut user: User) -> User {
        if user.email.is_none() {
            let invited = self.invited.lock().unwrap_or_else(PoisonError::into_inner);
            user.email = invited.get(&user.id.as_str().to_ascii_lowercase()).cloned();
        }
        user
    }

    /// Writes a grant plan: the role through `POST /roles/moveuser` (a user holds exactly
    /// one, so it is moved, never removed), then each team joined
    /// (`POST /teams/{id}/addusers`) and left (`…/removeusers`).
    async fn write_grants(&self, id: &str, plan: &GrantPlan<AworkGrant>) -> Result<()> {
        for grant in plan.added() {
            if let AworkGrant::Role { role_id } = grant {
                let body = wire::MoveUserInRole {
                    user_id: id,
                    to_role_id: role_id,
                };
                let req = Request::post("/roles/moveuser").json(&body);
                self.http
                    .send(req.idempotent(true).operation("update"))
                    .await?;
            }
        }
        let team = |g: &AworkGrant| match g {
            AworkGrant::Team { team_id } => Some(team_id.to_ascii_lowercase()),
            AworkGrant::Role { .. } => None,
        };
        let joins = plan
            .added()
            .filter_map(team)
            .map(|t| ("/teams/{}/addusers", t));
        let leaves = plan
            .removed()
            .filter_map(team)
            .map(|t| ("/teams/{}/removeusers", t));
        for (route, team_id) in joins.chain(leaves).collect::<Vec<_>>() {
            let req = Request::post(route).segment(team_id).json(&[id]);
            self.http
                .send(req.idempotent(true).operation("update"))
                .await?;
        }
        Ok(())
    }

    /// `PUT /users/{id}` with the full `UserForm`: the current user first (PUT replaces
    /// every field), then the form with the profile's changes; answers the user as PUT does.
    async fn put_profile(&self, id: &str, profile: &Profile) -> Result<User> {
        let current = self.user_value(id, "update").await?;
        let form = profile.form(&decode(&current, &self.info, "update", "an awork User")?);
        let req = Request::put("/users/{}").segment(id).json(&form);
        let raw: Value = self.http.json(req.operation("update")).await?;
        Ok(self.with_known_email(user_from_value(raw, &self.info, "update")?))
    }

    /// `POST` to a user's state route: safe to repeat, so marked idempotent (a lost answer
    /// is retried).
    async fn set_state(&self, id: &UserId, route: &'static str, op: &'static str) -> Result<()> {
        check_uuid("id", id.as_str())?;
        let req = Request::post(route).segment(id.as_str()).idempotent(true);
        self.http.send(req.operation(op)).await.map(|_| ())
    }
}

/// The page after `page` (1-based), which held `len` items of `size` asked for: awork sends
/// no totals or paging headers, so a short page is the last
/// (`docs/vendors/awork.md#pagination`).
fn next_page(len: usize, page: u32, size: u32) -> Option<u32> {
    (len >= size as usize).then(|| page.saturating_add(1))
}

#[async_trait]
impl Adapter for Awork {
    type Config = AworkConfig;
    type Grant = AworkGrant;
    /// The 1-based page number.
    type Cursor = u32;

    fn from_config(config: AworkConfig) -> Result<Self> {
        let info = ProviderInfo::new(KIND, config.workspace_id.clone(), CAPABILITIES);
        let http = HttpClient::builder(info.to_string(), config.base_url.clone())
            .options(config.options.clone())
            // awork's limits are per token (`docs/vendors/awork.md#oq-rate-limits`).
            .bearer_per_token("awork-token", config.token.secret())
            .error_mapper(Arc::new(parse_error))
            .accept_json()
            .build()?;
        Ok(Self {
            info,
            http,
            workspace_id: config.workspace_id,
            default_role_id: config.default_role_id,
            default_team_ids: config.default_team_ids,
            invited: Mutex::default(),
        })
    }

    fn info(&self) -> &ProviderInfo {
        &self.info
    }

    fn first_page(&self) -> u32 {
        1
    }

    /// `GET /users?page=&pageSize=` (`showArchived=true` with `include_inactive`). Removed
    /// accounts (`deletedOn` set) are left out unless inactive ones are asked for, so a scan
    /// by email finds the person, not a deleted account with the same address.
    async fn list_page(&self, page: u32, size: u32, query: &ListQuery) -> Result<Page<User, u32>> {
        let mut req = Request::get("/users")
            .query("page", page)
            .query("pageSize", size);
        if query.include_inactive {
            req = req.query("showArchived", true);
        }
        let values: Vec<Value> = self.http.json(req.operation("list")).await?;
        let next = next_page(values.len(), page, size);
        let mut users = Vec::with_capacity(values.len());
        for raw in values {
            let user = {
                let wire: wire::User<'_> = decode(&raw, &self.info, "list", "an awork User")?;
                (query.include_inactive || !is_deleted(&wire)).then(|| user_from_wire(&wire))
            };
            users.extend(user.map(|u| self.with_known_email(u.with_raw(raw))));
        }
        Ok(Page::new(users, next))
    }

    async fn get(&self, id: &UserId) -> Result<User> {
        self.user(id.as_str(), "get").await
    }

    async fn invite(&self, inv: &Invitation, grants: Vec<AworkGrant>) -> Result<InviteReceipt> {
        let body = self.invitation_body(inv, &grants)?;
        let req = Request::post("/invitations").json(&body);
        let resp = self.http.send(req.operation("invite")).await?;
        self.receipt(inv, &body, &resp.body)
    }

    /// The teams the user is in (awork's `User` carries no role).
    async fn grants_of(&self, id: &UserId) -> Result<Vec<AworkGrant>> {
        let raw = self.user_value(id.as_str(), "update").await?;
        Ok(teams_of(&decode(
            &raw,
            &self.info,
            "update",
            "an awork User",
        )?))
    }

    /// Grants first (role moved, teams joined and left), then the profile through a full
    /// `UserForm` PUT, whose answer is the user afterwards; without a profile change the
    /// user is read again.
    async fn update(
        &self,
        id: &UserId,
        profile: Option<&UserPatch>,
        grants: Option<GrantPlan<AworkGrant>>,
    ) -> Result<User> {
        check_uuid("id", id.as_str())?;
        let profile = profile
            .map(|p| Profile::read(p.name.as_ref(), &p.attributes, true))
            .transpose()?;
        if let Some(plan) = &grants {
            self.write_grants(id.as_str(), plan).await?;
        }
        match profile {
            Some(profile) => self.put_profile(id.as_str(), &profile).await,
            None => self.user(id.as_str(), "update").await,
        }
    }

    async fn deactivate(&self, id: &UserId) -> Result<()> {
        self.set_state(id, "/users/{}/deactivate", "deactivate")
            .await
    }

    /// Reactivation emails the user (awork's behaviour).
    async fn reactivate(&self, id: &UserId) -> Result<()> {
        self.set_state(id, "/users/{}/activate", "reactivate").await
    }

    /// `DELETE /users/{id}` (awork deletes softly: `deletedOn`).
    async fn remove(&self, id: &UserId) -> Result<()> {
        check_uuid("id", id.as_str())?;
        let req = Request::delete("/users/{}").segment(id.as_str());
        self.http.send(req.operation("remove")).await.map(|_| ())
    }
}
