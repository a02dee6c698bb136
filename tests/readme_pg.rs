//! The README's walkthrough repeated against PostgreSQL: the block under "The schema-as-code
//! loop" runs as written (on SQLite, as `tests/readme.rs` runs it), then the migration files it
//! wrote are upgraded, downgraded and upgraded again on a real PostgreSQL server through a
//! second config, `dev-pg.toml` (`database = "${DATABASE_URL}"`). `history` and `current` agree
//! with the SQLite development database, and the tables have the same columns.

mod common;
#[path = "common/pg.rs"]
mod pg;
#[path = "common/pg_schema.rs"]
mod pg_schema;
#[path = "common/readme.rs"]
mod readme;

use readme::{block_after, kit_shell};
use std::path::Path;

/// `text` without the times that differ between runs (`(applied ...)`).
fn without_times(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("(applied ") {
            Some(p) => format!("{}(applied T){}", &l[..p], &l[p + 29..]),
            None => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn readme_walkthrough_migrations_run_on_postgresql() {
    let script = block_after(&readme::readme(), "## The schema-as-code loop");
    let dir = tempfile::tempdir().unwrap();
    let out = kit_shell(&format!("set -e\n{script}"))
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the README block:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let app = dir.path().join("myapp");
    std::fs::write(app.join("dev-pg.toml"), "database = \"${DATABASE_URL}\"\n").unwrap();
    let db = pg::database();
    let kit = |args: &[&str]| -> common::Out {
        let out = common::run(
            common::kit()
                .current_dir(&app)
                .env("DATABASE_URL", &db.url)
                .args(args),
        );
        assert_eq!(out.code, 0, "kit {args:?}:\n{}", out.show());
        out
    };
    let mut c = db.client();
    kit(&["upgrade", "-c", "dev-pg.toml", "--echo"]);
    assert_eq!(pg_schema::applied(&mut c), ["0001", "0002"]);
    kit(&["downgrade", "-c", "dev-pg.toml", "-1"]);
    assert_eq!(pg_schema::applied(&mut c), ["0001"]);
    let cols: Vec<String> = pg_schema::columns(&mut c, "users")
        .into_iter()
        .map(|c| c.0)
        .collect();
    assert_eq!(cols, ["id", "email", "name", "legacy"], "back at 0001");
    kit(&["downgrade", "-c", "dev-pg.toml", "base"]);
    assert_eq!(pg_schema::tables(&mut c), ["kit_migrations"]);
    kit(&["upgrade", "-c", "dev-pg.toml", "0001"]);
    kit(&["upgrade", "-c", "dev-pg.toml"]);
    assert_eq!(pg_schema::applied(&mut c), ["0001", "0002"]);

    // history and current agree with the SQLite development database.
    for cmd in ["history", "current"] {
        let lite = kit(&[cmd, "-c", "dev.toml"]).stdout;
        let pgo = kit(&[cmd, "-c", "dev-pg.toml"]).stdout;
        assert_eq!(without_times(&pgo), without_times(&lite), "kit {cmd}");
    }
    assert_eq!(
        kit(&["current", "-c", "dev-pg.toml"]).stdout.trim(),
        "0002 (head)"
    );

    // The same tables: columns in order, NOT NULL (a primary key counts), type class.
    let lite = rusqlite::Connection::open(app.join("dev.db")).unwrap();
    for table in ["users", "orders"] {
        let want = pg_schema::sqlite_column_classes(&lite, table);
        let got = pg_schema::column_classes(&mut c, table);
        assert_eq!(got, want, "columns of {table}");
    }
    // The view and the index came along; the NOCASE column is case-insensitive.
    let schema = pg_schema::schema(&mut c, false);
    assert!(
        schema.iter().any(|l| l.starts_with("view big_orders:")),
        "{schema:#?}"
    );
    assert!(
        schema.iter().any(|l| l.starts_with("index orders_user:")),
        "{schema:#?}"
    );
    c.batch_execute(
        "INSERT INTO users (mail, name, nickname) VALUES ('ada@example.com', 'Ada', 'Ada')",
    )
    .unwrap();
    let n: i64 = c
        .query_one("SELECT count(*) FROM users WHERE nickname = 'ADA'", &[])
        .unwrap()
        .get(0);
    assert_eq!(
        n, 1,
        "COLLATE NOCASE compares without case on PostgreSQL too"
    );
}

/// The ```sh blocks of the README section that starts at `heading`, up to the next `## `.
fn blocks_of_section(readme: &str, heading: &str) -> Vec<String> {
    let at = readme.find(heading).expect("heading in README");
    let rest = &readme[at + heading.len()..];
    let section = &rest[..rest.find("\n## ").unwrap_or(rest.len())];
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(p) = section[from..].find("```sh\n") {
        let start = from + p + "```sh\n".len();
        let len = section[start..].find("\n```").expect("end of the block") + 1;
        out.push(section[start..start + len].to_string());
        from = start + len;
    }
    out
}

/// Runs `script` with bash under `set -e` in `dir`, stdout and stderr merged in order.
fn run_block(script: &str, dir: &Path, env: &[(&str, &str)]) -> (bool, String) {
    let mut cmd = kit_shell(&format!("exec 2>&1\nset -e\n{script}"));
    cmd.current_dir(dir);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// Checks that every `#> ` line of `script` (what the README says kit prints; `…` stands for
/// anything) matches a line of `output`, in order.
fn assert_shown_output(script: &str, output: &str) {
    let lines: Vec<&str> = output.lines().collect();
    let mut at = 0;
    for want in script.lines().filter_map(|l| l.strip_prefix("#> ")) {
        let parts: Vec<&str> = want.split('…').collect();
        let matches = |line: &str| {
            let mut rest = line;
            for (i, part) in parts.iter().enumerate() {
                match rest.find(part) {
                    Some(p) if i > 0 || p == 0 => rest = &rest[p + part.len()..],
                    _ => return false,
                }
            }
            rest.is_empty() || parts.last() == Some(&"")
        };
        match lines[at..].iter().position(|l| matches(l)) {
            Some(p) => at += p + 1,
            None => panic!(
                "the README says kit prints\n  {want}\nbut after line {at} the output was:\n{}",
                lines[at..].join("\n")
            ),
        }
    }
}

/// Drops a database on the test server when dropped.
struct DropDb(String);

impl Drop for DropDb {
    fn drop(&mut self) {
        if let Ok(mut admin) = postgres::Client::connect(&pg::server().admin_url, postgres::NoTls) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                pg_schema::q(&self.0)
            ));
        }
    }
}

