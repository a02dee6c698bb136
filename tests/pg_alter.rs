//! Every ALTER form kit accepts (the README's table), from ONE migration file, applied by the
//! real `kit` binary to a SQLite database and to a PostgreSQL database that start from the
//! same schema and rows: afterwards (and after the down part) every table has the same
//! columns in the same order with the same nullability and type class, the same constraint
//! names, and the same rows, normalised by type class. A change PostgreSQL refuses (SET NOT
//! NULL over NULLs) leaves it unchanged and is refused on SQLite too.

mod common;
#[path = "common/pg.rs"]
mod pg;
#[path = "common/pg_schema.rs"]
mod pg_schema;

use common::{kit, run, Out};
use pg_schema::{Class, V};
use std::collections::BTreeSet;

/// The schema and rows both databases start from.
const SETUP: &str = "CREATE TABLE teams (id INTEGER PRIMARY KEY, title TEXT NOT NULL);
CREATE TABLE people (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  email TEXT UNIQUE,
  age INTEGER CHECK (age >= 0),
  code TEXT,
  score REAL,
  legacy TEXT,
  flag BOOLEAN DEFAULT 0,
  note TEXT DEFAULT 'n/a',
  team_id INTEGER REFERENCES teams(id)
);
CREATE TABLE tags (name TEXT NOT NULL, label TEXT, weight INTEGER);
CREATE TABLE codes (code TEXT PRIMARY KEY, v INTEGER);
CREATE TABLE old_name (x INTEGER, y TEXT);
CREATE TABLE seq (id INTEGER, v TEXT);
CREATE TABLE ids (id INTEGER PRIMARY KEY, v TEXT);
CREATE VIEW people_codes AS SELECT id, code, score FROM people;
CREATE VIEW people_codes_again AS SELECT * FROM people_codes;
CREATE TABLE conv (id INTEGER PRIMARY KEY, on_off INTEGER DEFAULT 0, num TEXT DEFAULT '5', yes BOOLEAN);
INSERT INTO conv (id, on_off, num, yes) VALUES (1, 1, '7', TRUE), (2, 0, '8', FALSE);
INSERT INTO seq (id, v) VALUES (1, 'a'), (2, 'b');
INSERT INTO ids (id, v) VALUES (1, 'a'), (5, 'b');
INSERT INTO teams (id, title) VALUES (1, 'red'), (2, 'blue');
INSERT INTO people (id, name, email, age, code, score, legacy, flag, note, team_id) VALUES
  (1, 'Ada', 'ada@example.com', 36, '42', 1.5, 'l1', TRUE, 'hi', 1),
  (2, 'Bob', NULL, NULL, '7', NULL, 'l2', FALSE, NULL, 2),
  (3, 'Cy', 'cy@example.com', 5, '100', 2.25, NULL, TRUE, 'n/a', NULL);
INSERT INTO tags (name, label, weight) VALUES ('a', 'A', 1), ('b', NULL, 2);
INSERT INTO codes (code, v) VALUES ('x', 1), ('y', 2);
INSERT INTO old_name (x, y) VALUES (1, 'one'), (2, 'two');";

const SETUP_DOWN: &str =
    "DROP TABLE conv;\nDROP VIEW people_codes_again;\nDROP VIEW people_codes;\nDROP TABLE ids;\nDROP TABLE seq;\nDROP TABLE old_name;\nDROP TABLE codes;\nDROP TABLE tags;\nDROP TABLE people;\nDROP TABLE teams;";

