//! [`InMemoryProvider`]: a complete provider kept in memory, for tests and examples.
//!
//! It implements both traits with every capability (or the ones you give it), passes the
//! whole `invite-testkit` conformance suite, and can inject the failures that matter for
//! onboarding code: a lost invite answer (the invite is stored, the caller gets
//! [`Error::Uncertain`]), a transient failure, or a rate limit.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use futures::stream::BoxStream;
use time::OffsetDateTime;

use crate::error::{Error, Result, VendorDetail};
use crate::model::{
    Email, EmailDelivery, GrantKind, Invitation, InviteReceipt, ListQuery, User, UserId, UserPatch,
    UserStatus,
};
use crate::page::{Page, paginate};
use crate::provider::{
    Capabilities, Describe, InviteProvider, Operation, ProviderInfo, UserDirectory,
};

/// A failure to inject into the next call of an operation.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Store the invitation, then report [`Error::Uncertain`] (the answer was "lost").
    CommitThenLoseAnswer,
    /// Fail with a retryable vendor error (HTTP 503) without changing anything.
    Unavailable,
    /// Fail with [`Error::RateLimited`] without changing anything.
    RateLimited,
    /// Fail with [`Error::Uncertain`] without changing anything (the request was lost).
    LoseRequest,
}

#[derive(Debug, Default)]
struct State {
    users: Vec<User>,
    next_id: u64,
    invitations: HashMap<String, u64>,
    emails_sent: Vec<String>,
    calls: u64,
    faults: HashMap<Operation, VecDeque<Fault>>,
}

/// A provider kept in memory. Cheap to clone; clones share state.
#[derive(Clone)]
pub struct InMemoryProvider {
    info: ProviderInfo,
    state: Arc<Mutex<State>>,
}

impl fmt::Debug for InMemoryProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InMemoryProvider")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for InMemoryProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.info, f)
    }
}

impl InMemoryProvider {
    /// A provider named `memory(<instance>)` with every capability.
    pub fn new(instance: impl Into<String>) -> Self {
        Self::with_capabilities(instance, Self::full_capabilities())
    }

    /// A provider with the given capabilities; calls outside them are refused.
    pub fn with_capabilities(instance: impl Into<String>, capabilities: Capabilities) -> Self {
        Self {
            info: ProviderInfo::new("memory", instance, capabilities),
            state: Arc::new(Mutex::new(State::default())),
        }
    }

