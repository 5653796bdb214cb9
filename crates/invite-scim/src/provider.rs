//! [`Scim`]: the SCIM 2.0 adapter behind [`ScimProvider`], and the whole mapping between
//! SCIM User resources and the normalized model.
//!
//! # Wire mapping (all of it)
//!
//! | invite operation | SCIM request |
//! |---|---|
//! | `invite` | `POST /Users` `{schemas, userName: email as typed, name{givenName, familyName, formatted}, displayName, emails:[{value, type:"work", primary:true}], active:true}`, then `PATCH /Groups/{gid}` `add members` per [`ScimGroup`] grant |
//! | `get` | `GET /Users/{id}` (+ `GET /Groups` when the server does not fill `User.groups`) |
//! | `find_by_email` | `GET /Users?filter=userName eq "<email>"`, matched again client-side case-insensitively |
//! | `list` | `GET /Users?startIndex=N&count=C`, plus `&sortBy=meta.created&sortOrder=ascending` when sorting |
//! | `update` | `PATCH /Users/{id}` `replace` of `name`/`displayName`, `userName`+`emails`, attributes; group changes as `PATCH /Groups/{gid}` after reading the memberships from `GET /Groups` |
//! | `deactivate` / `reactivate` | `PATCH /Users/{id}` `{op:"replace", path:"active", value:false/true}` |
//! | `remove` | `DELETE /Users/{id}` (204; a second one answers 404 = [`Error::NotFound`]) |
//! | status | `active == false` → [`UserStatus::Deactivated`], else [`UserStatus::Active`] (SCIM has no invitation state) |
//! | email | primary `emails` value, else the first, else `userName` if it is an address |
//! | grants | `User.groups[].value` when the server sends `groups`, else the groups whose `members` hold the user |

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use invite_core::http::{HttpClient, Request};
use invite_core::page::Page;
use invite_core::pipeline::decode_error;
use invite_core::{
    Adapter, Capabilities, Email, Error, Grant, GrantPlan, Invitation, InviteReceipt, ListQuery,
    PersonName, Pipeline, ProviderInfo, Result, User, UserId, UserPatch, UserStatus, check_id,
    decode, parse_timestamp,
};
use serde_json::{Value, json};

use crate::config::{ScimConfig, SortPolicy};
use crate::errors::parse_error;
use crate::grant::{SCIM_GROUP, ScimGroup};
use crate::groups::ScimFeatures;
use crate::wire::{
    self, ACCEPT, ListResponse, MultiValue, Name, PatchOp, PatchOperation, SCIM_MEDIA_TYPE,
    ScimUser,
};

/// The largest page this adapter asks for (scim2-server's and most servers' cap).
const MAX_PAGE: u32 = 1000;

/// Pages of only deactivated users one `list` step reads on before it answers an empty
/// page (the pipeline stops a listing after a few empty pages in a row).
const HIDDEN_PAGES: usize = 50;

/// What a User resource that cannot be read is said not to be.
const EXPECTED_USER: &str = "a SCIM User resource";

/// Core User attributes accepted in [`Invitation::attributes`] and
/// [`UserPatch::attributes`] (string values).
pub const ATTRIBUTES: &[&str] = &[
    "externalId",
    "nickName",
    "title",
    "userType",
    "preferredLanguage",
    "locale",
    "timezone",
];

/// What this adapter can do against any SCIM service provider.
///
/// SCIM sends no invitation email: the service provider provisions the account and the
/// person signs in through the identity provider (SSO). Whether the service provider
/// itself emails the person is its own business, so only
/// [`invite_core::EmailDelivery::VendorDefault`] is accepted (`silent_invite` and
/// `explicit_email` are false): a request to force or suppress an email is refused before
/// anything is sent rather than silently ignored.
pub const CAPABILITIES: Capabilities = Capabilities {
    invite: true,
    list: true,
    get: true,
    server_side_email_lookup: true,
    update_name: true,
    update_email: true,
    update_grants: true,
    attributes: Cow::Borrowed(ATTRIBUTES),
    deactivate: true,
    reactivate: true,
    remove: true,
    grant_kinds: &[SCIM_GROUP],
    max_page_size: Some(MAX_PAGE),
    ..Capabilities::NONE
};

/// A SCIM 2.0 service provider (RFC 7643/7644): any server, or Webflow's through
/// [`crate::webflow::WebflowScimConfig`]. Build it with `ScimProvider::from_config(config)`.
/// Cheap to clone; clones share the connection pool, the rate budget and the ETag cache.
pub type ScimProvider = Pipeline<Scim>;

