-- note: A view written `SELECT * FROM t` keeps compiling after a column of t is dropped, but
-- its columns silently change. PostgreSQL expands `*` when the view is created and refuses to
-- drop a column the view depends on; as a migration must work on both, kit must refuse too
-- (rather than judge views only by whether they still compile).
-- setup:
CREATE TABLE users (id INTEGER PRIMARY KEY, legacy_code TEXT, email TEXT);
CREATE VIEW all_users AS SELECT * FROM users;
INSERT INTO users VALUES (1, 'L1', 'a@x');
-- change:
ALTER TABLE users DROP COLUMN legacy_code;
-- expect-error: all_users
-- expect: SELECT * FROM all_users
1|L1|a@x
