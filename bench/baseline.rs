//! The hand-written SQL that kit is measured against: SQLite's documented 12-step rebuild
//! (baseline), the same without its foreign-key check or the least native SQL (floor), and the
//! `--child` entry point through which this binary runs them (and the other child-process jobs) in
//! a process of their own.

use super::*;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Workload {
    W1,
    W2,
}

impl Workload {
    pub(crate) fn sql(self) -> &'static str {
        match self {
            Workload::W1 => W1,
            Workload::W2 => W2,
        }
    }
    pub(crate) fn label(self) -> &'static str {
        match self {
            Workload::W1 => "W1",
            Workload::W2 => "W2",
        }
    }
    pub(crate) fn arg(self) -> &'static str {
        match self {
            Workload::W1 => "w1",
            Workload::W2 => "w2",
        }
    }
}

/// The journal mode of the reference file: SQLite's default rollback journal, or WAL.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Journal {
    Delete,
    Wal,
}

impl Journal {
    /// What the report appends to the workload's label.
    pub(crate) fn suffix(self) -> &'static str {
        match self {
            Journal::Delete => "",
            Journal::Wal => ", WAL",
        }
    }
}

/// The new `users` of the 12-step procedure.
pub(crate) fn new_users_ddl(w: Workload) -> String {
    let age = match w {
        Workload::W1 => "TEXT",
        Workload::W2 => "INTEGER",
    };
    format!("CREATE TABLE new_users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL UNIQUE, name TEXT NOT NULL, age {age} CHECK (age >= 0), created_at TEXT DEFAULT CURRENT_TIMESTAMP)")
}

/// SQLite's documented 12-step procedure (https://sqlite.org/lang_altertable.html#otheralter),
/// written by hand for this schema. `checks = false` gives the bare copy floor.
pub(crate) fn twelve_step(
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
pub(crate) fn w2_native(conn: &mut Connection) -> Result<(), BoxError> {
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

pub(crate) type BoxError = Box<dyn std::error::Error>;

pub(crate) fn child_main(mode: &str, db: &Path, extra: Option<&str>) -> i32 {
    // Building runs in a child too, so that the harness itself stays small: a child's peak RSS
    // (ru_maxrss) starts from the RSS of the process that spawned it.
    let number = |default: u64| extra.and_then(|x| x.parse().ok()).unwrap_or(default);
    let prepared: Option<Result<(), String>> = match mode {
        "build" => Some(build_workload(db, number(0)).map_err(|e| e.to_string())),
        "build-plan" => {
            Some(build_planning_schema(db, number(0) as usize).map_err(|e| e.to_string()))
        }
        "pg-reset-floor" => Some(
            pg_reset_floor(&db.to_string_lossy(), Path::new(extra.unwrap_or(".")))
                .map_err(|e| e.to_string()),
        ),
        // For profiling by hand: writes the scale project of `extra` tables into `db` (a
        // directory), with `big.db` built from its schema, and keeps it.
        "scale-project" => Some(write_scale_dir(db, number(2000) as usize)),
        "sqlite-apply" => {
            Some(sqlite_apply(db, Path::new(extra.unwrap_or(""))).map_err(|e| e.to_string()))
        }
        "sqlite-exec" => Some(sqlite_exec(db).map_err(|e| e.to_string())),
        "reset-floor" => {
            Some(reset_floor(db, Path::new(extra.unwrap_or("."))).map_err(|e| e.to_string()))
        }
        _ => None,
    };
    if let Some(r) = prepared {
        return match r {
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
