//! Regression tests of issue 8 (hardening): each bug found by trying kit the way others would
//! break it, through the real binary, asserting on the database read back.

mod common;

use common::*;

/// A dry run whose preflight check depends on a statement of the same change (an INSERT of a
/// duplicate, then ADD UNIQUE) evaluates it on an in-memory copy and refuses, as the real run
/// does; the database is not changed by either.
#[test]
fn dry_run_evaluates_checks_that_depend_on_the_changes_own_statements() {
    let db = Db::new(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);
         INSERT INTO users (email) VALUES ('a@x'), ('b@x');",
    );
    let before = db.bytes();
    let sql = "INSERT INTO users (email) VALUES ('a@x'); ALTER TABLE users ADD UNIQUE (email)";
    let dry = db.dry_run(sql);
    dry.assert_code(1);
    dry.assert_stderr_has(&["UNIQUE (email)", "duplicate", "2 rows"]);
    db.assert_untouched(&before);
    let real = db.kit(sql);
    real.assert_code(1);
    real.assert_stderr_has(&["UNIQUE (email)", "duplicate"]);
    db.assert_untouched(&before);
    // Without the duplicate, the dry run says the dependent check was evaluated and passes.
    let ok = db
        .dry_run("INSERT INTO users (email) VALUES ('c@x'); ALTER TABLE users ADD UNIQUE (email)");
    ok.assert_ok();
    ok.assert_stderr_has(&["1 check(s) depend on statements of this change", "pass"]);
    db.assert_untouched(&before);
}

/// What the hardening tests add to a [`Project`]: `kit.toml` pointing at `dev.db`,
/// `schema.sql` and `migrations/`.
impl Project {
    /// A project whose schema is `schema`.
    fn with_schema(schema: &str) -> Project {
        let p = Project::new();
        p.write(
            "kit.toml",
            "database = \"dev.db\"\nschema = \"schema.sql\"\nmigrations = \"migrations\"\n",
        );
        p.write("schema.sql", schema);
        p
    }

    /// `kit revision -c kit.toml -m <msg> --autogenerate`, which must succeed.
    fn autogenerate(&self, msg: &str) -> Out {
        self.ok(&["revision", "-c", "kit.toml", "-m", msg, "--autogenerate"])
    }

    fn conn(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.p("dev.db")).unwrap()
    }
}

/// Names printed inside generated `--` comments cannot end the comment: a table named
/// `t<newline>DROP TABLE y; --` whose column is dropped gives a migration whose upgrade drops
/// only that column, and `diff` / `--dry-run` print comments without a raw newline.
#[test]
fn names_in_generated_comments_cannot_become_sql() {
    let evil = "t\nDROP TABLE y; --";
    let q = quote(evil);
    let p = Project::with_schema(&format!("CREATE TABLE {q} (id INTEGER PRIMARY KEY, legacy TEXT);\nCREATE TABLE y (id INTEGER PRIMARY KEY);\n"));
    p.autogenerate("first");
    p.ok(&["upgrade", "-c", "kit.toml"]);
    p.conn().execute_batch("INSERT INTO y VALUES (1)").unwrap();
    p.write("schema.sql", &format!("CREATE TABLE {q} (id INTEGER PRIMARY KEY);\nCREATE TABLE y (id INTEGER PRIMARY KEY);\n"));
    let diff = p.ok(&["diff", "-c", "kit.toml"]);
    for line in diff.stdout.lines().filter(|l| l.starts_with("--")) {
        assert!(
            line.contains("\\n"),
            "the newline in the name is escaped: {line}"
        );
    }
    assert!(!diff
        .stdout
        .lines()
        .any(|l| l.trim() == "DROP TABLE y; --\" and its values"));
    p.autogenerate("drop legacy");
    let path = p.p("migrations").join(&p.migration_files()[1]);
    let m = kit::migrate::parse_migration(&path, &std::fs::read(&path).unwrap()).unwrap();
    for part in [m.up.as_str(), m.down.as_deref().unwrap()] {
        let statements = kit::parse_script(part).unwrap();
        assert_eq!(statements.len(), 1, "one ALTER per part:\n{part}");
        assert!(
            matches!(statements[0], kit::Statement::Alter { .. }),
            "{part}"
        );
    }
    p.ok(&["upgrade", "-c", "kit.toml"]);
    let c = p.conn();
    let rows: i64 = c
        .query_row("SELECT count(*) FROM y", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 1, "table y and its row survive");
    let cols: Vec<String> = c
        .prepare(&format!(
            "SELECT name FROM pragma_table_info({})",
            rusqlite_quote_str(evil)
        ))
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(cols, ["id"]);
    // The --dry-run script of a change to that table, run as it is, drops nothing else.
    let db = Db::new(&format!(
        "CREATE TABLE {q} (id INTEGER PRIMARY KEY, a TEXT, b TEXT); CREATE TABLE y (id INTEGER PRIMARY KEY); INSERT INTO y VALUES (1);"
    ));
    let dry = db.dry_run(&format!(
        "ALTER TABLE {q} ALTER COLUMN a TYPE INTEGER, ALTER COLUMN b SET NOT NULL"
    ));
    dry.assert_ok();
    assert!(dry.stdout.contains("-- check ("), "{}", dry.show());
    db.conn().execute_batch(&dry.stdout).unwrap();
    assert_eq!(
        db.query("SELECT count(*) FROM y"),
        [[int(1)]],
        "{}",
        dry.show()
    );
}