/// The SCIM adapter behind [`ScimProvider`]: the wire mapping, the ETag cache and the
/// SCIM-specific calls (groups, discovery, PUT), reachable from the provider.
#[derive(Debug)]
pub struct Scim {
    pub(crate) info: ProviderInfo,
    pub(crate) http: HttpClient,
    use_etags: bool,
    sort: SortPolicy,
    pub(crate) page_size: u32,
    /// Last seen `meta.version` per user id (only with ETags on).
    versions: Mutex<HashMap<String, String>>,
    /// `/ServiceProviderConfig`, once read (or known to be unavailable).
    pub(crate) features: Mutex<Option<ScimFeatures>>,
}

/// Where a page of the user list starts (a 1-based `startIndex`), carrying the group
/// memberships already read for this listing so that `GET /Groups` is read once per
/// listing. Cursors are equal when they start at the same index.
#[derive(Clone, Debug)]
pub struct ListCursor {
    start: u64,
    memberships: Option<Arc<MembershipIndex>>,
}

impl PartialEq for ListCursor {
    fn eq(&self, other: &Self) -> bool {
        self.start == other.start
    }
}

/// Group ids per member id.
pub(crate) type MembershipIndex = HashMap<String, Vec<String>>;

/// A user resource read from the wire: the normalized user plus whether its grants are
/// known (the server sent `groups`).
pub(crate) struct Mapped {
    user: User,
    groups_known: bool,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn non_blank(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// The grants for membership of these groups.
fn group_grants(ids: impl IntoIterator<Item = String>) -> Vec<Grant> {
    ids.into_iter().map(ScimGroup::grant).collect()
}

/// Maps a SCIM User resource (raw JSON, kept as [`User::raw`]) to the normalized model,
/// with its `meta.version`.
fn map_user(info: &ProviderInfo, raw: Value, op: &'static str) -> Result<(Mapped, Option<String>)> {
    let scim: ScimUser = decode(&raw, info, op, EXPECTED_USER)?;
    let Some(id) = non_blank(scim.id.as_deref()) else {
        let cause = "the resource has no `id`";
        return Err(decode_error(info, op, EXPECTED_USER, &cause, &raw));
    };
    let primary = scim
        .emails
        .iter()
        .find(|e| e.primary == Some(true))
        .or_else(|| scim.emails.first())
        .and_then(|e| e.value.as_deref())
        .and_then(|v| Email::parse(v).ok());
    let email = primary.or_else(|| scim.user_name.as_deref().and_then(|v| Email::parse(v).ok()));
    let name = scim.name.unwrap_or_default();
    let display = non_blank(scim.display_name.as_deref()).or(non_blank(name.formatted.as_deref()));
    let mut person = PersonName::new(
        name.given_name.unwrap_or_default(),
        name.family_name.unwrap_or_default(),
    );
    if let Some(d) = display {
        person = person.with_display(d);
    }
    let status = match scim.active {
        Some(false) => UserStatus::Deactivated,
        _ => UserStatus::Active,
    };
    let groups_known = scim.groups.is_some();
    let groups = scim.groups.unwrap_or_default().into_iter();
    let meta = scim.meta.unwrap_or_default();
    let user = User::new(id, status)
        .with_email(email)
        .with_name(person)
        .with_grants(group_grants(
            groups.filter_map(|g| non_blank(g.value.as_deref())),
        ))
        .with_timestamps(
            meta.created.as_deref().and_then(parse_timestamp),
            meta.last_modified.as_deref().and_then(parse_timestamp),
            None,
            None,
        )
        .with_raw(raw);
    let mapped = Mapped { user, groups_known };
    Ok((mapped, non_blank(meta.version.as_deref())))
}

/// True when the resource's `userName` or one of its emails is `email`.
fn matches_email(raw: &Value, email: &Email) -> bool {
    let Ok(scim) = <ScimUser as serde::Deserialize>::deserialize(raw) else {
        return false;
    };
    let same = |v: &str| v.trim().eq_ignore_ascii_case(email.as_str());
    scim.user_name.as_deref().is_some_and(same)
        || scim
            .emails
            .iter()
            .any(|e| e.value.as_deref().is_some_and(same))
}

fn scim_name(name: &PersonName) -> Option<Name> {
    if name.is_empty() {
        return None;
    }
    Some(Name {
        formatted: name.full(),
        family_name: name.family.clone(),
        given_name: name.given.clone(),
    })
}

/// Checks that every attribute value is a non-empty string (the pipeline has checked the
/// names against [`ATTRIBUTES`]).
fn check_attributes(attributes: &BTreeMap<String, Value>) -> Result<()> {
    match attributes
        .iter()
        .find(|(_, v)| v.as_str().is_none_or(|s| s.trim().is_empty()))
    {
        Some((k, _)) => Err(Error::invalid_input(
            format!("attributes.{k}"),
            "must be a non-empty string",
        )),
        None => Ok(()),
    }
}

/// The PATCH operations for a profile change: `name`+`displayName`, `userName`+`emails`,
/// then the attributes in [`ATTRIBUTES`] order.
fn profile_ops(patch: &UserPatch) -> Result<Vec<PatchOperation>> {
    let mut ops = Vec::new();
    if let Some(name) = &patch.name {
        if let Some(n) = scim_name(name) {
            let n = serde_json::to_value(n).unwrap_or(Value::Null);
            ops.push(PatchOperation::replace("name", n));
        }
        if let Some(full) = name.full() {
            ops.push(PatchOperation::replace("displayName", Value::String(full)));
        }
        if ops.is_empty() {
            return Err(Error::invalid_input("name", "the new name is empty"));
        }
    }
    if let Some(email) = &patch.email {
        let user_name = Value::String(email.as_str().to_owned());
        ops.push(PatchOperation::replace("userName", user_name));
        let emails = json!([MultiValue::work_email(email.as_str())]);
        ops.push(PatchOperation::replace("emails", emails));
    }
    check_attributes(&patch.attributes)?;
    ops.extend(ATTRIBUTES.iter().filter_map(|name| {
        let value = patch.attributes.get(*name)?;
        Some(PatchOperation::replace(*name, value.clone()))
    }));
    Ok(ops)
}

/// The next 1-based `startIndex`, or `None` at the end: an empty page ends the listing, as
/// does `startIndex + itemsPerPage > totalResults`. `itemsPerPage` may be missing; the
/// number of `Resources` received is what the next index advances by.
pub(crate) fn next_start(start: u64, page: &ListResponse) -> Option<u64> {
    let n = page.resources.len() as u64;
    if n == 0 {
        return None;
    }
    let per_page = page.items_per_page.filter(|p| *p > 0).unwrap_or(n).max(n);
    let next = start.saturating_add(n);
    match page.total_results {
        Some(total) if start.saturating_add(per_page) > total => None,
        _ => Some(next),
    }
}

impl Scim {
    /// The base URL requests go to.
    pub fn base_url(&self) -> &url::Url {
        self.http.base_url()
    }

    fn mapped(&self, raw: Value, op: &'static str) -> Result<Mapped> {
        let (m, version) = map_user(&self.info, raw, op)?;
        self.remember(m.user.id.as_str(), version);
        Ok(m)
    }

    // ----- ETags ----------------------------------------------------------------------

    fn remember(&self, id: &str, version: Option<String>) {
        if !self.use_etags {
            return;
        }
        let mut v = lock(&self.versions);
        match version {
            Some(ver) => v.insert(id.to_owned(), ver),
            None => v.remove(id),
        };
    }

    fn with_if_match(&self, req: Request, id: &str) -> Request {
        match lock(&self.versions).get(id) {
            Some(v) if self.use_etags => req.header("If-Match", v.clone()),
            _ => req,
        }
    }

    /// The last `meta.version` seen for `id` (only kept with ETags on).
    pub fn last_seen_version(&self, id: &UserId) -> Option<String> {
        lock(&self.versions).get(id.as_str()).cloned()
    }

    async fn should_sort(&self) -> bool {
        match self.sort {
            SortPolicy::Always => true,
            SortPolicy::Never => false,
            SortPolicy::Auto => self.features().await.is_some_and(|f| f.sort),
        }
    }

    /// The most resources one list request may ask for: [`MAX_PAGE`], or less when the
    /// server's `filter.maxResults` says so.
    fn max_results(&self) -> u64 {
        lock(&self.features)
            .as_ref()
            .and_then(|f| f.max_results)
            .filter(|m| *m > 0)
            .map_or(u64::from(MAX_PAGE), |m| m.min(u64::from(MAX_PAGE)))
    }

    // ----- users ----------------------------------------------------------------------

    async fn get_raw(&self, id: &str, op: &'static str) -> Result<Mapped> {
        let req = Request::get("/Users/{}").segment(id).operation(op);
        let raw: Value = self.http.json(req).await?;
        self.mapped(raw, op)
    }

    /// Fills `user.grants` from the groups' member lists when the server did not send
    /// `User.groups`.
    async fn resolve_grants(&self, mut m: Mapped) -> Result<User> {
        if !m.groups_known {
            m.user.grants = group_grants(self.groups_of(&m.user.id).await?);
        }
        Ok(m.user)
    }

    /// `PATCH /Users/{id}`; 200 with a body or 204 without are both success.
    async fn patch_user(
        &self,
        id: &str,
        operations: Vec<PatchOperation>,
        op: &'static str,
    ) -> Result<()> {
        let req = Request::patch("/Users/{}")
            .segment(id)
            .json(&PatchOp::new(operations))
            .content_type(SCIM_MEDIA_TYPE)
            .operation(op);
        let resp = self.http.send(self.with_if_match(req, id)).await?;
        if resp.body.iter().all(u8::is_ascii_whitespace) {
            // 204 No Content (scim2-server's answer): the new version is in the ETag header.
            let etag = resp.headers.get("etag").and_then(|v| v.to_str().ok());
            self.remember(id, etag.map(str::to_owned));
            return Ok(());
        }
        // The PATCH has been applied at this point: an answer that is not a readable
        // resource must not turn success into an error (callers that need the resource,
        // like `update`, read it again).
        let raw = serde_json::from_slice::<Value>(&resp.body).unwrap_or(Value::Null);
        if let Err(e) = self.mapped(raw, op) {
            tracing::debug!(target: "invite::scim", op, error = %e,
                "PATCH succeeded but its answer is not a User resource; ignoring it");
            self.remember(id, None);
        }
        Ok(())
    }

    async fn set_active(&self, id: &UserId, active: bool, op: &'static str) -> Result<()> {
        let ops = vec![PatchOperation::replace("active", Value::Bool(active))];
        self.patch_user(id.as_str(), ops, op).await
    }

    /// `PUT /Users/{id}`: replaces the whole resource (attributes left out are dropped by
    /// the server). `schemas` defaults to the core User URN. Not every service provider
    /// offers PUT (Webflow's documentation does not list it).
    pub async fn replace_user(&self, id: &UserId, user: &ScimUser) -> Result<User> {
        check_id("user_id", id.as_str())?;
        if user
            .user_name
            .as_deref()
            .is_none_or(|n| n.trim().is_empty())
        {
            return Err(Error::invalid_input("user.userName", "is required"));
        }
        let mut body = user.clone();
        if body.schemas.is_empty() {
            body.schemas = vec![wire::USER_SCHEMA.to_owned()];
        }
        let req = Request::put("/Users/{}")
            .segment(id.as_str())
            .json(&body)
            .content_type(SCIM_MEDIA_TYPE)
            .operation("replace_user");
        let raw: Value = self.http.json(self.with_if_match(req, id.as_str())).await?;
        let m = self.mapped(raw, "replace_user")?;
        self.resolve_grants(m).await
    }

    /// One page of `GET /Users` from `cursor`, `count` at most, grants resolved (reading
    /// every group once per listing when the server does not fill `User.groups`).
    async fn users_page(
        &self,
        cursor: &ListCursor,
        count: u64,
        sort: bool,
    ) -> Result<Page<User, ListCursor>> {
        let mut req = Request::get("/Users")
            .query("startIndex", cursor.start)
            .query("count", count)
            .operation("list");
        if sort {
            req = req
                .query("sortBy", "meta.created")
                .query("sortOrder", "ascending");
        }
        let page: ListResponse = self.http.json(req).await?;
        let next = next_start(cursor.start, &page);
        let mut mapped = page
            .resources
            .into_iter()
            .map(|raw| self.mapped(raw, "list"))
            .collect::<Result<Vec<_>>>()?;
        let mut memberships = cursor.memberships.clone();
        if mapped.iter().any(|m| !m.groups_known) {
            let index = match memberships {
                Some(index) => index,
                None => Arc::new(self.membership_index().await?),
            };
            for m in mapped.iter_mut().filter(|m| !m.groups_known) {
                let held = index.get(m.user.id.as_str()).into_iter().flatten();
                m.user.grants = group_grants(held.cloned());
            }
            memberships = Some(index);
        }
        let users = mapped.into_iter().map(|m| m.user).collect();
        Ok(Page::new(
            users,
            next.map(|start| ListCursor { start, memberships }),
        ))
    }

    fn invite_body(&self, inv: &Invitation) -> Result<ScimUser> {
        let mut user = ScimUser::new(inv.email.as_str());
        user.name = scim_name(&inv.name);
        user.display_name = inv.name.full();
        user.emails = vec![MultiValue::work_email(inv.email.as_str())];
        user.active = Some(true);
        check_attributes(&inv.attributes)?;
        user.attributes = inv.attributes.clone();
        Ok(user)
    }
}

#[async_trait]
impl Adapter for Scim {
    type Config = ScimConfig;
    type Grant = ScimGroup;
    type Cursor = ListCursor;

    fn from_config(config: ScimConfig) -> Result<Self> {
        let info = ProviderInfo::new(config.kind, config.instance.clone(), CAPABILITIES);
        let http = HttpClient::builder(info.to_string(), config.base_url.clone())
            .bearer_per_token(config.limit_prefix, &config.token)
            .options(config.options.clone())
            .error_mapper(Arc::new(parse_error))
            .default_header("Accept", ACCEPT)
            .build()?;
        Ok(Self {
            info,
            http,
            use_etags: config.use_etags,
            sort: config.sort,
            page_size: config.page_size,
            versions: Mutex::new(HashMap::new()),
            features: Mutex::new(None),
        })
    }

    fn info(&self) -> &ProviderInfo {
        &self.info
    }

    fn first_page(&self) -> ListCursor {
        ListCursor {
            start: 1,
            memberships: None,
        }
    }

    /// Deactivated users are left out unless asked for; a page that holds only them is
    /// read past (up to 50 pages in one step), so they do not end a listing early.
    async fn list_page(
        &self,
        mut cursor: ListCursor,
        size: u32,
        query: &ListQuery,
    ) -> Result<Page<User, ListCursor>> {
        // A caller that names no page size gets the configured one.
        let wanted = query.page_size.map_or(self.page_size, |_| size);
        let sort = self.should_sort().await;
        let count = u64::from(wanted).min(self.max_results());
        for _ in 0..HIDDEN_PAGES {
            let mut page = self.users_page(&cursor, count, sort).await?;
            page.items
                .retain(|u| query.include_inactive || u.status != UserStatus::Deactivated);
            match page.next {
                Some(next) if page.items.is_empty() => cursor = next,
                _ => return Ok(page),
            }
        }
        Ok(Page::new(Vec::new(), Some(cursor)))
    }

    async fn get(&self, id: &UserId) -> Result<User> {
        let m = self.get_raw(id.as_str(), "get").await?;
        self.resolve_grants(m).await
    }

    async fn invite(
        &self,
        invitation: &Invitation,
        groups: Vec<ScimGroup>,
    ) -> Result<InviteReceipt> {
        let body = self.invite_body(invitation)?;
        let req = Request::post("/Users")
            .json(&body)
            .content_type(SCIM_MEDIA_TYPE)
            .operation("invite");
        let raw: Value = self.http.json(req).await?;
        let mut m = self.mapped(raw, "invite")?;
        let id = m.user.id.clone();
        for g in &groups {
            if let Err(e) = self.add_member(&g.group_id, &id).await {
                // Keep invite all-or-nothing: a user left without the groups asked for
                // would be found by `ensure_invited` and never fixed.
                let undo = Request::delete("/Users/{}")
                    .segment(id.as_str())
                    .operation("invite");
                if let Err(undo) = self.http.send(undo).await {
                    tracing::warn!(target: "invite::scim", user_id = %id, error = %undo,
                        "could not remove the user created by a failed invite");
                }
                self.remember(id.as_str(), None);
                return Err(e);
            }
        }
        if !groups.is_empty() {
            // `raw` stays the creation answer; the grants are the groups just joined.
            m.user.grants = group_grants(groups.into_iter().map(|g| g.group_id));
        }
        Ok(InviteReceipt::new(m.user))
    }

    /// `filter=userName eq "…"`; the answer is matched again on `userName` and `emails`
    /// (a loose server may ignore or widen the filter) before its grants are read.
    async fn find_by_email(&self, email: &Email) -> Result<Vec<User>> {
        let req = Request::get("/Users")
            .query("filter", wire::eq_filter("userName", email.as_str()))
            .operation("find_by_email");
        let page: ListResponse = self.http.json(req).await?;
        let Some(raw) = page.resources.into_iter().find(|r| matches_email(r, email)) else {
            return Ok(Vec::new());
        };
        let m = self.mapped(raw, "find_by_email")?;
        Ok(vec![self.resolve_grants(m).await?])
    }

    /// The groups whose `members` hold the user (see [`Scim::groups_of`]).
    async fn grants_of(&self, id: &UserId) -> Result<Vec<ScimGroup>> {
        Ok(self
            .groups_of(id)
            .await?
            .into_iter()
            .map(ScimGroup::new)
            .collect())
    }

    async fn update(
        &self,
        id: &UserId,
        profile: Option<&UserPatch>,
        grants: Option<GrantPlan<ScimGroup>>,
    ) -> Result<User> {
        let ops = profile.map(profile_ops).transpose()?.unwrap_or_default();
        if ops.is_empty() {
            // Grants only: make sure the user exists before touching groups (servers
            // such as scim2-server store member ids without checking them).
            self.get_raw(id.as_str(), "update").await?;
        } else {
            self.patch_user(id.as_str(), ops, "update").await?;
        }
        if let Some(plan) = &grants {
            for g in plan.added() {
                self.add_member(&g.group_id, id).await?;
            }
            for g in plan.removed() {
                self.remove_member(&g.group_id, id).await?;
            }
        }
        let m = self.get_raw(id.as_str(), "update").await?;
        self.resolve_grants(m).await
    }

    async fn deactivate(&self, id: &UserId) -> Result<()> {
        self.set_active(id, false, "deactivate").await
    }

    async fn reactivate(&self, id: &UserId) -> Result<()> {
        self.set_active(id, true, "reactivate").await
    }

    async fn remove(&self, id: &UserId) -> Result<()> {
        let req = Request::delete("/Users/{}")
            .segment(id.as_str())
            .operation("remove");
        let result = self.http.send(self.with_if_match(req, id.as_str())).await;
        if result.is_ok() || result.as_ref().is_err_and(Error::is_not_found) {
            self.remember(id.as_str(), None);
        }
        result.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(total: Option<u64>, per: Option<u64>, n: usize) -> ListResponse {
        ListResponse {
            total_results: total,
            items_per_page: per,
            start_index: None,
            resources: vec![Value::Null; n],
        }
    }

    fn map(raw: Value) -> Result<(Mapped, Option<String>)> {
        map_user(&ProviderInfo::new("scim", "test", CAPABILITIES), raw, "get")
    }

    #[test]
    fn paging_rules() {
        assert_eq!(next_start(1, &page(Some(5), Some(2), 2)), Some(3));
        assert_eq!(next_start(5, &page(Some(5), Some(2), 1)), None);
        assert_eq!(next_start(3, &page(Some(4), Some(2), 2)), None);
        assert_eq!(next_start(1, &page(Some(5), None, 2)), Some(3));
        assert_eq!(next_start(1, &page(Some(5), None, 0)), None);
        assert_eq!(next_start(1, &page(None, None, 2)), Some(3));
    }

    #[test]
    fn maps_loose_user() {
        let (m, version) = map(json!({
            "id": "u1", "userName": "Ada@Example.com", "active": "False",
            "name": {"givenName": "Ada", "familyName": "Lovelace"},
            "meta": {"created": "2024-01-02T03:04:05Z", "version": "W/\"3\""}
        }))
        .unwrap();
        assert_eq!(m.user.status, UserStatus::Deactivated);
        assert_eq!(m.user.email.unwrap().as_str(), "Ada@Example.com");
        assert_eq!(m.user.name.full().as_deref(), Some("Ada Lovelace"));
        assert!(!m.groups_known);
        assert_eq!(version.as_deref(), Some("W/\"3\""));
        assert!(m.user.created_at.is_some());
        let err = map(json!({"userName": "x"})).err().unwrap();
        assert!(matches!(err, Error::Decode { .. }), "{err:?}");
        assert!(err.to_string().contains("no `id`"), "{err}");
    }

    #[test]
    fn primary_email_wins() {
        let (m, _) = map(json!({
            "id": "u1", "userName": "login-name",
            "emails": [{"value": "b@x.io"}, {"value": "a@x.io", "primary": true}],
            "groups": [{"value": "g1"}]
        }))
        .unwrap();
        assert_eq!(m.user.email.unwrap().as_str(), "a@x.io");
        assert!(m.groups_known);
        assert_eq!(m.user.grants, vec![ScimGroup::grant("g1")]);
        assert_eq!(m.user.status, UserStatus::Active);
    }
}
