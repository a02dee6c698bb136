-- note: SQLite's native ADD COLUMN refuses a non-constant default: a parenthesized expression
-- (`DEFAULT (lower('X'))`) or CURRENT_TIMESTAMP ("Cannot add a column with non-constant
-- default"). PostgreSQL evaluates the default for every existing row. kit must rebuild and fill
-- existing rows with the default's value, and keep the default's text for new rows.
-- setup:
CREATE TABLE posts (id INTEGER PRIMARY KEY, title TEXT);
INSERT INTO posts (title) VALUES ('a'), ('b');
-- change:
ALTER TABLE posts ADD COLUMN slug TEXT DEFAULT (lower('X')), ADD COLUMN created TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP;
-- expect-plan:
posts rebuild
-- expect: SELECT id, title, slug, created GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9]:[0-9][0-9]' FROM posts ORDER BY id
1|a|x|1
2|b|x|1
-- expect: SELECT name, dflt_value FROM pragma_table_info('posts') WHERE cid >= 2 ORDER BY cid
slug|lower('X')
created|CURRENT_TIMESTAMP
-- after:
INSERT INTO posts (title) VALUES ('c');
-- expect: SELECT slug, created IS NOT NULL FROM posts WHERE title = 'c'
x|1
