//! Snapshots of every tool's people, and the differences between two of them.

use std::collections::BTreeMap;

use futures::StreamExt;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::model::{Email, Grant, ListQuery, PersonName, User, UserId, UserStatus};
use crate::onboard::{ErrorInfo, Target};
use crate::provider::Describe;

/// One account in a [`ToolSnapshot`]: a [`User`] without the vendor payload.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Account {
    /// The account id.
    pub id: UserId,
    /// The address, when the tool returns one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<Email>,
    /// The name, where known.
    #[serde(default, skip_serializing_if = "PersonName::is_empty")]
    pub name: PersonName,
    /// The status.
    pub status: UserStatus,
    /// The grants the tool reports.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<Grant>,
    /// When the person was invited (else when the account was created), where known.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub invited_at: Option<OffsetDateTime>,
}

impl From<&User> for Account {
    fn from(u: &User) -> Self {
        Self {
            id: u.id.clone(),
            email: u.email.clone(),
            name: u.name.clone(),
            status: u.status.clone(),
            grants: u.grants.clone(),
            invited_at: u.invited_at.or(u.created_at),
        }
    }
}

impl Account {
    /// The account as a [`User`] (no vendor payload).
    pub fn to_user(&self) -> User {
        let mut u = User::new(self.id.clone(), self.status.clone())
            .with_email(self.email.clone())
            .with_name(self.name.clone())
            .with_grants(self.grants.clone());
        u.invited_at = self.invited_at;
        u
    }

    fn key(&self) -> String {
        match &self.email {
            Some(e) => e.normalized().to_owned(),
            None => format!("id:{}", self.id),
        }
    }
}

/// Present accounts win over lapsed or deactivated ones, members over invitations (as
/// [`crate::onboard::Directory`] ranks an address listed twice).
fn rank(status: &UserStatus) -> u8 {
    match status {
        UserStatus::Active | UserStatus::Unverified => 0,
        UserStatus::Invited => 1,
        _ => 2,
    }
}

/// One tool's people when the snapshot was taken.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ToolSnapshot {
    /// The tool's configured name.
    pub tool: String,
    /// The provider instance (`awork(<workspace>)`), never a secret.
    pub provider: String,
    /// Every account listed, inactive ones included.
    pub accounts: Vec<Account>,
    /// Why the tool could not be read (its accounts are then empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorInfo>,
}

impl ToolSnapshot {
    /// The account with this address (case-insensitively); when the tool lists the address
    /// twice, the one with access.
    pub fn account(&self, email: &Email) -> Option<&Account> {
        self.accounts
            .iter()
            .filter(|a| a.email.as_ref() == Some(email))
            .min_by_key(|a| rank(&a.status))
    }

    /// One account per address (the one with access), accounts without an address by id.
    fn by_key(&self) -> BTreeMap<String, &Account> {
        let mut out: BTreeMap<String, &Account> = BTreeMap::new();
        for a in &self.accounts {
            let slot = out.entry(a.key()).or_insert(a);
            if rank(&a.status) < rank(&slot.status) {
                *slot = a;
            }
        }
        out
    }
}

/// Every tool's people, statuses and grants at one moment: what `plan`, `diff` and `report`
/// read. Serialized as one JSON document.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// When the reads started.
    #[serde(with = "time::serde::rfc3339")]
    pub taken_at: OffsetDateTime,
    /// One entry per tool, in configuration order.
    pub tools: Vec<ToolSnapshot>,
}

impl Snapshot {
    /// Reads every target's user list once (all pages, inactive accounts included, the
    /// largest page size the tool declares), the targets concurrently. A tool that cannot
    /// be read is kept with its error.
    pub async fn read(targets: &[Target]) -> Self {
        let taken_at = OffsetDateTime::now_utc();
        let tools = futures::stream::iter(targets.iter().map(|t| async move {
            let info = Describe::info(t.provider.as_ref());
            let mut query = ListQuery::new().include_inactive(true);
            if let Some(size) = info.capabilities.max_page_size {
                query = query.page_size(size);
            }
            let mut list = t.provider.list(query);
            let mut accounts = Vec::new();
            let mut error = None;
            while let Some(user) = list.next().await {
                match user {
                    Ok(u) => accounts.push(Account::from(&u)),
                    Err(e) => {
                        error = Some(ErrorInfo::from(&e));
                        accounts.clear();
                        break;
                    }
                }
            }
            ToolSnapshot {
                tool: t.name.clone(),
                provider: info.to_string(),
                accounts,
                error,
            }
        }))
        .buffered(targets.len().max(1))
        .collect()
        .await;
        Self { taken_at, tools }
    }

    /// The snapshot of the tool called `name`.
    pub fn tool(&self, name: &str) -> Option<&ToolSnapshot> {
        self.tools.iter().find(|t| t.tool == name)
    }

    /// The snapshot as CSV: `tool,email,name,status,id,invited_at,grants` (grants in the
    /// roster's `kind(field=value, …)` form, separated by `;`).
    pub fn to_csv(&self) -> String {
        let mut w = csv::Writer::from_writer(Vec::new());
        let _ = w.write_record([
            "tool",
            "email",
            "name",
            "status",
            "id",
            "invited_at",
            "grants",
        ]);
        for t in &self.tools {
            for a in &t.accounts {
                let invited = a
                    .invited_at
                    .and_then(|d| {
                        d.format(&time::format_description::well_known::Rfc3339)
                            .ok()
                    })
                    .unwrap_or_default();
                let grants: Vec<String> = a.grants.iter().map(grant_text).collect();
                let _ = w.write_record([
                    t.tool.as_str(),
                    a.email.as_ref().map_or("", Email::as_str),
                    &a.name.full().unwrap_or_default(),
                    &status_name(&a.status),
                    a.id.as_str(),
                    &invited,
                    &grants.join(";"),
                ]);
            }
        }
        String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
    }
}

