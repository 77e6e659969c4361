"""core.inventory on the real database: search, filters, sort, pagination, detail, CRUD, audit."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from core import audit, db
from core import inventory as inv
from core.inventory import search
from core.models import audit_log, erp_almacenes, erp_inventario, erp_productos
from core.users import PermissionDenied

F = inv.InventoryFilter


def codes(result: dict) -> list[str]:
    return [p["codigo"] for p in result["data"]]


def make(user, codigo, nombre, **extra):
    return inv.create_producto(user, {"codigo": codigo, "nombre": nombre, **extra})


@pytest.fixture
def catalog(clean_db, users):
    """A small catalog: local products, one from the ERP and one from Excel, stock in two almacenes."""
    admin = users["admin"]
    made = {p["codigo"]: p for p in [
        make(admin, "TOR-0101", "TORNILLO HEXAGONAL 1/4\" X 1\"", categoria="Tornillería", grupo="Ferretería",
             precio=2.5, costo=1.2),
        make(admin, "TOR-0102", "Tornillo para madera #8", categoria="Tornillería", grupo="Ferretería",
             precio=1.8),
        make(admin, "TOR-01", "Taquete de plástico", categoria="Tornillería", grupo="Ferretería"),
        make(admin, "TUB-0201", "CODO GALVANIZADO 1/2\"", categoria="Tubería", grupo="Plomería", precio=35),
        make(admin, "TUB-0202", "Codo PVC cédula 40", categoria="Tubería", grupo="Plomería", precio=12),
        make(admin, "PIN-0301", "Pintura vinílica blanca 19 L", categoria="Pintura", grupo="Pinturas",
             precio=950, costo=700),
    ]}
    with db.begin() as conn:
        conn.execute(erp_productos.insert(), [
            {"codigo": "ERP-1", "nombre": "Martillo de uña 16 oz", "origen": "erp", "erp_id": "9001",
             "categoria": "Herramienta manual", "grupo": "Herramientas", "precio": 180, "activo": True},
            {"codigo": "XLS-1", "nombre": "Cinta métrica 5 m", "origen": "excel", "erp_id": None,
             "categoria": None, "grupo": None, "precio": None, "activo": False},
        ])
        ids = dict(conn.execute(select(erp_productos.c.codigo, erp_productos.c.id)).all())
        alm = {n: conn.execute(erp_almacenes.insert().values(nombre=n, origen="erp").returning(erp_almacenes.c.id)).scalar_one()
               for n in ("Almacén General", "Sucursal Zapopan")}
        stock = [  # (código, almacén, actual, mínimo)
            ("TOR-0101", "Almacén General", 5, 10),  # below minimum
            ("TOR-0101", "Sucursal Zapopan", 50, 10),
            ("TOR-0102", "Almacén General", 0, 0),  # no stock
            ("TUB-0201", "Sucursal Zapopan", 3, 2),
            ("PIN-0301", "Almacén General", 7, 1),
            ("ERP-1", "Sucursal Zapopan", 0, 4),  # below minimum, no stock
        ]
        conn.execute(erp_inventario.insert(), [
            {"producto_id": ids[c], "almacen_id": alm[a], "stock_actual": s, "stock_minimo": m,
             "punto_reorden": m + 1, "stock_maximo": m * 3, "ubicacion": "A-1"} for c, a, s, m in stock])
    return {"ids": ids, "almacenes": alm, "made": made}


# ---------------------------------------------------------------- search


def test_search_ignores_case_and_accents(catalog, users):
    for q in ("cedula", "CÉDULA", "codo pvc cedula"):
        assert codes(inv.list_productos(users["viewer"], F(search=q))) == ["TUB-0202"], q
    assert codes(inv.list_productos(users["viewer"], F(search="vinilica"))) == ["PIN-0301"]


def test_search_tolerates_typos(catalog, users):
    found = codes(inv.list_productos(users["viewer"], F(search="tornilo")))
    assert set(found) == {"TOR-0101", "TOR-0102"}
    found = codes(inv.list_productos(users["viewer"], F(search="codo galvanisado")))
    assert found[0] == "TUB-0201" and "TUB-0202" not in found
    assert codes(inv.list_productos(users["viewer"], F(search="martiyo"))) == ["ERP-1"]
    assert codes(inv.list_productos(users["viewer"], F(search="xilofono"))) == []


def test_codigo_without_dashes_finds_it_first(catalog, users):
    assert codes(inv.list_productos(users["viewer"], F(search="tor0101")))[0] == "TOR-0101"
    assert codes(inv.list_productos(users["viewer"], F(search="tub 0201")))[0] == "TUB-0201"


def test_exact_codigo_ranks_before_prefix_and_names(catalog, users):
    result = inv.list_productos(users["viewer"], F(search="tor-01"))
    found = codes(result)
    assert found[0] == "TOR-01"  # exact, then the códigos it starts
    assert set(found[1:3]) == {"TOR-0101", "TOR-0102"}
    ranks = [p["relevancia"] for p in result["data"]]
    assert ranks == sorted(ranks, reverse=True) and ranks[0] >= 2


def test_python_word_similarity_agrees_with_pg_trgm(engine):
    pairs = [("tornilo", "tornillo"), ("word", "words"), ("galvanisado", "galvanizado"), ("cdo", "codo"),
             ("martiyo", "martillo")]
    if engine.dialect.name != "postgresql":
        assert [round(search.word_similarity(a, b), 3) for a, b in pairs] == [0.75, 0.8, 0.6, 0.286, 0.625]
        return
    with engine.connect() as conn:
        for a, b in pairs:
            pg = conn.execute(text("SELECT word_similarity(:a, :b)"), {"a": a, "b": b}).scalar_one()
            assert search.word_similarity(a, b) == pytest.approx(pg, abs=1e-6), (a, b)


def test_pagination_counts_every_match(clean_db, users):
    for i in range(45):
        make(users["manager"], f"PRB-{i:03d}", f"Producto de prueba {i}")
    first = inv.list_productos(users["viewer"], F(search="prueba"))
    assert first["pagination"] == {"page": 1, "limit": 20, "total": 45, "totalPages": 3}
    assert len(first["data"]) == 20
    last = inv.list_productos(users["viewer"], F(search="prueba", page=3))
    assert len(last["data"]) == 5
    assert not set(codes(first)) & set(codes(last))
    past = inv.list_productos(users["viewer"], F(search="prueba", page=4))
    assert past["data"] == [] and past["pagination"]["total"] == 45
    hundred = inv.list_productos(users["viewer"], F(limit=100))
    assert len(hundred["data"]) == 45 and hundred["pagination"]["totalPages"] == 1


@pytest.mark.parametrize("bad, field", [
    (F(limit=101), "limit"), (F(limit=0), "limit"), (F(page=0), "page"), (F(origen="sap"), "origen"),
    (F(sort="password_hash"), "sort"), (F(search="x" * 101), "search"), (F(categoria="c" * 101), "categoria"),
])
def test_refused_list_requests_are_422(engine, users, bad, field):
    with pytest.raises(inv.Invalid) as err:
        inv.list_productos(users["viewer"], bad)
    assert err.value.code == 422 and field in err.value.fields


def test_a_huge_search_is_refused_before_any_work(engine, users):
    start = time.perf_counter()
    with pytest.raises(inv.Invalid, match="hasta 100 caracteres"):
        inv.list_productos(users["viewer"], F(search="a-" * 100_000))
    assert time.perf_counter() - start < 5  # generous: the point is that it is not processed


# ---------------------------------------------------------------- filters and sort


def test_every_filter(catalog, users):
    v = users["viewer"]
    alm = catalog["almacenes"]
    assert set(codes(inv.list_productos(v, F(categoria="Tubería")))) == {"TUB-0201", "TUB-0202"}
    assert set(codes(inv.list_productos(v, F(grupo="Ferretería")))) == {"TOR-0101", "TOR-0102", "TOR-01"}
    assert set(codes(inv.list_productos(v, F(almacen_id=alm["Sucursal Zapopan"])))) == {"TOR-0101", "TUB-0201", "ERP-1"}
    assert set(codes(inv.list_productos(v, F(stock_bajo=True)))) == {"TOR-0101", "ERP-1"}
    assert codes(inv.list_productos(v, F(stock_bajo=True, almacen_id=alm["Sucursal Zapopan"]))) == ["ERP-1"]
    # no stock anywhere (no rows, or rows at 0)
    assert set(codes(inv.list_productos(v, F(sin_existencia=True)))) == {"TOR-0102", "TOR-01", "TUB-0202", "ERP-1", "XLS-1"}
    assert codes(inv.list_productos(v, F(activo=False))) == ["XLS-1"]
    assert "XLS-1" not in codes(inv.list_productos(v, F(activo=True)))
    assert codes(inv.list_productos(v, F(origen="erp"))) == ["ERP-1"]
    assert codes(inv.list_productos(v, F(origen="excel"))) == ["XLS-1"]
    assert len(codes(inv.list_productos(v, F(origen="local")))) == 6
    assert codes(inv.list_productos(v, F(search="tornilo", stock_bajo=True))) == ["TOR-0101"]


def test_sort_by_columns(catalog, users):
    v = users["viewer"]
    by_price = codes(inv.list_productos(v, F(sort="precio")))
    assert by_price[:5] == ["TOR-0102", "TOR-0101", "TUB-0202", "TUB-0201", "ERP-1"]
    assert set(by_price[-2:]) == {"TOR-01", "XLS-1"}  # no price: last either way
    by_price_desc = codes(inv.list_productos(v, F(sort="precio", descending=True)))
    assert by_price_desc[0] == "PIN-0301" and set(by_price_desc[-2:]) == {"TOR-01", "XLS-1"}
    by_stock = inv.list_productos(v, F(sort="stock_total", descending=True))
    assert codes(by_stock)[:3] == ["TOR-0101", "PIN-0301", "TUB-0201"]
    assert by_stock["data"][0]["stock_total"] == 55
    by_name = codes(inv.list_productos(v, F(sort="nombre")))  # the database's collation decides case
    assert by_name[-1] == "TOR-0102" and codes(inv.list_productos(v, F(sort="nombre", descending=True))) == by_name[::-1]
    assert codes(inv.list_productos(v, F(sort="codigo", descending=True)))[0] == "XLS-1"


def test_list_rows_carry_the_contract_fields(catalog, users):
    row = next(p for p in inv.list_productos(users["viewer"], F(search="TOR-0101"))["data"]
               if p["codigo"] == "TOR-0101")
    for key in ("id", "codigo", "nombre", "categoria", "precio", "costo", "activo", "origen",
                "stock_total", "stock_minimo"):
        assert key in row
    assert (row["stock_total"], row["stock_minimo"], row["punto_reorden"], row["stock_maximo"]) == (55, 20, 22, 60)
    assert row["existencias"] == {"Almacén General": 5, "Sucursal Zapopan": 50}
    assert row["bajo_minimo"] is True and row["precio"] == 2.5 and row["origen"] == "local"


def test_filter_options(catalog, users):
    opts = inv.filter_options(users["viewer"])
    assert opts["categorias"] == ["Herramienta manual", "Pintura", "Tornillería", "Tubería"]
    assert [a["nombre"] for a in opts["almacenes"]] == ["Almacén General", "Sucursal Zapopan"]


# ---------------------------------------------------------------- CRUD rules


@pytest.mark.parametrize("values, field, message", [
    ({"codigo": "", "nombre": "X"}, "codigo", "El código es obligatorio."),
    ({"codigo": "   ", "nombre": "X"}, "codigo", "El código es obligatorio."),
    ({"nombre": "X"}, "codigo", "El código es obligatorio."),
    ({"codigo": "A" * 51, "nombre": "X"}, "codigo", "El código admite hasta 50 caracteres."),
    ({"codigo": "A" * 200_000, "nombre": "X"}, "codigo", "El código admite hasta 50 caracteres."),
    ({"codigo": "A1", "nombre": ""}, "nombre", "El nombre es obligatorio."),
    ({"codigo": "A1", "nombre": "N" * 256}, "nombre", "El nombre admite hasta 255 caracteres."),
    ({"codigo": "A1", "nombre": "X", "precio": -1}, "precio", "El precio debe ser un número mayor o igual a 0."),
    ({"codigo": "A1", "nombre": "X", "costo": "abc"}, "costo", "El costo debe ser un número mayor o igual a 0."),
    ({"codigo": "A1", "nombre": "X", "costo": "NaN"}, "costo", "El costo debe ser un número mayor o igual a 0."),
    ({"codigo": "A1", "nombre": "X", "precio": 1e13}, "precio", "El precio es demasiado grande."),
    ({"codigo": "A1", "nombre": "X", "unidad_medida": "U" * 21}, "unidad_medida",
     "La unidad de medida admite hasta 20 caracteres."),
    ({"codigo": "A1", "nombre": "X", "categoria": "C" * 101}, "categoria", "La categoría admite hasta 100 caracteres."),
    ({"codigo": "A1", "nombre": "X", "origen": "erp"}, "origen", "Campo desconocido."),
])
def test_validation_rules_are_422_per_field(clean_db, users, values, field, message):
    with pytest.raises(inv.Invalid) as err:
        inv.create_producto(users["manager"], values)
    assert err.value.code == 422 and err.value.fields[field] == message
    with db.get_engine().connect() as conn:
        assert conn.scalar(select(func.count()).select_from(erp_productos)) == 0


def test_create_defaults_and_optional_fields(clean_db, users):
    p = inv.create_producto(users["manager"], {"codigo": " NUE-1 ", "nombre": "Nuevo", "precio": "1,234.5",
                                               "costo": 0, "unidad_medida": "PIEZA"})
    assert (p["codigo"], p["precio"], p["costo"], p["activo"], p["origen"]) == ("NUE-1", 1234.5, 0.0, True, "local")
    assert p["categoria"] is None and p["unidad_medida"] == "PIEZA"


def test_duplicate_codigo_is_409(catalog, users):
    with pytest.raises(inv.Conflict, match="Ya existe un producto con el código TOR-0101") as err:
        make(users["manager"], "TOR-0101", "Otro")
    assert err.value.code == 409
    with pytest.raises(inv.Conflict):
        make(users["manager"], "tor-0101", "Otro en minúsculas")
    with pytest.raises(inv.Conflict, match="TUB-0201"):
        inv.update_producto(users["manager"], "TOR-0102", {"codigo": "TUB-0201"})


def test_delete_referenced_is_409_and_deactivate_works(catalog, users):
    with pytest.raises(inv.Conflict, match="Puede desactivarlo") as err:
        inv.delete_producto(users["manager"], "TOR-0101")
    assert err.value.code == 409
    p = inv.deactivate_producto(users["manager"], "TOR-0101")
    assert p["activo"] is False
    assert inv.list_productos(users["viewer"], F(search="TOR-0101", activo=True))["data"][0]["codigo"] != "TOR-0101"


def test_delete_unreferenced_and_unknown(catalog, users):
    assert inv.delete_producto(users["admin"], "TUB-0202") == "TUB-0202"
    with pytest.raises(inv.NotFound, match="Producto no encontrado") as err:
        inv.delete_producto(users["admin"], "TUB-0202")
    assert err.value.code == 404
    with pytest.raises(inv.NotFound, match="Producto no encontrado"):
        inv.producto_detail(users["viewer"], 999_999)


def test_erp_fields_are_read_only_on_erp_products(catalog, users):
    with pytest.raises(inv.Invalid, match="Microsip") as err:
        inv.update_producto(users["manager"], "ERP-1", {"nombre": "Otro nombre", "notas": "x"})
    assert set(err.value.fields) == {"nombre"}
    p = inv.update_producto(users["manager"], "ERP-1", {"notas": "Pedir al proveedor B", "nombre": "Martillo de uña 16 oz"})
    assert p["notas"] == "Pedir al proveedor B" and p["nombre"] == "Martillo de uña 16 oz"
    with pytest.raises(inv.Conflict, match="Microsip"):
        inv.delete_producto(users["admin"], "ERP-1")
    assert inv.editable_fields("erp") == ("notas",)
    assert "nombre" in inv.editable_fields("local")


def test_viewer_and_user_cannot_write(catalog, users):
    for role in ("viewer", "user"):
        with pytest.raises(PermissionDenied):
            make(users[role], "NO-1", "No")
        with pytest.raises(PermissionDenied):
            inv.update_producto(users[role], "TOR-0102", {"nombre": "No"})
        with pytest.raises(PermissionDenied):
            inv.delete_producto(users[role], "TUB-0202")
        assert inv.list_productos(users[role], F(search="TOR-0102"))["data"][0]["nombre"] == "Tornillo para madera #8"
    with db.get_engine().connect() as conn:
        assert conn.scalar(select(func.count()).select_from(erp_productos).where(erp_productos.c.codigo == "NO-1")) == 0


def test_every_change_is_audited_and_bumps_the_catalog_version(clean_db, users):
    before = db.data_versions_now()["catalog"]
    p = make(users["manager"], "AUD-1", "Auditado", precio=10)
    inv.update_producto(users["manager"], p["id"], {"precio": "12.50", "nombre": "Auditado"})
    inv.update_producto(users["manager"], p["id"], {"precio": 12.5})  # no change: no row
    inv.delete_producto(users["admin"], "AUD-1")
    assert db.data_versions_now()["catalog"] == before + 3
    with db.get_engine().connect() as conn:
        rows = conn.execute(select(audit_log).order_by(audit_log.c.id)).mappings().all()
    assert [(r["action"], r["entity"], r["entity_label"], r["user_email"]) for r in rows] == [
        ("create", "producto", "AUD-1", users["manager"].email),
        ("update", "producto", "AUD-1", users["manager"].email),
        ("delete", "producto", "AUD-1", users["admin"].email)]
    assert rows[0]["user_id"] == users["manager"].id and rows[0]["before"] is None
    shown = audit.entries(users["admin"])
    assert shown[1]["action"] == "update"
    assert shown[1]["before"] == {"precio": 10.0} and shown[1]["after"] == {"precio": 12.5}
    assert shown[0]["after"] is None and shown[0]["before"]["codigo"] == "AUD-1"
    assert [e["action"] for e in audit.entries(users["admin"], audit.AuditFilter(text="aud-1"))] == ["delete", "update", "create"]
    with pytest.raises(PermissionDenied):
        audit.entries(users["manager"])


# ---------------------------------------------------------------- sync and detail


def test_local_products_survive_a_sync(demo_data, users):
    from core.erp.sync import run_sync

    local = make(users["manager"], "LOC-SYNC-1", "Producto propio de la sucursal", precio=99, categoria="Propios")
    report = run_sync(full=True)
    assert report.status == "completed", report.message
    after = inv.producto_detail(users["viewer"], "LOC-SYNC-1")["producto"]
    for key in ("id", "codigo", "nombre", "precio", "categoria", "activo", "origen"):
        assert after[key] == local[key], key
    assert after["origen"] == "local" and after["activo"] is True
    inv.delete_producto(users["admin"], "LOC-SYNC-1")


def test_a_local_product_keeps_its_data_when_the_erp_has_its_codigo(demo_data, users):
    from core.erp.sync import run_sync

    with db.get_engine().connect() as conn:
        erp_code = conn.scalar(select(erp_productos.c.codigo).where(erp_productos.c.origen == "erp")
                               .order_by(erp_productos.c.codigo).limit(1))
        erp_row = conn.execute(select(erp_productos).where(erp_productos.c.codigo == erp_code)).mappings().one()
    try:
        with db.begin() as conn:  # the ERP article leaves, and a buyer creates a local one with its código
            conn.execute(erp_productos.delete().where(erp_productos.c.codigo == erp_code))
        make(users["manager"], erp_code, "Nombre local")
        run_sync(entities="productos", full=True)
        after = inv.producto_detail(users["viewer"], erp_code)["producto"]
        assert (after["origen"], after["nombre"]) == ("local", "Nombre local")
    finally:
        with db.begin() as conn:
            conn.execute(erp_productos.delete().where(erp_productos.c.codigo == erp_code))
            conn.execute(erp_productos.insert().values(dict(erp_row)))


def test_detail_matches_independent_sql(demo_data, users):
    with db.get_engine().connect() as conn:
        pid, codigo = conn.execute(text(
            "SELECT d.producto_id, p.codigo FROM erp_ventas_detalle d JOIN erp_productos p ON p.id = d.producto_id "
            "GROUP BY d.producto_id, p.codigo ORDER BY count(*) DESC, p.codigo LIMIT 1")).one()
        today = date.today()
        first = today - timedelta(weeks=51)
        first -= timedelta(days=first.weekday())
        units = conn.execute(text(
            "SELECT COALESCE(SUM(d.cantidad), 0) FROM erp_ventas_detalle d JOIN erp_ventas v ON v.id = d.venta_id "
            "WHERE d.producto_id = :p AND v.fecha >= :f AND COALESCE(v.estatus, 'N') <> 'C'"),
            {"p": pid, "f": datetime.combine(first, datetime.min.time())}).scalar_one()
        stock_rows = conn.scalar(select(func.count()).select_from(erp_inventario).where(erp_inventario.c.producto_id == pid))
    d = inv.producto_detail(users["viewer"], codigo, today=today)
    assert d["producto"]["id"] == pid
    assert len(d["ventas_semanales"]) == 52 and d["ventas_semanales"][0]["semana"] == first
    assert sum(w["unidades"] for w in d["ventas_semanales"]) == pytest.approx(float(units))
    assert float(units) > 0
    assert len(d["inventario"]) == stock_rows
    docs = d["documentos"]
    assert 0 < len(docs) <= 20 and [x["fecha"] for x in docs] == sorted((x["fecha"] for x in docs), reverse=True)
    assert inv.producto_detail(users["viewer"], pid)["producto"]["codigo"] == codigo  # by id too


@pytest.mark.postgres_only
def test_search_uses_the_indexes_of_migration_0008(demo_data, engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    from core.inventory.listing import _ordered_ids

    with engine.connect() as conn:
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")  # small tables: make the planner show its options
        trgm = conn.exec_driver_sql("SELECT indexdef FROM pg_indexes WHERE indexname = "
                                    "'idx_erp_productos_palabras_trgm'").scalar_one()
        query = _ordered_ids(conn, F(search="tornilo galvanisado")).limit(20)
        compiled = query.compile(conn, compile_kwargs={"literal_binds": True})
        plan = "\n".join(r[0] for r in conn.exec_driver_sql(f"EXPLAIN {compiled}"))
    assert "gin (palabra gin_trgm_ops)" in trgm  # its use is measured by bench/inventory.py
    assert "idx_erp_productos_palabras" in plan and "idx_erp_productos_codigo_simple" in plan


@pytest.mark.postgres_only
def test_new_words_reach_the_word_list(clean_db, engine, users):
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    make(users["manager"], "PAL-1", "Zapapico forjado")
    inv.update_producto(users["manager"], "PAL-1", {"nombre": "Zapapico templado"})
    with engine.connect() as conn:
        words = set(conn.scalars(text("SELECT palabra FROM erp_productos_palabras")))
    assert {"pal", "1", "zapapico", "forjado", "templado"} <= words
    assert codes(inv.list_productos(users["viewer"], F(search="sapapico templdo"))) == ["PAL-1"]


@pytest.mark.parametrize("window", [2, 100])
def test_last_sale_from_recent_documents_or_all_lines(clean_db, users, monkeypatch, window):
    """A page's last sale dates: from the newest documents when the product is there, else over
    all its lines; cancelled documents never count. The same dates whatever the window."""
    from core.inventory import listing
    from core.models import erp_ventas, erp_ventas_detalle

    monkeypatch.setattr(listing, "RECENT_DOCS", window)
    ids = {c: make(users["manager"], c, f"Producto {c}")["id"] for c in ("OLD", "NEW", "BOTH", "NEVER", "CANC")}
    docs = [("d1", datetime(2025, 1, 5), None, ["OLD", "BOTH"]), ("d2", datetime(2025, 2, 1), "C", ["CANC"]),
            ("d3", datetime(2026, 11, 1), "N", ["NEW"]), ("d4", datetime(2026, 11, 2), None, ["BOTH", "NEW"]),
            ("d5", datetime(2026, 11, 3), "N", ["NEW"])]
    with db.begin() as conn:
        for erp_id, fecha, estatus, codigos in docs:
            vid = conn.execute(erp_ventas.insert().values(origen="VE", erp_id=erp_id, fecha=fecha, estatus=estatus)
                               .returning(erp_ventas.c.id)).scalar_one()
            conn.execute(erp_ventas_detalle.insert(), [
                {"venta_id": vid, "linea": i, "producto_id": ids[c], "cantidad": 1, "importe": 10}
                for i, c in enumerate(codigos, 1)])
    with db.get_engine().connect() as conn:
        rows = {p["codigo"]: p["ultima_venta"] for p in listing.producto_rows(conn, list(ids.values()))}
    assert rows == {"OLD": datetime(2025, 1, 5), "NEW": datetime(2026, 11, 3), "BOTH": datetime(2026, 11, 2),
                    "NEVER": None, "CANC": None}


@pytest.mark.postgres_only
def test_word_postings_follow_every_write(clean_db, engine, users):
    """Migration 0013's triggers keep one posting per (word, código, product) through inserts,
    upserts (the sync's path), renames, a new código and deletes."""
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    expected = text("SELECT DISTINCT w, codigo, id FROM erp_productos, unnest(palabras) w WHERE w <> '' ORDER BY 1, 2, 3")
    postings = text("SELECT palabra, codigo, producto_id FROM erp_productos_palabra_producto ORDER BY 1, 2, 3")

    def same() -> list:
        with engine.connect() as conn:
            rows = conn.execute(postings).all()
            assert rows == conn.execute(expected).all()
        return rows

    make(users["manager"], "PAL-1", "Zapapico forjado")
    make(users["manager"], "PAL-2", "Pala cuadrada forjada")
    columns = ("codigo", "nombre", "origen", "erp_id")
    with db.begin() as conn:  # one new product, one renamed, one unchanged: the sync's upsert
        db.upsert(conn, "erp_productos", [("ERP-1", "Pico de acero", "erp", "1"), ("ERP-2", "Barreta", "erp", "2")],
                  columns=columns, key=("erp_id",))
        db.upsert(conn, "erp_productos", [("ERP-1", "Pico de acero templado", "erp", "1"),
                                          ("ERP-2", "Barreta", "erp", "2"), ("ERP-3", "Cuña", "erp", "3")],
                  columns=columns, key=("erp_id",))
    assert ("templado", "ERP-1") in {r[:2] for r in same()}
    inv.update_producto(users["manager"], "PAL-1", {"nombre": "Zapapico templado"})
    with db.begin() as conn:
        conn.execute(text("UPDATE erp_productos SET codigo = 'PAL-9' WHERE codigo = 'PAL-2'"))
    with db.begin() as conn:
        conn.execute(text("DELETE FROM erp_productos WHERE codigo = 'ERP-3'"))
    rows = same()
    words = {(w, c) for w, c, _ in rows}
    assert ("templado", "PAL-1") in words and ("forjado", "PAL-1") not in words
    assert ("pala", "PAL-9") in words and not any(c == "PAL-2" for _, c in words)
    assert not any(c == "ERP-3" for _, c in words) and len(rows) == 18
    assert codes(inv.list_productos(users["viewer"], F(search="templdo"))) == ["ERP-1", "PAL-1"]
    with db.begin() as conn:
        conn.execute(text("TRUNCATE erp_productos CASCADE"))
    assert same() == []


@pytest.mark.postgres_only
def test_best_rows_page_equals_ranking_every_match(clean_db, engine, users):
    """The relevance page taken from the código matches and the best rows (listing._best_first_page)
    is the page, total and rank that ranking every match gives, page by page."""
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    from core.inventory import listing

    with db.begin() as conn:  # names grouped by código like a real catalog's líneas
        conn.execute(erp_productos.insert(), [
            *[{"codigo": f"MAN-{i:04d}", "nombre": f"Manguera jardin {i % 7}", "origen": "erp"} for i in range(45)],
            *[{"codigo": f"MNG-{i:04d}", "nombre": f"Mango martillo {i % 3}", "origen": "erp"} for i in range(30)],
            *[{"codigo": f"MANG{i}", "nombre": "Codo cobre", "origen": "local"} for i in range(3)],
            *[{"codigo": f"ZZ-{i}", "nombre": "Mangueras surtidas", "origen": "local"} for i in range(2)],
            *[{"codigo": f"TOR-{i:04d}", "nombre": f"Tornillo para madera {i}", "origen": "local",
               "activo": i % 4 != 0} for i in range(25)],
            # "cuerd" is as similar to "cuerda" as to "cuerdo": two best words, one product holds both
            *[{"codigo": f"CU-{i}", "nombre": ("Cuerda nylon", "Cuerdo sisal", "Cuerda cuerdo")[i % 3],
               "origen": "local"} for i in range(24)],
        ])
    v = users["viewer"]
    # manguera: one tier (best rows are every match); mang: código prefix + words of two tiers;
    # para madera: two words; activo: a filter on both parts; mangueras: its best word is in two
    # products, the rest of the page comes from a lower tier ("manguera").
    for f in (F(search="mangueras"), F(search="mangera"), F(search="mang"), F(search="manguera", limit=7), F(search="para madera"),
              F(search="tornillo", activo=True, limit=5), F(search="mangera", page=9), F(search="cuerd", limit=10),
              F(search="cuerd", page=3, limit=10), F(search="madera tornillo", limit=8, page=2),
              F(search="para madera", origen="local", limit=6)):
        with engine.connect() as conn:
            terms = search.parse(f.search)
            candidates = search.pg_candidates(conn, terms)
            whole = conn.execute(listing._ordered_ids(conn, f, search.pg_parts(terms, candidates))).all()
            used_best = listing._relevance_page(conn, f, terms, candidates) is not None
        expected = whole[(f.page - 1) * f.limit:f.page * f.limit]
        result = inv.list_productos(v, f)
        assert [(p["id"], p["relevancia"]) for p in result["data"]] == [(r.id, r.rank) for r in expected], f
        assert result["pagination"]["total"] == len(whole), f
        if f.search in ("mangera", "manguera", "tornillo", "cuerd", "para madera") and f.page == 1:
            assert used_best, f  # the common-word pages do take the short path
        if f.search == "mangueras":
            assert not used_best and len(result["data"]) == 20, f
