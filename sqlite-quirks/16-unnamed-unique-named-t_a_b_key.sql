-- note: An unnamed table UNIQUE (a, b) is PostgreSQL's `<table>_a_b_key`. In SQLite it is an
-- automatic index (`sqlite_autoindex_...`) that cannot be dropped on its own, so dropping the
-- constraint needs a rebuild, after which duplicates are allowed and the other UNIQUE stays.
-- setup:
CREATE TABLE seats (id INTEGER PRIMARY KEY, row_no INT, seat_no INT, code TEXT UNIQUE, UNIQUE (row_no, seat_no));
INSERT INTO seats VALUES (1, 1, 1, 'A'), (2, 1, 2, 'B');
-- change:
ALTER TABLE seats DROP CONSTRAINT seats_row_no_seat_no_key;
-- expect-plan:
seats rebuild
-- after:
INSERT INTO seats VALUES (3, 1, 1, 'C');
-- expect: SELECT id, row_no, seat_no, code FROM seats ORDER BY id
1|1|1|A
2|1|2|B
3|1|1|C
-- expect: SELECT count(*) FROM pragma_index_list('seats') WHERE origin = 'u'
1
-- expect-statement-error: INSERT INTO seats VALUES (4, 9, 9, 'A')
UNIQUE constraint failed
