//! Fault injection (issue 8, items 12 and 14), after SQLite's own ioerr, full-disk and crash
//! tests. A test VFS (`common/faultvfs.rs`) fails the Nth write, sync or truncate; each sweep
//! runs an operation with N = 1, 2, ... until it completes without reaching N, in
//! rollback-journal (DELETE) and WAL mode, failing once (a transient error), from N on (a disk
//! that stays broken) and with SQLITE_FULL from the Nth write on (a full disk). After every
//! fault the database must be exactly the old or the new state with `integrity_check` ok, and
//! an error that does not say the outcome is uncertain must mean the old state, readable at
//! once by a read-only reader (no hot journal left behind).
//!
//! `kill_sweep` runs the `kit` binary and SIGKILLs it after random delays
//! (`KIT_FAULT_KILLS=n` kills per operation and mode, default 3; `KIT_FAULT_SEED` fixes the
//! delays). `KIT_FAULT_STATS=1` prints the counts.

mod common;
#[path = "common/faultvfs.rs"]
mod faultvfs;

use common::Snapshot;
use faultvfs::{Fault, Kind};
use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------------
// Fixtures

/// A parent with an AUTOINCREMENT key, a unique index, a trigger and a view, and an FK child.
/// `default_cache_size = 8` makes SQLite spill changed pages to the file before COMMIT, so the
/// faults also hit a main file that is already modified.
const BASE: &str = "
PRAGMA default_cache_size = 8;
CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL, age INTEGER, note TEXT);
CREATE UNIQUE INDEX users_email ON users(email);
CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE, total REAL);
CREATE INDEX orders_user ON orders(user_id);
CREATE TRIGGER users_touch AFTER UPDATE OF email ON users BEGIN UPDATE orders SET total = total WHERE user_id = NEW.id; END;
CREATE VIEW adults AS SELECT email, age FROM users WHERE age >= 18;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
INSERT INTO users (email, age, note) SELECT 'u' || i || '@x', i % 90, printf('%.200c', 'x') FROM n;
INSERT INTO orders (user_id, total) SELECT id, id * 1.5 FROM users WHERE id % 3 = 0;
";

/// The rebuild: a type change rebuilds `users` (index, trigger, view and child kept).
const REBUILD: &str = "ALTER TABLE users ALTER COLUMN age TYPE TEXT";

const MIGRATIONS: [(&str, &str, &str); 3] = [
    (
        "0001_tags.sql",
        "CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\nCREATE INDEX tags_name ON tags(name);\nINSERT INTO tags (name) SELECT email FROM users WHERE id <= 50;",
        "DROP TABLE tags;",
    ),
    (
        "0002_age_text.sql",
        "ALTER TABLE users ALTER COLUMN age TYPE TEXT;",
        "ALTER TABLE users ALTER COLUMN age TYPE INTEGER;",
    ),
    (
        "0003_paid.sql",
        "UPDATE users SET note = 'n' WHERE id % 2 = 0;\nALTER TABLE orders ADD COLUMN paid INTEGER NOT NULL DEFAULT 0;",
        "ALTER TABLE orders DROP COLUMN paid;",
    ),
];

const SCHEMA_OLD: &str = "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n";
const SCHEMA_NEW: &str =
    "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL);
CREATE INDEX items_name ON items(name);
CREATE TABLE sales (id INTEGER PRIMARY KEY, item_id INTEGER REFERENCES items(id), qty INTEGER);
";
const SEED: &str = "INSERT INTO items (name) VALUES ('a'), ('b'), ('c');\n";

#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    Delete,
    Wal,
}

/// A scratch directory with `app.db` made from `BASE` in `mode`, and the migration files.
struct Case {
    dir: tempfile::TempDir,
}

impl Case {
    fn new(template: &Path) -> Case {
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(template, dir.path().join("app.db")).unwrap();
        let m = dir.path().join("migrations");
        std::fs::create_dir(&m).unwrap();
        for (f, up, down) in MIGRATIONS {
            std::fs::write(m.join(f), format!("-- kit:up\n{up}\n-- kit:down\n{down}\n")).unwrap();
        }
        Case { dir }
    }

