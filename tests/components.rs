//! Components and phased runs (issue 11) through the real `kit` binary, on SQLite and on a real
//! PostgreSQL server: Reahl's tutorial ported, three components whose migrations need every
//! phase (drop a foreign key, change a primary key, move data into a new column, add the keys
//! back, clean up), rows compared between the two databases and against the start after the
//! downgrades; a failure in a late phase rolling the whole run back (the SQLite file
//! byte-identical, PostgreSQL's catalog and rows unchanged); the order of a schedule (Reahl's
//! `test_migrating_dependencies` cases), refusals (cycles, unknown phases, undeclared
//! requirements, undoing a required version), and a version table made before components.

mod common;
#[path = "common/pg.rs"]
mod pg;
#[path = "common/pg_schema.rs"]
mod pg_schema;

use common::{kit, run, Out, Project};
use pg_schema::V;

/// A project: `sqlite.toml` (database `app.db`) and `pg.toml` (a PostgreSQL database), both
/// declaring the same components.
struct Proj {
    project: Project,
    pg: Option<pg::TestDb>,
}

/// A component project is a [`Project`] with a PostgreSQL database besides.
impl std::ops::Deref for Proj {
    type Target = Project;
    fn deref(&self) -> &Project {
        &self.project
    }
}

impl Proj {
    /// A project with `components` (`[components.NAME]` bodies, in order) in both configs.
    fn new(components: &[(&str, &str)], with_pg: bool) -> Proj {
        let p = Proj {
            project: Project::new(),
            pg: with_pg.then(pg::database),
        };
        let mut body = String::new();
        for (name, extra) in components {
            body.push_str(&format!(
                "\n[components.{name}]\nschema = \"{name}/schema.sql\"\nmigrations = \"{name}/migrations\"\n{extra}\n"
            ));
        }
        p.write("sqlite.toml", &format!("database = \"app.db\"\n{body}"));
        if let Some(db) = &p.pg {
            p.write("pg.toml", &format!("database = \"{}\"\n{body}", db.url));
        }
        p
    }

    /// Writes `<component>/migrations/<file>`: `head` lines, then the up and down parts.
    fn migration(&self, component: &str, file: &str, head: &str, up: &str, down: &str) {
        self.write(
            &format!("{component}/migrations/{file}"),
            &format!("{head}-- kit:up\n{up}\n-- kit:down\n{down}\n"),
        );
    }

    fn sqlite(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.p("app.db")).unwrap()
    }

    fn pg(&self) -> postgres::Client {
        self.pg.as_ref().expect("a PostgreSQL database").client()
    }

    /// Runs `sql` on both databases (rows the tests start from).
    fn seed(&self, sql: &str) {
        self.sqlite().execute_batch(sql).unwrap();
        if self.pg.is_some() {
            self.pg().batch_execute(sql).unwrap();
        }
    }

    /// `kit upgrade` with every config of the project, each of which must succeed.
    fn upgrade_all(&self) -> Vec<Out> {
        self.configs()
            .into_iter()
            .map(|cfg| self.ok(&["upgrade", "-c", cfg]))
            .collect()
    }

    /// Every config of the project.
    fn configs(&self) -> Vec<&'static str> {
        if self.pg.is_some() {
            vec!["sqlite.toml", "pg.toml"]
        } else {
            vec!["sqlite.toml"]
        }
    }
}

