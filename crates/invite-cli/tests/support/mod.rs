//! What the binary's test files share: the built `invite` run as a child process against an
//! in-process sandbox. The child's environment is cleared first (only PATH and HOME are kept)
//! and filled with the sandbox's settings, so a developer's real variables never leak in.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use invite_sandbox::{Fault, FaultRule, Sandbox, SandboxConfig, Surface};
use serde_json::Value;

/// Every sandbox surface and the provider name the CLI gives it.
pub const SURFACES: [(Surface, &str); 5] = [
    (Surface::WebflowData, "webflow-site"),
    (Surface::WebflowWorkspace, "webflow-workspace"),
    (Surface::WebflowScim, "webflow-scim"),
    (Surface::Flatfile, "flatfile"),
    (Surface::Awork, "awork"),
];

/// A refusal no retry fixes (HTTP 403).
pub const FORBIDDEN: Fault = Fault::ServerError {
    status: 403,
    html: false,
};

/// A finished `invite` process.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Stdout as the one JSON document it must be.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not one JSON document ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    /// Asserts exit 0, then stdout as JSON.
    pub fn ok_json(&self) -> Value {
        assert_eq!(self.code, 0, "{}\n{}", self.stdout, self.stderr);
        self.json()
    }
}

/// A sandbox, the variables a child gets, and a scratch directory it runs in (removed on
/// drop).
pub struct Env {
    pub sandbox: Sandbox,
    pub vars: Vec<(String, String)>,
    pub dir: PathBuf,
}

