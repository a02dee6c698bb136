-- note: SQLite's native DROP COLUMN refuses a column used in a table CHECK, a UNIQUE or a
-- foreign key of this table. PostgreSQL drops such constraints with the column (they cannot
-- outlive it). kit must do the same by rebuild: the multi-column CHECK and the UNIQUE that
-- involve the column disappear, constraints on other columns stay.
-- setup:
CREATE TABLE spans (id INTEGER PRIMARY KEY, lo INT, hi INT, tag TEXT, CHECK (lo <= hi), UNIQUE (hi, tag), CHECK (tag <> ''));
INSERT INTO spans VALUES (1, 1, 5, 'a'), (2, 2, 6, 'b');
-- change:
ALTER TABLE spans DROP COLUMN hi;
-- expect-plan:
spans rebuild
-- expect: SELECT * FROM spans ORDER BY id
1|1|a
2|2|b
-- expect: SELECT count(*) FROM pragma_index_list('spans')
0
-- expect-statement-error: INSERT INTO spans (lo, tag) VALUES (1, '')
CHECK constraint failed
