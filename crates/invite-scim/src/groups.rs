//! The SCIM-specific calls of [`Scim`] beyond the shared provider traits: discovery
//! (`/ServiceProviderConfig`) and groups (`/Groups`), reachable from a
//! [`crate::ScimProvider`] (it derefs to the adapter).

use futures::StreamExt;
use futures::stream::BoxStream;
use invite_core::http::Request;
use invite_core::page::{Page, paginate};
use invite_core::{Error, Result, UserId, check_id, decode};
use serde_json::{Value, json};

use crate::provider::{MembershipIndex, Scim, lock, next_start};
use crate::wire::{
    self, Feature, ListResponse, MemberRef, PatchOp, PatchOperation, SCIM_MEDIA_TYPE, ScimGroup,
    ServiceProviderConfig,
};

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
        let on = |f: &Option<Feature>| f.as_ref().and_then(|f| f.supported).unwrap_or(false);
        let bulk = c.bulk.unwrap_or_default();
        Self {
            patch: on(&c.patch),
            bulk: bulk.supported.unwrap_or(false),
            bulk_max_operations: bulk.max_operations,
            bulk_max_payload_size: bulk.max_payload_size,
            filter: on(&c.filter),
            max_results: c.filter.and_then(|f| f.max_results),
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

impl Scim {
    // ----- discovery ------------------------------------------------------------------

    /// Reads `GET /ServiceProviderConfig` (and caches it for the sort decision).
    pub async fn discover(&self) -> Result<ScimFeatures> {
        let req = Request::get("/ServiceProviderConfig").operation("discover");
        let cfg: ServiceProviderConfig = self.http.json(req).await?;
        let features = ScimFeatures::from(cfg);
        *lock(&self.features) = Some(features.clone());
        Ok(features)
    }

    /// The cached features, probing once. A server without the endpoint (or refusing it)
    /// counts as supporting nothing optional; a transient failure is not cached.
    pub(crate) async fn features(&self) -> Option<ScimFeatures> {
        if let Some(f) = lock(&self.features).clone() {
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
                *lock(&self.features) = Some(ScimFeatures::default());
                Some(ScimFeatures::default())
            }
        }
    }

    // ----- groups ---------------------------------------------------------------------

    /// Every group, lazily page by page (`GET /Groups?startIndex&count`).
    pub fn list_groups(&self) -> BoxStream<'static, Result<ScimGroup>> {
        let (http, info, count) = (self.http.clone(), self.info.clone(), self.page_size);
        paginate(1u64, move |start| {
            let (http, info) = (http.clone(), info.clone());
            async move {
                let req = Request::get("/Groups")
                    .query("startIndex", start)
                    .query("count", count)
                    .operation("list_groups");
                let page: ListResponse = http.json(req).await?;
                let groups = page
                    .resources
                    .iter()
                    .map(|raw| decode(raw, &info, "list_groups", "a SCIM Group resource"))
                    .collect::<Result<Vec<_>>>()?;
                Ok(Page::new(groups, next_start(start, &page)))
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
        let req = Request::get("/Groups/{}")
            .segment(group_id)
            .operation("get_group");
        self.http.json(req).await
    }

    /// `POST /Groups` `{schemas, displayName}`. Not every service provider lets clients
    /// create groups (Webflow's documentation does not list it).
    pub async fn create_group(&self, display_name: &str) -> Result<ScimGroup> {
        if display_name.trim().is_empty() {
            return Err(Error::invalid_input("display_name", "is empty"));
        }
        let body = json!({ "schemas": [wire::GROUP_SCHEMA], "displayName": display_name });
        let req = Request::post("/Groups")
            .json(&body)
            .content_type(SCIM_MEDIA_TYPE)
            .operation("create_group");
        self.http.json(req).await
    }

    /// `DELETE /Groups/{id}`.
    pub async fn delete_group(&self, group_id: &str) -> Result<()> {
        check_id("group_id", group_id)?;
        let req = Request::delete("/Groups/{}")
            .segment(group_id)
            .operation("delete_group");
        self.http.send(req).await.map(|_| ())
    }

    /// `PATCH /Groups/{gid}` `{op:"add", path:"members", value:[{value: user id}]}`.
    /// Adding a member twice is harmless on conformant servers.
    pub async fn add_member(&self, group_id: &str, user_id: &UserId) -> Result<()> {
        let op = PatchOperation::add("members", json!([MemberRef::id(user_id.as_str())]));
        self.patch_group(group_id, user_id, op, "add_member").await
    }

    /// `PATCH /Groups/{gid}` `{op:"remove", path:"members[value eq \"ID\"]"}` (the RFC
    /// form; the Entra-style `path:"members"` with a value array is refused by strict
    /// servers such as scim2-server).
    pub async fn remove_member(&self, group_id: &str, user_id: &UserId) -> Result<()> {
        let op = PatchOperation::remove(wire::member_path(user_id.as_str()));
        self.patch_group(group_id, user_id, op, "remove_member")
            .await
    }

    /// One membership change; 200 with the group or 204 are both success.
    async fn patch_group(
        &self,
        group_id: &str,
        user_id: &UserId,
        op: PatchOperation,
        name: &'static str,
    ) -> Result<()> {
        check_id("group_id", group_id)?;
        check_id("user_id", user_id.as_str())?;
        let req = Request::patch("/Groups/{}")
            .segment(group_id)
            .json(&PatchOp::new(vec![op]))
            .content_type(SCIM_MEDIA_TYPE)
            .operation(name);
        self.http.send(req).await.map(|_| ())
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

    /// Group ids per member id, for filling the grants of a whole listing.
    pub(crate) async fn membership_index(&self) -> Result<MembershipIndex> {
        let mut index = MembershipIndex::new();
        for g in self.all_groups().await? {
            let Some(gid) = g.id else { continue };
            for uid in g.members.into_iter().filter_map(|m| m.value) {
                index.entry(uid).or_default().push(gid.clone());
            }
        }
        Ok(index)
    }
}