/// A status's snake_case name (`invite_expired`), as JSON shows it.
pub fn status_name(s: &UserStatus) -> String {
    match s {
        UserStatus::Unknown(raw) => format!("unknown:{raw}"),
        other => match serde_json::to_value(other) {
            Ok(serde_json::Value::String(s)) => s,
            _ => other.to_string(),
        },
    }
}

/// A grant in the roster's compact form: `kind(field=value, field=value)`.
pub fn grant_text(g: &Grant) -> String {
    let fields: Vec<String> = g.fields().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{}({})", g.kind(), fields.join(", "))
}

/// The grants of `these` that `those` lacks.
fn minus(these: &[Grant], those: &[Grant]) -> Vec<Grant> {
    these
        .iter()
        .filter(|g| !those.contains(g))
        .cloned()
        .collect()
}

/// What changed for one account between two snapshots.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiffKind {
    /// In the newer snapshot only.
    Joiner,
    /// In the older snapshot only.
    Leaver,
    /// In both, with another status.
    StatusChanged,
    /// In both, with other grants.
    GrantsChanged,
}

/// One difference between two snapshots.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DiffEntry {
    /// The tool.
    pub tool: String,
    /// The address (or `id:<id>` for an account without one).
    pub email: String,
    /// What changed.
    pub kind: DiffKind,
    /// The status before, for leavers and status changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<UserStatus>,
    /// The status after, for joiners and status changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<UserStatus>,
    /// Grants given since, for grant changes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub granted: Vec<Grant>,
    /// Grants taken away since, for grant changes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub revoked: Vec<Grant>,
}

/// The differences between two snapshots, tool by tool.
///
/// ```
/// use invite_core::desired::{Diff, DiffKind, Snapshot};
/// let old: Snapshot = serde_json::from_value(serde_json::json!({
///     "taken_at": "2026-01-01T00:00:00Z",
///     "tools": [{"tool": "crm", "provider": "memory(crm)", "accounts": [
///         {"id": "1", "email": "ada@example.com", "status": "active"}]}]}))?;
/// let mut new = old.clone();
/// new.tools[0].accounts.clear();
/// let diff = Diff::between(&old, &new);
/// assert_eq!(diff.entries[0].kind, DiffKind::Leaver);
/// assert_eq!(diff.leavers().collect::<Vec<_>>(), ["ada@example.com"]);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Diff {
    /// Every difference, by tool then address.
    pub entries: Vec<DiffEntry>,
}

impl Diff {
    /// What changed from `old` to `new`. A tool in only one of them counts all its accounts
    /// as joiners (or leavers); a tool that could not be read in either is left out.
    pub fn between(old: &Snapshot, new: &Snapshot) -> Self {
        let empty = BTreeMap::new();
        let mut tools: Vec<&str> = old.tools.iter().map(|t| t.tool.as_str()).collect();
        for t in &new.tools {
            if !tools.contains(&t.tool.as_str()) {
                tools.push(&t.tool);
            }
        }
        let mut entries = Vec::new();
        for tool in tools {
            let (o, n) = (old.tool(tool), new.tool(tool));
            if o.is_some_and(|t| t.error.is_some()) || n.is_some_and(|t| t.error.is_some()) {
                continue;
            }
            let before = o.map(ToolSnapshot::by_key);
            let after = n.map(ToolSnapshot::by_key);
            let (before, after) = (
                before.as_ref().unwrap_or(&empty),
                after.as_ref().unwrap_or(&empty),
            );
            let entry = |email: &str, kind| DiffEntry {
                tool: tool.to_owned(),
                email: email.to_owned(),
                kind,
                before: None,
                after: None,
                granted: Vec::new(),
                revoked: Vec::new(),
            };
            for (key, a) in after {
                match before.get(key) {
                    None => entries.push(DiffEntry {
                        after: Some(a.status.clone()),
                        ..entry(key, DiffKind::Joiner)
                    }),
                    Some(b) => {
                        if b.status != a.status {
                            entries.push(DiffEntry {
                                before: Some(b.status.clone()),
                                after: Some(a.status.clone()),
                                ..entry(key, DiffKind::StatusChanged)
                            });
                        }
                        let (granted, revoked) =
                            (minus(&a.grants, &b.grants), minus(&b.grants, &a.grants));
                        if !granted.is_empty() || !revoked.is_empty() {
                            entries.push(DiffEntry {
                                granted,
                                revoked,
                                ..entry(key, DiffKind::GrantsChanged)
                            });
                        }
                    }
                }
            }
            for (key, b) in before {
                if !after.contains_key(key) {
                    entries.push(DiffEntry {
                        before: Some(b.status.clone()),
                        ..entry(key, DiffKind::Leaver)
                    });
                }
            }
        }
        entries.sort_by(|a, b| (&a.tool, &a.email).cmp(&(&b.tool, &b.email)));
        Self { entries }
    }

    /// The addresses that left some tool (each once).
    pub fn leavers(&self) -> impl Iterator<Item = &str> {
        self.of(DiffKind::Leaver)
    }

    /// The addresses that joined some tool (each once).
    pub fn joiners(&self) -> impl Iterator<Item = &str> {
        self.of(DiffKind::Joiner)
    }

    fn of(&self, kind: DiffKind) -> impl Iterator<Item = &str> {
        let mut seen: Vec<&str> = Vec::new();
        for e in self.entries.iter().filter(|e| e.kind == kind) {
            if !seen.contains(&e.email.as_str()) {
                seen.push(&e.email);
            }
        }
        seen.into_iter()
    }
}
