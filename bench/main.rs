//! kit's benchmark harness (issue 4). Run with `cargo bench --bench rebuild`; see bench/README.md.
//!
//! It builds the reference workload (users + orders, N rows each, fixed seed) once per N in a
//! temporary directory, copies the file for every run, and times each variant as a child
//! process (wall time and peak RSS via wait4):
//!
//! - `kit`: the release binary, `kit rebuild --db run.db --sql <W> --quiet`;
//! - `baseline`: this harness re-executed as `--child <mode> run.db`, running hand-written SQL
//!   through the same bundled SQLite (rusqlite) as kit;
//! - `floor`: the same, with the checks left out;
//! - peers (optional): Alembic batch mode and sqlite-utils `transform`, through bench/peers.py.
//!
//! It also times planning on a generated 2,000-table schema, and `kit throwaway-reset` of a
//! generated 150-table project (schema, seed rows, migrations) as a whole process, on SQLite
//! and on PostgreSQL (a throwaway cluster started like the test harness's, or the server
//! KIT_BENCH_PG_URL names; without either the PostgreSQL rows are skipped with a note).
//!
//! Environment: KIT_BENCH_ONLY (sections to run, comma-separated: `rebuild`, `planning`,
//! `reset`; default all three), KIT_BENCH_N (e.g. `100k` or `100000,1M`; default `100k,1M,4M`),
//! KIT_BENCH_RUNS (default 5), KIT_BENCH_DIR (where the temporary directory goes),
//! KIT_BENCH_PEERS=0 (skip peers), KIT_BENCH_PYTHON (interpreter for peers),
//! KIT_BENCH_PLAN_TABLES (default 2000; 0 skips planning), KIT_BENCH_PHASES=0 (skip the
//! per-statement breakdown), KIT_BENCH_RESET_TABLES (default 150; 0 skips the reset),
//! KIT_BENCH_RESET_RUNS (default 15), KIT_BIN (kit binary), KIT_BENCH_BASELINE_PRAGMAS (SQL run
//! by the baseline and floor after opening: an experiment knob), KIT_BENCH_PG_URL (a PostgreSQL
//! server the reset section may create and drop `kit_bench_*` databases on).

use rusqlite::{params, Connection};
use std::fmt::Write as _;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The PostgreSQL test harness (a throwaway cluster), reused for the reset figures.
#[path = "../tests/common/pg.rs"]
mod pg;

// ---------------------------------------------------------------------------------------------
// The reference workload (issue 4). Keep it exactly, so figures compare across time.
// ---------------------------------------------------------------------------------------------

/// Seed of the row generator ("kit-benc").
const SEED: u64 = 0x6b69_742d_6265_6e63;

const USERS_DDL: &str = "CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL UNIQUE, name TEXT, age INTEGER CHECK (age >= 0), legacy TEXT, created_at TEXT DEFAULT CURRENT_TIMESTAMP)";
const USERS_NAME_IDX: &str = "CREATE INDEX users_name ON users (name)";
const USERS_AGE_IDX: &str = "CREATE INDEX users_age_over_60 ON users (age) WHERE age > 60";
const USERS_TRIGGER: &str = "CREATE TRIGGER users_email_touch AFTER UPDATE OF email ON users BEGIN UPDATE users SET created_at = CURRENT_TIMESTAMP WHERE id = NEW.id; END";
const USERS_VIEW: &str = "CREATE VIEW users_public AS SELECT id, email, name, age FROM users";
const ORDERS_DDL: &str = "CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE, amount_cents INTEGER NOT NULL)";
const ORDERS_IDX: &str = "CREATE INDEX orders_user_id ON orders (user_id)";

/// W1, a copy is required.
const W1: &str = "ALTER TABLE users DROP COLUMN legacy; ALTER TABLE users ALTER COLUMN age TYPE TEXT; ALTER TABLE users ALTER COLUMN name SET NOT NULL";
/// W2, no copy is needed.
const W2: &str =
    "ALTER TABLE users ALTER COLUMN name SET NOT NULL; ALTER TABLE users DROP COLUMN legacy";

const FIRST: [&str; 16] = [
    "Ada", "Alan", "Barbara", "Claude", "Dennis", "Edsger", "Frances", "Grace", "Hedy", "Ivan",
    "John", "Ken", "Linus", "Margaret", "Niklaus", "Radia",
];
const LAST: [&str; 16] = [
    "Allen",
    "Backus",
    "Codd",
    "Dijkstra",
    "Engelbart",
    "Floyd",
    "Gray",
    "Hamilton",
    "Hopper",
    "Knuth",
    "Lamport",
    "Liskov",
    "McCarthy",
    "Perlman",
    "Ritchie",
    "Wirth",
];

/// splitmix64: small, fast, and the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Builds the reference database with `n` users and `n` orders at `path`.
fn build_workload(path: &Path, n: u64) -> rusqlite::Result<()> {
    let _ = fs::remove_file(path);
    let mut conn = Connection::open(path)?;
    conn.execute_batch(
        "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -262144;",
    )?;
    let tx = conn.transaction()?;
    for ddl in [
        USERS_DDL,
        USERS_NAME_IDX,
        USERS_AGE_IDX,
        USERS_TRIGGER,
        USERS_VIEW,
        ORDERS_DDL,
        ORDERS_IDX,
    ] {
        tx.execute_batch(ddl)?;
    }
    let mut rng = Rng(SEED);
    {
        let mut ins =
            tx.prepare("INSERT INTO users (email, name, age, legacy) VALUES (?1, ?2, ?3, ?4)")?;
        const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
        let mut legacy = String::with_capacity(20);
        for i in 1..=n {
            let name = format!(
                "{} {}",
                FIRST[rng.below(16) as usize],
                LAST[rng.below(16) as usize]
            );
            let age = rng.below(90) as i64;
            legacy.clear();
            for _ in 0..20 {
                legacy.push(ALNUM[rng.below(ALNUM.len() as u64) as usize] as char);
            }
            ins.execute(params![format!("u{i}@example.com"), name, age, legacy])?;
        }
        let mut ins = tx.prepare("INSERT INTO orders (user_id, amount_cents) VALUES (?1, ?2)")?;
        for _ in 0..n {
            let user = 1 + rng.below(n) as i64;
            let amount = rng.below(100_000) as i64;
            ins.execute(params![user, amount])?;
        }
    }
    tx.commit()?;
    conn.execute_batch("PRAGMA journal_mode = DELETE;")?;
    Ok(())
}

/// Sums that must survive any of the changes unchanged.
fn fingerprint(conn: &Connection) -> rusqlite::Result<(i64, i64, i64, i64, i64)> {
    let (users, emails, ages, names): (i64, i64, i64, i64) = conn.query_row(
        "SELECT count(*), total(length(email)), total(age), total(length(name)) FROM users",
        [],
        |r| {
            Ok((
                r.get(0)?,
                r.get::<_, f64>(1)? as i64,
                r.get::<_, f64>(2)? as i64,
                r.get::<_, f64>(3)? as i64,
            ))
        },
    )?;
    let orders: i64 = conn.query_row(
        "SELECT count(*) * 1000003 + total(user_id) FROM orders",
        [],
        |r| Ok(r.get::<_, f64>(0)? as i64),
    )?;
    Ok((users, emails, ages, names, orders))
}

/// What a correct W1/W2 result must look like; returns the differences found.
fn verify(path: &Path, w: Workload, expect: (i64, i64, i64, i64, i64), n: u64) -> Vec<String> {
    let mut problems = Vec::new();
    let conn = match Connection::open(path) {
        Ok(c) => c,
        Err(e) => return vec![format!("cannot open result: {e}")],
    };
    let mut p = |s: String| problems.push(s);
    match fingerprint(&conn) {
        Ok(f) if f == expect => {}
        Ok(f) => p(format!("rows differ: {f:?} != {expect:?}")),
        Err(e) => p(format!("cannot read rows: {e}")),
    }
    let cols: Vec<(String, String, bool)> = conn
        .prepare("SELECT name, type, \"notnull\" FROM pragma_table_info('users') ORDER BY cid")
        .and_then(|mut s| {
            s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect()
        })
        .unwrap_or_default();
    let names: Vec<&str> = cols.iter().map(|c| c.0.as_str()).collect();
    if names != ["id", "email", "name", "age", "created_at"] {
        p(format!("users columns are {names:?}"));
    }
    let want_age = if w == Workload::W1 { "TEXT" } else { "INTEGER" };
    if let Some(c) = cols.iter().find(|c| c.0 == "age") {
        if !c.1.eq_ignore_ascii_case(want_age) {
            p(format!("age has type {} (want {want_age})", c.1));
        }
    }
    if let Some(c) = cols.iter().find(|c| c.0 == "name") {
        if !c.2 {
            p("name is not NOT NULL".into());
        }
    }
    let users_sql: String = conn
        .query_row(
            "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'users'",
            [],
            |r| r.get(0),
        )
        .unwrap_or_default();
    let upper = users_sql.to_ascii_uppercase();
    for piece in ["AUTOINCREMENT", "CHECK", "UNIQUE", "CURRENT_TIMESTAMP"] {
        if !upper.contains(piece) {
            p(format!("users lost {piece}"));
        }
    }
    for (kind, name, must) in [
        ("index", "users_name", "ON USERS"),
        ("index", "users_age_over_60", "WHERE AGE > 60"),
        ("trigger", "users_email_touch", "AFTER UPDATE OF EMAIL"),
        ("view", "users_public", "FROM USERS"),
        ("index", "orders_user_id", "ON ORDERS"),
    ] {
        let sql: Option<String> = conn
            .query_row(
                "SELECT sql FROM sqlite_schema WHERE type = ?1 AND name = ?2",
                [kind, name],
                |r| r.get(0),
            )
            .ok();
        match sql {
            None => p(format!("{kind} {name} lost")),
            Some(s) if !s.to_ascii_uppercase().contains(must) => {
                p(format!("{kind} {name} changed: {s}"))
            }
            _ => {}
        }
    }
    let orders_sql: String = conn
        .query_row(
            "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'orders'",
            [],
            |r| r.get(0),
        )
        .unwrap_or_default();
    if !orders_sql.to_ascii_uppercase().contains("REFERENCES USERS") {
        p(format!("orders' foreign key changed: {orders_sql}"));
    }
    let seq: Option<i64> = conn
        .query_row(
            "SELECT seq FROM sqlite_sequence WHERE name = 'users'",
            [],
            |r| r.get(0),
        )
        .ok();
    if seq != Some(n as i64) {
        p(format!("sqlite_sequence for users is {seq:?}, want {n}"));
    }
    if let Err(e) = conn.query_row("SELECT count(*) FROM users_public", [], |r| {
        r.get::<_, i64>(0)
    }) {
        p(format!("view users_public broken: {e}"));
    }
    let fk: i64 = conn
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .unwrap_or(-1);
    if fk != 0 {
        p(format!("foreign_key_check reports {fk} rows"));
    }
    problems
}

