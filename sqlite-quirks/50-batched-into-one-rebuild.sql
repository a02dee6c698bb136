-- note: Each rebuild copies the whole table. All the changes a migration makes to one table,
-- in separate ALTER statements or comma-separated in one, must be batched into exactly one
-- rebuild (one copy), as long as no other statement reads or writes the table in between;
-- and the result must be as if they ran one after another.
-- setup:
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, age INT, legacy TEXT, nick TEXT);
INSERT INTO users VALUES (1, 'a@x', 30, 'l1', 'ann'), (2, 'b@x', NULL, 'l2', 'bob');
-- change:
ALTER TABLE users ALTER COLUMN age TYPE TEXT;
ALTER TABLE users DROP COLUMN legacy;
ALTER TABLE users ALTER COLUMN email SET NOT NULL, ADD CONSTRAINT users_email_key UNIQUE (email);
ALTER TABLE users ADD COLUMN score INT NOT NULL DEFAULT 0, ALTER COLUMN nick SET DEFAULT 'anon';
-- expect-plan:
users rebuild
-- expect: SELECT name, type, "notnull", dflt_value FROM pragma_table_info('users') ORDER BY cid
id|INTEGER|0|NULL
email|TEXT|1|NULL
age|TEXT|0|NULL
nick|TEXT|0|'anon'
score|INT|1|0
-- expect: SELECT id, email, age, typeof(age), nick, score FROM users ORDER BY id
1|a@x|30|text|ann|0
2|b@x|NULL|null|bob|0
-- expect-statement-error: INSERT INTO users (email) VALUES ('a@x')
UNIQUE constraint failed
