//! The diff cases `tests/diff.rs` (SQLite) and `tests/pg_diff.rs` (PostgreSQL) both run: a
//! `before` schema and its rows, an `after` schema, and, where the two databases agree to the
//! letter, the statements the diff must be. Each file runs a case through its own round trip
//! with [`Case::run`] and adds the checks only its database makes.
//!
//! Include it from a test file with `#[path = "common/diff_cases.rs"] mod diff_cases;`.
#![allow(dead_code)]

use kit::diff::{Diff, Renames};

/// One diff case, run by both dialects' round trips.
pub struct Case {
    pub before: &'static str,
    pub after: &'static str,
    pub rows: &'static str,
    /// Columns (`table.column`, before names) compared as text after the up script.
    pub loose: &'static [&'static str],
    /// The statements the diff must be on both databases; empty where each file checks its own.
    pub stmts: &'static [&'static str],
}

impl Case {
    /// Runs the case through a dialect's `roundtrip_loose` and checks [`Case::stmts`].
    pub fn run(&self, roundtrip_loose: fn(&str, &str, &str, &[&str]) -> Diff) -> Diff {
        let d = roundtrip_loose(self.before, self.after, self.rows, self.loose);
        if !self.stmts.is_empty() {
            assert_eq!(stmts(&d), self.stmts, "{}", self.after);
        }
        d
    }
}

/// The statements of a diff.
pub fn stmts(d: &Diff) -> Vec<&str> {
    d.changes.iter().map(|c| c.sql.as_str()).collect()
}

/// Asserts that each of `wanted` is among the diff's statements.
pub fn assert_has_stmts(d: &Diff, wanted: &[&str]) {
    let s = stmts(d);
    for w in wanted {
        assert!(s.contains(w), "{w} is not among {s:?}");
    }
}

/// The down script, as `kit revision` writes it: each change's inverse, newest first.
pub fn down_script(d: &Diff) -> String {
    let mut s = String::new();
    for c in d.changes.iter().rev() {
        for q in &c.inverse {
            s.push_str(q);
            s.push_str(";\n");
        }
    }
    s
}

/// The name table `t` has after the up script: the table renamed from it, else `t`, whichever
/// `exists`.
pub fn table_after(renames: &Renames, t: &str, exists: impl Fn(&str) -> bool) -> Option<String> {
    renames
        .tables
        .iter()
        .find(|(new, old)| old.eq_ignore_ascii_case(t) && exists(new))
        .map(|(new, _)| new.clone())
        .or_else(|| exists(t).then(|| t.to_string()))
}

/// The name column `c` has after the up script in table `new_t`: the column renamed from it,
/// else `c`, whichever `exists` there.
pub fn column_after(
    renames: &Renames,
    new_t: &str,
    c: &str,
    exists: impl Fn(&str) -> bool,
) -> Option<String> {
    renames
        .columns
        .iter()
        .find(|((tn, cn), old)| {
            tn.eq_ignore_ascii_case(new_t) && old.eq_ignore_ascii_case(c) && exists(cn)
        })
        .map(|((_, cn), _)| cn.clone())
        .or_else(|| exists(c).then(|| c.to_string()))
}

pub const USERS: &str =
    "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, age INTEGER, legacy TEXT);";
pub const USER_ROWS: &str =
    "INSERT INTO users VALUES (1, 'a@x', 30, 'old'), (2, 'b@x', NULL, NULL), (5, 'c@x', 41, 'x');";

// ---------------------------------------------------------------------------------------------
// Columns added, dropped, renamed

pub const ADD_COLUMN_WITH_REFERENCES: Case = Case {
    before: "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);
        CREATE TABLE posts (id INTEGER PRIMARY KEY, title TEXT);",
    after: "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);
        CREATE TABLE posts (id INTEGER PRIMARY KEY, title TEXT,
            author_id INTEGER REFERENCES users (id) ON DELETE CASCADE);",
    rows: "INSERT INTO users VALUES (1, 'a'); INSERT INTO posts VALUES (1, 't1'), (2, 't2');",
    loose: &[],
    stmts: &[
        r#"ALTER TABLE "posts" ADD COLUMN "author_id" INTEGER REFERENCES users (id) ON DELETE CASCADE"#,
    ],
};

