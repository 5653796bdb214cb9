//! Secret hygiene under full tracing. Its own test binary, because tracing's interest cache
//! is process-wide: a capturing subscriber at TRACE (with span open/close events) is the
//! global default here, a broad set of calls runs across every adapter — successes,
//! conflicts, not-found, wrong tokens, injected faults with error bodies, awork invitation
//! codes accepted and re-used — and no token of any surface and no awork invitation code may
//! appear in the captured output or in any error's `Debug`/`Display`.

#![cfg(test)]

mod hardening_support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use hardening_support::{sandbox, subjects, vars};
use invite::awork::AworkProvider;
use invite::sandbox::{Fault, FaultRule};
use invite::webflow::SiteToken;
use invite::webflow::site::{WebflowSiteConfig, WebflowSiteUsers};
use invite::{
    EnsureOutcome, InviteProvider, ListQuery, PersonName, UserDirectory, UserId, UserPatch,
    ensure_invited,
};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::FmtSpan;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Everything shown to a person: error texts and debug forms, plus outcomes.
#[derive(Default)]
struct Shown(Vec<String>);

impl Shown {
    fn result<T: std::fmt::Debug>(&mut self, r: &invite::Result<T>) {
        match r {
            Ok(v) => self.0.push(format!("{v:?}")),
            Err(e) => {
                self.0.push(format!("{e}"));
                self.0.push(format!("{e:?}"));
                self.0.push(format!("{e:#?}"));
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_token_or_invitation_code_reaches_logs_or_errors() {
    let capture = Capture::default();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::FULL)
        .with_ansi(false)
        .with_writer(capture.clone())
        .init();

    let sb = sandbox().await;
    let mut shown = Shown::default();
    let mut codes: Vec<String> = Vec::new();

    for (round, subject) in subjects(&sb).into_iter().enumerate() {
        let p = subject.provider.clone();
        shown.0.push(format!("{p:?} {p}"));
        let email = format!("secret-{round}@example.com");
        let inv = subject.invitation(&email);
        let first = ensure_invited(p.as_ref(), &inv).await;
        if let Ok(EnsureOutcome::Invited(receipt)) = &first
            && let Some(code) = &receipt.invitation_code
        {
            codes.push(code.expose().to_owned());
        }
        shown.result(&first);
        let user = first.expect("first invite").user().clone();
        shown.result(&p.invite(&inv).await); // conflict or already member
        shown.result(&p.get(&user.id).await);
        shown.result(&p.get(&UserId::new(subject.unknown_id.clone())).await);
        shown.result(&p.find_by_email(&inv.email).await);
        let listed: Vec<_> = p
            .list(ListQuery::new().page_size(2))
            .take(3)
            .collect()
            .await;
        for r in &listed {
            shown.result(r);
        }
        let patch = UserPatch::new().name(PersonName::new("Renamed", "Person"));
        shown.result(&p.update(&user.id, &patch).await);
        shown.result(&p.deactivate(&user.id).await);
        shown.result(&p.reactivate(&user.id).await);
        shown.result(&p.resend(&user.id).await);

        // Faults whose error paths build body excerpts and messages.
        for fault in [
            Fault::TruncatedJson,
            Fault::MalformedJson,
            Fault::ServerError {
                status: 500,
                html: true,
            },
            Fault::CommitThenDrop,
            Fault::RateLimited {
                retry_after_secs: 0,
            },
        ] {
            sb.add_fault(
                FaultRule::new(fault)
                    .surface(subject.surface)
                    .method("POST"),
            );
            let other = subject.invitation(&format!(
                "secret-fault-{round}-{}@example.com",
                codes.len() + shown.0.len()
            ));
            let r = ensure_invited(p.as_ref(), &other).await;
            if let Ok(EnsureOutcome::Invited(receipt)) = &r
                && let Some(code) = &receipt.invitation_code
            {
                codes.push(code.expose().to_owned());
            }
            shown.result(&r);
            sb.clear_faults();
        }
        shown.result(&p.remove(&user.id).await);
        shown.result(&p.remove(&user.id).await);
    }

    // awork invitation codes: accepted once, then re-used (the vendor's error echoes nothing
    // the client may show).
    let s = sb.settings().clone();
    let v = vars(&sb);
    let awork = AworkProvider::from_config(
        invite::awork::AworkConfig::from_lookup(|k| v.get(k).cloned()).unwrap(),
    )
    .unwrap();
    let receipt = awork
        .invite(
            &invite::Invitation::new(invite::Email::parse("code-holder@example.com").unwrap())
                .with_name(PersonName::new("Code", "Holder")),
        )
        .await
        .expect("awork invite");
    let code = receipt
        .invitation_code
        .clone()
        .expect("awork returns an invitation code");
    codes.push(code.expose().to_owned());
    shown.0.push(format!("{receipt:?}"));
    shown.result(&awork.accept_invitation(&code).await);
    shown.result(&awork.accept_invitation(&code).await); // used: 400
    let bogus = invite::InvitationCode::new("Zm9yZ2VkLWNvZGUtMTIzNDU2Nzg5MA==");
    codes.push(bogus.expose().to_owned());
    shown.result(&awork.accept_invitation(&bogus).await);
    assert!(!codes.is_empty());

    // Wrong tokens: the SCIM token to the site client, the site token to SCIM.
    let site = WebflowSiteUsers::from_config(
        WebflowSiteConfig::builder(
            s.webflow_site_id.clone(),
            SiteToken::new(s.webflow_scim_token.clone()),
        )
        .base_url(s.webflow_api_base_url.clone())
        .build()
        .unwrap(),
    )
    .unwrap();
    shown.result(
        &site
            .find_by_email(&invite::Email::parse("x@example.com").unwrap())
            .await,
    );
    let scim = invite::scim::WebflowScimConfig::new(invite::scim::WebflowScimToken::new(
        s.webflow_api_token.clone(),
    ))
    .base_url(s.webflow_scim_base_url.clone())
    .build()
    .unwrap();
    shown.result(
        &scim
            .find_by_email(&invite::Email::parse("x@example.com").unwrap())
            .await,
    );
    shown.0.push(format!("{site:?} {scim:?}"));
    sb.shutdown().await;

    let log = String::from_utf8_lossy(&capture.0.lock().unwrap()).into_owned();
    // The capture works: it holds the HTTP spans of the calls above.
    assert!(log.contains("invite.http"), "nothing captured");
    // ... with the call details next to where a leaked header or body would be.
    assert!(
        log.contains(&s.webflow_site_id),
        "no provider labels captured"
    );
    assert!(
        log.contains("status=401"),
        "the wrong-token answers were not traced"
    );
    assert!(
        log.contains("TRACE") || log.contains("DEBUG"),
        "not at TRACE level"
    );
    let secrets: Vec<(String, String)> = [
        ("WEBFLOW_API_TOKEN", s.webflow_api_token.clone()),
        ("WEBFLOW_SCIM_TOKEN", s.webflow_scim_token.clone()),
        ("WEBFLOW_WORKSPACE_TOKEN", s.webflow_workspace_token.clone()),
        ("FLATFILE_API_KEY", s.flatfile_api_key.clone()),
        ("AWORK_API_TOKEN", s.awork_api_token.clone()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .chain(
        codes
            .iter()
            .map(|c| ("awork invitation code".to_owned(), c.clone())),
    )
    .collect();
    let shown = shown.0.join("\n");
    for (what, secret) in &secrets {
        assert!(secret.len() >= 8, "{what} is too short to search for");
        assert!(
            !log.contains(secret.as_str()),
            "{what} appears in the trace output"
        );
        assert!(
            !shown.contains(secret.as_str()),
            "{what} appears in an error or outcome"
        );
    }
}
