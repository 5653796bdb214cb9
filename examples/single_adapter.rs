//! One adapter on its own, with real credentials from the environment.
//!
//! ```sh
//! FLATFILE_API_KEY=sk_... FLATFILE_ROLE_ID=us_rol_... FLATFILE_ACCOUNT_ID=us_acc_... \
//!     cargo run --example single_adapter -- someone@example.com "Some One"
//! ```
//!
//! Without `FLATFILE_API_KEY` it says which variables to set and exits. Point
//! `FLATFILE_API_URL` at the sandbox (`cargo run -p invite-sandbox`) to try it safely.

use invite::flatfile::{FlatfileConfig, FlatfileProvider};
use invite::{EnsureOutcome, Invitation, PersonName, UserDirectory, ensure_invited};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(email), Some(name)) = (args.next(), args.next()) else {
        eprintln!("usage: single_adapter EMAIL \"FULL NAME\"");
        std::process::exit(2);
    };
    let provider = match FlatfileConfig::from_env().and_then(FlatfileProvider::from_config) {
        Ok(p) => p,
        Err(e) => {
            eprintln!(
                "{e}\nset FLATFILE_API_KEY (and FLATFILE_ROLE_ID + FLATFILE_ACCOUNT_ID for the role to grant)"
            );
            std::process::exit(2);
        }
    };
    let invitation = Invitation::new(email.parse()?).with_name(PersonName::from_display(name));
    match ensure_invited(&provider, &invitation).await? {
        EnsureOutcome::Invited(receipt) => println!("invited: {}", receipt.user.id),
        EnsureOutcome::AlreadyMember(user) => {
            println!("already a member: {} ({})", user.id, user.status)
        }
        EnsureOutcome::Reconciled { user, .. } => {
            println!("invited (answer lost, found by lookup): {}", user.id)
        }
        other => println!("{other:?}"),
    }
    if let Some(user) = provider.find_by_email(&invitation.email).await? {
        println!("{} {:?} {}", user.id, user.name.full(), user.status);
    }
    Ok(())
}