/// (name, declared type) of a SQLite table's columns.
fn sqlite_columns(c: &rusqlite::Connection, table: &str) -> Vec<(String, String)> {
    c.prepare("SELECT name, type FROM pragma_table_info(?1)")
        .unwrap()
        .query_map([table], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Column names of a table on SQLite and on PostgreSQL, which must agree.
fn same_columns(p: &Proj, table: &str) -> Vec<String> {
    let lite: Vec<String> = sqlite_columns(&p.sqlite(), table)
        .into_iter()
        .map(|c| c.0)
        .collect();
    if p.pg.is_some() {
        let pg: Vec<String> = pg_schema::columns(&mut p.pg(), table)
            .into_iter()
            .map(|c| c.0)
            .collect();
        assert_eq!(lite, pg, "columns of {table} on SQLite and PostgreSQL");
    }
    lite
}

/// Rows of `table` on SQLite, checked equal to PostgreSQL's.
fn same_rows(p: &Proj, table: &str) -> Vec<Vec<V>> {
    let lite = pg_schema::sqlite_rows(&p.sqlite(), table);
    if p.pg.is_some() {
        assert_eq!(
            lite,
            pg_schema::sorted_rows(&mut p.pg(), table),
            "rows of {table}"
        );
    }
    lite
}

/// Rows of `table` (equal on both databases) with their columns in name order, so rows
/// compare across a change that moved a column to the end.
fn rows_by_name(p: &Proj, table: &str) -> Vec<Vec<(String, V)>> {
    let cols = same_columns(p, table);
    let mut rows: Vec<Vec<(String, V)>> = same_rows(p, table)
        .into_iter()
        .map(|r| {
            let mut named: Vec<(String, V)> = cols.iter().cloned().zip(r).collect();
            named.sort_by(|a, b| a.0.cmp(&b.0));
            named
        })
        .collect();
    rows.sort_by_key(|r| format!("{r:?}"));
    rows
}

/// (component, version) rows of the version table on SQLite, checked equal on PostgreSQL.
fn same_history(p: &Proj) -> Vec<(String, String)> {
    let mut lite: Vec<(String, String)> = common::query(
        &p.sqlite(),
        "SELECT component, version FROM kit_migrations ORDER BY 1, 2",
    )
    .into_iter()
    .map(|r| (as_text(&r[0]), as_text(&r[1])))
    .collect();
    lite.sort();
    if p.pg.is_some() {
        let pg: Vec<(String, String)> = pg_schema::strings(
            &mut p.pg(),
            "SELECT component, version FROM kit_migrations ORDER BY 1, 2",
        )
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect();
        assert_eq!(lite, pg, "kit_migrations on SQLite and PostgreSQL");
    }
    lite
}

fn as_text(v: &rusqlite::types::Value) -> String {
    match v {
        rusqlite::types::Value::Text(s) => s.clone(),
        other => format!("{other:?}"),
    }
}

fn hist(rows: &[(&str, &str)]) -> Vec<(String, String)> {
    rows.iter()
        .map(|(c, v)| (c.to_string(), v.to_string()))
        .collect()
}

/// Reahl's tutorial (`migrationexamplebootstrap`): `address` at version 0.0 with rows, then
/// version 0.1 adds `added_date` in the `alter` phase; every row is kept.
#[test]
fn reahl_tutorial_keeps_every_row_on_both_databases() {
    let p = Proj::new(&[("migrationexamplebootstrap", "")], true);
    let c = "migrationexamplebootstrap";
    p.migration(
        c,
        "0000_bootstrap.sql",
        "",
        "CREATE TABLE address (id INTEGER PRIMARY KEY, email_address TEXT NOT NULL, name TEXT NOT NULL);",
        "DROP TABLE address;",
    );
    p.upgrade_all();
    p.seed(
        "INSERT INTO address (id, email_address, name) VALUES (1, 'john@example.org', 'John'), (2, 'jane@example.org', 'Jane'), (3, 'o''neil@example.org', 'O''Neil');",
    );
    let before = same_rows(&p, "address");
    p.migration(
        c,
        "0001_added_date.sql",
        "",
        "-- kit:phase alter\nALTER TABLE address ADD COLUMN added_date DATE;",
        "-- kit:phase alter\nALTER TABLE address DROP COLUMN added_date;",
    );
    for cfg in p.configs() {
        let out = p.ok(&["upgrade", "-c", cfg]);
        assert!(
            out.stderr
                .contains("now at migrationexamplebootstrap 0001 (head)"),
            "{}",
            out.show()
        );
        assert_eq!(
            p.ok(&["current", "-c", cfg]).stdout.trim(),
            "migrationexamplebootstrap 0001 (head)"
        );
    }
    assert_eq!(
        same_columns(&p, "address"),
        ["id", "email_address", "name", "added_date"]
    );
    let after = same_rows(&p, "address");
    assert_eq!(after.len(), 3);
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(&a[..3], &b[..], "every row kept");
        assert_eq!(a[3], V::Null);
    }
    assert_eq!(same_history(&p), hist(&[(c, "0000"), (c, "0001")]));
}

/// The three components of the run below, and their first versions.
fn three_components(with_pg: bool) -> Proj {
    let p = Proj::new(
        &[
            ("addressbook", ""),
            ("mail", "depends = [\"addressbook\"]"),
            ("archive", "depends = [\"mail\"]"),
        ],
        with_pg,
    );
    p.migration(
        "addressbook",
        "0001_address.sql",
        "",
        "CREATE TABLE address (id INTEGER PRIMARY KEY, email_address TEXT NOT NULL, name TEXT);",
        "DROP TABLE address;",
    );
    p.migration(
        "mail",
        "0001_mail.sql",
        "",
        "CREATE TABLE mail_folder (name TEXT NOT NULL, owner TEXT NOT NULL, CONSTRAINT mail_folder_pkey PRIMARY KEY (name));\nCREATE TABLE mail_message (id INTEGER PRIMARY KEY, sender TEXT NOT NULL, subject TEXT);",
        "DROP TABLE mail_message;\nDROP TABLE mail_folder;",
    );
    p.migration(
        "archive",
        "0001_archived.sql",
        "-- kit:requires mail 0001\n",
        "CREATE TABLE archived (id INTEGER PRIMARY KEY, folder TEXT NOT NULL, message INTEGER NOT NULL, CONSTRAINT archived_folder_fkey FOREIGN KEY (folder) REFERENCES mail_folder (name), CONSTRAINT archived_message_fkey FOREIGN KEY (message) REFERENCES mail_message (id));",
        "DROP TABLE archived;",
    );
    p
}

const THREE_ROWS: &str = "INSERT INTO address (id, email_address, name) VALUES (1, 'a@x', 'A'), (2, 'b@x', 'B');
INSERT INTO mail_folder (name, owner) VALUES ('inbox', 'a@x'), ('sent', 'b@x');
INSERT INTO mail_message (id, sender, subject) VALUES (10, 'a@x', 'hello'), (11, 'b@x', 'again'), (12, 'a@x', NULL);
INSERT INTO archived (id, folder, message) VALUES (100, 'inbox', 10), (101, 'sent', 11);";

/// The second versions: the folder's primary key becomes (owner, name), which needs the
/// archive's foreign key dropped first and added back (as a two-column key) after; the
/// message's sender moves from a text column into a key to `address`.
fn second_versions(p: &Proj) {
    p.migration(
        "addressbook",
        "0002_added_date.sql",
        "",
        "-- kit:phase alter\nALTER TABLE address ADD COLUMN added_date TEXT;\n-- kit:phase indexes\nCREATE UNIQUE INDEX address_email ON address (email_address);\n-- kit:phase data\nUPDATE address SET added_date = '2026-12-01';",
        "-- kit:phase indexes\nDROP INDEX address_email;\n-- kit:phase cleanup\nALTER TABLE address DROP COLUMN added_date;",
    );
    p.migration(
        "mail",
        "0002_folder_key_and_sender.sql",
        "-- kit:requires addressbook 0002\n",
        "-- kit:phase drop_pk\nALTER TABLE mail_folder DROP CONSTRAINT mail_folder_pkey;\n-- kit:phase create_pk\nALTER TABLE mail_folder ADD CONSTRAINT mail_folder_pkey PRIMARY KEY (owner, name);\n-- kit:phase alter\nALTER TABLE mail_message ADD COLUMN sender_address INTEGER;\n-- kit:phase data\nUPDATE mail_message SET sender_address = (SELECT id FROM address WHERE address.email_address = mail_message.sender);\n-- kit:phase create_fk\nALTER TABLE mail_message ADD CONSTRAINT mail_message_sender_address_fkey FOREIGN KEY (sender_address) REFERENCES address (id);\n-- kit:phase cleanup\nALTER TABLE mail_message DROP COLUMN sender;",
        "-- kit:phase drop_fk\nALTER TABLE mail_message DROP CONSTRAINT mail_message_sender_address_fkey;\n-- kit:phase drop_pk\nALTER TABLE mail_folder DROP CONSTRAINT mail_folder_pkey;\n-- kit:phase create_pk\nALTER TABLE mail_folder ADD CONSTRAINT mail_folder_pkey PRIMARY KEY (name);\n-- kit:phase alter\nALTER TABLE mail_message ADD COLUMN sender TEXT NOT NULL DEFAULT '';\n-- kit:phase data\nUPDATE mail_message SET sender = (SELECT email_address FROM address WHERE address.id = mail_message.sender_address);\n-- kit:phase cleanup\nALTER TABLE mail_message DROP COLUMN sender_address;",
    );
    p.migration(
        "archive",
        "0002_folder_owner.sql",
        "-- kit:requires mail 0002\n",
        "-- kit:phase drop_fk\nALTER TABLE archived DROP CONSTRAINT IF EXISTS archived_folder_fkey;\n-- kit:phase alter\nALTER TABLE archived ADD COLUMN folder_owner TEXT;\n-- kit:phase data\nUPDATE archived SET folder_owner = (SELECT owner FROM mail_folder WHERE mail_folder.name = archived.folder);\n-- kit:phase create_fk\nALTER TABLE archived ADD CONSTRAINT archived_folder_fkey FOREIGN KEY (folder_owner, folder) REFERENCES mail_folder (owner, name);",
        // The single-column key cannot come back before `mail` is down again (its target is
        // no longer a key): the down part leaves it out, and the up part drops it if exists.
        "-- kit:phase drop_fk\nALTER TABLE archived DROP CONSTRAINT archived_folder_fkey;\n-- kit:phase cleanup\nALTER TABLE archived DROP COLUMN folder_owner;",
    );
}

/// Three components, every phase, on both databases: the run applies, the rows agree between
/// SQLite and PostgreSQL, and the downgrades (dependents first) bring back the first rows.
#[test]
fn three_components_every_phase_on_both_databases() {
    let p = three_components(true);
    p.upgrade_all();
    p.seed(THREE_ROWS);
    let tables = ["address", "mail_folder", "mail_message", "archived"];
    let start: Vec<_> = tables.iter().map(|t| rows_by_name(&p, t)).collect();
    second_versions(&p);
    // The schedule: dependencies first, each migration's statements in its phases.
    let explain = p.ok(&["upgrade", "-c", "sqlite.toml", "--explain"]).stdout;
    let order: Vec<&str> = explain
        .lines()
        .filter(|l| l.starts_with("  ") && l.contains(". "))
        .collect();
    assert!(
        order[0].contains("addressbook 0002")
            && order[1].contains("mail 0002")
            && order[2].contains("archive 0002"),
        "{explain}"
    );
    let phases: Vec<&str> = explain
        .lines()
        .filter_map(|l| l.strip_prefix("phase "))
        .collect();
    assert_eq!(
        phases,
        [
            "drop_fk",
            "drop_pk",
            "alter",
            "create_pk",
            "indexes",
            "data",
            "create_fk",
            "cleanup"
        ]
    );
    // --explain changed nothing.
    assert_eq!(same_history(&p).len(), 3);
    for out in p.upgrade_all() {
        let says = "3 migration(s) in 8 phase(s), one transaction";
        assert!(out.stderr.contains(says), "{}", out.show());
    }
    assert_eq!(
        same_columns(&p, "mail_message"),
        ["id", "subject", "sender_address"]
    );
    assert_eq!(
        same_columns(&p, "archived"),
        ["id", "folder", "message", "folder_owner"]
    );
    assert_eq!(
        same_rows(&p, "mail_message"),
        vec![
            vec![V::Int(10), V::Text("hello".into()), V::Int(1)],
            vec![V::Int(11), V::Text("again".into()), V::Int(2)],
            vec![V::Int(12), V::Null, V::Int(1)],
        ]
    );
    same_rows(&p, "archived");
    same_rows(&p, "address");
    // The new keys hold on both databases.
    let orphan =
        "INSERT INTO archived (id, folder, message, folder_owner) VALUES (200, 'inbox', 10, 'b@x')";
    assert!(p
        .sqlite()
        .execute_batch(&format!("PRAGMA foreign_keys = ON; {orphan}"))
        .is_err());
    assert!(p.pg().batch_execute(orphan).is_err());
    let dup = "INSERT INTO address (id, email_address) VALUES (9, 'a@x')";
    assert!(p.sqlite().execute_batch(dup).is_err());
    assert!(p.pg().batch_execute(dup).is_err());
    // Down again: the dependents first; undoing what a dependent requires is refused.
    for cfg in p.configs() {
        let out = p.fail(&["downgrade", "-c", cfg, "mail", "-1"]);
        out.assert_stderr_has(&[
            "archive@0002",
            "requires mail 0002",
            "downgrade `archive` first",
        ]);
        p.ok(&["downgrade", "-c", cfg, "archive", "-1"]);
        p.ok(&["downgrade", "-c", cfg, "mail@0001"]);
        p.ok(&["downgrade", "-c", cfg, "addressbook", "-1"]);
    }
    for (t, rows) in tables.iter().zip(&start) {
        assert_eq!(
            &rows_by_name(&p, t),
            rows,
            "rows of {t} after the downgrades"
        );
    }
    assert_eq!(
        same_columns(&p, "mail_message"),
        ["id", "subject", "sender"]
    );
    assert_eq!(
        same_history(&p),
        hist(&[
            ("addressbook", "0001"),
            ("archive", "0001"),
            ("mail", "0001")
        ])
    );
    // And up once more: the same result as the first time.
    p.upgrade_all();
    assert_eq!(
        same_columns(&p, "archived"),
        ["id", "folder", "message", "folder_owner"]
    );
    assert_eq!(same_history(&p).len(), 6);
}

/// A failure in the last phase (a CHECK that a row breaks, added in `cleanup` after every
/// other phase ran) rolls back the whole run: the SQLite file is byte-identical, PostgreSQL's
/// catalog, rows and history are unchanged; the error names the component, the file, the
/// phase and the line.
#[test]
fn a_failure_in_a_late_phase_rolls_back_the_whole_run() {
    let p = three_components(true);
    p.upgrade_all();
    p.seed(THREE_ROWS);
    p.seed("INSERT INTO archived (id, folder, message) VALUES (102, 'inbox', 12);");
    second_versions(&p);
    p.migration(
        "archive",
        "0003_checked.sql",
        "",
        "-- kit:phase alter\nALTER TABLE archived ADD COLUMN note TEXT;\n-- kit:phase cleanup\nALTER TABLE archived ADD CONSTRAINT archived_message_check CHECK (message < 12);",
        "ALTER TABLE archived DROP CONSTRAINT archived_message_check;\nALTER TABLE archived DROP COLUMN note;",
    );
    let bytes = std::fs::read(p.p("app.db")).unwrap();
    let catalog = |c: &mut postgres::Client| {
        let mut out = Vec::new();
        for t in pg_schema::tables(c) {
            out.push(format!("{t}: {:?}", pg_schema::columns(c, &t)));
            out.push(format!("{:?}", pg_schema::sorted_rows(c, &t)));
        }
        out.push(format!(
            "{:?}",
            pg_schema::strings(
                c,
                "SELECT conname::text, pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = current_schema()::regnamespace ORDER BY 1"
            )
        ));
        out
    };
    let pg_before = catalog(&mut p.pg());
    for cfg in p.configs() {
        let out = p.fail(&["upgrade", "-c", cfg]);
        out.assert_stderr_has(&[
            "component `archive`",
            "0003_checked.sql",
            "phase cleanup",
            "rolled back whole",
        ]);
    }
    assert_eq!(
        std::fs::read(p.p("app.db")).unwrap(),
        bytes,
        "SQLite file byte-identical"
    );
    assert_eq!(catalog(&mut p.pg()), pg_before, "PostgreSQL unchanged");
    assert_eq!(same_history(&p).len(), 3);
    // Without the offending row, the same run goes through on both.
    p.seed("DELETE FROM archived WHERE id = 102;");
    p.upgrade_all();
    assert_eq!(same_history(&p).len(), 7);
}

/// Reahl's `test_migrating_dependencies` and friends: the order of a schedule. Dependencies'
/// migrations come first in each phase, each component's versions in order, a required version
/// before what requires it, intermediate versions included, ties by the config's order.
#[test]
fn schedule_order_follows_dependencies_requirements_and_the_config() {
    // `c` is declared first but depends on `b`, which depends on `a`.
    let p = Proj::new(
        &[
            ("c", "depends = [\"b\"]"),
            ("a", ""),
            ("b", "depends = [\"a\"]"),
            ("d", ""),
        ],
        false,
    );
    for (comp, t) in [("a", "ta"), ("b", "tb"), ("c", "tc"), ("d", "td")] {
        p.migration(
            comp,
            "0001_create.sql",
            "",
            &format!("CREATE TABLE {t} (id INTEGER PRIMARY KEY);"),
            &format!("DROP TABLE {t};"),
        );
        p.migration(
            comp,
            "0002_more.sql",
            "",
            &format!("ALTER TABLE {t} ADD COLUMN x INTEGER;\n-- kit:phase data\nINSERT INTO {t} (x) VALUES (2);"),
            // Going down, a newer migration's rows go before the phase in which an older
            // one drops the table (phases run across every migration of the run).
            &format!("-- kit:phase pre_alter\nDELETE FROM {t};\n-- kit:phase alter\nALTER TABLE {t} DROP COLUMN x;"),
        );
    }
    // b 0001 requires a 0002: the intermediate and the required version run before it.
    p.migration(
        "b",
        "0001_create.sql",
        "-- kit:requires a 0002\n",
        "CREATE TABLE tb (id INTEGER PRIMARY KEY);",
        "DROP TABLE tb;",
    );
    let explain = p.ok(&["upgrade", "-c", "sqlite.toml", "--explain"]).stdout;
    let order: Vec<String> = explain
        .lines()
        .filter(|l| l.starts_with("  ") && l.contains(". "))
        .map(|l| {
            l.split_whitespace()
                .skip(1)
                .take(2)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    assert_eq!(
        order,
        [
            "a 0001_create",
            "a 0002_more",
            "b 0001_create",
            "b 0002_more",
            "c 0001_create",
            "c 0002_more",
            "d 0001_create",
            "d 0002_more"
        ],
        "{explain}"
    );
    // Within a phase, the pieces keep that order.
    let data = explain.split("phase data").nth(1).unwrap();
    let pieces: Vec<&str> = data
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("    ") && !l.contains("copies"))
        .map(str::trim)
        .collect();
    assert_eq!(
        pieces,
        ["a 0002_more", "b 0002_more", "c 0002_more", "d 0002_more"]
    );
    // One component up to a version takes what it requires, and nothing else.
    p.ok(&["upgrade", "-c", "sqlite.toml", "b@0001"]);
    assert_eq!(
        same_history(&p),
        hist(&[("a", "0001"), ("a", "0002"), ("b", "0001")])
    );
    p.ok(&["upgrade", "-c", "sqlite.toml"]);
    assert_eq!(same_history(&p).len(), 8);
    let rows = common::query(&p.sqlite(), "SELECT count(*) FROM ta");
    assert_eq!(rows[0][0], rusqlite::types::Value::Integer(1));
    // current and history show every component.
    let current = p.ok(&["current", "-c", "sqlite.toml"]).stdout;
    assert_eq!(
        current.lines().collect::<Vec<_>>(),
        [
            "c 0002 (head)",
            "a 0002 (head)",
            "b 0002 (head)",
            "d 0002 (head)"
        ]
    );
    let history = p.ok(&["history", "-c", "sqlite.toml"]).stdout;
    assert!(history.contains("b (depends on a):"), "{history}");
    assert!(history.contains("(requires a 0002)"), "{history}");
    // The graph is DOT with every component and dependency.
    p.ok(&["downgrade", "-c", "sqlite.toml", "d", "base"]);
    let dot = p.ok(&["upgrade", "-c", "sqlite.toml", "--graph"]).stdout;
    assert!(dot.starts_with("digraph kit {"), "{dot}");
    for needle in [
        "\"cluster_d\"",
        "\"d@0001\"",
        "\"d@0002\"",
        "\"c@current\" -> \"b@current\" [style=dashed",
    ] {
        assert!(dot.contains(needle), "{needle} in {dot}");
    }
}

/// What a config or a migration gets wrong is an error (exit 1) that names it, and changes
/// nothing: a dependency cycle, an unknown dependency, an unknown phase (with file and line,
/// listing the nine), a requirement on a component that is not a dependency, `--sql`.
#[test]
fn refusals_name_the_problem_and_change_nothing() {
    let cyc = Proj::new(
        &[
            ("a", "depends = [\"c\"]"),
            ("b", "depends = [\"a\"]"),
            ("c", "depends = [\"b\"]"),
        ],
        false,
    );
    let out = cyc.fail(&["upgrade", "-c", "sqlite.toml"]);
    out.assert_stderr_has(&["cycle", "a -> c -> b -> a"]);
    let unknown = Proj::new(&[("a", "depends = [\"nope\"]")], false);
    unknown
        .fail(&["current", "-c", "sqlite.toml"])
        .assert_stderr_has(&["nope", "does not declare"]);
    let bad_name = Proj::new(&[], false);
    bad_name.write(
        "sqlite.toml",
        "database = \"app.db\"\n[components.\"a b\"]\nschema = \"s.sql\"\nmigrations = \"m\"\n",
    );
    bad_name
        .fail(&["current", "-c", "sqlite.toml"])
        .assert_stderr_has(&["component name", "letters, digits"]);

    let p = Proj::new(&[("a", ""), ("b", "")], false);
    p.migration(
        "a",
        "0001_t.sql",
        "",
        "CREATE TABLE t (id INTEGER PRIMARY KEY);",
        "DROP TABLE t;",
    );
    p.migration(
        "b",
        "0001_u.sql",
        "",
        "CREATE TABLE u (id INTEGER PRIMARY KEY);\n-- kit:phase later\nSELECT 1;",
        "DROP TABLE u;",
    );
    let out = p.fail(&["upgrade", "-c", "sqlite.toml"]);
    out.assert_stderr_has(&[
        "0001_u.sql",
        "line 3",
        "unknown phase `later`",
        "drop_fk",
        "cleanup",
    ]);
    assert!(!p.p("app.db").exists(), "nothing created");
    p.migration(
        "b",
        "0001_u.sql",
        "-- kit:requires a 0001\n",
        "CREATE TABLE u (id INTEGER PRIMARY KEY);",
        "DROP TABLE u;",
    );
    p.fail(&["upgrade", "-c", "sqlite.toml"])
        .assert_stderr_has(&[
            "kit:requires a 0001",
            "does not depend on `a`",
            "depends = [\"a\"]",
        ]);
    p.migration(
        "b",
        "0001_u.sql",
        "",
        "CREATE TABLE u (id INTEGER PRIMARY KEY);",
        "DROP TABLE u;",
    );
    p.fail(&["upgrade", "-c", "sqlite.toml", "--sql"])
        .assert_stderr_has(&["--explain"]);
    // A failing statement names component, file, phase and line; the database is unchanged.
    p.ok(&["upgrade", "-c", "sqlite.toml"]);
    p.fail(&["downgrade", "-c", "sqlite.toml", "-1"])
        .assert_stderr_has(&["which component"]);
    p.migration(
        "b",
        "0002_bad.sql",
        "",
        "ALTER TABLE u ADD COLUMN x INTEGER;\n-- kit:phase data\nUPDATE u SET x = 1;\nUPDATE nowhere SET x = 2;",
        "ALTER TABLE u DROP COLUMN x;",
    );
    let before = std::fs::read(p.p("app.db")).unwrap();
    p.fail(&["upgrade", "-c", "sqlite.toml"])
        .assert_stderr_has(&[
            "component `b`",
            "0002_bad.sql",
            "phase data",
            "line 5",
            "nowhere",
        ]);
    assert_eq!(std::fs::read(p.p("app.db")).unwrap(), before);
}

/// A database whose version table kit made before components (no `component` column) is
/// brought to the new shape in the run's transaction on first use, keeping its history.
#[test]
fn a_version_table_from_before_components_is_upgraded_on_first_use() {
    let old = "CREATE TABLE kit_migrations (\n  version TEXT PRIMARY KEY,\n  name TEXT NOT NULL,\n  checksum TEXT NOT NULL,\n  applied_at TEXT NOT NULL\n);";
    let dir = tempfile::tempdir().unwrap();
    let w = |rel: &str, text: &str| {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    w(
        "migrations/0001_t.sql",
        "-- kit:up\nCREATE TABLE t (id INTEGER PRIMARY KEY);\n-- kit:down\nDROP TABLE t;\n",
    );
    w(
        "migrations/0002_x.sql",
        "-- kit:up\nALTER TABLE t ADD COLUMN x TEXT;\n-- kit:down\nALTER TABLE t DROP COLUMN x;\n",
    );
    let sum = |f: &str| {
        let b = std::fs::read(dir.path().join("migrations").join(f)).unwrap();
        kit::migrate::checksum(&b)
    };
    let seed = format!(
        "{old}\nCREATE TABLE t (id INTEGER PRIMARY KEY);\nINSERT INTO kit_migrations VALUES ('0001', '0001_t', '{}', '2025-01-01T00:00:00Z');\nINSERT INTO t (id) VALUES (7);",
        sum("0001_t.sql")
    );
    let pgdb = pg::database();
    w("sqlite.toml", "database = \"app.db\"\n");
    w("pg.toml", &format!("database = \"{}\"\n", pgdb.url));
    rusqlite::Connection::open(dir.path().join("app.db"))
        .unwrap()
        .execute_batch(&seed)
        .unwrap();
    pgdb.client().batch_execute(&seed).unwrap();
    for cfg in ["sqlite.toml", "pg.toml"] {
        let mut c = kit();
        c.current_dir(dir.path()).args(["history", "-c", cfg]);
        let out = run(&mut c);
        assert_eq!(out.code, 0, "{}", out.show());
        assert!(out.stdout.contains("[x] 0001 t"), "{}", out.show());
        let mut c = kit();
        c.current_dir(dir.path()).args(["upgrade", "-c", cfg]);
        let out = run(&mut c);
        assert_eq!(out.code, 0, "{}", out.show());
        assert!(out.stderr.contains("upgrade 0002_x"), "{}", out.show());
    }
    let lite = rusqlite::Connection::open(dir.path().join("app.db")).unwrap();
    let rows: Vec<(String, String, String)> = lite
        .prepare("SELECT component, version, applied_at FROM kit_migrations ORDER BY version")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        rows[0],
        ("".into(), "0001".into(), "2025-01-01T00:00:00Z".into())
    );
    assert_eq!(rows.len(), 2);
    let pg_rows = pg_schema::strings(
        &mut pgdb.client(),
        "SELECT component, version, applied_at FROM kit_migrations ORDER BY version",
    );
    assert_eq!(pg_rows[0], ["", "0001", "2025-01-01T00:00:00Z"]);
    assert_eq!(pg_rows.len(), 2);
    let key = pg_schema::strings(
        &mut pgdb.client(),
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'kit_migrations'::regclass AND contype = 'p'",
    );
    assert_eq!(key[0][0], "PRIMARY KEY (component, version)");
}

/// `kit check` with components: passes when the replay matches the schema files; reports a
/// foreign key into a component that is not a dependency, and a table no component declares
/// (left in place). `throwaway-reset` builds every component's schema in dependency order and
/// records each head; `revision --component` diffs only that component's tables, and
/// `--keep-added-columns` keeps the added column on downgrade.
#[test]
fn check_reset_and_revision_with_components() {
    let p = Proj::new(&[("mail", "depends = [\"book\"]"), ("book", "")], false);
    p.write(
        "book/schema.sql",
        "CREATE TABLE address (id INTEGER PRIMARY KEY, email TEXT NOT NULL);\n",
    );
    p.write(
        "mail/schema.sql",
        "CREATE TABLE message (id INTEGER PRIMARY KEY, sender INTEGER REFERENCES address (id), subject TEXT);\n",
    );
    p.migration(
        "book",
        "0001_address.sql",
        "",
        "CREATE TABLE address (id INTEGER PRIMARY KEY, email TEXT NOT NULL);",
        "DROP TABLE address;",
    );
    p.migration(
        "mail",
        "0001_message.sql",
        "-- kit:requires book 0001\n",
        "CREATE TABLE message (id INTEGER PRIMARY KEY, sender INTEGER REFERENCES address (id), subject TEXT);",
        "DROP TABLE message;",
    );
    p.write(
        "temp.toml",
        &std::fs::read_to_string(p.p("sqlite.toml"))
            .unwrap()
            .replace("app.db", "temp.db"),
    );
    let out = p.ok(&["throwaway-reset", "-c", "temp.toml"]);
    assert!(out.stderr.contains("2 table(s)"), "{}", out.show());
    let t = rusqlite::Connection::open(p.p("temp.db")).unwrap();
    let hist: Vec<Vec<rusqlite::types::Value>> = common::query(
        &t,
        "SELECT component, version FROM kit_migrations ORDER BY 1",
    );
    assert_eq!(hist.len(), 2);
    p.ok(&["upgrade", "-c", "sqlite.toml"]);
    p.ok(&["check", "-c", "sqlite.toml"]);
    // A table nobody declares is reported and kept.
    p.sqlite().execute_batch("CREATE TABLE stray (x)").unwrap();
    p.fail(&["check", "-c", "sqlite.toml"])
        .assert_stderr_has(&["\"stray\"", "no component's schema declares it"]);
    assert_eq!(
        common::query(&p.sqlite(), "SELECT count(*) FROM stray")[0][0],
        rusqlite::types::Value::Integer(0)
    );
    p.sqlite().execute_batch("DROP TABLE stray").unwrap();
    // A key into a component that is not a dependency.
    let text = std::fs::read_to_string(p.p("sqlite.toml")).unwrap();
    p.write("nodeps.toml", &text.replace("depends = [\"book\"]", ""));
    p.fail(&["check", "-c", "nodeps.toml"]).assert_stderr_has(&[
        "\"message\" (sender) -> \"address\"",
        "does not depend on",
        "depends = [\"book\"]",
    ]);
    // revision --component: only mail's tables are diffed; the new column is kept on downgrade.
    p.write(
        "mail/schema.sql",
        "CREATE TABLE message (id INTEGER PRIMARY KEY, sender INTEGER REFERENCES address (id), subject TEXT, read_at TEXT);\n",
    );
    p.fail(&["revision", "-c", "sqlite.toml", "-m", "x", "--autogenerate"])
        .assert_stderr_has(&["--component"]);
    let out = p.ok(&[
        "revision",
        "-c",
        "sqlite.toml",
        "--component",
        "mail",
        "-m",
        "read at",
        "--autogenerate",
        "--keep-added-columns",
    ]);
    let file = out.stdout.trim().to_string();
    assert!(file.ends_with("mail/migrations/0002_read_at.sql"), "{file}");
    let text = std::fs::read_to_string(p.p(&file)).unwrap();
    assert!(
        text.contains("ADD COLUMN IF NOT EXISTS \"read_at\" TEXT"),
        "{text}"
    );
    let down = text.split("-- kit:down").nth(1).unwrap();
    assert!(!down.contains("DROP COLUMN"), "{text}");
    assert!(!text.contains("address"), "only mail's tables: {text}");
    p.ok(&["upgrade", "-c", "sqlite.toml"]);
    p.sqlite()
        .execute_batch("INSERT INTO message (id, read_at) VALUES (1, 'now')")
        .unwrap();
    p.ok(&["downgrade", "-c", "sqlite.toml", "mail", "-1"]);
    assert_eq!(
        common::query(&p.sqlite(), "SELECT read_at FROM message")[0][0],
        rusqlite::types::Value::Text("now".into()),
        "the column and its values stay"
    );
    p.ok(&["upgrade", "-c", "sqlite.toml"]);
    p.ok(&["check", "-c", "sqlite.toml"]);
    let out = p.ok(&[
        "revision",
        "-c",
        "sqlite.toml",
        "--component",
        "book",
        "-m",
        "nothing",
        "--autogenerate",
    ]);
    assert!(out.stderr.contains("no changes"), "{}", out.show());
}

/// Three components change the same table in two phases each (`alter` and `cleanup`, with a
/// data phase between): the planner copies the table once per phase that needs a rebuild, two
/// copies for the run, where running each migration's phases on its own copies it six times.
/// The rows and the final schema are those of applying the migrations one by one.
#[test]
fn a_table_changed_by_three_components_is_copied_once_per_phase() {
    let p = Proj::new(
        &[
            ("a", ""),
            ("b", "depends = [\"a\"]"),
            ("c", "depends = [\"b\"]"),
        ],
        false,
    );
    p.migration(
        "a",
        "0001_shared.sql",
        "",
        "CREATE TABLE shared (id INTEGER PRIMARY KEY, k TEXT, m TEXT, n INTEGER);\nINSERT INTO shared (k, m, n) VALUES ('a', '1', 1), ('b', '2', 2), ('c', '3', 3);",
        "DROP TABLE shared;",
    );
    p.ok(&["upgrade", "-c", "sqlite.toml"]);
    p.migration(
        "a",
        "0002_n_text.sql",
        "",
        "ALTER TABLE shared ALTER COLUMN n TYPE TEXT;\n-- kit:phase cleanup\nALTER TABLE shared ALTER COLUMN m SET DEFAULT '0';",
        "ALTER TABLE shared ALTER COLUMN m DROP DEFAULT;\nALTER TABLE shared ALTER COLUMN n TYPE INTEGER;",
    );
    p.migration(
        "b",
        "0001_m_integer.sql",
        "-- kit:requires a 0002\n",
        "ALTER TABLE shared ALTER COLUMN m TYPE INTEGER;\n-- kit:phase data\nUPDATE shared SET m = m * 10;\n-- kit:phase cleanup\nALTER TABLE shared ADD CONSTRAINT shared_k_key UNIQUE (k);",
        "ALTER TABLE shared DROP CONSTRAINT shared_k_key;\nUPDATE shared SET m = m / 10;\nALTER TABLE shared ALTER COLUMN m TYPE TEXT;",
    );
    p.migration(
        "c",
        "0001_k_default.sql",
        "",
        "ALTER TABLE shared ALTER COLUMN k SET DEFAULT 'x';\n-- kit:phase cleanup\nALTER TABLE shared ALTER COLUMN n SET DEFAULT 'z';",
        "ALTER TABLE shared ALTER COLUMN n DROP DEFAULT;\nALTER TABLE shared ALTER COLUMN k DROP DEFAULT;",
    );
    let explain = p.ok(&["upgrade", "-c", "sqlite.toml", "--explain"]).stdout;
    let copies: Vec<&str> = explain
        .lines()
        .filter_map(|l| l.trim().strip_prefix("copies: "))
        .collect();
    assert_eq!(copies, ["shared", "none", "shared"], "{explain}");
    // The real run, through the library: count the copies it made.
    let cfg = kit::config::Config::load(&p.p("sqlite.toml"), None).unwrap();
    let loaded = kit::phased::load(&cfg.components()).unwrap();
    let mut db = kit::db::open(&cfg).unwrap();
    let make = |st: &[kit::phased::ComponentStatus]| {
        kit::phased::Schedule::new(
            kit::phased::upgrade_schedule(st, &kit::phased::UpTarget::All)?,
            kit::migrate::Direction::Up,
        )
    };
    let (schedule, _, summaries) = kit::phased::run(
        db.as_mut(),
        &loaded,
        &make,
        false,
        &mut kit::Observer::default(),
    )
    .unwrap();
    drop(db);
    assert_eq!(schedule.migrations.len(), 3);
    let rebuilds: usize = summaries
        .iter()
        .flat_map(|s| &s.steps)
        .filter(|s| s.path == kit::Path::Rebuild)
        .count();
    assert_eq!(rebuilds, 2, "one copy per phase that rebuilds");
    let phased_rows = common::query(&p.sqlite(), "SELECT * FROM shared ORDER BY id");
    let phased_schema = common::query(
        &p.sqlite(),
        "SELECT sql FROM sqlite_schema WHERE name = 'shared'",
    );
    // The same migrations one by one (each component up in turn) give the same rows and schema.
    let q = Proj::new(
        &[
            ("a", ""),
            ("b", "depends = [\"a\"]"),
            ("c", "depends = [\"b\"]"),
        ],
        false,
    );
    for (comp, files) in [
        ("a", vec!["0001_shared.sql", "0002_n_text.sql"]),
        ("b", vec!["0001_m_integer.sql"]),
        ("c", vec!["0001_k_default.sql"]),
    ] {
        for f in files {
            let rel = format!("{comp}/migrations/{f}");
            q.write(&rel, &std::fs::read_to_string(p.p(&rel)).unwrap());
            q.ok(&[
                "upgrade",
                "-c",
                "sqlite.toml",
                &format!("{comp}@{}", &f[..4]),
            ]);
        }
    }
    assert_eq!(
        common::query(&q.sqlite(), "SELECT * FROM shared ORDER BY id"),
        phased_rows
    );
    assert_eq!(
        common::query(
            &q.sqlite(),
            "SELECT sql FROM sqlite_schema WHERE name = 'shared'"
        ),
        phased_schema
    );
}

/// On PostgreSQL: `throwaway-reset` with components creates every component's schema in
/// dependency order and records each head; `--explain` prints PostgreSQL's statements and
/// changes nothing; `[revision] keep_added_columns` in the config does what the flag does.
#[test]
fn throwaway_explain_and_keep_added_columns_key_on_postgresql() {
    let p = Proj::new(&[("mail", "depends = [\"book\"]"), ("book", "")], true);
    p.write("book/schema.sql", "CREATE TABLE address (id INTEGER PRIMARY KEY, email TEXT NOT NULL, active BOOLEAN NOT NULL DEFAULT 1);\n");
    p.write(
        "mail/schema.sql",
        "CREATE TABLE message (id INTEGER PRIMARY KEY, sender INTEGER REFERENCES address (id), subject TEXT);\n",
    );
    p.migration("book", "0001_address.sql", "", "CREATE TABLE address (id INTEGER PRIMARY KEY, email TEXT NOT NULL, active BOOLEAN NOT NULL DEFAULT 1);", "DROP TABLE address;");
    p.migration(
        "mail",
        "0001_message.sql",
        "-- kit:requires book 0001\n",
        "CREATE TABLE message (id INTEGER PRIMARY KEY, sender INTEGER REFERENCES address (id), subject TEXT);",
        "DROP TABLE message;",
    );
    let explain = p.ok(&["upgrade", "-c", "pg.toml", "--explain"]).stdout;
    assert!(explain.contains("phase alter"), "{explain}");
    assert!(
        explain.contains("DEFAULT true"),
        "PostgreSQL's statements: {explain}"
    );
    assert!(!explain.contains("copies:"), "{explain}");
    assert_eq!(
        pg_schema::tables(&mut p.pg()),
        Vec::<String>::new(),
        "--explain changed nothing"
    );
    // A throwaway PostgreSQL database for the same components.
    let temp = pg::database();
    let cfg = std::fs::read_to_string(p.p("pg.toml"))
        .unwrap()
        .replace(&p.pg.as_ref().unwrap().url, &temp.url);
    p.write(
        "temp-pg.toml",
        &format!("{cfg}\n[revision]\nkeep_added_columns = true\n"),
    );
    let out = p.ok(&["throwaway-reset", "-c", "temp-pg.toml", "--force"]);
    assert!(out.stderr.contains("2 table(s)"), "{}", out.show());
    let mut t = temp.client();
    assert_eq!(
        pg_schema::tables(&mut t),
        ["address", "kit_migrations", "kit_throwaway", "message"]
    );
    assert_eq!(
        pg_schema::strings(
            &mut t,
            "SELECT component, version FROM kit_migrations ORDER BY 1"
        ),
        [["book", "0001"], ["mail", "0001"]]
    );
    // The config key, with a SQLite database at head.
    p.ok(&["upgrade", "-c", "sqlite.toml"]);
    let sqlite_cfg = std::fs::read_to_string(p.p("sqlite.toml")).unwrap();
    p.write(
        "keep.toml",
        &format!("{sqlite_cfg}\n[revision]\nkeep_added_columns = true\n"),
    );
    p.write("book/schema.sql", "CREATE TABLE address (id INTEGER PRIMARY KEY, email TEXT NOT NULL, active BOOLEAN NOT NULL DEFAULT 1, phone TEXT);\n");
    let out = p.ok(&[
        "revision",
        "-c",
        "keep.toml",
        "--component",
        "book",
        "-m",
        "phone",
        "--autogenerate",
    ]);
    let text = std::fs::read_to_string(p.p(out.stdout.trim())).unwrap();
    assert!(
        text.contains("ADD COLUMN IF NOT EXISTS \"phone\""),
        "{text}"
    );
    assert!(
        !text.split("-- kit:down").nth(1).unwrap().contains("DROP"),
        "{text}"
    );
    // And it runs on PostgreSQL as on SQLite, down and up again.
    for cfg in p.configs() {
        p.ok(&["upgrade", "-c", cfg]);
        p.ok(&["downgrade", "-c", cfg, "book@0001"]);
        p.ok(&["upgrade", "-c", cfg]);
    }
    assert_eq!(
        same_columns(&p, "address"),
        ["id", "email", "active", "phone"]
    );
}
