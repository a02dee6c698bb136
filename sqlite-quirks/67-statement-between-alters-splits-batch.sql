-- note: Batching must not reorder: an UPDATE between two ALTERs of the same table sees the table
-- as the first ALTER left it, so the batch is split around it (two rebuilds here, and the
-- statement in between), and the result is what running the statements in order gives.
-- setup:
CREATE TABLE t (id INTEGER PRIMARY KEY, price TEXT, qty TEXT);
INSERT INTO t VALUES (1, '1.5', '2'), (2, '3', '4');
-- change:
ALTER TABLE t ALTER COLUMN price TYPE INTEGER USING CAST(round(price * 100) AS INTEGER);
UPDATE t SET price = price + 1;
ALTER TABLE t ALTER COLUMN qty TYPE INTEGER;
-- expect-plan:
t rebuild
- statement
t rebuild
-- expect: SELECT id, price, qty, typeof(qty) FROM t ORDER BY id
1|151|2|integer
2|301|4|integer
