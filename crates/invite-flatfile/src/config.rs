//! Configuration: the API key, the base URL, the default actor role and client options.

use std::fmt;

use invite_core::http::{ClientOptions, validate_base_url};
use invite_core::registry::{ProviderEntry, Setting, Settings};
use invite_core::{Error, Result};
use secrecy::{ExposeSecret, SecretString};
use url::Url;

/// The public Flatfile API root, as the official SDK names it (`FLATFILE_API_URL`); the
/// adapter appends `/v1`.
pub const DEFAULT_API_URL: &str = "https://api.x.flatfile.com";

/// The environment variables [`FlatfileConfig::from_env`] reads.
pub mod env {
    /// The secret API key (or access token), sent as `Authorization: Bearer …`.
    pub const API_KEY: &str = "FLATFILE_API_KEY";
    /// The official SDK's name for the same value; read when [`API_KEY`] is not set.
    pub const BEARER_TOKEN: &str = "FLATFILE_BEARER_TOKEN";
    /// The API root **without** `/v1` (as the SDK reads it); default `https://api.x.flatfile.com`.
    pub const API_URL: &str = "FLATFILE_API_URL";
    /// The default role (`us_rol_…`) given to invitees whose invitation carries no
    /// [`crate::ActorRole`] grant.
    pub const ROLE_ID: &str = "FLATFILE_ROLE_ID";
    /// The account (`us_acc_…`) the default role is bound to.
    pub const ACCOUNT_ID: &str = "FLATFILE_ACCOUNT_ID";
    /// Alternative to [`ACCOUNT_ID`]: any resource the default role is bound to
    /// (`us_acc_…`, `us_env_…` or `us_sp_…`).
    pub const RESOURCE_ID: &str = "FLATFILE_RESOURCE_ID";
}

invite_core::config_keys! {
    /// The settings of the Flatfile adapter, by environment variable or config-file key
    /// (`"FLATFILE_ROLE_ID".parse()` and `"role_id".parse()` give
    /// [`FlatfileConfigKey::RoleId`]).
    pub enum FlatfileConfigKey for FlatfileConfig {
        /// `FLATFILE_API_KEY` / `api_key`.
        ApiKey = Setting::required(env::API_KEY, "api_key", "secret API key").secret(),
        /// `FLATFILE_BEARER_TOKEN` / `bearer_token`: read when the API key is unset.
        BearerToken = Setting::optional(
            env::BEARER_TOKEN,
            "bearer_token",
            "the official SDK's name for the API key",
        )
        .secret()
        .alternative_of(env::API_KEY),
        /// `FLATFILE_API_URL` / `api_url`.
        ApiUrl = Setting::optional(
            env::API_URL,
            "api_url",
            "API root without /v1 (default https://api.x.flatfile.com)",
        ),
        /// `FLATFILE_ROLE_ID` / `role_id`.
        RoleId = Setting::optional(
            env::ROLE_ID,
            "role_id",
            "actor role (us_rol_…) given to invitees; Flatfile requires one",
        ),
        /// `FLATFILE_ACCOUNT_ID` / `account_id`.
        AccountId = Setting::optional(env::ACCOUNT_ID, "account_id", "the account (us_acc_…) the role binds to"),
        /// `FLATFILE_RESOURCE_ID` / `resource_id`: read when the account id is unset.
        ResourceId = Setting::optional(
            env::RESOURCE_ID,
            "resource_id",
            "instead of the account: an environment or space the role binds to",
        )
        .alternative_of(env::ACCOUNT_ID),
    }
}

/// The `flatfile` entry of the provider registry. Without a default actor role it says so
/// ([`invite_core::registry::Built::missing_grant`]): Flatfile requires one for every
/// invitation.
pub const ENTRY: ProviderEntry =
    ProviderEntry::adapter::<crate::Flatfile>("flatfile", "Flatfile users and actor roles");

