//! The provider registry: each adapter states its settings once — as a config key enum made
//! with [`config_keys!`](crate::config_keys) — and offers a [`ProviderEntry`] that builds it
//! from them. Front ends (the CLI's help, config file and environment) read the entries and
//! never restate an adapter's settings.
//!
//! A setting has two names: its environment variable (`AWORK_API_TOKEN`) and its config-file
//! key (`api_token`); a key enum's `FromStr` takes either, and errors name a setting the way
//! the user wrote it. Values are read once: a secret setting's value goes straight into a
//! [`SecretString`] and is never part of an error, `Debug` or help.
//!
//! ```
//! use invite_core::config_keys;
//! use invite_core::http::ClientOptions;
//! use invite_core::registry::{ConfigKey, Setting, Settings};
//!
//! /// A small adapter's configuration.
//! pub struct DemoConfig {
//!     workspace: String,
//!     rate_limit: u32,
//!     options: ClientOptions,
//! }
//!
//! config_keys! {
//!     /// The settings of a small adapter.
//!     pub enum DemoConfigKey for DemoConfig {
//!         /// Its token.
//!         Token = Setting::required("DEMO_TOKEN", "token", "API token").secret(),
//!         /// Its workspace.
//!         Workspace = Setting::required("DEMO_WORKSPACE", "workspace", "the workspace id"),
//!         /// Requests per minute.
//!         RateLimit = Setting::optional("DEMO_RATE_LIMIT", "rate_limit", "default 60"),
//!     }
//! }
//!
//! impl DemoConfig {
//!     /// The one reader the adapter writes; `from_map`, `from_lookup`, `from_env` and
//!     /// `AdapterSettings` (for `ProviderEntry::adapter`) come from `config_keys!`.
//!     pub fn from_settings(s: &Settings) -> invite_core::Result<Self> {
//!         let _token = s.require_secret(DemoConfigKey::Token)?;
//!         Ok(Self {
//!             workspace: s.require(DemoConfigKey::Workspace)?.to_owned(),
//!             rate_limit: s.parse(DemoConfigKey::RateLimit, "a whole number")?.unwrap_or(60),
//!             options: ClientOptions::default(),
//!         })
//!     }
//!
//!     /// The HTTP client options a front end gives every provider.
//!     pub fn client_options(self, options: ClientOptions) -> Self {
//!         Self { options, ..self }
//!     }
//! }
//!
//! // Either name selects a key; Display gives the environment name.
//! let key: DemoConfigKey = "rate_limit".parse()?;
//! assert_eq!(key, DemoConfigKey::RateLimit);
//! assert_eq!("DEMO_RATE_LIMIT".parse::<DemoConfigKey>()?, key);
//! assert_eq!(key.to_string(), "DEMO_RATE_LIMIT");
//!
//! let c = DemoConfig::from_map([("DEMO_TOKEN", "tok_secret_1"), ("workspace", " w1 ")])?;
//! assert_eq!((c.workspace.as_str(), c.rate_limit), ("w1", 60));
//! // The error names the setting as it was written, here its file key.
//! let e = DemoConfig::from_map([("token", "t"), ("workspace", "w"), ("rate_limit", "fast")]);
//! let e = e.err().unwrap().to_string();
//! assert!(e.contains("rate_limit must be a whole number"), "{e}");
//! // Unknown names are errors that list the known ones.
//! assert!(DemoConfig::from_map([("tokn", "x")]).is_err());
//! // Secrets are read once, into `SecretString`, and never shown.
//! let s = Settings::from_map::<DemoConfigKey>([("token", "tok_secret_2")])?;
//! assert!(!format!("{s:?}").contains("tok_secret_2"));
//! assert_eq!(s.missing(), ["DEMO_WORKSPACE"]);
//! # Ok::<(), invite_core::Error>(())
//! ```

use std::fmt;
use std::sync::Arc;

use secrecy::SecretString;
use url::Url;

use crate::http::{ClientOptions, validate_base_url};
use crate::model::Grant;
use crate::pipeline::{Adapter, Pipeline};
use crate::provider::DynProvider;
use crate::{Error, Result};

/// One setting of a provider: its two names, whether it is required or secret, and what it
/// is (for help).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Setting {
    /// The environment variable (`AWORK_API_TOKEN`); the canonical name.
    pub env: &'static str,
    /// The config-file key (`api_token`).
    pub file_key: &'static str,
    /// Whether the provider cannot work without it (or one of its alternatives).
    pub required: bool,
    /// For another name of a setting: the environment variable of the setting it stands in
    /// for (read when that one is unset).
    pub alternative_of: Option<&'static str>,
    /// A secret: held in a [`SecretString`], never shown.
    pub secret: bool,
    /// What it is, one line.
    pub help: &'static str,
}

