-- note: SQLite only evaluates a CHECK when a row is written, so adding one by editing the stored
-- definition would leave existing rows that break it (and integrity_check would then report
-- them). kit must count the rows that make the CHECK false (a NULL result passes, as in SQL)
-- and refuse.
-- setup:
CREATE TABLE staff (id INTEGER PRIMARY KEY, age INT, name TEXT);
INSERT INTO staff VALUES (1, 30, 'a'), (2, -1, 'b'), (3, NULL, 'c'), (4, -7, 'd'), (5, 200, 'e');
-- change:
ALTER TABLE staff ADD CONSTRAINT staff_age_range CHECK (age >= 0 AND age < 150);
-- expect-error: staff_age_range
-- expect-error: 3 rows
-- expect-error: id=2, id=4, id=5
