-- note: `ALTER COLUMN ... TYPE t USING expr` (PostgreSQL) converts with the expression, which may
-- read other columns of the row; the copy must select the expression (over the old row) instead
-- of the column, once per row, and it must be used as written (not reprinted).
-- setup:
CREATE TABLE prices (id INTEGER PRIMARY KEY, amount TEXT, currency TEXT);
INSERT INTO prices VALUES (1, '12.34', 'eur'), (2, '0.5', 'usd'), (3, NULL, 'eur');
-- change:
ALTER TABLE prices ALTER COLUMN amount TYPE INTEGER USING CAST(round(amount * 100) AS INTEGER), ALTER COLUMN currency TYPE TEXT USING upper(currency) || '!';
-- expect-plan:
prices rebuild
-- expect: SELECT id, amount, typeof(amount), currency FROM prices ORDER BY id
1|1234|integer|EUR!
2|50|integer|USD!
3|NULL|null|EUR!
-- expect: SELECT type FROM pragma_table_info('prices') WHERE name = 'amount'
INTEGER