impl Setting {
    /// A required setting.
    pub const fn required(env: &'static str, file_key: &'static str, help: &'static str) -> Self {
        Self {
            env,
            file_key,
            required: true,
            alternative_of: None,
            secret: false,
            help,
        }
    }

    /// An optional setting.
    pub const fn optional(env: &'static str, file_key: &'static str, help: &'static str) -> Self {
        Self {
            required: false,
            ..Self::required(env, file_key, help)
        }
    }

    /// Marks it secret.
    pub const fn secret(self) -> Self {
        Self {
            secret: true,
            ..self
        }
    }

    /// Marks it as another name of the setting `env` (so it is optional itself).
    pub const fn alternative_of(self, env: &'static str) -> Self {
        Self {
            required: false,
            alternative_of: Some(env),
            ..self
        }
    }

    /// Whether `name` is its environment variable or its file key.
    pub fn is_named(&self, name: &str) -> bool {
        name == self.env || name == self.file_key
    }

    /// `required`, `alternative` or `optional`.
    pub fn kind(&self) -> &'static str {
        if self.required {
            "required"
        } else if self.alternative_of.is_some() {
            "alternative"
        } else {
            "optional"
        }
    }
}

/// An adapter's config key enum, as [`config_keys!`](crate::config_keys) makes it.
pub trait ConfigKey: Copy + fmt::Debug + 'static {
    /// Every key, in the order of [`ConfigKey::SETTINGS`].
    const ALL: &'static [Self];
    /// Every setting, in the order help lists them.
    const SETTINGS: &'static [Setting];
    /// This key's setting.
    fn setting(self) -> &'static Setting;
}

/// The key of `settings` called `name` (environment variable or file key).
pub fn parse_key<K: ConfigKey>(name: &str) -> Result<K> {
    K::ALL
        .iter()
        .copied()
        .find(|k| k.setting().is_named(name.trim()))
        .ok_or_else(|| unknown(K::SETTINGS, name))
}

fn unknown(settings: &[Setting], name: &str) -> Error {
    let keys: Vec<&str> = settings.iter().map(|s| s.file_key).collect();
    let envs: Vec<&str> = settings.iter().map(|s| s.env).collect();
    Error::Config(format!(
        "there is no setting `{name}`; known: {} (or their environment names {})",
        keys.join(", "),
        envs.join(", ")
    ))
}

/// Declares an adapter's config key enum: a `#[non_exhaustive]` `Copy` enum, one variant per
/// [`Setting`], with [`ConfigKey`], `FromStr` (environment variable or file key),
/// `AsRef<str>` and `Display` (the environment variable). See the [module](crate::registry)
/// example.
///
/// With `for Config` after the enum's name, it also gives `Config` the readers every adapter
/// configuration has, all built on the `from_settings(&Settings) -> Result<Config>` and
/// `client_options(self, ClientOptions) -> Config` the adapter writes: `from_map` (pairs of
/// names and values), `from_lookup` (a function from environment variable to value),
/// `from_env` (the process environment) and [`AdapterSettings`] (for
/// [`ProviderEntry::adapter`]).
#[macro_export]
macro_rules! config_keys {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident for $config:ty {
            $( $(#[$vmeta:meta])* $variant:ident = $setting:expr ),+ $(,)?
        }
    ) => {
        $crate::config_keys! {
            $(#[$meta])*
            $vis enum $name {
                $( $(#[$vmeta])* $variant = $setting ),+
            }
        }

        impl $crate::registry::AdapterSettings for $config {
            const SETTINGS: &'static [$crate::registry::Setting] =
                <$name as $crate::registry::ConfigKey>::SETTINGS;
            fn read(
                settings: &$crate::registry::Settings,
                options: &$crate::http::ClientOptions,
            ) -> $crate::Result<Self> {
                Ok(<$config>::from_settings(settings)?.client_options(options.clone()))
            }
        }

        impl $config {
            #[doc = concat!(
                "Reads the configuration from `(name, value)` pairs, each name a [`",
                stringify!($name),
                "`]'s environment variable or config-file key. Blank values count as unset; ",
                "an unknown name or a setting given twice is an error, and errors name a ",
                "setting as it was written (never a secret's value)."
            )]
            pub fn from_map(
                pairs: impl IntoIterator<Item = (impl AsRef<str>, impl Into<String>)>,
            ) -> $crate::Result<Self> {
                Self::from_settings(&$crate::registry::Settings::from_map::<$name>(pairs)?)
            }

            #[doc = concat!(
                "Reads the environment variables of [`",
                stringify!($name),
                "`] through `lookup` (for tests and configuration held elsewhere)."
            )]
            pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> $crate::Result<Self> {
                Self::from_map($crate::registry::Settings::lookup::<$name>(lookup))
            }

            #[doc = concat!(
                "Reads the environment variables of [`",
                stringify!($name),
                "`] from the process environment."
            )]
            pub fn from_env() -> $crate::Result<Self> {
                Self::from_lookup(|k| ::std::env::var(k).ok())
            }
        }
    };
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $setting:expr ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[non_exhaustive]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $crate::registry::ConfigKey for $name {
            const ALL: &'static [Self] = &[$(Self::$variant),+];
            const SETTINGS: &'static [$crate::registry::Setting] = &[$($setting),+];
            fn setting(self) -> &'static $crate::registry::Setting {
                match self {
                    $(Self::$variant => {
                        const SETTING: $crate::registry::Setting = $setting;
                        &SETTING
                    })+
                }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::Error;
            fn from_str(s: &str) -> $crate::Result<Self> {
                $crate::registry::parse_key(s)
            }
        }

        impl ::std::convert::AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                $crate::registry::ConfigKey::setting(*self).env
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_ref())
            }
        }
    };
}

