-- note: SQLite's ADD COLUMN only edits the stored CREATE TABLE: it inserts ", <definition>" at
-- the comma that starts the table constraints (or at the closing parenthesis when there are
-- none), not at the end of the list, and then re-reads the whole schema, so N of them cost
-- O(N^2). kit runs the first ADD COLUMN of a run natively and writes the others as one edit of
-- the stored definition that makes exactly the text the native statements make.
-- setup:
CREATE TABLE t (
  id INTEGER,
  a INT,
  PRIMARY KEY (id)
);
INSERT INTO t (id, a) VALUES (1, 10), (2, 20);
-- change:
ALTER TABLE t ADD COLUMN b TEXT DEFAULT 'x', ADD COLUMN c INT, ADD COLUMN d REAL DEFAULT 1.5;
-- expect-plan:
t native
t edit
-- expect-sql: t
CREATE TABLE t (
  id INTEGER,
  a INT, b TEXT DEFAULT 'x', c INT, d REAL DEFAULT 1.5,
  PRIMARY KEY (id)
)
-- expect: SELECT id, a, b, c, d FROM t ORDER BY id
1|10|x|NULL|1.5
2|20|x|NULL|1.5
-- after:
INSERT INTO t (id, a) VALUES (3, 30);
-- expect: SELECT b, d FROM t WHERE id = 3
x|1.5
