-- note: Rows stored before `ADD COLUMN c ... DEFAULT v` do not contain c at all: SQLite reads
-- the missing value from the DEFAULT in the current schema. So editing the default in the
-- stored CREATE TABLE (the cheap way to SET DEFAULT) would silently change those old rows'
-- values. SET DEFAULT must leave every existing row's value as it was and only affect new rows.
-- setup:
CREATE TABLE flags (id INTEGER PRIMARY KEY, name TEXT);
INSERT INTO flags (name) VALUES ('old1'), ('old2');
ALTER TABLE flags ADD COLUMN enabled INT DEFAULT 1;
INSERT INTO flags (name) VALUES ('mid');
-- change:
ALTER TABLE flags ALTER COLUMN enabled SET DEFAULT 0;
-- after:
INSERT INTO flags (name) VALUES ('new');
-- expect: SELECT id, name, enabled FROM flags ORDER BY id
1|old1|1
2|old2|1
3|mid|1
4|new|0
-- expect: SELECT dflt_value FROM pragma_table_info('flags') WHERE name = 'enabled'
0
