//! [`Workspace`], the adapter behind [`WebflowWorkspace`]: invite, lookups, role and site
//! grants, remove. Bulk calls are in [`super::bulk`], site-access calls in [`super::sites`].

use std::sync::Arc;

use async_trait::async_trait;
use futures::StreamExt;
use futures::stream::BoxStream;
use invite_core::http::{HttpClient, Request};
use invite_core::page::{Page, paginate};
use invite_core::pipeline::decode_error;
use invite_core::registry::{ConfigKey, MissingGrant};
use invite_core::{
    Adapter, Capabilities, Email, Error, GrantChange, GrantPlan, Invitation, InviteReceipt,
    ListQuery, Pipeline, ProviderInfo, RateBudget, Result, User, UserId, UserPatch, UserStatus,
    VendorDetail, decode,
};
use serde_json::Value;

use super::config::{InviteDefaults, WebflowWorkspaceConfig};
use super::errors::parse_error;
use super::grant::{SITE_ACCESS, WORKSPACE_ROLE, WorkspaceGrant};
use super::ids::{MemberId, MemberRef, WorkspaceId, WorkspaceUserRef};
use super::plan::{InviteAccess, InvitePlan, Shape, SiteAccessEntry};
use super::roles::{RoleAssignment, WorkspaceRole};
use super::sites::GrantOutcome;
use super::wire;

/// The provider kind.
pub const KIND: &str = "webflow-workspace";
/// Largest page size of both lists.
pub(crate) const MAX_PAGE: u32 = 100;
/// Most ids one bulk call may carry (members and invites combined).
pub const MAX_BULK_IDS: usize = 100;

pub(crate) const MEMBERS: &str = "/workspaces/{}/members";
const MEMBER: &str = "/workspaces/{}/members/{}";

/// What the workspace provider can do.
pub const CAPABILITIES: Capabilities = Capabilities {
    invite: true,
    // Webflow always emails the invitee; the API has no switch
    // (docs/vendors/webflow-workspace.md#trap-no-silent-invite). No resend endpoint.
    list: true,
    // No get-by-id endpoint: `get` pages the list (or filters by the invite's email).
    get: true,
    server_side_email_lookup: true,
    update_grants: true,
    // No suspension call; revoking site access keeps the membership.
    remove: true,
    grant_kinds: &[WORKSPACE_ROLE, SITE_ACCESS],
    // One workspace role per person: convergence never changes an existing member's.
    exclusive_grant_kinds: &[WORKSPACE_ROLE],
    // UNCONFIRMED (docs/vendors/webflow-workspace.md#oq-reinvite-behaviour): what an invite
    // does for an address with a declined or expired invite is not documented. An error
    // answer would make `ensure_invited` find the lapsed invite and count it as done, so
    // lapsed invites are reported (`EnsureOutcome::Lapsed`), never re-sent automatically.
    // To re-invite, `bulk_remove` the lapsed invite and invite.
    reinvite_lapsed: false,
    max_page_size: Some(MAX_PAGE),
    ..Capabilities::NONE
};

/// Webflow Enterprise workspace members and site access (Data API v2, released
/// 2026-09-29): [`Workspace`] behind the shared pipeline. Kind `webflow-workspace`,
/// instance = the workspace id. Build it with `WebflowWorkspace::from_config(config)?`.
///
/// Normalized ids: `member:<member_id>` for members, `invite:<invite_id>:<email>` for
/// invites (see [`WorkspaceUserRef`]).
pub type WebflowWorkspace = Pipeline<Workspace>;

/// The workspace adapter: its calls beyond the traits (`invite_with`, `update_role`, bulk
/// and site-access calls) are reachable on [`WebflowWorkspace`] through `Deref`.
#[derive(Clone, Debug)]
pub struct Workspace {
    pub(crate) info: ProviderInfo,
    pub(crate) client: HttpClient,
    pub(crate) workspace_id: WorkspaceId,
    defaults: InviteDefaults,
}

