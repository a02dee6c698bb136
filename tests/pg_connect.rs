//! Connecting to PostgreSQL through kit: every URL form, and each way a connection fails, as a
//! clear error naming the server and database, never the password.

#[path = "common/pg.rs"]
mod pg;

use kit::error::{Error, PgErrorKind};
use kit::postgres::connect::{connect, parse};

const SECRET: &str = "Very$ecret-pw-42";

fn pg_err(e: Error) -> Box<kit::error::PgError> {
    match e {
        Error::Postgres(p) => p,
        other => panic!("expected a PostgreSQL error, got {other}"),
    }
}

fn assert_no_secret(text: &str) {
    assert!(!text.contains(SECRET), "the password leaked: {text}");
    assert!(
        !text.contains("ecret-pw"),
        "part of the password leaked: {text}"
    );
}

#[test]
fn connects_with_the_harness_url() {
    let db = pg::database();
    let mut c = connect(&db.url).unwrap();
    let one: i32 = c.query_one("SELECT 1", &[]).unwrap().get(0);
    assert_eq!(one, 1);
}

#[test]
fn a_missing_database_is_named_with_the_fix() {
    let db = pg::database();
    let url = pg::with_dbname(&db.url, "no_such_db_kit");
    let e = pg_err(connect(&url).err().expect("the connection should fail"));
    assert_eq!(e.kind, PgErrorKind::NoDatabase, "{e}");
    assert_eq!(e.sqlstate.as_deref(), Some("3D000"));
    let text = e.to_string();
    eprintln!("{text}");
    assert!(
        text.contains("no_such_db_kit") && text.contains("createdb"),
        "{text}"
    );
    assert!(text.contains("port"), "{text}");
}

#[test]
fn an_unreachable_server_names_host_and_port() {
    let empty = tempfile::tempdir().unwrap();
    let url = format!(
        "postgresql://ann:{SECRET}@/app?host={}&port=5999",
        empty.path().display()
    );
    let e = pg_err(connect(&url).err().expect("the connection should fail"));
    assert_eq!(e.kind, PgErrorKind::Unreachable, "{e}");
    let text = e.to_string();
    eprintln!("{text}");
    assert_no_secret(&text);
    assert!(text.contains(&empty.path().display().to_string()), "{text}");
    assert!(text.contains("5999") && text.contains("\"app\""), "{text}");

    let url = format!("postgres://ann:{SECRET}@127.0.0.1:1/app");
    let e = pg_err(connect(&url).err().expect("the connection should fail"));
    assert_eq!(e.kind, PgErrorKind::Unreachable, "{e}");
    let text = e.to_string();
    eprintln!("{text}");
    assert_no_secret(&text);
    assert!(text.contains("host 127.0.0.1, port 1"), "{text}");
}

#[test]
fn an_unknown_role_is_a_refused_login() {
    let db = pg::database();
    let url = pg::with_user(&db.url, "kit_nobody", Some(SECRET));
    let e = pg_err(connect(&url).err().expect("the connection should fail"));
    assert_eq!(e.kind, PgErrorKind::LoginRefused, "{e}");
    let text = e.to_string();
    eprintln!("{text}");
    assert_no_secret(&text);
    assert!(
        text.contains("kit_nobody") && text.contains("hint"),
        "{text}"
    );
}

#[test]
fn a_wrong_password_is_a_refused_login_and_never_printed() {
    let db = pg::database();
    let mut admin = db.client();
    admin
        .batch_execute(&format!(
            "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{r}') THEN \
             CREATE ROLE {r} LOGIN PASSWORD 'right-password'; END IF; END $$; \
             GRANT ALL ON DATABASE \"{d}\" TO {r}",
            r = pg::PASSWORD_ROLE,
            d = db.name
        ))
        .unwrap();
    let good = pg::with_user(&db.url, pg::PASSWORD_ROLE, Some("right-password"));
    connect(&good).unwrap();
    let bad = pg::with_user(&db.url, pg::PASSWORD_ROLE, Some(SECRET));
    match connect(&bad) {
        Ok(_) if !pg::server().owned => {
            eprintln!("the KIT_TEST_PG_URL server accepts any password for {}: wrong-password case not exercised", pg::PASSWORD_ROLE);
        }
        Ok(_) => panic!("a wrong password was accepted"),
        Err(e) => {
            let e = pg_err(e);
            assert_eq!(e.kind, PgErrorKind::LoginRefused, "{e}");
            assert_eq!(e.sqlstate.as_deref(), Some("28P01"), "{e}");
            let text = format!("{e} {e:?}");
            assert_no_secret(&text);
            assert!(text.contains("password"), "{text}");
        }
    }
    // A password is kept out of messages for other failures too.
    let missing = pg::with_dbname(&bad, "kit_missing_db");
    let text = format!("{:?}", connect(&missing).err());
    assert_no_secret(&text);
}

#[test]
fn a_missing_password_is_a_refused_login() {
    if !pg::server().owned {
        return;
    }
    let db = pg::database();
    let url = pg::with_user(&db.url, pg::PASSWORD_ROLE, None);
    let e = pg_err(connect(&url).err().expect("the connection should fail"));
    assert_eq!(e.kind, PgErrorKind::LoginRefused, "{e}");
    assert!(e.to_string().contains("DATABASE_URL"), "{e}");
}

#[test]
fn every_url_form_parses() {
    let c = parse("postgresql:///app?host=/run/x&port=5433&user=postgres").unwrap();
    assert_eq!(c.get_dbname(), Some("app"));
    assert_eq!(c.get_ports(), &[5433]);
    let c = parse("postgres://u:p@db.internal:6543/shop").unwrap();
    assert_eq!(c.get_user(), Some("u"));
    assert_eq!(c.get_dbname(), Some("shop"));
}