#[derive(Clone)]
enum Text {
    Plain(String),
    Secret(SecretString),
}

#[derive(Clone)]
struct Value {
    setting: &'static Setting,
    /// The name the user gave it (environment variable or file key).
    written: String,
    text: Text,
}

/// The values of one provider's settings, read once from a map of names to text.
///
/// Blank values count as unset, values are trimmed, secrets are held in [`SecretString`]
/// from the moment they are read, and every error names a setting as the user wrote it
/// (without its value when it is secret). `Debug` shows names, never secret values.
#[derive(Clone)]
pub struct Settings {
    settings: &'static [Setting],
    values: Vec<Value>,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut m = f.debug_map();
        for v in &self.values {
            match &v.text {
                Text::Plain(t) => m.entry(&v.written, t),
                Text::Secret(_) => m.entry(&v.written, &"[REDACTED]"),
            };
        }
        m.finish()
    }
}

impl Settings {
    /// Reads `pairs` (a setting's environment variable or file key, its value) as settings
    /// of `K`. Unknown names, and a setting given twice, are errors naming them.
    pub fn from_map<K: ConfigKey>(
        pairs: impl IntoIterator<Item = (impl AsRef<str>, impl Into<String>)>,
    ) -> Result<Self> {
        Self::read(K::SETTINGS, pairs)
    }

    /// [`Settings::from_map`] for a list of settings known at run time (a
    /// [`ProviderEntry`]'s).
    pub fn read(
        settings: &'static [Setting],
        pairs: impl IntoIterator<Item = (impl AsRef<str>, impl Into<String>)>,
    ) -> Result<Self> {
        let mut out = Self {
            settings,
            values: Vec::new(),
        };
        for (name, text) in pairs {
            let name = name.as_ref().trim();
            let setting = settings
                .iter()
                .find(|s| s.is_named(name))
                .ok_or_else(|| unknown(settings, name))?;
            // Into a secret type at once, before anything else looks at it.
            let text = if setting.secret {
                Text::Secret(SecretString::from(text.into().trim()))
            } else {
                Text::Plain(text.into().trim().to_owned())
            };
            let blank = match &text {
                Text::Plain(t) => t.is_empty(),
                Text::Secret(s) => secrecy::ExposeSecret::expose_secret(s).is_empty(),
            };
            if blank {
                continue;
            }
            if let Some(prev) = out.values.iter().find(|v| v.setting.env == setting.env) {
                return Err(Error::Config(format!(
                    "{} is given twice (as {} and {name})",
                    setting.env, prev.written
                )));
            }
            out.values.push(Value {
                setting,
                written: name.to_owned(),
                text,
            });
        }
        Ok(out)
    }

