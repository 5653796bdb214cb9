//! Configuration of the site-users provider: token, site, base URL, rate budget and default
//! access groups, from a builder or the environment.

use std::fmt;

use invite_core::http::{ClientOptions, validate_base_url};
use invite_core::registry::{ProviderEntry, Setting, Settings};
use invite_core::{Error, Result, check_id};
use url::Url;

use crate::common::{DEFAULT_BASE_URL, SiteToken};

invite_core::config_keys! {
    /// The settings of the site-users provider, by environment variable or config-file key
    /// (`"WEBFLOW_SITE_ID".parse()` and `"site_id".parse()` give
    /// [`WebflowSiteConfigKey::SiteId`]).
    pub enum WebflowSiteConfigKey for WebflowSiteConfig {
        /// `WEBFLOW_API_TOKEN` / `api_token`: the site API token or OAuth access token.
        ApiToken = Setting::required(
            "WEBFLOW_API_TOKEN",
            "api_token",
            "site API token or OAuth token (users:read, users:write)",
        )
        .secret(),
        /// `WEBFLOW_SITE_ID` / `site_id`: the site whose users are managed.
        SiteId = Setting::required("WEBFLOW_SITE_ID", "site_id", "the site whose users are managed"),
        /// `WEBFLOW_API_BASE_URL` / `api_base_url`: the Data API base (default
        /// `https://api.webflow.com/v2`).
        BaseUrl = Setting::optional(
            "WEBFLOW_API_BASE_URL",
            "api_base_url",
            "default https://api.webflow.com/v2 (http only to loopback)",
        ),
        /// `WEBFLOW_RATE_LIMIT_PER_MINUTE` / `rate_limit_per_minute`: a cap on the requests
        /// per minute (e.g. to leave room for other integrations on the site). Unset, the
        /// site's `X-RateLimit-*` headers set the pace, and the smallest plan's 60 per minute
        /// applies only while the site sends none.
        RateLimit = Setting::optional(
            "WEBFLOW_RATE_LIMIT_PER_MINUTE",
            "rate_limit_per_minute",
            "the site plan's budget: 60 (default), 120 or 240",
        ),
        /// `WEBFLOW_ACCESS_GROUPS` / `access_groups`: comma-separated access-group slugs
        /// given to invitees whose invitation names none.
        AccessGroups = Setting::optional(
            "WEBFLOW_ACCESS_GROUPS",
            "access_groups",
            "comma-separated access-group slugs given to invitees",
        ),
    }
}

/// The `webflow-site` entry of the provider registry.
pub const ENTRY: ProviderEntry = ProviderEntry::adapter::<super::SiteUsers>(
    "webflow-site",
    "Webflow site users (Data API v2 User Accounts)",
);

/// The request budget of the smallest site plans (Starter/Basic), used unless configured.
pub const DEFAULT_RATE_LIMIT_PER_MINUTE: u32 = 60;

/// Built-in user fields accepted as attributes (the hyphenated keys Webflow uses).
pub const BUILTIN_FIELDS: [&str; 2] = ["accept-privacy", "accept-communications"];

/// Configuration of [`crate::WebflowSiteUsers`].
///
/// ```
/// use invite_webflow::{SiteToken, WebflowSiteConfig};
/// let config = WebflowSiteConfig::builder("5f0c8c9e1c9d440000e8d8c3", SiteToken::new("wf_site_…"))
///     .rate_limit_per_minute(120)
///     .default_access_groups(["webflowers"])
///     .build()?;
/// assert_eq!(config.site_id(), "5f0c8c9e1c9d440000e8d8c3");
/// assert_eq!(config.base_url().as_str(), "https://api.webflow.com/v2");
/// assert!(!format!("{config:?}").contains("wf_site_"));
/// # Ok::<(), invite_core::Error>(())
/// ```
#[derive(Clone)]
pub struct WebflowSiteConfig {
    pub(crate) token: SiteToken,
    pub(crate) site_id: String,
    pub(crate) base_url: Url,
    /// Set by the user: a cap. `None`: [`DEFAULT_RATE_LIMIT_PER_MINUTE`], documented.
    pub(crate) rate_limit_per_minute: Option<u32>,
    pub(crate) default_access_groups: Vec<String>,
    pub(crate) custom_fields: Vec<&'static str>,
    pub(crate) options: ClientOptions,
}

impl fmt::Debug for WebflowSiteConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebflowSiteConfig")
            .field("token", &self.token)
            .field("site_id", &self.site_id)
            .field("base_url", &self.base_url.as_str())
            .field("rate_limit_per_minute", &self.rate_limit_per_minute)
            .field("default_access_groups", &self.default_access_groups)
            .field("custom_fields", &self.custom_fields)
            .finish_non_exhaustive()
    }
}

impl WebflowSiteConfig {
    /// Starts a configuration for `site_id` with `token`.
    pub fn builder(site_id: impl Into<String>, token: SiteToken) -> WebflowSiteConfigBuilder {
        WebflowSiteConfigBuilder {
            token,
            site_id: site_id.into(),
            base_url: DEFAULT_BASE_URL.to_owned(),
            names: [
                WebflowSiteConfigKey::SiteId.to_string(),
                "base_url".to_owned(),
                WebflowSiteConfigKey::RateLimit.to_string(),
                WebflowSiteConfigKey::AccessGroups.to_string(),
            ],
            rate_limit_per_minute: None,
            default_access_groups: Vec::new(),
            custom_fields: Vec::new(),
            options: ClientOptions::default(),
        }
    }

