//! The migration workflow on a real PostgreSQL server, through the real `kit` binary (issue 9):
//! `database` as a PostgreSQL URL (also through `${VAR}`), upgrade / downgrade / current /
//! history with the same output as on SQLite, the `kit_migrations` table, a failing migration
//! rolled back whole, concurrent upgrades, `lock_timeout`, `--sql` output that psql can run,
//! connection errors, refusals before anything runs, dialect blocks, identities moved past
//! explicit ids, and `kit rebuild --db postgresql://...`. Every outcome is read back from
//! PostgreSQL with the `postgres` crate.

mod common;
#[path = "common/pg.rs"]
mod pg;
#[path = "common/pg_schema.rs"]
mod pg_schema;

use common::{Out, Project};
use pg_schema::V;
use std::time::{Duration, Instant};

/// The variable the configs name the database URL through.
const URL_VAR: &str = "KIT_TEST_DATABASE_URL";

/// A password that must never be printed.
const SECRET: &str = "Pg-Secr3t-never-shown";

/// What the PostgreSQL workflow tests add to a project: configs for both databases, migrations,
/// a SQLite database.
impl Project {
    /// A project whose `pg.toml` points at `url` through `${KIT_TEST_DATABASE_URL}` and whose
    /// `sqlite.toml` points at `app.db`.
    fn with_url(url: &str) -> Project {
        let mut p = Project::new();
        p.env.push((URL_VAR.to_string(), url.to_string()));
        p.write("pg.toml", &format!("database = \"${{{URL_VAR}}}\"\n"));
        p.write("sqlite.toml", "database = \"app.db\"\n");
        p
    }

    /// Writes `migrations/<file>` with its up and down parts.
    fn migration(&self, file: &str, up: &str, down: &str) {
        let v = &file[..4];
        let msg = file[5..].trim_end_matches(".sql").replace('_', " ");
        self.write(
            &format!("migrations/{file}"),
            &format!("-- kit:revision {v} {msg}\n-- kit:up\n{up}\n-- kit:down\n{down}\n"),
        );
    }

    /// An empty SQLite database `app.db` (so no "created" line differs from PostgreSQL).
    fn empty_sqlite(&self) {
        rusqlite::Connection::open(self.p("app.db"))
            .unwrap()
            .execute_batch("PRAGMA user_version = 0")
            .unwrap();
    }

    fn sqlite(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.p("app.db")).unwrap()
    }
}

/// `text` with what differs between runs and databases made equal: times (`in 12 ms`,
/// `(applied 2026-01-01T00:00:00Z)`, which must be in that format).
fn normalise(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let mut l = line.to_string();
        if let Some(p) = l.find("(applied ") {
            let stamp = &l[p + 9..p + 29];
            let b = stamp.as_bytes();
            assert!(
                stamp.len() == 20
                    && b[4] == b'-'
                    && b[10] == b'T'
                    && b[19] == b'Z'
                    && l.as_bytes()[p + 29] == b')',
                "applied_at is YYYY-MM-DDTHH:MM:SSZ: {line}"
            );
            l.replace_range(p + 9..p + 29, "T");
        }
        if let Some(p) = l.find(" in ") {
            let rest = &l[p + 4..];
            let digits = rest.chars().take_while(char::is_ascii_digit).count();
            if digits > 0 && rest[digits..].starts_with(" ms") {
                l.replace_range(p + 4..p + 4 + digits, "N");
            }
        }
        out.push_str(&l);
        out.push('\n');
    }
    out
}

