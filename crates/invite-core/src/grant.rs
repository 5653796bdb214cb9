//! Grants: what a person is given in a tool (a role, a group, a team, access to a site).
//!
//! Core knows no vendor. A [`Grant`] is a kind name plus named string fields, stable on the
//! wire as `{"kind": "awork_role", "role_id": "…"}`; each adapter crate declares its own
//! [`GrantKind`]s and a typed grant (an [`AdapterGrant`]) that it reads from and writes to a
//! [`Grant`], so callers build grants through the adapter's typed constructors and the
//! pipeline checks them before any request is sent.
//!
//! ```
//! use invite_core::{AdapterGrant, Grant, GrantKind};
//! use serde::{Deserialize, Serialize};
//!
//! const TEAM: GrantKind = GrantKind::new("demo_team");
//!
//! /// A team in the demo tool.
//! #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
//! struct Team {
//!     team_id: String,
//! }
//!
//! impl AdapterGrant for Team {
//!     const KINDS: &'static [GrantKind] = &[TEAM];
//!     fn to_grant(&self) -> Grant {
//!         Grant::encode(TEAM, self)
//!     }
//!     fn from_grant(grant: &Grant, field: &str) -> invite_core::Result<Self> {
//!         grant.decode(TEAM, field)
//!     }
//! }
//!
//! let grant = Team { team_id: "t1".into() }.to_grant();
//! assert_eq!(grant.to_string(), "demo team t1");
//! assert_eq!(serde_json::to_value(&grant)?, serde_json::json!({"kind": "demo_team", "team_id": "t1"}));
//! assert_eq!(Team::from_grant(&grant, "grants[0]")?, Team { team_id: "t1".into() });
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{DeserializeOwned, Error as _};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};

/// The kind of a [`Grant`]: a stable `snake_case` name declared by the adapter that
/// understands it (`flatfile_actor_role`, `awork_team`, …), and optionally the phrase its
/// grants are shown with (`"site {site_id} as {site_role}"`). Kinds are equal when their
/// names are. Displayed with spaces (`flatfile actor role`).
#[derive(Clone, Copy)]
pub struct GrantKind {
    name: &'static str,
    phrase: Option<&'static str>,
}

impl GrantKind {
    /// A kind named `name` (`snake_case`, prefixed with the adapter's name by convention).
    pub const fn new(name: &'static str) -> Self {
        Self { name, phrase: None }
    }

    /// The phrase a grant of this kind is shown with: `{field}` stands for a field's
    /// value (`"role {role_id} on {resource_id}"`).
    pub const fn phrased(self, phrase: &'static str) -> Self {
        Self {
            name: self.name,
            phrase: Some(phrase),
        }
    }

    /// The kind's wire name.
    pub const fn as_str(self) -> &'static str {
        self.name
    }
}

compare_by!(GrantKind, as_str);

impl fmt::Debug for GrantKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GrantKind({})", self.name)
    }
}

impl fmt::Display for GrantKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_spaced(f, self.name)
    }
}

impl Serialize for GrantKind {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.name)
    }
}

/// A grant's kind: declared by an adapter (with its phrase), or only named (read from a
/// file or a journal). Compared by name.
#[derive(Clone, Debug)]
enum Kind {
    Declared(GrantKind),
    Named(String),
}

impl Kind {
    fn name(&self) -> &str {
        match self {
            Kind::Declared(k) => k.name,
            Kind::Named(n) => n,
        }
    }
}

compare_by!(Kind, name);

fn write_spaced(f: &mut fmt::Formatter<'_>, name: &str) -> fmt::Result {
    for (i, part) in name.split('_').enumerate() {
        if i > 0 {
            f.write_str(" ")?;
        }
        f.write_str(part)?;
    }
    Ok(())
}

