//! `kit throwaway-reset` on PostgreSQL (issue 9), through the real binary against the harness's
//! real server: the database the URL names is dropped and rebuilt through the maintenance
//! database, guarded by kit's marker; a broken file leaves the previous database exactly as it
//! was; seeds move identities past explicit ids; dialect blocks pick each database's lines;
//! awkward names and passwords are handled; `--watch` rebuilds on a change.

#[path = "common/pg.rs"]
mod pg;

mod common;

use common::{kit, Out, Project};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

// ---------------------------------------------------------------------------------------------
// Helpers: a project directory, a throwaway target database, reading PostgreSQL back.

/// What the throwaway tests add to a [`Project`]: kit.toml, migrations, and resets.
impl Project {
    /// Writes `kit.toml` pointing at `database`, with `extra` lines after it.
    fn config(&self, database: &str, extra: &str) {
        let db = database.replace('\\', "\\\\").replace('"', "\\\"");
        self.write(
            "kit.toml",
            &format!("database = \"{db}\"\n{extra}\n[throwaway]\nseed = [\"seed.sql\"]\n"),
        );
    }

    /// Writes `migrations/<file>` in kit's format.
    fn migration(&self, file: &str, up: &str, down: &str) {
        let v = &file[..4];
        self.write(
            &format!("migrations/{file}"),
            &format!("-- kit:revision {v} {file}\n-- kit:up\n{up}\n-- kit:down\n{down}\n"),
        );
    }

    /// `kit throwaway-reset -c kit.toml` with `extra` arguments.
    fn reset(&self, extra: &[&str]) -> Out {
        let mut args = vec!["throwaway-reset", "-c", "kit.toml"];
        args.extend(extra);
        self.kit(&args)
    }

    /// A reset that must succeed.
    fn reset_ok(&self, extra: &[&str]) -> Out {
        let out = self.reset(extra);
        out.assert_ok();
        out
    }

    /// A reset that must fail with a `kit: error:` message.
    fn reset_fail(&self, extra: &[&str]) -> Out {
        let out = self.reset(extra);
        out.assert_code(1);
        assert!(out.stderr.contains("kit: error:"), "{}", out.show());
        out
    }
}

/// A throwaway target on the test server that does not exist yet; it and its `_kit_new`
/// sibling are dropped when the guard goes.
struct Target {
    name: String,
    url: String,
}

impl Target {
    /// A fresh name with `label` in it (which may hold spaces, quotes, non-ASCII).
    fn new(label: &str) -> Target {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::SeqCst);
        let name = format!("kt{}_{n} {label}", std::process::id());
        Target::named(&name)
    }

    fn named(name: &str) -> Target {
        let t = Target {
            name: name.to_string(),
            url: pg::with_dbname(&pg::server().admin_url, &encode(name)),
        };
        t.cleanup();
        t
    }

    fn cleanup(&self) {
        let mut admin = admin();
        for n in [self.name.clone(), kit_new(&self.name)] {
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", q(&n)));
        }
    }

    fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.url, postgres::NoTls)
            .unwrap_or_else(|e| panic!("cannot connect to {:?}: {}", self.name, pg::show(&e)))
    }

    /// Every row of `sql`, each value as text (NULL as "NULL").
    fn rows(&self, sql: &str) -> Vec<Vec<String>> {
        rows(&mut self.client(), sql)
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        self.cleanup();
    }
}

/// The name kit builds the new database under (the name cut to fit 63 bytes).
fn kit_new(name: &str) -> String {
    let mut keep = name.len().min(63 - "_kit_new".len());
    while !name.is_char_boundary(keep) {
        keep -= 1;
    }
    format!("{}_kit_new", &name[..keep])
}

fn admin() -> postgres::Client {
    postgres::Client::connect(&pg::server().admin_url, postgres::NoTls).unwrap()
}

fn q(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Percent-encodes a database name for a URL path.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn rows(c: &mut postgres::Client, sql: &str) -> Vec<Vec<String>> {
    c.simple_query(sql)
        .unwrap_or_else(|e| panic!("{sql}: {}", pg::show(&e)))
        .into_iter()
        .filter_map(|m| match m {
            postgres::SimpleQueryMessage::Row(r) => Some(
                (0..r.len())
                    .map(|i| r.get(i).unwrap_or("NULL").to_string())
                    .collect(),
            ),
            _ => None,
        })
        .collect()
}

fn strs(rows: &[&[&str]]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| r.iter().map(|s| s.to_string()).collect())
        .collect()
}

