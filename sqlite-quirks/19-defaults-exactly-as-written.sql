-- note: Defaults must survive a rebuild of *another* column exactly as written: a parenthesized
-- hex literal `(0x10)` (a printer would turn it into a blob or 16), a string with an escaped
-- quote `'a''b'`, the keyword `CURRENT_TIMESTAMP` (not a string), a negative number `-1`
-- (a signed literal, not an expression), and `DEFAULT NULL`. The stored SQL keeps their text,
-- and new rows get the same values as before.
-- setup:
CREATE TABLE settings (
  id INTEGER PRIMARY KEY,
  flags INT DEFAULT (0x10),
  quote TEXT DEFAULT 'a''b',
  created TEXT DEFAULT CURRENT_TIMESTAMP,
  delta INT DEFAULT -1,
  nada TEXT DEFAULT NULL,
  payload TEXT
);
INSERT INTO settings (payload) VALUES ('p');
-- change:
ALTER TABLE settings ALTER COLUMN payload TYPE BLOB;
-- expect-plan:
settings rebuild
-- expect: SELECT name, dflt_value FROM pragma_table_info('settings') ORDER BY cid
id|NULL
flags|0x10
quote|'a''b'
created|CURRENT_TIMESTAMP
delta|-1
nada|NULL
payload|NULL
-- expect: SELECT instr(sql, 'flags INT DEFAULT (0x10),') > 0, instr(sql, 'quote TEXT DEFAULT ''a''''b'',') > 0, instr(sql, 'delta INT DEFAULT -1,') > 0 FROM sqlite_schema WHERE name = 'settings'
1|1|1
-- after:
INSERT INTO settings (payload) VALUES ('q');
-- expect: SELECT id, flags, typeof(flags), quote, created GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9]:[0-9][0-9]', delta, nada FROM settings ORDER BY id
1|16|integer|a'b|1|-1|NULL
2|16|integer|a'b|1|-1|NULL
