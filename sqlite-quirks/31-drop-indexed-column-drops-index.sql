-- note: SQLite's native DROP COLUMN refuses a column that an index uses ("error in index ...
-- after drop column"). PostgreSQL drops the indexes on the column with it. kit follows
-- PostgreSQL: indexes that use the column (alone, in a multi-column index, or in an
-- expression or partial WHERE) go; indexes on other columns stay, byte for byte.
-- setup:
CREATE TABLE people (id INTEGER PRIMARY KEY, first TEXT, nick TEXT, last TEXT);
CREATE INDEX people_nick ON people (nick);
CREATE INDEX people_last_nick ON people (last, nick);
CREATE INDEX people_nick_lower ON people (lower(nick));
CREATE INDEX people_first_partial ON people (first) WHERE nick IS NOT NULL;
CREATE INDEX people_last ON people (last);
INSERT INTO people VALUES (1, 'Ann', 'al', 'Lee'), (2, 'Bob', NULL, 'Ray');
-- change:
ALTER TABLE people DROP COLUMN nick;
-- expect-sql-unchanged: people_last
-- expect: SELECT name FROM sqlite_schema WHERE type = 'index' ORDER BY name
people_last
-- expect: SELECT * FROM people ORDER BY id
1|Ann|Lee
2|Bob|Ray