/// The database's oid (a database dropped and created again gets a new one), or None.
fn oid(name: &str) -> Option<String> {
    rows(
        &mut admin(),
        &format!(
            "SELECT oid::text FROM pg_database WHERE datname = '{}'",
            name.replace('\'', "''")
        ),
    )
    .first()
    .map(|r| r[0].clone())
}

/// Every table of the public schema with every row (ordered), and the database's oid.
/// A database's oid and every table with its rows.
type Snapshot = (Option<String>, Vec<(String, Vec<Vec<String>>)>);

fn snapshot(t: &Target) -> Snapshot {
    let mut c = t.client();
    let tables = rows(
        &mut c,
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
    );
    let mut out = Vec::new();
    for r in tables {
        let mut data = rows(&mut c, &format!("SELECT * FROM {}", q(&r[0])));
        data.sort();
        out.push((r[0].clone(), data));
    }
    (oid(&t.name), out)
}

const SCHEMA: &str = "CREATE TABLE users (\n  id INTEGER PRIMARY KEY,\n  email TEXT NOT NULL UNIQUE,\n  active BOOLEAN NOT NULL DEFAULT 1\n);\nCREATE TABLE posts (id INTEGER PRIMARY KEY AUTOINCREMENT, user_id INTEGER NOT NULL REFERENCES users(id), title TEXT);\nCREATE INDEX posts_user ON posts (user_id);\n";

const SEED: &str = "INSERT INTO users (id, email) VALUES (1, 'ann@example.com'), (5, 'bob@example.com');\nINSERT INTO posts (id, user_id, title) VALUES (10, 5, 'hello');\n";

/// A project with SCHEMA, SEED and two migrations, pointed at `url`.
fn project(url: &str) -> Project {
    let p = Project::new();
    p.config(url, "");
    p.write("schema.sql", SCHEMA);
    p.write("seed.sql", SEED);
    p.migration(
        "0001_users.sql",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE);",
        "DROP TABLE users;",
    );
    p.migration("0002_posts.sql", "ALTER TABLE users ADD COLUMN active BOOLEAN NOT NULL DEFAULT 1;\nCREATE TABLE posts (id INTEGER PRIMARY KEY AUTOINCREMENT, user_id INTEGER NOT NULL REFERENCES users(id), title TEXT);\nCREATE INDEX posts_user ON posts (user_id);", "DROP TABLE posts;\nALTER TABLE users DROP COLUMN active;");
    p
}

// ---------------------------------------------------------------------------------------------
// Resets.

#[test]
fn reset_from_the_schema_runs_the_seeds_and_records_every_migration() {
    let t = Target::new("schema");
    let p = project(&t.url);
    let out = p.reset_ok(&[]);
    assert!(
        out.stderr.contains(&format!("kit: reset {} from ", t.url))
            && out
                .stderr
                .contains("schema.sql: 2 table(s), 1 seed file(s), 2 migration(s) recorded, in "),
        "{}",
        out.show()
    );
    assert_eq!(
        t.rows("SELECT id, email, active FROM users ORDER BY id"),
        strs(&[
            &["1", "ann@example.com", "t"],
            &["5", "bob@example.com", "t"]
        ])
    );
    assert_eq!(
        t.rows("SELECT version FROM kit_migrations ORDER BY version"),
        strs(&[&["0001"], &["0002"]])
    );
    assert_eq!(
        t.rows("SELECT source FROM kit_throwaway"),
        strs(&[&["schema.sql"]])
    );
    // The identities were moved past the explicit ids of the seed rows.
    assert_eq!(
        t.rows("INSERT INTO users (email) VALUES ('cy@example.com') RETURNING id"),
        strs(&[&["6"]])
    );
    assert_eq!(
        t.rows("INSERT INTO posts (user_id, title) VALUES (1, 'next') RETURNING id"),
        strs(&[&["11"]])
    );
    let before = oid(&t.name);
    // A second reset needs no --force: the database carries kit's marker. It starts fresh.
    p.reset_ok(&[]);
    assert_ne!(oid(&t.name), before, "the database was rebuilt");
    assert_eq!(t.rows("SELECT count(*) FROM users"), strs(&[&["2"]]));
    assert_eq!(oid(&kit_new(&t.name)), None, "no _kit_new left behind");
    let out = p.kit(&["current", "-c", "kit.toml"]);
    out.assert_ok();
    assert!(out.stdout.contains("0002 (head)"), "{}", out.show());
}

