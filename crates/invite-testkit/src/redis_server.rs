//! A throwaway Redis for tests and benches that need a real one.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A Redis for one test: `scripts/redis-server.sh` (installs Redis if missing, starts a
/// throwaway instance on a free loopback port), or `INVITE_TEST_REDIS_URL` when set and
/// asked for with [`TestRedis::shared_or_own`]. Dropping it (or [`TestRedis::stop`]) stops a
/// server it started.
#[derive(Debug)]
pub struct TestRedis {
    /// `redis://127.0.0.1:PORT`.
    pub url: String,
    child: Option<(Child, ChildStdin)>,
}

impl TestRedis {
    /// `INVITE_TEST_REDIS_URL` if set, else a fresh server.
    pub fn shared_or_own() -> Self {
        match std::env::var("INVITE_TEST_REDIS_URL") {
            Ok(url) if !url.trim().is_empty() => Self {
                url: url.trim().to_owned(),
                child: None,
            },
            _ => Self::own(),
        }
    }

    /// Always a fresh server of our own (for tests that stop it or change its config).
    /// Panics, failing the test, with the script's last output when it cannot be started.
    pub fn own() -> Self {
        static STARTED: AtomicU64 = AtomicU64::new(0);
        let script =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/redis-server.sh");
        let log = std::env::temp_dir().join(format!(
            "invite-test-redis-{}-{}.log",
            std::process::id(),
            STARTED.fetch_add(1, Ordering::Relaxed)
        ));
        let mut child = Command::new("bash")
            .arg(&script)
            .arg("auto")
            .arg("--exit-on-stdin-eof")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(
                std::fs::File::create(&log)
                    .map(Stdio::from)
                    .unwrap_or_else(|_| Stdio::null()),
            )
            .spawn()
            .unwrap_or_else(|e| panic!("could not run {}: {e}", script.display()));
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the URL from redis-server.sh");
        let url = line.trim().to_owned();
        if !url.starts_with("redis://") {
            let status = child.wait().ok();
            let output = std::fs::read_to_string(&log).unwrap_or_default();
            let _ = std::fs::remove_file(&log);
            let tail: Vec<&str> = output.lines().rev().take(20).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            panic!(
                "scripts/redis-server.sh could not start Redis (printed {url:?}, exit {status:?}):\n{}",
                tail.join("\n")
            );
        }
        let _ = std::fs::remove_file(&log);
        Self {
            url,
            child: Some((child, stdin)),
        }
    }

    /// The port of the server.
    pub fn port(&self) -> u16 {
        self.url
            .rsplit(':')
            .next()
            .and_then(|p| p.trim_end_matches('/').parse().ok())
            .expect("port in URL")
    }

    /// Stops a server we started and waits (up to 10 s, then kills it) until it is gone.
    pub fn stop(&mut self) {
        if let Some((mut child, stdin)) = self.child.take() {
            // End of stdin makes the script stop the server, then exit.
            drop(stdin);
            for _ in 0..400 {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(25));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        self.stop();
    }
}