pub const DROP_COLUMN: Case = Case {
    before: USERS,
    after: "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, age INTEGER);",
    rows: USER_ROWS,
    loose: &[],
    stmts: &[r#"ALTER TABLE "users" DROP COLUMN "legacy""#],
};

pub const DROP_A_MIDDLE_COLUMN_WITH_AN_INDEX_AND_A_CHECK: Case = Case {
    before: "CREATE TABLE items (id INTEGER PRIMARY KEY, code TEXT CHECK (length(code) < 9),
            name TEXT, price REAL);
        CREATE INDEX items_code ON items (code);",
    after: "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, price REAL);",
    rows: "INSERT INTO items VALUES (1, 'a', 'apple', 1.5), (2, 'b', 'pear', NULL);",
    loose: &[],
    stmts: &[],
};

pub const RENAME_COLUMN_MARKER_ON_THE_LAST_COLUMN: Case = Case {
    before: "CREATE TABLE users (id INTEGER PRIMARY KEY, age INTEGER, email TEXT);",
    after: "CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            age INTEGER,
            mail TEXT -- kit:renamed-from email
        );",
    rows: "INSERT INTO users VALUES (1, 30, 'a@x'), (7, NULL, 'b@x');",
    loose: &[],
    stmts: &[r#"ALTER TABLE "users" RENAME COLUMN "email" TO "mail""#],
};

// ---------------------------------------------------------------------------------------------
// Tables renamed, added, dropped

const TABLES_BEFORE: &str = "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);
    CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id), body TEXT);";
const TABLES_ROWS: &str = "INSERT INTO users VALUES (1, 'a@x'), (2, 'b@x');
    INSERT INTO posts VALUES (10, 1, 'hi'), (11, 2, 'yo'), (12, NULL, 'anon');";

pub const RENAME_TABLE_MARKER_ON_THE_LINE_BEFORE: Case = Case {
    before: TABLES_BEFORE,
    after: "-- kit:renamed-from users
        CREATE TABLE members (id INTEGER PRIMARY KEY, email TEXT);
        CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES members (id), body TEXT);",
    rows: TABLES_ROWS,
    loose: &[],
    stmts: &[r#"ALTER TABLE "users" RENAME TO "members""#],
};

pub const RENAME_TABLE_MARKER_ON_THE_CREATE_LINE: Case = Case {
    before: TABLES_BEFORE,
    after: "CREATE TABLE members ( -- kit:renamed-from users
            id INTEGER PRIMARY KEY,
            email TEXT
        );
        CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES members (id), body TEXT);",
    rows: TABLES_ROWS,
    loose: &[],
    stmts: &[r#"ALTER TABLE "users" RENAME TO "members""#],
};

pub const RENAME_TABLE_AND_COLUMN_TOGETHER: Case = Case {
    before: TABLES_BEFORE,
    after: "-- kit:renamed-from users
        CREATE TABLE members (
            id INTEGER PRIMARY KEY,
            mail TEXT -- kit:renamed-from email
        );
        CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES members (id), body TEXT);",
    rows: TABLES_ROWS,
    loose: &[],
    stmts: &[
        r#"ALTER TABLE "users" RENAME TO "members""#,
        r#"ALTER TABLE "members" RENAME COLUMN "email" TO "mail""#,
    ],
};

/// The parent's key is renamed; the child table is renamed and a column of it made NOT NULL.
pub const REFERENCED_KEY_RENAMED_WITH_A_TABLE_RENAME_AND_OTHER_CHANGES: Case = Case {
    before: "CREATE TABLE users (uid INTEGER PRIMARY KEY, email TEXT);
        CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (uid), body TEXT);",
    after: "CREATE TABLE users (
            id INTEGER PRIMARY KEY, -- kit:renamed-from uid
            email TEXT
        );
        -- kit:renamed-from posts
        CREATE TABLE articles (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id), body TEXT NOT NULL);",
    rows: TABLES_ROWS,
    loose: &[],
    stmts: &[],
};

