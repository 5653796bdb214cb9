//! The roster: who belongs in which tool with which grants, read from CSV or TOML.
//!
//! # CSV
//!
//! A header row with `email`, `name` (optional) and `tools` (case-insensitive). `tools` lists
//! the person's tools separated by `;`. Each item is a tool's name, optionally followed by
//! `:` and one grant; repeat the tool for more grants. A grant is written
//! `kind(field=value, field=value)` with the kind and fields its adapter declares (the same
//! as its JSON form `{"kind": …, "field": …}`). A tool named without a grant gets the tool's
//! configured default grants. A row whose `tools` cell is `!ignore` puts the address on the
//! ignore list instead: never removed from any tool, even in authoritative mode.
//!
//! ```csv
//! email,name,tools
//! ada@example.com,Ada Lovelace,flatfile;awork
//! grace@example.com,Grace Hopper,"awork:awork_role(role_id=6d3c1a8e-2f0b-4f5e-9c1d-0a1b2c3d4e5f);webflow-workspace:webflow_workspace_role(workspace_role=member, default_site_role=designer)"
//! it-admin@example.com,,!ignore
//! ```
//!
//! # TOML
//!
//! ```toml
//! ignore = ["it-admin@example.com"]
//!
//! [[people]]
//! email = "ada@example.com"
//! name = "Ada Lovelace"
//! tools = ["flatfile", "awork"]
//!
//! [[people]]
//! email = "grace@example.com"
//! name = "Grace Hopper"
//! tools = ["webflow-workspace"]
//! # grants per tool: tables in the JSON form, or strings in the CSV form
//! grants.awork = [{ kind = "awork_role", role_id = "6d3c1a8e-2f0b-4f5e-9c1d-0a1b2c3d4e5f" }]
//! grants.webflow-workspace = ["webflow_workspace_role(workspace_role=member, default_site_role=designer)"]
//! ```
//!
//! A tool named under `grants` belongs to the person even when `tools` omits it. Every
//! problem is a [`RosterError`] naming the file, the line and the reason, and a file with
//! any is refused whole: [`Roster::parse_csv`] and [`Roster::parse_toml`] return every
//! invalid row at once ([`RosterErrors`]).

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::model::{Email, Grant, PersonName};

/// One invalid line of a roster: file, line and reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{file}:{line}: {reason}")]
pub struct RosterError {
    /// The file (as given).
    pub file: String,
    /// The line (1-based; 0 when the problem is the whole file).
    pub line: u64,
    /// What is wrong.
    pub reason: String,
}

impl RosterError {
    fn new(file: &Path, line: u64, reason: impl Into<String>) -> Self {
        Self {
            file: file.display().to_string(),
            line,
            reason: reason.into(),
        }
    }
}

/// Every invalid line of one roster file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct RosterErrors(pub Vec<RosterError>);

impl fmt::Display for RosterErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

/// One person of a roster: who they are, and their grants per tool.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RosterEntry {
    /// Their address.
    pub email: Email,
    /// Their name.
    pub name: PersonName,
    /// The tools they belong in (by configured name), each with the grants they hold there
    /// (empty: the tool's configured default grants).
    pub tools: BTreeMap<String, Vec<Grant>>,
    /// The line that names them.
    pub line: u64,
}

impl RosterEntry {
    /// A person in no tool yet.
    pub fn new(email: Email, name: PersonName) -> Self {
        Self {
            email,
            name,
            tools: BTreeMap::new(),
            line: 0,
        }
    }

    /// Adds a tool with these grants (empty: the tool's defaults).
    pub fn with_tool(mut self, tool: impl Into<String>, grants: Vec<Grant>) -> Self {
        self.tools.entry(tool.into()).or_default().extend(grants);
        self
    }
}

