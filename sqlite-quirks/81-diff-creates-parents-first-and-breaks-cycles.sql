-- note: SQLite accepts a foreign key to a table that does not exist yet, so a schema may list a
-- child before its parent, and two tables may reference each other (sakila's store and staff).
-- PostgreSQL needs the parent first, and a down part that drops in reverse must drop children
-- first (kit refuses to drop a referenced table). The diff creates new tables parents first;
-- in a cycle it creates one table without its key to the other and adds that key after.
-- setup:
CREATE TABLE unrelated (id INTEGER PRIMARY KEY);
-- target:
CREATE TABLE unrelated (id INTEGER PRIMARY KEY);
CREATE TABLE payment (id INTEGER PRIMARY KEY, staff_id INTEGER REFERENCES staff(id));
CREATE TABLE staff (id INTEGER PRIMARY KEY, store_id INTEGER REFERENCES store(id));
CREATE TABLE store (id INTEGER PRIMARY KEY, manager INTEGER REFERENCES staff(id));
-- expect-diff:
CREATE TABLE staff (id INTEGER PRIMARY KEY, store_id INTEGER);
CREATE TABLE payment (id INTEGER PRIMARY KEY, staff_id INTEGER REFERENCES staff(id));
CREATE TABLE store (id INTEGER PRIMARY KEY, manager INTEGER REFERENCES staff(id));
ALTER TABLE "staff" ADD FOREIGN KEY ("store_id") REFERENCES store(id);
-- expect: SELECT "table", "from", "to" FROM pragma_foreign_key_list('staff')
store|store_id|id