/// Asserts that the diff of [`REFERENCED_KEY_RENAMED_WITH_A_TABLE_RENAME_AND_OTHER_CHANGES`]
/// renames the child table and the parent's key.
pub fn assert_renames_of_the_referenced_key_case(d: &Diff) {
    assert_has_stmts(
        d,
        &[
            r#"ALTER TABLE "posts" RENAME TO "articles""#,
            r#"ALTER TABLE "users" RENAME COLUMN "uid" TO "id""#,
        ],
    );
}

/// The new table of [`NEW_TABLE`], as the diff writes it.
pub const NEW_TABLE_SQL: &str = "CREATE TABLE tags (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id), tag TEXT NOT NULL)";

pub const NEW_TABLE: Case = Case {
    before: USERS,
    after: "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, age INTEGER, legacy TEXT);
CREATE TABLE tags (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id), tag TEXT NOT NULL);
CREATE INDEX tags_tag ON tags (tag);",
    rows: USER_ROWS,
    loose: &[],
    stmts: &[],
};

pub const DROPPED_PARENT_AND_CHILD_GO_CHILD_FIRST: Case = Case {
    before: "CREATE TABLE a (id INTEGER PRIMARY KEY);
        CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a (id));
        CREATE TABLE c (id INTEGER PRIMARY KEY, b_id INTEGER REFERENCES b (id));
        CREATE TABLE keep (x TEXT);",
    after: "CREATE TABLE keep (x TEXT);",
    rows: "INSERT INTO a VALUES (1); INSERT INTO b VALUES (1, 1); INSERT INTO c VALUES (1, 1);
         INSERT INTO keep VALUES ('k');",
    loose: &[],
    stmts: &[
        r#"DROP TABLE "c""#,
        r#"DROP TABLE "b""#,
        r#"DROP TABLE "a""#,
    ],
};

// ---------------------------------------------------------------------------------------------
// Column changes: collation, nullability, default

pub const COLLATION_ADDED: Case = Case {
    before: "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);",
    after: "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT COLLATE NOCASE);",
    rows: "INSERT INTO users VALUES (1, 'Ann'), (2, 'bob');",
    loose: &[],
    stmts: &[],
};

pub const COLLATION_REMOVED: Case = Case {
    before: "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT COLLATE NOCASE);
         CREATE INDEX users_name ON users (name);",
    after: "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);
         CREATE INDEX users_name ON users (name);",
    rows: "INSERT INTO users VALUES (1, 'Ann'), (2, 'ann');",
    loose: &[],
    stmts: &[],
};

