//! SQLite DDL translated by kit and run on a real PostgreSQL server: every type rule, identity
//! columns and their resync, each refusal, awkward identifiers, defaults, collations, indexes,
//! generated columns, and every ALTER form with the rows compared before and after.

#[path = "common/pg.rs"]
mod pg;

use kit::error::Error;
use kit::postgres::translate::{self, map_type, Translation, TYPE_RULES};
use kit::schema::{parse_create_table, Schema};
use postgres::Client;

/// Translates each statement of a SQLite-dialect script (tables known so far feed the next
/// statements) and runs it; returns the translations.
fn run(c: &mut Client, script: &str) -> Vec<Translation> {
    let mut schema = Schema::default();
    let mut out = Vec::new();
    for p in kit::sql::split_statements(script).unwrap() {
        let tr = translate::statement(&p.text, Some(&schema))
            .unwrap_or_else(|e| panic!("cannot translate {}: {e}", p.text));
        for s in &tr.statements {
            c.batch_execute(s)
                .unwrap_or_else(|e| panic!("PostgreSQL refused\n{s}\n{}", pg::show(&e)));
        }
        if let Ok(t) = parse_create_table(&p.text) {
            schema.tables.insert(t.name.clone(), t);
        }
        out.push(tr);
    }
    out
}

/// Rows of a query as text (NULL as "NULL").
fn rows(c: &mut Client, sql: &str) -> Vec<Vec<String>> {
    let rows = c
        .query(sql, &[])
        .unwrap_or_else(|e| panic!("{sql}: {}", pg::show(&e)));
    rows.iter()
        .map(|r| {
            (0..r.len())
                .map(|i| {
                    r.get::<_, Option<String>>(i)
                        .unwrap_or_else(|| "NULL".into())
                })
                .collect()
        })
        .collect()
}

fn one(c: &mut Client, sql: &str) -> String {
    rows(c, sql)[0][0].clone()
}

/// The column's type as PostgreSQL's catalog renders it.
fn column_type(c: &mut Client, table: &str, column: &str) -> String {
    one(
        c,
        &format!(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute \
             WHERE attrelid = '{}'::regclass AND attname = '{}'",
            kit::sql::quote_ident(table).replace('\'', "''"),
            column.replace('\'', "''")
        ),
    )
}