/// Every ALTER form of the README's table, in one file.
const ALTERS: &str = "-- ADD [COLUMN] [IF NOT EXISTS]
ALTER TABLE people ADD COLUMN nick TEXT;
ALTER TABLE people ADD city TEXT NOT NULL DEFAULT 'Paris';
ALTER TABLE people ADD COLUMN IF NOT EXISTS nick TEXT;
ALTER TABLE people ADD COLUMN IF NOT EXISTS zip TEXT;
-- DROP [COLUMN] [IF EXISTS]
ALTER TABLE people DROP COLUMN legacy;
ALTER TABLE people DROP COLUMN IF EXISTS nothing_here;
ALTER TABLE tags DROP weight;
-- RENAME [COLUMN] a TO b, RENAME TO u
ALTER TABLE people RENAME COLUMN name TO full_name;
ALTER TABLE people RENAME note TO remark;
ALTER TABLE old_name RENAME TO renamed;
-- ALTER [COLUMN] c [SET DATA] TYPE t [USING e]
ALTER TABLE people ALTER COLUMN code TYPE INTEGER;
ALTER TABLE people ALTER score SET DATA TYPE TEXT;
ALTER TABLE renamed ALTER COLUMN x TYPE TEXT USING 'x' || x;
ALTER TABLE conv ALTER COLUMN on_off TYPE BOOLEAN, ALTER COLUMN num TYPE INTEGER, ALTER yes TYPE TEXT;
ALTER TABLE tags ALTER COLUMN label TYPE TEXT COLLATE NOCASE;
-- SET / DROP NOT NULL
ALTER TABLE people ALTER COLUMN flag SET NOT NULL;
ALTER TABLE people ALTER full_name DROP NOT NULL;
-- SET / DROP DEFAULT
ALTER TABLE people ALTER COLUMN flag SET DEFAULT 1;
ALTER TABLE people ALTER COLUMN remark DROP DEFAULT;
ALTER TABLE people ALTER age SET DEFAULT 18;
-- ADD [CONSTRAINT n] PRIMARY KEY | UNIQUE | CHECK | FOREIGN KEY
ALTER TABLE tags ADD CONSTRAINT tags_pk PRIMARY KEY (name);
ALTER TABLE people ADD CONSTRAINT people_code_uq UNIQUE (code);
ALTER TABLE people ADD UNIQUE (full_name);
ALTER TABLE people ADD CONSTRAINT age_ok CHECK (age < 200);
ALTER TABLE people ADD CHECK (city <> '');
ALTER TABLE renamed ADD COLUMN team INTEGER;
ALTER TABLE renamed ADD CONSTRAINT renamed_team_fk FOREIGN KEY (team) REFERENCES teams(id);
ALTER TABLE codes ADD FOREIGN KEY (v) REFERENCES teams(id);
ALTER TABLE seq ADD PRIMARY KEY (id);
-- DROP CONSTRAINT n, unnamed ones by PostgreSQL's default names
ALTER TABLE codes DROP CONSTRAINT codes_pkey;
ALTER TABLE people DROP CONSTRAINT people_email_key;
ALTER TABLE people DROP CONSTRAINT people_age_check;
ALTER TABLE people DROP CONSTRAINT people_team_id_fkey;
ALTER TABLE ids DROP CONSTRAINT ids_pkey;
-- several actions in one ALTER TABLE
ALTER TABLE teams ADD COLUMN color TEXT DEFAULT 'none', ALTER COLUMN title DROP NOT NULL, ADD CONSTRAINT title_len CHECK (length(title) < 50), RENAME COLUMN title TO label;
-- kit's SQLite-only table options: skipped on PostgreSQL with a note
ALTER TABLE renamed SET STRICT;
-- rows written after the changes
INSERT INTO people (id, full_name, code, flag) VALUES (4, NULL, 5, FALSE);
INSERT INTO renamed (x, y, team) VALUES ('x3', 'three', 2);
INSERT INTO seq (v) VALUES ('c');
INSERT INTO ids (v) VALUES ('n');
INSERT INTO conv (id) VALUES (3);";