/// What a person is given in a tool: a kind and the fields that identify it.
///
/// Build grants with the adapter's typed constructors (`invite_awork::AworkGrant::role(…)`,
/// `invite_flatfile::ActorRole::new(…)`, …) or, for a kind core does not know at compile
/// time, with [`Grant::new`] and [`Grant::with`]. Each adapter declares which kinds it
/// understands ([`crate::Capabilities::grant_kinds`]); a grant of another kind, or one whose
/// fields the adapter cannot read, is refused before any request is sent.
///
/// Serialized as one flat object: `{"kind": "awork_role", "role_id": "3f1c…"}`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Grant {
    kind: Kind,
    fields: BTreeMap<String, String>,
}

impl Grant {
    /// A grant of `kind` with no fields yet.
    pub fn new(kind: GrantKind) -> Self {
        Self {
            kind: Kind::Declared(kind),
            fields: BTreeMap::new(),
        }
    }

    /// Sets a field.
    #[must_use]
    pub fn with(mut self, field: impl Into<String>, value: impl Into<String>) -> Self {
        self.fields.insert(field.into(), value.into());
        self
    }

    /// A grant of `kind` whose fields are `value`'s (a struct of strings and optional
    /// strings; `None` fields are left out). The adapters' typed grants use this.
    ///
    /// A value that is not such a struct is a programming error in the adapter; its fields
    /// are then left out (and the adapter's own `from_grant` refuses the grant).
    pub fn encode(kind: GrantKind, value: &impl Serialize) -> Self {
        let mut grant = Self::new(kind);
        if let Ok(serde_json::Value::Object(map)) = serde_json::to_value(value) {
            for (k, v) in map {
                if let serde_json::Value::String(s) = v {
                    grant.fields.insert(k, s);
                }
            }
        }
        grant
    }

    /// Reads this grant as the typed grant `T` of `kind`. Errors name `field` (the grant's
    /// place in the caller's input, e.g. `grants[2]`) and, for a missing or unknown field,
    /// `field.role_id`.
    pub fn decode<T: DeserializeOwned>(&self, kind: GrantKind, field: &str) -> Result<T> {
        if !self.is(kind) {
            return Err(Error::invalid_input(
                field,
                format!("expected a {kind}, got a {}", self.kind_label()),
            ));
        }
        let map: serde_json::Map<String, serde_json::Value> = self
            .fields
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect();
        serde_json::from_value(serde_json::Value::Object(map))
            .map_err(|e| Error::invalid_input(field, format!("not a valid {kind}: {e}")))
    }

    /// The kind's wire name.
    pub fn kind(&self) -> &str {
        self.kind.name()
    }

    /// Whether this grant is of `kind`.
    pub fn is(&self, kind: GrantKind) -> bool {
        self.kind() == kind.name
    }

    /// A field's value.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }

    /// Every field, in name order.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The kind as words (`awork role`).
    pub fn kind_label(&self) -> String {
        struct Label<'a>(&'a str);
        impl fmt::Display for Label<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write_spaced(f, self.0)
            }
        }
        Label(self.kind()).to_string()
    }
}

/// The kind's phrase when the adapter declared one (`site S as designer`), else the kind and
/// its fields: `awork role 3f1c…` for one field, `webflow site access site_id=S
/// site_role=designer` for several.
impl fmt::Display for Grant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Kind::Declared(GrantKind {
            phrase: Some(phrase),
            ..
        }) = &self.kind
            && let Some(text) = self.phrase(phrase)
        {
            return f.write_str(&text);
        }
        write_spaced(f, self.kind())?;
        if self.fields.len() == 1 {
            for v in self.fields.values() {
                write!(f, " {v}")?;
            }
        } else {
            for (k, v) in &self.fields {
                write!(f, " {k}={v}")?;
            }
        }
        Ok(())
    }
}

impl Grant {
    /// `phrase` with each `{field}` replaced by its value; `None` when a field is missing.
    fn phrase(&self, phrase: &str) -> Option<String> {
        let mut out = String::with_capacity(phrase.len() + 16);
        let mut rest = phrase;
        while let Some(open) = rest.find('{') {
            let (text, after) = rest.split_at(open);
            out.push_str(text);
            let close = after.find('}')?;
            out.push_str(self.field(after.get(1..close)?)?);
            rest = after.get(close + 1..)?;
        }
        out.push_str(rest);
        Some(out)
    }
}

