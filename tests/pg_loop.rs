//! Issue 10 end to end: the Kallithea loop with a PostgreSQL development database (reset,
//! autogenerate against a database that is not upgraded yet, upgrade, diff, downgrade,
//! check), and parity: `kit check --postgresql` proves the SQLite and PostgreSQL results of
//! the same migrations agree, or lists how they differ.

mod common;
#[path = "common/pg.rs"]
mod pg;

use common::Project;

/// What the loop tests add to a [`Project`]: `pg.toml` on the test's PostgreSQL database,
/// `lite.toml` on a SQLite file, both on the same `schema.sql` and `migrations/`.
impl Project {
    fn with_url_and_schema(url: &str, schema: &str) -> Project {
        let p = Project::new();
        p.write("pg.toml", &format!("database = \"{url}\"\n"));
        p.write("lite.toml", "database = \"lite.db\"\n");
        p.write("schema.sql", schema);
        p
    }

    /// The text of the `i`th migration file.
    fn migration_text(&self, i: usize) -> String {
        self.read(&format!("migrations/{}", self.migration_files()[i]))
    }
}

const V1: &str = "CREATE TABLE users (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  email TEXT NOT NULL UNIQUE,
  name TEXT,
  legacy TEXT
);
CREATE TABLE orders (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  total REAL CHECK (total >= 0)
);
CREATE INDEX orders_user ON orders(user_id);
CREATE VIEW big_orders AS SELECT id, total FROM orders WHERE total > 100;
";

const V2: &str = "CREATE TABLE users (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  mail TEXT NOT NULL UNIQUE, -- kit:renamed-from email
  name TEXT NOT NULL DEFAULT '',
  nickname TEXT COLLATE NOCASE
);
CREATE TABLE orders (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  total REAL CHECK (total >= 0)
);
CREATE INDEX orders_user ON orders(user_id);
CREATE VIEW big_orders AS SELECT id, total FROM orders WHERE total > 100;
";

