//! What the CLI prints: reports as a table or one JSON document, bulk summaries, and the
//! scrubbing of secrets from everything written.

use std::collections::BTreeMap;
use std::io::Write;

use invite_core::Grant;
use invite_core::onboard::{Report, ReportEntry};
use serde::Serialize;

/// Replaces every known secret with `[REDACTED]` in text about to be written.
#[derive(Clone, Debug, Default)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl Redactor {
    /// Secrets shorter than 4 characters are not scrubbed (they would mangle ordinary text;
    /// no real token is that short).
    pub fn new(secrets: Vec<String>) -> Self {
        let mut secrets: Vec<String> = secrets.into_iter().filter(|s| s.len() >= 4).collect();
        // Longest first, so a secret containing another is replaced whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        Self { secrets }
    }

    /// `text` with every secret replaced.
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for s in &self.secrets {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), invite_core::redact::REDACTED);
            }
        }
        out
    }
}

/// Writes scrubbed text to stdout.
pub fn stdout(redactor: &Redactor, text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(redactor.scrub(text).as_bytes());
    let _ = out.flush();
}

/// Writes a scrubbed line to stderr.
pub fn stderr_line(redactor: &Redactor, text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{}", redactor.scrub(text));
}

/// One JSON document (pretty, newline-terminated).
pub fn json<T: Serialize>(value: &T) -> String {
    match serde_json::to_string_pretty(value) {
        Ok(s) => s + "\n",
        Err(e) => format!("{{\"error\": \"could not serialize the report: {e}\"}}\n"),
    }
}

fn detail(e: &ReportEntry) -> String {
    let mut parts = Vec::new();
    if e.resumed {
        parts.push("from the journal of an earlier run".to_owned());
    }
    if let Some(r) = &e.reason {
        parts.push(r.clone());
    }
    if let Some(err) = &e.error
        && e.reason.as_deref() != Some(err.message.as_str())
    {
        parts.push(err.message.clone());
    }
    if !e.pending_grants.is_empty() {
        let pending: Vec<String> = e.pending_grants.iter().map(Grant::to_string).collect();
        parts.push(format!("pending: {}", pending.join(", ")));
    }
    parts.join("; ")
}

fn status(e: &ReportEntry) -> String {
    e.status.as_ref().map(|s| s.to_string()).unwrap_or_default()
}

/// Lays rows out in columns (the last column is not padded).
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let cols = header.len();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate().take(cols) {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                s.push_str(c);
            } else {
                let w = widths.get(i).copied().unwrap_or(0);
                s.push_str(&format!("{c:<w$}  "));
            }
        }
        s.trim_end().to_owned() + "\n"
    };
    let mut out = line(header.to_vec());
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

/// A report as a human-readable table.
pub fn report_table(report: &Report) -> String {
    let job = serde_json::to_value(report.job)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let mut out = format!(
        "{job} {}{}\n",
        report.email,
        if report.dry_run && job != "find" {
            " (dry run: nothing was changed)"
        } else {
            ""
        }
    );
    let rows: Vec<Vec<String>> = report
        .entries
        .iter()
        .map(|e| {
            vec![
                e.provider.clone(),
                e.outcome.to_string(),
                e.user_id.clone().unwrap_or_default(),
                status(e),
                detail(e),
            ]
        })
        .collect();
    out.push_str(&table(
        &["PROVIDER", "OUTCOME", "USER ID", "STATUS", "DETAIL"],
        &rows,
    ));
    out
}

/// A CSV row that could not be used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InvalidRow {
    /// The line in the file (1 = the header).
    pub line: u64,
    /// What is wrong.
    pub error: String,
}

/// A person `invite bulk` did not start because the run stopped (the coordination store was
/// lost): nothing was sent for them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NotAttempted {
    /// The line in the file.
    pub line: u64,
    /// The person's address.
    pub email: String,
}

/// The end-of-run summary of `invite bulk`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct BulkSummary {
    /// Data rows read (valid or not).
    pub rows: usize,
    /// People processed.
    pub people: usize,
    /// People every provider succeeded for.
    pub succeeded: usize,
    /// People at least one provider failed, was uncertain or skipped for.
    pub failed: usize,
    /// Rows left out, by line.
    pub invalid_rows: Vec<InvalidRow>,
    /// Why the run stopped before everyone was attempted, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
    /// People not attempted because the run stopped, by line.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_attempted: Vec<NotAttempted>,
    /// Per provider, how many people came to each outcome.
    pub providers: BTreeMap<String, BTreeMap<String, usize>>,
    /// The journal used (none for a dry run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub journal: Option<String>,
    /// True for a dry run.
    pub dry_run: bool,
}

impl BulkSummary {
    /// Counts `reports` into a summary.
    pub fn count(reports: &[Report]) -> Self {
        let mut s = Self {
            people: reports.len(),
            ..Self::default()
        };
        for r in reports {
            if r.succeeded() {
                s.succeeded += 1;
            } else {
                s.failed += 1;
            }
            for e in &r.entries {
                *s.providers
                    .entry(e.provider.clone())
                    .or_default()
                    .entry(e.outcome.to_string())
                    .or_default() += 1;
            }
        }
        s
    }

    /// True when every row was valid and every person was attempted and succeeded
    /// everywhere.
    pub fn succeeded(&self) -> bool {
        self.failed == 0 && self.invalid_rows.is_empty() && self.not_attempted.is_empty()
    }