    /// Builds the configuration from settings read once ([`Settings`]).
    pub fn from_settings(s: &Settings) -> Result<Self> {
        use WebflowSiteConfigKey as K;
        let token = SiteToken::from(s.require_secret(K::ApiToken)?);
        let mut builder = Self::builder(s.require(K::SiteId)?, token)
            .default_access_groups(s.list(K::AccessGroups));
        if let Some(url) = s.get(K::BaseUrl) {
            url.clone_into(&mut builder.base_url);
        }
        if let Some(n) = s.parse(
            K::RateLimit,
            "a positive whole number of requests per minute (60, 120 or 240 by plan)",
        )? {
            builder = builder.rate_limit_per_minute(n);
        }
        builder.names =
            [K::SiteId, K::BaseUrl, K::RateLimit, K::AccessGroups].map(|k| s.name(k).to_owned());
        builder.build()
    }

    invite_core::setters! {
        /// Sets the HTTP client options (timeouts, retries, user agent, limiter).
        client_options(options: ClientOptions);
    }

    /// The site id.
    pub fn site_id(&self) -> &str {
        &self.site_id
    }

    /// The base URL.
    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// The request budget per minute: the configured cap, else the documented default.
    pub fn rate_limit_per_minute(&self) -> u32 {
        self.rate_limit_per_minute
            .unwrap_or(DEFAULT_RATE_LIMIT_PER_MINUTE)
    }

    /// The cap the user configured, if any.
    pub fn configured_rate_limit_per_minute(&self) -> Option<u32> {
        self.rate_limit_per_minute
    }

    /// The access groups given to invitees whose invitation names none.
    pub fn default_access_groups(&self) -> &[String] {
        &self.default_access_groups
    }

    /// The site's custom user-field slugs accepted as attributes.
    pub fn custom_fields(&self) -> &[&'static str] {
        &self.custom_fields
    }
}

/// Builds a [`WebflowSiteConfig`].
pub struct WebflowSiteConfigBuilder {
    token: SiteToken,
    site_id: String,
    base_url: String,
    /// How errors name the site id, base URL, rate limit and access groups.
    names: [String; 4],
    rate_limit_per_minute: Option<u32>,
    default_access_groups: Vec<String>,
    custom_fields: Vec<&'static str>,
    options: ClientOptions,
}

impl fmt::Debug for WebflowSiteConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebflowSiteConfigBuilder")
            .field("token", &self.token)
            .field("site_id", &self.site_id)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl WebflowSiteConfigBuilder {
    /// Sets the base URL (HTTPS; plain HTTP only to loopback, for sandboxes and tests).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        "base_url".clone_into(&mut self.names[1]);
        self
    }

    invite_core::setters! {
        /// Caps the requests per minute to the site (every client of the site shares the cap;
        /// with `--redis`, every worker). Unset, the site's `X-RateLimit-*` headers set the pace.
        rate_limit_per_minute(rate_limit_per_minute: u32) = Some(rate_limit_per_minute);
        /// Sets the access-group slugs given to invitees whose invitation names none.
        default_access_groups(default_access_groups: impl IntoIterator<Item = impl Into<String>>) =
            default_access_groups.into_iter().map(Into::into).collect();
        /// Sets the HTTP client options (timeouts, retries, user agent, limiter). The rate
        /// budget is always the one set by [`Self::rate_limit_per_minute`].
        client_options(options: ClientOptions);
    }

    /// Declares a custom user-field slug of the site, so it is accepted as an attribute in
    /// updates (`UserPatch::attribute("company", …)`).
    pub fn custom_field(mut self, slug: &'static str) -> Self {
        if !self.custom_fields.contains(&slug) {
            self.custom_fields.push(slug);
        }
        self
    }

    /// Checks everything and builds the configuration.
    pub fn build(self) -> Result<WebflowSiteConfig> {
        let [site_name, url_name, rate_name, groups_name] = &self.names;
        if self.token.is_blank() {
            return Err(Error::Config(format!(
                "{} (the site token) is empty",
                WebflowSiteConfigKey::ApiToken
            )));
        }
        check_id("site_id", &self.site_id)
            .map_err(|e| Error::Config(format!("{site_name}: {e}")))?;
        let base_url = validate_base_url(&self.base_url, url_name)?;
        if self.rate_limit_per_minute == Some(0) {
            return Err(Error::Config(format!(
                "{rate_name} must be at least 1 request per minute"
            )));
        }
        for slug in &self.default_access_groups {
            check_slug(slug).map_err(|reason| {
                Error::Config(format!("{groups_name}: access group {slug:?} {reason}"))
            })?;
        }
        for field in &self.custom_fields {
            if field.trim().is_empty() || matches!(*field, "name" | "email" | "password") {
                return Err(Error::Config(format!(
                    "custom field {field:?} is not a custom field slug"
                )));
            }
        }
        Ok(WebflowSiteConfig {
            token: self.token,
            site_id: self.site_id,
            base_url,
            rate_limit_per_minute: self.rate_limit_per_minute,
            default_access_groups: self.default_access_groups,
            custom_fields: self.custom_fields,
            options: self.options,
        })
    }
}

/// Checks an access-group slug: not blank, no whitespace or control characters.
pub(crate) fn check_slug(slug: &str) -> std::result::Result<(), &'static str> {
    if slug.trim().is_empty() {
        return Err("is empty");
    }
    if slug.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("contains whitespace or a control character");
    }
    if slug.len() > 256 {
        return Err("is longer than 256 characters");
    }
    Ok(())
}
