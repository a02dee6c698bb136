-- note: `INT PRIMARY KEY` (not spelled INTEGER) is NOT a rowid alias: the table has a hidden
-- rowid besides the key, and the two differ. A rebuild must keep both: the key column as a
-- column, and the hidden rowid copied separately.
-- setup:
CREATE TABLE codes (id INT PRIMARY KEY, label TEXT);
INSERT INTO codes (rowid, id, label) VALUES (5, 1, 'one'), (9, 2, 'two'), (42, 3, 'three');
-- change:
ALTER TABLE codes ALTER COLUMN label TYPE VARCHAR(20);
-- expect-plan:
codes rebuild
-- expect: SELECT rowid, id, label FROM codes ORDER BY id
5|1|one
9|2|two
42|3|three
-- expect: SELECT name, pk FROM pragma_table_info('codes') ORDER BY cid
id|1
label|0
-- after:
INSERT INTO codes (id) VALUES (4);
-- expect: SELECT rowid, id, label FROM codes WHERE id = 4
43|4|NULL
