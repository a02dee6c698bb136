-- note: SET NOT STRICT over an ANY column is fine when no stored value would be converted by
-- NUMERIC affinity (text that is not a number, integers, non-integral reals, blobs): every
-- value keeps its storage class.
-- setup:
CREATE TABLE doc (id INTEGER PRIMARY KEY, v ANY) STRICT;
INSERT INTO doc (id, v) VALUES (1, 'hello'), (2, 7), (3, 1.5), (4, x'00'), (5, NULL), (6, '12abc');
-- change:
ALTER TABLE doc SET NOT STRICT;
-- expect-plan:
doc rebuild
-- expect: SELECT id, typeof(v), quote(v) FROM doc ORDER BY id
1|text|'hello'
2|integer|7
3|real|1.5
4|blob|X'00'
5|null|NULL
6|text|'12abc'
-- expect: SELECT strict FROM pragma_table_list WHERE name = 'doc'
0
