//! The shared conformance suite, plus workspace-specific checks, against the sandbox's
//! Webflow workspace-members / site-access surface (`invite_sandbox::workspace`).

#![cfg(test)]

use std::sync::Arc;

use async_trait::async_trait;
use futures::StreamExt;
use invite_core::{
    DynProvider, Email, EnsureOutcome, Error, Grant, GrantChange, Invitation, InviteProvider,
    UserDirectory, UserId, UserPatch, UserStatus, ensure_invited,
};
use invite_sandbox::{Sandbox, SandboxConfig, Surface};
use invite_testkit::{Fixture, unique_email};
use invite_webflow::workspace::{
    GrantOutcome, MemberRef, RoleAssignment, SiteAccessGrant, SiteId, SiteRoleAssignment,
    WebflowWorkspace, WebflowWorkspaceConfig, WorkspaceRoleGrant, WorkspaceUserRef,
};
use serde_json::json;

const VARS: &[&str] = &[
    "WEBFLOW_API_BASE_URL",
    "WEBFLOW_WORKSPACE_TOKEN",
    "WEBFLOW_WORKSPACE_ID",
];

struct WorkspaceFixture {
    sandbox: Sandbox,
    provider: WebflowWorkspace,
}

impl WorkspaceFixture {
    async fn start() -> Self {
        Self::start_with(SandboxConfig::new(), &[]).await
    }

    async fn start_with(config: SandboxConfig, extra: &[(&str, &str)]) -> Self {
        let sandbox = Sandbox::start_with(config).await.expect("sandbox starts");
        let settings = sandbox.settings().env_pairs().into_iter();
        let mut vars: Vec<(&str, String)> = settings.filter(|(k, _)| VARS.contains(k)).collect();
        // The extra variables come last: they win over the sandbox's.
        vars.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
        let config = WebflowWorkspaceConfig::from_lookup(invite_testkit::lookup(vars))
            .expect("config from sandbox settings");
        let provider = WebflowWorkspace::from_config(config).expect("provider");
        Self { sandbox, provider }
    }

    fn site(&self) -> SiteId {
        SiteId::new(self.sandbox.settings().webflow_site_id.clone()).unwrap()
    }

    fn action(&self, action: &str, email: &Email) {
        self.sandbox
            .admin_action(
                Surface::WebflowWorkspace,
                action,
                &json!({ "email": email.as_str() }),
            )
            .unwrap_or_else(|e| panic!("{action}: {e:?}"));
    }
}

fn member_designer() -> Grant {
    Grant::from(WorkspaceRoleGrant::new("member", Some("designer")))
}

/// No `grant_pair`: a workspace role is one per person (Add of a second one would replace,
/// not add), and site access can only be granted to members, while the suite's check works on
/// a fresh invitee. Role and site-access changes are covered by
/// `role_and_site_access_round_trip` below and by the wire tests.
#[async_trait]
impl Fixture for WorkspaceFixture {
    fn provider(&self) -> DynProvider {
        Arc::new(self.provider.clone())
    }

    fn invitation(&self, email: Email) -> Invitation {
        Invitation::new(email).with_grant(member_designer())
    }

    fn unknown_id(&self) -> UserId {
        UserId::new("member:000000000000000000000000")
    }

    fn sandbox(&self) -> Option<(&Sandbox, Surface)> {
        Some((&self.sandbox, Surface::WebflowWorkspace))
    }
}

