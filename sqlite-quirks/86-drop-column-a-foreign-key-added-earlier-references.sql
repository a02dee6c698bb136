-- note: Statements run in the order written, as on PostgreSQL: a foreign key added by an
-- earlier statement references the parent's column, so dropping that column afterwards is
-- refused (PostgreSQL: "other objects depend on it"), even though kit batches each table's
-- changes. (Found by the property tests: the drop used to be planned first.)
-- setup:
CREATE TABLE child (id INTEGER, p INTEGER);
CREATE TABLE parent (id INTEGER PRIMARY KEY, code INTEGER UNIQUE);
INSERT INTO parent VALUES (1, 10);
INSERT INTO child VALUES (1, 10);
-- change:
ALTER TABLE child ADD FOREIGN KEY (p) REFERENCES parent (code);
ALTER TABLE parent DROP COLUMN code;
-- expect-error: column "code" is referenced by a foreign key of table "child"
