//! Offboard one person from every tool, safely: plan first, refuse a run that would touch
//! more accounts than allowed, then deactivate where the vendor can and remove elsewhere.
//!
//! ```sh
//! cargo run --example offboard
//! ```
//!
//! Runs against the built-in sandbox: onboards a person first so there is someone to remove.

use std::collections::HashMap;
use std::sync::Arc;

use invite::awork::{AworkConfig, AworkProvider};
use invite::flatfile::{FlatfileConfig, FlatfileProvider};
use invite::onboard::{OffboardOptions, OffboardPolicy, Orchestrator, Person, Report, Target};
use invite::sandbox::{Sandbox, Surface};
use invite::scim::{ScimProvider, WebflowScimConfig};
use invite::webflow::site::{WebflowSiteConfig, WebflowSiteUsers};
use invite::{Email, PersonName};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = Sandbox::start().await?;
    let vars: HashMap<&'static str, String> = sandbox.settings().env_pairs().into_iter().collect();
    let get = |k: &str| vars.get(k).cloned();
    // Both Webflow surfaces: SCIM deprovisioning does not remove site users.
    let orchestrator = Orchestrator::new(vec![
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
    ]);
    let email = Email::parse("grace.hopper@example.com")?;
    orchestrator
        .onboard(&Person::new(
            email.clone(),
            PersonName::new("Grace", "Hopper"),
        ))
        .await;
    // She accepted her awork invitation; awork can deactivate active users.
    let _ = sandbox.accept(Surface::Awork, email.as_str());

    // A blast radius of 2 refuses this run as a whole: she has 4 accounts.
    let tight = OffboardOptions::new(OffboardPolicy::DeactivateOrRemove).max_accounts(Some(2));
    match orchestrator.offboard(&email, tight).await {
        Err(refused) => println!("refused, nothing changed: {refused}"),
        Ok(_) => return Err("the blast-radius limit should have refused the run".into()),
    }

    let options = OffboardOptions::new(OffboardPolicy::DeactivateOrRemove).max_accounts(Some(10));
    print_report("plan", &orchestrator.plan_offboard(&email, options).await);
    let report = orchestrator.offboard(&email, options).await?;
    print_report("offboard", &report);
    print_report("find afterwards", &orchestrator.find(&email).await);
    sandbox.shutdown().await;
    if report.succeeded() {
        Ok(())
    } else {
        Err("offboarding left work undone".into())
    }
}

fn print_report(title: &str, report: &Report) {
    println!("\n== {title}: {}", report.email);
    for e in &report.entries {
        let status = e.status.as_ref().map(|s| s.to_string()).unwrap_or_default();
        let why = e
            .error
            .as_ref()
            .map(|x| x.message.clone())
            .or_else(|| e.reason.clone())
            .unwrap_or_default();
        println!(
            "  {:<14} {:<17} {:<14} {}",
            e.provider, e.outcome, status, why
        );
    }
}
