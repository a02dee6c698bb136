//! Parity on a real PostgreSQL server: schemas written once in SQLite's dialect, loaded by
//! SQLite (`sqlite::load::load_schema`) and by PostgreSQL (`postgres::scratch`), compared
//! logically (`kit::parity`). Portable schemas reach parity; each portability trap is
//! reported (default constraint names after a rename, COLLATE NOCASE, AUTOINCREMENT, types,
//! nullability) or caught while loading (SQLite-only functions, values beyond 32 bits), and
//! what parity cannot see is shown; a view keeps its column names after a RENAME COLUMN on both.
//! Plus the real-world schemas in `../shared/realworld`.

#[path = "common/pg.rs"]
mod pg;
#[path = "common/realworld.rs"]
mod realworld;

use kit::db::SqliteModel;
use kit::dialect::Dialect;
use kit::migrate::Migration;
use kit::parity::{compare, Aspect, Difference, LogicalSchema};
use kit::postgres::scratch::{load_into_scratch, replay_into_scratch};
use kit::schema::Schema;
use postgres::Client;
use realworld::REALWORLD;
use std::path::{Path, PathBuf};

/// The SQLite side of a schema text (its `-- kit:only postgresql` lines left out).
fn sqlite_side(text: &str) -> Schema {
    let own = kit::dialect::select(text, Dialect::Sqlite).unwrap();
    kit::sqlite::load::load_schema(&own, "schema.sql")
        .unwrap_or_else(|e| panic!("SQLite refused the schema: {e}"))
        .1
}

/// The PostgreSQL side of a schema text, judged in a scratch schema.
fn pg_side(c: &mut Client, text: &str) -> Schema {
    let mut model = SqliteModel::empty().unwrap();
    load_into_scratch(c, text, "schema.sql", &mut model)
        .unwrap_or_else(|e| panic!("PostgreSQL refused the schema: {e}"))
}

/// Every difference between the two sides of `text`.
fn differences(c: &mut Client, text: &str) -> Vec<Difference> {
    let s = LogicalSchema::from_sqlite(&sqlite_side(text));
    let p = LogicalSchema::from_postgres(&pg_side(c, text));
    compare(&s, &p)
}

/// The first line of each difference (without its hint).
fn lines(d: &[Difference]) -> Vec<String> {
    d.iter()
        .map(|d| d.to_string().lines().next().unwrap_or("").to_string())
        .collect()
}

fn migration(file: &str, up: &str) -> Migration {
    let text = format!("-- kit:up\n{up}-- kit:down\n");
    kit::migrate::parse_migration(Path::new(file), text.as_bytes()).unwrap()
}

/// Both sides of a migration set, each replayed (SQLite in memory, PostgreSQL in a scratch
/// schema): the differences, and PostgreSQL's rejections.
fn replayed(c: &mut Client, migrations: &[&Migration]) -> (Vec<Difference>, Vec<String>) {
    let conn = kit::sqlite::migrate::replay(migrations).unwrap();
    let s = LogicalSchema::from_sqlite(&kit::read_schema(&conn).unwrap());
    let mut model = SqliteModel::empty().unwrap();
    let r = replay_into_scratch(c, migrations, &mut model).unwrap();
    let p = LogicalSchema::from_postgres(&r.schema);
    let rejected = r.rejected.iter().map(|e| e.to_string()).collect();
    (compare(&s, &p), rejected)
}

