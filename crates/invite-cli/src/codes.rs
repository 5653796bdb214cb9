//! Invitation codes: handing the codes some tools return (awork's `invitationCode`) to the
//! caller, and inviting without an email (`--no-email`).
//!
//! A code lets whoever holds it join the tool, so it is a secret: the CLI never prints it
//! unless asked (`--print-codes`), and otherwise keeps it only in the file the user names
//! (`--codes FILE`):
//! - the file is **created new**: an existing path (a file, a symlink, anything) is refused
//!   before any request, so codes never land in a file someone else prepared or one that
//!   holds earlier codes; name a new file for each run;
//! - on Unix it is created with mode `0600` (owner read/write; the process umask can only
//!   narrow it), in the same `open` call that creates it, so it is never readable by others,
//!   not even for a moment;
//! - one JSON object per line, written as each person's invitations finish (a run stopped
//!   midway keeps the codes of the invitations already sent):
//!   `{"email":"ada@example.com","provider":"awork","code":"…","expires_at":"2026-12-07T16:00:00Z"}`
//!   (`expires_at` only when the tool says). It stays empty when no invitation was sent
//!   (everyone was already there, or a resumed run found them done in its journal).
//!
//! Which tools can invite without an email and which return codes comes from the providers'
//! declared capabilities ([`invite_core::Capabilities::silent_invite`],
//! [`invite_core::Capabilities::invitation_code`]), never from their names.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use clap::Args;
use invite_core::onboard::{Report, Target};
use invite_core::{Describe, EmailDelivery, InvitationCode};
use serde::Serialize;

use crate::CliError;

/// The `--no-email`, `--codes` and `--print-codes` flags (`onboard` and `bulk`).
#[derive(Debug, Args, Clone, Default)]
pub struct CodeArgs {
    /// Invite without the tool emailing the invitee. Refused, before any request, when a
    /// selected tool cannot (leave it out with --to); keep the codes with --codes.
    #[arg(long)]
    pub no_email: bool,
    /// Write the invitation codes the tools return to FILE, a new file readable by its owner
    /// only (0600; an existing FILE is refused): one JSON object per line.
    #[arg(long, value_name = "FILE", conflicts_with = "dry_run")]
    pub codes: Option<PathBuf>,
    /// Print the invitation codes on stdout too (they are secrets: whoever has one can join).
    #[arg(long, conflicts_with = "dry_run")]
    pub print_codes: bool,
}

impl CodeArgs {
    /// The email delivery the flags ask for.
    pub fn delivery(&self) -> EmailDelivery {
        if self.no_email {
            EmailDelivery::Suppress
        } else {
            EmailDelivery::VendorDefault
        }
    }
}

/// `--no-email`: every target that cannot invite without an email, refused as one usage error
/// naming them (nothing has been sent yet).
pub fn check_no_email(targets: &[Target], args: &CodeArgs) -> Result<(), CliError> {
    if !args.no_email {
        return Ok(());
    }
    let (silent, loud): (Vec<&Target>, Vec<&Target>) = targets.iter().partition(|t| {
        Describe::info(t.provider.as_ref())
            .capabilities
            .silent_invite
    });
    if loud.is_empty() {
        return Ok(());
    }
    let names = |ts: &[&Target], sep: &str| {
        let names: Vec<&str> = ts.iter().map(|t| t.name.as_str()).collect();
        names.join(sep)
    };
    Err(CliError::Usage(format!(
        "--no-email: {} cannot invite without sending the invitation email; leave {} out with --to{}",
        names(&loud, ", "),
        if loud.len() == 1 { "it" } else { "them" },
        if silent.is_empty() {
            String::new()
        } else {
            format!(" (--to {})", names(&silent, ","))
        }
    )))
}

/// One code, as written to the file and printed: serializing it exposes the code (that is
/// what the file and `--print-codes` are for); `Debug` does not.
#[derive(Clone, Debug, Serialize)]
pub struct CodeRecord {
    /// The invitee.
    pub email: String,
    /// The target that returned it.
    pub provider: String,
    /// The code itself.
    #[serde(serialize_with = "expose")]
    pub code: InvitationCode,
    /// When it expires, if the tool says (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
}

impl CodeRecord {
    /// The codes in `report`, exposed.
    fn from_report(report: &Report) -> Vec<CodeRecord> {
        report
            .entries
            .iter()
            .filter_map(|e| {
                let code = e.invitation_code.as_ref()?;
                Some(CodeRecord {
                    email: report.email.clone(),
                    provider: e.provider.clone(),
                    code: code.clone(),
                    expires_at: e.code_expires_at.and_then(|t| {
                        t.format(&time::format_description::well_known::Rfc3339)
                            .ok()
                    }),
                })
            })
            .collect()
    }
}

/// Where the codes of a run go: the `--codes` file, the printed list, or nowhere (counted, so
/// the run can say codes were dropped).
#[derive(Debug)]
pub struct CodeSink {
    file: Option<(PathBuf, Mutex<File>)>,
    print: bool,
    state: Mutex<SinkState>,
}

