-- note: After ANALYZE, `sqlite_stat1` holds one row per index of the table, which the query
-- planner uses to choose indexes. DROP TABLE deletes the old table's rows there, and the
-- recreated indexes start without statistics, so plans can silently change after a migration
-- that did not touch the indexes. The rebuilt table's indexes must keep their statistics.
-- setup:
CREATE TABLE hits (id INTEGER PRIMARY KEY, page TEXT, visitor INT, note TEXT);
CREATE INDEX hits_page ON hits (page);
CREATE INDEX hits_visitor ON hits (visitor);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100)
INSERT INTO hits (page, visitor, note) SELECT 'p' || (i % 5), i % 50, 'n' FROM n;
ANALYZE;
-- change:
ALTER TABLE hits ALTER COLUMN note TYPE BLOB;
-- expect-plan:
hits rebuild
-- expect: SELECT tbl, idx, stat FROM sqlite_stat1 WHERE tbl = 'hits' ORDER BY idx
hits|hits_page|100 20
hits|hits_visitor|100 2
