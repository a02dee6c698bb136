-- note: DROP TABLE drops the table's indexes, so a rebuild must recreate every index from its
-- original SQL. A partial index (`WHERE ...`) is easy to lose or to recreate without its WHERE
-- (which changes what a UNIQUE index enforces). It must come back byte for byte, still be
-- used by the planner, and still enforce uniqueness only over the rows its WHERE selects.
-- setup:
CREATE TABLE accounts (id INTEGER PRIMARY KEY, email TEXT, deleted_at TEXT, note INT);
CREATE UNIQUE INDEX accounts_live_email ON accounts (email) WHERE deleted_at IS NULL;
INSERT INTO accounts VALUES (1, 'a@x', NULL, 1), (2, 'a@x', '2020-01-01', 2), (3, 'b@x', NULL, 3);
-- change:
ALTER TABLE accounts ALTER COLUMN note TYPE TEXT;
-- expect-plan:
accounts rebuild
-- expect-sql-unchanged: accounts_live_email
-- expect: SELECT name, "unique", partial FROM pragma_index_list('accounts')
accounts_live_email|1|1
-- expect-index-used: SELECT id FROM accounts WHERE email = 'a@x' AND deleted_at IS NULL
accounts_live_email
-- expect-statement-error: INSERT INTO accounts (email) VALUES ('b@x')
UNIQUE constraint failed
-- after:
INSERT INTO accounts (email, deleted_at) VALUES ('b@x', '2021-01-01');
-- expect: SELECT count(*) FROM accounts WHERE email = 'b@x'
2
