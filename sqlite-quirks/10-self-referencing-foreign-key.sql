-- note: A table whose foreign key references itself (a tree) must, after its own rebuild,
-- reference the new table (not the temporary old one), keep every row (the copy runs with
-- foreign keys off, in any order), and still cascade.
-- setup:
CREATE TABLE nodes (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES nodes (id) ON DELETE CASCADE, name TEXT, weight INT);
INSERT INTO nodes VALUES (3, NULL, 'root', 1), (1, 3, 'child', 2), (2, 1, 'grandchild', 3);
-- change:
ALTER TABLE nodes ALTER COLUMN weight TYPE REAL;
-- expect-plan:
nodes rebuild
-- expect: SELECT "table", "from", "to", on_delete FROM pragma_foreign_key_list('nodes')
nodes|parent_id|id|CASCADE
-- expect: SELECT id, parent_id, name, weight FROM nodes ORDER BY id
1|3|child|2.0
2|1|grandchild|3.0
3|NULL|root|1.0
-- after:
DELETE FROM nodes WHERE id = 1;
-- expect: SELECT id, name FROM nodes ORDER BY id
3|root
