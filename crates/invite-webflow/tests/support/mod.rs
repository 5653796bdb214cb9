//! What the wire tests share: a mock in one call, Webflow's error body, the request count,
//! and a server answering a documented example.
#![allow(dead_code)]

use std::fmt::Debug;

use futures::TryStreamExt;
use invite_core::{Email, GrantChange, ListQuery, User, UserDirectory, UserId, UserPatch};
use invite_testkit::{Documented, SeenRequest, assert_request_matches};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockBuilder, MockServer, ResponseTemplate};

/// A mock of `verb path`; add matchers with `.and(…)`.
pub fn on(verb: &str, p: impl Into<String>) -> MockBuilder {
    Mock::given(method(verb)).and(path(p))
}

/// Mounts `when` answering `then`, expected exactly once.
pub async fn once(server: &MockServer, when: MockBuilder, then: ResponseTemplate) {
    when.respond_with(then).expect(1).mount(server).await;
}

/// Mounts each `(when, then)`, each expected exactly once: the calls one test expects, as a
/// table.
pub async fn once_each<const N: usize>(
    server: &MockServer,
    mocks: [(MockBuilder, ResponseTemplate); N],
) {
    for (when, then) in mocks {
        once(server, when, then).await;
    }
}

/// A server expecting `when` exactly once, answering `then`.
pub async fn expecting(when: MockBuilder, then: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    once(&server, when, then).await;
    server
}

/// Mounts `when` answering `then`, any number of times.
pub async fn always(server: &MockServer, when: MockBuilder, then: ResponseTemplate) {
    when.respond_with(then).mount(server).await;
}

/// A 200 answer with a JSON body.
pub fn ok(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

/// Webflow's error body `{code, message, externalReference, details}`.
pub fn err(status: u16, code: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(
        json!({"code": code, "message": message, "externalReference": null, "details": []}),
    )
}

/// How many requests the server has received.
pub async fn requests(server: &MockServer) -> usize {
    server.received_requests().await.map_or(0, |r| r.len())
}

/// How many requests other than `GET` the server has received.
pub async fn writes(server: &MockServer) -> usize {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.method.as_str() != "GET")
        .count()
}

/// A valid address.
pub fn email(s: &str) -> Email {
    Email::parse(s).unwrap()
}

/// The account `p` finds for `address` (the lookup itself must succeed).
pub async fn found(p: &impl UserDirectory, address: &str) -> Option<User> {
    p.find_by_email(&email(address)).await.unwrap()
}

/// Every user `p` lists (each item must decode).
pub async fn list_all(p: impl UserDirectory) -> invite_core::Result<Vec<User>> {
    p.list(ListQuery::new()).try_collect().await
}

/// Applies `change` to the grants of user `id` through `p`.
pub async fn regrant(
    p: &impl UserDirectory,
    id: &str,
    change: GrantChange,
) -> invite_core::Result<User> {
    p.update(&UserId::new(id), &UserPatch::new().grants(change))
        .await
}

/// The documented answer of `doc` as a wiremock response.
pub fn answer(doc: &Documented) -> ResponseTemplate {
    let r = doc.response();
    match &r.body {
        Value::Null => ResponseTemplate::new(r.status),
        body => ResponseTemplate::new(r.status).set_body_json(body),
    }
}

/// The documented path of `doc` with its `{placeholders}` filled in from `ids`.
pub fn concrete(doc: &Documented, ids: &[(&str, &str)]) -> String {
    ids.iter()
        .fold(doc.request().path.clone(), |path, (placeholder, id)| {
            path.replace(placeholder, id)
        })
}

/// A server answering the documented response to the documented method and path (filled
/// in from `ids`), once.
pub async fn serving(doc: &Documented, ids: &[(&str, &str)]) -> MockServer {
    expecting(on(&doc.request().method, concrete(doc, ids)), answer(doc)).await
}

/// The one request the server saw (the documented call must take exactly one).
pub async fn only_request(server: &MockServer) -> SeenRequest {
    let seen = server.received_requests().await.unwrap();
    assert_eq!(seen.len(), 1, "{seen:?}");
    SeenRequest::from(&seen[0])
}

/// Runs `call` on the provider `make` builds for a server [`serving`] `doc`; asserts the
/// call sent exactly the documented request, and only it, and answers what the call
/// answered.
pub async fn against_documented<P, T, E: Debug, F: Future<Output = Result<T, E>>>(
    doc: &Documented,
    ids: &[(&str, &str)],
    make: impl FnOnce(&MockServer) -> P,
    call: impl FnOnce(P) -> F,
) -> T {
    let server = serving(doc, ids).await;
    let answered = call(make(&server)).await.unwrap();
    assert_request_matches(doc, &only_request(&server).await);
    answered
}

/// A plain HTTP client for the sandbox. reqwest is built without a bundled crypto provider;
/// building one of invite-core's clients installs it, as every adapter does.
pub fn http() -> reqwest::Client {
    invite_core::http::HttpClient::builder("documented", "http://127.0.0.1".parse().unwrap())
        .build()
        .unwrap();
    reqwest::Client::new()
}

/// Sends `rb` with the JSON `body`, if any; answers the status and the JSON body
/// (`Value::Null` when the answer has none).
pub async fn send(rb: reqwest::RequestBuilder, body: Option<&Value>) -> (u16, Value) {
    let rb = match body {
        Some(b) => rb.json(b),
        None => rb,
    };
    let r = rb.send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}
