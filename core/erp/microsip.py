"""Microsip reader: the ERP's Firebird tables mapped to the records of ``core.erp.source``.

``MicrosipReader`` works over any DB-API connection: ``fdb`` on a real Microsip
database, ``sqlite3`` in the demo ERP (``core.erp.demo``). Its SQL keeps to what both
engines understand (``?`` parameters, derived tables, CASE, COALESCE), so the demo runs
the very statements a customer's server runs. Reads stream with ``fetchmany``.

How each record is read follows ``shared/docs/microsip.md``:

* productos: ARTICULOS; SKU = the key whose role has ES_PPAL='S' (else the first key by
  CLAVE_ARTICULO_ID); categoría = línea, grupo = grupo de líneas; precio from
  PRECIOS_ARTICULOS for one price list (default: the lowest PRECIO_EMPRESA_ID); costo =
  COSTO_ULTIMA_COMPRA; activo = ESTATUS 'A'.
* inventario: Σ(ENTRADAS_UNIDADES − SALIDAS_UNIDADES) over every SALDOS_IN row per article
  and almacén, with NIVELES_ARTICULOS min / reorder point / max / location when present.
* clientes: CLIENTES + first CLAVES_CLIENTES key + the principal DIRS_CLIENTES row.
* ventas: DOCTOS_VE F/R (+) and D (−), never C (cotización) or P (pedido), nor a factura
  generated from remisiones (DOCTOS_VE_LIGAS): the remisiones already counted its units, on the
  day the goods left; DOCTOS_PV V (+) and D (−), never F (the global factura repeats tickets
  already counted); ESTATUS 'C' documents are left out and reported in
  ``VentasBatch.cancelados``.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, time
from decimal import Decimal
from functools import partial
from typing import Any, TypeVar

from core.erp.source import (
    ALMACEN_FIELDS,
    CLIENTE_FIELDS,
    INVENTARIO_FIELDS,
    PRODUCTO_FIELDS,
    VENTA_DETALLE_FIELDS,
    VENTA_FIELDS,
    ErpError,
    VentasBatch,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_BATCH_SIZE = 20_000
OVERRIDABLE = ("productos", "almacenes", "inventario", "clientes", "ventas")
# A ventas override returns one row per line: the document fields, then the line fields.
VENTA_OVERRIDE_FIELDS = VENTA_FIELDS + VENTA_DETALLE_FIELDS[2:]

# --------------------------------------------------------------------------------------------
# SQL (common subset of Firebird 2.5/3.0 and SQLite)

SQL_PRICE_LIST = "SELECT MIN(PRECIO_EMPRESA_ID) FROM PRECIOS_EMPRESA"

SQL_PRODUCTOS = """
SELECT a.ARTICULO_ID, k.CLAVE_ARTICULO, a.NOMBRE, a.NOTAS_VENTAS, p.PRECIO, a.COSTO_ULTIMA_COMPRA,
       l.NOMBRE, g.NOMBRE, a.UNIDAD_VENTA, a.ESTATUS
FROM ARTICULOS a
LEFT JOIN LINEAS_ARTICULOS l ON l.LINEA_ARTICULO_ID = a.LINEA_ARTICULO_ID
LEFT JOIN GRUPOS_LINEAS g ON g.GRUPO_LINEA_ID = l.GRUPO_LINEA_ID
LEFT JOIN (
    SELECT c.ARTICULO_ID,
           COALESCE(MIN(CASE WHEN r.ES_PPAL = 'S' THEN c.CLAVE_ARTICULO_ID END),
                    MIN(c.CLAVE_ARTICULO_ID)) AS CLAVE_ID
    FROM CLAVES_ARTICULOS c
    LEFT JOIN ROLES_CLAVES_ARTICULOS r ON r.ROL_CLAVE_ART_ID = c.ROL_CLAVE_ART_ID
    GROUP BY c.ARTICULO_ID
) kk ON kk.ARTICULO_ID = a.ARTICULO_ID
LEFT JOIN CLAVES_ARTICULOS k ON k.CLAVE_ARTICULO_ID = kk.CLAVE_ID
LEFT JOIN (
    SELECT ARTICULO_ID, MIN(PRECIO_ARTICULO_ID) AS PRECIO_ID
    FROM PRECIOS_ARTICULOS
    WHERE PRECIO_EMPRESA_ID = ?
    GROUP BY ARTICULO_ID
) pp ON pp.ARTICULO_ID = a.ARTICULO_ID
LEFT JOIN PRECIOS_ARTICULOS p ON p.PRECIO_ARTICULO_ID = pp.PRECIO_ID
ORDER BY a.ARTICULO_ID
"""

SQL_ALMACENES = "SELECT ALMACEN_ID, NOMBRE FROM ALMACENES ORDER BY ALMACEN_ID"

SQL_INVENTARIO = """
SELECT s.ARTICULO_ID, s.ALMACEN_ID, s.EXISTENCIA,
       n.INVENTARIO_MINIMO, n.PUNTO_REORDEN, n.INVENTARIO_MAXIMO, n.LOCALIZACION
