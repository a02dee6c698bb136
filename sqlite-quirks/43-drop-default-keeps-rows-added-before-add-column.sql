-- note: The same ADD COLUMN quirk for DROP DEFAULT: rows stored before the ADD COLUMN read
-- the default from the schema, so removing it from the stored definition would turn their
-- value into NULL. The rows must keep 'draft'; only new rows get NULL.
-- setup:
CREATE TABLE docs (id INTEGER PRIMARY KEY, title TEXT);
INSERT INTO docs (title) VALUES ('a'), ('b');
ALTER TABLE docs ADD COLUMN status TEXT DEFAULT 'draft';
-- change:
ALTER TABLE docs ALTER COLUMN status DROP DEFAULT;
-- after:
INSERT INTO docs (title) VALUES ('c');
-- expect: SELECT id, title, status FROM docs ORDER BY id
1|a|draft
2|b|draft
3|c|NULL