// ---------------------------------------------------------------------------------------------
// The hand-written SQL (baseline and floor), run by this binary as a child process.
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Workload {
    W1,
    W2,
}

impl Workload {
    fn sql(self) -> &'static str {
        match self {
            Workload::W1 => W1,
            Workload::W2 => W2,
        }
    }
    fn label(self) -> &'static str {
        match self {
            Workload::W1 => "W1",
            Workload::W2 => "W2",
        }
    }
    fn arg(self) -> &'static str {
        match self {
            Workload::W1 => "w1",
            Workload::W2 => "w2",
        }
    }
}

/// The new `users` of the 12-step procedure.
fn new_users_ddl(w: Workload) -> String {
    let age = match w {
        Workload::W1 => "TEXT",
        Workload::W2 => "INTEGER",
    };
    format!("CREATE TABLE new_users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL UNIQUE, name TEXT NOT NULL, age {age} CHECK (age >= 0), created_at TEXT DEFAULT CURRENT_TIMESTAMP)")
}

/// SQLite's documented 12-step procedure (https://sqlite.org/lang_altertable.html#otheralter),
/// written by hand for this schema. `checks = false` gives the bare copy floor.
fn twelve_step(
    conn: &mut Connection,
    w: Workload,
    checks: bool,
    mark: &mut dyn FnMut(&str),
) -> Result<(), BoxError> {
    mark("PRAGMA foreign_keys = OFF");
    conn.execute_batch("PRAGMA foreign_keys = OFF")?; // 1
    mark("BEGIN");
    let tx = conn.transaction()?; // 2 (3: the schema is known, written out below)
    let new_users = new_users_ddl(w);
    let steps = [
        new_users.as_str(), // 4
        "INSERT INTO new_users (id, email, name, age, created_at) SELECT id, email, name, age, created_at FROM users", // 5
        "DROP VIEW users_public", // 9: the view reads the table
        "DROP TABLE users",       // 6 (drops its indexes and trigger)
        "ALTER TABLE new_users RENAME TO users", // 7
        USERS_NAME_IDX,           // 8
        USERS_AGE_IDX,
        USERS_TRIGGER,
        USERS_VIEW, // 9
    ];
    for sql in steps {
        mark(sql);
        tx.execute_batch(sql)?;
    }
    if checks {
        // 10
        mark("PRAGMA foreign_key_check");
        let bad: i64 = tx.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })?;
        if bad != 0 {
            return Err(format!("{bad} foreign key violations").into());
        }
    }
    mark("COMMIT");
    tx.commit()?; // 11
    mark("PRAGMA foreign_keys = ON");
    conn.execute_batch("PRAGMA foreign_keys = ON")?; // 12
    Ok(())
}

/// W2 the cheapest way SQLite allows: the NOT NULL put into the stored definition
/// (writable_schema, as documented for constraint-only changes) and a native DROP COLUMN; no
/// NULL check, no integrity_check.
fn w2_native(conn: &mut Connection) -> Result<(), BoxError> {
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_DEFENSIVE, false)?;
    let tx = conn.transaction()?;
    let v: i64 = tx.query_row("PRAGMA schema_version", [], |r| r.get(0))?;
    tx.execute_batch("PRAGMA writable_schema = ON")?;
    tx.execute(
        "UPDATE sqlite_schema SET sql = ?1 WHERE type = 'table' AND name = 'users'",
        [USERS_DDL.replace("name TEXT,", "name TEXT NOT NULL,")],
    )?;
    tx.execute_batch(&format!("PRAGMA schema_version = {}", v + 1))?;
    tx.execute_batch("PRAGMA writable_schema = OFF")?;
    tx.execute_batch("ALTER TABLE users DROP COLUMN legacy")?;
    tx.commit()?;
    Ok(())
}

type BoxError = Box<dyn std::error::Error>;

