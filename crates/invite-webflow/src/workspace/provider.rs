//! [`WebflowWorkspace`]: the trait implementations, the workspace and site-access extras,
//! and the mapping between the wire shapes and the normalized model.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use futures::StreamExt;
use futures::stream::BoxStream;
use invite_core::http::{HttpClient, Request};
use invite_core::page::{Page, paginate};
use invite_core::{
    Capabilities, Describe, Email, Error, ExposeSecret, Grant, GrantChange, GrantKind, Invitation,
    InviteProvider, InviteReceipt, LimitKey, ListQuery, Operation, PersonName, ProviderInfo,
    RateBudget, Result, User, UserDirectory, UserId, UserPatch, UserStatus, VendorDetail,
    parse_timestamp,
};
use serde_json::Value;

use super::bulk::{BulkItem, BulkOutcome, BulkReport, replicate};
use super::config::{InviteDefaults, WebflowWorkspaceConfig};
use super::errors::{map_code, parse_error};
use super::ids::{InviteId, MemberId, MemberRef, SiteId, WorkspaceId, WorkspaceUserRef};
use super::roles::{
    InviteAccess, InvitePlan, RoleAssignment, Shape, SiteAccessEntry, SiteRole, SiteRoleAssignment,
    WorkspaceRole,
};
use super::wire;

/// The provider kind.
pub const KIND: &str = "webflow-workspace";
/// Largest page size of both lists.
const MAX_PAGE: u32 = 100;
/// Most ids one bulk call may carry (members and invites combined).
pub const MAX_BULK_IDS: usize = 100;

const MEMBERS: &str = "/workspaces/{}/members";
const MEMBER: &str = "/workspaces/{}/members/{}";
const BULK: &str = "/workspaces/{}/members/bulk";
const SITE_MEMBERS: &str = "/sites/{}/members";
const SITE_MEMBER: &str = "/sites/{}/members/{}";

/// Webflow Enterprise workspace members and site access (Data API v2, released
/// 2026-09-29). Kind `webflow-workspace`, instance = the workspace id.
///
/// Normalized ids: `member:<member_id>` for members, `invite:<invite_id>:<email>` for
/// invites (see [`WorkspaceUserRef`]).
#[derive(Clone)]
pub struct WebflowWorkspace {
    info: ProviderInfo,
    client: HttpClient,
    workspace_id: WorkspaceId,
    defaults: InviteDefaults,
}

impl fmt::Debug for WebflowWorkspace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebflowWorkspace")
            .field("info", &self.info)
            .field("client", &self.client)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for WebflowWorkspace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.info, f)
    }
}

impl Describe for WebflowWorkspace {
    fn info(&self) -> &ProviderInfo {
        &self.info
    }
}

/// A site member (`GET /sites/{id}/members`, grant and update answers).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct SiteMember {
    /// The workspace member's id.
    pub id: String,
    /// The address, when sent.
    pub email: Option<Email>,
    /// The name, when sent.
    pub name: PersonName,
    /// The workspace role, when sent.
    pub workspace_role: Option<WorkspaceRole>,
    /// The role on this site.
    pub site_role: Option<SiteRole>,
    /// The custom Site Role id, for `custom`.
    pub site_role_id: Option<String>,
    /// Webflow's payload, untouched.
    pub raw: Value,
}

/// The outcome of [`WebflowWorkspace::grant_site_access`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum GrantOutcome {
    /// Access was granted.
    Granted(Box<SiteMember>),
    /// The member already had access to the site (`member_already_has_access`); nothing was
    /// changed. Change the role with [`WebflowWorkspace::update_site_role`].
    AlreadyHadAccess,
}

impl WebflowWorkspace {
    /// What this provider can do.
    #[allow(clippy::field_reassign_with_default)]
    pub fn capabilities() -> Capabilities {
        let mut c = Capabilities::default();
        c.invite = true;
        // Webflow always emails the invitee; the API has no switch (contracts 6).
        c.silent_invite = false;
        c.explicit_email = false;
        // No resend endpoint; whether inviting again refreshes an invite is UNCONFIRMED.
        c.resend = false;
        c.list = true;
        // No get-by-id endpoint: `get` pages the list (or filters by the invite's email).
        c.get = true;
        c.server_side_email_lookup = true;
        c.update_grants = true;
        c.remove = true;
        // No suspension call; revoking site access keeps the membership.
        c.deactivate = false;
        c.reactivate = false;
        c.grant_kinds = vec![
            GrantKind::WebflowWorkspaceRole,
            GrantKind::WebflowSiteAccess,
        ];
        // One workspace role per person: convergence never changes an existing member's.
        c.exclusive_grant_kinds = vec![GrantKind::WebflowWorkspaceRole];
        // UNCONFIRMED (contracts 7 item 15): what an invite does for an address with a
        // declined or expired invite (new invite, refreshed invite, or an error) is not
        // documented. An error answer would make `ensure_invited` find the lapsed invite and
        // count it as done, so lapsed invites are reported (`EnsureOutcome::Lapsed`), never
        // re-sent automatically. To re-invite, `bulk_remove` the lapsed invite and invite.
        c.reinvite_lapsed = false;
        c.max_page_size = Some(MAX_PAGE);
        c
    }

