//! The CLI configuration: settings from the registry entries, files and the environment.

use super::*;

fn env(pairs: &[(&str, &str)]) -> ConfigSource {
    ConfigSource::from_env_map(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    )
}

const AWORK_OK: &[(&str, &str)] = &[
    ("AWORK_API_TOKEN", "awk_secret_token_1"),
    ("AWORK_WORKSPACE_ID", "123e4567-e89b-12d3-a456-426614174000"),
    ("AWORK_API_BASE_URL", "http://127.0.0.1:9/api/v1"),
];

#[test]
fn unconfigured_providers_are_left_out_and_named_ones_are_errors() {
    let s = env(AWORK_OK);
    let sel = s.select(&[]).unwrap();
    let names: Vec<&str> = sel.providers.iter().map(|(d, _)| d.name).collect();
    assert_eq!(names, vec!["awork"]);
    assert!(sel.notes.is_empty());
    let Err(CliError::Usage(msg)) = s.select(&["flatfile".into()]) else {
        panic!("flatfile is not configured");
    };
    assert!(
        msg.contains("FLATFILE_API_KEY") && msg.contains("FLATFILE_BEARER_TOKEN"),
        "{msg}"
    );
    let Err(CliError::Usage(msg)) = s.select(&["nope".into()]) else {
        panic!("unknown provider");
    };
    assert!(msg.contains("webflow-workspace"), "{msg}");
}

#[test]
fn partial_configuration_is_noted_and_nothing_configured_is_an_error() {
    let s = env(&[("AWORK_API_TOKEN", "t0ken-abcdef")]);
    let Err(CliError::Usage(msg)) = s.select(&[]) else {
        panic!("nothing usable");
    };
    assert!(msg.contains("no provider is configured"), "{msg}");
    let mut pairs = AWORK_OK.to_vec();
    pairs.push(("WEBFLOW_SITE_ID", "5f0c8c9e1c9d440000e8d8c3"));
    let sel = env(&pairs).select(&[]).unwrap();
    assert_eq!(sel.notes.len(), 1);
    assert!(
        sel.notes[0].contains("WEBFLOW_API_TOKEN"),
        "{:?}",
        sel.notes
    );
}

#[test]
fn flatfile_without_a_role_says_which_variables_to_set() {
    let s = env(&[
        ("FLATFILE_API_KEY", "sk_flatfile_secret"),
        ("FLATFILE_API_URL", "http://127.0.0.1:9"),
    ]);
    let sel = s.select(&[]).unwrap();
    let msg = sel.providers[0].1.missing_grant.clone().unwrap();
    assert!(
        msg.contains("FLATFILE_ROLE_ID") && msg.contains("FLATFILE_ACCOUNT_ID"),
        "{msg}"
    );
}

#[test]
fn a_missing_grant_names_its_settings_keys_and_flags() {
    let s = env(&[
        ("WEBFLOW_WORKSPACE_TOKEN", "wf_ws_secret_9"),
        ("WEBFLOW_WORKSPACE_ID", "65f0c8c9e1c9d440000e8d8c"),
        ("WEBFLOW_API_BASE_URL", "http://127.0.0.1:9/v2"),
        ("FLATFILE_API_KEY", "sk_flatfile_secret"),
        ("FLATFILE_API_URL", "http://127.0.0.1:9"),
    ]);
    let sel = s.select(&[]).unwrap();
    let [(ws, ws_built), (ff, ff_built)] = &sel.providers[..] else {
        panic!("two providers");
    };
    assert_eq!((ws.name, ff.name), ("webflow-workspace", "flatfile"));
    let msg = ws_built.missing_grant.clone().unwrap();
    for want in [
        "WEBFLOW_WORKSPACE_ROLE",
        "WEBFLOW_SITE_GRANTS",
        "workspace_role",
        "[webflow-workspace]",
        "--workspace-role / --default-site-role / --site",
    ] {
        assert!(msg.contains(want), "{want}: {msg}");
    }
    assert!(!msg.contains("wf_ws_secret"), "{msg}");
    // Flatfile's settings have no flags.
    let msg = ff_built.missing_grant.clone().unwrap();
    assert!(
        msg.contains("role_id, account_id in the [flatfile] table"),
        "{msg}"
    );
    assert!(!msg.contains("--workspace-role"), "{msg}");
}