/// The prefixes a role's resource id may have: account, environment, space.
pub const RESOURCE_PREFIXES: [&str; 3] = ["us_acc_", "us_env_", "us_sp_"];
/// The prefix of role ids.
pub const ROLE_PREFIX: &str = "us_rol_";

invite_core::secret_type! {
    /// A Flatfile secret API key or access token. Never shown: `Debug` prints `[REDACTED]`
    /// and there is no `Display`.
    pub struct FlatfileToken;
    custom new;
}

impl FlatfileToken {
    /// Wraps a key. Surrounding whitespace is trimmed.
    pub fn new(token: impl Into<String>) -> Self {
        Self(SecretString::from(token.into().trim().to_owned()))
    }
}

impl From<SecretString> for FlatfileToken {
    fn from(s: SecretString) -> Self {
        Self::new(s.expose_secret().to_owned())
    }
}
impl From<String> for FlatfileToken {
    fn from(s: String) -> Self {
        Self::new(s)
    }
}
impl From<&str> for FlatfileToken {
    fn from(s: &str) -> Self {
        Self::new(s)
    }
}

/// A role bound to a resource: what Flatfile calls an actor role assignment request.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ActorRoleSpec {
    /// The role (`us_rol_…`).
    pub role_id: String,
    /// The account, environment or space (`us_acc_…`, `us_env_…`, `us_sp_…`).
    pub resource_id: String,
}

impl ActorRoleSpec {
    /// Checks both ids' prefixes; `field` prefixes the field names in the error
    /// (e.g. `grants[0]` gives `grants[0].resource_id`).
    pub fn new(
        role_id: impl Into<String>,
        resource_id: impl Into<String>,
        field: &str,
    ) -> Result<Self> {
        let role_id = role_id.into();
        let resource_id = resource_id.into();
        check_role_id(&role_id, &format!("{field}.role_id"))?;
        check_resource_id(&resource_id, &format!("{field}.resource_id"))?;
        Ok(Self {
            role_id,
            resource_id,
        })
    }
}

/// A role id is `us_rol_` followed by something, with no whitespace or control characters.
pub(crate) fn check_role_id(id: &str, field: &str) -> Result<()> {
    if !has_prefix_and_body(id, ROLE_PREFIX) {
        return Err(Error::invalid_input(
            field,
            format!("a Flatfile role id starts with `{ROLE_PREFIX}` (got {id:?})"),
        ));
    }
    Ok(())
}

/// A resource id is `us_acc_…`, `us_env_…` or `us_sp_…`.
pub(crate) fn check_resource_id(id: &str, field: &str) -> Result<()> {
    if !RESOURCE_PREFIXES.iter().any(|p| has_prefix_and_body(id, p)) {
        return Err(Error::invalid_input(
            field,
            format!(
                "a Flatfile role binds to an account (`us_acc_…`), environment (`us_env_…`) or space (`us_sp_…`) (got {id:?})"
            ),
        ));
    }
    Ok(())
}

fn has_prefix_and_body(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix).is_some_and(|rest| {
        !rest.is_empty()
            && rest.len() <= 256
            && !rest.chars().any(|c| c.is_whitespace() || c.is_control())
    })
}

/// Everything a [`crate::FlatfileProvider`] needs.
///
/// Build it with [`FlatfileConfig::builder`] or read it with [`FlatfileConfig::from_env`].
#[derive(Clone)]
pub struct FlatfileConfig {
    pub(crate) token: FlatfileToken,
    /// The versioned base (root + `/v1`).
    pub(crate) base_url: Url,
    pub(crate) default_role: Option<ActorRoleSpec>,
    pub(crate) disable_hooks: bool,
    pub(crate) options: ClientOptions,
}

impl fmt::Debug for FlatfileConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FlatfileConfig")
            .field("token", &self.token)
            .field("base_url", &self.base_url.as_str())
            .field("default_role", &self.default_role)
            .field("disable_hooks", &self.disable_hooks)
            .finish_non_exhaustive()
    }
}