    fn db(&self) -> PathBuf {
        self.dir.path().join("app.db")
    }

    fn migrations(&self) -> PathBuf {
        self.dir.path().join("migrations")
    }
}

/// The template database of a mode, made once per test.
fn template(mode: Mode) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let c = Connection::open(dir.path().join("app.db")).unwrap();
    if mode == Mode::Wal {
        c.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
            .unwrap();
    }
    c.execute_batch(BASE).unwrap();
    drop(c);
    dir
}

/// Schema and rows, without the times kit records (`applied_at`, `created_at`).
fn state(c: &Connection) -> Snapshot {
    let mut s = common::snapshot(c);
    for (table, rows) in &mut s.rows {
        if table == "kit_migrations" {
            rows.iter_mut().for_each(|r| {
                r.pop();
            });
        } else if table == "kit_throwaway" {
            rows.iter_mut().for_each(|r| {
                r[1] = Value::Null;
                r[2] = Value::Null;
            });
        }
    }
    s
}

fn integrity(c: &Connection) -> Vec<String> {
    c.prepare("PRAGMA integrity_check")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Opens `path` read-write (rolling back a hot journal), checks integrity, returns the state.
fn settled_state(path: &Path) -> Snapshot {
    let c = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE).unwrap();
    assert_eq!(
        integrity(&c),
        ["ok"],
        "integrity_check of {}",
        path.display()
    );
    state(&c)
}

/// The state a read-only reader sees right now (it cannot roll back a hot journal).
fn read_only_state(path: &Path) -> Result<Snapshot, String> {
    let c = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| e.to_string())?;
    let probe: Result<i64, _> = c.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0));
    probe.map_err(|e| e.to_string())?;
    Ok(state(&c))
}

/// Names the state `s` is among `states` (0 is the old one, the last the new one).
fn which(states: &[Snapshot], s: &Snapshot) -> String {
    match states.iter().position(|x| x == s) {
        Some(0) => "in the old state".into(),
        Some(i) if i == states.len() - 1 => "in the new state".into(),
        Some(i) => format!("in intermediate state {i}"),
        None => format!(
            "in none of the expected states ({} objects)",
            s.schema.len()
        ),
    }
}

/// True when an error message says the outcome is not known to be "unchanged".
fn says_uncertain(msg: &str) -> bool {
    let m = msg.to_lowercase();
    m.contains("outcome is unknown") || m.contains("may not be unchanged")
}

// ---------------------------------------------------------------------------------------------
// The sweep

/// What an operation left: the connection it used (closed after the check) and its result.
type Outcome = (Option<Connection>, kit::Result<()>);

/// One operation under test: `run` does it on a fresh case and hands back the connection it
/// used (if any) so it can be closed after the check; `states[0]` is the old state, the last
/// the new one; a certain error may leave any but the last (a run of migrations commits in
/// parts).
struct Operation<'a> {
    name: &'a str,
    fresh: &'a dyn Fn() -> Case,
    run: &'a dyn Fn(&Case) -> Outcome,
    states: Vec<Snapshot>,
    after: &'a dyn Fn(&Case),
}

#[derive(Default, Debug)]
struct Counts {
    points: u64,
    errors: u64,
    uncertain: u64,
    ok_after_fault: u64,
}

