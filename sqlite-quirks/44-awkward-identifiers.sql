-- note: Table, column, index, view and trigger names that need quoting: spaces, embedded double
-- quotes, keywords (`select`, `group`, `order`), non-ASCII (`ünïcode`), `[bracket]` and
-- `backtick` quoting styles, and mixed case. Every generated statement must quote them, and
-- the copy must map each column to itself.
-- setup:
CREATE TABLE "order items" (
  "select" INTEGER PRIMARY KEY,
  "group" TEXT,
  "ünïcode" TEXT,
  [bracket name] INT,
  `back tick` INT,
  "quo""te" TEXT,
  MixedCase INT
);
CREATE INDEX "idx ""odd"" name" ON "order items" ("group", "ünïcode");
CREATE VIEW "view of order" AS SELECT "select", "quo""te" FROM "order items";
INSERT INTO "order items" VALUES (1, 'g', 'ü', 2, 3, 'q"q', 4);
-- change:
ALTER TABLE "order items" ALTER COLUMN "group" TYPE BLOB, ALTER COLUMN [bracket name] TYPE TEXT, ALTER COLUMN mixedcase TYPE TEXT;
-- expect-plan:
order items rebuild
-- expect-sql-unchanged: idx "odd" name, view of order
-- expect: SELECT name, type FROM pragma_table_info('order items') ORDER BY cid
select|INTEGER
group|BLOB
ünïcode|TEXT
bracket name|TEXT
back tick|INT
quo"te|TEXT
MixedCase|TEXT
-- expect: SELECT * FROM "order items"
1|g|ü|2|3|q"q|4
-- expect: SELECT * FROM "view of order"
1|q"q
-- expect-index-used: SELECT "select" FROM "order items" WHERE "group" = 'g' AND "ünïcode" = 'ü'
idx "odd" name
