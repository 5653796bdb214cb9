//! Configuration of the generic SCIM 2.0 adapter: base URL, bearer token and client options.

use std::fmt;

use invite_core::http::{ClientOptions, validate_base_url};
use invite_core::registry::{ProviderEntry, Setting, Settings};
use invite_core::{Error, Result};
use secrecy::{ExposeSecret, SecretString};
use url::Url;

invite_core::config_keys! {
    /// The settings of the generic SCIM adapter, by environment variable or config-file key
    /// (`"SCIM_TOKEN".parse()` and `"token".parse()` give [`ScimConfigKey::Token`]).
    pub enum ScimConfigKey for ScimConfig {
        /// `SCIM_BASE_URL` / `base_url`: the URL that `/Users`, `/Groups` and
        /// `/ServiceProviderConfig` hang under, e.g. `https://idp.example.com/scim/v2`.
        BaseUrl = Setting::required(
            "SCIM_BASE_URL",
            "base_url",
            "the SCIM 2.0 service provider's base URL (https; http only to loopback)",
        ),
        /// `SCIM_TOKEN` / `token`.
        Token = Setting::required("SCIM_TOKEN", "token", "its bearer token").secret(),
    }
}

/// The `scim` entry of the provider registry (any SCIM 2.0 service provider).
pub const ENTRY: ProviderEntry =
    ProviderEntry::adapter::<crate::Scim>("scim", "any SCIM 2.0 service provider");

/// Page size asked for when the caller gives none.
pub const DEFAULT_PAGE_SIZE: u32 = 100;

invite_core::secret_type! {
    /// A SCIM bearer token for a generic service provider. A secret: `Debug` shows
    /// `[REDACTED]` and there is no `Display`.
    ///
    /// Webflow's SCIM token has its own type, [`crate::webflow::WebflowScimToken`], so the
    /// two cannot be mixed up.
    pub struct ScimToken;
}

pub(crate) fn check_token(secret: &SecretString, setting: &str) -> Result<()> {
    let t = secret.expose_secret();
    if t.trim().is_empty() {
        return Err(Error::Config(format!("{setting} is empty")));
    }
    if t.chars().any(|c| c.is_control() || c == ' ') {
        return Err(Error::Config(format!(
            "{setting} contains whitespace or control characters"
        )));
    }
    Ok(())
}

/// Whether list requests ask the server to sort by creation time (`sortBy=meta.created`).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SortPolicy {
    /// Sort when `/ServiceProviderConfig` says `sort.supported` (probed once, cached).
    #[default]
    Auto,
    /// Always send `sortBy=meta.created&sortOrder=ascending`.
    Always,
    /// Never sort (the server's own order; a complete listing either way).
    Never,
}

/// Everything the generic adapter needs. Build it with [`ScimConfig::builder`] or
/// [`ScimConfig::from_env`].
#[derive(Clone)]
pub struct ScimConfig {
    pub(crate) base_url: Url,
    pub(crate) token: SecretString,
    pub(crate) options: ClientOptions,
    pub(crate) use_etags: bool,
    pub(crate) sort: SortPolicy,
    pub(crate) page_size: u32,
    pub(crate) kind: &'static str,
    pub(crate) instance: String,
    pub(crate) limit_prefix: &'static str,
}

impl fmt::Debug for ScimConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScimConfig")
            .field("kind", &self.kind)
            .field("base_url", &self.base_url.as_str())
            .field("token", &"[REDACTED]")
            .field("use_etags", &self.use_etags)
            .field("sort", &self.sort)
            .field("page_size", &self.page_size)
            .finish_non_exhaustive()
    }
}

impl ScimConfig {
    /// Starts a configuration for the service provider at `base_url` (HTTPS; plain HTTP only
    /// to loopback).
    pub fn builder(base_url: impl Into<String>, token: ScimToken) -> ScimConfigBuilder {
        ScimConfigBuilder {
            base_url: base_url.into(),
            base_url_setting: "base_url".to_owned(),
            token: token.0,
            token_setting: "token".to_owned(),
            options: ClientOptions::default(),
            use_etags: false,
            sort: SortPolicy::Auto,
            page_size: DEFAULT_PAGE_SIZE,
            kind: "scim",
            limit_prefix: "scim",
        }
    }

    /// Builds the configuration from settings read once ([`Settings`]).
    pub fn from_settings(s: &Settings) -> Result<Self> {
        let mut b = Self::builder(
            s.require(ScimConfigKey::BaseUrl)?,
            ScimToken::from(s.require_secret(ScimConfigKey::Token)?),
        );
        b.base_url_setting = s.name(ScimConfigKey::BaseUrl).to_owned();
        b.token_setting = s.name(ScimConfigKey::Token).to_owned();
        b.build()
    }

    invite_core::setters! {
        /// Sets the HTTP options (timeouts, retries, rate budget, shared limiter).
        client_options(options: ClientOptions);
    }

    /// The base URL.
    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// Whether `If-Match` is sent with the last seen version.
    pub fn use_etags(&self) -> bool {
        self.use_etags
    }
}

/// Builds a [`ScimConfig`].
pub struct ScimConfigBuilder {
    base_url: String,
    base_url_setting: String,
    token: SecretString,
    token_setting: String,
    options: ClientOptions,
    use_etags: bool,
    sort: SortPolicy,
    page_size: u32,
    kind: &'static str,
    limit_prefix: &'static str,
}

impl fmt::Debug for ScimConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScimConfigBuilder")
            .field("base_url", &self.base_url)
            .field("token", &"[REDACTED]")
            .finish_non_exhaustive()
    }
}

impl ScimConfigBuilder {
    invite_core::setters! {
        /// HTTP options (timeouts, retries, rate budget, shared limiter).
        options(options: ClientOptions);
        /// Sends `If-Match: <last seen meta.version>` on PATCH, PUT and DELETE of a user, so a
        /// change made elsewhere since this client last read the user answers
        /// [`Error::Conflict`] (HTTP 412) instead of being overwritten. Off by default.
        use_etags(use_etags: bool);
        /// Whether lists ask for creation order (default [`SortPolicy::Auto`]).
        sort(sort: SortPolicy);
        /// Default page size for lists (1..=1000; default 100). A [`invite_core::ListQuery`]
        /// page size overrides it.
        page_size(page_size: u32);
    }

    pub(crate) fn preset(
        mut self,
        kind: &'static str,
        limit_prefix: &'static str,
        base_url_setting: &str,
        token_setting: &str,
    ) -> Self {
        self.kind = kind;
        self.limit_prefix = limit_prefix;
        base_url_setting.clone_into(&mut self.base_url_setting);
        token_setting.clone_into(&mut self.token_setting);
        self
    }

    /// Validates and builds.
    pub fn build(self) -> Result<ScimConfig> {
        let base_url = validate_base_url(&self.base_url, &self.base_url_setting)?;
        check_token(&self.token, &self.token_setting)?;
        if !(1..=1000).contains(&self.page_size) {
            return Err(Error::Config(format!(
                "the SCIM page size must be between 1 and 1000, not {}",
                self.page_size
            )));
        }
        let instance = format!(
            "{}{}",
            base_url.host_str().unwrap_or_default(),
            base_url.port().map(|p| format!(":{p}")).unwrap_or_default()
        );
        Ok(ScimConfig {
            base_url,
            token: self.token,
            options: self.options,
            use_etags: self.use_etags,
            sort: self.sort,
            page_size: self.page_size,
            kind: self.kind,
            instance,
            limit_prefix: self.limit_prefix,
        })
    }
}
