//! invite-webflow (under construction)