fn sweep(op: &Operation, kind: Kind, persistent: bool, mode: Mode) -> Counts {
    let mut counts = Counts::default();
    let old_len = op.states.len() - 1;
    for n in 1.. {
        let case = (op.fresh)();
        let db = case.db();
        faultvfs::arm(Fault {
            n,
            persistent,
            kind,
        });
        let (conn, result) = (op.run)(&case);
        faultvfs::pause();
        let what = format!(
            "{} ({mode:?}, {kind:?}, persistent {persistent}), fault at call {n}",
            op.name
        );
        let certain_old = match &result {
            Err(e) if !says_uncertain(&e.to_string()) => {
                // An error that does not say otherwise means unchanged, right now: a read-only
                // reader sees an earlier state, so no hot journal is left to roll back.
                let seen = read_only_state(&db).unwrap_or_else(|e2| {
                    panic!("{what}: kit said `{e}` but a read-only reader fails: {e2}")
                });
                assert!(
                    op.states[..old_len].contains(&seen),
                    "{what}: kit said `{e}` but the database is {}",
                    which(&op.states, &seen)
                );
                Some(seen)
            }
            _ => None,
        };
        faultvfs::resume();
        drop(conn);
        let report = faultvfs::disarm();
        if !report.fired {
            result.unwrap_or_else(|e| panic!("{what}: no fault fired, yet: {e}"));
            let now = settled_state(&db);
            assert!(
                now == op.states[old_len],
                "{what}: {}",
                which(&op.states, &now)
            );
            break;
        }
        counts.points += 1;
        let now = settled_state(&db);
        match &result {
            Ok(()) => {
                counts.ok_after_fault += 1;
                assert!(
                    now == op.states[old_len],
                    "{what}: Ok, yet the database is {}",
                    which(&op.states, &now)
                );
            }
            Err(e) if says_uncertain(&e.to_string()) => {
                counts.uncertain += 1;
                let m = e.to_string();
                assert!(
                    m.contains("kit current") || m.contains("quick_check"),
                    "{what}: an uncertain outcome says how to find out: {m}"
                );
                assert!(
                    op.states.contains(&now),
                    "{what}: `{m}`, and the database is {}",
                    which(&op.states, &now)
                );
            }
            Err(e) => {
                counts.errors += 1;
                assert!(
                    Some(&now) == certain_old.as_ref(),
                    "{what}: kit said `{e}`, and after closing and reopening the database is {}",
                    which(&op.states, &now)
                );
            }
        }
        (op.after)(&case);
    }
    counts
}

fn stats() -> bool {
    std::env::var("KIT_FAULT_STATS").is_ok()
}

fn sweep_all(op: &Operation, mode: Mode) -> u64 {
    let mut total = 0;
    for (kind, persistent) in [
        (Kind::IoErr, false),
        (Kind::IoErr, true),
        (Kind::Full, true),
    ] {
        let c = sweep(op, kind, persistent, mode);
        if stats() {
            eprintln!(
                "faults: {} {mode:?} {kind:?} persistent={persistent}: {} points, {} errors, {} uncertain, {} ok",
                op.name, c.points, c.errors, c.uncertain, c.ok_after_fault
            );
        }
        assert!(c.points > 0, "{}: no fault point reached", op.name);
        total += c.points;
    }
    total
}

fn open_kit(case: &Case) -> kit::Result<Connection> {
    kit::open(&case.db())
}

fn nothing(_: &Case) {}

// ---------------------------------------------------------------------------------------------
// Rebuild and upgrade

fn rebuild_in(mode: Mode) -> u64 {
    let t = template(mode);
    let tpl = t.path().join("app.db");
    let fresh = || Case::new(&tpl);
    let run = |c: &Case| -> Outcome {
        match open_kit(c) {
            Err(e) => (None, Err(e)),
            Ok(mut conn) => {
                let r = kit::run_sql(&mut conn, REBUILD).map(|_| ());
                (Some(conn), r)
            }
        }
    };
    let old = settled_state(&tpl);
    let new = {
        let c = fresh();
        let (conn, r) = run(&c);
        r.unwrap();
        drop(conn);
        settled_state(&c.db())
    };
    assert_ne!(old, new);
    sweep_all(
        &Operation {
            name: "rebuild",
            fresh: &fresh,
            run: &run,
            states: vec![old, new],
            after: &nothing,
        },
        mode,
    )
}

fn upgrade_in(mode: Mode) -> u64 {
    let t = template(mode);
    let tpl = t.path().join("app.db");
    let fresh = || Case::new(&tpl);
    let upgrade_to = |c: &Case, to: &str| -> Outcome {
        match open_kit(c) {
            Err(e) => (None, Err(e)),
            Ok(mut conn) => {
                let r = kit::migrate::upgrade(&mut conn, &c.migrations(), to).map(|_| ());
                (Some(conn), r)
            }
        }
    };
    let mut states = vec![settled_state(&tpl)];
    for to in ["0001", "0002", "head"] {
        let c = fresh();
        let (conn, r) = upgrade_to(&c, to);
        r.unwrap();
        drop(conn);
        states.push(settled_state(&c.db()));
    }
    let run = |c: &Case| upgrade_to(c, "head");
    // After any fault the history matches the schema: the states above are the only ones.
    sweep_all(
        &Operation {
            name: "upgrade",
            fresh: &fresh,
            run: &run,
            states,
            after: &nothing,
        },
        mode,
    )
}

