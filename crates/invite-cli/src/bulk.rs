//! `invite bulk`: the CSV of people, the run over them (journal, lock, shared budget, one
//! directory read per tool) and its progress bar.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use futures::StreamExt;
use invite_core::desired::CsvTable;
use invite_core::onboard::{Person, Report};
use invite_core::{Email, PersonName};

use crate::codes::{self, CodeSink};
use crate::commands::{Ctx, codes_outcome, orchestrator_delivering, run_journal};
use crate::coord::Coordination;
use crate::output::{self, BulkDocument, BulkSummary, InvalidRow, NotAttempted};
use crate::{BulkArgs, CliError};

/// A usable CSV row.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// Its line in the file.
    pub line: u64,
    /// The person.
    pub person: Person,
}

/// Reads the CSV: a header with `email` and optionally `name` or `given_name`/`family_name`
/// (case-insensitive). Invalid rows (and repeated addresses) come back separately with
/// their line numbers; a file without an `email` column is a usage error.
pub fn read_people(path: &Path) -> Result<(Vec<Row>, Vec<InvalidRow>, usize), CliError> {
    let shown = path.display();
    let table = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read it: {e}"))
        .and_then(|text| CsvTable::parse(&text))
        .map_err(|e| CliError::Usage(format!("{shown}: {e}")))?;
    let col = |name: &str| table.column(name);
    let email_col = col("email").ok_or_else(|| {
        CliError::Usage(format!(
            "{shown}: the header row has no `email` column (found: {}); expected email and optionally name, or given_name and family_name",
            table.headers.join(", ")
        ))
    })?;
    let (name_col, given_col, family_col) = (col("name"), col("given_name"), col("family_name"));
    let mut rows = Vec::new();
    let mut invalid = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for (line, record) in &table.rows {
        let line = *line;
        let record = match record {
            Ok(r) => r,
            Err(error) => {
                invalid.push(InvalidRow {
                    line,
                    error: error.clone(),
                });
                continue;
            }
        };
        let field = |i: Option<usize>| Some(CsvTable::cell(record, i)).filter(|s| !s.is_empty());
        let Some(raw) = field(Some(email_col)) else {
            invalid.push(InvalidRow {
                line,
                error: "the email is empty".into(),
            });
            continue;
        };
        let email = match Email::parse(raw) {
            Ok(e) => e,
            Err(e) => {
                invalid.push(InvalidRow {
                    line,
                    error: format!("`{raw}` is not an email address: {e}"),
                });
                continue;
            }
        };
        if let Some(first) = seen.get(email.normalized()) {
            invalid.push(InvalidRow {
                line,
                error: format!("{email} repeats line {first}; processed once"),
            });
            continue;
        }
        seen.insert(email.normalized().to_owned(), line);
        let name = match (field(name_col), field(given_col), field(family_col)) {
            (Some(n), _, _) => PersonName::from_display(n),
            (None, None, None) => PersonName::unknown(),
            (None, g, f) => PersonName::new(g.unwrap_or_default(), f.unwrap_or_default()),
        };
        rows.push(Row {
            line,
            person: Person::new(email, name),
        });
    }
    Ok((rows, invalid, table.rows.len()))
}

/// The default journal of a CSV file: `<FILE>.journal.jsonl` beside it.
pub fn default_journal(csv: &Path) -> PathBuf {
    let mut name = csv
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".journal.jsonl");
    csv.with_file_name(name)
}

