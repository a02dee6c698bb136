-- note: The copy must move every stored value bit for bit, with its storage class: the integer
-- extremes, a REAL that is not a round decimal, infinity, text with an embedded NUL, the empty string (not NULL), blobs, and in a column without a
-- declared type (BLOB affinity) the text '1' next to the integer 1, which must stay distinct.
-- Nothing may pass through text formatting or CAST.
-- setup:
CREATE TABLE vals (id INTEGER PRIMARY KEY, v, note TEXT);
INSERT INTO vals (v, note) VALUES (9223372036854775807, 'max'), (-9223372036854775808, 'min'), (0.1 + 0.2, 'real'), ('a' || char(0) || 'b', 'nul'), ('', 'empty'), (x'00ff10', 'blob'), ('1', 'text one'), (1, 'int one'), (NULL, 'null'), (1e308 * 10, 'inf');
-- change:
ALTER TABLE vals ALTER COLUMN note TYPE VARCHAR(20);
-- expect-plan:
vals rebuild
-- expect: SELECT id, typeof(v), hex(v), note FROM vals ORDER BY id
1|integer|39323233333732303336383534373735383037|max
2|integer|2D39323233333732303336383534373735383038|min
3|real|302E3330303030303030303030303030303034|real
4|text|610062|nul
5|text||empty
6|blob|00FF10|blob
7|text|31|text one
8|integer|31|int one
9|null||null
10|real|496E66|inf
-- expect: SELECT count(*) FROM vals WHERE id = 3 AND v = 0.1 + 0.2
1
-- expect: SELECT count(*) FROM vals WHERE v = '1'
1