/// The down part: every form again, undoing the up part.
const ALTERS_DOWN: &str = "DELETE FROM conv WHERE id = 3;
ALTER TABLE conv ALTER COLUMN num TYPE TEXT;
ALTER TABLE conv ALTER COLUMN on_off TYPE INTEGER;
ALTER TABLE conv ALTER COLUMN yes TYPE BOOLEAN;
INSERT INTO conv (id) VALUES (4);
DELETE FROM ids WHERE id IS NULL;
DELETE FROM seq WHERE v = 'c';
ALTER TABLE ids ADD CONSTRAINT ids_pkey PRIMARY KEY (id);
ALTER TABLE seq DROP CONSTRAINT seq_pkey;
DELETE FROM renamed WHERE y = 'three';
DELETE FROM people WHERE id = 4;
ALTER TABLE renamed SET NOT STRICT;
ALTER TABLE teams RENAME COLUMN label TO title;
ALTER TABLE teams DROP CONSTRAINT title_len, ALTER COLUMN title SET NOT NULL, DROP COLUMN color;
ALTER TABLE people ADD CONSTRAINT people_team_id_fkey FOREIGN KEY (team_id) REFERENCES teams(id);
ALTER TABLE people ADD CONSTRAINT people_age_check CHECK (age >= 0);
ALTER TABLE people ADD CONSTRAINT people_email_key UNIQUE (email);
ALTER TABLE codes ADD CONSTRAINT codes_pkey PRIMARY KEY (code);
ALTER TABLE codes DROP CONSTRAINT codes_v_fkey;
ALTER TABLE renamed DROP CONSTRAINT renamed_team_fk;
ALTER TABLE renamed DROP COLUMN team;
ALTER TABLE people DROP CONSTRAINT people_city_check;
ALTER TABLE people DROP CONSTRAINT age_ok;
ALTER TABLE people DROP CONSTRAINT people_full_name_key;
ALTER TABLE people DROP CONSTRAINT people_code_uq;
ALTER TABLE tags DROP CONSTRAINT tags_pk;
ALTER TABLE people ALTER COLUMN age DROP DEFAULT;
ALTER TABLE people ALTER COLUMN remark SET DEFAULT 'n/a';
ALTER TABLE people ALTER COLUMN flag SET DEFAULT 0;
ALTER TABLE people ALTER full_name SET NOT NULL;
ALTER TABLE people ALTER COLUMN flag DROP NOT NULL;
ALTER TABLE renamed ALTER COLUMN x TYPE INTEGER USING CAST(substr(x, 2) AS INTEGER);
ALTER TABLE people ALTER score TYPE REAL;
ALTER TABLE people ALTER COLUMN code TYPE TEXT;
ALTER TABLE tags ALTER COLUMN label TYPE TEXT COLLATE \"default\";
ALTER TABLE renamed RENAME TO old_name;
ALTER TABLE people RENAME remark TO note;
ALTER TABLE people RENAME COLUMN full_name TO name;
ALTER TABLE tags ADD COLUMN weight INTEGER;
ALTER TABLE people ADD COLUMN legacy TEXT;
ALTER TABLE people DROP COLUMN zip;
ALTER TABLE people DROP city;
ALTER TABLE people DROP COLUMN nick;";

/// A project with both databases: `sqlite.toml` (app.db) and `pg.toml` (the test database).
struct Both {
    dir: tempfile::TempDir,
    db: pg::TestDb,
}

impl Both {
    fn new() -> Both {
        let b = Both {
            dir: tempfile::tempdir().unwrap(),
            db: pg::database(),
        };
        b.write("sqlite.toml", "database = \"app.db\"\n");
        b.write("pg.toml", &format!("database = \"{}\"\n", b.db.url));
        rusqlite::Connection::open(b.dir.path().join("app.db"))
            .unwrap()
            .execute_batch("PRAGMA user_version = 0")
            .unwrap();
        b
    }

    fn write(&self, rel: &str, text: &str) {
        let p = self.dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn migration(&self, file: &str, up: &str, down: &str) {
        self.write(
            &format!("migrations/{file}"),
            &format!("-- kit:up\n{up}\n-- kit:down\n{down}\n"),
        );
    }

    fn kit(&self, args: &[&str]) -> Out {
        run(kit().current_dir(self.dir.path()).args(args))
    }

    /// Runs `args` with each config; both must succeed.
    fn both(&self, args: &[&str]) -> (Out, Out) {
        let on = |config: &str| {
            let mut a = args.to_vec();
            a.extend(["-c", config]);
            let out = self.kit(&a);
            assert_eq!(out.code, 0, "kit {a:?}:\n{}", out.show());
            out
        };
        (on("sqlite.toml"), on("pg.toml"))
    }

    fn sqlite(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.dir.path().join("app.db")).unwrap()
    }
}

/// One table as both databases can be compared: columns (name, type class, NOT NULL), the
/// names of its constraints, and its rows normalised by type class, sorted.
#[derive(Debug, PartialEq)]
struct TableState {
    columns: Vec<(String, Class, bool)>,
    constraints: BTreeSet<String>,
    rows: Vec<Vec<V>>,
}

fn sorted(mut rows: Vec<Vec<V>>) -> Vec<Vec<V>> {
    rows.sort_by_key(|r| format!("{r:?}"));
    rows
}