pub const SET_NOT_NULL: Case = Case {
    before: USERS,
    after: "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, age INTEGER, legacy TEXT);",
    rows: USER_ROWS,
    loose: &[],
    stmts: &[r#"ALTER TABLE "users" ALTER COLUMN "email" SET NOT NULL"#],
};

pub const DROP_NOT_NULL: Case = Case {
    before: "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, age INTEGER);",
    after: "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, age INTEGER);",
    rows: "INSERT INTO users VALUES (1, 'a@x', 3), (2, 'b@x', NULL);",
    loose: &[],
    stmts: &[r#"ALTER TABLE "users" ALTER COLUMN "email" DROP NOT NULL"#],
};

pub const SET_DEFAULT: Case = Case {
    before: USERS,
    after: "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, age INTEGER DEFAULT 18, legacy TEXT);",
    rows: USER_ROWS,
    loose: &[],
    stmts: &[r#"ALTER TABLE "users" ALTER COLUMN "age" SET DEFAULT 18"#],
};

/// The second row takes its id explicitly: on PostgreSQL `INTEGER PRIMARY KEY` has no default.
pub const DROP_DEFAULT: Case = Case {
    before: "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT DEFAULT 'none', age INTEGER);",
    after: "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, age INTEGER);",
    rows: "INSERT INTO users VALUES (1, 'a@x', 3); INSERT INTO users (id, age) VALUES (2, 4);",
    loose: &[],
    stmts: &[],
};

// ---------------------------------------------------------------------------------------------
// Constraints

pub const ADD_TABLE_CHECK: Case = Case {
    before: "CREATE TABLE items (id INTEGER PRIMARY KEY, price REAL, cost REAL);",
    after:
        "CREATE TABLE items (id INTEGER PRIMARY KEY, price REAL, cost REAL, CHECK (price >= cost));",
    rows: "INSERT INTO items VALUES (1, 2.5, 1.0), (2, NULL, 3.0);",
    loose: &[],
    stmts: &[r#"ALTER TABLE "items" ADD CHECK (price >= cost)"#],
};

pub const DROP_NAMED_TABLE_CHECK: Case = Case {
    before: "CREATE TABLE items (id INTEGER PRIMARY KEY, price REAL, cost REAL,
            CONSTRAINT margin CHECK (price >= cost));",
    after: "CREATE TABLE items (id INTEGER PRIMARY KEY, price REAL, cost REAL);",
    rows: "INSERT INTO items VALUES (1, 2.5, 1.0), (2, NULL, 3.0);",
    loose: &[],
    stmts: &[r#"ALTER TABLE "items" DROP CONSTRAINT "margin""#],
};

pub const CHANGE_COLUMN_CHECK: Case = Case {
    before: "CREATE TABLE items (id INTEGER PRIMARY KEY, qty INTEGER CHECK (qty >= 0), name TEXT);",
    after: "CREATE TABLE items (id INTEGER PRIMARY KEY, qty INTEGER CHECK (qty >= 0 AND qty < 1000), name TEXT);",
    rows: "INSERT INTO items VALUES (1, 5, 'a'), (2, 0, 'b');",
    loose: &[],
    stmts: &[
        r#"ALTER TABLE "items" DROP CONSTRAINT "items_qty_check""#,
        r#"ALTER TABLE "items" ADD CHECK (qty >= 0 AND qty < 1000)"#,
    ],
};

pub const ADD_AND_DROP_COLUMN_CHECK: Case = Case {
    before: "CREATE TABLE items (id INTEGER PRIMARY KEY, qty INTEGER CHECK (qty >= 0), name TEXT);",
    after:
        "CREATE TABLE items (id INTEGER PRIMARY KEY, qty INTEGER, name TEXT CHECK (name <> ''));",
    rows: "INSERT INTO items VALUES (1, 5, 'a'), (2, 0, 'b');",
    loose: &[],
    stmts: &[],
};

pub const ADD_COLUMN_UNIQUE: Case = Case {
    before: USERS,
    after:
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE, age INTEGER, legacy TEXT);",
    rows: USER_ROWS,
    loose: &[],
    stmts: &[],
};

pub const DROP_TABLE_UNIQUE: Case = Case {
    before: "CREATE TABLE m (id INTEGER PRIMARY KEY, a TEXT, b TEXT, UNIQUE (a, b));",
    after: "CREATE TABLE m (id INTEGER PRIMARY KEY, a TEXT, b TEXT);",
    rows: "INSERT INTO m VALUES (1, 'x', 'y'), (2, 'x', 'z');",
    loose: &[],
    stmts: &[],
};

pub const COMPOSITE_PRIMARY_KEY_CHANGE: Case = Case {
    before: "CREATE TABLE grades (student INTEGER NOT NULL, course TEXT NOT NULL, term TEXT NOT NULL, grade TEXT,
            PRIMARY KEY (student, course));",
    after: "CREATE TABLE grades (student INTEGER NOT NULL, course TEXT NOT NULL, term TEXT NOT NULL, grade TEXT,
            PRIMARY KEY (student, course, term));",
    rows: "INSERT INTO grades VALUES (1, 'math', '2024a', 'A'), (1, 'art', '2024a', 'B'), (2, 'math', '2024b', NULL);",
    loose: &[],
    stmts: &[
        r#"ALTER TABLE "grades" DROP CONSTRAINT "grades_pkey""#,
        r#"ALTER TABLE "grades" ADD PRIMARY KEY (student, course, term)"#,
    ],
};

pub const FK_PARENT: &str = "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);";
pub const FK_ROWS: &str = "INSERT INTO users VALUES (1, 'a'), (2, 'b');
    INSERT INTO posts VALUES (10, 1, 'x'), (11, 2, 'y'), (12, NULL, 'z');";

pub const ADD_FOREIGN_KEY: Case = Case {
    before: "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);
        CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER, body TEXT);",
    after: "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);
        CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER, body TEXT,
            FOREIGN KEY (user_id) REFERENCES users (id));",
    rows: FK_ROWS,
    loose: &[],
    stmts: &[r#"ALTER TABLE "posts" ADD FOREIGN KEY (user_id) REFERENCES users (id)"#],
};