/// Who should be in which tool, plus who is never removed. See the [module docs](crate::desired) for
/// the file formats.
///
/// ```
/// use invite_core::desired::Roster;
/// let roster = Roster::parse_csv(
///     "people.csv",
///     "email,name,tools\nada@example.com,Ada Lovelace,crm;wiki:memory_group(group=docs)\nroot@example.com,,!ignore\n",
/// )?;
/// assert_eq!(roster.people.len(), 1);
/// assert_eq!(roster.people[0].tools["wiki"][0].to_string(), "memory group docs");
/// assert!(roster.is_ignored(&"ROOT@example.com".parse()?));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Roster {
    /// The people, in file order (each address once).
    pub people: Vec<RosterEntry>,
    /// Addresses never removed from any tool.
    pub ignore: Vec<Email>,
    /// The file it was read from, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<PathBuf>,
}

impl Roster {
    /// A roster of these people and no ignore list.
    pub fn new(people: Vec<RosterEntry>) -> Self {
        Self {
            people,
            ignore: Vec::new(),
            source: None,
        }
    }

    /// Adds an address to the ignore list.
    pub fn with_ignored(mut self, email: Email) -> Self {
        self.ignore.push(email);
        self
    }

    /// Whether `email` is on the ignore list.
    pub fn is_ignored(&self, email: &Email) -> bool {
        self.ignore.contains(email)
    }

    /// The entry for `email`, if it is on the roster.
    pub fn person(&self, email: &Email) -> Option<&RosterEntry> {
        self.people.iter().find(|p| &p.email == email)
    }

    /// Every tool any person names, sorted.
    pub fn tools(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self
            .people
            .iter()
            .flat_map(|p| p.tools.keys().map(String::as_str))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Reads a roster file: `.toml` as TOML, anything else as CSV.
    pub fn read(path: &Path) -> Result<Self, RosterErrors> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            RosterErrors(vec![RosterError::new(
                path,
                0,
                format!("cannot read it: {e}"),
            )])
        })?;
        let toml = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("toml"));
        if toml {
            Self::parse_toml(path, &text)
        } else {
            Self::parse_csv(path, &text)
        }
    }

    /// Parses the CSV form; `file` names the source in errors.
    pub fn parse_csv(file: impl AsRef<Path>, text: &str) -> Result<Self, RosterErrors> {
        let file = file.as_ref();
        let whole = |reason: String| RosterErrors(vec![RosterError::new(file, 1, reason)]);
        let table = CsvTable::parse(text).map_err(whole)?;
        let (Some(email_col), Some(tools_col)) = (table.column("email"), table.column("tools"))
        else {
            return Err(whole(format!(
                "the header row needs `email` and `tools` columns (and optionally `name`); found: {}",
                table.headers.join(", ")
            )));
        };
        let name_col = table.column("name");
        let mut b = Builder::new(file);
        for (line, row) in &table.rows {
            let (line, row) = match row {
                Ok(row) => (*line, row),
                Err(reason) => {
                    b.error(*line, reason.clone());
                    continue;
                }
            };
            let tools = CsvTable::cell(row, Some(tools_col));
            if tools == IGNORE {
                b.ignore(line, CsvTable::cell(row, Some(email_col)));
                continue;
            }
            let mut items = Vec::new();
            for item in tools.split(';').map(str::trim).filter(|s| !s.is_empty()) {
                match parse_item(item) {
                    Ok(i) => items.push(i),
                    Err(reason) => b.error(line, format!("tools `{item}`: {reason}")),
                }
            }
            let (email, name) = (
                CsvTable::cell(row, Some(email_col)),
                CsvTable::cell(row, name_col),
            );
            b.person(line, email, name, items);
        }
        b.finish()
    }

    /// Parses the TOML form; `file` names the source in errors.
    pub fn parse_toml(file: impl AsRef<Path>, text: &str) -> Result<Self, RosterErrors> {
        let file = file.as_ref();
        let line_of = |offset: usize| {
            text.get(..offset)
                .map_or(0, |s| s.bytes().filter(|b| *b == b'\n').count() as u64)
                + 1
        };
        let doc: TomlRoster = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(0, |s| line_of(s.start));
            RosterErrors(vec![RosterError::new(
                file,
                line,
                format!("not a valid roster: {}", e.message()),
            )])
        })?;
        let mut b = Builder::new(file);
        for email in &doc.ignore {
            b.ignore(line_of(email.span().start), email.get_ref());
        }
        for person in &doc.people {
            let line = line_of(person.span().start);
            let p = person.get_ref();
            let mut items = Vec::new();
            for item in &p.tools {
                match parse_item(item) {
                    Ok(i) => items.push(i),
                    Err(reason) => b.error(line, format!("tools `{item}`: {reason}")),
                }
            }
            for (tool, grants) in &p.grants {
                items.push((tool.clone(), None));
                for g in grants {
                    let grant = match g {
                        TomlGrant::Text(s) => parse_grant(s).map_err(|r| format!("`{s}`: {r}")),
                        TomlGrant::Table(t) => serde_json::to_value(t)
                            .and_then(serde_json::from_value::<Grant>)
                            .map_err(|e| format!("not a grant ({e})")),
                    };
                    match grant {
                        Ok(g) => items.push((tool.clone(), Some(g))),
                        Err(reason) => b.error(line, format!("grants.{tool}: {reason}")),
                    }
                }
            }
            b.person(line, &p.email, p.name.as_deref().unwrap_or(""), items);
        }
        b.finish()
    }
}