#[test]
fn rebuild_under_faults_rollback_journal() {
    let n = rebuild_in(Mode::Delete);
    eprintln!("faults: rebuild DELETE: {n} fault points");
}

#[test]
fn rebuild_under_faults_wal() {
    let n = rebuild_in(Mode::Wal);
    eprintln!("faults: rebuild WAL: {n} fault points");
}

#[test]
fn upgrade_under_faults_rollback_journal() {
    let n = upgrade_in(Mode::Delete);
    eprintln!("faults: upgrade DELETE: {n} fault points");
}

#[test]
fn upgrade_under_faults_wal() {
    let n = upgrade_in(Mode::Wal);
    eprintln!("faults: upgrade WAL: {n} fault points");
}

// ---------------------------------------------------------------------------------------------
// Throwaway reset

fn reset_case(mode: Mode) -> Case {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::write(
        p.join("temp.toml"),
        "database = \"temp.db\"\n[throwaway]\nseed = [\"seed.sql\"]\n",
    )
    .unwrap();
    std::fs::write(p.join("schema.sql"), SCHEMA_OLD).unwrap();
    std::fs::write(p.join("seed.sql"), SEED).unwrap();
    let cfg = kit::config::Config::load(&p.join("temp.toml"), None).unwrap();
    kit::throwaway::reset(&cfg, false, None).unwrap();
    if mode == Mode::Wal {
        let c = Connection::open(p.join("temp.db")).unwrap();
        c.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
            .unwrap();
    }
    std::fs::write(p.join("schema.sql"), SCHEMA_NEW).unwrap();
    Case { dir }
}

fn reset_of(c: &Case) -> kit::Result<()> {
    let cfg = kit::config::Config::load(&c.dir.path().join("temp.toml"), None)?;
    kit::throwaway::reset(&cfg, false, None).map(|_| ())
}

fn reset_in(mode: Mode) -> u64 {
    let old = settled_state(&reset_case(mode).dir.path().join("temp.db"));
    let new = {
        let c = reset_case(mode);
        reset_of(&c).unwrap();
        settled_state(&c.dir.path().join("temp.db"))
    };
    assert_ne!(old, new);
    // `Case::db` is app.db; the reset's database is temp.db: point the checks there.
    let fresh = || {
        let c = reset_case(mode);
        std::fs::rename(c.dir.path().join("temp.db"), c.dir.path().join("app.db")).unwrap();
        for s in ["-wal", "-shm"] {
            let _ = std::fs::rename(
                c.dir.path().join(format!("temp.db{s}")),
                c.dir.path().join(format!("app.db{s}")),
            );
        }
        std::fs::write(
            c.dir.path().join("temp.toml"),
            "database = \"app.db\"\n[throwaway]\nseed = [\"seed.sql\"]\n",
        )
        .unwrap();
        c
    };
    let run = |c: &Case| (None, reset_of(c));
    // After a fault nothing is left over that breaks the next reset.
    let after = |c: &Case| {
        assert!(
            !c.dir.path().join("app.db.kit-new").exists(),
            ".kit-new left behind"
        );
        reset_of(c).unwrap_or_else(|e| panic!("the next reset fails: {e}"));
        let now = settled_state(&c.db());
        assert!(
            now.schema.iter().any(|o| o.1 == "sales"),
            "the next reset gives the new schema"
        );
    };
    sweep_all(
        &Operation {
            name: "throwaway-reset",
            fresh: &fresh,
            run: &run,
            states: vec![old, new],
            after: &after,
        },
        mode,
    )
}

#[test]
fn throwaway_reset_under_faults_rollback_journal() {
    let n = reset_in(Mode::Delete);
    eprintln!("faults: throwaway-reset DELETE: {n} fault points");
}

