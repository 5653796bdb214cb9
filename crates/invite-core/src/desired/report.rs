//! The access report: who a tool has that the roster does not name, invitations left
//! pending or lapsed too long, and seats per tool.

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use super::roster::Roster;
use super::snapshot::Snapshot;
use crate::model::UserStatus;

/// Someone a tool has that the roster does not name there.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Unlisted {
    /// The tool.
    pub tool: String,
    /// The address (or `id:<id>`).
    pub email: String,
    /// Their status.
    pub status: UserStatus,
    /// True when the roster's ignore list names them.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ignored: bool,
}

/// An invitation pending, declined or expired for longer than the report's threshold.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StaleInvitation {
    /// The tool.
    pub tool: String,
    /// The address.
    pub email: String,
    /// `invited`, `invite_declined` or `invite_expired`.
    pub status: UserStatus,
    /// Whole days since the invitation.
    pub days: i64,
}

/// How many accounts a tool holds, by status.
#[non_exhaustive]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seats {
    /// The tool.
    pub tool: String,
    /// Members with access (active or unverified).
    pub active: usize,
    /// Pending invitations.
    pub invited: usize,
    /// Declined or expired invitations.
    pub lapsed: usize,
    /// Deactivated accounts.
    pub deactivated: usize,
    /// Every account listed.
    pub total: usize,
}

/// What `invite report` shows, from one [`Snapshot`] and (optionally) a [`Roster`].
///
/// ```
/// use invite_core::desired::{AccessReport, Snapshot};
/// let snapshot: Snapshot = serde_json::from_value(serde_json::json!({
///     "taken_at": "2026-03-01T00:00:00Z",
///     "tools": [{"tool": "crm", "provider": "memory(crm)", "accounts": [
///         {"id": "1", "email": "ada@example.com", "status": "active"},
///         {"id": "2", "email": "old@example.com", "status": "invited", "invited_at": "2026-01-01T00:00:00Z"}]}]}))?;
/// let report = AccessReport::new(&snapshot, None, 30);
/// assert_eq!(report.stale_invitations[0].email, "old@example.com");
/// assert_eq!(report.stale_invitations[0].days, 59);
/// assert_eq!((report.seats[0].active, report.seats[0].invited), (1, 1));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccessReport {
    /// When the snapshot was taken.
    #[serde(with = "time::serde::rfc3339")]
    pub taken_at: OffsetDateTime,
    /// People present in a tool the roster does not name there (empty without a roster).
    pub unlisted: Vec<Unlisted>,
    /// Invitations pending or lapsed for more than the threshold.
    pub stale_invitations: Vec<StaleInvitation>,
    /// Seats per tool.
    pub seats: Vec<Seats>,
}

impl AccessReport {
    /// The report of `snapshot` against `roster`, with invitations older than
    /// `stale_after_days` (counted to the snapshot's time) reported. Invitations whose
    /// tool gives no date are not counted as stale.
    pub fn new(snapshot: &Snapshot, roster: Option<&Roster>, stale_after_days: u32) -> Self {
        let threshold = Duration::days(i64::from(stale_after_days));
        let mut report = Self {
            taken_at: snapshot.taken_at,
            unlisted: Vec::new(),
            stale_invitations: Vec::new(),
            seats: Vec::new(),
        };
        for t in &snapshot.tools {
            let mut seats = Seats {
                tool: t.tool.clone(),
                total: t.accounts.len(),
                ..Seats::default()
            };
            for a in &t.accounts {
                match &a.status {
                    UserStatus::Active | UserStatus::Unverified => seats.active += 1,
                    UserStatus::Invited => seats.invited += 1,
                    s if s.is_lapsed_invite() => seats.lapsed += 1,
                    UserStatus::Deactivated => seats.deactivated += 1,
                    _ => {}
                }
                let email = a
                    .email
                    .as_ref()
                    .map_or_else(|| format!("id:{}", a.id), |e| e.as_str().to_owned());
                let pending = a.status == UserStatus::Invited || a.status.is_lapsed_invite();
                if pending
                    && let Some(at) = a.invited_at
                    && snapshot.taken_at - at > threshold
                {
                    report.stale_invitations.push(StaleInvitation {
                        tool: t.tool.clone(),
                        email: email.clone(),
                        status: a.status.clone(),
                        days: (snapshot.taken_at - at).whole_days(),
                    });
                }
                if let Some(r) = roster {
                    let named = a.email.as_ref().is_some_and(|e| {
                        r.person(e).is_some_and(|p| p.tools.contains_key(&t.tool))
                    });
                    if !named {
                        report.unlisted.push(Unlisted {
                            tool: t.tool.clone(),
                            email,
                            status: a.status.clone(),
                            ignored: a.email.as_ref().is_some_and(|e| r.is_ignored(e)),
                        });
                    }
                }
            }
            report.seats.push(seats);
        }
        report
    }
}
