//! What a job reports: one [`ReportEntry`] per target, gathered in a [`Report`].

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::model::{Grant, InvitationCode, User, UserStatus};

/// What happened (or would happen) at one target.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Invited now.
    Invited,
    /// Already had an account; nothing sent.
    AlreadyMember,
    /// The invite's answer was lost, and a lookup found the account (or a resumed run found
    /// the account an interrupted run had invited).
    Reconciled,
    /// The invite's outcome is unknown and a lookup did not find the account: check by hand
    /// before trying again.
    Uncertain,
    /// A declined or expired invitation that this target does not re-send.
    Lapsed,
    /// Not attempted: the target cannot do what was asked (the reason says which capability).
    Skipped,
    /// Not attempted: the vendor's rate limit left no room before the call's deadline. The
    /// vendor processed nothing, so a later run sends it (the journal does not mark it done).
    RateLimited,
    /// Failed; see the error.
    Failed,
    /// Plan: would invite.
    WouldInvite,
    /// Plan: would deactivate.
    WouldDeactivate,
    /// Plan: would remove.
    WouldRemove,
    /// Deactivated.
    Deactivated,
    /// Removed (or, for a pending invitation, cancelled).
    Removed,
    /// Has no account here.
    NotPresent,
    /// Found (`find`).
    Found,
}

impl Outcome {
    /// True when this outcome counts as success for the job.
    pub fn is_success(self) -> bool {
        matches!(
            self,
            Outcome::Invited
                | Outcome::AlreadyMember
                | Outcome::Reconciled
                | Outcome::WouldInvite
                | Outcome::WouldDeactivate
                | Outcome::WouldRemove
                | Outcome::Deactivated
                | Outcome::Removed
                | Outcome::NotPresent
                | Outcome::Found
        )
    }

    /// The outcome's name (`invited`, `already_member`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Invited => "invited",
            Outcome::AlreadyMember => "already_member",
            Outcome::Reconciled => "reconciled",
            Outcome::Uncertain => "uncertain",
            Outcome::Lapsed => "lapsed",
            Outcome::Skipped => "skipped",
            Outcome::RateLimited => "rate_limited",
            Outcome::Failed => "failed",
            Outcome::WouldInvite => "would_invite",
            Outcome::WouldDeactivate => "would_deactivate",
            Outcome::WouldRemove => "would_remove",
            Outcome::Deactivated => "deactivated",
            Outcome::Removed => "removed",
            Outcome::NotPresent => "not_present",
            Outcome::Found => "found",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(s.to_owned())).ok()
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A serializable summary of an [`Error`].
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorInfo {
    /// The variant (`not_found`, `rate_limited`, …).
    pub kind: String,
    /// The full message.
    pub message: String,
    /// The HTTP status, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The vendor's code, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Whether trying again later may succeed.
    pub retryable: bool,
}

impl From<&Error> for ErrorInfo {
    fn from(e: &Error) -> Self {
        Self {
            kind: e.kind_name().to_owned(),
            message: e.to_string(),
            status: e.status(),
            code: e.vendor_code().map(str::to_owned),
            retryable: e.is_retryable(),
        }
    }
}

/// One target's line in a [`Report`].
#[non_exhaustive]
#[derive(Debug, Serialize)]
pub struct ReportEntry {
    /// The target's name.
    pub provider: String,
    /// What happened.
    pub outcome: Outcome,
    /// The account id, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The account's status, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<UserStatus>,
    /// Why (for skipped, lapsed, uncertain and reconciled outcomes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The error, for failed and uncertain outcomes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorInfo>,
    /// True when the outcome was read from the journal of an earlier run (nothing was sent).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub resumed: bool,
    /// Grants still to be given (e.g. a Webflow site role that applies once the invitee is a
    /// member); a journal keeps the job open until they are given.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pending_grants: Vec<Grant>,
    /// The account found or changed, for callers that want more than the id.
    #[serde(skip)]
    pub user: Option<User>,
    /// The error itself, for callers that match on it.
    #[serde(skip)]
    pub source: Option<Error>,
    /// The invitation code the vendor returned with this invitation
    /// ([`crate::InviteReceipt::invitation_code`]): a secret, never serialized, redacted in
    /// `Debug`; only an invitation sent by this run carries one.
    #[serde(skip)]
    pub invitation_code: Option<InvitationCode>,
    /// When that code expires, when the vendor says.
    #[serde(skip)]
    pub code_expires_at: Option<time::OffsetDateTime>,
}

impl ReportEntry {
    pub(crate) fn new(provider: &str, outcome: Outcome) -> Self {
        Self {
            provider: provider.to_owned(),
            outcome,
            user_id: None,
            status: None,
            reason: None,
            error: None,
            resumed: false,
            pending_grants: Vec::new(),
            user: None,
            source: None,
            invitation_code: None,
            code_expires_at: None,
        }
    }
    pub(crate) fn with_user(mut self, user: &User) -> Self {
        self.user_id = Some(user.id.to_string());
        self.status = Some(user.status.clone());
        self.user = Some(user.clone());
        self
    }
    /// The invitation's user and code (if the vendor returned one).
    pub(crate) fn with_receipt(mut self, receipt: &crate::model::InviteReceipt) -> Self {
        self.invitation_code = receipt.invitation_code.clone();
        self.code_expires_at = receipt.code_expires_at;
        self.with_user(&receipt.user)
    }
    pub(crate) fn with_reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }
    pub(crate) fn with_error(mut self, e: Error) -> Self {
        self.error = Some(ErrorInfo::from(&e));
        self.source = Some(e);
        self
    }
    pub(crate) fn failed(provider: &str, e: Error) -> Self {
        let outcome = match &e {
            Error::Unsupported { .. } => Outcome::Skipped,
            Error::Uncertain { .. } => Outcome::Uncertain,
            Error::RateLimited { .. } => Outcome::RateLimited,
            _ => Outcome::Failed,
        };
        let entry = Self::new(provider, outcome);
        match outcome {
            Outcome::Skipped => entry.with_reason(e.to_string()).with_error(e),
            Outcome::RateLimited => entry
                .with_reason("not attempted: the vendor's rate limit left no room before the deadline; nothing was processed, a later run sends it")
                .with_error(e),
            _ => entry.with_error(e),
        }
    }
}

/// The job a report is about.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Job {
    /// Onboarding.
    Onboard,
    /// Offboarding.
    Offboard,
    /// Finding.
    Find,
}

impl Job {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Job::Onboard => "onboard",
            Job::Offboard => "offboard",
            Job::Find => "find",
        }
    }
}

/// The result of a job: one entry per target, in configuration order.
#[non_exhaustive]
#[derive(Debug, Serialize)]
pub struct Report {
    /// The job.
    pub job: Job,
    /// The person's address.
    pub email: String,
    /// True for a plan (nothing was written).
    pub dry_run: bool,
    /// One entry per target.
    pub entries: Vec<ReportEntry>,
}

impl Report {
    pub(crate) fn new(job: Job, email: String, dry_run: bool, entries: Vec<ReportEntry>) -> Self {
        Self {
            job,
            email,
            dry_run,
            entries,
        }
    }

    /// True when every target succeeded or already had the person.
    pub fn succeeded(&self) -> bool {
        self.entries.iter().all(|e| e.outcome.is_success())
    }

    /// The entry for a target.
    pub fn entry(&self, provider: &str) -> Option<&ReportEntry> {
        self.entries.iter().find(|e| e.provider == provider)
    }
}

pub(crate) fn describe_grants(grants: &[Grant]) -> String {
    let parts: Vec<String> = grants.iter().map(Grant::to_string).collect();
    parts.join(", ")
}