fn child_main(mode: &str, db: &Path, extra: Option<&str>) -> i32 {
    // Building runs in a child too, so that the harness itself stays small: a child's peak RSS
    // (ru_maxrss) starts from the RSS of the process that spawned it.
    if mode == "build" || mode == "build-plan" {
        let n: u64 = extra.and_then(|x| x.parse().ok()).unwrap_or(0);
        let r = if mode == "build" {
            build_workload(db, n)
        } else {
            build_planning_schema(db, n as usize)
        };
        return match r {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("{mode}: {e}");
                1
            }
        };
    }
    if mode == "pg-reset-floor" {
        return match pg_reset_floor(&db.to_string_lossy(), Path::new(extra.unwrap_or("."))) {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("{mode}: {e}");
                1
            }
        };
    }
    if mode == "reset-floor" {
        return match reset_floor(db, Path::new(extra.unwrap_or("."))) {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("{mode}: {e}");
                1
            }
        };
    }
    let mut conn = match Connection::open(db) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("open {}: {e}", db.display());
            return 1;
        }
    };
    // An experiment knob: settings to try on the hand-written SQL (e.g. a bigger cache) before
    // proposing them for kit. Reported in the output when set.
    if let Ok(extra) = std::env::var("KIT_BENCH_BASELINE_PRAGMAS") {
        if let Err(e) = conn.execute_batch(&extra) {
            eprintln!("KIT_BENCH_BASELINE_PRAGMAS: {e}");
            return 1;
        }
    }
    let r = match mode {
        "w1-baseline" => twelve_step(&mut conn, Workload::W1, true, &mut |_| {}),
        "w1-floor" => twelve_step(&mut conn, Workload::W1, false, &mut |_| {}),
        "w2-baseline" => twelve_step(&mut conn, Workload::W2, true, &mut |_| {}),
        "w2-floor" => w2_native(&mut conn),
        _ => {
            eprintln!("unknown child mode {mode}");
            return 2;
        }
    };
    match r {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("{mode}: {e}");
            1
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Child processes: wall time and peak RSS.
// ---------------------------------------------------------------------------------------------

/// The largest RSS of the harness itself when it spawned a measured child.
static HARNESS_RSS_KIB: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn self_rss_kib() -> Option<u64> {
    fs::read_to_string("/proc/self/status").ok().and_then(|s| {
        s.lines()
            .find(|l| l.starts_with("VmRSS:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|k| k.parse().ok())
    })
}

#[derive(Clone, Copy, Debug)]
struct Sample {
    wall: Duration,
    max_rss_kib: u64,
}

/// Spawns `cmd`, waits for it with wait4, and returns its wall time and peak RSS.
fn run_child(cmd: &mut Command, log: &Path) -> Result<Sample, String> {
    let err = File::create(log).map_err(|e| e.to_string())?;
    cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(err);
    // The child's ru_maxrss starts from this process's peak (the spawn shares or copies our
    // memory before exec): reset our peak to our current RSS first (Linux >= 4.0).
    let _ = fs::write("/proc/self/clear_refs", "5");
    if let Some(kib) = self_rss_kib() {
        HARNESS_RSS_KIB.fetch_max(kib, std::sync::atomic::Ordering::Relaxed);
    }
    let t0 = Instant::now();
    let child = cmd.spawn().map_err(|e| format!("cannot start: {e}"))?;
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain data; wait4 fills it for the child we just spawned.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
        if r == pid {
            break;
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(format!("wait4: {e}"));
        }
    }
    let wall = t0.elapsed();
    drop(child); // already reaped; dropping neither waits nor kills
    if !(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0) {
        let msg = fs::read_to_string(log).unwrap_or_default();
        let msg: String = msg.split_whitespace().collect::<Vec<_>>().join(" ");
        let chars: Vec<char> = msg.chars().collect();
        let msg: String = chars[chars.len().saturating_sub(300)..].iter().collect();
        return Err(format!("exit status {status:#x}: {msg}"));
    }
    Ok(Sample {
        wall,
        max_rss_kib: ru.ru_maxrss as u64, // kilobytes on Linux
    })
}

#[derive(Clone)]
enum Runner {
    Kit,
    Harness(&'static str),
    Peer(&'static str),
}

#[derive(Clone)]
struct Variant {
    name: &'static str,
    runner: Runner,
}

struct Env {
    kit: PathBuf,
    me: PathBuf,
    python: PathBuf,
    peers_py: PathBuf,
}

impl Variant {
    fn command(&self, env: &Env, w: Workload, db: &Path) -> Command {
        match &self.runner {
            Runner::Kit => {
                let mut c = Command::new(&env.kit);
                c.arg("rebuild")
                    .arg("--db")
                    .arg(db)
                    .arg("--sql")
                    .arg(w.sql())
                    .arg("--quiet");
                c
            }
            Runner::Harness(mode) => {
                let mut c = Command::new(&env.me);
                c.arg("--child").arg(mode).arg(db);
                c
            }
            Runner::Peer(tool) => {
                let mut c = Command::new(&env.python);
                c.arg(&env.peers_py).arg(tool).arg(w.arg()).arg(db);
                c
            }
        }
    }
}

struct Measured {
    samples: Vec<Sample>,
    failed: Option<String>,
    problems: Vec<String>,
}

impl Measured {
    fn median(&self) -> Option<Duration> {
        if self.failed.is_some() || self.samples.is_empty() {
            return None;
        }
        let mut v: Vec<Duration> = self.samples.iter().map(|s| s.wall).collect();
        v.sort();
        Some(median_sorted(&v))
    }
    fn peak_rss(&self) -> Option<u64> {
        self.samples.iter().map(|s| s.max_rss_kib).max()
    }
}

fn median_sorted(v: &[Duration]) -> Duration {
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    median_sorted(&v)
}

// ---------------------------------------------------------------------------------------------
// Formatting.
// ---------------------------------------------------------------------------------------------

fn fmt_d(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 10.0 {
        format!("{s:.1} s")
    } else if s >= 1.0 {
        format!("{s:.2} s")
    } else if s >= 0.01 {
        format!("{:.0} ms", s * 1e3)
    } else {
        format!("{:.2} ms", s * 1e3)
    }
}

fn fmt_opt(d: Option<Duration>, m: &Measured) -> String {
    match (d, &m.failed) {
        (Some(d), _) => fmt_d(d),
        (None, Some(_)) => "failed".into(),
        (None, None) => "-".into(),
    }
}

fn fmt_n(n: u64) -> String {
    if n >= 1_000_000 && n.is_multiple_of(1_000_000) {
        format!("{}M", n / 1_000_000)
    } else if n >= 1_000 && n.is_multiple_of(1_000) {
        format!("{}k", n / 1_000)
    } else {
        n.to_string()
    }
}

fn fmt_rate(n: u64, d: Duration) -> String {
    let r = n as f64 / d.as_secs_f64();
    if r >= 1e6 {
        format!("{:.2} M/s", r / 1e6)
    } else {
        format!("{:.0} k/s", r / 1e3)
    }
}

fn fmt_mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

fn ratio(a: Option<Duration>, b: Option<Duration>) -> String {
    match (a, b) {
        (Some(a), Some(b)) => format!("{:.2}", a.as_secs_f64() / b.as_secs_f64()),
        _ => "-".into(),
    }
}

fn parse_n(s: &str) -> Option<u64> {
    let s = s.trim();
    let (num, mul) = match s.chars().last()? {
        'k' | 'K' => (&s[..s.len() - 1], 1_000),
        'm' | 'M' => (&s[..s.len() - 1], 1_000_000),
        _ => (s, 1),
    };
    num.replace('_', "").parse::<u64>().ok().map(|n| n * mul)
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| default.to_string())
}

// ---------------------------------------------------------------------------------------------
// Planning cost on a generated 2,000-table schema.
// ---------------------------------------------------------------------------------------------

/// The workload (with 1,000 rows) plus `tables - 2` more tables, each with two indexes (one
/// partial, DESC), a trigger and a view; every 4th references users, every 20th view joins it.
fn build_planning_schema(path: &Path, tables: usize) -> rusqlite::Result<()> {
    build_workload(path, 1000)?;
    let mut conn = Connection::open(path)?;
    conn.execute_batch("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;")?;
    let tx = conn.transaction()?;
    let mut sql = String::new();
    for i in 1..=tables.saturating_sub(2) {
        let t = format!("t{i:04}");
        let refs = if i % 4 == 0 {
            "user_id INTEGER REFERENCES users(id) ON DELETE CASCADE".to_string()
        } else if i > 1 {
            format!("user_id INTEGER REFERENCES t{:04}(id)", i - 1)
        } else {
            "user_id INTEGER".to_string()
        };
        sql.clear();
        let _ = write!(
            sql,
            "CREATE TABLE {t} (id INTEGER PRIMARY KEY, {refs}, code TEXT NOT NULL UNIQUE, qty INTEGER CHECK (qty >= 0), price REAL DEFAULT 0, note TEXT COLLATE NOCASE, updated_at TEXT);
             CREATE INDEX {t}_user ON {t} (user_id);
             CREATE INDEX {t}_qty_price ON {t} (qty DESC, price) WHERE qty > 0;
             CREATE TRIGGER {t}_touch AFTER UPDATE OF qty ON {t} BEGIN UPDATE {t} SET updated_at = CURRENT_TIMESTAMP WHERE id = NEW.id; END;"
        );
        if i % 20 == 0 {
            let _ = write!(sql, "CREATE VIEW {t}_v AS SELECT {t}.id, {t}.code, users.email FROM {t} JOIN users ON users.id = {t}.user_id;");
        } else {
            let _ = write!(
                sql,
                "CREATE VIEW {t}_v AS SELECT id, code, qty * price AS total FROM {t};"
            );
        }
        tx.execute_batch(&sql)?;
    }
    tx.commit()?;
    conn.execute_batch("PRAGMA journal_mode = DELETE;")?;
    Ok(())
}

struct PlanFigures {
    tables: usize,
    objects: i64,
    plan: Option<Duration>,
    open_plan: Option<Duration>,
    read_schema: Option<Duration>,
    shadow_copy: Option<Duration>,
    dry_run: Option<Duration>,
    note: Option<String>,
}

fn bench_planning(env: &Env, dir: &Path, tables: usize, runs: usize) -> PlanFigures {
    let path = dir.join(format!("plan-{tables}.db"));
    let mut f = PlanFigures {
        tables,
        objects: 0,
        plan: None,
        open_plan: None,
        read_schema: None,
        shadow_copy: None,
        dry_run: None,
        note: None,
    };
    let t0 = Instant::now();
    let mut cmd = Command::new(&env.me);
    cmd.args(["--child", "build-plan"])
        .arg(&path)
        .arg(tables.to_string());
    if let Err(e) = run_child(&mut cmd, &dir.join("build.log")) {
        f.note = Some(format!("could not build the schema: {e}"));
        return f;
    }
    f.objects = Connection::open(&path)
        .and_then(|c| c.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0)))
        .unwrap_or(0);
    eprintln!(
        "bench: planning schema: {tables} tables, {} objects, built in {}",
        f.objects,
        fmt_d(t0.elapsed())
    );
    let mut plan_t = Vec::new();
    let mut open_plan_t = Vec::new();
    let mut dry_t = Vec::new();
    let mut read_t = Vec::new();
    let mut shadow_t = Vec::new();
    let log = dir.join("plan.log");
    for r in 0..runs {
        // The parts, for diagnosis: reading the schema once, and the in-memory shadow copy.
        if let Ok(conn) = kit::open(&path) {
            let t0 = Instant::now();
            if kit::read_schema(&conn).is_ok() {
                read_t.push(t0.elapsed());
            }
            let t0 = Instant::now();
            if kit::sqlite::read::shadow_copy(&conn).is_ok() {
                shadow_t.push(t0.elapsed());
            }
        }
        let t0 = Instant::now();
        let conn = match kit::open(&path) {
            Ok(c) => c,
            Err(e) => {
                f.note = Some(format!("kit::open failed: {e}"));
                return f;
            }
        };
        let t1 = Instant::now();
        match kit::plan_sql(&conn, W1) {
            Ok(p) => {
                let t2 = Instant::now();
                if r == 0 && p.rebuilt_tables() != ["users"] {
                    f.note = Some(format!("plan rebuilds {:?}", p.rebuilt_tables()));
                }
                plan_t.push(t2 - t1);
                open_plan_t.push(t2 - t0);
            }
            Err(e) => {
                f.note = Some(format!("kit::plan_sql failed: {e}"));
                return f;
            }
        }
        drop(conn);
        let mut cmd = Command::new(&env.kit);
        cmd.args(["rebuild", "--dry-run", "--sql", W1, "--db"])
            .arg(&path);
        match run_child(&mut cmd, &log) {
            Ok(s) => dry_t.push(s.wall),
            Err(e) => f.note = Some(format!("kit rebuild --dry-run failed: {e}")),
        }
        eprintln!(
            "bench: planning run {}/{runs}: plan {}",
            r + 1,
            fmt_d(*plan_t.last().unwrap())
        );
    }
    f.plan = Some(median(plan_t));
    if !read_t.is_empty() {
        f.read_schema = Some(median(read_t));
    }
    if !shadow_t.is_empty() {
        f.shadow_copy = Some(median(shadow_t));
    }
    f.open_plan = Some(median(open_plan_t));
    if dry_t.len() == runs {
        f.dry_run = Some(median(dry_t));
    }
    let _ = fs::remove_file(&path);
    f
}

// ---------------------------------------------------------------------------------------------
// Throwaway reset of a generated 150-table schema with seed rows (issue 4).
// ---------------------------------------------------------------------------------------------

/// Seed rows per table of the reset schema.
const RESET_ROWS: usize = 20;

/// The migrations that follow `0001_initial` (the whole base schema): (file, up, down). The
/// schema file holds the state after all of them.
const RESET_MIGRATIONS: [(&str, &str, &str); 4] = [
    (
        "0002_t001_archived.sql",
        "ALTER TABLE t001 ADD COLUMN archived INTEGER NOT NULL DEFAULT 0;",
        "ALTER TABLE t001 DROP COLUMN archived;",
    ),
    (
        "0003_t004_price_not_null.sql",
        "ALTER TABLE t004 ALTER COLUMN price SET NOT NULL;",
        "ALTER TABLE t004 ALTER COLUMN price DROP NOT NULL;",
    ),
    (
        "0004_t002_code_qty_index.sql",
        "CREATE INDEX t002_code_qty ON t002 (code, qty);",
        "DROP INDEX t002_code_qty;",
    ),
    (
        "0005_t150_summary.sql",
        "CREATE VIEW t150_summary AS SELECT parent_id, count(*) AS n, coalesce(sum(qty), 0) AS qty FROM t150 GROUP BY parent_id;",
        "DROP VIEW t150_summary;",
    ),
];

/// The shape of table `i` (1-based) of the reset schema.
struct ResetTable {
    i: usize,
    parent: Option<usize>,
    other: Option<usize>,
    price: bool,
    note: bool,
    created: bool,
    flag: bool,
}

impl ResetTable {
    fn new(i: usize) -> ResetTable {
        ResetTable {
            i,
            parent: (i > 1).then(|| 1 + (i * 7919) % (i - 1)),
            other: i.is_multiple_of(7).then(|| 1 + (i * 31) % (i - 1)),
            price: i.is_multiple_of(2) || i == 1,
            note: i.is_multiple_of(3),
            created: i % 4 != 1,
            flag: i.is_multiple_of(5),
        }
    }

    fn name(&self) -> String {
        format!("t{:03}", self.i)
    }

    /// `CREATE TABLE` and its indexes, trigger and view; `last` adds the later migrations'
    /// changes to the table.
    fn ddl(&self, last: bool, out: &mut String) {
        let t = self.name();
        let mut cols = vec!["id INTEGER PRIMARY KEY".to_string()];
        if let Some(p) = self.parent {
            cols.push(format!(
                "parent_id INTEGER NOT NULL REFERENCES t{p:03}(id) ON DELETE CASCADE"
            ));
        }
        cols.push("code TEXT NOT NULL UNIQUE".into());
        cols.push("qty INTEGER NOT NULL DEFAULT 0 CHECK (qty >= 0)".into());
        if self.price {
            let nn = if last && self.i == 4 { " NOT NULL" } else { "" };
            cols.push(format!("price REAL{nn}"));
        }
        if self.note {
            cols.push("note TEXT COLLATE NOCASE".into());
        }
        if self.created {
            cols.push("created_at TEXT DEFAULT CURRENT_TIMESTAMP".into());
        }
        if self.flag {
            cols.push("flag INTEGER NOT NULL DEFAULT 0 CHECK (flag IN (0, 1))".into());
        }
        if let Some(o) = self.other {
            cols.push(format!(
                "other_id INTEGER REFERENCES t{o:03}(id) ON DELETE SET NULL"
            ));
        }
        if last && self.i == 1 {
            cols.push("archived INTEGER NOT NULL DEFAULT 0".into());
        }
        let _ = writeln!(out, "CREATE TABLE {t} (\n  {}\n);", cols.join(",\n  "));
        match self.parent {
            Some(_) => {
                let _ = writeln!(out, "CREATE INDEX {t}_parent ON {t} (parent_id);");
            }
            None => {
                let _ = writeln!(out, "CREATE INDEX {t}_price ON {t} (price);");
            }
        }
        if self.i % 3 != 2 {
            let _ = writeln!(
                out,
                "CREATE INDEX {t}_busy ON {t} (qty DESC) WHERE qty > 50;"
            );
        }
        if self.i.is_multiple_of(10) {
            // The same trigger on both databases, through dialect blocks.
            let _ = writeln!(
                out,
                "-- kit:only postgresql\n\
                 CREATE FUNCTION {t}_touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.created_at := to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'); RETURN NEW; END $$;\n\
                 CREATE TRIGGER {t}_touch BEFORE UPDATE OF qty ON {t} FOR EACH ROW EXECUTE FUNCTION {t}_touch();\n\
                 -- kit:only sqlite\n\
                 CREATE TRIGGER {t}_touch AFTER UPDATE OF qty ON {t} BEGIN UPDATE {t} SET created_at = CURRENT_TIMESTAMP WHERE id = NEW.id; END;\n\
                 -- kit:all"
            );
        }
        if let (5, Some(p)) = (self.i % 10, self.parent) {
            let _ = writeln!(
                out,
                "CREATE VIEW {t}_v AS SELECT c.id, c.code, c.qty, p.code AS parent_code FROM {t} AS c JOIN t{p:03} AS p ON p.id = c.parent_id;"
            );
        }
    }

    /// One multi-row `INSERT` of `RESET_ROWS` rows; parents are earlier tables, so file order
    /// satisfies the foreign keys even without deferral.
    fn seed(&self, rng: &mut Rng, out: &mut String) {
        let mut cols = vec!["id"];
        if self.parent.is_some() {
            cols.push("parent_id");
        }
        cols.extend(["code", "qty"]);
        if self.price {
            cols.push("price");
        }
        if self.note {
            cols.push("note");
        }
        if self.flag {
            cols.push("flag");
        }
        if self.other.is_some() {
            cols.push("other_id");
        }
        let _ = write!(
            out,
            "INSERT INTO {} ({}) VALUES",
            self.name(),
            cols.join(", ")
        );
        for k in 1..=RESET_ROWS {
            let mut v = vec![k.to_string()];
            if self.parent.is_some() {
                v.push((1 + rng.below(RESET_ROWS as u64)).to_string());
            }
            v.push(format!("'{}-{k:02}'", self.name()));
            v.push(rng.below(100).to_string());
            if self.price {
                let c = rng.below(100_000);
                v.push(format!("{}.{:02}", c / 100, c % 100));
            }
            if self.note {
                v.push(format!(
                    "'{} {}''s note'",
                    FIRST[rng.below(16) as usize],
                    LAST[rng.below(16) as usize]
                ));
            }
            if self.flag {
                v.push(rng.below(2).to_string());
            }
            if self.other.is_some() {
                v.push(match rng.below(4) {
                    0 => "NULL".to_string(),
                    r => (r * 5).to_string(),
                });
            }
            let sep = if k == 1 { "\n  " } else { ",\n  " };
            let _ = write!(out, "{sep}({})", v.join(", "));
        }
        out.push_str(";\n");
    }
}

/// What the generated project holds, for the report and the checks.
struct ResetProject {
    tables: usize,
    rows: usize,
    indexes: i64,
    partial: usize,
    triggers: i64,
    views: i64,
    schema_bytes: usize,
    seed_bytes: usize,
    migrations: usize,
}

/// Writes schema.sql, seed.sql, migrations/ and the two configs (schema.toml, migrations.toml)
/// into `dir`.
fn write_reset_project(dir: &Path, tables: usize) -> std::io::Result<ResetProject> {
    fs::create_dir_all(dir.join("migrations"))?;
    let all: Vec<ResetTable> = (1..=tables).map(ResetTable::new).collect();
    let mut schema = String::from("-- Generated by bench/main.rs: the target schema.\n");
    let mut base = String::from("-- kit:up\n");
    for t in &all {
        t.ddl(true, &mut schema);
        t.ddl(false, &mut base);
    }
    // The index and the view the later migrations create (their ALTERs are in the tables).
    for (_, up, _) in RESET_MIGRATIONS {
        if up.starts_with("CREATE") {
            let _ = writeln!(schema, "{up}");
        }
    }
    base.push_str("-- kit:down\n");
    for t in all.iter().rev() {
        let name = t.name();
        if t.i % 10 == 5 && t.parent.is_some() {
            let _ = writeln!(base, "DROP VIEW {name}_v;");
        }
        let _ = writeln!(base, "DROP TABLE {name};");
        if t.i.is_multiple_of(10) {
            let _ = writeln!(
                base,
                "-- kit:only postgresql\nDROP FUNCTION {name}_touch();\n-- kit:all"
            );
        }
    }
    fs::write(dir.join("migrations/0001_initial.sql"), &base)?;
    for (file, up, down) in RESET_MIGRATIONS {
        fs::write(
            dir.join("migrations").join(file),
            format!("-- kit:up\n{up}\n-- kit:down\n{down}\n"),
        )?;
    }
    let mut seed = String::from("-- Generated by bench/main.rs: seed rows, parents first.\n");
    let mut rng = Rng(SEED);
    for t in &all {
        t.seed(&mut rng, &mut seed);
    }
    fs::write(dir.join("schema.sql"), &schema)?;
    fs::write(dir.join("seed.sql"), &seed)?;
    for from in ["schema", "migrations"] {
        fs::write(
            dir.join(format!("{from}.toml")),
            format!(
                "database = \"{from}.db\"\nschema = \"schema.sql\"\nmigrations = \"migrations\"\n\n[throwaway]\nseed = [\"seed.sql\"]\nfrom = \"{from}\"\n"
            ),
        )?;
    }
    let views = all
        .iter()
        .filter(|t| t.i % 10 == 5 && t.parent.is_some())
        .count();
    let indexes = all.len() + all.iter().filter(|t| t.i % 3 != 2).count();
    Ok(ResetProject {
        tables,
        rows: tables * RESET_ROWS,
        indexes: (indexes + 1) as i64,
        partial: all.iter().filter(|t| t.i % 3 != 2).count(),
        triggers: (all.len() / 10) as i64,
        views: (views + 1) as i64,
        schema_bytes: schema.len(),
        seed_bytes: seed.len(),
        migrations: 1 + RESET_MIGRATIONS.len(),
    })
}

/// The floor of a reset, run as `--child reset-floor <db> <project dir>`: the same schema and
/// seed files executed with plain rusqlite (journal off, one transaction each, a whole-database
/// `foreign_key_check`, the version rows), built under a temporary name and moved into place.
/// What kit adds on top is config and migration loading, statement splitting and checksums.
fn reset_floor(db: &Path, project: &Path) -> Result<(), BoxError> {
    let schema = fs::read_to_string(project.join("schema.sql"))?;
    let schema =
        kit::dialect::select(&schema, kit::dialect::Dialect::Sqlite).map_err(|e| e.to_string())?;
    let seed = fs::read_to_string(project.join("seed.sql"))?;
    let migrations = fs::read_dir(project.join("migrations"))?.count();
    let tmp = db.with_extension("new");
    let _ = fs::remove_file(&tmp);
    let conn = Connection::open(&tmp)?;
    conn.execute_batch(
        "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA foreign_keys = ON",
    )?;
    conn.execute_batch("BEGIN")?;
    conn.execute_batch(&schema)?;
    conn.execute_batch("COMMIT; BEGIN; PRAGMA defer_foreign_keys = ON")?;
    conn.execute_batch(&seed)?;
    let bad: i64 = conn.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
        r.get(0)
    })?;
    if bad != 0 {
        return Err(format!("{bad} foreign key violations").into());
    }
    conn.execute_batch("CREATE TABLE kit_migrations (version TEXT PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at TEXT NOT NULL); CREATE TABLE kit_throwaway (created_at TEXT NOT NULL, source TEXT NOT NULL); INSERT INTO kit_throwaway VALUES (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), 'schema.sql')")?;
    for v in 1..=migrations {
        conn.execute(
            "INSERT INTO kit_migrations VALUES (?1, 'm', 'x', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))",
            [format!("{v:04}")],
        )?;
    }
    conn.execute_batch("COMMIT")?;
    conn.close().map_err(|(_, e)| e)?;
    fs::rename(&tmp, db)?;
    Ok(())
}