    /// Why the run is not a success, in one line: people with problems (per provider and
    /// outcome), invalid rows (by line), people not attempted (and why the run stopped).
    pub fn problems(&self, reports: &[Report]) -> String {
        let mut parts = Vec::new();
        if self.failed > 0 {
            let mut counts: BTreeMap<String, usize> = BTreeMap::new();
            for e in reports
                .iter()
                .flat_map(|r| &r.entries)
                .filter(|e| !e.outcome.is_success())
            {
                *counts
                    .entry(format!("{} {}", e.provider, e.outcome))
                    .or_default() += 1;
            }
            let counts: Vec<String> = counts.iter().map(|(k, n)| format!("{k}: {n}")).collect();
            parts.push(format!(
                "{} of {} people with problems ({})",
                self.failed,
                self.people,
                counts.join(", ")
            ));
        }
        if !self.invalid_rows.is_empty() {
            let lines: Vec<String> = self
                .invalid_rows
                .iter()
                .map(|r| r.line.to_string())
                .collect();
            parts.push(format!(
                "{} invalid row(s) left out (line {})",
                self.invalid_rows.len(),
                lines.join(", ")
            ));
        }
        if !self.not_attempted.is_empty() {
            parts.push(format!(
                "{} not attempted: {}",
                self.not_attempted.len(),
                one_line(self.stopped.as_deref().unwrap_or("the run stopped"))
            ));
        }
        format!("bulk: {}", parts.join("; "))
    }
}

/// The JSON document of `invite bulk --json`.
#[derive(Serialize)]
pub struct BulkDocument<'a> {
    /// The summary.
    pub summary: &'a BulkSummary,
    /// One report per person, in file order.
    pub people: &'a [Report],
    /// The invitation codes, with `--print-codes` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invitation_codes: Option<&'a [crate::codes::CodeRecord]>,
}

/// A report's JSON document with the invitation codes `--print-codes` asked for.
#[derive(Serialize)]
pub struct WithCodes<'a> {
    /// The report (its fields, at the top level).
    #[serde(flatten)]
    pub report: &'a Report,
    /// The codes.
    pub invitation_codes: &'a [crate::codes::CodeRecord],
}

/// `text` on one line: line breaks and runs of spaces become one space.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What went wrong in a report, in one line: `onboard ada@example.com: awork failed (why);
/// flatfile skipped (why)`.
pub fn report_problems(report: &Report) -> String {
    let job = serde_json::to_value(report.job)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let problems: Vec<String> = report
        .entries
        .iter()
        .filter(|e| !e.outcome.is_success())
        .map(|e| {
            let why = e
                .error
                .as_ref()
                .map(|err| err.message.as_str())
                .or(e.reason.as_deref())
                .map(|w| format!(" ({})", one_line(w)))
                .unwrap_or_default();
            format!("{} {}{why}", e.provider, e.outcome)
        })
        .collect();
    format!("{job} {}: {}", report.email, problems.join("; "))
}

/// The human-readable end of a bulk run: problems by person, then counts per provider.
pub fn bulk_text(summary: &BulkSummary, reports: &[Report]) -> String {
    let mut out = String::new();
    let mut problems: Vec<Vec<String>> = Vec::new();
    for r in reports {
        for e in r.entries.iter().filter(|e| !e.outcome.is_success()) {
            problems.push(vec![
                r.email.clone(),
                e.provider.clone(),
                e.outcome.to_string(),
                detail(e),
            ]);
        }
    }
    if !problems.is_empty() {
        out.push_str("Problems:\n");
        out.push_str(&table(
            &["EMAIL", "PROVIDER", "OUTCOME", "DETAIL"],
            &problems,
        ));
        out.push('\n');
    }
    if !summary.not_attempted.is_empty() {
        out.push_str(&format!(
            "Not attempted ({}):\n",
            summary.stopped.as_deref().unwrap_or("the run stopped")
        ));
        for n in &summary.not_attempted {
            out.push_str(&format!("  line {}: {}\n", n.line, n.email));
        }
        out.push('\n');
    }
    if !summary.invalid_rows.is_empty() {
        out.push_str("Invalid rows (left out):\n");
        for r in &summary.invalid_rows {
            out.push_str(&format!("  line {}: {}\n", r.line, r.error));
        }
        out.push('\n');
    }
    let outcomes: Vec<&String> = {
        let mut all: Vec<&String> = summary.providers.values().flat_map(|m| m.keys()).collect();
        all.sort();
        all.dedup();
        all
    };
    let mut header: Vec<&str> = vec!["PROVIDER"];
    header.extend(outcomes.iter().map(|s| s.as_str()));
    let rows: Vec<Vec<String>> = summary
        .providers
        .iter()
        .map(|(p, counts)| {
            let mut row = vec![p.clone()];
            row.extend(
                outcomes
                    .iter()
                    .map(|o| counts.get(*o).copied().unwrap_or(0).to_string()),
            );
            row
        })
        .collect();
    out.push_str(&table(&header, &rows));
    out.push_str(&format!(
        "\n{} people{}: {} succeeded everywhere, {} with problems; {} invalid row(s){}{}\n",
        summary.people,
        if summary.dry_run { " (dry run)" } else { "" },
        summary.succeeded,
        summary.failed,
        summary.invalid_rows.len(),
        if summary.not_attempted.is_empty() {
            String::new()
        } else {
            format!("; {} not attempted", summary.not_attempted.len())
        },
        summary
            .journal
            .as_ref()
            .map(|j| format!("; journal {j}"))
            .unwrap_or_default()
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redactor_replaces_every_secret_longest_first() {
        let r = Redactor::new(vec!["abc".into(), "tok_123".into(), "tok_123456".into()]);
        assert_eq!(
            r.scrub("a tok_123456 b tok_123 abc"),
            "a [REDACTED] b [REDACTED] abc"
        );
    }

    #[test]
    fn table_aligns_columns() {
        let t = table(
            &["A", "BB", "C"],
            &[vec!["xxx".into(), "y".into(), "z z".into()]],
        );
        assert_eq!(t, "A    BB  C\nxxx  y   z z\n");
    }
}
