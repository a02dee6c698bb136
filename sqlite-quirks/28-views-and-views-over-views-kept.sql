-- note: Views are not dropped with a table, but renaming the table aside rewrites views that
-- read it (SQLite >= 3.26 without legacy_alter_table) to the temporary name, and a view over
-- that view then fails too. Both must keep their exact SQL text (comments, formatting) and
-- return the same rows after the rebuild.
-- setup:
CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT, price INT, discontinued INT DEFAULT 0);
CREATE VIEW active_products AS
  SELECT id, name, price   -- what the shop shows
  FROM products
  WHERE NOT discontinued;
CREATE VIEW cheap_products AS SELECT name FROM active_products WHERE price < 10 /* euros */;
INSERT INTO products (name, price, discontinued) VALUES ('pen', 2, 0), ('desk', 200, 0), ('fax', 5, 1);
-- change:
ALTER TABLE products ALTER COLUMN price TYPE NUMERIC;
-- expect-plan:
products rebuild
-- expect-sql-unchanged: active_products, cheap_products
-- expect: SELECT name FROM cheap_products
pen
-- expect: SELECT id, name, price FROM active_products ORDER BY id
1|pen|2
2|desk|200
