-- note: SQLite-only conflict clauses on constraints (`UNIQUE ON CONFLICT REPLACE`, `NOT NULL ON
-- CONFLICT IGNORE`) change what an INSERT does. They are part of the column definition and must
-- survive a rebuild of another column, with their behaviour.
-- setup:
CREATE TABLE sessions (id INTEGER PRIMARY KEY, token TEXT UNIQUE ON CONFLICT REPLACE, user TEXT NOT NULL ON CONFLICT IGNORE, hits INT);
INSERT INTO sessions VALUES (1, 'tok', 'ann', 1);
-- change:
ALTER TABLE sessions ALTER COLUMN hits TYPE TEXT;
-- expect-plan:
sessions rebuild
-- after:
INSERT INTO sessions (token, user) VALUES ('tok', 'bob');
INSERT INTO sessions (token, user) VALUES ('other', NULL);
-- expect: SELECT id, token, user FROM sessions ORDER BY id
2|tok|bob
