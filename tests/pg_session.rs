//! Running statements on PostgreSQL through kit: one transaction, all or nothing, and errors
//! that name the file, line and column with PostgreSQL's message, SQLSTATE, detail and hint.

#[path = "common/pg.rs"]
mod pg;

use kit::error::{Error, PgError, PgErrorKind};
use kit::postgres::{self as kpg, Sql};
use std::time::Duration;

fn pg_err(e: Error) -> Box<PgError> {
    match e {
        Error::Postgres(p) => p,
        other => panic!("expected a PostgreSQL error, got {other}"),
    }
}

fn count_tables(c: &mut postgres::Client) -> i64 {
    c.query_one(
        "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()",
        &[],
    )
    .unwrap()
    .get(0)
}

#[test]
fn a_failure_rolls_back_the_whole_run_and_names_file_line_and_column() {
    let db = pg::database();
    let mut c = kpg::connect(&db.url).unwrap();
    let file = "migrations/0002_x.sql";
    let statements = [
        Sql::at("CREATE TABLE a (x int PRIMARY KEY)", file, 3, 1),
        Sql::at("INSERT INTO a VALUES (1)", file, 4, 1),
        Sql::at("INSERT INTO a\n  VALUES (2),\n         (nope)", file, 5, 3),
    ];
    let e = pg_err(kpg::run_in_transaction(&mut c, &statements).unwrap_err());
    assert_eq!(e.kind, PgErrorKind::Statement);
    assert_eq!(e.sqlstate.as_deref(), Some("42703"), "{e}");
    assert_eq!(e.position, Some(39), "{e}");
    assert_eq!(
        e.location.as_deref(),
        Some("migrations/0002_x.sql, line 7, column 11")
    );
    let text = e.to_string();
    assert!(
        text.starts_with("migrations/0002_x.sql, line 7, column 11: "),
        "{text}"
    );
    assert!(
        text.contains("column \"nope\" does not exist") && text.contains("SQLSTATE 42703"),
        "{text}"
    );
    assert_eq!(count_tables(&mut c), 0, "the CREATE TABLE was rolled back");

    kpg::run_in_transaction(&mut c, &statements[..2]).unwrap();
    assert_eq!(count_tables(&mut c), 1);
}

#[test]
fn position_on_the_first_line_counts_from_the_statement_column() {
    assert_eq!(kpg::position_line_col("SELECT x", 8), (1, 8));
    assert_eq!(kpg::position_line_col("a\nbé\ncd", 6), (3, 1));
    let db = pg::database();
    let mut c = db.client();
    let e = pg_err(kpg::execute(&mut c, &Sql::at("SELECT nope", "seed.sql", 2, 5)).unwrap_err());
    assert_eq!(e.location.as_deref(), Some("seed.sql, line 2, column 12"));
}

#[test]
fn detail_and_hint_are_kept() {
    let db = pg::database();
    let mut c = db.client();
    c.batch_execute("CREATE TABLE t (x int UNIQUE, s text); INSERT INTO t VALUES (1, 'a')")
        .unwrap();
    let e = pg_err(kpg::execute(&mut c, &Sql::new("INSERT INTO t VALUES (1, 'b')")).unwrap_err());
    assert_eq!(e.sqlstate.as_deref(), Some("23505"));
    assert_eq!(e.detail.as_deref(), Some("Key (x)=(1) already exists."));
    let e = pg_err(
        kpg::execute(
            &mut c,
            &Sql::new("ALTER TABLE t ALTER COLUMN s TYPE integer"),
        )
        .unwrap_err(),
    );
    assert!(e.hint.contains("USING"), "{e}");
    assert!(e.to_string().contains("hint: "), "{e}");
}

#[test]
fn a_translated_statement_points_into_the_translation() {
    let db = pg::database();
    let mut c = db.client();
    let mut s = Sql::at("SELECT 1,\n  nope", "schema.sql", 10, 1);
    s.translated = true;
    let e = pg_err(kpg::execute(&mut c, &s).unwrap_err());
    assert_eq!(e.location.as_deref(), Some("schema.sql, line 10, column 1"));
    assert!(
        e.message
            .contains("line 2, column 3 of the statement below"),
        "{e}"
    );
    assert!(e.to_string().contains("in: SELECT 1,\n  nope"), "{e}");
}

#[test]
fn a_failed_commit_is_reported_and_changes_nothing() {
    let db = pg::database();
    let mut c = db.client();
    c.batch_execute(
        "CREATE TABLE p (id int PRIMARY KEY);
         CREATE TABLE ch (p int REFERENCES p DEFERRABLE INITIALLY DEFERRED)",
    )
    .unwrap();
    let e = pg_err(
        kpg::run_in_transaction(&mut c, &[Sql::new("INSERT INTO ch VALUES (42)")]).unwrap_err(),
    );
    assert_eq!(e.sqlstate.as_deref(), Some("23503"), "{e}");
    assert!(e.context.contains("COMMIT"), "{e}");
    let n: i64 = c.query_one("SELECT count(*) FROM ch", &[]).unwrap().get(0);
    assert_eq!(n, 0);
}

#[test]
fn the_migration_lock_makes_a_second_run_wait_and_lock_timeout_ends_the_wait() {
    let db = pg::database();
    let mut a = db.client();
    let mut b = db.client();
    let mut ta = a.transaction().unwrap();
    kpg::advisory_xact_lock(&mut ta, kpg::MIGRATION_LOCK_KEY).unwrap();
    {
        let mut tb = b.transaction().unwrap();
        kpg::set_lock_timeout(&mut tb, Duration::from_millis(200)).unwrap();
        let t0 = std::time::Instant::now();
        let e = pg_err(kpg::advisory_xact_lock(&mut tb, kpg::MIGRATION_LOCK_KEY).unwrap_err());
        assert_eq!(e.sqlstate.as_deref(), Some("55P03"), "{e}");
        assert!(t0.elapsed() >= Duration::from_millis(150));
    }
    ta.commit().unwrap();
    let mut tb = b.transaction().unwrap();
    kpg::set_lock_timeout(&mut tb, Duration::from_millis(200)).unwrap();
    kpg::advisory_xact_lock(&mut tb, kpg::MIGRATION_LOCK_KEY).unwrap();
    tb.commit().unwrap();
}