/// The floor of a reset on PostgreSQL, run as `--child pg-reset-floor <server URL> <sql file>`:
/// kit's own translated statements (captured from `--echo`), sent in one round trip in one
/// transaction to a database created for it, which then replaces the previous one
/// (`CREATE DATABASE`, the build, `DROP DATABASE ... WITH (FORCE)`, `ALTER DATABASE ... RENAME`),
/// as kit does. What kit adds on top is reading, translating and planning the files, one round
/// trip per statement, and its checks.
fn pg_reset_floor(admin_url: &str, sql: &Path) -> Result<(), BoxError> {
    let body = fs::read_to_string(sql)?;
    let mut admin = postgres::Client::connect(admin_url, postgres::NoTls)?;
    admin.batch_execute("DROP DATABASE IF EXISTS kit_bench_floor_kit_new WITH (FORCE)")?;
    admin.batch_execute("CREATE DATABASE kit_bench_floor_kit_new")?;
    let mut c = postgres::Client::connect(
        &pg::with_dbname(admin_url, "kit_bench_floor_kit_new"),
        postgres::NoTls,
    )?;
    c.batch_execute(&format!("BEGIN;\n{body}\nCOMMIT;"))?;
    c.close()?;
    admin.batch_execute("DROP DATABASE IF EXISTS kit_bench_floor WITH (FORCE)")?;
    admin.batch_execute("ALTER DATABASE kit_bench_floor_kit_new RENAME TO kit_bench_floor")?;
    Ok(())
}

