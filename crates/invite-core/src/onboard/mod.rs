//! Onboarding and offboarding people across every configured tool.
//!
//! An [`Orchestrator`] holds the configured [`Target`]s (a provider plus the grants and email
//! delivery an onboarding gives there). It can
//! - **plan** an onboarding or offboarding: look the person up everywhere, write nothing, and
//!   report what applying would do;
//! - **onboard**: [`ensure_invited`](crate::ensure_invited) on every target concurrently
//!   (bounded), one report entry per target; one target failing never stops or undoes the
//!   others;
//! - **offboard**: find the person everywhere, then deactivate or remove per an
//!   [`OffboardPolicy`], refusing the whole run (before any write) when it would touch more
//!   accounts than the blast-radius limit allows;
//! - **find** every account for an email in one call;
//! - **onboard many** people in one run ([`Orchestrator::onboard_many`], or
//!   [`Orchestrator::lookups`] then [`Orchestrator::onboard_with`] per person): the run reads
//!   each tool's directory once into a [`Directory`] where that costs fewer requests than
//!   looking everyone up (see [`directory`] for the rule).
//!
//! With a [`Journal`](crate::Journal), every target's outcome is recorded (written ahead), so
//! running the same job again after a crash neither re-invites nor skips anyone.
//!
//! ```
//! use std::sync::Arc;
//! use invite_core::onboard::{Orchestrator, Person, Target};
//! use invite_core::{Email, InMemoryProvider, PersonName};
//! # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
//! let orchestrator = Orchestrator::new(vec![
//!     Target::new("wiki", Arc::new(InMemoryProvider::new("wiki"))),
//!     Target::new("crm", Arc::new(InMemoryProvider::new("crm"))),
//! ]);
//! let person = Person::new(Email::parse("ada@example.com")?, PersonName::new("Ada", "Lovelace"));
//! let plan = orchestrator.plan_onboard(&person).await;
//! assert!(plan.entries.iter().all(|e| e.outcome == invite_core::onboard::Outcome::WouldInvite));
//! let report = orchestrator.onboard(&person).await;
//! assert!(report.succeeded());
//! # Ok::<(), invite_core::Error>(())
//! # }).unwrap();
//! ```

pub mod directory;
mod many;
mod offboard;
mod orchestrator;
mod report;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::model::{Email, EmailDelivery, Grant, Invitation, PersonName};
use crate::provider::DynProvider;

pub use directory::{Directory, Known, Listed};
pub use many::Lookups;
pub use offboard::{OffboardOptions, OffboardPolicy};
pub use orchestrator::Orchestrator;
pub use report::{ErrorInfo, Job, Outcome, Report, ReportEntry};

/// One configured tool: a provider and what an onboarding gives there.
#[derive(Clone)]
pub struct Target {
    /// The name used in reports, journals and `--to` (e.g. `flatfile`).
    pub name: String,
    /// The provider.
    pub provider: DynProvider,
    /// Grants every onboarding gives here (e.g. the Flatfile actor role).
    pub grants: Vec<Grant>,
    /// Email delivery for invitations here.
    pub delivery: EmailDelivery,
    /// Vendor profile attributes for invitations here.
    pub attributes: BTreeMap<String, serde_json::Value>,
    /// Give people who are already present the target's additive grants they lack (see
    /// [`Target::with_grant_convergence`]).
    pub converge_grants: bool,
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Target")
            .field("name", &self.name)
            .field("provider", &self.provider.to_string())
            .field("grants", &self.grants)
            .field("delivery", &self.delivery)
            .finish_non_exhaustive()
    }
}

impl Target {
    /// A target with no default grants and the vendor's default delivery.
    pub fn new(name: impl Into<String>, provider: DynProvider) -> Self {
        Self {
            name: name.into(),
            provider,
            grants: Vec::new(),
            delivery: EmailDelivery::VendorDefault,
            attributes: BTreeMap::new(),
            converge_grants: false,
        }
    }
    crate::setters! {
        /// Grant convergence: when the person is already present (or a re-run finds the
        /// member an earlier run invited), add the target's grants they lack. Only additive
        /// kinds are added — never a kind the provider declares exclusive
        /// ([`crate::Capabilities::exclusive_grant_kinds`], e.g. a workspace role), so
        /// re-running an onboarding never changes an existing member's role. Grants the
        /// vendor could not attach to a pending invitation
        /// ([`crate::InviteReceipt::deferred_grants`]) are applied this way once the invitee
        /// has accepted.
        with_grant_convergence(converge_grants: bool);
        /// Sets the grants every onboarding gives here.
        with_grants(grants: Vec<Grant>);
        /// Sets the email delivery.
        with_delivery(delivery: EmailDelivery);
    }
    /// Sets a vendor profile attribute.
    pub fn with_attribute(mut self, key: impl Into<String>, value: serde_json::Value) -> Self {
        self.attributes.insert(key.into(), value);
        self
    }

    /// The invitation this target sends for `person`.
    pub fn invitation(&self, person: &Person) -> Invitation {
        let mut inv = Invitation::new(person.email.clone())
            .with_name(person.name.clone())
            .with_grants(self.grants.clone())
            .with_delivery(self.delivery);
        inv.attributes = self.attributes.clone();
        inv
    }
}

/// The person being onboarded.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Person {
    /// Their address.
    pub email: Email,
    /// Their name.
    #[serde(default)]
    pub name: PersonName,
}

impl Person {
    /// A person.
    pub fn new(email: Email, name: PersonName) -> Self {
        Self { email, name }
    }
}
