#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what it needs, then runs it on SQLite and on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive PIP_DISABLE_PIP_VERSION_CHECK=1

echo "== dependencias de Python"
python -m pip install -q -r requirements-dev.txt

echo "== servicios del sistema"
need_apt=()
command -v chromium >/dev/null || need_apt+=(chromium)
if [ ${#need_apt[@]} -gt 0 ]; then
  apt-get update -qq && apt-get install -y -q "${need_apt[@]}" >/dev/null
fi
bash scripts/install_firebird.sh
pg_isready -h 127.0.0.1 -p 5432 -q || pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 || redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no

echo "== estilo y tipos"
python -m ruff check .
python -m mypy

echo "== pruebas sobre SQLite"
DEVCOMPRAS_TEST_DB=sqlite python -m pytest -q "$@"

echo "== pruebas sobre PostgreSQL"
DEVCOMPRAS_TEST_DB=postgres python -m pytest -q "$@"