impl Serialize for Grant {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.fields.len() + 1))?;
        map.serialize_entry("kind", self.kind())?;
        for (k, v) in &self.fields {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Grant {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let mut fields: BTreeMap<String, Option<String>> = BTreeMap::deserialize(d)?;
        let kind = fields
            .remove("kind")
            .flatten()
            .filter(|k| !k.is_empty())
            .ok_or_else(|| D::Error::missing_field("kind"))?;
        Ok(Self {
            kind: Kind::Named(kind),
            fields: fields
                .into_iter()
                .filter_map(|(k, v)| Some((k, v?)))
                .collect(),
        })
    }
}

/// An adapter's typed grant: what it reads from a [`Grant`] before any request, and
/// writes back into the [`crate::User`]s it returns. Usually a struct or an enum of the
/// adapter's grant kinds, with [`Grant::encode`] and [`Grant::decode`] doing the work.
pub trait AdapterGrant: Clone + PartialEq + fmt::Debug + Send + Sync + Sized + 'static {
    /// Every kind this type reads.
    const KINDS: &'static [GrantKind];

    /// The grant in core's form.
    fn to_grant(&self) -> Grant;

    /// Reads `grant`, validating its fields; errors name `field` (e.g. `grants[1]`).
    fn from_grant(grant: &Grant, field: &str) -> Result<Self>;

    /// Reads every grant of a list, naming `field[i]` in errors, and drops duplicates.
    fn from_grants(grants: &[Grant], field: &str) -> Result<Vec<Self>> {
        let mut out: Vec<Self> = Vec::with_capacity(grants.len());
        for (i, grant) in grants.iter().enumerate() {
            let typed = Self::from_grant(grant, &format!("{field}[{i}]"))?;
            if !out.contains(&typed) {
                out.push(typed);
            }
        }
        Ok(out)
    }
}

/// A typed grant of exactly one [`GrantKind`] whose fields are its serde fields (a SCIM
/// group `{group_id}`, a Flatfile actor role `{role_id, resource_id}`): declaring
/// [`SingleKindGrant::KIND`] and its [`SingleKindGrant::check`] makes it an
/// [`AdapterGrant`] that encodes itself with [`Grant::encode`] and reads a grant with
/// [`Grant::decode`] and then `check`.
///
/// ```
/// use invite_core::{AdapterGrant, Error, Grant, GrantKind, SingleKindGrant};
/// use serde::{Deserialize, Serialize};
///
/// const SEAT: GrantKind = GrantKind::new("demo_seat").phrased("seat {seat}");
///
/// #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
/// struct Seat {
///     seat: String,
/// }
///
/// impl SingleKindGrant for Seat {
///     const KIND: GrantKind = SEAT;
///     fn check(&self, field: &str) -> invite_core::Result<()> {
///         if self.seat.is_empty() {
///             return Err(Error::invalid_input(format!("{field}.seat"), "is empty"));
///         }
///         Ok(())
///     }
/// }
///
/// let grant = Seat { seat: "s1".into() }.to_grant();
/// assert_eq!(grant.to_string(), "seat s1");
/// assert_eq!(Seat::from_grant(&grant, "grants[0]")?, Seat { seat: "s1".into() });
/// let blank = Seat { seat: String::new() }.to_grant();
/// assert!(matches!(
///     Seat::from_grant(&blank, "grants[3]"),
///     Err(Error::InvalidInput { field, .. }) if field == "grants[3].seat"
/// ));
/// # Ok::<(), invite_core::Error>(())
/// ```
pub trait SingleKindGrant:
    Serialize + DeserializeOwned + Clone + PartialEq + fmt::Debug + Send + Sync + 'static
{
    /// The one kind this type reads and writes.
    const KIND: GrantKind;

    /// Validates the fields of a grant just read; errors name `field.<name>` (`field` is
    /// e.g. `grants[1]`). Default: every value serde accepts is valid.
    fn check(&self, field: &str) -> Result<()> {
        let _ = field;
        Ok(())
    }
}

