//! Provider configuration: the registry of providers the CLI knows, where their settings come
//! from (environment variables, or a TOML file given with `--config`), and which providers a
//! run uses.
//!
//! # Environment
//!
//! Every provider reads its adapter's own variables (see [`registry`] and `invite --help`).
//! A provider whose required variables are all absent is not used; one whose required
//! variables are partly set is not used either, with a note on stderr naming what is
//! missing. Naming an unconfigured provider in `--to` is an error that names the variables
//! to set.
//!
//! # The `--config` file
//!
//! A TOML document with one table per provider, named as in `--to`. Each key is the
//! provider's environment variable without its vendor prefix, in lower case
//! (`FLATFILE_API_KEY` → `api_key`, `WEBFLOW_WORKSPACE_ROLE` → `workspace_role`). With
//! `--config`, only the providers that have a table are used; a setting missing from a table
//! is read from its environment variable, so secrets can stay in the environment. Lists
//! (`access_groups`, `team_ids`, `site_grants`) may be TOML arrays or comma-separated
//! strings; `site_grants` may also be an inline table `{ SITE_ID = "ROLE" }`. One top-level
//! key is not a provider: `redis_url`, the Redis several workers share (see
//! [`crate::coord`]; `--redis` overrides it, and it overrides `INVITE_REDIS_URL`).
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
use std::sync::Arc;

use invite_awork::{AworkConfig, AworkProvider, AworkToken};
use invite_core::DynProvider;
use invite_core::http::ClientOptions;
use invite_flatfile::{FlatfileConfig, FlatfileProvider, FlatfileToken};
use invite_scim::{ScimConfig, ScimProvider, ScimToken, WebflowScimConfig};
use invite_webflow::{
    SiteToken, WebflowSiteConfig, WebflowSiteUsers, WebflowWorkspace, WebflowWorkspaceConfig,
};

use crate::CliError;

/// Reads one setting by its environment variable name.
pub type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// One setting of a provider.
#[derive(Clone, Copy, Debug)]
pub struct Var {
    /// The environment variable.
    pub name: &'static str,
    /// Whether the provider cannot work without it (or its alternative).
    pub required: bool,
    /// For an alternative spelling: the variable it stands in for.
    pub alternative_of: Option<&'static str>,
    /// A secret: never printed, and scrubbed from every output.
    pub secret: bool,
    /// What it is.
    pub help: &'static str,
}

const fn req(name: &'static str, secret: bool, help: &'static str) -> Var {
    Var {
        name,
        required: true,
        alternative_of: None,
        secret,
        help,
    }
}

const fn opt(name: &'static str, help: &'static str) -> Var {
    Var {
        name,
        required: false,
        alternative_of: None,
        secret: false,
        help,
    }
}

const fn alt(name: &'static str, of: &'static str, secret: bool, help: &'static str) -> Var {
    Var {
        name,
        required: false,
        alternative_of: Some(of),
        secret,
        help,
    }
}

/// A built provider and what an onboarding there still needs.
pub struct Built {
    /// The provider.
    pub provider: DynProvider,
    /// Set when the configuration gives no grant the vendor requires for an invitation:
    /// the message says what to set.
    pub missing_grant: Option<String>,
    /// `webflow-workspace`: the configured default workspace role (`WEBFLOW_WORKSPACE_ROLE`).
    pub workspace_role_fallback: Option<String>,
    /// `webflow-workspace`: the configured default grants (`WEBFLOW_WORKSPACE_ROLE`,
    /// `WEBFLOW_DEFAULT_SITE_ROLE`, `WEBFLOW_SITE_GRANTS`), normalized; empty elsewhere.
    pub default_grants: Vec<invite_core::Grant>,
}

impl Built {
    fn new(provider: DynProvider) -> Self {
        Self {
            provider,
            missing_grant: None,
            workspace_role_fallback: None,
            default_grants: Vec::new(),
        }
    }
}

