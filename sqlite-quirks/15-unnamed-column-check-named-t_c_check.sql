-- note: SQLite CHECKs are usually unnamed, but a migration that must also run on PostgreSQL
-- drops them by PostgreSQL's default name: `<table>_<column>_check` for a column CHECK.
-- Dropping a CHECK only edits the stored definition (no copy, rows cannot break it); the
-- other, untouched CHECK stays.
-- setup:
CREATE TABLE people (id INTEGER PRIMARY KEY, age INT CHECK (age >= 0), name TEXT CHECK (length(name) > 0));
INSERT INTO people VALUES (1, 30, 'Ann');
-- change:
ALTER TABLE people DROP CONSTRAINT people_age_check;
-- expect-plan:
people edit
-- after:
INSERT INTO people VALUES (2, -5, 'Bob');
-- expect: SELECT id, age, name FROM people ORDER BY id
1|30|Ann
2|-5|Bob
-- expect: SELECT instr(sql, 'age >= 0') = 0, instr(sql, 'CHECK (length(name) > 0)') > 0 FROM sqlite_schema WHERE name = 'people'
1|1
-- expect-statement-error: INSERT INTO people VALUES (3, 1, '')
CHECK constraint failed
