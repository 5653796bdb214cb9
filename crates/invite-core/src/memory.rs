//! [`InMemoryProvider`]: a complete provider kept in memory, for tests and examples.
//!
//! It implements both traits with every capability (or the ones you give it), passes the
//! whole `invite-testkit` conformance suite, and can inject the failures that matter for
//! onboarding code: a lost invite answer (the invite is stored, the caller gets
//! [`Error::Uncertain`]), a transient failure, or a rate limit.

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::error::{Error, Result, VendorDetail};
use crate::grant::{AdapterGrant, Grant, GrantKind, GrantPlan};
use crate::model::{
    Email, EmailDelivery, Invitation, InviteReceipt, ListQuery, User, UserId, UserPatch, UserStatus,
};
use crate::page::Page;
use crate::pipeline::{Adapter, Pipeline};
use crate::provider::{Capabilities, Operation, ProviderInfo};

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
    calls_of: HashMap<Operation, u64>,
    faults: HashMap<Operation, VecDeque<Fault>>,
    delays: HashMap<Operation, Duration>,
}

/// The in-memory tool's role: a person holds one
/// ([`Capabilities::exclusive_grant_kinds`]). Field: `role`.
pub const MEMORY_ROLE: GrantKind = GrantKind::new("memory_role").phrased("role {role}");
/// The in-memory tool's groups: a person holds any number. Field: `group`.
pub const MEMORY_GROUP: GrantKind = GrantKind::new("memory_group").phrased("group {group}");

/// A provider kept in memory: [`InMemory`] behind the shared [`Pipeline`]. Cheap to clone;
/// clones share state.
pub type InMemoryProvider = Pipeline<InMemory>;

/// The in-memory tool's state and behaviour (the adapter behind [`InMemoryProvider`]).
pub struct InMemory {
    info: ProviderInfo,
    state: Mutex<State>,
}

impl fmt::Debug for InMemory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InMemoryProvider")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

/// Every grant is understood as it is (the in-memory tool stores what it is given).
impl AdapterGrant for Grant {
    const KINDS: &'static [GrantKind] = &[];

    fn to_grant(&self) -> Grant {
        self.clone()
    }

    fn from_grant(grant: &Grant, _field: &str) -> Result<Self> {
        Ok(grant.clone())
    }
}

impl InMemoryProvider {
    /// A provider named `memory(<instance>)` with every capability.
    pub fn new(instance: impl Into<String>) -> Self {
        Self::with_capabilities(instance, Self::full_capabilities())
    }

    /// A provider with the given capabilities; calls outside them are refused.
    pub fn with_capabilities(instance: impl Into<String>, capabilities: Capabilities) -> Self {
        Self::from_adapter(InMemory {
            info: ProviderInfo::new("memory", instance, capabilities),
            state: Mutex::new(State::default()),
        })
    }

    /// Every capability, the grant kinds [`MEMORY_ROLE`] (exclusive) and [`MEMORY_GROUP`],
    /// attributes `title` and `position`.
    pub fn full_capabilities() -> Capabilities {
        Capabilities {
            invite: true,
            silent_invite: true,
            explicit_email: true,
            resend: true,
            list: true,
            get: true,
            server_side_email_lookup: true,
            update_name: true,
            update_email: true,
            update_grants: true,
            attributes: Cow::Borrowed(&["title", "position"]),
            deactivate: true,
            reactivate: true,
            remove: true,
            grant_kinds: &[MEMORY_ROLE, MEMORY_GROUP],
            exclusive_grant_kinds: &[MEMORY_ROLE],
            reinvite_lapsed: true,
            max_page_size: Some(50),
            ..Capabilities::NONE
        }
    }

    /// A [`MEMORY_ROLE`] grant.
    pub fn role(role: &str) -> Grant {
        Grant::new(MEMORY_ROLE).with("role", role)
    }

    /// A [`MEMORY_GROUP`] grant.
    pub fn group(group: &str) -> Grant {
        Grant::new(MEMORY_GROUP).with("group", group)
    }
}

impl InMemory {
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

