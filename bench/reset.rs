//! `kit throwaway-reset` of a generated 150-table project (schema, seed rows, five migrations),
//! from the schema and by replaying migrations, against a floor of the same files through plain
//! rusqlite; and the same on PostgreSQL (a throwaway cluster or KIT_BENCH_PG_URL), with its own
//! floor.

use super::*;

/// Seed rows per table of the reset schema.
pub(crate) const RESET_ROWS: usize = 20;

/// The migrations that follow `0001_initial` (the whole base schema): (file, up, down). The
/// schema file holds the state after all of them.
pub(crate) const RESET_MIGRATIONS: [(&str, &str, &str); 4] = [
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
pub(crate) struct ResetTable {
    pub(crate) i: usize,
    pub(crate) parent: Option<usize>,
    pub(crate) other: Option<usize>,
    pub(crate) price: bool,
    pub(crate) note: bool,
    pub(crate) created: bool,
    pub(crate) flag: bool,
}

impl ResetTable {
    pub(crate) fn new(i: usize) -> ResetTable {
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

    pub(crate) fn name(&self) -> String {
        format!("t{:03}", self.i)
    }

    /// `CREATE TABLE` and its indexes, trigger and view; `last` adds the later migrations'
    /// changes to the table.
    pub(crate) fn ddl(&self, last: bool, out: &mut String) {
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
    pub(crate) fn seed(&self, rng: &mut Rng, out: &mut String) {
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
pub(crate) struct ResetProject {
    pub(crate) tables: usize,
    pub(crate) rows: usize,
    pub(crate) indexes: i64,
    pub(crate) partial: usize,
    pub(crate) triggers: i64,
    pub(crate) views: i64,
    pub(crate) schema_bytes: usize,
    pub(crate) seed_bytes: usize,
    pub(crate) migrations: usize,
}

/// Writes schema.sql, seed.sql, migrations/ and the two configs (schema.toml, migrations.toml)
/// into `dir`.
pub(crate) fn write_reset_project(dir: &Path, tables: usize) -> std::io::Result<ResetProject> {
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
pub(crate) fn reset_floor(db: &Path, project: &Path) -> Result<(), BoxError> {
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
pub(crate) fn pg_reset_floor(admin_url: &str, sql: &Path) -> Result<(), BoxError> {
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
pub(crate) fn pg_build_sql(echo: &str) -> String {
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
pub(crate) fn reset_shape(db: &Path) -> rusqlite::Result<(Vec<String>, i64, i64, i64)> {
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

pub(crate) struct ResetRow {
    pub(crate) label: String,
    pub(crate) walls: Vec<Duration>,
    pub(crate) inner: Vec<Duration>,
    pub(crate) rss: u64,
    pub(crate) failed: Option<String>,
}

pub(crate) struct ResetFigures {
    pub(crate) project: Option<ResetProject>,
    pub(crate) runs: usize,
    pub(crate) rows: Vec<ResetRow>,
    pub(crate) notes: Vec<String>,
    /// Why the PostgreSQL rows were not measured, if they were not.
    pub(crate) pg_skipped: Option<String>,
}

/// The rows of the reset table measured on PostgreSQL, after the SQLite rows.
pub(crate) const PG_RESET_ROWS: usize = 4;

/// The databases the PostgreSQL reset rows work on.
pub(crate) const PG_BENCH_DATABASES: [&str; 2] = ["kit_bench_schema", "kit_bench_migrations"];

/// The database of the PostgreSQL floor row.
pub(crate) const PG_FLOOR_DATABASE: &str = "kit_bench_floor";

/// The PostgreSQL server of the reset figures, as a URL kit's throwaway URLs are derived from:
/// KIT_BENCH_PG_URL, else a throwaway cluster started like the test harness's
/// (`tests/common/pg.rs`: initdb and pg_ctl, a Unix socket, `fsync=off`), stopped at exit.
/// Err: why there is none.
pub(crate) fn bench_pg() -> Result<String, String> {
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
pub(crate) fn pg_server_note(admin_url: &str) -> String {
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
pub(crate) fn drop_pg_bench_databases(admin_url: &str) {
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
pub(crate) fn pg_reset_shape(url: &str) -> Result<(Vec<String>, i64, i64), String> {
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
pub(crate) fn check_pg_results(admin_url: &str, project: &ResetProject, notes: &mut Vec<String>) {
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
pub(crate) fn reported_ms(log: &Path) -> Option<Duration> {
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

pub(crate) fn bench_reset(env: &Env, dir: &Path, tables: usize, runs: usize) -> ResetFigures {
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