impl<T: SingleKindGrant> AdapterGrant for T {
    const KINDS: &'static [GrantKind] = &[T::KIND];

    fn to_grant(&self) -> Grant {
        Grant::encode(T::KIND, self)
    }

    /// Reads a grant of [`SingleKindGrant::KIND`] and checks it.
    fn from_grant(grant: &Grant, field: &str) -> Result<Self> {
        let typed: Self = grant.decode(T::KIND, field)?;
        typed.check(field)?;
        Ok(typed)
    }
}

/// An adapter whose tool has no grants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoGrant {}

impl AdapterGrant for NoGrant {
    const KINDS: &'static [GrantKind] = &[];

    fn to_grant(&self) -> Grant {
        match *self {}
    }

    fn from_grant(grant: &Grant, field: &str) -> Result<Self> {
        Err(Error::invalid_input(
            field,
            format!("this tool has no grants (got a {})", grant.kind_label()),
        ))
    }
}

/// How to change a user's grants.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", content = "grants", rename_all = "snake_case")]
pub enum GrantChange {
    /// Replace every grant with exactly these.
    Replace(Vec<Grant>),
    /// Add these grants, keeping the others (the pipeline reads the current grants first,
    /// so nothing is dropped by accident).
    Add(Vec<Grant>),
    /// Remove these grants, keeping the others.
    Remove(Vec<Grant>),
}

impl GrantChange {
    /// The grants named by the change.
    pub fn grants(&self) -> &[Grant] {
        match self {
            GrantChange::Replace(g) | GrantChange::Add(g) | GrantChange::Remove(g) => g,
        }
    }

    /// Applies the change to `current`, returning the resulting list (order kept, no
    /// duplicates added).
    pub fn apply_to(&self, current: &[Grant]) -> Vec<Grant> {
        apply(self, current, self.grants())
    }

    /// The plan that takes a user holding `current` to what the change asks for, in an
    /// adapter's typed form; `named` is [`GrantChange::grants`] read as that type.
    pub fn plan<G: Clone + PartialEq>(&self, current: Vec<G>, named: &[G]) -> GrantPlan<G> {
        let desired = apply(self, &current, named);
        GrantPlan { current, desired }
    }
}

fn apply<G: Clone + PartialEq>(change: &GrantChange, current: &[G], named: &[G]) -> Vec<G> {
    let mut out: Vec<G> = match change {
        GrantChange::Replace(_) => Vec::with_capacity(named.len()),
        GrantChange::Add(_) => current.to_vec(),
        GrantChange::Remove(_) => {
            return current
                .iter()
                .filter(|c| !named.contains(c))
                .cloned()
                .collect();
        }
    };
    for g in named {
        if !out.contains(g) {
            out.push(g.clone());
        }
    }
    out
}

/// The grants a user holds and the grants a change wants them to hold, in an adapter's
/// typed form; what the pipeline hands an adapter to write.
#[derive(Clone, Debug, PartialEq)]
pub struct GrantPlan<G> {
    /// What the user holds now.
    pub current: Vec<G>,
    /// What the user should hold afterwards.
    pub desired: Vec<G>,
}

impl<G: PartialEq> GrantPlan<G> {
    /// Grants to give: desired, not held.
    pub fn added(&self) -> impl Iterator<Item = &G> {
        self.desired.iter().filter(|g| !self.current.contains(g))
    }

    /// Grants to take away: held, not desired.
    pub fn removed(&self) -> impl Iterator<Item = &G> {
        self.current.iter().filter(|g| !self.desired.contains(g))
    }