/// A CSV document with a header row, read as a roster is (and the CLI's bulk file): rows of
/// any length, cells trimmed, columns found by name (case-insensitively, a byte-order mark
/// ignored).
///
/// ```
/// use invite_core::desired::CsvTable;
/// let table = CsvTable::parse("\u{feff}Email,Name\nada@example.com , Ada\n").unwrap();
/// let (line, row) = &table.rows[0];
/// let row = row.as_ref().unwrap();
/// assert_eq!((*line, CsvTable::cell(row, table.column("email"))), (2, "ada@example.com"));
/// assert_eq!(CsvTable::cell(row, table.column("tools")), "");
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CsvTable {
    /// The header row as written.
    pub headers: Vec<String>,
    /// Every row after it: its line, and its cells or why it is not valid CSV.
    pub rows: Vec<(u64, Result<Vec<String>, String>)>,
}

impl CsvTable {
    /// Reads `text`; the error says why its header row cannot be read.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let headers = reader
            .headers()
            .map_err(|e| format!("cannot read the header row: {e}"))?
            .iter()
            .map(str::to_owned)
            .collect();
        let rows = reader
            .records()
            .map(|record| match record {
                Ok(r) => (
                    r.position().map_or(0, csv::Position::line),
                    Ok(r.iter().map(str::to_owned).collect()),
                ),
                Err(e) => (
                    e.position().map_or(0, csv::Position::line),
                    Err(format!("not valid CSV: {e}")),
                ),
            })
            .collect();
        Ok(Self { headers, rows })
    }

    /// The index of the column called `name`, if the header row has one.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.headers.iter().position(|h| {
            h.trim()
                .trim_start_matches('\u{feff}')
                .eq_ignore_ascii_case(name)
        })
    }

    /// The cell of `row` in column `col` (empty when there is none).
    pub fn cell(row: &[String], col: Option<usize>) -> &str {
        col.and_then(|i| row.get(i)).map_or("", |c| c.trim())
    }
}