    /// Builds the provider.
    pub fn new(config: WebflowWorkspaceConfig) -> Result<Self> {
        let base = config.resolved_base_url()?;
        let label = format!("{KIND}({})", config.workspace_id);
        let options = config
            .options
            .clone()
            .with_rate_budget(config.rate_limit_per_minute.map(RateBudget::per_minute));
        // UNCONFIRMED (contracts 7 item 20): Webflow's rate-limit page says limits apply
        // "per API key"; an older third-party guide says per site. These endpoints are
        // workspace-wide, so the budget is keyed per token (hashed, never the token itself):
        // every client using the same token shares it.
        let limit_key = LimitKey::hashed(
            "webflow-workspace-token",
            config.token.secret().expose_secret(),
        );
        let client = HttpClient::builder(label, base)
            .bearer(config.token.secret().clone())
            .options(options)
            .limit_key(limit_key)
            .error_mapper(Arc::new(parse_error))
            .default_header("Accept", "application/json")
            .build()?;
        Ok(Self {
            info: ProviderInfo::new(KIND, config.workspace_id.as_str(), Self::capabilities()),
            client,
            workspace_id: config.workspace_id,
            defaults: config.defaults,
        })
    }

    /// Builds the provider from the environment ([`WebflowWorkspaceConfig::from_env`]).
    pub fn from_env() -> Result<Self> {
        Self::new(WebflowWorkspaceConfig::from_env()?)
    }

    /// The workspace id.
    pub fn workspace_id(&self) -> &WorkspaceId {
        &self.workspace_id
    }

    // ---- workspace members -------------------------------------------------------------

    /// Invites `email` with an explicit invite shape (the trait's `invite` builds the shape
    /// from the invitation's grants or the configured defaults).
    ///
    /// An address that already belongs to a member answers `status: "active"`: the receipt
    /// then has `already_member` set and the member as it is (its roles are not changed;
    /// use [`Self::update_role`]).
    pub async fn invite_with(&self, email: &Email, access: &InviteAccess) -> Result<InviteReceipt> {
        let site_role;
        let body = match &access.0 {
            Shape::AllSites(role) => {
                site_role = role.site_role();
                wire::InviteBody {
                    email: email.as_str(),
                    workspace_role: role.workspace_role(),
                    default_site_role: Some(site_role.as_str()),
                    default_site_role_id: site_role.custom_id().map(|i| i.as_str()),
                    site_access: None,
                }
            }
            Shape::Sites(role, sites) => {
                site_role = role.site_role();
                wire::InviteBody {
                    email: email.as_str(),
                    workspace_role: role.workspace_role(),
                    default_site_role: None,
                    default_site_role_id: None,
                    site_access: Some(
                        sites
                            .iter()
                            .map(|s| wire::SiteAccessBody {
                                site_id: s.as_str(),
                                site_role: site_role.as_str(),
                                site_role_id: site_role.custom_id().map(|i| i.as_str()),
                            })
                            .collect(),
                    ),
                }
            }
            Shape::Client(client) => {
                let site = client.site();
                wire::InviteBody {
                    email: email.as_str(),
                    workspace_role: "client",
                    default_site_role: None,
                    default_site_role_id: None,
                    site_access: Some(vec![wire::SiteAccessBody {
                        site_id: site.site_id.as_str(),
                        site_role: site.role.as_str(),
                        site_role_id: site.role.custom_id().map(|i| i.as_str()),
                    }]),
                }
            }
        };
        // POST, not idempotent: a lost answer is `Error::Uncertain` (never resent).
        let answer: wire::InviteResponse = self
            .client
            .json(
                Request::post(MEMBERS)
                    .segment(self.workspace_id.as_str())
                    .json(&body)
                    .operation("invite"),
            )
            .await?;
        match (answer.status.as_str(), answer.invite, answer.member) {
            ("invited", Some(invite), _) => {
                Ok(InviteReceipt::new(self.invite_user(invite, "invite")?))
            }
            ("active", _, Some(member)) => {
                Ok(InviteReceipt::new(self.member_user(member, "invite")?).already_member())
            }
            (status, _, _) => Err(self.decode_error(
                "invite",
                format!("an invite answer with status {status:?} and its object"),
            )),
        }
    }