#[derive(Debug, Default)]
struct SinkState {
    printed: Vec<CodeRecord>,
    dropped: usize,
    failed_write: Option<String>,
}

impl CodeSink {
    /// Checks the flags against the selected targets and creates the `--codes` file. Call
    /// it after every other check, just before the first request: an existing file, or
    /// asking for codes when no selected tool returns any, is a usage error.
    pub fn open(args: &CodeArgs, targets: &[Target]) -> Result<Self, CliError> {
        if args.codes.is_some() || args.print_codes {
            let coded = targets.iter().any(|t| {
                Describe::info(t.provider.as_ref())
                    .capabilities
                    .invitation_code
            });
            if !coded {
                let names: Vec<&str> = targets.iter().map(|t| t.name.as_str()).collect();
                return Err(CliError::Usage(format!(
                    "{}: none of the selected tools ({}) returns an invitation code",
                    if args.codes.is_some() {
                        "--codes"
                    } else {
                        "--print-codes"
                    },
                    names.join(", ")
                )));
            }
        }
        let file = match &args.codes {
            Some(path) => Some((path.clone(), Mutex::new(create_private(path)?))),
            None => None,
        };
        Ok(Self {
            file,
            print: args.print_codes,
            state: Mutex::new(SinkState::default()),
        })
    }

    /// Takes the codes of one finished report: appended to the file at once, kept for
    /// printing if asked, else counted as dropped.
    pub fn record(&self, report: &Report) {
        let records = CodeRecord::from_report(report);
        if records.is_empty() {
            return;
        }
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((path, file)) = &self.file {
            let mut text = String::new();
            for r in &records {
                match serde_json::to_string(r) {
                    Ok(line) => {
                        text.push_str(&line);
                        text.push('\n');
                    }
                    // A struct of strings always serializes; kept typed rather than unwrapped.
                    Err(e) => state.failed_write = Some(format!("{}: {e}", path.display())),
                }
            }
            let mut file = file.lock().unwrap_or_else(|p| p.into_inner());
            if let Err(e) = file.write_all(text.as_bytes()).and_then(|()| file.flush()) {
                state.failed_write = Some(format!("{}: {e}", path.display()));
            }
        }
        if self.print {
            state.printed.extend(records);
        } else if self.file.is_none() {
            state.dropped += records.len();
        }
    }

    /// The codes to print (`--print-codes`), in the order they came.
    pub fn printed(&self) -> Vec<CodeRecord> {
        self.state
            .lock()
            .map(|s| s.printed.clone())
            .unwrap_or_default()
    }

    /// Codes the tools returned that went nowhere (no --codes, no --print-codes).
    pub fn dropped(&self) -> usize {
        self.state.lock().map(|s| s.dropped).unwrap_or_default()
    }

    /// The first failure to write the file, if any: the run must not end as a success.
    pub fn write_error(&self) -> Option<String> {
        self.state.lock().ok().and_then(|s| s.failed_write.clone())
    }
}

fn expose<S: serde::Serializer>(code: &InvitationCode, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(code.expose())
}

/// Creates `path` new, readable and writable by its owner only; refuses an existing path.
fn create_private(path: &Path) -> Result<File, CliError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path).map_err(|e| {
        CliError::Usage(if e.kind() == std::io::ErrorKind::AlreadyExists {
            format!(
                "--codes {}: the file exists; codes are only written to a new file (name another one)",
                path.display()
            )
        } else {
            format!("--codes {}: cannot create it: {e}", path.display())
        })
    })
}

/// The human-readable list of printed codes.
pub fn codes_text(records: &[CodeRecord]) -> String {
    if records.is_empty() {
        return String::new();
    }
    let rows: Vec<Vec<String>> = records
        .iter()
        .map(|r| {
            vec![
                r.email.clone(),
                r.provider.clone(),
                r.code.expose().to_owned(),
                r.expires_at.clone().unwrap_or_default(),
            ]
        })
        .collect();
    format!(
        "\nInvitation codes (secrets: give each to its invitee only):\n{}",
        crate::output::table(&["EMAIL", "PROVIDER", "CODE", "EXPIRES"], &rows)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_record_shows_its_code_when_serialized_only() {
        let r = CodeRecord {
            email: "ada@example.com".into(),
            provider: "awork".into(),
            code: InvitationCode::new("s3cret-code"),
            expires_at: None,
        };
        assert!(!format!("{r:?}").contains("s3cret-code"));
        let line = serde_json::to_string(&r).unwrap();
        assert_eq!(
            line,
            r#"{"email":"ada@example.com","provider":"awork","code":"s3cret-code"}"#
        );
        assert!(codes_text(&[r]).contains("s3cret-code"));
    }

    #[test]
    fn the_codes_file_is_created_new_and_private() {
        let dir = std::env::temp_dir().join(format!("invite-cli-codes-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("codes.jsonl");
        let _ = std::fs::remove_file(&path);
        let file = create_private(&path).unwrap();
        drop(file);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "{mode:o}");
        }
        match create_private(&path) {
            Err(CliError::Usage(m)) => assert!(m.contains("exists"), "{m}"),
            other => panic!("{other:?}"),
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