/// (name, declared type) of a SQLite table's columns.
fn sqlite_columns(c: &rusqlite::Connection, table: &str) -> Vec<(String, String, bool)> {
    c.prepare("SELECT name, type, \"notnull\" FROM pragma_table_info(?1)")
        .unwrap()
        .query_map([table], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn sqlite_applied(c: &rusqlite::Connection) -> Vec<String> {
    let exists: i64 = c
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE name = 'kit_migrations'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    if exists == 0 {
        return vec![];
    }
    c.prepare("SELECT version FROM kit_migrations ORDER BY version")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// `kit upgrade --sql` for PostgreSQL from the SQLite config, with no database at all.
const OFFLINE_POSTGRESQL_SQL: [&str; 6] = [
    "upgrade",
    "-c",
    "sqlite.toml",
    "--sql",
    "--dialect",
    "postgresql",
];

/// A PostgreSQL database and a project on it whose first migration, `0001_t.sql` with `up`
/// (and a down part dropping `t`), is applied.
fn migrated_t(up: &str) -> (pg::TestDb, Project) {
    let db = pg::database();
    let p = Project::with_url(&db.url);
    p.migration("0001_t.sql", up, "DROP TABLE t;");
    p.ok(&["upgrade", "-c", "pg.toml"]);
    (db, p)
}

/// Three migrations: users (with seed rows), orders, a rename and an added column.
fn shop(p: &Project) {
    p.migration(
        "0001_users.sql",
        "CREATE TABLE users (\n  id INTEGER PRIMARY KEY,\n  email TEXT NOT NULL UNIQUE,\n  active BOOLEAN NOT NULL DEFAULT 1\n);\nINSERT INTO users (id, email, active) VALUES (1, 'ada@example.com', TRUE), (2, 'bob@example.com', FALSE);",
        "DROP TABLE users;",
    );
    p.migration(
        "0002_orders.sql",
        "CREATE TABLE orders (\n  id INTEGER PRIMARY KEY,\n  user_id INTEGER NOT NULL REFERENCES users(id),\n  total REAL CHECK (total >= 0)\n);\nCREATE INDEX orders_user ON orders(user_id);\nINSERT INTO orders (user_id, total) VALUES (1, 250), (2, 12.5);",
        "DROP TABLE orders;",
    );
    p.migration(
        "0003_users_mail_name.sql",
        "ALTER TABLE users RENAME COLUMN email TO mail;\nALTER TABLE users ADD COLUMN name TEXT NOT NULL DEFAULT '';\nUPDATE users SET name = 'Ada' WHERE id = 1;",
        "ALTER TABLE users DROP COLUMN name;\nALTER TABLE users RENAME COLUMN mail TO email;",
    );
}

#[test]
fn upgrade_downgrade_current_and_history_print_what_they_print_on_sqlite() {
    let db = pg::database();
    let p = Project::with_url(&db.url);
    shop(&p);
    p.empty_sqlite();
    let mut c = db.client();
    let steps: &[&[&str]] = &[
        &["history"],
        &["current"],
        &["upgrade"],
        &["current"],
        &["history"],
        &["downgrade", "-1"],
        &["current"],
        &["history"],
        &["downgrade", "base"],
        &["current"],
        &["history"],
        &["upgrade", "0002"],
        &["current"],
        &["history"],
        &["upgrade", "head"],
        &["upgrade"],
        &["downgrade", "0001"],
        &["history"],
        &["upgrade"],
    ];
    for step in steps {
        let on = |config: &str| {
            let mut args = step.to_vec();
            args.extend(["-c", config]);
            p.kit(&args)
        };
        let (lite, pgo) = (on("sqlite.toml"), on("pg.toml"));
        assert_eq!(lite.code, 0, "{step:?} on SQLite:\n{}", lite.show());
        assert_eq!(pgo.code, 0, "{step:?} on PostgreSQL:\n{}", pgo.show());
        assert_eq!(
            normalise(&pgo.stdout),
            normalise(&lite.stdout),
            "stdout of {step:?}"
        );
        assert_eq!(
            normalise(&pgo.stderr),
            normalise(&lite.stderr),
            "stderr of {step:?}"
        );
        assert_eq!(
            pg_schema::applied(&mut c),
            sqlite_applied(&p.sqlite()),
            "versions after {step:?}"
        );
    }
    // --db with the URL, and the postgres:// scheme, say the same as the config.
    let hist = p.ok(&["history", "-c", "pg.toml"]).stdout;
    assert_eq!(p.ok(&["history", "--db", &db.url]).stdout, hist);
    let short = db.url.replacen("postgresql://", "postgres://", 1);
    assert_eq!(p.ok(&["history", "--db", &short]).stdout, hist);
    assert_eq!(
        p.ok(&["current", "--db", &short]).stdout.trim(),
        "0003 (head)"
    );
    // Same rows, and kit_migrations has the same columns and rows on both.
    let lite = p.sqlite();
    for t in ["users", "orders"] {
        assert_eq!(
            pg_schema::sorted_rows(&mut c, t),
            pg_schema::sqlite_rows(&lite, t),
            "rows of {t}"
        );
    }
    let pg_cols: Vec<(String, String)> = pg_schema::columns(&mut c, "kit_migrations")
        .into_iter()
        .map(|(n, t, _)| (n, t))
        .collect();
    let lite_cols: Vec<(String, String)> = sqlite_columns(&lite, "kit_migrations")
        .into_iter()
        .map(|(n, t, _)| (n, t.to_lowercase()))
        .collect();
    assert_eq!(pg_cols, lite_cols);
    assert_eq!(
        pg_cols.iter().map(|c| c.0.as_str()).collect::<Vec<_>>(),
        ["component", "version", "name", "checksum", "applied_at"]
    );
    let pg_hist = pg_schema::strings(
        &mut c,
        "SELECT version, name, checksum FROM kit_migrations ORDER BY version",
    );
    let lite_hist: Vec<Vec<String>> = common::query(
        &lite,
        "SELECT version, name, checksum FROM kit_migrations ORDER BY version",
    )
    .into_iter()
    .map(|r| {
        r.into_iter()
            .map(|v| match v {
                rusqlite::types::Value::Text(s) => s,
                other => panic!("{other:?}"),
            })
            .collect()
    })
    .collect();
    assert_eq!(pg_hist, lite_hist);
}

/// The password of [`pg::PASSWORD_ROLE`] (the one `tests/pg_connect.rs` gives it too).
const ROLE_PASSWORD: &str = "right-password";

/// Makes sure [`pg::PASSWORD_ROLE`] exists and logs in with [`ROLE_PASSWORD`] (once per test
/// binary: two tests creating the role at once would collide).
fn password_role(db: &pg::TestDb) {
    static ONCE: std::sync::Mutex<bool> = std::sync::Mutex::new(false);
    let mut done = ONCE.lock().unwrap_or_else(|e| e.into_inner());
    if !*done {
        db.client()
            .batch_execute(&format!(
                "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{r}') THEN \
                 CREATE ROLE {r} LOGIN PASSWORD '{ROLE_PASSWORD}'; END IF; END $$",
                r = pg::PASSWORD_ROLE
            ))
            .unwrap();
        *done = true;
    }
}

#[test]
fn a_password_in_the_url_logs_in_and_is_never_printed() {
    let db = pg::database();
    password_role(&db);
    let mut admin = db.client();
    admin
        .batch_execute(&format!(
            "ALTER DATABASE \"{}\" OWNER TO {}",
            db.name,
            pg::PASSWORD_ROLE
        ))
        .unwrap();
    let url = pg::with_user(&db.url, pg::PASSWORD_ROLE, Some(ROLE_PASSWORD));
    let p = Project::with_url(&url);
    shop(&p);
    for args in [
        &["upgrade", "-c", "pg.toml", "--echo"][..],
        &["history", "-c", "pg.toml"],
        &["current", "-c", "pg.toml"],
        &["downgrade", "-c", "pg.toml", "-1", "--sql"],
        &["downgrade", "-c", "pg.toml", "-1"],
        &["upgrade", "--db", &url],
        // A failing migration's error does not show it either.
        &["upgrade", "-c", "pg.toml", "nope"],
    ] {
        let out = p.kit(args);
        assert!(
            !out.stdout.contains(ROLE_PASSWORD) && !out.stderr.contains(ROLE_PASSWORD),
            "kit {args:?} printed the password:\n{}",
            out.show()
        );
    }
    assert_eq!(
        pg_schema::applied(&mut admin),
        ["0001", "0002", "0003"],
        "the runs went through as {}",
        pg::PASSWORD_ROLE
    );
}

#[test]
fn a_failing_migration_is_rolled_back_whole_and_the_earlier_ones_stay() {
    let db = pg::database();
    let p = Project::with_url(&db.url);
    p.migration(
        "0001_t.sql",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER NOT NULL);\nINSERT INTO t (id, n) VALUES (1, 10), (2, 20);",
        "DROP TABLE t;",
    );
    p.migration(
        "0002_note.sql",
        "ALTER TABLE t ADD COLUMN note TEXT;\nUPDATE t SET note = 'two' WHERE id = 2;",
        "ALTER TABLE t DROP COLUMN note;",
    );
    // Line 3: the first statement; lines 4-6: the second, failing on its last line.
    p.migration(
        "0003_bad.sql",
        "ALTER TABLE t ADD COLUMN extra INTEGER DEFAULT 7;\nINSERT INTO t (id, n)\n  VALUES (3, 30),\n         (4, 'forty');",
        "ALTER TABLE t DROP COLUMN extra;",
    );
    p.ok(&["upgrade", "-c", "pg.toml", "0001"]);
    let mut c = db.client();
    let out = p.fail(&["upgrade", "-c", "pg.toml"]);
    out.assert_stderr_has(&[
        "0003_bad.sql, line 6, column 14",
        "invalid input syntax for type bigint: \"forty\"",
        "SQLSTATE 22P02",
        "rolled back whole; the database is at 0002",
    ]);
    assert_eq!(pg_schema::applied(&mut c), ["0001", "0002"]);
    let cols: Vec<String> = pg_schema::columns(&mut c, "t")
        .into_iter()
        .map(|c| c.0)
        .collect();
    assert_eq!(cols, ["id", "n", "note"], "the ADD COLUMN was rolled back");
    assert_eq!(
        pg_schema::sorted_rows(&mut c, "t"),
        [
            vec![V::Int(1), V::Int(10), V::Null],
            vec![V::Int(2), V::Int(20), V::Text("two".into())]
        ]
    );
    // The same file on SQLite: the text goes into the INTEGER column (no STRICT), so the
    // failure is PostgreSQL's own: caught here before it reaches production.
    p.empty_sqlite();
    p.ok(&["upgrade", "-c", "sqlite.toml"]);
}

#[test]
fn concurrent_upgrades_apply_each_migration_exactly_once() {
    let db = pg::database();
    let p = Project::with_url(&db.url);
    // The first migration takes a moment, so the runs overlap.
    p.migration(
        "0001_runs.sql",
        "CREATE TABLE runs (v TEXT NOT NULL);\nINSERT INTO runs VALUES ('0001');\n-- kit:only postgresql\nSELECT pg_sleep(0.3);\n-- kit:all",
        "DROP TABLE runs;",
    );
    p.migration(
        "0002_a.sql",
        "CREATE TABLE a (id INTEGER PRIMARY KEY);\nINSERT INTO runs VALUES ('0002');",
        "DROP TABLE a;\nDELETE FROM runs WHERE v = '0002';",
    );
    p.migration(
        "0003_b.sql",
        "ALTER TABLE a ADD COLUMN b TEXT;\nINSERT INTO runs VALUES ('0003');",
        "ALTER TABLE a DROP COLUMN b;\nDELETE FROM runs WHERE v = '0003';",
    );
    let mut c = db.client();
    let rounds = 4;
    let per_round = 3;
    for round in 0..rounds {
        let children: Vec<std::process::Child> = (0..per_round)
            .map(|_| {
                let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_kit"));
                cmd.current_dir(p.dir.path())
                    .args(["upgrade", "-c", "pg.toml"])
                    .env(URL_VAR, &db.url)
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped());
                cmd.spawn().unwrap()
            })
            .collect();
        let outs: Vec<std::process::Output> = children
            .into_iter()
            .map(|ch| ch.wait_with_output().unwrap())
            .collect();
        let mut winners = 0;
        for o in &outs {
            let err = String::from_utf8_lossy(&o.stderr);
            assert!(o.status.success(), "round {round}: {err}");
            assert!(!err.contains("panicked"), "{err}");
            if err.contains("upgrade done: 3 migration(s)") {
                winners += 1;
            } else {
                assert!(
                    err.trim() == "kit: nothing to upgrade: at 0003 (head)",
                    "round {round}: the loser finds nothing pending:\n{err}"
                );
            }
        }
        assert_eq!(winners, 1, "round {round}: one run applies the migrations");
        assert_eq!(pg_schema::applied(&mut c), ["0001", "0002", "0003"]);
        let runs = pg_schema::strings(&mut c, "SELECT v FROM runs ORDER BY v");
        assert_eq!(
            runs,
            [["0001"], ["0002"], ["0003"]],
            "round {round}: each migration ran once"
        );
        p.ok(&["downgrade", "-c", "pg.toml", "base"]);
        assert!(pg_schema::tables(&mut c) == ["kit_migrations"]);
    }
}

#[test]
fn lock_timeout_makes_an_upgrade_on_a_busy_table_fail_clearly() {
    let db = pg::database();
    let p = Project::with_url(&db.url);
    p.write(
        "lt.toml",
        &format!("database = \"${{{URL_VAR}}}\"\n\n[postgresql]\nlock_timeout = \"500ms\"\n"),
    );
    p.migration(
        "0001_t.sql",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER);\nINSERT INTO t (n) VALUES (1), (2);",
        "DROP TABLE t;",
    );
    p.migration(
        "0002_c.sql",
        "CREATE TABLE other (x TEXT);\nALTER TABLE t ADD COLUMN c TEXT;",
        "ALTER TABLE t DROP COLUMN c;\nDROP TABLE other;",
    );
    p.ok(&["upgrade", "-c", "lt.toml", "0001"]);
    let mut c = db.client();
    let before = pg_schema::snapshot(&mut c);
    let mut holder = db.client();
    let mut tx = holder.transaction().unwrap();
    tx.batch_execute("LOCK TABLE t IN ACCESS EXCLUSIVE MODE")
        .unwrap();
    let t0 = Instant::now();
    let out = p.fail(&["upgrade", "-c", "lt.toml"]);
    let took = t0.elapsed();
    assert!(took < Duration::from_secs(5), "took {took:?}");
    out.assert_stderr_has(&[
        "0002_c.sql, line 4",
        "lock timeout",
        "SQLSTATE 55P03",
        "lock_timeout",
        "[postgresql]",
        "rolled back whole; the database is at 0001",
    ]);
    tx.rollback().unwrap();
    assert_eq!(pg_schema::snapshot(&mut c), before, "nothing changed");
    // Without the lock it goes through; the default lock_timeout is 10 s.
    p.ok(&["upgrade", "-c", "lt.toml"]);
    assert_eq!(
        kit::postgres::migrate::DEFAULT_LOCK_TIMEOUT,
        Duration::from_secs(10)
    );
    assert!(kit::config::TEMPLATE.contains("lock_timeout = \"10s\""));
    p.write(
        "bad.toml",
        "database = \"x.db\"\n[postgresql]\nlock_timeout = \"soon\"\n",
    );
    p.fail(&["current", "-c", "bad.toml"])
        .assert_stderr_has(&["postgresql.lock_timeout", "soon"]);
}

