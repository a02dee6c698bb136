-- note: SQLite's RENAME COLUMN rewrites the views that use the column, and with them their
-- output column names: after renaming users.name to title, `CREATE VIEW v AS SELECT id, name
-- FROM users` yields a column `title`. PostgreSQL keeps a view's column names. kit gives the
-- views their old names back (an explicit column list, with the rewritten SELECT), so the same
-- migration leaves the same views on both databases.
-- setup:
CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);
INSERT INTO users VALUES (1, 'ann');
CREATE VIEW v AS SELECT id, name FROM users;
CREATE VIEW star AS SELECT * FROM users;
CREATE VIEW aliased AS SELECT name AS who FROM users;
-- change:
ALTER TABLE users RENAME COLUMN name TO title;
-- expect: SELECT name FROM pragma_table_info('v') ORDER BY cid
id
name
-- expect: SELECT name FROM pragma_table_info('star') ORDER BY cid
id
name
-- expect: SELECT name FROM pragma_table_info('aliased') ORDER BY cid
who
-- expect: SELECT id, name FROM v
1|ann
-- expect-sql: v
CREATE VIEW "v"("id", "name") AS SELECT id, "title" FROM users
-- expect-sql: star
CREATE VIEW "star" AS SELECT "id", "title" AS "name" FROM users
