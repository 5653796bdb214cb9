//! invite-sandbox (under construction)