#[test]
fn throwaway_reset_under_faults_wal() {
    let n = reset_in(Mode::Wal);
    eprintln!("faults: throwaway-reset WAL: {n} fault points");
}

// ---------------------------------------------------------------------------------------------
// kill -9 at random moments

/// A xorshift generator: reproducible delays without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

const BIG: &str = "
CREATE TABLE big (id INTEGER PRIMARY KEY, k TEXT NOT NULL, v INTEGER, pad TEXT);
CREATE INDEX big_k ON big(k);
CREATE TABLE child (id INTEGER PRIMARY KEY, big_id INTEGER REFERENCES big(id));
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50000)
INSERT INTO big (k, v, pad) SELECT 'k' || i, i, printf('%.60c', 'p') FROM n;
INSERT INTO child (big_id) SELECT id FROM big WHERE id % 10 = 0;
";

fn kill_args(op: &str, dir: &Path) -> Vec<String> {
    let db = dir.join("app.db").display().to_string();
    match op {
        "rebuild" => vec![
            "rebuild".into(),
            "--db".into(),
            db,
            "--quiet".into(),
            "--sql".into(),
            "ALTER TABLE big ALTER COLUMN v TYPE TEXT; ALTER TABLE big DROP COLUMN pad".into(),
        ],
        _ => vec![
            "upgrade".into(),
            "--db".into(),
            db,
            "-c".into(),
            dir.join("kit.toml").display().to_string(),
        ],
    }
}

fn kill_fixture(template: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(template, dir.path().join("app.db")).unwrap();
    std::fs::write(dir.path().join("kit.toml"), "database = \"app.db\"\n").unwrap();
    let m = dir.path().join("migrations");
    std::fs::create_dir(&m).unwrap();
    std::fs::write(
        m.join("0001_kv.sql"),
        "-- kit:up\nALTER TABLE big ALTER COLUMN v TYPE TEXT;\nCREATE INDEX big_v ON big(v);\n-- kit:down\nDROP INDEX big_v;\nALTER TABLE big ALTER COLUMN v TYPE INTEGER;\n",
    )
    .unwrap();
    std::fs::write(
        m.join("0002_pad.sql"),
        "-- kit:up\nUPDATE big SET pad = NULL WHERE id % 2 = 0;\nALTER TABLE big DROP COLUMN pad;\n-- kit:down\nALTER TABLE big ADD COLUMN pad TEXT;\n",
    )
    .unwrap();
    dir
}

fn kit_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_kit"))
}