fn refusal(r: kit::Result<Translation>) -> String {
    match r {
        Err(Error::Untranslatable(u)) => u.to_string(),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// A value every PostgreSQL type of the table takes, and how PostgreSQL prints it back.
fn sample(pg_type: &str) -> (&'static str, &'static str, &'static str) {
    match pg_type {
        "bigint" => ("9223372036854775807", "9223372036854775807", "bigint"),
        "smallint" => ("-32768", "-32768", "smallint"),
        "integer" => ("2147483647", "2147483647", "integer"),
        "text" => ("'héllo ✓'", "héllo ✓", "text"),
        "varchar" => ("'abcde'", "abcde", "character varying(5)"),
        "double precision" => ("1.5e300", "1.5e+300", "double precision"),
        "numeric" => ("12345.67", "12345.67", "numeric(10,2)"),
        "boolean" => ("TRUE", "true", "boolean"),
        "date" => ("'2024-02-29'", "2024-02-29", "date"),
        "timestamp" => (
            "'2024-02-29 13:14:15'",
            "2024-02-29 13:14:15",
            "timestamp(3) without time zone",
        ),
        "timestamptz" => (
            "'2024-02-29 13:14:15+00'",
            "2024-02-29 13:14:15+00",
            "timestamp(3) with time zone",
        ),
        "time" => ("'13:14:15'", "13:14:15", "time(3) without time zone"),
        "bytea" => ("x'00ff'", "\\x00ff", "bytea"),
        "json" => ("'{\"b\": 1, \"a\": 2}'", "{\"b\": 1, \"a\": 2}", "json"),
        "uuid" => (
            "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'",
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
            "uuid",
        ),
        other => panic!("no sample for {other}"),
    }
}

#[test]
fn every_type_rule_creates_a_column_that_round_trips_values() {
    let db = pg::database();
    let mut c = db.client();
    let mut n = 0;
    for rule in TYPE_RULES {
        for name in rule.sqlite {
            let size = match (rule.postgres, rule.size) {
                ("varchar", _) => "(5)",
                ("numeric", _) => "(10, 2)",
                (_, translate::Size::Kept) => "(3)",
                _ => "",
            };
            let declared = format!("{name}{size}");
            let table = format!("t{n}");
            n += 1;
            let (literal, printed, catalog) = sample(rule.postgres);
            run(
                &mut c,
                &format!(
                    "CREATE TABLE {table} (c {declared}); INSERT INTO {table} (c) VALUES ({literal})"
                ),
            );
            assert_eq!(column_type(&mut c, &table, "c"), catalog, "{declared}");
            assert_eq!(
                one(&mut c, &format!("SELECT c::text FROM {table}")),
                printed,
                "{declared}"
            );
            // The same literal goes into SQLite under the declared type.
            let lite = rusqlite::Connection::open_in_memory().unwrap();
            lite.execute_batch(&format!(
                "CREATE TABLE t (c {declared}); INSERT INTO t VALUES ({literal})"
            ))
            .unwrap();
        }
    }
    // No declared type and the affinity rules.
    run(
        &mut c,
        "CREATE TABLE aff (a, b STRING, c SHORT TEXTUAL, d FLOATY, e BINARY LARGE BLOB, f FLOATING POINT)",
    );
    let types: Vec<String> = ["a", "b", "c", "d", "e", "f"]
        .iter()
        .map(|col| column_type(&mut c, "aff", col))
        .collect();
    assert_eq!(
        types,
        [
            "text",
            "numeric",
            "text",
            "double precision",
            "bytea",
            "bigint"
        ]
    );
}

#[test]
fn a_value_longer_than_a_declared_varchar_is_refused_by_postgresql() {
    let db = pg::database();
    let mut c = db.client();
    run(&mut c, "CREATE TABLE t (code CHAR(2), name VARCHAR(3))");
    c.batch_execute("INSERT INTO t VALUES ('ab', 'abc')")
        .unwrap();
    assert_eq!(
        rows(&mut c, "SELECT code, name FROM t"),
        [["ab", "abc"]],
        "no blank padding"
    );
    let e = c
        .batch_execute("INSERT INTO t VALUES ('abc', 'x')")
        .unwrap_err();
    assert_eq!(e.code().unwrap().code(), "22001");
}

#[test]
fn integer_primary_key_is_a_64_bit_identity_that_resyncs_past_explicit_ids() {
    let db = pg::database();
    let mut c = db.client();
    run(
        &mut c,
        "CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT);
         CREATE TABLE tags (id INTEGER, label TEXT, PRIMARY KEY (id));
         CREATE TABLE plain (id INT PRIMARY KEY, x TEXT);",
    );
    for (t, identity) in [("users", "d"), ("tags", "d"), ("plain", "")] {
        let got = one(
            &mut c,
            &format!("SELECT attidentity::text FROM pg_attribute WHERE attrelid = '{t}'::regclass AND attname = 'id'"),
        );
        assert_eq!(got, identity, "{t}");
        assert_eq!(column_type(&mut c, t, "id"), "bigint");
    }
    c.batch_execute("INSERT INTO users (id, name) VALUES (1, 'a'), (1099511627776, 'big')")
        .unwrap();
    let e = c
        .batch_execute("INSERT INTO users (name) VALUES ('next')")
        .unwrap_err();
    assert_eq!(
        e.code().unwrap().code(),
        "23505",
        "without a resync the identity collides"
    );
    c.batch_execute(&translate::identity_resync_sql("users", "id"))
        .unwrap();
    c.batch_execute("INSERT INTO users (name) VALUES ('next')")
        .unwrap();
    assert_eq!(
        one(&mut c, "SELECT id::text FROM users WHERE name = 'next'"),
        "1099511627777"
    );
    // Every identity at once, and an empty table starts at 1.
    c.batch_execute("INSERT INTO tags (id, label) VALUES (7, 'x')")
        .unwrap();
    kit::postgres::resync_identities(&mut c).unwrap();
    c.batch_execute("INSERT INTO tags (label) VALUES ('y')")
        .unwrap();
    assert_eq!(
        one(&mut c, "SELECT id::text FROM tags WHERE label = 'y'"),
        "8"
    );
    run(
        &mut c,
        "CREATE TABLE empty (id INTEGER PRIMARY KEY, v TEXT)",
    );
    c.batch_execute(&translate::identity_resync_sql("empty", "id"))
        .unwrap();
    c.batch_execute("INSERT INTO empty (v) VALUES ('first')")
        .unwrap();
    assert_eq!(one(&mut c, "SELECT id::text FROM empty"), "1");
}

#[test]
fn defaults_mean_what_they_mean_on_sqlite() {
    let db = pg::database();
    let mut c = db.client();
    run(
        &mut c,
        "CREATE TABLE d (
           id INTEGER PRIMARY KEY,
           on_flag BOOLEAN DEFAULT 1,
           off_flag BOOL NOT NULL DEFAULT (0),
           at DATETIME DEFAULT CURRENT_TIMESTAMP,
           at_text TEXT DEFAULT (datetime('now')),
           day DATE DEFAULT (date('now')),
           day_text TEXT DEFAULT CURRENT_DATE,
           clock TIME DEFAULT CURRENT_TIME,
           epoch INTEGER DEFAULT (unixepoch()),
           epoch2 INTEGER DEFAULT (strftime('%s', 'now')),
           n REAL DEFAULT -1.5,
           s TEXT DEFAULT 'it''s',
           h INTEGER DEFAULT 0x10,
           b BLOB DEFAULT x'cafe'
         )",
    );
    c.batch_execute("SET TIME ZONE 'America/New_York'; INSERT INTO d DEFAULT VALUES")
        .unwrap();
    let r = &rows(
        &mut c,
        "SELECT on_flag::text, off_flag::text, n::text, s, h::text, b::text, \
         (abs(extract(epoch FROM at - (now() AT TIME ZONE 'UTC'))) < 5)::text, \
         (extract(microseconds FROM at)::bigint % 1000000 = 0)::text, \
         at_text, day::text, day_text, clock::text, \
         (abs(epoch - extract(epoch FROM now())) < 5)::text, (epoch = epoch2)::text FROM d",
    )[0];
    assert_eq!(
        &r[..8],
        ["true", "false", "-1.5", "it's", "16", "\\xcafe", "true", "true"]
    );
    // The text forms are SQLite's, in UTC.
    let lite = rusqlite::Connection::open_in_memory().unwrap();
    let (now_text, today): (String, String) = lite
        .query_row("SELECT CURRENT_TIMESTAMP, CURRENT_DATE", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(r[8].len(), now_text.len(), "{} vs {now_text}", r[8]);
    assert_eq!(&r[8][..13], &now_text[..13], "same UTC hour as SQLite");
    assert_eq!(r[9], today);
    assert_eq!(r[10], today);
    assert_eq!(r[11].len(), 8, "whole seconds: {}", r[11]);
    assert_eq!(&r[12..], ["true", "true"]);
}

#[test]
fn each_refusal_names_the_object_and_the_fix() {
    let cases = [
        (
            "CREATE TRIGGER touch AFTER UPDATE ON users BEGIN UPDATE users SET x = 1; END",
            "trigger \"touch\"",
        ),
        (
            "CREATE VIRTUAL TABLE docs USING fts5(body)",
            "virtual table \"docs\"",
        ),
        (
            "CREATE TABLE t (at TEXT DEFAULT (datetime('now', 'localtime')))",
            "default of column \"t\".\"at\"",
        ),
        (
            "CREATE TABLE t (a TEXT CHECK (typeof(a) = 'text'))",
            "CHECK on column \"t\".\"a\"",
        ),
        (
            "CREATE TABLE t (a TEXT, CHECK (a GLOB '[0-9]*'))",
            "constraint \"t_a_check\"",
        ),
        (
            "CREATE TABLE t (a TEXT COLLATE RTRIM)",
            "column \"t\".\"a\"",
        ),
        (
            "CREATE TABLE t (a INTEGER PRIMARY KEY ON CONFLICT REPLACE)",
            "column \"t\".\"a\"",
        ),
        (
            "CREATE TABLE t (a INT, g AS (printf('%d', a)))",
            "generated column \"t\".\"g\"",
        ),
        (
            "CREATE TABLE t (f BOOLEAN DEFAULT 2)",
            "default of column \"t\".\"f\"",
        ),
        (
            "CREATE TABLE t (n INTEGER DEFAULT CURRENT_TIMESTAMP)",
            "default of column \"t\".\"n\"",
        ),
        (
            "CREATE VIEW v AS SELECT group_concat(name) FROM users",
            "view \"v\"",
        ),
        ("CREATE VIEW v AS SELECT max(a, b) FROM t", "view \"v\""),
        ("CREATE INDEX i ON t (strftime('%Y', at))", "index \"i\""),
        ("CREATE VIEW v AS SELECT rowid FROM t", "view \"v\""),
        (
            "CREATE TABLE t (a TEXT -- kit:postgresql-type text); DROP TABLE x; --\n)",
            "column \"t\".\"a\"",
        ),
    ];
    for (sql, object) in cases {
        let text = refusal(translate::statement(sql, None));
        assert!(text.contains(object), "{sql}\n{text}");
        assert!(text.contains("hint:"), "{sql}\n{text}");
    }
    let text = refusal(translate::statement(cases[0].0, None));
    assert!(
        text.contains("-- kit:only postgresql") && text.contains("EXECUTE FUNCTION"),
        "{text}"
    );
    // With a file and line added by the caller.
    let e = translate::statement(cases[0].0, None)
        .unwrap_err()
        .at("schema.sql", 12);
    assert!(
        e.to_string()
            .starts_with("schema.sql, line 12: trigger \"touch\""),
        "{e}"
    );
}

#[test]
fn sqlite_only_operators_with_exact_equivalents_run_with_sqlite_meaning() {
    let db = pg::database();
    let mut c = db.client();
    run(
        &mut c,
        "CREATE TABLE t (
           a INTEGER CHECK (a IS NOT 5),
           b TEXT CHECK (b == 'ok' OR b IS NULL),
           c TEXT CHECK (ifnull(c, 'x') <> 'bad'),
           d INTEGER CHECK (d < 0x100)
         )",
    );
    c.batch_execute("INSERT INTO t VALUES (NULL, 'ok', NULL, 255), (4, NULL, 'fine', 1)")
        .unwrap();
    for bad in [
        "INSERT INTO t (a) VALUES (5)",
        "INSERT INTO t (b) VALUES ('no')",
        "INSERT INTO t (c) VALUES ('bad')",
        "INSERT INTO t (d) VALUES (256)",
    ] {
        let e = c.batch_execute(bad).unwrap_err();
        assert_eq!(e.code().unwrap().code(), "23514", "{bad}");
    }
    run(
        &mut c,
        "CREATE VIEW v AS SELECT a FROM t WHERE b LIKE 'O%' AND instr(c, 'in') = 2",
    );
    assert_eq!(
        rows(&mut c, "SELECT a::text FROM v"),
        Vec::<Vec<String>>::new()
    );
    c.batch_execute("UPDATE t SET b = 'ok' WHERE a = 4")
        .unwrap();
    assert_eq!(
        rows(&mut c, "SELECT a::text FROM v"),
        [["4"]],
        "LIKE ignores case as on SQLite"
    );
}

#[test]
fn awkward_identifiers_are_quoted_everywhere() {
    let db = pg::database();
    let mut c = db.client();
    run(
        &mut c,
        "CREATE TABLE \"my table\" (
           [select] INTEGER PRIMARY KEY,
           `we\"ird` TEXT UNIQUE,
           \"new\nline\" TEXT,
           \"Ünïcode\" INTEGER CHECK (\"Ünïcode\" > 0),
           user INTEGER CHECK (user >= 0) DEFAULT 0,
           \"Order\" TEXT
         );
         CREATE INDEX \"idx of, my table\" ON \"my table\" (\"Ünïcode\" DESC, [Order]);
         CREATE VIEW \"the view\" AS SELECT [select], \"we\"\"ird\" FROM \"my table\";",
    );
    c.batch_execute(
        "INSERT INTO \"my table\" (\"select\", \"we\"\"ird\", \"new\nline\", \"Ünïcode\", \"user\", \"order\") \
         VALUES (1, 'w', 'n', 3, 2, 'o')",
    )
    .unwrap();
    assert_eq!(
        rows(
            &mut c,
            "SELECT \"select\"::text, \"we\"\"ird\" FROM \"the view\""
        ),
        [["1", "w"]]
    );
    let e = c
        .batch_execute("INSERT INTO \"my table\" (\"Ünïcode\") VALUES (-1)")
        .unwrap_err();
    assert_eq!(e.code().unwrap().code(), "23514");
    let e = c
        .batch_execute("INSERT INTO \"my table\" (\"user\") VALUES (-1)")
        .unwrap_err();
    assert_eq!(
        e.code().unwrap().code(),
        "23514",
        "the CHECK reads the column, not CURRENT_USER"
    );
    assert_eq!(
        one(
            &mut c,
            "SELECT indexname FROM pg_indexes WHERE indexname LIKE 'idx%'"
        ),
        "idx of, my table"
    );
    let long = "x".repeat(64);
    let text = refusal(translate::statement(
        &format!("CREATE TABLE {long} (a INT)"),
        None,
    ));
    assert!(text.contains("63 bytes"), "{text}");
}