/// Runs `sql` (what `--sql` printed) on `client` as psql would: one simple query.
fn run_script(client: &mut postgres::Client, sql: &str) {
    client
        .batch_execute(sql)
        .unwrap_or_else(|e| panic!("the printed SQL fails: {}\n{sql}", pg::show(&e)));
}

/// Runs `sql` with psql, when it is installed (the postgres crate runs it in any case).
fn run_with_psql(url: &str, sql: &str) -> bool {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("m.sql");
    std::fs::write(&f, sql).unwrap();
    match std::process::Command::new("psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-f"])
        .arg(&f)
        .output()
    {
        Ok(o) => {
            assert!(
                o.status.success(),
                "psql: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            true
        }
        Err(_) => {
            eprintln!("psql is not installed: the printed SQL was run with batch_execute only");
            false
        }
    }
}

#[test]
fn upgrade_sql_prints_what_kit_upgrade_runs() {
    let live = pg::database();
    let by_script = pg::database();
    let by_psql = pg::database();
    let p = Project::with_url(&live.url);
    shop(&p);
    // With the PostgreSQL database (at base), and offline with no database at all.
    let online = p.ok(&["upgrade", "-c", "pg.toml", "--sql"]).stdout;
    let offline = p.ok(&OFFLINE_POSTGRESQL_SQL).stdout;
    assert_eq!(online, offline);
    assert!(!p.p("app.db").exists(), "no SQLite database was created");
    assert!(online.contains("BEGIN;") && online.contains("COMMIT;"));
    // Each transaction waits for kit's migration lock and sets lock_timeout, as a run does.
    assert_eq!(
        online
            .matches("BEGIN;\nSET LOCAL lock_timeout = '60000ms';\nSELECT pg_advisory_xact_lock(")
            .count(),
        3,
        "{online}"
    );
    assert_eq!(
        online
            .matches("SET LOCAL lock_timeout = '10000ms';")
            .count(),
        3
    );
    let mut c = live.client();
    assert!(pg_schema::tables(&mut c).is_empty(), "--sql runs nothing");
    p.ok(&["upgrade", "-c", "pg.toml"]);
    let mut s = by_script.client();
    run_script(&mut s, &online);
    let expected = pg_schema::snapshot(&mut c);
    assert_eq!(pg_schema::snapshot(&mut s), expected);
    let mut ps = by_psql.client();
    if run_with_psql(&by_psql.url, &online) {
        assert_eq!(pg_schema::snapshot(&mut ps), expected);
    }
    // The identities were moved past the seeded ids in both.
    for client in [&mut c, &mut s] {
        let id: i64 = client
            .query_one(
                "INSERT INTO users (mail) VALUES ('new@example.com') RETURNING id",
                &[],
            )
            .unwrap()
            .get(0);
        assert_eq!(id, 3);
        client
            .batch_execute("DELETE FROM users WHERE id = 3")
            .unwrap();
    }
    // Down: the printed SQL and the real run agree; part of the way, then to base.
    let down = p.ok(&["downgrade", "-c", "pg.toml", "-1", "--sql"]).stdout;
    assert!(
        down.contains("DROP COLUMN \"name\"") && !down.contains("DROP TABLE"),
        "{down}"
    );
    run_script(&mut s, &down);
    p.ok(&["downgrade", "-c", "pg.toml", "-1"]);
    assert_eq!(pg_schema::snapshot(&mut s), pg_schema::snapshot(&mut c));
    let rest = p
        .ok(&["downgrade", "-c", "pg.toml", "base", "--sql"])
        .stdout;
    run_script(&mut s, &rest);
    p.ok(&["downgrade", "-c", "pg.toml", "base"]);
    assert_eq!(pg_schema::snapshot(&mut s), pg_schema::snapshot(&mut c));
    assert_eq!(pg_schema::tables(&mut c), ["kit_migrations"]);
    // From a partly upgraded database only the pending migrations are printed.
    p.ok(&["upgrade", "-c", "pg.toml", "0001"]);
    let pending = p.ok(&["upgrade", "-c", "pg.toml", "--sql"]).stdout;
    assert!(
        !pending.contains("0001_users") && pending.contains("0002_orders"),
        "{pending}"
    );
    run_script(
        &mut s,
        &p.ok(&[
            "upgrade",
            "-c",
            "sqlite.toml",
            "0001",
            "--sql",
            "--dialect",
            "postgresql",
        ])
        .stdout,
    );
    run_script(&mut s, &pending);
    p.ok(&["upgrade", "-c", "pg.toml"]);
    assert_eq!(pg_schema::snapshot(&mut s), pg_schema::snapshot(&mut c));
}