    /// Whether the plan changes nothing.
    pub fn is_noop(&self) -> bool {
        self.added().next().is_none() && self.removed().next().is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GROUP: GrantKind = GrantKind::new("test_group");
    const SITE: GrantKind = GrantKind::new("test_site_access");

    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    struct Site {
        site_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        role_id: Option<String>,
    }

    fn group(id: &str) -> Grant {
        Grant::new(GROUP).with("group_id", id)
    }

    #[test]
    fn grant_changes() {
        let (a, b, c) = (group("a"), group("b"), group("c"));
        let cur = vec![a.clone(), b.clone()];
        let apply = |ch: GrantChange| {
            let typed = ch.plan(cur.clone(), ch.grants()).desired;
            let untyped = ch.apply_to(&cur);
            assert_eq!(typed, untyped);
            untyped
        };
        assert_eq!(
            apply(GrantChange::Add(vec![b.clone(), c.clone()])),
            vec![a.clone(), b.clone(), c.clone()]
        );
        assert_eq!(apply(GrantChange::Remove(vec![a.clone()])), vec![b.clone()]);
        assert_eq!(
            apply(GrantChange::Replace(vec![c.clone(), c.clone()])),
            vec![c]
        );
    }

    #[test]
    fn grant_serde_is_one_flat_object() {
        let g = Grant::encode(
            SITE,
            &Site {
                site_id: "s1".into(),
                role_id: None,
            },
        );
        let v = serde_json::to_value(&g).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"kind": "test_site_access", "site_id": "s1"})
        );
        assert_eq!(serde_json::from_value::<Grant>(v).unwrap(), g);
        // A null field is an absent one; a missing kind is an error.
        let with_null: Grant = serde_json::from_value(
            serde_json::json!({"kind": "test_site_access", "site_id": "s1", "role_id": null}),
        )
        .unwrap();
        assert_eq!(with_null, g);
        assert!(serde_json::from_value::<Grant>(serde_json::json!({"site_id": "s1"})).is_err());
    }

    #[test]
    fn decoding_names_the_field_and_the_kind() {
        let g = group("a");
        match g.decode::<Site>(SITE, "grants[1]") {
            Err(Error::InvalidInput { field, reason }) => {
                assert_eq!(field, "grants[1]");
                assert!(reason.contains("test site access") && reason.contains("test group"));
            }
            other => panic!("{other:?}"),
        }
        let missing = Grant::new(SITE).with("role_id", "r");
        match missing.decode::<Site>(SITE, "grants[0]") {
            Err(Error::InvalidInput { field, reason }) => {
                assert_eq!(field, "grants[0]");
                assert!(reason.contains("site_id"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
        let site: Site = Grant::new(SITE)
            .with("site_id", "s")
            .with("role_id", "r")
            .decode(SITE, "g")
            .unwrap();
        assert_eq!(site.role_id.as_deref(), Some("r"));
    }

    #[test]
    fn display_reads_as_words() {
        assert_eq!(group("g1").to_string(), "test group g1");
        assert_eq!(
            Grant::new(SITE)
                .with("site_id", "s")
                .with("site_role", "designer")
                .to_string(),
            "test site access site_id=s site_role=designer"
        );
        assert_eq!(GROUP.to_string(), "test group");
        const PHRASED: GrantKind =
            GrantKind::new("test_site_access").phrased("site {site_id} as {site_role}");
        let g = Grant::new(PHRASED)
            .with("site_id", "s")
            .with("site_role", "designer");
        assert_eq!(g.to_string(), "site s as designer");
        // Equal to the same grant read back from JSON (which knows only the kind's name),
        // and shown generically there.
        let back: Grant = serde_json::from_value(serde_json::to_value(&g).unwrap()).unwrap();
        assert_eq!(back, g);
        assert_eq!(
            back.to_string(),
            "test site access site_id=s site_role=designer"
        );
        // A phrase naming a field the grant lacks falls back to the generic form.
        assert_eq!(
            Grant::new(PHRASED).with("site_id", "s").to_string(),
            "test site access s"
        );
    }

    #[test]
    fn plans_name_what_to_add_and_remove() {
        let plan = GrantPlan {
            current: vec![1, 2],
            desired: vec![2, 3],
        };
        assert_eq!(plan.added().collect::<Vec<_>>(), vec![&3]);
        assert_eq!(plan.removed().collect::<Vec<_>>(), vec![&1]);
        assert!(!plan.is_noop());
        assert!(
            GrantPlan {
                current: vec![1],
                desired: vec![1]
            }
            .is_noop()
        );
    }
}
