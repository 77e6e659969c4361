"""`python -m core …` as operators and cron run it: exit codes, Spanish messages, JSON last line."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "core", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=300)


@pytest.fixture
def scratch_env(tmp_path):
    return {"DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "STORAGE_DIR": str(tmp_path)}


def test_seed_demo_json_reports_counts(scratch_env):
    done = run_cli("seed-demo", "--scale", "0.05", "--json", env=scratch_env)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["status"] == "completed"
    assert set(report["entities"]) == {"productos", "inventario", "clientes", "ventas"}
    assert report["entities"]["productos"]["created"] > 50
    again = json.loads(run_cli("sync", "--full", "--json", env={**scratch_env, "DEMO_SCALE": "0.05"})
                       .stdout.strip().splitlines()[-1])
    assert again["status"] == "completed"
    assert all(e["created"] == 0 and e["updated"] == 0 for e in again["entities"].values()), again


def test_health_json(scratch_env):
    assert run_cli("init-db", env=scratch_env).returncode == 0
    done = run_cli("health", "--json", env=scratch_env)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["database"] == "ok"
    assert report["erp"].startswith("ok")
    assert report["workers"] == 0
    assert done.returncode == 0


def test_health_reports_a_broken_database(tmp_path):
    done = run_cli("health", "--json", env={"DATABASE_URL": "postgresql+psycopg://nadie@127.0.0.1:1/x"})
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["database"].startswith("error:")
    assert done.returncode == 1


def test_create_user_and_refusals(scratch_env):
    ok = run_cli("create-user", "nueva@empresa.mx", "--role", "manager", "--password", "segura123", env=scratch_env)
    assert ok.returncode == 0 and "nueva@empresa.mx" in ok.stdout
    dup = run_cli("create-user", "nueva@empresa.mx", "--role", "viewer", "--password", "segura123", env=scratch_env)
    assert dup.returncode == 1
    assert dup.stderr.strip() == "Ya existe una cuenta con el correo nueva@empresa.mx."
    bad = run_cli("create-user", "no-es-correo", "--role", "viewer", "--password", "segura123", env=scratch_env)
    assert bad.returncode == 1 and bad.stderr.strip() == "El correo electrónico no es válido."


def test_production_placeholders_refused_in_one_spanish_line(scratch_env):
    # The public defaults, as an install that never set them has (the test session sets real ones).
    defaults = {"COOKIE_KEY": "dev-cookie-key-cambiame-en-produccion", "ADMIN_PASSWORD": "Admin1234!"}
    done = run_cli("init-db", env={**scratch_env, **defaults, "APP_ENV": "production"})
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "COOKIE_KEY" in lines[0] and "ADMIN_PASSWORD" in lines[0]


def test_usage_errors_are_one_spanish_line_and_json_with_json():
    done = run_cli("sync", "--entity", "foo", "--json")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "Uso incorrecto: --entity: opción no válida 'foo' (use una de: 'productos', 'inventario', "
        "'clientes', 'ventas'). Vea «python -m core sync --help»."]
    assert json.loads(done.stdout.strip().splitlines()[-1])["status"] == "failed"
    missing = run_cli()
    assert missing.returncode == 2 and "faltan argumentos: COMANDO" in missing.stderr


def test_database_down_is_reported_in_spanish_without_driver_text():
    done = run_cli("sync", "--json", env={"DATABASE_URL": "postgresql+psycopg://nadie@127.0.0.1:1/x"})
    assert done.returncode == 1
    message = json.loads(done.stdout.strip().splitlines()[-1])["message"]
    assert message == ("No se pudo conectar con la base de datos: revise DATABASE_URL y que el "
                       "servidor esté en línea.")
    assert done.stderr.strip().splitlines() == [message]
