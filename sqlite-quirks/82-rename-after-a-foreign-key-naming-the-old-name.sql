-- note: SQLite's RENAME TABLE rewrites the REFERENCES of other tables to the new name, so a
-- foreign key that an earlier statement of the same change adds under the old name must be
-- planned before the rename; batching it after would name a table that no longer exists.
-- (Found by the property tests.)
-- setup:
CREATE TABLE users (id INTEGER PRIMARY KEY, n INTEGER);
CREATE TABLE users_2 (id INTEGER, n INTEGER);
INSERT INTO users (id, n) VALUES (1, 10), (2, 20);
INSERT INTO users_2 (id, n) VALUES (1, 2);
-- change:
ALTER TABLE users_2 ADD CONSTRAINT a FOREIGN KEY (id) REFERENCES users;
ALTER TABLE users RENAME TO users_3;
ALTER TABLE users_2 ADD CONSTRAINT b FOREIGN KEY (n) REFERENCES users_3 (id);
-- expect: SELECT "table", "from", coalesce("to", '-') FROM pragma_foreign_key_list('users_2') ORDER BY "from"
users_3|id|-
users_3|n|id
-- expect-statement-error: INSERT INTO users_2 (id, n) VALUES (9, NULL)
FOREIGN KEY constraint failed