/// Every table of the SQLite database. A primary-key column counts as NOT NULL, as on
/// PostgreSQL (SQLite's INTEGER PRIMARY KEY is the rowid; other primary keys allow NULL only
/// by SQLite's old quirk, and kit's PostgreSQL side follows PostgreSQL).
fn sqlite_state(c: &rusqlite::Connection) -> Vec<(String, TableState)> {
    let schema = kit::read_schema(c).unwrap();
    let mut out = Vec::new();
    for (name, table) in &schema.tables {
        if name.starts_with("kit_") || name.starts_with("sqlite_") {
            continue;
        }
        let info: Vec<(String, String, bool, i64)> = c
            .prepare("SELECT name, type, \"notnull\", pk FROM pragma_table_info(?1)")
            .unwrap()
            .query_map([name], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let classes: Vec<Class> = info
            .iter()
            .map(|(_, t, _, _)| pg_schema::sqlite_class(t))
            .collect();
        let rows = pg_schema::sqlite_values(
            c,
            &format!("SELECT * FROM {}", common::quote(name)),
            &classes,
        );
        out.push((
            name.to_lowercase(),
            TableState {
                columns: info
                    .iter()
                    .zip(&classes)
                    .map(|((n, _, nn, pk), k)| (n.to_lowercase(), *k, *nn || *pk > 0))
                    .collect(),
                constraints: table
                    .named_constraints()
                    .into_iter()
                    .map(|n| n.name.to_lowercase())
                    .collect(),
                rows: sorted(rows),
            },
        ));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Every table of the PostgreSQL database.
fn pg_state(c: &mut postgres::Client) -> Vec<(String, TableState)> {
    let mut out = Vec::new();
    for t in pg_schema::tables(c) {
        if t.starts_with("kit_") {
            continue;
        }
        let constraints = pg_schema::strings(
            c,
            &format!(
                "SELECT conname::text FROM pg_constraint WHERE conrelid = to_regclass('{}') \
                 AND contype IN ('p', 'u', 'c', 'f')",
                pg_schema::q(&t)
            ),
        )
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
        let state = TableState {
            columns: pg_schema::columns(c, &t)
                .into_iter()
                .map(|(n, ty, nn)| (n, pg_schema::pg_class(&ty), nn))
                .collect(),
            constraints,
            rows: sorted(pg_schema::rows(c, &t)),
        };
        out.push((t, state));
    }
    out
}

/// Each view's rows, by name.
type ViewRows = Vec<(String, Vec<Vec<V>>)>;

/// The rows of each view, on SQLite and on PostgreSQL, normalised by the view's column types.
fn view_rows(b: &Both) -> (ViewRows, ViewRows) {
    let lite = b.sqlite();
    let names: Vec<String> = lite
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'view' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut c = b.db.client();
    let mut on_lite = Vec::new();
    let mut on_pg = Vec::new();
    for v in names {
        let classes: Vec<Class> = lite
            .prepare("SELECT type FROM pragma_table_info(?1)")
            .unwrap()
            .query_map([&v], |r| r.get::<_, String>(0))
            .unwrap()
            .map(|t| pg_schema::sqlite_class(&t.unwrap()))
            .collect();
        let rows = common::query(&lite, &format!("SELECT * FROM {}", common::quote(&v)))
            .iter()
            .map(|r| {
                r.iter()
                    .zip(&classes)
                    .map(|(x, k)| pg_schema::from_sqlite(x, *k))
                    .collect()
            })
            .collect();
        on_lite.push((v.clone(), sorted(rows)));
        on_pg.push((v.clone(), sorted(pg_schema::rows(&mut c, &v))));
    }
    (on_lite, on_pg)
}

fn assert_same(b: &Both, when: &str) {
    let (lite_views, pg_views) = view_rows(b);
    assert_eq!(pg_views, lite_views, "{when}: views");
    let lite = sqlite_state(&b.sqlite());
    let pgs = pg_state(&mut b.db.client());
    let names = |s: &[(String, TableState)]| s.iter().map(|t| t.0.clone()).collect::<Vec<_>>();
    assert_eq!(names(&pgs), names(&lite), "{when}: tables");
    for ((name, l), (_, p)) in lite.iter().zip(&pgs) {
        assert_eq!(p.columns, l.columns, "{when}: columns of {name}");
        assert_eq!(
            p.constraints, l.constraints,
            "{when}: constraints of {name}"
        );
        assert_eq!(p.rows, l.rows, "{when}: rows of {name}");
    }
}

#[test]
fn every_alter_form_gives_the_same_tables_and_rows_on_both_databases() {
    let b = Both::new();
    b.migration("0001_setup.sql", SETUP, SETUP_DOWN);
    b.migration("0002_alters.sql", ALTERS, ALTERS_DOWN);
    b.both(&["upgrade", "0001"]);
    assert_same(&b, "after the setup");
    let (_, pg_out) = b.both(&["upgrade"]);
    // The SQLite-only option is skipped with a note naming the file and line.
    pg_out.assert_stderr_has(&[
        "kit: note: ",
        "0002_alters.sql, line 47",
        "table \"renamed\": `SET STRICT` skipped",
        "view(s) \"people_codes\", \"people_codes_again\" dropped before and created again",
    ]);
    assert_same(&b, "after every ALTER form");
    // Spot checks of what the comparison covers, read from each database.
    let mut c = b.db.client();
    assert_eq!(
        pg_schema::columns(&mut c, "people")
            .iter()
            .map(|c| c.0.as_str())
            .collect::<Vec<_>>(),
        [
            "id",
            "full_name",
            "email",
            "age",
            "code",
            "score",
            "flag",
            "remark",
            "team_id",
            "nick",
            "city",
            "zip"
        ]
    );
    let defaults = pg_schema::strings(
        &mut c,
        "SELECT column_name::text, column_default FROM information_schema.columns \
         WHERE table_name = 'people' AND column_default IS NOT NULL ORDER BY 1",
    );
    assert!(
        defaults.contains(&vec!["flag".to_string(), "true".to_string()]),
        "BOOLEAN DEFAULT 1 is true: {defaults:?}"
    );
    assert!(
        !defaults.iter().any(|d| d[0] == "remark"),
        "DROP DEFAULT: {defaults:?}"
    );
    let lite = b.sqlite();
    let nocase = "SELECT count(*) FROM tags WHERE label = 'a'";
    let n: i64 = lite.query_row(nocase, [], |r| r.get(0)).unwrap();
    assert_eq!(n, 1, "COLLATE NOCASE on SQLite");
    let n: i64 = c.query_one(nocase, &[]).unwrap().get(0);
    assert_eq!(n, 1, "COLLATE NOCASE on PostgreSQL");
    let strict: i64 = lite
        .query_row(
            "SELECT strict FROM pragma_table_list WHERE name = 'renamed'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(strict, 1, "SET STRICT ran on SQLite");
    drop(lite);

    b.both(&["downgrade", "-1"]);
    assert_same(&b, "after the down part");
    b.both(&["downgrade", "base"]);
    assert_same(&b, "at base");
}

#[test]
fn a_change_postgresql_refuses_is_refused_on_sqlite_and_changes_neither() {
    let b = Both::new();
    b.migration("0001_setup.sql", SETUP, SETUP_DOWN);
    b.both(&["upgrade"]);
    for (change, pg_error, lite_error) in [
        (
            "ALTER TABLE tags ADD COLUMN extra TEXT;\nALTER TABLE tags ALTER COLUMN label SET NOT NULL;",
            "column \"label\" of relation \"tags\" contains null values",
            "column \"label\" has NULLs",
        ),
        (
            "ALTER TABLE people ADD CONSTRAINT people_one_code UNIQUE (flag);",
            "could not create unique index \"people_one_code\"",
            "duplicate",
        ),
        (
            "ALTER TABLE people ADD CHECK (age > 10);",
            "is violated by some row",
            "CHECK",
        ),
    ] {
        b.migration("0002_refused.sql", change, "SELECT 1;");
        let mut c = b.db.client();
        let before_pg = pg_schema::snapshot(&mut c);
        let before_lite = common::snapshot(&b.sqlite());
        let lite = b.kit(&["upgrade", "-c", "sqlite.toml"]);
        lite.assert_code(1);
        lite.assert_stderr_has(&[lite_error]);
        let pgo = b.kit(&["upgrade", "-c", "pg.toml"]);
        pgo.assert_code(1);
        pgo.assert_stderr_has(&[pg_error, "SQLSTATE", "0002_refused.sql, line"]);
        assert_eq!(pg_schema::snapshot(&mut c), before_pg, "{change}");
        assert_eq!(common::snapshot(&b.sqlite()), before_lite, "{change}");
        assert_same(&b, change);
    }
}