invite_testkit::conformance_suite!(async { WorkspaceFixture::start().await });

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declined_and_expired_invites_are_reported_not_counted_as_done() {
    let f = WorkspaceFixture::start().await;
    for action in ["decline", "expire"] {
        let email = unique_email(action);
        let inv = f.invitation(email.clone());
        let first = ensure_invited(&f.provider, &inv).await.unwrap();
        assert!(matches!(first, EnsureOutcome::Invited(_)), "{first:?}");
        f.action(action, &email);
        let again = ensure_invited(&f.provider, &inv).await.unwrap();
        let EnsureOutcome::Lapsed(user) = again else {
            panic!("{action}: expected Lapsed, got {again:?}");
        };
        let want = if action == "decline" {
            UserStatus::InviteDeclined
        } else {
            UserStatus::InviteExpired
        };
        assert_eq!(user.status, want);
        assert_eq!(
            f.sandbox
                .invitation_count(Surface::WebflowWorkspace, email.normalized()),
            1,
            "no second invitation"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_an_invite_and_bulk_reports() {
    let f = WorkspaceFixture::start().await;
    let mut ids = Vec::new();
    for i in 0..3 {
        let r = f
            .provider
            .invite(&f.invitation(unique_email(&format!("bulk{i}"))))
            .await
            .unwrap();
        ids.push(r.user.id);
    }
    let unknown = UserId::new("invite:000000000000000000000000");
    let mut asked = ids.clone();
    asked.push(unknown.clone());
    asked.push(ids[0].clone());
    let report = f
        .provider
        .bulk_update_roles(&asked, &RoleAssignment::ADMIN)
        .await
        .unwrap();
    assert_eq!(report.items.len(), 4, "deduplicated");
    assert!(!report.is_success());
    let failed: Vec<_> = report.failed().collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].target, WorkspaceUserRef::parse(&unknown).unwrap());
    let err = report.into_result().unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert_eq!(err.vendor_code(), Some("workspace_invite_not_found"));

    let got = f.provider.get(&ids[1]).await.unwrap();
    assert!(
        got.grants
            .iter()
            .any(|g| g.field("workspace_role") == Some("admin"))
    );

    // Cancel one invite through `remove`, the rest in bulk.
    f.provider.remove(&ids[0]).await.unwrap();
    assert!(f.provider.get(&ids[0]).await.unwrap_err().is_not_found());
    let report = f.provider.bulk_remove(&ids[1..]).await.unwrap();
    assert!(report.is_success(), "{report:?}");
    let mut all = f.provider.list(Default::default());
    while let Some(u) = all.next().await {
        assert!(
            !ids.contains(&u.unwrap().id),
            "cancelled invite still listed"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn role_and_site_access_round_trip() {
    let f = WorkspaceFixture::start().await;
    let email = unique_email("member");
    let invited = f
        .provider
        .invite(&f.invitation(email.clone()))
        .await
        .unwrap()
        .user;
    f.action("accept", &email);
    // The invite id follows the person to their member record.
    let member = f.provider.get(&invited.id).await.unwrap();
    assert_eq!(member.status, UserStatus::Active);
    assert!(member.id.as_str().starts_with("member:"));

    let marketer = Grant::from(WorkspaceRoleGrant::new("member", Some("marketer")));
    let updated = f
        .provider
        .update(
            &invited.id,
            &UserPatch::new().grants(GrantChange::Replace(vec![marketer.clone()])),
        )
        .await
        .unwrap();
    assert!(updated.grants.contains(&marketer), "{:?}", updated.grants);

    let client_site = SiteId::new(invite_sandbox::workspace::CLIENT_SITE_ID).unwrap();
    let who = MemberRef::Email(email.clone());
    let g = f
        .provider
        .grant_site_access(&client_site, &who, &SiteRoleAssignment::ContentEditor)
        .await
        .unwrap();
    assert!(matches!(g, GrantOutcome::Granted(_)), "{g:?}");
    let again = f
        .provider
        .grant_site_access(&client_site, &who, &SiteRoleAssignment::ContentEditor)
        .await
        .unwrap();
    assert_eq!(again, GrantOutcome::AlreadyHadAccess);
    let m = f
        .provider
        .update_site_role(&client_site, &who, &SiteRoleAssignment::Marketer)
        .await
        .unwrap();
    assert_eq!(m.site_role.as_ref().map(|r| r.as_str()), Some("marketer"));
    let listed: Vec<_> = f.provider.list_site_members(&client_site).collect().await;
    assert!(
        listed
            .iter()
            .any(|m| m.as_ref().unwrap().email.as_ref() == Some(&email))
    );
    f.provider
        .revoke_site_access(&client_site, &who)
        .await
        .unwrap();
    // Idempotent.
    f.provider
        .revoke_site_access(&client_site, &who)
        .await
        .unwrap();
    // Not a member: 404 "not a workspace member".
    let stranger = MemberRef::Email(unique_email("stranger"));
    let err = f
        .provider
        .revoke_site_access(&f.site(), &stranger)
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert!(err.to_string().contains("not a workspace member"), "{err}");

    // Remove the member with the old invite id: it follows to the member.
    f.provider.remove(&invited.id).await.unwrap();
    assert!(f.provider.find_by_email(&email).await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn site_grants_travel_in_the_invite_and_defaults_apply() {
    let client_site = invite_sandbox::workspace::CLIENT_SITE_ID;
    let grants = format!("{client_site}=content_editor");
    let f = WorkspaceFixture::start_with(
        SandboxConfig::new(),
        &[
            ("WEBFLOW_WORKSPACE_ROLE", "client"),
            ("WEBFLOW_SITE_GRANTS", &grants),
        ],
    )
    .await;
    let email = unique_email("client");
    let r = f
        .provider
        .invite(&Invitation::new(email.clone()))
        .await
        .unwrap();
    assert!(
        r.user.grants.contains(&Grant::from(SiteAccessGrant::new(
            client_site,
            "content_editor"
        ))),
        "{:?}",
        r.user.grants
    );
    assert!(r.user.raw["role"] == "client", "{}", r.user.raw);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_enterprise_and_missing_scopes_are_forbidden() {
    let f = WorkspaceFixture::start_with(
        SandboxConfig::new().webflow_workspace_enterprise(false),
        &[],
    )
    .await;
    let err = f
        .provider
        .find_by_email(&unique_email("x"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Forbidden { .. }), "{err:?}");
    assert!(
        err.to_string().contains("Enterprise workspace is required"),
        "{err}"
    );

    let f = WorkspaceFixture::start_with(
        SandboxConfig::new().webflow_workspace_scopes(["workspace_members:read"]),
        &[],
    )
    .await;
    let err = f
        .provider
        .invite(&f.invitation(unique_email("scope")))
        .await
        .unwrap_err();
    match err {
        Error::Forbidden { missing_scope, .. } => {
            assert_eq!(missing_scope.as_deref(), Some("workspace_members:write"))
        }
        other => panic!("{other:?}"),
    }
}

/// "Invite to the workspace as member/designer, and grant site S as content_editor": the
/// invite carries member/designer (one site role per pending invite), the site role waits as
/// a pending grant, and the first run after acceptance gives it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn onboarding_gives_a_deferred_site_role_after_acceptance() {
    use invite_core::onboard::{Orchestrator, Outcome, Person, Target};
    use invite_core::{MemoryJournal, PersonName};

    let f = WorkspaceFixture::start().await;
    let site = f.site();
    let content_editor = Grant::from(SiteAccessGrant::new(
        site.as_str().to_owned(),
        "content_editor",
    ));
    let target = Target::new("webflow-workspace", Arc::new(f.provider.clone()))
        .with_grants(vec![member_designer(), content_editor.clone()])
        .with_grant_convergence(true);
    let journal = Arc::new(MemoryJournal::new());
    let orch = Orchestrator::new(vec![target.clone()]).with_journal(journal.clone());
    let email = unique_email("deferred");
    let person = Person::new(email.clone(), PersonName::new("Ada", "Lovelace"));
    let site_role = |email: Email| {
        let p = f.provider.clone();
        let site = site.clone();
        async move {
            let members: Vec<_> = p.list_site_members(&site).collect().await;
            members
                .into_iter()
                .map(Result::unwrap)
                .find(|m| m.email.as_ref() == Some(&email))
                .and_then(|m| m.site_role)
                .map(|r| r.as_str().to_owned())
        }
    };

    // Run 1: invited as member/designer; the site role is pending.
    let r1 = orch.onboard(&person).await;
    let e = &r1.entries[0];
    assert_eq!(e.outcome, Outcome::Invited, "{e:?}");
    assert_eq!(e.pending_grants, vec![content_editor.clone()]);
    assert!(r1.succeeded());
    assert_eq!(
        f.sandbox
            .invitation_count(Surface::WebflowWorkspace, email.normalized()),
        1
    );
    let json = serde_json::to_value(&r1).unwrap();
    assert_eq!(
        json["entries"][0]["pending_grants"][0]["site_role"],
        "content_editor"
    );

    // Not accepted yet: the grant stays pending (an update would be refused).
    let pending = orch.onboard(&person).await;
    assert_eq!(pending.entries[0].outcome, Outcome::AlreadyMember);
    assert!(
        !pending.entries[0].resumed,
        "an open job is not read from the journal"
    );
    assert_eq!(
        pending.entries[0].pending_grants,
        vec![content_editor.clone()]
    );
    let invite_id = UserId::new(pending.entries[0].user_id.clone().unwrap());
    let refused = f
        .provider
        .update(
            &invite_id,
            &UserPatch::new().grants(GrantChange::Add(vec![content_editor.clone()])),
        )
        .await
        .unwrap_err();
    assert!(matches!(refused, Error::Conflict(_)), "{refused:?}");

    f.action("accept", &email);
    assert_eq!(site_role(email.clone()).await.as_deref(), Some("designer"));

    // Run 2: a member now; the site role is given.
    let r2 = orch.onboard(&person).await;
    let e = &r2.entries[0];
    assert_eq!(e.outcome, Outcome::AlreadyMember, "{e:?}");
    assert_eq!(
        e.reason.as_deref(),
        Some(format!("granted site {} as content_editor", site.as_str()).as_str())
    );
    assert!(e.pending_grants.is_empty());
    assert!(r2.succeeded());
    assert_eq!(
        site_role(email.clone()).await.as_deref(),
        Some("content_editor")
    );
    let member = f.provider.find_by_email(&email).await.unwrap().unwrap();
    assert_eq!(
        member.grants,
        vec![member_designer()],
        "workspace role unchanged"
    );

    // Run 3: done, read from the journal; nothing is sent.
    let before = f.sandbox.requests().total;
    let r3 = orch.onboard(&person).await;
    assert!(r3.entries[0].resumed, "{:?}", r3.entries[0]);
    assert_eq!(r3.entries[0].outcome, Outcome::AlreadyMember);
    assert_eq!(f.sandbox.requests().total, before);
    assert_eq!(
        f.sandbox
            .invitation_count(Surface::WebflowWorkspace, email.normalized()),
        1
    );

    // An existing admin is never lowered by the same onboarding: the workspace role is an
    // exclusive kind (never converged) and an admin's site role is not changed.
    let boss = unique_email("admin");
    f.provider
        .invite(
            &Invitation::new(boss.clone()).with_grant(Grant::from(WorkspaceRoleGrant::new(
                "admin",
                Some("site_manager"),
            ))),
        )
        .await
        .unwrap();
    f.action("accept", &boss);
    let fresh = Orchestrator::new(vec![target]);
    let r = fresh
        .onboard(&Person::new(boss.clone(), PersonName::default()))
        .await;
    let e = &r.entries[0];
    // Onboarded (exit 0 in the CLI), with the grant the tool refused reported, not retried.
    assert_eq!(e.outcome, Outcome::AlreadyMember, "{e:?}");
    assert!(r.succeeded());
    assert!(
        matches!(e.source, Some(Error::Conflict(_))),
        "reported, not hidden: {e:?}"
    );
    assert!(
        e.reason
            .as_deref()
            .unwrap_or_default()
            .contains("not given"),
        "{e:?}"
    );
    assert!(e.pending_grants.is_empty(), "not retried: {e:?}");
    let admin = f.provider.find_by_email(&boss).await.unwrap().unwrap();
    assert!(
        matches!(&admin.grants[..], [g] if g.field("workspace_role") == Some("admin")),
        "{:?}",
        admin.grants
    );
    assert_eq!(site_role(boss).await.as_deref(), Some("site_manager"));
}