/// Asserts that a connection failure is reported cleanly: exit 1, what failed, the server
/// and database named, the password nowhere.
fn assert_connection_error(out: &Out, needles: &[&str]) {
    assert_eq!(out.code, 1, "{}", out.show());
    out.assert_stderr_has(&["kit: error: cannot connect to PostgreSQL"]);
    out.assert_stderr_has(needles);
    out.assert_stderr_has(&["hint:"]);
    assert!(
        !out.stderr.contains(SECRET) && !out.stdout.contains(SECRET),
        "the password was printed:\n{}",
        out.show()
    );
}

/// Every command that connects, run with `-c pg.toml` (the URL through `${VAR}`) and with
/// `--db URL`.
fn connecting_commands(p: &Project, url: &str, needles: &[&str]) {
    for args in [
        &["upgrade", "-c", "pg.toml"][..],
        &["downgrade", "-c", "pg.toml", "-1"],
        &["current", "-c", "pg.toml"],
        &["history", "-c", "pg.toml"],
        &["upgrade", "-c", "pg.toml", "--sql"],
        &["upgrade", "--db", url],
        &["current", "--db", url],
        &[
            "rebuild",
            "--db",
            url,
            "--sql",
            "ALTER TABLE t ADD COLUMN c TEXT",
        ],
        &[
            "rebuild",
            "--db",
            url,
            "--sql",
            "ALTER TABLE t ADD COLUMN c TEXT",
            "--dry-run",
        ],
    ] {
        let out = p.kit(args);
        assert_connection_error(&out, needles);
    }
}

