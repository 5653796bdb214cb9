//! Provider configuration: the registry of providers the CLI knows, where their settings come
//! from (environment variables, or a TOML file given with `--config`), and which providers a
//! run uses.
//!
//! Every provider, its settings, their environment variables and config-file keys come from
//! the adapters' registry entries ([`PROVIDERS`], one line per adapter): help, the config
//! file and the environment read that list and restate none of it.
//!
//! # Environment
//!
//! Every provider reads its adapter's own variables (see `invite --help`). A provider whose
//! required variables are all absent is not used; one whose required variables are partly
//! set is not used either, with a note on stderr naming what is missing. Naming an
//! unconfigured provider in `--to` is an error that names the variables to set.
//!
//! # The `--config` file
//!
//! A TOML document with one table per provider, named as in `--to`. Its keys are the
//! settings' config-file keys (`api_key`, `workspace_role`; see `invite --help`; the
//! environment variable's name is accepted too). With `--config`, only the providers that
//! have a table are used; a setting missing from a table is read from its environment
//! variable, so secrets can stay in the environment. Lists (`access_groups`, `team_ids`,
//! `site_grants`) may be TOML arrays or comma-separated strings; `site_grants` may also be an
//! inline table `{ SITE_ID = "ROLE" }`. One top-level key is not a provider: `redis_url`,
//! the Redis several workers share (see [`crate::coord`]; `--redis` overrides it, and it
//! overrides `INVITE_REDIS_URL`).
//!
//! ```toml
//! redis_url = "redis://:password@redis.internal:6379/0"
//!
//! [flatfile]
//! # api_key comes from FLATFILE_API_KEY
//! role_id = "us_rol_member"
//! account_id = "us_acc_main"
//!
//! [awork]
//! api_token = "…"
//! workspace_id = "123e4567-e89b-12d3-a456-426614174000"
//!
//! [webflow-workspace]
//! workspace_id = "65f0c8c9e1c9d440000e8d8c"
//! workspace_role = "member"
//! default_site_role = "designer"
//! ```

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use invite_core::http::ClientOptions;
use invite_core::registry::{ProviderEntry, Settings};
use invite_core::{DynProvider, ExposeSecret, Grant};
use invite_webflow::WebflowWorkspaceConfigKey;

use crate::CliError;

/// Every provider the CLI knows, in the order reports list them: one line per adapter.
pub const PROVIDERS: &[ProviderEntry] = &[
    invite_webflow::SITE_ENTRY,
    invite_webflow::WORKSPACE_ENTRY,
    invite_scim::WEBFLOW_ENTRY,
    invite_flatfile::ENTRY,
    invite_awork::ENTRY,
    invite_scim::ENTRY,
];

/// The command-line flags that stand for a provider's settings in one run:
/// `webflow-workspace`'s onboarding defaults.
pub const SETTING_FLAGS: &[(WebflowWorkspaceConfigKey, &str)] = &[
    (WebflowWorkspaceConfigKey::WorkspaceRole, "--workspace-role"),
    (
        WebflowWorkspaceConfigKey::DefaultSiteRole,
        "--default-site-role",
    ),
    (WebflowWorkspaceConfigKey::SiteGrants, "--site"),
];

/// A built provider and what an onboarding there still needs.
pub struct Built {
    /// The provider.
    pub provider: DynProvider,
    /// Set when the configuration gives no grant the vendor requires for an invitation:
    /// the message says what to set.
    pub missing_grant: Option<String>,
    /// `webflow-workspace`: the configured default workspace role (`WEBFLOW_WORKSPACE_ROLE`).
    pub workspace_role_fallback: Option<String>,
    /// The configured default grants (`webflow-workspace`: `WEBFLOW_WORKSPACE_ROLE`,
    /// `WEBFLOW_DEFAULT_SITE_ROLE`, `WEBFLOW_SITE_GRANTS`), normalized; empty elsewhere.
    pub default_grants: Vec<Grant>,
}

