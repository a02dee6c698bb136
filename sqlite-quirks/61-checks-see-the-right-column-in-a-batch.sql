-- note: Within one ALTER, earlier actions shift column positions for later ones (DROP COLUMN a
-- moves b one place left). Preflight checks must still test the column they are about: here
-- SET NOT NULL on b, whose NULLs must be found (and the change refused) even though a column
-- before it is dropped in the same statement, in either order. Testing the column now at b's
-- old position (c, which has no NULLs) would write a NOT NULL that the rows break.
-- setup:
CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT, c TEXT);
INSERT INTO t VALUES (1, 'a', NULL, 'c'), (2, 'a', 'b', 'c');
-- change:
ALTER TABLE t ALTER COLUMN b SET NOT NULL, DROP COLUMN a;
-- expect-error: "b"
-- expect-error: 1 row
-- expect-error: id=1
