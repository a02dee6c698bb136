//! Planning W1 on a generated large schema (2,000 tables by default): in-process `kit::plan_sql`,
//! `kit::open` plus `plan_sql`, the whole `kit rebuild --dry-run` process, and for reference a
//! full `read_schema` and `shadow_copy`.

use super::*;

/// The workload (with 1,000 rows) plus `tables - 2` more tables, each with two indexes (one
/// partial, DESC), a trigger and a view; every 4th references users, every 20th view joins it.
pub(crate) fn build_planning_schema(path: &Path, tables: usize) -> rusqlite::Result<()> {
    build_workload(path, 1000)?;
    let mut conn = Connection::open(path)?;
    conn.execute_batch("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; BEGIN")?;
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
    }
    // kit's loader gives what running the statements gives, in linear time (issue 12).
    kit::sqlite::load::run_script(&mut conn, &sql, "planning schema")
        .map_err(|e| rusqlite::Error::InvalidParameterName(e.to_string()))?;
    conn.execute_batch("COMMIT")?;
    conn.execute_batch("PRAGMA journal_mode = DELETE;")?;
    Ok(())
}

pub(crate) struct PlanFigures {
    pub(crate) tables: usize,
    pub(crate) objects: i64,
    pub(crate) plan: Option<Duration>,
    pub(crate) open_plan: Option<Duration>,
    pub(crate) read_schema: Option<Duration>,
    pub(crate) shadow_copy: Option<Duration>,
    pub(crate) dry_run: Option<Duration>,
    pub(crate) note: Option<String>,
}

pub(crate) fn bench_planning(env: &Env, dir: &Path, tables: usize, runs: usize) -> PlanFigures {
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
