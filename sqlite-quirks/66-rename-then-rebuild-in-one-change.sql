-- note: A table renamed and then changed in the same run: the rebuild works on the new name,
-- and everything that followed the rename natively (the AUTOINCREMENT counter's row in
-- sqlite_sequence, views, the children's REFERENCES) must survive the rebuild under the new
-- name, with nothing left under the old one.
-- setup:
CREATE TABLE clients (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT, tier INT);
CREATE TABLE orders (id INTEGER PRIMARY KEY, client_id INT REFERENCES clients (id) ON DELETE CASCADE);
CREATE VIEW client_list AS SELECT id, name FROM clients;
INSERT INTO clients (name, tier) VALUES ('a', 1), ('b', 2), ('c', 3);
DELETE FROM clients WHERE id = 3;
INSERT INTO orders VALUES (1, 1), (2, 2);
-- change:
ALTER TABLE clients RENAME TO customers;
ALTER TABLE customers ALTER COLUMN tier TYPE TEXT;
-- expect: SELECT name, seq FROM sqlite_sequence
customers|3
-- expect: SELECT * FROM client_list
1|a
2|b
-- expect: SELECT "table" FROM pragma_foreign_key_list('orders')
customers
-- after:
INSERT INTO customers (name) VALUES ('d');
DELETE FROM customers WHERE id = 1;
-- expect: SELECT id, name FROM customers ORDER BY id
2|b
4|d
-- expect: SELECT id, client_id FROM orders
2|2