/// A provider the CLI knows.
pub struct ProviderDef {
    /// The name in `--to`, reports and the config file.
    pub name: &'static str,
    /// What it manages.
    pub about: &'static str,
    /// The prefix stripped from variable names to give config-file keys.
    pub prefix: &'static str,
    /// Its settings.
    pub vars: &'static [Var],
    /// Builds the provider from settings, its HTTP client with these options (the shared
    /// rate limiter of a run coordinated through Redis, for one).
    pub build: fn(Lookup<'_>, &ClientOptions) -> invite_core::Result<Built>,
}

impl std::fmt::Debug for ProviderDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderDef")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl ProviderDef {
    /// The config-file key of a variable (`FLATFILE_API_KEY` → `api_key`).
    pub fn key(&self, var: &str) -> String {
        var.strip_prefix(self.prefix).unwrap_or(var).to_lowercase()
    }

    /// The required variables, each with its alternatives (`A (or B)`).
    pub fn required_names(&self) -> Vec<String> {
        self.vars
            .iter()
            .filter(|v| v.required)
            .map(|v| {
                let alts: Vec<&str> = self
                    .vars
                    .iter()
                    .filter(|a| a.alternative_of == Some(v.name))
                    .map(|a| a.name)
                    .collect();
                if alts.is_empty() {
                    v.name.to_owned()
                } else {
                    format!("{} (or {})", v.name, alts.join(" or "))
                }
            })
            .collect()
    }

    /// Which required settings `lookup` lacks (by display name), and whether any is set.
    fn missing(&self, lookup: Lookup<'_>) -> (Vec<String>, bool) {
        let mut missing = Vec::new();
        let mut any = false;
        for v in self.vars.iter().filter(|v| v.required) {
            let present = lookup(v.name).is_some()
                || self
                    .vars
                    .iter()
                    .any(|a| a.alternative_of == Some(v.name) && lookup(a.name).is_some());
            if present {
                any = true;
            } else {
                let alts: Vec<&str> = self
                    .vars
                    .iter()
                    .filter(|a| a.alternative_of == Some(v.name))
                    .map(|a| a.name)
                    .collect();
                missing.push(if alts.is_empty() {
                    v.name.to_owned()
                } else {
                    format!("{} (or {})", v.name, alts.join(" or "))
                });
            }
        }
        (missing, any)
    }
}

const WEBFLOW_SITE_VARS: &[Var] = &[
    req(
        "WEBFLOW_API_TOKEN",
        true,
        "site API token or OAuth token (users:read, users:write)",
    ),
    req("WEBFLOW_SITE_ID", false, "the site whose users are managed"),
    opt(
        "WEBFLOW_API_BASE_URL",
        "default https://api.webflow.com/v2 (http only to loopback)",
    ),
    opt(
        "WEBFLOW_RATE_LIMIT_PER_MINUTE",
        "cap on requests per minute; unset, the site's X-RateLimit headers set the pace (60 while it sends none)",
    ),
    opt(
        "WEBFLOW_ACCESS_GROUPS",
        "comma-separated access-group slugs given to invitees",
    ),
];

const WEBFLOW_WORKSPACE_VARS: &[Var] = &[
    req(
        "WEBFLOW_WORKSPACE_TOKEN",
        true,
        "workspace token (workspace_members:read/write, site_access:read/write)",
    ),
    req("WEBFLOW_WORKSPACE_ID", false, "the Enterprise workspace id"),
    opt("WEBFLOW_API_BASE_URL", "default https://api.webflow.com/v2"),
    opt(
        "WEBFLOW_RATE_LIMIT_PER_MINUTE",
        "request budget of the token",
    ),
    opt(
        "WEBFLOW_WORKSPACE_ROLE",
        "default workspace role of invites: admin, member, reviewer, client",
    ),
    opt(
        "WEBFLOW_DEFAULT_SITE_ROLE",
        "default site role paired with it: site_manager, designer, marketer, content_editor, reviewer, custom",
    ),
    opt(
        "WEBFLOW_DEFAULT_SITE_ROLE_ID",
        "the custom site role id (with `custom`)",
    ),
    opt(
        "WEBFLOW_SITE_GRANTS",
        "SITE_ID=ROLE,...: invite to these sites instead of all; with WEBFLOW_DEFAULT_SITE_ROLE, other roles are granted after acceptance",
    ),
];

