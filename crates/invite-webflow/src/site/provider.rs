//! [`SiteUsers`], the adapter behind [`WebflowSiteUsers`]: the trait calls, the site-only
//! extras and Webflow's error mapping for site users (with the retirement check).

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use futures::TryStreamExt;
use invite_core::http::{ErrorResponse, HttpClient, Request};
use invite_core::page::{Page, paginate};
use invite_core::{
    Adapter, AdapterGrant, Capabilities, Error, GrantPlan, Invitation, InviteReceipt, LimitKey,
    ListQuery, Pipeline, ProviderInfo, RateBudget, Result, User, UserId, UserPatch, VendorDetail,
};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::config::{BUILTIN_FIELDS, DEFAULT_RATE_LIMIT_PER_MINUTE, WebflowSiteConfig};
use super::grant::{ACCESS_GROUP, AccessGroupGrant};
use super::wire::{
    AccessGroup, AuthorizedUser, InviteBody, Site, UpdateBody, UserData, WireList, WireSiteList,
    access_groups_wire, kept_groups, to_site, to_user,
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

/// What the site-users provider can do; `attributes` are the built-in user fields (a
/// provider adds its configured custom fields).
pub const CAPABILITIES: Capabilities = Capabilities {
    invite: true,
    // Webflow always emails the invitee: a silent invite is impossible, asking for the
    // email is what happens anyway (docs/vendors/webflow-site.md#trap-invite-always-emails).
    explicit_email: true,
    list: true,
    get: true,
    // No email filter: the pipeline pages through the users
    // (docs/vendors/webflow-site.md#trap-no-email-filter).
    update_name: true,
    update_grants: true,
    attributes: Cow::Borrowed(&BUILTIN_FIELDS),
    remove: true,
    grant_kinds: &[ACCESS_GROUP],
    max_page_size: Some(MAX_PAGE_SIZE),
    ..Capabilities::NONE
};

/// Webflow site users ("User Accounts", Data API v2): invite, list, get, find by email,
/// update name, custom fields and access groups, and delete. [`SiteUsers`] behind the
/// shared pipeline; build it with `WebflowSiteUsers::from_config(config)?`.
///
/// Kind `webflow-site`, instance = the site id. Every client of one site in the process
/// shares one rate budget (`webflow-site:<site_id>`), as Webflow counts per site.
///
/// Webflow retired this surface on 2026-01-29; a site that answers so yields
/// [`Error::Retired`] (see the crate docs).
pub type WebflowSiteUsers = Pipeline<SiteUsers>;

/// The site-users adapter: its extras (`list_access_groups`, `list_sites`,
/// `authorized_by`) are reachable on [`WebflowSiteUsers`] through `Deref`.
#[derive(Debug)]
pub struct SiteUsers {
    info: ProviderInfo,
    client: HttpClient,
    site_id: String,
    default_access_groups: Vec<String>,
    /// Per user id, the access groups the library does not manage (`ecommerce`) as
    /// [`Adapter::grants_of`] just read them, for the grant change that follows to write
    /// back without reading the user again. Taken by the next `update` or `get` of the user.
    kept: Mutex<HashMap<String, Vec<Value>>>,
}

/// The built-in user fields and the configured custom ones.
fn attributes(custom_fields: &[&'static str]) -> Cow<'static, [&'static str]> {
    if custom_fields.is_empty() {
        return Cow::Borrowed(&BUILTIN_FIELDS);
    }
    Cow::Owned(
        BUILTIN_FIELDS
            .iter()
            .chain(custom_fields)
            .copied()
            .collect(),
    )
}

impl SiteUsers {
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
        let (client, site) = (self.client.clone(), self.site_id.clone());
        paginate(0, move |offset| {
            let (client, site) = (client.clone(), site.clone());
            async move {
                offset_page(
                    &client,
                    "/sites/{}/accessgroups",
                    &site,
                    offset,
                    MAX_PAGE_SIZE,
                    "list_access_groups",
                )
                .await
            }
        })
        .try_collect()
        .await
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

    /// `/sites/{site_id}/users/{user_id}` with `verb`.
    fn user_request(&self, verb: fn(&'static str) -> Request, id: &UserId) -> Request {
        verb("/sites/{}/users/{}")
            .segment(&self.site_id)
            .segment(id.as_str())
    }

    async fn get_user(&self, id: &UserId, operation: &'static str) -> Result<User> {
        let raw: Value = self
            .client
            .json(self.user_request(Request::get, id).operation(operation))
            .await?;
        to_user(raw, &self.info, operation)
    }

    /// The groups of user `id` the library does not manage, as last read by `grants_of`
    /// (taken), else read now: a grant change must write them back unchanged.
    async fn take_kept(&self, id: &UserId) -> Result<Vec<Value>> {
        let taken = self.kept_map().remove(id.as_str());
        match taken {
            Some(kept) => Ok(kept),
            None => Ok(kept_groups(&self.get_user(id, "update").await?.raw)),
        }
    }

    fn kept_map(&self) -> std::sync::MutexGuard<'_, HashMap<String, Vec<Value>>> {
        self.kept.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The rate-limit scope of a site.
fn limit_key(site_id: &str) -> LimitKey {
    LimitKey::new(format!("{KIND}:{site_id}"))
}

/// One page of a site's list at `route` (`/sites/{}/users`, `/sites/{}/accessgroups`) from
/// `offset`. `count`/`limit`/`offset` may not echo the query: `total` and our own offset
/// are trusted, and an empty page ends the list.
async fn offset_page<T: DeserializeOwned + Send>(
    client: &HttpClient,
    route: &'static str,
    site_id: &str,
    offset: u64,
    limit: u32,
    operation: &'static str,
) -> Result<Page<T, u64>> {
    let list: WireList<T> = client
        .json(
            Request::get(route)
                .segment(site_id)
                .query("offset", offset)
                .query("limit", limit)
                .operation(operation),
        )
        .await?;
    let items = list.items.unwrap_or_default();
    let next = offset + items.len() as u64;
    let last = items.is_empty() || list.total.is_some_and(|t| next >= t);
    Ok(Page::new(items, (!last).then_some(next)))
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
/// endpoints answer now (docs/vendors/webflow-site.md#oq-retired-answer). The plausible answers are
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

#[async_trait]
impl Adapter for SiteUsers {
    type Config = WebflowSiteConfig;
    type Grant = AccessGroupGrant;
    type Cursor = u64;

    fn from_config(config: WebflowSiteConfig) -> Result<Self> {
        let capabilities = Capabilities {
            attributes: attributes(&config.custom_fields),
            ..CAPABILITIES
        };
        let info = ProviderInfo::new(KIND, config.site_id.clone(), capabilities);
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
            .bearer(config.token.secret().clone())
            .options(options)
            .limit_key(limit_key(&config.site_id))
            .error_mapper(Arc::new(|r: ErrorResponse<'_>| parse_error(&r)))
            .build()?;
        Ok(Self {
            info,
            client,
            site_id: config.site_id,
            default_access_groups: config.default_access_groups,
            kept: Mutex::default(),
        })
    }

    fn info(&self) -> &ProviderInfo {
        &self.info
    }

    fn first_page(&self) -> u64 {
        0
    }

    /// `GET /sites/{site_id}/users?offset&limit`. `count`/`limit`/`offset` may not echo the
    /// query: `total` and our own offset are trusted, and an empty page ends the list.
    async fn list_page(
        &self,
        offset: u64,
        limit: u32,
        _query: &ListQuery,
    ) -> Result<Page<User, u64>> {
        let page: Page<Value, u64> = offset_page(
            &self.client,
            "/sites/{}/users",
            &self.site_id,
            offset,
            limit,
            "list",
        )
        .await?;
        let users = page
            .items
            .into_iter()
            .map(|raw| to_user(raw, &self.info, "list"))
            .collect::<Result<Vec<_>>>()?;
        Ok(Page::new(users, page.next))
    }

    async fn get(&self, id: &UserId) -> Result<User> {
        self.kept_map().remove(id.as_str());
        self.get_user(id, "get").await
    }

    /// Invites by email with access groups (the invitation's, else the configured
    /// defaults). Webflow always emails the invitee. The invitation's name is not sent
    /// (the invite takes only `email` and `accessGroups`); set it with `update`.
    async fn invite(
        &self,
        invitation: &Invitation,
        grants: Vec<AccessGroupGrant>,
    ) -> Result<InviteReceipt> {
        if let Some(key) = invitation.attributes.keys().next() {
            return Err(Error::invalid_input(
                format!("attributes.{key}"),
                "Webflow's invite takes only an email and access groups; set user fields with update after the invite",
            ));
        }
        let mut groups: Vec<&str> = grants.iter().map(|g| g.slug.as_str()).collect();
        if groups.is_empty() {
            groups = self
                .default_access_groups
                .iter()
                .map(String::as_str)
                .collect();
        }
        if !invitation.name.is_empty() {
            tracing::debug!(target: "invite::webflow", provider = %self.info, "the invitation's name is not sent: Webflow's invite has no name field");
        }
        let body = InviteBody {
            email: invitation.email.as_str(),
            access_groups: groups,
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
        match to_user(raw, &self.info, "invite") {
            Ok(user) => Ok(InviteReceipt::new(user).with_email_sent(Some(true))),
            // The invite happened (2xx) but the answer names no user: reconcile by lookup.
            Err(e) => Err(Error::Uncertain {
                reason: format!("the invite succeeded but its answer was unreadable ({e})"),
                detail: Box::new(VendorDetail::new(self.info.to_string(), "invite")),
            }),
        }
    }

    /// The access groups the user holds as admin grants (`GET …/users/{user_id}`). The
    /// groups the library does not manage (`ecommerce`: bought by the person) are not
    /// among them; they are kept for the update that follows to write back unchanged
    /// (docs/vendors/webflow-site.md#trap-ecommerce-groups).
    async fn grants_of(&self, id: &UserId) -> Result<Vec<AccessGroupGrant>> {
        let user = self.get_user(id, "update").await?;
        self.kept_map()
            .insert(id.as_str().to_owned(), kept_groups(&user.raw));
        AccessGroupGrant::from_grants(&user.grants, "grants")
    }

    /// Changes the name (`data.data.name`), user fields (`data.data.<slug>`) and access
    /// groups with one `PATCH`. `accessGroups` replaces the whole list, so the plan's
    /// desired groups are written in full, followed by the groups the library does not
    /// manage exactly as read (docs/vendors/webflow-site.md#trap-access-groups-replace,
    /// docs/vendors/webflow-site.md#trap-ecommerce-groups).
    async fn update(
        &self,
        id: &UserId,
        profile: Option<&UserPatch>,
        grants: Option<GrantPlan<AccessGroupGrant>>,
    ) -> Result<User> {
        let mut data: BTreeMap<String, Value> = BTreeMap::new();
        if let Some(name) = profile.and_then(|p| p.name.as_ref()) {
            let full = name
                .full()
                .ok_or_else(|| Error::invalid_input("name", "is empty"))?;
            data.insert("name".into(), Value::String(full));
        }
        for (k, v) in profile.iter().flat_map(|p| &p.attributes) {
            data.insert(k.clone(), v.clone());
        }
        let access_groups = match grants {
            Some(plan) => {
                let kept = self.take_kept(id).await?;
                Some(access_groups_wire(
                    plan.desired.iter().map(|g| g.slug.as_str()),
                    kept,
                ))
            }
            None => {
                self.kept_map().remove(id.as_str());
                None
            }
        };
        let body = UpdateBody {
            data: (!data.is_empty()).then_some(UserData { data }),
            access_groups,
        };
        let raw: Value = self
            .client
            .json(
                self.user_request(Request::patch, id)
                    .json(&body)
                    .operation("update"),
            )
            .await?;
        to_user(raw, &self.info, "update")
    }

    /// Deletes the user (`DELETE`, 200 with an empty body, `{}` or 204).
    async fn remove(&self, id: &UserId) -> Result<()> {
        self.client
            .send(self.user_request(Request::delete, id).operation("remove"))
            .await
            .map(drop)
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
}
