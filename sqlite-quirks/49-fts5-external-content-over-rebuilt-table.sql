-- note: An FTS5 table with external content (`content='docs'`) stores only the index and reads
-- the text from `docs` by rowid (`content_rowid`). It is a virtual table kit must not rebuild,
-- and if the rebuild of `docs` renumbered rowids (docs has no INTEGER PRIMARY KEY, and a row
-- was deleted), full-text hits would return the wrong rows. After the rebuild the index must
-- still match the content (FTS5 'integrity-check'), return the right rows, and the sync
-- triggers on docs must still keep it up to date.
-- setup:
CREATE TABLE docs (title TEXT, body TEXT, views INT);
CREATE VIRTUAL TABLE docs_fts USING fts5(title, body, content='docs');
CREATE TRIGGER docs_ai AFTER INSERT ON docs BEGIN
  INSERT INTO docs_fts (rowid, title, body) VALUES (new.rowid, new.title, new.body);
END;
CREATE TRIGGER docs_ad AFTER DELETE ON docs BEGIN
  INSERT INTO docs_fts (docs_fts, rowid, title, body) VALUES ('delete', old.rowid, old.title, old.body);
END;
INSERT INTO docs (title, body, views) VALUES ('one', 'hello world', 1), ('two', 'goodbye', 2), ('three', 'hello again', 3);
DELETE FROM docs WHERE title = 'one';
-- change:
ALTER TABLE docs ALTER COLUMN views TYPE TEXT;
-- expect-plan:
docs rebuild
-- expect-sql-unchanged: docs_fts, docs_ai, docs_ad
-- after:
INSERT INTO docs_fts (docs_fts, rank) VALUES ('integrity-check', 1);
-- expect: SELECT rowid, title FROM docs_fts WHERE docs_fts MATCH 'hello' ORDER BY rowid
3|three
-- after:
INSERT INTO docs (title, body, views) VALUES ('four', 'hello there', 4);
INSERT INTO docs_fts (docs_fts, rank) VALUES ('integrity-check', 1);
-- expect: SELECT rowid, title FROM docs_fts WHERE docs_fts MATCH 'hello' ORDER BY rowid
3|three
4|four