#[test]
fn constraints_keep_their_names_and_actions() {
    let db = pg::database();
    let mut c = db.client();
    run(
        &mut c,
        "CREATE TABLE parent (id INTEGER PRIMARY KEY, code TEXT CONSTRAINT code_unique UNIQUE);
         CREATE TABLE child (
           id INTEGER PRIMARY KEY,
           parent_id INTEGER REFERENCES parent(id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
           code TEXT,
           qty INTEGER CHECK (qty > 0),
           CONSTRAINT child_code_fk FOREIGN KEY (code) REFERENCES parent (code) ON UPDATE CASCADE MATCH SIMPLE,
           UNIQUE (parent_id, code),
           CHECK (qty < 100)
         );",
    );
    let mut names: Vec<String> = rows(
        &mut c,
        "SELECT conname::text FROM pg_constraint WHERE conrelid IN ('parent'::regclass, 'child'::regclass) ORDER BY 1",
    )
    .into_iter()
    .map(|r| r[0].clone())
    .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "child_code_fk",
            "child_parent_id_code_key",
            "child_parent_id_fkey",
            "child_pkey",
            "child_qty_check",
            "child_qty_check1",
            "code_unique",
            "parent_pkey"
        ]
    );
    let deferred = one(
        &mut c,
        "SELECT condeferred::text FROM pg_constraint WHERE conname = 'child_parent_id_fkey'",
    );
    assert_eq!(deferred, "true");
    c.batch_execute(
        "INSERT INTO parent VALUES (1, 'a'); INSERT INTO child VALUES (1, 1, 'a', 5);
         UPDATE parent SET code = 'b'; DELETE FROM parent;",
    )
    .unwrap();
    assert_eq!(
        one(&mut c, "SELECT count(*)::text FROM child"),
        "0",
        "ON DELETE CASCADE"
    );
}

