-- note: In an ordinary (rowid) table SQLite lets a non-INTEGER PRIMARY KEY column hold NULL (a
-- bug kept for compatibility), but a WITHOUT ROWID table enforces NOT NULL on its key. Switching
-- a table to WITHOUT ROWID must therefore check the key for NULLs first and refuse with the
-- rows, instead of failing halfway through the copy.
-- setup:
CREATE TABLE codes (code TEXT PRIMARY KEY, label TEXT);
INSERT INTO codes VALUES ('a', 'first'), (NULL, 'no code'), ('b', 'second');
-- change:
ALTER TABLE codes SET WITHOUT ROWID;
-- expect-error: codes
-- expect-error: NULL
-- expect-error: 1 row
