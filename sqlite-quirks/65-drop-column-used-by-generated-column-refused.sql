-- note: A generated column's expression may use other columns. SQLite's DROP COLUMN fails with
-- "error in generated column" only after re-parsing; a rebuild would fail to create the table.
-- PostgreSQL refuses without CASCADE. kit must refuse, naming the generated column.
-- setup:
CREATE TABLE boxes (id INTEGER PRIMARY KEY, w INT, h INT, area INT AS (w * h));
INSERT INTO boxes (w, h) VALUES (2, 3);
-- change:
ALTER TABLE boxes DROP COLUMN h;
-- expect-error: area
-- expect: SELECT area FROM boxes
6