/// The statements a `kit throwaway-reset --echo` on PostgreSQL ran inside the new database
/// (the database-level statements and kit's own lines left out), from its stderr.
fn pg_build_sql(echo: &str) -> String {
    echo.lines()
        .filter(|l| {
            ![
                "kit:",
                "CREATE DATABASE",
                "COMMENT ON DATABASE",
                "DROP DATABASE",
                "ALTER DATABASE",
            ]
            .iter()
            .any(|p| l.starts_with(p))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A reset database's shape: every object's type and name, and every table's columns (name,
/// declared type, NOT NULL), so that the two routes can be compared; plus the row count.
fn reset_shape(db: &Path) -> rusqlite::Result<(Vec<String>, i64, i64, i64)> {
    let conn = Connection::open(db)?;
    let mut shape = Vec::new();
    let objects: Vec<(String, String)> = conn
        .prepare(
            "SELECT type, name FROM sqlite_schema WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY type, name",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut rows = 0i64;
    for (ty, name) in &objects {
        shape.push(format!("{ty} {name}"));
        if ty == "table" {
            let cols: Vec<String> = conn
                .prepare(
                    "SELECT name, upper(type), \"notnull\" FROM pragma_table_info(?1) ORDER BY cid",
                )?
                .query_map([name], |r| {
                    Ok(format!(
                        "  {} {} {}",
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?
                    ))
                })?
                .collect::<rusqlite::Result<_>>()?;
            shape.extend(cols);
            if name.starts_with('t') {
                rows += conn.query_row(&format!("SELECT count(*) FROM \"{name}\""), [], |r| {
                    r.get::<_, i64>(0)
                })?;
            }
        }
    }
    let recorded: i64 = conn.query_row("SELECT count(*) FROM kit_migrations", [], |r| r.get(0))?;
    let bad: i64 = conn.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
        r.get(0)
    })?;
    Ok((shape, rows, recorded, bad))
}

struct ResetRow {
    label: String,
    walls: Vec<Duration>,
    inner: Vec<Duration>,
    rss: u64,
    failed: Option<String>,
}

struct ResetFigures {
    project: Option<ResetProject>,
    runs: usize,
    rows: Vec<ResetRow>,
    notes: Vec<String>,
    /// Why the PostgreSQL rows were not measured, if they were not.
    pg_skipped: Option<String>,
}

/// The rows of the reset table measured on PostgreSQL, after the SQLite rows.
const PG_RESET_ROWS: usize = 4;

/// The databases the PostgreSQL reset rows work on.
const PG_BENCH_DATABASES: [&str; 2] = ["kit_bench_schema", "kit_bench_migrations"];

/// The database of the PostgreSQL floor row.
const PG_FLOOR_DATABASE: &str = "kit_bench_floor";

/// The PostgreSQL server of the reset figures, as a URL kit's throwaway URLs are derived from:
/// KIT_BENCH_PG_URL, else a throwaway cluster started like the test harness's
/// (`tests/common/pg.rs`: initdb and pg_ctl, a Unix socket, `fsync=off`), stopped at exit.
/// Err: why there is none.
fn bench_pg() -> Result<String, String> {
    if let Some(url) = std::env::var("KIT_BENCH_PG_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
    {
        return postgres::Client::connect(url.trim(), postgres::NoTls)
            .map(|_| url.trim().to_string())
            .map_err(|e| format!("KIT_BENCH_PG_URL: cannot connect: {}", pg::show(&e)));
    }
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let started = std::panic::catch_unwind(|| pg::server().admin_url.clone());
    std::panic::set_hook(hook);
    started.map_err(|e| {
        e.downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "the cluster did not start".into())
    })
}

/// Which PostgreSQL server the reset rows ran on, for the notes.
fn pg_server_note(admin_url: &str) -> String {
    let version = postgres::Client::connect(admin_url, postgres::NoTls)
        .and_then(|mut c| c.query_one("SHOW server_version", &[]))
        .map(|r| r.get::<_, String>(0))
        .unwrap_or_else(|e| format!("unknown version ({})", pg::show(&e)));
    let how = if std::env::var("KIT_BENCH_PG_URL").is_ok_and(|u| !u.trim().is_empty()) {
        "the server KIT_BENCH_PG_URL names"
    } else {
        "a throwaway cluster started as the test harness starts one (tests/common/pg.rs: Unix socket, fsync=off, synchronous_commit=off, full_page_writes=off)"
    };
    format!("reset on PostgreSQL: PostgreSQL {version}, {how}; each run drops and creates a database (`CREATE DATABASE` copies template1)")
}

/// Drops the bench's PostgreSQL databases (and any `_kit_new` left).
fn drop_pg_bench_databases(admin_url: &str) {
    let Ok(mut admin) = postgres::Client::connect(admin_url, postgres::NoTls) else {
        return;
    };
    for db in PG_BENCH_DATABASES.into_iter().chain([PG_FLOOR_DATABASE]) {
        for name in [db.to_string(), format!("{db}_kit_new")] {
            let _ =
                admin.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
        }
    }
}

/// A PostgreSQL reset database's shape (each table's columns with type and nullability, the
/// triggers and views), its seed rows and the migrations recorded.
fn pg_reset_shape(url: &str) -> Result<(Vec<String>, i64, i64), String> {
    let mut c = postgres::Client::connect(url, postgres::NoTls).map_err(|e| pg::show(&e))?;
    let q = |c: &mut postgres::Client, sql: &str| -> Result<Vec<postgres::Row>, String> {
        c.query(sql, &[]).map_err(|e| pg::show(&e))
    };
    let mut shape: Vec<String> = q(&mut c, "SELECT table_name || ' ' || column_name || ' ' || data_type || ' ' || is_nullable FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position")?
        .iter()
        .map(|r| r.get(0))
        .collect();
    for r in q(&mut c, "SELECT 'trigger ' || tgname FROM pg_trigger WHERE NOT tgisinternal UNION ALL SELECT 'view ' || viewname FROM pg_views WHERE schemaname = 'public' UNION ALL SELECT 'index ' || indexname FROM pg_indexes WHERE schemaname = 'public'")? {
        shape.push(r.get(0));
    }
    shape.sort();
    let mut rows = 0i64;
    let tables: Vec<String> = q(
        &mut c,
        "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 't%'",
    )?
    .iter()
    .map(|r| r.get(0))
    .collect();
    for t in tables {
        let n: i64 = q(&mut c, &format!("SELECT count(*) FROM \"{t}\""))?[0].get(0);
        rows += n;
    }
    let recorded: i64 = q(&mut c, "SELECT count(*) FROM kit_migrations")?[0].get(0);
    Ok((shape, rows, recorded))
}

/// Checks the PostgreSQL reset databases: the seed rows, the migrations recorded, the
/// triggers and views, and that both routes reach the same schema.
fn check_pg_results(admin_url: &str, project: &ResetProject, notes: &mut Vec<String>) {
    let mut shapes = Vec::new();
    for db in PG_BENCH_DATABASES {
        match pg_reset_shape(&pg::with_dbname(admin_url, db)) {
            Ok((shape, rows, recorded)) => {
                if rows != project.rows as i64 {
                    notes.push(format!("{db}: {rows} seed rows, want {}", project.rows));
                }
                if recorded != project.migrations as i64 {
                    notes.push(format!(
                        "{db}: {recorded} migrations recorded, want {}",
                        project.migrations
                    ));
                }
                let count = |p: &str| shape.iter().filter(|s| s.starts_with(p)).count() as i64;
                if (count("trigger "), count("view ")) != (project.triggers, project.views) {
                    notes.push(format!(
                        "{db}: (triggers, views) = {:?}, want {:?}",
                        (count("trigger "), count("view ")),
                        (project.triggers, project.views)
                    ));
                }
                shapes.push(shape);
            }
            Err(e) => notes.push(format!("{db}: cannot read the result: {e}")),
        }
    }
    if let [a, b] = &shapes[..] {
        if a != b {
            let diff: Vec<&String> = a
                .iter()
                .filter(|x| !b.contains(x))
                .chain(b.iter().filter(|x| !a.contains(x)))
                .take(4)
                .collect();
            notes.push(format!(
                "reset on PostgreSQL: the schema and migrations databases differ, e.g. {diff:?}"
            ));
        }
    }
}

/// kit's own figure from its last stderr line, `... in 123 ms`.
fn reported_ms(log: &Path) -> Option<Duration> {
    let text = fs::read_to_string(log).ok()?;
    let line = text.lines().rev().find(|l| l.contains("kit: reset"))?;
    let ms: u64 = line
        .rsplit_once(" in ")?
        .1
        .trim()
        .strip_suffix(" ms")?
        .parse()
        .ok()?;
    Some(Duration::from_millis(ms))
}

fn bench_reset(env: &Env, dir: &Path, tables: usize, runs: usize) -> ResetFigures {
    let mut f = ResetFigures {
        project: None,
        runs,
        rows: Vec::new(),
        notes: Vec::new(),
        pg_skipped: None,
    };
    let proj = dir.join("reset");
    let t0 = Instant::now();
    let project = match write_reset_project(&proj, tables) {
        Ok(p) => p,
        Err(e) => {
            f.notes.push(format!("could not write the project: {e}"));
            return f;
        }
    };
    eprintln!(
        "bench: reset project: {tables} tables, {} seed rows, {} migrations, written in {}",
        project.rows,
        project.migrations,
        fmt_d(t0.elapsed())
    );
    let kit_reset = |from: &str| {
        let mut c = Command::new(&env.kit);
        c.arg("throwaway-reset")
            .arg("-c")
            .arg(proj.join(format!("{from}.toml")));
        c
    };
    let mut floor = Command::new(&env.me);
    floor
        .args(["--child", "reset-floor"])
        .arg(proj.join("floor.db"))
        .arg(&proj);
    let mut start = Command::new(&env.kit);
    start.arg("--version");
    let mut cmds: Vec<(String, Command, bool)> = vec![
        (
            "`kit throwaway-reset`, `from = \"schema\"`".into(),
            kit_reset("schema"),
            true,
        ),
        (
            "`kit throwaway-reset`, `from = \"migrations\"`".into(),
            kit_reset("migrations"),
            true,
        ),
        (
            "floor: the same files through rusqlite, no kit".into(),
            floor,
            false,
        ),
        ("process start alone: `kit --version`".into(), start, false),
    ];
    let pg_url = match bench_pg() {
        Ok(url) => Some(url),
        Err(why) => {
            eprintln!("bench: reset on PostgreSQL skipped: {why}");
            f.pg_skipped = Some(why);
            None
        }
    };
    if let Some(admin_url) = &pg_url {
        f.notes.push(pg_server_note(admin_url));
        drop_pg_bench_databases(admin_url);
        for (from, db) in ["schema", "migrations"].iter().zip(PG_BENCH_DATABASES) {
            let config = proj.join(format!("pg-{from}.toml"));
            let url = pg::with_dbname(admin_url, db)
                .replace('\\', "\\\\")
                .replace('"', "\\\"");
            let written = fs::write(
                &config,
                format!("database = \"{url}\"\nschema = \"schema.sql\"\nmigrations = \"migrations\"\n\n[throwaway]\nseed = [\"seed.sql\"]\nfrom = \"{from}\"\n"),
            );
            if let Err(e) = written {
                f.notes
                    .push(format!("could not write {}: {e}", config.display()));
                continue;
            }
            let mut c = Command::new(&env.kit);
            c.arg("throwaway-reset").arg("-c").arg(&config);
            cmds.push((
                format!("`kit throwaway-reset` on PostgreSQL, `from = \"{from}\"`"),
                c,
                true,
            ));
        }
        // The floor replays what kit ran, captured once from --echo.
        let echo_log = dir.join("pg-echo.log");
        let mut echo = Command::new(&env.kit);
        echo.arg("throwaway-reset")
            .arg("-c")
            .arg(proj.join("pg-schema.toml"))
            .arg("--echo");
        let sql = proj.join("pg-floor.sql");
        match run_child(&mut echo, &echo_log)
            .and_then(|_| fs::read_to_string(&echo_log).map_err(|e| e.to_string()))
            .and_then(|text| fs::write(&sql, pg_build_sql(&text)).map_err(|e| e.to_string()))
        {
            Ok(()) => {
                let mut floor = Command::new(&env.me);
                floor
                    .args(["--child", "pg-reset-floor", admin_url])
                    .arg(&sql);
                cmds.push((
                    "floor on PostgreSQL: kit's statements in one round trip, no kit".into(),
                    floor,
                    false,
                ));
            }
            Err(e) => f.notes.push(format!("reset on PostgreSQL: no floor: {e}")),
        }
    }
    f.rows = cmds
        .iter()
        .map(|(label, _, _)| ResetRow {
            label: label.clone(),
            walls: Vec::new(),
            inner: Vec::new(),
            rss: 0,
            failed: None,
        })
        .collect();
    let log = dir.join("reset.log");
    // Round 0 is a warm-up (it also creates each database, so that every timed run deletes
    // one first, as in the edit-reset loop); then the variants alternate, rotating who goes first.
    for r in 0..=runs {
        for k in 0..cmds.len() {
            let i = (k + r) % cmds.len();
            if f.rows[i].failed.is_some() {
                continue;
            }
            let (_, cmd, is_kit) = &mut cmds[i];
            match run_child(cmd, &log) {
                Ok(s) => {
                    if r == 0 {
                        continue;
                    }
                    let row = &mut f.rows[i];
                    row.walls.push(s.wall);
                    row.rss = row.rss.max(s.max_rss_kib);
                    let inner = if *is_kit { reported_ms(&log) } else { None };
                    if let Some(d) = inner {
                        row.inner.push(d);
                    }
                    eprintln!(
                        "bench: reset run {r}/{runs}: {:<60} {:>9}{}",
                        row.label,
                        fmt_d(s.wall),
                        inner.map_or(String::new(), |d| format!("  (kit: {})", fmt_d(d)))
                    );
                }
                Err(e) => {
                    eprintln!("bench: reset {}: FAILED: {e}", f.rows[i].label);
                    f.rows[i].failed = Some(e);
                }
            }
        }
    }
    // Check the results: the seed rows are all there, the foreign keys hold, every migration is
    // recorded, and both routes (and the floor) reach the same schema.
    let mut shapes = Vec::new();
    for (from, row) in ["schema", "migrations", "floor"].iter().zip(&f.rows) {
        if row.failed.is_some() {
            continue;
        }
        match reset_shape(&proj.join(format!("{from}.db"))) {
            Ok((shape, rows, recorded, bad)) => {
                if rows != project.rows as i64 {
                    f.notes
                        .push(format!("{from}: {rows} seed rows, want {}", project.rows));
                }
                if recorded != project.migrations as i64 {
                    f.notes.push(format!(
                        "{from}: {recorded} migrations recorded, want {}",
                        project.migrations
                    ));
                }
                if bad != 0 {
                    f.notes
                        .push(format!("{from}: {bad} foreign key violations"));
                }
                let count = |p: &str| shape.iter().filter(|s| s.starts_with(p)).count() as i64;
                let got = (count("index "), count("trigger "), count("view "));
                let want = (project.indexes, project.triggers, project.views);
                if got != want {
                    f.notes.push(format!(
                        "{from}: (indexes, triggers, views) = {got:?}, want {want:?}"
                    ));
                }
                shapes.push((from, shape));
            }
            Err(e) => f.notes.push(format!("{from}: cannot read the result: {e}")),
        }
    }
    if let [(a, sa), rest @ ..] = &shapes[..] {
        for (b, sb) in rest {
            if sa != sb {
                let diff: Vec<&String> = sa
                    .iter()
                    .filter(|x| !sb.contains(x))
                    .chain(sb.iter().filter(|x| !sa.contains(x)))
                    .take(4)
                    .collect();
                f.notes.push(format!(
                    "reset: the {a} and {b} databases differ, e.g. {diff:?}"
                ));
            }
        }
    }
    if let Some(admin_url) = &pg_url {
        if f.rows
            .get(PG_RESET_ROWS..PG_RESET_ROWS + 2)
            .is_some_and(|r| r.iter().all(|r| r.failed.is_none()))
        {
            check_pg_results(admin_url, &project, &mut f.notes);
        }
        drop_pg_bench_databases(admin_url);
    }
    f.project = Some(project);
    let _ = fs::remove_dir_all(&proj);
    f
}

// ---------------------------------------------------------------------------------------------
// Where kit's time goes: one in-process apply, timed statement by statement.
// ---------------------------------------------------------------------------------------------

fn phases(template: &Path, dir: &Path, w: Workload) -> Result<Vec<(String, Duration)>, String> {
    let db = dir.join("phases.db");
    fs::copy(template, &db).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    let t0 = Instant::now();
    let mut conn = kit::open(&db).map_err(|e| e.to_string())?;
    let t1 = Instant::now();
    out.push(("open".to_string(), t1 - t0));
    let plan = kit::plan_sql(&conn, w.sql()).map_err(|e| e.to_string())?;
    let t2 = Instant::now();
    out.push(("parse + plan".to_string(), t2 - t1));
    let mut marks: Vec<(String, Instant)> = Vec::new();
    let mut on_statement = |s: &str| marks.push((shorten(s), Instant::now()));
    let mut observer = kit::apply::Observer {
        on_statement: Some(&mut on_statement),
        ..Default::default()
    };
    kit::apply_observed(&mut conn, &plan, &mut observer).map_err(|e| e.to_string())?;
    drop(observer);
    let t3 = Instant::now();
    let mut prev = (
        "apply: BEGIN, schema_version, preflight checks".to_string(),
        t2,
    );
    for (label, at) in marks {
        out.push((prev.0, at - prev.1));
        prev = (label, at);
    }
    out.push((prev.0, t3 - prev.1));
    // The last mark's span runs to the end of apply: say so.
    if let Some(last) = out.last_mut() {
        last.0 = format!("{} (+ foreign_key_check, COMMIT)", last.0);
    }
    drop(conn);
    out.push(("total (in-process)".to_string(), t3 - t0));
    let _ = fs::remove_file(&db);
    Ok(out)
}

/// The same breakdown for the hand-written baseline.
fn baseline_phases(
    template: &Path,
    dir: &Path,
    w: Workload,
) -> Result<Vec<(String, Duration)>, String> {
    let db = dir.join("phases.db");
    fs::copy(template, &db).map_err(|e| e.to_string())?;
    let t0 = Instant::now();
    let mut conn = Connection::open(&db).map_err(|e| e.to_string())?;
    let mut marks: Vec<(String, Instant)> = vec![("open".to_string(), t0)];
    twelve_step(&mut conn, w, true, &mut |s| {
        marks.push((shorten(s), Instant::now()))
    })
    .map_err(|e| e.to_string())?;
    let end = Instant::now();
    drop(conn);
    let mut out = Vec::new();
    for i in 0..marks.len() {
        let next = marks.get(i + 1).map_or(end, |m| m.1);
        out.push((marks[i].0.clone(), next - marks[i].1));
    }
    out.push(("total (in-process)".to_string(), end - t0));
    let _ = fs::remove_file(&db);
    Ok(out)
}

fn shorten(s: &str) -> String {
    let one: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.chars().count() > 90 {
        format!("{}...", one.chars().take(87).collect::<String>())
    } else {
        one
    }
}

// ---------------------------------------------------------------------------------------------
// Machine facts.
// ---------------------------------------------------------------------------------------------

fn machine() -> String {
    let cpu = fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| "?".into());
    let mem = fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemTotal"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|k| k.parse::<u64>().ok())
        })
        .map(|k| format!("{:.1} GiB", k as f64 / 1048576.0))
        .unwrap_or_else(|| "?".into());
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let load = fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    let rev = Command::new("git")
        .args(["describe", "--always", "--dirty"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "?".into());
    format!(
        "machine: {cpus} CPUs ({cpu}), {mem} RAM, load average {load}; SQLite {} (bundled); kit {rev}",
        rusqlite::version()
    )
}

