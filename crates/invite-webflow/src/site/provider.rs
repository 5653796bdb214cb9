//! [`WebflowSiteUsers`]: the trait impls, the site-only extras and Webflow's error mapping
//! for site users (with the retirement check).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use futures::StreamExt;
use futures::stream::BoxStream;
use invite_core::http::{ErrorResponse, HttpClient, Request};
use invite_core::page::{Page, paginate};
use invite_core::{
    Capabilities, Describe, Email, Error, Grant, GrantChange, GrantKind, Invitation,
    InviteProvider, InviteReceipt, LimitKey, ListQuery, Operation, ProviderInfo, RateBudget,
    Result, User, UserDirectory, UserId, UserPatch, VendorDetail, check_id,
};
use serde_json::Value;

use super::config::{BUILTIN_FIELDS, DEFAULT_RATE_LIMIT_PER_MINUTE, WebflowSiteConfig, check_slug};
use super::wire::{
    AccessGroup, AuthorizedUser, InviteBody, Site, UpdateBody, WireAccessGroupList, WireSiteList,
    WireUserList, access_groups_wire, to_site, to_user,
};
use crate::common::{ErrorBody, classify};

/// The provider kind.
pub const KIND: &str = "webflow-site";

/// Webflow's largest page size for users and access groups.
pub const MAX_PAGE_SIZE: u32 = 100;

/// The retired feature's name, as reported in [`Error::Retired`].
pub const RETIRED_FEATURE: &str = "Webflow User Accounts";
/// The day Webflow disabled User Accounts on all sites.
pub const RETIRED_SINCE: &str = "2026-01-29";
/// What to use instead.
pub const RETIRED_ADVICE: &str = "Webflow disabled User Accounts (site members) on all sites; manage workspace collaborators through the Workspace Members API (webflow-workspace) or SCIM (webflow-scim) instead";

/// Most pages read by one extras listing before giving up (100 000 access groups).
const MAX_PAGES: u32 = 1000;

/// Webflow site users ("User Accounts", Data API v2): invite, list, get, find by email,
/// update name, custom fields and access groups, and delete.
///
/// Kind `webflow-site`, instance = the site id. Every client of one site in the process
/// shares one rate budget (`webflow-site:<site_id>`), as Webflow counts per site.
///
/// Webflow retired this surface on 2026-01-29; a site that answers so yields
/// [`Error::Retired`] (see the crate docs).
#[derive(Clone)]
pub struct WebflowSiteUsers {
    info: ProviderInfo,
    client: HttpClient,
    site_id: String,
    default_access_groups: Vec<String>,
}

impl fmt::Debug for WebflowSiteUsers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebflowSiteUsers")
            .field("info", &self.info)
            .field("client", &self.client)
            .field("default_access_groups", &self.default_access_groups)
            .finish()
    }
}

impl fmt::Display for WebflowSiteUsers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.info, f)
    }
}

