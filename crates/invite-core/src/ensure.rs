//! `ensure_invited`: invite a person unless they are already there, without ever creating
//! two invitations.

use std::time::Duration;

use crate::error::{Error, Result};
use crate::model::{Invitation, InviteReceipt, User};
use crate::provider::{Describe, InviteProvider, UserDirectory};

/// How long to wait before each lookup that reconciles an uncertain invite (vendors may
/// take a moment before a new account shows up in reads).
const RECONCILE_WAITS: [Duration; 3] = [
    Duration::ZERO,
    Duration::from_millis(300),
    Duration::from_millis(1200),
];

/// What [`ensure_invited`] did.
#[non_exhaustive]
#[derive(Debug)]
pub enum EnsureOutcome {
    /// The person was not there and has been invited now.
    Invited(InviteReceipt),
    /// The person already had an account (found by lookup, by a conflict answer, or the
    /// vendor said so); no invitation was sent.
    AlreadyMember(User),
    /// The invite's answer was lost (the write may or may not have happened); a lookup
    /// found the account, so it exists now. `cause` is the error that made it uncertain.
    Reconciled {
        /// The account found.
        user: User,
        /// Why the invite's outcome was unknown.
        cause: Error,
    },
    /// The person has a declined or expired invitation and this provider does not
    /// re-invite such people; reported instead of counted as done.
    Lapsed(User),
}

impl EnsureOutcome {
    /// The account, whichever way it was reached.
    pub fn user(&self) -> &User {
        match self {
            EnsureOutcome::Invited(r) => &r.user,
            EnsureOutcome::AlreadyMember(u)
            | EnsureOutcome::Reconciled { user: u, .. }
            | EnsureOutcome::Lapsed(u) => u,
        }
    }
}

/// Invites `invitation.email` into `provider` unless they are already there.
///
/// 1. The invitation is checked against the provider's capabilities (nothing is sent if
///    the provider cannot honour it).
/// 2. The email is looked up (case-insensitively). An existing account is reported as
///    [`EnsureOutcome::AlreadyMember`]; a declined or expired invitation is re-sent only when
///    the provider declares [`crate::Capabilities::reinvite_lapsed`], else reported as
///    [`EnsureOutcome::Lapsed`].
/// 3. Otherwise the person is invited. A conflict answer is resolved by looking up and
///    linking the existing account; an uncertain answer (the request was sent, the answer
///    lost) is reconciled by looking up again. If the account still does not show, the
///    [`Error::Uncertain`] is returned: the invite is **never** sent a second time, so no
///    path here can create two invitations for one person.
///
/// ```
/// use invite_core::{ensure_invited, EnsureOutcome, Invitation, InMemoryProvider};
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let provider = InMemoryProvider::new("demo");
/// let invitation = Invitation::new("ada@example.com".parse()?);
/// assert!(matches!(ensure_invited(&provider, &invitation).await?, EnsureOutcome::Invited(_)));
/// assert!(matches!(ensure_invited(&provider, &invitation).await?, EnsureOutcome::AlreadyMember(_)));
/// assert_eq!(provider.invitations_sent(&invitation.email), 1);
/// # Ok::<(), invite_core::Error>(())
/// # }).unwrap();
/// ```
pub async fn ensure_invited<P>(provider: &P, invitation: &Invitation) -> Result<EnsureOutcome>
where
    P: InviteProvider + UserDirectory + ?Sized,
{
    // Checked before the lookup as well as in `ensure_invited_known`, so an invitation the
    // tool cannot send costs no request.
    let info = Describe::info(provider);
    info.capabilities.check_invitation(info, invitation)?;
    let existing = provider.find_by_email(&invitation.email).await?;
    ensure_invited_known(provider, invitation, existing).await
}

/// [`ensure_invited`] with the lookup already answered: `existing` is the account the caller
/// knows for `invitation.email` (e.g. from a [`crate::onboard::Directory`] read once for a
/// whole run), or `None` when it knows there is none. No lookup is sent for the first step;
/// every later step is the same: a conflict answer is resolved by looking up and linking the
/// account (so someone invited by another party since the caller's read is linked, not
/// invited twice), and an uncertain answer is reconciled by looking up, never by inviting
/// again.
///
/// ```
/// use invite_core::{ensure_invited, ensure::ensure_invited_known, EnsureOutcome, Invitation, InMemoryProvider};
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let provider = InMemoryProvider::new("demo");
/// let invitation = Invitation::new("ada@example.com".parse()?);
/// ensure_invited(&provider, &invitation).await?;
/// // A stale answer ("not there") meets the vendor's conflict, and the account is linked.
/// let outcome = ensure_invited_known(&provider, &invitation, None).await?;
/// assert!(matches!(outcome, EnsureOutcome::AlreadyMember(_)));
/// assert_eq!(provider.invitations_sent(&invitation.email), 1);
/// # Ok::<(), invite_core::Error>(())
/// # }).unwrap();
/// ```
pub async fn ensure_invited_known<P>(
    provider: &P,
    invitation: &Invitation,
    existing: Option<User>,
) -> Result<EnsureOutcome>
where
    P: InviteProvider + UserDirectory + ?Sized,
{
    let info = Describe::info(provider);
    info.capabilities.check_invitation(info, invitation)?;
    if let Some(user) = existing {
        if !user.status.is_lapsed_invite() {
            tracing::debug!(target: "invite::ensure", provider = %info, "already a member");
            return Ok(EnsureOutcome::AlreadyMember(user));
        }
        if !info.capabilities.reinvite_lapsed {
            return Ok(EnsureOutcome::Lapsed(user));
        }
    }

    match provider.invite(invitation).await {
        Ok(receipt) if receipt.already_member => Ok(EnsureOutcome::AlreadyMember(receipt.user)),
        Ok(receipt) => Ok(EnsureOutcome::Invited(receipt)),
        Err(err @ Error::Conflict(_)) => match provider.find_by_email(&invitation.email).await? {
            Some(user) => Ok(EnsureOutcome::AlreadyMember(user)),
            None => Err(err),
        },
        Err(err @ Error::Uncertain { .. }) => {
            tracing::warn!(target: "invite::ensure", provider = %info, error = %err, "invite outcome unknown; reconciling by lookup");
            for wait in RECONCILE_WAITS {
                if !wait.is_zero() {
                    tokio::time::sleep(wait).await;
                }
                // A failing lookup leaves the outcome unknown: report the original error.
                if let Ok(Some(user)) = provider.find_by_email(&invitation.email).await
                    && !user.status.is_lapsed_invite()
                {
                    return Ok(EnsureOutcome::Reconciled { user, cause: err });
                }
            }
            Err(err)
        }
        Err(other) => Err(other),
    }
}
