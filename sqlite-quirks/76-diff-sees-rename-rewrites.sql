-- note: RENAME COLUMN rewrites every index, trigger and view that names the column (SQLite >=
-- 3.25), and RENAME TABLE rewrites foreign keys that point at the table. A diff that marks a
-- rename with `-- kit:renamed-from` must therefore compare those objects with the new names
-- substituted, so that they are neither dropped nor recreated, and it must emit RENAME (no data
-- lost) rather than DROP + ADD. A view whose output column names come from the renamed
-- column is made again: a rename keeps a view's column names (on PostgreSQL, and in kit on
-- SQLite, see 87), and the target's view yields the new name.
-- setup:
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);
CREATE INDEX users_email ON users(email);
CREATE VIEW emails AS SELECT email FROM users;
CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id));
INSERT INTO users VALUES (1, 'a@x'), (2, 'b@x');
INSERT INTO orders VALUES (10, 2);
-- target:
CREATE TABLE members ( -- kit:renamed-from users
  id INTEGER PRIMARY KEY,
  mail TEXT NOT NULL -- kit:renamed-from email
);
CREATE INDEX users_email ON members(mail);
CREATE VIEW emails AS SELECT mail FROM members;
CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES members(id));
-- expect-diff:
DROP VIEW "emails";
ALTER TABLE "users" RENAME TO "members";
ALTER TABLE "members" RENAME COLUMN "email" TO "mail";
CREATE VIEW emails AS SELECT mail FROM members;
-- expect: SELECT id, mail FROM members ORDER BY id
1|a@x
2|b@x
-- expect: SELECT m.mail FROM orders o JOIN members m ON m.id = o.user_id
b@x