    /// Makes every later call of `operation` take `delay` before it reaches the store, as a
    /// remote tool's answer does: two callers that start together both read before either
    /// writes (e.g. to show what a lock must prevent).
    pub fn answer_late(&self, operation: Operation, delay: Duration) {
        self.lock().delays.insert(operation, delay);
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

    /// How many calls of `operation` reached the store, answered or failed.
    pub fn calls_of(&self, operation: Operation) -> u64 {
        self.lock().calls_of.get(&operation).copied().unwrap_or(0)
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

    /// Counts the call, takes an injected fault, if any, and waits out the operation's delay
    /// ([`InMemory::answer_late`]).
    async fn enter(&self, op: Operation) -> Option<Fault> {
        let (fault, delay) = {
            let mut st = self.lock();
            st.calls += 1;
            *st.calls_of.entry(op).or_default() += 1;
            let fault = st.faults.get_mut(&op).and_then(VecDeque::pop_front);
            (fault, st.delays.get(&op).copied())
        };
        if let Some(delay) = delay {
            tokio::time::sleep(delay).await;
        }
        fault
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
                    retry_after: Some(Duration::from_secs(1)),
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

    async fn set_status(&self, op: Operation, id: &UserId, status: UserStatus) -> Result<()> {
        self.simple_fault(op).await?;
        let mut st = self.lock();
        let user = Self::find_index(&st, id)
            .and_then(|i| st.users.get_mut(i))
            .ok_or_else(|| self.not_found(op.as_str(), id))?;
        user.status = status;
        Ok(())
    }

    async fn simple_fault(&self, op: Operation) -> Result<()> {
        match self.enter(op).await {
            Some(f) => Err(self.fault_error(op, &f)),
            None => Ok(()),
        }
    }
}

#[async_trait]
impl Adapter for InMemory {
    type Config = ProviderInfo;
    type Grant = Grant;
    type Cursor = usize;

    fn from_config(info: ProviderInfo) -> Result<Self> {
        Ok(Self {
            info,
            state: Mutex::new(State::default()),
        })
    }

    fn info(&self) -> &ProviderInfo {
        &self.info
    }

    fn first_page(&self) -> usize {
        0
    }

    async fn list_page(
        &self,
        offset: usize,
        size: u32,
        query: &ListQuery,
    ) -> Result<Page<User, usize>> {
        self.simple_fault(Operation::List).await?;
        let size = size as usize;
        let st = self.lock();
        let visible: Vec<&User> = st
            .users
            .iter()
            .filter(|u| query.include_inactive || u.status != UserStatus::Deactivated)
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

    async fn get(&self, id: &UserId) -> Result<User> {
        self.simple_fault(Operation::Get).await?;
        let st = self.lock();
        Self::find_index(&st, id)
            .and_then(|i| st.users.get(i).cloned())
            .ok_or_else(|| self.not_found("get", id))
    }

    async fn invite(&self, invitation: &Invitation, grants: Vec<Grant>) -> Result<InviteReceipt> {
        let fault = self.enter(Operation::Invite).await;
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
                .with_grants(grants)
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
        self.simple_fault(Operation::Resend).await?;
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

    async fn find_by_email(&self, email: &Email) -> Result<Vec<User>> {
        self.simple_fault(Operation::FindByEmail).await?;
        Ok(self
            .lock()
            .users
            .iter()
            .filter(|u| u.has_email(email))
            .cloned()
            .collect())
    }

    /// Reads the store directly: a grant change is one call, as on a tool whose user
    /// answer carries its grants.
    async fn grants_of(&self, id: &UserId) -> Result<Vec<Grant>> {
        let st = self.lock();
        Self::find_index(&st, id)
            .and_then(|i| st.users.get(i))
            .map(|u| u.grants.clone())
            .ok_or_else(|| self.not_found("update", id))
    }

    async fn update(
        &self,
        id: &UserId,
        profile: Option<&UserPatch>,
        grants: Option<GrantPlan<Grant>>,
    ) -> Result<User> {
        self.simple_fault(Operation::Update).await?;
        let mut st = self.lock();
        if let Some(email) = profile.and_then(|p| p.email.as_ref())
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
        if let Some(name) = profile.and_then(|p| p.name.as_ref()) {
            user.name = name.clone();
        }
        if let Some(email) = profile.and_then(|p| p.email.as_ref()) {
            user.email = Some(email.clone());
        }
        if let Some(plan) = grants {
            user.grants = plan.desired;
        }
        user.updated_at = Some(OffsetDateTime::now_utc());
        Ok(user.clone())
    }

    async fn deactivate(&self, id: &UserId) -> Result<()> {
        self.set_status(Operation::Deactivate, id, UserStatus::Deactivated)
            .await
    }

    async fn reactivate(&self, id: &UserId) -> Result<()> {
        self.set_status(Operation::Reactivate, id, UserStatus::Active)
            .await
    }

    async fn remove(&self, id: &UserId) -> Result<()> {
        self.simple_fault(Operation::Remove).await?;
        let mut st = self.lock();
        let idx = Self::find_index(&st, id).ok_or_else(|| self.not_found("remove", id))?;
        st.users.remove(idx);
        Ok(())
    }
}
