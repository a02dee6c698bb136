-- note: rusqlite's bundled SQLite starts with foreign_keys ON. Rebuilding a parent table
-- drops the old table, and DROP TABLE on a parent with ON DELETE CASCADE children deletes every
-- child row (an implicit DELETE FROM). `PRAGMA foreign_keys = OFF` is a no-op inside a
-- transaction, so kit must switch it off before BEGIN and back on afterwards; the children must
-- survive, and the cascade must still work after the change.
-- setup:
CREATE TABLE authors (id INTEGER PRIMARY KEY, name TEXT, born INT);
CREATE TABLE books (id INTEGER PRIMARY KEY, author_id INTEGER NOT NULL REFERENCES authors (id) ON DELETE CASCADE, title TEXT);
INSERT INTO authors VALUES (1, 'Ann', 1950), (2, 'Bob', 1960);
INSERT INTO books VALUES (1, 1, 'A1'), (2, 1, 'A2'), (3, 2, 'B1');
-- change:
ALTER TABLE authors ALTER COLUMN born TYPE TEXT;
-- expect-plan:
authors rebuild
-- expect: SELECT id, author_id, title FROM books ORDER BY id
1|1|A1
2|1|A2
3|2|B1
-- expect: SELECT "table", "from", "to", on_delete FROM pragma_foreign_key_list('books')
authors|author_id|id|CASCADE
-- after:
DELETE FROM authors WHERE id = 1;
-- expect: SELECT id, author_id, title FROM books ORDER BY id
3|2|B1
