-- note: SQLite does not check existing rows when a foreign key is added by rebuilding or by
-- editing the definition; `PRAGMA foreign_key_check` would find the orphans only later.
-- kit must count child rows whose non-NULL key has no parent (NULL keys are fine) and refuse.
-- setup:
CREATE TABLE teams (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE players (id INTEGER PRIMARY KEY, team_id INT, name TEXT);
INSERT INTO teams VALUES (1, 'red'), (2, 'blue');
INSERT INTO players VALUES (1, 1, 'a'), (2, 3, 'b'), (3, NULL, 'c'), (4, 9, 'd'), (5, 2, 'e');
-- change:
ALTER TABLE players ADD CONSTRAINT players_team_fk FOREIGN KEY (team_id) REFERENCES teams (id);
-- expect-error: players
-- expect-error: teams
-- expect-error: 2 rows
-- expect-error: id=2, id=4
