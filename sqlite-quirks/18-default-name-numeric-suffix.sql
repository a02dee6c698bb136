-- note: When two unnamed constraints would get the same default name, PostgreSQL appends a
-- number to the later one: `t_a_check`, `t_a_check1`, ... and a name already taken by an
-- explicitly named constraint is skipped too. Dropping `t_qty_check1` must drop the second
-- CHECK on qty and leave the first one.
-- setup:
CREATE TABLE stock (id INTEGER PRIMARY KEY, qty INT CHECK (qty >= 0) CHECK (qty < 1000), sku TEXT CONSTRAINT stock_sku_check CHECK (sku <> ''), CHECK (length(sku) < 10));
INSERT INTO stock VALUES (1, 5, 'abc');
-- change:
ALTER TABLE stock DROP CONSTRAINT stock_qty_check1;
ALTER TABLE stock DROP CONSTRAINT stock_sku_check1;
-- expect-plan:
stock edit
-- after:
INSERT INTO stock VALUES (2, 5000, 'much-too-long-sku');
-- expect: SELECT id, qty, sku FROM stock ORDER BY id
1|5|abc
2|5000|much-too-long-sku
-- expect-statement-error: INSERT INTO stock VALUES (3, -1, 'x')
CHECK constraint failed
-- expect-statement-error: INSERT INTO stock VALUES (4, 1, '')
CHECK constraint failed