#[test]
fn connection_errors_are_clear_and_never_show_the_password() {
    let db = pg::database();
    // Unreachable: a socket directory with no server in it, and a TCP port nobody listens on.
    let empty = tempfile::tempdir().unwrap();
    let dir = empty.path().display().to_string();
    let url = format!("postgresql://ann:{SECRET}@/app?host={dir}&port=5432");
    let p = Project::with_url(&url);
    shop(&p);
    connecting_commands(
        &p,
        &url,
        &[&dir, "port 5432", "database \"app\"", "start the server"],
    );
    let tcp = format!("postgresql://ann:{SECRET}@127.0.0.1:1/app");
    let p = Project::with_url(&tcp);
    shop(&p);
    connecting_commands(&p, &tcp, &["host 127.0.0.1", "port 1", "database \"app\""]);

    // A missing database.
    let missing = pg::with_dbname(&db.url, "kit_no_such_database");
    let p = Project::with_url(&missing);
    shop(&p);
    connecting_commands(
        &p,
        &missing,
        &[
            "database \"kit_no_such_database\" does not exist",
            "createdb",
            "3D000",
        ],
    );

    // A wrong password for a role that logs in with one.
    password_role(&db);
    let wrong = pg::with_user(&db.url, pg::PASSWORD_ROLE, Some(SECRET));
    let p = Project::with_url(&wrong);
    shop(&p);
    let probe = p.kit(&["current", "-c", "pg.toml"]);
    if probe.code == 0 && !pg::server().owned {
        eprintln!(
            "the KIT_TEST_PG_URL server accepts any password for {}: wrong-password case not exercised",
            pg::PASSWORD_ROLE
        );
    } else {
        connecting_commands(
            &p,
            &wrong,
            &[
                "password authentication failed",
                "28P01",
                &format!("database \"{}\"", db.name),
                &format!("user \"{}\"", pg::PASSWORD_ROLE),
            ],
        );
    }
    // An unset variable names the key and the variable.
    let mut p = Project::with_url("");
    p.env.clear();
    p.fail(&["current", "-c", "pg.toml"])
        .assert_stderr_has(&["database", URL_VAR, "not set"]);
}

/// Kinds of SQLite-only statements a migration may hold, the line of the offending one in
/// the file, and what the error names.
const UNTRANSLATABLE: &[(&str, &str, &str)] = &[
    (
        "CREATE TABLE d (id INTEGER PRIMARY KEY, due TEXT);\nCREATE TRIGGER d_touch AFTER UPDATE ON d BEGIN UPDATE d SET due = 'x' WHERE id = NEW.id; END;",
        "line 4",
        "trigger \"d_touch\"",
    ),
    (
        "CREATE TABLE d (\n  id INTEGER PRIMARY KEY,\n  due TEXT DEFAULT (datetime('now', '+1 day'))\n);",
        "line 3",
        "default of column \"d\".\"due\"",
    ),
    (
        "CREATE TABLE d (id INTEGER PRIMARY KEY, due TEXT);\nCREATE VIRTUAL TABLE docs USING fts5(body);",
        "line 4",
        "virtual table \"docs\"",
    ),
];

#[test]
fn untranslatable_statements_are_refused_before_anything_runs() {
    let (db, p) = migrated_t(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER);\nINSERT INTO t (n) VALUES (1);",
    );
    // A pending migration before the refused one: it does not run either.
    p.migration(
        "0002_fine.sql",
        "CREATE TABLE fine (x TEXT);\nUPDATE t SET n = 2;",
        "DROP TABLE fine;",
    );
    let mut c = db.client();
    let before = pg_schema::snapshot(&mut c);
    for (up, line, object) in UNTRANSLATABLE {
        p.migration("0003_sqlite_only.sql", up, "DROP TABLE d;");
        let file_line = format!("0003_sqlite_only.sql, {line}:");
        for args in [
            &["upgrade", "-c", "pg.toml"][..],
            &["upgrade", "-c", "pg.toml", "--sql"],
            &OFFLINE_POSTGRESQL_SQL,
        ] {
            let out = p.fail(args);
            out.assert_stderr_has(&[
                &file_line,
                object,
                "cannot be translated to PostgreSQL",
                "hint:",
                "-- kit:only postgresql",
                "-- kit:only sqlite",
            ]);
            assert!(
                !out.stderr.contains("kit: upgrade 0002"),
                "nothing runs:\n{}",
                out.show()
            );
            assert!(!out.stderr.contains(" in write "), "{}", out.show());
            assert_eq!(pg_schema::snapshot(&mut c), before, "{up}: unchanged");
        }
    }
    // An ad hoc change is refused the same way.
    let out = p.fail(&[
        "rebuild",
        "--db",
        &db.url,
        "--sql",
        "CREATE TABLE e (x TEXT); CREATE TRIGGER e_t AFTER INSERT ON e BEGIN SELECT 1; END",
    ]);
    out.assert_stderr_has(&["trigger \"e_t\"", "kit:only postgresql"]);
    assert_eq!(pg_schema::snapshot(&mut c), before);
}