    /// Every capability, every grant kind, attributes `title` and `position`.
    #[allow(clippy::field_reassign_with_default)]
    pub fn full_capabilities() -> Capabilities {
        let mut c = Capabilities::default();
        c.invite = true;
        c.silent_invite = true;
        c.explicit_email = true;
        c.invitation_code = false;
        c.resend = true;
        c.list = true;
        c.get = true;
        c.server_side_email_lookup = true;
        c.update_name = true;
        c.update_email = true;
        c.update_grants = true;
        c.attributes = vec!["title", "position"];
        c.deactivate = true;
        c.reactivate = true;
        c.remove = true;
        c.grant_kinds = vec![
            GrantKind::WebflowAccessGroup,
            GrantKind::WebflowWorkspaceRole,
            GrantKind::WebflowSiteAccess,
            GrantKind::FlatfileActorRole,
            GrantKind::AworkRole,
            GrantKind::AworkTeam,
            GrantKind::ScimGroup,
        ];
        c.reinvite_lapsed = true;
        c.max_page_size = Some(50);
        c
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        match self.state.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// Makes the next call of `operation` fail with `fault`.
    pub fn inject(&self, operation: Operation, fault: Fault) {
        self.lock()
            .faults
            .entry(operation)
            .or_default()
            .push_back(fault);
    }

    /// How many invitations were created for `email`.
    pub fn invitations_sent(&self, email: &Email) -> u64 {
        self.lock()
            .invitations
            .get(email.normalized())
            .copied()
            .unwrap_or(0)
    }

    /// How many calls reached the store (refused calls do not count).
    pub fn calls(&self) -> u64 {
        self.lock().calls
    }

    /// The addresses emailed so far, in order.
    pub fn emails_sent(&self) -> Vec<String> {
        self.lock().emails_sent.clone()
    }

    /// The invitee accepts: `invited` becomes `active`.
    pub fn accept(&self, email: &Email) -> Result<()> {
        self.set_status_by_email(email, UserStatus::Active)
    }

    /// Sets the status of the account with `email` (e.g. to simulate an expired invite).
    pub fn set_status_by_email(&self, email: &Email, status: UserStatus) -> Result<()> {
        let mut st = self.lock();
        let user = st
            .users
            .iter_mut()
            .find(|u| u.has_email(email))
            .ok_or_else(|| Error::NotFound(Box::new(self.detail("accept"))))?;
        user.status = status;
        Ok(())
    }

    fn detail(&self, op: &'static str) -> VendorDetail {
        VendorDetail::new(self.info.to_string(), op)
    }

    /// Counts the call and takes an injected fault, if any.
    fn enter(&self, op: Operation) -> Option<Fault> {
        let mut st = self.lock();
        st.calls += 1;
        st.faults.get_mut(&op).and_then(VecDeque::pop_front)
    }

    fn fault_error(&self, op: Operation, fault: &Fault) -> Error {
        let mut d = self.detail(op.as_str());
        match fault {
            Fault::Unavailable => {
                d.status = Some(503);
                Error::Vendor(Box::new(d))
            }
            Fault::RateLimited => {
                d.status = Some(429);
                Error::RateLimited {
                    retry_after: Some(std::time::Duration::from_secs(1)),
                    detail: Box::new(d),
                }
            }
            Fault::CommitThenLoseAnswer | Fault::LoseRequest => Error::Uncertain {
                reason: "the answer was lost (injected fault)".into(),
                detail: Box::new(d),
            },
        }
    }

    fn find_index(st: &State, id: &UserId) -> Option<usize> {
        st.users.iter().position(|u| &u.id == id)
    }

    fn not_found(&self, op: &'static str, id: &UserId) -> Error {
        let mut d = self.detail(op);
        d.status = Some(404);
        d.message = Some(format!("no user {id}"));
        Error::NotFound(Box::new(d))
    }

    fn simple_fault(&self, op: Operation) -> Result<()> {
        match self.enter(op) {
            Some(f) => Err(self.fault_error(op, &f)),
            None => Ok(()),
        }
    }
}

impl Describe for InMemoryProvider {
    fn info(&self) -> &ProviderInfo {
        &self.info
    }
}

#[async_trait]
impl InviteProvider for InMemoryProvider {
    async fn invite(&self, invitation: &Invitation) -> Result<InviteReceipt> {
        self.info
            .capabilities
            .check_invitation(&self.info, invitation)?;
        let fault = self.enter(Operation::Invite);
        if let Some(f @ (Fault::Unavailable | Fault::RateLimited | Fault::LoseRequest)) = &fault {
            return Err(self.fault_error(Operation::Invite, f));
        }
        let mut st = self.lock();
        if let Some(existing) = st.users.iter_mut().find(|u| u.has_email(&invitation.email)) {
            if existing.status.is_lapsed_invite() {
                existing.status = UserStatus::Invited;
            } else {
                let mut d = self.detail("invite");
                d.status = Some(409);
                d.code = Some("already_exists".into());
                d.message = Some(format!("{} is already a member", invitation.email));
                return Err(Error::Conflict(Box::new(d)));
            }
        } else {
            st.next_id += 1;
            let now = OffsetDateTime::now_utc();
            let id = format!("mem-{}", st.next_id);
            let raw = serde_json::json!({
                "id": id,
                "email": invitation.email.as_str(),
                "attributes": invitation.attributes,
            });
            let user = User::new(id, UserStatus::Invited)
                .with_email(Some(invitation.email.clone()))
                .with_name(invitation.name.clone())
                .with_grants(invitation.grants.clone())
                .with_timestamps(Some(now), Some(now), Some(now), None)
                .with_raw(raw);
            st.users.push(user);
        }
        *st.invitations
            .entry(invitation.email.normalized().to_owned())
            .or_default() += 1;
        let send = invitation.delivery != EmailDelivery::Suppress;
        if send {
            st.emails_sent
                .push(invitation.email.normalized().to_owned());
        }
        let user = st
            .users
            .iter()
            .find(|u| u.has_email(&invitation.email))
            .cloned()
            .ok_or_else(|| Error::NotFound(Box::new(self.detail("invite"))))?;
        drop(st);
        if let Some(f @ Fault::CommitThenLoseAnswer) = &fault {
            return Err(self.fault_error(Operation::Invite, f));
        }
        Ok(InviteReceipt::new(user).with_email_sent(Some(send)))
    }