#[test]
fn kill_sweep() {
    let kills: u64 = std::env::var("KIT_FAULT_KILLS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let seed: u64 = std::env::var("KIT_FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    eprintln!("kill_sweep: KIT_FAULT_SEED={seed}");
    let mut rng = Rng(seed);
    let mut done = 0;
    let mut between = 0;
    for mode in [Mode::Delete, Mode::Wal] {
        let t = tempfile::tempdir().unwrap();
        let tpl = t.path().join("app.db");
        let c = Connection::open(&tpl).unwrap();
        if mode == Mode::Wal {
            c.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
                .unwrap();
        }
        c.execute_batch(BIG).unwrap();
        drop(c);
        let old = settled_state(&tpl);
        for op in ["rebuild", "upgrade"] {
            // The reference outcomes: every state a run may leave, and how long a run takes.
            let mut states = vec![old.clone()];
            let started = Instant::now();
            let f = kill_fixture(&tpl);
            if op == "upgrade" {
                let mut a = kill_args(op, f.path());
                a.push("0001".into());
                let o = std::process::Command::new(kit_bin())
                    .args(&a)
                    .output()
                    .unwrap();
                assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
                states.push(settled_state(&f.path().join("app.db")));
            }
            let o = std::process::Command::new(kit_bin())
                .args(kill_args(op, f.path()))
                .output()
                .unwrap();
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            let took = started.elapsed();
            states.push(settled_state(&f.path().join("app.db")));
            for _ in 0..kills {
                let f = kill_fixture(&tpl);
                let delay = Duration::from_micros(rng.next() % (took.as_micros() as u64 + 1));
                let mut child = std::process::Command::new(kit_bin())
                    .args(kill_args(op, f.path()))
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .spawn()
                    .unwrap();
                std::thread::sleep(delay);
                // SAFETY: signalling our own child process by its id.
                unsafe {
                    libc::kill(child.id() as i32, libc::SIGKILL);
                }
                let status = child.wait().unwrap();
                done += 1;
                let now = settled_state(&f.path().join("app.db"));
                let at = states.iter().position(|s| *s == now).unwrap_or_else(|| {
                    panic!(
                        "{op} ({mode:?}) killed after {delay:?} ({status}): {}",
                        which(&states, &now)
                    )
                });
                if at != 0 && at != states.len() - 1 {
                    between += 1;
                }
            }
        }
    }
    eprintln!("kill_sweep: {done} kills, {between} between two migrations");
}

// ---------------------------------------------------------------------------------------------
// A corrupt database (item 13)

/// A database whose `junk` table has a leaf page with two pointers to one cell: nothing kit's
/// change touches reads it, so only an integrity check notices.
fn corrupt_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.db");
    let c = Connection::open(&db).unwrap();
    c.execute_batch(
        "CREATE TABLE keep (id INTEGER PRIMARY KEY, x TEXT);
         INSERT INTO keep (x) VALUES ('a'), ('b');
         CREATE TABLE junk (id INTEGER PRIMARY KEY, pad TEXT);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
         INSERT INTO junk (pad) SELECT printf('%.100c', 'j') FROM n;",
    )
    .unwrap();
    let page: i64 = c
        .query_row(
            "SELECT pageno FROM dbstat WHERE name = 'junk' AND pagetype = 'leaf' LIMIT 1 OFFSET 3",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let size: i64 = c.query_row("PRAGMA page_size", [], |r| r.get(0)).unwrap();
    drop(c);
    let mut bytes = std::fs::read(&db).unwrap();
    let at = ((page - 1) * size) as usize;
    // The first cell pointer now points at the second cell: rowids out of order.
    bytes[at + 8] = bytes[at + 10];
    bytes[at + 9] = bytes[at + 11];
    std::fs::write(&db, bytes).unwrap();
    std::fs::write(dir.path().join("kit.toml"), "database = \"app.db\"\n").unwrap();
    std::fs::create_dir(dir.path().join("migrations")).unwrap();
    std::fs::write(
        dir.path().join("migrations/0001_t2.sql"),
        "-- kit:up\nCREATE TABLE t2 (x);\nALTER TABLE keep ADD COLUMN y TEXT;\n-- kit:down\nDROP TABLE t2;\nALTER TABLE keep DROP COLUMN y;\n",
    )
    .unwrap();
    dir
}

#[test]
fn a_corrupt_database_is_refused_with_sqlites_findings() {
    let dir = corrupt_project();
    let db = dir.path().join("app.db");
    let before = std::fs::read(&db).unwrap();
    let runs: [&[&str]; 3] = [
        &["upgrade", "-c", "kit.toml"],
        &[
            "rebuild",
            "--db",
            "app.db",
            "--sql",
            "ALTER TABLE keep ALTER COLUMN x TYPE INTEGER",
        ],
        &[
            "rebuild",
            "--db",
            "app.db",
            "--sql",
            "ALTER TABLE keep ADD COLUMN z TEXT",
        ],
    ];
    for args in runs {
        let out = common::run(common::kit().current_dir(dir.path()).args(args));
        out.assert_code(1);
        out.assert_stderr_has(&["corrupt", "quick_check", "out of order", "page", "backup"]);
        assert_eq!(
            std::fs::read(&db).unwrap(),
            before,
            "kit {args:?} changed the file"
        );
        assert!(!dir.path().join("app.db-journal").exists());
    }
    // The library refuses too, before writing anything.
    let mut conn = kit::open(&db).unwrap();
    let e = kit::migrate::upgrade(&mut conn, &dir.path().join("migrations"), "head").unwrap_err();
    assert!(e.to_string().contains("quick_check"), "{e}");
    drop(conn);
    assert_eq!(std::fs::read(&db).unwrap(), before);
}
