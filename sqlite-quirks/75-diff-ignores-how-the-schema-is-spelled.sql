-- note: SQLite stores each CREATE statement exactly as written: quoting, keyword case, comments,
-- spacing and `IF NOT EXISTS` all stay in sqlite_schema. The diff compares definitions token by
-- token with identifiers unquoted and case-folded, so a schema spelled differently from the
-- database is no change at all.
-- setup:
CREATE TABLE users(id integer primary key, email text not null unique, age int check(age>=0));
CREATE INDEX users_age ON users(age) WHERE age > 60;
CREATE VIEW adults AS SELECT id FROM users WHERE age >= 18;
-- target:
create table if not exists "Users" (
  "id"    INTEGER PRIMARY KEY,       -- the key
  email   TEXT NOT NULL UNIQUE,
  [age]   INT CHECK (age >= 0)
);
CREATE INDEX IF NOT EXISTS "users_age" ON "users" ("age") WHERE "age" > 60;
CREATE VIEW adults AS
  SELECT id
  FROM users
  WHERE age >= 18;
-- expect-diff:
-- expect: SELECT count(*) FROM users
0