#[test]
fn config_file_tables_keys_and_env_fallback() {
    let text = r#"
        [awork]
        workspace_id = "123e4567-e89b-12d3-a456-426614174000"
        api_base_url = "http://127.0.0.1:9/api/v1"
        team_ids = ["123e4567-e89b-12d3-a456-426614174001"]

        [webflow-workspace]
        workspace_token = "wf_ws_file_secret"
        workspace_id = "65f0c8c9e1c9d440000e8d8c"
        api_base_url = "http://127.0.0.1:9/v2"
        workspace_role = "member"
        site_grants = { "65f0c8c9e1c9d440000e8d8d" = "designer" }
    "#;
    let s = env(&[
        ("AWORK_API_TOKEN", "awk_env_secret"),
        ("FLATFILE_API_KEY", "sk_env_secret_1"),
    ])
    .with_file_text(Path::new("x.toml"), text)
    .unwrap();
    let sel = s.select(&[]).unwrap();
    let names: Vec<&str> = sel.providers.iter().map(|(d, _)| d.name).collect();
    // flatfile has env settings but no table: a file chooses the providers.
    assert_eq!(names, vec!["webflow-workspace", "awork"]);
    assert_eq!(
        sel.providers[0].1.workspace_role_fallback.as_deref(),
        Some("member")
    );
    let secrets = s.secrets();
    for want in ["awk_env_secret", "sk_env_secret_1", "wf_ws_file_secret"] {
        assert!(secrets.iter().any(|x| x == want), "{want}: {secrets:?}");
    }
    let Err(CliError::Usage(msg)) = s.select(&["flatfile".into()]) else {
        panic!("no table");
    };
    assert!(msg.contains("[flatfile]"), "{msg}");
}

#[test]
fn config_file_errors_name_the_problem() {
    let s = ConfigSource::default();
    for (text, want) in [
        ("[nope]\nx = 1", "unknown provider table [nope]"),
        ("[awork]\ntoken = \"x\"", "no setting `token`"),
        ("awork = 3", "must be a table"),
        ("[awork", "not valid TOML"),
    ] {
        match s.clone().with_file_text(Path::new("c.toml"), text) {
            Err(CliError::Usage(m)) => assert!(m.contains(want), "{m}"),
            other => panic!("{text}: {:?}", other.map(|_| ())),
        }
    }
}

#[test]
fn adapter_config_errors_are_usage_errors_without_the_token() {
    let s = env(&[
        ("AWORK_API_TOKEN", "awk_very_secret"),
        ("AWORK_WORKSPACE_ID", "not-a-uuid"),
    ]);
    let Err(CliError::Usage(msg)) = s.select(&[]) else {
        panic!("bad uuid");
    };
    assert!(msg.contains("AWORK_WORKSPACE_ID"), "{msg}");
    assert!(!msg.contains("awk_very_secret"), "{msg}");
}

#[test]
fn redis_url_precedence_and_its_password_is_a_secret() {
    let s = env(&[("INVITE_REDIS_URL", "redis://:envpass@127.0.0.1:1/0")]);
    assert_eq!(
        s.redis_url(None).as_deref(),
        Some("redis://:envpass@127.0.0.1:1/0")
    );
    assert!(s.secrets().iter().any(|x| x == "envpass"));
    let f = s
        .clone()
        .with_file_text(
            Path::new("c.toml"),
            "redis_url = \"redis://:filepass@127.0.0.1:2\"\n[awork]\nrole_id = \"x\"\n",
        )
        .unwrap();
    assert_eq!(
        f.redis_url(None).as_deref(),
        Some("redis://:filepass@127.0.0.1:2")
    );
    assert_eq!(
        f.redis_url(Some(" redis://127.0.0.1:3 ")).as_deref(),
        Some("redis://127.0.0.1:3")
    );
    assert!(f.secrets().iter().any(|x| x == "filepass"));
    assert!(env(&[]).redis_url(Some("  ")).is_none());
    assert!(matches!(
        s.with_file_text(Path::new("c.toml"), "redis_url = 3"),
        Err(CliError::Usage(m)) if m.contains("redis_url")
    ));
    assert_eq!(
        url_password("redis://user:p%40ss@h:1/0?x=1").as_deref(),
        Some("p%40ss")
    );
    assert_eq!(url_password("redis://h:1/0"), None);
}

#[test]
fn help_lists_every_provider_and_key() {
    use clap::CommandFactory;
    let h = providers_help();
    let long = crate::Cli::command().render_long_help().to_string();
    let find = crate::Cli::command()
        .find_subcommand_mut("find")
        .map(|c| c.render_help().to_string())
        .unwrap();
    for d in PROVIDERS {
        assert!(h.contains(d.name));
        assert!(h.contains(d.about), "{}", d.about);
        assert!(find.contains(d.name), "--to help lacks {}: {find}", d.name);
        for v in d.settings {
            assert!(h.contains(v.env), "{}", v.env);
            assert!(h.contains(&format!(" {} ", v.file_key)), "{}", v.file_key);
            assert!(long.contains(v.env), "--help lacks {}", v.env);
        }
    }
    assert!(h.contains("workspace_role"));
}