fn rusqlite_quote_str(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Terminal control characters in names and messages are escaped on the way to a terminal:
/// `history` prints a migration message from the database, `diff` notes name tables.
#[test]
fn control_characters_never_reach_the_terminal_raw() {
    let p = Project::with_schema("CREATE TABLE a (id INTEGER PRIMARY KEY);\n");
    p.autogenerate("first");
    p.ok(&["upgrade", "-c", "kit.toml"]);
    p.conn()
        .execute_batch("UPDATE kit_migrations SET name = 'x' || char(27) || '[2J' || char(7) || 'y', applied_at = char(27) || ']0;pwned' || char(7)")
        .unwrap();
    std::fs::remove_file(p.p("migrations").join(&p.migration_files()[0])).unwrap();
    let out = p.ok(&["history", "-c", "kit.toml"]);
    assert!(
        !out.stdout.contains('\u{1b}') && !out.stdout.contains('\u{7}'),
        "{}",
        out.show()
    );
    assert!(out.stdout.contains("\\u{1b}[2J"), "{}", out.show());
    let db = Db::new("CREATE TABLE \"bell\u{7}\" (id INTEGER PRIMARY KEY, x TEXT);");
    let out = db.kit("ALTER TABLE \"bell\u{7}\" DROP COLUMN nope");
    out.assert_code(1);
    assert!(
        !out.stderr.contains('\u{7}') && out.stderr.contains("\\u{7}"),
        "{}",
        out.show()
    );
}

/// A schema or seed file cannot reach beyond the database kit loads it into: `ATTACH` of the
/// live database (then `DROP TABLE live.orders`), `VACUUM INTO` a file, writing pragmas and
/// extension loading are refused with the file and line, by `diff`, `rebuild --to`, `check`
/// and `throwaway-reset` alike, and nothing is changed or written.
#[test]
fn schema_and_seed_files_cannot_touch_other_files() {
    let p = Project::with_schema("CREATE TABLE orders (id INTEGER PRIMARY KEY);\n");
    p.autogenerate("first");
    p.ok(&["upgrade", "-c", "kit.toml"]);
    let live = p.p("dev.db");
    let before = std::fs::read(&live).unwrap();
    let stolen = p.p("stolen.db");
    let attacks = [
        format!("CREATE TABLE orders (id INTEGER PRIMARY KEY);\nATTACH {} AS live;\nDROP TABLE live.orders;\n", rusqlite_quote_str(&live.display().to_string())),
        format!("CREATE TABLE orders (id INTEGER PRIMARY KEY);\n\nVACUUM INTO {};\n", rusqlite_quote_str(&stolen.display().to_string())),
        "CREATE TABLE orders (id INTEGER PRIMARY KEY);\nPRAGMA writable_schema = ON;\n".to_string(),
        "CREATE TABLE orders (id INTEGER PRIMARY KEY);\nSELECT load_extension('/tmp/evil');\n".to_string(),
    ];
    for (n, (attack, line)) in attacks.iter().zip([2, 3, 2, 2]).enumerate() {
        p.write("schema.sql", attack);
        for args in [
            vec!["diff", "-c", "kit.toml"],
            vec!["rebuild", "--db", "dev.db", "--to", "schema.sql"],
            vec!["check", "-c", "kit.toml"],
        ] {
            let out = p.kit(&args);
            out.assert_code(1);
            out.assert_stderr_has(&["schema.sql", &format!("line {line}"), "not allowed"]);
            assert_eq!(
                std::fs::read(&live).unwrap(),
                before,
                "attack {n} changed the live database via {args:?}"
            );
            assert!(!stolen.exists(), "attack {n} wrote a file via {args:?}");
        }
    }
    // Seeds of a throwaway database are confined the same way.
    p.write(
        "schema.sql",
        "CREATE TABLE orders (id INTEGER PRIMARY KEY);\n",
    );
    p.write(
        "temp.toml",
        "database = \"temp.db\"\n[throwaway]\nseed = [\"seed.sql\"]\n",
    );
    p.write(
        "seed.sql",
        &format!(
            "INSERT INTO orders VALUES (1);\nATTACH {} AS live;\n",
            rusqlite_quote_str(&live.display().to_string())
        ),
    );
    let out = p.kit(&["throwaway-reset", "-c", "temp.toml"]);
    out.assert_code(1);
    out.assert_stderr_has(&["seed.sql", "line 2", "not allowed", "ATTACH"]);
    assert_eq!(std::fs::read(&live).unwrap(), before);
}

/// An autogenerated migration applies: a foreign key into columns whose UNIQUE index comes
/// later in the schema file (as in Synapse's schema) gets the index created with its table,
/// before the tables that reference it; the same for a new foreign key into an existing table.
#[test]
fn autogenerated_migrations_create_unique_indexes_before_the_keys_that_need_them() {
    // receipts and events reference each other, so one key is added after both tables exist;
    // that key needs the unique index written last in the file.
    let p = Project::with_schema(
        "CREATE TABLE receipts (id INTEGER PRIMARY KEY, room TEXT, stream INTEGER,
           FOREIGN KEY (room, stream) REFERENCES events (room, stream));
         CREATE TABLE events (id INTEGER PRIMARY KEY, room TEXT NOT NULL, stream INTEGER NOT NULL,
           last_receipt INTEGER REFERENCES receipts (id));
         CREATE TABLE rooms (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
         CREATE UNIQUE INDEX events_room_stream ON events (room, stream);
         CREATE INDEX receipts_stream ON receipts (stream);\n",
    );
    p.autogenerate("first");
    let up = p.ok(&["upgrade", "-c", "kit.toml"]);
    up.assert_stderr_has(&["upgrade done"]);
    // A later schema adds a key into an existing column of an existing table, and its index.
    p.write(
        "schema.sql",
        "CREATE TABLE events (id INTEGER PRIMARY KEY, room TEXT NOT NULL, stream INTEGER NOT NULL);
         CREATE TABLE receipts (id INTEGER PRIMARY KEY, room TEXT, stream INTEGER,
           FOREIGN KEY (room, stream) REFERENCES events (room, stream));
         CREATE TABLE rooms (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
         CREATE TABLE aliases (id INTEGER PRIMARY KEY, room_name TEXT REFERENCES rooms (name));
         CREATE UNIQUE INDEX events_room_stream ON events (room, stream);
         CREATE INDEX receipts_stream ON receipts (stream);
         CREATE UNIQUE INDEX rooms_name ON rooms (name);\n",
    );
    p.autogenerate("aliases");
    let path = p.p("migrations").join(&p.migration_files()[1]);
    let text = std::fs::read_to_string(&path).unwrap();
    let index_at = text.find("CREATE UNIQUE INDEX rooms_name").unwrap();
    let table_at = text.find("CREATE TABLE aliases").unwrap();
    assert!(
        index_at < table_at,
        "the key comes before the table referencing it:\n{text}"
    );
    p.ok(&["upgrade", "-c", "kit.toml"]);
    p.ok(&["check", "-c", "kit.toml"]);
    p.ok(&["downgrade", "-c", "kit.toml", "base"]);
}

impl Project {
    /// Writes `migrations/<name>` with `text`.
    fn migration(&self, name: &str, text: &str) {
        self.write(&format!("migrations/{name}"), text);
    }
}

/// A migration without `-- kit:down` is refused by every command, naming the file and what is
/// missing (its down statements would otherwise run as part of the up); `-- kit:no-down` says
/// a migration has no down part, and downgrading it is refused. A misspelt marker is an error.
#[test]
fn a_migration_without_a_down_marker_is_refused_everywhere() {
    let p = Project::with_schema("CREATE TABLE a (id INTEGER PRIMARY KEY);\n");
    p.migration(
        "0001_a.sql",
        "-- kit:up\nCREATE TABLE a (id INTEGER PRIMARY KEY);\n--kit:down\nDROP TABLE a;\n",
    );
    for args in [
        vec!["upgrade", "-c", "kit.toml"],
        vec!["upgrade", "-c", "kit.toml", "--sql"],
        vec!["history", "-c", "kit.toml"],
        vec!["current", "-c", "kit.toml"],
        vec!["check", "-c", "kit.toml"],
        vec!["revision", "-c", "kit.toml", "-m", "x"],
    ] {
        let out = p.kit(&args);
        out.assert_code(1);
        out.assert_stderr_has(&["0001_a.sql", "line 3", "-- kit:down"]);
    }
    assert!(
        !p.p("dev.db").exists()
            || p.conn()
                .query_row(
                    "SELECT count(*) FROM sqlite_schema WHERE name = 'a'",
                    [],
                    |r| r.get::<_, i64>(0)
                )
                .unwrap()
                == 0
    );
    p.migration(
        "0001_a.sql",
        "-- kit:up\nCREATE TABLE a (id INTEGER PRIMARY KEY);\nDROP TABLE a;\n",
    );
    let out = p.kit(&["upgrade", "-c", "kit.toml"]);
    out.assert_code(1);
    out.assert_stderr_has(&["0001_a.sql", "no `-- kit:down` line", "-- kit:no-down"]);
    p.migration(
        "0001_a.sql",
        "-- kit:up\nCREATE TABLE a (id INTEGER PRIMARY KEY);\n-- kit:no-down\n",
    );
    p.ok(&["upgrade", "-c", "kit.toml"]);
    let out = p.kit(&["downgrade", "-c", "kit.toml", "-1"]);
    out.assert_code(1);
    out.assert_stderr_has(&["kit:no-down", "cannot be downgraded"]);
    assert_eq!(
        p.conn()
            .query_row("SELECT count(*) FROM kit_migrations", [], |r| r
                .get::<_, i64>(0))
            .unwrap(),
        1
    );
}

/// A header version that differs from the file name is an error with the line; lines of an
/// error in a part are counted from the top of the file.
#[test]
fn migration_headers_and_lines_refer_to_the_file() {
    let p = Project::with_schema("CREATE TABLE a (id INTEGER PRIMARY KEY);\n");
    p.migration("0002_a.sql", "-- kit:revision 0003 add a\n-- kit:up\nCREATE TABLE a (id INTEGER PRIMARY KEY);\n-- kit:down\nDROP TABLE a;\n");
    let out = p.kit(&["upgrade", "-c", "kit.toml"]);
    out.assert_code(1);
    out.assert_stderr_has(&["0002_a.sql", "line 1", "version 0003", "0002"]);
    p.migration(
        "0002_a.sql",
        "-- kit:revision 0002 add a\n-- created now\n-- kit:up\nCREATE TABLE a (id INTEGER PRIMARY KEY);\n\nALTER TABLE a\n  ADD COLUMN b TEXT,\n  FROB c;\n-- kit:down\nDROP TABLE a;\n",
    );
    let out = p.kit(&["upgrade", "-c", "kit.toml"]);
    out.assert_code(1);
    out.assert_stderr_has(&["0002_a.sql", "line 8"]);
    // An error SQLite finds deep in a multi-line statement is reported at its own line too.
    p.migration(
        "0002_a.sql",
        "-- kit:up\nCREATE TABLE a (\n  id INTEGER PRIMARY KEY,\n  b TEXT CHECK (b >)\n);\n-- kit:down\nDROP TABLE a;\n",
    );
    let out = p.kit(&["upgrade", "-c", "kit.toml"]);
    out.assert_code(1);
    out.assert_stderr_has(&["0002_a.sql", "line 4"]);
}

/// Entries of the migrations directory that look like migrations but are not read are named
/// (a note, and a problem for `check`): `0002_x.SQL`, a directory, a dangling symbolic link.
#[test]
fn odd_entries_in_the_migrations_directory_are_reported() {
    let p = Project::with_schema("CREATE TABLE a (id INTEGER PRIMARY KEY);\n");
    p.autogenerate("first");
    p.ok(&["upgrade", "-c", "kit.toml"]);
    p.migration("0002_x.SQL", "-- kit:up\n-- kit:down\n");
    std::fs::create_dir_all(p.p("migrations/0003_dir.sql")).unwrap();
    std::os::unix::fs::symlink(p.p("nowhere.sql"), p.p("migrations/0004_link.sql")).unwrap();
    p.write("migrations/README.md", "notes");
    let out = p.ok(&["history", "-c", "kit.toml"]);
    out.assert_stderr_has(&["0002_x.SQL", "0003_dir.sql", "0004_link.sql", "skipped"]);
    assert!(!out.stderr.contains("README"), "{}", out.show());
    let out = p.kit(&["check", "-c", "kit.toml"]);
    out.assert_code(1);
    out.assert_stderr_has(&[
        "0002_x.SQL",
        ".SQL",
        "0003_dir.sql",
        "directory",
        "0004_link.sql",
        "does not exist",
    ]);
}

/// Smaller input bugs: a `--sql` or `-m` value starting with `--`; a schema-qualified table
/// name other than `main`; an unbound parameter; changing an FTS5 shadow table directly.
#[test]
fn smaller_input_bugs() {
    let db = Db::new(
        "CREATE TABLE orders (id INTEGER PRIMARY KEY, total REAL);
         INSERT INTO orders (total) VALUES (1.5);
         CREATE VIRTUAL TABLE docs USING fts5(body);
         INSERT INTO docs (body) VALUES ('hello world');
         CREATE TABLE docs_archive (id INTEGER PRIMARY KEY, body TEXT);",
    );
    db.ok("-- a comment first\nALTER TABLE orders ADD COLUMN note TEXT");
    db.assert_refused(
        "ALTER TABLE nosuchschema.orders ADD COLUMN x TEXT",
        &["nosuchschema", "schema-qualified"],
    );
    db.ok("ALTER TABLE main.orders ADD COLUMN y TEXT");
    db.assert_refused("UPDATE orders SET note = ?1", &["?1", "parameter"]);
    for sql in [
        "ALTER TABLE docs_data ADD COLUMN x TEXT",
        "DROP TABLE docs_idx",
        "DELETE FROM docs_content",
        "UPDATE docs_config SET v = 0",
        "CREATE TRIGGER t AFTER INSERT ON orders BEGIN DELETE FROM docs_docsize; END",
    ] {
        db.assert_refused(sql, &["shadow table of virtual table \"docs\""]);
    }
    // An ordinary table whose name starts like the virtual table's is not a shadow table.
    db.ok("ALTER TABLE docs_archive ADD COLUMN at TEXT");
    assert_eq!(
        db.query("SELECT count(*) FROM docs WHERE docs MATCH 'hello'"),
        [[int(1)]]
    );
    let p = Project::with_schema("CREATE TABLE a (id INTEGER PRIMARY KEY);\n");
    p.ok(&["revision", "-c", "kit.toml", "-m", "-- starts with dashes"]);
}

/// A first `upgrade` that fails leaves no empty database file behind (the next run would
/// otherwise find a database that nobody made).
#[test]
fn a_failed_first_upgrade_removes_the_database_it_created() {
    let p = Project::with_schema("CREATE TABLE a (id INTEGER PRIMARY KEY);\n");
    p.migration("0001_a.sql", "-- kit:up\nCREATE TABLE a (id INTEGER PRIMARY KEY);\nINSERT INTO nosuch VALUES (1);\n-- kit:down\nDROP TABLE a;\n");
    let out = p.kit(&["upgrade", "-c", "kit.toml"]);
    out.assert_code(1);
    out.assert_stderr_has(&["nosuch", "removed"]);
    for f in ["dev.db", "dev.db-journal", "dev.db-wal", "dev.db-shm"] {
        assert!(!p.p(f).exists(), "{f} left behind:\n{}", out.show());
    }
}