/// The `tools` cell that puts a CSV row's address on the ignore list.
pub const IGNORE: &str = "!ignore";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TomlRoster {
    #[serde(default)]
    ignore: Vec<toml::Spanned<String>>,
    #[serde(default)]
    people: Vec<toml::Spanned<TomlPerson>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TomlPerson {
    email: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    tools: Vec<String>,
    #[serde(default)]
    grants: BTreeMap<String, Vec<TomlGrant>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum TomlGrant {
    Text(String),
    Table(BTreeMap<String, String>),
}

/// Collects people and errors, checking what every format shares.
struct Builder<'a> {
    file: &'a Path,
    roster: Roster,
    seen: HashMap<String, u64>,
    errors: Vec<RosterError>,
}

impl<'a> Builder<'a> {
    fn new(file: &'a Path) -> Self {
        Self {
            file,
            roster: Roster {
                source: Some(file.to_path_buf()),
                ..Roster::default()
            },
            seen: HashMap::new(),
            errors: Vec::new(),
        }
    }

    fn error(&mut self, line: u64, reason: String) {
        self.errors.push(RosterError::new(self.file, line, reason));
    }

    fn email(&mut self, line: u64, raw: &str) -> Option<Email> {
        if raw.trim().is_empty() {
            self.error(line, "the email is empty".into());
            return None;
        }
        match Email::parse(raw.trim()) {
            Ok(e) => Some(e),
            Err(e) => {
                self.error(line, format!("`{raw}` is not an email address: {e}"));
                None
            }
        }
    }

    fn ignore(&mut self, line: u64, raw: &str) {
        if let Some(email) = self.email(line, raw)
            && !self.roster.ignore.contains(&email)
        {
            self.roster.ignore.push(email);
        }
    }

    fn person(&mut self, line: u64, raw: &str, name: &str, items: Vec<(String, Option<Grant>)>) {
        let Some(email) = self.email(line, raw) else {
            return;
        };
        if let Some(first) = self.seen.get(email.normalized()) {
            self.error(line, format!("{email} is already on line {first}"));
            return;
        }
        self.seen.insert(email.normalized().to_owned(), line);
        let name = if name.trim().is_empty() {
            PersonName::unknown()
        } else {
            PersonName::from_display(name)
        };
        let mut entry = RosterEntry::new(email, name);
        entry.line = line;
        for (tool, grant) in items {
            entry = entry.with_tool(tool, grant.into_iter().collect());
        }
        if entry.tools.is_empty() && self.errors.last().is_none_or(|e| e.line != line) {
            self.error(line, format!("{} names no tool", entry.email));
            return;
        }
        self.roster.people.push(entry);
    }

    fn finish(self) -> Result<Roster, RosterErrors> {
        if self.errors.is_empty() {
            Ok(self.roster)
        } else {
            Err(RosterErrors(self.errors))
        }
    }
}

/// `tool` or `tool:grant`.
fn parse_item(item: &str) -> Result<(String, Option<Grant>), String> {
    let (tool, grant) = match item.split_once(':') {
        Some((t, g)) => (t.trim(), Some(parse_grant(g)?)),
        None => (item.trim(), None),
    };
    if tool.is_empty()
        || !tool
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_".contains(c))
    {
        return Err(format!(
            "`{tool}` is not a tool name (letters, digits, `-`, `_`)"
        ));
    }
    Ok((tool.to_owned(), grant))
}

/// `kind(field=value, field=value)`: a grant in its compact form.
pub fn parse_grant(text: &str) -> Result<Grant, String> {
    let text = text.trim();
    let (kind, rest) = text
        .split_once('(')
        .ok_or_else(|| "a grant is written kind(field=value, …)".to_owned())?;
    let body = rest
        .strip_suffix(')')
        .ok_or_else(|| "the grant's `(` is not closed by a final `)`".to_owned())?;
    let kind = kind.trim();
    if kind.is_empty() || !kind.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(format!("`{kind}` is not a grant kind (e.g. awork_role)"));
    }
    let mut map = serde_json::Map::new();
    map.insert("kind".into(), kind.into());
    for pair in body.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v) = pair
            .split_once('=')
            .ok_or_else(|| format!("`{pair}` is not field=value"))?;
        let (k, v) = (k.trim(), v.trim());
        if k.is_empty() || v.is_empty() || k == "kind" {
            return Err(format!("`{pair}` is not field=value"));
        }
        if map.insert(k.into(), v.into()).is_some() {
            return Err(format!("the field {k} is given twice"));
        }
    }
    serde_json::from_value(serde_json::Value::Object(map)).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_with_grants_and_errors_naming_lines() {
        let text = "email,name,tools\n\
            ada@example.com,Ada Lovelace,crm;wiki:memory_group(group=docs);wiki:memory_role(role=editor)\n\
            nope,X,crm\n\
            ADA@example.com,Again,crm\n\
            b@example.com,,crm:memory_group(group)\n\
            c@example.com,,\n\
            root@example.com,,!ignore\n";
        let errors = Roster::parse_csv("r.csv", text).unwrap_err().0;
        let lines: Vec<u64> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![3, 4, 5, 6], "{errors:?}");
        assert!(errors[1].reason.contains("already on line 2"));
        assert!(errors[2].reason.contains("not field=value"));
        assert!(
            errors[0]
                .to_string()
                .starts_with("r.csv:3: `nope` is not an email address"),
            "{}",
            errors[0]
        );
        let ok = "email,name,tools\n\
            ada@example.com,Ada Lovelace,crm;wiki:memory_group(group=docs);wiki:memory_role(role=editor)\n\
            root@example.com,,!ignore\n";
        let r = Roster::parse_csv("r.csv", ok).unwrap();
        assert_eq!(r.people[0].tools["crm"], vec![]);
        assert_eq!(
            r.people[0].tools["wiki"],
            vec![
                crate::InMemoryProvider::group("docs"),
                crate::InMemoryProvider::role("editor")
            ]
        );
        assert_eq!(r.tools(), vec!["crm", "wiki"]);
        assert!(r.is_ignored(&Email::parse("Root@Example.com").unwrap()));
        assert!(matches!(
            Roster::parse_csv("r.csv", "mail,tools\n"),
            Err(RosterErrors(e)) if e[0].reason.contains("`email` and `tools`")
        ));
    }

    #[test]
    fn toml_people_grants_and_lines() {
        let text = r#"ignore = ["root@example.com"]

[[people]]
email = "ada@example.com"
name = "Ada Lovelace"
tools = ["crm"]
grants.wiki = [{ kind = "memory_group", group = "docs" }, "memory_role(role=editor)"]

[[people]]
email = "broken"
tools = ["crm"]
"#;
        let errors = Roster::parse_toml("r.toml", text).unwrap_err().0;
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 9, "{errors:?}");
        let good = text.replace("\"broken\"", "\"grace@example.com\"");
        let r = Roster::parse_toml("r.toml", &good).unwrap();
        assert_eq!(r.people.len(), 2);
        assert_eq!(r.people[0].line, 3);
        assert_eq!(r.people[0].tools["wiki"].len(), 2);
        assert_eq!(r.people[0].name.full().as_deref(), Some("Ada Lovelace"));
        assert!(r.is_ignored(&Email::parse("root@example.com").unwrap()));
        let bad = Roster::parse_toml("r.toml", "[[people]]\nemail = 3\n")
            .unwrap_err()
            .0;
        assert_eq!(bad[0].line, 2, "{bad:?}");
        let unknown = Roster::parse_toml("r.toml", "[[people]]\nemail = \"a@b.co\"\nteam = 1\n")
            .unwrap_err()
            .0;
        assert!(unknown[0].reason.contains("team"), "{unknown:?}");
    }

    #[test]
    fn the_example_rosters_say_the_same() {
        let csv = Roster::parse_csv(
            "roster.csv",
            include_str!("../../../../examples/roster.csv"),
        )
        .unwrap();
        let toml = Roster::parse_toml(
            "roster.toml",
            include_str!("../../../../examples/roster.toml"),
        )
        .unwrap();
        assert_eq!(csv.people.len(), 3);
        assert_eq!(csv.ignore, toml.ignore);
        for (a, b) in csv.people.iter().zip(&toml.people) {
            assert_eq!((&a.email, &a.name), (&b.email, &b.name));
            assert_eq!(
                a.tools.keys().collect::<Vec<_>>(),
                b.tools.keys().collect::<Vec<_>>()
            );
        }
        assert_eq!(
            csv.people[1].tools["flatfile"],
            toml.people[1].tools["flatfile"]
        );
        assert_eq!(csv.people[2].tools, toml.people[2].tools);
    }

    #[test]
    fn grant_syntax() {
        let g = parse_grant(
            "webflow_workspace_role(workspace_role=member, default_site_role=designer)",
        )
        .unwrap();
        assert_eq!(g.kind(), "webflow_workspace_role");
        assert_eq!(g.field("default_site_role"), Some("designer"));
        for bad in ["role", "x(a)", "x(a=1,a=2)", "(a=1)", "x(a=1", "x(kind=y)"] {
            assert!(parse_grant(bad).is_err(), "{bad}");
        }
    }
}