#[test]
fn a_dialect_block_fix_runs_on_both_databases() {
    let db = pg::database();
    let p = Project::with_url(&db.url);
    p.migration(
        "0001_d.sql",
        "-- kit:only postgresql
CREATE TABLE d (
  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  name text NOT NULL,
  slug text,
  due timestamp DEFAULT (now() + interval '1 day')
);
CREATE FUNCTION d_slug() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.slug := lower(NEW.name);
  RETURN NEW;
END
$$;
CREATE TRIGGER d_slug BEFORE INSERT ON d FOR EACH ROW EXECUTE FUNCTION d_slug();
-- kit:only sqlite
CREATE TABLE d (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  slug TEXT,
  due TEXT DEFAULT (datetime('now', '+1 day'))
);
CREATE TRIGGER d_slug AFTER INSERT ON d BEGIN UPDATE d SET slug = lower(name) WHERE id = NEW.id; END;
-- kit:all
INSERT INTO d (id, name) VALUES (1, 'Ada');",
        "-- kit:only postgresql
DROP TABLE d;
DROP FUNCTION d_slug();
-- kit:only sqlite
DROP TABLE d;",
    );
    p.migration(
        "0002_more.sql",
        "ALTER TABLE d ADD COLUMN n INTEGER NOT NULL DEFAULT 0;",
        "ALTER TABLE d DROP COLUMN n;",
    );
    p.empty_sqlite();
    for config in ["pg.toml", "sqlite.toml"] {
        p.ok(&["upgrade", "-c", config]);
    }
    let mut c = db.client();
    c.batch_execute("INSERT INTO d (name) VALUES ('Bob')")
        .unwrap();
    let lite = p.sqlite();
    lite.execute_batch("INSERT INTO d (name) VALUES ('Bob')")
        .unwrap();
    let pg_rows = pg_schema::strings(
        &mut c,
        "SELECT id::text, name, slug, n::text, (due > now())::text FROM d ORDER BY id",
    );
    assert_eq!(
        pg_rows,
        [
            ["1", "Ada", "ada", "0", "true"],
            ["2", "Bob", "bob", "0", "true"]
        ]
    );
    let lite_rows: Vec<Vec<rusqlite::types::Value>> = common::query(
        &lite,
        "SELECT id, name, slug, n, due > datetime('now') FROM d ORDER BY id",
    );
    use common::{int, text};
    assert_eq!(
        lite_rows,
        [
            vec![int(1), text("Ada"), text("ada"), int(0), int(1)],
            vec![int(2), text("Bob"), text("bob"), int(0), int(1)]
        ]
    );
    drop(lite);
    for config in ["pg.toml", "sqlite.toml"] {
        p.ok(&["downgrade", "-c", config, "base"]);
    }
    assert_eq!(pg_schema::tables(&mut c), ["kit_migrations"]);
    assert!(
        pg_schema::schema(&mut c, false).is_empty(),
        "the function went too"
    );
}

#[test]
fn identities_move_past_explicit_ids_inserted_by_migrations() {
    let db = pg::database();
    let p = Project::with_url(&db.url);
    p.migration(
        "0001_users.sql",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);\nINSERT INTO users (id, name) VALUES (1, 'a'), (5, 'b'), (42, 'c');",
        "DROP TABLE users;",
    );
    p.migration(
        "0002_tags.sql",
        "CREATE TABLE tags (id INTEGER PRIMARY KEY AUTOINCREMENT, label TEXT);\nINSERT INTO tags (id, label) VALUES (7, 'x');\nINSERT INTO users (id, name) VALUES (100, 'd');",
        "DROP TABLE tags;\nDELETE FROM users WHERE id = 100;",
    );
    p.empty_sqlite();
    let mut c = db.client();
    let next = |c: &mut postgres::Client, t: &str, col: &str| -> i64 {
        c.query_one(
            &format!("INSERT INTO {t} ({col}) VALUES ('new') RETURNING id"),
            &[],
        )
        .unwrap()
        .get(0)
    };
    let lite_next = |p: &Project, t: &str, col: &str| -> i64 {
        let l = p.sqlite();
        l.execute(&format!("INSERT INTO {t} ({col}) VALUES ('new')"), [])
            .unwrap();
        l.last_insert_rowid()
    };
    // One migration, then the next in a run of its own.
    p.ok(&["upgrade", "-c", "pg.toml", "0001"]);
    p.ok(&["upgrade", "-c", "sqlite.toml", "0001"]);
    assert_eq!(next(&mut c, "users", "name"), 43);
    assert_eq!(lite_next(&p, "users", "name"), 43);
    p.ok(&["upgrade", "-c", "pg.toml"]);
    p.ok(&["upgrade", "-c", "sqlite.toml"]);
    assert_eq!(next(&mut c, "users", "name"), 101);
    assert_eq!(lite_next(&p, "users", "name"), 101);
    assert_eq!(next(&mut c, "tags", "label"), 8);
    assert_eq!(lite_next(&p, "tags", "label"), 8);
    // An identity is only ever moved forward: ids handed out and deleted since are not
    // handed out again by a later migration's resync.
    c.batch_execute("DELETE FROM users WHERE id >= 100")
        .unwrap();
    p.migration(
        "0003_more_tags.sql",
        "INSERT INTO tags (id, label) VALUES (50, 'y');",
        "DELETE FROM tags WHERE id = 50;",
    );
    p.ok(&["upgrade", "-c", "pg.toml"]);
    assert_eq!(next(&mut c, "users", "name"), 102, "not back to 44");
    assert_eq!(next(&mut c, "tags", "label"), 51);
    // Down and up again in one run.
    p.ok(&["downgrade", "-c", "pg.toml", "base"]);
    p.ok(&["upgrade", "-c", "pg.toml"]);
    assert_eq!(next(&mut c, "users", "name"), 101);
    assert_eq!(next(&mut c, "tags", "label"), 51);
}

