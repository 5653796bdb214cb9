//! Shared by the `hardening_*` suites: every adapter built against one sandbox, with a tight
//! retry policy so that fault tests bound time without depending on machine speed.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use invite::awork::{AworkConfig, AworkProvider, AworkToken};
use invite::flatfile::{FlatfileConfig, FlatfileProvider, FlatfileToken};
use invite::http::{ClientOptions, RetryConfig};
use invite::sandbox::{RateLimit, Sandbox, SandboxConfig, Surface};
use invite::scim::WebflowScimConfig;
use invite::webflow::site::{WebflowSiteConfig, WebflowSiteUsers};
use invite::webflow::workspace::{WorkspaceId, WorkspaceRoleGrant};
use invite::webflow::{SiteToken, WebflowWorkspace, WebflowWorkspaceConfig, WorkspaceToken};
use invite::{DynProvider, Email, Grant, Invitation, PersonName};

/// Retries: at most 2 after the first attempt, short backoffs, 5 s per call in total, a
/// 2 s per-attempt timeout.
pub fn tight_options() -> ClientOptions {
    ClientOptions::default()
        .with_timeout(Duration::from_secs(2))
        .with_retry(
            RetryConfig::default()
                .with_max_retries(2)
                .with_backoff(Duration::from_millis(20), Duration::from_millis(1500))
                .with_retry_timeout(Duration::from_secs(5)),
        )
}

/// One adapter under test: its name, the sandbox surface it talks to, the provider, and an
/// invitation it accepts.
#[derive(Clone)]
pub struct Subject {
    pub name: &'static str,
    pub surface: Surface,
    pub provider: DynProvider,
    pub grants: Vec<Grant>,
    /// An id in the vendor's format that names nobody.
    pub unknown_id: String,
}

impl Subject {
    pub fn invitation(&self, email: &str) -> Invitation {
        Invitation::new(Email::parse(email).expect("test email"))
            .with_name(PersonName::new("Hardening", "Test"))
            .with_grants(self.grants.clone())
    }
}

/// A sandbox with generous budgets on every surface (fault tests add their own faults).
pub async fn sandbox() -> Sandbox {
    let mut config = SandboxConfig::new();
    for s in [
        Surface::WebflowData,
        Surface::WebflowScim,
        Surface::WebflowWorkspace,
        Surface::Flatfile,
        Surface::Awork,
    ] {
        let headers = matches!(s, Surface::WebflowData | Surface::WebflowWorkspace);
        config = config.rate_limit(
            s,
            RateLimit::new(1_000_000, Duration::from_secs(60)).with_headers(headers),
        );
    }
    Sandbox::start_with(config).await.expect("sandbox")
}

pub fn vars(sandbox: &Sandbox) -> HashMap<String, String> {
    sandbox
        .settings()
        .env_pairs()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
}

/// Every adapter, configured from the sandbox's settings with [`tight_options`].
pub fn subjects(sandbox: &Sandbox) -> Vec<Subject> {
    let s = sandbox.settings().clone();
    let v = vars(sandbox);
    let get = |k: &str| v.get(k).cloned();
    let site = WebflowSiteUsers::from_config(
        WebflowSiteConfig::builder(
            s.webflow_site_id.clone(),
            SiteToken::new(s.webflow_api_token.clone()),
        )
        .base_url(s.webflow_api_base_url.clone())
        .rate_limit_per_minute(1_000_000)
        .client_options(tight_options())
        .build()
        .expect("site config"),
    )
    .expect("site provider");
    let workspace = WebflowWorkspace::from_config(
        WebflowWorkspaceConfig::new(
            WorkspaceId::new(s.webflow_workspace_id.clone()).expect("workspace id"),
            WorkspaceToken::new(s.webflow_workspace_token.clone()).expect("workspace token"),
        )
        .base_url(&s.webflow_api_base_url)
        .expect("workspace base url")
        .client_options(tight_options()),
    )
    .expect("workspace provider");
    let scim = WebflowScimConfig::from_lookup(get)
        .expect("scim config")
        .client_options(tight_options())
        .build()
        .expect("scim provider");
    let flatfile = FlatfileProvider::from_config(
        FlatfileConfig::builder(FlatfileToken::new(s.flatfile_api_key.clone()))
            .api_url(s.flatfile_api_url.clone())
            .default_actor_role(s.flatfile_role_id.clone(), s.flatfile_account_id.clone())
            .client_options(tight_options())
            .build()
            .expect("flatfile config"),
    )
    .expect("flatfile provider");
    let awork = AworkProvider::from_config(
        AworkConfig::builder(
            AworkToken::new(s.awork_api_token.clone()),
            s.awork_workspace_id.clone(),
        )
        .base_url(s.awork_api_base_url.clone())
        .default_role_id(s.awork_role_id.clone())
        .options(tight_options())
        .build()
        .expect("awork config"),
    )
    .expect("awork provider");
    vec![
        Subject {
            name: "webflow-site",
            surface: Surface::WebflowData,
            provider: Arc::new(site),
            grants: vec![],
            unknown_id: "5f0c8c9e1c9d440000e8d8ff".into(),
        },
        Subject {
            name: "webflow-workspace",
            surface: Surface::WebflowWorkspace,
            provider: Arc::new(workspace),
            grants: vec![WorkspaceRoleGrant::new("member", Some("designer")).into()],
            unknown_id: "5f0c8c9e1c9d440000e8d8ff".into(),
        },
        Subject {
            name: "webflow-scim",
            surface: Surface::WebflowScim,
            provider: Arc::new(scim),
            grants: vec![],
            unknown_id: "00000000-0000-4000-8000-000000000000".into(),
        },
        Subject {
            name: "flatfile",
            surface: Surface::Flatfile,
            provider: Arc::new(flatfile),
            grants: vec![],
            unknown_id: "us_usr_doesnotexist".into(),
        },
        Subject {
            name: "awork",
            surface: Surface::Awork,
            provider: Arc::new(awork),
            grants: vec![],
            unknown_id: "00000000-0000-4000-8000-000000000000".into(),
        },
    ]
}

/// Requests the sandbox has received on `surface` so far.
pub fn requests(sandbox: &Sandbox, surface: Surface) -> u64 {
    sandbox.requests().surface(surface)
}

/// Invitations the sandbox has recorded for `email` on `surface`.
pub fn invitations(sandbox: &Sandbox, surface: Surface, email: &str) -> u64 {
    sandbox.invitation_count(surface, email)
}
