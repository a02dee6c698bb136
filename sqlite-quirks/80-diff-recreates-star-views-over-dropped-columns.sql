-- note: A `SELECT *` view is expanded when it is used, so dropping a column of its table would
-- silently change the view's columns; kit refuses that unless the change itself drops and
-- recreates the view (PostgreSQL refuses any drop of a column a view uses). The diff therefore
-- drops every view over a table that loses or retypes a column (dependent views first) and
-- creates them again afterwards, even when their text is unchanged.
-- setup:
CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, legacy TEXT);
CREATE VIEW all_users AS SELECT * FROM users;
CREATE VIEW names AS SELECT name FROM all_users;
INSERT INTO users VALUES (1, 'ann', 'x');
-- target:
CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);
CREATE VIEW all_users AS SELECT * FROM users;
CREATE VIEW names AS SELECT name FROM all_users;
-- expect-diff:
DROP VIEW "names";
DROP VIEW "all_users";
ALTER TABLE "users" DROP COLUMN "legacy";
CREATE VIEW all_users AS SELECT * FROM users;
CREATE VIEW names AS SELECT name FROM all_users;
-- expect: SELECT * FROM all_users
1|ann
-- expect: SELECT * FROM names
ann
