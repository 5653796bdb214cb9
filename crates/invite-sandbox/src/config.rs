//! How a sandbox is started ([`SandboxConfig`]) and what a client needs to reach it
//! ([`Settings`]).

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use serde_json::Value;

use crate::ids::{object_id, prefixed_id, random_hex, uuid_v4};
use crate::rate::{RateLimit, budget_in};
use crate::surface::Surface;
use crate::workspace;

/// The Webflow Data API scopes a token gets by default.
pub const WEBFLOW_DEFAULT_SCOPES: &[&str] = &[
    "users:read",
    "users:write",
    "sites:read",
    "sites:write",
    "authorized_user:read",
];

/// How the sandbox is started: address, credentials, ids, rate budgets, seed.
///
/// Every token and id defaults to a fresh random value in the vendor's format.
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// Address to bind (default `127.0.0.1`).
    pub host: IpAddr,
    /// Port to bind (0 = any free port).
    pub port: u16,
    /// Webflow Data API token (`wf_site_<hex>`).
    pub webflow_api_token: String,
    /// Scopes of the Webflow Data API token (default [`WEBFLOW_DEFAULT_SCOPES`]).
    pub webflow_token_scopes: Vec<String>,
    /// The main Webflow site id (24 hex).
    pub webflow_site_id: String,
    /// Maximum users per Webflow site (`None` = unlimited); beyond it invites get 409
    /// `user_limit_reached`. A seeded site's `userLimit` overrides it.
    pub webflow_user_limit: Option<usize>,
    /// Whether the Webflow site-users feature starts retired (403 `users_not_enabled`).
    pub webflow_retired: bool,
    /// Webflow SCIM bearer token (`wf_scim_<hex>`).
    pub webflow_scim_token: String,
    /// Webflow workspace id (24 hex).
    pub webflow_workspace_id: String,
    /// Webflow workspace token (`wf_ws_<hex>`).
    pub webflow_workspace_token: String,
    /// Scopes of the workspace token (default [`workspace::DEFAULT_SCOPES`]); a workspace
    /// call without its scope gets 403 `missing_scopes`.
    pub webflow_workspace_scopes: Vec<String>,
    /// Whether the workspace is on Enterprise (default true); if not, every workspace and
    /// site-access call gets 403 `not_enterprise_plan_workspace`.
    pub webflow_workspace_enterprise: bool,
    /// Flatfile secret key (`sk_<hex>`).
    pub flatfile_api_key: String,
    /// Flatfile role id (`us_rol_<alnum>`).
    pub flatfile_role_id: String,
    /// Flatfile account id (`us_acc_<alnum>`).
    pub flatfile_account_id: String,
    /// awork API token.
    pub awork_api_token: String,
    /// awork workspace id (UUID).
    pub awork_workspace_id: String,
    /// awork role id (UUID).
    pub awork_role_id: String,
    /// Rate budgets per surface (absent = [`RateLimit::default_for`]).
    pub rate_limits: HashMap<Surface, RateLimit>,
    /// Seed document (see the crate docs). Merged under `seed_file` sections if both are set.
    pub seed: Option<Value>,
    /// Seed file, read at start.
    pub seed_file: Option<PathBuf>,
}

fn owned(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            webflow_api_token: format!("wf_site_{}", random_hex(48)),
            webflow_token_scopes: owned(WEBFLOW_DEFAULT_SCOPES),
            webflow_site_id: object_id(),
            webflow_user_limit: None,
            webflow_retired: false,
            webflow_scim_token: format!("wf_scim_{}", random_hex(48)),
            webflow_workspace_id: object_id(),
            webflow_workspace_token: format!("wf_ws_{}", random_hex(48)),
            webflow_workspace_scopes: owned(workspace::DEFAULT_SCOPES),
            webflow_workspace_enterprise: true,
            flatfile_api_key: format!("sk_{}", random_hex(32)),
            flatfile_role_id: prefixed_id("us_rol_"),
            flatfile_account_id: prefixed_id("us_acc_"),
            awork_api_token: random_hex(40),
            awork_workspace_id: uuid_v4(),
            awork_role_id: uuid_v4(),
            rate_limits: HashMap::new(),
            seed: None,
            seed_file: None,
        }
    }
}

