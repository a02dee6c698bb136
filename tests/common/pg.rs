//! The PostgreSQL test harness: a real server for the tests of one test binary, never a mock.
//!
//! [`server`] starts a throwaway cluster the first time a test asks for one (once per test
//! binary): `initdb` and `pg_ctl` from `pg_config --bindir` (else from `PATH`), a data directory
//! and a Unix socket in a fresh temporary directory, no TCP listener, `fsync=off`. As root the
//! binaries run as the `postgres` user through `runuser` (initdb refuses root), and the temporary
//! directory is handed to that user.
//!
//! Cleanup is done by a watchdog: a small shell process, started with the cluster, that blocks
//! reading a pipe whose only writer is the test binary. When the binary exits in any way (all
//! tests passed, a panic, `std::process::exit`, SIGKILL) the kernel closes the pipe, the read
//! returns, and the watchdog runs `pg_ctl stop -m immediate` and removes the directory. An
//! `atexit` hook would miss SIGKILL and aborts, and statics are never dropped, so the watchdog is
//! the one place cleanup happens. It runs in its own process group, so a Ctrl-C aimed at
//! `cargo test` does not kill it before it has cleaned up.
//!
//! `KIT_TEST_PG_URL=postgresql://user:pass@host:port/db` points the tests at an existing server
//! instead; each test still gets a database of its own there, dropped when the test ends.
//! Without server binaries and without that variable the tests fail, saying how to install
//! PostgreSQL: they never skip silently.
//!
//! Include it from a test file with `#[path = "common/pg.rs"] mod pg;`.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The role the harness cluster makes log in with a password (`scram-sha-256` in
/// `pg_hba.conf`); every other local role is trusted.
pub const PASSWORD_ROLE: &str = "kit_password";

/// How to get a server when there is none.
const INSTALL: &str = "PostgreSQL server binaries (initdb, pg_ctl) were not found through \
`pg_config --bindir` or on PATH, and KIT_TEST_PG_URL is not set. Install PostgreSQL \
(Debian/Ubuntu: `apt-get install postgresql`; macOS: `brew install postgresql@15`), or set \
KIT_TEST_PG_URL=postgresql://user:password@host:5432/postgres to use an existing server \
(the tests create and drop one database per test there).";

/// A running server the tests can use.
pub struct Server {
    /// URL of the maintenance database (`postgres`), for creating per-test databases.
    pub admin_url: String,
    /// True when the harness started the cluster (false: `KIT_TEST_PG_URL`).
    pub owned: bool,
    /// The cluster's directory (socket, data, log) when owned.
    pub dir: Option<PathBuf>,
    /// How long starting the cluster took.
    pub startup: Duration,
    /// Holds the watchdog's pipe open for as long as the test binary lives.
    _watchdog: Option<Mutex<(Child, ChildStdin)>>,
}

/// A database of its own for one test, dropped when the guard goes.
pub struct TestDb {
    /// The database's connection URL (Unix-socket form for the harness cluster).
    pub url: String,
    /// The database's name.
    pub name: String,
}

impl TestDb {
    /// A new connection to this database.
    pub fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.url, postgres::NoTls).unwrap_or_else(|e| {
            panic!(
                "cannot connect to test database {}: {}",
                self.name,
                show(&e)
            )
        })
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Ok(mut admin) = postgres::Client::connect(&server().admin_url, postgres::NoTls) else {
            return;
        };
        let _ = admin.batch_execute(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            quote(&self.name)
        ));
    }
}

/// The server for this test binary, started on first use.
pub fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| match std::env::var("KIT_TEST_PG_URL") {
        Ok(url) if !url.trim().is_empty() => external(url.trim()),
        _ => start_cluster().unwrap_or_else(|e| panic!("{e}")),
    })
}

/// A fresh, uniquely named, empty database on the test server.
pub fn database() -> TestDb {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let s = server();
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let name = format!("kit_test_{}_{n}", std::process::id());
    let mut admin = postgres::Client::connect(&s.admin_url, postgres::NoTls)
        .unwrap_or_else(|e| panic!("cannot connect to the test server: {}", show(&e)));
    for sql in [
        format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", quote(&name)),
        format!("CREATE DATABASE {} TEMPLATE template0", quote(&name)),
    ] {
        admin
            .batch_execute(&sql)
            .unwrap_or_else(|e| panic!("cannot create test database {name}: {}", show(&e)));
    }
    TestDb {
        url: with_dbname(&s.admin_url, &name),
        name,
    }
}