#[test]
fn rebuild_runs_the_same_statements_natively_in_one_transaction() {
    let live = pg::database();
    let dry = pg::database();
    let p = Project::with_url(&live.url);
    let setup = "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER, s TEXT);\nINSERT INTO t (id, n, s) VALUES (1, 10, 'a'), (2, NULL, 'b');";
    p.migration("0001_t.sql", setup, "DROP TABLE t;");
    p.write("dry.toml", &format!("database = \"{}\"\n", dry.url));
    p.empty_sqlite();
    for config in ["pg.toml", "dry.toml", "sqlite.toml"] {
        p.ok(&["upgrade", "-c", config]);
    }
    let change = "ALTER TABLE t ADD COLUMN c TEXT DEFAULT 'x';\nUPDATE t SET c = 'y' WHERE id = 1;\nALTER TABLE t RENAME COLUMN n TO m, ALTER COLUMN s SET NOT NULL;\nALTER TABLE t SET STRICT;\nINSERT INTO t (id, m, s) VALUES (10, 1, 'z');";
    p.write("change.sql", change);
    let mut c = live.client();
    let mut d = dry.client();
    let before = pg_schema::snapshot(&mut c);
    // --dry-run prints the exact SQL and changes nothing; run, it gives what the real run gives.
    let out = p.ok(&[
        "rebuild",
        "--db",
        &live.url,
        "--file",
        "change.sql",
        "--dry-run",
    ]);
    assert_eq!(pg_schema::snapshot(&mut c), before);
    assert!(out.stdout.starts_with("BEGIN;\n"), "{}", out.stdout);
    assert!(out.stdout.trim_end().ends_with("COMMIT;"), "{}", out.stdout);
    out.assert_stderr_has(&["SET STRICT", "skipped"]);
    run_script(&mut d, &out.stdout);
    let real = p.ok(&["rebuild", "--db", &live.url, "--file", "change.sql"]);
    real.assert_stderr_has(&["note:", "change.sql, line 4", "SET STRICT", "skipped"]);
    // Statements given with --sql have no file: the note names the line alone.
    let out = p.ok(&[
        "rebuild",
        "--db",
        &live.url,
        "--sql",
        "ALTER TABLE t SET STRICT",
    ]);
    out.assert_stderr_has(&["kit: note: --sql, line 1: table \"t\": `SET STRICT` skipped"]);
    p.ok(&[
        "rebuild",
        "--db",
        &p.p("app.db").display().to_string(),
        "--file",
        "change.sql",
    ]);
    // The printed script left the identity where the real run leaves it only if it resyncs;
    // compare schema and rows, then the next id.
    assert_eq!(pg_schema::snapshot(&mut d), pg_schema::snapshot(&mut c));
    let lite = p.sqlite();
    assert_eq!(
        pg_schema::sorted_rows(&mut c, "t"),
        pg_schema::sqlite_rows(&lite, "t")
    );
    let id: i64 = c
        .query_one("INSERT INTO t (m, s) VALUES (2, 'w') RETURNING id", &[])
        .unwrap()
        .get(0);
    assert_eq!(id, 11, "the identity moved past the inserted id");
    let id: i64 = d
        .query_one("INSERT INTO t (m, s) VALUES (2, 'w') RETURNING id", &[])
        .unwrap()
        .get(0);
    assert_eq!(id, 11, "the printed SQL moves the identity too");
    drop(lite);
    // A failure at the second statement leaves the database as it was.
    let before = pg_schema::snapshot(&mut c);
    let out = p.fail(&[
        "rebuild",
        "--db",
        &live.url,
        "--sql",
        "ALTER TABLE t ADD COLUMN e INTEGER; INSERT INTO t (id, m, s) VALUES (1, 0, 'dup')",
    ]);
    out.assert_stderr_has(&["duplicate key value", "SQLSTATE 23505"]);
    assert_eq!(pg_schema::snapshot(&mut c), before);
}

#[test]
fn migrations_are_judged_against_postgresqls_rows_not_a_replays() {
    let (db, p) = migrated_t(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, c TEXT);\nINSERT INTO t (id, c) VALUES (1, NULL);",
    );
    // The application fills the column on PostgreSQL; the migration's seed row had NULL.
    let mut c = db.client();
    c.batch_execute("UPDATE t SET c = 'filled'").unwrap();
    p.migration(
        "0002_not_null.sql",
        "ALTER TABLE t ALTER COLUMN c SET NOT NULL;",
        "ALTER TABLE t ALTER COLUMN c DROP NOT NULL;",
    );
    p.ok(&["upgrade", "-c", "pg.toml"]);
    assert_eq!(
        pg_schema::columns(&mut c, "t"),
        [
            ("id".to_string(), "bigint".to_string(), true),
            ("c".to_string(), "text".to_string(), true)
        ]
    );
    // A duplicate of a seeded key is PostgreSQL's error, with its SQLSTATE and the line.
    p.migration(
        "0003_dup.sql",
        "CREATE TABLE u (x TEXT);\nINSERT INTO t (id, c) VALUES (1, 'again');",
        "DROP TABLE u;",
    );
    let before = pg_schema::snapshot(&mut c);
    p.fail(&["upgrade", "-c", "pg.toml"]).assert_stderr_has(&[
        "0003_dup.sql, line 4, column 1",
        "duplicate key value violates unique constraint \"t_pkey\"",
        "SQLSTATE 23505",
        "detail: Key (id)=(1) already exists.",
    ]);
    assert_eq!(pg_schema::snapshot(&mut c), before);
}

