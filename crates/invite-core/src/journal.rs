//! Journals: what each provider's part of an onboarding came to, so that a run interrupted by
//! a crash can be run again without inviting anyone twice and without skipping anyone.
//!
//! Entries are written ahead: `Started` before a provider is written to, then `Finished`
//! with the outcome. On a re-run, a `Finished` success is reported from the journal without
//! touching the vendor; a `Started` without `Finished` (the crash happened mid-call) is
//! reconciled by looking the person up, exactly as an uncertain invite is.
//!
//! [`FileJournal`] keeps a JSON-lines file; [`MemoryJournal`] keeps entries in memory;
//! `invite-redis` shares one journal between machines.

use std::collections::HashMap;
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error::{Error, Result};

/// Where one provider's part of one person's run stands.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum JournalPhase {
    /// A write to the vendor is about to start.
    Started,
    /// The provider's part finished with this outcome.
    Finished {
        /// The outcome's name (`invited`, `already_member`, `removed`, …).
        outcome: String,
        /// Whether the outcome counts as done (a re-run skips it) or must be tried again.
        done: bool,
        /// The account id, when there is one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        user_id: Option<String>,
    },
}

/// One journal line.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    /// The job: `onboard`, `offboard`, or a caller's run name.
    pub job: String,
    /// The provider's configured name.
    pub provider: String,
    /// The person's address, lower-cased.
    pub email: String,
    /// The phase.
    #[serde(flatten)]
    pub phase: JournalPhase,
    /// When it was written.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

impl JournalEntry {
    /// An entry written now.
    pub fn new(job: &str, provider: &str, email: &str, phase: JournalPhase) -> Self {
        Self {
            job: job.to_owned(),
            provider: provider.to_owned(),
            email: email.to_lowercase(),
            phase,
            at: OffsetDateTime::now_utc(),
        }
    }
}

/// A durable record of per-provider outcomes.
#[async_trait]
pub trait Journal: fmt::Debug + Send + Sync + 'static {
    /// The latest entry for (`job`, `provider`, `email` lower-cased), if any.
    async fn latest(&self, job: &str, provider: &str, email: &str) -> Result<Option<JournalEntry>>;

    /// Appends an entry durably before returning.
    async fn record(&self, entry: &JournalEntry) -> Result<()>;
}

/// The latest entry per (job, provider, address), as every journal here keeps it in memory.
#[derive(Debug, Default)]
struct Latest(HashMap<(String, String, String), JournalEntry>);

impl Latest {
    fn get(&self, job: &str, provider: &str, email: &str) -> Option<JournalEntry> {
        let key = (job.to_owned(), provider.to_owned(), email.to_lowercase());
        self.0.get(&key).cloned()
    }

    fn insert(&mut self, entry: JournalEntry) {
        let key = (
            entry.job.clone(),
            entry.provider.clone(),
            entry.email.clone(),
        );
        self.0.insert(key, entry);
    }
}

/// Locks a journal's state; a poisoned lock (a panic mid-write elsewhere) is a coordination error.
fn locked<T>(state: &Mutex<T>) -> Result<MutexGuard<'_, T>> {
    state
        .lock()
        .map_err(|_| Error::Coordination("journal lock poisoned".into()))
}

/// A journal in memory (tests, or one process that only needs crash-free resumption).
#[derive(Debug, Default)]
pub struct MemoryJournal {
    latest: Mutex<Latest>,
}

impl MemoryJournal {
    /// An empty journal.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl Journal for MemoryJournal {
    async fn latest(&self, job: &str, provider: &str, email: &str) -> Result<Option<JournalEntry>> {
        Ok(locked(&self.latest)?.get(job, provider, email))
    }

    async fn record(&self, entry: &JournalEntry) -> Result<()> {
        locked(&self.latest)?.insert(entry.clone());
        Ok(())
    }
}