/// `url` with its database name replaced by `db`.
pub fn with_dbname(url: &str, db: &str) -> String {
    let (main, query) = match url.split_once('?') {
        Some((m, q)) => (m, Some(q)),
        None => (url, None),
    };
    let scheme_end = main.find("://").map_or(0, |p| p + 3);
    let authority_end = main[scheme_end..]
        .find('/')
        .map_or(main.len(), |p| scheme_end + p);
    let mut out = format!("{}/{db}", &main[..authority_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// A postgres error with PostgreSQL's own message (its `Display` says only "db error").
pub fn show(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{}: {} ({})", db.severity(), db.message(), db.code().code()),
        None => e.to_string(),
    }
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn external(url: &str) -> Server {
    assert!(
        url.starts_with("postgres://") || url.starts_with("postgresql://"),
        "KIT_TEST_PG_URL must be a postgresql:// URL, e.g. postgresql://postgres:secret@localhost:5432/postgres"
    );
    if let Err(e) = postgres::Client::connect(url, postgres::NoTls) {
        panic!(
            "KIT_TEST_PG_URL names a server kit's tests cannot use: {}",
            show(&e)
        );
    }
    Server {
        admin_url: url.to_string(),
        owned: false,
        dir: None,
        startup: Duration::ZERO,
        _watchdog: None,
    }
}

/// The directory holding `initdb` and `pg_ctl`: `KIT_TEST_PG_BINDIR` when set, else from
/// `pg_config --bindir`, `PATH`, or Debian's `/usr/lib/postgresql/<major>/bin`.
fn bindir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("KIT_TEST_PG_BINDIR") {
        let dir = PathBuf::from(dir);
        return (dir.join("initdb").is_file() && dir.join("pg_ctl").is_file()).then_some(dir);
    }
    let from_pg_config = Command::new("pg_config")
        .arg("--bindir")
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    let has_tools = |d: &Path| d.join("initdb").is_file() && d.join("pg_ctl").is_file();
    // Debian keeps the server binaries off PATH, under /usr/lib/postgresql/<major>/bin.
    let debian = || {
        let mut dirs: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let major = e.file_name().to_str()?.parse().ok()?;
                Some((major, e.path().join("bin")))
            })
            .filter(|(_, d)| has_tools(d))
            .collect();
        dirs.sort();
        dirs.pop().map(|(_, d)| d)
    };
    from_pg_config
        .filter(|d| has_tools(d))
        .or_else(|| std::env::split_paths(&std::env::var_os("PATH")?).find(|d| has_tools(d)))
        .or_else(debian)
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// A command for a server binary, run as `postgres` when we are root.
fn pg_command(bin: &Path, tool: &str) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin.join(tool));
        c
    } else {
        Command::new(bin.join(tool))
    }
}