    /// Changes a member's or an invite's workspace role and default site role (both are
    /// always sent; Webflow never derives the site role). A member is changed with
    /// `PATCH …/members/{member_id}`; an invite through bulk update (the only call that
    /// changes invites).
    pub async fn update_role(&self, id: &UserId, role: &RoleAssignment) -> Result<User> {
        let target = WorkspaceUserRef::parse(id)?;
        let target = self.follow(target, "update").await?;
        match &target {
            WorkspaceUserRef::Member(m) => {
                let site = role.site_role();
                let value: Value = self
                    .client
                    .json(
                        Request::patch(MEMBER)
                            .segment(self.workspace_id.as_str())
                            .segment(m.as_str())
                            .json(&wire::UpdateRoleBody {
                                role: role.workspace_role(),
                                default_site_role: site.as_str(),
                                default_site_role_id: site.custom_id().map(|i| i.as_str()),
                            })
                            .operation("update"),
                    )
                    .await?;
                self.member_user(value, "update")
            }
            WorkspaceUserRef::Invite(..) => {
                self.bulk_update_refs(vec![target.clone()], role)
                    .await?
                    .into_result()?;
                self.get_ref(&target).await
            }
        }
    }

    /// Changes the role pair of many members and invites: deduplicated, sent in chunks of
    /// 100 ids (`POST …/members/bulk`). The report has one outcome per id, matched by id
    /// (not position); a 200 answer whose items partly failed is not a success
    /// ([`BulkReport::into_result`]).
    pub async fn bulk_update_roles(
        &self,
        ids: &[UserId],
        role: &RoleAssignment,
    ) -> Result<BulkReport> {
        let refs = parse_refs(ids)?;
        self.bulk_update_refs(refs, role).await
    }

    /// Removes active members and cancels invites (pending, declined or expired):
    /// deduplicated, chunks of 100 ids, `DELETE …/members/bulk` with a JSON body. The only
    /// call that cancels an invite. A 4xx answer means nothing in that chunk was removed;
    /// its ids are reported failed with that error.
    pub async fn bulk_remove(&self, ids: &[UserId]) -> Result<BulkReport> {
        let refs = parse_refs(ids)?;
        self.bulk(refs, "remove", |members, invites| {
            Request::delete(BULK)
                .segment(self.workspace_id.as_str())
                .json(&wire::BulkRemoveBody {
                    member_ids: members,
                    invite_ids: invites,
                })
                .operation("bulk_remove")
        })
        .await
    }

    async fn bulk_update_refs(
        &self,
        refs: Vec<WorkspaceUserRef>,
        role: &RoleAssignment,
    ) -> Result<BulkReport> {
        let site = role.site_role();
        self.bulk(refs, "update_roles", |members, invites| {
            Request::post(BULK)
                .segment(self.workspace_id.as_str())
                .json(&wire::BulkUpdateBody {
                    member_ids: members,
                    invite_ids: invites,
                    role: role.workspace_role(),
                    default_site_role: site.as_str(),
                    default_site_role_id: site.custom_id().map(|i| i.as_str()),
                })
                // Setting a role is idempotent: sending it twice changes nothing more.
                .idempotent(true)
                .operation("bulk_update")
        })
        .await
    }

    async fn bulk<F>(
        &self,
        refs: Vec<WorkspaceUserRef>,
        operation: &'static str,
        build: F,
    ) -> Result<BulkReport>
    where
        F: Fn(&[&str], &[&str]) -> Request,
    {
        // Dedupe (by kind and id), keeping request order.
        let mut seen = HashSet::new();
        let refs: Vec<WorkspaceUserRef> = refs
            .into_iter()
            .filter(|r| seen.insert((r.is_invite(), r.raw_id().to_owned())))
            .collect();
        if refs.is_empty() {
            return Err(Error::invalid_input("ids", "names no member or invite"));
        }
        let mut report = BulkReport {
            operation,
            items: Vec::with_capacity(refs.len()),
            summaries: Vec::new(),
            unexplained_failures: 0,
        };
        let mut first_error: Option<Error> = None;
        let mut any_chunk_ok = false;
        for chunk in refs.chunks(MAX_BULK_IDS) {
            let members: Vec<&str> = chunk
                .iter()
                .filter(|r| !r.is_invite())
                .map(WorkspaceUserRef::raw_id)
                .collect();
            let invites: Vec<&str> = chunk
                .iter()
                .filter(|r| r.is_invite())
                .map(WorkspaceUserRef::raw_id)
                .collect();
            match self
                .client
                .json::<wire::BulkResponse>(build(&members, &invites))
                .await
            {
                Ok(answer) => {
                    any_chunk_ok = true;
                    self.read_bulk_answer(operation, chunk, answer, &mut report);
                }
                Err(e) => {
                    for r in chunk {
                        report.items.push(BulkItem {
                            target: r.clone(),
                            outcome: BulkOutcome::Failed(replicate(&e)),
                        });
                    }
                    if first_error.is_none() {
                        first_error = Some(e);
                    }
                }
            }
        }
        match first_error {
            // Nothing was accepted at all: the request's own error says most.
            Some(e) if !any_chunk_ok => Err(e),
            _ => Ok(report),
        }
    }

