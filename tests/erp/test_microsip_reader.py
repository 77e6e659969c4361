"""The Microsip reader (core/erp/microsip.py) on a demo database built on the real Firebird server.

Expected values are computed by the tests with their own SQL in Firebird.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial

import pytest

from core.erp.demo import DemoSource
from core.erp.microsip import MicrosipReader, connect_firebird, firebird_source
from core.erp.source import ErpError
from tests.erp.sync_truth import COUNTED, NOT_INVOICED_FROM_REMISIONES


def _all(batches):
    return [r for b in batches for r in b]


def _ventas(reader, since=None):
    batches = list(reader.ventas(modified_since=since))
    return (
        batches,
        [d for b in batches for d in b.documentos],
        [ln for b in batches for ln in b.lineas],
        sorted(c for b in batches for c in b.cancelados),  # ids of cancelled documents: no order
    )


def test_row_counts_match_firebird(demo_fdb, fb_reader):
    count = lambda sql: demo_fdb.query(sql)[0][0]  # noqa: E731
    assert len(_all(fb_reader.productos())) == count("SELECT COUNT(*) FROM ARTICULOS")
    assert len(_all(fb_reader.almacenes())) == count("SELECT COUNT(*) FROM ALMACENES") >= 3
    assert len(_all(fb_reader.clientes())) == count("SELECT COUNT(*) FROM CLIENTES")
    pairs = count(
        "SELECT COUNT(*) FROM (SELECT ARTICULO_ID, ALMACEN_ID FROM SALDOS_IN "
        "UNION SELECT ARTICULO_ID, ALMACEN_ID FROM NIVELES_ARTICULOS)"
    )
    assert len(_all(fb_reader.inventario())) == pairs
    _, docs, lines, _ = _ventas(fb_reader)
    assert len(docs) == count(f"SELECT COUNT(*) FROM DOCTOS_VE d WHERE {COUNTED['VE']}") + count(
        f"SELECT COUNT(*) FROM DOCTOS_PV d WHERE {COUNTED['PV']}"
    )
    assert len(lines) == count(
        "SELECT COUNT(*) FROM DOCTOS_VE_DET l JOIN DOCTOS_VE d ON d.DOCTO_VE_ID = l.DOCTO_VE_ID "
        f"WHERE {COUNTED['VE']}"
    ) + count(
        "SELECT COUNT(*) FROM DOCTOS_PV_DET l JOIN DOCTOS_PV d ON d.DOCTO_PV_ID = l.DOCTO_PV_ID "
        f"WHERE {COUNTED['PV']}"
    )


def test_stock_per_almacen_and_article_matches_saldos_in(demo_fdb, fb_reader):
    inv = _all(fb_reader.inventario())
    per_alm = defaultdict(Decimal)
    for r in inv:
        per_alm[r[1]] += r[2]
    expected = dict(
        demo_fdb.query(
            "SELECT ALMACEN_ID, SUM(ENTRADAS_UNIDADES - SALIDAS_UNIDADES) FROM SALDOS_IN GROUP BY ALMACEN_ID"
        )
    )
    assert per_alm == {str(k): v for k, v in expected.items()}
    art, alm, stock = demo_fdb.query(
        "SELECT FIRST 1 ARTICULO_ID, ALMACEN_ID, SUM(ENTRADAS_UNIDADES - SALIDAS_UNIDADES) FROM SALDOS_IN "
        "GROUP BY ARTICULO_ID, ALMACEN_ID ORDER BY 3 DESC"
    )[0]
    row = next(r for r in inv if r[0] == str(art) and r[1] == str(alm))
    assert row[2] == stock
    niveles = demo_fdb.query(
        "SELECT INVENTARIO_MINIMO, PUNTO_REORDEN, INVENTARIO_MAXIMO, LOCALIZACION FROM NIVELES_ARTICULOS "
        "WHERE ARTICULO_ID = ? AND ALMACEN_ID = ?",
        (art, alm),
    )
    assert row[3:] == (niveles[0] if niveles else (None, None, None, None))
    assert any(r[2] == 0 for r in inv) and all(r[2] >= 0 for r in inv)
    assert any(r[3] is not None and 0 < r[2] < r[3] for r in inv)  # below minimum


NET_UNITS_SQL = f"""
SELECT ARTICULO_ID, SUM(U) FROM (
  SELECT l.ARTICULO_ID, CASE WHEN d.TIPO_DOCTO = 'D' THEN -l.UNIDADES ELSE l.UNIDADES END AS U
  FROM DOCTOS_VE d JOIN DOCTOS_VE_DET l ON l.DOCTO_VE_ID = d.DOCTO_VE_ID
  WHERE d.TIPO_DOCTO IN ('F', 'R', 'D') AND d.ESTATUS <> 'C' AND {NOT_INVOICED_FROM_REMISIONES}
  UNION ALL
  SELECT l.ARTICULO_ID, CASE WHEN d.TIPO_DOCTO = 'D' THEN -l.UNIDADES ELSE l.UNIDADES END
  FROM DOCTOS_PV d JOIN DOCTOS_PV_DET l ON l.DOCTO_PV_ID = d.DOCTO_PV_ID
  WHERE d.TIPO_DOCTO IN ('V', 'D') AND d.ESTATUS <> 'C'
) GROUP BY ARTICULO_ID
"""


def test_net_units_sold_per_product_match_firebird(demo_fdb, fb_reader):
    _, docs, lines, _ = _ventas(fb_reader)
    net = defaultdict(Decimal)
    for ln in lines:
        net[ln[3]] += ln[4]
    expected = {str(a): u for a, u in demo_fdb.query(NET_UNITS_SQL)}
    assert net == expected
    # and the things that must not count would change the totals if they were counted
    quotes = demo_fdb.query("SELECT COUNT(*) FROM DOCTOS_VE WHERE TIPO_DOCTO IN ('C', 'P')")[0][0]
    globales = demo_fdb.query("SELECT COUNT(*) FROM DOCTOS_PV WHERE TIPO_DOCTO = 'F'")[0][0]
    cancelled = demo_fdb.query("SELECT COUNT(*) FROM DOCTOS_VE WHERE ESTATUS = 'C'")[0][0]
    assert quotes > 0 and globales > 0 and cancelled > 0
    ids = {(d[0], d[1]) for d in docs}
    for table, origen, tipos in (("DOCTOS_VE", "VE", "'C','P'"), ("DOCTOS_PV", "PV", "'F'")):
        col = "DOCTO_VE_ID" if origen == "VE" else "DOCTO_PV_ID"
        excluded = demo_fdb.query(
            f"SELECT {col} FROM {table} WHERE TIPO_DOCTO IN ({tipos}) OR ESTATUS = 'C'"
        )
        assert not ids & {(origen, str(r[0])) for r in excluded}
    returns = [ln for ln in lines if ln[4] < 0]
    assert returns and all(ln[6] <= 0 for ln in returns)
    # remisiones invoiced later: the remisión is read, the factura generated from it is not
    ligas = demo_fdb.query("SELECT DOCTO_VE_FTE_ID, DOCTO_VE_DEST_ID FROM DOCTOS_VE_LIGAS")
    assert ligas
    assert all(("VE", str(r)) in ids and ("VE", str(f)) not in ids for r, f in ligas)


def test_cancelled_documents_are_reported(demo_fdb, fb_reader):
    _, _, _, cancelados = _ventas(fb_reader)
    expected = {
        ("VE", str(r[0]))
        for r in demo_fdb.query(
            "SELECT d.DOCTO_VE_ID FROM DOCTOS_VE d WHERE d.ESTATUS = 'C' "
            f"AND d.TIPO_DOCTO IN ('F','R','D') AND {NOT_INVOICED_FROM_REMISIONES}"
        )
    }
    expected |= {
        ("PV", str(r[0]))
        for r in demo_fdb.query(
            "SELECT DOCTO_PV_ID FROM DOCTOS_PV WHERE ESTATUS = 'C' AND TIPO_DOCTO IN ('V','D')"
        )
    }
    assert set(cancelados) == expected and expected


def test_cancelled_documents_are_looked_for_on_a_second_connection(demo_fdb, fb_reader):
    opened: list[str] = []

    def connect():
        opened.append(threading.current_thread().name)
        return demo_fdb.connect()

    reader = demo_fdb.reader(connect=connect)
    try:
        since = datetime(demo_fdb.end_date.year, demo_fdb.end_date.month, 1)
        for modified_since in (None, since):
            assert _ventas(reader, modified_since)[1:] == _ventas(fb_reader, modified_since)[1:]
    finally:
        reader.close()
    assert len(opened) == 2 and all(name.startswith("erp-beside") for name in opened)


def test_a_failure_on_the_second_connection_fails_the_read(demo_fdb):
    def connect():
        raise ErpError("No se pudo conectar con el servidor Firebird (prueba).")

    reader = demo_fdb.reader(connect=connect)
    try:
        with pytest.raises(ErpError, match="prueba"):
            _ventas(reader)
    finally:
        reader.close()


def _new_docto(cur, tipo: str, units: int, *, art, alm, fecha, estatus: str = "N") -> int:
    """A VE document with one line of ``units`` of ``art`` (ids from ID_DOCTOS, modified now)."""
    cur.execute("SELECT GEN_ID(ID_DOCTOS, 2) FROM RDB$DATABASE")
    doc = int(cur.fetchone()[0]) - 1
    cur.execute(
        "INSERT INTO DOCTOS_VE (DOCTO_VE_ID, TIPO_DOCTO, FOLIO, FECHA, ALMACEN_ID, ESTATUS, "
        "IMPORTE_NETO, FECHA_HORA_ULT_MODIF) VALUES (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP)",
        (doc, tipo, f"T{doc % 10**8:08d}", fecha, alm, estatus, 10 * units),
    )
    cur.execute(
        "INSERT INTO DOCTOS_VE_DET (DOCTO_VE_DET_ID, DOCTO_VE_ID, ARTICULO_ID, UNIDADES, "
        "PRECIO_UNITARIO, PRECIO_TOTAL_NETO, POSICION) VALUES (?, ?, ?, ?, 10, ?, 1)",
        (doc + 1, doc, art, units, 10 * units),
    )
    return doc


def _link(cur, fuente: int, destino: int) -> None:
    cur.execute(
        "INSERT INTO DOCTOS_VE_LIGAS (DOCTO_VE_LIGA_ID, DOCTO_VE_FTE_ID, DOCTO_VE_DEST_ID) "
        "VALUES (GEN_ID(ID_DOCTOS, 1), ?, ?)",
        (fuente, destino),
    )


def test_a_factura_generated_from_a_remision_is_not_counted_twice(make_demo_fdb):
    db = make_demo_fdb(scale=0.01, seed=17)
    [(art, alm)] = db.query(
        "SELECT FIRST 1 l.ARTICULO_ID, d.ALMACEN_ID FROM DOCTOS_VE_DET l "
        "JOIN DOCTOS_VE d ON d.DOCTO_VE_ID = l.DOCTO_VE_ID ORDER BY l.DOCTO_VE_DET_ID"
    )
    reader = db.reader()
    try:
        _, _, before, _ = _ventas(reader)
        shipped, billed = date(2026, 6, 10), date(2026, 6, 13)
        conn = db.connect()
        cur = conn.cursor()
        new = partial(_new_docto, cur, art=art, alm=alm, fecha=billed)
        remision = new("R", 3, fecha=shipped)
        invoiced = new("F", 3)  # generated from the remisión: its units are the remisión's
        _link(cur, remision, invoiced)
        plain = new("F", 5)  # no link: counts
        pedido = new("P", 7, fecha=shipped)
        from_pedido = new("F", 7)  # generated from a pedido: counts
        _link(cur, pedido, from_pedido)
        mixed = new("F", 13)  # from a remisión and a pedido: not only remisiones, counts
        _link(cur, new("R", 13, fecha=shipped), mixed)
        _link(cur, new("P", 13, fecha=shipped), mixed)
        dropped = new("R", 11, fecha=shipped, estatus="C")
        after_cancel = new("F", 11)  # its remisión was cancelled: the factura counts
        _link(cur, dropped, after_cancel)
        devolucion = new("D", 2)  # a return of the plain factura still subtracts
        _link(cur, plain, devolucion)
        reissued = new("F", 3, estatus="C")  # a cancelled factura of a counted remisión
        _link(cur, remision, reissued)
        conn.commit()
        conn.close()
        _, docs, lines, cancelados = _ventas(reader)
    finally:
        reader.close()

    def units(rows):
        return sum((ln[4] for ln in rows if ln[3] == str(art)), Decimal(0))

    assert units(lines) - units(before) == 3 + 5 + 7 + 13 + 13 + 11 - 2
    read = {d[1]: d for d in docs}
    assert str(invoiced) not in read
    for doc in (remision, plain, from_pedido, mixed, after_cancel, devolucion):
        assert str(doc) in read, doc
    assert read[str(remision)][4] == datetime(2026, 6, 10)  # the day the goods left
    assert ("VE", str(dropped)) in cancelados and ("VE", str(reissued)) not in cancelados
    # the test's own SQL agrees with the reader on the new documents
    (expected,) = db.query(
        "SELECT SUM(CASE WHEN d.TIPO_DOCTO = 'D' THEN -l.UNIDADES ELSE l.UNIDADES END) "
        "FROM DOCTOS_VE d JOIN DOCTOS_VE_DET l ON l.DOCTO_VE_ID = d.DOCTO_VE_ID "
        f"WHERE {COUNTED['VE']} AND d.DOCTO_VE_ID >= ?",
        (remision,),
    )[0]
    assert expected == 3 + 5 + 7 + 13 + 13 + 11 - 2


def test_documents_are_whole_in_every_batch(demo_fdb):
    reader = demo_fdb.reader(batch_size=7)
    try:
        batches, docs, lines, _ = _ventas(reader)
    finally:
        reader.close()
    assert len(batches) > 10
    for b in batches:
        keys = {(d[0], d[1]) for d in b.documentos}
        assert {(ln[0], ln[1]) for ln in b.lineas} == keys
    assert len({(d[0], d[1]) for d in docs}) == len(docs)
    per_doc = defaultdict(list)
    for ln in lines:
        per_doc[(ln[0], ln[1])].append(ln[2])
    assert all(pos == list(range(1, len(pos) + 1)) for pos in per_doc.values())


def test_each_document_gets_exactly_its_own_lines(demo_fdb, fb_reader):
    _, docs, lines, _ = _ventas(fb_reader)
    read: dict[tuple[str, str], list] = defaultdict(lambda: [0, Decimal(0)])
    for ln in lines:
        read[(ln[0], ln[1])][0] += 1
        read[(ln[0], ln[1])][1] += abs(ln[4])
    truth = {}
    for origen in ("VE", "PV"):
        for doc, n, units in demo_fdb.query(
            f"SELECT d.DOCTO_{origen}_ID, COUNT(*), SUM(l.UNIDADES) FROM DOCTOS_{origen} d "
            f"JOIN DOCTOS_{origen}_DET l ON l.DOCTO_{origen}_ID = d.DOCTO_{origen}_ID "
            f"WHERE {COUNTED[origen]} AND l.ARTICULO_ID IS NOT NULL GROUP BY 1"
        ):
            truth[(origen, str(doc))] = [n, Decimal(units)]
    assert len(truth) > 100
    assert dict(read) == truth
    assert {(d[0], d[1]) for d in docs} == set(truth)


def test_a_document_without_lines_is_left_out_and_its_neighbours_keep_theirs(make_demo_fdb):
    db = make_demo_fdb(scale=0.01, seed=19)
    [(art, alm)] = db.query("SELECT FIRST 1 ARTICULO_ID, ALMACEN_ID FROM SALDOS_IN")
    conn = db.connect()
    cur = conn.cursor()
    new = partial(_new_docto, cur, art=art, alm=alm, fecha=date(2026, 6, 12))
    before = new("F", 4)
    empty = new("F", 6)
    after = new("F", 5)
    cur.execute("DELETE FROM DOCTOS_VE_DET WHERE DOCTO_VE_ID = ?", (empty,))
    cur.execute(
        "INSERT INTO DOCTOS_VE_DET (DOCTO_VE_DET_ID, DOCTO_VE_ID, ARTICULO_ID, UNIDADES, "
        "PRECIO_UNITARIO, PRECIO_TOTAL_NETO, POSICION) VALUES (GEN_ID(ID_DOCTOS, 1), ?, ?, 2, 10, 20, 2)",
        (before, art),
    )
    conn.commit()
    conn.close()
    reader = db.reader()
    try:
        _, docs, lines, _ = _ventas(reader)
    finally:
        reader.close()
    assert str(empty) not in {d[1] for d in docs}
    assert {d[1] for d in docs} >= {str(before), str(after)}
    assert [(ln[2], ln[4]) for ln in lines if ln[1] == str(before)] == [(1, Decimal(4)), (2, Decimal(2))]
    assert [(ln[2], ln[4]) for ln in lines if ln[1] == str(after)] == [(1, Decimal(5))]


def test_a_read_split_in_parts_gives_every_document_once(demo_fdb, fb_reader):
    _, docs, lines, cancelados = _ventas(fb_reader)
    assert fb_reader.ventas_parts(3) == 3
    parts = [list(fb_reader.ventas(modified_since=None, part=(k, 3))) for k in range(3)]
    part_docs = [[d for b in p for d in b.documentos] for p in parts]
    assert all(part_docs), "cada parte lee documentos"
    assert sorted(d for p in part_docs for d in p) == sorted(docs)
    assert sorted(ln for p in parts for b in p for ln in b.lineas) == sorted(lines)
    assert sorted(c for p in parts for b in p for c in b.cancelados) == sorted(cancelados)
    for k, p in enumerate(part_docs):
        assert {int(d[1]) % 3 for d in p} == {k}


def test_a_site_sql_for_ventas_is_read_whole(demo_fdb):
    reader = demo_fdb.reader(sql_overrides={"ventas": "SELECT 1 FROM RDB$DATABASE"})
    try:
        assert reader.ventas_parts(4) == 1
        with pytest.raises(ValueError, match="no se puede leer por partes"):
            list(reader.ventas(part=(1, 2)))
    finally:
        reader.close()


def test_incremental_read_by_fecha_hora_ult_modif(demo_fdb, fb_reader):
    (last,) = demo_fdb.query("SELECT MAX(FECHA_HORA_ULT_MODIF) FROM DOCTOS_PV")[0]
    since = last - timedelta(days=5)
    _, docs, _, _ = _ventas(fb_reader, since)
    expected = (
        demo_fdb.query(
            f"SELECT COUNT(*) FROM DOCTOS_VE d WHERE {COUNTED['VE']} "
            "AND d.FECHA_HORA_ULT_MODIF >= ?",
            (since,),
        )[0][0]
        + demo_fdb.query(
            f"SELECT COUNT(*) FROM DOCTOS_PV d WHERE {COUNTED['PV']} "
            "AND d.FECHA_HORA_ULT_MODIF >= ?",
            (since,),
        )[0][0]
    )
    assert len(docs) == expected > 0
    assert all(d[11] >= since for d in docs)


def test_sku_is_the_principal_key_even_when_another_key_is_older(demo_fdb, fb_reader):
    productos = {r[0]: r for r in _all(fb_reader.productos())}
    rows = demo_fdb.query("""
        SELECT k.ARTICULO_ID, k.CLAVE_ARTICULO, k.CLAVE_ARTICULO_ID, r.ES_PPAL
        FROM CLAVES_ARTICULOS k JOIN ROLES_CLAVES_ARTICULOS r ON r.ROL_CLAVE_ART_ID = k.ROL_CLAVE_ART_ID
        ORDER BY k.ARTICULO_ID, k.CLAVE_ARTICULO_ID""")
    keys = defaultdict(list)
    for art, clave, _, ppal in rows:
        keys[str(art)].append((clave.strip(), ppal))
    checked_older = checked_fallback = 0
    for art, ks in keys.items():
        ppal = [c for c, f in ks if f == "S"]
        expected = ppal[0] if ppal else ks[0][0]
        assert productos[art][1] == expected
        checked_older += bool(ppal) and ks[0][1] == "N"
        checked_fallback += not ppal
    assert checked_older > 0 and checked_fallback > 0


def test_producto_fields_from_lineas_grupos_and_price_list(demo_fdb):
    listas = demo_fdb.query("SELECT PRECIO_EMPRESA_ID FROM PRECIOS_EMPRESA ORDER BY 1")
    reader = demo_fdb.reader()
    mayoreo = demo_fdb.reader(price_list_id=listas[1][0])
    try:
        default = {r[0]: r for r in _all(reader.productos())}
        other = {r[0]: r for r in _all(mayoreo.productos())}
    finally:
        reader.close()
        mayoreo.close()
    art, nombre, linea, grupo, estatus, costo = demo_fdb.query("""
        SELECT FIRST 1 a.ARTICULO_ID, a.NOMBRE, l.NOMBRE, g.NOMBRE, a.ESTATUS, a.COSTO_ULTIMA_COMPRA
        FROM ARTICULOS a JOIN LINEAS_ARTICULOS l ON l.LINEA_ARTICULO_ID = a.LINEA_ARTICULO_ID
        JOIN GRUPOS_LINEAS g ON g.GRUPO_LINEA_ID = l.GRUPO_LINEA_ID WHERE a.ESTATUS = 'S'""")[0]
    p = default[str(art)]
    assert (p[2], p[5], p[6], p[7], p[9]) == (nombre, costo, linea, grupo, False)
    price = dict(
        demo_fdb.query(
            "SELECT ARTICULO_ID, PRECIO FROM PRECIOS_ARTICULOS WHERE PRECIO_EMPRESA_ID = ?",
            (listas[0][0],),
        )
    )
    assert all(default[str(a)][4] == v for a, v in price.items())
    m = dict(
        demo_fdb.query(
            "SELECT ARTICULO_ID, PRECIO FROM PRECIOS_ARTICULOS WHERE PRECIO_EMPRESA_ID = ?",
            (listas[1][0],),
        )
    )
    assert all(other[str(a)][4] == v for a, v in m.items())
    assert any(other[a][4] is None for a in other)  # articles without that list's price


def test_clientes_take_key_and_principal_address(demo_fdb, fb_reader):
    clientes = {r[0]: r for r in _all(fb_reader.clientes())}
    rows = demo_fdb.query("""
        SELECT c.CLIENTE_ID, d.RFC_CURP, d.EMAIL, d.TELEFONO1, d.CALLE, k.CLAVE_CLIENTE
        FROM CLIENTES c JOIN DIRS_CLIENTES d ON d.CLIENTE_ID = c.CLIENTE_ID AND d.ES_DIR_PPAL = 'S'
        JOIN CLAVES_CLIENTES k ON k.CLIENTE_ID = c.CLIENTE_ID""")
    assert len(rows) > 0.9 * len(clientes)
    for cid, rfc, email, tel, calle, clave in rows:
        c = clientes[str(cid)]
        assert (c[1], c[3], c[4], c[5]) == (clave, rfc, email, tel)
        assert c[6].startswith(calle)
    bajas = {
        str(r[0])
        for r in demo_fdb.query("SELECT CLIENTE_ID FROM CLIENTES WHERE ESTATUS IN ('B','C')")
    }
    assert bajas and all(not clientes[b][7] for b in bajas)


def test_demo_source_gives_the_same_records_as_the_reader_on_fdb(demo_fdb, fb_reader):
    demo = DemoSource(scale=demo_fdb.scale, seed=demo_fdb.seed, end_date=demo_fdb.end_date)
    try:
        for entity in ("productos", "almacenes", "inventario", "clientes"):
            assert _all(getattr(demo, entity)()) == _all(getattr(fb_reader, entity)()), entity
        for since in (None, datetime(demo_fdb.end_date.year, demo_fdb.end_date.month, 1)):
            _, d1, l1, c1 = _ventas(demo, since)
            _, d2, l2, c2 = _ventas(fb_reader, since)
            assert d1 == d2 and l1 == l2 and c1 == c2
    finally:
        demo.close()


@pytest.mark.parametrize("collect", [False, True])
def test_our_reads_leave_garbage_collection_to_the_server_unless_told(demo_fdb, collect):
    reader = firebird_source(demo_fdb.settings(firebird_garbage_collect=collect))
    flags = []
    try:
        # both connections: the reader's own and the one beside it (cancelled documents)
        for conn in (reader.conn, reader._connect()):
            cur = conn.cursor()
            cur.execute("SELECT MON$GARBAGE_COLLECTION FROM MON$ATTACHMENTS "
                        "WHERE MON$ATTACHMENT_ID = CURRENT_CONNECTION")
            flags.append(cur.fetchone()[0])
            if conn is not reader.conn:
                conn.close()
    finally:
        reader.close()
    assert flags == [int(collect)] * 2


def test_firebird_source_from_settings_and_sql_overrides(make_demo_fdb):
    db = make_demo_fdb(scale=0.01, seed=5)
    db.execute(
        "CREATE VIEW Vw_articulos AS SELECT a.ARTICULO_ID, k.CLAVE_ARTICULO AS CODIGO, a.NOMBRE, "
        "CAST(NULL AS VARCHAR(10)) AS DESCRIPCION, p.PRECIO, a.COSTO_ULTIMA_COMPRA, 'Vista' AS CATEGORIA, "
        "'Grupo vista' AS GRUPO, a.UNIDAD_VENTA, a.ESTATUS FROM ARTICULOS a "
        "JOIN CLAVES_ARTICULOS k ON k.ARTICULO_ID = a.ARTICULO_ID "
        "LEFT JOIN PRECIOS_ARTICULOS p ON p.ARTICULO_ID = a.ARTICULO_ID "
        "WHERE k.ROL_CLAVE_ART_ID = (SELECT MIN(ROL_CLAVE_ART_ID) FROM ROLES_CLAVES_ARTICULOS) "
        "AND p.PRECIO_EMPRESA_ID = (SELECT MIN(PRECIO_EMPRESA_ID) FROM PRECIOS_EMPRESA)",
        "CREATE VIEW Vw_ventas AS SELECT 'PV' AS ORIGEN, d.DOCTO_PV_ID, d.TIPO_DOCTO, d.FOLIO, d.FECHA, "
        "d.CLIENTE_ID, d.ALMACEN_ID, d.IMPORTE_NETO, d.TOTAL_IMPUESTOS, "
        "CAST(NULL AS NUMERIC(15,2)) AS TOTAL, d.ESTATUS, d.FECHA_HORA_ULT_MODIF, l.POSICION, l.ARTICULO_ID, "
        "l.UNIDADES, l.PRECIO_UNITARIO, l.PRECIO_TOTAL_NETO FROM DOCTOS_PV d "
        "JOIN DOCTOS_PV_DET l ON l.DOCTO_PV_ID = d.DOCTO_PV_ID WHERE d.TIPO_DOCTO = 'V'",
    )
    settings = db.settings(
        firebird_sql_productos="SELECT * FROM Vw_articulos",
        firebird_sql_ventas="SELECT * FROM Vw_ventas WHERE FECHA_HORA_ULT_MODIF >= ?",
        firebird_batch_size=50,
    )
    reader = firebird_source(settings)
    try:
        assert "Firebird" in reader.ping()
        productos = _all(reader.productos())
        assert len(productos) == db.query("SELECT COUNT(*) FROM Vw_articulos")[0][0] > 0
        assert {p[6] for p in productos} == {"Vista"}
        assert all(isinstance(p[0], str) and isinstance(p[9], bool) for p in productos)
        _, docs, lines, cancel = _ventas(reader)
        tickets = db.query(
            "SELECT COUNT(*) FROM DOCTOS_PV WHERE TIPO_DOCTO = 'V' AND ESTATUS <> 'C'"
        )[0][0]
        assert len(docs) == tickets
        assert cancel and all(c[0] == "PV" for c in cancel)
        assert all(d[9] == d[7] + d[8] for d in docs)
        # the watermark is bound to the view's "?"
        (last,) = db.query("SELECT MAX(FECHA_HORA_ULT_MODIF) FROM DOCTOS_PV")[0]
        _, recent, _, _ = _ventas(reader, last - timedelta(days=3))
        assert 0 < len(recent) < len(docs)
        # entities without override keep the built-in SQL
        assert len(_all(reader.almacenes())) == 4
    finally:
        reader.close()


def test_undecodable_text_is_replaced_and_logged_not_a_crash(make_demo_fdb, caplog):
    db = make_demo_fdb(scale=0.01, seed=9)
    (art,) = db.query("SELECT MIN(ARTICULO_ID) FROM ARTICULOS")[0]
    # 0x81 has no character in WIN1252 (it can arrive from legacy or NONE-declared columns)
    db.execute(f"UPDATE ARTICULOS SET NOMBRE = x'4D6172746D8169676F' WHERE ARTICULO_ID = {art}")
    reader = db.reader()
    try:
        with caplog.at_level(logging.WARNING, logger="core.erp.microsip"):
            productos = {r[0]: r for r in _all(reader.productos())}
    finally:
        reader.close()
    assert productos[str(art)][2] == "Martm\ufffdigo"
    assert len(productos) == db.query("SELECT COUNT(*) FROM ARTICULOS")[0][0]
    assert "no se pudieron leer" in caplog.text


def test_a_key_shared_by_two_articles_still_gives_unique_codes(make_demo_fdb, caplog):
    db = make_demo_fdb(scale=0.01, seed=21)
    (a1, k1), (a2, _k2) = db.query("""
        SELECT FIRST 2 k.ARTICULO_ID, k.CLAVE_ARTICULO FROM CLAVES_ARTICULOS k
        JOIN ROLES_CLAVES_ARTICULOS r ON r.ROL_CLAVE_ART_ID = k.ROL_CLAVE_ART_ID
        WHERE r.ES_PPAL = 'S' ORDER BY k.ARTICULO_ID""")
    db.execute(
        f"UPDATE CLAVES_ARTICULOS SET CLAVE_ARTICULO = '{k1}' WHERE ARTICULO_ID = {a2} "
        "AND ROL_CLAVE_ART_ID IN (SELECT ROL_CLAVE_ART_ID FROM ROLES_CLAVES_ARTICULOS WHERE ES_PPAL = 'S')"
    )
    reader = db.reader()
    try:
        with caplog.at_level(logging.WARNING, logger="core.erp.microsip"):
            productos = {r[0]: r for r in _all(reader.productos())}
    finally:
        reader.close()
    codes = [p[1] for p in productos.values()]
    assert len(set(codes)) == len(codes)
    assert productos[str(a1)][1] == k1
    assert productos[str(a2)][1] == f"{k1}-{a2}"
    assert "claves repetidas" in caplog.text


def test_wrong_password_gives_a_spanish_message(demo_fdb):
    with pytest.raises(ErpError, match="Usuario o contraseña de Firebird incorrectos"):
        firebird_source(demo_fdb.settings(firebird_password="no-es-la-clave"))


def test_unreachable_server_gives_a_spanish_message(demo_fdb):
    with pytest.raises(ErpError, match="no responde o está apagado") as exc:
        firebird_source(demo_fdb.settings(firebird_port=3059))
    assert "127.0.0.1:3059" in str(exc.value)


def test_missing_database_gives_a_spanish_message(demo_fdb):
    with pytest.raises(ErpError, match="No se encontró la base de datos de Microsip"):
        connect_firebird(
            host=demo_fdb.host,
            port=demo_fdb.port,
            database="/var/lib/firebird/no-existe.fdb",
            user=demo_fdb.user,
            password=demo_fdb.password,
        )


def test_missing_microsip_tables_gives_a_spanish_message(make_demo_fdb):
    db = make_demo_fdb(scale=0.01, seed=13)
    db.execute("DROP TABLE SALDOS_IN")
    reader = db.reader()
    try:
        with pytest.raises(ErpError, match="no tiene las tablas de Microsip"):
            _all(reader.inventario())
        assert len(_all(reader.almacenes())) == 4  # the connection is still usable
    finally:
        reader.close()


def test_reader_over_sqlite_needs_no_firebird():
    demo = DemoSource(scale=0.02, seed=1)
    assert isinstance(demo, MicrosipReader)
    assert demo.resolved_price_list_id() == min(
        demo.data.values("PRECIOS_EMPRESA", "PRECIO_EMPRESA_ID")
    )
    demo.close()


# ---------------------------------------------------------------- read-only transactions

READ_ONLY_NOW = ("SELECT MON$READ_ONLY, MON$ISOLATION_MODE FROM MON$TRANSACTIONS "
                 "WHERE MON$TRANSACTION_ID = CURRENT_TRANSACTION")
WRITING_OVERRIDES = {
    "update": "UPDATE ALMACENES SET NOMBRE = 'HACK'",
    "execute block": (
        "EXECUTE BLOCK RETURNS (ID INTEGER, NOMBRE VARCHAR(50)) AS BEGIN "
        "INSERT INTO ALMACENES (ALMACEN_ID, NOMBRE) VALUES (999, 'HACK'); "
        "ID = 999; NOMBRE = 'HACK'; SUSPEND; END"),
    "autonomous transaction": (
        "EXECUTE BLOCK RETURNS (ID INTEGER, NOMBRE VARCHAR(50)) AS BEGIN "
        "IN AUTONOMOUS TRANSACTION DO "
        "INSERT INTO ALMACENES (ALMACEN_ID, NOMBRE) VALUES (998, 'HACK'); "
        "ID = 998; NOMBRE = 'HACK'; SUSPEND; END"),
}


def test_every_read_runs_in_a_read_only_transaction(demo_fdb):
    reader = firebird_source(demo_fdb.settings(firebird_sql_almacenes=READ_ONLY_NOW))
    try:
        # An override reads inside the reader's own transaction: 1 = read-only, 2 = read committed.
        assert _all(reader.almacenes()) == [("1", "2")]
        # The reader's plain reads run in the same kind of transaction.
        assert reader._scalar(READ_ONLY_NOW) == 1
        assert len(_all(reader.productos())) > 0
    finally:
        reader.close()


@pytest.mark.parametrize("sql", WRITING_OVERRIDES.values(), ids=WRITING_OVERRIDES.keys())
def test_an_override_that_writes_is_refused_by_firebird(make_demo_fdb, sql):
    db = make_demo_fdb(scale=0.01, seed=17)
    before = db.query("SELECT ALMACEN_ID, NOMBRE FROM ALMACENES ORDER BY 1")
    reader = firebird_source(db.settings(firebird_sql_almacenes=sql))
    try:
        with pytest.raises(ErpError) as exc:
            _all(reader.almacenes())
    finally:
        reader.close()
    assert str(exc.value).startswith(
        "La consulta intentó modificar la base de datos de Microsip y Firebird la rechazó")
    assert "FIREBIRD_SQL_" in str(exc.value)
    assert db.query("SELECT ALMACEN_ID, NOMBRE FROM ALMACENES ORDER BY 1") == before
