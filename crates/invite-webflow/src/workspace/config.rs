//! Configuration of the workspace-members provider: the workspace token, the workspace id,
//! the base URL and the onboarding defaults.

use std::fmt;

use invite_core::http::{ClientOptions, validate_base_url};
use invite_core::{Error, Grant, Result, SecretString};
use url::Url;

use super::grant::WorkspaceRoleGrant;
use super::ids::WorkspaceId;
use super::plan::{InvitePlan, SiteAccessEntry};

pub use crate::common::DEFAULT_BASE_URL;

/// A Webflow token for the Enterprise workspace endpoints (scopes `workspace_members:read`,
/// `workspace_members:write`, `site_access:read`, `site_access:write`).
///
/// Its own type, so a site token or a SCIM token cannot be handed to this provider by
/// mistake. `Debug` shows `WorkspaceToken([REDACTED])`; there is no `Display`.
///
/// ```
/// use invite_webflow::workspace::{WebflowWorkspaceConfig, WorkspaceId, WorkspaceToken};
/// let token = WorkspaceToken::new("wf_ws_secret")?;
/// assert_eq!(format!("{token:?}"), "WorkspaceToken([REDACTED])");
/// let config = WebflowWorkspaceConfig::new(WorkspaceId::new("5f0c8c9e1c9d440000e8d8c3")?, token);
/// # Ok::<(), invite_core::Error>(())
/// ```
///
/// A site token does not compile there:
///
/// ```compile_fail,E0308
/// use invite_webflow::SiteToken;
/// use invite_webflow::workspace::{WebflowWorkspaceConfig, WorkspaceId};
/// let id = WorkspaceId::new("5f0c8c9e1c9d440000e8d8c3").unwrap();
/// let config = WebflowWorkspaceConfig::new(id, SiteToken::new("wf_site_secret"));
/// ```
#[derive(Clone)]
pub struct WorkspaceToken(SecretString);

impl WorkspaceToken {
    /// Wraps a token; refuses an empty one.
    pub fn new(token: impl Into<String>) -> Result<Self> {
        let token: String = token.into();
        let token = token.trim();
        if token.is_empty() {
            return Err(Error::Config("the Webflow workspace token is empty".into()));
        }
        Ok(Self(SecretString::from(token.to_owned())))
    }

    pub(crate) fn secret(&self) -> &SecretString {
        &self.0
    }
}

impl fmt::Debug for WorkspaceToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WorkspaceToken([REDACTED])")
    }
}

/// What an invitation gets when it carries no Webflow workspace/site grant of its own.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InviteDefaults {
    /// The workspace role used when an invitation has site grants but no role grant
    /// (`WEBFLOW_WORKSPACE_ROLE`).
    pub workspace_role: Option<String>,
    /// The invite (shape and site grants given after acceptance) used when an invitation
    /// has no Webflow grant at all.
    pub access: Option<InvitePlan>,
}

impl InviteDefaults {
    /// Defaults from strings, as in the environment variables. `sources` names the settings
    /// in errors.
    pub fn parse(
        workspace_role: Option<&str>,
        default_site_role: Option<&str>,
        default_site_role_id: Option<&str>,
        site_grants: Option<&str>,
    ) -> Result<Self> {
        let Some(workspace_role) = workspace_role.map(str::trim).filter(|s| !s.is_empty()) else {
            if default_site_role.is_some() || site_grants.is_some() {
                return Err(Error::Config(
                    "WEBFLOW_DEFAULT_SITE_ROLE / WEBFLOW_SITE_GRANTS need WEBFLOW_WORKSPACE_ROLE"
                        .into(),
                ));
            }
            return Ok(Self::default());
        };
        let site_role = default_site_role.map(str::trim).filter(|s| !s.is_empty());
        let custom_id = default_site_role_id
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let mut grants: Vec<Grant> = vec![
            WorkspaceRoleGrant {
                workspace_role: workspace_role.to_owned(),
                default_site_role: site_role.map(str::to_owned),
                default_site_role_id: if site_role == Some("custom") {
                    custom_id.map(str::to_owned)
                } else {
                    None
                },
            }
            .into(),
        ];
        if let Some(list) = site_grants {
            for pair in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                grants.push(
                    SiteAccessEntry::parse_pair("WEBFLOW_SITE_GRANTS", pair, custom_id)
                        .map_err(config_error)?
                        .to_grant(),
                );
            }
        }
        let access = InvitePlan::from_grants(&grants, None).map_err(config_error)?;
        Ok(Self {
            workspace_role: Some(workspace_role.to_owned()),
            access: Some(access),
        })
    }

    /// The default grants, normalized ([`InvitePlan::grants`]); empty without defaults. An
    /// onboarding target can take these as its grants, so grant convergence knows the site
    /// grants to give once an invitee is a member.
    pub fn grants(&self) -> Vec<Grant> {
        self.access
            .as_ref()
            .map(InvitePlan::grants)
            .unwrap_or_default()
    }
}

fn config_error(e: Error) -> Error {
    match e {
        Error::InvalidInput { field, reason } => Error::Config(format!(
            "Webflow workspace onboarding defaults (WEBFLOW_WORKSPACE_ROLE, WEBFLOW_DEFAULT_SITE_ROLE, WEBFLOW_DEFAULT_SITE_ROLE_ID, WEBFLOW_SITE_GRANTS): {field}: {reason}"
        )),
        other => other,
    }
}

