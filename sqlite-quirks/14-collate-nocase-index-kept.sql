-- note: An index with its own collation (`name COLLATE NOCASE` on a column that is BINARY)
-- is only usable by queries with that collation, and a UNIQUE one enforces case-insensitive
-- uniqueness. Recreated from column names alone it would silently become BINARY.
-- setup:
CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT, color INT);
CREATE UNIQUE INDEX tags_name_nocase ON tags (name COLLATE NOCASE);
INSERT INTO tags VALUES (1, 'Red', 1), (2, 'blue', 2);
-- change:
ALTER TABLE tags ALTER COLUMN color TYPE TEXT;
-- expect-plan:
tags rebuild
-- expect-sql-unchanged: tags_name_nocase
-- expect: SELECT name, coll FROM pragma_index_xinfo('tags_name_nocase') WHERE key = 1
name|NOCASE
-- expect-index-used: SELECT id FROM tags WHERE name = 'RED' COLLATE NOCASE
tags_name_nocase
-- expect-statement-error: INSERT INTO tags (name) VALUES ('BLUE')
UNIQUE constraint failed