FROM (
    SELECT ARTICULO_ID, ALMACEN_ID, SUM(ENTRADAS_UNIDADES - SALIDAS_UNIDADES) AS EXISTENCIA
    FROM SALDOS_IN
    GROUP BY ARTICULO_ID, ALMACEN_ID
) s
LEFT JOIN NIVELES_ARTICULOS n ON n.ARTICULO_ID = s.ARTICULO_ID AND n.ALMACEN_ID = s.ALMACEN_ID
UNION ALL
SELECT n.ARTICULO_ID, n.ALMACEN_ID, CAST(0 AS NUMERIC(18,5)),
       n.INVENTARIO_MINIMO, n.PUNTO_REORDEN, n.INVENTARIO_MAXIMO, n.LOCALIZACION
FROM NIVELES_ARTICULOS n
WHERE NOT EXISTS (SELECT 1 FROM SALDOS_IN s
                  WHERE s.ARTICULO_ID = n.ARTICULO_ID AND s.ALMACEN_ID = n.ALMACEN_ID)
ORDER BY 1, 2
"""

SQL_CLIENTES = """
SELECT c.CLIENTE_ID, k.CLAVE_CLIENTE, c.NOMBRE, d.RFC_CURP, d.EMAIL, d.TELEFONO1,
       d.CALLE, d.NOMBRE_CALLE, d.NUM_EXTERIOR, d.COLONIA, d.POBLACION, d.CODIGO_POSTAL, c.ESTATUS
