//! Bulk import: onboard a list of people into several tools, a few at a time, resumable
//! through a JSON-lines journal (run it twice: the second run sends nothing).
//!
//! ```sh
//! cargo run --example bulk
//! ```
//!
//! Runs against the built-in sandbox. For CSV files and a progress bar, use the CLI:
//! `invite bulk people.csv`.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use invite::awork::{AworkConfig, AworkProvider};
use invite::flatfile::{FlatfileConfig, FlatfileProvider};
use invite::onboard::{Orchestrator, Person, Target};
use invite::sandbox::Sandbox;
use invite::{Email, FileJournal, PersonName};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = Sandbox::start().await?;
    let vars: HashMap<&'static str, String> = sandbox.settings().env_pairs().into_iter().collect();
    let get = |k: &str| vars.get(k).cloned();
    let journal_path =
        std::env::temp_dir().join(format!("invite-bulk-example-{}.jsonl", std::process::id()));
    let orchestrator = Orchestrator::new(vec![
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
    ])
    .with_concurrency(2)
    .with_journal(Arc::new(FileJournal::open(&journal_path)?));

    let people: Vec<Person> = [
        ("Ada", "Lovelace"),
        ("Grace", "Hopper"),
        ("Alan", "Turing"),
        ("Katherine", "Johnson"),
    ]
    .iter()
    .map(|(g, f)| -> Result<Person, invite::Error> {
        let email = Email::parse(&format!(
            "{}.{}@example.com",
            g.to_lowercase(),
            f.to_lowercase()
        ))?;
        Ok(Person::new(email, PersonName::new(*g, *f)))
    })
    .collect::<Result<_, _>>()?;

    for round in ["first run", "second run (resumed from the journal)"] {
        let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
        // Each tool's user list is read once for everyone (where that costs fewer requests
        // than a lookup per person), then two people at a time are onboarded.
        let reports = orchestrator.onboard_many(&people).await;
        for r in &reports {
            for e in &r.entries {
                let key = format!(
                    "{} {}{}",
                    e.provider,
                    e.outcome,
                    if e.resumed { " (journal)" } else { "" }
                );
                *outcomes.entry(key).or_default() += 1;
            }
        }
        println!("\n== {round}");
        for (k, n) in outcomes {
            println!("  {k:<40} {n}");
        }
    }
    println!("\njournal: {}", journal_path.display());
    let _ = std::fs::remove_file(&journal_path);
    sandbox.shutdown().await;
    Ok(())
}
