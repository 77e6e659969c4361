"""`python -m core inventory …`: the seed's inventory contract from a shell (JSON last line, exit codes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.cli import main

ROOT = Path(__file__).resolve().parents[2]


def run(capsys, *args: str) -> tuple[int, dict]:
    """Run the CLI in this process against the test database; exit code and the JSON last line."""
    code = main(["inventory", *args, "--json"])
    out = capsys.readouterr().out.strip().splitlines()
    return code, json.loads(out[-1])


@pytest.fixture
def local_products(clean_db, users, capsys):
    for i, (codigo, nombre) in enumerate([("CLI-001", "Tornillo de prueba"), ("CLI-002", "Codo galvanizado de prueba"),
                                          ("CLI-003", "Válvula esfera")]):
        code, body = run(capsys, "create", "--codigo", codigo, "--nombre", nombre, "--precio", str(10 + i),
                         "--categoria", "Pruebas" if i < 2 else "Otras")
        assert code == 0, body
    return True


def test_list_shape_search_and_filters(local_products, capsys):
    code, body = run(capsys, "list", "--search", "galvanisado")
    assert code == 0
    assert [p["codigo"] for p in body["data"]] == ["CLI-002"]
    assert body["pagination"] == {"page": 1, "limit": 20, "total": 1, "totalPages": 1}
    for key in ("id", "codigo", "nombre", "categoria", "precio", "costo", "activo", "origen", "stock_total",
                "stock_minimo"):
        assert key in body["data"][0]
    code, body = run(capsys, "list", "--categoria", "Pruebas", "--limit", "1", "--page", "2")
    assert [p["codigo"] for p in body["data"]] == ["CLI-002"]
    assert body["pagination"] == {"page": 2, "limit": 1, "total": 2, "totalPages": 2}
    code, body = run(capsys, "list", "--stock-bajo")
    assert code == 0 and body["data"] == []


def test_limit_above_100_is_refused(local_products, capsys):
    code, body = run(capsys, "list", "--limit", "101")
    assert code == 1 and body["error"]["code"] == 422
    assert body["error"]["message"] == "El límite por página va de 1 a 100."


def test_unknown_almacen_is_refused(local_products, capsys):
    code, body = run(capsys, "list", "--almacen", "Marte")
    assert code == 1 and body["error"] == {"code": 422, "message": "Almacén desconocido: Marte.",
                                          "fields": {"almacen": "Almacén desconocido."}}


def test_show_by_codigo_and_id(local_products, capsys):
    code, body = run(capsys, "show", "CLI-003")
    assert code == 0 and body["producto"]["nombre"] == "Válvula esfera" and body["inventario"] == []
    code, again = run(capsys, "show", str(body["producto"]["id"]))
    assert again["producto"]["codigo"] == "CLI-003"
    code, body = run(capsys, "show", "NO-EXISTE")
    assert code == 1 and body["error"]["code"] == 404 and body["error"]["message"].startswith("Producto no encontrado")


def test_create_update_delete_and_errors(local_products, capsys):
    code, body = run(capsys, "create", "--codigo", "CLI-001", "--nombre", "Repetido")
    assert code == 1 and body["error"]["code"] == 409
    assert body["error"]["message"] == "Ya existe un producto con el código CLI-001."
    code, body = run(capsys, "create", "--codigo", "CLI-009", "--nombre", "Negativo", "--costo", "-3")
    assert code == 1 and body["error"]["code"] == 422 and "costo" in body["error"]["fields"]
    code, body = run(capsys, "update", "CLI-001", "--nombre", "Tornillo renombrado", "--activo", "false",
                     "--unidad-medida", "PIEZA")
    assert code == 0
    assert (body["producto"]["nombre"], body["producto"]["activo"], body["producto"]["unidad_medida"]) == (
        "Tornillo renombrado", False, "PIEZA")
    code, body = run(capsys, "delete", "CLI-001")
    assert code == 0 and body == {"deleted": "CLI-001"}
    code, body = run(capsys, "delete", "CLI-001")
    assert code == 1 and body["error"]["code"] == 404


def test_the_real_command_line(local_products):
    done = subprocess.run([sys.executable, "-m", "core", "inventory", "list", "--search", "valvula", "--json"],
                          cwd=ROOT, capture_output=True, text=True, env=dict(os.environ), timeout=300)
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout.strip().splitlines()[-1])
    assert [p["codigo"] for p in body["data"]] == ["CLI-003"]
    done = subprocess.run([sys.executable, "-m", "core", "inventory", "delete", "NADA", "--json"],
                          cwd=ROOT, capture_output=True, text=True, env=dict(os.environ), timeout=300)
    assert done.returncode == 1
    assert json.loads(done.stdout.strip().splitlines()[-1])["error"]["code"] == 404
