-- note: SQLite accepts any sequence of names (and up to two signed numbers in parentheses) as a
-- type: `BLOB SUB_TYPE TEXT`, `DOUBLE PRECISION`, `VARCHAR(10, 2)`, `UNSIGNED BIG INT`, or no
-- type at all. The declared type decides the column's affinity (by substring rules), so it
-- must survive a rebuild of another column verbatim: `DOUBLE PRECISION` must stay REAL
-- affinity, the untyped column must stay BLOB ("none") affinity.
-- setup:
CREATE TABLE legacy (a BLOB SUB_TYPE TEXT, b DOUBLE PRECISION, c VARCHAR(10, 2), d UNSIGNED BIG INT, e, f TEXT);
INSERT INTO legacy VALUES ('x', '1.5', 12, '42', '7', 'f');
-- change:
ALTER TABLE legacy ALTER COLUMN f TYPE INT;
-- expect-plan:
legacy rebuild
-- expect: SELECT name, type FROM pragma_table_info('legacy') ORDER BY cid
a|BLOB SUB_TYPE TEXT
b|DOUBLE PRECISION
c|VARCHAR(10, 2)
d|UNSIGNED BIG INT
e|
f|INT
-- after:
INSERT INTO legacy VALUES ('y', '2.5', 13, '43', '8', 'g');
-- expect: SELECT typeof(a), typeof(b), typeof(c), typeof(d), typeof(e) FROM legacy ORDER BY rowid
text|real|text|integer|text
text|real|text|integer|text