/// Settings of [`super::WebflowWorkspace`] (`WebflowWorkspace::from_config`).
///
/// | variable | required | meaning |
/// |---|---|---|
/// | `WEBFLOW_WORKSPACE_TOKEN` | yes | workspace token ([`WorkspaceToken`]) |
/// | `WEBFLOW_WORKSPACE_ID` | yes | the workspace id (objectid) |
/// | `WEBFLOW_API_BASE_URL` | no | default `https://api.webflow.com/v2`; https (http only to loopback) |
/// | `WEBFLOW_RATE_LIMIT_PER_MINUTE` | no | request budget of this token (plan limit; Enterprise is custom) |
/// | `WEBFLOW_WORKSPACE_ROLE` | no | default workspace role of invites (`admin`, `member`, `reviewer`, `client`) |
/// | `WEBFLOW_DEFAULT_SITE_ROLE` | no | default site role paired with it (`designer`, …) |
/// | `WEBFLOW_DEFAULT_SITE_ROLE_ID` | no | the custom Site Role id for `custom` |
/// | `WEBFLOW_SITE_GRANTS` | no | `SITE_ID=ROLE,...` (ROLE may be `custom:<id>`): invite to these sites instead; with `WEBFLOW_DEFAULT_SITE_ROLE`, sites with another role are granted after acceptance ([`InvitePlan`]) |
#[derive(Clone, Debug)]
pub struct WebflowWorkspaceConfig {
    pub(crate) workspace_id: WorkspaceId,
    pub(crate) token: WorkspaceToken,
    /// `None`: [`DEFAULT_BASE_URL`].
    pub(crate) base_url: Option<Url>,
    pub(crate) rate_limit_per_minute: Option<u32>,
    pub(crate) defaults: InviteDefaults,
    pub(crate) options: ClientOptions,
}

impl WebflowWorkspaceConfig {
    /// A configuration with the default base URL and no onboarding defaults.
    pub fn new(workspace_id: WorkspaceId, token: WorkspaceToken) -> Self {
        Self {
            workspace_id,
            token,
            base_url: None,
            rate_limit_per_minute: None,
            defaults: InviteDefaults::default(),
            options: ClientOptions::default(),
        }
    }

    /// Reads the variables in the table above from the process environment.
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads the variables through `get` (for tests and other sources).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let get = |k: &str| {
            get(k)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let token = get("WEBFLOW_WORKSPACE_TOKEN")
            .ok_or_else(|| Error::Config("WEBFLOW_WORKSPACE_TOKEN is not set".into()))?;
        let id = get("WEBFLOW_WORKSPACE_ID")
            .ok_or_else(|| Error::Config("WEBFLOW_WORKSPACE_ID is not set".into()))?;
        let workspace_id = WorkspaceId::parse_field("WEBFLOW_WORKSPACE_ID", &id)
            .map_err(|e| Error::Config(e.to_string()))?;
        let mut c = Self::new(workspace_id, WorkspaceToken::new(token)?);
        if let Some(url) = get("WEBFLOW_API_BASE_URL") {
            c.base_url = Some(validate_base_url(&url, "WEBFLOW_API_BASE_URL")?);
        }
        if let Some(n) = get("WEBFLOW_RATE_LIMIT_PER_MINUTE") {
            let n: u32 = n.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                Error::Config(format!(
                    "WEBFLOW_RATE_LIMIT_PER_MINUTE must be a positive integer, got {n:?}"
                ))
            })?;
            c.rate_limit_per_minute = Some(n);
        }
        c.defaults = InviteDefaults::parse(
            get("WEBFLOW_WORKSPACE_ROLE").as_deref(),
            get("WEBFLOW_DEFAULT_SITE_ROLE").as_deref(),
            get("WEBFLOW_DEFAULT_SITE_ROLE_ID").as_deref(),
            get("WEBFLOW_SITE_GRANTS").as_deref(),
        )?;
        Ok(c)
    }

    /// Sets the base URL (https, or http to loopback).
    pub fn base_url(mut self, url: &str) -> Result<Self> {
        self.base_url = Some(validate_base_url(url, "base_url")?);
        Ok(self)
    }

    /// Sets the request budget per minute of this token.
    pub fn rate_limit_per_minute(mut self, n: Option<u32>) -> Self {
        self.rate_limit_per_minute = n.filter(|n| *n > 0);
        self
    }

    /// Sets the onboarding defaults.
    pub fn defaults(mut self, defaults: InviteDefaults) -> Self {
        self.defaults = defaults;
        self
    }

    /// Sets the HTTP options (timeouts, retries, shared limiter).
    pub fn client_options(mut self, options: ClientOptions) -> Self {
        self.options = options;
        self
    }

    /// The workspace id.
    pub fn workspace_id(&self) -> &WorkspaceId {
        &self.workspace_id
    }

    /// The base URL in use.
    pub fn resolved_base_url(&self) -> Result<Url> {
        match &self.base_url {
            Some(u) => Ok(u.clone()),
            None => validate_base_url(DEFAULT_BASE_URL, "the default base URL"),
        }
    }

    /// The onboarding defaults.
    pub fn invite_defaults(&self) -> &InviteDefaults {
        &self.defaults
    }
}