impl FlatfileConfig {
    /// Starts a configuration with `token` and the public API root.
    pub fn builder(token: impl Into<FlatfileToken>) -> FlatfileConfigBuilder {
        FlatfileConfigBuilder {
            token: token.into(),
            api_url_text: None,
            api_url: None,
            default_role: None,
            disable_hooks: true,
            options: ClientOptions::default(),
        }
    }

    /// Builds the configuration from settings read once ([`Settings`]).
    pub fn from_settings(s: &Settings) -> Result<Self> {
        use FlatfileConfigKey as K;
        let mut builder = Self::builder(FlatfileToken::from(s.require_secret(K::ApiKey)?));
        if s.get(K::ApiUrl).is_some() {
            builder.api_url = Some(s.base_url(K::ApiUrl, DEFAULT_API_URL)?);
        }
        // ACCOUNT_ID, else its alternative RESOURCE_ID.
        match (s.get(K::RoleId), s.get(K::AccountId)) {
            (Some(role), Some(resource)) => {
                check_role_id(role, s.name(K::RoleId)).map_err(config_error)?;
                check_resource_id(resource, s.name(K::AccountId)).map_err(config_error)?;
                builder = builder.default_actor_role(role, resource);
            }
            (None, None) => {}
            (Some(_), None) => {
                return Err(Error::Config(format!(
                    "{} is set but neither {} nor {} says which resource the role binds to",
                    s.name(K::RoleId),
                    env::ACCOUNT_ID,
                    env::RESOURCE_ID
                )));
            }
            (None, Some(_)) => {
                return Err(Error::Config(format!(
                    "{} is set but {} is not; set both for a default actor role",
                    s.name(K::AccountId),
                    env::ROLE_ID
                )));
            }
        }
        builder.build()
    }

    invite_core::setters! {
        /// Sets the HTTP options (timeouts, retries, user agent, rate limiter).
        client_options(options: ClientOptions);
    }

    /// The versioned base URL requests go to (e.g. `https://api.x.flatfile.com/v1`).
    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// The default actor role, if one is configured.
    pub fn default_role(&self) -> Option<&ActorRoleSpec> {
        self.default_role.as_ref()
    }

    /// Whether `X-Disable-Hooks: true` is sent.
    pub fn disable_hooks(&self) -> bool {
        self.disable_hooks
    }
}

fn config_error(e: Error) -> Error {
    match e {
        Error::InvalidInput { field, reason } => Error::Config(format!("{field}: {reason}")),
        other => other,
    }
}

/// Builds a [`FlatfileConfig`].
pub struct FlatfileConfigBuilder {
    token: FlatfileToken,
    /// The root given to [`FlatfileConfigBuilder::api_url`], checked in `build`.
    api_url_text: Option<String>,
    /// A root checked already (from settings).
    api_url: Option<Url>,
    default_role: Option<(String, String)>,
    disable_hooks: bool,
    options: ClientOptions,
}

impl fmt::Debug for FlatfileConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FlatfileConfigBuilder")
            .field("token", &self.token)
            .field("api_url", &self.api_url_text)
            .field("default_role", &self.default_role)
            .field("disable_hooks", &self.disable_hooks)
            .finish_non_exhaustive()
    }
}

impl FlatfileConfigBuilder {
    invite_core::setters! {
        /// The API root **without** `/v1` (as the official SDK's `FLATFILE_API_URL`), e.g.
        /// `https://api.x.flatfile.com` or a sandbox's `http://127.0.0.1:41234`. A root that
        /// already ends in `/v1` is used as is. HTTPS is required except to loopback hosts.
        api_url(api_url_text: impl Into<String>) = Some(api_url_text.into());
        /// Whether to send `X-Disable-Hooks: true` on every call (default `true`, as the
        /// official SDK does; Flatfile's reference pages mark it required).
        disable_hooks(disable_hooks: bool);
        /// Timeouts, retries, user agent and rate limiter.
        client_options(options: ClientOptions);
    }

