-- note: With AUTOINCREMENT, SQLite never reuses an id, even after the row holding the largest id
-- is deleted: the high-water mark lives in `sqlite_sequence`. A rebuild that only copies rows
-- would restart the counter at max(id) and hand out a deleted id again.
-- setup:
CREATE TABLE orders (id INTEGER PRIMARY KEY AUTOINCREMENT, item TEXT, qty INT);
INSERT INTO orders (item, qty) VALUES ('a', 1), ('b', 2), ('c', 3);
INSERT INTO orders (id, item, qty) VALUES (50, 'x', 5);
DELETE FROM orders WHERE id IN (3, 50);
-- change:
ALTER TABLE orders ALTER COLUMN qty TYPE TEXT;
-- expect-plan:
orders rebuild
-- expect: SELECT name, seq FROM sqlite_sequence ORDER BY name
orders|50
-- after:
INSERT INTO orders (item, qty) VALUES ('new', 1);
-- expect: SELECT id, item FROM orders ORDER BY id
1|a
2|b
51|new
