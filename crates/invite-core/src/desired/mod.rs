//! Desired state: a [`Roster`] says who belongs in which tool with which grants; a [`Plan`]
//! says what it takes to get there (invite, change grants, grant after acceptance, re-invite
//! a lapsed invitation, and in authoritative mode remove or cancel); [`apply`] carries it out
//! through the [`Orchestrator`](crate::onboard::Orchestrator) (journal, invite lock, never two
//! invitations); a [`Snapshot`] records every tool's people, a [`Diff`] compares two, and an
//! [`AccessReport`] shows who is unlisted, which invitations are stale, and seats per tool.
//!
//! Every tool is read once per plan ([`Snapshot::read`]: its whole user list, inactive
//! accounts included), however many people the roster names.
//!
//! ```
//! use std::sync::Arc;
//! use invite_core::desired::{apply, Action, ApplyOptions, Plan, PlanOptions, Roster};
//! use invite_core::onboard::Target;
//! use invite_core::{Email, InMemoryProvider};
//! # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
//! let crm = InMemoryProvider::new("crm");
//! let targets = vec![Target::new("crm", Arc::new(crm.clone()))];
//! let roster = Roster::parse_csv(
//!     "people.csv",
//!     "email,name,tools\nada@example.com,Ada Lovelace,crm\ngrace@example.com,Grace Hopper,crm\n",
//! ).unwrap();
//! let plan = Plan::read(&roster, &targets, &PlanOptions::new()).await;
//! assert!(plan.changes.iter().all(|c| c.action == Action::Invite));
//! apply(&plan, &targets, &ApplyOptions::new()).await?;
//!
//! // Grace leaves the roster: only an authoritative plan removes her.
//! let smaller = Roster::parse_csv("people.csv", "email,name,tools\nada@example.com,Ada Lovelace,crm\n").unwrap();
//! assert!(Plan::read(&smaller, &targets, &PlanOptions::new()).await.is_empty());
//! let plan = Plan::read(&smaller, &targets, &PlanOptions::new().authoritative(true)).await;
//! assert_eq!(plan.changes[0].action, Action::CancelInvitation);
//! assert_eq!(plan.changes[0].email, Email::parse("grace@example.com")?);
//! # Ok::<(), invite_core::Error>(())
//! # }).unwrap();
//! ```

mod apply;
mod plan;
mod report;
mod roster;
mod snapshot;
#[cfg(test)]
mod tests;

pub use apply::{Applied, ApplyOptions, ApplyReport, apply};
pub use plan::{Action, Change, Kept, Plan, PlanOptions, ToolError, check, satisfies};
pub use report::{AccessReport, Seats, StaleInvitation, Unlisted};
pub use roster::{CsvTable, IGNORE, Roster, RosterEntry, RosterError, RosterErrors, parse_grant};
pub use snapshot::{
    Account, Diff, DiffEntry, DiffKind, Snapshot, ToolSnapshot, grant_text, status_name,
};
