//! Shared by the sandbox test files: a provider configured from a fresh sandbox's settings,
//! as `FLATFILE_*` variables.

use invite_flatfile::{ActorRole, FlatfileConfig, FlatfileProvider};
use invite_sandbox::Sandbox;

/// A sandbox and a provider configured from its variables (with the default role).
pub async fn start() -> (Sandbox, FlatfileProvider) {
    let sandbox = Sandbox::start().await.expect("sandbox starts");
    let config =
        FlatfileConfig::from_lookup(invite_testkit::lookup(sandbox.settings().env_pairs()))
            .expect("config from the sandbox settings");
    let provider = FlatfileProvider::from_config(config).expect("provider");
    (sandbox, provider)
}

/// `role_id` on the sandbox's account.
pub fn role(sandbox: &Sandbox, role_id: &str) -> ActorRole {
    ActorRole::new(role_id, sandbox.settings().flatfile_account_id.as_str())
}
