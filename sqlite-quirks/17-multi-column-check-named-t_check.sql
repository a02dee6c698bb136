-- note: PostgreSQL names an unnamed CHECK that uses several columns `<table>_check`, and one
-- that uses a single column `<table>_<column>_check`, also when it is written as a table
-- constraint. Dropping `t_check` must drop exactly the multi-column one.
-- setup:
CREATE TABLE ranges (id INTEGER PRIMARY KEY, lo INT, hi INT, CHECK (lo <= hi), CHECK (lo >= 0));
INSERT INTO ranges VALUES (1, 1, 5);
-- change:
ALTER TABLE ranges DROP CONSTRAINT ranges_check;
-- expect-plan:
ranges edit
-- after:
INSERT INTO ranges VALUES (2, 9, 3);
-- expect: SELECT id, lo, hi FROM ranges ORDER BY id
1|1|5
2|9|3
-- expect-statement-error: INSERT INTO ranges VALUES (3, -1, 3)
CHECK constraint failed