impl Workspace {
    /// The workspace id.
    pub fn workspace_id(&self) -> &WorkspaceId {
        &self.workspace_id
    }

    /// Invites `email` with an explicit invite shape (the trait's `invite` builds the shape
    /// from the invitation's grants or the configured defaults).
    ///
    /// An address that already belongs to a member answers `status: "active"`: the receipt
    /// then has `already_member` set and the member as it is (its roles are not changed;
    /// use [`Self::update_role`]).
    pub async fn invite_with(&self, email: &Email, access: &InviteAccess) -> Result<InviteReceipt> {
        let (workspace_role, default, sites) = match &access.0 {
            Shape::AllSites(role) => (role.workspace_role(), Some(role.site_role().into()), vec![]),
            Shape::Sites(role, ids) => (
                role.workspace_role(),
                None,
                ids.iter()
                    .map(|s| wire::SiteAccessBody::new(s, role.site_role()))
                    .collect(),
            ),
            Shape::Client(c) => (
                "client",
                None,
                vec![wire::SiteAccessBody::new(&c.site().site_id, &c.site().role)],
            ),
        };
        let body = wire::InviteBody {
            email: email.as_str(),
            workspace_role,
            default,
            site_access: (!sites.is_empty()).then_some(sites),
        };
        // POST, not idempotent: a lost answer is `Error::Uncertain` (never resent).
        let mut raw: Value = self
            .client
            .json(
                Request::post(MEMBERS)
                    .segment(self.workspace_id.as_str())
                    .json(&body)
                    .operation("invite"),
            )
            .await?;
        let answer: wire::InviteStatus<'_> =
            decode(&raw, &self.info, "invite", "an invite answer")?;
        let status = answer.status.into_owned();
        match (
            status.as_str(),
            take(&mut raw, "invite"),
            take(&mut raw, "member"),
        ) {
            ("invited", Some(invite), _) => Ok(InviteReceipt::new(wire::invite_user(
                invite, &self.info, "invite",
            )?)),
            ("active", _, Some(member)) => Ok(InviteReceipt::new(wire::member_user(
                member, &self.info, "invite",
            )?)
            .already_member()),
            _ => Err(decode_error(
                &self.info,
                "invite",
                &format!("an invite answer with status {status:?} and its object"),
                &"the object of that status is missing",
                &raw,
            )),
        }
    }

    /// Changes a member's or an invite's workspace role and default site role (both are
    /// always sent; Webflow never derives the site role). A member is changed with
    /// `PATCH …/members/{member_id}`; an invite through bulk update (the only call that
    /// changes invites).
    pub async fn update_role(&self, id: &UserId, role: &RoleAssignment) -> Result<User> {
        let target = self.follow(WorkspaceUserRef::parse(id)?, "update").await?;
        self.set_role(&target, role).await
    }

    async fn set_role(&self, target: &WorkspaceUserRef, role: &RoleAssignment) -> Result<User> {
        let WorkspaceUserRef::Member(m) = target else {
            self.bulk_update_refs(vec![target.clone()], role)
                .await?
                .into_result()?;
            return self.get_ref(target).await;
        };
        let value: Value = self
            .client
            .json(
                Request::patch(MEMBER)
                    .segment(self.workspace_id.as_str())
                    .segment(m.as_str())
                    .json(&wire::RoleBody::from(role))
                    .operation("update"),
            )
            .await?;
        wire::member_user(value, &self.info, "update")
    }

    // ---- lookups -----------------------------------------------------------------------

