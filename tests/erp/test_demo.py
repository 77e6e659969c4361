"""The demo ERP generator (core/erp/demo.py) and DemoSource on its in-memory SQLite database."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest

from core.erp import demo
from core.erp.demo import DemoSource, generate
from core.erp.microsip_schema import TABLES
from core.erp.source import (
    CLIENTE_FIELDS,
    INVENTARIO_FIELDS,
    PRODUCTO_FIELDS,
    VENTA_DETALLE_FIELDS,
    VENTA_FIELDS,
)

END = date(2026, 6, 30)


@pytest.fixture(scope="module")
def data():
    return generate(scale=0.3, seed=11, end_date=END)


@pytest.fixture(scope="module")
def source():
    src = DemoSource(scale=0.3, seed=11, end_date=END)
    yield src
    src.close()


def _rows(data, table):
    cols = data.columns(table)
    return [dict(zip(cols, r, strict=True)) for r in data.rows(table)]


def test_same_inputs_give_identical_data_and_another_seed_differs():
    a = demo._Generator(0.05, 3, END).run()  # bypass the cache: two real runs
    b = demo._Generator(0.05, 3, END).run()
    c = demo._Generator(0.05, 4, END).run()
    for table in TABLES:
        assert a.columns(table) == b.columns(table)
        for col in a.columns(table):
            assert a.values(table, col) == b.values(table, col), (table, col)
    assert a.values("DOCTOS_VE_DET", "UNIDADES") != c.values("DOCTOS_VE_DET", "UNIDADES")


def test_every_column_exists_in_the_microsip_schema(data):
    for table, cols in data.tables.items():
        assert set(cols) <= set(TABLES[table].column_names), table


def test_ids_are_sparse_and_come_from_one_generator(data):
    pk = {
        "ARTICULOS": "ARTICULO_ID",
        "ALMACENES": "ALMACEN_ID",
        "CLIENTES": "CLIENTE_ID",
        "CLAVES_ARTICULOS": "CLAVE_ARTICULO_ID",
        "LINEAS_ARTICULOS": "LINEA_ARTICULO_ID",
        "DOCTOS_VE": "DOCTO_VE_ID",
        "DOCTOS_VE_DET": "DOCTO_VE_DET_ID",
        "DOCTOS_PV": "DOCTO_PV_ID",
        "DOCTOS_PV_DET": "DOCTO_PV_DET_ID",
        "DIRS_CLIENTES": "DIR_CLI_ID",
        "DOCTOS_VE_LIGAS": "DOCTO_VE_LIGA_ID",
    }
    seen: list[int] = []
    for table, col in pk.items():
        ids = data.values(table, col)
        assert len(set(ids)) == len(ids), table
        assert ids != list(range(1, len(ids) + 1)), table
        assert min(ids) > 1000, table
        seen.extend(ids)
    # one shared generator: no id is used twice across tables
    assert len(set(seen)) == len(seen)
    arts = np.sort(np.array(data.values("ARTICULOS", "ARTICULO_ID")))
    assert (np.diff(arts) > 1).mean() > 0.8  # gaps, not consecutive numbers
    assert data.next_id >= max(seen)


def test_skus_live_in_claves_articulos_under_a_principal_role(data):
    roles = {r["ROL_CLAVE_ART_ID"]: r["ES_PPAL"] for r in _rows(data, "ROLES_CLAVES_ARTICULOS")}
    assert sorted(roles.values()) == ["N", "N", "S"]
    by_art = defaultdict(list)
    for k in _rows(data, "CLAVES_ARTICULOS"):
        by_art[k["ARTICULO_ID"]].append(
            (k["CLAVE_ARTICULO_ID"], roles[k["ROL_CLAVE_ART_ID"]], k["CLAVE_ARTICULO"])
        )
    arts = data.values("ARTICULOS", "ARTICULO_ID")
    assert set(by_art) == set(arts)
    principal = [a for a in arts if any(f == "S" for _, f, _ in by_art[a])]
    assert len(principal) > 0.95 * len(arts)
    assert len(principal) < len(arts)  # a few have only secondary keys (reader's fallback)
    # some articles' barcode was created before the principal key: "first key" would be wrong
    assert any(min(by_art[a])[1] == "N" for a in principal)
    assert any(len(v) > 1 for v in by_art.values())


def test_catalog_hierarchy_almacenes_and_accents(data):
    assert data.count("GRUPOS_LINEAS") >= 5
    assert data.count("LINEAS_ARTICULOS") > data.count("GRUPOS_LINEAS")
    grupos = set(data.values("GRUPOS_LINEAS", "GRUPO_LINEA_ID"))
    assert set(data.values("LINEAS_ARTICULOS", "GRUPO_LINEA_ID")) <= grupos
    lineas = set(data.values("LINEAS_ARTICULOS", "LINEA_ARTICULO_ID"))
    assert set(data.values("ARTICULOS", "LINEA_ARTICULO_ID")) <= lineas
    names = data.values("ALMACENES", "NOMBRE")
    assert len(names) >= 3
    assert "Almacén Guadalajara" in names
    for table in data.tables:
        for col in data.columns(table):
            for v in data.values(table, col):
                if isinstance(v, str):
                    v.encode("cp1252")  # every text is representable in WIN1252
    estatus = Counter(data.values("ARTICULOS", "ESTATUS"))
    assert estatus["S"] > 0 and estatus["A"] > estatus["S"] * 10


def test_volume_follows_scale():
    small = generate(scale=0.3, seed=11, end_date=END)
    lines = small.count("DOCTOS_VE_DET") + small.count("DOCTOS_PV_DET")
    assert 0.85 * 30_000 <= lines <= 1.15 * 30_000
    one = generate(scale=1.0, seed=7, end_date=END)
    assert 1_800 <= one.count("ARTICULOS") <= 2_200
    assert 1_400 <= one.count("CLIENTES") <= 1_600
    assert 90_000 <= one.count("DOCTOS_VE_DET") + one.count("DOCTOS_PV_DET") <= 110_000


def test_customers_have_keys_and_a_principal_address(data):
    clientes = set(data.values("CLIENTES", "CLIENTE_ID"))
    assert set(data.values("CLAVES_CLIENTES", "CLIENTE_ID")) == clientes
    dirs = _rows(data, "DIRS_CLIENTES")
    ppal = {d["CLIENTE_ID"] for d in dirs if d["ES_DIR_PPAL"] == "S"}
    assert len(ppal) > 0.95 * len(clientes)
    assert all(d["RFC_CURP"] and 12 <= len(d["RFC_CURP"]) <= 13 for d in dirs)
    assert sum(1 for d in dirs if d["EMAIL"]) > 0.7 * len(ppal)
    assert any(d["ES_DIR_PPAL"] == "N" for d in dirs)


def test_document_kinds_returns_and_cancellations(data):
    ve = Counter(
        zip(
            data.values("DOCTOS_VE", "TIPO_DOCTO"), data.values("DOCTOS_VE", "ESTATUS"), strict=True
        )
    )
    pv = Counter(
        zip(
            data.values("DOCTOS_PV", "TIPO_DOCTO"), data.values("DOCTOS_PV", "ESTATUS"), strict=True
        )
    )
    for tipo in "FRCPD":
        assert sum(n for (t, _), n in ve.items() if t == tipo) > 0, tipo
    for tipo in "VDF":
        assert sum(n for (t, _), n in pv.items() if t == tipo) > 0, tipo
    assert ve[("F", "C")] > 0 and pv[("V", "C")] > 0  # cancelled sales
    assert pv[("V", "D")] > 0  # tickets with a return
    modified = data.values("DOCTOS_VE", "FECHA_HORA_ULT_MODIF")
    assert all(m is not None for m in modified)
    last = max(modified)
    assert last <= f"{END.isoformat()} 23:59:59"
    # every document has lines
    assert set(data.values("DOCTOS_VE_DET", "DOCTO_VE_ID")) == set(
        data.values("DOCTOS_VE", "DOCTO_VE_ID")
    )
    assert set(data.values("DOCTOS_PV_DET", "DOCTO_PV_ID")) == set(
        data.values("DOCTOS_PV", "DOCTO_PV_ID")
    )


def test_some_remisiones_are_invoiced_later_with_the_same_lines(data):
    head = {r["DOCTO_VE_ID"]: r for r in _rows(data, "DOCTOS_VE")}
    lines = defaultdict(list)
    for r in _rows(data, "DOCTOS_VE_DET"):
        lines[r["DOCTO_VE_ID"]].append(
            (r["POSICION"], r["ARTICULO_ID"], r["UNIDADES"], r["PRECIO_UNITARIO"],
             r["PRECIO_TOTAL_NETO"])
        )
    ligas = _rows(data, "DOCTOS_VE_LIGAS")
    live = [i for i, h in head.items() if h["TIPO_DOCTO"] == "R" and h["ESTATUS"] != "C"]
    assert 0.2 * len(live) < len(ligas) < 0.4 * len(live)
    assert len({g["DOCTO_VE_FTE_ID"] for g in ligas}) == len(ligas)  # one factura per remisión
    for g in ligas:
        rem, fac = head[g["DOCTO_VE_FTE_ID"]], head[g["DOCTO_VE_DEST_ID"]]
        assert (rem["TIPO_DOCTO"], fac["TIPO_DOCTO"], rem["ESTATUS"]) == ("R", "F", "N")
        days = (date.fromisoformat(fac["FECHA"]) - date.fromisoformat(rem["FECHA"])).days
        assert 1 <= days <= 8
        assert date.fromisoformat(fac["FECHA"]).weekday() != 6
        same = ("CLIENTE_ID", "ALMACEN_ID", "IMPORTE_NETO", "TOTAL_IMPUESTOS")
        assert [rem[c] for c in same] == [fac[c] for c in same]
        assert lines[rem["DOCTO_VE_ID"]] == lines[fac["DOCTO_VE_ID"]]


def test_demo_source_counts_an_invoiced_remision_once(source):
    docs = {d[1]: d for b in source.ventas(modified_since=None) for d in b.documentos}
    ligas = list(
        zip(
            source.data.values("DOCTOS_VE_LIGAS", "DOCTO_VE_FTE_ID"),
            source.data.values("DOCTOS_VE_LIGAS", "DOCTO_VE_DEST_ID"),
            strict=True,
        )
    )
    assert ligas
    for rem, fac in ligas:
        assert docs[str(rem)][2] == "R" and str(fac) not in docs
    live_facturas = sum(
        1
        for t, e in zip(
            source.data.values("DOCTOS_VE", "TIPO_DOCTO"),
            source.data.values("DOCTOS_VE", "ESTATUS"),
            strict=True,
        )
        if t == "F" and e != "C"
    )
    read = sum(1 for d in docs.values() if d[0] == "VE" and d[2] == "F")
    assert read == live_facturas - len(ligas) > 0


def _daily_pv(data) -> dict[str, int]:
    return Counter(
        f
        for f, t in zip(
            data.values("DOCTOS_PV", "FECHA"), data.values("DOCTOS_PV", "TIPO_DOCTO"), strict=True
        )
        if t == "V"
    )


def test_weekly_and_yearly_seasonality_and_trend():
    data = generate(scale=1.0, seed=7, end_date=END)
    daily = _daily_pv(data)
    by_dow = defaultdict(list)
    by_month = defaultdict(int)
    by_year_half = [0, 0]
    start = date.fromisoformat(min(daily))
    for f, n in daily.items():
        d = date.fromisoformat(f)
        by_dow[d.weekday()].append(n)
        by_month[d.month] += n
        by_year_half[(d - start).days >= 365] += n
    mean = {k: np.mean(v) for k, v in by_dow.items()}
    assert mean[6] < 0.7 * np.mean([mean[k] for k in range(5)])  # Sundays are quiet
    assert mean[5] > np.mean([mean[k] for k in range(5)])  # Saturdays are busy at the counter
    assert by_month[4] + by_month[5] > 1.25 * (by_month[9] + by_month[10])  # spring high season
    assert by_year_half[1] > 1.05 * by_year_half[0]  # growth


def test_long_tail_of_intermittent_products():
    data = generate(scale=1.0, seed=7, end_date=END)
    fecha = dict(
        zip(data.values("DOCTOS_PV", "DOCTO_PV_ID"), data.values("DOCTOS_PV", "FECHA"), strict=True)
    )
    days = defaultdict(set)
    for doc, art in zip(
        data.values("DOCTOS_PV_DET", "DOCTO_PV_ID"),
        data.values("DOCTOS_PV_DET", "ARTICULO_ID"),
        strict=True,
    ):
        days[art].add(fecha[doc])
    counts = np.array(sorted(len(v) for v in days.values()))
    assert (counts <= 10).mean() > 0.5  # most products sell on few of the 730 days
    assert counts.max() > 150  # the best sellers sell most days


def test_stock_is_consistent_with_sales_and_levels(data):
    saldo = defaultdict(float)
    salidas = defaultdict(float)
    for r in _rows(data, "SALDOS_IN"):
        key = (r["ARTICULO_ID"], r["ALMACEN_ID"])
        saldo[key] += r["ENTRADAS_UNIDADES"] - r["SALIDAS_UNIDADES"]
        salidas[key] += r["SALIDAS_UNIDADES"]
    assert min(saldo.values()) > -1e-6
    assert sum(1 for v in saldo.values() if abs(v) < 1e-9) > 0  # stock-outs
    # SALDOS_IN salidas cover every unit sold by counted, live documents (a factura generated
    # from a remisión moves no stock: the remisión did)
    invoiced = set(data.values("DOCTOS_VE_LIGAS", "DOCTO_VE_DEST_ID"))
    sold = defaultdict(float)
    for hdr, det, ok in (
        ("DOCTOS_VE", "DOCTOS_VE_DET", {"F", "R"}),
        ("DOCTOS_PV", "DOCTOS_PV_DET", {"V"}),
    ):
        idcol = "DOCTO_VE_ID" if hdr == "DOCTOS_VE" else "DOCTO_PV_ID"
        head = {r[idcol]: r for r in _rows(data, hdr)}
        for r in _rows(data, det):
            h = head[r[idcol]]
            if h["TIPO_DOCTO"] in ok and h["ESTATUS"] != "C" and r[idcol] not in invoiced:
                sold[(r["ARTICULO_ID"], h["ALMACEN_ID"])] += r["UNIDADES"]
    for key, units in sold.items():
        assert salidas[key] >= units - 1e-6, key
    niveles = {(r["ARTICULO_ID"], r["ALMACEN_ID"]): r for r in _rows(data, "NIVELES_ARTICULOS")}
    assert all(
        n["INVENTARIO_MINIMO"] <= n["PUNTO_REORDEN"] <= n["INVENTARIO_MAXIMO"]
        for n in niveles.values()
    )
    below = [k for k, n in niveles.items() if 0 < saldo.get(k, 0) < n["INVENTARIO_MINIMO"]]
    assert below  # some products are below their minimum
    assert len(niveles) < len(set(saldo) | set(niveles))  # some pairs have no levels row


def test_demo_source_yields_the_contract(source):
    productos = [r for b in source.productos() for r in b]
    assert len(productos) == source.data.count("ARTICULOS")
    assert all(len(r) == len(PRODUCTO_FIELDS) for r in productos)
    p = dict(zip(PRODUCTO_FIELDS, productos[0], strict=True))
    assert (
        isinstance(p["erp_id"], str)
        and isinstance(p["precio"], Decimal)
        and isinstance(p["activo"], bool)
    )
    assert {r[9] for r in productos} == {True, False}
    inv = [r for b in source.inventario() for r in b]
    assert all(len(r) == len(INVENTARIO_FIELDS) for r in inv)
    cli = [r for b in source.clientes() for r in b]
    assert all(len(r) == len(CLIENTE_FIELDS) for r in cli)
    assert [r for b in source.almacenes() for r in b][0][1] == "Almacén General"
    assert "demostración" in source.ping()


def test_demo_source_ventas_exclude_quotes_orders_global_invoices_and_cancelled(source):
    batches = list(source.ventas(modified_since=None))
    docs = [d for b in batches for d in b.documentos]
    lines = [ln for b in batches for ln in b.lineas]
    cancel = {c for b in batches for c in b.cancelados}
    assert all(len(d) == len(VENTA_FIELDS) for d in docs)
    assert all(len(ln) == len(VENTA_DETALLE_FIELDS) for ln in lines)
    kinds = Counter((d[0], d[2]) for d in docs)
    assert set(kinds) == {("VE", "F"), ("VE", "R"), ("VE", "D"), ("PV", "V"), ("PV", "D")}
    assert all(d[10] != "C" for d in docs)
    data = source.data
    for origen, table, idcol in (
        ("VE", "DOCTOS_VE", "DOCTO_VE_ID"),
        ("PV", "DOCTOS_PV", "DOCTO_PV_ID"),
    ):
        cancelled = {
            str(i)
            for i, e, t in zip(
                data.values(table, idcol),
                data.values(table, "ESTATUS"),
                data.values(table, "TIPO_DOCTO"),
                strict=True,
            )
            if e == "C" and t in ("F", "R", "D", "V")
        }
        assert {c[1] for c in cancel if c[0] == origen} == cancelled
    sign = {(d[0], d[1]): d[2] for d in docs}
    for ln in lines:
        if sign[(ln[0], ln[1])] == "D":
            assert ln[4] < 0 and ln[6] <= 0
        else:
            assert ln[4] > 0
    # VE returns are negative in the header too
    assert all(d[7] < 0 for d in docs if d[2] == "D")
    assert all(isinstance(d[4], datetime) for d in docs)


def test_demo_source_incremental(source):
    since = datetime(END.year, END.month, END.day) - (datetime(2026, 6, 30) - datetime(2026, 6, 20))
    docs = [d for b in source.ventas(modified_since=since) for d in b.documentos]
    assert docs and all(d[11] >= since for d in docs)
    full = [d for b in source.ventas(modified_since=None) for d in b.documentos]
    assert len(docs) < len(full) / 10


def test_moving_end_date_keeps_documents_and_stamps_every_change():
    """Tomorrow's demo is today's plus new documents; late changes carry a new modification time."""
    # big and long enough that late PV returns and cancellations happen whatever the seed
    a = demo._Generator(0.3, 5, END).run()
    b = demo._Generator(0.3, 5, END + timedelta(days=14)).run()
    watermark = f"{END.isoformat()} 23:59:59"
    mutable = {"ESTATUS", "FECHA_HORA_ULT_MODIF", "USUARIO_CANCELACION", "FECHA_HORA_CANCELACION"}
    for table, key in (
        ("DOCTOS_VE", "DOCTO_VE_ID"),
        ("DOCTOS_PV", "DOCTO_PV_ID"),
        ("DOCTOS_VE_DET", "DOCTO_VE_DET_ID"),
        ("DOCTOS_PV_DET", "DOCTO_PV_DET_ID"),
        ("DOCTOS_VE_LIGAS", "DOCTO_VE_LIGA_ID"),
    ):
        ra = {r[key]: r for r in _rows(a, table)}
        rb = {r[key]: r for r in _rows(b, table)}
        common = set(ra) & set(rb)
        assert len(common) > 0.95 * len(ra), table
        assert set(rb) - set(ra), table  # new documents
        changed = 0
        for i in common:
            diff = {c for c in ra[i] if ra[i][c] != rb[i][c]}
            assert diff <= (mutable if "_DET" not in table else set()), (table, i, diff)
            if diff:
                changed += 1
                assert rb[i]["FECHA_HORA_ULT_MODIF"] > watermark
        if table == "DOCTOS_PV":
            assert changed > 0  # late returns and cancellations


def test_without_end_date_the_demo_runs_up_to_the_current_hour():
    noon = generate(scale=0.05, seed=3, now=datetime(2026, 6, 30, 12, 40))
    evening = generate(scale=0.05, seed=3, now=datetime(2026, 6, 30, 18, 5))
    assert noon.as_of == datetime(2026, 6, 30, 12, 0) and noon.end_date == date(2026, 6, 30)
    for data, limit in ((noon, "2026-06-30 12:00:00"), (evening, "2026-06-30 18:00:00")):
        for table in ("DOCTOS_VE", "DOCTOS_PV"):
            assert max(data.values(table, "FECHA_HORA_CREACION")) <= limit
            assert max(data.values(table, "FECHA_HORA_ULT_MODIF")) <= limit
    ids_noon = set(noon.values("DOCTOS_PV", "DOCTO_PV_ID"))
    ids_evening = set(evening.values("DOCTOS_PV", "DOCTO_PV_ID"))
    assert ids_noon < ids_evening  # the afternoon adds tickets, keeps the morning's
    src = DemoSource(scale=0.05, seed=3, now=datetime(2026, 6, 30, 12, 40))
    assert "30/06/2026 12:00" in src.ping()
    src.close()
