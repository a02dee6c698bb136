-- note: RENAME COLUMN is native and SQLite rewrites the column's name in indexes, views,
-- triggers, CHECKs and in other tables' REFERENCES (column lists), as PostgreSQL does. Done by
-- rebuild or with legacy_alter_table ON, those would keep the old name and break. The view
-- keeps its output column name `mail`, as on PostgreSQL (see 87): one more native step.
-- setup:
CREATE TABLE users (id INTEGER PRIMARY KEY, mail TEXT UNIQUE CHECK (mail LIKE '%@%'), age INT);
CREATE TABLE logins (id INTEGER PRIMARY KEY, user_mail TEXT REFERENCES users (mail));
CREATE INDEX users_mail_age ON users (mail, age);
CREATE VIEW user_mails AS SELECT mail FROM users;
CREATE TRIGGER users_mail_lower AFTER INSERT ON users BEGIN UPDATE users SET mail = lower(new.mail) WHERE id = new.id; END;
INSERT INTO users VALUES (1, 'a@x', 30);
INSERT INTO logins VALUES (1, 'a@x');
-- change:
ALTER TABLE users RENAME COLUMN mail TO email;
-- expect-plan:
users native
- native
-- expect: SELECT name FROM pragma_table_info('user_mails')
mail
-- expect: SELECT name FROM pragma_index_info('users_mail_age') ORDER BY seqno
email
age
-- expect: SELECT "to" FROM pragma_foreign_key_list('logins')
email
-- expect: SELECT * FROM user_mails
a@x
-- after:
INSERT INTO users (email, age) VALUES ('B@X', 1);
-- expect: SELECT email FROM users ORDER BY id
a@x
b@x
-- expect-statement-error: INSERT INTO users (email) VALUES ('nope')
CHECK constraint failed
