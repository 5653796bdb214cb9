//! The plan: what it takes to bring every tool to the roster, computed from a [`Snapshot`].

use std::fmt;

use serde::{Deserialize, Serialize};

use super::roster::{Roster, RosterError, RosterErrors};
use super::snapshot::{Account, Snapshot};
use crate::model::{Email, Grant, PersonName, User, UserId, UserStatus};
use crate::onboard::{ErrorInfo, Target};
use crate::provider::{Capabilities, Describe};

/// What one change does.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Invite someone the tool does not have.
    Invite,
    /// Invite again someone whose invitation was declined or expired (only with
    /// [`PlanOptions::reinvite_lapsed`], and where the tool re-sends).
    Reinvite,
    /// Give a member the grants the roster names that they lack (an exclusive kind, such as
    /// a role, is replaced).
    ChangeGrants,
    /// Grants a pending invitee gets once they accept (e.g. a Webflow site role an
    /// invitation cannot carry): nothing is written now; a later apply gives them.
    GrantAfterAcceptance,
    /// Take from a member the grants they hold that the roster does not list
    /// ([`PlanOptions::authoritative`] only; never a kind the tool holds one of per person).
    RevokeGrants,
    /// Remove a member the roster does not name here ([`PlanOptions::authoritative`] only).
    Remove,
    /// Cancel the pending (or lapsed) invitation of someone the roster does not name here
    /// ([`PlanOptions::authoritative`] only).
    CancelInvitation,
}

impl Action {
    /// The action's name (`invite`, `change_grants`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Invite => "invite",
            Action::Reinvite => "reinvite",
            Action::ChangeGrants => "change_grants",
            Action::GrantAfterAcceptance => "grant_after_acceptance",
            Action::RevokeGrants => "revoke_grants",
            Action::Remove => "remove",
            Action::CancelInvitation => "cancel_invitation",
        }
    }

    /// True for the actions bounded by a removal limit.
    pub fn is_removal(self) -> bool {
        matches!(self, Action::Remove | Action::CancelInvitation)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// One change of a [`Plan`]: a tool, a person and what to do.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// The tool's configured name.
    pub tool: String,
    /// The person.
    pub email: Email,
    /// What to do.
    pub action: Action,
    /// Their name from the roster (invitations).
    #[serde(default, skip_serializing_if = "PersonName::is_empty")]
    pub name: PersonName,
    /// The grants to give: the invitation's (empty: the tool's defaults), or those a member
    /// lacks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<Grant>,
    /// The account, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
    /// Its status when the snapshot was taken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<UserStatus>,
    /// Why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Change {
    fn new(tool: &str, email: &Email, action: Action) -> Self {
        Self {
            tool: tool.to_owned(),
            email: email.clone(),
            action,
            name: PersonName::unknown(),
            grants: Vec::new(),
            user_id: None,
            status: None,
            reason: None,
        }
    }

    /// The account the plan's read found, as a [`User`] carrying what the change knows
    /// (id, address, status); `None` when there was none.
    pub(super) fn account(&self) -> Option<User> {
        let (id, status) = (self.user_id.clone()?, self.status.clone()?);
        Some(User::new(id, status).with_email(Some(self.email.clone())))
    }

    fn with_account(mut self, a: &Account) -> Self {
        self.user_id = Some(a.id.clone());
        self.status = Some(a.status.clone());
        self
    }

    fn with_reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }
}

/// Someone a plan leaves as they are although the roster and the tool disagree, and why
/// (ignored, the credentials' own account, a lapsed invitation not re-sent, a tool that
/// cannot do it).
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Kept {
    /// The tool.
    pub tool: String,
    /// The person (or `id:<id>` for an account without an address).
    pub email: String,
    /// Their status.
    pub status: UserStatus,
    /// Why nothing is planned.
    pub reason: String,
}

/// A tool the plan could not read.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ToolError {
    /// The tool.
    pub tool: String,
    /// The error.
    pub error: ErrorInfo,
}

