-- note: A statement can write a table without naming it: through a trigger on the table it does
-- name (or an ON DELETE CASCADE). Batching the ALTERs of that table past such a statement
-- reorders the writes. Here the USING conversion must apply only to the rows that existed when
-- the ALTER ran, not to the row the trigger inserts afterwards (10 stays 10, not 1000).
-- setup:
CREATE TABLE readings (id INTEGER PRIMARY KEY, v TEXT);
CREATE TABLE sensors (id INTEGER PRIMARY KEY, name TEXT);
CREATE TRIGGER sensors_first_reading AFTER INSERT ON sensors BEGIN INSERT INTO readings (v) VALUES (10); END;
INSERT INTO readings VALUES (1, '1'), (2, '2');
-- change:
ALTER TABLE readings ALTER COLUMN v TYPE INTEGER USING v * 100;
INSERT INTO sensors (name) VALUES ('s1');
-- expect: SELECT id, v FROM readings ORDER BY id
1|100
2|200
3|10
