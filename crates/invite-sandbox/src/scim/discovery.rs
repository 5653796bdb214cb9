//! RFC 7644 §4 discovery: `/ServiceProviderConfig`, `/ResourceTypes`, `/Schemas`, stating
//! what this surface really does (see docs/vendors/scim.md, Endpoints).
//!
//! `schemas.json` holds the core User and Group schemas of RFC 7643 §8.7.1 as the python-scim
//! project's `scim2-models` 0.12.3 publishes them (<https://pypi.org/project/scim2-models/>).
//! The enterprise User extension is not offered: Webflow syncs name and email only, and a
//! body naming the extension is refused.

use std::sync::OnceLock;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

use super::Module;
use super::handlers::Id;
use super::model::{
    GROUP_SCHEMA, LIST_SCHEMA, PAGE_CAP, ScimResult, USER_SCHEMA, base_url, not_found, scim_json,
};

/// The schemas served, without `meta` (added per request, with the base URL).
fn schemas() -> &'static [Value] {
    static SCHEMAS: OnceLock<Vec<Value>> = OnceLock::new();
    SCHEMAS.get_or_init(|| serde_json::from_str(include_str!("schemas.json")).unwrap_or_default())
}

fn with_meta(mut v: Value, resource_type: &str, location: String) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.insert(
            "meta".into(),
            json!({ "resourceType": resource_type, "location": location }),
        );
    }
    v
}

fn schema_json(schema: &Value, base: &str) -> Value {
    let id = schema.get("id").and_then(Value::as_str).unwrap_or_default();
    with_meta(schema.clone(), "Schema", format!("{base}/Schemas/{id}"))
}

fn resource_types(base: &str) -> Vec<Value> {
    [
        (
            "User",
            "User Account (a Webflow workspace collaborator)",
            "/Users",
            USER_SCHEMA,
        ),
        (
            "Group",
            "Group (a Webflow workspace team)",
            "/Groups",
            GROUP_SCHEMA,
        ),
    ]
    .into_iter()
    .map(|(id, description, endpoint, schema)| {
        with_meta(
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
                "id": id,
                "name": id,
                "description": description,
                "endpoint": endpoint,
                "schema": schema,
            }),
            "ResourceType",
            format!("{base}/ResourceTypes/{id}"),
        )
    })
    .collect()
}

fn list_of(items: Vec<Value>) -> ScimResult {
    Ok(scim_json(
        StatusCode::OK,
        json!({
            "schemas": [LIST_SCHEMA],
            "totalResults": items.len(),
            "itemsPerPage": items.len(),
            "startIndex": 1,
            "Resources": items,
        }),
    ))
}

/// `GET /ServiceProviderConfig`: PATCH, filters (one `attr op value` expression, pages of
/// at most [`PAGE_CAP`]) and ETags are supported; bulk, sorting and password changes are not.
pub(super) async fn service_provider_config(h: HeaderMap) -> ScimResult {
    let base = base_url(&h);
    Ok(scim_json(
        StatusCode::OK,
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
            "documentationUri": "https://help.webflow.com/hc/en-us/articles/42924317331219-SCIM-provisioning",
            "patch": { "supported": true },
            "bulk": { "supported": false, "maxOperations": 0, "maxPayloadSize": 0 },
            "filter": { "supported": true, "maxResults": PAGE_CAP },
            "changePassword": { "supported": false },
            "sort": { "supported": false },
            "etag": { "supported": true },
            "authenticationSchemes": [{
                "type": "oauthbearertoken",
                "name": "OAuth Bearer Token",
                "description": "Authentication with the workspace SCIM token",
                "primary": true
            }],
            "meta": {
                "resourceType": "ServiceProviderConfig",
                "location": format!("{base}/ServiceProviderConfig"),
            }
        }),
    ))
}

/// `GET /ResourceTypes`: User and Group, no schema extensions.
pub(super) async fn list_resource_types(_: State<Module>, h: HeaderMap) -> ScimResult {
    list_of(resource_types(&base_url(&h)))
}

/// `GET /ResourceTypes/{id}` (`User`, `Group`), else 404.
pub(super) async fn get_resource_type(_: State<Module>, h: HeaderMap, Id(id): Id) -> ScimResult {
    resource_types(&base_url(&h))
        .into_iter()
        .find(|t| t["id"] == id.as_str())
        .map(|t| scim_json(StatusCode::OK, t))
        .ok_or_else(|| not_found("ResourceType", &id))
}

/// `GET /Schemas`: the core User and Group schemas.
pub(super) async fn list_schemas(_: State<Module>, h: HeaderMap) -> ScimResult {
    let base = base_url(&h);
    list_of(schemas().iter().map(|s| schema_json(s, &base)).collect())
}

/// `GET /Schemas/{urn}`, else 404.
pub(super) async fn get_schema(_: State<Module>, h: HeaderMap, Id(id): Id) -> ScimResult {
    schemas()
        .iter()
        .find(|s| s["id"] == id.as_str())
        .map(|s| scim_json(StatusCode::OK, schema_json(s, &base_url(&h))))
        .ok_or_else(|| not_found("Schema", &id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_schemas_are_the_core_user_and_group() {
        let ids: Vec<&str> = schemas().iter().filter_map(|s| s["id"].as_str()).collect();
        assert_eq!(ids, [USER_SCHEMA, GROUP_SCHEMA]);
    }
}
