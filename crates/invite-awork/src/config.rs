//! Configuration of the awork adapter: token, workspace, base URL and onboarding defaults.

use std::fmt;

use invite_core::http::{ClientOptions, validate_base_url};
use invite_core::registry::{ProviderEntry, Setting, Settings};
use invite_core::{Error, Result};
use url::Url;

/// awork's API root (docs/vendors/awork.md#base-url-and-auth).
pub const DEFAULT_BASE_URL: &str = "https://api.awork.com/api/v1";

invite_core::config_keys! {
    /// The settings of the awork adapter, by environment variable or config-file key
    /// (`"AWORK_ROLE_ID".parse()` and `"role_id".parse()` give [`AworkConfigKey::RoleId`]).
    pub enum AworkConfigKey for AworkConfig {
        /// `AWORK_API_TOKEN` / `api_token`.
        ApiToken = Setting::required("AWORK_API_TOKEN", "api_token", "API key or OAuth access token").secret(),
        /// `AWORK_WORKSPACE_ID` / `workspace_id`.
        WorkspaceId = Setting::required(
            "AWORK_WORKSPACE_ID",
            "workspace_id",
            "the workspace (UUID; without it awork would create a new workspace per invite)",
        ),
        /// `AWORK_API_BASE_URL` / `api_base_url`: overrides the base URL (sandboxes, proxies).
        BaseUrl = Setting::optional("AWORK_API_BASE_URL", "api_base_url", "default https://api.awork.com/api/v1"),
        /// `AWORK_ROLE_ID` / `role_id`: for invitations without a role grant.
        RoleId = Setting::optional("AWORK_ROLE_ID", "role_id", "role (UUID) given to invitees"),
        /// `AWORK_TEAM_IDS` / `team_ids`: for invitations without a team grant.
        TeamIds = Setting::optional("AWORK_TEAM_IDS", "team_ids", "comma-separated team UUIDs given to invitees"),
    }
}

/// The `awork` entry of the provider registry.
pub const ENTRY: ProviderEntry =
    ProviderEntry::adapter::<crate::Awork>("awork", "awork workspace users");

invite_core::secret_type! {
    /// An awork API key or OAuth access token. A secret: `Debug` shows `[REDACTED]` and
    /// there is no `Display`.
    pub struct AworkToken;
}

/// Checks that `value` is a UUID in the 8-4-4-4-12 hex form awork uses for every id
/// (docs/vendors/awork.md#ids). `field` names the input in the error.
pub fn check_uuid(field: &str, value: &str) -> Result<()> {
    let groups: Vec<&str> = value.split('-').collect();
    let lens = [8usize, 4, 4, 4, 12];
    let ok = groups.len() == lens.len()
        && groups
            .iter()
            .zip(lens)
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid_input(
            field,
            format!(
                "{value:?} is not a UUID (awork ids look like 123e4567-e89b-12d3-a456-426614174000)"
            ),
        ))
    }
}

/// Everything the adapter needs. Build it with [`AworkConfig::builder`] or
/// [`AworkConfig::from_env`].
#[derive(Clone)]
pub struct AworkConfig {
    pub(crate) token: AworkToken,
    pub(crate) workspace_id: String,
    pub(crate) base_url: Url,
    pub(crate) default_role_id: Option<String>,
    pub(crate) default_team_ids: Vec<String>,
    pub(crate) options: ClientOptions,
}

impl fmt::Debug for AworkConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AworkConfig")
            .field("token", &self.token)
            .field("workspace_id", &self.workspace_id)
            .field("base_url", &self.base_url.as_str())
            .field("default_role_id", &self.default_role_id)
            .field("default_team_ids", &self.default_team_ids)
            .finish_non_exhaustive()
    }
}

impl AworkConfig {
    /// Starts a configuration with the two required values.
    pub fn builder(token: AworkToken, workspace_id: impl Into<String>) -> AworkConfigBuilder {
        AworkConfigBuilder {
            token,
            workspace_id: workspace_id.into(),
            base_url_text: None,
            base_url: None,
            default_role_id: None,
            default_team_ids: Vec::new(),
            options: ClientOptions::default(),
        }
    }

