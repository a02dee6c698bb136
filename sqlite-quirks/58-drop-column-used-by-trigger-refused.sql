-- note: SQLite's DROP COLUMN re-parses the schema and fails with a bare "error in trigger" when a
-- trigger uses the column; a rebuild would instead recreate a trigger that fails when it
-- fires. kit must refuse up front, naming the trigger, and change nothing.
-- setup:
CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, old_price INT);
CREATE TABLE price_log (item_id INT, price INT);
CREATE TRIGGER items_price_log AFTER UPDATE ON items BEGIN INSERT INTO price_log VALUES (new.id, new.old_price); END;
INSERT INTO items VALUES (1, 'a', 10);
-- change:
ALTER TABLE items DROP COLUMN old_price;
-- expect-error: items_price_log
