//! [`ScimProvider`]: the trait implementations, the SCIM-specific extra methods, the whole
//! mapping between SCIM resources and the normalized model, and [`parse_error`].
//!
//! # Wire mapping (all of it)
//!
//! | invite operation | SCIM request |
//! |---|---|
//! | `invite` | `POST /Users` `{schemas, userName: email as typed, name{givenName, familyName, formatted}, displayName, emails:[{value, type:"work", primary:true}], active:true}`, then `PATCH /Groups/{gid}` `add members` per [`Grant::ScimGroup`] |
//! | `get` | `GET /Users/{id}` (+ `GET /Groups` when the server does not fill `User.groups`) |
//! | `find_by_email` | `GET /Users?filter=userName eq "<email>"`, matched again client-side case-insensitively |
//! | `list` | `GET /Users?startIndex=N&count=C`, plus `&sortBy=meta.created&sortOrder=ascending` when sorting |
//! | `update` | `PATCH /Users/{id}` `replace` of `name`/`displayName`, `userName`+`emails`, attributes; group changes as `PATCH /Groups/{gid}` |
//! | `deactivate` / `reactivate` | `PATCH /Users/{id}` `{op:"replace", path:"active", value:false/true}` |
//! | `remove` | `DELETE /Users/{id}` (204; a second one answers 404 = [`Error::NotFound`]) |
//! | status | `active == false` → [`UserStatus::Deactivated`], else [`UserStatus::Active`] (SCIM has no invitation state) |
//! | email | primary `emails` value, else the first, else `userName` if it is an address |
//! | grants | `User.groups[].value` when the server sends `groups`, else the groups whose `members` hold the user |

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use futures::StreamExt;
use futures::stream::BoxStream;
use invite_core::http::{ErrorResponse, HttpClient, Request};
use invite_core::page::{Page, paginate};
use invite_core::{
    Capabilities, Describe, Email, Error, Grant, GrantChange, GrantKind, Invitation,
    InviteProvider, InviteReceipt, LimitKey, ListQuery, Operation, PersonName, ProviderInfo,
    Result, User, UserDirectory, UserId, UserPatch, UserStatus, VendorDetail, check_id,
    parse_timestamp,
};
use secrecy::ExposeSecret;
use serde_json::{Map, Value, json};

use crate::config::{ScimConfig, SortPolicy};
use crate::wire::{
    self, ACCEPT, ListResponse, MemberRef, MultiValue, Name, PatchOp, PatchOperation,
    SCIM_MEDIA_TYPE, ScimError, ScimGroup, ScimUser, ServiceProviderConfig,
};

/// The largest page this adapter asks for (scim2-server's and most servers' cap).
const MAX_PAGE: u32 = 1000;

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

/// What a service provider says it supports (`GET /ServiceProviderConfig`, RFC 7643 §5).
/// Anything the server leaves out counts as unsupported.
#[non_exhaustive]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScimFeatures {
    /// PATCH.
    pub patch: bool,
    /// `/Bulk`.
    pub bulk: bool,
    /// Largest number of bulk operations.
    pub bulk_max_operations: Option<u64>,
    /// Largest bulk payload, in bytes.
    pub bulk_max_payload_size: Option<u64>,
    /// Filtering.
    pub filter: bool,
    /// Largest number of resources a query returns.
    pub max_results: Option<u64>,
    /// `sortBy` / `sortOrder`.
    pub sort: bool,
    /// ETags (`meta.version`, `If-Match`).
    pub etag: bool,
    /// Password changes.
    pub change_password: bool,
    /// The `type` of each authentication scheme listed (e.g. `oauthbearertoken`).
    pub authentication_schemes: Vec<String>,
}

impl From<ServiceProviderConfig> for ScimFeatures {
    fn from(c: ServiceProviderConfig) -> Self {
        let on =
            |s: &Option<wire::Supported>| s.as_ref().and_then(|s| s.supported).unwrap_or(false);
        Self {
            patch: on(&c.patch),
            bulk: c.bulk.as_ref().and_then(|b| b.supported).unwrap_or(false),
            bulk_max_operations: c.bulk.as_ref().and_then(|b| b.max_operations),
            bulk_max_payload_size: c.bulk.as_ref().and_then(|b| b.max_payload_size),
            filter: c.filter.as_ref().and_then(|f| f.supported).unwrap_or(false),
            max_results: c.filter.as_ref().and_then(|f| f.max_results),
            sort: on(&c.sort),
            etag: on(&c.etag),
            change_password: on(&c.change_password),
            authentication_schemes: c
                .authentication_schemes
                .iter()
                .filter_map(|s| s.get("type").and_then(Value::as_str).map(str::to_owned))
                .collect(),
        }
    }
}

