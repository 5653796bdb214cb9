//! The shared HTTP machinery against real local servers: exact requests, retry
//! classification, uncertain outcomes, rate-limit feedback and secret hygiene.

#![cfg(test)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use invite_core::http::{
    ClientOptions, HttpClient, HttpClientBuilder, Request, RetryConfig, validate_base_url,
};
use invite_core::{
    Error, LimitKey, LocalRateLimiter, RateBudget, RateFeedback, RateLimiter, SecretString,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "tok_super_secret_value_123";

fn options() -> ClientOptions {
    ClientOptions::default()
        .with_retry(
            RetryConfig::default()
                .with_max_retries(3)
                .with_backoff(Duration::from_millis(5), Duration::from_millis(50))
                .with_retry_timeout(Duration::from_secs(10)),
        )
        .with_timeout(Duration::from_secs(2))
        .with_limiter(Arc::new(LocalRateLimiter::new()))
}

/// A server answering every `verb` request with `answer`, which expects `times` of them.
async fn answering(verb: &str, answer: ResponseTemplate, times: u64) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method(verb))
        .respond_with(answer)
        .expect(times)
        .mount(&server)
        .await;
    server
}

fn client(base: &str) -> HttpClient {
    HttpClient::builder("test(1)", validate_base_url(base, "TEST_URL").unwrap())
        .bearer(SecretString::from(TOKEN))
        .options(options())
        .build()
        .unwrap()
}

#[tokio::test]
async fn sends_exact_request_with_bearer_and_encoded_segments() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/sites/a%2Fb/users/invite"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(header("content-type", "application/json"))
        .and(query_param("x", "1 2"))
        .and(body_json(serde_json::json!({"email": "a@b.co"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"id": "u1"})))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&format!("{}/v2", server.uri()));
    let v: serde_json::Value = c
        .json(
            Request::post("/sites/{}/users/invite")
                .segment("a/b")
                .query("x", "1 2")
                .json(&serde_json::json!({"email": "a@b.co"}))
                .operation("invite"),
        )
        .await
        .unwrap();
    assert_eq!(v["id"], "u1");
}

#[tokio::test]
async fn reads_retry_5xx_then_succeed() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!([])))
        .expect(1)
        .mount(&server)
        .await;
    let v: Vec<u8> = client(&server.uri())
        .json(Request::get("/users"))
        .await
        .unwrap();
    assert!(v.is_empty());
}

#[tokio::test]
async fn reads_give_up_after_max_retries() {
    let server = answering(
        "GET",
        ResponseTemplate::new(500).set_body_string("<html>oops</html>"),
        4,
    )
    .await;
    let err = client(&server.uri())
        .send(Request::get("/users").operation("list"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Vendor(_)), "{err:?}");
    assert_eq!(err.status(), Some(500));
    assert!(err.is_retryable());
    assert!(
        err.detail()
            .unwrap()
            .body_excerpt
            .as_deref()
            .unwrap()
            .contains("oops")
    );
}

#[tokio::test]
async fn post_5xx_is_uncertain_and_not_retried() {
    let server = answering("POST", ResponseTemplate::new(502), 1).await;
    let err = client(&server.uri())
        .send(Request::post("/invite").operation("invite"))
        .await
        .unwrap_err();
    assert!(err.is_uncertain(), "{err:?}");
    assert!(err.to_string().contains("not idempotent"), "{err}");
    assert_eq!(err.status(), Some(502));
}

#[tokio::test]
async fn post_429_is_retried_after_retry_after() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "0"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"ok": true})))
        .expect(1)
        .mount(&server)
        .await;
    let v: serde_json::Value = client(&server.uri())
        .json(Request::post("/invite"))
        .await
        .unwrap();
    assert_eq!(v["ok"], true);
}

