-- note: A foreign key must reference a PRIMARY KEY or UNIQUE column set of the parent. SQLite
-- accepts any REFERENCES when the definition is written, and only fails later, on every write
-- to the child, with "foreign key mismatch" (and `PRAGMA foreign_key_check` errors too).
-- PostgreSQL refuses the ALTER ("no unique constraint matching given keys"). kit must refuse.
-- setup:
CREATE TABLE groups (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE members (id INTEGER PRIMARY KEY, group_name TEXT);
INSERT INTO groups VALUES (1, 'a'), (2, 'b');
INSERT INTO members VALUES (1, 'a');
-- change:
ALTER TABLE members ADD FOREIGN KEY (group_name) REFERENCES groups (name);
-- expect-error: groups
-- expect-error: name
