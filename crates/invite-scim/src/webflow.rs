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

use invite_core::http::ClientOptions;
use invite_core::{Error, Result};

use crate::config::{ScimConfig, ScimToken, SortPolicy};
use crate::provider::ScimProvider;

/// Webflow's SCIM base URL (`docs/vendors/scim.md#oq-webflow-base-url`).
pub const DEFAULT_BASE_URL: &str = "https://api.webflow.com/scim/v2";
/// Environment variable with the Webflow SCIM token.
pub const ENV_TOKEN: &str = "WEBFLOW_SCIM_TOKEN";
/// Environment variable overriding the base URL (sandboxes, proxies).
pub const ENV_BASE_URL: &str = "WEBFLOW_SCIM_BASE_URL";
/// The provider kind of the preset.
pub const KIND: &str = "webflow-scim";

/// A Webflow SCIM token (Workspace Settings > Security). A secret: `Debug` shows
/// `[REDACTED]` and there is no `Display`. Deliberately not convertible to [`ScimToken`]
/// or to the Data API token types.
#[derive(Clone, Debug)]
pub struct WebflowScimToken(ScimToken);

impl WebflowScimToken {
    /// Wraps a token.
    pub fn new(token: impl Into<String>) -> Self {
        Self(ScimToken::new(token))
    }
}

/// Configuration of the Webflow SCIM preset.
#[derive(Clone, Debug)]
pub struct WebflowScimConfig {
    token: WebflowScimToken,
    base_url: String,
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
            options: ClientOptions::default(),
            use_etags: false,
            sort: SortPolicy::Auto,
        }
    }

    /// Reads `WEBFLOW_SCIM_TOKEN` (required) and `WEBFLOW_SCIM_BASE_URL` (default
    /// `https://api.webflow.com/scim/v2`).
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Like [`WebflowScimConfig::from_env`], reading variables through `lookup`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let get = |k: &str| lookup(k).filter(|v| !v.trim().is_empty());
        let Some(token) = get(ENV_TOKEN) else {
            return Err(Error::Config(format!("{ENV_TOKEN} is not set")));
        };
        let config = Self::new(WebflowScimToken::new(token.trim()));
        Ok(match get(ENV_BASE_URL) {
            Some(url) => config.base_url(url),
            None => config,
        })
    }

    /// Overrides the base URL (HTTPS; plain HTTP only to loopback).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// HTTP options.
    pub fn options(self, options: ClientOptions) -> Self {
        Self { options, ..self }
    }

    /// See [`crate::ScimConfigBuilder::use_etags`].
    pub fn use_etags(self, use_etags: bool) -> Self {
        Self { use_etags, ..self }
    }

    /// See [`crate::ScimConfigBuilder::sort`].
    pub fn sort(self, sort: SortPolicy) -> Self {
        Self { sort, ..self }
    }

    /// The generic configuration this preset amounts to.
    pub fn into_scim_config(self) -> Result<ScimConfig> {
        ScimConfig::builder(self.base_url, self.token.0)
            .preset(KIND, KIND, ENV_BASE_URL, ENV_TOKEN)
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
