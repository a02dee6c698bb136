-- note: `INTEGER PRIMARY KEY` (exactly that type name) makes the column an alias of the rowid:
-- the key *is* the rowid. After a rebuild the key and the rowid must still be the same value
-- (also for keys far apart), and a new row must get max(id)+1.
-- setup:
CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, qty INT);
INSERT INTO items (id, name, qty) VALUES (10, 'ten', 1), (20, 'twenty', 2), (7000000000, 'big', 3);
-- change:
ALTER TABLE items ALTER COLUMN qty TYPE REAL;
-- expect-plan:
items rebuild
-- expect: SELECT rowid, id, name, qty, typeof(qty) FROM items ORDER BY id
10|10|ten|1.0|real
20|20|twenty|2.0|real
7000000000|7000000000|big|3.0|real
-- after:
INSERT INTO items (name) VALUES ('new');
-- expect: SELECT rowid, id FROM items WHERE name = 'new'
7000000001|7000000001
-- expect-statement-error: INSERT INTO items (id, name) VALUES (10, 'dup')
UNIQUE constraint failed