#[test]
fn every_registry_setting_is_a_config_file_key_and_an_environment_variable() {
    for d in PROVIDERS {
        // Every key in its table, every variable in the environment: each is read.
        let text = d.settings.iter().fold(format!("[{}]\n", d.name), |t, v| {
            t + &format!("{} = \"file-{}\"\n", v.file_key, v.file_key)
        });
        let from_file = ConfigSource::default()
            .with_file_text(Path::new("all.toml"), &text)
            .unwrap_or_else(|e| panic!("{}: {e:?}", d.name));
        let env_only = ConfigSource::from_env_map(
            d.settings
                .iter()
                .map(|v| (v.env.to_owned(), format!("env-{}", v.env)))
                .collect(),
        );
        type Name = fn(&invite_core::Setting) -> String;
        let cases: [(&ConfigSource, Name, Name); 2] = [
            (
                &from_file,
                |v| v.file_key.into(),
                |v| format!("file-{}", v.file_key),
            ),
            (&env_only, |v| v.env.into(), |v| format!("env-{}", v.env)),
        ];
        for (source, name_of, value_of) in cases {
            let settings = source.settings(d).unwrap().unwrap();
            assert!(settings.missing().is_empty(), "{}", d.name);
            let shown = format!("{settings:?}");
            let secrets = source.secrets();
            for v in d.settings {
                // Each is read under the name given; secrets are held, never shown.
                assert!(shown.contains(&format!("\"{}\"", name_of(v))), "{shown}");
                assert_eq!(shown.contains(&value_of(v)), !v.secret, "{shown}");
                assert_eq!(secrets.contains(&value_of(v)), v.secret, "{secrets:?}");
            }
        }
    }
}

invite_core::config_keys! {
    /// The settings of a provider that exists only in this test.
    pub enum FakeKey {
        /// Its token.
        Token = invite_core::Setting::required("FAKE_TOKEN", "token", "the fake token").secret(),
        /// Its name.
        Name = invite_core::Setting::optional("FAKE_NAME", "name", "what it is called"),
    }
}

fn build_fake(
    s: &Settings,
    _: &ClientOptions,
) -> invite_core::Result<invite_core::registry::Built> {
    s.require_secret(FakeKey::Token)?;
    let name = s.get(FakeKey::Name).unwrap_or("fake").to_owned();
    Ok(invite_core::registry::Built::new(std::sync::Arc::new(
        invite_core::InMemoryProvider::new(name),
    )))
}

const FAKE: &[ProviderEntry] = &[ProviderEntry {
    name: "fake",
    about: "a provider registered by this test",
    settings: <FakeKey as invite_core::ConfigKey>::SETTINGS,
    build: build_fake,
}];

#[test]
fn a_registered_entry_is_listed_configured_and_built() {
    let h = help_for(FAKE);
    assert!(
        h.contains("fake: a provider registered by this test"),
        "{h}"
    );
    assert!(h.contains("FAKE_TOKEN") && h.contains(" token "), "{h}");
    let s = env(&[("FAKE_TOKEN", "fk_secret_1")]).with_providers(FAKE);
    let sel = s.select(&[]).unwrap();
    assert_eq!(sel.providers.len(), 1);
    assert_eq!(sel.providers[0].0.name, "fake");
    assert_eq!(sel.providers[0].1.provider.to_string(), "memory(fake)");
    assert_eq!(s.secrets(), ["fk_secret_1"]);
    // Its table in a config file; the token stays in the environment.
    let f = s
        .clone()
        .with_file_text(Path::new("f.toml"), "[fake]\nname = \"crm\"\n")
        .unwrap();
    let sel = f.select(&["fake".into()]).unwrap();
    assert_eq!(sel.providers[0].1.provider.to_string(), "memory(crm)");
    // The real providers are not known to this source, nor the fake one to the default.
    let Err(CliError::Usage(msg)) = s.select(&["awork".into()]) else {
        panic!("awork is not registered here");
    };
    assert!(msg.contains("known: fake"), "{msg}");
    let Err(CliError::Usage(msg)) = s
        .clone()
        .with_file_text(Path::new("f.toml"), "[fake]\ntoken2 = 1")
    else {
        panic!("unknown key");
    };
    assert!(
        msg.contains("no setting `token2`") && msg.contains("token, name"),
        "{msg}"
    );
    assert!(
        ConfigSource::default()
            .with_file_text(Path::new("f.toml"), "[fake]\n")
            .is_err()
    );
    let Err(CliError::Usage(msg)) = env(&[]).with_providers(FAKE).select(&[]) else {
        panic!("nothing configured");
    };
    assert!(msg.contains("fake: FAKE_TOKEN"), "{msg}");
}