const FLATFILE_VARS: &[Var] = &[
    req("FLATFILE_API_KEY", true, "secret API key"),
    alt(
        "FLATFILE_BEARER_TOKEN",
        "FLATFILE_API_KEY",
        true,
        "the official SDK's name for the API key",
    ),
    opt(
        "FLATFILE_API_URL",
        "API root without /v1 (default https://api.x.flatfile.com)",
    ),
    opt(
        "FLATFILE_ROLE_ID",
        "actor role (us_rol_…) given to invitees; Flatfile requires one",
    ),
    opt(
        "FLATFILE_ACCOUNT_ID",
        "the account (us_acc_…) the role binds to",
    ),
    alt(
        "FLATFILE_RESOURCE_ID",
        "FLATFILE_ACCOUNT_ID",
        false,
        "instead of the account: an environment or space the role binds to",
    ),
];

const AWORK_VARS: &[Var] = &[
    req("AWORK_API_TOKEN", true, "API key or OAuth access token"),
    req(
        "AWORK_WORKSPACE_ID",
        false,
        "the workspace (UUID; without it awork would create a new workspace per invite)",
    ),
    opt("AWORK_API_BASE_URL", "default https://api.awork.com/api/v1"),
    opt("AWORK_ROLE_ID", "role (UUID) given to invitees"),
    opt(
        "AWORK_TEAM_IDS",
        "comma-separated team UUIDs given to invitees",
    ),
];

const WEBFLOW_SCIM_VARS: &[Var] = &[
    req(
        "WEBFLOW_SCIM_TOKEN",
        true,
        "Webflow SCIM token (workspace collaborators)",
    ),
    opt(
        "WEBFLOW_SCIM_BASE_URL",
        "default https://api.webflow.com/scim/v2",
    ),
];

const SCIM_VARS: &[Var] = &[
    req(
        "SCIM_BASE_URL",
        false,
        "the SCIM 2.0 service provider's base URL (https; http only to loopback)",
    ),
    req("SCIM_TOKEN", true, "its bearer token"),
];

// Each adapter reads and checks its settings in `from_lookup`; where that returns a finished
// configuration without a way to set client options, the checked values are fed back through
// the adapter's builder together with `options` (the token is read again: configurations
// never hand it out).

/// A secret setting read again for the builder (the adapter checked it is present).
fn secret(l: Lookup<'_>, names: &[&str]) -> String {
    names
        .iter()
        .find_map(|n| l(n).filter(|v| !v.trim().is_empty()))
        .map(|v| v.trim().to_owned())
        .unwrap_or_default()
}

fn build_webflow_scim(l: Lookup<'_>, options: &ClientOptions) -> invite_core::Result<Built> {
    let provider = WebflowScimConfig::from_lookup(l)?
        .options(options.clone())
        .build()?;
    Ok(Built::new(Arc::new(provider)))
}

fn build_scim(l: Lookup<'_>, options: &ClientOptions) -> invite_core::Result<Built> {
    let checked = ScimConfig::from_lookup(l)?;
    let config = ScimConfig::builder(
        checked.base_url().as_str(),
        ScimToken::new(secret(l, &["SCIM_TOKEN"])),
    )
    .options(options.clone())
    .build()?;
    Ok(Built::new(Arc::new(ScimProvider::new(config)?)))
}

fn build_webflow_site(l: Lookup<'_>, options: &ClientOptions) -> invite_core::Result<Built> {
    let checked = WebflowSiteConfig::from_lookup(l)?;
    let mut builder = WebflowSiteConfig::builder(
        checked.site_id(),
        SiteToken::new(secret(l, &["WEBFLOW_API_TOKEN"])),
    )
    .base_url(checked.base_url().as_str())
    .default_access_groups(checked.default_access_groups().iter().cloned())
    .client_options(options.clone());
    if let Some(cap) = checked.configured_rate_limit_per_minute() {
        builder = builder.rate_limit_per_minute(cap);
    }
    let config = builder.build()?;
    Ok(Built::new(Arc::new(WebflowSiteUsers::new(config)?)))
}

