-- note: Changes SQLite can make in place must not copy the table: RENAME COLUMN, ADD COLUMN of a
-- plain nullable column with a constant default, DROP COLUMN of an unused column (native
-- ALTER TABLE), and SET NOT NULL, DROP NOT NULL, ADD CHECK, DROP CHECK (an edit of the stored
-- definition after the rows are checked). One table per change here, so each is one step.
-- setup:
CREATE TABLE a (id INTEGER PRIMARY KEY, old_name TEXT);
CREATE TABLE b (id INTEGER PRIMARY KEY, x TEXT);
CREATE TABLE c (id INTEGER PRIMARY KEY, unused TEXT, kept TEXT);
CREATE TABLE d (id INTEGER PRIMARY KEY, must TEXT);
CREATE TABLE e (id INTEGER PRIMARY KEY, may TEXT NOT NULL);
CREATE TABLE f (id INTEGER PRIMARY KEY, n INT);
CREATE TABLE g (id INTEGER PRIMARY KEY, n INT CHECK (n > 0));
INSERT INTO a VALUES (1, 'v');
INSERT INTO b VALUES (1, 'v');
INSERT INTO c VALUES (1, 'u', 'k');
INSERT INTO d VALUES (1, 'm');
INSERT INTO e VALUES (1, 'm');
INSERT INTO f VALUES (1, 5);
INSERT INTO g VALUES (1, 5);
-- change:
ALTER TABLE a RENAME COLUMN old_name TO new_name;
ALTER TABLE b ADD COLUMN y INT DEFAULT 7;
ALTER TABLE c DROP COLUMN unused;
ALTER TABLE d ALTER COLUMN must SET NOT NULL;
ALTER TABLE e ALTER COLUMN may DROP NOT NULL;
ALTER TABLE f ADD CONSTRAINT f_n_positive CHECK (n > 0);
ALTER TABLE g DROP CONSTRAINT g_n_check;
-- expect-plan:
a native
b native
c native
d edit
e edit
f edit
g edit
-- expect: SELECT new_name FROM a
v
-- expect: SELECT x, y FROM b
v|7
-- expect: SELECT * FROM c
1|k
-- expect-statement-error: INSERT INTO d (must) VALUES (NULL)
NOT NULL constraint failed
-- expect-statement-error: INSERT INTO f (n) VALUES (0)
CHECK constraint failed
-- after:
INSERT INTO e (may) VALUES (NULL);
INSERT INTO g (n) VALUES (0);
-- expect: SELECT count(*) FROM e WHERE may IS NULL
1
-- expect: SELECT count(*) FROM g WHERE n = 0
1
