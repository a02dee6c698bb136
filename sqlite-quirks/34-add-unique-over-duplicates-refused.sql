-- note: ADD UNIQUE over duplicate values fails in the middle of the copy with SQLite's bare
-- "UNIQUE constraint failed". kit must refuse first, with the count of offending rows (every
-- row that shares its value with another: 4 here, in 2 groups) and the duplicate values.
-- NULLs are not duplicates of each other (in SQLite and PostgreSQL), so two NULLs are fine.
-- setup:
CREATE TABLE members (id INTEGER PRIMARY KEY, email TEXT, club INT);
INSERT INTO members VALUES (1, 'a@x', 1), (2, 'a@x', 1), (3, 'b@x', 1), (4, NULL, 1), (5, NULL, 1), (6, 'c@x', 1), (7, 'c@x', 2);
-- change:
ALTER TABLE members ADD CONSTRAINT members_email_key UNIQUE (email);
-- expect-error: members
-- expect-error: email
-- expect-error: 4 rows
-- expect-error: 'a@x'
-- expect-error: 'c@x'
