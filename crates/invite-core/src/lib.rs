//! invite-core (under construction)
