//! The site-users surface's state (sites, access groups, users), its JSON rendering and the
//! `webflow` seed section.

use serde_json::{Map, Value, json};

use super::{AccessGroup, Site, User, WfState};
use crate::SandboxConfig;
use crate::clock::now_millis;
use crate::ids::{object_id, random_hex};
use crate::seed::id_or;
use crate::webflow::error::WfError;

impl AccessGroup {
    fn new(slug: &str, name: &str) -> Self {
        AccessGroup {
            id: object_id(),
            name: name.to_owned(),
            short_id: random_hex(8),
            slug: slug.to_owned(),
            created_on: now_millis(),
        }
    }

    pub(super) fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "shortId": self.short_id,
            "slug": self.slug,
            "createdOn": self.created_on,
        })
    }
}

impl User {
    pub(super) fn to_json(&self) -> Value {
        // `data` with its one nested property, holding the basic info (email, name, the two
        // consent fields every user has) and the custom fields, as the Get/Update User pages
        // and the SDK's examples show.
        let mut data = self.data.clone();
        data.insert("email".into(), Value::String(self.email.clone()));
        for consent in ["accept-privacy", "accept-communications"] {
            data.entry(consent).or_insert(Value::Bool(false));
        }
        json!({
            "id": self.id,
            "isEmailVerified": self.status == "verified",
            "lastUpdated": self.last_updated,
            "invitedOn": self.invited_on,
            "createdOn": self.created_on,
            "lastLogin": self.last_login,
            "status": self.status,
            "accessGroups": self.access_groups.iter()
                .map(|(slug, ty)| json!({ "slug": slug, "type": ty }))
                .collect::<Vec<_>>(),
            "data": { "data": data },
        })
    }
}

impl Site {
    pub(super) fn to_json(&self, workspace_id: &str) -> Value {
        json!({
            "id": self.id,
            "workspaceId": workspace_id,
            "createdOn": self.created_on,
            "displayName": self.display_name,
            "shortName": self.short_name,
            "lastPublished": self.created_on,
            "lastUpdated": self.created_on,
            "previewUrl": format!("https://screenshots.webflow.com/sites/{}/preview.png", self.id),
            "timeZone": "Europe/Berlin",
            "parentFolderId": Value::Null,
            "customDomains": [],
            "locales": {
                "primary": {
                    "id": self.id, "cmsLocaleId": self.id, "enabled": true,
                    "displayName": "English (United States)", "redirect": false,
                    "subdirectory": "", "tag": "en-US"
                },
                "secondary": []
            },
            "dataCollectionEnabled": true,
            "dataCollectionType": "always",
        })
    }

    pub(super) fn group(&self, slug: &str) -> Option<&AccessGroup> {
        self.access_groups.iter().find(|g| g.slug == slug)
    }
}

impl WfState {
    /// Site `id`, or 404.
    pub(super) fn site_mut(&mut self, id: &str) -> Result<&mut Site, WfError> {
        self.sites
            .iter_mut()
            .find(|s| s.id == id)
            .ok_or_else(site_not_found)
    }

    /// The state the `webflow` seed section describes: the main site (the site without an
    /// `id` or with `WEBFLOW_SITE_ID`; seeded with defaults if absent) plus any other sites.
    pub(super) fn seeded(
        cfg: &SandboxConfig,
        started: &str,
        seed: Option<&Value>,
    ) -> Result<WfState, String> {
        let mut retired = cfg.webflow_retired;
        let mut main_seed = None;
        let mut extra = Vec::new();
        if let Some(seed) = seed {
            let o = seed.as_object().ok_or("must be an object")?;
            if let Some(r) = o.get("retired") {
                retired = r.as_bool().ok_or("`retired` must be a boolean")?;
            }
            if let Some(sites) = o.get("sites") {
                for s in sites.as_array().ok_or("`sites` must be an array")? {
                    match s.get("id").and_then(Value::as_str) {
                        None => main_seed = Some(s),
                        Some(id) if id == cfg.webflow_site_id => main_seed = Some(s),
                        Some(_) => extra.push(s),
                    }
                }
            }
        }
        let mut sites = vec![seed_site(cfg, started, main_seed, true)?];
        for s in extra {
            let site = seed_site(cfg, started, Some(s), false)?;
            if sites.iter().any(|x| x.id == site.id) {
                return Err(format!("duplicate site id {}", site.id));
            }
            sites.push(site);
        }
        Ok(WfState { retired, sites })
    }

    /// Site `id`, or 404.
    pub(super) fn site(&self, id: &str) -> Result<&Site, WfError> {
        self.sites
            .iter()
            .find(|s| s.id == id)
            .ok_or_else(site_not_found)
    }
}