impl Built {
    fn new(
        entry: &ProviderEntry,
        settings: &Settings,
        built: invite_core::registry::Built,
    ) -> Self {
        let missing_grant = built.missing_grant.map(|m| {
            let envs: Vec<&str> = m.settings.iter().map(|s| s.env).collect();
            let keys: Vec<&str> = m.settings.iter().map(|s| s.file_key).collect();
            let flags: Vec<&str> = SETTING_FLAGS
                .iter()
                .filter(|(k, _)| m.settings.contains(&invite_core::ConfigKey::setting(*k)))
                .map(|(_, f)| *f)
                .collect();
            let mut msg = format!(
                "{}: set {}, or {} in the [{}] table of --config",
                m.reason,
                envs.join(", "),
                keys.join(", "),
                entry.name
            );
            if !flags.is_empty() {
                msg.push_str(&format!(", or pass {}", flags.join(" / ")));
            }
            msg
        });
        Self {
            provider: built.provider,
            missing_grant,
            // Only webflow-workspace has this setting; elsewhere it is unset.
            workspace_role_fallback: settings
                .get(WebflowWorkspaceConfigKey::WorkspaceRole)
                .map(str::to_owned),
            default_grants: built.default_grants,
        }
    }
}

/// The provider called `name`.
pub fn provider_def(name: &str) -> Option<&'static ProviderEntry> {
    PROVIDERS.iter().find(|d| d.name == name)
}

/// The providers' names, for `--to`'s help.
pub fn to_help() -> String {
    format!(
        "Only these providers (comma-separated): {}. Default: every configured provider",
        names().join(", ")
    )
}

/// The registry as help text: every provider with its settings.
pub fn providers_help() -> String {
    help_for(PROVIDERS)
}

/// Help text for these providers: every setting's environment variable and config-file key.
pub fn help_for(providers: &[ProviderEntry]) -> String {
    let mut out =
        String::from("Providers and their settings (environment variable / config-file key):\n");
    for d in providers {
        out.push_str(&format!("\n  {}: {}\n", d.name, d.about));
        for v in d.settings {
            out.push_str(&format!(
                "    {:<31} {:<22} {}: {}\n",
                v.env,
                v.file_key,
                v.kind(),
                v.help
            ));
        }
    }
    out
}

/// Where settings come from: the environment and, with `--config`, a TOML file.
#[derive(Clone)]
pub struct ConfigSource {
    env: HashMap<String, String>,
    file: Option<FileConfig>,
    providers: &'static [ProviderEntry],
}

impl Default for ConfigSource {
    fn default() -> Self {
        Self::from_env_map(HashMap::new())
    }
}

impl std::fmt::Debug for ConfigSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfigSource")
            .field("file", &self.file.as_ref().map(|c| &c.path))
            .finish_non_exhaustive()
    }
}

#[derive(Clone)]
struct FileConfig {
    path: PathBuf,
    /// Each provider's table, read as its settings.
    tables: BTreeMap<String, Settings>,
    /// The top-level `redis_url`.
    redis_url: Option<String>,
}

/// The environment variable naming the Redis that coordinates several workers.
pub const REDIS_URL_ENV: &str = "INVITE_REDIS_URL";
/// The top-level key of the config file naming that Redis.
pub const REDIS_URL_KEY: &str = "redis_url";

impl ConfigSource {
    /// Settings from these environment variables only.
    pub fn from_env_map(env: HashMap<String, String>) -> Self {
        Self {
            env,
            file: None,
            providers: PROVIDERS,
        }
    }

    /// Uses these providers instead of [`PROVIDERS`] (before [`ConfigSource::with_file_text`],
    /// which checks tables against them).
    pub fn with_providers(mut self, providers: &'static [ProviderEntry]) -> Self {
        self.providers = providers;
        self
    }

