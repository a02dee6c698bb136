-- note: A DESC index column (`created DESC`) and a multi-column index with mixed directions
-- must come back with the same sort orders (visible as `desc` in `pragma_index_xinfo`), so
-- `ORDER BY created DESC, id` keeps using the index without a temp b-tree.
-- setup:
CREATE TABLE events (id INTEGER PRIMARY KEY, created TEXT, kind TEXT, payload TEXT);
CREATE INDEX events_created ON events (created DESC, kind ASC);
INSERT INTO events VALUES (1, '2024-01-01', 'a', 'p'), (2, '2024-02-01', 'b', 'q');
-- change:
ALTER TABLE events ALTER COLUMN payload TYPE BLOB;
-- expect-plan:
events rebuild
-- expect-sql-unchanged: events_created
-- expect: SELECT seqno, name, "desc" FROM pragma_index_xinfo('events_created') WHERE key = 1 ORDER BY seqno
0|created|1
1|kind|0
-- expect-index-used: SELECT id FROM events ORDER BY created DESC, kind
events_created