    /// One page of members and invites, optionally filtered by `?email=`: one cursor pages
    /// both arrays; paging stops only on a null `nextCursor` (a page may hold invites only).
    async fn members_page(
        &self,
        cursor: Option<String>,
        limit: u32,
        email: Option<&Email>,
    ) -> Result<Page<User, Option<String>>> {
        let op = if email.is_some() {
            "find_by_email"
        } else {
            "list"
        };
        let answer: wire::WorkspaceMembersResponse = self
            .client
            .json(
                Request::get(MEMBERS)
                    .segment(self.workspace_id.as_str())
                    .query("limit", limit)
                    .query_opt("email", email.map(Email::as_str))
                    .query_opt("cursor", cursor)
                    .operation(op),
            )
            .await?;
        let mut items = Vec::with_capacity(answer.members.len() + answer.invites.len());
        for m in answer.members {
            items.push(wire::member_user(m, &self.info, op)?);
        }
        for i in answer.invites {
            items.push(wire::invite_user(i, &self.info, op)?);
        }
        let next = answer.pagination.and_then(|p| p.next_cursor).map(Some);
        Ok(Page::new(items, next))
    }

    /// Every member and invite (with `email`: filtered server-side), lazily.
    fn members(&self, email: Option<Email>) -> BoxStream<'static, Result<User>> {
        let this = self.clone();
        paginate(None::<String>, move |cursor| {
            let this = this.clone();
            let email = email.clone();
            async move { this.members_page(cursor, MAX_PAGE, email.as_ref()).await }
        })
    }

    /// Every account with `email` (case-insensitive, checked here too).
    async fn by_email(&self, email: &Email) -> Result<Vec<User>> {
        let found: Vec<Result<User>> = self.members(Some(email.clone())).collect().await;
        let mut out = Vec::new();
        for u in found {
            let u = u?;
            if u.has_email(email) {
                out.push(u);
            }
        }
        Ok(out)
    }

    /// Finds the record a reference names. No get-by-id endpoint exists: the list is paged
    /// (filtered by email when the reference carries one) and matched by id.
    async fn find_ref(&self, target: &WorkspaceUserRef) -> Result<Option<User>> {
        let matches = |u: &User| {
            WorkspaceUserRef::parse(&u.id).is_ok_and(|r| match target {
                WorkspaceUserRef::Member(_) => &r == target,
                WorkspaceUserRef::Invite(..) => r.is_invite() && r.raw_id() == target.raw_id(),
            })
        };
        if let WorkspaceUserRef::Invite(_, Some(email)) = target {
            return Ok(self.by_email(email).await?.into_iter().find(matches));
        }
        let mut stream = self.members(None);
        while let Some(u) = stream.next().await {
            let u = u?;
            if matches(&u) {
                return Ok(Some(u));
            }
        }
        Ok(None)
    }

    /// For an invite reference with an address whose invite is gone: the member that
    /// address now belongs to (Webflow gives an accepted invitee a new member id).
    async fn accepted_member(&self, target: &WorkspaceUserRef) -> Result<Option<User>> {
        let WorkspaceUserRef::Invite(_, Some(email)) = target else {
            return Ok(None);
        };
        Ok(self
            .by_email(email)
            .await?
            .into_iter()
            .find(|u| u.status == UserStatus::Active))
    }

    async fn get_ref(&self, target: &WorkspaceUserRef) -> Result<User> {
        if let Some(u) = self.find_ref(target).await? {
            return Ok(u);
        }
        if let Some(u) = self.accepted_member(target).await? {
            return Ok(u);
        }
        Err(self.not_found("get", target))
    }

    /// The current reference for a person: an invite reference whose invite has been
    /// accepted becomes the member's reference.
    async fn follow(&self, target: WorkspaceUserRef, op: &'static str) -> Result<WorkspaceUserRef> {
        if let WorkspaceUserRef::Invite(_, Some(_)) = &target {
            if self.find_ref(&target).await?.is_some() {
                return Ok(target);
            }
            if let Some(u) = self.accepted_member(&target).await? {
                return WorkspaceUserRef::parse(&u.id);
            }
            return Err(self.not_found(op, &target));
        }
        Ok(target)
    }

    fn not_found(&self, operation: &'static str, target: &WorkspaceUserRef) -> Error {
        let what = if target.is_invite() {
            "invite"
        } else {
            "member"
        };
        Error::NotFound(self.detail(
            operation,
            format!(
                "unknown workspace {what}: {target} is not in workspace {}",
                self.workspace_id
            ),
        ))
    }

    pub(crate) fn detail(&self, operation: &'static str, message: String) -> Box<VendorDetail> {
        let mut d = VendorDetail::new(self.client.provider(), operation);
        d.message = Some(message);
        Box::new(d)
    }

    // ---- grants ------------------------------------------------------------------------

    /// Gives a member each site with its role, idempotently: grant, and when the member
    /// already has access to the site (`member_already_has_access`, whatever the role), set
    /// the role with `PATCH` (Webflow's grant is not an upsert). The returned user lists the
    /// site grants given (the members list has no per-member sites; see
    /// [`wire::member_user`]).
    ///
    /// An admin or the owner opens every site as `site_manager` and their site role cannot
    /// be changed: a site grant for them is refused with [`Error::Conflict`] before any
    /// request, rather than lowering their access or reporting a grant that did not happen.
    async fn give_sites(
        &self,
        member: &MemberId,
        mut user: User,
        sites: &[SiteAccessEntry],
    ) -> Result<User> {
        if sites.is_empty() {
            return Ok(user);
        }
        let manages_every_site = user.grants.iter().any(|g| {
            g.is(WORKSPACE_ROLE)
                && matches!(
                    WorkspaceRole::from_wire(g.field("workspace_role").unwrap_or_default()),
                    WorkspaceRole::Admin | WorkspaceRole::Owner
                )
        });
        if manages_every_site {
            let wanted: Vec<String> = sites
                .iter()
                .map(|e| format!("site {} as {}", e.site_id, e.role))
                .collect();
            return Err(Error::Conflict(self.detail(
                "grant_site_access",
                format!(
                    "{} is a workspace admin (or the owner), who opens every site as site_manager; {} was not given, so their access is not lowered (change the workspace role first if that is intended)",
                    WorkspaceUserRef::Member(member.clone()),
                    wanted.join(", ")
                ),
            )));
        }
        let who = MemberRef::Id(member.clone());
        for entry in sites {
            if self
                .grant_site_access(&entry.site_id, &who, &entry.role)
                .await?
                == GrantOutcome::AlreadyHadAccess
            {
                self.update_site_role(&entry.site_id, &who, &entry.role)
                    .await?;
            }
            user.grants.retain(|g| {
                !(g.is(SITE_ACCESS) && g.field("site_id") == Some(entry.site_id.as_str()))
            });
            user.grants.push(entry.into());
        }
        Ok(user)
    }
}