    /// The settings of `lookup` (an environment variable to its value) for `K`, as pairs
    /// for [`Settings::from_map`] or an adapter's `from_map`.
    pub fn lookup<K: ConfigKey>(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> impl Iterator<Item = (&'static str, String)> {
        K::SETTINGS
            .iter()
            .filter_map(move |s| lookup(s.env).map(|v| (s.env, v)))
    }

    /// `self`, with the settings it lacks taken from `fallback` (e.g. a config file's table
    /// over the environment).
    pub fn or(mut self, fallback: Settings) -> Self {
        for v in fallback.values {
            if !self.values.iter().any(|s| s.setting.env == v.setting.env) {
                self.values.push(v);
            }
        }
        self
    }

    /// Whether no setting has a value.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The value of `key`, else of one of its alternatives.
    fn value(&self, key: &Setting) -> Option<&Value> {
        self.values
            .iter()
            .find(|v| v.setting.env == key.env)
            .or_else(|| {
                self.values
                    .iter()
                    .find(|v| v.setting.alternative_of == Some(key.env))
            })
    }

    /// The text of a plain setting (`None` when unset, or for a secret one).
    pub fn get(&self, key: impl ConfigKey) -> Option<&str> {
        match &self.value(key.setting())?.text {
            Text::Plain(t) => Some(t),
            Text::Secret(_) => None,
        }
    }

    /// The value of a secret setting.
    pub fn secret(&self, key: impl ConfigKey) -> Option<&SecretString> {
        match &self.value(key.setting())?.text {
            Text::Secret(s) => Some(s),
            Text::Plain(_) => None,
        }
    }

    /// [`Settings::get`], an error naming the setting (and its alternatives) when unset.
    pub fn require(&self, key: impl ConfigKey) -> Result<&str> {
        self.get(key).ok_or_else(|| self.not_set(key.setting()))
    }

    /// [`Settings::secret`], an error naming the setting (and its alternatives) when unset.
    pub fn require_secret(&self, key: impl ConfigKey) -> Result<SecretString> {
        self.secret(key)
            .cloned()
            .ok_or_else(|| self.not_set(key.setting()))
    }

    fn not_set(&self, setting: &Setting) -> Error {
        Error::Config(format!(
            "{} is not set",
            display_with_alternatives(self.settings, setting)
        ))
    }

    /// How the user named `key`: the name they wrote, or its environment variable when it
    /// is unset.
    pub fn name(&self, key: impl ConfigKey) -> &str {
        let setting = key.setting();
        self.value(setting)
            .map_or(setting.env, |v| v.written.as_str())
    }

    /// A configuration error about `key`: `"{name}: {reason}"`.
    pub fn error(&self, key: impl ConfigKey, reason: impl fmt::Display) -> Error {
        Error::Config(format!("{}: {reason}", self.name(key)))
    }

    /// Parses a plain setting; an error says it `must be {what}` and shows the value.
    pub fn parse<T: std::str::FromStr>(
        &self,
        key: impl ConfigKey,
        what: &str,
    ) -> Result<Option<T>> {
        self.get(key)
            .map(|t| {
                t.parse()
                    .map_err(|_| Error::Config(format!("{} must be {what}: {t:?}", self.name(key))))
            })
            .transpose()
    }

    /// A comma-separated list setting, its items trimmed, blank ones dropped.
    pub fn list(&self, key: impl ConfigKey) -> Vec<String> {
        self.get(key)
            .map(|t| {
                t.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A base-URL setting, checked by [`validate_base_url`] (https; http to loopback only);
    /// `default` when unset.
    pub fn base_url(&self, key: impl ConfigKey, default: &str) -> Result<Url> {
        match self.get(key) {
            Some(url) => validate_base_url(url, self.name(key)),
            None => validate_base_url(default, "the default base URL"),
        }
    }

    /// The required settings without a value, each with its alternatives (`A (or B)`).
    pub fn missing(&self) -> Vec<String> {
        self.settings
            .iter()
            .filter(|s| s.required && self.value(s).is_none())
            .map(|s| display_with_alternatives(self.settings, s))
            .collect()
    }

    /// Whether any required setting has a value.
    pub fn any_required(&self) -> bool {
        self.settings
            .iter()
            .any(|s| s.required && self.value(s).is_some())
    }

    /// The secret values, for scrubbing output.
    pub fn secrets(&self) -> impl Iterator<Item = &SecretString> {
        self.values.iter().filter_map(|v| match &v.text {
            Text::Secret(s) => Some(s),
            Text::Plain(_) => None,
        })
    }
}

/// `ENV (or ALT)`: a setting with the other names that stand in for it.
fn display_with_alternatives(settings: &[Setting], setting: &Setting) -> String {
    let alts: Vec<&str> = settings
        .iter()
        .filter(|a| a.alternative_of == Some(setting.env))
        .map(|a| a.env)
        .collect();
    if alts.is_empty() {
        setting.env.to_owned()
    } else {
        format!("{} (or {})", setting.env, alts.join(" or "))
    }
}

/// A grant the vendor requires for every invitation that the configuration does not give:
/// which settings would.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MissingGrant {
    /// What is missing (`"flatfile requires an actor role to invite"`).
    pub reason: &'static str,
    /// The settings that would give it.
    pub settings: Vec<&'static Setting>,
}

impl MissingGrant {
    /// The vendor requires a grant for `reason`, which `settings` would give.
    pub fn new(reason: &'static str, settings: Vec<&'static Setting>) -> Self {
        Self { reason, settings }
    }
}

/// A provider built from its settings, with what an onboarding there needs to know.
#[non_exhaustive]
pub struct Built {
    /// The provider.
    pub provider: DynProvider,
    /// The grants the configuration gives invitations that carry none of their own
    /// (normalized); empty when it gives none.
    pub default_grants: Vec<Grant>,
    /// Set when the vendor requires a grant the configuration does not give.
    pub missing_grant: Option<MissingGrant>,
}

impl Built {
    /// A provider without default grants.
    pub fn new(provider: DynProvider) -> Self {
        Self {
            provider,
            default_grants: Vec::new(),
            missing_grant: None,
        }
    }
}

impl fmt::Debug for Built {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Built")
            .field("provider", &self.provider.to_string())
            .field("default_grants", &self.default_grants)
            .field("missing_grant", &self.missing_grant)
            .finish()
    }
}

/// A configuration read from [`Settings`], with the HTTP client options a front end gives
/// every provider. [`config_keys!`](crate::config_keys) implements it for the configuration
/// it names, from that type's `from_settings` and `client_options`.
pub trait AdapterSettings: Sized {
    /// The settings it is read from, in the order help lists them.
    const SETTINGS: &'static [Setting];
    /// Reads it from `settings`, its HTTP client to use `options`.
    fn read(settings: &Settings, options: &ClientOptions) -> Result<Self>;
}

/// One provider of the registry: its name, what it manages, its settings, and how to build
/// it from them. Each adapter crate offers its entries; a front end lists them once.
#[derive(Clone, Copy)]
pub struct ProviderEntry {
    /// The name in reports, `--to` and config-file tables (`awork`).
    pub name: &'static str,
    /// What it manages, one line.
    pub about: &'static str,
    /// Its settings, in the order help lists them.
    pub settings: &'static [Setting],
    /// Builds the provider from its settings, its HTTP client with these options.
    pub build: fn(&Settings, &ClientOptions) -> Result<Built>,
}

impl fmt::Debug for ProviderEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderEntry")
            .field("name", &self.name)
            .field("settings", &self.settings.len())
            .finish_non_exhaustive()
    }
}

