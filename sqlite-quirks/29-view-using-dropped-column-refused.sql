-- note: SQLite lets you drop a column that a view uses (DROP COLUMN checks only the table; a
-- rebuild checks nothing) and the view fails only when next read. PostgreSQL refuses the
-- drop. kit must refuse it too, naming the view, and change nothing.
-- setup:
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, legacy_code TEXT, age INT);
CREATE VIEW user_codes AS SELECT id, legacy_code FROM users;
INSERT INTO users VALUES (1, 'a@x', 'L1', 30);
-- change:
ALTER TABLE users DROP COLUMN legacy_code;
-- expect-error: user_codes
-- expect: SELECT * FROM user_codes
1|L1