#[test]
fn a_statement_naming_what_does_not_exist_gets_postgresqls_error() {
    let (db, p) = migrated_t(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER);\nINSERT INTO t (n) VALUES (1);",
    );
    let mut c = db.client();
    let before = pg_schema::snapshot(&mut c);
    for (statement, error, sqlstate) in [
        (
            "ALTER TABLE nope ADD COLUMN y TEXT;",
            "relation \"nope\" does not exist",
            "42P01",
        ),
        (
            "ALTER TABLE t DROP COLUMN nope;",
            "column \"nope\" of relation \"t\" does not exist",
            "42703",
        ),
        (
            "ALTER TABLE t ADD CONSTRAINT ck CHECK (nope > 0);",
            "column \"nope\" does not exist",
            "42703",
        ),
        (
            "CREATE INDEX ix ON t (nope);",
            "column \"nope\" does not exist",
            "42703",
        ),
        ("DROP TABLE nope;", "table \"nope\" does not exist", "42P01"),
    ] {
        p.migration(
            "0002_typo.sql",
            &format!("CREATE TABLE fine (x TEXT);\n{statement}"),
            "DROP TABLE fine;",
        );
        let out = p.fail(&["upgrade", "-c", "pg.toml"]);
        out.assert_stderr_has(&[
            "0002_typo.sql, line 4",
            "PostgreSQL refused the statement",
            error,
            &format!("SQLSTATE {sqlstate}"),
        ]);
        assert_eq!(pg_schema::snapshot(&mut c), before, "{statement}");
    }
    // A table PostgreSQL has but the migrations never made: PostgreSQL would take it, the
    // SQLite side of the same file cannot, so it is refused with the fix.
    c.batch_execute("CREATE TABLE legacy (x integer)").unwrap();
    let before = pg_schema::snapshot(&mut c);
    p.migration(
        "0002_typo.sql",
        "CREATE TABLE fine (x TEXT);\nALTER TABLE legacy ADD COLUMN y TEXT;",
        "DROP TABLE fine;",
    );
    for args in [
        &["upgrade", "-c", "pg.toml"][..],
        &["upgrade", "-c", "pg.toml", "--sql"],
    ] {
        p.fail(args).assert_stderr_has(&[
            "0002_typo.sql, line 4: SQLite refuses `ALTER TABLE legacy ADD COLUMN y TEXT`",
            "table \"legacy\" does not exist",
            "-- kit:only postgresql",
        ]);
        assert_eq!(pg_schema::snapshot(&mut c), before);
    }
}

#[test]
fn transaction_control_is_refused_before_anything_runs() {
    let (db, p) = migrated_t("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER);");
    let mut c = db.client();
    let before = pg_schema::snapshot(&mut c);
    for (body, word) in [
        ("ALTER TABLE t ADD COLUMN a INTEGER;\nCOMMIT;\nALTER TABLE nope ADD COLUMN b INTEGER;", "COMMIT"),
        ("ALTER TABLE t ADD COLUMN a INTEGER;\n-- kit:only postgresql\nCOMMIT;\n-- kit:all\nALTER TABLE nope ADD COLUMN b INTEGER;", "COMMIT"),
        ("ALTER TABLE t ADD COLUMN a INTEGER;\n-- kit:only postgresql\n/* done */ ROLLBACK;\n-- kit:all", "ROLLBACK"),
        ("ALTER TABLE t ADD COLUMN a INTEGER;\n-- kit:only postgresql\nstart transaction;\n-- kit:all", "START"),
    ] {
        p.migration("0002_tx.sql", body, "SELECT 1;");
        let out = p.fail(&["upgrade", "-c", "pg.toml"]);
        out.assert_stderr_has(&[
            "0002_tx.sql, line ",
            word,
            "transaction",
            "nothing was applied",
        ]);
        assert_eq!(pg_schema::snapshot(&mut c), before, "{body}");
        let out = p.fail(&["upgrade", "-c", "pg.toml", "--sql"]);
        out.assert_stderr_has(&["0002_tx.sql, line ", word, "transaction"]);
        assert!(out.stdout.is_empty(), "{}", out.show());
    }
    // Statements kit does not take in the portable part are refused with the block that
    // takes them.
    p.migration("0002_tx.sql", "GRANT SELECT ON t TO PUBLIC;", "SELECT 1;");
    p.fail(&["upgrade", "-c", "pg.toml"]).assert_stderr_has(&[
        "0002_tx.sql, line 3",
        "GRANT statements",
        "-- kit:only postgresql",
    ]);
    assert_eq!(pg_schema::snapshot(&mut c), before);
    p.migration(
        "0002_tx.sql",
        "-- kit:only postgresql\nGRANT SELECT ON t TO PUBLIC;\n-- kit:all",
        "-- kit:only postgresql\nREVOKE SELECT ON t FROM PUBLIC;\n-- kit:all",
    );
    p.ok(&["upgrade", "-c", "pg.toml"]);
    p.ok(&["downgrade", "-c", "pg.toml", "-1"]);
    assert_eq!(pg_schema::snapshot(&mut c), before);
    // An ad hoc change is one transaction too.
    let out = p.fail(&[
        "rebuild",
        "--db",
        &db.url,
        "--sql",
        "ALTER TABLE t ADD COLUMN a INTEGER; COMMIT; ALTER TABLE nope ADD COLUMN b INTEGER",
    ]);
    out.assert_stderr_has(&["line 1", "COMMIT", "transaction"]);
    assert_eq!(pg_schema::snapshot(&mut c), before);
}
