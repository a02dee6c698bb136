-- note: SQLite accepts the same constraint written on a column (`email TEXT UNIQUE`) or as a
-- table constraint (`UNIQUE (email)`), and PostgreSQL names both `t_email_key`. The diff compares
-- constraints by what they say, so moving one between the two spellings is no change, while a
-- real change (an ON DELETE action) is a DROP CONSTRAINT under its default name plus an ADD.
-- `REFERENCES teams` without columns means the parent's primary key: equal to `teams(id)`.
-- setup:
CREATE TABLE teams (id INTEGER PRIMARY KEY);
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT UNIQUE,
  age INT CHECK (age >= 0),
  team INT REFERENCES teams(id) ON DELETE CASCADE,
  owner INT REFERENCES teams
);
INSERT INTO teams VALUES (1);
INSERT INTO users VALUES (1, 'a@x', 30, 1, 1);
-- target:
CREATE TABLE teams (id INTEGER PRIMARY KEY);
CREATE TABLE users (
  id INTEGER,
  email TEXT,
  age INT,
  team INT,
  owner INT,
  PRIMARY KEY (id),
  UNIQUE (email),
  CHECK (age >= 0),
  FOREIGN KEY (team) REFERENCES teams(id) ON DELETE SET NULL,
  FOREIGN KEY (owner) REFERENCES "teams" ("id")
);
-- expect-diff:
ALTER TABLE "users" DROP CONSTRAINT "users_team_fkey";
ALTER TABLE "users" ADD FOREIGN KEY (team) REFERENCES teams(id) ON DELETE SET NULL;
-- expect: SELECT id, email, age, team, owner FROM users
1|a@x|30|1|1
