-- note: Dropping a parent column that another table's foreign key references would leave the
-- child's REFERENCES pointing at nothing (SQLite's DROP COLUMN does not check other tables;
-- every later write to the child then fails with "foreign key mismatch"). PostgreSQL refuses
-- without CASCADE. kit must refuse, naming the child table.
-- setup:
CREATE TABLE countries (id INTEGER PRIMARY KEY, code TEXT UNIQUE, name TEXT);
CREATE TABLE cities (id INTEGER PRIMARY KEY, country_code TEXT REFERENCES countries (code), name TEXT);
INSERT INTO countries VALUES (1, 'NL', 'Netherlands');
INSERT INTO cities VALUES (1, 'NL', 'Delft');
-- change:
ALTER TABLE countries DROP COLUMN code;
-- expect-error: countries
-- expect-error: code
-- expect-error: cities