    fn read_bulk_answer(
        &self,
        operation: &'static str,
        chunk: &[WorkspaceUserRef],
        answer: wire::BulkResponse,
        report: &mut BulkReport,
    ) {
        let mut named_failures: u64 = 0;
        for r in chunk {
            let kind = if r.is_invite() { "invite" } else { "member" };
            let result = answer
                .results
                .iter()
                .find(|x| x.id == r.raw_id() && x.kind.as_deref().is_none_or(|k| k == kind));
            let outcome = match result {
                None => BulkOutcome::NoResult,
                Some(x) => {
                    let failed = match x.outcome.as_deref() {
                        Some(o) => o.eq_ignore_ascii_case("failed"),
                        None => x.error.is_some(),
                    };
                    if failed {
                        named_failures += 1;
                        let e = x.error.as_ref();
                        let code = e.and_then(|e| e.code.clone());
                        let detail = Box::new(VendorDetail {
                            provider: self.client.provider().to_owned(),
                            operation: if operation == "remove" {
                                "bulk_remove"
                            } else {
                                "bulk_update"
                            },
                            status: None,
                            code: code.clone(),
                            message: Some(format!(
                                "{}{}",
                                r,
                                e.and_then(|e| e.message.as_deref())
                                    .map(|m| format!(": {m}"))
                                    .unwrap_or_default()
                            )),
                            request_id: None,
                            body_excerpt: None,
                        });
                        BulkOutcome::Failed(map_code(None, code.as_deref(), detail))
                    } else {
                        BulkOutcome::Done {
                            outcome: x.outcome.clone().unwrap_or_else(|| "done".to_owned()),
                        }
                    }
                }
            };
            report.items.push(BulkItem {
                target: r.clone(),
                outcome,
            });
        }
        if let Some(summary) = answer.summary {
            let counted = summary.get("failed").and_then(Value::as_u64).unwrap_or(0);
            report.unexplained_failures += counted.saturating_sub(named_failures);
            report.summaries.push(summary);
        }
    }

    // ---- site access -------------------------------------------------------------------