pub(crate) async fn bulk(ctx: Ctx<'_>, args: BulkArgs) -> Result<u8, CliError> {
    let Ctx {
        redactor,
        coordination,
        ..
    } = ctx;
    let BulkArgs {
        file,
        concurrency,
        journal,
        dry_run,
        common,
        grants,
        codes,
    } = args;
    if concurrency == 0 {
        return Err(CliError::Usage("--concurrency must be at least 1".into()));
    }
    let (rows, invalid, count) = read_people(&file)?;
    let mut orch = orchestrator_delivering(ctx, &common, Some(&grants), &codes)?;
    let journal_shown = match run_journal(
        redactor,
        coordination,
        orch.targets(),
        journal,
        Some(default_journal(&file)),
        dry_run,
    )? {
        Some((journal, shown)) => {
            orch = orch.with_journal(journal);
            Some(shown)
        }
        None => None,
    };
    // Last of the checks: it creates the --codes file.
    let sink = CodeSink::open(&codes, orch.targets())?;
    let sink = &sink;
    // The run owns the lookups: each tool's directory is read once for everyone where that
    // costs fewer requests than looking each person up (see invite_core::onboard::directory).
    let people: Vec<Person> = rows.iter().map(|r| r.person.clone()).collect();
    let lookups = orch.lookups(&people).await;
    drop(people);
    let lookups = &lookups;
    let bar = progress_bar(rows.len() as u64, common.json);
    let orch = &orch;
    let bar_ref = &bar;
    // Fail closed: once Redis is found lost, nobody else is started (their invitations would
    // go out uncoordinated, or fail one by one after a timeout each); they are reported as
    // not attempted.
    let lost = AtomicBool::new(false);
    let lost = &lost;
    let done: Vec<(usize, Option<Report>)> = futures::stream::iter(rows.iter().enumerate())
        .map(|(i, row)| async move {
            if lost.load(Ordering::SeqCst) {
                return (i, None);
            }
            let report = if dry_run {
                orch.plan_onboard_with(&row.person, lookups).await
            } else {
                orch.onboard_with(&row.person, lookups).await
            };
            // At once: the journal marks these invitations done, so no later run has them.
            sink.record(&report);
            if let Some(c) = coordination
                && !lost.load(Ordering::SeqCst)
                && report
                    .entries
                    .iter()
                    .any(|e| matches!(e.source, Some(invite_core::Error::Coordination(_))))
                && !c.alive().await
            {
                lost.store(true, Ordering::SeqCst);
            }
            bar_ref.set_message(row.person.email.to_string());
            bar_ref.inc(1);
            (i, Some(report))
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    bar.finish_and_clear();
    let mut reports: Vec<(usize, Report)> = Vec::with_capacity(done.len());
    let mut not_attempted: Vec<NotAttempted> = Vec::new();
    for (i, report) in done {
        match report {
            Some(r) => reports.push((i, r)),
            None => {
                if let Some(row) = rows.get(i) {
                    not_attempted.push(NotAttempted {
                        line: row.line,
                        email: row.person.email.to_string(),
                    });
                }
            }
        }
    }
    reports.sort_by_key(|(i, _)| *i);
    not_attempted.sort_by_key(|n| n.line);
    let reports: Vec<Report> = reports.into_iter().map(|(_, r)| r).collect();
    let mut summary = BulkSummary::count(&reports);
    summary.rows = count;
    summary.invalid_rows = invalid;
    summary.dry_run = dry_run;
    if !not_attempted.is_empty() {
        summary.stopped = Some(format!(
            "Redis at {} was lost mid-run: nothing more was sent; run the same command again once it is back (the journal there says who is done)",
            coordination.map(Coordination::url).unwrap_or_default()
        ));
    }
    summary.not_attempted = not_attempted;
    summary.journal = journal_shown;
    let printed = codes.print_codes.then(|| sink.printed());
    if common.json {
        output::stdout(
            redactor,
            &output::json(&BulkDocument {
                summary: &summary,
                people: &reports,
                invitation_codes: printed.as_deref(),
            }),
        );
    } else {
        let codes = printed
            .as_deref()
            .map(codes::codes_text)
            .unwrap_or_default();
        output::stdout(redactor, &(output::bulk_text(&summary, &reports) + &codes));
    }
    let code = if summary.succeeded() {
        0
    } else {
        output::stderr_line(redactor, &format!("error: {}", summary.problems(&reports)));
        1
    };
    Ok(code.max(codes_outcome(sink, &codes, redactor)))
}

fn progress_bar(len: u64, json: bool) -> indicatif::ProgressBar {
    if json || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{bar:40} {pos}/{len} people, {elapsed} elapsed, ETA {eta} {msg}",
    ) {
        bar.set_style(style);
    }
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_names_invalid_lines_and_duplicates() {
        let dir = std::env::temp_dir().join(format!("invite-cli-csv-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("people.csv");
        std::fs::write(
            &path,
            "Email,given_name,family_name\nada@example.com,Ada,Lovelace\nnot-an-email,X,Y\n,Z,Z\nADA@example.com,Ada,Again\ngrace@example.com,,\n",
        )
        .unwrap();
        let (rows, invalid, count) = read_people(&path).unwrap();
        assert_eq!(count, 5);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].line, 2);
        assert_eq!(rows[0].person.name, PersonName::new("Ada", "Lovelace"));
        assert_eq!(rows[1].person.name, PersonName::unknown());
        let lines: Vec<u64> = invalid.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![3, 4, 5]);
        assert!(
            invalid[2].error.contains("repeats line 2"),
            "{:?}",
            invalid[2]
        );
        std::fs::write(&path, "mail,name\na@example.com,A\n").unwrap();
        assert!(
            matches!(read_people(&path), Err(CliError::Usage(m)) if m.contains("no `email` column"))
        );
        std::fs::write(&path, "email,name\nb@example.com,Bea Smith\n").unwrap();
        let (rows, _, _) = read_people(&path).unwrap();
        assert_eq!(rows[0].person.name.full().as_deref(), Some("Bea Smith"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn default_journal_sits_beside_the_csv() {
        assert_eq!(
            default_journal(Path::new("/tmp/x/people.csv")),
            PathBuf::from("/tmp/x/people.csv.journal.jsonl")
        );
    }
}
