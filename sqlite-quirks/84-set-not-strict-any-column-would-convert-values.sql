-- note: In a STRICT table an ANY column stores every value exactly as given, but in an
-- ordinary table the declared type ANY has NUMERIC affinity, which converts text that looks
-- like a number ('12.50' becomes 12.5, '1e3' becomes 1000) and integral reals to integers.
-- SET NOT STRICT would rewrite those values silently, so kit checks them first and refuses.
-- setup:
CREATE TABLE doc (id INTEGER PRIMARY KEY, v ANY) STRICT;
INSERT INTO doc (id, v) VALUES (1, '12.50'), (2, '1e3'), (3, 'hello'), (4, 7), (5, x'00');
-- change:
ALTER TABLE doc SET NOT STRICT;
-- expect-error: column "v" holds values that a non-STRICT ANY column (NUMERIC affinity) would convert
-- expect-error: 2 rows
-- expect: SELECT id, typeof(v), quote(v) FROM doc ORDER BY id
1|text|'12.50'
2|text|'1e3'
3|text|'hello'
4|integer|7
5|blob|X'00'