#[test]
fn reset_from_migrations_replays_them() {
    let t = Target::new("migrations");
    let p = project(&t.url);
    p.write(
        "kit.toml",
        &format!(
            "database = \"{}\"\n[throwaway]\nseed = [\"seed.sql\"]\nfrom = \"migrations\"\n",
            t.url
        ),
    );
    let out = p.reset_ok(&["--echo"]);
    assert!(
        out.stderr.contains("from 2 migration(s): 2 table(s)"),
        "{}",
        out.show()
    );
    assert!(out.stderr.contains("ALTER TABLE"), "echoed: {}", out.show());
    assert_eq!(
        t.rows("SELECT column_name FROM information_schema.columns WHERE table_name = 'users' ORDER BY ordinal_position"),
        strs(&[&["id"], &["email"], &["active"]])
    );
    assert_eq!(
        t.rows("SELECT version FROM kit_migrations ORDER BY version"),
        strs(&[&["0001"], &["0002"]])
    );
    assert_eq!(
        t.rows("SELECT source FROM kit_throwaway"),
        strs(&[&["2 migration(s)"]])
    );
    assert_eq!(
        t.rows("INSERT INTO users (email) VALUES ('cy@example.com') RETURNING id"),
        strs(&[&["6"]])
    );
    let out = p.kit(&["current", "-c", "kit.toml"]);
    assert!(out.stdout.contains("0002 (head)"), "{}", out.show());
}

/// SQLite lets a table name in a foreign key (or an index, a view) a table the schema file
/// creates further down; PostgreSQL needs it first: the reset runs such a statement after the
/// table it waits for.
#[test]
fn a_schema_whose_keys_name_tables_created_later_is_built() {
    let t = Target::new("forward");
    let p = project(&t.url);
    p.write(
        "schema.sql",
        "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id));\nCREATE VIEW titled AS SELECT p.id, u.email FROM posts p JOIN users u ON u.id = p.user_id;\nCREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);\n",
    );
    p.write("seed.sql", "INSERT INTO users (id, email) VALUES (1, 'a@x');\nINSERT INTO posts (id, user_id) VALUES (7, 1);\n");
    p.reset_ok(&[]);
    assert_eq!(
        t.rows("SELECT id, email FROM titled"),
        strs(&[&["7", "a@x"]])
    );
    assert!(
        t.client()
            .batch_execute("INSERT INTO posts (id, user_id) VALUES (8, 99)")
            .is_err(),
        "the key holds"
    );
    // A name that never exists is still the error, with its file and line.
    p.write(
        "schema.sql",
        "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES nobody(id));\n",
    );
    let out = p.kit(&["throwaway-reset", "-c", "kit.toml"]);
    assert_eq!(out.code, 1, "{}", out.show());
    out.assert_stderr_has(&["schema.sql", "nobody"]);
}

#[test]
fn a_schema_that_alters_its_tables_is_translated_statement_by_statement() {
    let t = Target::new("alters");
    let p = project(&t.url);
    p.write(
        "schema.sql",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, flag BOOLEAN, n TEXT);\nALTER TABLE t ALTER COLUMN flag SET DEFAULT 1;\nALTER TABLE t ALTER COLUMN n TYPE INTEGER;\n",
    );
    p.write("seed.sql", "INSERT INTO t (id) VALUES (3);\n");
    p.reset_ok(&[]);
    // The default was translated for the boolean column the table had at that point.
    assert_eq!(t.rows("SELECT id, flag FROM t"), strs(&[&["3", "t"]]));
    assert_eq!(
        t.rows("SELECT data_type FROM information_schema.columns WHERE table_name = 't' AND column_name = 'n'"),
        strs(&[&["bigint"]])
    );
}