/// Schemas that mean the same on both databases.
const PORTABLE: &[&str] = &[
    // Every type rule's class, defaults of each kind, and NOT NULL.
    "CREATE TABLE kinds (\n  id INTEGER PRIMARY KEY,\n  small SMALLINT,\n  big BIGINT NOT NULL DEFAULT 0,\n  name VARCHAR(40) NOT NULL DEFAULT '',\n  body TEXT,\n  price NUMERIC(10, 2),\n  ratio REAL DEFAULT 0.5,\n  raw BLOB,\n  flag BOOLEAN NOT NULL DEFAULT 0,\n  born DATE,\n  seen DATETIME DEFAULT CURRENT_TIMESTAMP,\n  at TIMESTAMPTZ,\n  doc JSON,\n  ref UUID,\n  nada TEXT DEFAULT NULL,\n  twice INTEGER GENERATED ALWAYS AS (big * 2) VIRTUAL\n);",
    // Constraints of every kind, named and unnamed, column and table level, FK actions.
    "CREATE TABLE parent (\n  a INTEGER NOT NULL,\n  b TEXT NOT NULL,\n  code TEXT UNIQUE,\n  PRIMARY KEY (a, b)\n);\n\
     CREATE TABLE child (\n  id INTEGER PRIMARY KEY AUTOINCREMENT,\n  pa INTEGER,\n  pb TEXT,\n  code TEXT REFERENCES parent (code) ON DELETE SET NULL ON UPDATE CASCADE,\n  qty INTEGER CHECK (qty > 0),\n  CONSTRAINT child_parent FOREIGN KEY (pa, pb) REFERENCES parent (a, b) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,\n  CONSTRAINT qty_small CHECK (qty < 1000),\n  UNIQUE (pa, pb, qty)\n);",
    // Indexes: plain, unique, partial, expression, DESC, collation; views.
    "CREATE TABLE users (\n  id INTEGER PRIMARY KEY,\n  email TEXT COLLATE NOCASE NOT NULL UNIQUE,\n  name TEXT,\n  active BOOLEAN DEFAULT 1\n);\n\
     CREATE INDEX users_name ON users (name DESC);\n\
     CREATE UNIQUE INDEX users_active_name ON users (name) WHERE active;\n\
     CREATE INDEX users_lower ON users (lower(name));\n\
     CREATE INDEX users_name_nocase ON users (name COLLATE NOCASE);\n\
     CREATE VIEW active_users AS SELECT id, email FROM users WHERE active;",
    // STRICT and WITHOUT ROWID tables (their primary keys are NOT NULL on SQLite too).
    "CREATE TABLE s (id TEXT PRIMARY KEY, n INTEGER NOT NULL) STRICT;\n\
     CREATE TABLE w (k TEXT PRIMARY KEY, v BLOB) WITHOUT ROWID;",
    // Default names longer than PostgreSQL's 63 bytes, shortened as PostgreSQL does.
    "CREATE TABLE a_table_name_that_is_rather_long_forty_chars (\n  id INTEGER PRIMARY KEY,\n  a_column_name_that_is_also_long_forty_chr TEXT UNIQUE CHECK (a_column_name_that_is_also_long_forty_chr <> ''),\n  parent_reference_column_with_a_long_name INTEGER REFERENCES a_table_name_that_is_rather_long_forty_chars (id)\n);",
    // A trigger written per dialect: triggers are not compared.
    "CREATE TABLE log (id INTEGER PRIMARY KEY, at TEXT);\n\
     -- kit:only postgresql\n\
     CREATE FUNCTION log_at() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.at := now()::text; RETURN NEW; END $$;\n\
     CREATE TRIGGER log_at BEFORE INSERT ON log FOR EACH ROW EXECUTE FUNCTION log_at();\n\
     -- kit:only sqlite\n\
     CREATE TRIGGER log_at AFTER INSERT ON log BEGIN UPDATE log SET at = CURRENT_TIMESTAMP WHERE id = NEW.id; END;\n\
     -- kit:all\n",
];