FROM CLIENTES c
LEFT JOIN (
    SELECT CLIENTE_ID, MIN(CLAVE_CLIENTE_ID) AS CLAVE_ID FROM CLAVES_CLIENTES GROUP BY CLIENTE_ID
) kk ON kk.CLIENTE_ID = c.CLIENTE_ID
LEFT JOIN CLAVES_CLIENTES k ON k.CLAVE_CLIENTE_ID = kk.CLAVE_ID
LEFT JOIN (
    SELECT CLIENTE_ID,
           COALESCE(MIN(CASE WHEN ES_DIR_PPAL = 'S' THEN DIR_CLI_ID END), MIN(DIR_CLI_ID)) AS DIR_ID
    FROM DIRS_CLIENTES
    GROUP BY CLIENTE_ID
) dd ON dd.CLIENTE_ID = c.CLIENTE_ID
LEFT JOIN DIRS_CLIENTES d ON d.DIR_CLI_ID = dd.DIR_ID
ORDER BY c.CLIENTE_ID
"""

# A factura generated from remisiones (DOCTOS_VE_LIGAS: DOCTO_VE_FTE_ID = remisión,
# DOCTO_VE_DEST_ID = factura) repeats units the remisiones already counted: it is left out when
# every document it comes from is a live remisión. A factura without links, or linked from
# anything else (a pedido, a missing or cancelled remisión), counts.
_NOT_FROM_REMISIONES = """
  AND NOT (d.TIPO_DOCTO = 'F'
       AND EXISTS (SELECT 1 FROM DOCTOS_VE_LIGAS g WHERE g.DOCTO_VE_DEST_ID = d.DOCTO_VE_ID)
       AND NOT EXISTS (
           SELECT 1 FROM DOCTOS_VE_LIGAS g
           LEFT JOIN DOCTOS_VE s ON s.DOCTO_VE_ID = g.DOCTO_VE_FTE_ID
           WHERE g.DOCTO_VE_DEST_ID = d.DOCTO_VE_ID
             AND (s.TIPO_DOCTO IS NULL OR s.TIPO_DOCTO <> 'R' OR s.ESTATUS = 'C')))"""

# Documents and their lines come from two queries, merged on the document id: a joined query
# repeats the ten header columns on every line, and fdb decodes every value in Python (reading
# them twice cost a third of the read). {modified} becomes "AND d.FECHA_HORA_ULT_MODIF >= ?" for
# incremental reads, {part} a share of the documents (see ``_part_filter``).
_WHERE_VE = "d.TIPO_DOCTO IN ('F', 'R', 'D') AND d.ESTATUS <> 'C'{modified}{part}" + _NOT_FROM_REMISIONES
_WHERE_PV = "d.TIPO_DOCTO IN ('V', 'D') AND d.ESTATUS <> 'C'{modified}{part}"
_DOCUMENT_COLUMNS = ("d.TIPO_DOCTO, d.FOLIO, d.FECHA, d.CLIENTE_ID, d.ALMACEN_ID, d.IMPORTE_NETO, "
                     "d.TOTAL_IMPUESTOS, d.ESTATUS, d.FECHA_HORA_ULT_MODIF")
_LINE_COLUMNS = ("l.ARTICULO_ID, COALESCE(l.UNIDADES, 0), COALESCE(l.PRECIO_UNITARIO, 0), "
                 "COALESCE(l.PRECIO_TOTAL_NETO, 0)")
SQL_DOCUMENTOS_VE = f"""
SELECT d.DOCTO_VE_ID, {_DOCUMENT_COLUMNS}
FROM DOCTOS_VE d
WHERE {_WHERE_VE}
ORDER BY d.DOCTO_VE_ID
"""
SQL_LINEAS_VE = f"""
SELECT l.DOCTO_VE_ID, {_LINE_COLUMNS}
FROM DOCTOS_VE d
JOIN DOCTOS_VE_DET l ON l.DOCTO_VE_ID = d.DOCTO_VE_ID
WHERE {_WHERE_VE} AND l.ARTICULO_ID IS NOT NULL
ORDER BY l.DOCTO_VE_ID, l.POSICION, l.DOCTO_VE_DET_ID
"""
SQL_DOCUMENTOS_PV = f"""
SELECT d.DOCTO_PV_ID, {_DOCUMENT_COLUMNS}, d.HORA
FROM DOCTOS_PV d
WHERE {_WHERE_PV}
ORDER BY d.DOCTO_PV_ID
"""
SQL_LINEAS_PV = f"""
SELECT l.DOCTO_PV_ID, {_LINE_COLUMNS}
FROM DOCTOS_PV d
JOIN DOCTOS_PV_DET l ON l.DOCTO_PV_ID = d.DOCTO_PV_ID
WHERE {_WHERE_PV} AND l.ARTICULO_ID IS NOT NULL
ORDER BY l.DOCTO_PV_ID, l.POSICION, l.DOCTO_PV_DET_ID
"""

# Cancelled documents (also those only stamped with FECHA_HORA_CANCELACION), in no order: walking
# the primary key to sort a handful of ids made each query half again as slow.
SQL_CANCELADOS_VE = f"""
SELECT d.DOCTO_VE_ID FROM DOCTOS_VE d
WHERE d.TIPO_DOCTO IN ('F', 'R', 'D') AND d.ESTATUS = 'C'{{modified_or_cancelled}}{{part}}{_NOT_FROM_REMISIONES}
"""
SQL_CANCELADOS_PV = """
SELECT d.DOCTO_PV_ID FROM DOCTOS_PV d
WHERE d.TIPO_DOCTO IN ('V', 'D') AND d.ESTATUS = 'C'{modified_or_cancelled}{part}
"""
_MODIFIED = " AND d.FECHA_HORA_ULT_MODIF >= ?"
_MODIFIED_OR_CANCELLED = " AND (d.FECHA_HORA_ULT_MODIF >= ? OR d.FECHA_HORA_CANCELACION >= ?)"

RETURN_TYPES = frozenset({"D"})


def _part_filter(origen: str, part: tuple[int, int] | None) -> str:
    """The WHERE clause of one part of a read split by document id modulo n."""
    if part is None:
        return ""
    k, n = int(part[0]), int(part[1])
    if not 0 <= k < n:
        raise ValueError(f"parte {k} de {n} inválida")
    return "" if n == 1 else f" AND MOD(d.DOCTO_{origen}_ID, {n}) = {k}"


_OLDEST = datetime(1900, 1, 1)

# --------------------------------------------------------------------------------------------
# value conversion: fdb already returns Decimal / date / datetime / time; sqlite3 returns
# floats and ISO strings. Both end up as the same Python values.


def _decimal(scale: int) -> Callable[[Any], Decimal | None]:
    fmt = f"{{:.{scale}f}}".format

    def conv(v: Any) -> Decimal | None:
        if v is None or type(v) is Decimal:
            return v
        if isinstance(v, (int, float)):
            return Decimal(fmt(v))
        return Decimal(str(v).strip() or "0")

    return conv


_money = _decimal(2)
_price = _decimal(6)
_qty = _decimal(5)


def _datetime(v: Any) -> datetime | None:
    if v is None or type(v) is datetime:
        return v
    if isinstance(v, date):
        return datetime(v.year, v.month, v.day)
    return datetime.fromisoformat(str(v).strip())


def _time(v: Any) -> time | None:
    if v is None or type(v) is time:
        return v
    if isinstance(v, datetime):
        return v.time()
    return time.fromisoformat(str(v).strip())


def _id(v: Any) -> str | None:
    if v is None:
        return None
    if type(v) is int:
        return str(v)
    if isinstance(v, (float, Decimal)) and v == int(v):
        return str(int(v))
    return str(v).strip()


class _TextCheck:
    """Counts text that the driver could not decode (replaced by U+FFFD) and logs it once."""

    def __init__(self, entity: str, charset: str) -> None:
        self.entity, self.charset, self.count, self.example = entity, charset, 0, None

    def __call__(self, v: Any) -> str | None:
        if v is None:
            return None
        if isinstance(v, bytes):  # CHARACTER SET OCTETS / NONE read without a charset
            v = v.decode(_python_codec(self.charset), errors="replace")
        elif not isinstance(v, str):
            if hasattr(v, "read"):  # a streamed BLOB
                v = v.read()
                return self(v)
            v = str(v)
        if "\ufffd" in v:
            self.count += 1
            if self.example is None:
                self.example = v
        return v.strip()

    def report(self) -> None:
        if self.count:
            log.warning(
                "%s: %d textos con caracteres que no se pudieron leer con el juego de caracteres %s "
                "(reemplazados por '\ufffd'); ejemplo: %r",
                self.entity,
                self.count,
                self.charset,
                self.example,
            )


def _python_codec(charset: str) -> str:
    c = (charset or "").upper()
    return {"WIN1252": "cp1252", "ISO8859_1": "latin-1", "UTF8": "utf-8", "NONE": "cp1252"}.get(
        c, c or "cp1252"
    )


def _producto(r: tuple, text: Any, *, activo: bool) -> tuple:
    """A PRODUCTO_FIELDS tuple from a row in that order (codigo falls back to the ERP id)."""
    erp_id = _id(r[0])
    return (erp_id, text(r[1]) or erp_id, text(r[2]), text(r[3]) or None, _price(r[4]),
            _price(r[5]), text(r[6]), text(r[7]), text(r[8]), activo)


def _bool(v: Any) -> bool:
    if isinstance(v, str):
        return v.strip().upper() in ("A", "S", "1", "T", "TRUE", "SI", "SÍ", "V", "Y")
    return bool(v)


# --------------------------------------------------------------------------------------------
# errors

_GDS_NETWORK = {335544721, 335544726, 335544727, 335544741, 335544648}
_GDS_SHUTDOWN = {335544528, 335544856, 335544794}
_GDS_LOGIN = {335544472}
_GDS_IO = {335544344, 335544734}
_GDS_UNKNOWN_TABLE = {335544580, 335544578}
_GDS_READ_ONLY = {335544361}  # attempted update during read-only transaction


def _first_line(exc: BaseException) -> str:
    args = getattr(exc, "args", ())
    msg = str(args[0]) if args else str(exc)
    lines = [ln.strip("- ").strip() for ln in msg.splitlines() if ln.strip()]
    useful = [ln for ln in lines if not ln.startswith(("Error while", "SQLCODE"))]
    return (useful or lines or [exc.__class__.__name__])[0]


def erp_error(
    exc: BaseException,
    *,
    where: str = "",
    host: str = "",
    port: int | str = "",
    database: str = "",
    user: str = "",
) -> ErpError:
    """A Spanish ``ErpError`` for a driver exception (fdb or sqlite3)."""
    if isinstance(exc, ErpError):
        return exc
    args: tuple[Any, ...] = tuple(getattr(exc, "args", ()))
    gds = args[2] if len(args) >= 3 and isinstance(args[2], int) else None
    server = f"{host}:{port}" if host else "el servidor Firebird"
    text = str(args[0]) if args else str(exc)
    if gds in _GDS_LOGIN or "user name and password are not defined" in text:
        msg = (
            f"Usuario o contraseña de Firebird incorrectos (usuario {user or '?'}). "
            "Revise FIREBIRD_USER y FIREBIRD_PASSWORD."
        )
    elif gds in _GDS_NETWORK or "Unable to complete network request" in text:
        msg = (
            f"No se pudo conectar con {server}: el servidor no responde o está apagado. "
            "Revise FIREBIRD_HOST y FIREBIRD_PORT y que el servicio de Firebird esté en marcha."
        )
    elif gds in _GDS_IO or 'I/O error during "open"' in text:
        msg = (
            f"No se encontró la base de datos de Microsip «{database}» en {server}. "
            "Revise FIREBIRD_DATABASE (ruta del archivo .FDB en el servidor)."
        )
    elif gds in _GDS_SHUTDOWN:
        msg = f"Se perdió la conexión con {server}: el servidor se detuvo o cerró la conexión."
    elif gds in _GDS_READ_ONLY or "read-only transaction" in text:
        msg = ("La consulta intentó modificar la base de datos de Microsip y Firebird la rechazó: "
               "DevCompras sólo lee (revise las FIREBIRD_SQL_*).")
    elif gds in _GDS_UNKNOWN_TABLE or "no such table" in text or "Table unknown" in text:
        msg = f"La base de datos no tiene las tablas de Microsip esperadas ({_first_line(exc)})."
    elif isinstance(exc, (OSError, ImportError)) or "Firebird Client Library" in text:
        msg = f"No se pudo usar el cliente de Firebird (fbclient): {_first_line(exc)}."
    else:
        msg = f"Error al leer Microsip: {_first_line(exc)}."
    if where:
        msg = f"{msg} [{where}]"
    err = ErpError(msg)
    err.__cause__ = exc
    return err


# --------------------------------------------------------------------------------------------
# the reader


class MicrosipReader:
    """An ``ErpSource`` over a DB-API connection to a Microsip database (fdb or sqlite3).

    ``price_list_id``: PRECIO_EMPRESA_ID of the price list used as precio (default: the lowest).
    ``sql_overrides``: {entity: SQL} for sites exposing their own views; the SQL returns the
    entity's ``*_FIELDS`` in order (for ``ventas``: ``VENTA_OVERRIDE_FIELDS``, one row per line,
    cantidad/importe already negative for returns; a ``?`` in it is bound to the watermark).
    ``connect``: opens a second connection, on which cancelled documents are looked for while
    the documents are read (their query scans whole tables: the server does it meanwhile).
    """

    def __init__(
        self,
        conn: Any,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        price_list_id: int | None = None,
        sql_overrides: dict[str, str | None] | None = None,
        charset: str = "WIN1252",
        name: str = "microsip",
        description: str | None = None,
        error_context: dict[str, Any] | None = None,
        connect: Callable[[], Any] | None = None,
    ) -> None:
        self.conn = conn
        self._connect = connect  # opens another connection to the same database (reads beside)
        self.name = name
        self.batch_size = max(1, int(batch_size))
        self.price_list_id = price_list_id
        self.charset = charset
        self.sqlite = isinstance(conn, sqlite3.Connection)
        self.description = description or ("SQLite" if self.sqlite else "Microsip (Firebird)")
        self.overrides = {k: v for k, v in (sql_overrides or {}).items() if v and str(v).strip()}
        unknown = set(self.overrides) - set(OVERRIDABLE)
        if unknown:
            raise ValueError(f"entidades sin SQL configurable: {sorted(unknown)}")
        self._ctx = error_context or {}
        self._lock = threading.Lock()
        if not self.sqlite:
            self._read_only()

    def _read_only(self) -> None:
        """Every transaction of this connection reads only (FIREBIRD_SQL_* overrides included):
        Firebird itself refuses a write, whatever the SQL says."""
        import fdb

        self._end_read()  # a transaction started before we owned the connection ends here
        self.conn.main_transaction.default_tpb = fdb.ISOLATION_LEVEL_READ_COMMITED_RO

    # -- plumbing -----------------------------------------------------------------------------
    def _error(self, exc: BaseException, where: str) -> ErpError:
        return erp_error(exc, where=where, **self._ctx)

    def _param(self, v: datetime) -> Any:
        v = v.replace(tzinfo=None) if v.tzinfo else v
        return v.isoformat(sep=" ", timespec="seconds") if self.sqlite else v

    def _stream(self, sql: str, params: tuple = (), where: str = "", *,
                end_read: bool = True) -> Iterator[list[tuple]]:
        """Run a SELECT and yield its rows in ``fetchmany`` chunks (driver errors → ErpError);
        ``end_read=False`` leaves the transaction open for a query read beside it."""
        cur = None
        try:
            cur = self.conn.cursor()
            cur.execute(sql, params)
            while True:
                rows = cur.fetchmany(self.batch_size)
                if not rows:
                    break
                yield rows
        except ErpError:
            raise
        except Exception as exc:  # noqa: BLE001 - every driver error becomes a Spanish ErpError
            raise self._error(exc, where) from exc
        finally:
            if cur is not None:
                with contextlib.suppress(Exception):
                    cur.close()
            if end_read:
                self._end_read()

    def _rows(self, sql: str, params: tuple, where: str) -> Generator[tuple, None, None]:
        """The rows of a SELECT one by one, leaving the transaction open (see ``_stream``)."""
        for rows in self._stream(sql, params, where, end_read=False):
            yield from rows

    def _begin_snapshot(self) -> None:
        """Firebird: start a read-only snapshot, so that queries read side by side agree."""
        if not self.sqlite:
            import fdb

            self._end_read()
            try:
                self.conn.begin(tpb=bytes([fdb.isc_tpb_version3, fdb.isc_tpb_read,
                                           fdb.isc_tpb_concurrency, fdb.isc_tpb_wait]))
            except Exception as exc:  # noqa: BLE001 - every driver error becomes a Spanish ErpError
                raise self._error(exc, "ventas") from exc

    def _end_read(self) -> None:
        # Firebird: end the read transaction so the next read sees fresh data.
        if not self.sqlite:
            with contextlib.suppress(Exception):
                self.conn.commit()

    def _scalar(self, sql: str, params: tuple = (), where: str = "") -> Any:
        for rows in self._stream(sql, params, where):
            return rows[0][0]
        return None

    # -- ErpSource ------------------------------------------------------------------------------
    def ping(self) -> str:
        sql = "SELECT 1" if self.sqlite else "SELECT 1 FROM RDB$DATABASE"
        self._scalar(sql, where="ping")
        version = ""
        if not self.sqlite:
            version = getattr(self.conn, "firebird_version", "") or ""
        return f"{self.description}{' — ' + version if version else ''}"

    def close(self) -> None:
        with contextlib.suppress(Exception):  # closing a dead connection is not an error
            self.conn.close()

    def resolved_price_list_id(self) -> int | None:
        if self.price_list_id is None:
            v = self._scalar(SQL_PRICE_LIST, where="listas de precios")
            self.price_list_id = int(v) if v is not None else -1
        return self.price_list_id

    def productos(self) -> Iterator[list[tuple]]:
        text = _TextCheck("productos", self.charset)
        if "productos" in self.overrides:
            rows = self._override("productos", PRODUCTO_FIELDS, self._norm_producto, text)
        else:
            rows = self._productos(text)
        # our codigo is unique: a key shared by two articles keeps the first, the others get
        # "<clave>-<ARTICULO_ID>" (and a warning) instead of failing the whole sync
        seen: set[str] = set()
        dupes: list[str] = []
        for batch in rows:
            out = []
            for r in batch:
                if r[1] in seen:
                    dupes.append(r[1])
                    r = (r[0], f"{r[1]}-{r[0]}", *r[2:])
                seen.add(r[1])
                out.append(r)
            yield out
        if dupes:
            log.warning(
                "productos: %d claves repetidas en varios artículos (p. ej. %r); se les agregó "
                "el ARTICULO_ID",
                len(dupes),
                dupes[0],
            )

    def _productos(self, text: _TextCheck) -> Iterator[list[tuple]]:
        lista = self.resolved_price_list_id()
        for rows in self._stream(SQL_PRODUCTOS, (lista,), "productos"):
            # ARTICULOS.ESTATUS: 'A' activo, 'S' suspendido
            yield [_producto(r, text, activo=(r[9] or "A").strip() == "A") for r in rows]
        text.report()

    def almacenes(self) -> Iterator[list[tuple]]:
        text = _TextCheck("almacenes", self.charset)
        if "almacenes" in self.overrides:
            yield from self._override(
                "almacenes", ALMACEN_FIELDS, lambda r, t: (_id(r[0]), t(r[1])), text
            )
            return
        for rows in self._stream(SQL_ALMACENES, where="almacenes"):
            yield [(_id(r[0]), text(r[1])) for r in rows]
        text.report()

    def inventario(self) -> Iterator[list[tuple]]:
        text = _TextCheck("inventario", self.charset)
        if "inventario" in self.overrides:
            yield from self._override("inventario", INVENTARIO_FIELDS, self._norm_inventario, text)
            return
        for rows in self._stream(SQL_INVENTARIO, where="inventario"):
            yield [self._norm_inventario(r, text) for r in rows]
        text.report()

    def clientes(self) -> Iterator[list[tuple]]:
        text = _TextCheck("clientes", self.charset)
        if "clientes" in self.overrides:
            yield from self._override("clientes", CLIENTE_FIELDS, self._norm_cliente, text)
            return
        for rows in self._stream(SQL_CLIENTES, where="clientes"):
            out = []
            for r in rows:
                calle = text(r[6]) or " ".join(x for x in (text(r[7]), text(r[8])) if x)
                cp = text(r[11])
                parts = [calle, text(r[9]), text(r[10]), f"C.P. {cp}" if cp else None]
                direccion = ", ".join(p for p in parts if p) or None
                out.append(
                    (
                        _id(r[0]),
                        text(r[1]),
                        text(r[2]),
                        text(r[3]) or None,
                        text(r[4]) or None,
                        text(r[5]) or None,
                        direccion,
                        (r[12] or "A").strip() in ("A", "V"),
                    )
                )
            yield out
        text.report()

    def ventas_parts(self, wanted: int) -> int:
        """Into how many parts ``ventas(part=…)`` can split a read (1: it cannot): a site's own
        SQL is read whole, and SQLite gains nothing from parallel readers."""
        if "ventas" in self.overrides or self.sqlite:
            return 1
        return max(1, int(wanted))

    def ventas(self, *, modified_since: datetime | None = None,
               part: tuple[int, int] | None = None) -> Iterator[VentasBatch]:
        """Documents modified at or after ``modified_since`` (all when None), whole, in batches of
        about ``batch_size`` lines; the cancelled ones come as ``cancelados`` in the last batches.

        ``part=(k, n)`` reads only the documents whose ERP id is k modulo n, so that n readers
        (see ``ventas_parts``) share one read, every document read by exactly one of them.
        """
        if "ventas" in self.overrides:
            if part is not None and part != (0, 1):
                raise ValueError("una consulta propia de ventas no se puede leer por partes")
            yield from self._ventas_override(modified_since)
            return
        cancelados = self._beside(lambda reader: reader._cancelados(modified_since, part))
        text = _TextCheck("ventas", self.charset)
        yield from self._ventas_module("VE", modified_since, text, part)
        yield from self._ventas_module("PV", modified_since, text, part)
        text.report()
        ids = cancelados()
        for i in range(0, len(ids), self.batch_size):
            yield VentasBatch(cancelados=ids[i:i + self.batch_size])

    def _cancelados(self, modified_since: datetime | None,
                    part: tuple[int, int] | None) -> list[tuple[str, str]]:
        """(origen, erp_id) of the documents cancelled (at or after ``modified_since``)."""
        cancelados: list[tuple[str, str]] = []
        for origen, sql in (("VE", SQL_CANCELADOS_VE), ("PV", SQL_CANCELADOS_PV)):
            params: tuple[Any, ...] = ()
            modified = ""
            if modified_since is not None:
                p = self._param(modified_since)
                modified, params = _MODIFIED_OR_CANCELLED, (p, p)
            q = sql.format(modified_or_cancelled=modified, part=_part_filter(origen, part))
            for rows in self._stream(q, params, f"documentos cancelados {origen}"):
                cancelados.extend((origen, str(r[0]).strip()) for r in rows)
        return cancelados

    def _beside(self, read: Callable[[MicrosipReader], T]) -> Callable[[], T]:
        """Start ``read`` on a second connection, in a thread, when this reader can open one;
        the function returned waits for its result (raising its error). Without ``connect`` the
        read runs when its result is asked for, on this connection."""
        if self._connect is None:
            return lambda: read(self)
        connect = self._connect

        def run() -> T:
            side = MicrosipReader(connect(), batch_size=self.batch_size, charset=self.charset,
                                  name=self.name, error_context=self._ctx)
            try:
                return read(side)
            finally:
                side.close()

        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="erp-beside")
        future = pool.submit(run)
        pool.shutdown(wait=False)
        return future.result

    # -- ventas ---------------------------------------------------------------------------------
    def _ventas_module(
        self, origen: str, modified_since: datetime | None, text: _TextCheck,
        part: tuple[int, int] | None = None,
    ) -> Iterator[VentasBatch]:
        pv = origen == "PV"
        sql_docs, sql_lines = (SQL_DOCUMENTOS_PV, SQL_LINEAS_PV) if pv else (SQL_DOCUMENTOS_VE, SQL_LINEAS_VE)
        params: tuple[Any, ...] = ()
        modified = ""
        if modified_since is not None:
            modified, params = _MODIFIED, (self._param(modified_since),)
        where_part = _part_filter(origen, part)
        fast = not self.sqlite
        limit = self.batch_size
        docs: list[tuple] = []
        lines: list[tuple] = []
        self._begin_snapshot()  # both queries see the same documents
        doc_rows = self._rows(sql_docs.format(modified=modified, part=where_part), params, f"ventas {origen}")
        line_rows = self._rows(sql_lines.format(modified=modified, part=where_part), params,
                               f"ventas {origen}")
        try:
            line = next(line_rows, None)
            for r in doc_rows:
                if line is None:
                    break
                current = r[0]
                while line is not None and line[0] < current:  # only if the source changed between
                    line = next(line_rows, None)  # the two queries (SQLite: no shared snapshot)
                if line is None or line[0] != current:  # a document without article lines
                    continue
                if len(lines) >= limit:
                    yield VentasBatch(documentos=docs, lineas=lines)
                    docs, lines = [], []
                sid = _id(current) or ""
                tipo = (r[1] or "").strip()
                neg = tipo in RETURN_TYPES
                fecha = _datetime(r[3])
                hora = _time(r[10]) if pv else None
                if fecha is not None and hora is not None:
                    fecha = datetime.combine(fecha.date(), hora)
                sub, iva = _money(r[6]) or Decimal("0.00"), _money(r[7]) or Decimal("0.00")
                if neg:
                    sub, iva = -sub, -iva
                docs.append((origen, sid, tipo, text(r[2]), fecha, _id(r[4]), _id(r[5]), sub, iva,
                             sub + iva, (r[8] or "").strip(), _datetime(r[9])))
                pos = 0
                while line is not None and line[0] == current:
                    pos += 1
                    # hot loop (a million lines): fdb already returns Decimals of the right scale
                    if fast:
                        if neg:
                            lines.append((origen, sid, pos, str(line[1]), -line[2], line[3], -line[4]))
                        else:
                            lines.append((origen, sid, pos, str(line[1]), line[2], line[3], line[4]))
                    else:
                        qty, imp = _qty(line[2]) or Decimal(0), _money(line[4]) or Decimal(0)
                        if neg:
                            qty, imp = -qty, -imp
                        lines.append((origen, sid, pos, _id(line[1]), qty, _price(line[3]), imp))
                    line = next(line_rows, None)
        finally:
            doc_rows.close()
            line_rows.close()
            self._end_read()
        if docs:
            yield VentasBatch(documentos=docs, lineas=lines)

    def _ventas_override(self, modified_since: datetime | None) -> Iterator[VentasBatch]:
        sql = self.overrides["ventas"].strip().rstrip(";")
        if "order by" not in sql.lower():
            sql = f"SELECT * FROM ({sql}) v ORDER BY 1, 2"
        n_params = sql.count("?")
        since = self._param(modified_since or _OLDEST)
        text = _TextCheck("ventas", self.charset)
        docs: list[tuple] = []
        lines: list[tuple] = []
        cancelados: list[tuple[str, str]] = []
        current = None
        skip = False
        pos = 0
        since_naive = modified_since.replace(tzinfo=None) if modified_since is not None else None
        for rows in self._stream(sql, (since,) * n_params, "ventas (SQL configurada)"):
            for r in rows:
                if len(r) < len(VENTA_OVERRIDE_FIELDS):
                    raise ErpError(
                        f"La SQL configurada para ventas devuelve {len(r)} columnas; se esperan "
                        f"{len(VENTA_OVERRIDE_FIELDS)}: {', '.join(VENTA_OVERRIDE_FIELDS)}."
                    )
                key = (text(r[0]) or "", _id(r[1]) or "")
                if key != current:
                    if len(lines) >= self.batch_size:
                        yield VentasBatch(documentos=docs, lineas=lines)
                        docs, lines = [], []
                    current, pos = key, 0
                    modificado = _datetime(r[11])
                    estatus = text(r[10]) or "N"
                    if (
                        since_naive is not None
                        and n_params == 0
                        and modificado is not None
                        and modificado < since_naive
                    ):
                        skip = True
                    elif estatus == "C":
                        cancelados.append(key)
                        skip = True
                    else:
                        skip = False
                        sub, iva, total = _money(r[7]), _money(r[8]), _money(r[9])
                        if total is None:
                            total = (sub or Decimal("0.00")) + (iva or Decimal("0.00"))
                        docs.append(
                            (
                                key[0],
                                key[1],
                                text(r[2]),
                                text(r[3]),
                                _datetime(r[4]),
                                _id(r[5]),
                                _id(r[6]),
                                sub,
                                iva,
                                total,
                                estatus,
                                modificado,
                            )
                        )
                if skip:
                    continue
                pos += 1
                lines.append(
                    (
                        key[0],
                        key[1],
                        int(r[12]) if r[12] is not None else pos,
                        _id(r[13]),
                        _qty(r[14]),
                        _price(r[15]),
                        _money(r[16]),
                    )
                )
        if docs:
            yield VentasBatch(documentos=docs, lineas=lines)
        text.report()
        for i in range(0, len(cancelados), self.batch_size):
            yield VentasBatch(cancelados=cancelados[i : i + self.batch_size])

    # -- overrides and row normalisation ----------------------------------------------------------
    def _override(
        self,
        entity: str,
        fields: tuple[str, ...],
        norm: Callable[[tuple, _TextCheck], tuple],
        text: _TextCheck,
    ) -> Iterator[list[tuple]]:
        sql = self.overrides[entity].strip().rstrip(";")
        for rows in self._stream(sql, where=f"{entity} (SQL configurada)"):
            if rows and len(rows[0]) < len(fields):
                raise ErpError(
                    f"La SQL configurada para {entity} devuelve {len(rows[0])} columnas; se esperan "
                    f"{len(fields)}: {', '.join(fields)}."
                )
            yield [norm(r, text) for r in rows]
        text.report()

    @staticmethod
    def _norm_producto(r: tuple, text: _TextCheck) -> tuple:
        # a site's own view may say A/S, S/N or 1/0
        return _producto(r, text, activo=_bool(r[9]) if r[9] is not None else True)

    @staticmethod
    def _norm_inventario(r: tuple, text: _TextCheck) -> tuple:
        return (
            _id(r[0]),
            _id(r[1]),
            _qty(r[2]) if r[2] is not None else Decimal("0.00000"),
            _qty(r[3]),
            _qty(r[4]),
            _qty(r[5]),
            text(r[6]) or None,
        )

    @staticmethod
    def _norm_cliente(r: tuple, text: _TextCheck) -> tuple:
        return (
            _id(r[0]),
            text(r[1]),
            text(r[2]),
            text(r[3]) or None,
            text(r[4]) or None,
            text(r[5]) or None,
            text(r[6]) or None,
            _bool(r[7]) if r[7] is not None else True,
        )


# --------------------------------------------------------------------------------------------
# Firebird connection

_connect_timeout = threading.local()
_hook_installed = False


def _install_timeout_hook(fdb: Any) -> None:
    """Give fdb connections a connect timeout (isc_dpb_connect_timeout) without patching fdb."""
    global _hook_installed
    if _hook_installed:
        return

    def hook(dsn: Any, dpb: Any) -> None:
        seconds = getattr(_connect_timeout, "seconds", None)
        if seconds:
            dpb.add_integer_parameter(fdb.ibase.isc_dpb_connect_timeout, int(seconds))
        return None

    fdb.add_hook(fdb.HOOK_DATABASE_ATTACH_REQUEST, hook)
    _hook_installed = True


def connect_firebird(
    *,
    host: str,
    port: int,
    database: str,
    user: str,
    password: str,
    charset: str = "WIN1252",
    timeout: int = 10,
    garbage_collect: bool = True,
) -> Any:
    """An ``fdb`` connection; failures raise ``ErpError`` with a Spanish message.

    ``garbage_collect=False`` asks the server not to clean up old record versions while this
    connection reads them (``isc_dpb_no_garbage_collect``, gbak's ``-g``)."""
    ctx: dict[str, Any] = {"host": host, "port": port, "database": database, "user": user}
    try:
        import fdb
    except ImportError as exc:
        raise erp_error(exc, **ctx) from exc
    try:
        _install_timeout_hook(fdb)
        _connect_timeout.seconds = timeout
        try:
            return fdb.connect(
                host=host or None,
                port=int(port) if port else None,
                database=database,
                user=user,
                password=password,
                charset=charset or "WIN1252",
                no_gc=None if garbage_collect else 1,
            )
        finally:
            _connect_timeout.seconds = None
    except Exception as exc:  # noqa: BLE001 - every driver error becomes a Spanish ErpError
        raise erp_error(exc, **ctx) from exc


def _secret(v: Any) -> str:
    if v is None:
        return ""
    get = getattr(v, "get_secret_value", None)
    return str(get() if get else v)


def reader_options(settings: Any) -> dict[str, Any]:
    """Reader options (price list, SQL overrides, batch size) from the settings object."""
    overrides = {e: getattr(settings, f"firebird_sql_{e}", None) for e in OVERRIDABLE}
    price = getattr(settings, "firebird_price_list_id", None)
    return {
        "batch_size": int(getattr(settings, "firebird_batch_size", None) or DEFAULT_BATCH_SIZE),
        "price_list_id": int(price) if price not in (None, "") else None,
        "sql_overrides": {k: v for k, v in overrides.items() if v},
    }


def source_from_settings() -> MicrosipReader:
    """The configured Microsip reader (what a reader process builds for itself)."""
    from core.config import get_settings

    return firebird_source(get_settings())


def firebird_source(settings: Any) -> MicrosipReader:
    """A ``MicrosipReader`` on the Microsip database named by the ``FIREBIRD_*`` settings."""
    host = getattr(settings, "firebird_host", None) or "127.0.0.1"
    port = int(getattr(settings, "firebird_port", None) or 3050)
    database = getattr(settings, "firebird_database", None) or ""
    user = getattr(settings, "firebird_user", None) or "SYSDBA"
    password = _secret(getattr(settings, "firebird_password", None))
    charset = getattr(settings, "firebird_charset", None) or "WIN1252"
    if not database:
        raise ErpError(
            "Falta FIREBIRD_DATABASE: la ruta del archivo .FDB de Microsip en el servidor."
        )
    connect = partial(
        connect_firebird,
        host=host,
        port=port,
        database=database,
        user=user,
        password=password,
        charset=charset,
        timeout=int(getattr(settings, "firebird_connect_timeout", None) or 10),
        garbage_collect=bool(getattr(settings, "firebird_garbage_collect", False)),
    )
    return MicrosipReader(
        connect(),
        charset=charset,
        name="firebird",
        connect=connect,
        description=f"Microsip en {host}:{port}:{database}",
        error_context={"host": host, "port": port, "database": database, "user": user},
        **reader_options(settings),
    )