    /// The providers this source knows.
    pub fn providers(&self) -> &'static [ProviderEntry] {
        self.providers
    }

    /// Settings from the process environment and, if given, the config file.
    pub fn load(config: Option<&Path>) -> Result<Self, CliError> {
        let env: HashMap<String, String> = std::env::vars().collect();
        let mut source = Self::from_env_map(env);
        if let Some(path) = config {
            let text = std::fs::read_to_string(path).map_err(|e| {
                CliError::Usage(format!("--config {}: cannot read it: {e}", path.display()))
            })?;
            source = source.with_file_text(path, &text)?;
        }
        Ok(source)
    }

    /// Adds a config file's contents (TOML, see the module docs).
    pub fn with_file_text(mut self, path: &Path, text: &str) -> Result<Self, CliError> {
        let shown = path.display();
        let doc: toml::Table = toml::from_str(text)
            .map_err(|e| CliError::Usage(format!("--config {shown}: not valid TOML: {e}")))?;
        let mut tables = BTreeMap::new();
        let mut redis_url = None;
        for (name, value) in doc {
            if name == REDIS_URL_KEY {
                let toml::Value::String(url) = value else {
                    return Err(CliError::Usage(format!(
                        "--config {shown}: `{REDIS_URL_KEY}` must be a string (redis://[:password@]host:port[/db])"
                    )));
                };
                redis_url = Some(url.trim().to_owned()).filter(|u| !u.is_empty());
                continue;
            }
            let def = self.entry(&name).ok_or_else(|| {
                CliError::Usage(format!(
                    "--config {shown}: unknown provider table [{name}]; known: {} (and the top-level key {REDIS_URL_KEY})",
                    self.names().join(", ")
                ))
            })?;
            let toml::Value::Table(table) = value else {
                return Err(CliError::Usage(format!(
                    "--config {shown}: `{name}` must be a table ([{name}])"
                )));
            };
            let mut pairs = Vec::with_capacity(table.len());
            for (key, value) in table {
                let text = setting_text(&value).ok_or_else(|| {
                    CliError::Usage(format!(
                        "--config {shown}: [{name}] {key}: expected a string, number, boolean, list or (site_grants) table"
                    ))
                })?;
                pairs.push((key, text));
            }
            let settings = def.read(pairs).map_err(|e| {
                CliError::Usage(format!("--config {shown}: [{name}] {}", config_message(&e)))
            })?;
            tables.insert(name, settings);
        }
        self.file = Some(FileConfig {
            path: path.to_path_buf(),
            tables,
            redis_url,
        });
        Ok(self)
    }

    /// The Redis that coordinates workers: `flag` (`--redis`), else the config file's
    /// `redis_url`, else `INVITE_REDIS_URL`; `None` when none is set (blank counts as unset).
    pub fn redis_url(&self, flag: Option<&str>) -> Option<String> {
        flag.map(|f| f.trim().to_owned())
            .filter(|u| !u.is_empty())
            .or_else(|| self.file.as_ref().and_then(|f| f.redis_url.clone()))
            .or_else(|| {
                self.env
                    .get(REDIS_URL_ENV)
                    .map(|u| u.trim().to_owned())
                    .filter(|u| !u.is_empty())
            })
    }

    /// Whether a config file is in use.
    pub fn has_file(&self) -> bool {
        self.file.is_some()
    }

    fn entry(&self, name: &str) -> Option<&'static ProviderEntry> {
        self.providers.iter().find(|d| d.name == name)
    }

    fn names(&self) -> Vec<&'static str> {
        self.providers.iter().map(|d| d.name).collect()
    }

    /// The settings of `def` in the environment.
    fn env_settings(&self, def: &ProviderEntry) -> Result<Settings, CliError> {
        def.read(
            def.settings
                .iter()
                .filter_map(|s| self.env.get(s.env).map(|v| (s.env, v.as_str()))),
        )
        .map_err(|e| CliError::Usage(format!("{}: {}", def.name, config_message(&e))))
    }

    /// The settings of `def`, each read once: the file's table first (with `--config`),
    /// then the environment. `None` when the file has no table for `def`.
    fn settings(&self, def: &ProviderEntry) -> Result<Option<Settings>, CliError> {
        let env = self.env_settings(def)?;
        Ok(match &self.file {
            None => Some(env),
            Some(f) => f.tables.get(def.name).map(|t| t.clone().or(env)),
        })
    }

    /// The settings of the provider called `name` (the file's table over the environment),
    /// `None` when it is unknown or, with `--config`, has no table.
    pub fn settings_of(&self, name: &str) -> Result<Option<Settings>, CliError> {
        match self.entry(name) {
            Some(def) => self.settings(def),
            None => Ok(None),
        }
    }

    /// Every secret value any provider could use (from the environment, and the file), for
    /// scrubbing output.
    pub fn secrets(&self) -> Vec<String> {
        let mut out = Vec::new();
        for d in self.providers {
            let env = self.env_settings(d).ok();
            let file = self.file.as_ref().and_then(|f| f.tables.get(d.name));
            for s in env.iter().chain(file) {
                out.extend(s.secrets().map(|x| x.expose_secret().to_owned()));
            }
        }
        // The password of a Redis URL from the file or the environment (`--redis` adds its own).
        let urls = [
            self.env.get(REDIS_URL_ENV).cloned(),
            self.file.as_ref().and_then(|f| f.redis_url.clone()),
        ];
        out.extend(urls.iter().flatten().filter_map(|u| url_password(u)));
        out.retain(|s| !s.is_empty());
        out.sort();
        out.dedup();
        out
    }

    /// Builds the providers a run uses: those named in `to` (every configured one when `to`
    /// is empty), with default client options. Notes for stderr come back with them.
    pub fn select(&self, to: &[String]) -> Result<Selection, CliError> {
        self.select_with(to, &ClientOptions::default())
    }

    /// [`ConfigSource::select`], every provider's HTTP client built with `options` (e.g.
    /// the shared rate limiter of a coordinated run).
    pub fn select_with(
        &self,
        to: &[String],
        options: &ClientOptions,
    ) -> Result<Selection, CliError> {
        let mut wanted: Vec<&'static ProviderEntry> = Vec::new();
        for name in to {
            let name = name.trim();
            if name.is_empty() {
                continue;
            }
            let def = self.entry(name).ok_or_else(|| {
                CliError::Usage(format!(
                    "--to: unknown provider `{name}`; known: {}",
                    self.names().join(", ")
                ))
            })?;
            if !wanted.iter().any(|d| d.name == def.name) {
                wanted.push(def);
            }
        }
        let explicit = !wanted.is_empty();
        if !explicit {
            wanted = self.providers.iter().collect();
        }
        let mut selection = Selection::default();
        for def in wanted {
            let Some(settings) = self.settings(def)? else {
                if explicit {
                    return Err(CliError::Usage(format!(
                        "--to {}: the config file {} has no [{}] table",
                        def.name,
                        self.file_path(),
                        def.name
                    )));
                }
                continue;
            };
            let missing = settings.missing();
            if !missing.is_empty() {
                if explicit {
                    return Err(CliError::Usage(format!(
                        "{} is not configured: set {}",
                        def.name,
                        missing.join(", ")
                    )));
                }
                if settings.any_required() {
                    selection.notes.push(format!(
                        "note: {} is not used: set {}",
                        def.name,
                        missing.join(", ")
                    ));
                }
                continue;
            }
            let built = (def.build)(&settings, options)
                .map_err(|e| CliError::Usage(format!("{}: {}", def.name, config_message(&e))))?;
            selection
                .providers
                .push((def, Built::new(def, &settings, built)));
        }
        if selection.providers.is_empty() {
            let mut msg =
                String::from("no provider is configured; set the variables of at least one:");
            for d in self.providers {
                msg.push_str(&format!(
                    "\n  {}: {}",
                    d.name,
                    d.required_names().join(", ")
                ));
            }
            msg.push_str("\n(or pass --config FILE; see `invite --help`)");
            return Err(CliError::Usage(msg));
        }
        Ok(selection)
    }

    fn file_path(&self) -> String {
        self.file
            .as_ref()
            .map(|f| f.path.display().to_string())
            .unwrap_or_default()
    }
}

