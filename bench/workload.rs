//! The reference workload of issue 4 (users + orders, N rows each, fixed seed): its schema, the
//! row generator, building the database file, and checking a rebuilt database against what each
//! change must leave. Keep it exactly, so figures compare across time.

use super::*;

/// Seed of the row generator ("kit-benc").
pub(crate) const SEED: u64 = 0x6b69_742d_6265_6e63;

pub(crate) const USERS_DDL: &str = "CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL UNIQUE, name TEXT, age INTEGER CHECK (age >= 0), legacy TEXT, created_at TEXT DEFAULT CURRENT_TIMESTAMP)";
pub(crate) const USERS_NAME_IDX: &str = "CREATE INDEX users_name ON users (name)";
pub(crate) const USERS_AGE_IDX: &str =
    "CREATE INDEX users_age_over_60 ON users (age) WHERE age > 60";
pub(crate) const USERS_TRIGGER: &str = "CREATE TRIGGER users_email_touch AFTER UPDATE OF email ON users BEGIN UPDATE users SET created_at = CURRENT_TIMESTAMP WHERE id = NEW.id; END";
pub(crate) const USERS_VIEW: &str =
    "CREATE VIEW users_public AS SELECT id, email, name, age FROM users";
pub(crate) const ORDERS_DDL: &str = "CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE, amount_cents INTEGER NOT NULL)";
pub(crate) const ORDERS_IDX: &str = "CREATE INDEX orders_user_id ON orders (user_id)";

/// W1, a copy is required.
pub(crate) const W1: &str = "ALTER TABLE users DROP COLUMN legacy; ALTER TABLE users ALTER COLUMN age TYPE TEXT; ALTER TABLE users ALTER COLUMN name SET NOT NULL";
/// W2, no copy is needed.
pub(crate) const W2: &str =
    "ALTER TABLE users ALTER COLUMN name SET NOT NULL; ALTER TABLE users DROP COLUMN legacy";

pub(crate) const FIRST: [&str; 16] = [
    "Ada", "Alan", "Barbara", "Claude", "Dennis", "Edsger", "Frances", "Grace", "Hedy", "Ivan",
    "John", "Ken", "Linus", "Margaret", "Niklaus", "Radia",
];
pub(crate) const LAST: [&str; 16] = [
    "Allen",
    "Backus",
    "Codd",
    "Dijkstra",
    "Engelbart",
    "Floyd",
    "Gray",
    "Hamilton",
    "Hopper",
    "Knuth",
    "Lamport",
    "Liskov",
    "McCarthy",
    "Perlman",
    "Ritchie",
    "Wirth",
];

/// splitmix64: small, fast, and the same on every machine.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Builds the reference database with `n` users and `n` orders at `path`.
pub(crate) fn build_workload(path: &Path, n: u64) -> rusqlite::Result<()> {
    let _ = fs::remove_file(path);
    let mut conn = Connection::open(path)?;
    conn.execute_batch(
        "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -262144;",
    )?;
    let tx = conn.transaction()?;
    for ddl in [
        USERS_DDL,
        USERS_NAME_IDX,
        USERS_AGE_IDX,
        USERS_TRIGGER,
        USERS_VIEW,
        ORDERS_DDL,
        ORDERS_IDX,
    ] {
        tx.execute_batch(ddl)?;
    }
    let mut rng = Rng(SEED);
    {
        let mut ins =
            tx.prepare("INSERT INTO users (email, name, age, legacy) VALUES (?1, ?2, ?3, ?4)")?;
        const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
        let mut legacy = String::with_capacity(20);
        for i in 1..=n {
            let name = format!(
                "{} {}",
                FIRST[rng.below(16) as usize],
                LAST[rng.below(16) as usize]
            );
            let age = rng.below(90) as i64;
            legacy.clear();
            for _ in 0..20 {
                legacy.push(ALNUM[rng.below(ALNUM.len() as u64) as usize] as char);
            }
            ins.execute(params![format!("u{i}@example.com"), name, age, legacy])?;
        }
        let mut ins = tx.prepare("INSERT INTO orders (user_id, amount_cents) VALUES (?1, ?2)")?;
        for _ in 0..n {
            let user = 1 + rng.below(n) as i64;
            let amount = rng.below(100_000) as i64;
            ins.execute(params![user, amount])?;
        }
    }
    tx.commit()?;
    conn.execute_batch("PRAGMA journal_mode = DELETE;")?;
    Ok(())
}

/// Sums that must survive any of the changes unchanged.
pub(crate) fn fingerprint(conn: &Connection) -> rusqlite::Result<(i64, i64, i64, i64, i64)> {
    let (users, emails, ages, names): (i64, i64, i64, i64) = conn.query_row(
        "SELECT count(*), total(length(email)), total(age), total(length(name)) FROM users",
        [],
        |r| {
            Ok((
                r.get(0)?,
                r.get::<_, f64>(1)? as i64,
                r.get::<_, f64>(2)? as i64,
                r.get::<_, f64>(3)? as i64,
            ))
        },
    )?;
    let orders: i64 = conn.query_row(
        "SELECT count(*) * 1000003 + total(user_id) FROM orders",
        [],
        |r| Ok(r.get::<_, f64>(0)? as i64),
    )?;
    Ok((users, emails, ages, names, orders))
}