/// Group ids per member id.
type MembershipIndex = HashMap<String, Vec<String>>;

struct Inner {
    info: ProviderInfo,
    http: HttpClient,
    use_etags: bool,
    sort: SortPolicy,
    page_size: u32,
    /// Last seen `meta.version` per user id (only with ETags on).
    versions: Mutex<HashMap<String, String>>,
    /// `/ServiceProviderConfig`, once read (or known to be unavailable).
    features: Mutex<Option<ScimFeatures>>,
}

/// A SCIM 2.0 service provider (RFC 7643/7644): any server, or Webflow's through
/// [`ScimProvider::webflow`](crate::webflow). Cheap to clone; clones share the connection
/// pool, the rate budget and the ETag cache.
#[derive(Clone)]
pub struct ScimProvider {
    inner: Arc<Inner>,
}

impl fmt::Debug for ScimProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScimProvider")
            .field("info", &self.inner.info)
            .field("http", &self.inner.http)
            .field("use_etags", &self.inner.use_etags)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for ScimProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.inner.info, f)
    }
}

/// What this adapter can do against any SCIM service provider.
///
/// SCIM sends no invitation email: the service provider provisions the account and the
/// person signs in through the identity provider (SSO). Whether the service provider
/// itself emails the person is its own business, so only [`invite_core::EmailDelivery::VendorDefault`] is
/// accepted (`silent_invite` and `explicit_email` are false): a request to force or
/// suppress an email is refused before anything is sent rather than silently ignored.
#[allow(clippy::field_reassign_with_default)]
pub fn capabilities() -> Capabilities {
    let mut c = Capabilities::default();
    c.invite = true;
    c.silent_invite = false;
    c.explicit_email = false;
    c.invitation_code = false;
    c.resend = false;
    c.list = true;
    c.get = true;
    c.server_side_email_lookup = true;
    c.update_name = true;
    c.update_email = true;
    c.update_grants = true;
    c.attributes = ATTRIBUTES.to_vec();
    c.deactivate = true;
    c.reactivate = true;
    c.remove = true;
    c.grant_kinds = vec![GrantKind::ScimGroup];
    c.reinvite_lapsed = false;
    c.max_page_size = Some(MAX_PAGE);
    c
}

/// Turns a SCIM error answer (RFC 7644 §3.12) into an [`Error`]: `scimType` becomes the
/// vendor code and `detail` the message.
///
/// | answer | error |
/// |---|---|
/// | `scimType: uniqueness` (any status), 409 | [`Error::Conflict`] |
/// | 412 (`If-Match` no longer current) | [`Error::Conflict`], status 412 |
/// | 401 | [`Error::Unauthorized`] |
/// | 403 | [`Error::Forbidden`] |
/// | 404, 410 | [`Error::NotFound`] |
/// | 429 | [`Error::RateLimited`] with `Retry-After` |
/// | 400 `invalidFilter`/`invalidValue`/`invalidSyntax`/`invalidPath`/`noTarget`/`mutability`/`tooMany`, 415, 5xx, … | [`Error::Vendor`] with the `scimType` as code |
///
/// A 400 is not [`Error::InvalidInput`]: that variant promises nothing was sent, and here
/// the server saw the request and refused it.
pub fn parse_error(r: ErrorResponse<'_>) -> Error {
    let (code, message) = match r.json::<ScimError>() {
        Some(e) if e.scim_type.is_some() || e.detail.is_some() => (e.scim_type, e.detail),
        _ => {
            // Not an RFC error body: read the commonest fields anyway.
            let v: Option<Value> = r.json();
            let get = |keys: &[&str]| -> Option<String> {
                let obj = v.as_ref()?.as_object()?;
                keys.iter()
                    .find_map(|k| obj.get(*k).and_then(Value::as_str).map(str::to_owned))
            };
            (
                get(&["scimType", "code", "error"]),
                get(&["detail", "message", "error_description", "description"]),
            )
        }
    };
    let uniqueness = code.as_deref() == Some("uniqueness");
    let detail = r.detail_with(code, message);
    match r.status {
        _ if uniqueness => Error::Conflict(detail),
        409 | 412 => Error::Conflict(detail),
        401 => Error::Unauthorized(detail),
        403 => Error::Forbidden {
            missing_scope: None,
            detail,
        },
        404 | 410 => Error::NotFound(detail),
        429 => Error::RateLimited {
            retry_after: r.retry_after,
            detail,
        },
        _ => Error::Vendor(detail),
    }
}

