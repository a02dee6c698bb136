-- note: When SQLite rewrites the schema during ALTER TABLE, a double-quoted name in a view or
-- trigger that no longer resolves to a column is turned into a single-quoted string
-- ("quotefix"): after dropping "check" and "id" natively, the view below would read
-- `SELECT "id", 'check'` and silently return the string 'check'. kit compares the texts before
-- and after and refuses when an identifier became a string.
-- setup:
CREATE TABLE "users" ("id" INTEGER, "email" INTEGER, "check" INTEGER);
CREATE VIEW "v" AS SELECT "id", "check" FROM "users" WHERE "id" IS NOT NULL;
INSERT INTO users VALUES (1, 2, 3);
-- change:
ALTER TABLE "users" DROP "check";
ALTER TABLE "users" DROP id;
-- expect-error: "v"
-- expect-error: check
