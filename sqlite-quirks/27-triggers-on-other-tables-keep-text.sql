-- note: A trigger on *another* table whose body writes to the rebuilt table is not dropped with
-- it, but renaming the old table aside (without legacy_alter_table) rewrites the trigger body
-- to the temporary name, which then no longer exists: the trigger breaks on its next firing.
-- Its SQL text must stay byte for byte, and it must still work.
-- setup:
CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, order_count INT NOT NULL DEFAULT 0, vip INT);
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INT REFERENCES customers (id), total INT);
CREATE TRIGGER orders_count AFTER INSERT ON orders
BEGIN
  /* keep customers.order_count in step */
  UPDATE customers SET order_count = order_count + 1 WHERE id = new.customer_id;
END;
INSERT INTO customers (id, name) VALUES (1, 'ann');
INSERT INTO orders (customer_id, total) VALUES (1, 10);
-- change:
ALTER TABLE customers ALTER COLUMN vip TYPE BOOLEAN;
-- expect-plan:
customers rebuild
-- expect-sql-unchanged: orders_count, orders
-- after:
INSERT INTO orders (customer_id, total) VALUES (1, 20);
-- expect: SELECT id, name, order_count FROM customers
1|ann|2