#[tokio::test]
async fn retry_after_beyond_the_deadline_is_rate_limited_at_once() {
    let server = answering(
        "GET",
        ResponseTemplate::new(429).insert_header("retry-after", "3600"),
        1,
    )
    .await;
    let err = client(&server.uri())
        .send(Request::get("/x"))
        .await
        .unwrap_err();
    match err {
        Error::RateLimited { retry_after, .. } => {
            assert_eq!(retry_after, Some(Duration::from_secs(3600)))
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn status_classification() {
    let server = MockServer::start().await;
    for (p, status) in [
        ("/401", 401),
        ("/403", 403),
        ("/404", 404),
        ("/409", 409),
        ("/422", 422),
    ] {
        Mock::given(path(p))
            .respond_with(
                ResponseTemplate::new(status)
                    .insert_header("x-request-id", "req-42")
                    .set_body_json(serde_json::json!({"code": "c", "message": "m"})),
            )
            .mount(&server)
            .await;
    }
    let c = client(&server.uri());
    let e = |p: &'static str| {
        let c = c.clone();
        async move { c.send(Request::get(p)).await.unwrap_err() }
    };
    assert!(matches!(e("/401").await, Error::Unauthorized(_)));
    assert!(matches!(e("/403").await, Error::Forbidden { .. }));
    assert!(matches!(e("/404").await, Error::NotFound(_)));
    assert!(matches!(e("/409").await, Error::Conflict(_)));
    let v = e("/422").await;
    assert!(matches!(v, Error::Vendor(_)));
    assert_eq!(v.vendor_code(), Some("c"));
    assert_eq!(v.request_id(), Some("req-42"));
    assert!(v.to_string().contains("req-42"));
}

#[tokio::test]
async fn undecodable_success_is_decode_error_for_reads_and_uncertain_for_posts() {
    let body = format!(r#"{{"invitationCode":"CODE-XYZ","echo":"{TOKEN}","#);
    let answer = ResponseTemplate::new(200).set_body_string(body.clone());
    let server = answering("GET", answer, 4).await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string(body))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server.uri());
    let err = c
        .json::<serde_json::Value>(Request::get("/x"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    let shown = format!("{err:?} {err}");
    assert!(!shown.contains(TOKEN), "token leaked: {shown}");
    let err = c
        .json::<serde_json::Value>(Request::post("/x"))
        .await
        .unwrap_err();
    assert!(err.is_uncertain(), "{err:?}");
    assert!(!format!("{err:?} {err}").contains(TOKEN));
}

/// A server that reads one request and closes the connection without answering.
async fn drop_server(accepts: usize) -> (String, Arc<Mutex<usize>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(0usize));
    let s = seen.clone();
    tokio::spawn(async move {
        for _ in 0..accepts {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let mut buf = [0u8; 4096];
            let _ = sock.read(&mut buf).await;
            *s.lock().unwrap() += 1;
            let _ = sock.shutdown().await;
        }
    });
    (format!("http://{addr}"), seen)
}

#[tokio::test]
async fn dropped_connection_post_is_uncertain_get_is_retried() {
    let (base, seen) = drop_server(10).await;
    let c = client(&base);
    let err = c
        .send(Request::post("/invite").operation("invite"))
        .await
        .unwrap_err();
    assert!(err.is_uncertain(), "{err:?}");
    assert_eq!(
        *seen.lock().unwrap(),
        1,
        "a POST that may have arrived is sent once"
    );
    let err = c.send(Request::get("/users")).await.unwrap_err();
    assert!(
        matches!(err, Error::Transport { .. } | Error::Timeout(_)),
        "{err:?}"
    );
    assert_eq!(*seen.lock().unwrap(), 1 + 4, "a GET is retried");
}

#[tokio::test]
async fn connection_refused_is_retried_even_for_post() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let err = client(&format!("http://{addr}"))
        .send(Request::post("/invite"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Transport { .. }),
        "refused is provably unsent: {err:?}"
    );
}

#[derive(Debug, Default)]
struct Recorder {
    seen: Mutex<Vec<(LimitKey, RateFeedback)>>,
    acquired: Mutex<Vec<(LimitKey, Option<RateBudget>)>>,
}

#[async_trait]
impl RateLimiter for Recorder {
    async fn acquire(&self, key: &LimitKey, budget: Option<RateBudget>) -> invite_core::Result<()> {
        self.acquired.lock().unwrap().push((key.clone(), budget));
        Ok(())
    }
    async fn observe(&self, key: &LimitKey, fb: &RateFeedback) -> invite_core::Result<()> {
        self.seen.lock().unwrap().push((key.clone(), *fb));
        Ok(())
    }
}

#[tokio::test]
async fn rate_headers_feed_the_shared_limiter_under_the_scope_key() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-ratelimit-limit", "60")
                .insert_header("x-ratelimit-remaining", "0")
                .insert_header("x-ratelimit-reset", "7")
                .set_body_json(serde_json::json!({})),
        )
        .mount(&server)
        .await;
    let rec = Arc::new(Recorder::default());
    let budget = RateBudget::per_minute(60);
    let c = HttpClient::builder("t", validate_base_url(&server.uri(), "X").unwrap())
        .options(
            options()
                .with_limiter(rec.clone())
                .with_rate_budget(Some(budget)),
        )
        .limit_key(LimitKey::new("webflow-site:s1"))
        .build()
        .unwrap();
    c.send(Request::get("/x")).await.unwrap();
    let seen = rec.seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].0.as_str(), "webflow-site:s1");
    assert_eq!(seen[0].1.remaining, Some(0));
    assert_eq!(seen[0].1.reset_after, Some(Duration::from_secs(7)));
    assert_eq!(seen[0].1.pause(), Some(Duration::from_secs(7)));
    assert_eq!(rec.acquired.lock().unwrap()[0].1, Some(budget));
}