/// Takes a present, non-null field out of a JSON object.
fn take(raw: &mut Value, key: &str) -> Option<Value> {
    raw.as_object_mut()?.remove(key).filter(|v| !v.is_null())
}

#[async_trait]
impl Adapter for Workspace {
    type Config = WebflowWorkspaceConfig;
    type Grant = WorkspaceGrant;
    type Cursor = Option<String>;

    fn from_config(config: WebflowWorkspaceConfig) -> Result<Self> {
        let base = config.resolved_base_url()?;
        let label = format!("{KIND}({})", config.workspace_id);
        let options = config
            .options
            .clone()
            .with_rate_budget(config.rate_limit_per_minute.map(RateBudget::per_minute));
        // UNCONFIRMED (docs/vendors/webflow-workspace.md#oq-rate-limit-scope): Webflow's
        // rate-limit page says limits apply "per API key"; an older third-party guide says
        // per site. These endpoints are workspace-wide, so the budget is keyed per token
        // (hashed, never the token itself): every client using the same token shares it.
        let client = HttpClient::builder(label, base)
            .bearer_per_token("webflow-workspace-token", config.token.secret())
            .options(options)
            .error_mapper(Arc::new(parse_error))
            .accept_json()
            .build()?;
        Ok(Self {
            info: ProviderInfo::new(KIND, config.workspace_id.as_str(), CAPABILITIES),
            client,
            workspace_id: config.workspace_id,
            defaults: config.defaults,
        })
    }