/// What a correct W1/W2 result must look like; returns the differences found.
pub(crate) fn verify(
    path: &Path,
    w: Workload,
    expect: (i64, i64, i64, i64, i64),
    n: u64,
    journal: Journal,
) -> Vec<String> {
    let mut problems = Vec::new();
    let conn = match Connection::open(path) {
        Ok(c) => c,
        Err(e) => return vec![format!("cannot open result: {e}")],
    };
    let mut p = |s: String| problems.push(s);
    match fingerprint(&conn) {
        Ok(f) if f == expect => {}
        Ok(f) => p(format!("rows differ: {f:?} != {expect:?}")),
        Err(e) => p(format!("cannot read rows: {e}")),
    }
    let cols: Vec<(String, String, bool)> = conn
        .prepare("SELECT name, type, \"notnull\" FROM pragma_table_info('users') ORDER BY cid")
        .and_then(|mut s| {
            s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect()
        })
        .unwrap_or_default();
    let names: Vec<&str> = cols.iter().map(|c| c.0.as_str()).collect();
    if names != ["id", "email", "name", "age", "created_at"] {
        p(format!("users columns are {names:?}"));
    }
    let want_age = if w == Workload::W1 { "TEXT" } else { "INTEGER" };
    if let Some(c) = cols.iter().find(|c| c.0 == "age") {
        if !c.1.eq_ignore_ascii_case(want_age) {
            p(format!("age has type {} (want {want_age})", c.1));
        }
    }
    if let Some(c) = cols.iter().find(|c| c.0 == "name") {
        if !c.2 {
            p("name is not NOT NULL".into());
        }
    }
    let users_sql: String = conn
        .query_row(
            "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'users'",
            [],
            |r| r.get(0),
        )
        .unwrap_or_default();
    let upper = users_sql.to_ascii_uppercase();
    for piece in ["AUTOINCREMENT", "CHECK", "UNIQUE", "CURRENT_TIMESTAMP"] {
        if !upper.contains(piece) {
            p(format!("users lost {piece}"));
        }
    }
    for (kind, name, must) in [
        ("index", "users_name", "ON USERS"),
        ("index", "users_age_over_60", "WHERE AGE > 60"),
        ("trigger", "users_email_touch", "AFTER UPDATE OF EMAIL"),
        ("view", "users_public", "FROM USERS"),
        ("index", "orders_user_id", "ON ORDERS"),
    ] {
        let sql: Option<String> = conn
            .query_row(
                "SELECT sql FROM sqlite_schema WHERE type = ?1 AND name = ?2",
                [kind, name],
                |r| r.get(0),
            )
            .ok();
        match sql {
            None => p(format!("{kind} {name} lost")),
            Some(s) if !s.to_ascii_uppercase().contains(must) => {
                p(format!("{kind} {name} changed: {s}"))
            }
            _ => {}
        }
    }
    let orders_sql: String = conn
        .query_row(
            "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'orders'",
            [],
            |r| r.get(0),
        )
        .unwrap_or_default();
    if !orders_sql.to_ascii_uppercase().contains("REFERENCES USERS") {
        p(format!("orders' foreign key changed: {orders_sql}"));
    }
    let seq: Option<i64> = conn
        .query_row(
            "SELECT seq FROM sqlite_sequence WHERE name = 'users'",
            [],
            |r| r.get(0),
        )
        .ok();
    if seq != Some(n as i64) {
        p(format!("sqlite_sequence for users is {seq:?}, want {n}"));
    }
    if let Err(e) = conn.query_row("SELECT count(*) FROM users_public", [], |r| {
        r.get::<_, i64>(0)
    }) {
        p(format!("view users_public broken: {e}"));
    }
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap_or_default();
    let want_mode = match journal {
        Journal::Delete => "delete",
        Journal::Wal => "wal",
    };
    if !mode.eq_ignore_ascii_case(want_mode) {
        p(format!("journal_mode is {mode}, want {want_mode}"));
    }
    // Every index of `users` must hold exactly its table's rows.
    let integrity: Vec<String> = conn
        .prepare("PRAGMA integrity_check(users)")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .unwrap_or_else(|e| vec![e.to_string()]);
    if integrity != ["ok"] {
        p(format!("integrity_check(users): {}", integrity.join("; ")));
    }
    let fk: i64 = conn
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .unwrap_or(-1);
    if fk != 0 {
        p(format!("foreign_key_check reports {fk} rows"));
    }
    problems
}
