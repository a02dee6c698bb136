-- note: Renaming the old table aside during a rebuild rewrites the REFERENCES clauses of other
-- tables to the temporary name unless `legacy_alter_table` is on; the old table is then
-- dropped and the children point at nothing. After a rebuild of the parent, the children's
-- foreign keys must still name the parent (text unchanged) and still be enforced, with their
-- ON UPDATE / ON DELETE actions.
-- setup:
CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT UNIQUE, tier INT);
CREATE TABLE invoices (
  id INTEGER PRIMARY KEY,
  customer_id INTEGER REFERENCES customers (id) ON UPDATE CASCADE ON DELETE RESTRICT,
  customer_email TEXT REFERENCES customers (email) ON DELETE SET NULL
);
INSERT INTO customers VALUES (1, 'a@x', 1), (2, 'b@x', 2);
INSERT INTO invoices VALUES (10, 1, 'a@x'), (11, 2, 'b@x');
-- change:
ALTER TABLE customers ALTER COLUMN tier TYPE TEXT;
-- expect-plan:
customers rebuild
-- expect-sql-unchanged: invoices
-- expect: SELECT "table", "from", "to", on_update, on_delete FROM pragma_foreign_key_list('invoices') ORDER BY "from"
customers|customer_email|email|NO ACTION|SET NULL
customers|customer_id|id|CASCADE|RESTRICT
-- expect-statement-error: INSERT INTO invoices VALUES (12, 99, NULL)
FOREIGN KEY constraint failed
-- expect-statement-error: DELETE FROM customers WHERE id = 1
FOREIGN KEY constraint failed
-- after:
UPDATE customers SET id = 5 WHERE id = 2;
-- expect: SELECT id, customer_id, customer_email FROM invoices ORDER BY id
10|1|a@x
11|5|b@x