    fn info(&self) -> &ProviderInfo {
        &self.info
    }

    fn first_page(&self) -> Option<String> {
        None
    }

    /// The configured onboarding defaults.
    fn configured_grants(&self) -> Vec<invite_core::Grant> {
        self.defaults.grants()
    }

    /// Without a workspace role, an invitation must bring its own.
    fn missing_grant(&self) -> Option<MissingGrant> {
        use crate::WebflowWorkspaceConfigKey as K;
        self.defaults.workspace_role.is_none().then(|| {
            MissingGrant::new(
                "webflow-workspace needs a workspace role to invite (with a default site role, or site grants)",
                vec![
                    K::WorkspaceRole.setting(),
                    K::DefaultSiteRole.setting(),
                    K::SiteGrants.setting(),
                ],
            )
        })
    }

    async fn list_page(
        &self,
        cursor: Option<String>,
        size: u32,
        _query: &ListQuery,
    ) -> Result<Page<User, Option<String>>> {
        self.members_page(cursor, size, None).await
    }

    async fn get(&self, id: &UserId) -> Result<User> {
        self.get_ref(&WorkspaceUserRef::parse(id)?).await
    }

    /// Invites with the invitation's grants (or the configured defaults). Webflow stores one
    /// site role per pending invite: the other site roles wait for acceptance as the
    /// receipt's `deferred_grants` ([`InvitePlan`] documents the rule). An address that is
    /// already a member gets the invitation's sites at once.
    async fn invite(
        &self,
        invitation: &Invitation,
        grants: Vec<WorkspaceGrant>,
    ) -> Result<InviteReceipt> {
        let plan = if grants.is_empty() {
            self.defaults.access.clone().ok_or_else(|| {
                Error::invalid_input(
                    "grants",
                    "no webflow workspace role: add a webflow_workspace_role grant (and site grants) or set WEBFLOW_WORKSPACE_ROLE",
                )
            })?
        } else {
            InvitePlan::from_typed(&grants, self.defaults.workspace_role.as_deref())?
        };
        let mut receipt = self.invite_with(&invitation.email, plan.access()).await?;
        if !receipt.already_member {
            return Ok(receipt.with_deferred_grants(plan.deferred_grants()));
        }
        // Already a member (`status: "active"`): the invite changed nothing Webflow
        // documents, so the member gets the invitation's sites now.
        if let WorkspaceUserRef::Member(member) = WorkspaceUserRef::parse(&receipt.user.id)? {
            receipt.user = self
                .give_sites(&member, receipt.user.clone(), &plan.site_entries())
                .await?;
        }
        Ok(receipt)
    }

    /// Every account with the address; a member first, then a pending invite, then a lapsed
    /// one (the pipeline takes the first exact match).
    async fn find_by_email(&self, email: &Email) -> Result<Vec<User>> {
        let mut found = self.by_email(email).await?;
        found.sort_by_key(|u| match u.status {
            UserStatus::Active => 0,
            UserStatus::Invited => 1,
            _ => 2,
        });
        Ok(found)
    }

    /// The grants as Webflow reports them (a member's workspace role and default site role;
    /// an invite's sites), read without the checks a request needs.
    async fn grants_of(&self, id: &UserId) -> Result<Vec<WorkspaceGrant>> {
        let user = Adapter::get(self, id).await?;
        user.grants
            .iter()
            .enumerate()
            .map(|(i, g)| WorkspaceGrant::read(g, &format!("grants[{i}]")))
            .collect()
    }

    /// Webflow lists no member's sites: a `Replace` naming site access is refused before any
    /// request (the sites to drop are unknown; use `Add` and `Remove`).
    fn check_change(&self, change: &GrantChange, named: &[WorkspaceGrant]) -> Result<()> {
        if matches!(change, GrantChange::Replace(_)) && named.iter().any(|g| g.as_site().is_some())
        {
            return Err(Error::invalid_input(
                "grants",
                "Replace cannot set site access: Webflow does not list a member's sites, so the sites to drop are unknown; use Add and Remove",
            ));
        }
        Ok(())
    }