pub const DROP_FOREIGN_KEY: Case = Case {
    before: "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);
        CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id), body TEXT);",
    after: "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);
        CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER, body TEXT);",
    rows: FK_ROWS,
    loose: &[],
    stmts: &[r#"ALTER TABLE "posts" DROP CONSTRAINT "posts_user_id_fkey""#],
};

// ---------------------------------------------------------------------------------------------
// Indexes and views

pub const IDX_TABLE: &str =
    "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, name TEXT, age INTEGER);";
pub const IDX_ROWS: &str =
    "INSERT INTO users VALUES (1, 'a@x', 'Ann', 30), (2, 'b@x', 'bob', NULL);";

pub const INDEX_ADDED: Case = Case {
    before: IDX_TABLE,
    after: "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, name TEXT, age INTEGER);
        CREATE INDEX users_adults ON users (age DESC) WHERE age >= 18;",
    rows: IDX_ROWS,
    loose: &[],
    stmts: &["CREATE INDEX users_adults ON users (age DESC) WHERE age >= 18"],
};

pub const INDEX_DROPPED: Case = Case {
    before: "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, name TEXT, age INTEGER);
        CREATE UNIQUE INDEX users_email ON users (lower(email));",
    after: IDX_TABLE,
    rows: IDX_ROWS,
    loose: &[],
    stmts: &[r#"DROP INDEX "users_email""#],
};

/// Index `users_name` of [`IDX_TABLE`] before and after a change (what follows `CREATE`), each
/// a difference of its own.
pub const INDEX_CHANGES: [(&str, &str); 5] = [
    (
        "INDEX users_name ON users (name)",
        "INDEX users_name ON users (name COLLATE NOCASE)",
    ),
    (
        "INDEX users_name ON users (name)",
        "INDEX users_name ON users (name DESC)",
    ),
    (
        "INDEX users_name ON users (name)",
        "INDEX users_name ON users (lower(name))",
    ),
    (
        "INDEX users_name ON users (name)",
        "INDEX users_name ON users (name) WHERE name IS NOT NULL",
    ),
    (
        "INDEX users_name ON users (name, age)",
        "INDEX users_name ON users (age, name)",
    ),
];

/// Runs index `users_name` changed `from` one form `to` another through a dialect's
/// `roundtrip` and checks that the diff drops and creates it.
pub fn assert_index_change(roundtrip: fn(&str, &str, &str) -> Diff, from: &str, to: &str) {
    let d = roundtrip(
        &format!("{IDX_TABLE} CREATE {from};"),
        &format!("{IDX_TABLE} CREATE {to};"),
        IDX_ROWS,
    );
    assert_eq!(
        stmts(&d),
        [
            r#"DROP INDEX "users_name""#.to_string(),
            format!("CREATE {to}")
        ],
        "{from} -> {to}"
    );
}

pub const VIEW_CHANGED: Case = Case {
    before: "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, name TEXT, age INTEGER);
        CREATE VIEW adults AS SELECT id, name FROM users WHERE age >= 18;",
    after: "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, name TEXT, age INTEGER);
        CREATE VIEW adults AS SELECT id, name, email FROM users WHERE age >= 21;",
    rows: IDX_ROWS,
    loose: &[],
    stmts: &[
        r#"DROP VIEW "adults""#,
        "CREATE VIEW adults AS SELECT id, name, email FROM users WHERE age >= 21",
    ],
};

pub const VIEW_DROPPED_AND_ADDED: Case = Case {
    before: "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, name TEXT, age INTEGER);
        CREATE VIEW old_v AS SELECT id FROM users;",
    after: "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, name TEXT, age INTEGER);
        CREATE VIEW new_v AS SELECT name FROM users;",
    rows: IDX_ROWS,
    loose: &[],
    stmts: &[
        r#"DROP VIEW "old_v""#,
        "CREATE VIEW new_v AS SELECT name FROM users",
    ],
};

pub const VIEW_ON_A_VIEW_CHANGED: Case = Case {
    before: "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, name TEXT, age INTEGER);
        CREATE VIEW adults AS SELECT id, name FROM users WHERE age >= 18;
        CREATE VIEW adult_names AS SELECT name FROM adults;",
    after: "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, name TEXT, age INTEGER);
        CREATE VIEW adults AS SELECT id, name, age FROM users WHERE age >= 18;
        CREATE VIEW adult_names AS SELECT name FROM adults;",
    rows: IDX_ROWS,
    loose: &[],
    stmts: &[],
};

pub const DROPPED_COLUMN_READ_BY_A_VIEW_THAT_CHANGES: Case = Case {
    before: "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, legacy TEXT);
         CREATE VIEW v AS SELECT id, legacy FROM users;",
    after: "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);
         CREATE VIEW v AS SELECT id, email FROM users;",
    rows: "INSERT INTO users VALUES (1, 'a', 'l'), (2, NULL, NULL);",
    loose: &[],
    stmts: &[],
};

// ---------------------------------------------------------------------------------------------
// Awkward identifiers

pub const IDENTIFIERS_WITH_SPACES_QUOTES_KEYWORDS_AND_NON_ASCII: Case = Case {
    before: r#"CREATE TABLE "order items" (
            id INTEGER PRIMARY KEY,
            "select" TEXT,
            "naïve ""q""" INTEGER,
            "from" TEXT
        );
        CREATE INDEX "order items by select" ON "order items" ("select");"#,
    after: r#"-- kit:renamed-from "order items"
        CREATE TABLE "línea ""de"" pedido" (
            id INTEGER PRIMARY KEY,
            "select" TEXT NOT NULL DEFAULT '',
            "naïve ""q""" TEXT,
            "where" TEXT, -- kit:renamed-from "from"
            "group" INTEGER
        );
        CREATE INDEX "order items by select" ON "línea ""de"" pedido" ("select" DESC);"#,
    rows: r#"INSERT INTO "order items" VALUES (1, 'a', 2, 'x'), (2, 'b', NULL, NULL);"#,
    loose: &[r#"order items.naïve "q""#],
    stmts: &[],
};

/// Asserts what both databases' scripts for
/// [`IDENTIFIERS_WITH_SPACES_QUOTES_KEYWORDS_AND_NON_ASCII`] contain: renames, not a drop.
pub fn assert_awkward_identifiers_renamed(script: &str) {
    let s = script;
    assert!(
        s.contains(r#"ALTER TABLE "order items" RENAME TO "línea ""de"" pedido""#),
        "{s}"
    );
    assert!(s.contains(r#"RENAME COLUMN "from" TO "where""#), "{s}");
    assert!(s.contains(r#"ALTER COLUMN "naïve ""q""" TYPE TEXT"#), "{s}");
    assert!(!s.contains("DROP COLUMN"), "{s}");
}
