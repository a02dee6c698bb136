-- note: `STRICT, WITHOUT ROWID` together (either order) is a table-options list that many SQL
-- parsers reject. Both options must survive a rebuild.
-- setup:
CREATE TABLE counters (name TEXT PRIMARY KEY, hits INTEGER NOT NULL, extra ANY) STRICT, WITHOUT ROWID;
CREATE TABLE gauges (name TEXT PRIMARY KEY, level REAL, extra ANY) WITHOUT ROWID, STRICT;
INSERT INTO counters VALUES ('a', 1, NULL), ('b', 2, 'x');
INSERT INTO gauges VALUES ('g', 2.0, 1);
-- change:
ALTER TABLE counters ALTER COLUMN extra TYPE TEXT;
ALTER TABLE gauges ALTER COLUMN level TYPE INTEGER;
-- expect-plan:
counters rebuild
gauges rebuild
-- expect: SELECT name, strict, wr FROM pragma_table_list WHERE name IN ('counters', 'gauges') ORDER BY name
counters|1|1
gauges|1|1
-- expect: SELECT name, hits, extra FROM counters ORDER BY name
a|1|NULL
b|2|x
-- expect: SELECT name, level, typeof(level), extra FROM gauges
g|2|integer|1
-- expect-statement-error: INSERT INTO counters VALUES ('c', 'many', NULL)
cannot store TEXT value in INTEGER column