#[test]
fn portable_schemas_reach_parity() {
    let db = pg::database();
    let mut c = db.client();
    for text in PORTABLE {
        let d = differences(&mut c, text);
        assert!(d.is_empty(), "{text}\n{:#?}", lines(&d));
    }
    // All of them together, and the same comparison of two live databases
    // (`kit diff --db app.db --db postgresql://... --parity`).
    let all = PORTABLE.join("\n");
    assert!(differences(&mut c, &all).is_empty());
    let mut model = SqliteModel::empty().unwrap();
    let plan = kit::postgres::plan::plan_text(&all, "schema.sql", &mut model).unwrap();
    kit::postgres::run_in_transaction(&mut c, &plan.statements).unwrap();
    let live_pg = kit::postgres::read::read_schema(&mut c).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("app.db");
    let mut lite = rusqlite::Connection::open(&file).unwrap();
    let own = kit::dialect::select(&all, Dialect::Sqlite).unwrap();
    kit::sqlite::load::run_script(&mut lite, &own, "schema.sql").unwrap();
    let live_sqlite = kit::read_schema(&lite).unwrap();
    let d = compare(
        &LogicalSchema::from_sqlite(&live_sqlite),
        &LogicalSchema::from_postgres(&live_pg),
    );
    assert!(d.is_empty(), "{:#?}", lines(&d));
}

#[test]
fn default_constraint_names_follow_a_rename_on_both_and_parity_reports_a_hand_made_one() {
    let db = pg::database();
    let mut c = db.client();
    // A column rename: kit renames PostgreSQL's unnamed UNIQUE and CHECK along with the column
    // (PostgreSQL itself keeps the names), as SQLite's default names follow it.
    let text = "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE, age INTEGER CHECK (age >= 0));\n\
                ALTER TABLE users RENAME COLUMN email TO mail;\n";
    assert!(
        differences(&mut c, text).is_empty(),
        "{:#?}",
        lines(&differences(&mut c, text))
    );
    // A table rename: every default name of the table.
    let text = "CREATE TABLE t (id INTEGER PRIMARY KEY, p INTEGER REFERENCES t (id), n INTEGER CHECK (n > 0));\n\
                ALTER TABLE t RENAME TO u;\n";
    assert!(
        differences(&mut c, text).is_empty(),
        "{:#?}",
        lines(&differences(&mut c, text))
    );
    // Explicit names travel with the rename on both.
    let named =
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT CONSTRAINT email_once UNIQUE);\n\
                 ALTER TABLE users RENAME COLUMN email TO mail;\n";
    assert!(differences(&mut c, named).is_empty());
    // A name changed on PostgreSQL only: parity names both sides and gives the fix.
    let by_hand = "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE);\n\
                   -- kit:only postgresql\n\
                   ALTER TABLE users RENAME CONSTRAINT users_email_key TO users_mail_unique;\n\
                   -- kit:all\n";
    let d = differences(&mut c, by_hand);
    assert_eq!(
        lines(&d),
        ["constraint UNIQUE (\"email\") of table \"users\": named \"users_email_key\" on SQLite, \"users_mail_unique\" on PostgreSQL"]
    );
    assert_eq!(d[0].aspect, Aspect::Name);
    assert!(d[0].hint.as_deref().unwrap().contains("RENAME CONSTRAINT"));
    // The same in a migration set, as `kit check` replays it on both.
    let m1 = migration(
        "migrations/0001_users.sql",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE);\n",
    );
    let m2 = migration(
        "migrations/0002_rename.sql",
        "ALTER TABLE users RENAME COLUMN email TO mail;\n",
    );
    let (d, rejected) = replayed(&mut c, &[&m1, &m2]);
    assert!(rejected.is_empty(), "{rejected:#?}");
    assert!(d.is_empty(), "{:#?}", lines(&d));
}