#[test]
fn an_unmarked_database_is_refused_unchanged_and_force_replaces_it() {
    let db = pg::database();
    db.client()
        .batch_execute("CREATE TABLE precious (x int); INSERT INTO precious VALUES (42)")
        .unwrap();
    let t = Target {
        name: db.name.clone(),
        url: db.url.clone(),
    };
    let p = project(&db.url);
    let before = snapshot(&t);
    let out = p.reset_fail(&[]);
    out.assert_stderr_has(&[&db.url, "kit_throwaway", "--force"]);
    assert_eq!(snapshot(&t), before, "the database is exactly as it was");
    assert_eq!(oid(&kit_new(&db.name)), None);

    p.reset_ok(&["--force"]);
    let tables = t.rows("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1");
    assert_eq!(
        tables,
        strs(&[
            &["kit_migrations"],
            &["kit_throwaway"],
            &["posts"],
            &["users"]
        ])
    );
    // From now on it is kit's throwaway: no --force needed.
    p.reset_ok(&[]);
    std::mem::forget(t); // `db` drops it
}

#[test]
fn a_database_that_cannot_be_checked_is_refused() {
    let t = Target::new("no connect");
    let mut a = admin();
    a.batch_execute(&format!("CREATE DATABASE {}", q(&t.name)))
        .unwrap();
    a.batch_execute(&format!(
        "ALTER DATABASE {} ALLOW_CONNECTIONS false",
        q(&t.name)
    ))
    .unwrap();
    let p = project(&t.url);
    let before = oid(&t.name);
    let out = p.reset_fail(&[]);
    out.assert_stderr_has(&["cannot be checked", "--force"]);
    assert_eq!(oid(&t.name), before);
}

#[test]
fn the_maintenance_database_and_templates_are_never_dropped() {
    let admin_url = pg::server().admin_url.clone();
    for name in ["postgres", "template1", "template0"] {
        let url = pg::with_dbname(&admin_url, name);
        let p = project(&url);
        let before = oid(name);
        for force in [&[][..], &["--force"][..]] {
            let out = p.reset_fail(force);
            out.assert_stderr_has(&[&format!("\"{name}\""), "never drops it"]);
        }
        assert_eq!(oid(name), before, "{name} untouched");
    }
}

#[test]
fn a_broken_schema_leaves_the_previous_database_exactly_as_it_was() {
    let t = Target::new("broken schema");
    let p = project(&t.url);
    p.reset_ok(&[]);
    let before = snapshot(&t);

    // PostgreSQL's own error, with the file, line and column.
    p.write(
        "schema.sql",
        &format!("{SCHEMA}CREATE INDEX broken_idx ON nosuch (x);\n"),
    );
    let out = p.reset_fail(&[]);
    out.assert_stderr_has(&[
        "schema.sql, line 8, column",
        "relation \"nosuch\" does not exist",
    ]);
    assert_eq!(snapshot(&t), before);
    assert_eq!(oid(&kit_new(&t.name)), None, "the new database was dropped");

    // Something kit cannot translate: the object and the file and line, before anything runs.
    p.write(
        "schema.sql",
        &format!("{SCHEMA}CREATE TRIGGER touch AFTER UPDATE ON users BEGIN SELECT 1; END;\n"),
    );
    let out = p.reset_fail(&[]);
    out.assert_stderr_has(&["schema.sql, line 8", "trigger \"touch\"", "kit:only"]);
    assert_eq!(snapshot(&t), before);

    // A syntax error.
    p.write(
        "schema.sql",
        "CREATE TABLE users (id INTEGER PRIMARY KEY,);\n",
    );
    let out = p.reset_fail(&[]);
    out.assert_stderr_has(&["schema.sql", "line 1"]);
    assert_eq!(snapshot(&t), before);
    assert_eq!(oid(&kit_new(&t.name)), None);
}

