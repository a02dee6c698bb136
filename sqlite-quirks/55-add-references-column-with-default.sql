-- note: With foreign keys on, SQLite's native ADD COLUMN refuses a REFERENCES column with a
-- non-NULL default ("Cannot add a REFERENCES column with non-NULL default value"). kit must
-- add it by rebuild, fill existing rows with the default, and check that they have a parent.
-- setup:
CREATE TABLE statuses (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE tasks (id INTEGER PRIMARY KEY, title TEXT);
INSERT INTO statuses VALUES (1, 'open'), (2, 'done');
INSERT INTO tasks (title) VALUES ('a'), ('b');
-- change:
ALTER TABLE tasks ADD COLUMN status_id INTEGER DEFAULT 1 REFERENCES statuses (id);
-- expect-plan:
tasks rebuild
-- expect: SELECT id, title, status_id FROM tasks ORDER BY id
1|a|1
2|b|1
-- expect: SELECT "table", "from", "to" FROM pragma_foreign_key_list('tasks')
statuses|status_id|id
-- expect-statement-error: UPDATE tasks SET status_id = 9 WHERE id = 1
FOREIGN KEY constraint failed