fn run_checked(mut cmd: Command, what: &str, log: Option<&Path>) -> Result<(), String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {what}: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    let log_text = log
        .and_then(|p| std::fs::read_to_string(p).ok())
        .unwrap_or_default();
    Err(format!(
        "{what} failed ({}):\n{}{}\n{log_text}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    ))
}

/// A temporary directory the cluster's user can own (short path: socket paths are limited).
fn cluster_dir() -> Result<PathBuf, String> {
    let base = std::env::temp_dir();
    let base = if base.as_os_str().len() > 60 {
        PathBuf::from("/tmp")
    } else {
        base
    };
    let dir = tempfile::Builder::new()
        .prefix("kit-pg-")
        .tempdir_in(&base)
        .map_err(|e| {
            format!(
                "cannot create a temporary directory in {}: {e}",
                base.display()
            )
        })?
        .keep();
    if is_root() {
        let status = Command::new("chown")
            .arg("postgres:")
            .arg(&dir)
            .status()
            .map_err(|e| format!("cannot run chown: {e}"))?;
        if !status.success() {
            return Err(format!(
                "cannot hand {} to the postgres user (is there one? as root, initdb must run as \
                 another user: `useradd postgres`, or install the postgresql package)",
                dir.display()
            ));
        }
    }
    Ok(dir)
}

fn start_cluster() -> Result<Server, String> {
    let t0 = Instant::now();
    let bin = bindir().ok_or_else(|| INSTALL.to_string())?;
    let dir = cluster_dir()?;
    let data = dir.join("data");
    let log = dir.join("server.log");
    // The watchdog first, so even a failed start is cleaned up.
    let watchdog = spawn_watchdog(&bin, &dir)?;
    let mut initdb = pg_command(&bin, "initdb");
    initdb
        .args([
            "-N",
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C",
            "-D",
        ])
        .arg(&data);
    run_checked(initdb, "initdb", None)?;
    allow_password_role(&data)?;
    let mut start = pg_command(&bin, "pg_ctl");
    start
        .args(["-w", "-t", "60", "-D"])
        .arg(&data)
        .arg("-l")
        .arg(&log)
        .arg("-o")
        .arg(format!(
            "-k {} -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
            dir.display()
        ))
        .arg("start");
    run_checked(start, "pg_ctl start", Some(&log))?;
    let admin_url = format!(
        "postgresql:///postgres?host={}&port=5432&user=postgres",
        dir.display()
    );
    let startup = t0.elapsed();
    if std::env::var_os("KIT_TEST_PG_VERBOSE").is_some() {
        eprintln!(
            "test PostgreSQL cluster started in {startup:?} at {}",
            dir.display()
        );
    }
    Ok(Server {
        admin_url,
        owned: true,
        dir: Some(dir),
        startup,
        _watchdog: Some(Mutex::new(watchdog)),
    })
}

/// Puts a `scram-sha-256` line for [`PASSWORD_ROLE`] before the trust lines of `pg_hba.conf`,
/// so tests can exercise a refused password on the harness cluster.
fn allow_password_role(data: &Path) -> Result<(), String> {
    let hba = data.join("pg_hba.conf");
    let old = std::fs::read_to_string(&hba).map_err(|e| format!("cannot read pg_hba.conf: {e}"))?;
    let new = format!("local all {PASSWORD_ROLE} scram-sha-256\n{old}");
    std::fs::write(&hba, new).map_err(|e| format!("cannot write pg_hba.conf: {e}"))
}

/// Starts the process that stops the cluster and removes `dir` once this process is gone.
fn spawn_watchdog(bin: &Path, dir: &Path) -> Result<(Child, ChildStdin), String> {
    use std::os::unix::process::CommandExt;
    let runas = if is_root() {
        "runuser -u postgres -- "
    } else {
        ""
    };
    let script = format!(
        "trap '' INT HUP TERM; read _ignored; \
         {runas}{pg_ctl} -D {data} stop -m immediate >/dev/null 2>&1; \
         rm -rf {dir}",
        pg_ctl = sh_quote(&bin.join("pg_ctl").display().to_string()),
        data = sh_quote(&dir.join("data").display().to_string()),
        dir = sh_quote(&dir.display().to_string()),
    );
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .map_err(|e| format!("cannot start the cleanup watchdog: {e}"))?;
    let stdin = child
        .stdin
        .take()
        .ok_or_else(|| "the watchdog has no stdin".to_string())?;
    Ok((child, stdin))
}

fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// Stops the harness cluster now (for the harness's own test); later tests would fail.
pub fn stop_now() {
    if let Some(w) = &server()._watchdog {
        let mut guard = w.lock().unwrap_or_else(|e| e.into_inner());
        let _ = guard.1.write_all(b"\n");
        let _ = guard.1.flush();
        let _ = guard.0.wait();
    }
}

/// `url` logging in as `user` (with `password`, if any) instead of its own user.
pub fn with_user(url: &str, user: &str, password: Option<&str>) -> String {
    let (main, query) = url.split_once('?').unwrap_or((url, ""));
    let params: Vec<&str> = query
        .split('&')
        .filter(|kv| !kv.is_empty() && !kv.starts_with("user=") && !kv.starts_with("password="))
        .collect();
    let scheme_end = main.find("://").map_or(0, |p| p + 3);
    let rest = &main[scheme_end..];
    let host_part = match rest
        .find('/')
        .map(|s| &rest[..s])
        .unwrap_or(rest)
        .rfind('@')
    {
        Some(at) => &rest[at + 1..],
        None => rest,
    };
    let userinfo = match password {
        Some(p) => format!("{user}:{p}@"),
        None => format!("{user}@"),
    };
    let mut out = format!("{}{userinfo}{host_part}", &main[..scheme_end]);
    if !params.is_empty() {
        out.push('?');
        out.push_str(&params.join("&"));
    }
    out
}
