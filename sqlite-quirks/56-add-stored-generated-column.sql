-- note: SQLite's native ADD COLUMN refuses a STORED generated column ("cannot add a STORED
-- column"); a VIRTUAL one is allowed. kit must add the STORED one by rebuild, computed for the
-- existing rows, and the VIRTUAL one natively.
-- setup:
CREATE TABLE rects (id INTEGER PRIMARY KEY, w INT, h INT);
INSERT INTO rects (w, h) VALUES (2, 3), (4, 5);
-- change:
ALTER TABLE rects ADD COLUMN area INT GENERATED ALWAYS AS (w * h) STORED;
-- expect-plan:
rects rebuild
-- expect: SELECT id, w, h, area FROM rects ORDER BY id
1|2|3|6
2|4|5|20
-- expect: SELECT name, hidden FROM pragma_table_xinfo('rects') WHERE name = 'area'
area|3
