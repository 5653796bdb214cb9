//! invite-scim (under construction)
