-- note: A table without an INTEGER PRIMARY KEY still has rowids, and applications (and FTS
-- external-content tables, and `WHERE rowid = ?` caches) depend on them. A naive
-- `INSERT INTO new SELECT cols FROM old` renumbers them 1..n, closing the gaps left by
-- deletes and moving explicit rowids. kit must copy the rowid itself.
-- setup:
CREATE TABLE notes (title TEXT, body TEXT, rank INT);
INSERT INTO notes (title, body, rank) VALUES ('a', 'first', 1), ('b', 'second', 2), ('c', 'third', 3), ('d', 'fourth', 4), ('e', 'fifth', 5);
DELETE FROM notes WHERE title IN ('b', 'd');
INSERT INTO notes (rowid, title, body, rank) VALUES (100, 'z', 'explicit', 9);
-- change:
ALTER TABLE notes ALTER COLUMN rank TYPE TEXT;
-- expect-plan:
notes rebuild
-- expect: SELECT rowid, title, rank, typeof(rank) FROM notes ORDER BY rowid
1|a|1|text
3|c|3|text
5|e|5|text
100|z|9|text
-- after:
INSERT INTO notes (title) VALUES ('next');
-- expect: SELECT rowid FROM notes WHERE title = 'next'
101
