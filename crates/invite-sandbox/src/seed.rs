//! Reading the seed sections the Flatfile and awork surfaces share the shape of.

use serde_json::{Map, Value};

use crate::email::{looks_like_email, norm_email};

/// One seeded user: its email and the whole object.
pub(crate) type SeedUser<'a> = (&'a str, &'a Map<String, Value>);

/// The users of a seed section `{"users": [{"email": …, …}, …]}` (no other field allowed),
/// each with its validated email; an address may appear once (compared lower-cased, and
/// against `existing`). `section` names the section in errors.
pub(crate) fn seed_users<'a>(
    section: &str,
    seed: &'a Value,
    existing: impl Fn(&str) -> bool,
) -> Result<Vec<SeedUser<'a>>, String> {
    let Some(obj) = seed.as_object() else {
        return Err(format!("the {section} section must be an object"));
    };
    if let Some(k) = obj.keys().find(|k| k.as_str() != "users") {
        return Err(format!("unknown {section} seed field `{k}`"));
    }
    let users = match obj.get("users") {
        None => return Ok(Vec::new()),
        Some(Value::Array(a)) => a,
        Some(_) => return Err("`users` must be an array".to_owned()),
    };
    let mut out: Vec<SeedUser<'a>> = Vec::with_capacity(users.len());
    for u in users {
        let Some(u) = u.as_object() else {
            return Err("each seeded user must be an object".to_owned());
        };
        let email = u
            .get("email")
            .and_then(Value::as_str)
            .filter(|e| looks_like_email(e))
            .ok_or("each seeded user needs a valid `email`")?;
        if existing(email) || out.iter().any(|(e, _)| norm_email(e) == norm_email(email)) {
            return Err(format!("seeded email {email} appears twice"));
        }
        out.push((email, u));
    }
    Ok(out)
}