#[test]
fn the_whole_loop_with_a_postgresql_development_database() {
    let db = pg::database();
    let p = Project::with_url_and_schema(&db.url, V1);
    // Autogenerate against an empty PostgreSQL database: the same portable file as on SQLite.
    p.ok(&["revision", "-c", "pg.toml", "-m", "shop", "--autogenerate"]);
    let first = p.migration_text(0);
    assert!(
        first.contains("CREATE TABLE users (\n  id INTEGER PRIMARY KEY AUTOINCREMENT"),
        "{first}"
    );
    p.ok(&["upgrade", "-c", "pg.toml"]);
    let diff = p.ok(&["diff", "-c", "pg.toml"]);
    assert!(
        diff.stdout.trim().is_empty(),
        "no difference after the upgrade:\n{}",
        diff.show()
    );
    let mut c = db.client();
    c.batch_execute("INSERT INTO users (email, name) VALUES ('a@x', 'Ann')")
        .unwrap();
    // Not at head: autogenerate refuses.
    p.write("schema.sql", V2);
    p.write(
        "migrations/0002_hand.sql",
        "-- kit:up\nSELECT 1;\n-- kit:down\nSELECT 1;\n",
    );
    let out = p.kit(&["revision", "-c", "pg.toml", "-m", "x", "--autogenerate"]);
    out.assert_code(1);
    out.assert_stderr_has(&["not up to date"]);
    std::fs::remove_file(p.p("migrations/0002_hand.sql")).unwrap();
    // The change: a rename (data kept), a column dropped (warned), one added.
    let diff = p.ok(&["diff", "-c", "pg.toml"]);
    assert!(
        diff.stdout.contains("RENAME COLUMN \"email\" TO \"mail\""),
        "{}",
        diff.show()
    );
    assert!(
        diff.stdout
            .contains("-- WARNING: destructive: drops column"),
        "{}",
        diff.show()
    );
    assert!(
        diff.stdout.contains("COLLATE NOCASE"),
        "portable text, from schema.sql:\n{}",
        diff.show()
    );
    p.ok(&[
        "revision",
        "-c",
        "pg.toml",
        "-m",
        "users: mail",
        "--autogenerate",
    ]);
    p.ok(&["upgrade", "-c", "pg.toml"]);
    let mail: String = c.query_one("SELECT mail FROM users", &[]).unwrap().get(0);
    assert_eq!(mail, "a@x");
    assert!(p.ok(&["diff", "-c", "pg.toml"]).stdout.trim().is_empty());
    p.ok(&["downgrade", "-c", "pg.toml", "-1"]);
    let email: String = c.query_one("SELECT email FROM users", &[]).unwrap().get(0);
    assert_eq!(email, "a@x");
    p.ok(&["upgrade", "-c", "pg.toml"]);
    let out = p.ok(&["check", "-c", "pg.toml"]);
    assert!(out.stdout.contains("check passed"), "{}", out.show());
    // The same migration files on SQLite, and parity between the two replays.
    p.ok(&["upgrade", "-c", "lite.toml"]);
    p.ok(&["check", "-c", "lite.toml"]);
    let out = p.ok(&["check", "-c", "lite.toml", "--postgresql", &db.url]);
    assert!(out.stdout.contains("parity"), "{}", out.show());
    let out = p.ok(&["diff", "--db", "lite.db", "--parity", &db.url]);
    assert!(out.stdout.contains("same tables"), "{}", out.show());
    // A schema file edited without a migration: check on PostgreSQL says what is missing.
    p.write(
        "schema.sql",
        &format!("{V2}CREATE TABLE tags (id INTEGER PRIMARY KEY);\n"),
    );
    let out = p.kit(&["check", "-c", "pg.toml"]);
    out.assert_code(1);
    out.assert_stderr_has(&["CREATE TABLE tags"]);
    // rebuild --to applies the diff natively.
    p.ok(&["rebuild", "--db", &db.url, "--to", "schema.sql"]);
    let n: i64 = c
        .query_one(
            "SELECT count(*) FROM pg_tables WHERE tablename = 'tags'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
}

/// The portability traps of a rename: PostgreSQL keeps a view's column names and a
/// constraint's name when a column or table is renamed. kit keeps the view's names on SQLite
/// too, and renames the unnamed constraints on PostgreSQL along with their table and column
/// (their default names follow, as SQLite's side does), so both databases agree; a name set
/// by hand on one side only is reported by parity.
#[test]
fn renames_leave_both_databases_alike_and_parity_reports_what_differs() {
    let db = pg::database();
    let p = Project::with_url_and_schema(&db.url, "");
    std::fs::create_dir_all(p.p("migrations")).unwrap();
    p.write(
        "migrations/0001_t.sql",
        "-- kit:up\nCREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE CHECK (name <> ''));\nCREATE VIEW v AS SELECT id, name FROM t;\n-- kit:down\nDROP VIEW v;\nDROP TABLE t;\n",
    );
    p.write(
        "migrations/0002_r.sql",
        "-- kit:up\nALTER TABLE t RENAME COLUMN name TO title;\nALTER TABLE t RENAME TO u;\n-- kit:down\nALTER TABLE u RENAME TO t;\nALTER TABLE t RENAME COLUMN title TO name;\n",
    );
    p.ok(&["upgrade", "-c", "lite.toml"]);
    p.ok(&["upgrade", "-c", "pg.toml"]);
    let out = p.ok(&["diff", "--db", "lite.db", "--parity", &db.url]);
    assert!(out.stdout.contains("same tables"), "{}", out.show());
    let mut c = db.client();
    let names: Vec<String> = c
        .query(
            "SELECT conname::text FROM pg_constraint WHERE conrelid = 'u'::regclass ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(names, ["u_pkey", "u_title_check", "u_title_key"]);
    let cols: Vec<String> = c
        .query("SELECT attname::text FROM pg_attribute WHERE attrelid = 'v'::regclass AND attnum > 0 ORDER BY attnum", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(cols, ["id", "name"]);
    // Both down and up again: still alike.
    p.ok(&["downgrade", "-c", "lite.toml", "-1"]);
    p.ok(&["downgrade", "-c", "pg.toml", "-1"]);
    p.ok(&["diff", "--db", "lite.db", "--parity", &db.url]);
    // A name given on PostgreSQL only: parity names both sides and says how to fix it.
    p.write(
        "migrations/0003_n.sql",
        "-- kit:up\n-- kit:only postgresql\nALTER TABLE t RENAME CONSTRAINT t_name_check TO t_custom;\n-- kit:all\n-- kit:down\n-- kit:only postgresql\nALTER TABLE t RENAME CONSTRAINT t_custom TO t_name_check;\n-- kit:all\n",
    );
    let out = p.kit(&["check", "-c", "lite.toml", "--postgresql", &db.url]);
    out.assert_code(1);
    out.assert_stderr_has(&["parity", "t_name_check", "t_custom"]);
}