    /// The role given to invitees whose invitation carries no [`crate::ActorRole`] grant
    /// (Flatfile requires at least one). Checked in [`FlatfileConfigBuilder::build`].
    pub fn default_actor_role(
        mut self,
        role_id: impl Into<String>,
        resource_id: impl Into<String>,
    ) -> Self {
        self.default_role = Some((role_id.into(), resource_id.into()));
        self
    }

    /// Checks and builds the configuration.
    pub fn build(self) -> Result<FlatfileConfig> {
        if self.token.is_blank() {
            return Err(Error::Config(
                "the Flatfile API key is empty; set FLATFILE_API_KEY".into(),
            ));
        }
        let root = match (self.api_url, &self.api_url_text) {
            (Some(url), _) => url,
            (None, Some(text)) => validate_base_url(text, "api_url")?,
            (None, None) => validate_base_url(DEFAULT_API_URL, env::API_URL)?,
        };
        let base_url = versioned(root);
        let default_role = match self.default_role {
            Some((role, resource)) => Some(
                ActorRoleSpec::new(role, resource, "default_actor_role").map_err(config_error)?,
            ),
            None => None,
        };
        Ok(FlatfileConfig {
            token: self.token,
            base_url,
            default_role,
            disable_hooks: self.disable_hooks,
            options: self.options,
        })
    }
}