/// A JSON-lines journal file: one [`JournalEntry`] per line, appended and flushed to disk
/// (`fsync`) before each write to a vendor proceeds. A torn last line (a crash mid-write) is
/// ignored when the file is read back.
pub struct FileJournal {
    path: PathBuf,
    inner: Mutex<(File, Latest)>,
}

impl fmt::Debug for FileJournal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileJournal")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl FileJournal {
    /// Opens (or creates) the journal at `path` and reads what it holds.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let io = |what: &str, e: std::io::Error| {
            Error::Config(format!("journal {}: could not {what}: {e}", path.display()))
        };
        let mut latest = Latest::default();
        if path.exists() {
            let f = File::open(&path).map_err(|e| io("read it", e))?;
            for line in BufReader::new(f).lines() {
                let line = line.map_err(|e| io("read it", e))?;
                if line.trim().is_empty() {
                    continue;
                }
                match serde_json::from_str::<JournalEntry>(&line) {
                    Ok(entry) => {
                        latest.insert(entry);
                    }
                    Err(e) => {
                        tracing::warn!(target: "invite::journal", path = %path.display(), error = %e, "ignoring an unreadable journal line (torn write?)");
                    }
                }
            }
        }
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| io("open it for appending", e))?;
        // After a torn last line, start the next entry on a line of its own.
        let ends_clean = std::fs::read(&path)
            .map(|b| b.last().is_none_or(|c| *c == b'\n'))
            .unwrap_or(true);
        if !ends_clean {
            file.write_all(b"\n").map_err(|e| io("repair it", e))?;
        }
        Ok(Self {
            path,
            inner: Mutex::new((file, latest)),
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[async_trait]
impl Journal for FileJournal {
    async fn latest(&self, job: &str, provider: &str, email: &str) -> Result<Option<JournalEntry>> {
        Ok(locked(&self.inner)?.1.get(job, provider, email))
    }

    async fn record(&self, entry: &JournalEntry) -> Result<()> {
        let mut line = serde_json::to_string(entry)
            .map_err(|e| Error::Coordination(format!("journal entry: {e}")))?;
        line.push('\n');
        let mut inner = locked(&self.inner)?;
        let write = inner
            .0
            .write_all(line.as_bytes())
            .and_then(|()| inner.0.sync_data());
        write.map_err(|e| {
            Error::Coordination(format!(
                "journal {}: write failed: {e}",
                self.path.display()
            ))
        })?;
        inner.1.insert(entry.clone());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn started(provider: &str, email: &str) -> JournalEntry {
        JournalEntry::new("onboard", provider, email, JournalPhase::Started)
    }

    #[tokio::test]
    async fn file_journal_survives_reopen_and_torn_lines() {
        let dir = std::env::temp_dir().join(format!("invite-journal-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("j.jsonl");
        let _ = std::fs::remove_file(&path);
        {
            let j = FileJournal::open(&path).unwrap();
            j.record(&started("awork", "A@x.com")).await.unwrap();
            j.record(&JournalEntry::new(
                "onboard",
                "awork",
                "a@x.com",
                JournalPhase::Finished {
                    outcome: "invited".into(),
                    done: true,
                    user_id: Some("u1".into()),
                },
            ))
            .await
            .unwrap();
        }
        // A crash mid-write leaves a torn line.
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"{\"job\":\"onb")
            .unwrap();
        let j = FileJournal::open(&path).unwrap();
        j.record(&started("scim", "b@x.com")).await.unwrap();
        drop(j);
        let j = FileJournal::open(&path).unwrap();
        assert!(
            j.latest("onboard", "scim", "b@x.com")
                .await
                .unwrap()
                .is_some()
        );
        let e = j
            .latest("onboard", "awork", "a@X.com")
            .await
            .unwrap()
            .unwrap();
        assert!(matches!(e.phase, JournalPhase::Finished { done: true, .. }));
        assert!(
            j.latest("onboard", "flatfile", "a@x.com")
                .await
                .unwrap()
                .is_none()
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