#[test]
fn an_integer_narrowed_on_postgresql_is_a_value_problem_parity_sees_only_in_the_replay() {
    let db = pg::database();
    let mut c = db.client();
    let text = "CREATE TABLE counters (id INTEGER PRIMARY KEY, n INTEGER -- kit:postgresql-type integer\n);\n";
    // The schemas agree: integer on both sides.
    assert!(differences(&mut c, text).is_empty());
    // A value beyond 32 bits: SQLite stores it, PostgreSQL's integer cannot. Parity sees it
    // only when a migration itself inserts such a value: the replay lists the statement.
    let m1 = migration("migrations/0001_counters.sql", text);
    let m2 = migration(
        "migrations/0002_seed.sql",
        "INSERT INTO counters (id, n) VALUES (1, 4294967296);\n",
    );
    let (d, rejected) = replayed(&mut c, &[&m1, &m2]);
    assert!(d.is_empty(), "{:#?}", lines(&d));
    assert_eq!(rejected.len(), 1, "{rejected:#?}");
    assert!(
        rejected[0].contains("migrations/0002_seed.sql, line 2")
            && rejected[0].contains("integer out of range"),
        "{}",
        rejected[0]
    );
    // Without the override the column is bigint, as wide as SQLite's integers.
    let wide = migration(
        "migrations/0001_counters.sql",
        "CREATE TABLE counters (id INTEGER PRIMARY KEY, n INTEGER);\n",
    );
    let (d, rejected) = replayed(&mut c, &[&wide, &m2]);
    assert!(d.is_empty() && rejected.is_empty(), "{d:#?} {rejected:#?}");
    // A type override to another class is a schema difference.
    let text =
        "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER -- kit:postgresql-type text\n);\n";
    assert_eq!(
        lines(&differences(&mut c, text)),
        ["column \"t\".\"n\": type class integer on SQLite, text on PostgreSQL"]
    );
}

