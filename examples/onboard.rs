//! Onboard one person into every tool, against the built-in sandbox.
//!
//! ```sh
//! cargo run --example onboard
//! ```
//!
//! Starts the sandbox in-process on a free loopback port, configures one provider per vendor
//! surface from the sandbox's settings (exactly the variables you would set for the real
//! vendors), plans the onboarding, applies it, and applies it again to show that nothing is
//! sent twice. No account, network access or environment variable is needed.

use std::collections::HashMap;
use std::sync::Arc;

use invite::awork::{AworkConfig, AworkProvider};
use invite::flatfile::{FlatfileConfig, FlatfileProvider};
use invite::onboard::{Orchestrator, Person, Report, Target};
use invite::sandbox::Sandbox;
use invite::scim::{ScimProvider, WebflowScimConfig};
use invite::webflow::site::{WebflowSiteConfig, WebflowSiteUsers};
use invite::webflow::workspace::WorkspaceRoleGrant;
use invite::webflow::{WebflowWorkspace, WebflowWorkspaceConfig};
use invite::{Email, PersonName};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = Sandbox::start().await?;
    // The sandbox prints these as KEY=VALUE; the adapters read the same names from the
    // environment (`XConfig::from_env`) — here through a lookup, so nothing global is touched.
    let vars: HashMap<&'static str, String> = sandbox.settings().env_pairs().into_iter().collect();
    let get = |k: &str| vars.get(k).cloned();

    let targets = vec![
        // The live way to invite a collaborator into Webflow (Enterprise Workspace Members).
        Target::new(
            "webflow-workspace",
            Arc::new(WebflowWorkspace::from_config(
                WebflowWorkspaceConfig::from_lookup(get)?,
            )?),
        )
        .with_grants(vec![
            WorkspaceRoleGrant::new("member", Some("designer")).into(),
        ]),
        // Site users (Data API v2): retired by Webflow on 2026-01-29; the sandbox still
        // answers the documented contract.
        Target::new(
            "webflow-site",
            Arc::new(WebflowSiteUsers::from_config(
                WebflowSiteConfig::from_lookup(get)?,
            )?),
        ),
        Target::new(
            "webflow-scim",
            Arc::new(WebflowScimConfig::from_lookup(get)?.build()?) as Arc<ScimProvider>,
        ),
        // Flatfile's actor role and awork's role come from FLATFILE_ROLE_ID /
        // FLATFILE_ACCOUNT_ID and AWORK_ROLE_ID.
        Target::new(
            "flatfile",
            Arc::new(FlatfileProvider::from_config(FlatfileConfig::from_lookup(
                get,
            )?)?),
        ),
        Target::new(
            "awork",
            Arc::new(AworkProvider::from_config(AworkConfig::from_lookup(get)?)?),
        ),
    ];
    let orchestrator = Orchestrator::new(targets);
    let person = Person::new(
        Email::parse("ada.lovelace@example.com")?,
        PersonName::new("Ada", "Lovelace"),
    );

    print_report(
        "plan (nothing is written)",
        &orchestrator.plan_onboard(&person).await,
    );
    let report = orchestrator.onboard(&person).await;
    print_report("onboard", &report);
    print_report(
        "onboard again (nothing sent twice)",
        &orchestrator.onboard(&person).await,
    );

    let sent: u64 = sandbox
        .invitations()
        .values()
        .flat_map(|per_email| per_email.get(person.email.normalized()).copied())
        .sum();
    println!(
        "\ninvitations the sandbox recorded for {}: {sent}",
        person.email
    );
    sandbox.shutdown().await;
    if report.succeeded() {
        Ok(())
    } else {
        Err("some providers did not onboard the person".into())
    }
}

fn print_report(title: &str, report: &Report) {
    println!("\n== {title}: {}", report.email);
    for entry in &report.entries {
        let detail = entry
            .error
            .as_ref()
            .map(|e| e.message.clone())
            .or_else(|| entry.reason.clone())
            .unwrap_or_default();
        println!(
            "  {:<18} {:<15} {:<34} {}",
            entry.provider,
            entry.outcome,
            entry.user_id.as_deref().unwrap_or("-"),
            detail
        );
    }
}
