-- note: A STRICT table rejects values of the wrong type instead of storing them. The `STRICT`
-- keyword sits after the closing parenthesis, where a rebuild that regenerates the CREATE
-- statement from a parsed model easily drops it. After a rebuild the table must still be
-- STRICT (pragma table_list) and still reject wrong types.
-- setup:
CREATE TABLE metrics (id INTEGER PRIMARY KEY, name TEXT NOT NULL, value REAL, note ANY) STRICT;
INSERT INTO metrics VALUES (1, 'cpu', 0.5, 'x'), (2, 'mem', 3, 7);
-- change:
ALTER TABLE metrics ALTER COLUMN note TYPE TEXT;
-- expect-plan:
metrics rebuild
-- expect: SELECT strict, wr FROM pragma_table_list('metrics')
1|0
-- expect: SELECT id, name, value, typeof(value), note, typeof(note) FROM metrics ORDER BY id
1|cpu|0.5|real|x|text
2|mem|3.0|real|7|text
-- expect-statement-error: INSERT INTO metrics (name, value) VALUES ('disk', 'lots')
cannot store TEXT value in REAL column