fn build_webflow_workspace(l: Lookup<'_>, options: &ClientOptions) -> invite_core::Result<Built> {
    let config = WebflowWorkspaceConfig::from_lookup(l)?.client_options(options.clone());
    let role = config.invite_defaults().workspace_role.clone();
    let default_grants = config.invite_defaults().grants();
    let provider = WebflowWorkspace::new(config)?;
    Ok(Built {
        provider: Arc::new(provider),
        missing_grant: role.is_none().then(|| {
            "webflow-workspace needs a workspace role to invite: set WEBFLOW_WORKSPACE_ROLE (with WEBFLOW_DEFAULT_SITE_ROLE, or WEBFLOW_SITE_GRANTS), or pass --workspace-role with --default-site-role or --site SITE_ID=ROLE".to_owned()
        }),
        workspace_role_fallback: role,
        default_grants,
    })
}

fn build_flatfile(l: Lookup<'_>, options: &ClientOptions) -> invite_core::Result<Built> {
    let checked = FlatfileConfig::from_lookup(l)?;
    let mut builder = FlatfileConfig::builder(FlatfileToken::new(secret(
        l,
        &["FLATFILE_API_KEY", "FLATFILE_BEARER_TOKEN"],
    )))
    .api_url(checked.base_url().as_str())
    .disable_hooks(checked.disable_hooks())
    .client_options(options.clone());
    if let Some(role) = checked.default_role() {
        builder = builder.default_actor_role(role.role_id.clone(), role.resource_id.clone());
    }
    let config = builder.build()?;
    let has_role = config.default_role().is_some();
    let mut built = Built::new(Arc::new(FlatfileProvider::new(config)?));
    if !has_role {
        built.missing_grant = Some(
            "flatfile requires an actor role to invite: set FLATFILE_ROLE_ID (us_rol_…) and FLATFILE_ACCOUNT_ID (us_acc_…, or FLATFILE_RESOURCE_ID), or `role_id` and `account_id` in the [flatfile] table of --config".to_owned(),
        );
    }
    Ok(built)
}

fn build_awork(l: Lookup<'_>, options: &ClientOptions) -> invite_core::Result<Built> {
    let checked = AworkConfig::from_lookup(l)?;
    let mut builder = AworkConfig::builder(
        AworkToken::new(secret(l, &["AWORK_API_TOKEN"])),
        checked.workspace_id(),
    )
    .base_url(checked.base_url().as_str())
    .default_team_ids(checked.default_team_ids().iter().cloned())
    .options(options.clone());
    if let Some(role) = checked.default_role_id() {
        builder = builder.default_role_id(role);
    }
    Ok(Built::new(Arc::new(AworkProvider::new(builder.build()?)?)))
}

/// Every provider the CLI knows, in the order reports list them.
pub fn registry() -> &'static [ProviderDef] {
    const REGISTRY: &[ProviderDef] = &[
        ProviderDef {
            name: "webflow-site",
            about: "Webflow site users (Data API v2 User Accounts)",
            prefix: "WEBFLOW_",
            vars: WEBFLOW_SITE_VARS,
            build: build_webflow_site,
        },
        ProviderDef {
            name: "webflow-workspace",
            about: "Webflow Enterprise workspace members and site access",
            prefix: "WEBFLOW_",
            vars: WEBFLOW_WORKSPACE_VARS,
            build: build_webflow_workspace,
        },
        ProviderDef {
            name: "webflow-scim",
            about: "Webflow workspace collaborators through SCIM 2.0 (deprovisioning does not remove site users)",
            prefix: "WEBFLOW_",
            vars: WEBFLOW_SCIM_VARS,
            build: build_webflow_scim,
        },
        ProviderDef {
            name: "flatfile",
            about: "Flatfile users and actor roles",
            prefix: "FLATFILE_",
            vars: FLATFILE_VARS,
            build: build_flatfile,
        },
        ProviderDef {
            name: "awork",
            about: "awork workspace users",
            prefix: "AWORK_",
            vars: AWORK_VARS,
            build: build_awork,
        },
        ProviderDef {
            name: "scim",
            about: "any SCIM 2.0 service provider",
            prefix: "SCIM_",
            vars: SCIM_VARS,
            build: build_scim,
        },
    ];
    REGISTRY
}

/// The provider called `name`.
pub fn provider_def(name: &str) -> Option<&'static ProviderDef> {
    registry().iter().find(|d| d.name == name)
}