impl Env {
    /// A sandbox started with `config`; the child gets its settings plus `extra`, and runs in
    /// a fresh directory named after `test` and `name`.
    pub async fn start(
        test: &str,
        name: &str,
        config: SandboxConfig,
        extra: &[(&str, &str)],
    ) -> Env {
        let sandbox = Sandbox::start_with(config).await.unwrap();
        let mut vars: Vec<(String, String)> = sandbox
            .settings()
            .env_pairs()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        vars.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let dir = std::env::temp_dir().join(format!(
            "invite-cli-{test}-{name}-{}-{}",
            std::process::id(),
            sandbox.addr().port()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Env { sandbox, vars, dir }
    }

    pub fn set(&mut self, key: &str, value: &str) {
        self.vars.retain(|(k, _)| k != key);
        self.vars.push((key.to_owned(), value.to_owned()));
    }

    pub fn unset(&mut self, key: &str) {
        self.vars.retain(|(k, _)| k != key);
    }

    /// Every secret the sandbox handed out.
    pub fn secrets(&self) -> Vec<String> {
        self.sandbox
            .settings()
            .env_pairs()
            .into_iter()
            .filter(|(k, _)| k.contains("TOKEN") || k.contains("KEY"))
            .map(|(_, v)| v)
            .collect()
    }

    /// `invite args` with the sandbox's variables, in the directory, not started yet.
    pub fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut cmd = clean_command(args);
        cmd.envs(self.vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .current_dir(&self.dir);
        cmd
    }

    /// Waits up to `within` for `child`, and checks it printed no secret.
    pub async fn finish(&self, child: tokio::process::Child, within: Duration) -> Run {
        let out = tokio::time::timeout(within, child.wait_with_output())
            .await
            .unwrap_or_else(|_| panic!("the invite binary finished within {within:?}"))
            .unwrap();
        let run = Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        self.assert_no_secret(&run.stdout, &run.stderr);
        run
    }

    /// Runs `invite args` to the end (at most 2 minutes).
    pub async fn invite(&self, args: &[&str]) -> Run {
        let child = self.command(args).spawn().unwrap();
        self.finish(child, Duration::from_secs(120)).await
    }

    /// `invite onboard EMAIL --name NAME REST…` to the end.
    pub async fn onboard(&self, email: &str, name: &str, rest: &[&str]) -> Run {
        let head = ["onboard", email, "--name", name];
        self.invite(&[&head[..], rest].concat()).await
    }

    pub fn assert_no_secret(&self, stdout: &str, stderr: &str) {
        for s in self.secrets() {
            assert!(
                !stdout.contains(&s) && !stderr.contains(&s),
                "a token was printed:\nstdout:\n{stdout}\nstderr:\n{stderr}"
            );
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Writes a bulk CSV `file` in the directory ([`write_csv`]); returns its path.
    pub fn csv(&self, file: &str, emails: &[String], extra: &str) -> String {
        let path = self.path(file);
        write_csv(&path, emails, extra);
        path.display().to_string()
    }

    pub fn count(&self, surface: Surface, email: &str) -> u64 {
        self.sandbox.invitation_count(surface, email)
    }

    /// How many of `emails` have been invited on at least one surface.
    pub fn invited_anywhere(&self, emails: &[String]) -> usize {
        emails
            .iter()
            .filter(|e| SURFACES.iter().any(|(s, _)| self.count(*s, e) > 0))
            .count()
    }

    /// Waits (polling every `poll`, failing after `within`) until at least `n` of `emails`
    /// have been invited somewhere; returns how many have.
    pub async fn wait_for_invitations(
        &self,
        emails: &[String],
        n: usize,
        within: Duration,
        poll: Duration,
    ) -> usize {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let invited = self.invited_anywhere(emails);
            if invited >= n {
                return invited;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no invitation within {within:?}"
            );
            tokio::time::sleep(poll).await;
        }
    }

    /// Answers awork's invitation request with `fault` once, after `skip` good answers.
    pub fn awork_invite_fault(&self, skip: u64, fault: Fault) {
        self.sandbox.add_fault(FaultRule {
            surface: Some(Surface::Awork),
            method: Some("POST".into()),
            path: Some("/api/v1/invitations".into()),
            skip,
            times: Some(1),
            fault,
        });
    }

    /// Delays every write (POST) the sandbox receives by `ms`.
    pub fn delay_writes(&self, ms: u64) {
        self.sandbox.add_fault(FaultRule {
            surface: None,
            method: Some("POST".into()),
            path: None,
            skip: 0,
            times: None,
            fault: Fault::Delay { ms },
        });
    }

    /// Kills `child` (SIGKILL) mid-run, checks it failed without printing a secret, lets the
    /// writes in flight land (they wait `delay_ms` each), then lifts the delay; returns the
    /// invitations sent in all, which must be fewer than every one of `emails` everywhere.
    pub async fn kill_mid_run(
        &self,
        mut child: tokio::process::Child,
        delay_ms: u64,
        emails: &[String],
    ) -> u64 {
        child.start_kill().unwrap();
        let out = child.wait_with_output().await.unwrap();
        assert!(!out.status.success());
        self.assert_no_secret(
            &String::from_utf8_lossy(&out.stdout),
            &String::from_utf8_lossy(&out.stderr),
        );
        // Requests in flight when the process died still land (after their delay): let them.
        tokio::time::sleep(Duration::from_millis(delay_ms * 3)).await;
        self.sandbox.clear_faults();
        let partial: u64 = self
            .sandbox
            .invitations()
            .values()
            .map(|m| m.values().sum::<u64>())
            .sum();
        assert!(
            partial < (emails.len() * SURFACES.len()) as u64,
            "some invitations were still to be sent"
        );
        partial
    }

    /// Asserts every one of `emails` was invited exactly once on every surface.
    pub fn assert_each_invited_once(&self, emails: &[String], why: &str) {
        for email in emails {
            for (surface, name) in SURFACES {
                assert_eq!(self.count(surface, email), 1, "{email} on {name}: {why}");
            }
        }
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `invite args` with only PATH and HOME from this environment, not started yet: stdin
/// empty, stdout and stderr captured.
pub fn clean_command(args: &[&str]) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_invite"));
    cmd.args(args).env_clear();
    for keep in ["PATH", "HOME"] {
        if let Ok(v) = std::env::var(keep) {
            cmd.env(keep, v);
        }
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

/// The `KEY=VALUE` settings a running `invite sandbox` prints, in order, up to its last
/// line (the admin URL), each within 30 s.
pub async fn sandbox_settings(child: &mut tokio::process::Child) -> Vec<(String, String)> {
    use tokio::io::AsyncBufReadExt;
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let mut settings: Vec<(String, String)> = Vec::new();
    while settings
        .last()
        .is_none_or(|(k, _)| k != "INVITE_SANDBOX_ADMIN_URL")
    {
        let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("settings within 30 s")
            .unwrap()
            .expect("a settings line");
        let (k, v) = line.split_once('=').expect("KEY=VALUE");
        settings.push((k.to_owned(), v.to_owned()));
    }
    settings
}

/// The string fields `keys` of every item of the JSON array `list`, in its order.
pub fn fields<const N: usize>(list: &Value, keys: [&str; N]) -> Vec<[String; N]> {
    let items = list
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {list}"));
    items
        .iter()
        .map(|item| {
            keys.map(|k| match item[k].as_str() {
                Some(v) => v.to_owned(),
                None => panic!("no string `{k}` in {item}"),
            })
        })
        .collect()
}

/// `n` addresses `{prefix}{i}@example.com`.
pub fn people(n: usize, prefix: &str) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i}@example.com")).collect()
}

/// A bulk CSV of `emails` (given and family names), then the raw lines `extra`.
pub fn write_csv(path: &Path, emails: &[String], extra: &str) {
    let mut text = String::from("email,given_name,family_name\n");
    for (i, e) in emails.iter().enumerate() {
        text.push_str(&format!("{e},Person,Number{i}\n"));
    }
    text.push_str(extra);
    std::fs::write(path, text).unwrap();
}
