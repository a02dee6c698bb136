//! Helpers shared by the integration tests: a scratch database, running the `kit` binary, and
//! reading a database back through SQLite.
#![allow(dead_code)]

use assert_cmd::Command;
use rusqlite::types::Value;
use rusqlite::Connection;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A scratch project: a temporary directory that kit runs in, its files written by the test.
pub struct Project {
    pub dir: tempfile::TempDir,
    /// Environment variables kit runs with.
    pub env: Vec<(String, String)>,
}

impl Project {
    /// An empty project directory.
    pub fn new() -> Project {
        Project {
            dir: tempfile::tempdir().unwrap(),
            env: vec![],
        }
    }

    /// The path of `rel` in the project.
    pub fn p(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Whether `rel` exists in the project.
    pub fn exists(&self, rel: &str) -> bool {
        self.p(rel).exists()
    }

    /// Writes `text` to `rel`, making its directory.
    pub fn write(&self, rel: &str, text: &str) {
        let p = self.p(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    /// The text of `rel`.
    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.p(rel)).unwrap_or_else(|e| panic!("reading {rel}: {e}"))
    }

    /// The bytes of `rel`.
    pub fn bytes(&self, rel: &str) -> Vec<u8> {
        std::fs::read(self.p(rel)).unwrap_or_else(|e| panic!("reading {rel}: {e}"))
    }

    /// The names of the files in `migrations/`, sorted (none when it does not exist).
    pub fn migration_files(&self) -> Vec<String> {
        let Ok(rd) = std::fs::read_dir(self.p("migrations")) else {
            return vec![];
        };
        let mut v: Vec<String> = rd
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    /// The kit command with `args`, run in the project directory with [`Project::env`].
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = kit();
        c.current_dir(self.dir.path()).args(args);
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c
    }

    /// Runs kit in the project directory.
    pub fn kit(&self, args: &[&str]) -> Out {
        run(&mut self.command(args))
    }

    /// Starts kit with `args` in the project directory, its stderr written to `watch.log`.
    pub fn spawn(&self, args: &[&str]) -> Watcher {
        let log = self.p("watch.log");
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_kit"))
            .current_dir(self.dir.path())
            .args(args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        Watcher { child, log }
    }

    /// Runs kit, which must succeed.
    pub fn ok(&self, args: &[&str]) -> Out {
        let out = self.kit(args);
        assert_eq!(out.code, 0, "kit {args:?} should succeed:\n{}", out.show());
        out
    }

    /// Runs kit, which must exit 1 with a `kit: error:` message and no panic.
    pub fn fail(&self, args: &[&str]) -> Out {
        let out = self.kit(args);
        assert_eq!(out.code, 1, "kit {args:?} should exit 1:\n{}", out.show());
        assert!(
            out.stderr.contains("kit: error:"),
            "errors start with `kit: error:`:\n{}",
            out.show()
        );
        assert!(!out.stderr.contains("panicked"), "{}", out.show());
        out
    }
}

/// A running `kit` (a `--watch`) whose stderr goes to a file; killed when dropped, so a
/// failing assertion does not leave it running.
pub struct Watcher {
    pub child: std::process::Child,
    /// The file its stderr is written to.
    pub log: PathBuf,
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Watcher {
    /// What kit has written to stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Asserts that kit is still running.
    pub fn assert_running(&mut self) {
        let st = self.child.try_wait().unwrap();
        assert!(st.is_none(), "--watch exited ({st:?}):\n{}", self.log());
    }

    /// Polls `f` every 50 ms for up to `within`, kit running all the while.
    pub fn wait_for(&mut self, what: &str, within: Duration, mut f: impl FnMut() -> bool) {
        let start = std::time::Instant::now();
        while start.elapsed() < within {
            if f() {
                return;
            }
            self.assert_running();
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "timed out waiting for {what}; kit's stderr:\n{}",
            self.log()
        );
    }
}

/// A database file in its own temporary directory.
pub struct Db {
    pub dir: tempfile::TempDir,
    pub path: PathBuf,
}

impl Db {
    /// Creates `app.db` and runs `setup` on it.
    pub fn new(setup: &str) -> Db {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(setup).unwrap();
        drop(conn);
        Db { dir, path }
    }

    /// A path next to the database.
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A connection with foreign keys ON.
    pub fn conn(&self) -> Connection {
        let c = Connection::open(&self.path).unwrap();
        c.execute_batch("PRAGMA foreign_keys = ON").unwrap();
        c
    }

    pub fn bytes(&self) -> Vec<u8> {
        std::fs::read(&self.path).unwrap()
    }

    /// `kit rebuild --db app.db --sql <sql>`.
    pub fn kit(&self, sql: &str) -> Out {
        run(kit()
            .arg("rebuild")
            .arg("--db")
            .arg(&self.path)
            .arg("--sql")
            .arg(sql))
    }

    /// `kit rebuild --db app.db --sql <sql> --dry-run`.
    pub fn dry_run(&self, sql: &str) -> Out {
        run(kit()
            .arg("rebuild")
            .arg("--db")
            .arg(&self.path)
            .arg("--sql")
            .arg(sql)
            .arg("--dry-run"))
    }

    /// `kit rebuild --db app.db --file <file>` with `sql` written to `change.sql`.
    pub fn kit_file(&self, sql: &str, extra: &[&str]) -> Out {
        let f = self.file("change.sql");
        std::fs::write(&f, sql).unwrap();
        run(kit()
            .arg("rebuild")
            .arg("--db")
            .arg(&self.path)
            .arg("--file")
            .arg(&f)
            .args(extra))
    }

    /// Runs `sql` and asserts success.
    pub fn ok(&self, sql: &str) -> Out {
        let out = self.kit(sql);
        out.assert_ok();
        out
    }

    /// Asserts that `kit rebuild --sql <sql>` exits 1 naming `needles` and leaves the file as
    /// it was.
    pub fn assert_refused(&self, sql: &str, needles: &[&str]) -> Out {
        let before = self.bytes();
        let out = self.kit(sql);
        out.assert_code(1);
        out.assert_stderr_has(needles);
        self.assert_untouched(&before);
        out
    }

    /// [`Db::assert_refused`] for `sql` run from a file (`kit rebuild --file`).
    pub fn assert_file_refused(&self, sql: &str, needles: &[&str]) -> Out {
        let before = self.bytes();
        let out = self.kit_file(sql, &[]);
        out.assert_code(1);
        out.assert_stderr_has(needles);
        self.assert_untouched(&before);
        out
    }

    /// The SQL text of a schema object.
    pub fn sql_of(&self, name: &str) -> Option<String> {
        let c = self.conn();
        c.query_row(
            "SELECT sql FROM sqlite_schema WHERE name = ?1",
            [name],
            |r| r.get(0),
        )
        .ok()
    }

    /// Every object of the schema: (type, name, tbl_name, sql), sorted.
    pub fn schema(&self) -> Vec<(String, String, String, Option<String>)> {
        schema(&self.conn())
    }

    pub fn query(&self, sql: &str) -> Vec<Vec<Value>> {
        query(&self.conn(), sql)
    }

    /// Asserts that the file is byte-identical to `before` and that no journal or WAL file is
    /// left next to it.
    pub fn assert_untouched(&self, before: &[u8]) {
        let now = self.bytes();
        assert!(
            now == before,
            "database file changed ({} -> {} bytes)",
            before.len(),
            now.len()
        );
        self.assert_no_sidecars();
    }

    pub fn assert_no_sidecars(&self) {
        for ext in ["-journal", "-wal", "-shm"] {
            let mut p = self.path.clone().into_os_string();
            p.push(ext);
            assert!(
                !Path::new(&p).exists(),
                "{} left behind",
                Path::new(&p).display()
            );
        }
    }

    /// `integrity_check` is ok and `foreign_key_check` is empty.
    pub fn assert_healthy(&self) {
        let c = self.conn();
        let ic: Vec<String> = c
            .prepare("PRAGMA integrity_check")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(ic, ["ok"], "integrity_check");
        let fk = query(&c, "PRAGMA foreign_key_check");
        assert!(fk.is_empty(), "foreign_key_check: {fk:?}");
    }

    /// Schema plus every row of every table.
    pub fn snapshot(&self) -> Snapshot {
        snapshot(&self.conn())
    }

    /// (name, type, notnull, dflt_value, pk, hidden) of each column, from `table_xinfo`.
    pub fn columns(&self, table: &str) -> Vec<(String, String, bool, Option<String>, i64, i64)> {
        let c = self.conn();
        let mut st = c
            .prepare(&format!("PRAGMA table_xinfo({})", quote(table)))
            .unwrap();
        st.query_map([], |r| {
            Ok((
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
    }
}

pub fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

pub fn kit() -> Command {
    let mut c = Command::cargo_bin("kit").unwrap();
    c.timeout(Duration::from_secs(120));
    c
}

/// What a run of kit produced.
#[derive(Debug)]
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(cmd: &mut Command) -> Out {
    let o = cmd.output().expect("running kit (timed out?)");
    let out = Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    };
    out.assert_no_panic();
    out
}

impl Out {
    pub fn show(&self) -> String {
        format!(
            "exit code {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.code, self.stdout, self.stderr
        )
    }

    pub fn assert_no_panic(&self) {
        assert!(
            !self.stderr.contains("panicked") && !self.stderr.contains("RUST_BACKTRACE"),
            "kit panicked:\n{}",
            self.show()
        );
    }

    pub fn assert_ok(&self) {
        assert_eq!(self.code, 0, "expected success:\n{}", self.show());
    }

    pub fn assert_code(&self, code: i32) {
        assert_eq!(
            self.code,
            code,
            "expected exit code {code}:\n{}",
            self.show()
        );
    }

    /// Asserts that stderr contains each string (case-insensitive).
    pub fn assert_stderr_has(&self, needles: &[&str]) {
        let low = self.stderr.to_lowercase();
        for n in needles {
            assert!(
                low.contains(&n.to_lowercase()),
                "stderr should mention {n:?}:\n{}",
                self.show()
            );
        }
    }

    /// The alphanumeric words of stderr.
    pub fn stderr_words(&self) -> BTreeSet<String> {
        words(&self.stderr)
    }
}

pub fn words(s: &str) -> BTreeSet<String> {
    s.split(|c: char| !c.is_alphanumeric() && c != '_')
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// True when `s` mentions a duration such as `1.2ms`, `340µs`, `0.5s`.
pub fn has_duration(s: &str) -> bool {
    let b: Vec<char> = s.chars().collect();
    for i in 0..b.len() {
        if b[i].is_ascii_digit() {
            let mut j = i;
            while j < b.len() && (b[j].is_ascii_digit() || b[j] == '.') {
                j += 1;
            }
            while j < b.len() && b[j] == ' ' {
                j += 1;
            }
            let rest: String = b[j..].iter().take(3).collect();
            if ["ns", "µs", "us", "ms", "s", "sec"]
                .iter()
                .any(|u| rest.starts_with(u))
            {
                return true;
            }
        }
    }
    false
}

/// The paths a `--dry-run` announces: (table, "rebuild" | "native" | "edit") for each comment
/// line that names a table and a path.
pub fn paths(dry_run: &str) -> Vec<(String, &'static str)> {
    let mut out = Vec::new();
    for line in dry_run.lines() {
        let l = line.trim_start();
        if !l.starts_with("--") || l.trim_start_matches('-').trim_start().starts_with("check") {
            continue;
        }
        let Some(start) = l.find('"') else { continue };
        let Some(len) = l[start + 1..].find('"') else {
            continue;
        };
        let table = l[start + 1..start + 1 + len].to_string();
        let low = l.to_lowercase();
        let path = if low.contains("rebuild") {
            "rebuild"
        } else if low.contains("native") {
            "native"
        } else if low.contains("edit") {
            "edit"
        } else {
            continue;
        };
        out.push((table, path));
    }
    out
}

pub fn query(c: &Connection, sql: &str) -> Vec<Vec<Value>> {
    let mut st = c.prepare(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    let n = st.column_count();
    st.query_map([], |r| (0..n).map(|i| r.get::<_, Value>(i)).collect())
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

pub fn schema(c: &Connection) -> Vec<(String, String, String, Option<String>)> {
    let mut st = c
        .prepare("SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY type, name")
        .unwrap();
    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Schema and all rows (with rowids where the table has them).
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub schema: Vec<(String, String, String, Option<String>)>,
    pub rows: Vec<(String, Vec<Vec<Value>>)>,
}

pub fn snapshot(c: &Connection) -> Snapshot {
    let tables = query(
        c,
        "SELECT name, wr FROM pragma_table_list WHERE schema = 'main' AND type = 'table' ORDER BY name",
    );
    let mut rows = Vec::new();
    for t in tables {
        let Value::Text(name) = &t[0] else {
            unreachable!()
        };
        let wr = t[1] == Value::Integer(1);
        let sql = if name == "sqlite_sequence" {
            "SELECT name, seq FROM sqlite_sequence ORDER BY name".to_string()
        } else if name.starts_with("sqlite_") {
            continue;
        } else if wr {
            format!("SELECT * FROM {}", quote(name))
        } else {
            format!("SELECT _rowid_, * FROM {} ORDER BY _rowid_", quote(name))
        };
        rows.push((name.clone(), query(c, &sql)));
    }
    Snapshot {
        schema: schema(c),
        rows,
    }
}

pub fn int(i: i64) -> Value {
    Value::Integer(i)
}

pub fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

pub fn null() -> Value {
    Value::Null
}

pub fn real(f: f64) -> Value {
    Value::Real(f)
}