/// A user resource read from the wire: the normalized user plus whether its grants are
/// known (the server sent `groups`).
struct Mapped {
    user: User,
    groups_known: bool,
    version: Option<String>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn non_blank(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// Maps a SCIM User resource (raw JSON) to the normalized model.
fn map_user(raw: Value) -> std::result::Result<Mapped, String> {
    let scim: ScimUser = serde::Deserialize::deserialize(&raw).map_err(|e| e.to_string())?;
    let id = non_blank(scim.id.as_deref()).ok_or("the resource has no `id`")?;
    let primary = scim
        .emails
        .iter()
        .find(|e| e.primary == Some(true))
        .or_else(|| scim.emails.first())
        .and_then(|e| e.value.as_deref())
        .and_then(|v| Email::parse(v).ok());
    let email = primary.or_else(|| scim.user_name.as_deref().and_then(|v| Email::parse(v).ok()));
    let name = scim.name.clone().unwrap_or_default();
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
    let grants = scim
        .groups
        .unwrap_or_default()
        .into_iter()
        .filter_map(|g| non_blank(g.value.as_deref()))
        .map(|group_id| Grant::ScimGroup { group_id })
        .collect();
    let meta = scim.meta.unwrap_or_default();
    let user = User::new(id, status)
        .with_email(email)
        .with_name(person)
        .with_grants(grants)
        .with_timestamps(
            meta.created.as_deref().and_then(parse_timestamp),
            meta.last_modified.as_deref().and_then(parse_timestamp),
            None,
            None,
        )
        .with_raw(raw);
    Ok(Mapped {
        user,
        groups_known,
        version: non_blank(meta.version.as_deref()),
    })
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

fn string_attribute(field: String, value: &Value) -> Result<String> {
    match value {
        Value::String(s) if !s.trim().is_empty() => Ok(s.clone()),
        _ => Err(Error::invalid_input(field, "must be a non-empty string")),
    }
}

fn group_ids<'a>(field: &str, grants: impl Iterator<Item = &'a Grant>) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for (i, g) in grants.enumerate() {
        if let Grant::ScimGroup { group_id } = g {
            check_id(&format!("{field}[{i}].group_id"), group_id)?;
            if !out.contains(group_id) {
                out.push(group_id.clone());
            }
        }
    }
    Ok(out)
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

impl ScimProvider {
    /// A provider for the service provider described by `config`.
    pub fn new(config: ScimConfig) -> Result<Self> {
        let info = ProviderInfo::new(config.kind, config.instance.clone(), capabilities());
        let http = HttpClient::builder(info.to_string(), config.base_url.clone())
            .bearer(config.token.clone())
            .options(config.options.clone())
            .limit_key(LimitKey::hashed(
                config.limit_prefix,
                config.token.expose_secret(),
            ))
            .error_mapper(Arc::new(parse_error))
            .default_header("Accept", ACCEPT)
            .build()?;
        Ok(Self {
            inner: Arc::new(Inner {
                info,
                http,
                use_etags: config.use_etags,
                sort: config.sort,
                page_size: config.page_size,
                versions: Mutex::new(HashMap::new()),
                features: Mutex::new(None),
            }),
        })
    }

    /// Reads `SCIM_BASE_URL` and `SCIM_TOKEN` (see [`ScimConfig::from_env`]).
    pub fn from_env() -> Result<Self> {
        Self::new(ScimConfig::from_env()?)
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &url::Url {
        self.inner.http.base_url()
    }

    fn caps(&self) -> &Capabilities {
        &self.inner.info.capabilities
    }

    fn decode_error(&self, op: &'static str, status: u16, msg: String) -> Error {
        let mut d = VendorDetail::new(self.to_string(), op);
        d.status = Some(status);
        d.message = Some(msg);
        Error::Decode {
            expected: format!("a SCIM resource for {op}"),
            detail: Box::new(d),
        }
    }

    fn mapped(&self, raw: Value, op: &'static str) -> Result<Mapped> {
        let m = map_user(raw).map_err(|e| self.decode_error(op, 200, e))?;
        self.remember(m.user.id.as_str(), m.version.clone());
        Ok(m)
    }

    // ----- ETags ----------------------------------------------------------------------

    fn remember(&self, id: &str, version: Option<String>) {
        if !self.inner.use_etags {
            return;
        }
        let mut v = lock(&self.inner.versions);
        match version {
            Some(ver) => {
                v.insert(id.to_owned(), ver);
            }
            None => {
                v.remove(id);
            }
        }
    }

    fn with_if_match(&self, req: Request, id: &str) -> Request {
        if !self.inner.use_etags {
            return req;
        }
        match lock(&self.inner.versions).get(id) {
            Some(v) => req.header("If-Match", v.clone()),
            None => req,
        }
    }

    /// The last `meta.version` seen for `id` (only kept with ETags on).
    pub fn last_seen_version(&self, id: &UserId) -> Option<String> {
        lock(&self.inner.versions).get(id.as_str()).cloned()
    }

    // ----- discovery ------------------------------------------------------------------

    /// Reads `GET /ServiceProviderConfig` (and caches it for the sort decision).
    pub async fn discover(&self) -> Result<ScimFeatures> {
        let cfg: ServiceProviderConfig = self
            .inner
            .http
            .json(Request::get("/ServiceProviderConfig").operation("discover"))
            .await?;
        let features = ScimFeatures::from(cfg);
        *lock(&self.inner.features) = Some(features.clone());
        Ok(features)
    }

    /// The cached features, probing once. A server without the endpoint (or refusing it)
    /// counts as supporting nothing optional; a transient failure is not cached.
    async fn features(&self) -> Option<ScimFeatures> {
        if let Some(f) = lock(&self.inner.features).clone() {
            return Some(f);
        }
        match self.discover().await {
            Ok(f) => Some(f),
            Err(e) if e.is_retryable() => {
                tracing::debug!(target: "invite::scim", error = %e, "ServiceProviderConfig unavailable for now");
                None
            }
            Err(e) => {
                tracing::debug!(target: "invite::scim", error = %e, "no usable ServiceProviderConfig; assuming no optional features");
                *lock(&self.inner.features) = Some(ScimFeatures::default());
                Some(ScimFeatures::default())
            }
        }
    }

    async fn should_sort(&self) -> bool {
        match self.inner.sort {
            SortPolicy::Always => true,
            SortPolicy::Never => false,
            SortPolicy::Auto => self.features().await.is_some_and(|f| f.sort),
        }
    }

    // ----- users ----------------------------------------------------------------------

    async fn get_raw(&self, id: &str, op: &'static str) -> Result<Mapped> {
        let raw: Value = self
            .inner
            .http
            .json(Request::get("/Users/{}").segment(id).operation(op))
            .await?;
        self.mapped(raw, op)
    }

    /// Fills `user.grants` from the groups' member lists when the server did not send
    /// `User.groups`.
    async fn resolve_grants(&self, mut m: Mapped) -> Result<User> {
        if !m.groups_known {
            m.user.grants = self
                .groups_of(&m.user.id)
                .await?
                .into_iter()
                .map(|group_id| Grant::ScimGroup { group_id })
                .collect();
        }
        Ok(m.user)
    }

    /// `PATCH /Users/{id}`; `Some(resource)` for a 200 with a body, `None` for a 204.
    async fn patch_user(
        &self,
        id: &str,
        operations: Vec<PatchOperation>,
        op: &'static str,
    ) -> Result<Option<Mapped>> {
        let req = Request::patch("/Users/{}")
            .segment(id)
            .json(&PatchOp::new(operations))
            .content_type(SCIM_MEDIA_TYPE)
            .operation(op);
        let req = self.with_if_match(req, id);
        let resp = self.inner.http.send(req).await?;
        if resp.body.iter().all(u8::is_ascii_whitespace) {
            // 204 No Content (scim2-server's answer): the new version is in the ETag header.
            let etag = resp
                .headers
                .get("etag")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            self.remember(id, etag);
            return Ok(None);
        }
        // The PATCH has been applied at this point: an answer that is not a readable
        // resource must not turn success into an error (callers that need the resource,
        // like `update`, read it again).
        let mapped = serde_json::from_slice::<Value>(&resp.body)
            .map_err(|e| e.to_string())
            .and_then(map_user);
        match mapped {
            Ok(m) => {
                self.remember(id, m.version.clone());
                Ok(Some(m))
            }
            Err(e) => {
                tracing::debug!(target: "invite::scim", op, error = %e,
                    "PATCH succeeded but its answer is not a User resource; ignoring it");
                self.remember(id, None);
                Ok(None)
            }
        }
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
        let req = self.with_if_match(req, id.as_str());
        let raw: Value = self.inner.http.json(req).await?;
        let m = self.mapped(raw, "replace_user")?;
        self.resolve_grants(m).await
    }

    // ----- groups ---------------------------------------------------------------------

    /// Every group, lazily page by page (`GET /Groups?startIndex&count`).
    pub fn list_groups(&self) -> BoxStream<'static, Result<ScimGroup>> {
        let this = self.clone();
        let count = self.inner.page_size;
        paginate(1u64, move |start| {
            let this = this.clone();
            async move {
                let req = Request::get("/Groups")
                    .query("startIndex", start)
                    .query("count", count)
                    .operation("list_groups");
                let page: ListResponse = this.inner.http.json(req).await?;
                let next = next_start(start, &page);
                let groups = page
                    .resources
                    .into_iter()
                    .map(|raw| {
                        serde_json::from_value::<ScimGroup>(raw)
                            .map_err(|e| this.decode_error("list_groups", 200, e.to_string()))
                    })
                    .collect::<Result<Vec<_>>>()?;
                Ok(Page::new(groups, next))
            }
        })
    }

    async fn all_groups(&self) -> Result<Vec<ScimGroup>> {
        let mut out = Vec::new();
        let mut s = self.list_groups();
        while let Some(g) = s.next().await {
            out.push(g?);
        }
        Ok(out)
    }

    /// `GET /Groups/{id}`.
    pub async fn get_group(&self, group_id: &str) -> Result<ScimGroup> {
        check_id("group_id", group_id)?;
        self.inner
            .http
            .json(
                Request::get("/Groups/{}")
                    .segment(group_id)
                    .operation("get_group"),
            )
            .await
    }

    /// `POST /Groups` `{schemas, displayName}`. Not every service provider lets clients
    /// create groups (Webflow's documentation does not list it).
    pub async fn create_group(&self, display_name: &str) -> Result<ScimGroup> {
        if display_name.trim().is_empty() {
            return Err(Error::invalid_input("display_name", "is empty"));
        }
        let body = json!({ "schemas": [wire::GROUP_SCHEMA], "displayName": display_name });
        self.inner
            .http
            .json(
                Request::post("/Groups")
                    .json(&body)
                    .content_type(SCIM_MEDIA_TYPE)
                    .operation("create_group"),
            )
            .await
    }

    /// `DELETE /Groups/{id}`.
    pub async fn delete_group(&self, group_id: &str) -> Result<()> {
        check_id("group_id", group_id)?;
        self.inner
            .http
            .send(
                Request::delete("/Groups/{}")
                    .segment(group_id)
                    .operation("delete_group"),
            )
            .await
            .map(|_| ())
    }

    /// `PATCH /Groups/{gid}` `{op:"add", path:"members", value:[{value: user id}]}`.
    /// Adding a member twice is harmless on conformant servers.
    pub async fn add_member(&self, group_id: &str, user_id: &UserId) -> Result<()> {
        check_id("group_id", group_id)?;
        check_id("user_id", user_id.as_str())?;
        let op = PatchOperation::add("members", json!([MemberRef::id(user_id.as_str())]));
        self.patch_group(group_id, op, "add_member").await
    }

    /// `PATCH /Groups/{gid}` `{op:"remove", path:"members[value eq \"ID\"]"}` (the RFC
    /// form; the Entra-style `path:"members"` with a value array is refused by strict
    /// servers such as scim2-server).
    pub async fn remove_member(&self, group_id: &str, user_id: &UserId) -> Result<()> {
        check_id("group_id", group_id)?;
        check_id("user_id", user_id.as_str())?;
        let op = PatchOperation::remove(wire::member_path(user_id.as_str()));
        self.patch_group(group_id, op, "remove_member").await
    }

    async fn patch_group(
        &self,
        group_id: &str,
        op: PatchOperation,
        name: &'static str,
    ) -> Result<()> {
        // 200 with the group or 204: either is success.
        self.inner
            .http
            .send(
                Request::patch("/Groups/{}")
                    .segment(group_id)
                    .json(&PatchOp::new(vec![op]))
                    .content_type(SCIM_MEDIA_TYPE)
                    .operation(name),
            )
            .await
            .map(|_| ())
    }

    /// The ids of the groups whose `members` hold `user_id` (lists every group: many
    /// servers, scim2-server among them, never fill `User.groups`).
    pub async fn groups_of(&self, user_id: &UserId) -> Result<Vec<String>> {
        Ok(self
            .all_groups()
            .await?
            .into_iter()
            .filter(|g| g.has_member(user_id.as_str()))
            .filter_map(|g| g.id)
            .collect())
    }

    /// Group ids per member id, for filling grants of a whole page.
    async fn membership_index(&self) -> Result<MembershipIndex> {
        let mut index = MembershipIndex::new();
        for g in self.all_groups().await? {
            let Some(gid) = g.id else { continue };
            for m in g.members {
                if let Some(uid) = m.value {
                    index.entry(uid).or_default().push(gid.clone());
                }
            }
        }
        Ok(index)
    }

    async fn apply_grants(&self, id: &UserId, change: &GrantChange) -> Result<()> {
        let current: Vec<Grant> = self
            .groups_of(id)
            .await?
            .into_iter()
            .map(|group_id| Grant::ScimGroup { group_id })
            .collect();
        let target = change.apply_to(&current);
        let cur: BTreeSet<String> = group_ids("grants", current.iter())?.into_iter().collect();
        let tgt = group_ids("grants", target.iter())?;
        for gid in tgt.iter().filter(|g| !cur.contains(*g)) {
            self.add_member(gid, id).await?;
        }
        for gid in cur.iter().filter(|g| !tgt.contains(*g)) {
            self.remove_member(gid, id).await?;
        }
        Ok(())
    }

    fn invite_body(&self, inv: &Invitation) -> Result<ScimUser> {
        let mut user = ScimUser::new(inv.email.as_str());
        user.name = scim_name(&inv.name);
        user.display_name = inv.name.full();
        user.emails = vec![MultiValue::work_email(inv.email.as_str())];
        user.active = Some(true);
        set_attributes(&mut user, &inv.attributes)?;
        Ok(user)
    }
}

fn set_attributes(
    user: &mut ScimUser,
    attributes: &std::collections::BTreeMap<String, Value>,
) -> Result<()> {
    for (k, v) in attributes {
        let s = string_attribute(format!("attributes.{k}"), v)?;
        let slot = match k.as_str() {
            "externalId" => &mut user.external_id,
            "nickName" => &mut user.nick_name,
            "title" => &mut user.title,
            "userType" => &mut user.user_type,
            "preferredLanguage" => &mut user.preferred_language,
            "locale" => &mut user.locale,
            "timezone" => &mut user.timezone,
            other => {
                return Err(Error::invalid_input(
                    format!("attributes.{other}"),
                    "not a SCIM attribute this adapter writes",
                ));
            }
        };
        *slot = Some(s);
    }
    Ok(())
}

/// The next 1-based `startIndex`, or `None` at the end: an empty page ends the listing, as
/// does `startIndex + itemsPerPage > totalResults`. `itemsPerPage` may be missing; the
/// number of `Resources` received is what the next index advances by.
fn next_start(start: u64, page: &ListResponse) -> Option<u64> {
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

impl Describe for ScimProvider {
    fn info(&self) -> &ProviderInfo {
        &self.inner.info
    }
}

#[async_trait]
impl InviteProvider for ScimProvider {
    async fn invite(&self, invitation: &Invitation) -> Result<InviteReceipt> {
        self.caps().check_invitation(self, invitation)?;
        let groups = group_ids("grants", invitation.grants.iter())?;
        let body = self.invite_body(invitation)?;
        let raw: Value = self
            .inner
            .http
            .json(
                Request::post("/Users")
                    .json(&body)
                    .content_type(SCIM_MEDIA_TYPE)
                    .operation("invite"),
            )
            .await?;
        let mut m = self.mapped(raw, "invite")?;
        let id = m.user.id.clone();
        for gid in &groups {
            if let Err(e) = self.add_member(gid, &id).await {
                // Keep invite all-or-nothing: a user left without the groups asked for
                // would be found by `ensure_invited` and never fixed.
                if let Err(undo) = self
                    .inner
                    .http
                    .send(
                        Request::delete("/Users/{}")
                            .segment(id.as_str())
                            .operation("invite"),
                    )
                    .await
                {
                    tracing::warn!(target: "invite::scim", user_id = %id, error = %undo,
                        "could not remove the user created by a failed invite");
                }
                self.remember(id.as_str(), None);
                return Err(e);
            }
        }
        if !groups.is_empty() {
            // `raw` stays the creation answer; the grants are the groups just joined.
            m.user.grants = groups
                .into_iter()
                .map(|group_id| Grant::ScimGroup { group_id })
                .collect();
        }
        Ok(InviteReceipt::new(m.user))
    }

    async fn resend(&self, _id: &UserId) -> Result<()> {
        self.caps().require(self, Operation::Resend)
    }
}

#[async_trait]
impl UserDirectory for ScimProvider {
    fn list(&self, query: ListQuery) -> BoxStream<'static, Result<User>> {
        if let Err(e) = self.caps().require(self, Operation::List) {
            return futures::stream::once(async move { Err(e) }).boxed();
        }
        let this = self.clone();
        let include_inactive = query.include_inactive;
        let wanted = query
            .page_size
            .unwrap_or(self.inner.page_size)
            .clamp(1, MAX_PAGE);
        let index: Arc<Mutex<Option<Arc<MembershipIndex>>>> = Arc::new(Mutex::new(None));
        paginate(1u64, move |start| {
            let this = this.clone();
            let index = index.clone();
            async move {
                let sort = this.should_sort().await;
                let cap = lock(&this.inner.features)
                    .as_ref()
                    .and_then(|f| f.max_results)
                    .filter(|m| *m > 0)
                    .map_or(u64::from(MAX_PAGE), |m| m.min(u64::from(MAX_PAGE)));
                let count = u64::from(wanted).min(cap);
                let mut req = Request::get("/Users")
                    .query("startIndex", start)
                    .query("count", count)
                    .operation("list");
                if sort {
                    req = req
                        .query("sortBy", "meta.created")
                        .query("sortOrder", "ascending");
                }
                let page: ListResponse = this.inner.http.json(req).await?;
                let next = next_start(start, &page);
                let mut mapped = Vec::with_capacity(page.resources.len());
                for raw in page.resources {
                    mapped.push(this.mapped(raw, "list")?);
                }
                if mapped.iter().any(|m| !m.groups_known) {
                    let known = lock(&index).clone();
                    let idx = match known {
                        Some(i) => i,
                        None => {
                            let i = Arc::new(this.membership_index().await?);
                            *lock(&index) = Some(i.clone());
                            i
                        }
                    };
                    for m in mapped.iter_mut().filter(|m| !m.groups_known) {
                        m.user.grants = idx
                            .get(m.user.id.as_str())
                            .into_iter()
                            .flatten()
                            .map(|g| Grant::ScimGroup {
                                group_id: g.clone(),
                            })
                            .collect();
                    }
                }
                Ok(Page::new(
                    mapped.into_iter().map(|m| m.user).collect::<Vec<_>>(),
                    next,
                ))
            }
        })
        .filter(move |r| {
            let keep =
                include_inactive || !matches!(r, Ok(u) if u.status == UserStatus::Deactivated);
            futures::future::ready(keep)
        })
        .boxed()
    }

    async fn get(&self, id: &UserId) -> Result<User> {
        self.caps().require(self, Operation::Get)?;
        check_id("user_id", id.as_str())?;
        let m = self.get_raw(id.as_str(), "get").await?;
        self.resolve_grants(m).await
    }

    async fn find_by_email(&self, email: &Email) -> Result<Option<User>> {
        self.caps().require(self, Operation::FindByEmail)?;
        let req = Request::get("/Users")
            .query("filter", wire::eq_filter("userName", email.as_str()))
            .operation("find_by_email");
        let page: ListResponse = self.inner.http.json(req).await?;
        // Match again client-side: a loose server may ignore or widen the filter.
        let Some(raw) = page.resources.into_iter().find(|r| matches_email(r, email)) else {
            return Ok(None);
        };
        let m = self.mapped(raw, "find_by_email")?;
        self.resolve_grants(m).await.map(Some)
    }

    async fn update(&self, id: &UserId, patch: &UserPatch) -> Result<User> {
        self.caps().check_patch(self, patch)?;
        check_id("user_id", id.as_str())?;
        if let Some(change) = &patch.grants {
            group_ids("grants", change.grants().iter())?;
        }
        let mut ops = Vec::new();
        if let Some(name) = &patch.name {
            if let Some(n) = scim_name(name) {
                ops.push(PatchOperation::replace(
                    "name",
                    serde_json::to_value(n).unwrap_or(Value::Null),
                ));
            }
            if let Some(full) = name.full() {
                ops.push(PatchOperation::replace("displayName", Value::String(full)));
            }
            if ops.is_empty() {
                return Err(Error::invalid_input("name", "the new name is empty"));
            }
        }
        if let Some(email) = &patch.email {
            ops.push(PatchOperation::replace(
                "userName",
                Value::String(email.as_str().to_owned()),
            ));
            ops.push(PatchOperation::replace(
                "emails",
                json!([MultiValue::work_email(email.as_str())]),
            ));
        }
        if !patch.attributes.is_empty() {
            let mut probe = ScimUser::default();
            set_attributes(&mut probe, &patch.attributes)?;
            let obj = serde_json::to_value(&probe).unwrap_or(Value::Object(Map::new()));
            for (k, v) in obj.as_object().into_iter().flatten() {
                ops.push(PatchOperation::replace(k.clone(), v.clone()));
            }
        }
        if ops.is_empty() {
            // Grants only: make sure the user exists before touching groups (servers
            // such as scim2-server store member ids without checking them).
            self.get_raw(id.as_str(), "update").await?;
        } else {
            self.patch_user(id.as_str(), ops, "update").await?;
        }
        if let Some(change) = &patch.grants {
            self.apply_grants(id, change).await?;
        }
        let m = self.get_raw(id.as_str(), "update").await?;
        self.resolve_grants(m).await
    }

    async fn deactivate(&self, id: &UserId) -> Result<()> {
        self.caps().require(self, Operation::Deactivate)?;
        check_id("user_id", id.as_str())?;
        self.patch_user(
            id.as_str(),
            vec![PatchOperation::replace("active", Value::Bool(false))],
            "deactivate",
        )
        .await
        .map(|_| ())
    }

    async fn reactivate(&self, id: &UserId) -> Result<()> {
        self.caps().require(self, Operation::Reactivate)?;
        check_id("user_id", id.as_str())?;
        self.patch_user(
            id.as_str(),
            vec![PatchOperation::replace("active", Value::Bool(true))],
            "reactivate",
        )
        .await
        .map(|_| ())
    }

    async fn remove(&self, id: &UserId) -> Result<()> {
        self.caps().require(self, Operation::Remove)?;
        check_id("user_id", id.as_str())?;
        let req = Request::delete("/Users/{}")
            .segment(id.as_str())
            .operation("remove");
        let req = self.with_if_match(req, id.as_str());
        let result = self.inner.http.send(req).await.map(|_| ());
        if result.is_ok() || result.as_ref().is_err_and(Error::is_not_found) {
            self.remember(id.as_str(), None);
        }
        result
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
        let m = map_user(json!({
            "id": "u1", "userName": "Ada@Example.com", "active": "False",
            "name": {"givenName": "Ada", "familyName": "Lovelace"},
            "meta": {"created": "2024-01-02T03:04:05Z", "version": "W/\"3\""}
        }))
        .unwrap();
        assert_eq!(m.user.status, UserStatus::Deactivated);
        assert_eq!(m.user.email.unwrap().as_str(), "Ada@Example.com");
        assert_eq!(m.user.name.full().as_deref(), Some("Ada Lovelace"));
        assert!(!m.groups_known);
        assert_eq!(m.version.as_deref(), Some("W/\"3\""));
        assert!(m.user.created_at.is_some());
        assert!(map_user(json!({"userName": "x"})).is_err());
    }

    #[test]
    fn primary_email_wins() {
        let m = map_user(json!({
            "id": "u1", "userName": "login-name",
            "emails": [{"value": "b@x.io"}, {"value": "a@x.io", "primary": true}],
            "groups": [{"value": "g1"}]
        }))
        .unwrap();
        assert_eq!(m.user.email.unwrap().as_str(), "a@x.io");
        assert!(m.groups_known);
        assert_eq!(
            m.user.grants,
            vec![Grant::ScimGroup {
                group_id: "g1".into()
            }]
        );
        assert_eq!(m.user.status, UserStatus::Active);
    }
}
