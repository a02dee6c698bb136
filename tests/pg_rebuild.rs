//! `kit rebuild --db postgresql://...`: an ad hoc change runs natively on PostgreSQL in one
//! transaction, translated against the live tables read from the catalog (a type change gets
//! the `USING` PostgreSQL needs, a boolean default becomes `true`, an unnamed constraint is
//! dropped by the name PostgreSQL gave it), and `--dry-run` prints the exact SQL.

mod common;
#[path = "common/pg.rs"]
mod pg;

use common::{kit, run};

fn rows(c: &mut postgres::Client, sql: &str) -> Vec<String> {
    c.query(sql, &[])
        .unwrap()
        .iter()
        .map(|r| r.get::<_, String>(0))
        .collect()
}

#[test]
fn changes_are_translated_against_the_live_tables() {
    let db = pg::database();
    let mut c = db.client();
    c.batch_execute(
        "CREATE TABLE users (id bigint PRIMARY KEY, age text, active boolean, email text UNIQUE);
         INSERT INTO users VALUES (1, '30', true, 'a@x'), (2, '41', false, 'b@x');",
    )
    .unwrap();
    let change = "ALTER TABLE users ALTER COLUMN age TYPE INTEGER, ALTER COLUMN active SET DEFAULT 1; ALTER TABLE users DROP CONSTRAINT users_email_key";
    let dry = run(kit().args(["rebuild", "--db", &db.url, "--sql", change, "--dry-run"]));
    dry.assert_ok();
    assert!(dry.stdout.contains("USING"), "{}", dry.show());
    assert!(dry.stdout.contains("SET DEFAULT true"), "{}", dry.show());
    assert_eq!(
        rows(&mut c, "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'age'"),
        ["text"],
        "a dry run changes nothing"
    );
    let out = run(kit().args(["rebuild", "--db", &db.url, "--sql", change]));
    out.assert_ok();
    assert_eq!(
        rows(&mut c, "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'age'"),
        ["bigint"]
    );
    assert_eq!(
        rows(&mut c, "SELECT age::text FROM users ORDER BY id"),
        ["30", "41"]
    );
    assert_eq!(
        rows(
            &mut c,
            "SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef WHERE adrelid = 'users'::regclass"
        ),
        ["true"]
    );
    assert!(rows(&mut c, "SELECT conname::text FROM pg_constraint WHERE conrelid = 'users'::regclass AND contype = 'u'").is_empty());
}

#[test]
fn a_failing_change_leaves_postgresql_unchanged() {
    let db = pg::database();
    let mut c = db.client();
    c.batch_execute(
        "CREATE TABLE t (id bigint PRIMARY KEY, v text); INSERT INTO t VALUES (1, NULL);",
    )
    .unwrap();
    let out = run(kit().args([
        "rebuild",
        "--db",
        &db.url,
        "--sql",
        "ALTER TABLE t ADD COLUMN w TEXT;\nALTER TABLE t ALTER COLUMN v SET NOT NULL",
    ]));
    out.assert_code(1);
    out.assert_stderr_has(&["23502", "line 2"]);
    assert_eq!(
        rows(&mut c, "SELECT attname::text FROM pg_attribute WHERE attrelid = 't'::regclass AND attnum > 0 ORDER BY attnum"),
        ["id", "v"]
    );
}

/// A rename made with `kit rebuild` on a live database renames the constraints that carry
/// default names, as a migration's rename does (so they keep agreeing with SQLite's default
/// names); explicitly named ones, and a second CHECK PostgreSQL had to number, keep theirs.
#[test]
fn renames_rename_default_named_constraints_on_the_live_database() {
    let db = pg::database();
    let mut c = db.client();
    c.batch_execute(
        "CREATE TABLE users (id bigint PRIMARY KEY, email text UNIQUE);
         CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users(id),
           total double precision CHECK (total >= 0), CONSTRAINT orders_total_small CHECK (total < 1e9),
           CONSTRAINT orders_total_check1 CHECK (total <> 13));",
    )
    .unwrap();
    let change = "ALTER TABLE orders RENAME COLUMN total TO amount; ALTER TABLE orders RENAME TO purchases; ALTER TABLE users RENAME COLUMN email TO mail";
    let out = run(kit().args(["rebuild", "--db", &db.url, "--sql", change]));
    out.assert_ok();
    let names = |c: &mut postgres::Client, t: &str| {
        rows(
            c,
            &format!("SELECT conname::text FROM pg_constraint WHERE conrelid = '{t}'::regclass ORDER BY 1"),
        )
    };
    assert_eq!(
        names(&mut c, "purchases"),
        [
            "orders_total_check1",
            "orders_total_small",
            "purchases_amount_check",
            "purchases_pkey",
            "purchases_user_id_fkey"
        ]
    );
    assert_eq!(names(&mut c, "users"), ["users_mail_key", "users_pkey"]);
    // The default names now address them, as on SQLite.
    let drop = "ALTER TABLE purchases DROP CONSTRAINT purchases_amount_check, DROP CONSTRAINT purchases_user_id_fkey";
    run(kit().args(["rebuild", "--db", &db.url, "--sql", drop])).assert_ok();
    assert_eq!(
        names(&mut c, "purchases"),
        [
            "orders_total_check1",
            "orders_total_small",
            "purchases_pkey"
        ]
    );
}