/// Appends `/v1` to a checked root (unless it is already there).
fn versioned(mut url: Url) -> Url {
    let path = url.path().trim_end_matches('/').to_owned();
    // The SDK appends `/v1` to FLATFILE_API_URL. A value that already carries it (a common
    // slip, since the docs show the versioned base) would give `/v1/v1`: accept it as is.
    let path = if path.ends_with("/v1") {
        path
    } else {
        format!("{path}/v1")
    };
    url.set_path(&path);
    url
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn env_reads_key_url_and_default_role() {
        let c = FlatfileConfig::from_lookup(vars(&[
            ("FLATFILE_API_KEY", "sk_123"),
            ("FLATFILE_API_URL", "http://127.0.0.1:9/"),
            ("FLATFILE_ROLE_ID", "us_rol_admin"),
            ("FLATFILE_ACCOUNT_ID", "us_acc_1"),
        ]))
        .unwrap();
        assert_eq!(c.base_url().as_str(), "http://127.0.0.1:9/v1");
        assert_eq!(
            c.default_role(),
            Some(&ActorRoleSpec {
                role_id: "us_rol_admin".into(),
                resource_id: "us_acc_1".into()
            })
        );
        assert!(c.disable_hooks());
    }

    #[test]
    fn env_defaults_and_aliases() {
        let c = FlatfileConfig::from_lookup(vars(&[
            ("FLATFILE_BEARER_TOKEN", "sk_x"),
            ("FLATFILE_ROLE_ID", "us_rol_a"),
            ("FLATFILE_RESOURCE_ID", "us_env_1"),
        ]))
        .unwrap();
        assert_eq!(c.base_url().as_str(), "https://api.x.flatfile.com/v1");
        assert_eq!(c.default_role().unwrap().resource_id, "us_env_1");
        let c = FlatfileConfig::from_lookup(vars(&[
            ("FLATFILE_API_KEY", "sk_x"),
            ("FLATFILE_API_URL", "https://eu.flatfile.example/v1"),
        ]))
        .unwrap();
        assert_eq!(c.base_url().as_str(), "https://eu.flatfile.example/v1");
        assert!(c.default_role().is_none());
    }

    #[test]
    fn env_errors_name_the_variables() {
        /// The variables set, and what the error must name.
        type Case = (
            &'static [(&'static str, &'static str)],
            &'static [&'static str],
        );
        let cases: [Case; 5] = [
            (&[], &["FLATFILE_API_KEY", "FLATFILE_BEARER_TOKEN"]),
            (
                &[
                    ("FLATFILE_API_KEY", "k"),
                    ("FLATFILE_API_URL", "http://api.example.com"),
                ],
                &["FLATFILE_API_URL", "https"],
            ),
            (
                &[("FLATFILE_API_KEY", "k"), ("FLATFILE_ROLE_ID", "us_rol_a")],
                &["FLATFILE_ACCOUNT_ID"],
            ),
            (
                &[
                    ("FLATFILE_API_KEY", "k"),
                    ("FLATFILE_ACCOUNT_ID", "us_acc_a"),
                ],
                &["FLATFILE_ROLE_ID"],
            ),
            (
                &[
                    ("FLATFILE_API_KEY", "k"),
                    ("FLATFILE_ROLE_ID", "admin"),
                    ("FLATFILE_ACCOUNT_ID", "us_acc_a"),
                ],
                &["FLATFILE_ROLE_ID", "us_rol_"],
            ),
        ];
        for (pairs, named) in cases {
            let e = FlatfileConfig::from_lookup(vars(pairs))
                .unwrap_err()
                .to_string();
            assert!(named.iter().all(|n| e.contains(n)), "{named:?}: {e}");
        }
        let e = FlatfileConfig::from_lookup(vars(&[
            ("FLATFILE_API_KEY", "k"),
            ("FLATFILE_ROLE_ID", "us_rol_a"),
            ("FLATFILE_ACCOUNT_ID", "acc_1"),
        ]))
        .unwrap_err();
        assert!(matches!(e, Error::Config(_)), "{e:?}");
    }

    #[test]
    fn from_map_takes_file_keys_and_names_them_in_errors() {
        let c = FlatfileConfig::from_map([
            ("bearer_token", "sk_map_secret"),
            ("role_id", "us_rol_a"),
            ("resource_id", "us_sp_1"),
        ])
        .unwrap();
        assert_eq!(c.default_role().unwrap().resource_id, "us_sp_1");
        let e = FlatfileConfig::from_map([
            ("api_key", "sk_map_secret"),
            ("role_id", "us_rol_a"),
            ("account_id", "acc_1"),
        ])
        .unwrap_err()
        .to_string();
        assert!(e.contains("account_id: a Flatfile role binds"), "{e}");
        assert!(!e.contains("sk_map_secret"), "{e}");
        let e = FlatfileConfig::from_map([("api_key", "k"), ("api_url", "http://x.example")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("api_url must use https"), "{e}");
        assert_eq!(
            "role_id".parse::<FlatfileConfigKey>().unwrap(),
            FlatfileConfigKey::RoleId
        );
        assert_eq!(FlatfileConfigKey::ResourceId.to_string(), env::RESOURCE_ID);
        assert!(FlatfileConfig::from_map([("token", "k")]).is_err());
    }

    #[test]
    fn builder_rejects_blank_token_and_bad_role() {
        assert!(FlatfileConfig::builder("  ").build().is_err());
        let e = FlatfileConfig::builder("sk")
            .default_actor_role("us_rol_a", "us_usr_x")
            .build()
            .unwrap_err()
            .to_string();
        assert!(e.contains("default_actor_role.resource_id"), "{e}");
    }

    #[test]
    fn token_never_shown() {
        let c = FlatfileConfig::builder("sk_supersecret_1").build().unwrap();
        let shown = format!("{c:?} {:?}", FlatfileToken::new("sk_supersecret_1"));
        assert!(!shown.contains("supersecret"), "{shown}");
        let b = FlatfileConfig::builder("sk_supersecret_1");
        assert!(!format!("{b:?}").contains("supersecret"));
    }

    #[test]
    fn id_checks() {
        assert!(ActorRoleSpec::new("us_rol_1", "us_sp_2", "g").is_ok());
        for (role, res, field) in [
            ("rol_1", "us_acc_1", "g.role_id"),
            ("us_rol_", "us_acc_1", "g.role_id"),
            ("us_rol_1", "us_usr_1", "g.resource_id"),
            ("us_rol_1", "us_acc_", "g.resource_id"),
            ("us_rol_1", "us_acc_a b", "g.resource_id"),
        ] {
            match ActorRoleSpec::new(role, res, "g") {
                Err(Error::InvalidInput { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{role} {res}: {other:?}"),
            }
        }
    }
}