#[test]
fn nocase_is_case_insensitive_for_unique_and_equality() {
    let db = pg::database();
    let mut c = db.client();
    let tr = run(
        &mut c,
        "CREATE TABLE u (email TEXT NOT NULL UNIQUE COLLATE NOCASE, nick TEXT COLLATE BINARY);
         CREATE INDEX u_nick ON u (nick COLLATE NOCASE);",
    );
    assert_eq!(tr[0].statements[0], translate::nocase_collation_sql());
    c.batch_execute("INSERT INTO u VALUES ('Ada@Example.com', 'x')")
        .unwrap();
    let e = c
        .batch_execute("INSERT INTO u VALUES ('ada@example.COM', 'y')")
        .unwrap_err();
    assert_eq!(e.code().unwrap().code(), "23505");
    assert_eq!(
        one(
            &mut c,
            "SELECT count(*)::text FROM u WHERE email = 'ADA@EXAMPLE.COM'"
        ),
        "1"
    );
    assert_eq!(
        one(&mut c, "SELECT count(*)::text FROM u WHERE nick = 'X'"),
        "0",
        "BINARY stays case-sensitive"
    );
}

#[test]
fn indexes_partial_expression_desc_unique() {
    let db = pg::database();
    let mut c = db.client();
    run(
        &mut c,
        "CREATE TABLE t (a INTEGER, b INTEGER, name TEXT, deleted BOOLEAN DEFAULT 0);
         CREATE UNIQUE INDEX t_live_name ON t (name) WHERE deleted = FALSE;
         CREATE INDEX t_sum ON t (a + b DESC, lower(name));
         CREATE INDEX IF NOT EXISTS t_b_desc ON t (b DESC);",
    );
    let defs = rows(
        &mut c,
        "SELECT indexdef FROM pg_indexes WHERE tablename = 't' ORDER BY indexname",
    );
    let defs: Vec<&str> = defs.iter().map(|r| r[0].as_str()).collect();
    assert!(defs[0].contains("(b DESC)"), "{defs:?}");
    assert!(defs[1].contains("WHERE (deleted = false)"), "{defs:?}");
    assert!(defs[2].contains("((a + b)) DESC, lower(name)"), "{defs:?}");
    c.batch_execute("INSERT INTO t (name, deleted) VALUES ('x', TRUE), ('x', TRUE), ('x', FALSE)")
        .unwrap();
    let e = c
        .batch_execute("INSERT INTO t (name) VALUES ('x')")
        .unwrap_err();
    assert_eq!(e.code().unwrap().code(), "23505");
}