/// How a plan is made.
#[non_exhaustive]
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PlanOptions {
    /// Remove people (cancel invitations) a tool has and the roster does not name there, and
    /// take from members the grants the roster does not list.
    pub authoritative: bool,
    /// Invite again people whose invitation was declined or expired.
    pub reinvite_lapsed: bool,
    /// Accounts never removed, per tool (`None`: every tool): the credentials' own account,
    /// as the tools that know it report it.
    pub protected: Vec<(Option<String>, Email)>,
}

impl PlanOptions {
    /// Default options: add only, lapsed invitations reported.
    pub fn new() -> Self {
        Self::default()
    }
    crate::setters! {
        /// Sets authoritative mode.
        authoritative(authoritative: bool);
        /// Sets whether lapsed invitations are sent again.
        reinvite_lapsed(reinvite_lapsed: bool);
    }
    /// Never removes `email` from `tool` (`None`: from any tool).
    pub fn protect(mut self, tool: Option<&str>, email: Email) -> Self {
        self.protected.push((tool.map(str::to_owned), email));
        self
    }

    fn is_protected(&self, tool: &str, email: &Email) -> bool {
        self.protected
            .iter()
            .any(|(t, e)| e == email && t.as_deref().is_none_or(|t| t == tool))
    }
}

/// The changes that bring every tool to the roster. Made by [`Plan::new`] from a
/// [`Snapshot`] (one list read per tool); sends nothing.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// When the snapshot it was made from was taken.
    #[serde(with = "time::serde::rfc3339")]
    pub taken_at: time::OffsetDateTime,
    /// Whether removals were planned.
    pub authoritative: bool,
    /// The changes, by tool then person.
    pub changes: Vec<Change>,
    /// Differences left as they are, and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kept: Vec<Kept>,
    /// Tools that could not be read: nothing is planned there.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ToolError>,
}

/// Whether a held grant gives what a wanted one asks for: same kind, and every field both
/// name is equal (a tool that does not report a field is not asked to change it).
pub fn satisfies(held: &Grant, wanted: &Grant) -> bool {
    held.kind() == wanted.kind()
        && wanted
            .fields()
            .all(|(k, v)| held.field(k).is_none_or(|h| h == v))
}

/// Grants as the plan's reasons show them: `a, b`.
fn shown(grants: &[Grant]) -> String {
    let shown: Vec<String> = grants.iter().map(ToString::to_string).collect();
    shown.join(", ")
}

/// `g` with the kind the tool declares under its name (so it is shown with the adapter's
/// phrase: `site S as designer`); equal to `g` either way.
fn declared(caps: &Capabilities, g: &Grant) -> Grant {
    match caps.grant_kinds.iter().find(|k| k.as_str() == g.kind()) {
        Some(kind) => g
            .fields()
            .fold(Grant::new(*kind), |acc, (f, v)| acc.with(f, v)),
        None => g.clone(),
    }
}