    /// Lists the members with access to a site, lazily (cursor pages of 100).
    pub fn list_site_members(&self, site_id: &SiteId) -> BoxStream<'static, Result<SiteMember>> {
        let client = self.client.clone();
        let site = site_id.as_str().to_owned();
        paginate(None::<String>, move |cursor| {
            let client = client.clone();
            let site = site.clone();
            async move {
                let answer: wire::SiteMembersResponse = client
                    .json(
                        Request::get(SITE_MEMBERS)
                            .segment(site)
                            .query("limit", MAX_PAGE)
                            .query_opt("cursor", cursor)
                            .operation("list_site_members"),
                    )
                    .await?;
                let items = answer
                    .members
                    .into_iter()
                    .map(|v| site_member(&client, v, "list_site_members"))
                    .collect::<Result<Vec<_>>>()?;
                let next = answer.pagination.and_then(|p| p.next_cursor).map(Some);
                Ok(Page::new(items, next))
            }
        })
    }

    /// Grants a workspace member access to a site (`POST /sites/{id}/members`). A member who
    /// already has access is [`GrantOutcome::AlreadyHadAccess`], not an error (grant is not
    /// an upsert; change roles with [`Self::update_site_role`]). Site access is granted to
    /// members only; a pending invitee answers not found.
    pub async fn grant_site_access(
        &self,
        site_id: &SiteId,
        who: &MemberRef,
        role: &SiteRoleAssignment,
    ) -> Result<GrantOutcome> {
        let (email, member_id) = match who {
            MemberRef::Email(e) => (Some(e.as_str()), None),
            MemberRef::Id(m) => (None, Some(m.as_str())),
        };
        let req = Request::post(SITE_MEMBERS)
            .segment(site_id.as_str())
            .json(&wire::GrantBody {
                email,
                member_id,
                site_role: role.as_str(),
                site_role_id: role.custom_id().map(|i| i.as_str()),
            })
            // Safe to resend: a repeat answers `member_already_has_access`.
            .idempotent(true)
            .operation("grant_site_access");
        match self.client.json::<Value>(req).await {
            Ok(v) => Ok(GrantOutcome::Granted(Box::new(site_member(
                &self.client,
                v,
                "grant_site_access",
            )?))),
            Err(e) if e.vendor_code() == Some("member_already_has_access") => {
                Ok(GrantOutcome::AlreadyHadAccess)
            }
            Err(e) => Err(e),
        }
    }

    /// Changes a member's role on a site: `PATCH /sites/{id}/members/{member_id}` or
    /// `PATCH /sites/{id}/members?email=`. On a site with site-specific access the member
    /// must hold access already (grant first).
    pub async fn update_site_role(
        &self,
        site_id: &SiteId,
        who: &MemberRef,
        role: &SiteRoleAssignment,
    ) -> Result<SiteMember> {
        let req = match who {
            MemberRef::Id(m) => Request::patch(SITE_MEMBER)
                .segment(site_id.as_str())
                .segment(m.as_str()),
            MemberRef::Email(e) => Request::patch(SITE_MEMBERS)
                .segment(site_id.as_str())
                .query("email", e.as_str()),
        }
        .json(&wire::SiteRoleBody {
            site_role: role.as_str(),
            site_role_id: role.custom_id().map(|i| i.as_str()),
        })
        .operation("update_site_role");
        let v: Value = self.client.json(req).await?;
        site_member(&self.client, v, "update_site_role")
    }

    /// Revokes a member's access to a site: `DELETE /sites/{id}/members/{member_id}` or
    /// `DELETE /sites/{id}/members?email=`. Succeeds (idempotently) when the member had no
    /// access; [`Error::NotFound`] ("not a workspace member") when the person is not a
    /// workspace member. The workspace membership stays.
    pub async fn revoke_site_access(&self, site_id: &SiteId, who: &MemberRef) -> Result<()> {
        let req = match who {
            MemberRef::Id(m) => Request::delete(SITE_MEMBER)
                .segment(site_id.as_str())
                .segment(m.as_str()),
            MemberRef::Email(e) => Request::delete(SITE_MEMBERS)
                .segment(site_id.as_str())
                .query("email", e.as_str()),
        }
        .operation("revoke_site_access");
        self.client.send(req).await.map(|_| ())
    }

    // ---- lookups -----------------------------------------------------------------------

    /// Every member and invite, optionally filtered by `?email=`, lazily: one cursor pages
    /// both arrays; paging stops only on a null `nextCursor` (a page may hold invites only).
    fn list_filtered(
        &self,
        page_size: u32,
        email: Option<Email>,
    ) -> BoxStream<'static, Result<User>> {
        let this = self.clone();
        let limit = page_size.clamp(1, MAX_PAGE);
        paginate(None::<String>, move |cursor| {
            let this = this.clone();
            let email = email.clone();
            async move {
                let op = if email.is_some() {
                    "find_by_email"
                } else {
                    "list"
                };
                let answer: wire::WorkspaceMembersResponse = this
                    .client
                    .json(
                        Request::get(MEMBERS)
                            .segment(this.workspace_id.as_str())
                            .query("limit", limit)
                            .query_opt("email", email.as_ref().map(Email::as_str))
                            .query_opt("cursor", cursor)
                            .operation(op),
                    )
                    .await?;
                let mut items = Vec::with_capacity(answer.members.len() + answer.invites.len());
                for m in answer.members {
                    items.push(this.member_user(m, op)?);
                }
                for i in answer.invites {
                    items.push(this.invite_user(i, op)?);
                }
                let next = answer.pagination.and_then(|p| p.next_cursor).map(Some);
                Ok(Page::new(items, next))
            }
        })
    }

    /// Every account with `email` (case-insensitive, checked here too).
    async fn by_email(&self, email: &Email) -> Result<Vec<User>> {
        let mut stream = self.list_filtered(MAX_PAGE, Some(email.clone()));
        let mut out = Vec::new();
        while let Some(u) = stream.next().await {
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
        let want = target.to_user_id();
        let raw = target.raw_id();
        let matches = |u: &User| match target {
            WorkspaceUserRef::Member(_) => u.id.as_str() == want.as_str(),
            WorkspaceUserRef::Invite(..) => {
                WorkspaceUserRef::parse(&u.id).is_ok_and(|r| r.is_invite() && r.raw_id() == raw)
            }
        };
        if let WorkspaceUserRef::Invite(_, Some(email)) = target {
            return Ok(self.by_email(email).await?.into_iter().find(|u| matches(u)));
        }
        let mut stream = self.list_filtered(MAX_PAGE, None);
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
        if let WorkspaceUserRef::Invite(_, Some(email)) = target {
            return Ok(self
                .by_email(email)
                .await?
                .into_iter()
                .find(|u| u.status == UserStatus::Active));
        }
        Ok(None)
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
        Error::NotFound(Box::new(VendorDetail {
            provider: self.client.provider().to_owned(),
            operation,
            message: Some(format!(
                "unknown workspace {}: {target} is not in workspace {}",
                if target.is_invite() {
                    "invite"
                } else {
                    "member"
                },
                self.workspace_id
            )),
            ..VendorDetail::default()
        }))
    }

    fn decode_error(&self, operation: &'static str, expected: impl Into<String>) -> Error {
        Error::Decode {
            expected: expected.into(),
            detail: Box::new(VendorDetail::new(self.client.provider(), operation)),
        }
    }

    // ---- wire -> model -----------------------------------------------------------------

    /// A workspace member. Its grants are the workspace role with the default site role:
    /// the members list carries no per-member site list (contracts 5.4; only
    /// `GET /sites/{id}/members` tells a site's members), so a member read from the list
    /// reports no [`Grant::WebflowSiteAccess`]. Site grants show on the user an update or an
    /// invite has just given; grant convergence therefore gives the target's site grants
    /// again on each run that finds the member, which is idempotent (grant, or `PATCH` the
    /// role when the member already has access).
    ///
    /// The wire member borrows its strings from `raw`, which is moved into the user once
    /// that borrow is over.
    fn member_user(&self, raw: Value, operation: &'static str) -> Result<User> {
        let user = self.map_member(&raw, operation)?;
        Ok(user.with_raw(raw))
    }

    /// [`Self::member_user`] without the raw payload, which the wire member borrows from.
    fn map_member(&self, raw: &Value, operation: &'static str) -> Result<User> {
        let m: wire::WorkspaceMember<'_> = serde::Deserialize::deserialize(raw)
            .map_err(|e| self.decode_error(operation, format!("a WorkspaceMember ({e})")))?;
        let id = MemberId::parse_field("members[].id", &m.id)?;
        let grant = Grant::WebflowWorkspaceRole {
            workspace_role: m.roles.workspace.as_str().to_owned(),
            default_site_role: m.roles.site.as_ref().map(|s| s.as_str().to_owned()),
            default_site_role_id: None,
        };
        let added = m.added_on.as_deref().and_then(parse_timestamp);
        Ok(User::new(
            WorkspaceUserRef::Member(id).to_user_id(),
            UserStatus::Active,
        )
        .with_email(m.email.as_deref().and_then(|e| Email::parse(e).ok()))
        .with_name(PersonName::new(
            m.first_name.map(Cow::into_owned).unwrap_or_default(),
            m.last_name.map(Cow::into_owned).unwrap_or_default(),
        ))
        .with_grants(vec![grant])
        .with_timestamps(added, None, None, None))
    }

    /// A workspace invite. The wire invite borrows its strings from `raw`, which is moved
    /// into the user once that borrow is over.
    fn invite_user(&self, raw: Value, operation: &'static str) -> Result<User> {
        let user = self.map_invite(&raw, operation)?;
        Ok(user.with_raw(raw))
    }

    /// [`Self::invite_user`] without the raw payload, which the wire invite borrows from.
    fn map_invite(&self, raw: &Value, operation: &'static str) -> Result<User> {
        let i: wire::WorkspaceInvite<'_> = serde::Deserialize::deserialize(raw)
            .map_err(|e| self.decode_error(operation, format!("a WorkspaceInvite ({e})")))?;
        let id = InviteId::parse_field("invites[].id", &i.id)?;
        let email = i.email.as_deref().and_then(|e| Email::parse(e).ok());
        let status = match i.status.as_deref() {
            Some("pending") | None => UserStatus::Invited,
            Some("declined") => UserStatus::InviteDeclined,
            Some("expired") => UserStatus::InviteExpired,
            Some(other) => UserStatus::Unknown(other.to_owned()),
        };
        let role = i
            .role
            .as_ref()
            .map(|r| r.as_str().to_owned())
            .unwrap_or_default();
        let site_role = i.default_site_role.as_ref().map(|s| s.as_str().to_owned());
        let site_role_id = if i.default_site_role == Some(SiteRole::Custom) {
            i.default_site_role_id.map(Cow::into_owned)
        } else {
            None
        };
        // `allSites` (or no listed site) means the default site role applies everywhere;
        // otherwise the invite lists its sites, each with the invite's one site role.
        let grants = if i.all_sites == Some(true) || i.sites.is_empty() {
            vec![Grant::WebflowWorkspaceRole {
                workspace_role: role,
                default_site_role: site_role,
                default_site_role_id: site_role_id,
            }]
        } else {
            let mut g = vec![Grant::WebflowWorkspaceRole {
                workspace_role: role,
                default_site_role: None,
                default_site_role_id: None,
            }];
            g.extend(i.sites.into_iter().map(|s| Grant::WebflowSiteAccess {
                site_id: s.into_owned(),
                site_role: site_role.clone().unwrap_or_default(),
                site_role_id: site_role_id.clone(),
            }));
            g
        };
        let created = i.created_on.as_deref().and_then(parse_timestamp);
        Ok(User::new(
            WorkspaceUserRef::Invite(id, email.clone()).to_user_id(),
            status,
        )
        .with_email(email)
        .with_grants(grants)
        .with_timestamps(created, None, created, None))
    }

    fn invite_plan(&self, invitation: &Invitation) -> Result<InvitePlan> {
        let has_webflow_grant = invitation.grants.iter().any(|g| {
            matches!(
                g.kind(),
                GrantKind::WebflowWorkspaceRole | GrantKind::WebflowSiteAccess
            )
        });
        if has_webflow_grant {
            return InvitePlan::from_grants(
                &invitation.grants,
                self.defaults.workspace_role.as_deref(),
            );
        }
        self.defaults.access.clone().ok_or_else(|| {
            Error::invalid_input(
                "grants",
                "no webflow workspace role: add Grant::WebflowWorkspaceRole (and site grants) or set WEBFLOW_WORKSPACE_ROLE",
            )
        })
    }

    async fn apply_patch(&self, target: WorkspaceUserRef, change: &GrantChange) -> Result<User> {
        let mut role: Option<RoleAssignment> = None;
        let mut sites: Vec<SiteAccessEntry> = Vec::new();
        for (i, g) in change.grants().iter().enumerate() {
            let field = format!("grants[{i}]");
            match g {
                Grant::WebflowWorkspaceRole { .. } => {
                    if role.is_some() {
                        return Err(Error::invalid_input(
                            field,
                            "a person has one workspace role",
                        ));
                    }
                    role = Some(RoleAssignment::from_grant(&field, g)?);
                }
                Grant::WebflowSiteAccess { .. } => {
                    sites.push(SiteAccessEntry::from_grant(&field, g)?)
                }
                other => {
                    return Err(Error::invalid_input(
                        field,
                        format!("{} is not a webflow grant", other.kind()),
                    ));
                }
            }
        }
        match change {
            GrantChange::Remove(_) if role.is_some() => {
                return Err(Error::invalid_input(
                    "grants",
                    "a workspace role cannot be removed: change it (Replace) or remove the person",
                ));
            }
            GrantChange::Replace(_) if !sites.is_empty() => {
                return Err(Error::invalid_input(
                    "grants",
                    "Replace cannot set site access: Webflow does not list a member's sites, so the sites to drop are unknown; use Add and Remove",
                ));
            }
            _ => {}
        }
        // `follow` has turned an accepted invite into its member: an invite here is still
        // pending (or lapsed), and Webflow grants site access to members only.
        if !sites.is_empty() && target.is_invite() {
            return Err(Error::Conflict(Box::new(VendorDetail {
                provider: self.client.provider().to_owned(),
                operation: "update",
                message: Some(format!(
                    "site access is granted to workspace members only and {target} is an invite that has not been accepted; nothing was sent. Grant it once the invitee is a member (an onboarding with grant convergence does so on its next run)"
                )),
                ..VendorDetail::default()
            })));
        }
        let user = match &role {
            Some(r) => self.update_role(&target.to_user_id(), r).await?,
            None => self.get_ref(&target).await?,
        };
        let WorkspaceUserRef::Member(m) = &target else {
            return Ok(user);
        };
        if let GrantChange::Remove(_) = change {
            let who = MemberRef::Id(m.clone());
            let mut user = user;
            for entry in &sites {
                self.revoke_site_access(&entry.site_id, &who).await?;
                user.grants.retain(|g| {
                    !matches!(g, Grant::WebflowSiteAccess { site_id, .. } if site_id == entry.site_id.as_str())
                });
            }
            return Ok(user);
        }
        self.give_sites(m, user, &sites).await
    }

    /// Gives a member each site with its role, idempotently: grant, and when the member
    /// already has access to the site (`member_already_has_access`, whatever the role), set
    /// the role with `PATCH` (Webflow's grant is not an upsert). The returned user lists the
    /// site grants given (the members list has no per-member sites; see `member_user`).
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
            matches!(g, Grant::WebflowWorkspaceRole { workspace_role, .. }
                if matches!(WorkspaceRole::from_wire(workspace_role), WorkspaceRole::Admin | WorkspaceRole::Owner))
        });
        if manages_every_site {
            let wanted: Vec<String> = sites
                .iter()
                .map(|e| format!("site {} as {}", e.site_id, e.role))
                .collect();
            return Err(Error::Conflict(Box::new(VendorDetail {
                provider: self.client.provider().to_owned(),
                operation: "grant_site_access",
                message: Some(format!(
                    "{} is a workspace admin (or the owner), who opens every site as site_manager; {} was not given, so their access is not lowered (change the workspace role first if that is intended)",
                    WorkspaceUserRef::Member(member.clone()),
                    wanted.join(", ")
                )),
                ..VendorDetail::default()
            })));
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
                !matches!(g, Grant::WebflowSiteAccess { site_id, .. } if site_id == entry.site_id.as_str())
            });
            user.grants.push(entry.to_grant());
        }
        Ok(user)
    }
}