#[test]
fn sqlite_only_functions_in_checks_and_defaults_are_caught_with_file_and_line() {
    let db = pg::database();
    let mut c = db.client();
    // Refused by kit's translation before PostgreSQL sees it.
    for (text, function) in [
        (
            "CREATE TABLE a (id INTEGER PRIMARY KEY);\nCREATE TABLE t (x TEXT CHECK (typeof(x) = 'text'));\n",
            "typeof",
        ),
        (
            "CREATE TABLE a (id INTEGER PRIMARY KEY);\nCREATE TABLE t (x TEXT DEFAULT (printf('%d', 5)));\n",
            "printf",
        ),
    ] {
        let mut model = SqliteModel::empty().unwrap();
        let e = load_into_scratch(&mut c, text, "schema.sql", &mut model)
            .unwrap_err()
            .to_string();
        assert!(e.contains("schema.sql, line 2") && e.contains(function), "{e}");
    }
    // A function kit does not know and PostgreSQL does not have: PostgreSQL's own message.
    let text = "CREATE TABLE a (id INTEGER PRIMARY KEY);\nCREATE TABLE t (x TEXT CHECK (unistr_quote(x) <> ''));\n";
    let (conn, _) = kit::sqlite::load::load_schema(text, "schema.sql").unwrap();
    conn.execute_batch("INSERT INTO t VALUES ('a')").unwrap(); // SQLite has it
    let e = load_into_scratch(
        &mut c,
        text,
        "schema.sql",
        &mut SqliteModel::empty().unwrap(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("schema.sql, line 2")
            && e.contains("function unistr_quote(text) does not exist"),
        "{e}"
    );
}

#[test]
fn collate_nocase_is_case_insensitive_text_on_both_and_what_parity_cannot_see() {
    let db = pg::database();
    let mut c = db.client();
    let text = "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT COLLATE NOCASE UNIQUE);\n";
    assert!(differences(&mut c, text).is_empty());
    // PostgreSQL enforces the uniqueness case-insensitively, as SQLite does...
    let (conn, _) = kit::sqlite::load::load_schema(text, "schema.sql").unwrap();
    conn.execute_batch("INSERT INTO users (email) VALUES ('A@x.org')")
        .unwrap();
    assert!(conn
        .execute_batch("INSERT INTO users (email) VALUES ('a@X.org')")
        .is_err());
    let mut model = SqliteModel::empty().unwrap();
    let plan = kit::postgres::plan::plan_text(text, "schema.sql", &mut model).unwrap();
    kit::postgres::run_in_transaction(&mut c, &plan.statements).unwrap();
    c.batch_execute("INSERT INTO users (email) VALUES ('A@x.org')")
        .unwrap();
    assert!(c
        .batch_execute("INSERT INTO users (email) VALUES ('a@X.org')")
        .is_err());
    // ... but NOCASE folds ASCII letters only: 'É' and 'é' are two values on SQLite and one
    // on PostgreSQL. Parity compares schemas and cannot see this (documented in kit::parity).
    conn.execute_batch(
        "INSERT INTO users (email) VALUES ('É'); INSERT INTO users (email) VALUES ('é')",
    )
    .unwrap();
    c.batch_execute("INSERT INTO users (email) VALUES ('É')")
        .unwrap();
    assert!(c
        .batch_execute("INSERT INTO users (email) VALUES ('é')")
        .is_err());
    // A PostgreSQL column written by hand without the collation enforces UNIQUE differently:
    // reported.
    let by_hand = "-- kit:only sqlite\n\
                   CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT COLLATE NOCASE UNIQUE);\n\
                   -- kit:only postgresql\n\
                   CREATE TABLE users (id bigint GENERATED BY DEFAULT AS IDENTITY CONSTRAINT users_pkey PRIMARY KEY, email text CONSTRAINT users_email_key UNIQUE);\n\
                   -- kit:all\n";
    let d = differences(&mut c, by_hand);
    assert_eq!(
        lines(&d),
        ["column \"users\".\"email\": type class case-insensitive text on SQLite, text on PostgreSQL"]
    );
    assert!(d[0].hint.as_deref().unwrap().contains("kit_nocase"));
    // The same for an index's own COLLATE NOCASE.
    let index = "CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT);\n\
                 -- kit:only sqlite\n\
                 CREATE UNIQUE INDEX tags_name ON tags (name COLLATE NOCASE);\n\
                 -- kit:only postgresql\n\
                 CREATE UNIQUE INDEX tags_name ON tags (name);\n\
                 -- kit:all\n";
    assert_eq!(
        lines(&differences(&mut c, index)),
        ["index \"tags_name\": unique on \"tags\" (\"name\" case-insensitive) on SQLite, unique on \"tags\" (\"name\") on PostgreSQL"]
    );
    let translated = "CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT);\nCREATE UNIQUE INDEX tags_name ON tags (name COLLATE NOCASE);\n";
    assert!(differences(&mut c, translated).is_empty());
}

#[test]
fn autoincrement_is_a_generated_key_like_an_identity() {
    let db = pg::database();
    let mut c = db.client();
    let text = "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT);\n";
    assert!(differences(&mut c, text).is_empty());
    // A PostgreSQL table without an identity does not number rows itself.
    let plain = "-- kit:only sqlite\n\
                 CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT);\n\
                 -- kit:only postgresql\n\
                 CREATE TABLE t (id bigint CONSTRAINT t_pkey PRIMARY KEY, v text);\n\
                 -- kit:all\n";
    let d = differences(&mut c, plain);
    assert_eq!(
        lines(&d),
        ["column \"t\".\"id\": a generated key on SQLite, no default on PostgreSQL"]
    );
    assert!(d[0].hint.as_deref().unwrap().contains("identity"));
    // GENERATED ALWAYS refuses the explicit ids SQLite takes.
    let always = plain.replace(
        "bigint CONSTRAINT",
        "bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT",
    );
    let d = differences(&mut c, &always);
    assert_eq!(
        lines(&d),
        ["column \"t\".\"id\": a generated key on SQLite, a generated key refusing explicit values (GENERATED ALWAYS) on PostgreSQL"]
    );
    // A serial column is a generated key too.
    let serial = plain.replace("bigint CONSTRAINT", "bigserial CONSTRAINT");
    assert!(differences(&mut c, &serial).is_empty());
}

#[test]
fn every_other_kind_of_difference_is_reported_with_both_sides() {
    let db = pg::database();
    let mut c = db.client();
    let text = "CREATE TABLE tags (name TEXT PRIMARY KEY, note);\n\
                CREATE TABLE p (id INTEGER PRIMARY KEY);\n\
                CREATE TABLE ev (uuid TEXT NOT NULL PRIMARY KEY, UNIQUE (uuid));\n\
                -- kit:only sqlite\n\
                CREATE TABLE c (id INTEGER PRIMARY KEY, p INTEGER REFERENCES p (id) ON DELETE CASCADE, gone TEXT, v INTEGER DEFAULT 3);\n\
                CREATE INDEX c_v ON c (v);\n\
                CREATE VIEW only_here AS SELECT id FROM p;\n\
                -- kit:only postgresql\n\
                CREATE TABLE c (id bigint GENERATED BY DEFAULT AS IDENTITY CONSTRAINT c_pkey PRIMARY KEY, p bigint CONSTRAINT c_p_fkey REFERENCES p (id), v bigint NOT NULL, extra text);\n\
                CREATE TABLE audit (id bigint);\n\
                -- kit:all\n";
    let d = differences(&mut c, text);
    assert_eq!(
        lines(&d),
        [
            "column \"tags\".\"name\": nullable on SQLite, NOT NULL on PostgreSQL",
            "column \"tags\".\"note\": type class any (no declared type) on SQLite, text on PostgreSQL",
            "constraint \"ev_uuid_key\" of table \"ev\": UNIQUE (\"uuid\") on SQLite, missing on PostgreSQL",
            "column \"c\".\"gone\": text on SQLite, missing on PostgreSQL",
            "column \"c\".\"v\": nullable on SQLite, NOT NULL on PostgreSQL",
            "column \"c\".\"v\": a default on SQLite, no default on PostgreSQL",
            "column \"c\".\"extra\": missing on SQLite, text on PostgreSQL",
            "constraint \"c_p_fkey\" of table \"c\": FOREIGN KEY (\"p\") REFERENCES \"p\" (\"id\") ON DELETE CASCADE on SQLite, FOREIGN KEY (\"p\") REFERENCES \"p\" (\"id\") on PostgreSQL",
            "table \"audit\": missing on SQLite, present on PostgreSQL",
            "index \"c_v\": on \"c\" (\"v\") on SQLite, missing on PostgreSQL",
            "view \"only_here\": present on SQLite, missing on PostgreSQL",
        ]
    );
    assert!(d[0].hint.as_deref().unwrap().contains("NOT NULL"));
    assert!(d[2].hint.as_deref().unwrap().contains("primary key"));
}

/// What parity gave for one real-world schema.
enum Outcome {
    /// SQLite itself does not load the file alone (it needs another file's tables).
    NotAlone(String),
    /// Translated and loaded whole: the differences (empty: parity).
    Whole(Vec<Difference>),
    /// Loaded without what kit refuses (listed) and what PostgreSQL rejected (listed).
    Partial {
        refused: Vec<String>,
        rejected: Vec<String>,
        differences: Vec<Difference>,
    },
}

/// The statements creating `schema` from nothing, in an order both databases take (kit's
/// diff: forward references and foreign-key cycles resolved).
fn creation_script(schema: &Schema) -> Vec<String> {
    let empty = Schema::default();
    let diff = kit::diff::diff(&empty, schema, &kit::diff::Renames::default()).unwrap();
    diff.changes.into_iter().map(|c| c.sql).collect()
}

/// The SQLite schema of a real-world file: a database (read-only) or a schema text.
fn realworld_schema(path: &Path) -> Result<Schema, String> {
    let first_line = |e: kit::Error| e.to_string().lines().next().unwrap_or("").to_string();
    if path.extension().is_some_and(|x| x == "sql") {
        let text = std::fs::read_to_string(path).unwrap();
        let origin = path.file_name().unwrap().to_string_lossy().to_string();
        return kit::sqlite::load::load_schema(&text, &origin)
            .map(|(_, s)| s)
            .map_err(first_line);
    }
    let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY;
    let conn = rusqlite::Connection::open_with_flags(path, flags).unwrap();
    kit::read_schema(&conn).map_err(first_line)
}

fn realworld(c: &mut Client, path: &Path) -> Outcome {
    let origin = path.file_name().unwrap().to_string_lossy().to_string();
    let schema = match realworld_schema(path) {
        Ok(s) => s,
        Err(e) => return Outcome::NotAlone(e),
    };
    let sqlite = LogicalSchema::from_sqlite(&schema);
    let script = creation_script(&schema);
    let whole = script.join(";\n") + ";\n";
    let mut model = SqliteModel::empty().unwrap();
    if let Ok(pg) = load_into_scratch(c, &whole, &origin, &mut model) {
        return Outcome::Whole(compare(&sqlite, &LogicalSchema::from_postgres(&pg)));
    }
    // Leave out what kit refuses to translate, replay the rest (PostgreSQL's rejections are
    // listed and the replay goes on), and compare what PostgreSQL made of it.
    let mut refused = Vec::new();
    let kept: Vec<&String> = script
        .iter()
        .filter(
            |s| match kit::postgres::translate::statement(s, Some(&schema)) {
                Ok(_) => true,
                Err(e) => {
                    refused.push(e.to_string().lines().next().unwrap_or("").to_string());
                    false
                }
            },
        )
        .collect();
    let up: String = kept.iter().map(|s| format!("{s};\n")).collect();
    let m = migration(&format!("{origin}/0001_all.sql"), &up);
    let mut model = SqliteModel::empty().unwrap();
    let r = replay_into_scratch(c, &[&m], &mut model).unwrap();
    Outcome::Partial {
        refused,
        rejected: r
            .rejected
            .iter()
            .map(|e| e.to_string().lines().next().unwrap_or("").to_string())
            .collect(),
        differences: compare(&sqlite, &LogicalSchema::from_postgres(&r.schema)),
    }
}

#[test]
fn real_world_schemas_parity_report() {
    let files = realworld::files_under(&Path::new(REALWORLD).join("schemas"), "sql");
    let (whole, at_parity) = report(&files);
    assert!(whole > 0 && at_parity > 0);
}

#[test]
fn real_world_databases_parity_report() {
    let dir = Path::new(REALWORLD).join("dbs");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("missing {} ({e})", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let (whole, _) = report(&files);
    assert!(whole > 0);
}

/// Prints what parity gives for each file and a summary; returns how many translated whole
/// and how many of those are at parity.
fn report(files: &[PathBuf]) -> (usize, usize) {
    let db = pg::database();
    let mut c = db.client();
    let before: i64 = c
        .query_one("SELECT count(*) FROM pg_class", &[])
        .unwrap()
        .get(0);
    let (mut at_parity, mut whole, mut alone, mut rest_at_parity) = (0, 0, 0, 0);
    for f in files {
        let shown = f.strip_prefix(REALWORLD).unwrap_or(f).display().to_string();
        match realworld(&mut c, f) {
            Outcome::NotAlone(why) => {
                alone += 1;
                eprintln!("{shown}: not loadable alone on SQLite: {why}");
            }
            Outcome::Whole(d) => {
                whole += 1;
                if d.is_empty() {
                    at_parity += 1;
                    eprintln!("{shown}: parity");
                } else {
                    eprintln!("{shown}: translated whole, {} differences", d.len());
                }
                for l in lines(&d) {
                    eprintln!("  {l}");
                }
            }
            Outcome::Partial {
                refused,
                rejected,
                differences,
            } => {
                rest_at_parity += usize::from(differences.is_empty());
                eprintln!(
                    "{shown}: does not translate whole: {} statements refused by kit, {} rejected by PostgreSQL; the rest: {} differences",
                    refused.len(),
                    rejected.len(),
                    differences.len()
                );
                for r in refused.iter().chain(&rejected) {
                    eprintln!("  not loaded: {r}");
                }
                for l in lines(&differences) {
                    eprintln!("  {l}");
                }
            }
        }
    }
    eprintln!(
        "real-world: {} files; {alone} not loadable alone (they need another file's tables); {whole} translated whole, {at_parity} of them at parity; {} not whole, {rest_at_parity} of them at parity apart from what was not loaded",
        files.len(),
        files.len() - alone - whole
    );
    let after: i64 = c
        .query_one("SELECT count(*) FROM pg_class", &[])
        .unwrap()
        .get(0);
    assert_eq!(before, after, "a scratch run left something behind");
    (whole, at_parity)
}

/// The view's output column names after a `RENAME COLUMN` under it, on each database: SQLite
/// (replayed in memory) and PostgreSQL (the migrations run for real, through kit).
fn view_columns_after(migrations: &[&Migration], view: &str) -> (Vec<String>, Vec<String>) {
    let conn = kit::sqlite::migrate::replay(migrations).unwrap();
    let lite: Vec<String> = conn
        .prepare("SELECT name FROM pragma_table_info(?1)")
        .unwrap()
        .query_map([view], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let db = pg::database();
    let dir = tempfile::tempdir().unwrap();
    for m in migrations {
        let name = m.path.file_name().unwrap();
        std::fs::write(
            dir.path().join(name),
            format!("-- kit:up\n{}-- kit:down\n", m.up),
        )
        .unwrap();
    }
    let cfg = kit::config::Config::for_database(Path::new(&db.url));
    let mut pg_db = kit::db::open(&cfg).unwrap();
    kit::migrate::upgrade(pg_db.as_mut(), dir.path(), "head").unwrap();
    let mut c = db.client();
    let pg: Vec<String> = c
        .query(
            "SELECT attname::text FROM pg_attribute WHERE attrelid = to_regclass($1) \
             AND attnum > 0 ORDER BY attnum",
            &[&view],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    (lite, pg)
}

#[test]
fn a_view_keeps_its_column_names_after_rename_column_on_both() {
    // PostgreSQL keeps a view's column names when a column under it is renamed; kit keeps
    // them on SQLite too (the view is rewritten `SELECT id, title AS name`, quirk 87), so the
    // two databases agree and parity finds nothing.
    let m1 = migration(
        "0001_posts.sql",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT);\n\
         CREATE VIEW v AS SELECT id, name FROM t;\n\
         CREATE VIEW w AS SELECT t.name FROM t WHERE t.id > 0;\n",
    );
    let m2 = migration(
        "0002_rename.sql",
        "ALTER TABLE t RENAME COLUMN name TO title;\n",
    );
    let (lite, pg) = view_columns_after(&[&m1, &m2], "v");
    assert_eq!(lite, ["id", "name"]);
    assert_eq!(pg, lite);
    let (lite, pg) = view_columns_after(&[&m1, &m2], "w");
    assert_eq!(lite, ["name"]);
    assert_eq!(pg, lite);
    let db = pg::database();
    let mut c = db.client();
    let (d, rejected) = replayed(&mut c, &[&m1, &m2]);
    assert!(rejected.is_empty(), "{rejected:#?}");
    assert!(d.is_empty(), "{:#?}", lines(&d));
    // A view dropped on one side only after the rename is reported, with both sides.
    let m3 = migration(
        "0003_drop.sql",
        "-- kit:only sqlite\nDROP VIEW w;\n-- kit:all\n",
    );
    let (d, _) = replayed(&mut c, &[&m1, &m2, &m3]);
    assert_eq!(
        lines(&d),
        ["view \"w\": missing on SQLite, present on PostgreSQL"]
    );
}
