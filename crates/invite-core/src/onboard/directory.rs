//! Who already exists at one tool, learnt once for a whole run.
//!
//! Looking people up one by one costs a request per person where the tool filters by email
//! on the server, and a walk through the whole user list per person where it does not. A
//! [`Directory`] reads the list once, as a stream, into a case-insensitive index of email →
//! (id, status): never whole user records, so memory stays small on large directories.
//! [`Directory::read_for`] decides from the tool's declared abilities
//! ([`Capabilities::server_side_email_lookup`], [`Capabilities::max_page_size`]) how much of
//! the list is worth reading for the people a run needs:
//!
//! - **without an email filter**, the whole list is read once for everyone (each person's
//!   lookup would read it again);
//! - **with an email filter**, a page is read only while reading the directory to its end
//!   there would still cost fewer requests than looking up everyone not yet found
//!   (`pages read + 1 < people still to look up`). When the directory has not ended by then,
//!   the rest are looked up one by one with the filter: a handful of people into a
//!   10 000-user directory cost a few pages at most, never the whole list;
//! - **one person** is always looked up on their own (one filtered request, or a walk that
//!   stops where they are found): a read costs at least as much.
//!
//! Whoever the pages read contain is known present; someone absent is known absent only when
//! the whole list was read ([`Directory::is_complete`]). Everyone else is [`Known::Unknown`],
//! and the caller asks the tool ([`crate::UserDirectory::find_by_email`]).
//!
//! [`Capabilities::server_side_email_lookup`]: crate::Capabilities::server_side_email_lookup
//! [`Capabilities::max_page_size`]: crate::Capabilities::max_page_size

use std::collections::{HashMap, HashSet};

use futures::StreamExt;

use crate::error::Result;
use crate::model::{Email, ListQuery, User, UserId, UserStatus};
use crate::provider::{Describe, UserDirectory};

/// One account as the index keeps it: its id and status.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listed {
    /// The account id.
    pub id: UserId,
    /// Its status when the list was read.
    pub status: UserStatus,
}

impl Listed {
    /// The account as a [`User`] that carries only what the index knows: id, email, status.
    pub fn to_user(&self, email: &Email) -> User {
        User::new(self.id.clone(), self.status.clone()).with_email(Some(email.clone()))
    }
}

/// What a [`Directory`] knows about one address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Known<'a> {
    /// An account with this address was listed.
    Present(&'a Listed),
    /// The whole list was read and holds no account with this address.
    Absent,
    /// Not listed in the part that was read: ask the tool.
    Unknown,
}

/// A case-insensitive index of a tool's accounts (email → id and status), read once from
/// [`UserDirectory::list`]. See the [module docs](self).
#[derive(Clone, Debug, Default)]
pub struct Directory {
    index: HashMap<String, Listed>,
    users: u64,
    complete: bool,
}

/// Present accounts win over deactivated ones and lapsed invitations, members over pending
/// invitations (as the adapters' own `find_by_email` answers when an address is listed twice).
fn rank(status: &UserStatus) -> u8 {
    match status {
        UserStatus::Active | UserStatus::Unverified => 0,
        UserStatus::Invited => 1,
        _ => 2,
    }
}

impl Directory {
    /// Reads the whole list (inactive accounts included, the largest page size the tool
    /// declares). A failing page is returned as the error.
    pub async fn read<D>(directory: &D) -> Result<Self>
    where
        D: UserDirectory + ?Sized,
    {
        let mut users = directory.list(Self::query(directory));
        let mut d = Self::default();
        while let Some(user) = users.next().await {
            d.insert(&user?);
        }
        d.complete = true;
        Ok(d)
    }