    async fn resend(&self, id: &UserId) -> Result<()> {
        self.info
            .capabilities
            .require(&self.info, Operation::Resend)?;
        self.simple_fault(Operation::Resend)?;
        let mut st = self.lock();
        let idx = Self::find_index(&st, id).ok_or_else(|| self.not_found("resend", id))?;
        let user = st
            .users
            .get(idx)
            .cloned()
            .ok_or_else(|| self.not_found("resend", id))?;
        if user.status != UserStatus::Invited {
            let mut d = self.detail("resend");
            d.message = Some(format!(
                "user {id} has no pending invitation (status {})",
                user.status
            ));
            return Err(Error::Conflict(Box::new(d)));
        }
        if let Some(e) = &user.email {
            st.emails_sent.push(e.normalized().to_owned());
        }
        Ok(())
    }
}

#[async_trait]
impl UserDirectory for InMemoryProvider {
    fn list(&self, query: ListQuery) -> BoxStream<'static, Result<User>> {
        let this = self.clone();
        let max = self.info.capabilities.max_page_size.unwrap_or(50);
        let size = query.page_size.unwrap_or(max).clamp(1, max) as usize;
        if let Err(e) = self.info.capabilities.require(&self.info, Operation::List) {
            return Box::pin(futures::stream::once(async move { Err(e) }));
        }
        paginate(0usize, move |offset| {
            let this = this.clone();
            let include_inactive = query.include_inactive;
            async move {
                this.simple_fault(Operation::List)?;
                let st = this.lock();
                let visible: Vec<&User> = st
                    .users
                    .iter()
                    .filter(|u| include_inactive || u.status != UserStatus::Deactivated)
                    .collect();
                let items: Vec<User> = visible
                    .iter()
                    .skip(offset)
                    .take(size)
                    .map(|u| (*u).clone())
                    .collect();
                let next = (offset + size < visible.len()).then_some(offset + size);
                Ok(Page::new(items, next))
            }
        })
    }

    async fn get(&self, id: &UserId) -> Result<User> {
        self.info.capabilities.require(&self.info, Operation::Get)?;
        self.simple_fault(Operation::Get)?;
        let st = self.lock();
        Self::find_index(&st, id)
            .and_then(|i| st.users.get(i).cloned())
            .ok_or_else(|| self.not_found("get", id))
    }

    async fn find_by_email(&self, email: &Email) -> Result<Option<User>> {
        self.info
            .capabilities
            .require(&self.info, Operation::FindByEmail)?;
        self.simple_fault(Operation::FindByEmail)?;
        Ok(self
            .lock()
            .users
            .iter()
            .find(|u| u.has_email(email))
            .cloned())
    }

    async fn update(&self, id: &UserId, patch: &UserPatch) -> Result<User> {
        self.info.capabilities.check_patch(&self.info, patch)?;
        self.simple_fault(Operation::Update)?;
        let mut st = self.lock();
        if let Some(email) = &patch.email
            && st.users.iter().any(|u| u.has_email(email) && &u.id != id)
        {
            let mut d = self.detail("update");
            d.status = Some(409);
            d.message = Some(format!("{email} belongs to another user"));
            return Err(Error::Conflict(Box::new(d)));
        }
        let idx = Self::find_index(&st, id).ok_or_else(|| self.not_found("update", id))?;
        let user = st
            .users
            .get_mut(idx)
            .ok_or_else(|| self.not_found("update", id))?;
        if let Some(name) = &patch.name {
            user.name = name.clone();
        }
        if let Some(email) = &patch.email {
            user.email = Some(email.clone());
        }
        if let Some(change) = &patch.grants {
            user.grants = change.apply_to(&user.grants);
        }
        user.updated_at = Some(OffsetDateTime::now_utc());
        Ok(user.clone())
    }

    async fn deactivate(&self, id: &UserId) -> Result<()> {
        self.info
            .capabilities
            .require(&self.info, Operation::Deactivate)?;
        self.simple_fault(Operation::Deactivate)?;
        let mut st = self.lock();
        let idx = Self::find_index(&st, id).ok_or_else(|| self.not_found("deactivate", id))?;
        if let Some(u) = st.users.get_mut(idx) {
            u.status = UserStatus::Deactivated;
        }
        Ok(())
    }

    async fn reactivate(&self, id: &UserId) -> Result<()> {
        self.info
            .capabilities
            .require(&self.info, Operation::Reactivate)?;
        self.simple_fault(Operation::Reactivate)?;
        let mut st = self.lock();
        let idx = Self::find_index(&st, id).ok_or_else(|| self.not_found("reactivate", id))?;
        if let Some(u) = st.users.get_mut(idx) {
            u.status = UserStatus::Active;
        }
        Ok(())
    }

    async fn remove(&self, id: &UserId) -> Result<()> {
        self.info
            .capabilities
            .require(&self.info, Operation::Remove)?;
        self.simple_fault(Operation::Remove)?;
        let mut st = self.lock();
        let idx = Self::find_index(&st, id).ok_or_else(|| self.not_found("remove", id))?;
        st.users.remove(idx);
        Ok(())
    }
}