impl ProviderEntry {
    /// The entry of an adapter: its settings are its configuration's, it builds a
    /// [`Pipeline`] over `A`, and the adapter says which grants its configuration gives
    /// ([`Adapter::configured_grants`]) or lacks ([`Adapter::missing_grant`]).
    pub const fn adapter<A>(name: &'static str, about: &'static str) -> Self
    where
        A: Adapter,
        A::Config: AdapterSettings,
    {
        Self {
            name,
            about,
            settings: <A::Config as AdapterSettings>::SETTINGS,
            build: build_adapter::<A>,
        }
    }

    /// Its setting called `name` (environment variable or file key).
    pub fn setting(&self, name: &str) -> Option<&'static Setting> {
        self.settings.iter().find(|s| s.is_named(name))
    }

    /// Reads `pairs` as its settings ([`Settings::read`]).
    pub fn read(
        &self,
        pairs: impl IntoIterator<Item = (impl AsRef<str>, impl Into<String>)>,
    ) -> Result<Settings> {
        Settings::read(self.settings, pairs)
    }

    /// The required settings, each with its alternatives (`A (or B)`).
    pub fn required_names(&self) -> Vec<String> {
        self.settings
            .iter()
            .filter(|s| s.required)
            .map(|s| display_with_alternatives(self.settings, s))
            .collect()
    }
}

fn build_adapter<A>(settings: &Settings, options: &ClientOptions) -> Result<Built>
where
    A: Adapter,
    A::Config: AdapterSettings,
{
    let adapter = Pipeline::<A>::from_config(A::Config::read(settings, options)?)?;
    Ok(Built {
        default_grants: adapter.configured_grants(),
        missing_grant: adapter.missing_grant(),
        provider: Arc::new(adapter),
    })
}

#[cfg(test)]
mod tests;