fn seed_site(
    cfg: &SandboxConfig,
    started: &str,
    v: Option<&Value>,
    main: bool,
) -> Result<Site, String> {
    let empty = Map::new();
    let obj = match v {
        Some(Value::Object(o)) => o,
        Some(_) => return Err("a site must be an object".into()),
        None => &empty,
    };
    let str_field = |k: &str| obj.get(k).and_then(Value::as_str).map(str::to_owned);
    let id = if main {
        cfg.webflow_site_id.clone()
    } else {
        str_field("id").ok_or("extra sites need an `id`")?
    };
    let display_name = str_field("displayName").unwrap_or_else(|| {
        if main {
            "Sandbox Site".into()
        } else {
            format!("Site {id}")
        }
    });
    let short_name =
        str_field("shortName").unwrap_or_else(|| display_name.to_lowercase().replace(' ', "-"));
    let user_limit = match obj.get("userLimit") {
        Some(Value::Null) => None,
        Some(v) => Some(
            v.as_u64()
                .and_then(|n| usize::try_from(n).ok())
                .ok_or("`userLimit` must be a non-negative integer or null")?,
        ),
        None => cfg.webflow_user_limit,
    };
    let access_groups = match obj.get("accessGroups") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|g| {
                let (slug, name) = match g {
                    Value::String(s) => (s.clone(), s.clone()),
                    Value::Object(o) => {
                        let slug = o
                            .get("slug")
                            .and_then(Value::as_str)
                            .ok_or("access group without `slug`")?;
                        let name = o.get("name").and_then(Value::as_str).unwrap_or(slug);
                        (slug.to_owned(), name.to_owned())
                    }
                    _ => return Err("access groups must be strings or objects".to_owned()),
                };
                Ok(AccessGroup::new(&slug, &name))
            })
            .collect::<Result<Vec<_>, String>>()?,
        Some(_) => return Err("`accessGroups` must be an array".into()),
        None => vec![
            AccessGroup::new("webflowers", "Webflowers"),
            AccessGroup::new("premium-members", "Premium Members"),
        ],
    };
    let mut site = Site {
        id,
        display_name,
        short_name,
        created_on: started.to_owned(),
        user_limit,
        access_groups,
        users: Vec::new(),
    };
    if let Some(users) = obj.get("users") {
        let users = users.as_array().ok_or("`users` must be an array")?;
        for u in users {
            let user = seed_user(&site, u)?;
            if site
                .users
                .iter()
                .any(|x| x.email.eq_ignore_ascii_case(&user.email))
            {
                return Err(format!("duplicate seeded user {}", user.email));
            }
            site.users.push(user);
        }
    }
    Ok(site)
}

fn seed_user(site: &Site, v: &Value) -> Result<User, String> {
    let o = v.as_object().ok_or("a user must be an object")?;
    let email = o
        .get("email")
        .and_then(Value::as_str)
        .ok_or("a user needs an `email`")?
        .to_owned();
    let status = o
        .get("status")
        .and_then(Value::as_str)
        .unwrap_or("verified");
    if !matches!(status, "invited" | "verified" | "unverified") {
        return Err(format!("unknown user status `{status}`"));
    }
    let mut data = match o.get("data") {
        Some(Value::Object(d)) => match d.get("data") {
            Some(Value::Object(inner)) => inner.clone(),
            _ => d.clone(),
        },
        Some(_) => return Err("`data` must be an object".into()),
        None => Map::new(),
    };
    data.remove("email");
    if let Some(name) = o.get("name").and_then(Value::as_str) {
        data.insert("name".into(), Value::String(name.to_owned()));
    }
    let access_groups = match o.get("accessGroups") {
        Some(v) => parse_group_refs(site, v)?,
        None => Vec::new(),
    };
    let now = now_millis();
    let created = o
        .get("createdOn")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| now.clone());
    Ok(User {
        id: id_or(v, object_id),
        email,
        status: status.to_owned(),
        created_on: created.clone(),
        invited_on: Some(created.clone()),
        last_updated: created,
        last_login: (status == "verified").then_some(now),
        access_groups,
        data,
    })
}

/// Parses `accessGroups` given as slug strings or `{slug, type}` objects.
pub(super) fn parse_group_refs(site: &Site, v: &Value) -> Result<Vec<(String, String)>, String> {
    let items = v
        .as_array()
        .ok_or("accessGroups must be an array of access group slugs")?;
    let mut out: Vec<(String, String)> = Vec::with_capacity(items.len());
    for item in items {
        let (slug, ty) = match item {
            Value::String(s) => (s.as_str(), "admin"),
            Value::Object(o) => {
                let slug = o
                    .get("slug")
                    .and_then(Value::as_str)
                    .ok_or("each access group needs a `slug`")?;
                let ty = match o.get("type") {
                    None | Some(Value::Null) => "admin",
                    Some(Value::String(t)) if t == "admin" || t == "ecommerce" => t.as_str(),
                    Some(_) => return Err("access group `type` must be admin or ecommerce".into()),
                };
                (slug, ty)
            }
            _ => return Err("accessGroups must be an array of access group slugs".into()),
        };
        if site.group(slug).is_none() {
            return Err(format!("Access group `{slug}` does not exist on this site"));
        }
        if !out.iter().any(|(s, _)| s == slug) {
            out.push((slug.to_owned(), ty.to_owned()));
        }
    }
    Ok(out)
}

pub(super) fn valid_email(email: &str) -> bool {
    email_address::EmailAddress::is_valid(email)
        && email
            .rsplit_once('@')
            .is_some_and(|(_, domain)| domain.contains('.') && !domain.ends_with('.'))
}

fn site_not_found() -> WfError {
    WfError::not_found("The site cannot be found")
}