impl SandboxConfig {
    /// The defaults (random tokens and ids, any free port on 127.0.0.1).
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets a surface's rate budget (requests per window, window, headers on/off).
    pub fn rate_limit(mut self, surface: Surface, limit: RateLimit) -> Self {
        self.rate_limits.insert(surface, limit);
        self
    }
    /// Switches a surface's `X-RateLimit-*` headers on or off, keeping its budget.
    pub fn rate_headers(mut self, surface: Surface, on: bool) -> Self {
        let current = budget_in(&self.rate_limits, surface);
        self.rate_limits.insert(surface, current.with_headers(on));
        self
    }
    /// Uses this seed document.
    pub fn seed(mut self, seed: Value) -> Self {
        self.seed = Some(seed);
        self
    }
    /// Reads the seed document from this file at start.
    pub fn seed_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.seed_file = Some(path.into());
        self
    }

    pub(crate) fn load_seed(&self) -> io::Result<Value> {
        let mut seed = match &self.seed_file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    io::Error::new(e.kind(), format!("seed file {}: {e}", path.display()))
                })?;
                serde_json::from_str(&text).map_err(|e| {
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("seed file {}: {e}", path.display()),
                    )
                })?
            }
            None => Value::Object(Default::default()),
        };
        if let Some(extra) = &self.seed {
            match (seed.as_object_mut(), extra.as_object()) {
                (Some(base), Some(extra)) => {
                    for (k, v) in extra {
                        base.insert(k.clone(), v.clone());
                    }
                }
                _ => seed = extra.clone(),
            }
        }
        if !seed.is_object() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the seed must be a JSON object keyed by surface",
            ));
        }
        Ok(seed)
    }
}

