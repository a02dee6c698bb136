"""Peer tools for kit's benchmark: the same change through Alembic batch mode or sqlite-utils.

    python bench/peers.py --check alembic|sqlite-utils     exit 0 when the tool is importable
    python bench/peers.py alembic|sqlite-utils w1|w2 DB    apply W1 or W2 to DB
    python bench/peers.py alembic|sqlite-utils noop -      imports only (start-up cost)

Each tool is used the way its documentation shows; foreign keys are off (Python's sqlite3
default), so dropping `users` does not cascade into `orders`. Neither tool runs the reference
workload as it stands, so each gets the least manual help its error message asks for:

- Alembic batch mode fails at `ALTER TABLE _alembic_tmp_users RENAME TO users` ("error in view
  users_public: no such table: main.users"): the view is dropped first and recreated after.
  It still drops the unnamed CHECK (with a warning) and the trigger, which the harness reports.
- sqlite-utils refuses to drop a column while a partial index exists ("Index
  'users_age_over_60' is a partial or expression index ... You must manually drop this index"):
  the index is dropped first and recreated after.
"""

import sys


def alembic(workload, db):
    import sqlalchemy as sa
    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    if workload == "noop":
        return
    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA foreign_keys = OFF")
        conn.commit()
        with conn.begin():
            op = Operations(MigrationContext.configure(conn))
            view = conn.exec_driver_sql(
                "SELECT sql FROM sqlite_schema WHERE type = 'view' AND name = 'users_public'"
            ).scalar()
            op.execute("DROP VIEW users_public")
            with op.batch_alter_table("users") as batch:
                if workload == "w1":
                    batch.drop_column("legacy")
                    batch.alter_column("age", existing_type=sa.Integer(), type_=sa.Text())
                    batch.alter_column("name", existing_type=sa.Text(), nullable=False)
                else:
                    batch.alter_column("name", existing_type=sa.Text(), nullable=False)
                    batch.drop_column("legacy")
            op.execute(view)


def sqlite_utils(workload, db):
    import sqlite_utils as su

    if workload == "noop":
        return
    database = su.Database(db)
    index = database.execute(
        "SELECT sql FROM sqlite_schema WHERE type = 'index' AND name = 'users_age_over_60'"
    ).fetchone()[0]
    database.execute("DROP INDEX users_age_over_60")
    if workload == "w1":
        database["users"].transform(types={"age": str}, drop={"legacy"}, not_null={"name"})
    else:
        database["users"].transform(not_null={"name"}, drop={"legacy"})
    database.execute(index)
    database.close()


TOOLS = {"alembic": alembic, "sqlite-utils": sqlite_utils}


def main(argv):
    if len(argv) == 3 and argv[1] == "--check":
        try:
            if argv[2] == "alembic":
                import alembic  # noqa: F401
                import sqlalchemy  # noqa: F401
            elif argv[2] == "sqlite-utils":
                import sqlite_utils  # noqa: F401
            else:
                return 2
        except ImportError:
            return 1
        return 0
    if len(argv) != 4 or argv[1] not in TOOLS or argv[2] not in ("w1", "w2", "noop"):
        print(__doc__, file=sys.stderr)
        return 2
    TOOLS[argv[1]](argv[2], argv[3])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