/// The registry as help text: every provider with its variables.
pub fn providers_help() -> String {
    let mut out =
        String::from("Providers and their settings (environment variable / config-file key):\n");
    for d in registry() {
        out.push_str(&format!("\n  {}: {}\n", d.name, d.about));
        for v in d.vars {
            let mark = if v.required {
                "required"
            } else if v.alternative_of.is_some() {
                "alternative"
            } else {
                "optional"
            };
            out.push_str(&format!(
                "    {:<31} {:<22} {mark}: {}\n",
                v.name,
                d.key(v.name),
                v.help
            ));
        }
    }
    out
}

/// Where settings come from: the environment and, with `--config`, a TOML file.
#[derive(Clone, Default)]
pub struct ConfigSource {
    env: HashMap<String, String>,
    file: Option<FileConfig>,
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
    tables: BTreeMap<String, BTreeMap<String, String>>,
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
        Self { env, file: None }
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
            let def = provider_def(&name).ok_or_else(|| {
                CliError::Usage(format!(
                    "--config {shown}: unknown provider table [{name}]; known: {} (and the top-level key {REDIS_URL_KEY})",
                    names().join(", ")
                ))
            })?;
            let toml::Value::Table(table) = value else {
                return Err(CliError::Usage(format!(
                    "--config {shown}: `{name}` must be a table ([{name}])"
                )));
            };
            let mut settings = BTreeMap::new();
            for (key, value) in table {
                if !def.vars.iter().any(|v| def.key(v.name) == key) {
                    let keys: Vec<String> = def.vars.iter().map(|v| def.key(v.name)).collect();
                    return Err(CliError::Usage(format!(
                        "--config {shown}: [{name}] has no setting `{key}`; known: {}",
                        keys.join(", ")
                    )));
                }
                let text = setting_text(&value).ok_or_else(|| {
                    CliError::Usage(format!(
                        "--config {shown}: [{name}] {key}: expected a string, number, boolean, list or (site_grants) table"
                    ))
                })?;
                settings.insert(key, text);
            }
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

    /// One setting of `def` by variable name: the file's table first (with `--config`),
    /// then the environment. Blank values count as unset. `None` overall when the file has
    /// no table for `def`.
    fn value(&self, def: &ProviderDef, var: &str) -> Option<String> {
        let from_file = match &self.file {
            Some(f) => f.tables.get(def.name)?.get(&def.key(var)).cloned(),
            None => None,
        };
        from_file
            .or_else(|| self.env.get(var).cloned())
            .filter(|v| !v.trim().is_empty())
    }

    /// Whether `def` has a table in the config file (always true without a file).
    fn offered(&self, def: &ProviderDef) -> bool {
        match &self.file {
            Some(f) => f.tables.contains_key(def.name),
            None => true,
        }
    }

