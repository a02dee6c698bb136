-- note: RENAME TO is native, and SQLite (without legacy_alter_table) rewrites the REFERENCES of
-- other tables, and views and triggers that name the table, as PostgreSQL effectively does
-- (dependents follow the table). kit must run it with legacy_alter_table OFF so they follow; a
-- rename done with it ON (as during rebuilds) would leave them pointing at the old name.
-- setup:
CREATE TABLE clients (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE invoices (id INTEGER PRIMARY KEY, client_id INT REFERENCES clients (id));
CREATE VIEW client_names AS SELECT name FROM clients;
CREATE TRIGGER invoices_touch AFTER INSERT ON invoices BEGIN UPDATE clients SET name = name WHERE id = new.client_id; END;
INSERT INTO clients VALUES (1, 'ann');
INSERT INTO invoices VALUES (1, 1);
-- change:
ALTER TABLE clients RENAME TO customers;
-- expect-plan:
customers native
-- expect: SELECT "table" FROM pragma_foreign_key_list('invoices')
customers
-- expect: SELECT * FROM client_names
ann
-- expect-sql: client_names
CREATE VIEW client_names AS SELECT name FROM "customers"
-- after:
INSERT INTO invoices VALUES (2, 1);
-- expect-statement-error: INSERT INTO invoices VALUES (3, 9)
FOREIGN KEY constraint failed
-- expect: SELECT count(*) FROM sqlite_schema WHERE sql LIKE '%clients%'
0
