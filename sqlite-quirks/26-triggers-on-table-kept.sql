-- note: DROP TABLE drops the triggers attached to the table. A rebuild must recreate them from
-- their exact SQL (including WHEN clauses, UPDATE OF column lists and comments), and they must
-- fire afterwards.
-- setup:
CREATE TABLE accounts (id INTEGER PRIMARY KEY, balance INT NOT NULL DEFAULT 0, owner TEXT);
CREATE TABLE audit (at INTEGER PRIMARY KEY, account_id INT, what TEXT);
CREATE TRIGGER accounts_audit_update AFTER UPDATE OF balance ON accounts
WHEN new.balance <> old.balance -- only real changes
BEGIN
  INSERT INTO audit (account_id, what) VALUES (new.id, 'balance ' || old.balance || ' -> ' || new.balance);
END;
CREATE TRIGGER accounts_no_negative BEFORE INSERT ON accounts
BEGIN
  SELECT RAISE(ABORT, 'negative balance') WHERE new.balance < 0;
END;
INSERT INTO accounts VALUES (1, 10, 'ann');
-- change:
ALTER TABLE accounts ALTER COLUMN owner TYPE VARCHAR(50);
-- expect-plan:
accounts rebuild
-- expect-sql-unchanged: accounts_audit_update, accounts_no_negative
-- after:
UPDATE accounts SET balance = 25 WHERE id = 1;
UPDATE accounts SET balance = 25 WHERE id = 1;
-- expect: SELECT account_id, what FROM audit ORDER BY at
1|balance 10 -> 25
-- expect-statement-error: INSERT INTO accounts VALUES (2, -1, 'bob')
negative balance
