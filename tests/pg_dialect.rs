//! Dialect blocks and the PostgreSQL splitter on a real server: the PostgreSQL statements of a
//! mixed file run there as split, and the trigger they create works.

#[path = "common/pg.rs"]
mod pg;

use kit::dialect::{statements, Dialect};

const FILE: &str = "CREATE TABLE users (id bigint PRIMARY KEY, name text, updated_at timestamptz);
-- kit:only postgresql
CREATE FUNCTION users_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now(); -- a ; inside the body
  RETURN NEW;
END $$;
CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION users_touch();
CREATE FUNCTION twice(a int) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT a * 2; END;
INSERT INTO users (id, name) VALUES (1, E'it\\'s; fine'), (2, $q$a;b$q$);
-- kit:only sqlite
INSERT INTO users (id, name) VALUES (1, 'it''s; fine'), (2, 'a;b');
CREATE TRIGGER users_touch AFTER UPDATE ON users BEGIN UPDATE users SET updated_at = CURRENT_TIMESTAMP WHERE id = NEW.id; END;
-- kit:all
UPDATE users SET name = name || '!' WHERE id = 1;
";

#[test]
fn postgres_statements_of_a_mixed_file_run_as_split() {
    let db = pg::database();
    let mut c = db.client();
    let pieces = statements(FILE, Dialect::Postgres).unwrap();
    assert_eq!(pieces.len(), 6);
    for p in &pieces {
        c.batch_execute(&p.text)
            .unwrap_or_else(|e| panic!("{}: {}", p.text, pg::show(&e)));
    }
    let row = c
        .query_one(
            "SELECT name, updated_at IS NOT NULL FROM users WHERE id = 1",
            &[],
        )
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "it's; fine!");
    assert!(row.get::<_, bool>(1), "the trigger set updated_at");
    let name: String = c
        .query_one("SELECT name FROM users WHERE id = 2", &[])
        .unwrap()
        .get(0);
    assert_eq!(name, "a;b");
    let four: i32 = c.query_one("SELECT twice(2)", &[]).unwrap().get(0);
    assert_eq!(four, 4);
}

#[test]
fn sqlite_gets_only_its_own_block() {
    let pieces = statements(FILE, Dialect::Sqlite).unwrap();
    let texts: Vec<&str> = pieces.iter().map(|p| p.text.as_str()).collect();
    assert_eq!(texts.len(), 4, "{texts:#?}");
    assert!(texts[2].starts_with("CREATE TRIGGER users_touch AFTER UPDATE"));
    assert!(!texts.iter().any(|t| t.contains("plpgsql")));
    let c = rusqlite::Connection::open_in_memory().unwrap();
    for t in &texts {
        c.execute_batch(t).unwrap();
    }
    let (name, touched): (String, bool) = c
        .query_row(
            "SELECT name, updated_at IS NOT NULL FROM users WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((name.as_str(), touched), ("it's; fine!", true));
}
