//! invite-flatfile (under construction)