#[test]
fn generated_columns_stored_and_virtual() {
    let db = pg::database();
    let mut c = db.client();
    let tr = run(
        &mut c,
        "CREATE TABLE g (a INTEGER, b INTEGER GENERATED ALWAYS AS (a * 2) STORED, c INTEGER AS (a + 1) VIRTUAL)",
    );
    assert!(
        tr[0].notes.iter().any(|n| n.contains("VIRTUAL")),
        "{:?}",
        tr[0].notes
    );
    c.batch_execute("INSERT INTO g (a) VALUES (20)").unwrap();
    assert_eq!(
        rows(&mut c, "SELECT b::text, c::text FROM g"),
        [["40", "21"]]
    );
}

#[test]
fn a_type_override_on_the_columns_line_wins() {
    let db = pg::database();
    let mut c = db.client();
    run(
        &mut c,
        "CREATE TABLE docs (
           id INTEGER PRIMARY KEY, -- kit:postgresql-type integer
           data TEXT NOT NULL, -- kit:postgresql-type jsonb
           tags TEXT -- kit:postgresql-type text[]
         )",
    );
    assert_eq!(column_type(&mut c, "docs", "id"), "integer");
    assert_eq!(column_type(&mut c, "docs", "data"), "jsonb");
    assert_eq!(column_type(&mut c, "docs", "tags"), "text[]");
    c.batch_execute("INSERT INTO docs (data) VALUES ('{\"b\": 1, \"a\": 2}')")
        .unwrap();
    assert_eq!(one(&mut c, "SELECT data->>'a' FROM docs"), "2");
}