#[test]
fn a_broken_seed_leaves_the_previous_database_exactly_as_it_was() {
    let t = Target::new("broken seed");
    let p = project(&t.url);
    p.reset_ok(&[]);
    let before = snapshot(&t);

    p.write(
        "seed.sql",
        &format!("{SEED}\nINSERT INTO users (nope) VALUES (3);\n"),
    );
    let out = p.reset_fail(&[]);
    out.assert_stderr_has(&[
        "seed.sql, line 4, column",
        "column \"nope\" of relation \"users\" does not exist",
    ]);
    assert_eq!(snapshot(&t), before);
    assert_eq!(oid(&kit_new(&t.name)), None);

    // A foreign key the rows break.
    p.write(
        "seed.sql",
        "INSERT INTO posts (id, user_id, title) VALUES (1, 99, 'orphan');\n",
    );
    let out = p.reset_fail(&[]);
    out.assert_stderr_has(&["seed.sql, line 1", "foreign key"]);
    assert_eq!(snapshot(&t), before);

    // Statements that reach beyond the database are refused before anything runs.
    for (bad, says) in [
        ("COPY users FROM PROGRAM 'cat /etc/passwd';", "PROGRAM"),
        ("COPY users FROM '/etc/passwd';", "file"),
        (
            "-- kit:only postgresql\nDROP DATABASE postgres;\n-- kit:all",
            "database",
        ),
        (
            "-- kit:only postgresql\nALTER SYSTEM SET work_mem = '1GB';\n-- kit:all",
            "ALTER SYSTEM",
        ),
        ("SET ROLE postgres;", "another role"),
        ("COMMIT;", "transaction"),
        (
            "-- kit:only postgresql\n\\i /etc/passwd\n;\n-- kit:all",
            "meta-command",
        ),
    ] {
        p.write(
            "seed.sql",
            &format!("INSERT INTO users (id, email) VALUES (7, 'x@example.com');\n{bad}\n"),
        );
        let out = p.reset_fail(&[]);
        out.assert_stderr_has(&["seed.sql, line", "not allowed", says]);
        assert_eq!(snapshot(&t), before, "{bad}");
    }
    assert_eq!(oid(&kit_new(&t.name)), None);
}

#[test]
fn a_leftover_kit_new_is_dropped_but_a_foreign_one_is_refused() {
    let t = Target::new("leftover");
    let p = project(&t.url);
    let sibling = kit_new(&t.name);
    // A database of that name that kit did not make: refused, untouched.
    admin()
        .batch_execute(&format!("CREATE DATABASE {}", q(&sibling)))
        .unwrap();
    let before = oid(&sibling);
    let out = p.reset_fail(&[]);
    out.assert_stderr_has(&["_kit_new", "did not make"]);
    assert_eq!(oid(&sibling), before);
    // One left by an interrupted reset (it carries kit's comment) is dropped.
    admin()
        .batch_execute(&format!(
            "COMMENT ON DATABASE {} IS 'kit throwaway database (made by kit throwaway-reset)'",
            q(&sibling)
        ))
        .unwrap();
    p.reset_ok(&[]);
    assert_eq!(oid(&sibling), None);
    assert_eq!(t.rows("SELECT count(*) FROM users"), strs(&[&["2"]]));
}

#[test]
fn two_resets_of_one_database_at_once_both_succeed_one_after_the_other() {
    let t = Target::new("concurrent");
    let p = project(&t.url);
    p.reset_ok(&[]);
    let spawn = || {
        kit()
            .current_dir(p.dir.path())
            .args(["throwaway-reset", "-c", "kit.toml"])
            .output()
    };
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(spawn);
        let b = s.spawn(spawn);
        (a.join().unwrap().unwrap(), b.join().unwrap().unwrap())
    });
    for o in [&a, &b] {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    assert_eq!(t.rows("SELECT count(*) FROM users"), strs(&[&["2"]]));
    assert_eq!(oid(&kit_new(&t.name)), None);
}

// ---------------------------------------------------------------------------------------------
// Dialect blocks: the same files on SQLite and PostgreSQL.

const DIALECT_SCHEMA: &str = "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL, touched TEXT);
-- kit:only postgresql
CREATE FUNCTION notes_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.touched := 'postgresql';
  RETURN NEW;
END $$;
CREATE TRIGGER notes_touch BEFORE UPDATE ON notes FOR EACH ROW EXECUTE FUNCTION notes_touch();
-- kit:only sqlite
CREATE TRIGGER notes_touch AFTER UPDATE OF body ON notes BEGIN UPDATE notes SET touched = 'sqlite' WHERE id = NEW.id; END;
-- kit:all
CREATE TABLE origin (db TEXT);
";

const DIALECT_SEED: &str = "INSERT INTO notes (id, body) VALUES (1, 'both');
-- kit:only postgresql
INSERT INTO origin VALUES ('postgresql: ' || current_setting('server_version_num')::int / 10000);
-- kit:only sqlite
INSERT INTO origin VALUES ('sqlite: ' || sqlite_version());
-- kit:all
INSERT INTO notes (id, body) VALUES (2, 'also both');
";