    /// Builds the configuration from settings read once ([`Settings`]).
    pub fn from_settings(s: &Settings) -> Result<Self> {
        use AworkConfigKey as K;
        let token = AworkToken::from(s.require_secret(K::ApiToken)?);
        let workspace = s.require(K::WorkspaceId).map_err(|_| {
            Error::Config(format!(
                "{} is not set (awork creates a NEW workspace for an invitation without one, so the adapter refuses to run without it)",
                K::WorkspaceId
            ))
        })?;
        let mut b = Self::builder(token, workspace).default_team_ids(s.list(K::TeamIds));
        b.default_role_id = s.get(K::RoleId).map(str::to_owned);
        b.base_url = Some(s.base_url(K::BaseUrl, DEFAULT_BASE_URL)?);
        b.build_with_settings((
            s.name(K::WorkspaceId),
            s.name(K::RoleId),
            s.name(K::TeamIds),
        ))
    }

    invite_core::setters! {
        /// Sets the HTTP options (timeouts, retries, rate budget, shared limiter).
        client_options(options: ClientOptions);
    }

    /// The workspace id every invitation is sent to.
    pub fn workspace_id(&self) -> &str {
        &self.workspace_id
    }

    /// The API base URL.
    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// The role given to invitees without an [`crate::ROLE`] grant.
    pub fn default_role_id(&self) -> Option<&str> {
        self.default_role_id.as_deref()
    }

    /// The teams given to invitees without an [`crate::TEAM`] grant.
    pub fn default_team_ids(&self) -> &[String] {
        &self.default_team_ids
    }
}

/// Builds an [`AworkConfig`].
pub struct AworkConfigBuilder {
    token: AworkToken,
    workspace_id: String,
    base_url_text: Option<String>,
    /// Checked already (from settings).
    base_url: Option<Url>,
    default_role_id: Option<String>,
    default_team_ids: Vec<String>,
    options: ClientOptions,
}

impl fmt::Debug for AworkConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AworkConfigBuilder")
            .field("token", &self.token)
            .field("workspace_id", &self.workspace_id)
            .finish_non_exhaustive()
    }
}

impl AworkConfigBuilder {
    invite_core::setters! {
        /// Overrides the base URL (default [`DEFAULT_BASE_URL`]). HTTPS is required, except to
        /// loopback addresses; checked in [`AworkConfigBuilder::build`].
        base_url(base_url_text: impl Into<String>) = Some(base_url_text.into());
        /// The role for invitations that carry no role grant.
        default_role_id(default_role_id: impl Into<String>) = Some(default_role_id.into());
        /// The teams for invitations that carry no team grant.
        default_team_ids(default_team_ids: impl IntoIterator<Item = String>) =
            default_team_ids.into_iter().collect();
        /// HTTP options (timeouts, retries, rate budget, shared limiter).
        options(options: ClientOptions);
    }

    /// Validates and builds the configuration.
    pub fn build(self) -> Result<AworkConfig> {
        self.build_with_settings((
            "workspace id",
            "AworkConfigBuilder::default_role_id",
            "AworkConfigBuilder::default_team_ids",
        ))
    }

    fn build_with_settings(
        self,
        (ws_name, role_name, teams_name): (&str, &str, &str),
    ) -> Result<AworkConfig> {
        if self.token.is_blank() {
            return Err(Error::Config(format!(
                "{} is empty",
                AworkConfigKey::ApiToken
            )));
        }
        let as_config = |e: Error, name: &str| match e {
            Error::InvalidInput { reason, .. } => Error::Config(format!("{name}: {reason}")),
            other => other,
        };
        check_uuid("workspace_id", &self.workspace_id).map_err(|e| as_config(e, ws_name))?;
        if let Some(r) = &self.default_role_id {
            check_uuid("role_id", r).map_err(|e| as_config(e, role_name))?;
        }
        for t in &self.default_team_ids {
            check_uuid("team_id", t).map_err(|e| as_config(e, teams_name))?;
        }
        let base_url = match (self.base_url, &self.base_url_text) {
            (Some(url), _) => url,
            (None, Some(url)) => validate_base_url(url, "AworkConfigBuilder::base_url")?,
            (None, None) => validate_base_url(DEFAULT_BASE_URL, "the default base URL")?,
        };
        Ok(AworkConfig {
            token: self.token,
            workspace_id: self.workspace_id,
            base_url,
            default_role_id: self.default_role_id,
            default_team_ids: self.default_team_ids,
            options: self.options,
        })
    }
}
