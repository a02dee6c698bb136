-- note: CHECK expressions must be kept as written, never reprinted by a SQL parser: `x IS NOT 1`
-- (SQLite's IS NOT takes any expression; parsers that only know IS NOT NULL reject it),
-- `a ISNULL` / `b NOTNULL` (postfix operators a printer turns into an alias: `a AS ISNULL`),
-- and the hex literal `0x10` (a printer turns it into a blob X'10'). After a rebuild of another
-- column they must be in the stored SQL unchanged and still enforced the same way.
-- setup:
CREATE TABLE odd (
  x INT CHECK (x IS NOT 1),
  a TEXT,
  b TEXT,
  h INT CHECK (h <> 0x10),
  other TEXT,
  CHECK (a ISNULL OR b NOTNULL)
);
INSERT INTO odd VALUES (2, NULL, NULL, 1, 'o'), (NULL, 'a', 'b', 2, 'p');
-- change:
ALTER TABLE odd ALTER COLUMN other TYPE BLOB;
-- expect-plan:
odd rebuild
-- expect: SELECT instr(sql, 'CHECK (x IS NOT 1)') > 0, instr(sql, 'CHECK (h <> 0x10)') > 0, instr(sql, 'CHECK (a ISNULL OR b NOTNULL)') > 0 FROM sqlite_schema WHERE name = 'odd'
1|1|1
-- expect-statement-error: INSERT INTO odd (x) VALUES (1)
CHECK constraint failed
-- expect-statement-error: INSERT INTO odd (h) VALUES (16)
CHECK constraint failed
-- expect-statement-error: INSERT INTO odd (a, b) VALUES ('a', NULL)
CHECK constraint failed
-- after:
INSERT INTO odd (x, h) VALUES (NULL, 17);
-- expect: SELECT count(*) FROM odd
3
