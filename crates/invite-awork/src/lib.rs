//! invite-awork (under construction)
