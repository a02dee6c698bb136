-- note: On an empty table `ADD COLUMN c ... NOT NULL` without a default is fine in PostgreSQL,
-- but SQLite's native ADD COLUMN refuses it; kit must do it by rebuild, and the column must then
-- be NOT NULL with no default.
-- setup:
CREATE TABLE tickets (id INTEGER PRIMARY KEY, title TEXT);
-- change:
ALTER TABLE tickets ADD COLUMN owner TEXT NOT NULL;
-- expect: SELECT name, type, "notnull", dflt_value FROM pragma_table_info('tickets') ORDER BY cid
id|INTEGER|0|NULL
title|TEXT|0|NULL
owner|TEXT|1|NULL
-- expect-statement-error: INSERT INTO tickets (title) VALUES ('x')
NOT NULL constraint failed
-- after:
INSERT INTO tickets (title, owner) VALUES ('x', 'ann');
-- expect: SELECT id, title, owner FROM tickets
1|x|ann
