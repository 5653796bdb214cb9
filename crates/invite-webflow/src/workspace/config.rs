//! Configuration of the workspace-members provider: the workspace token, the workspace id,
//! the base URL and the onboarding defaults.

use invite_core::http::{ClientOptions, validate_base_url};
use invite_core::registry::{ProviderEntry, Setting, Settings};
use invite_core::{Error, Grant, Result, SecretString};
use url::Url;

use super::grant::WorkspaceRoleGrant;
use super::ids::WorkspaceId;
use super::plan::{InvitePlan, SiteAccessEntry};

invite_core::config_keys! {
    /// The settings of the workspace-members provider, by environment variable or
    /// config-file key (`"WEBFLOW_WORKSPACE_ROLE".parse()` and `"workspace_role".parse()`
    /// give [`WebflowWorkspaceConfigKey::WorkspaceRole`]). See [`WebflowWorkspaceConfig`].
    pub enum WebflowWorkspaceConfigKey for WebflowWorkspaceConfig {
        /// `WEBFLOW_WORKSPACE_TOKEN` / `workspace_token`.
        Token = Setting::required(
            "WEBFLOW_WORKSPACE_TOKEN",
            "workspace_token",
            "workspace token (workspace_members:read/write, site_access:read/write)",
        )
        .secret(),
        /// `WEBFLOW_WORKSPACE_ID` / `workspace_id`.
        WorkspaceId = Setting::required("WEBFLOW_WORKSPACE_ID", "workspace_id", "the Enterprise workspace id"),
        /// `WEBFLOW_API_BASE_URL` / `api_base_url` (the site provider's setting too).
        BaseUrl = Setting::optional("WEBFLOW_API_BASE_URL", "api_base_url", "default https://api.webflow.com/v2"),
        /// `WEBFLOW_RATE_LIMIT_PER_MINUTE` / `rate_limit_per_minute` (the site provider's
        /// setting too).
        RateLimit = Setting::optional("WEBFLOW_RATE_LIMIT_PER_MINUTE", "rate_limit_per_minute", "request budget of the token"),
        /// `WEBFLOW_WORKSPACE_ROLE` / `workspace_role`.
        WorkspaceRole = Setting::optional(
            "WEBFLOW_WORKSPACE_ROLE",
            "workspace_role",
            "default workspace role of invites: admin, member, reviewer, client",
        ),
        /// `WEBFLOW_DEFAULT_SITE_ROLE` / `default_site_role`.
        DefaultSiteRole = Setting::optional(
            "WEBFLOW_DEFAULT_SITE_ROLE",
            "default_site_role",
            "default site role paired with it: site_manager, designer, marketer, content_editor, reviewer, custom",
        ),
        /// `WEBFLOW_DEFAULT_SITE_ROLE_ID` / `default_site_role_id`.
        DefaultSiteRoleId = Setting::optional(
            "WEBFLOW_DEFAULT_SITE_ROLE_ID",
            "default_site_role_id",
            "the custom site role id (with `custom`)",
        ),
        /// `WEBFLOW_SITE_GRANTS` / `site_grants`.
        SiteGrants = Setting::optional(
            "WEBFLOW_SITE_GRANTS",
            "site_grants",
            "SITE_ID=ROLE,...: invite to these sites instead of all; with WEBFLOW_DEFAULT_SITE_ROLE, other roles are granted after acceptance",
        ),
    }
}

/// The `webflow-workspace` entry of the provider registry: its default grants are the
/// configured onboarding defaults, and without a workspace role it says so
/// ([`invite_core::registry::Built::missing_grant`]).
pub const ENTRY: ProviderEntry = ProviderEntry::adapter::<super::Workspace>(
    "webflow-workspace",
    "Webflow Enterprise workspace members and site access",
);

pub use crate::common::DEFAULT_BASE_URL;

invite_core::secret_type! {
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
    pub struct WorkspaceToken;
    custom new;
}

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

    /// Builds the configuration from settings read once ([`Settings`]).
    pub fn from_settings(s: &Settings) -> Result<Self> {
        use WebflowWorkspaceConfigKey as K;
        let token = WorkspaceToken(s.require_secret(K::Token)?);
        let workspace_id =
            WorkspaceId::parse_field(s.name(K::WorkspaceId), s.require(K::WorkspaceId)?)
                .map_err(|e| Error::Config(e.to_string()))?;
        let mut c = Self::new(workspace_id, token);
        if s.get(K::BaseUrl).is_some() {
            c.base_url = Some(s.base_url(K::BaseUrl, DEFAULT_BASE_URL)?);
        }
        c.rate_limit_per_minute = s.parse(K::RateLimit, "a positive integer")?;
        if c.rate_limit_per_minute == Some(0) {
            return Err(s.error(K::RateLimit, "must be a positive integer, got 0"));
        }
        c.defaults = InviteDefaults::parse(
            s.get(K::WorkspaceRole),
            s.get(K::DefaultSiteRole),
            s.get(K::DefaultSiteRoleId),
            s.get(K::SiteGrants),
        )?;
        Ok(c)
    }

    /// Sets the base URL (https, or http to loopback).
    pub fn base_url(mut self, url: &str) -> Result<Self> {
        self.base_url = Some(validate_base_url(url, "base_url")?);
        Ok(self)
    }

    invite_core::setters! {
        /// Sets the request budget per minute of this token.
        rate_limit_per_minute(rate_limit_per_minute: Option<u32>) =
            rate_limit_per_minute.filter(|n| *n > 0);
        /// Sets the onboarding defaults.
        defaults(defaults: InviteDefaults);
        /// Sets the HTTP options (timeouts, retries, shared limiter).
        client_options(options: ClientOptions);
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
