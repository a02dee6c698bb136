-- note: A change whose effect only shows in *other* tables: the rows of a child table whose
-- foreign key no longer finds its parent after the parent's key values change (here, USING
-- rewrites the parent key). Rows copied with foreign keys off are not checked, so kit must
-- run `PRAGMA foreign_key_check` before COMMIT and roll the whole change back.
-- setup:
CREATE TABLE parents (id INTEGER PRIMARY KEY, code TEXT UNIQUE);
CREATE TABLE kids (id INTEGER PRIMARY KEY, parent_code TEXT REFERENCES parents (code));
INSERT INTO parents VALUES (1, 'a'), (2, 'b');
INSERT INTO kids VALUES (1, 'a'), (2, 'b');
-- change:
ALTER TABLE parents ALTER COLUMN code TYPE TEXT USING upper(code);
-- expect-error: foreign key
-- expect-error: kids