/// Runs `sqlite_alter` translated against the table `create` defines (known to the
/// translator), returning the translation.
fn alter(c: &mut Client, create: &str, sqlite_alter: &str) -> Translation {
    let mut schema = Schema::default();
    let t = parse_create_table(create).unwrap();
    schema.tables.insert(t.name.clone(), t);
    let tr = translate::statement(sqlite_alter, Some(&schema))
        .unwrap_or_else(|e| panic!("{sqlite_alter}: {e}"));
    for s in &tr.statements {
        c.batch_execute(s)
            .unwrap_or_else(|e| panic!("PostgreSQL refused\n{s}\n{}", pg::show(&e)));
    }
    tr
}

const USERS: &str = "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE, age TEXT, legacy TEXT, active INTEGER)";

fn users(c: &mut Client) {
    run(c, USERS);
    c.batch_execute(
        "INSERT INTO users (id, email, age, legacy, active) VALUES \
         (1, 'a@x', '30', 'l1', 1), (2, 'b@x', '41', NULL, 0), (3, NULL, NULL, 'l3', NULL)",
    )
    .unwrap();
}

#[test]
fn every_alter_form_runs_natively_and_keeps_the_rows() {
    let db = pg::database();
    let mut c = db.client();
    users(&mut c);
    let before = rows(
        &mut c,
        "SELECT id::text, email, age, legacy FROM users ORDER BY id",
    );

    // ADD COLUMN: existing rows get the default (booleans translated).
    alter(
        &mut c,
        USERS,
        "ALTER TABLE users ADD COLUMN verified BOOLEAN NOT NULL DEFAULT 0",
    );
    alter(
        &mut c,
        USERS,
        "ALTER TABLE users ADD score REAL DEFAULT 1.5",
    );
    assert_eq!(
        rows(
            &mut c,
            "SELECT verified::text, score::text FROM users WHERE id = 1"
        ),
        [["false", "1.5"]]
    );
    // ALTER TYPE text -> integer: USING added, values converted.
    let tr = alter(
        &mut c,
        USERS,
        "ALTER TABLE users ALTER COLUMN age TYPE INTEGER",
    );
    assert!(
        tr.statements[0].contains("USING \"age\"::bigint"),
        "{:?}",
        tr.statements
    );
    assert_eq!(column_type(&mut c, "users", "age"), "bigint");
    // integer -> boolean needs USING too; integer -> text does not.
    let tr = alter(&mut c, USERS, "ALTER TABLE users ALTER active TYPE BOOLEAN");
    assert!(
        tr.statements[0].contains("USING (\"active\" <> 0)"),
        "{:?}",
        tr.statements
    );
    assert_eq!(
        rows(&mut c, "SELECT active::text FROM users ORDER BY id"),
        [["true"], ["false"], ["NULL"]]
    );
    let after_types = USERS.replace("age TEXT", "age INTEGER");
    let tr = alter(
        &mut c,
        &after_types,
        "ALTER TABLE users ALTER COLUMN age SET DATA TYPE TEXT",
    );
    assert!(!tr.statements[0].contains("USING"), "{:?}", tr.statements);
    alter(
        &mut c,
        USERS,
        "ALTER TABLE users ALTER COLUMN age TYPE VARCHAR(10) USING age || 'y'",
    );
    assert_eq!(
        rows(&mut c, "SELECT age FROM users ORDER BY id"),
        [["30y"], ["41y"], ["NULL"]]
    );
    // SET/DROP NOT NULL, SET/DROP DEFAULT.
    alter(&mut c, USERS, "ALTER TABLE users ALTER COLUMN legacy SET DEFAULT 'none', ALTER COLUMN email DROP NOT NULL");
    let e = c
        .batch_execute("ALTER TABLE users ALTER COLUMN email SET NOT NULL")
        .unwrap_err();
    assert_eq!(
        e.code().unwrap().code(),
        "23502",
        "PostgreSQL checks the NULL row"
    );
    c.batch_execute("UPDATE users SET email = 'c@x' WHERE id = 3")
        .unwrap();
    alter(
        &mut c,
        USERS,
        "ALTER TABLE users ALTER COLUMN email SET NOT NULL",
    );
    c.batch_execute("INSERT INTO users (id, email) VALUES (4, 'd@x')")
        .unwrap();
    assert_eq!(one(&mut c, "SELECT legacy FROM users WHERE id = 4"), "none");
    alter(
        &mut c,
        USERS,
        "ALTER TABLE users ALTER COLUMN legacy DROP DEFAULT",
    );
    let with_flag = USERS.replace("active INTEGER", "active BOOLEAN");
    alter(
        &mut c,
        &with_flag,
        "ALTER TABLE users ALTER COLUMN active SET DEFAULT 1",
    );
    c.batch_execute("INSERT INTO users (id, email) VALUES (5, 'e@x')")
        .unwrap();
    assert_eq!(
        rows(
            &mut c,
            "SELECT legacy, active::text FROM users WHERE id = 5"
        ),
        [["NULL", "true"]]
    );
    // Constraints: add, and drop by kit's default names.
    alter(
        &mut c,
        USERS,
        "ALTER TABLE users ADD CONSTRAINT email_shape CHECK (email LIKE '%@%')",
    );
    alter(&mut c, USERS, "ALTER TABLE users ADD CHECK (id > 0)");
    alter(
        &mut c,
        USERS,
        "ALTER TABLE users DROP CONSTRAINT users_email_key",
    );
    c.batch_execute("INSERT INTO users (id, email) VALUES (6, 'a@x')")
        .unwrap();
    let e = c
        .batch_execute("INSERT INTO users (id, email) VALUES (-7, 'z@x')")
        .unwrap_err();
    assert_eq!(e.code().unwrap().code(), "23514");
    assert_eq!(
        one(
            &mut c,
            "SELECT conname::text FROM pg_constraint WHERE conname LIKE 'users_id%'"
        ),
        "users_id_check"
    );
    alter(&mut c, USERS, "ALTER TABLE users ADD UNIQUE (email, id)");
    run(
        &mut c,
        "CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER)",
    );
    alter(
        &mut c,
        "CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER)",
        "ALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE",
    );
    alter(
        &mut c,
        "CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER)",
        "ALTER TABLE orders DROP CONSTRAINT orders_user_id_fkey, DROP CONSTRAINT orders_pkey, ADD PRIMARY KEY (id, user_id)",
    );
    // DROP COLUMN, RENAME COLUMN, RENAME TO, and SQLite's table options skipped.
    // The table as it is now (the translator follows renames of unnamed constraints).
    let now = "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, age TEXT, legacy TEXT, active BOOLEAN, verified BOOLEAN, score REAL, CONSTRAINT email_shape CHECK (email LIKE '%@%'), CHECK (id > 0), UNIQUE (email, id))";
    let tr = alter(
        &mut c,
        now,
        "ALTER TABLE users DROP COLUMN score, RENAME COLUMN email TO mail, SET STRICT, DROP COLUMN IF EXISTS nope",
    );
    // The drop, the rename, the unnamed UNIQUE (email, id) renamed after its column.
    assert_eq!(tr.statements.len(), 4, "{:?}", tr.statements);
    assert!(
        tr.statements[2]
            .contains("RENAME CONSTRAINT \"users_email_id_key\" TO \"users_mail_id_key\""),
        "{:?}",
        tr.statements
    );
    assert!(
        tr.notes.iter().any(|n| n.contains("SET STRICT")),
        "{:?}",
        tr.notes
    );
    let tr = alter(&mut c, USERS, "ALTER TABLE users SET WITHOUT ROWID");
    assert!(tr.statements.is_empty());
    let now = "CREATE TABLE users (id INTEGER PRIMARY KEY, mail TEXT NOT NULL, age TEXT, legacy TEXT, active BOOLEAN, verified BOOLEAN, CONSTRAINT email_shape CHECK (mail LIKE '%@%'), CHECK (id > 0), UNIQUE (mail, id))";
    alter(&mut c, now, "ALTER TABLE users RENAME TO members");
    assert_eq!(
        rows(&mut c, "SELECT conname::text FROM pg_constraint WHERE conrelid = 'members'::regclass ORDER BY 1"),
        [["email_shape"], ["members_id_check"], ["members_mail_id_key"], ["members_pkey"]]
    );
    let after = rows(
        &mut c,
        "SELECT id::text, mail, legacy FROM members WHERE id <= 3 ORDER BY id",
    );
    let expected: Vec<Vec<String>> = before
        .iter()
        .map(|r| {
            let mail = if r[0] == "3" {
                "c@x".to_string()
            } else {
                r[1].clone()
            };
            vec![r[0].clone(), mail, r[3].clone()]
        })
        .collect();
    assert_eq!(after, expected);
}

