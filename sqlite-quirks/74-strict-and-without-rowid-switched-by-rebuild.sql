-- note: STRICT and WITHOUT ROWID are fixed when a table is created; SQLite has no ALTER for
-- them. kit switches them with one rebuild: values are checked against the STRICT types first
-- (after the affinity conversion a STRICT column applies: '7' fits INT), the rowid alias keeps
-- its values, and indexes come back.
-- setup:
CREATE TABLE items (id INTEGER PRIMARY KEY, qty INT, name TEXT);
CREATE INDEX items_name ON items(name);
INSERT INTO items VALUES (1, '7', 'pen'), (5, 2, 'ink');
-- change:
ALTER TABLE items SET STRICT, SET WITHOUT ROWID;
-- expect-plan:
items rebuild
-- expect: SELECT id, qty, typeof(qty), name FROM items ORDER BY id
1|7|integer|pen
5|2|integer|ink
-- expect: SELECT strict, wr FROM pragma_table_list WHERE name = 'items'
1|1
-- expect: SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'items'
items_name
