"""`python -m core ask`: exit codes, Spanish messages, the contract or {"error": …} as the last JSON line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

from sqlalchemy import text

from core import db

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str, per_minute: int = 10) -> tuple[int, str, str]:
    done = subprocess.run([sys.executable, "-m", "core", "ask", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "ASK_RATE_LIMIT_PER_MINUTE": str(per_minute)}, timeout=300)
    return done.returncode, done.stdout, done.stderr


def last_json(stdout: str) -> dict:
    return json.loads(stdout.strip().splitlines()[-1])


def test_question_as_json(demo_data):
    code, out, err = run_cli("valor del inventario por almacén", "--json", "--limit", "2")
    assert code == 0, err
    result = last_json(out)
    assert result["query"]["natural"] == "valor del inventario por almacén"
    assert result["metadata"]["rowCount"] == 2 and result["query"]["sql"].endswith("LIMIT 2")
    assert out.startswith("Valor del inventario por almacén: 2 filas.")


def test_plain_output_shows_summary_rows_and_sql(demo_data):
    code, out, _ = run_cli("existencias por almacén")
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[1] == "almacen\tproductos_con_existencia\tunidades\tvalor"
    with db.get_engine().connect() as conn:
        names = sorted(r[0] for r in conn.execute(text("SELECT nombre FROM erp_almacenes")))
    assert [ln.split("\t")[0] for ln in lines[2:2 + len(names)]] == names
    assert lines[-1].startswith("SQL: SELECT")


def test_not_understood_exits_1_with_the_error_object(demo_data):
    code, out, err = run_cli("¿va a llover mañana?", "--json")
    assert code == 1
    error = last_json(out)["error"]
    assert error["code"] == 400 and error["rule"] == "no_entendida"
    assert error["message"].startswith("No entendí la pregunta") and err.startswith("No entendí la pregunta")


def test_sql_through_the_same_guard(demo_data):
    code, out, _ = run_cli("--sql", "SELECT nombre FROM erp_almacenes ORDER BY nombre", "--limit", "1", "--json")
    assert code == 0 and len(last_json(out)["data"]) == 1
    code, out, _ = run_cli("--sql", "DELETE FROM erp_productos", "--json")
    assert code == 1
    assert last_json(out)["error"] == {"code": 403, "rule": "solo_select",
                                       "message": "Sólo se permiten consultas SELECT (o WITH … SELECT)."}


def test_user_option_checks_the_permission_and_records_history(demo_data, users):
    code, out, _ = run_cli("valor del inventario", "--user", users["viewer"].email, "--json")
    assert code == 1 and last_json(out)["error"]["code"] == 403
    code, out, _ = run_cli("valor del inventario", "--user", "nadie@pruebas.devcompras.mx", "--json")
    assert code == 1 and last_json(out)["error"]["rule"] == "usuario"
    from core.ask import history
    from core.users import create_user

    manager = create_user(None, email=f"cli-{uuid.uuid4().hex[:8]}@pruebas.devcompras.mx", name="Gerente CLI",
                          role="manager", password="Demo1234!")
    code, _, err = run_cli("valor del inventario", "--user", manager.email)
    assert code == 0, err
    assert [r["question"] for r in history.recent(manager)] == ["valor del inventario"]


def test_too_short_question(demo_data):
    code, out, _ = run_cli("ab", "--json")
    assert code == 1 and last_json(out)["error"]["rule"] == "longitud"


def test_rate_limit_is_429_in_the_json_and_in_the_help(demo_data):
    from core.users import create_user

    user = create_user(None, email=f"cli-{uuid.uuid4().hex[:8]}@pruebas.devcompras.mx", name="Comprador CLI",
                       role="user", password="Demo1234!")
    assert run_cli("valor del inventario", "--user", user.email, per_minute=1)[0] == 0
    code, out, err = run_cli("valor del inventario", "--user", user.email, "--json", per_minute=1)
    assert code == 1 and err.startswith("Hizo 1 preguntas en el último minuto")
    error = last_json(out)["error"]
    assert error["code"] == 429 and error["rule"] == "limite_por_minuto"
    code, out, _ = run_cli("--help")
    assert code == 0 and "400|403|429|500|503" in " ".join(out.split())


def test_readme_lists_the_error_codes_with_429():
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert '{"error": {"code": 400|403|429|500|503' in readme
    assert "429" in readme[readme.index("## Consulta IA"):readme.index("## Pronósticos de demanda")]