#[tokio::test]
async fn per_request_secrets_are_redacted_from_error_messages_and_excerpts() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_json(serde_json::json!({
            "code": "invalid-code",
            "message": "invitation code CODE-12345 is unknown",
            "echo": {"invitationCode": "CODE-12345"}
        })))
        .mount(&server)
        .await;
    let err = client(&server.uri())
        .send(
            Request::post("/invitations/accept")
                .json(&serde_json::json!({"invitationCode": "CODE-12345"}))
                .secret("CODE-12345"),
        )
        .await
        .unwrap_err();
    let shown = format!("{err:?} {err}");
    assert!(!shown.contains("CODE-12345"), "{shown}");
    assert!(shown.contains("is unknown"), "{shown}");
}

/// One scripted answer.
#[derive(Clone)]
struct Answer {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: &'static str,
}

fn answer(status: u16, headers: &[(&'static str, &str)]) -> Answer {
    Answer {
        status,
        headers: headers.iter().map(|(k, v)| (*k, (*v).to_owned())).collect(),
        body: if status == 200 {
            r#"{"ok":true}"#
        } else {
            "{}"
        },
    }
}

/// A scripted HTTP/1.1 server that runs on the test's own runtime, so that tokio's paused
/// clock (`start_paused`) runs a minute of `Retry-After` in no time without racing a server
/// thread: it answers from `script` in order (the last answer repeats) and records
/// `METHOD path -> status` for every request.
async fn scripted(script: Vec<Answer>) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let (log, script) = (log.clone(), script.clone());
            tokio::spawn(async move {
                let mut buf = Vec::new();
                loop {
                    // One request: the head, then Content-Length bytes of body.
                    let head_end = loop {
                        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            break i + 4;
                        }
                        let mut chunk = [0u8; 4096];
                        match sock.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    };
                    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
                    let length: usize = head
                        .lines()
                        .find_map(|l| {
                            let (k, v) = l.split_once(':')?;
                            k.eq_ignore_ascii_case("content-length")
                                .then(|| v.trim().parse().ok())?
                        })
                        .unwrap_or(0);
                    while buf.len() < head_end + length {
                        let mut chunk = [0u8; 4096];
                        match sock.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    buf.drain(..head_end + length);
                    let line = head.lines().next().unwrap_or_default();
                    let mut parts = line.split(' ');
                    let (method, path) = (parts.next().unwrap(), parts.next().unwrap());
                    let a = {
                        let mut log = log.lock().unwrap();
                        let a = script[log.len().min(script.len() - 1)].clone();
                        log.push(format!("{method} {path} -> {}", a.status));
                        a
                    };
                    let mut out = format!(
                        "HTTP/1.1 {} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n",
                        a.status,
                        a.body.len()
                    );
                    for (k, v) in &a.headers {
                        out.push_str(&format!("{k}: {v}\r\n"));
                    }
                    out.push_str("\r\n");
                    out.push_str(a.body);
                    if sock.write_all(out.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (format!("http://{addr}"), seen)
}

/// A client of `base` with `retry` (jitter off) and `limiter`, to finish with `.build()`.
fn scripted_client(
    base: &str,
    retry: RetryConfig,
    limiter: Arc<LocalRateLimiter>,
) -> HttpClientBuilder {
    HttpClient::builder("test(1)", validate_base_url(base, "TEST_URL").unwrap()).options(
        ClientOptions::default()
            .with_retry(retry.with_jitter(false))
            .with_limiter(limiter),
    )
}

/// Default retry settings (deadline 120 s, 3 retries after errors), without jitter.
fn default_client(base: &str) -> HttpClient {
    let limiter = Arc::new(LocalRateLimiter::new());
    scripted_client(base, RetryConfig::default(), limiter)
        .build()
        .unwrap()
}

/// Asserts that `secs` seconds (and less than one more) passed since `start`.
fn assert_took(start: tokio::time::Instant, secs: u64) {
    let took = start.elapsed();
    assert!(
        took >= Duration::from_secs(secs) && took < Duration::from_secs(secs + 1),
        "{took:?}"
    );
}

fn invite() -> Request {
    Request::post("/invite")
        .json(&serde_json::json!({"email": "a@b.co"}))
        .operation("invite")
}

#[tokio::test(start_paused = true)]
async fn a_storm_of_429s_is_ridden_out_and_the_invite_sent_once() {
    let limited = answer(429, &[("retry-after", "1")]);
    let (base, seen) = scripted([vec![limited; 5], vec![answer(200, &[])]].concat()).await;
    let start = tokio::time::Instant::now();
    let v: serde_json::Value = default_client(&base).json(invite()).await.unwrap();
    assert_eq!(v["ok"], true);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 6, "{seen:?}");
    assert_eq!(
        seen.iter().filter(|s| s.ends_with("200")).count(),
        1,
        "processed exactly once: {seen:?}"
    );
    // Five waits of the one second asked for, no more (and no error retry used up).
    assert_took(start, 5);
}

#[tokio::test(start_paused = true)]
async fn a_minute_of_retry_after_is_waited_for() {
    let (base, seen) = scripted(vec![
        answer(429, &[("retry-after", "60")]),
        answer(200, &[]),
    ])
    .await;
    let start = tokio::time::Instant::now();
    let v: serde_json::Value = default_client(&base).json(invite()).await.unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(
        *seen.lock().unwrap(),
        ["POST /invite -> 429", "POST /invite -> 200"]
    );
    assert_took(start, 60);
}

#[tokio::test(start_paused = true)]
async fn past_the_deadline_the_call_is_rate_limited_without_another_send() {
    let (base, seen) = scripted(vec![answer(429, &[("retry-after", "60")])]).await;
    let retry = RetryConfig::default().with_retry_timeout(Duration::from_secs(90));
    let c = scripted_client(&base, retry, Arc::new(LocalRateLimiter::new()))
        .build()
        .unwrap();
    let start = tokio::time::Instant::now();
    let err = c.send(invite()).await.unwrap_err();
    // Sent at 0 s and 60 s; a third send would be at 120 s, past the 90 s deadline: the call
    // ends at once instead of waiting for nothing.
    assert_eq!(seen.lock().unwrap().len(), 2);
    let took = start.elapsed();
    assert!(took < Duration::from_secs(61), "{took:?}");
    match &err {
        Error::RateLimited { retry_after, .. } => {
            assert_eq!(*retry_after, Some(Duration::from_secs(60)))
        }
        other => panic!("{other:?}"),
    }
    let shown = err.to_string();
    assert!(shown.contains("after 2 answers 429"), "{shown}");
    assert!(shown.contains("deadline of 90s"), "{shown}");
    assert!(shown.contains("safe to try again later"), "{shown}");
    assert!(err.is_retryable());
}

#[tokio::test(start_paused = true)]
async fn waiting_out_429s_leaves_the_error_retries_for_errors() {
    let limited = answer(429, &[("retry-after", "2")]);
    let (base, seen) =
        scripted([vec![limited; 4], vec![answer(503, &[]), answer(200, &[])]].concat()).await;
    let retry = RetryConfig::default().with_max_retries(1);
    let c = scripted_client(&base, retry, Arc::new(LocalRateLimiter::new()))
        .build()
        .unwrap();
    let v: serde_json::Value = c.json(Request::get("/users")).await.unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(
        seen.lock().unwrap().len(),
        6,
        "4 x 429, the 503 retried once"
    );
}

#[tokio::test(start_paused = true)]
async fn no_room_in_the_budget_before_the_deadline_is_rate_limited_with_nothing_sent() {
    let (base, seen) = scripted(vec![answer(200, &[])]).await;
    let limiter = Arc::new(LocalRateLimiter::new());
    let key = LimitKey::new("site:paused");
    // Another client of the scope was told to wait 200 s; this call may last 90 s.
    let pause = RateFeedback {
        retry_after: Some(Duration::from_secs(200)),
        ..Default::default()
    };
    limiter.observe(&key, &pause).await.unwrap();
    let retry = RetryConfig::default().with_retry_timeout(Duration::from_secs(90));
    let c = scripted_client(&base, retry, limiter)
        .limit_key(key)
        .build()
        .unwrap();
    let err = c.send(invite()).await.unwrap_err();
    assert!(matches!(err, Error::RateLimited { .. }), "{err:?}");
    let shown = err.to_string();
    assert!(shown.contains("site:paused has no room"), "{shown}");
    assert!(shown.contains("nothing was sent"), "{shown}");
    assert!(seen.lock().unwrap().is_empty());
}
