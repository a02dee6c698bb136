-- note: A column's COLLATE (NOCASE, RTRIM) decides comparisons, ORDER BY, and what its UNIQUE
-- constraint and indexes treat as equal. A rebuild must keep it on each column; losing it
-- changes query results (and lets case-variant duplicates in) without any error.
-- setup:
CREATE TABLE names (id INTEGER PRIMARY KEY, name TEXT COLLATE NOCASE UNIQUE, code TEXT COLLATE RTRIM, plain TEXT, n INT);
INSERT INTO names VALUES (1, 'alice', 'x  ', 'alice', 1), (2, 'Bob', 'y', 'Bob', 2);
-- change:
ALTER TABLE names ALTER COLUMN n TYPE TEXT;
-- expect-plan:
names rebuild
-- expect: SELECT id FROM names WHERE name = 'ALICE'
1
-- expect: SELECT id FROM names WHERE code = 'x'
1
-- expect: SELECT id FROM names WHERE plain = 'ALICE'
-- expect: SELECT name FROM names ORDER BY name DESC
Bob
alice
-- expect-statement-error: INSERT INTO names (name) VALUES ('BOB')
UNIQUE constraint failed
