#!/usr/bin/env bash
# Installs the optional peer tools (Alembic, sqlite-utils) into target/bench-venv, where the
# benchmark harness looks for them (or set KIT_BENCH_PYTHON to another interpreter).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv target/bench-venv
target/bench-venv/bin/python -m pip install --quiet --upgrade pip
target/bench-venv/bin/python -m pip install --quiet -r bench/requirements.txt
target/bench-venv/bin/python -c "import alembic, sqlalchemy, sqlite_utils; print('peers:', 'alembic', alembic.__version__, 'SQLAlchemy', sqlalchemy.__version__, 'sqlite-utils ok')"
