-- note: SET NOT NULL over existing NULLs fails half-way in a rebuild (NOT NULL constraint failed
-- during the copy) and, worse, SQLite's own stored-definition edit would accept it and leave
-- rows that violate the new schema. kit must refuse before writing, with the column, the count
-- of NULL rows and up to five example keys.
-- setup:
CREATE TABLE contacts (id INTEGER PRIMARY KEY, email TEXT, phone TEXT);
INSERT INTO contacts VALUES (1, 'a@x', '1'), (2, NULL, '2'), (3, 'c@x', NULL), (4, NULL, NULL), (5, NULL, '5'), (6, 'f@x', '6');
-- change:
ALTER TABLE contacts ALTER COLUMN email SET NOT NULL;
-- expect-error: contacts
-- expect-error: email
-- expect-error: 3 rows
-- expect-error: id=2, id=4, id=5
