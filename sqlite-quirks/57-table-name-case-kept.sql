-- note: SQLite table names are case-insensitive but stored as written. `ALTER TABLE users` on a
-- table created as `Users` must rebuild that table and keep its name `Users` (not the spelling
-- in the ALTER), so code and tools that read sqlite_schema see the same name.
-- setup:
CREATE TABLE Users (Id INTEGER PRIMARY KEY, Name TEXT, Age INT);
INSERT INTO Users VALUES (1, 'ann', 30);
-- change:
ALTER TABLE users ALTER COLUMN age TYPE TEXT;
-- expect: SELECT type, name, tbl_name FROM sqlite_schema WHERE type = 'table'
table|Users|Users
-- expect: SELECT name FROM pragma_table_info('Users') ORDER BY cid
Id
Name
Age