// ---------------------------------------------------------------------------------------------
// The report's tables.
// ---------------------------------------------------------------------------------------------

fn write_rebuild_table(out: &mut String, runs: usize, peer_names: &[&str], rows: &[String]) {
    let _ = writeln!(
        out,
        "Medians of {runs} alternating runs per variant, each a child process on a fresh copy of the reference database.\n"
    );
    let mut head = "| N | change | kit | baseline | floor | kit/baseline | kit/floor | kit rows/s | kit peak RSS | baseline peak RSS |".to_string();
    let mut rule = "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|".to_string();
    for p in peer_names {
        let _ = write!(head, " {p} (x kit) |");
        rule.push_str("---:|");
    }
    let _ = writeln!(out, "{head}\n{rule}");
    for r in rows {
        let _ = writeln!(out, "{r}");
    }
}

/// PostgreSQL's reset times as a ratio to SQLite's, both measured in this run (or why there
/// are none).
fn write_pg_ratio(out: &mut String, f: &ResetFigures) {
    if let Some(why) = &f.pg_skipped {
        let _ = writeln!(
            out,
            "\nPostgreSQL: not measured in this run ({}).",
            why.lines().next().unwrap_or("")
        );
        return;
    }
    let med = |i: usize| {
        f.rows
            .get(i)
            .filter(|r| r.failed.is_none() && !r.walls.is_empty())
            .map(|r| median(r.walls.clone()))
    };
    for (k, from) in ["schema", "migrations"].iter().enumerate() {
        if let (Some(pg), Some(lite)) = (med(PG_RESET_ROWS + k), med(k)) {
            let _ = writeln!(
                out,
                "{}PostgreSQL / SQLite, `from = \"{from}\"`: {} / {} = **{}x**.",
                if k == 0 { "\n" } else { "" },
                fmt_d(pg),
                fmt_d(lite),
                ratio(Some(pg), Some(lite))
            );
        }
    }
    if let (Some(pg), Some(floor)) = (med(PG_RESET_ROWS), med(PG_RESET_ROWS + 2)) {
        let _ = writeln!(
            out,
            "kit / floor on PostgreSQL, `from = \"schema\"`: {} / {} = {}x.",
            fmt_d(pg),
            fmt_d(floor),
            ratio(Some(pg), Some(floor))
        );
    }
}