#[test]
fn dialect_blocks_in_schema_and_seed_files_pick_each_database_s_lines() {
    let t = Target::new("dialect");
    let p = Project::new();
    p.write("schema.sql", DIALECT_SCHEMA);
    p.write("seed.sql", DIALECT_SEED);
    p.write(
        "sqlite.toml",
        "database = \"temp.db\"\n[throwaway]\nseed = [\"seed.sql\"]\n",
    );
    p.config(&t.url, "");
    p.reset_ok(&[]);
    let out = p.kit(&["throwaway-reset", "-c", "sqlite.toml"]);
    out.assert_ok();

    // PostgreSQL: its own lines only, and its trigger works.
    assert_eq!(
        t.rows("SELECT id, body FROM notes ORDER BY id"),
        strs(&[&["1", "both"], &["2", "also both"]])
    );
    let origin = t.rows("SELECT db FROM origin");
    assert!(
        origin.len() == 1 && origin[0][0].starts_with("postgresql: "),
        "{origin:?}"
    );
    assert_eq!(
        t.rows("UPDATE notes SET body = 'x' WHERE id = 1 RETURNING touched"),
        strs(&[&["postgresql"]])
    );

    // SQLite: from the same files, its own lines only, and its trigger works.
    let c = rusqlite::Connection::open(p.p("temp.db")).unwrap();
    let origin: Vec<String> = c
        .prepare("SELECT db FROM origin")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(
        origin.len() == 1 && origin[0].starts_with("sqlite: "),
        "{origin:?}"
    );
    let n: i64 = c
        .query_row("SELECT count(*) FROM notes", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 2);
    c.execute("UPDATE notes SET body = 'x' WHERE id = 1", [])
        .unwrap();
    let touched: String = c
        .query_row("SELECT touched FROM notes WHERE id = 1", [], |r| r.get(0))
        .unwrap();
    assert_eq!(touched, "sqlite");
}

#[test]
fn an_error_in_a_dialect_block_names_the_line_of_the_file() {
    let t = Target::new("dialect error");
    let p = Project::new();
    p.config(&t.url, "");
    p.write("schema.sql", DIALECT_SCHEMA);
    p.write(
        "seed.sql",
        "INSERT INTO notes (id, body) VALUES (1, 'both');\n-- kit:only sqlite\nINSERT INTO nowhere VALUES (1);\n-- kit:only postgresql\n\nINSERT INTO origin VALUES (nope);\n-- kit:all\n",
    );
    let out = p.reset_fail(&[]);
    out.assert_stderr_has(&[
        "seed.sql, line 6, column 28",
        "column \"nope\" does not exist",
    ]);
}

// ---------------------------------------------------------------------------------------------
// Names and passwords.

#[test]
fn awkward_database_names_are_quoted() {
    for label in [
        "with space",
        "quote \" and ' apostrophe",
        "ünïcødé ✓",
        "semi;colon -- dash",
    ] {
        let t = Target::new(label);
        let p = project(&t.url);
        p.reset_ok(&[]);
        p.reset_ok(&[]); // the marker check connects to it by its name
        assert!(
            oid(&t.name).is_some(),
            "{label}: database {:?} exists",
            t.name
        );
        assert_eq!(
            t.rows("SELECT count(*) FROM users"),
            strs(&[&["2"]]),
            "{label}"
        );
    }
    // A name of 60 bytes: the new database's name is cut to fit PostgreSQL's 63 bytes.
    let mut long = format!("kt{}_", std::process::id());
    while long.len() + 2 <= 60 {
        long.push('é');
    }
    let t = Target::named(&long);
    assert!(t.name.len() > 55, "{}", t.name.len());
    let p = project(&t.url);
    p.reset_ok(&[]);
    p.reset_ok(&[]);
    assert_eq!(t.rows("SELECT count(*) FROM users"), strs(&[&["2"]]));
    assert_eq!(oid(&kit_new(&t.name)), None);
}