/// Connects to `url`.
fn connect(url: &str) -> postgres::Client {
    postgres::Client::connect(url, postgres::NoTls).unwrap()
}

/// The names of a table's constraints on PostgreSQL, sorted.
fn constraint_names(c: &mut postgres::Client, table: &str) -> Vec<String> {
    pg_schema::strings(
        c,
        &format!(
            "SELECT conname::text FROM pg_constraint WHERE conrelid = to_regclass('{table}') ORDER BY 1"
        ),
    )
    .into_iter()
    .map(|r| r[0].clone())
    .collect()
}

/// The whole "## PostgreSQL" section as a user follows it: its walkthrough, the CI snippet and
/// the refusal example, run as written against the harness's server after the SQLite loop.
#[test]
fn readme_postgresql_section_runs_as_written() {
    let readme = readme::readme();
    let blocks = blocks_of_section(&readme, "\n## PostgreSQL\n");
    assert_eq!(
        blocks.len(),
        3,
        "walkthrough, CI snippet, refusal: {blocks:#?}"
    );
    let (walk, ci, refusal) = (&blocks[0], &blocks[1], &blocks[2]);
    assert!(
        walk.contains("kit throwaway-reset -c temp-pg.toml"),
        "{walk}"
    );

    let dir = tempfile::tempdir().unwrap();
    let (ok, out) = run_block(
        &block_after(&readme, "## The schema-as-code loop"),
        dir.path(),
        &[],
    );
    assert!(ok, "the SQLite loop:\n{out}");
    let app = dir.path().join("myapp");

    let db = pg::database();
    let temp_name = format!("kit_readme_temp_{}", std::process::id());
    let _drop_temp = DropDb(temp_name.clone());
    let temp_url = pg::with_dbname(&db.url, &temp_name);
    let env = [
        ("DATABASE_URL", db.url.as_str()),
        ("TEMP_DATABASE_URL", temp_url.as_str()),
    ];

    // 1. The walkthrough: every command succeeds and prints what the README shows.
    let (ok, out) = run_block(walk, &app, &env);
    assert!(ok, "the README's PostgreSQL walkthrough:\n{out}");
    assert_shown_output(walk, &out);
    assert!(!out.contains("panicked"), "{out}");

    // The development database: at head, orders.total renamed with its rows' column, and the
    // unnamed CHECK under the default name SQLite gives it.
    let mut c = db.client();
    assert_eq!(pg_schema::applied(&mut c), ["0001", "0002", "0003"]);
    let cols: Vec<String> = pg_schema::columns(&mut c, "orders")
        .into_iter()
        .map(|c| c.0)
        .collect();
    assert_eq!(cols, ["id", "user_id", "amount"]);
    assert_eq!(
        constraint_names(&mut c, "orders"),
        ["orders_amount_check", "orders_pkey", "orders_user_id_fkey"]
    );
    let view = pg_schema::strings(&mut c, "SELECT pg_get_viewdef('big_orders')");
    assert!(view[0][0].contains("amount > "), "{view:?}");
    // The SQLite development database followed the same file.
    let lite = rusqlite::Connection::open(app.join("dev.db")).unwrap();
    let n: i64 = lite
        .query_row("SELECT count(*) FROM kit_migrations", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 3);
    let file = std::fs::read_to_string(app.join("migrations/0003_orders_amount.sql")).unwrap();
    assert!(
        file.contains("ALTER TABLE \"orders\" RENAME COLUMN \"total\" TO \"amount\";")
            && file.contains("-- kit:down"),
        "{file}"
    );
    // The throwaway: rebuilt from the edited schema and seed, with kit's marker.
    let mut t = connect(&temp_url);
    assert_eq!(
        pg_schema::strings(
            &mut t,
            "SELECT u.mail, o.amount::text FROM orders o JOIN users u ON u.id = o.user_id ORDER BY o.id"
        ),
        [
            vec!["ada@example.com".to_string(), "250".to_string()],
            vec!["bob@example.com".to_string(), "12.5".to_string()],
        ]
    );
    assert_eq!(
        pg_schema::tables(&mut t),
        ["kit_migrations", "kit_throwaway", "orders", "users"]
    );
    drop(t);

    // 2. The CI snippet, in a fresh checkout (no database file), against another database.
    let checkout = tempfile::tempdir().unwrap();
    for f in ["dev.toml", "schema.sql"] {
        std::fs::copy(app.join(f), checkout.path().join(f)).unwrap();
    }
    std::fs::create_dir(checkout.path().join("migrations")).unwrap();
    for e in std::fs::read_dir(app.join("migrations")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(
            e.path(),
            checkout.path().join("migrations").join(e.file_name()),
        )
        .unwrap();
    }
    let ci_db = pg::database();
    let ci_env = [("CHECK_DATABASE_URL", ci_db.url.as_str())];
    let (ok, out) = run_block(ci, checkout.path(), &ci_env);
    assert!(ok, "the CI snippet:\n{out}");
    assert_shown_output(ci, &out);
    assert!(
        !checkout.path().join("dev.db").exists(),
        "the check needs no database file and makes none"
    );
    let mut cc = ci_db.client();
    let left = pg_schema::strings(
        &mut cc,
        "SELECT count(*)::text FROM pg_namespace WHERE nspname LIKE 'kit_scratch%'",
    );
    assert_eq!(left[0][0], "0", "the scratch schemas were rolled back");
    assert_eq!(pg_schema::tables(&mut cc), Vec::<String>::new());
    // The same snippet fails, exit 1, when a migration makes the two databases differ.
    std::fs::write(
        checkout.path().join("migrations/0004_audit.sql"),
        "-- kit:up\n-- kit:only sqlite\nCREATE TABLE audit (id INTEGER PRIMARY KEY);\n-- kit:all\n-- kit:down\n-- kit:only sqlite\nDROP TABLE audit;\n-- kit:all\n",
    )
    .unwrap();
    std::fs::OpenOptions::new()
        .append(true)
        .open(checkout.path().join("schema.sql"))
        .and_then(|mut f| {
            std::io::Write::write_all(&mut f, b"CREATE TABLE audit (id INTEGER PRIMARY KEY);\n")
        })
        .unwrap();
    let (ok, out) = run_block(ci, checkout.path(), &ci_env);
    assert!(!ok, "parity must fail:\n{out}");
    assert!(
        out.contains("table \"audit\": present on SQLite, missing on PostgreSQL")
            && out.contains("check failed: 1 problem(s)"),
        "{out}"
    );

    // 3. The refusal and its dialect-block fix: nothing was made by the refused statement,
    // and both databases have the view, computing the same labels.
    let (ok, out) = run_block(refusal, &app, &env);
    assert!(ok, "the refusal example:\n{out}");
    assert_shown_output(refusal, &out);
    let rows = "INSERT INTO users (mail) VALUES ('ada@example.com'); INSERT INTO orders (user_id, amount) VALUES (1, 250), (1, 12.5);";
    c.batch_execute(rows).unwrap();
    lite.execute_batch(rows).unwrap();
    let pg_labels = pg_schema::strings(&mut c, "SELECT label FROM order_labels ORDER BY id");
    let lite_labels: Vec<String> = lite
        .prepare("SELECT label FROM order_labels ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        pg_labels
            .into_iter()
            .map(|r| r[0].clone())
            .collect::<Vec<_>>(),
        lite_labels
    );
    assert_eq!(lite_labels, ["#00001", "#00002"]);
}