fn parse_refs(ids: &[UserId]) -> Result<Vec<WorkspaceUserRef>> {
    ids.iter()
        .enumerate()
        .map(|(i, id)| {
            WorkspaceUserRef::parse(id).map_err(|e| match e {
                Error::InvalidInput { reason, .. } => {
                    Error::invalid_input(format!("ids[{i}]"), reason)
                }
                other => other,
            })
        })
        .collect()
}

/// A site member. The wire member borrows its strings from `raw`, which is moved into the
/// result last, once that borrow is over.
fn site_member(client: &HttpClient, raw: Value, operation: &'static str) -> Result<SiteMember> {
    let m: wire::SiteMemberWire<'_> =
        serde::Deserialize::deserialize(&raw).map_err(|e| Error::Decode {
            expected: format!("a SiteMember ({e})"),
            detail: Box::new(VendorDetail::new(client.provider(), operation)),
        })?;
    Ok(SiteMember {
        id: m.id.into_owned(),
        email: m.email.as_deref().and_then(|e| Email::parse(e).ok()),
        name: PersonName::new(
            m.first_name.map(Cow::into_owned).unwrap_or_default(),
            m.last_name.map(Cow::into_owned).unwrap_or_default(),
        ),
        workspace_role: m.roles.workspace,
        site_role: m.roles.site,
        site_role_id: m.roles.site_role_id.map(Cow::into_owned),
        raw,
    })
}

