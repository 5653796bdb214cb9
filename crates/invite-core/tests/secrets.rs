//! Secret hygiene of the HTTP machinery: the token never appears in tracing output (captured
//! at TRACE level, hyper's own events included), `Debug`, `Display` or errors.
//!
//! In its own test binary: tracing's callsite interest cache is process-wide, so a capturing
//! subscriber must not race with tests that run without one.

#![cfg(test)]

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use invite_core::http::{ClientOptions, HttpClient, Request, RetryConfig, validate_base_url};
use invite_core::{LocalRateLimiter, SecretString};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "tok_super_secret_value_123";

fn client(base: &str) -> HttpClient {
    HttpClient::builder("test(1)", validate_base_url(base, "TEST_URL").unwrap())
        .bearer(SecretString::from(TOKEN))
        .options(
            ClientOptions::default()
                .with_retry(
                    RetryConfig::default()
                        .with_max_retries(2)
                        .with_backoff(Duration::from_millis(5), Duration::from_millis(50)),
                )
                .with_limiter(Arc::new(LocalRateLimiter::new())),
        )
        .build()
        .unwrap()
}

/// Captures everything tracing prints at TRACE level.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);
impl Write for Capture {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn token_never_appears_in_traces_debug_or_errors() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401).set_body_string(format!("bad token {TOKEN}")))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let c = client(&server.uri());
    let e1 = c
        .send(Request::get("/x").operation("get"))
        .await
        .unwrap_err();
    let e2 = c
        .send(Request::post("/x").operation("invite"))
        .await
        .unwrap_err();
    let shown = format!("{c:?} {e1:?} {e1} {e2:?} {e2}");
    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("invite.http"), "spans are emitted: {logs}");
    assert!(logs.contains("status=401"), "status recorded: {logs}");
    for text in [&shown, &logs] {
        assert!(!text.contains(TOKEN), "token leaked: {text}");
    }
    assert!(shown.contains("[REDACTED]"));
}
