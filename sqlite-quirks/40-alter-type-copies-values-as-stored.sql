-- note: ALTER COLUMN ... TYPE must not CAST: CAST('abc' AS INTEGER) is 0 and CAST('12abc' AS
-- INTEGER) is 12, silently destroying data. kit copies the stored values into the new column,
-- so only SQLite's column affinity applies, exactly as if the application had inserted them:
-- with INTEGER affinity, text that is a well-formed number becomes a number ('007' -> 7,
-- '12.0' -> 12, '2.5' -> 2.5), anything else ('abc', '12abc', '0x10', blobs) is kept as is.
-- With TEXT affinity numbers become their text. Also a rebuild, not a native ALTER.
-- setup:
CREATE TABLE raw (id INTEGER PRIMARY KEY, code TEXT, n INT);
INSERT INTO raw VALUES (1, '007', 7), (2, '12.0', 12), (3, '2.5', NULL), (4, 'abc', 4), (5, '12abc', 5), (6, '0x10', 6), (7, x'0102', 7), (8, NULL, 8);
-- change:
ALTER TABLE raw ALTER COLUMN code TYPE INTEGER, ALTER COLUMN n TYPE TEXT;
-- expect-plan:
raw rebuild
-- expect: SELECT id, quote(code), typeof(code), quote(n), typeof(n) FROM raw ORDER BY id
1|7|integer|'7'|text
2|12|integer|'12'|text
3|2.5|real|NULL|null
4|'abc'|text|'4'|text
5|'12abc'|text|'5'|text
6|'0x10'|text|'6'|text
7|X'0102'|blob|'7'|text
8|NULL|null|'8'|text