/// The providers of a run.
#[derive(Default)]
pub struct Selection {
    /// Each provider with its registry entry, in order.
    pub providers: Vec<(&'static ProviderEntry, Built)>,
    /// Notes for stderr (providers left out, and why).
    pub notes: Vec<String>,
}

/// The names of every known provider.
pub fn names() -> Vec<&'static str> {
    PROVIDERS.iter().map(|d| d.name).collect()
}

fn config_message(e: &invite_core::Error) -> String {
    match e {
        invite_core::Error::Config(m) => m.clone(),
        other => other.to_string(),
    }
}

/// The password of a `scheme://[user]:password@host…` URL as written, so that output can be
/// scrubbed of it.
pub fn url_password(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let (userinfo, _) = authority.rsplit_once('@')?;
    let (_, password) = userinfo.split_once(':')?;
    (!password.is_empty()).then(|| password.to_owned())
}

fn setting_text(value: &toml::Value) -> Option<String> {
    match value {
        toml::Value::String(s) => Some(s.clone()),
        toml::Value::Integer(i) => Some(i.to_string()),
        toml::Value::Boolean(b) => Some(b.to_string()),
        toml::Value::Array(items) => {
            let parts: Option<Vec<String>> = items
                .iter()
                .map(|v| match v {
                    toml::Value::String(s) => Some(s.clone()),
                    toml::Value::Integer(i) => Some(i.to_string()),
                    _ => None,
                })
                .collect();
            parts.map(|p| p.join(","))
        }
        toml::Value::Table(t) => {
            let parts: Option<Vec<String>> = t
                .iter()
                .map(|(k, v)| match v {
                    toml::Value::String(s) => Some(format!("{k}={s}")),
                    _ => None,
                })
                .collect();
            parts.map(|p| p.join(","))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests;