#[test]
fn a_password_never_appears_in_the_output() {
    const PASSWORD: &str = "Sup3r-$ecret_pw";
    let role = pg::PASSWORD_ROLE;
    admin()
        .batch_execute(&format!(
            "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN CREATE ROLE {role} LOGIN; END IF; END $$; ALTER ROLE {role} LOGIN CREATEDB PASSWORD '{PASSWORD}'"
        ))
        .unwrap();
    let t = Target::new("password");
    let url = pg::with_user(&t.url, role, Some(PASSWORD));
    let p = project(&url);
    let check = |out: &Out| {
        let all = format!("{}{}", out.stdout, out.stderr);
        assert!(
            !all.contains(PASSWORD) && !all.contains("ecret"),
            "password leaked:\n{}",
            out.show()
        );
    };
    let out = p.reset_ok(&["--echo"]);
    check(&out);
    assert!(out.stderr.contains(":***@"), "{}", out.show());
    assert!(
        out.stderr.contains("CREATE DATABASE"),
        "echoed: {}",
        out.show()
    );
    // A failing reset and a refusal print no password either.
    p.write("seed.sql", "INSERT INTO users (nope) VALUES (1);\n");
    check(&p.reset_fail(&["--echo"]));
    let db = pg::database();
    admin()
        .batch_execute(&format!("ALTER DATABASE {} OWNER TO {role}", q(&db.name)))
        .unwrap();
    let p = project(&pg::with_user(&db.url, role, Some(PASSWORD)));
    check(&p.reset_fail(&[]));
    // A wrong password: the login is refused, and the password is not shown.
    let p = project(&pg::with_user(&t.url, role, Some("Wr0ng-$ecret")));
    let out = p.reset(&[]);
    if pg::server().owned {
        out.assert_code(1);
    }
    check(&out);
    assert!(!out.stderr.contains("Wr0ng"), "{}", out.show());
}

// ---------------------------------------------------------------------------------------------
// Identities on upgrade.

#[test]
fn upgrade_moves_identities_past_explicit_ids_and_never_back() {
    let db = pg::database();
    let p = Project::new();
    p.config(&db.url, "");
    p.migration(
        "0001_items.sql",
        "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT);\nCREATE TABLE other (id INTEGER PRIMARY KEY, v TEXT);\nINSERT INTO items (id, name) VALUES (1, 'a'), (2, 'b'), (3, 'c');",
        "DROP TABLE other;\nDROP TABLE items;",
    );
    p.kit(&["upgrade", "-c", "kit.toml"]).assert_ok();
    let mut c = db.client();
    assert_eq!(
        rows(
            &mut c,
            "INSERT INTO items (name) VALUES ('d'), ('e'), ('f') RETURNING id"
        ),
        strs(&[&["4"], &["5"], &["6"]])
    );
    c.batch_execute("DELETE FROM items WHERE id >= 5").unwrap();
    // A later migration that inserts rows elsewhere must not move items' identity back to 5.
    p.migration(
        "0002_other.sql",
        "INSERT INTO other (id, v) VALUES (10, 'x');",
        "DELETE FROM other WHERE id = 10;",
    );
    p.kit(&["upgrade", "-c", "kit.toml"]).assert_ok();
    assert_eq!(
        rows(&mut c, "INSERT INTO items (name) VALUES ('g') RETURNING id"),
        strs(&[&["7"]])
    );
    assert_eq!(
        rows(&mut c, "INSERT INTO other (v) VALUES ('y') RETURNING id"),
        strs(&[&["11"]])
    );
}

// ---------------------------------------------------------------------------------------------
// --watch.

/// How long a `--watch` test waits for each reset.
const WATCH_WAIT: Duration = Duration::from_secs(30);

/// The tables of the target's public schema, if it can be read right now (it may be mid-reset).
fn tables_now(t: &Target) -> Vec<String> {
    let Ok(mut c) = postgres::Client::connect(&t.url, postgres::NoTls) else {
        return vec![];
    };
    c.simple_query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        .map(|ms| {
            ms.into_iter()
                .filter_map(|m| match m {
                    postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_string),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn watch_rebuilds_on_a_change() {
    let t = Target::new("watch");
    let p = project(&t.url);
    let mut w = p.spawn(&["throwaway-reset", "-c", "kit.toml", "--watch"]);
    let log = w.log.clone();
    w.wait_for("the first reset", WATCH_WAIT, || {
        std::fs::read_to_string(&log).is_ok_and(|l| l.contains("kit: watching"))
    });
    assert!(
        tables_now(&t).contains(&"kit_throwaway".to_string()),
        "{}",
        w.log()
    );
    std::thread::sleep(Duration::from_millis(500));
    p.write(
        "schema.sql",
        &format!("{SCHEMA}CREATE TABLE extra (x TEXT);\n"),
    );
    w.wait_for("table extra", WATCH_WAIT, || {
        tables_now(&t).contains(&"extra".to_string())
    });
    assert_eq!(t.rows("SELECT count(*) FROM users"), strs(&[&["2"]]));
    assert!(!w.log().contains("error"), "{}", w.log());
}
