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

use std::path::Path;
use std::process::Command;

/// The first ```sh block after `heading` in the README.
fn block_after(readme: &str, heading: &str) -> String {
    let at = readme.find(heading).expect("heading in README");
    let rest = &readme[at..];
    let start = rest.find("```sh\n").expect("an sh block") + "```sh\n".len();
    let len = rest[start..].find("```").expect("end of the block");
    rest[start..start + len].to_string()
}

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
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let script = block_after(&readme, "## The schema-as-code loop");
    let dir = tempfile::tempdir().unwrap();
    let bin = Path::new(env!("CARGO_BIN_EXE_kit")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!("set -e\n{script}"))
        .current_dir(dir.path())
        .env("PATH", &path)
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
        let want: Vec<(String, pg_schema::Class, bool)> = lite
            .prepare("SELECT name, type, \"notnull\", pk FROM pragma_table_info(?1)")
            .unwrap()
            .query_map([table], |r| {
                let ty: String = r.get(1)?;
                let nn: bool = r.get(2)?;
                let pk: i64 = r.get(3)?;
                Ok((r.get(0)?, pg_schema::sqlite_class(&ty), nn || pk > 0))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let got: Vec<(String, pg_schema::Class, bool)> = pg_schema::columns(&mut c, table)
            .into_iter()
            .map(|(n, t, nn)| (n, pg_schema::pg_class(&t), nn))
            .collect();
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
