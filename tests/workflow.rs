//! End-to-end tests of the schema-as-code workflow (issue 3): config-create, diff, rebuild --to,
//! revision, upgrade, downgrade, current, history, check and throwaway-reset. Every test works
//! in its own temporary project directory and reads the outcome back through SQLite.

mod common;

use common::*;
use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::time::Duration;

// ---------------------------------------------------------------------------------------------
// A scratch project: a temporary directory holding kit.toml, schema.sql, migrations/, databases.

/// What the workflow tests add to a project: its config, migrations and SQLite databases.
impl Project {
    /// Writes `kit.toml`.
    fn config(&self, body: &str) {
        self.write("kit.toml", body);
    }

    /// Writes `migrations/<file>` in kit's format.
    fn migration(&self, file: &str, msg: &str, up: &str, down: &str) {
        let v = &file[..4];
        self.write(
            &format!("migrations/{file}"),
            &format!("-- kit:revision {v} {msg}\n-- kit:up\n{up}\n-- kit:down\n{down}\n"),
        );
    }

    /// A connection to an existing database (never creates one).
    fn conn(&self, rel: &str) -> Connection {
        let p = self.p(rel);
        assert!(p.exists(), "{} should exist", p.display());
        Connection::open_with_flags(&p, OpenFlags::SQLITE_OPEN_READ_WRITE).unwrap()
    }

    /// Creates a real, empty SQLite database file.
    fn empty_db(&self, rel: &str) {
        let c = Connection::open(self.p(rel)).unwrap();
        c.execute_batch("CREATE TABLE _tmp (x); DROP TABLE _tmp;")
            .unwrap();
    }

    fn db(&self, rel: &str, sql: &str) {
        let c = Connection::open(self.p(rel)).unwrap();
        c.execute_batch(sql).unwrap();
    }
}

/// Asserts that `app.db` is at base: no migration applied, no table `a`.
fn assert_a_at_base(p: &Project) {
    let c = p.conn("app.db");
    assert!(applied(&c).is_empty());
    assert!(!has_object(&c, "a"));
}

/// `kit rebuild --db app.db --to schema.sql` and `extra` arguments.
fn rebuild_to<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["rebuild", "--db", "app.db", "--to", "schema.sql"];
    args.extend(extra);
    args
}

/// `kit revision -c kit.toml --autogenerate -m <msg>`.
fn autogenerate(msg: &str) -> [&str; 6] {
    ["revision", "-c", "kit.toml", "--autogenerate", "-m", msg]
}

/// `kit revision -c kit.toml --db dev.db --autogenerate -m <msg>`.
fn autogenerate_dev(msg: &str) -> [&str; 8] {
    [
        "revision",
        "-c",
        "kit.toml",
        "--db",
        "dev.db",
        "--autogenerate",
        "-m",
        msg,
    ]
}

