//! A self-contained tour: makes an example database, shows the plan for a change SQLite's
//! ALTER TABLE cannot do, applies it, and reads back what survived.
//!
//! Run with `cargo run --release --example demo [PATH]` (default: a temporary directory).

use rusqlite::Connection;

const SCHEMA: &str = "
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL UNIQUE,
    name TEXT,
    age INTEGER CHECK (age >= 0),   -- unnamed CHECK: PostgreSQL calls it users_age_check
    legacy TEXT,
    created_at TEXT DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX users_name ON users(name);
CREATE INDEX users_senior ON users(age) WHERE age > 60;
CREATE TABLE audit (msg TEXT);
CREATE TRIGGER users_email AFTER UPDATE OF email ON users BEGIN INSERT INTO audit VALUES ('email ' || new.email); END;
CREATE VIEW adults AS SELECT id, email, age FROM users WHERE age >= 18;
CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE, total REAL);
CREATE INDEX orders_user ON orders(user_id);
";

const CHANGE: &str = "ALTER TABLE users DROP COLUMN legacy;
ALTER TABLE users ALTER COLUMN age TYPE TEXT;
ALTER TABLE users ALTER COLUMN name SET NOT NULL;
ALTER TABLE users DROP CONSTRAINT users_age_check";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let path = std::env::args()
        .nth(1)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| dir.path().join("app.db"));
    let _ = std::fs::remove_file(&path);
    {
        let c = Connection::open(&path)?;
        c.execute_batch(SCHEMA)?;
        let tx = c.unchecked_transaction()?;
        for i in 1..=10_000 {
            tx.execute(
                "INSERT INTO users (email, name, age, legacy) VALUES (?1, ?2, ?3, 'xxxxxxxxxxxxxxxxxxxx')",
                (format!("u{i}@example.com"), format!("name {i}"), i % 90),
            )?;
            tx.execute(
                "INSERT INTO orders (user_id, total) VALUES (?1, ?2)",
                (i, i as f64 * 1.5),
            )?;
        }
        tx.execute("DELETE FROM users WHERE id = 10000", [])?; // AUTOINCREMENT must not reuse 10000
        tx.commit()?;
    }
    println!(
        "example database: {} (10,000 users, 9,999 orders)\n",
        path.display()
    );
    println!("change:\n{CHANGE}\n");

    let mut conn = kit::open(&path)?;
    let plan = kit::plan_sql(&conn, CHANGE)?;
    println!("plan (what `kit rebuild --dry-run` prints):");
    for line in plan.script() {
        println!("  {line}");
    }
    let summary = kit::apply(&mut conn, &plan)?;
    println!(
        "\napplied: {} rebuild(s), {} rows copied in {:.1?}",
        summary.rebuilds(),
        summary.rows_copied(),
        summary.elapsed
    );

    let q = |sql: &str| -> rusqlite::Result<String> {
        conn.query_row(sql, [], |r| r.get::<_, rusqlite::types::Value>(0))
            .map(|v| format!("{v:?}"))
    };
    println!("\nread back:");
    println!(
        "  users rows:              {}",
        q("SELECT count(*) FROM users")?
    );
    println!(
        "  orders rows (cascade FK): {}",
        q("SELECT count(*) FROM orders")?
    );
    println!(
        "  sqlite_sequence(users):  {}",
        q("SELECT seq FROM sqlite_sequence WHERE name = 'users'")?
    );
    println!(
        "  typeof(age):             {}",
        q("SELECT typeof(age) FROM users LIMIT 1")?
    );
    println!("  indexes on users:        {}", q("SELECT group_concat(name, ', ') FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'users'")?);
    println!(
        "  view adults rows:        {}",
        q("SELECT count(*) FROM adults")?
    );
    conn.execute(
        "UPDATE users SET email = 'new@example.com' WHERE id = 1",
        [],
    )?;
    println!("  trigger fired:           {}", q("SELECT msg FROM audit")?);
    conn.execute("DELETE FROM users WHERE id = 2", [])?;
    println!(
        "  cascade after delete:    {}",
        q("SELECT count(*) FROM orders WHERE user_id = 2")?
    );
    println!(
        "  integrity_check:         {}",
        q("PRAGMA integrity_check")?
    );
    println!(
        "\ntable definition now:\n{}",
        q("SELECT sql FROM sqlite_schema WHERE name = 'users'")?.replace("\\n", "\n")
    );
    Ok(())
}
