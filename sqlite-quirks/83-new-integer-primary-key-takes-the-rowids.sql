-- note: A new INTEGER PRIMARY KEY column becomes the table's rowid alias, so its values are the
-- rowids. Copying the rows without naming the rowid would let SQLite number them 1..n again
-- (closing gaps, moving explicit rowids): kit copies the old rowids into the new key column,
-- so every row keeps the rowid it had (and references like FTS content rowids stay right).
-- The same holds when an old key column is dropped and a new one added in the same change.
-- setup:
CREATE TABLE nopk (a, b, c);
INSERT INTO nopk (rowid, a, b, c) VALUES (1, 1, 2, 3), (3, 2, 4, 5);
CREATE TABLE keyed (id INTEGER PRIMARY KEY, v TEXT);
INSERT INTO keyed (id, v) VALUES (1, 'x'), (2, 'y'), (4, 'z');
-- change:
ALTER TABLE nopk ADD COLUMN id INTEGER PRIMARY KEY;
ALTER TABLE keyed DROP COLUMN id, ADD COLUMN id INTEGER PRIMARY KEY;
-- expect-plan:
nopk rebuild
keyed rebuild
-- expect: SELECT rowid, id, a, b, c FROM nopk ORDER BY rowid
1|1|1|2|3
3|3|2|4|5
-- expect: SELECT rowid, id, v FROM keyed ORDER BY rowid
1|1|x
2|2|y
4|4|z
-- after:
INSERT INTO nopk (a) VALUES (9);
-- expect: SELECT id FROM nopk WHERE a = 9
4
