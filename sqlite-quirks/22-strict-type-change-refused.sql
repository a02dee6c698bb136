-- note: Changing a STRICT column's type to one that some stored values cannot be losslessly
-- converted to would make the copy fail half-way (SQLite raises SQLITE_CONSTRAINT_DATATYPE).
-- kit must refuse before writing anything, naming the table and column, with the count of
-- offending rows and example keys. (Text that looks like an integer, '12', converts fine.)
-- setup:
CREATE TABLE readings (id INTEGER PRIMARY KEY, raw TEXT) STRICT;
INSERT INTO readings VALUES (1, '12'), (2, 'abc'), (3, '40'), (4, '1.5x');
-- change:
ALTER TABLE readings ALTER COLUMN raw TYPE INTEGER;
-- expect-error: readings
-- expect-error: raw
-- expect-error: 2 rows
-- expect-error: id=2
-- expect-error: id=4