    /// A directory from a list already read in full (e.g. a
    /// [`Snapshot`](crate::desired::Snapshot)'s): whoever `users` does not hold is known absent.
    pub fn from_users<'a>(users: impl IntoIterator<Item = &'a User>) -> Self {
        let mut d = Self::default();
        for user in users {
            d.insert(user);
        }
        d.complete = true;
        d
    }

    /// Reads as much of the list as pays off for looking up `wanted` (see the
    /// [module docs](self)), or nothing (`None`) when asking per person costs no more: one
    /// person, a tool that cannot list, or a filtering tool that declares no page size.
    ///
    /// A page that fails ends the read early: whoever was listed so far is still known, and
    /// everyone else is [`Known::Unknown`] (the failure is logged; the per-person lookups
    /// that follow report it, if it persists).
    pub async fn read_for<D>(directory: &D, wanted: &[&Email]) -> Option<Self>
    where
        D: UserDirectory + ?Sized,
    {
        let info = Describe::info(directory);
        let caps = &info.capabilities;
        let mut remaining: HashSet<&str> = wanted.iter().map(|e| e.normalized()).collect();
        if remaining.len() < 2 || !caps.list {
            return None;
        }
        // With a filter, pages are counted to stop in time; without one, everything is read.
        let page_size = match (caps.server_side_email_lookup, caps.max_page_size) {
            (true, None) => return None,
            (true, Some(size)) => Some(u64::from(size.max(1))),
            (false, _) => None,
        };
        let mut users = directory.list(Self::query(directory));
        let mut d = Self::default();
        loop {
            if let Some(size) = page_size
                && d.users % size == 0
                && d.users / size + 1 >= remaining.len() as u64
            {
                // Even if the next page were the last, the filter costs no more from here.
                break;
            }
            match users.next().await {
                None => {
                    d.complete = true;
                    break;
                }
                Some(Ok(user)) => {
                    if let Some(email) = &user.email {
                        remaining.remove(email.normalized());
                    }
                    d.insert(&user);
                }
                Some(Err(e)) => {
                    tracing::warn!(target: "invite::directory", provider = %info, error = %e, users = d.users, "reading the user list failed; the people not listed so far are looked up one by one");
                    break;
                }
            }
        }
        tracing::debug!(target: "invite::directory", provider = %info, users = d.users, complete = d.complete, "user list read");
        Some(d)
    }

    fn query<D: UserDirectory + ?Sized>(directory: &D) -> ListQuery {
        // Every account `find_by_email` would find, deactivated ones included.
        let query = ListQuery::new().include_inactive(true);
        match Describe::info(directory).capabilities.max_page_size {
            Some(size) => query.page_size(size),
            None => query,
        }
    }

    fn insert(&mut self, user: &User) {
        self.users += 1;
        let Some(email) = &user.email else { return };
        let listed = Listed {
            id: user.id.clone(),
            status: user.status.clone(),
        };
        match self.index.get_mut(email.normalized()) {
            Some(known) if rank(&listed.status) < rank(&known.status) => *known = listed,
            Some(_) => {}
            None => {
                self.index.insert(email.normalized().to_owned(), listed);
            }
        }
    }

    /// What the read says about `email` (compared case-insensitively).
    pub fn lookup(&self, email: &Email) -> Known<'_> {
        match self.index.get(email.normalized()) {
            Some(listed) => Known::Present(listed),
            None if self.complete => Known::Absent,
            None => Known::Unknown,
        }
    }

    /// True when the whole list was read (absence is then known too).
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// How many accounts were read.
    pub fn users_read(&self) -> u64 {
        self.users
    }

    /// How many distinct addresses the index holds.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// True when the index holds no address.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::InMemoryProvider;
    use crate::model::Invitation;
    use crate::provider::{Capabilities, InviteProvider};

    fn email(s: &str) -> Email {
        Email::parse(s).unwrap()
    }

    async fn seeded(caps: Capabilities, n: usize) -> InMemoryProvider {
        let p = InMemoryProvider::with_capabilities("dir", caps);
        for i in 0..n {
            p.invite(&Invitation::new(email(&format!("user-{i:04}@example.com"))))
                .await
                .unwrap();
        }
        p
    }

    fn caps(filter: bool, page: u32) -> Capabilities {
        let mut c = InMemoryProvider::full_capabilities();
        c.server_side_email_lookup = filter;
        c.max_page_size = Some(page);
        c
    }

    #[tokio::test]
    async fn index_is_case_insensitive_and_prefers_present_accounts() {
        let p = seeded(caps(true, 10), 25).await;
        let gone = email("Gone@Example.com");
        p.invite(&Invitation::new(gone.clone())).await.unwrap();
        p.set_status_by_email(&gone, UserStatus::Deactivated)
            .unwrap();
        let calls = p.calls();
        let d = Directory::read(&p).await.unwrap();
        assert_eq!(p.calls() - calls, 3, "26 users in pages of 10");
        assert!(d.is_complete());
        assert_eq!((d.users_read(), d.len()), (26, 26));
        let Known::Present(listed) = d.lookup(&email("USER-0007@example.COM")) else {
            panic!("listed in another case")
        };
        assert_eq!(listed.status, UserStatus::Invited);
        assert_eq!(
            d.lookup(&gone),
            Known::Present(&Listed {
                id: p.find_by_email(&gone).await.unwrap().unwrap().id,
                status: UserStatus::Deactivated
            }),
            "inactive accounts are listed too"
        );
        assert_eq!(d.lookup(&email("nobody@example.com")), Known::Absent);

        let mut twice = Directory::default();
        let id = |s: &str| UserId::from(s.to_owned());
        for (i, status) in [
            UserStatus::InviteExpired,
            UserStatus::Active,
            UserStatus::Invited,
        ]
        .into_iter()
        .enumerate()
        {
            twice.insert(&User::new(id(&i.to_string()), status).with_email(Some(gone.clone())));
        }
        assert!(
            matches!(twice.lookup(&gone), Known::Present(l) if l.id == id("1")),
            "the member wins"
        );
    }

    #[tokio::test]
    async fn without_a_filter_the_whole_list_is_read_once_for_everyone() {
        let p = seeded(caps(false, 10), 95).await;
        let (a, b) = (email("new@example.com"), email("User-0003@Example.com"));
        let calls = p.calls();
        let d = Directory::read_for(&p, &[&a, &b]).await.unwrap();
        assert_eq!(p.calls() - calls, 10, "95 users in pages of 10");
        assert_eq!(d.lookup(&a), Known::Absent);
        assert!(matches!(d.lookup(&b), Known::Present(_)));
        assert!(Directory::read_for(&p, &[&a]).await.is_none(), "one person");
        assert!(
            Directory::read_for(&p, &[&a, &a]).await.is_none(),
            "one person"
        );
    }

    #[tokio::test]
    async fn with_a_filter_pages_are_read_only_while_they_can_pay_off() {
        let people: Vec<Email> = (0..5)
            .map(|i| email(&format!("new-{i}@example.com")))
            .collect();
        let wanted: Vec<&Email> = people.iter().collect();
        // A large directory: at most `people - 1` pages, then per-person lookups.
        let big = seeded(caps(true, 10), 1000).await;
        let calls = big.calls();
        let d = Directory::read_for(&big, &wanted).await.unwrap();
        assert_eq!(big.calls() - calls, 4);
        assert!(!d.is_complete());
        assert_eq!(d.lookup(&people[0]), Known::Unknown);
        assert!(matches!(
            d.lookup(&email("user-0012@example.com")),
            Known::Present(_)
        ));
        // A small one is read to its end.
        let small = seeded(caps(true, 10), 25).await;
        let calls = small.calls();
        let d = Directory::read_for(&small, &wanted).await.unwrap();
        assert_eq!(small.calls() - calls, 3);
        assert_eq!(d.lookup(&people[4]), Known::Absent);
        // People found on the pages read need no lookup: the read stops as soon as it no
        // longer pays off for those still missing.
        let found: Vec<Email> = (0..4)
            .map(|i| email(&format!("user-{i:04}@example.com")))
            .collect();
        let mut mixed: Vec<&Email> = found.iter().collect();
        mixed.push(&people[0]);
        let calls = big.calls();
        let d = Directory::read_for(&big, &mixed).await.unwrap();
        assert_eq!(big.calls() - calls, 1, "one page found four of five");
        assert!(
            found
                .iter()
                .all(|e| matches!(d.lookup(e), Known::Present(_)))
        );
        // No declared page size: nothing to count pages by, so nothing is read.
        let mut c = caps(true, 10);
        c.max_page_size = None;
        let unsized_ = InMemoryProvider::with_capabilities("u", c);
        assert!(Directory::read_for(&unsized_, &wanted).await.is_none());
    }

    #[tokio::test]
    async fn a_failing_page_leaves_the_rest_unknown() {
        let p = seeded(caps(false, 10), 30).await;
        p.inject(
            crate::provider::Operation::List,
            crate::memory::Fault::Unavailable,
        );
        let (a, b) = (email("a@example.com"), email("user-0001@example.com"));
        let d = Directory::read_for(&p, &[&a, &b]).await.unwrap();
        assert!(!d.is_complete());
        assert_eq!(d.lookup(&a), Known::Unknown);
        assert!(Directory::read(&p).await.is_ok(), "the fault was used up");
        p.inject(
            crate::provider::Operation::List,
            crate::memory::Fault::Unavailable,
        );
        assert!(Directory::read(&p).await.is_err());
    }
}
