-- note: Generated columns (VIRTUAL and STORED) are part of the table definition but can never
-- be inserted into: the copy must leave them out of its column list (a STORED one is
-- recomputed from the copied columns), and both must stay generated, with the same kind
-- (`hidden` = 2 for VIRTUAL, 3 for STORED in `pragma_table_xinfo`), and follow updates.
-- setup:
CREATE TABLE lines (
  id INTEGER PRIMARY KEY,
  price INT,
  qty INT,
  total INT GENERATED ALWAYS AS (price * qty) VIRTUAL,
  label TEXT AS (qty || ' x ' || price) STORED,
  memo TEXT
);
INSERT INTO lines (price, qty, memo) VALUES (3, 2, 'm1'), (5, 10, 'm2');
-- change:
ALTER TABLE lines ALTER COLUMN memo TYPE BLOB;
-- expect-plan:
lines rebuild
-- expect: SELECT name, hidden FROM pragma_table_xinfo('lines') ORDER BY cid
id|0
price|0
qty|0
total|2
label|3
memo|0
-- expect: SELECT id, price, qty, total, label, memo FROM lines ORDER BY id
1|3|2|6|2 x 3|m1
2|5|10|50|10 x 5|m2
-- after:
UPDATE lines SET qty = 4 WHERE id = 1;
-- expect: SELECT total, label FROM lines WHERE id = 1
12|4 x 3
-- expect-statement-error: INSERT INTO lines (price, qty, total) VALUES (1, 1, 1)
generated column