#[test]
fn type_changes_use_the_type_table() {
    assert_eq!(map_type("DATETIME").unwrap().name, "timestamp");
    let db = pg::database();
    let mut c = db.client();
    run(&mut c, "CREATE TABLE e (at TEXT, n TEXT, f INTEGER)");
    c.batch_execute("INSERT INTO e VALUES ('2024-01-02 03:04:05', '1.25', 1)")
        .unwrap();
    let create = "CREATE TABLE e (at TEXT, n TEXT, f INTEGER)";
    alter(&mut c, create, "ALTER TABLE e ALTER COLUMN at TYPE DATETIME, ALTER COLUMN n TYPE NUMERIC(5,2), ALTER COLUMN f TYPE REAL");
    assert_eq!(
        rows(&mut c, "SELECT at::text, n::text, f::text FROM e"),
        [["2024-01-02 03:04:05", "1.25", "1"]]
    );
    assert_eq!(column_type(&mut c, "e", "f"), "double precision");
}

#[test]
fn over_long_default_names_are_postgresqls_own() {
    let db = pg::database();
    let mut c = db.client();
    let parent = "a_parent_table_with_a_rather_long_name_for_testing";
    let child = "a_child_table_whose_name_is_also_quite_long_indeed";
    let col = "the_column_that_points_at_the_parent_row_of_this_child";
    run(
        &mut c,
        &format!("CREATE TABLE {parent} (id INTEGER PRIMARY KEY)"),
    );
    let create = format!(
        "CREATE TABLE {child} ({col} INTEGER REFERENCES {parent}(id) UNIQUE CHECK ({col} > 0))"
    );
    run(&mut c, &create);
    // PostgreSQL's own names for the same unnamed constraints.
    c.batch_execute(&format!(
        "CREATE SCHEMA native; CREATE TABLE native.{child} ({col} bigint REFERENCES {parent}(id) UNIQUE CHECK ({col} > 0))"
    ))
    .unwrap();
    let names = |c: &mut Client, schema: &str| -> Vec<String> {
        rows(
            c,
            &format!(
                "SELECT conname::text FROM pg_constraint JOIN pg_namespace n ON n.oid = connamespace \
                 WHERE nspname = '{schema}' AND conrelid::regclass::text LIKE '%{child}' ORDER BY 1"
            ),
        )
        .into_iter()
        .map(|r| r[0].clone())
        .collect()
    };
    let ours = names(&mut c, "public");
    assert_eq!(ours, names(&mut c, "native"));
    assert!(ours.iter().all(|n| n.len() <= 63), "{ours:?}");
    // kit's untruncated default name, as a DROP CONSTRAINT line has it, finds the constraint.
    let fkey = format!("{child}_{col}_fkey");
    assert!(fkey.len() > 63);
    alter(
        &mut c,
        &create,
        &format!("ALTER TABLE {child} DROP CONSTRAINT {fkey}"),
    );
    assert_eq!(names(&mut c, "public").len(), 2);
}

#[test]
fn an_untyped_foreign_key_column_takes_its_parents_type() {
    let db = pg::database();
    let mut c = db.client();
    run(
        &mut c,
        "CREATE TABLE vals (id INTEGER PRIMARY KEY, v TEXT);
         CREATE TABLE uses (val_id REFERENCES vals, other, flag INTEGER DEFAULT FALSE, on_ INT DEFAULT TRUE);",
    );
    assert_eq!(column_type(&mut c, "uses", "val_id"), "bigint");
    assert_eq!(column_type(&mut c, "uses", "other"), "text");
    c.batch_execute("INSERT INTO vals (id) VALUES (1); INSERT INTO uses (val_id) VALUES (1)")
        .unwrap();
    assert_eq!(
        rows(&mut c, "SELECT flag::text, on_::text FROM uses"),
        [["0", "1"]],
        "SQLite's FALSE and TRUE are 0 and 1"
    );
}
