-- note: A table may have ordinary columns named `rowid`, `oid` or `_rowid_`; each one hides
-- that name for the real rowid. kit must copy the real rowid through a name that is not
-- shadowed (`_rowid_` here), and copy the columns named rowid/oid as ordinary columns. When
-- all three names are columns the rowid cannot be read at all; the columns must still survive.
-- setup:
CREATE TABLE shadowed (rowid TEXT, oid INT, v TEXT);
INSERT INTO shadowed (_rowid_, rowid, oid, v) VALUES (7, 'r7', 70, 'a'), (8, 'r8', 80, 'b'), (20, 'r20', 200, 'c');
CREATE TABLE all_three (rowid TEXT, oid TEXT, _rowid_ TEXT, v INT);
INSERT INTO all_three VALUES ('a', 'b', 'c', 1), ('d', 'e', 'f', 2);
-- change:
ALTER TABLE shadowed ALTER COLUMN v TYPE BLOB;
ALTER TABLE all_three ALTER COLUMN v TYPE TEXT;
-- expect-plan:
shadowed rebuild
all_three rebuild
-- expect: SELECT _rowid_, rowid, oid, v FROM shadowed ORDER BY _rowid_
7|r7|70|a
8|r8|80|b
20|r20|200|c
-- expect: SELECT rowid, oid, _rowid_, v, typeof(v) FROM all_three ORDER BY v
a|b|c|1|text
d|e|f|2|text
