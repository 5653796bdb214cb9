//! invite-testkit (under construction)
