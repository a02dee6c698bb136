-- note: An index on an expression (`lower(email)`) has NULL column names in
-- `pragma_index_info`, so a rebuild that recreates indexes from column lists loses it. It must
-- come back from its SQL text and still serve queries on the expression.
-- setup:
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, age INT);
CREATE UNIQUE INDEX users_email_lower ON users (lower(email));
INSERT INTO users VALUES (1, 'Ann@X', 30), (2, 'bob@x', 40);
-- change:
ALTER TABLE users ALTER COLUMN age TYPE TEXT;
-- expect-plan:
users rebuild
-- expect-sql-unchanged: users_email_lower
-- expect: SELECT cid, name FROM pragma_index_info('users_email_lower')
-2|NULL
-- expect-index-used: SELECT id FROM users WHERE lower(email) = 'ann@x'
users_email_lower
-- expect-statement-error: INSERT INTO users (email) VALUES ('BOB@X')
UNIQUE constraint failed
