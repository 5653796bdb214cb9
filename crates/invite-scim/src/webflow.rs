//! The Webflow SCIM 2.0 preset (workspace collaborators; `docs/vendors/scim.md`).
//!
//! Webflow's SCIM API manages workspace members (Designer/Editor seats) on Enterprise
//! workspaces with SSO. It is separate from the Data API: its long-lived token is generated
//! in Workspace Settings > Security, is not an OAuth or site token, and has its own type
//! here, [`WebflowScimToken`], so it can never be handed to the Data API adapters (or the
//! Data API token to this one). A SCIM `DELETE` deprovisions the collaborator; it does not
//! touch site Membership users.
//!
//! ```no_run
//! use invite_scim::webflow::{WebflowScimConfig, WebflowScimToken};
//! # fn main() -> invite_core::Result<()> {
//! let p = WebflowScimConfig::new(WebflowScimToken::new("…")).build()?;
//! assert_eq!(p.to_string(), "webflow-scim(api.webflow.com)");
//! let from_env = WebflowScimConfig::from_env()?.build()?; // WEBFLOW_SCIM_TOKEN, WEBFLOW_SCIM_BASE_URL
//! # let _ = from_env; Ok(()) }
//! ```
//!
//! The two token types do not mix:
//!
//! ```compile_fail
//! let t: invite_scim::ScimToken = invite_scim::webflow::WebflowScimToken::new("x");
//! ```

use std::sync::Arc;

use invite_core::Result;
use invite_core::http::ClientOptions;
use invite_core::registry::{AdapterSettings, Built, ConfigKey, ProviderEntry, Setting, Settings};

use crate::config::{ScimConfig, ScimToken, SortPolicy};
use crate::provider::ScimProvider;

/// Webflow's SCIM base URL (`docs/vendors/scim.md#oq-webflow-base-url`).
pub const DEFAULT_BASE_URL: &str = "https://api.webflow.com/scim/v2";
/// The provider kind of the preset.
pub const KIND: &str = "webflow-scim";

invite_core::config_keys! {
    /// The settings of the Webflow SCIM preset, by environment variable or config-file key
    /// (`"WEBFLOW_SCIM_TOKEN".parse()` and `"scim_token".parse()` give
    /// [`WebflowScimConfigKey::Token`]).
    pub enum WebflowScimConfigKey for WebflowScimConfig {
        /// `WEBFLOW_SCIM_TOKEN` / `scim_token`.
        Token = Setting::required("WEBFLOW_SCIM_TOKEN", "scim_token", "Webflow SCIM token (workspace collaborators)").secret(),
        /// `WEBFLOW_SCIM_BASE_URL` / `scim_base_url`: overrides the base URL (sandboxes, proxies).
        BaseUrl = Setting::optional("WEBFLOW_SCIM_BASE_URL", "scim_base_url", "default https://api.webflow.com/scim/v2"),
    }
}

/// The `webflow-scim` entry of the provider registry.
pub const ENTRY: ProviderEntry = ProviderEntry {
    name: KIND,
    about: "Webflow workspace collaborators through SCIM 2.0 (deprovisioning does not remove site users)",
    settings: <WebflowScimConfigKey as ConfigKey>::SETTINGS,
    build: |s, options| {
        let provider = WebflowScimConfig::read(s, options)?.build()?;
        Ok(Built::new(Arc::new(provider)))
    },
};

invite_core::secret_type! {
    /// A Webflow SCIM token (Workspace Settings > Security). A secret: `Debug` shows
    /// `[REDACTED]` and there is no `Display`. Deliberately not convertible to
    /// [`ScimToken`] or to the Data API token types.
    pub struct WebflowScimToken;
}

/// Configuration of the Webflow SCIM preset.
#[derive(Clone, Debug)]
pub struct WebflowScimConfig {
    token: WebflowScimToken,
    base_url: String,
    /// How the user named the base URL, for errors.
    base_url_setting: String,
    options: ClientOptions,
    use_etags: bool,
    sort: SortPolicy,
}

impl WebflowScimConfig {
    /// A configuration for `https://api.webflow.com/scim/v2`.
    pub fn new(token: WebflowScimToken) -> Self {
        Self {
            token,
            base_url: DEFAULT_BASE_URL.to_owned(),
            base_url_setting: WebflowScimConfigKey::BaseUrl.to_string(),
            options: ClientOptions::default(),
            use_etags: false,
            sort: SortPolicy::Auto,
        }
    }

    /// The configuration from settings read once ([`Settings`]); the base URL is checked
    /// when the provider is built.
    pub fn from_settings(s: &Settings) -> Result<Self> {
        let token = s.require_secret(WebflowScimConfigKey::Token)?;
        let mut c = Self::new(WebflowScimToken::from(token));
        if let Some(url) = s.get(WebflowScimConfigKey::BaseUrl) {
            c.base_url = url.to_owned();
            s.name(WebflowScimConfigKey::BaseUrl)
                .clone_into(&mut c.base_url_setting);
        }
        Ok(c)
    }

    invite_core::setters! {
        /// Overrides the base URL (HTTPS; plain HTTP only to loopback).
        base_url(base_url: impl Into<String>) = base_url.into();
        /// HTTP options (timeouts, retries, rate budget, shared limiter).
        client_options(options: ClientOptions);
        /// See [`crate::ScimConfigBuilder::use_etags`].
        use_etags(use_etags: bool);
        /// See [`crate::ScimConfigBuilder::sort`].
        sort(sort: SortPolicy);
    }

    /// The generic configuration this preset amounts to.
    pub fn into_scim_config(self) -> Result<ScimConfig> {
        ScimConfig::builder(self.base_url, ScimToken::from(self.token.0))
            .preset(
                KIND,
                KIND,
                &self.base_url_setting,
                WebflowScimConfigKey::Token.as_ref(),
            )
            .options(self.options)
            .use_etags(self.use_etags)
            .sort(self.sort)
            .build()
    }

    /// Validates and builds the provider (the SCIM adapter, kind `webflow-scim`).
    pub fn build(self) -> Result<ScimProvider> {
        ScimProvider::from_config(self.into_scim_config()?)
    }
}