/// What this adapter can do.
#[allow(clippy::field_reassign_with_default)]
fn capabilities(custom_fields: &[&'static str]) -> Capabilities {
    let mut c = Capabilities::default();
    c.invite = true;
    // Webflow always emails the invitee: a silent invite is impossible, asking for the email
    // is what happens anyway.
    c.silent_invite = false;
    c.explicit_email = true;
    c.list = true;
    c.get = true;
    c.server_side_email_lookup = false;
    c.update_name = true;
    c.update_email = false;
    c.update_grants = true;
    c.attributes = BUILTIN_FIELDS
        .iter()
        .chain(custom_fields)
        .copied()
        .collect();
    c.remove = true;
    c.grant_kinds = vec![GrantKind::WebflowAccessGroup];
    c.max_page_size = Some(MAX_PAGE_SIZE);
    c
}

impl WebflowSiteUsers {
    /// A provider for the configured site.
    pub fn new(config: WebflowSiteConfig) -> Result<Self> {
        let info = ProviderInfo::new(
            KIND,
            config.site_id.clone(),
            capabilities(&config.custom_fields),
        );
        let options =
            config
                .options
                .clone()
                .with_rate_budget(Some(match config.rate_limit_per_minute {
                    // Set by the user: a cap, whatever the site advertises.
                    Some(n) => RateBudget::per_minute(n),
                    // The smallest plan's limit paces only while the site sends no headers.
                    None => RateBudget::per_minute(DEFAULT_RATE_LIMIT_PER_MINUTE).documented(),
                }));
        let client = HttpClient::builder(info.to_string(), config.base_url.clone())
            .bearer(config.token.secret())
            .options(options)
            .limit_key(limit_key(&config.site_id))
            .error_mapper(Arc::new(|r: ErrorResponse<'_>| parse_error(&r)))
            .build()?;
        Ok(Self {
            info,
            client,
            site_id: config.site_id,
            default_access_groups: config.default_access_groups,
        })
    }

    /// A provider configured from the environment (see [`WebflowSiteConfig::from_env`]).
    pub fn from_env() -> Result<Self> {
        Self::new(WebflowSiteConfig::from_env()?)
    }

    /// The site id.
    pub fn site_id(&self) -> &str {
        &self.site_id
    }

    /// The rate-limit scope this provider draws from: `webflow-site:<site_id>`.
    pub fn limit_key(&self) -> &LimitKey {
        self.client.limit_key()
    }

    /// The site's access groups (`GET /sites/{site_id}/accessgroups`, every page).
    pub async fn list_access_groups(&self) -> Result<Vec<AccessGroup>> {
        let mut out = Vec::new();
        let mut offset: u64 = 0;
        for _ in 0..MAX_PAGES {
            let page: WireAccessGroupList = self
                .client
                .json(
                    Request::get("/sites/{}/accessgroups")
                        .segment(&self.site_id)
                        .query("offset", offset)
                        .query("limit", MAX_PAGE_SIZE)
                        .operation("list_access_groups"),
                )
                .await?;
            let groups = page.access_groups.unwrap_or_default();
            if groups.is_empty() {
                return Ok(out);
            }
            offset += groups.len() as u64;
            out.extend(groups);
            if page.total.is_some_and(|t| offset >= t) {
                return Ok(out);
            }
        }
        Err(no_progress(&self.info, "list_access_groups"))
    }

    /// The sites the token can see (`GET /sites`).
    pub async fn list_sites(&self) -> Result<Vec<Site>> {
        let list: WireSiteList = self
            .client
            .json(Request::get("/sites").operation("list_sites"))
            .await?;
        Ok(list
            .sites
            .unwrap_or_default()
            .into_iter()
            .filter_map(to_site)
            .collect())
    }

    /// The workspace account that authorized the token (`GET /token/authorized_by`).
    pub async fn authorized_by(&self) -> Result<AuthorizedUser> {
        self.client
            .json(Request::get("/token/authorized_by").operation("authorized_by"))
            .await
    }

    /// Reads one page of users.
    async fn fetch_page(
        client: HttpClient,
        site_id: String,
        offset: u64,
        limit: u32,
        operation: &'static str,
    ) -> Result<Page<User, u64>> {
        let list: WireUserList = client
            .json(
                Request::get("/sites/{}/users")
                    .segment(site_id)
                    .query("offset", offset)
                    .query("limit", limit)
                    .operation(operation),
            )
            .await?;
        let users = list
            .users
            .unwrap_or_default()
            .into_iter()
            .map(|raw| to_user(raw, client.provider(), operation))
            .collect::<Result<Vec<_>>>()?;
        // `count`/`limit`/`offset` may not echo the query: trust `total` and our own
        // offset, and stop on an empty page.
        let next_offset = offset + users.len() as u64;
        let next = if users.is_empty() || list.total.is_some_and(|t| next_offset >= t) {
            None
        } else {
            Some(next_offset)
        };
        Ok(Page::new(users, next))
    }

    fn stream(&self, page_size: u32, operation: &'static str) -> BoxStream<'static, Result<User>> {
        let client = self.client.clone();
        let site_id = self.site_id.clone();
        paginate(0u64, move |offset| {
            Self::fetch_page(
                client.clone(),
                site_id.clone(),
                offset,
                page_size,
                operation,
            )
        })
    }

    async fn get_user(&self, id: &UserId, operation: &'static str) -> Result<User> {
        let raw: Value = self
            .client
            .json(
                Request::get("/sites/{}/users/{}")
                    .segment(&self.site_id)
                    .segment(id.as_str())
                    .operation(operation),
            )
            .await?;
        to_user(raw, self.client.provider(), operation)
    }
}

/// The rate-limit scope of a site.
fn limit_key(site_id: &str) -> LimitKey {
    LimitKey::new(format!("{KIND}:{site_id}"))
}

fn no_progress(info: &ProviderInfo, operation: &'static str) -> Error {
    let mut d = VendorDetail::new(info.to_string(), operation);
    d.message = Some(format!(
        "pagination made no progress after {MAX_PAGES} pages"
    ));
    Error::Vendor(Box::new(d))
}

/// The access-group slugs of `grants` (all [`Grant::WebflowAccessGroup`]; capabilities have
/// refused other kinds already), checked.
fn slugs(grants: &[Grant], field: &str) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::with_capacity(grants.len());
    for (i, g) in grants.iter().enumerate() {
        let Grant::WebflowAccessGroup { slug } = g else {
            return Err(Error::invalid_input(
                format!("{field}[{i}]"),
                format!(
                    "is a {} grant; Webflow site users take access groups",
                    g.kind()
                ),
            ));
        };
        check_slug(slug)
            .map_err(|reason| Error::invalid_input(format!("{field}[{i}].slug"), reason))?;
        if !out.contains(slug) {
            out.push(slug.clone());
        }
    }
    Ok(out)
}

/// The scope an operation needs, for a `missing_scopes` answer that does not name it.
fn required_scope(operation: &str) -> Option<&'static str> {
    match operation {
        "invite" | "update" | "remove" => Some("users:write"),
        "list" | "get" | "find_by_email" | "list_access_groups" => Some("users:read"),
        "list_sites" => Some("sites:read"),
        "authorized_by" => Some("authorized_user:read"),
        _ => None,
    }
}

/// Whether an error answer says User Accounts are retired.
///
/// Webflow disabled User Accounts on all sites on 2026-01-29 (the last SDK with a users
/// client, webflow-api 3.2.2, says so on every method) without documenting what the
/// endpoints answer now (vendor-contracts.md open question 1). The plausible answers are
/// recognised here, and only here:
/// - 403 with code `users_not_enabled` (in the SDK's `ForbiddenErrorBody`);
/// - any 403, 404 or 410 whose body mentions "User Accounts" or `users_not_enabled`.
///
/// A plain 404 (`resource_not_found`, `user_not_found`) stays [`Error::NotFound`]: an
/// unknown user must not look like a retired feature.
pub fn is_retirement(status: u16, body: &[u8]) -> bool {
    let parsed = ErrorBody::parse(body);
    if status == 403
        && parsed
            .as_ref()
            .and_then(|b| b.code.as_deref())
            .is_some_and(|c| c.eq_ignore_ascii_case("users_not_enabled"))
    {
        return true;
    }
    if matches!(status, 403 | 404 | 410) {
        let text = String::from_utf8_lossy(body).to_ascii_lowercase();
        return text.contains("user accounts") || text.contains("users_not_enabled");
    }
    false
}

/// The site-users error mapper: the retirement check for users routes, then Webflow's
/// common classification ([`classify`]).
fn parse_error(r: &ErrorResponse<'_>) -> Error {
    let operation = r.detail.operation;
    let users_route = !matches!(operation, "list_sites" | "authorized_by");
    if users_route && is_retirement(r.status, r.body) {
        let body = ErrorBody::parse(r.body).unwrap_or_default();
        return Error::Retired {
            feature: RETIRED_FEATURE.to_owned(),
            since: Some(RETIRED_SINCE.to_owned()),
            advice: RETIRED_ADVICE.to_owned(),
            detail: r.detail_with(body.code.clone(), body.message_with_details()),
        };
    }
    classify(r, required_scope(operation))
}

impl Describe for WebflowSiteUsers {
    fn info(&self) -> &ProviderInfo {
        &self.info
    }
}

#[async_trait]
impl InviteProvider for WebflowSiteUsers {
    /// Invites by email with access groups (the invitation's, else the configured
    /// defaults). Webflow always emails the invitee. The invitation's name is not sent
    /// (the invite takes only `email` and `accessGroups`); set it with `update`.
    async fn invite(&self, invitation: &Invitation) -> Result<InviteReceipt> {
        self.info
            .capabilities
            .check_invitation(&self.info, invitation)?;
        if let Some(key) = invitation.attributes.keys().next() {
            return Err(Error::invalid_input(
                format!("attributes.{key}"),
                "Webflow's invite takes only an email and access groups; set user fields with update after the invite",
            ));
        }
        let mut groups = slugs(&invitation.grants, "grants")?;
        if groups.is_empty() {
            groups = self.default_access_groups.clone();
        }
        if !invitation.name.is_empty() {
            tracing::debug!(target: "invite::webflow", provider = %self.info, "the invitation's name is not sent: Webflow's invite has no name field");
        }
        let body = InviteBody {
            email: invitation.email.as_str(),
            access_groups: groups.iter().map(String::as_str).collect(),
        };
        let raw: Value = self
            .client
            .json(
                Request::post("/sites/{}/users/invite")
                    .segment(&self.site_id)
                    .json(&body)
                    .operation("invite"),
            )
            .await?;
        match to_user(raw, self.client.provider(), "invite") {
            Ok(user) => Ok(InviteReceipt::new(user).with_email_sent(Some(true))),
            // The invite happened (2xx) but the answer names no user: reconcile by lookup.
            Err(e) => Err(Error::Uncertain {
                reason: format!("the invite succeeded but its answer was unreadable ({e})"),
                detail: Box::new(VendorDetail::new(self.info.to_string(), "invite")),
            }),
        }
    }

    async fn resend(&self, _id: &UserId) -> Result<()> {
        self.info
            .capabilities
            .require(&self.info, Operation::Resend)
    }
}

#[async_trait]
impl UserDirectory for WebflowSiteUsers {
    fn list(&self, query: ListQuery) -> BoxStream<'static, Result<User>> {
        if let Err(e) = self.info.capabilities.require(&self.info, Operation::List) {
            return futures::stream::once(async move { Err(e) }).boxed();
        }
        let size = query
            .page_size
            .unwrap_or(MAX_PAGE_SIZE)
            .clamp(1, MAX_PAGE_SIZE);
        self.stream(size, "list")
    }

    async fn get(&self, id: &UserId) -> Result<User> {
        self.info.capabilities.require(&self.info, Operation::Get)?;
        check_id("user_id", id.as_str())?;
        self.get_user(id, "get").await
    }

    /// Pages through every user (`limit=100`): Webflow has no email filter.
    async fn find_by_email(&self, email: &Email) -> Result<Option<User>> {
        self.info
            .capabilities
            .require(&self.info, Operation::FindByEmail)?;
        let mut users = self.stream(MAX_PAGE_SIZE, "find_by_email");
        while let Some(user) = users.next().await {
            let user = user?;
            if user.has_email(email) {
                return Ok(Some(user));
            }
        }
        Ok(None)
    }

    /// Changes the name (`data.name`), user fields (`data.<slug>`) and access groups.
    /// `accessGroups` on PATCH replaces the whole list, so [`GrantChange::Add`] and
    /// [`GrantChange::Remove`] read the current groups first and write the merged list.
    /// The email cannot be changed (refused before any request).
    async fn update(&self, id: &UserId, patch: &UserPatch) -> Result<User> {
        self.info
            .capabilities
            .require(&self.info, Operation::Update)?;
        check_id("user_id", id.as_str())?;
        self.info.capabilities.check_patch(&self.info, patch)?;
        let mut data: BTreeMap<String, Value> = BTreeMap::new();
        if let Some(name) = &patch.name {
            let full = name
                .full()
                .ok_or_else(|| Error::invalid_input("name", "is empty"))?;
            data.insert("name".into(), Value::String(full));
        }
        for (k, v) in &patch.attributes {
            data.insert(k.clone(), v.clone());
        }
        let mut body = UpdateBody {
            data: (!data.is_empty()).then_some(data),
            access_groups: None,
        };
        if let Some(change) = &patch.grants {
            // Validate the named slugs before any request (the read included).
            slugs(change.grants(), "grants")?;
            let target = match change {
                GrantChange::Add(_) | GrantChange::Remove(_) => {
                    let current = self.get_user(id, "update").await?;
                    change.apply_to(&current.grants)
                }
                _ => change.apply_to(&[]),
            };
            body.access_groups = Some(access_groups_wire(&slugs(&target, "grants")?));
        }
        let raw: Value = self
            .client
            .json(
                Request::patch("/sites/{}/users/{}")
                    .segment(&self.site_id)
                    .segment(id.as_str())
                    .json(&body)
                    .operation("update"),
            )
            .await?;
        to_user(raw, self.client.provider(), "update")
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

    /// Deletes the user (`DELETE`, 200 with an empty body, `{}` or 204).
    async fn remove(&self, id: &UserId) -> Result<()> {
        self.info
            .capabilities
            .require(&self.info, Operation::Remove)?;
        check_id("user_id", id.as_str())?;
        self.client
            .send(
                Request::delete("/sites/{}/users/{}")
                    .segment(&self.site_id)
                    .segment(id.as_str())
                    .operation("remove"),
            )
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retirement_answers() {
        assert!(is_retirement(
            403,
            br#"{"code":"users_not_enabled","message":"x"}"#
        ));
        assert!(is_retirement(
            404,
            br#"{"code":"resource_not_found","message":"User Accounts are not enabled"}"#
        ));
        assert!(is_retirement(410, b"User Accounts have been retired"));
        assert!(!is_retirement(
            404,
            br#"{"code":"user_not_found","message":"Requested resource not found: The user cannot be found"}"#
        ));
        assert!(!is_retirement(
            403,
            br#"{"code":"missing_scopes","message":"You are missing the following scopes - users:read"}"#
        ));
        assert!(!is_retirement(500, br#"{"code":"users_not_enabled"}"#));
    }

    #[test]
    fn scopes_per_operation() {
        assert_eq!(required_scope("invite"), Some("users:write"));
        assert_eq!(required_scope("find_by_email"), Some("users:read"));
        assert_eq!(required_scope("other"), None);
    }

    #[test]
    fn slugs_are_checked_and_deduplicated() {
        let g = |s: &str| Grant::WebflowAccessGroup { slug: s.into() };
        assert_eq!(
            slugs(&[g("a"), g("b"), g("a")], "grants").unwrap(),
            vec!["a", "b"]
        );
        assert!(matches!(
            slugs(&[g("a"), g(" ")], "grants"),
            Err(Error::InvalidInput { field, .. }) if field == "grants[1].slug"
        ));
        assert!(
            slugs(
                &[Grant::AworkRole {
                    role_id: "r".into()
                }],
                "grants"
            )
            .is_err()
        );
    }
}
