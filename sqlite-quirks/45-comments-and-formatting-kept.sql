-- note: Objects the change does not touch keep their original SQL text byte for byte:
-- comments, line breaks, indentation and keyword case, also inside the rebuilt table for its
-- untouched columns and constraints. Other tables, their indexes and triggers, are not
-- rewritten at all.
-- setup:
CREATE TABLE t (
    id   INTEGER PRIMARY KEY,   -- the key
    /* the name, shown to users */
    name text   NOT NULL,
    size INT,
    CONSTRAINT name_len CHECK (length(name)   <   100)  -- generous
);
create table Other (
  x int, -- lower-case keywords
  y INT /* trailing */
);
CREATE INDEX /* idx */ t_name ON t (
  name  -- by name
);
CREATE TRIGGER other_ins AFTER INSERT ON Other BEGIN
    -- just a no-op
    SELECT 1;
END;
INSERT INTO t (name, size) VALUES ('a', 1);
-- change:
ALTER TABLE t ALTER COLUMN size TYPE TEXT;
-- expect-plan:
t rebuild
-- expect-sql-unchanged: Other, t_name, other_ins
-- expect: SELECT instr(sql, 'id   INTEGER PRIMARY KEY,   -- the key') > 0, instr(sql, '/* the name, shown to users */' || char(10) || '    name text   NOT NULL,') > 0, instr(sql, 'CONSTRAINT name_len CHECK (length(name)   <   100)  -- generous') > 0 FROM sqlite_schema WHERE name = 't'
1|1|1