/// Column names, from `pragma_table_xinfo`.
fn columns(c: &Connection, table: &str) -> Vec<String> {
    let mut st = c
        .prepare("SELECT name FROM pragma_table_xinfo(?1)")
        .unwrap();
    st.query_map([table], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// (type, name) of every schema object except SQLite's own and kit's bookkeeping tables.
fn objects(c: &Connection) -> Vec<(String, String)> {
    let mut st = c
        .prepare(
            "SELECT type, name FROM sqlite_schema
             WHERE name NOT LIKE 'sqlite_%' AND name NOT IN ('kit_migrations', 'kit_throwaway')
             ORDER BY type, name",
        )
        .unwrap();
    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn has_object(c: &Connection, name: &str) -> bool {
    c.query_row(
        "SELECT count(*) FROM sqlite_schema WHERE name = ?1",
        [name],
        |r| r.get::<_, i64>(0),
    )
    .unwrap()
        > 0
}

fn sql_of(c: &Connection, name: &str) -> String {
    c.query_row(
        "SELECT sql FROM sqlite_schema WHERE name = ?1",
        [name],
        |r| r.get(0),
    )
    .unwrap_or_else(|e| panic!("sql of {name}: {e}"))
}

/// The versions recorded in `kit_migrations` (empty when the table does not exist).
fn applied(c: &Connection) -> Vec<String> {
    if !has_object(c, "kit_migrations") {
        return vec![];
    }
    let mut st = c
        .prepare("SELECT version FROM kit_migrations ORDER BY version")
        .unwrap();
    st.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn s(x: &[&str]) -> Vec<String> {
    x.iter().map(|s| s.to_string()).collect()
}

fn ty(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

/// The text between the `-- kit:up` and `-- kit:down` lines, and after `-- kit:down`.
fn up_down(file: &str) -> (String, String) {
    let lines: Vec<&str> = file.lines().collect();
    let up = lines
        .iter()
        .position(|l| l.trim() == "-- kit:up")
        .unwrap_or_else(|| panic!("no `-- kit:up` line:\n{file}"));
    let down = lines
        .iter()
        .position(|l| l.trim() == "-- kit:down")
        .unwrap_or_else(|| panic!("no `-- kit:down` line:\n{file}"));
    assert!(up < down, "up before down:\n{file}");
    (lines[up + 1..down].join("\n"), lines[down + 1..].join("\n"))
}

/// Asserts that the line holding `needle` is directly preceded by a `-- WARNING` comment.
fn assert_warned(part: &str, needle: &str) {
    let lines: Vec<&str> = part.lines().collect();
    let i = lines
        .iter()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle:?} not found in:\n{part}"));
    assert!(
        i > 0 && lines[i - 1].trim_start().starts_with("-- WARNING"),
        "{needle:?} should be preceded by a `-- WARNING` comment:\n{part}"
    );
}

/// Lines of `part` that are not comments or blank.
fn statements(part: &str) -> Vec<&str> {
    part.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("--"))
        .collect()
}

const CONFIG: &str = r#"
database = "temp.db"
schema = "schema.sql"
migrations = "migrations"

[throwaway]
seed = ["seed.sql"]
"#;

// ---------------------------------------------------------------------------------------------
// 1. The whole loop

const SCHEMA_V1: &str = r#"-- The app's schema.
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  name TEXT,
  legacy TEXT
);
CREATE INDEX users_name ON users(name);

CREATE TABLE "order items" (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  "naïve ""q""" TEXT,
  qty INTEGER NOT NULL DEFAULT 1
);

CREATE VIEW user_items AS
  SELECT u.email, i.qty FROM users u JOIN "order items" i ON i.user_id = u.id;

CREATE TRIGGER users_email_lower AFTER INSERT ON users BEGIN
  UPDATE users SET email = lower(new.email) WHERE id = new.id;
END;
"#;

/// V1 with: users.name renamed to full_name, users.legacy dropped, users.age added (with a
/// CHECK), a table CHECK added on "order items".
const SCHEMA_V2: &str = r#"-- The app's schema.
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  full_name TEXT, -- kit:renamed-from name
  age INTEGER CHECK (age >= 0)
);
CREATE INDEX users_name ON users(full_name);

CREATE TABLE "order items" (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  "naïve ""q""" TEXT,
  qty INTEGER NOT NULL DEFAULT 1,
  CHECK (qty > 0)
);

CREATE VIEW user_items AS
  SELECT u.email, i.qty FROM users u JOIN "order items" i ON i.user_id = u.id;

CREATE TRIGGER users_email_lower AFTER INSERT ON users BEGIN
  UPDATE users SET email = lower(new.email) WHERE id = new.id;
END;
"#;

const SEED_V1: &str = r#"
INSERT INTO users (id, email, name, legacy) VALUES (1, 'ANN@x.org', 'Ann', 'l1'), (2, 'bob@x.org', 'Bob', NULL);
INSERT INTO "order items" (id, user_id, "naïve ""q""", qty) VALUES (10, 1, 'ünïcode "quoted"', 2), (11, 2, NULL, 1);
"#;

const ITEMS: &str = r#"SELECT id, user_id, "naïve ""q""", qty FROM "order items" ORDER BY id"#;

fn items_rows() -> Vec<Vec<Value>> {
    vec![
        vec![int(10), int(1), text("ünïcode \"quoted\""), int(2)],
        vec![int(11), int(2), null(), int(1)],
    ]
}

#[test]
fn the_whole_loop() {
    let p = Project::new();

    // config-create writes a template that kit itself reads.
    p.ok(&["config-create", "kit.toml"]);
    let template = p.read("kit.toml");
    let parsed: toml::Table = toml::from_str(&template)
        .unwrap_or_else(|e| panic!("template is not TOML: {e}\n{template}"));
    assert_eq!(
        parsed.get("database").and_then(|v| v.as_str()),
        Some("temp.db"),
        "{template}"
    );
    assert!(template.contains('#'), "template has comments:\n{template}");
    p.write("schema.sql", SCHEMA_V1);
    p.write("seed.sql", SEED_V1);
    p.ok(&["throwaway-reset", "-c", "kit.toml"]);
    assert!(p.exists("temp.db"));

    // From here on, an explicit config.
    p.config(CONFIG);
    let out = p.ok(&["throwaway-reset", "-c", "kit.toml"]);
    out.assert_stderr_has(&["kit: reset", "temp.db", "schema.sql"]);
    {
        let c = p.conn("temp.db");
        assert_eq!(
            objects(&c),
            ty(&[
                ("index", "users_name"),
                ("table", "order items"),
                ("table", "users"),
                ("trigger", "users_email_lower"),
                ("view", "user_items"),
            ])
        );
        assert!(has_object(&c, "kit_throwaway"), "marker table");
        assert_eq!(columns(&c, "users"), s(&["id", "email", "name", "legacy"]));
        assert_eq!(
            columns(&c, "order items"),
            s(&["id", "user_id", "naïve \"q\"", "qty"])
        );
        assert_eq!(
            query(&c, "SELECT id, email, name, legacy FROM users ORDER BY id"),
            [
                [int(1), text("ann@x.org"), text("Ann"), text("l1")],
                [int(2), text("bob@x.org"), text("Bob"), null()]
            ]
        );
        assert_eq!(query(&c, ITEMS), items_rows());
        assert_eq!(
            query(&c, "SELECT email, qty FROM user_items ORDER BY email"),
            [[text("ann@x.org"), int(2)], [text("bob@x.org"), int(1)]]
        );
        assert!(applied(&c).is_empty(), "no migration files yet");
    }
    // A second reset is allowed (the database is a throwaway) and gives the same rows.
    p.ok(&["throwaway-reset", "-c", "kit.toml"]);
    assert_eq!(
        query(&p.conn("temp.db"), ITEMS),
        items_rows(),
        "reset twice"
    );
    // diff ignores kit's own tables: the throwaway database matches the schema.
    let out = p.ok(&["diff", "-c", "kit.toml"]);
    assert_eq!(out.stdout, "", "throwaway db == schema:\n{}", out.show());

    // The development database starts empty, at base (no migrations yet).
    p.empty_db("dev.db");
    let out = p.ok(&autogenerate_dev("init: users and items"));
    assert!(
        out.stdout.trim().ends_with("0001_init_users_and_items.sql"),
        "revision prints the path:\n{}",
        out.show()
    );
    assert_eq!(p.migration_files(), ["0001_init_users_and_items.sql"]);
    let m1 = p.read("migrations/0001_init_users_and_items.sql");
    assert!(
        m1.starts_with("-- kit:revision 0001 init: users and items"),
        "{m1}"
    );
    let (up, down) = up_down(&m1);
    assert!(up.contains("CREATE TABLE users"), "{m1}");
    assert!(up.contains("CREATE TABLE \"order items\""), "{m1}");
    assert!(up.contains("users_email_lower"), "{m1}");
    assert!(up.contains("user_items"), "{m1}");
    assert!(up.contains("users_name"), "{m1}");
    assert!(
        down.to_uppercase().contains("DROP TABLE"),
        "down drops the tables:\n{m1}"
    );
    // The dev db is unchanged by revision.
    assert!(objects(&p.conn("dev.db")).is_empty());

    let out = p.ok(&["upgrade", "-c", "kit.toml", "--db", "dev.db"]);
    out.assert_stderr_has(&["kit: upgrade 0001_init_users_and_items"]);
    {
        let c = p.conn("dev.db");
        assert_eq!(objects(&c), objects(&p.conn("temp.db")));
        assert_eq!(applied(&c), ["0001"]);
        assert!(!has_object(&c, "kit_throwaway"));
        let rec = query(
            &c,
            "SELECT version, name, checksum IS NOT NULL, applied_at IS NOT NULL FROM kit_migrations",
        );
        assert_eq!(rec.len(), 1);
        assert_eq!(rec[0][0], text("0001"));
        assert_eq!(rec[0][2], int(1));
        assert_eq!(rec[0][3], int(1));
        c.execute_batch(SEED_V1).unwrap();
    }
    let out = p.ok(&["diff", "-c", "kit.toml", "--db", "dev.db"]);
    assert_eq!(out.stdout, "", "dev db at head == schema:\n{}", out.show());
    p.ok(&["check", "-c", "kit.toml", "--db", "dev.db"]);

    // Edit the schema: add a column, add a CHECK, rename a column, drop a column.
    p.write("schema.sql", SCHEMA_V2);
    let out = p.ok(&["diff", "-c", "kit.toml", "--db", "dev.db"]);
    assert!(
        out.stdout
            .contains(r#"ALTER TABLE "users" RENAME COLUMN "name" TO "full_name""#),
        "{}",
        out.show()
    );
    assert!(
        out.stdout
            .contains(r#"ALTER TABLE "users" DROP COLUMN "legacy""#),
        "{}",
        out.show()
    );
    assert!(
        out.stdout
            .contains(r#"ALTER TABLE "users" ADD COLUMN "age""#),
        "{}",
        out.show()
    );
    assert!(
        !out.stdout.contains(r#"DROP COLUMN "name""#),
        "{}",
        out.show()
    );
    assert!(out.stdout.trim_end().ends_with(';'), "{}", out.show());

    let out = p.ok(&autogenerate_dev("users: add cool feature"));
    assert!(
        out.stdout
            .trim()
            .ends_with("0002_users_add_cool_feature.sql"),
        "{}",
        out.show()
    );
    assert_eq!(
        p.migration_files(),
        [
            "0001_init_users_and_items.sql",
            "0002_users_add_cool_feature.sql"
        ]
    );
    let m2 = p.read("migrations/0002_users_add_cool_feature.sql");
    assert!(
        m2.starts_with("-- kit:revision 0002 users: add cool feature"),
        "{m2}"
    );
    assert!(m2.contains("-- created "), "{m2}");
    let (up, down) = up_down(&m2);
    assert!(
        up.contains(r#"RENAME COLUMN "name" TO "full_name""#),
        "{m2}"
    );
    assert!(up.contains(r#"ADD COLUMN "age""#), "{m2}");
    assert!(up.contains(r#"ALTER TABLE "order items""#), "{m2}");
    assert!(up.contains("qty > 0"), "{m2}");
    assert_warned(&up, r#"DROP COLUMN "legacy""#);
    assert!(!up.contains(r#"DROP COLUMN "name""#), "{m2}");
    assert!(
        down.contains(r#"RENAME COLUMN "full_name" TO "name""#),
        "{m2}"
    );
    assert!(down.contains(r#"ADD COLUMN "legacy""#), "{m2}");
    assert!(down.contains(r#"DROP COLUMN "age""#), "{m2}");

    // upgrade head keeps the rows, under the new column name.
    let out = p.ok(&["upgrade", "-c", "kit.toml", "--db", "dev.db", "head"]);
    out.assert_stderr_has(&["kit: upgrade 0002_users_add_cool_feature"]);
    {
        let c = p.conn("dev.db");
        assert_eq!(applied(&c), ["0001", "0002"]);
        assert_eq!(
            columns(&c, "users"),
            s(&["id", "email", "full_name", "age"])
        );
        assert_eq!(
            query(
                &c,
                "SELECT id, email, full_name, age FROM users ORDER BY id"
            ),
            [
                [int(1), text("ann@x.org"), text("Ann"), null()],
                [int(2), text("bob@x.org"), text("Bob"), null()]
            ]
        );
        assert_eq!(query(&c, ITEMS), items_rows());
        assert!(sql_of(&c, "order items").contains("qty > 0"));
        assert!(
            c.execute(
                r#"INSERT INTO "order items" (user_id, qty) VALUES (1, 0)"#,
                []
            )
            .is_err(),
            "the new CHECK is enforced"
        );
        assert!(
            c.execute("INSERT INTO users (email, age) VALUES ('x@y', -1)", [])
                .is_err(),
            "the new column CHECK is enforced"
        );
        assert!(sql_of(&c, "users_name").contains("full_name"));
        assert!(query(&c, "PRAGMA foreign_key_check").is_empty());
        assert_eq!(
            query(&c, "PRAGMA integrity_check"),
            [[text("ok")]],
            "integrity"
        );
    }
    let out = p.ok(&["current", "-c", "kit.toml", "--db", "dev.db"]);
    assert!(
        out.stdout.contains("0002") && out.stdout.contains("head"),
        "{}",
        out.show()
    );
    let out = p.ok(&["diff", "-c", "kit.toml", "--db", "dev.db"]);
    assert_eq!(out.stdout, "", "dev db at head == schema:\n{}", out.show());

    // downgrade -1: back to the old shape, names back under the old column.
    p.ok(&["downgrade", "-c", "kit.toml", "--db", "dev.db", "-1"]);
    {
        let c = p.conn("dev.db");
        assert_eq!(applied(&c), ["0001"]);
        assert_eq!(columns(&c, "users"), s(&["id", "email", "name", "legacy"]));
        assert_eq!(
            query(&c, "SELECT id, email, name, legacy FROM users ORDER BY id"),
            [
                [int(1), text("ann@x.org"), text("Ann"), null()],
                [int(2), text("bob@x.org"), text("Bob"), null()]
            ]
        );
        assert!(!sql_of(&c, "order items").contains("qty > 0"));
        assert_eq!(query(&c, ITEMS), items_rows());
        assert_eq!(
            query(&c, "SELECT name FROM pragma_index_info('users_name')"),
            [[text("name")]]
        );
        assert_eq!(objects(&c).len(), 5);
    }
    let out = p.ok(&["current", "-c", "kit.toml", "--db", "dev.db"]);
    assert_eq!(out.stdout.trim(), "0001", "{}", out.show());

    // ... and up again; check is happy.
    p.ok(&["upgrade", "-c", "kit.toml", "--db", "dev.db"]);
    assert_eq!(applied(&p.conn("dev.db")), ["0001", "0002"]);
    p.ok(&["check", "-c", "kit.toml", "--db", "dev.db"]);
    let out = p.ok(&["history", "-c", "kit.toml", "--db", "dev.db"]);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", out.show());
    assert!(
        lines[0].starts_with("[x] 0001 init: users and items"),
        "{}",
        out.show()
    );
    assert!(
        lines[1].starts_with("[x] 0002 users: add cool feature"),
        "{}",
        out.show()
    );

    // The throwaway from the new schema has the same shape as the migrated dev db, and records
    // every migration file as applied.
    p.write(
        "seed.sql",
        "INSERT INTO users (id, email, full_name) VALUES (1, 'a@b', 'A');",
    );
    p.ok(&["throwaway-reset", "-c", "kit.toml"]);
    let t = p.conn("temp.db");
    let d = p.conn("dev.db");
    assert_eq!(objects(&t), objects(&d));
    for table in ["users", "order items"] {
        assert_eq!(columns(&t, table), columns(&d, table), "{table}");
    }
    assert_eq!(applied(&t), ["0001", "0002"]);
}

// ---------------------------------------------------------------------------------------------
// 2. diff

#[test]
fn diff_ignores_formatting_quoting_case_and_comments() {
    let p = Project::new();
    p.db(
        "app.db",
        "CREATE TABLE users(id integer primary key, name text);
         CREATE INDEX users_name ON users(name);",
    );
    p.write(
        "schema.sql",
        "-- leading comment\ncreate table \"users\" (\n  id INTEGER PRIMARY KEY,\n  name TEXT -- comment\n);\n\ncreate index users_name on users (\n  name\n);\n",
    );
    let before = p.bytes("app.db");
    let out = p.ok(&["diff", "--db", "app.db", "--to", "schema.sql"]);
    assert_eq!(out.stdout, "", "no differences:\n{}", out.show());

    // A new column shows up as ADD COLUMN; diff changes nothing.
    p.write(
        "schema.sql",
        "create table \"users\" (\n  id INTEGER PRIMARY KEY,\n  name TEXT, -- comment\n  age INTEGER DEFAULT 0\n);\ncreate index users_name on users(name);\n",
    );
    let out = p.ok(&["diff", "--db", "app.db", "--to", "schema.sql"]);
    assert!(
        out.stdout
            .contains(r#"ALTER TABLE "users" ADD COLUMN "age""#),
        "{}",
        out.show()
    );
    assert_eq!(
        statements(&out.stdout).len(),
        1,
        "only the new column:\n{}",
        out.show()
    );
    assert!(out.stdout.trim_end().ends_with(';'), "{}", out.show());
    assert_eq!(p.bytes("app.db"), before, "diff changes nothing");

    // Applying the diff makes the database match.
    let sql = out.stdout.clone();
    p.ok(&["rebuild", "--db", "app.db", "--sql", &sql]);
    assert_eq!(
        columns(&p.conn("app.db"), "users"),
        s(&["id", "name", "age"])
    );
    let out = p.ok(&["diff", "--db", "app.db", "--to", "schema.sql"]);
    assert_eq!(out.stdout, "", "{}", out.show());
}

#[test]
fn diff_with_spaces_quotes_and_non_ascii_identifiers() {
    let p = Project::new();
    p.db(
        "app.db",
        r#"CREATE TABLE "order items" (id INTEGER PRIMARY KEY, "naïve ""q""" TEXT, "old col" TEXT);
           INSERT INTO "order items" VALUES (1, 'a', 'x'), (2, 'b', 'y');"#,
    );
    p.write(
        "schema.sql",
        r#"CREATE TABLE "order items" (
  id INTEGER PRIMARY KEY,
  "naïve ""q""" TEXT NOT NULL,
  "größe" INTEGER DEFAULT 7
);
CREATE INDEX "order items by naïve" ON "order items" ("naïve ""q""");
CREATE TABLE "Straße ""x""" (k TEXT);
"#,
    );
    let out = p.ok(&["diff", "--db", "app.db", "--to", "schema.sql"]);
    let d = &out.stdout;
    assert!(
        d.contains(r#"ALTER TABLE "order items" ADD COLUMN "größe""#),
        "{}",
        out.show()
    );
    assert!(
        d.contains(r#"ALTER TABLE "order items" DROP COLUMN "old col""#),
        "{}",
        out.show()
    );
    assert!(
        d.contains(r#"ALTER TABLE "order items" ALTER COLUMN "naïve ""q""" SET NOT NULL"#),
        "{}",
        out.show()
    );
    assert!(d.contains("\"order items by naïve\""), "{}", out.show());
    assert!(d.contains("Straße"), "{}", out.show());

    // rebuild --to applies it (a drop needs --allow-drop).
    p.ok(&rebuild_to(&["--allow-drop"]));
    let c = p.conn("app.db");
    assert_eq!(
        columns(&c, "order items"),
        s(&["id", "naïve \"q\"", "größe"])
    );
    assert_eq!(
        query(
            &c,
            r#"SELECT id, "naïve ""q""", "größe" FROM "order items" ORDER BY id"#
        ),
        [[int(1), text("a"), int(7)], [int(2), text("b"), int(7)]]
    );
    assert!(has_object(&c, "Straße \"x\""));
    assert!(has_object(&c, "order items by naïve"));
    let out = p.ok(&["diff", "--db", "app.db", "--to", "schema.sql"]);
    assert_eq!(out.stdout, "", "{}", out.show());
}

#[test]
fn diff_renamed_from_on_a_column_line_before_a_table_and_after_its_paren() {
    let p = Project::new();
    p.db(
        "app.db",
        "CREATE TABLE people (id INTEGER PRIMARY KEY, nm TEXT);
         CREATE TABLE pets (id INTEGER PRIMARY KEY, owner INTEGER REFERENCES people(id));
         CREATE TABLE tags (id INTEGER PRIMARY KEY, label TEXT);
         INSERT INTO people VALUES (1, 'Ann'), (2, 'Bob');
         INSERT INTO pets VALUES (7, 2);
         INSERT INTO tags VALUES (3, 'red');",
    );
    p.write(
        "schema.sql",
        "-- kit:renamed-from people
CREATE TABLE persons (
  id INTEGER PRIMARY KEY,
  name TEXT -- kit:renamed-from nm
);
CREATE TABLE pets (
  id INTEGER PRIMARY KEY,
  owner_id INTEGER REFERENCES persons(id), -- kit:renamed-from owner
  born TEXT
);
CREATE TABLE labels ( -- kit:renamed-from tags
  id INTEGER PRIMARY KEY,
  label TEXT
);
",
    );
    let out = p.ok(&["diff", "--db", "app.db", "--to", "schema.sql"]);
    let d = &out.stdout;
    for want in [
        r#"ALTER TABLE "people" RENAME TO "persons""#,
        r#"RENAME COLUMN "nm" TO "name""#,
        r#"RENAME COLUMN "owner" TO "owner_id""#,
        r#"ALTER TABLE "tags" RENAME TO "labels""#,
        r#"ADD COLUMN "born""#,
    ] {
        assert!(
            d.contains(want),
            "diff should contain {want}:\n{}",
            out.show()
        );
    }
    let up = d.to_uppercase();
    assert!(!up.contains("DROP TABLE"), "{}", out.show());
    assert!(!up.contains("DROP COLUMN"), "{}", out.show());

    // No drops, so rebuild --to needs no --allow-drop; rows follow the renames.
    p.ok(&rebuild_to(&[]));
    let c = p.conn("app.db");
    assert_eq!(
        query(&c, "SELECT id, name FROM persons ORDER BY id"),
        [[int(1), text("Ann")], [int(2), text("Bob")]]
    );
    assert_eq!(
        query(&c, "SELECT id, owner_id, born FROM pets"),
        [[int(7), int(2), null()]]
    );
    assert_eq!(
        query(&c, "SELECT id, label FROM labels"),
        [[int(3), text("red")]]
    );
    assert!(!has_object(&c, "people") && !has_object(&c, "tags"));
    assert_eq!(
        query(
            &c,
            "SELECT \"table\", \"from\" FROM pragma_foreign_key_list('pets')"
        ),
        [[text("persons"), text("owner_id")]]
    );
    let out = p.ok(&["diff", "--db", "app.db", "--to", "schema.sql"]);
    assert_eq!(out.stdout, "", "{}", out.show());
}

#[test]
fn diff_uses_the_config_schema_and_ignores_kit_tables() {
    let p = Project::new();
    p.config("database = \"app.db\"\n");
    p.db(
        "app.db",
        "CREATE TABLE a (id INTEGER PRIMARY KEY);
         CREATE TABLE kit_migrations(version TEXT PRIMARY KEY, name TEXT, checksum TEXT, applied_at TEXT);
         CREATE TABLE kit_throwaway (x);",
    );
    p.write("schema.sql", "CREATE TABLE a (id INTEGER PRIMARY KEY);\n");
    let out = p.ok(&["diff", "-c", "kit.toml"]);
    assert_eq!(out.stdout, "", "{}", out.show());
    p.write(
        "schema.sql",
        "CREATE TABLE a (id INTEGER PRIMARY KEY);\nCREATE TABLE b (x TEXT);\nCREATE VIEW vb AS SELECT x FROM b;\n",
    );
    let out = p.ok(&["diff", "-c", "kit.toml"]);
    assert!(out.stdout.contains("CREATE TABLE b"), "{}", out.show());
    assert!(out.stdout.contains("CREATE VIEW vb"), "{}", out.show());
    assert!(
        out.stdout.find("CREATE TABLE b").unwrap() < out.stdout.find("CREATE VIEW vb").unwrap(),
        "table before the view reading it:\n{}",
        out.show()
    );
    assert!(!out.stdout.contains("kit_"), "{}", out.show());
}

// ---------------------------------------------------------------------------------------------
// 3. rebuild --to

#[test]
fn rebuild_to_refuses_drops_without_allow_drop() {
    let p = Project::new();
    p.db(
        "app.db",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, legacy TEXT);
         CREATE TABLE old_stuff (x);
         INSERT INTO users VALUES (1, 'Ann', 'l1'), (2, 'Bob', 'l2'), (5, 'Eve', NULL);
         INSERT INTO old_stuff VALUES (1);",
    );
    p.write(
        "schema.sql",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);\n",
    );
    let before = p.bytes("app.db");
    let out = p.fail(&rebuild_to(&[]));
    out.assert_stderr_has(&["--allow-drop", "legacy", "old_stuff"]);
    assert_eq!(p.bytes("app.db"), before, "database unchanged");

    // --dry-run with --allow-drop prints the plan and changes nothing.
    let out = p.ok(&rebuild_to(&["--allow-drop", "--dry-run"]));
    let up = out.stdout.to_uppercase();
    assert!(up.contains("DROP TABLE"), "{}", out.show());
    assert!(up.contains("LEGACY"), "{}", out.show());
    assert_eq!(p.bytes("app.db"), before, "dry run changes nothing");

    p.ok(&rebuild_to(&["--allow-drop"]));
    let c = p.conn("app.db");
    assert_eq!(columns(&c, "users"), s(&["id", "name"]));
    assert_eq!(
        query(&c, "SELECT id, name FROM users ORDER BY id"),
        [
            [int(1), text("Ann")],
            [int(2), text("Bob")],
            [int(5), text("Eve")]
        ]
    );
    assert!(!has_object(&c, "old_stuff"));
}

#[test]
fn rebuild_to_dry_run_without_drops_changes_nothing() {
    let p = Project::new();
    p.db(
        "app.db",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);
         INSERT INTO users VALUES (1, 'Ann');",
    );
    p.write(
        "schema.sql",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, age INTEGER);\n",
    );
    let before = p.bytes("app.db");
    let out = p.ok(&rebuild_to(&["--dry-run"]));
    assert!(
        out.stdout.to_uppercase().contains("ADD COLUMN"),
        "{}",
        out.show()
    );
    assert_eq!(p.bytes("app.db"), before);
    p.ok(&rebuild_to(&[]));
    let c = p.conn("app.db");
    assert_eq!(columns(&c, "users"), s(&["id", "name", "age"]));
    assert!(sql_of(&c, "users").contains("NOT NULL"));
    assert_eq!(
        query(&c, "SELECT id, name, age FROM users"),
        [[int(1), text("Ann"), null()]]
    );
}

// ---------------------------------------------------------------------------------------------
// revision

#[test]
fn revision_without_autogenerate_writes_an_empty_template() {
    let p = Project::new();
    p.config("database = \"dev.db\"\n");
    p.write("schema.sql", "CREATE TABLE a (id INTEGER PRIMARY KEY);\n");
    p.empty_db("dev.db");
    let out = p.ok(&["revision", "-c", "kit.toml", "-m", "area: add cool feature"]);
    assert!(
        out.stdout
            .trim()
            .ends_with("0001_area_add_cool_feature.sql"),
        "{}",
        out.show()
    );
    let f = p.read("migrations/0001_area_add_cool_feature.sql");
    assert!(
        f.starts_with("-- kit:revision 0001 area: add cool feature\n"),
        "{f}"
    );
    let (up, down) = up_down(&f);
    assert!(statements(&up).is_empty(), "empty up part:\n{f}");
    assert!(statements(&down).is_empty(), "empty down part:\n{f}");

    let out = p.ok(&["revision", "-c", "kit.toml", "-m", "Users -- drop   Legacy"]);
    assert!(
        out.stdout.trim().ends_with("0002_users_drop_legacy.sql"),
        "{}",
        out.show()
    );
    assert_eq!(
        p.migration_files(),
        [
            "0001_area_add_cool_feature.sql",
            "0002_users_drop_legacy.sql"
        ]
    );
    // Empty migrations apply fine.
    p.ok(&["upgrade", "-c", "kit.toml"]);
    assert_eq!(applied(&p.conn("dev.db")), ["0001", "0002"]);
}

#[test]
fn revision_warns_before_destructive_statements_in_both_parts() {
    let p = Project::new();
    p.config("database = \"dev.db\"\n");
    p.write(
        "schema.sql",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, legacy TEXT);\nCREATE TABLE gone (x);\n",
    );
    p.empty_db("dev.db");
    p.ok(&autogenerate("init"));
    let (_, down) = up_down(&p.read("migrations/0001_init.sql"));
    assert_warned(&down, r#"DROP TABLE "users""#);
    assert_warned(&down, r#"DROP TABLE "gone""#);
    p.ok(&["upgrade", "-c", "kit.toml"]);

    p.write(
        "schema.sql",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, age INTEGER);\nCREATE TABLE fresh (y);\n",
    );
    p.ok(&autogenerate("second"));
    let (up, down) = up_down(&p.read("migrations/0002_second.sql"));
    assert_warned(&up, r#"DROP COLUMN "legacy""#);
    assert_warned(&up, r#"DROP TABLE "gone""#);
    // The down part drops what up added: that loses the data written since.
    assert_warned(&down, r#"DROP COLUMN "age""#);
    assert_warned(&down, r#"DROP TABLE "fresh""#);
}

#[test]
fn revision_autogenerate_with_no_changes_writes_nothing() {
    let p = Project::new();
    p.config("database = \"dev.db\"\n");
    p.write("schema.sql", "CREATE TABLE a (id INTEGER PRIMARY KEY);\n");
    p.db("dev.db", "CREATE TABLE a (id INTEGER PRIMARY KEY);");
    let out = p.ok(&autogenerate("nothing"));
    out.assert_stderr_has(&["no changes"]);
    assert!(p.migration_files().is_empty(), "{:?}", p.migration_files());
}

#[test]
fn revision_refuses_when_the_database_is_not_at_head() {
    let p = Project::new();
    p.config("database = \"dev.db\"\n");
    p.write(
        "schema.sql",
        "CREATE TABLE a (id INTEGER PRIMARY KEY, b TEXT);\n",
    );
    p.migration(
        "0001_first.sql",
        "first",
        "CREATE TABLE a (id INTEGER PRIMARY KEY);",
        "DROP TABLE a;",
    );
    p.empty_db("dev.db");
    let before = p.bytes("dev.db");
    let out = p.fail(&autogenerate("second"));
    out.assert_stderr_has(&["target database is not up to date", "kit upgrade"]);
    assert_eq!(p.migration_files(), ["0001_first.sql"]);
    assert_eq!(p.bytes("dev.db"), before);

    // At head, it works.
    p.ok(&["upgrade", "-c", "kit.toml"]);
    let out = p.ok(&autogenerate("second"));
    assert!(
        out.stdout.trim().ends_with("0002_second.sql"),
        "{}",
        out.show()
    );
    let (up, down) = up_down(&p.read("migrations/0002_second.sql"));
    assert!(up.contains(r#"ALTER TABLE "a" ADD COLUMN "b""#), "{up}");
    assert!(
        down.contains(r#"ALTER TABLE "a" DROP COLUMN "b""#),
        "{down}"
    );
}

// ---------------------------------------------------------------------------------------------
// 4. upgrade / downgrade refusals

fn two_migrations(p: &Project) {
    p.config("database = \"app.db\"\n");
    p.write(
        "schema.sql",
        "CREATE TABLE a (id INTEGER PRIMARY KEY, b TEXT);\n",
    );
    p.migration(
        "0001_create_a.sql",
        "create a",
        "CREATE TABLE a (id INTEGER PRIMARY KEY);",
        "DROP TABLE a;",
    );
    p.migration(
        "0002_add_b.sql",
        "add b",
        "ALTER TABLE a ADD COLUMN b TEXT;",
        "ALTER TABLE a DROP COLUMN b;",
    );
}

#[test]
fn upgrade_to_an_unknown_version_is_refused() {
    let p = Project::new();
    two_migrations(&p);
    p.db(
        "app.db",
        "CREATE TABLE keep (x); INSERT INTO keep VALUES (1);",
    );
    let before = p.bytes("app.db");
    let out = p.fail(&["upgrade", "-c", "kit.toml", "0009"]);
    out.assert_stderr_has(&["0009"]);
    assert_eq!(p.bytes("app.db"), before, "database unchanged");
    p.fail(&["downgrade", "-c", "kit.toml", "0009"]);
    assert_eq!(p.bytes("app.db"), before, "database unchanged");
}

#[test]
fn upgrade_and_downgrade_to_a_version() {
    let p = Project::new();
    two_migrations(&p);
    p.empty_db("app.db");
    p.ok(&["upgrade", "-c", "kit.toml", "0001"]);
    let c = p.conn("app.db");
    assert_eq!(applied(&c), ["0001"]);
    assert_eq!(columns(&c, "a"), s(&["id"]));
    drop(c);
    p.ok(&["upgrade", "-c", "kit.toml", "head"]);
    let c = p.conn("app.db");
    assert_eq!(applied(&c), ["0001", "0002"]);
    assert_eq!(columns(&c, "a"), s(&["id", "b"]));
    c.execute("INSERT INTO a VALUES (1, 'x')", []).unwrap();
    drop(c);
    // Upgrading at head does nothing.
    p.ok(&["upgrade", "-c", "kit.toml"]);
    // downgrade VERSION keeps VERSION applied.
    p.ok(&["downgrade", "-c", "kit.toml", "0001"]);
    let c = p.conn("app.db");
    assert_eq!(applied(&c), ["0001"]);
    assert_eq!(columns(&c, "a"), s(&["id"]));
    assert_eq!(query(&c, "SELECT id FROM a"), [[int(1)]]);
    drop(c);
    p.ok(&["upgrade", "-c", "kit.toml"]);
    // downgrade -2 from head is base.
    p.ok(&["downgrade", "-c", "kit.toml", "-2"]);
    assert_a_at_base(&p);
    p.ok(&["upgrade", "-c", "kit.toml"]);
    p.ok(&["downgrade", "-c", "kit.toml", "base"]);
    assert_a_at_base(&p);
}

#[test]
fn a_migration_failing_halfway_is_rolled_back_and_not_recorded() {
    let p = Project::new();
    p.config("database = \"app.db\"\n");
    p.migration(
        "0001_half.sql",
        "half",
        "CREATE TABLE b (x INTEGER);\nINSERT INTO missing_table VALUES (1);",
        "DROP TABLE b;",
    );
    p.db(
        "app.db",
        "CREATE TABLE keep (x); INSERT INTO keep VALUES (1);",
    );
    let out = p.fail(&["upgrade", "-c", "kit.toml"]);
    out.assert_stderr_has(&["missing_table"]);
    let c = p.conn("app.db");
    assert!(!has_object(&c, "b"), "the first statement was rolled back");
    assert!(applied(&c).is_empty(), "not recorded");
    assert_eq!(query(&c, "SELECT x FROM keep"), [[int(1)]]);
}

#[test]
fn only_the_failing_migration_is_rolled_back() {
    let p = Project::new();
    p.config("database = \"app.db\"\n");
    p.migration(
        "0001_good.sql",
        "good",
        "CREATE TABLE a (id INTEGER PRIMARY KEY);",
        "DROP TABLE a;",
    );
    p.migration(
        "0002_bad.sql",
        "bad",
        "CREATE TABLE b (x INTEGER);\nALTER TABLE nope ADD COLUMN y TEXT;",
        "DROP TABLE b;",
    );
    p.empty_db("app.db");
    let out = p.fail(&["upgrade", "-c", "kit.toml"]);
    out.assert_stderr_has(&["nope"]);
    let c = p.conn("app.db");
    assert_eq!(
        applied(&c),
        ["0001"],
        "each migration in its own transaction"
    );
    assert!(has_object(&c, "a"));
    assert!(!has_object(&c, "b"));
}

#[test]
fn a_migration_without_an_up_marker_is_an_error_naming_the_file() {
    let p = Project::new();
    p.config("database = \"app.db\"\n");
    p.write("migrations/0001_bare.sql", "CREATE TABLE a (x);\n");
    p.empty_db("app.db");
    let out = p.fail(&["upgrade", "-c", "kit.toml"]);
    out.assert_stderr_has(&["0001_bare.sql"]);
    assert!(!has_object(&p.conn("app.db"), "a"));
}

// ---------------------------------------------------------------------------------------------
// check

#[test]
fn check_passes_at_head_with_a_matching_schema() {
    let p = Project::new();
    two_migrations(&p);
    p.empty_db("app.db");
    p.ok(&["upgrade", "-c", "kit.toml"]);
    p.ok(&["check", "-c", "kit.toml"]);
}

#[test]
fn check_detects_an_edited_applied_migration() {
    let p = Project::new();
    two_migrations(&p);
    p.empty_db("app.db");
    p.ok(&["upgrade", "-c", "kit.toml"]);
    let f = p.read("migrations/0001_create_a.sql");
    p.write(
        "migrations/0001_create_a.sql",
        &f.replace(
            "CREATE TABLE a (id INTEGER PRIMARY KEY);",
            "CREATE TABLE a (id INTEGER PRIMARY KEY, z TEXT);",
        ),
    );
    let out = p.fail(&["check", "-c", "kit.toml"]);
    out.assert_stderr_has(&["edited", "0001_create_a"]);
}

#[test]
fn check_detects_a_missing_applied_migration() {
    let p = Project::new();
    two_migrations(&p);
    p.empty_db("app.db");
    p.ok(&["upgrade", "-c", "kit.toml"]);
    std::fs::remove_file(p.p("migrations/0002_add_b.sql")).unwrap();
    let out = p.fail(&["check", "-c", "kit.toml"]);
    out.assert_stderr_has(&["missing", "0002"]);
}

#[test]
fn check_detects_a_duplicate_version() {
    let p = Project::new();
    two_migrations(&p);
    p.migration(
        "0002_other.sql",
        "other",
        "CREATE TABLE c (x);",
        "DROP TABLE c;",
    );
    p.empty_db("app.db");
    let out = p.fail(&["check", "-c", "kit.toml"]);
    out.assert_stderr_has(&["share version", "0002"]);
}

#[test]
fn check_detects_a_database_behind_head() {
    let p = Project::new();
    two_migrations(&p);
    p.empty_db("app.db");
    p.ok(&["upgrade", "-c", "kit.toml", "0001"]);
    let out = p.fail(&["check", "-c", "kit.toml"]);
    let low = out.stderr.to_lowercase();
    assert!(
        low.contains("behind") || low.contains("not up to date"),
        "{}",
        out.show()
    );
}

#[test]
fn check_detects_migrations_that_do_not_give_the_schema() {
    let p = Project::new();
    two_migrations(&p);
    p.write(
        "schema.sql",
        "CREATE TABLE a (id INTEGER PRIMARY KEY, b TEXT);\nCREATE TABLE only_in_schema (x TEXT);\n",
    );
    p.empty_db("app.db");
    p.ok(&["upgrade", "-c", "kit.toml"]);
    let out = p.fail(&["check", "-c", "kit.toml"]);
    out.assert_stderr_has(&["does not match", "only_in_schema"]);
}

// ---------------------------------------------------------------------------------------------
// throwaway-reset refusals

#[test]
fn throwaway_reset_refuses_a_database_it_did_not_create() {
    let p = Project::new();
    p.config(CONFIG);
    p.write("schema.sql", "CREATE TABLE t (id INTEGER PRIMARY KEY);\n");
    p.write("seed.sql", "INSERT INTO t VALUES (1);\n");
    p.db(
        "temp.db",
        "CREATE TABLE precious (x); INSERT INTO precious VALUES (42);",
    );
    let before = p.bytes("temp.db");
    let out = p.fail(&["throwaway-reset", "-c", "kit.toml"]);
    out.assert_stderr_has(&["temp.db"]);
    assert_eq!(p.bytes("temp.db"), before, "file untouched");

    p.ok(&["throwaway-reset", "-c", "kit.toml", "--force"]);
    let c = p.conn("temp.db");
    assert!(!has_object(&c, "precious"));
    assert!(has_object(&c, "kit_throwaway"));
    assert_eq!(query(&c, "SELECT id FROM t"), [[int(1)]]);
}

/// A project with a throwaway `temp.db` reset from a one-table schema and seed; returns the
/// project and the database's bytes.
fn reset_throwaway() -> (Project, Vec<u8>) {
    let p = Project::new();
    p.config(CONFIG);
    p.write("schema.sql", "CREATE TABLE t (id INTEGER PRIMARY KEY);\n");
    p.write("seed.sql", "INSERT INTO t VALUES (1);\n");
    p.ok(&["throwaway-reset", "-c", "kit.toml"]);
    let before = p.bytes("temp.db");
    (p, before)
}

/// Asserts that a throwaway reset fails naming `needles` and leaves `temp.db` as `before`.
fn assert_reset_fails_untouched(p: &Project, before: &[u8], needles: &[&str]) {
    let out = p.fail(&["throwaway-reset", "-c", "kit.toml"]);
    out.assert_stderr_has(needles);
    assert_eq!(p.bytes("temp.db"), before, "previous database untouched");
}

#[test]
fn throwaway_reset_with_a_broken_schema_leaves_the_previous_database() {
    let (p, before) = reset_throwaway();
    p.write(
        "schema.sql",
        "CREATE TABLE t (id INTEGER PRIMARY KEY);\nCREATE INDEX broken_idx ON nosuch(x);\n",
    );
    assert_reset_fails_untouched(&p, &before, &["no such table", "nosuch", "broken_idx"]);

    p.write("schema.sql", "CREATE TABLE t (id INTEGER PRIMARY KEY,);\n");
    assert_reset_fails_untouched(&p, &before, &["syntax error"]);
}

#[test]
fn throwaway_reset_with_a_broken_seed_leaves_the_previous_database() {
    let (p, before) = reset_throwaway();
    p.write(
        "seed.sql",
        "INSERT INTO t VALUES (2);\nINSERT INTO t (nope) VALUES (3);\n",
    );
    assert_reset_fails_untouched(&p, &before, &["nope"]);
}

#[test]
fn throwaway_reset_runs_seed_files_in_order() {
    let p = Project::new();
    p.config("database = \"temp.db\"\n[throwaway]\nseed = [\"seed/1.sql\", \"seed/0.sql\"]\n");
    p.write(
        "schema.sql",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);\n",
    );
    p.write("seed/1.sql", "INSERT INTO t VALUES (1, 'first');\n");
    p.write("seed/0.sql", "UPDATE t SET v = 'second' WHERE id = 1;\n");
    p.ok(&["throwaway-reset", "-c", "kit.toml"]);
    assert_eq!(
        query(&p.conn("temp.db"), "SELECT id, v FROM t"),
        [[int(1), text("second")]]
    );
}

#[test]
fn throwaway_reset_from_schema_records_every_migration_as_applied() {
    let p = Project::new();
    two_migrations(&p);
    p.config("database = \"temp.db\"\n");
    p.ok(&["throwaway-reset", "-c", "kit.toml"]);
    let c = p.conn("temp.db");
    assert_eq!(applied(&c), ["0001", "0002"]);
    assert_eq!(columns(&c, "a"), s(&["id", "b"]));
    drop(c);
    let out = p.ok(&["current", "-c", "kit.toml"]);
    assert!(out.stdout.contains("0002"), "{}", out.show());
    p.ok(&["check", "-c", "kit.toml"]);
}

// ---------------------------------------------------------------------------------------------
// config

#[test]
fn config_create_refuses_to_overwrite_without_force() {
    let p = Project::new();
    p.write("kit.toml", "database = \"mine.db\"\n");
    let out = p.fail(&["config-create", "kit.toml"]);
    out.assert_stderr_has(&["kit.toml"]);
    assert_eq!(p.read("kit.toml"), "database = \"mine.db\"\n");
    p.ok(&["config-create", "kit.toml", "--force", "--db", "dev.db"]);
    let t: toml::Table = toml::from_str(&p.read("kit.toml")).unwrap();
    assert_eq!(t.get("database").and_then(|v| v.as_str()), Some("dev.db"));
}

#[test]
fn config_with_an_unknown_key_names_it() {
    let p = Project::new();
    p.write("schema.sql", "CREATE TABLE a (x);\n");
    p.config("database = \"app.db\"\ndatabsae_typo = \"x\"\n");
    let out = p.fail(&["current", "-c", "kit.toml"]);
    out.assert_stderr_has(&["databsae_typo"]);
    p.config("database = \"app.db\"\n[throwaway]\nseeds = []\n");
    let out = p.fail(&["throwaway-reset", "-c", "kit.toml"]);
    out.assert_stderr_has(&["seeds"]);
    assert!(!p.exists("app.db"));
}

#[test]
fn config_with_a_wrong_type_names_the_key() {
    let p = Project::new();
    p.write("schema.sql", "CREATE TABLE a (x);\n");
    p.config("database = 5\n");
    let out = p.fail(&["current", "-c", "kit.toml"]);
    out.assert_stderr_has(&["database"]);
    p.config("database = \"app.db\"\n[log]\nsql = \"yes\"\n");
    let out = p.fail(&["current", "-c", "kit.toml"]);
    out.assert_stderr_has(&["sql"]);
    p.config("database = \"app.db\"\n[throwaway]\nfrom = \"somewhere\"\n");
    let out = p.fail(&["throwaway-reset", "-c", "kit.toml"]);
    out.assert_stderr_has(&["from"]);
}

#[test]
fn missing_config_names_the_path() {
    let p = Project::new();
    let out = p.fail(&["current", "-c", "nope.toml"]);
    out.assert_stderr_has(&["nope.toml"]);
    let out = p.fail(&["upgrade", "-c", "nope.toml"]);
    out.assert_stderr_has(&["nope.toml"]);
}

#[test]
fn config_paths_are_relative_to_the_config_and_db_to_the_cwd() {
    let p = Project::new();
    p.write(
        "sub/kit.toml",
        "database = \"temp.db\"\n[throwaway]\nseed = [\"seed.sql\"]\n",
    );
    p.write(
        "sub/schema.sql",
        "CREATE TABLE t (id INTEGER PRIMARY KEY);\n",
    );
    p.write("sub/seed.sql", "INSERT INTO t VALUES (9);\n");
    p.ok(&["throwaway-reset", "-c", "sub/kit.toml"]);
    assert!(p.exists("sub/temp.db"));
    assert!(!p.exists("temp.db"));
    assert_eq!(
        query(&p.conn("sub/temp.db"), "SELECT id FROM t"),
        [[int(9)]]
    );
    p.ok(&["throwaway-reset", "-c", "sub/kit.toml", "--db", "other.db"]);
    assert!(p.exists("other.db"));
    assert!(!p.exists("sub/other.db"));
    assert_eq!(query(&p.conn("other.db"), "SELECT id FROM t"), [[int(9)]]);
}

// ---------------------------------------------------------------------------------------------
// 5. --sql

#[test]
fn upgrade_and_downgrade_sql_print_and_change_nothing() {
    let p = Project::new();
    two_migrations(&p);
    let out = p.ok(&["upgrade", "-c", "kit.toml", "--sql"]);
    let low = out.stdout.to_lowercase();
    assert!(low.contains("create table a"), "{}", out.show());
    assert!(low.contains("add column b"), "{}", out.show());
    assert!(low.contains("kit_migrations"), "{}", out.show());
    assert!(
        out.stdout.contains("0001") && out.stdout.contains("0002"),
        "{}",
        out.show()
    );
    assert!(!p.exists("app.db"), "--sql creates no database");
    for ext in ["-journal", "-wal", "-shm"] {
        assert!(!p.exists(&format!("app.db{ext}")));
    }
    let out = p.ok(&["upgrade", "-c", "kit.toml", "0001", "--sql"]);
    let low = out.stdout.to_lowercase();
    assert!(low.contains("create table a"), "{}", out.show());
    assert!(!low.contains("add column"), "{}", out.show());
    assert!(!p.exists("app.db"));

    p.empty_db("app.db");
    p.ok(&["upgrade", "-c", "kit.toml", "0001"]);
    let before = p.bytes("app.db");
    let out = p.ok(&["upgrade", "-c", "kit.toml", "--sql"]);
    let low = out.stdout.to_lowercase();
    assert!(low.contains("add column b"), "{}", out.show());
    assert!(
        !low.contains("create table a"),
        "only pending:\n{}",
        out.show()
    );
    assert_eq!(p.bytes("app.db"), before);

    p.ok(&["upgrade", "-c", "kit.toml"]);
    let before = p.bytes("app.db");
    let out = p.ok(&["downgrade", "-c", "kit.toml", "base", "--sql"]);
    let low = out.stdout.to_lowercase();
    assert!(low.contains("drop column"), "{}", out.show());
    assert!(low.contains("drop table"), "{}", out.show());
    assert!(low.contains("kit_migrations"), "{}", out.show());
    assert!(
        low.find("drop column").unwrap() < low.find("drop table").unwrap(),
        "newest first:\n{}",
        out.show()
    );
    let out = p.ok(&["downgrade", "-c", "kit.toml", "-1", "--sql"]);
    let low = out.stdout.to_lowercase();
    assert!(low.contains("drop column"), "{}", out.show());
    assert!(!low.contains("drop table"), "{}", out.show());
    assert_eq!(p.bytes("app.db"), before, "--sql changes nothing");
    assert_eq!(applied(&p.conn("app.db")), ["0001", "0002"]);
}

// ---------------------------------------------------------------------------------------------
// 6. current and history

#[test]
fn current_and_history_follow_upgrades() {
    let p = Project::new();
    two_migrations(&p);
    p.empty_db("app.db");
    let cur = |p: &Project| {
        p.ok(&["current", "-c", "kit.toml"])
            .stdout
            .trim()
            .to_string()
    };
    let hist = |p: &Project| -> Vec<String> {
        p.ok(&["history", "-c", "kit.toml"])
            .stdout
            .lines()
            .map(str::to_string)
            .collect()
    };
    assert_eq!(cur(&p), "base");
    let h = hist(&p);
    assert_eq!(h.len(), 2, "{h:?}");
    assert!(h[0].starts_with("[ ] 0001 create a"), "{h:?}");
    assert!(h[1].starts_with("[ ] 0002 add b"), "{h:?}");

    p.ok(&["upgrade", "-c", "kit.toml", "0001"]);
    assert_eq!(cur(&p), "0001");
    let h = hist(&p);
    assert!(h[0].starts_with("[x] 0001 create a"), "{h:?}");
    assert!(h[1].starts_with("[ ] 0002 add b"), "{h:?}");

    p.ok(&["upgrade", "-c", "kit.toml"]);
    assert_eq!(cur(&p), "0002 (head)");
    let h = hist(&p);
    assert!(h[0].starts_with("[x] 0001 create a"), "{h:?}");
    assert!(h[1].starts_with("[x] 0002 add b"), "{h:?}");

    p.ok(&["downgrade", "-c", "kit.toml", "base"]);
    assert_eq!(cur(&p), "base");
    let h = hist(&p);
    assert!(h.iter().all(|l| l.starts_with("[ ]")), "{h:?}");
}

// ---------------------------------------------------------------------------------------------
// 7. throwaway from migrations

#[test]
fn throwaway_reset_from_migrations_replays_them() {
    let p = Project::new();
    two_migrations(&p);
    p.config("database = \"temp.db\"\n[throwaway]\nseed = [\"seed.sql\"]\nfrom = \"migrations\"\n");
    // The schema file differs: it must not be used.
    p.write("schema.sql", "CREATE TABLE from_schema_only (x);\n");
    p.write("seed.sql", "INSERT INTO a (id, b) VALUES (1, 'seeded');\n");
    let out = p.ok(&["throwaway-reset", "-c", "kit.toml"]);
    out.assert_stderr_has(&["kit: reset"]);
    let c = p.conn("temp.db");
    assert!(!has_object(&c, "from_schema_only"));
    assert_eq!(objects(&c), ty(&[("table", "a")]));
    assert_eq!(columns(&c, "a"), s(&["id", "b"]));
    assert_eq!(query(&c, "SELECT id, b FROM a"), [[int(1), text("seeded")]]);
    assert_eq!(applied(&c), ["0001", "0002"]);
    assert!(has_object(&c, "kit_throwaway"));
}

// ---------------------------------------------------------------------------------------------
// 8. --watch

/// Reads a value from the database if it can be opened right now (it may be mid-reset).
fn try_query(path: &Path, sql: &str) -> Option<Vec<Vec<Value>>> {
    if !path.exists() {
        return None;
    }
    let c = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).ok()?;
    let mut st = c.prepare(sql).ok()?;
    let n = st.column_count();
    let rows = st
        .query_map([], |r| (0..n).map(|i| r.get::<_, Value>(i)).collect())
        .ok()?
        .collect::<Result<Vec<Vec<Value>>, _>>()
        .ok()?;
    Some(rows)
}

fn table_exists(path: &Path, name: &str) -> bool {
    try_query(
        path,
        &format!("SELECT 1 FROM sqlite_schema WHERE name = '{name}'"),
    )
    .is_some_and(|r| !r.is_empty())
}

#[test]
fn watch_resets_on_changes_and_survives_errors() {
    let p = Project::new();
    p.config(CONFIG);
    p.write("schema.sql", "CREATE TABLE t (id INTEGER PRIMARY KEY);\n");
    p.write("seed.sql", "INSERT INTO t VALUES (1);\n");
    let mut w = p.spawn(&["throwaway-reset", "-c", "kit.toml", "--watch"]);
    let db = p.p("temp.db");

    w.wait_for("the first reset", WATCH_WAIT, || {
        table_exists(&db, "kit_throwaway") && table_exists(&db, "t")
    });
    // Give the watcher a moment to start watching.
    std::thread::sleep(Duration::from_millis(500));

    // A new table in the schema appears in the database.
    p.write(
        "schema.sql",
        "CREATE TABLE t (id INTEGER PRIMARY KEY);\nCREATE TABLE extra (x TEXT);\n",
    );
    w.wait_for("table extra", WATCH_WAIT, || table_exists(&db, "extra"));
    assert_eq!(try_query(&db, "SELECT id FROM t"), Some(vec![vec![int(1)]]));

    // A broken schema: the error is printed, kit keeps running, the database stays.
    let errors_before = w.log().matches("error").count();
    p.write(
        "schema.sql",
        "CREATE TABLE t (id INTEGER PRIMARY KEY);\nCREATE TABLE extra (x TEXT);\nCREATE TABLE broken (,);\n",
    );
    w.wait_for("the error to be printed", WATCH_WAIT, || {
        w_log_errors(&p.p("watch.log")) > errors_before
    });
    std::thread::sleep(Duration::from_millis(300));
    w.assert_running();
    assert!(table_exists(&db, "extra"), "previous database kept");

    // Fixed: it recovers.
    p.write(
        "schema.sql",
        "CREATE TABLE t (id INTEGER PRIMARY KEY);\nCREATE TABLE extra (x TEXT);\nCREATE TABLE extra2 (y TEXT);\n",
    );
    w.wait_for("table extra2", WATCH_WAIT, || table_exists(&db, "extra2"));

    // A seed change triggers a reset too, also when it comes right after a reset: every edit
    // must be picked up, none swallowed.
    for n in 2..=6 {
        let values: Vec<String> = (1..=n).map(|i| format!("({i})")).collect();
        p.write(
            "seed.sql",
            &format!("INSERT INTO t VALUES {};\n", values.join(", ")),
        );
        w.wait_for(&format!("{n} seed rows"), WATCH_WAIT, || {
            try_query(&db, "SELECT count(*) FROM t") == Some(vec![vec![int(n)]])
        });
    }
    w.assert_running();
}

/// How long a `--watch` test waits for each reset.
const WATCH_WAIT: Duration = Duration::from_secs(10);

fn w_log_errors(log: &Path) -> usize {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .matches("error")
        .count()
}

// ---------------------------------------------------------------------------------------------
// 9. log.sql

#[test]
fn log_sql_echoes_statements_during_upgrade() {
    let p = Project::new();
    p.config("database = \"app.db\"\n[log]\nsql = true\n");
    p.migration(
        "0001_first.sql",
        "first",
        "CREATE TABLE logged_table (id INTEGER PRIMARY KEY);\nCREATE INDEX logged_idx ON logged_table(id);",
        "DROP TABLE logged_table;",
    );
    p.empty_db("app.db");
    let out = p.ok(&["upgrade", "-c", "kit.toml"]);
    out.assert_stderr_has(&["CREATE TABLE logged_table", "CREATE INDEX logged_idx"]);
    let out = p.ok(&["downgrade", "-c", "kit.toml", "base"]);
    out.assert_stderr_has(&["DROP TABLE logged_table"]);

    // Without log.sql, statements are not echoed.
    p.config("database = \"app.db\"\n");
    let out = p.ok(&["upgrade", "-c", "kit.toml"]);
    assert!(
        !out.stderr.contains("CREATE TABLE logged_table"),
        "{}",
        out.show()
    );
    assert!(has_object(&p.conn("app.db"), "logged_table"));
}

// ---------------------------------------------------------------------------------------------
// Every kind of difference: diff -> rebuild --to gives the schema; revision up/down round-trip.

/// What SQLite reports about a schema, independent of how its SQL is written: per table the
/// columns (table_xinfo), indexes (with their columns, uniqueness, partial-ness) and foreign
/// keys, plus the names of views and triggers.
fn shape(c: &Connection) -> Vec<String> {
    let mut out = vec![];
    for (ty, name) in objects(c) {
        out.push(format!("{ty} {name}"));
        if ty != "table" {
            continue;
        }
        let q = quote(&name);
        let kind = query(
            c,
            &format!(
                "SELECT wr, strict FROM pragma_table_list WHERE schema = 'main' AND name = {}",
                quote(&name).replace('"', "'")
            ),
        );
        out.push(format!("  wr, strict: {kind:?}"));
        for r in query(c, &format!("PRAGMA table_xinfo({q})")) {
            out.push(format!("  col {:?}", &r[1..]));
        }
        for r in query(
            c,
            &format!("SELECT name, \"unique\", origin, partial FROM pragma_index_list({q}) ORDER BY name"),
        ) {
            let Value::Text(idx) = &r[0] else { unreachable!() };
            let cols = query(
                c,
                &format!(
                    "SELECT name, desc, coll FROM pragma_index_xinfo({}) WHERE key ORDER BY seqno",
                    quote(idx).replace('"', "'")
                ),
            );
            out.push(format!("  index {r:?} {cols:?}"));
        }
        for r in query(
            c,
            &format!("SELECT \"table\", \"from\", \"to\", on_update, on_delete FROM pragma_foreign_key_list({q}) ORDER BY id, seq"),
        ) {
            out.push(format!("  fk {r:?}"));
        }
    }
    out
}

fn fresh_shape(schema_sql: &str) -> Vec<String> {
    let c = Connection::open_in_memory().unwrap();
    c.execute_batch(schema_sql).unwrap();
    shape(&c)
}

/// What differs between the shape of `c` and that of a fresh database made from `schema_sql`,
/// or `None` when they agree.
fn shape_mismatch(c: &Connection, schema_sql: &str) -> Option<String> {
    let (got, want) = (shape(c), fresh_shape(schema_sql));
    (got != want).then(|| format!("got:\n{got:#?}\nwant:\n{want:#?}"))
}

struct Case {
    name: &'static str,
    old: &'static str,
    new: &'static str,
    rows: &'static str,
}

const CASES: &[Case] = &[
    Case {
        name: "column type",
        old: "CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b TEXT);",
        new: "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT);",
        rows: "INSERT INTO t VALUES (1, 10, 'x'), (2, NULL, 'y');",
    },
    Case {
        name: "not null set and dropped",
        old: "CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER NOT NULL, b TEXT);",
        new: "CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b TEXT NOT NULL);",
        rows: "INSERT INTO t VALUES (1, 10, 'x'), (2, 20, 'y');",
    },
    Case {
        name: "defaults changed, set and dropped",
        old: "CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER DEFAULT 1, b TEXT DEFAULT 'x', c REAL);",
        new: "CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER DEFAULT 2, b TEXT, c REAL DEFAULT 0.5);",
        rows: "INSERT INTO t (id) VALUES (1), (2);",
    },
    Case {
        name: "checks added and dropped",
        old: "CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER CHECK (a < 100), b TEXT);",
        new: "CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b TEXT, CONSTRAINT pos CHECK (a > 0));",
        rows: "INSERT INTO t VALUES (1, 10, 'x'), (2, 20, 'y');",
    },
    Case {
        name: "indexes changed, dropped, added",
        old: "CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b TEXT);
              CREATE INDEX t_a ON t(a);
              CREATE UNIQUE INDEX t_b ON t(b);",
        new: "CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b TEXT);
              CREATE INDEX t_a ON t(a, b DESC);
              CREATE INDEX t_partial ON t(b COLLATE NOCASE) WHERE b IS NOT NULL;",
        rows: "INSERT INTO t VALUES (1, 10, 'x'), (2, 20, 'y');",
    },
    Case {
        name: "view and trigger changed",
        old: "CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b TEXT);
              CREATE TABLE log (msg TEXT);
              CREATE VIEW v AS SELECT a FROM t;
              CREATE TRIGGER t_ins AFTER INSERT ON t BEGIN INSERT INTO log VALUES ('ins'); END;",
        new: "CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b TEXT);
              CREATE TABLE log (msg TEXT);
              CREATE VIEW v AS SELECT a, b FROM t WHERE a > 0;
              CREATE TRIGGER t_ins AFTER INSERT ON t BEGIN INSERT INTO log VALUES (new.b); END;
              CREATE TRIGGER t_del AFTER DELETE ON t BEGIN INSERT INTO log VALUES ('del'); END;",
        rows: "INSERT INTO t VALUES (1, 10, 'x'); INSERT INTO log VALUES ('kept');",
    },
    Case {
        name: "foreign key added with a new table",
        old: "CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER);",
        new: "CREATE TABLE u (id INTEGER PRIMARY KEY, name TEXT);
              CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, u_id INTEGER REFERENCES u(id) ON DELETE SET NULL);",
        rows: "INSERT INTO t VALUES (1, 10), (2, 20);",
    },
    Case {
        name: "table foreign key constraint added",
        old: "CREATE TABLE u (id INTEGER PRIMARY KEY);
              CREATE TABLE t (id INTEGER PRIMARY KEY, u_id INTEGER);",
        new: "CREATE TABLE u (id INTEGER PRIMARY KEY);
              CREATE TABLE t (id INTEGER PRIMARY KEY, u_id INTEGER, FOREIGN KEY (u_id) REFERENCES u(id) ON DELETE CASCADE);",
        rows: "INSERT INTO u VALUES (1); INSERT INTO t VALUES (1, 1), (2, NULL);",
    },
    Case {
        name: "collation and generated column",
        old: "CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b TEXT);",
        new: "CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b TEXT COLLATE NOCASE, twice INTEGER GENERATED ALWAYS AS (a * 2) VIRTUAL);",
        rows: "INSERT INTO t VALUES (1, 10, 'x'), (2, 20, 'Y');",
    },
    Case {
        name: "primary key and unique constraint added",
        old: "CREATE TABLE t (id INTEGER, a INTEGER, b TEXT);",
        new: "CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b TEXT, UNIQUE (a, b));",
        rows: "INSERT INTO t VALUES (1, 10, 'x'), (2, 20, 'y');",
    },
    Case {
        name: "table added and dropped",
        old: "CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER);
              CREATE TABLE gone (x TEXT);
              CREATE INDEX gone_x ON gone(x);",
        new: "CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER);
              CREATE TABLE fresh (y TEXT NOT NULL DEFAULT '');",
        rows: "INSERT INTO t VALUES (1, 10); INSERT INTO gone VALUES ('bye');",
    },
    Case {
        name: "column dropped that an index and a view use",
        old: "CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b TEXT);
              CREATE INDEX t_b ON t(b);
              CREATE VIEW v AS SELECT a, b FROM t;",
        new: "CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER);
              CREATE VIEW v AS SELECT a FROM t;",
        rows: "INSERT INTO t VALUES (1, 10, 'x'), (2, 20, 'y');",
    },
    Case {
        name: "type change of a column a view and a trigger use",
        old: "CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b TEXT);
              CREATE TABLE log (msg);
              CREATE VIEW v AS SELECT a FROM t;
              CREATE TRIGGER t_upd AFTER UPDATE OF a ON t BEGIN INSERT INTO log VALUES (new.a); END;",
        new: "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT);
              CREATE TABLE log (msg);
              CREATE VIEW v AS SELECT a FROM t;
              CREATE TRIGGER t_upd AFTER UPDATE OF a ON t BEGIN INSERT INTO log VALUES (new.a); END;",
        rows: "INSERT INTO t VALUES (1, 10, 'x');",
    },
    Case {
        name: "table renamed that a foreign key, a view and a trigger name",
        old: "CREATE TABLE u (id INTEGER PRIMARY KEY, name TEXT);
              CREATE TABLE t (id INTEGER PRIMARY KEY, u_id INTEGER REFERENCES u(id));
              CREATE VIEW vu AS SELECT id, name FROM u;
              CREATE TRIGGER t_ins AFTER INSERT ON t BEGIN UPDATE u SET name = 'x' WHERE id = new.u_id; END;",
        new: "-- kit:renamed-from u
              CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);
              CREATE TABLE t (id INTEGER PRIMARY KEY, u_id INTEGER REFERENCES users(id));
              CREATE VIEW vu AS SELECT id, name FROM users;
              CREATE TRIGGER t_ins AFTER INSERT ON t BEGIN UPDATE users SET name = 'x' WHERE id = new.u_id; END;",
        rows: "INSERT INTO u VALUES (1, 'a'); INSERT INTO t VALUES (1, 1);",
    },
    Case {
        name: "column renamed that an index, a view, a trigger, a check and a foreign key name",
        old: "CREATE TABLE u (id INTEGER PRIMARY KEY, code TEXT UNIQUE);
              CREATE TABLE t (id INTEGER PRIMARY KEY, code TEXT REFERENCES u(code), CHECK (length(code) < 10));
              CREATE INDEX t_code ON t(code);
              CREATE VIEW v AS SELECT code FROM t;
              CREATE TRIGGER t_ins AFTER INSERT ON t BEGIN SELECT new.code; END;",
        new: "CREATE TABLE u (
                id INTEGER PRIMARY KEY,
                ref TEXT UNIQUE -- kit:renamed-from code
              );
              CREATE TABLE t (
                id INTEGER PRIMARY KEY,
                ref TEXT REFERENCES u(ref), -- kit:renamed-from code
                CHECK (length(ref) < 10)
              );
              CREATE INDEX t_code ON t(ref);
              CREATE VIEW v AS SELECT ref FROM t;
              CREATE TRIGGER t_ins AFTER INSERT ON t BEGIN SELECT new.ref; END;",
        rows: "INSERT INTO u VALUES (1, 'a'); INSERT INTO t VALUES (1, 'a');",
    },
    Case {
        name: "autoincrement table changed in an analyzed database",
        old: "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, a INTEGER);
              CREATE INDEX t_a ON t(a);",
        new: "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, a INTEGER, b TEXT DEFAULT 'b');
              CREATE INDEX t_a ON t(a);",
        rows: "INSERT INTO t (a) VALUES (1), (2), (3); DELETE FROM t WHERE id = 3; ANALYZE;",
    },
    Case {
        name: "strict and without rowid tables",
        old: "CREATE TABLE k (a TEXT PRIMARY KEY, b INT) WITHOUT ROWID;",
        new: "CREATE TABLE k (a TEXT PRIMARY KEY, b INT, c TEXT) WITHOUT ROWID;
              CREATE TABLE s (x INTEGER, y TEXT) STRICT;",
        rows: "INSERT INTO k VALUES ('a', 1), ('b', 2);",
    },
    Case {
        name: "table renamed and changed",
        old: "CREATE TABLE u (id INTEGER PRIMARY KEY, name TEXT, age INTEGER);",
        new: "CREATE TABLE people ( -- kit:renamed-from u
                id INTEGER PRIMARY KEY,
                full_name TEXT NOT NULL, -- kit:renamed-from name
                age TEXT,
                email TEXT
              );",
        rows: "INSERT INTO u VALUES (1, 'a', 30), (2, 'b', NULL);",
    },
    Case {
        name: "everything dropped",
        old: "CREATE TABLE u (id INTEGER PRIMARY KEY);
              CREATE TABLE t (id INTEGER PRIMARY KEY, u_id INTEGER REFERENCES u(id));
              CREATE VIEW v AS SELECT * FROM t JOIN u ON u.id = t.u_id;
              CREATE TRIGGER tr AFTER DELETE ON u BEGIN DELETE FROM t WHERE u_id = old.id; END;",
        new: "CREATE TABLE fresh (x);",
        rows: "INSERT INTO u VALUES (1); INSERT INTO t VALUES (1, 1);",
    },
    Case {
        name: "renames of quoted identifiers",
        old: r#"CREATE TABLE "old t" (id INTEGER PRIMARY KEY, "old ""c""" TEXT, "ü" INTEGER);
               CREATE INDEX "old t ü" ON "old t"("ü");"#,
        new: r#"-- kit:renamed-from "old t"
               CREATE TABLE "new t" (
                 id INTEGER PRIMARY KEY,
                 "new ""c""" TEXT, -- kit:renamed-from "old ""c"""
                 "ü" INTEGER
               );
               CREATE INDEX "old t ü" ON "new t"("ü");"#,
        rows: r#"INSERT INTO "old t" VALUES (1, 'x', 1), (2, 'y', 2);"#,
    },
    Case {
        name: "only the case or spacing inside string literals changed",
        old: "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT DEFAULT 'x' CHECK (a <> 'a  b'));
              CREATE VIEW v AS SELECT a FROM t WHERE a = 'X';
              CREATE INDEX i ON t(a) WHERE a > 'A';
              CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 'A'; END;",
        new: "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT DEFAULT 'X' CHECK (a <> 'a b'));
              CREATE VIEW v AS SELECT a FROM t WHERE a = 'x';
              CREATE INDEX i ON t(a) WHERE a > 'a';
              CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 'a'; END;",
        rows: "INSERT INTO t VALUES (1, 'q');",
    },
    Case {
        // (The generated column is last: kit changes its expression by DROP + ADD COLUMN, which
        // moves it to the end, and leaves column order alone by design.)
        name: "collation dropped, generated expression and foreign key action changed",
        old: "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT COLLATE NOCASE,
                p INT REFERENCES t(id) ON DELETE CASCADE,
                g INT GENERATED ALWAYS AS (id * 2));",
        new: "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT,
                p INT REFERENCES t(id) ON DELETE SET NULL,
                g INT GENERATED ALWAYS AS (id * 3));",
        rows: "INSERT INTO t (id, a, p) VALUES (1, 'x', NULL), (2, 'Y', 1);",
    },
    Case {
        name: "identifiers with spaces, quotes and non-ASCII",
        old: r#"CREATE TABLE "order items" (id INTEGER PRIMARY KEY, "naïve ""q""" TEXT, "x y" INTEGER);
               CREATE INDEX "idx ü" ON "order items"("x y");"#,
        new: r#"CREATE TABLE "order items" (id INTEGER PRIMARY KEY, "naïve ""q""" TEXT NOT NULL DEFAULT 'ø', "x y" TEXT, "ßeta" INTEGER CHECK ("ßeta" >= 0));
               CREATE INDEX "idx ü" ON "order items"("naïve ""q""", "x y");
               CREATE VIEW "vü ""v""" AS SELECT "naïve ""q""" FROM "order items";"#,
        rows: r#"INSERT INTO "order items" VALUES (1, 'a', 1), (2, 'b', 2);"#,
    },
];

/// Row counts of every table.
fn counts(c: &Connection) -> Vec<(String, i64)> {
    objects(c)
        .into_iter()
        .filter(|(ty, _)| ty == "table")
        .map(|(_, name)| {
            let n: i64 = c
                .query_row(&format!("SELECT count(*) FROM {}", quote(&name)), [], |r| {
                    r.get(0)
                })
                .unwrap();
            (name, n)
        })
        .collect()
}

#[test]
fn every_kind_of_difference_round_trips_through_rebuild_to() {
    let mut failures = vec![];
    for case in CASES {
        let p = Project::new();
        p.db("app.db", case.old);
        p.db("app.db", case.rows);
        p.write("schema.sql", case.new);
        let before = counts(&p.conn("app.db"));
        let out = p.kit(&["diff", "--db", "app.db", "--to", "schema.sql"]);
        if out.code != 0 || out.stdout.trim().is_empty() {
            failures.push(format!("{}: diff\n{}", case.name, out.show()));
            continue;
        }
        let diff = out.stdout.clone();
        let out = p.kit(&rebuild_to(&["--allow-drop"]));
        if out.code != 0 {
            failures.push(format!(
                "{}: rebuild --to\ndiff:\n{diff}\n{}",
                case.name,
                out.show()
            ));
            continue;
        }
        let c = p.conn("app.db");
        if let Some(m) = shape_mismatch(&c, case.new) {
            failures.push(format!(
                "{}: shape after rebuild --to\ndiff:\n{diff}\n{m}",
                case.name
            ));
            continue;
        }
        for (t, n) in &before {
            if let Some((_, m)) = counts(&c).iter().find(|(u, _)| u == t) {
                if m != n {
                    failures.push(format!("{}: {t} had {n} rows, now {m}", case.name));
                }
            }
        }
        let out = p.kit(&["diff", "--db", "app.db", "--to", "schema.sql"]);
        if out.code != 0 || !out.stdout.is_empty() {
            failures.push(format!(
                "{}: diff after rebuild --to is not empty\nfirst diff:\n{diff}\n{}",
                case.name,
                out.show()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// What goes wrong in `case`'s round trip through an autogenerated revision: upgrade, the
/// shape at head, check, downgrade, the shape at the start, upgrade again. A failed step that
/// leaves nothing to check further ends the list.
fn revision_round_trip_failures(case: &Case) -> Vec<String> {
    let p = Project::new();
    p.config("database = \"dev.db\"\n");
    p.write("schema.sql", case.old);
    p.empty_db("dev.db");
    p.ok(&autogenerate("old"));
    p.ok(&["upgrade", "-c", "kit.toml"]);
    p.db("dev.db", case.rows);
    p.write("schema.sql", case.new);
    let out = p.kit(&autogenerate("new"));
    if out.code != 0 {
        return vec![format!("{}: revision\n{}", case.name, out.show())];
    }
    let file = p.read("migrations/0002_new.sql");
    let failed = |what: &str, args: &[&str]| {
        let out = p.kit(args);
        (out.code != 0).then(|| format!("{}: {what}\n{file}\n{}", case.name, out.show()))
    };
    let wrong_shape = |what: &str, schema: &str| {
        shape_mismatch(&p.conn("dev.db"), schema)
            .map(|m| format!("{}: shape after {what}\n{file}\n{m}", case.name))
    };
    if let Some(f) = failed("upgrade", &["upgrade", "-c", "kit.toml"])
        .or_else(|| wrong_shape("upgrade", case.new))
    {
        return vec![f];
    }
    let mut failures: Vec<String> = failed("check at head", &["check", "-c", "kit.toml"])
        .into_iter()
        .collect();
    if let Some(f) = failed("downgrade", &["downgrade", "-c", "kit.toml", "-1"])
        .or_else(|| wrong_shape("downgrade", case.old))
    {
        failures.push(f);
        return failures;
    }
    failures.extend(failed("upgrade again", &["upgrade", "-c", "kit.toml"]));
    failures
}

#[test]
fn every_kind_of_difference_round_trips_through_revision_up_and_down() {
    let failures: Vec<String> = CASES
        .iter()
        .flat_map(revision_round_trip_failures)
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn crlf_migrations_version_gaps_and_other_files_in_the_directory() {
    let p = Project::new();
    p.config("database = \"app.db\"\n");
    p.write(
        "migrations/0001_crlf.sql",
        "-- kit:revision 0001 crlf\r\n-- kit:up\r\nCREATE TABLE a (id INTEGER PRIMARY KEY);\r\n-- kit:down\r\nDROP TABLE a;\r\n",
    );
    p.write("migrations/README.md", "notes, not a migration\n");
    p.migration(
        "0003_gap.sql",
        "gap",
        "ALTER TABLE a ADD COLUMN b TEXT;",
        "ALTER TABLE a DROP COLUMN b;",
    );
    p.write(
        "schema.sql",
        "CREATE TABLE a (id INTEGER PRIMARY KEY, b TEXT);\n",
    );
    p.empty_db("app.db");
    // --echo on the command line echoes like log.sql.
    let out = p.ok(&["upgrade", "-c", "kit.toml", "--echo"]);
    out.assert_stderr_has(&["CREATE TABLE a", "ADD COLUMN b"]);
    let c = p.conn("app.db");
    assert_eq!(applied(&c), ["0001", "0003"]);
    assert_eq!(columns(&c, "a"), s(&["id", "b"]));
    drop(c);
    p.ok(&["check", "-c", "kit.toml"]);
    p.ok(&["downgrade", "-c", "kit.toml", "base"]);
    assert_a_at_base(&p);
}

#[test]
fn throwaway_reset_refuses_a_file_that_is_not_a_database() {
    let p = Project::new();
    p.config("database = \"temp.db\"\n");
    p.write("schema.sql", "CREATE TABLE t (x);\n");
    p.write("temp.db", "my notes, not a database\n");
    p.fail(&["throwaway-reset", "-c", "kit.toml"]);
    assert_eq!(p.read("temp.db"), "my notes, not a database\n");
    p.ok(&["throwaway-reset", "-c", "kit.toml", "--force"]);
    assert!(has_object(&p.conn("temp.db"), "t"));
}

#[test]
fn throwaway_reset_from_migrations_with_a_failing_migration_keeps_the_previous_database() {
    let p = Project::new();
    p.config("database = \"temp.db\"\n[throwaway]\nfrom = \"migrations\"\n");
    p.migration(
        "0001_a.sql",
        "a",
        "CREATE TABLE a (id INTEGER PRIMARY KEY);",
        "DROP TABLE a;",
    );
    p.ok(&["throwaway-reset", "-c", "kit.toml"]);
    let before = p.bytes("temp.db");
    p.migration("0002_b.sql", "b", "ALTER TABLE nope ADD COLUMN b TEXT;", "");
    let out = p.fail(&["throwaway-reset", "-c", "kit.toml"]);
    out.assert_stderr_has(&["nope", "0002_b.sql"]);
    assert_eq!(p.bytes("temp.db"), before, "previous database untouched");
}