/// Issue 4's target for a 150-table throwaway reset.
const RESET_TARGET: Duration = Duration::from_millis(300);

fn write_reset(out: &mut String, f: &ResetFigures, notes: &mut Vec<String>) {
    notes.extend(f.notes.iter().cloned());
    let Some(p) = &f.project else {
        return;
    };
    let _ = writeln!(
        out,
        "\n### Throwaway reset of a {}-table schema with {} seed rows, {} runs each\n",
        p.tables,
        fmt_n(p.rows as u64),
        f.runs
    );
    let _ = writeln!(
        out,
        "{} tables of 4 to 8 columns, {} indexes ({} partial) besides the {} UNIQUE ones, {} triggers, {} views; schema.sql {:.0} KiB, seed.sql {:.0} KiB ({} rows per table), {} migrations recorded. Each run is the whole process, deleting the previous throwaway first; one warm-up round is not counted.\n",
        p.tables,
        p.indexes,
        p.partial,
        p.tables,
        p.triggers,
        p.views,
        p.schema_bytes as f64 / 1024.0,
        p.seed_bytes as f64 / 1024.0,
        RESET_ROWS,
        p.migrations
    );
    let _ = writeln!(
        out,
        "| what | median | min | max | kit's own \"in X ms\", median | peak RSS |\n|---|---:|---:|---:|---:|---:|"
    );
    for r in &f.rows {
        if let Some(e) = &r.failed {
            let _ = writeln!(out, "| {} | failed | | | | |", r.label);
            notes.push(format!("reset: {}: failed: {e}", r.label));
            continue;
        }
        if r.walls.is_empty() {
            continue;
        }
        let inner = if r.inner.is_empty() {
            "-".to_string()
        } else {
            fmt_d(median(r.inner.clone()))
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {inner} | {} |",
            r.label,
            fmt_d(median(r.walls.clone())),
            fmt_d(*r.walls.iter().min().unwrap()),
            fmt_d(*r.walls.iter().max().unwrap()),
            fmt_mib(r.rss)
        );
    }
    write_pg_ratio(out, f);
    if let Some(r) = f
        .rows
        .first()
        .filter(|r| r.failed.is_none() && !r.walls.is_empty())
    {
        let m = median(r.walls.clone());
        let verdict = if m <= RESET_TARGET {
            format!("met, {} under", fmt_d(RESET_TARGET - m))
        } else {
            format!("**missed** by {}", fmt_d(m - RESET_TARGET))
        };
        let _ = writeln!(
            out,
            "\nTarget (issue 4): a {}-table throwaway reset under {}: median {} (`from = \"schema\"`), {verdict}.",
            p.tables,
            fmt_d(RESET_TARGET),
            fmt_d(m)
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Main.
// ---------------------------------------------------------------------------------------------

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() >= 4 && args[1] == "--child" {
        std::process::exit(child_main(
            &args[2],
            Path::new(&args[3]),
            args.get(4).map(String::as_str),
        ));
    }
    // `cargo bench` passes `--bench` (and maybe a filter): nothing to do with them.

    let ns: Vec<u64> = env_or("KIT_BENCH_N", "100k,1M,4M")
        .split(',')
        .map(|s| parse_n(s).unwrap_or_else(|| panic!("KIT_BENCH_N: cannot read {s:?}")))
        .collect();
    let runs: usize = env_or("KIT_BENCH_RUNS", "5")
        .parse()
        .expect("KIT_BENCH_RUNS");
    let runs = runs.max(1);
    let plan_tables: usize = env_or("KIT_BENCH_PLAN_TABLES", "2000")
        .parse()
        .expect("KIT_BENCH_PLAN_TABLES");
    let reset_tables: usize = env_or("KIT_BENCH_RESET_TABLES", "150")
        .parse()
        .expect("KIT_BENCH_RESET_TABLES");
    let reset_runs: usize = env_or("KIT_BENCH_RESET_RUNS", "15")
        .parse()
        .expect("KIT_BENCH_RESET_RUNS");
    let reset_runs = reset_runs.max(1);
    let only: Vec<String> = env_or("KIT_BENCH_ONLY", "rebuild,planning,reset")
        .split(',')
        .map(|s| s.trim().to_ascii_lowercase())
        .collect();
    for o in &only {
        assert!(
            ["rebuild", "planning", "reset"].contains(&o.as_str()),
            "KIT_BENCH_ONLY: unknown section {o:?} (rebuild, planning, reset)"
        );
    }
    let section = |name: &str| only.iter().any(|o| o == name);
    let ns = if section("rebuild") { ns } else { Vec::new() };
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let venv_python = manifest.join("target/bench-venv/bin/python");
    let env = Env {
        kit: std::env::var_os("KIT_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_kit"))),
        me: std::env::current_exe().expect("current_exe"),
        python: std::env::var_os("KIT_BENCH_PYTHON")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                if venv_python.exists() {
                    venv_python
                } else {
                    PathBuf::from("python3")
                }
            }),
        peers_py: manifest.join("bench/peers.py"),
    };
    let mut notes: Vec<String> = Vec::new();
    let header = machine();
    eprintln!("bench: {header}");
    eprintln!("bench: kit binary {}", env.kit.display());

    let parent = std::env::var_os("KIT_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let tmp = tempfile::Builder::new()
        .prefix("kit-bench-")
        .tempdir_in(&parent)
        .expect("temporary directory");
    let dir = tmp.path();

    // Peers, when installed.
    let mut variants = vec![
        Variant {
            name: "kit",
            runner: Runner::Kit,
        },
        Variant {
            name: "baseline",
            runner: Runner::Harness(""),
        },
        Variant {
            name: "floor",
            runner: Runner::Harness(""),
        },
    ];
    let mut peer_names: Vec<&'static str> = Vec::new();
    if !section("rebuild") {
        // Nothing to compare the peers with.
    } else if env_or("KIT_BENCH_PEERS", "1") != "0" {
        for (tool, label) in [
            ("alembic", "alembic batch"),
            ("sqlite-utils", "sqlite-utils transform"),
        ] {
            let ok = Command::new(&env.python)
                .arg(&env.peers_py)
                .arg("--check")
                .arg(tool)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if ok {
                variants.push(Variant {
                    name: label,
                    runner: Runner::Peer(tool),
                });
                peer_names.push(label);
                // Interpreter start + imports, which every peer run pays.
                let mut cmd = Command::new(&env.python);
                cmd.arg(&env.peers_py).arg(tool).arg("noop").arg("-");
                let mut t = Vec::new();
                for _ in 0..3 {
                    if let Ok(s) = run_child(&mut cmd, &dir.join("peer.log")) {
                        t.push(s.wall);
                    }
                }
                if !t.is_empty() {
                    notes.push(format!(
                        "{label}: Python start + imports alone take {} (included in its times)",
                        fmt_d(median(t))
                    ));
                }
            } else {
                notes.push(format!(
                    "{label}: skipped, not installed for {} (bash bench/setup-peers.sh installs bench/requirements.txt)",
                    env.python.display()
                ));
            }
        }
    } else {
        notes.push("peers skipped (KIT_BENCH_PEERS=0)".into());
    }

    let mut rows_out: Vec<String> = Vec::new();
    let mut phase_out: Vec<String> = Vec::new();
    let run_db = dir.join("run.db");
    let log = dir.join("child.log");
    let mut templates: Vec<(u64, PathBuf)> = Vec::new();
    for &n in &ns {
        let template = dir.join(format!("ref-{n}.db"));
        let t0 = Instant::now();
        let mut cmd = Command::new(&env.me);
        cmd.args(["--child", "build"])
            .arg(&template)
            .arg(n.to_string());
        if let Err(e) = run_child(&mut cmd, &dir.join("build.log")) {
            panic!("building the reference workload: {e}");
        }
        let size = fs::metadata(&template).map(|m| m.len()).unwrap_or(0);
        let expect = fingerprint(&Connection::open(&template).unwrap()).unwrap();
        eprintln!(
            "bench: N={}: reference database {:.1} MiB built in {}",
            fmt_n(n),
            size as f64 / 1048576.0,
            fmt_d(t0.elapsed())
        );
        for w in [Workload::W1, Workload::W2] {
            let vs: Vec<Variant> = variants
                .iter()
                .cloned()
                .map(|mut v| {
                    if let Runner::Harness(_) = v.runner {
                        v.runner = Runner::Harness(match (w, v.name) {
                            (Workload::W1, "baseline") => "w1-baseline",
                            (Workload::W1, _) => "w1-floor",
                            (Workload::W2, "baseline") => "w2-baseline",
                            (Workload::W2, _) => "w2-floor",
                        });
                    }
                    v
                })
                .collect();
            let mut measured: Vec<Measured> = vs
                .iter()
                .map(|_| Measured {
                    samples: Vec::new(),
                    failed: None,
                    problems: Vec::new(),
                })
                .collect();
            for r in 0..runs {
                // Alternate, and rotate who goes first, so drift and cache state are shared.
                for k in 0..vs.len() {
                    let i = (k + r) % vs.len();
                    if measured[i].failed.is_some() {
                        continue;
                    }
                    let _ = fs::remove_file(&run_db);
                    fs::copy(&template, &run_db).expect("copying the reference database");
                    let res = run_child(&mut vs[i].command(&env, w, &run_db), &log);
                    match res {
                        Ok(s) => {
                            eprintln!(
                                "bench: N={} {} run {}/{runs}: {:<22} {:>9}  {}",
                                fmt_n(n),
                                w.label(),
                                r + 1,
                                vs[i].name,
                                fmt_d(s.wall),
                                fmt_mib(s.max_rss_kib)
                            );
                            measured[i].samples.push(s);
                            if r == 0 {
                                measured[i].problems = verify(&run_db, w, expect, n);
                            }
                        }
                        Err(e) => {
                            eprintln!(
                                "bench: N={} {} {}: FAILED: {e}",
                                fmt_n(n),
                                w.label(),
                                vs[i].name
                            );
                            measured[i].failed = Some(e);
                        }
                    }
                    let _ = fs::remove_file(&run_db);
                    let _ = fs::remove_file(dir.join("run.db-journal"));
                }
            }
            let med: Vec<Option<Duration>> = measured.iter().map(Measured::median).collect();
            let mut row = format!(
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                fmt_n(n),
                w.label(),
                fmt_opt(med[0], &measured[0]),
                fmt_opt(med[1], &measured[1]),
                fmt_opt(med[2], &measured[2]),
                ratio(med[0], med[1]),
                ratio(med[0], med[2]),
                med[0].map_or("-".into(), |d| fmt_rate(n, d)),
                measured[0].peak_rss().map_or("-".into(), fmt_mib),
                measured[1].peak_rss().map_or("-".into(), fmt_mib),
            );
            for (i, _) in peer_names.iter().enumerate() {
                let k = 3 + i;
                let cell = match med[k] {
                    Some(d) => format!("{} ({}x)", fmt_d(d), ratio(Some(d), med[0])),
                    None => fmt_opt(None, &measured[k]),
                };
                let _ = write!(row, " {cell} |");
            }
            rows_out.push(row);
            for (v, m) in vs.iter().zip(&measured) {
                if let Some(e) = &m.failed {
                    notes.push(format!(
                        "N={} {} {}: failed: {e}",
                        fmt_n(n),
                        w.label(),
                        v.name
                    ));
                }
                if !m.problems.is_empty() {
                    notes.push(format!(
                        "N={} {} {}: result differs from the expected schema: {}",
                        fmt_n(n),
                        w.label(),
                        v.name,
                        m.problems.join("; ")
                    ));
                }
            }
        }
        templates.push((n, template));
    }
    let harness_rss = HARNESS_RSS_KIB.load(std::sync::atomic::Ordering::Relaxed);

    // In-process parts last, so that the harness stays small while it spawns the runs.
    if env_or("KIT_BENCH_PHASES", "1") != "0" {
        for (n, template) in &templates {
            let n = *n;
            for w in [Workload::W1, Workload::W2] {
                for (who, res) in [
                    ("kit", phases(template, dir, w)),
                    ("baseline", baseline_phases(template, dir, w)),
                ] {
                    match res {
                        Ok(ph) => {
                            let total = ph.last().map(|p| p.1).unwrap_or_default();
                            phase_out.push(format!(
                                "\n#### N = {}, {}: where the {who}'s time goes (one in-process run, total {})\n\n| step | time | share |\n|---|---:|---:|",
                                fmt_n(n),
                                w.label(),
                                fmt_d(total)
                            ));
                            for (label, d) in &ph[..ph.len() - 1] {
                                phase_out.push(format!(
                                    "| `{}` | {} | {:.0}% |",
                                    label.replace('|', "\\|"),
                                    fmt_d(*d),
                                    100.0 * d.as_secs_f64() / total.as_secs_f64()
                                ));
                            }
                        }
                        Err(e) => notes.push(format!(
                            "N={} {} {who}: in-process breakdown failed: {e}",
                            fmt_n(n),
                            w.label()
                        )),
                    }
                }
            }
        }
    }
    for (_, t) in &templates {
        let _ = fs::remove_file(t);
    }
    let planning = if plan_tables > 0 && section("planning") {
        Some(bench_planning(&env, dir, plan_tables, runs))
    } else {
        None
    };

    let has_reset = Command::new(&env.kit)
        .arg("--help")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("throwaway-reset"));
    let reset = if reset_tables > 0 && section("reset") && has_reset {
        Some(bench_reset(&env, dir, reset_tables, reset_runs))
    } else {
        None
    };

    // The report.
    let mut out = String::new();
    let _ = writeln!(out, "## kit rebuild benchmark\n\n{header}\n");
    if !rows_out.is_empty() {
        write_rebuild_table(&mut out, runs, &peer_names, &rows_out);
    }
    if let Some(r) = &reset {
        write_reset(&mut out, r, &mut notes);
    }
    if let Some(p) = &planning {
        let _ = writeln!(
            out,
            "\n### Planning W1 on a {}-table schema ({} schema objects), median of {runs}\n",
            p.tables, p.objects
        );
        let _ = writeln!(out, "| what | median |\n|---|---:|");
        let cell = |d: Option<Duration>| d.map_or("-".to_string(), fmt_d);
        let _ = writeln!(
            out,
            "| `kit::plan_sql` (read + plan, in-process) | {} |",
            cell(p.plan)
        );
        let _ = writeln!(
            out,
            "| `kit::open` + `kit::plan_sql` | {} |",
            cell(p.open_plan)
        );
        let _ = writeln!(
            out,
            "| `kit rebuild --dry-run` (whole process) | {} |",
            cell(p.dry_run)
        );
        let _ = writeln!(
            out,
            "| for reference: `kit::read_schema` of every object | {} |",
            cell(p.read_schema)
        );
        let _ = writeln!(
            out,
            "| for reference: `kit::sqlite::read::shadow_copy` of every object | {} |",
            cell(p.shadow_copy)
        );
        if let Some(n) = &p.note {
            notes.push(format!("planning: {n}"));
        }
    }
    if let Ok(extra) = std::env::var("KIT_BENCH_BASELINE_PRAGMAS") {
        notes.push(format!(
            "baseline and floor ran with KIT_BENCH_BASELINE_PRAGMAS=`{extra}` (an experiment, not the reference settings)"
        ));
    }
    if !rows_out.is_empty() {
        notes.push(format!(
            "peak RSS is the child's ru_maxrss (wait4), which on Linux starts from the RSS of the harness at spawn: at most {} here, so small figures are upper bounds",
            fmt_mib(harness_rss)
        ));
    }
    if !has_reset {
        notes
            .push("throwaway-reset (150 tables): not measured, kit has no such command yet".into());
    }
    for p in &phase_out {
        let _ = writeln!(out, "{p}");
    }
    if !notes.is_empty() {
        let _ = writeln!(out, "\n### Notes\n");
        for n in &notes {
            let _ = writeln!(out, "- {n}");
        }
    }
    print!("{out}");
}
