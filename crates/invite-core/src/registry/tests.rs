//! The registry's tests: settings read once, names either way, secrets never shown.

use super::*;
use crate::InMemoryProvider;
use std::sync::Arc;

crate::config_keys! {
    /// Test keys.
    pub enum TestKey {
        /// A secret with another name.
        Token = Setting::required("T_TOKEN", "token", "the token").secret(),
        /// The other name.
        Bearer = Setting::optional("T_BEARER", "bearer", "alias").secret().alternative_of("T_TOKEN"),
        /// A URL.
        Url = Setting::optional("T_URL", "url", "base URL"),
        /// A list.
        Items = Setting::optional("T_ITEMS", "items", "a list"),
    }
}

#[test]
fn keys_parse_from_either_name_and_show_the_environment_name() {
    for k in TestKey::ALL {
        let s = k.setting();
        assert_eq!(s.env.parse::<TestKey>().unwrap(), *k);
        assert_eq!(s.file_key.parse::<TestKey>().unwrap(), *k);
        assert_eq!(k.to_string(), s.env);
        assert_eq!(k.as_ref(), s.env);
    }
    let e = "TOKEN".parse::<TestKey>().unwrap_err().to_string();
    assert!(
        e.contains("`TOKEN`") && e.contains("token, bearer") && e.contains("T_URL"),
        "{e}"
    );
}

#[test]
fn values_are_trimmed_blank_is_unset_and_alternatives_stand_in() {
    let s = Settings::from_map::<TestKey>([
        ("bearer", " tok_alt_secret "),
        ("T_URL", "  "),
        ("items", " a, ,b ,"),
    ])
    .unwrap();
    assert_eq!(
        secrecy::ExposeSecret::expose_secret(&s.require_secret(TestKey::Token).unwrap()),
        "tok_alt_secret"
    );
    assert_eq!(s.name(TestKey::Token), "bearer");
    assert_eq!(s.get(TestKey::Url), None);
    assert_eq!(s.list(TestKey::Items), ["a", "b"]);
    assert_eq!(
        s.base_url(TestKey::Url, "https://x.example/v1")
            .unwrap()
            .as_str(),
        "https://x.example/v1"
    );
    assert!(s.missing().is_empty() && s.any_required());
    assert_eq!(s.secrets().count(), 1);
    assert!(!format!("{s:?}").contains("tok_alt_secret"));
    // A secret is never read as plain text.
    assert_eq!(s.get(TestKey::Token), None);
}

#[test]
fn errors_name_the_setting_as_written_and_never_a_secret() {
    let s = Settings::from_map::<TestKey>([("url", "http://example.com")]).unwrap();
    let e = s
        .base_url(TestKey::Url, "https://x.example")
        .unwrap_err()
        .to_string();
    assert!(e.contains("url must use https"), "{e}");
    assert_eq!(s.missing(), ["T_TOKEN (or T_BEARER)"]);
    assert!(!s.any_required());
    let e = s.require_secret(TestKey::Token).unwrap_err().to_string();
    assert_eq!(e, "configuration error: T_TOKEN (or T_BEARER) is not set");
    let e = Settings::from_map::<TestKey>([("T_TOKEN", "tok_secret_a"), ("token", "tok_secret_b")])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("T_TOKEN is given twice (as T_TOKEN and token)"),
        "{e}"
    );
    assert!(!e.contains("tok_secret"), "{e}");
    let e = Settings::from_map::<TestKey>([("nope", "tok_secret_c")])
        .unwrap_err()
        .to_string();
    assert!(e.contains("`nope`") && !e.contains("tok_secret"), "{e}");
}

#[test]
fn a_file_table_over_the_environment() {
    let file = Settings::from_map::<TestKey>([("url", "https://file.example")]).unwrap();
    let env = Settings::from_map::<TestKey>([("T_URL", "https://env.example"), ("T_TOKEN", "t")])
        .unwrap();
    let s = file.or(env);
    assert_eq!(s.get(TestKey::Url), Some("https://file.example"));
    assert_eq!(s.name(TestKey::Url), "url");
    assert_eq!(s.name(TestKey::Token), "T_TOKEN");
    let pairs: Vec<_> =
        Settings::lookup::<TestKey>(|k| (k == "T_URL").then(|| "u".to_owned())).collect();
    assert_eq!(pairs, [("T_URL", "u".to_owned())]);
}

#[test]
fn an_entry_builds_from_a_map() {
    fn build(s: &Settings, _: &ClientOptions) -> Result<Built> {
        let name = s.get(TestKey::Url).unwrap_or("memory").to_owned();
        s.require_secret(TestKey::Token)?;
        Ok(Built::new(Arc::new(InMemoryProvider::new(name))))
    }
    const ENTRY: ProviderEntry = ProviderEntry {
        name: "test",
        about: "a test entry",
        settings: TestKey::SETTINGS,
        build,
    };
    assert_eq!(ENTRY.required_names(), ["T_TOKEN (or T_BEARER)"]);
    assert_eq!(ENTRY.setting("bearer").map(|s| s.env), Some("T_BEARER"));
    let s = ENTRY.read([("token", "x"), ("url", "crm")]).unwrap();
    let built = (ENTRY.build)(&s, &ClientOptions::default()).unwrap();
    assert_eq!(built.provider.to_string(), "memory(crm)");
    assert!(built.missing_grant.is_none() && built.default_grants.is_empty());
}
