//! Reading seed sections: the `{"users": [...]}` shape Flatfile and awork share, and the
//! fields every surface reads the same way.

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
        let email = email_field(u, "each seeded user needs a valid `email`")?;
        if existing(email) || out.iter().any(|(e, _)| norm_email(e) == norm_email(email)) {
            return Err(format!("seeded email {email} appears twice"));
        }
        out.push((email, u));
    }
    Ok(out)
}

/// The valid `email` of a seeded object; `missing` is the error without one.
pub(crate) fn email_field<'a>(o: &'a Map<String, Value>, missing: &str) -> Result<&'a str, String> {
    o.get("email")
        .and_then(Value::as_str)
        .filter(|e| looks_like_email(e))
        .ok_or_else(|| missing.to_owned())
}

/// The seeded object's `id`, or a new one from `new_id`.
pub(crate) fn id_or(o: &Value, new_id: fn() -> String) -> String {
    o.get("id")
        .and_then(Value::as_str)
        .map_or_else(new_id, str::to_owned)
}