/// The builder setters of [`SandboxConfig`], one per field: strings take any
/// `Into<String>`, lists any iterable of them, other fields their own type.
macro_rules! setters {
    () => {};
    ($(#[$doc:meta])* $field:ident: String; $($rest:tt)*) => {
        $(#[$doc])*
        pub fn $field(mut self, value: impl Into<String>) -> Self {
            self.$field = value.into();
            self
        }
        setters!($($rest)*);
    };
    ($(#[$doc:meta])* $field:ident: Vec<String>; $($rest:tt)*) => {
        $(#[$doc])*
        pub fn $field<I, S>(mut self, values: I) -> Self
        where
            I: IntoIterator<Item = S>,
            S: Into<String>,
        {
            self.$field = values.into_iter().map(Into::into).collect();
            self
        }
        setters!($($rest)*);
    };
    ($(#[$doc:meta])* $field:ident: $ty:ty; $($rest:tt)*) => {
        $(#[$doc])*
        pub fn $field(mut self, value: $ty) -> Self {
            self.$field = value;
            self
        }
        setters!($($rest)*);
    };
}

impl SandboxConfig {
    setters! {
        /// Binds this port (0 = any free port).
        port: u16;
        /// Binds this address.
        host: IpAddr;
        /// Sets the Webflow Data API token.
        webflow_api_token: String;
        /// Sets the scopes of the Webflow Data API token.
        webflow_token_scopes: Vec<String>;
        /// Sets the main Webflow site id.
        webflow_site_id: String;
        /// Sets the per-site user limit.
        webflow_user_limit: Option<usize>;
        /// Starts with the Webflow site-users feature retired.
        webflow_retired: bool;
        /// Sets the Webflow SCIM token.
        webflow_scim_token: String;
        /// Sets the Webflow workspace id.
        webflow_workspace_id: String;
        /// Sets the Webflow workspace token.
        webflow_workspace_token: String;
        /// Sets the scopes of the Webflow workspace token.
        webflow_workspace_scopes: Vec<String>;
        /// Starts the Webflow workspace on (true) or off (false) the Enterprise plan.
        webflow_workspace_enterprise: bool;
        /// Sets the Flatfile API key.
        flatfile_api_key: String;
        /// Sets the Flatfile role id.
        flatfile_role_id: String;
        /// Sets the Flatfile account id.
        flatfile_account_id: String;
        /// Sets the awork API token.
        awork_api_token: String;
        /// Sets the awork workspace id.
        awork_workspace_id: String;
        /// Sets the awork role id.
        awork_role_id: String;
    }
}

/// [`Settings`] and [`Settings::env_pairs`] from one list: each field with its `KEY`
/// (the field's doc) and any further doc.
macro_rules! settings {
    ($($field:ident: $key:literal $(, $more:literal)?;)*) => {
        /// Every setting a client needs, as printed by the binary (`KEY=VALUE`).
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct Settings {
            $(
                #[doc = concat!("`", $key, "`", $(": ", $more,)? ".")]
                pub $field: String,
            )*
        }

        impl Settings {
            /// The settings as `(KEY, value)` pairs, in a stable order.
            pub fn env_pairs(&self) -> Vec<(&'static str, String)> {
                vec![$(($key, self.$field.clone())),*]
            }
        }
    };
}

settings! {
    webflow_api_base_url: "WEBFLOW_API_BASE_URL", "`http://127.0.0.1:PORT/v2`";
    webflow_api_token: "WEBFLOW_API_TOKEN";
    webflow_site_id: "WEBFLOW_SITE_ID";
    webflow_scim_base_url: "WEBFLOW_SCIM_BASE_URL", "`http://127.0.0.1:PORT/scim/v2`";
    webflow_scim_token: "WEBFLOW_SCIM_TOKEN";
    webflow_workspace_id: "WEBFLOW_WORKSPACE_ID";
    webflow_workspace_token: "WEBFLOW_WORKSPACE_TOKEN";
    flatfile_api_url: "FLATFILE_API_URL", "the root, without `/v1`";
    flatfile_api_key: "FLATFILE_API_KEY";
    flatfile_role_id: "FLATFILE_ROLE_ID";
    flatfile_account_id: "FLATFILE_ACCOUNT_ID";
    awork_api_base_url: "AWORK_API_BASE_URL", "`http://127.0.0.1:PORT/api/v1`";
    awork_api_token: "AWORK_API_TOKEN";
    awork_workspace_id: "AWORK_WORKSPACE_ID";
    awork_role_id: "AWORK_ROLE_ID";
    admin_url: "INVITE_SANDBOX_ADMIN_URL", "`http://127.0.0.1:PORT/_sandbox`";
}

impl Settings {
    pub(crate) fn new(root: &str, c: &SandboxConfig) -> Self {
        Settings {
            webflow_api_base_url: format!("{root}/v2"),
            webflow_api_token: c.webflow_api_token.clone(),
            webflow_site_id: c.webflow_site_id.clone(),
            webflow_scim_base_url: format!("{root}/scim/v2"),
            webflow_scim_token: c.webflow_scim_token.clone(),
            webflow_workspace_id: c.webflow_workspace_id.clone(),
            webflow_workspace_token: c.webflow_workspace_token.clone(),
            flatfile_api_url: root.to_owned(),
            flatfile_api_key: c.flatfile_api_key.clone(),
            flatfile_role_id: c.flatfile_role_id.clone(),
            flatfile_account_id: c.flatfile_account_id.clone(),
            awork_api_base_url: format!("{root}/api/v1"),
            awork_api_token: c.awork_api_token.clone(),
            awork_workspace_id: c.awork_workspace_id.clone(),
            awork_role_id: c.awork_role_id.clone(),
            admin_url: format!("{root}/_sandbox"),
        }
    }

    /// The settings as `KEY=VALUE` lines (each ending in a newline).
    pub fn to_env_lines(&self) -> String {
        self.env_pairs()
            .into_iter()
            .map(|(k, v)| format!("{k}={v}\n"))
            .collect()
    }
}