    /// A member's sites are not listed by Webflow: a site grant is never seen as held.
    fn reads_grant(&self, grant: &WorkspaceGrant) -> bool {
        grant.as_site().is_none()
    }

    /// Sets the workspace role a plan adds (`PATCH` for a member, bulk update for an
    /// invite), gives a member the site grants it adds (grant, or `PATCH` the site role when
    /// the member has access already) and revokes the site access it removes. An invite that
    /// has not been accepted cannot be given site access ([`Error::Conflict`], nothing sent).
    async fn update(
        &self,
        id: &UserId,
        _profile: Option<&UserPatch>,
        plan: Option<GrantPlan<WorkspaceGrant>>,
    ) -> Result<User> {
        let plan =
            plan.ok_or_else(|| Error::invalid_input("patch", "only grants can be changed"))?;
        let held_role = plan.current.iter().any(|g| g.as_role().is_some());
        if held_role && !plan.desired.iter().any(|g| g.as_role().is_some()) {
            return Err(Error::invalid_input(
                "grants",
                "a workspace role cannot be removed: change it (Replace) or remove the person",
            ));
        }
        let role = match plan
            .added()
            .filter_map(WorkspaceGrant::as_role)
            .collect::<Vec<_>>()[..]
        {
            [] => None,
            [r] => Some(r.assignment("grants")?),
            _ => {
                return Err(Error::invalid_input(
                    "grants",
                    "a person has one workspace role",
                ));
            }
        };
        let sites = plan
            .added()
            .filter_map(WorkspaceGrant::as_site)
            .map(|s| s.entry("grants"))
            .collect::<Result<Vec<_>>>()?;
        let dropped_sites = plan.removed().any(|g| g.as_site().is_some());
        let target = self.follow(WorkspaceUserRef::parse(id)?, "update").await?;
        // `follow` has turned an accepted invite into its member: an invite here is still
        // pending (or lapsed), and Webflow grants site access to members only.
        if target.is_invite() && (!sites.is_empty() || (dropped_sites && role.is_none())) {
            return Err(Error::Conflict(self.detail(
                "update",
                format!(
                    "site access is granted to workspace members only and {target} is an invite that has not been accepted; nothing was sent. Grant it once the invitee is a member (an onboarding with grant convergence does so on its next run)"
                ),
            )));
        }
        let mut user = match &role {
            Some(r) => self.set_role(&target, r).await?,
            None => self.get_ref(&target).await?,
        };
        let WorkspaceUserRef::Member(m) = &target else {
            return Ok(user);
        };
        let who = MemberRef::Id(m.clone());
        for site in plan.removed().filter_map(WorkspaceGrant::as_site) {
            let entry = site.entry("grants")?;
            self.revoke_site_access(&entry.site_id, &who).await?;
            user.grants
                .retain(|g| g.field("site_id") != Some(entry.site_id.as_str()));
        }
        self.give_sites(m, user, &sites).await
    }

    async fn remove(&self, id: &UserId) -> Result<()> {
        let target = WorkspaceUserRef::parse(id)?;
        let target = match &target {
            WorkspaceUserRef::Invite(_, Some(_)) => self.follow(target, "remove").await?,
            _ => target,
        };
        match &target {
            WorkspaceUserRef::Member(m) => self
                .client
                .send(
                    Request::delete(MEMBER)
                        .segment(self.workspace_id.as_str())
                        .segment(m.as_str())
                        .operation("remove"),
                )
                .await
                .map(drop),
            // Invites are cancelled only through bulk remove.
            WorkspaceUserRef::Invite(..) => self
                .bulk_remove(&[target.to_user_id()])
                .await?
                .into_result()
                .map(drop),
        }
    }
}