#[async_trait]
impl InviteProvider for WebflowWorkspace {
    async fn invite(&self, invitation: &Invitation) -> Result<InviteReceipt> {
        self.info
            .capabilities
            .check_invitation(&self.info, invitation)?;
        let plan = self.invite_plan(invitation)?;
        let receipt = self.invite_with(&invitation.email, plan.access()).await?;
        if !receipt.already_member {
            // Webflow stores one site role per pending invite: the other site roles wait
            // for acceptance (InvitePlan documents the rule).
            return Ok(receipt.with_deferred_grants(plan.deferred_grants()));
        }
        // Already a member (`status: "active"`): the invite changed nothing Webflow
        // documents, so the member gets the invitation's sites now.
        let member = match WorkspaceUserRef::parse(&receipt.user.id)? {
            WorkspaceUserRef::Member(m) => m,
            WorkspaceUserRef::Invite(..) => return Ok(receipt),
        };
        let mut receipt = receipt;
        receipt.user = self
            .give_sites(&member, receipt.user.clone(), &plan.site_entries())
            .await?;
        Ok(receipt)
    }

    async fn resend(&self, _id: &UserId) -> Result<()> {
        self.info
            .capabilities
            .require(&self.info, Operation::Resend)
    }
}

#[async_trait]
impl UserDirectory for WebflowWorkspace {
    fn list(&self, query: ListQuery) -> BoxStream<'static, Result<User>> {
        if let Err(e) = self.info.capabilities.require(&self.info, Operation::List) {
            return futures::stream::once(async move { Err(e) }).boxed();
        }
        self.list_filtered(query.page_size.unwrap_or(MAX_PAGE), None)
    }

    async fn get(&self, id: &UserId) -> Result<User> {
        self.info.capabilities.require(&self.info, Operation::Get)?;
        let target = WorkspaceUserRef::parse(id)?;
        self.get_ref(&target).await
    }

    async fn find_by_email(&self, email: &Email) -> Result<Option<User>> {
        self.info
            .capabilities
            .require(&self.info, Operation::FindByEmail)?;
        let found = self.by_email(email).await?;
        // A member wins over an invite; a pending invite over a lapsed one.
        let rank = |u: &User| match u.status {
            UserStatus::Active => 0,
            UserStatus::Invited => 1,
            _ => 2,
        };
        Ok(found.into_iter().min_by_key(rank))
    }

    async fn update(&self, id: &UserId, patch: &UserPatch) -> Result<User> {
        self.info.capabilities.check_patch(&self.info, patch)?;
        let target = WorkspaceUserRef::parse(id)?;
        let Some(change) = &patch.grants else {
            return Err(Error::invalid_input("patch", "only grants can be changed"));
        };
        let target = self.follow(target, "update").await?;
        self.apply_patch(target, change).await
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

    async fn remove(&self, id: &UserId) -> Result<()> {
        self.info
            .capabilities
            .require(&self.info, Operation::Remove)?;
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
                .map(|_| ()),
            // Invites are cancelled only through bulk remove.
            WorkspaceUserRef::Invite(..) => self
                .bulk_remove(&[target.to_user_id()])
                .await?
                .into_result()
                .map(|_| ()),
        }
    }
}
