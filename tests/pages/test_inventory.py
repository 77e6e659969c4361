"""The inventory page driven as each role would: read-only for viewers, create → edit → deactivate for managers."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import select

from core import db
from core import inventory as inv
from core.models import audit_log, erp_productos
from tests.pages.conftest import goto, login


def open_inventory(email: str):
    at = goto(login(email), "inventory.py")
    assert not at.exception, at.exception
    return at


def button(at, label: str):
    found = [b for b in at.button if b.label == label]
    assert found, f"no button {label!r}: {[b.label for b in at.button]}"
    return found[0]


def texts(elements) -> list[str]:
    return [e.value for e in elements]


def db_row(codigo: str):
    with db.get_engine().connect() as conn:
        return conn.execute(select(erp_productos).where(erp_productos.c.codigo == codigo)).mappings().first()


@pytest.fixture
def cleanup():
    made: list[str] = []
    yield made
    with db.begin() as conn:
        conn.execute(erp_productos.delete().where(erp_productos.c.codigo.in_(made)))


def test_viewer_reads_without_write_controls(demo_data, users):
    at = open_inventory(users["viewer"].email)
    assert texts(at.title) == ["Inventario"]
    assert at.text_input(key="inv_buscar").proto.max_chars == 100
    at.text_input(key="inv_buscar").input("tornilo").run()
    shown = at.dataframe[0].value
    expected = inv.list_productos(users["viewer"], inv.InventoryFilter(search="tornilo"))
    assert list(shown["Código"]) == [p["codigo"] for p in expected["data"]]
    assert all("ornillo" in n for n in shown["Nombre"].head(5))
    assert f"{expected['pagination']['total']:,} productos" in at.caption[0].value
    at.selectbox(key="inv_detalle").select_index(0).run()
    assert not at.exception and not at.error
    assert texts(at.subheader)[0].startswith(shown["Código"][0])
    assert len(at.get("plotly_chart")) == 1
    labels = {b.label for b in at.button}
    assert not labels & {"Crear producto", "Guardar cambios", "Eliminar", "Desactivar"}
    assert not any(e.label in ("Nuevo producto", "Editar producto") for e in at.expander)


def test_manager_creates_edits_and_deactivates(demo_data, users, cleanup):
    cleanup.append("PAG-0001")
    at = open_inventory(users["manager"].email)
    at.text_input(key="inv_nuevo_codigo").input("PAG-0001")
    at.text_input(key="inv_nuevo_nombre").input("Codo galvanizado de página")
    at.text_input(key="inv_nuevo_precio").input("-5")
    button(at, "Crear producto").click().run()
    assert "El precio debe ser un número mayor o igual a 0." in texts(at.error)
    assert db_row("PAG-0001") is None
    assert at.text_input(key="inv_nuevo_nombre").value == "Codo galvanizado de página"  # kept for the fix
    at.text_input(key="inv_nuevo_precio").input("45.50")  # a form sends its fields on submit
    button(at, "Crear producto").click().run()
    assert not at.exception and "Producto PAG-0001 creado." in texts(at.success)
    row = db_row("PAG-0001")
    assert (row["nombre"], float(row["precio"]), row["origen"], row["activo"]) == (
        "Codo galvanizado de página", 45.5, "local", True)
    assert texts(at.subheader)[0] == "PAG-0001 · Codo galvanizado de página"  # the new product opens

    key = f"inv_editar_{row['id']}"
    at.text_input(key=f"{key}_nombre").input("Codo galvanizado 1/2 de página")
    at.text_input(key=f"{key}_costo").input("30")
    button(at, "Guardar cambios").click().run()
    assert "Producto PAG-0001 actualizado." in texts(at.success)
    row = db_row("PAG-0001")
    assert (row["nombre"], float(row["costo"])) == ("Codo galvanizado 1/2 de página", 30.0)

    button(at, "Desactivar").click().run()
    assert "Producto PAG-0001 desactivado." in texts(at.success)
    assert db_row("PAG-0001")["activo"] is False
    with db.get_engine().connect() as conn:
        actions = conn.execute(select(audit_log.c.action, audit_log.c.user_email).where(
            audit_log.c.entity_label == "PAG-0001").order_by(audit_log.c.id)).all()
    assert [a for a, _ in actions] == ["create", "update", "update"]
    assert {e for _, e in actions} == {users["manager"].email}


def test_duplicate_codigo_shows_the_409_message(demo_data, users):
    at = open_inventory(users["manager"].email)
    at.text_input(key="inv_nuevo_codigo").input("TOR-0101")
    at.text_input(key="inv_nuevo_nombre").input("Repetido")
    button(at, "Crear producto").click().run()
    assert "Ya existe un producto con el código TOR-0101." in texts(at.error)


def test_erp_product_fields_are_read_only_and_delete_is_refused(demo_data, users, cleanup):
    at = open_inventory(users["manager"].email)
    at.text_input(key="inv_buscar").input("TOR-0101").run()
    at.selectbox(key="inv_detalle").select_index(0).run()
    row = db_row("TOR-0101")
    key = f"inv_editar_{row['id']}"
    assert at.text_input(key=f"{key}_nombre").disabled and at.text_input(key=f"{key}_precio").disabled
    assert not at.text_input(key=f"{key}_notas").disabled
    assert any("solo lectura" in i.value for i in at.info)
    assert not any(b.label == "Eliminar" for b in at.button)
    at.text_input(key=f"{key}_notas").input("Revisar con el proveedor")
    button(at, "Guardar cambios").click().run()
    assert db_row("TOR-0101")["notas"] == "Revisar con el proveedor"
    with db.begin() as conn:
        conn.execute(erp_productos.update().where(erp_productos.c.id == row["id"]).values(notas=None))


def test_referenced_product_offers_to_deactivate(demo_data, users, cleanup):
    from core.models import erp_almacenes, erp_inventario

    cleanup.append("PAG-REF")
    p = inv.create_producto(users["manager"], {"codigo": "PAG-REF", "nombre": "Con existencias"})
    with db.begin() as conn:
        alm = conn.scalar(select(erp_almacenes.c.id).limit(1))
        conn.execute(erp_inventario.insert().values(producto_id=p["id"], almacen_id=alm, stock_actual=3))
    at = goto(login(users["admin"].email), "inventory.py")
    at.text_input(key="inv_buscar").input("PAG-REF").run()
    at.selectbox(key="inv_detalle").select_index(0).run()
    button(at, "Eliminar").click().run()
    assert any("Puede desactivarlo" in w.value for w in at.warning)
    assert db_row("PAG-REF") is not None
    button(at, "Desactivar en su lugar").click().run()
    assert db_row("PAG-REF")["activo"] is False


def test_unknown_product_says_not_found(demo_data, users):
    at = login(users["viewer"].email)
    at.query_params["producto"] = "NO-EXISTE-999"
    at = goto(at, "inventory.py")
    assert any(e.value.startswith("Producto no encontrado") for e in at.error)


def test_export_button_offers_the_whole_filtered_view(demo_data, users):
    at = open_inventory(users["viewer"].email)
    at.text_input(key="inv_buscar").input("codo").run()
    total = inv.list_productos(users["viewer"], inv.InventoryFilter(search="codo"))["pagination"]["total"]
    button(at, "Preparar Excel").click().run()
    assert not at.exception
    labels = [b.label for b in at.get("download_button")]
    assert labels == [f"Descargar {total:,} productos (XLSX)"]


def test_admin_reads_the_audit_page(demo_data, users, cleanup):
    cleanup.append("PAG-AUD")
    inv.create_producto(users["manager"], {"codigo": "PAG-AUD", "nombre": "Auditado en página"})
    at = goto(login(users["admin"].email), "audit.py")
    assert not at.exception and texts(at.title) == ["Auditoría"]
    at.text_input(key="aud_texto").input("PAG-AUD").run()
    table = at.dataframe[0].value
    assert list(table["Acción"]) == ["Alta"] and list(table["Usuario"]) == [users["manager"].email]
    assert '"codigo": "PAG-AUD"' in table["Después"][0]


def test_an_almacen_without_a_stock_row_shows_a_dash_not_none(demo_data, users, cleanup):
    """No stock row in an almacén means no stock known there: "—", never Streamlit's gray None."""
    from core.models import erp_almacenes, erp_inventario

    cleanup.append("PAG-SINFILA")
    p = inv.create_producto(users["manager"], {"codigo": "PAG-SINFILA", "nombre": "Solo en un almacén"})
    with db.begin() as conn:
        first, *others = conn.execute(select(erp_almacenes.c.nombre, erp_almacenes.c.id)
                                      .order_by(erp_almacenes.c.id)).all()
        conn.execute(erp_inventario.insert().values(producto_id=p["id"], almacen_id=first.id, stock_actual=7))
    assert others, "the demo data has several almacenes"
    at = open_inventory(users["viewer"].email)
    at.text_input(key="inv_buscar").input("PAG-SINFILA").run()
    table = at.dataframe[0]  # the list (AppTest gives a dataframe no key)
    row = table.value.set_index("Código").loc["PAG-SINFILA"]
    assert (row[first.nombre], row["Stock total"]) == (7, 7)
    assert all(pd.isna(row[o.nombre]) for o in others)  # missing, not a made-up 0 …
    assert table.proto.placeholder == "—"  # … and the browser draws a missing cell as "—"