    /// Every secret value any provider could use, for scrubbing output.
    pub fn secrets(&self) -> Vec<String> {
        let mut out = Vec::new();
        for d in registry() {
            for v in d.vars.iter().filter(|v| v.secret) {
                if let Some(s) = self.env.get(v.name) {
                    out.push(s.trim().to_owned());
                }
                if let Some(f) = &self.file
                    && let Some(s) = f.tables.get(d.name).and_then(|t| t.get(&d.key(v.name)))
                {
                    out.push(s.trim().to_owned());
                }
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
        let mut wanted: Vec<&'static ProviderDef> = Vec::new();
        for name in to {
            let name = name.trim();
            if name.is_empty() {
                continue;
            }
            let def = provider_def(name).ok_or_else(|| {
                CliError::Usage(format!(
                    "--to: unknown provider `{name}`; known: {}",
                    names().join(", ")
                ))
            })?;
            if !wanted.iter().any(|d| d.name == def.name) {
                wanted.push(def);
            }
        }
        let explicit = !wanted.is_empty();
        if !explicit {
            wanted = registry().iter().collect();
        }
        let mut selection = Selection::default();
        for def in wanted {
            let lookup = |k: &str| self.value(def, k);
            if !self.offered(def) {
                if explicit {
                    return Err(CliError::Usage(format!(
                        "--to {}: the config file {} has no [{}] table",
                        def.name,
                        self.file_path(),
                        def.name
                    )));
                }
                continue;
            }
            let (missing, any) = def.missing(&lookup);
            if !missing.is_empty() {
                if explicit {
                    return Err(CliError::Usage(format!(
                        "{} is not configured: set {}",
                        def.name,
                        missing.join(", ")
                    )));
                }
                if any {
                    selection.notes.push(format!(
                        "note: {} is not used: set {}",
                        def.name,
                        missing.join(", ")
                    ));
                }
                continue;
            }
            let built = (def.build)(&lookup, options)
                .map_err(|e| CliError::Usage(format!("{}: {}", def.name, config_message(&e))))?;
            selection.providers.push((def, built));
        }
        if selection.providers.is_empty() {
            let mut msg =
                String::from("no provider is configured; set the variables of at least one:");
            for d in registry() {
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
    /// Each provider with its definition, in order.
    pub providers: Vec<(&'static ProviderDef, Built)>,
    /// Notes for stderr (providers left out, and why).
    pub notes: Vec<String>,
}

/// The names of every known provider.
pub fn names() -> Vec<&'static str> {
    registry().iter().map(|d| d.name).collect()
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
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> ConfigSource {
        ConfigSource::from_env_map(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    const AWORK_OK: &[(&str, &str)] = &[
        ("AWORK_API_TOKEN", "awk_secret_token_1"),
        ("AWORK_WORKSPACE_ID", "123e4567-e89b-12d3-a456-426614174000"),
        ("AWORK_API_BASE_URL", "http://127.0.0.1:9/api/v1"),
    ];

    #[test]
    fn unconfigured_providers_are_left_out_and_named_ones_are_errors() {
        let s = env(AWORK_OK);
        let sel = s.select(&[]).unwrap();
        let names: Vec<&str> = sel.providers.iter().map(|(d, _)| d.name).collect();
        assert_eq!(names, vec!["awork"]);
        assert!(sel.notes.is_empty());
        let Err(CliError::Usage(msg)) = s.select(&["flatfile".into()]) else {
            panic!("flatfile is not configured");
        };
        assert!(
            msg.contains("FLATFILE_API_KEY") && msg.contains("FLATFILE_BEARER_TOKEN"),
            "{msg}"
        );
        let Err(CliError::Usage(msg)) = s.select(&["nope".into()]) else {
            panic!("unknown provider");
        };
        assert!(msg.contains("webflow-workspace"), "{msg}");
    }

    #[test]
    fn partial_configuration_is_noted_and_nothing_configured_is_an_error() {
        let s = env(&[("AWORK_API_TOKEN", "t0ken-abcdef")]);
        let Err(CliError::Usage(msg)) = s.select(&[]) else {
            panic!("nothing usable");
        };
        assert!(msg.contains("no provider is configured"), "{msg}");
        let mut pairs = AWORK_OK.to_vec();
        pairs.push(("WEBFLOW_SITE_ID", "5f0c8c9e1c9d440000e8d8c3"));
        let sel = env(&pairs).select(&[]).unwrap();
        assert_eq!(sel.notes.len(), 1);
        assert!(
            sel.notes[0].contains("WEBFLOW_API_TOKEN"),
            "{:?}",
            sel.notes
        );
    }

    #[test]
    fn flatfile_without_a_role_says_which_variables_to_set() {
        let s = env(&[
            ("FLATFILE_API_KEY", "sk_flatfile_secret"),
            ("FLATFILE_API_URL", "http://127.0.0.1:9"),
        ]);
        let sel = s.select(&[]).unwrap();
        let msg = sel.providers[0].1.missing_grant.clone().unwrap();
        assert!(
            msg.contains("FLATFILE_ROLE_ID") && msg.contains("FLATFILE_ACCOUNT_ID"),
            "{msg}"
        );
    }

    #[test]
    fn config_file_tables_keys_and_env_fallback() {
        let text = r#"
            [awork]
            workspace_id = "123e4567-e89b-12d3-a456-426614174000"
            api_base_url = "http://127.0.0.1:9/api/v1"
            team_ids = ["123e4567-e89b-12d3-a456-426614174001"]

            [webflow-workspace]
            workspace_token = "wf_ws_file_secret"
            workspace_id = "65f0c8c9e1c9d440000e8d8c"
            api_base_url = "http://127.0.0.1:9/v2"
            workspace_role = "member"
            site_grants = { "65f0c8c9e1c9d440000e8d8d" = "designer" }
        "#;
        let s = env(&[
            ("AWORK_API_TOKEN", "awk_env_secret"),
            ("FLATFILE_API_KEY", "sk_env_secret_1"),
        ])
        .with_file_text(Path::new("x.toml"), text)
        .unwrap();
        let sel = s.select(&[]).unwrap();
        let names: Vec<&str> = sel.providers.iter().map(|(d, _)| d.name).collect();
        // flatfile has env settings but no table: a file chooses the providers.
        assert_eq!(names, vec!["webflow-workspace", "awork"]);
        assert_eq!(
            sel.providers[0].1.workspace_role_fallback.as_deref(),
            Some("member")
        );
        let secrets = s.secrets();
        for want in ["awk_env_secret", "sk_env_secret_1", "wf_ws_file_secret"] {
            assert!(secrets.iter().any(|x| x == want), "{want}: {secrets:?}");
        }
        let Err(CliError::Usage(msg)) = s.select(&["flatfile".into()]) else {
            panic!("no table");
        };
        assert!(msg.contains("[flatfile]"), "{msg}");
    }

    #[test]
    fn config_file_errors_name_the_problem() {
        let s = ConfigSource::default();
        for (text, want) in [
            ("[nope]\nx = 1", "unknown provider table [nope]"),
            ("[awork]\ntoken = \"x\"", "no setting `token`"),
            ("awork = 3", "must be a table"),
            ("[awork", "not valid TOML"),
        ] {
            match s.clone().with_file_text(Path::new("c.toml"), text) {
                Err(CliError::Usage(m)) => assert!(m.contains(want), "{m}"),
                other => panic!("{text}: {:?}", other.map(|_| ())),
            }
        }
    }

    #[test]
    fn adapter_config_errors_are_usage_errors_without_the_token() {
        let s = env(&[
            ("AWORK_API_TOKEN", "awk_very_secret"),
            ("AWORK_WORKSPACE_ID", "not-a-uuid"),
        ]);
        let Err(CliError::Usage(msg)) = s.select(&[]) else {
            panic!("bad uuid");
        };
        assert!(msg.contains("AWORK_WORKSPACE_ID"), "{msg}");
        assert!(!msg.contains("awk_very_secret"), "{msg}");
    }

    #[test]
    fn redis_url_precedence_and_its_password_is_a_secret() {
        let s = env(&[("INVITE_REDIS_URL", "redis://:envpass@127.0.0.1:1/0")]);
        assert_eq!(
            s.redis_url(None).as_deref(),
            Some("redis://:envpass@127.0.0.1:1/0")
        );
        assert!(s.secrets().iter().any(|x| x == "envpass"));
        let f = s
            .clone()
            .with_file_text(
                Path::new("c.toml"),
                "redis_url = \"redis://:filepass@127.0.0.1:2\"\n[awork]\nrole_id = \"x\"\n",
            )
            .unwrap();
        assert_eq!(
            f.redis_url(None).as_deref(),
            Some("redis://:filepass@127.0.0.1:2")
        );
        assert_eq!(
            f.redis_url(Some(" redis://127.0.0.1:3 ")).as_deref(),
            Some("redis://127.0.0.1:3")
        );
        assert!(f.secrets().iter().any(|x| x == "filepass"));
        assert!(env(&[]).redis_url(Some("  ")).is_none());
        assert!(matches!(
            s.with_file_text(Path::new("c.toml"), "redis_url = 3"),
            Err(CliError::Usage(m)) if m.contains("redis_url")
        ));
        assert_eq!(
            url_password("redis://user:p%40ss@h:1/0?x=1").as_deref(),
            Some("p%40ss")
        );
        assert_eq!(url_password("redis://h:1/0"), None);
    }

    #[test]
    fn help_lists_every_provider_and_key() {
        let h = providers_help();
        for d in registry() {
            assert!(h.contains(d.name));
            for v in d.vars {
                assert!(h.contains(v.name), "{}", v.name);
            }
        }
        assert!(h.contains("workspace_role"));
    }
}