/// Checks the roster against the tools before anything is sent: every tool it names is
/// configured, and every grant is of a kind the tool understands (one per exclusive kind).
pub fn check(roster: &Roster, targets: &[Target]) -> Result<(), RosterErrors> {
    let file = roster
        .source
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "roster".into());
    let mut errors = Vec::new();
    let names: Vec<&str> = targets.iter().map(|t| t.name.as_str()).collect();
    for p in &roster.people {
        for (tool, grants) in &p.tools {
            let err = |reason: String| RosterError {
                file: file.clone(),
                line: p.line,
                reason,
            };
            let Some(t) = targets.iter().find(|t| &t.name == tool) else {
                errors.push(err(format!(
                    "{}: the tool `{tool}` is not configured for this run (configured: {})",
                    p.email,
                    names.join(", ")
                )));
                continue;
            };
            let info = Describe::info(t.provider.as_ref());
            let mut inv = t.invitation(&crate::onboard::Person::new(
                p.email.clone(),
                p.name.clone(),
            ));
            if !grants.is_empty() {
                inv.grants = grants.clone();
            }
            if let Err(e) = info.capabilities.check_invitation(info, &inv) {
                errors.push(err(format!("{}: {tool}: {e}", p.email)));
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(RosterErrors(errors))
    }
}

impl Plan {
    /// The plan that takes the tools in `snapshot` to `roster`. Tools the roster names that
    /// are not among `targets` are skipped (see [`check`] to refuse them first).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use invite_core::desired::{Action, Plan, PlanOptions, Roster, Snapshot};
    /// use invite_core::onboard::Target;
    /// use invite_core::InMemoryProvider;
    /// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
    /// let crm = InMemoryProvider::new("crm");
    /// let targets = vec![Target::new("crm", Arc::new(crm.clone()))];
    /// let roster = Roster::parse_csv("r.csv", "email,name,tools\nada@example.com,Ada,crm\n").unwrap();
    /// let snapshot = Snapshot::read(&targets).await;
    /// let plan = Plan::new(&roster, &snapshot, &targets, &PlanOptions::new());
    /// assert_eq!(plan.changes.len(), 1);
    /// assert_eq!(plan.changes[0].action, Action::Invite);
    /// assert_eq!(crm.calls(), 1, "one list read, nothing written");
    /// # });
    /// ```
    pub fn new(
        roster: &Roster,
        snapshot: &Snapshot,
        targets: &[Target],
        options: &PlanOptions,
    ) -> Self {
        let mut plan = Plan {
            taken_at: snapshot.taken_at,
            authoritative: options.authoritative,
            changes: Vec::new(),
            kept: Vec::new(),
            errors: Vec::new(),
        };
        for t in targets {
            let Some(tool) = snapshot.tool(&t.name) else {
                continue;
            };
            if let Some(e) = &tool.error {
                plan.errors.push(ToolError {
                    tool: t.name.clone(),
                    error: e.clone(),
                });
                continue;
            }
            let caps = &Describe::info(t.provider.as_ref()).capabilities;
            for p in &roster.people {
                let Some(grants) = p.tools.get(&t.name) else {
                    continue;
                };
                let wanted: Vec<Grant> = if grants.is_empty() { &t.grants } else { grants }
                    .iter()
                    .map(|g| declared(caps, g))
                    .collect();
                plan.person(
                    t,
                    caps,
                    p.email.clone(),
                    &p.name,
                    &wanted,
                    tool.account(&p.email),
                    options,
                );
            }
            if options.authoritative {
                plan.extra(t, caps, roster, &tool.accounts, options);
            }
        }
        plan.changes
            .sort_by(|a, b| (&a.tool, &a.email, a.action).cmp(&(&b.tool, &b.email, b.action)));
        plan
    }

    /// Reads every target once ([`Snapshot::read`]) and plans from that.
    pub async fn read(roster: &Roster, targets: &[Target], options: &PlanOptions) -> Self {
        let snapshot = Snapshot::read(targets).await;
        Self::new(roster, &snapshot, targets, options)
    }

    /// True when the tools already match the roster.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// How many removals and cancellations the plan holds.
    pub fn removals(&self) -> usize {
        self.changes
            .iter()
            .filter(|c| c.action.is_removal())
            .count()
    }

    fn keep(&mut self, tool: &str, email: impl Into<String>, status: &UserStatus, reason: String) {
        self.kept.push(Kept {
            tool: tool.to_owned(),
            email: email.into(),
            status: status.clone(),
            reason,
        });
    }

    #[allow(clippy::too_many_arguments)]
    fn person(
        &mut self,
        t: &Target,
        caps: &Capabilities,
        email: Email,
        name: &PersonName,
        wanted: &[Grant],
        account: Option<&Account>,
        options: &PlanOptions,
    ) {
        let tool = t.name.as_str();
        let Some(a) = account else {
            let mut c = Change::new(tool, &email, Action::Invite);
            c.name = name.clone();
            c.grants = wanted.to_vec();
            self.changes.push(c);
            return;
        };
        match &a.status {
            s if s.is_lapsed_invite() => {
                if options.reinvite_lapsed && caps.reinvite_lapsed {
                    let mut c = Change::new(tool, &email, Action::Reinvite)
                        .with_account(a)
                        .with_reason(format!("invitation {s}"));
                    c.name = name.clone();
                    c.grants = wanted.to_vec();
                    self.changes.push(c);
                } else if options.reinvite_lapsed {
                    self.keep(
                        tool,
                        email.as_str(),
                        s,
                        format!("invitation {s}; this tool does not re-send invitations"),
                    );
                } else {
                    self.keep(
                        tool,
                        email.as_str(),
                        s,
                        format!("invitation {s}; plan with --reinvite-lapsed to invite again"),
                    );
                }
            }
            UserStatus::Deactivated => self.keep(
                tool,
                email.as_str(),
                &a.status,
                "deactivated in the tool; reactivate by hand if intended".into(),
            ),
            _ => self.grants(tool, caps, &email, a, wanted, options.authoritative),
        }
    }

    /// A member's (or pending invitee's) grants against the roster's: those they lack are
    /// given (an invitee's once accepted); with `authoritative`, those a member holds that
    /// the roster does not list are taken away. Never taken away: a kind a person holds one
    /// of (a role: the roster's replaces it), a kind the tool does not declare; a grant the
    /// tool cannot list (Webflow lists no member's sites) is never seen held, so never
    /// planned away.
    fn grants(
        &mut self,
        tool: &str,
        caps: &Capabilities,
        email: &Email,
        a: &Account,
        wanted: &[Grant],
        authoritative: bool,
    ) {
        let pending = a.status == UserStatus::Invited;
        let missing: Vec<Grant> = wanted
            .iter()
            .filter(|w| !a.grants.iter().any(|h| satisfies(h, w)))
            .cloned()
            .collect();
        let extra: Vec<Grant> = a
            .grants
            .iter()
            .filter(|h| authoritative && !pending && caps.understands(h.kind()))
            .filter(|h| !caps.is_exclusive(h.kind()) && !wanted.iter().any(|w| satisfies(h, w)))
            .cloned()
            .collect();
        let lacks = format!("lacks {}", shown(&missing));
        let holds = format!("holds {}, which the roster does not list", shown(&extra));
        let give = if pending {
            Action::GrantAfterAcceptance
        } else {
            Action::ChangeGrants
        };
        for (grants, action, reason) in
            [(missing, give, lacks), (extra, Action::RevokeGrants, holds)]
        {
            if grants.is_empty() {
                continue;
            }
            if !pending && !caps.update_grants {
                let reason = format!("{reason}; this tool cannot change grants");
                self.keep(tool, email.as_str(), &a.status, reason);
                continue;
            }
            let mut c = Change::new(tool, email, action)
                .with_account(a)
                .with_reason(reason);
            c.grants = grants;
            self.changes.push(c);
        }
    }

    /// Authoritative mode: everyone the tool has that the roster does not name there.
    fn extra(
        &mut self,
        t: &Target,
        caps: &Capabilities,
        roster: &Roster,
        accounts: &[Account],
        options: &PlanOptions,
    ) {
        let tool = t.name.as_str();
        let mut seen: Vec<&Email> = Vec::new();
        for a in accounts {
            let Some(email) = &a.email else {
                self.keep(
                    tool,
                    format!("id:{}", a.id),
                    &a.status,
                    "no address to match against the roster".into(),
                );
                continue;
            };
            let named = roster
                .person(email)
                .is_some_and(|p| p.tools.contains_key(tool));
            if named {
                continue;
            }
            let reason = if roster.is_ignored(email) {
                Some("on the roster's ignore list")
            } else if options.is_protected(tool, email) {
                Some("the account the credentials belong to")
            } else if !caps.remove {
                Some("not on the roster, but this tool cannot remove accounts")
            } else {
                None
            };
            if let Some(reason) = reason {
                self.keep(tool, email.as_str(), &a.status, reason.into());
                continue;
            }
            // One change per address, even when the tool lists it twice.
            if seen.contains(&email) {
                continue;
            }
            seen.push(email);
            let action = match a.status {
                UserStatus::Invited | UserStatus::InviteDeclined | UserStatus::InviteExpired => {
                    Action::CancelInvitation
                }
                _ => Action::Remove,
            };
            let why = if roster.person(email).is_some() {
                format!("the roster does not name {tool} for them")
            } else {
                "not on the roster".to_owned()
            };
            self.changes.push(
                Change::new(tool, email, action)
                    .with_account(a)
                    .with_reason(why),
            );
        }
    }
}
