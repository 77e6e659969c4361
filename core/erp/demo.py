"""The demo ERP: deterministic Microsip-shaped data, and a source that reads it.

``generate()`` builds the raw Microsip tables (``microsip_schema``) for a hardware
distributor in Jalisco: sparse ids from one shared generator, SKUs in
CLAVES_ARTICULOS under a principal-key role, grupos → líneas → artículos, four
almacenes, customers with keys and addresses, two years of sales documents from
both modules (VE facturas, remisiones, cotizaciones, pedidos, devoluciones, facturas
generated from remisiones and linked in DOCTOS_VE_LIGAS; PV tickets, devoluciones and
monthly global facturas) with weekly and yearly
seasonality, a trend, a long tail of intermittent products, cancellations,
prices, min/reorder/max levels and SALDOS_IN monthly movements whose sum is a
stock consistent with the sales. Same inputs give identical data.

``DemoSource`` loads those tables into an in-memory SQLite database and reads them
with ``MicrosipReader``: the very SQL that runs against a real Microsip database.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np

from core.erp import demo_catalog as cat
from core.erp.microsip import MicrosipReader
from core.erp.microsip_schema import TABLE_ORDER, TABLES, ddl

log = logging.getLogger(__name__)

LINES_PER_SCALE = 100_000
ARTICLES_PER_SCALE = 2_000
CUSTOMERS_PER_SCALE = 1_500
DAYS = 730
IVA = 0.16
PRICE_INFLATION = 0.045  # yearly price rise (every January): older documents carry lower prices
EPOCH = date(2015, 1, 1)  # day numbers, id blocks and trends count from here
EPOCH_DT = datetime(EPOCH.year, EPOCH.month, EPOCH.day)
REF_DAY = (date(2026, 1, 1) - EPOCH).days  # trend anchor
REF_END = (date(2026, 12, 31) - EPOCH).days  # scale 1 ≈ 100,000 lines in the two years ending here
PRICE_BASE_YEAR = 2026
ID_BASE_DOCS = 1_000_000  # catalog ids stay below; documents take one block per day above
ID_STRIDE = 10_000  # ids per day and per unit of scale (int32 holds days until 2040 at scale 20)
MAX_SCALE = 20.0
NEVER = 10**9
VE_TYPES = np.array(["F", "R", "C", "P"])
VE_P = np.array([0.45, 0.30, 0.13, 0.12])
VE_LINES = {"F": 5.0, "R": 3.5, "C": 6.0, "P": 5.0, "D": 1.4}
# Live remisiones (without returns) invoiced later: a factura with the same lines 1–7 days after
# (never on a Sunday), linked in DOCTOS_VE_LIGAS. The remisión counted its units (and took them
# out of stock), so the factura does neither.
REMISIONES_INVOICED = 0.30
PV_LINES = {"V": 2.2, "D": 1.3}
WEEKLY_VE = [1.0, 1.0, 1.0, 1.0, 1.05, 0.45, 0.02]  # Monday … Sunday: offices close on weekends
WEEKLY_PV = [0.95, 0.9, 0.9, 0.95, 1.1, 1.35, 0.55]  # the counter is busiest on Saturday
FOLIO_PREFIX = {
    "VE": {"F": "FA", "R": "RE", "C": "CO", "P": "PE", "D": "DV"},
    "PV": {"V": "TK", "D": "DT", "F": "FG"},
}
DOC_KEYS = (
    "day",
    "secs",
    "tipo",
    "cli",
    "alm",
    "cancel_at",
    "src_index",
    "fte_index",
    "liga_id",
    "user",
    "vend",
    "cond",
    "cajero",
    "edit",
    "nl",
)
LINE_KEYS = ("l_doc", "l_art", "l_units", "l_pu", "l_dscto", "l_neto", "l_dev")

# Median price (before tax) per línea clave.
_PRECIO_LINEA = {
    "TOR": 4,
    "CER": 180,
    "ABR": 35,
    "ADH": 65,
    "HMA": 160,
    "HEL": 1800,
    "MED": 300,
    "CAB": 14,
    "ILU": 90,
    "CON": 55,
    "PRO": 250,
    "TUB": 45,
    "VAL": 170,
    "SAN": 260,
    "TIN": 2200,
    "VIN": 110,
    "ESM": 140,
    "APN": 45,
    "CEM": 190,
    "ACE": 28,
    "IMP": 95,
    "RIE": 180,
    "HJA": 220,
    "SEM": 60,
    "EPP": 90,
    "LIM": 70,
}
_USERS = np.array(["SYSDBA", "VENTAS1", "VENTAS2", "CAJA1", "CAJA2", "CAJA3"])


@dataclass
class DemoData:
    """Generated Microsip tables: ``tables[TABLE][COLUMN]`` is a numpy array or a list.

    Nulls are ``None`` in lists, NaN in float arrays and NaT in datetime arrays. Use
    ``values()``/``rows()`` to get plain Python values (dates as ISO strings).
    """

    scale: float
    seed: int
    end_date: date
    tables: dict[str, dict[str, Any]]
    next_id: int  # the value the ID_DOCTOS generator must continue from
    as_of: datetime  # the last moment with activity

    def columns(self, table: str) -> tuple[str, ...]:
        return tuple(self.tables[table])

    def count(self, table: str) -> int:
        cols = self.tables[table]
        return len(next(iter(cols.values()))) if cols else 0

    def values(self, table: str, column: str) -> list:
        return _py_values(self.tables[table][column])

    def rows(self, table: str) -> Iterator[tuple]:
        return zip(*(self.values(table, c) for c in self.columns(table)), strict=True)

    def summary(self) -> dict[str, int]:
        return {t: self.count(t) for t in TABLE_ORDER}


def _py_values(arr: Any) -> list:
    """Column values as Python objects: None for nulls, dates and times as ISO strings."""
    if isinstance(arr, list):
        return arr
    if arr.dtype.kind == "M":
        unit = np.datetime_data(arr.dtype)[0]
        strs = np.datetime_as_string(arr, unit="s" if unit != "D" else "D")
        out = np.char.replace(strs, "T", " ").tolist()
        if np.isnat(arr).any():
            nat = np.isnat(arr)
            out = [None if n else v for v, n in zip(out, nat.tolist(), strict=True)]
        return out
    if arr.dtype.kind == "f":
        out = arr.tolist()
        if np.isnan(arr).any():
            out = [None if v != v else v for v in out]
        return out
    return arr.tolist()


class _Ids:
    """The shared ``ID_DOCTOS`` generator: increasing ids with random gaps (never 1..N)."""

    def __init__(self, rng: np.random.Generator, start: int, max_gap: int = 20) -> None:
        self.rng = rng
        self.next = start
        self.max_gap = max_gap

    def take(self, n: int) -> np.ndarray:
        if n == 0:
            return np.zeros(0, dtype=np.int64)
        ids = self.next + np.cumsum(self.rng.integers(1, self.max_gap, size=n, dtype=np.int64))
        if ids[-1] >= ID_BASE_DOCS:
            raise ValueError("demasiados registros de catálogo para el rango de ids del demo")
        self.next = int(ids[-1])
        return ids

    def one(self) -> int:
        return int(self.take(1)[0])


def _ascii(s: str) -> str:
    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()


def _ts(days: np.ndarray, start: np.datetime64, seconds: np.ndarray | None = None) -> np.ndarray:
    out = (start + days.astype("timedelta64[D]")).astype("datetime64[s]")
    if seconds is not None:
        out = out + seconds.astype("timedelta64[s]")
    return out


# ----------------------------------------------------------------------------------------------
# generate


def generate(
    *,
    scale: float = 1.0,
    seed: int = 7,
    end_date: date | None = None,
    now: datetime | None = None,
) -> DemoData:
    """Microsip-shaped raw tables; scale 1 ≈ 100,000 sales lines, 2,000 articles, 1,500 customers.

    Articles and customers grow with √scale; documents grow linearly. The two years end on
    ``end_date`` (whole day). Without ``end_date`` they end *now*: today's documents up to the
    current hour (``now`` rounded down to the hour), so a running demo keeps receiving sales.
    Same inputs give identical data.
    """
    if not 0 < scale <= MAX_SCALE:
        raise ValueError(f"la escala del demo debe estar entre 0 y {MAX_SCALE:g}")
    cutoff: datetime | None = None
    if end_date is None:
        moment = now or datetime.now()
        cutoff = moment.replace(minute=0, second=0, microsecond=0)
        end = cutoff.date()
    else:
        end = end_date
    if (end - EPOCH).days < DAYS:
        raise ValueError(f"end_date debe ser posterior a {EPOCH.year + 2}")
    return _generate_cached(float(scale), int(seed), end, cutoff)


_cache_lock = threading.Lock()
_cache: dict[tuple, DemoData] = {}


def clear_cache() -> None:
    """Forget generated data (benchmarks time a generation from scratch)."""
    with _cache_lock:
        _cache.clear()


def _generate_cached(scale: float, seed: int, end: date, cutoff: datetime | None) -> DemoData:
    key = (scale, seed, end, cutoff)
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None:
            return hit
    data = _Generator(scale, seed, end, cutoff).run()
    with _cache_lock:
        if len(_cache) >= 2:
            _cache.pop(next(iter(_cache)))
        _cache[key] = data
    return data


def _audit(users: np.ndarray, created: Any, modified: Any, cancelled: np.ndarray) -> dict[str, Any]:
    """Microsip's audit columns of a document (the cancelling user only where it was cancelled)."""
    who = users.tolist()
    return {
        "USUARIO_CREADOR": who,
        "FECHA_HORA_CREACION": created,
        "USUARIO_ULT_MODIF": who,
        "FECHA_HORA_ULT_MODIF": modified,
        "USUARIO_CANCELACION": [None if c else u
                                for c, u in zip(np.isnat(cancelled).tolist(), who, strict=True)],
        "FECHA_HORA_CANCELACION": cancelled,
    }


class _Generator:
    def __init__(self, scale: float, seed: int, end: date, cutoff: datetime | None = None) -> None:
        self.scale = scale
        self.seed = seed
        self.end = end
        self.rng = np.random.default_rng(seed)
        self.ids = _Ids(self.rng, start=10_000 + int(self.rng.integers(0, 5_000)), max_gap=9)
        self.start = np.datetime64(end, "D") - np.timedelta64(DAYS - 1, "D")
        self.end64 = np.datetime64(end, "D")
        self.end_ts = self.end64.astype("datetime64[s]") + np.timedelta64(86_399, "s")
        self.end_abs = (end - EPOCH).days
        self.start_abs = self.end_abs - DAYS + 1
        # last second with activity (seconds since EPOCH): the end of end_date, or an hour of it
        self.cutoff_s = (self.end_abs + 1) * 86400 - 1
        if cutoff is not None:
            self.cutoff_s = min(self.cutoff_s, int((cutoff - EPOCH_DT).total_seconds()))
        self.as_of = EPOCH_DT + timedelta(seconds=self.cutoff_s)
        self.t: dict[str, dict[str, Any]] = {}
        self.n_art = max(60, round(ARTICLES_PER_SCALE * scale**0.5))
        self.n_cli = max(40, round(CUSTOMERS_PER_SCALE * scale**0.5))
        self.target_lines = max(2_000, round(LINES_PER_SCALE * scale))

    def run(self) -> DemoData:
        self._almacenes()
        self._catalogo()
        self._clientes()
        self._documentos()
        self._saldos()
        # SQLite and Firebird both get the same table order
        tables = {name: self.t[name] for name in TABLE_ORDER}
        for name, cols in tables.items():
            unknown = set(cols) - set(TABLES[name].column_names)
            assert not unknown, (name, unknown)
            lens = {len(v) for v in cols.values()}
            assert len(lens) == 1, (name, lens)
        # ID_DOCTOS continues after the block of end_date's day (every id used is below)
        next_id = ID_BASE_DOCS + (self.end_abs + 1) * self.id_stride
        return DemoData(self.scale, self.seed, self.end, tables, next_id, self.as_of)

    # -- almacenes, price lists, key roles ---------------------------------------------------
    def _almacenes(self) -> None:
        n = len(cat.ALMACENES)
        alm_ids = self.ids.take(n)
        created = np.full(n, self.start - np.timedelta64(900, "D")).astype("datetime64[s]")
        self.t["ALMACENES"] = {
            "ALMACEN_ID": alm_ids,
            "NOMBRE": [a[0] for a in cat.ALMACENES],
            "NOMBRE_ABREV": [a[1] for a in cat.ALMACENES],
            "ES_PREDET": ["S"] + ["N"] * (n - 1),
            "OCULTO": ["N"] * n,
            "USUARIO_CREADOR": ["SYSDBA"] * n,
            "FECHA_HORA_CREACION": created,
            "USUARIO_ULT_MODIF": ["SYSDBA"] * n,
            "FECHA_HORA_ULT_MODIF": created,
        }
        self.alm_ids = alm_ids
        self.alm_weight_ve = np.array([0.55, 0.25, 0.12, 0.08])
        self.alm_weight_pv = np.array([0.10, 0.40, 0.30, 0.20])
        self.cajas = self.ids.take(n)
        self.cajeros = self.ids.take(n * 2).reshape(n, 2)
        self.vendedores = self.ids.take(6)
        self.cond_pago = self.ids.take(3)  # contado, 15 días, 30 días

        self.lista_ids = self.ids.take(2)
        self.t["PRECIOS_EMPRESA"] = {
            "PRECIO_EMPRESA_ID": self.lista_ids,
            "NOMBRE": ["Precio de lista", "Mayoreo"],
            "POSICION": np.array([1, 2]),
            "USUARIO_CREADOR": ["SYSDBA"] * 2,
            "FECHA_HORA_CREACION": created[:2],
            "USUARIO_ULT_MODIF": ["SYSDBA"] * 2,
            "FECHA_HORA_ULT_MODIF": created[:2],
        }
        self.rol_ids = self.ids.take(3)
        self.t["ROLES_CLAVES_ARTICULOS"] = {
            "ROL_CLAVE_ART_ID": self.rol_ids,
            "NOMBRE": ["Clave principal", "Código de barras", "Clave del proveedor"],
            "ES_PPAL": ["S", "N", "N"],
        }
        self.rol_cli = self.ids.one()

    # -- grupos, líneas, artículos, claves, precios ------------------------------------------
    def _catalogo(self) -> None:
        rng, ids = self.rng, self.ids
        grupos = list(cat.CATALOGO)
        grupo_ids = ids.take(len(grupos))
        created0 = (self.start - np.timedelta64(800, "D")).astype("datetime64[s]")
        self.t["GRUPOS_LINEAS"] = {
            "GRUPO_LINEA_ID": grupo_ids,
            "NOMBRE": grupos,
            "CUENTA_VENTAS": [f"4100-{i + 1:02d}" for i in range(len(grupos))],
            "USUARIO_CREADOR": ["SYSDBA"] * len(grupos),
            "FECHA_HORA_CREACION": np.full(len(grupos), created0),
            "USUARIO_ULT_MODIF": ["SYSDBA"] * len(grupos),
            "FECHA_HORA_ULT_MODIF": np.full(len(grupos), created0),
        }
        lineas = [
            (g_i, nombre, spec)
            for g_i, g in enumerate(grupos)
            for nombre, spec in cat.CATALOGO[g].items()
        ]
        nl = len(lineas)
        linea_ids = ids.take(nl)
        self.t["LINEAS_ARTICULOS"] = {
            "LINEA_ARTICULO_ID": linea_ids,
            "NOMBRE": [x[1] for x in lineas],
            "CLAVE": [x[2][0] for x in lineas],
            "GRUPO_LINEA_ID": grupo_ids[[x[0] for x in lineas]],
            "ES_PREDET": ["N"] * nl,
            "OCULTO": ["N"] * nl,
            "CUENTA_VENTAS": [f"4100-{x[0] + 1:02d}-{i + 1:02d}" for i, x in enumerate(lineas)],
            "USUARIO_CREADOR": ["SYSDBA"] * nl,
            "FECHA_HORA_CREACION": np.full(nl, created0),
            "USUARIO_ULT_MODIF": ["SYSDBA"] * nl,
            "FECHA_HORA_ULT_MODIF": np.full(nl, created0),
        }

        # articles per línea, proportional to how many names the línea can make
        capacity = np.array([len(s[2]) * len(s[3]) for _, _, s in lineas], dtype=float)
        p = capacity * rng.uniform(0.6, 1.4, nl)
        per_linea = rng.multinomial(self.n_art, p / p.sum())
        names: list[str] = []
        art_linea: list[int] = []
        marcas = cat.MARCAS
        for li, (_, _, (_clave, _unidad, bases, variantes)) in enumerate(lineas):
            k = int(per_linea[li])
            if k == 0:
                continue
            combos = len(bases) * len(variantes) * len(marcas)
            picks = rng.choice(combos, size=min(k, combos), replace=False)
            for c in picks.tolist():
                b, rest = divmod(c, len(variantes) * len(marcas))
                v, m = divmod(rest, len(marcas))
                name = f"{bases[b]} {variantes[v]} {marcas[m]}"
                names.append(name)
                art_linea.append(li)
            for j in range(k - combos):  # more articles than combinations: numbered models
                names.append(f"{bases[j % len(bases)]} modelo {j + 1:03d}")
                art_linea.append(li)
        n = len(names)
        # creation order is random across líneas; ids grow with it
        perm = rng.permutation(n)
        names = [names[i] for i in perm]
        a_linea = np.array(art_linea)[perm]
        art_ids = ids.take(n)
        clave_linea = np.array([x[2][0] for x in lineas])
        unidad_linea = np.array([x[2][1] for x in lineas])
        unidad = unidad_linea[a_linea]
        # price (before tax): per-línea median, lognormal spread; list price with tax ends in .00/.50
        med = np.array([_PRECIO_LINEA[c] for c in clave_linea])[a_linea]
        p_iva = np.maximum(0.5, np.round(med * np.exp(rng.normal(0, 0.55, n)) * (1 + IVA) * 2) / 2)
        precio = np.round(p_iva / (1 + IVA), 6)
        costo = np.round(precio * rng.uniform(0.55, 0.78, n), 4)

        # popularity: Zipf over a random ranking, cheaper sells more; long tail
        rank = rng.permutation(n) + 1
        w = rank**-1.1 * (precio / np.median(precio)) ** -0.3
        self.art_w = w / w.sum()

        # availability on absolute dates (so it never depends on end_date): ~10% of the articles
        # are launched during the years the demo covers (no sales before), ~4% of the slow ones
        # get suspended (no sales after); never the top sellers
        launch = np.full(n, -NEVER, dtype=np.int64)
        susp = np.full(n, NEVER, dtype=np.int64)
        cand = np.flatnonzero(rank > n * 0.05)
        nl_launch = int(n * 0.10)
        launched = rng.choice(cand, size=nl_launch, replace=False)
        launch[launched] = REF_DAY + rng.integers(-600, 250, size=nl_launch)
        slow = np.setdiff1d(np.flatnonzero(rank > n * 0.3), launched)
        ns = min(len(slow), max(2, int(n * 0.04)))
        suspended = rng.choice(slow, size=ns, replace=False)
        susp[suspended] = REF_DAY + rng.integers(-650, 250, size=ns)
        self.launch_abs, self.susp_abs = launch, susp

        # SKUs: principal key "<LINEA>-<n>", barcodes for some, a few with only a barcode
        seq = np.zeros(n, dtype=np.int64)
        for li in range(nl):
            m = a_linea == li
            seq[m] = np.arange(1, m.sum() + 1) + 100
        principal = np.char.add(
            np.char.add(clave_linea[a_linea].astype(str), "-"), np.char.zfill(seq.astype(str), 4)
        )
        has_bar = rng.random(n) < 0.35
        no_ppal = np.zeros(n, dtype=bool)
        no_ppal[rng.choice(n, size=max(1, n // 100), replace=False)] = True
        has_bar |= no_ppal
        bar_first = has_bar & (rng.random(n) < 0.5)
        barcode = np.char.add("750", np.char.zfill(rng.integers(0, 10**10, n).astype(str), 10))
        prov = rng.random(n) < 0.05
        k_art, k_clave, k_rol = [], [], []
        rol_p, rol_b, rol_v = (int(x) for x in self.rol_ids)
        for i in range(n):
            keys = []
            if not no_ppal[i]:
                keys.append((principal[i], rol_p))
            if has_bar[i]:
                if bar_first[i]:
                    keys.insert(0, (barcode[i], rol_b))
                else:
                    keys.append((barcode[i], rol_b))
            if prov[i]:
                keys.append((f"PRV{int(art_ids[i]) % 100000:05d}", rol_v))
            for clave, rol in keys:
                k_art.append(i)
                k_clave.append(str(clave))
                k_rol.append(rol)
        k_art_a = np.array(k_art)
        self.t["CLAVES_ARTICULOS"] = {
            "CLAVE_ARTICULO_ID": ids.take(len(k_art)),
            "CLAVE_ARTICULO": k_clave,
            "ARTICULO_ID": art_ids[k_art_a],
            "ROL_CLAVE_ART_ID": np.array(k_rol),
        }
        # the key a document line carries: principal, else the first one
        sku = np.where(no_ppal, np.where(has_bar, barcode, principal), principal).astype(object)
        self.sku = sku

        self.t["PRECIOS_ARTICULOS"] = self._precios(
            art_ids, np.round(precio * _price_factor(self.end.year), 6)
        )
        costo = np.round(costo * _price_factor(self.end.year), 4)
        self.art_ids, self.precio, self.costo, self.unidad = art_ids, precio, costo, unidad
        self.a_linea, self.art_names = a_linea, names
        self.art_rank = rank

    def _precios(self, art_ids: np.ndarray, precio: np.ndarray) -> dict[str, Any]:
        rng, n = self.rng, len(art_ids)
        may = rng.random(n) < 0.97
        art = np.concatenate([art_ids, art_ids[may]])
        lst = np.concatenate(
            [np.full(n, self.lista_ids[0]), np.full(int(may.sum()), self.lista_ids[1])]
        )
        pre = np.concatenate([precio, np.round(precio[may] * 0.9, 6)])
        order = np.argsort(art, kind="stable")
        mod = _ts(
            rng.integers(0, DAYS, len(art)), self.start, rng.integers(8 * 3600, 19 * 3600, len(art))
        )
        return {
            "PRECIO_ARTICULO_ID": self.ids.take(len(art)),
            "ARTICULO_ID": art[order],
            "PRECIO_EMPRESA_ID": lst[order],
            "MONEDA_ID": np.ones(len(art), dtype=np.int64),
            "PRECIO": pre[order],
            "FECHA_HORA_ULT_MODIF": mod[order],
        }

    # -- clientes ---------------------------------------------------------------------------
    def _clientes(self) -> None:
        rng, n = self.rng, self.n_cli
        cli_ids = self.ids.take(n)
        nombres: list[str] = ["PÚBLICO EN GENERAL"]
        rfcs: list[str] = ["XAXX010101000"]
        emails: list[str | None] = [None]
        contactos: list[str | None] = [None]
        empresa = rng.random(n) < 0.55
        for i in range(1, n):
            nom = str(rng.choice(cat.NOMBRES))
            ap1, ap2 = (str(x) for x in rng.choice(cat.APELLIDOS, 2))
            born = f"{int(rng.integers(50, 100)):02d}{int(rng.integers(1, 13)):02d}{int(rng.integers(1, 29)):02d}"
            homo = "".join(rng.choice(list("ABCDEFGHJKLMNPRSTUVWXYZ0123456789"), 3))
            if empresa[i]:
                giro = str(rng.choice(cat.EMPRESA_GIRO))
                base = str(rng.choice(cat.EMPRESA_NOMBRE + [ap1]))
                name = f"{giro} {base}{rng.choice(cat.EMPRESA_SUFIJO)}"
                letters = "".join(w[0] for w in _ascii(f"{giro} {base}").upper().split())[:3].ljust(
                    3, "X"
                )
                rfc = f"{letters}{born}{homo}"
                slug = _ascii(f"{giro}{base}").lower().replace(" ", "")[:18]
                email = f"ventas@{slug}.com.mx"
                contacto = f"{nom} {ap1}"
            else:
                name = f"{nom} {ap1} {ap2}"
                a = _ascii(ap1).upper()
                rfc = f"{a[0]}{next((c for c in a[1:] if c in 'AEIOU'), 'X')}{_ascii(ap2).upper()[0]}{_ascii(nom).upper()[0]}{born}{homo}"
                email = f"{_ascii(nom).lower().split()[0]}.{_ascii(ap1).lower()}{int(rng.integers(1, 99))}@{rng.choice(cat.DOMINIOS)}"
                contacto = None
            nombres.append(name)
            rfcs.append(rfc)
            emails.append(email if rng.random() < 0.85 else None)
            contactos.append(contacto)
        estatus = rng.choice(np.array(["A", "V", "B", "C"]), size=n, p=[0.92, 0.04, 0.03, 0.01])
        estatus[0] = "A"
        susp = np.isin(estatus, ["B", "C"])
        created = _ts(-rng.integers(30, 2500, n), self.start, rng.integers(9 * 3600, 18 * 3600, n))
        modified = created + (rng.integers(0, 900, n) * 86400).astype("timedelta64[s]")
        modified = np.minimum(modified, self.end_ts)
        self.t["CLIENTES"] = {
            "CLIENTE_ID": cli_ids,
            "NOMBRE": nombres,
            "CONTACTO1": contactos,
            "ESTATUS": estatus.tolist(),
            "CAUSA_SUSP": [str(rng.choice(cat.CAUSAS_SUSP_CLI)) if s else None for s in susp],
            "FECHA_SUSP": np.where(susp, modified.astype("datetime64[D]"), np.datetime64("NaT")),
            "LIMITE_CREDITO": np.where(
                empresa, np.round(rng.choice([0, 20000, 50000, 100000, 250000], n), 2), 0.0
            ),
            "MONEDA_ID": np.ones(n, dtype=np.int64),
            "COND_PAGO_ID": self.cond_pago[np.where(empresa, rng.integers(1, 3, n), 0)],
            "VENDEDOR_ID": self.vendedores[rng.integers(0, len(self.vendedores), n)],
            "CUENTA_CXC": [f"1105-{i:05d}" for i in range(n)],
            "COBRAR_IMPUESTOS": ["S"] * n,
            "SUJETO_IEPS": ["N"] * n,
            "USUARIO_CREADOR": ["SYSDBA"] * n,
            "FECHA_HORA_CREACION": created,
            "USUARIO_ULT_MODIF": ["SYSDBA"] * n,
            "FECHA_HORA_ULT_MODIF": modified,
        }
        claves = ["PG"] + [f"C{int(i):05d}" for i in range(1001, 1000 + n)]
        self.t["CLAVES_CLIENTES"] = {
            "CLAVE_CLIENTE_ID": self.ids.take(n),
            "CLAVE_CLIENTE": claves,
            "CLIENTE_ID": cli_ids,
            "ROL_CLAVE_CLI_ID": np.full(n, self.rol_cli),
        }
        self.cli_ids, self.cli_claves, self.cli_estatus = (
            cli_ids,
            np.array(claves, dtype=object),
            estatus,
        )
        self._direcciones(cli_ids, rfcs, emails, nombres)
        w = (rng.permutation(n) + 1.0) ** -0.9
        w[0] = 0.0  # VE documents never go to público en general
        w[susp] *= 0.3
        self.cli_w = w / w.sum()

    def _direcciones(self, cli_ids: np.ndarray, rfcs: list, emails: list, nombres: list) -> None:
        rng, n = self.rng, len(cli_ids)
        has_dir = rng.random(n) >= 0.02
        has_dir[0] = True
        extra = (rng.random(n) < 0.15) & has_dir
        extra_first = extra & (rng.random(n) < 0.5)
        rows: list[tuple] = []
        for i in range(n):
            if not has_dir[i]:
                continue
            entries = [("S", i)]
            if extra[i]:
                entries.insert(0 if extra_first[i] else 1, ("N", i))
            for ppal, ci in entries:
                calle = str(rng.choice(cat.CALLES))
                num = str(int(rng.integers(1, 4000)))
                colonia = str(rng.choice(cat.COLONIAS))
                pob = str(rng.choice(cat.POBLACIONES))
                cp = f"{int(rng.integers(44100, 45680))}"
                tel = f"33 {int(rng.integers(1000, 9999))} {int(rng.integers(1000, 9999))}"
                rows.append(
                    (
                        int(cli_ids[ci]),
                        "Dirección principal" if ppal == "S" else "Bodega / entrega",
                        f"{calle} {num}",
                        calle,
                        num,
                        colonia,
                        pob,
                        cp,
                        tel,
                        emails[ci] if ppal == "S" else None,
                        rfcs[ci],
                        ppal,
                    )
                )
        cols = list(zip(*rows, strict=True))
        self.t["DIRS_CLIENTES"] = {
            "DIR_CLI_ID": self.ids.take(len(rows)),
            "CLIENTE_ID": np.array(cols[0]),
            "NOMBRE_CONSIG": list(cols[1]),
            "CALLE": list(cols[2]),
            "NOMBRE_CALLE": list(cols[3]),
            "NUM_EXTERIOR": list(cols[4]),
            "COLONIA": list(cols[5]),
            "POBLACION": list(cols[6]),
            "CODIGO_POSTAL": list(cols[7]),
            "TELEFONO1": list(cols[8]),
            "EMAIL": list(cols[9]),
            "RFC_CURP": list(cols[10]),
            "ES_DIR_PPAL": list(cols[11]),
        }
        # the address a VE document points to: the customer's principal one
        dir_of = {}
        for did, cid, ppal in zip(
            self.t["DIRS_CLIENTES"]["DIR_CLI_ID"].tolist(), cols[0], cols[11], strict=True
        ):
            if ppal == "S":
                dir_of[cid] = did
        self.cli_dir = np.array([dir_of.get(int(c), -1) for c in cli_ids])

    # -- documents ----------------------------------------------------------------------------
    # -- documents: one random stream and one id block per calendar day ---------------------------
    # A day's documents depend only on (seed, scale, that date): when "today" moves, old days keep
    # their documents and ids, new days add new ones, late cancellations and returns show up as
    # changes. That is what an incremental sync sees on a real Microsip database.
    def _day_profile(self, day_abs: np.ndarray, weekly: list[float]) -> np.ndarray:
        """Expected activity of each absolute day (days since EPOCH), without noise."""
        dates = np.datetime64(EPOCH, "D") + day_abs.astype("timedelta64[D]")
        dow = (dates.view("int64") - 4) % 7  # 1970-01-01 was a Thursday → Monday = 0
        doy = (dates - dates.astype("datetime64[Y]")).astype(int)
        season = (
            1
            + 0.22 * np.cos(2 * np.pi * (doy - 110) / 365.25)
            + 0.30 * np.exp(-(((doy - 348) / 10.0) ** 2))
            - 0.35 * np.exp(-(((doy - 4) / 5.0) ** 2))
        )
        trend = np.clip(1 + 0.15 * (day_abs - REF_DAY) / 365.0, 0.5, 1.6)
        month = (dates.astype("datetime64[M]") - dates.astype("datetime64[Y]")).astype(int) + 1
        dom = (dates - dates.astype("datetime64[M]")).astype(int) + 1
        holiday = np.ones(len(day_abs))
        for m, d in ((1, 1), (5, 1), (9, 16), (11, 20), (12, 25), (12, 12)):
            holiday[(month == m) & (dom == d)] = 0.15
        return season * trend * np.array(weekly)[dow] * holiday

    def _documentos(self) -> None:
        T = self.target_lines
        # lines per VE document, counting the facturas that later invoice remisiones
        mean_ve = float((VE_P * np.array([VE_LINES[t] for t in VE_TYPES])).sum())
        mean_ve += float(VE_P[VE_TYPES == "R"][0]) * VE_LINES["R"] * REMISIONES_INVOICED
        # volume per day calibrated on a fixed reference window, so it never depends on end_date
        ref = np.arange(REF_END - DAYS + 1, REF_END + 1)
        base_ve = 0.485 * T / mean_ve / self._day_profile(ref, WEEKLY_VE).sum()
        base_pv = 0.425 * T / PV_LINES["V"] / self._day_profile(ref, WEEKLY_PV).sum()
        days = np.arange(self.start_abs, self.end_abs + 1)
        lam_ve = base_ve * self._day_profile(days, WEEKLY_VE)
        lam_pv = base_pv * self._day_profile(days, WEEKLY_PV)
        self.id_stride = ID_STRIDE * int(np.ceil(max(1.0, self.scale)))
        # the resampling pool must not depend on the window either
        self.always = np.flatnonzero((self.launch_abs == -NEVER) & (self.susp_abs == NEVER))
        self.always_w = self.art_w[self.always] / self.art_w[self.always].sum()
        ve_days, pv_days = [], []
        for i, day in enumerate(days.tolist()):
            rng = np.random.default_rng([self.seed, 1, day])
            noise = rng.lognormal(0, 0.12, 2)
            ve = self._day_docs("VE", day, rng, lam_ve[i] * noise[0])
            pv = self._day_docs("PV", day, rng, lam_pv[i] * noise[1])
            self._day_ids(day, rng, ve, pv)
            ve_days.append(ve)
            pv_days.append(pv)
        ve, pv = _concat_days(ve_days), _concat_days(pv_days)
        for d in (ve, pv):
            self._drop_future(d)
        self._global_facturas(pv)
        self._totals(ve)
        self._totals(pv)
        self.ve, self.pv = ve, pv
        self._emit_articulos()
        self._emit_docs(ve, pv)

    def _day_docs(self, mod: str, day: int, rng: np.random.Generator, lam: float) -> dict[str, Any]:
        """The documents captured on one day, with their lines, cancellations, later returns and
        the facturas later generated from its remisiones."""
        n = int(rng.poisson(lam))
        if mod == "VE":
            tipo = rng.choice(VE_TYPES, size=n, p=VE_P)
            secs = rng.integers(9 * 3600, 18 * 3600 + 1800, n)
            cli = rng.choice(self.n_cli, size=n, p=self.cli_w)
            alm = rng.choice(len(self.alm_ids), size=n, p=self.alm_weight_ve)
            counted: tuple[str, ...] = ("F", "R")
            p_cancel, p_return, mean_lines = 0.02, 0.035, VE_LINES
        else:
            tipo = np.full(n, "V")
            secs = np.clip(rng.normal(13.5 * 3600, 3 * 3600, n), 8 * 3600, 20 * 3600 + 3000).astype(
                np.int64
            )
            kind = rng.choice(
                3, size=n, p=[0.68, 0.05, 0.27]
            )  # público general, sin cliente, registrado
            cli = np.where(
                kind == 0, 0, np.where(kind == 1, -1, rng.choice(self.n_cli, size=n, p=self.cli_w))
            )
            alm = rng.choice(len(self.alm_ids), size=n, p=self.alm_weight_pv)
            counted = ("V",)
            p_cancel, p_return, mean_lines = 0.015, 0.025, PV_LINES
        # order documents by capture time (ids grow with it)
        order = np.argsort(secs, kind="stable")
        tipo, secs, cli, alm = tipo[order], secs[order], cli[order], alm[order]
        t0 = day * 86400
        mean = np.array([mean_lines[t] for t in tipo.tolist()]) if n else np.zeros(0)
        nl = np.minimum(1 + rng.poisson(np.maximum(mean - 1, 0)), 40)
        doc = np.repeat(np.arange(n), nl)
        art = self._sample_articles(rng, len(doc), day)
        units = self._units(rng, art, tipo[doc], mod)
        pu, dscto = self._prices(rng, art, day, mod)
        neto = np.round(units * pu * (1 - dscto / 100), 2)

        # cancellations: mostly within three days; quotes and orders get cancelled too
        elig = np.isin(tipo, counted)
        cancel = np.where(elig, rng.random(n) < p_cancel, rng.random(n) < 0.03)
        cancel_at = np.where(cancel, t0 + secs + rng.integers(600, 3 * 86400, n), -1)

        # returns of some counted, live documents with a known customer, 1–20 days later
        src = np.flatnonzero(elig & ~cancel & (cli != -1) & (rng.random(n) < p_return))
        m = len(src)
        r_at = (
            t0
            + rng.integers(1, 21, m) * 86400
            + rng.integers(9 * 3600, 19 * 3600, m)
            - (t0 % 86400)
        )
        r_day = r_at // 86400
        starts = np.concatenate([[0], np.cumsum(nl)[:-1]]).astype(np.int64)
        take = np.minimum(nl[src], 1 + (rng.random(m) < 0.3))
        r_doc = np.repeat(np.arange(m), take)
        src_line = np.repeat(starts[src], take) + _positions(r_doc) - 1
        frac = rng.uniform(0.2, 1.0, len(r_doc))
        su = units[src_line]
        integral = np.isin(self.unidad[art[src_line]], ["PIEZA", "LITRO"])
        r_units = np.minimum(
            np.where(integral, np.maximum(1, np.ceil(su * frac)), np.round(su * frac, 3)), su
        )
        dev = np.zeros(len(doc))
        np.add.at(dev, src_line, r_units)
        r_pu, r_dscto = pu[src_line], dscto[src_line]

        # facturas generated later from some of the day's remisiones (VE only)
        inv, f_at, f_line = self._invoices(rng, tipo, cancel, src, nl, starts, t0)
        k = len(inv)
        f_day = f_at // 86400
        f_doc = np.repeat(np.arange(k), nl[inv])
        mk = m + k
        vend = rng.integers(0, len(self.vendedores), n + m)
        cond = rng.integers(0, 3, n + m)

        return {
            "mod": mod,
            "n_regular": n,
            # documents: the day's own, then its future returns, then its future facturas
            "day": np.concatenate([np.full(n, day), r_day, f_day]),
            "secs": np.concatenate([secs, r_at - r_day * 86400, f_at - f_day * 86400]),
            "tipo": np.concatenate([tipo, np.full(m, "D"), np.full(k, "F")]),
            "cli": np.concatenate([cli, cli[src], cli[inv]]),
            "alm": np.concatenate([alm, alm[src], alm[inv]]),
            "cancel_at": np.concatenate([cancel_at, np.full(mk, -1)]),
            "src": np.concatenate([np.full(n, -1), src, np.full(k, -1)]),
            "fte": np.concatenate([np.full(n + m, -1), inv]),
            "user": rng.integers(0, 3, n + mk),
            "vend": np.concatenate([vend, vend[inv]]),
            "cond": np.concatenate([cond, cond[inv]]),
            "cajero": rng.integers(0, 2, n + mk),
            "edit": np.where(rng.random(n + mk) < 0.05, rng.integers(60, 7200, n + mk), 0),
            "nl": np.concatenate([nl, take, nl[inv]]),
            # lines
            "l_doc": np.concatenate([doc, n + r_doc, n + m + f_doc]),
            "l_art": np.concatenate([art, art[src_line], art[f_line]]),
            "l_units": np.concatenate([units, r_units, units[f_line]]),
            "l_pu": np.concatenate([pu, r_pu, pu[f_line]]),
            "l_dscto": np.concatenate([dscto, r_dscto, dscto[f_line]]),
            "l_neto": np.concatenate(
                [neto, np.round(r_units * r_pu * (1 - r_dscto / 100), 2), neto[f_line]]
            ),
            "l_dev": np.concatenate([dev, np.zeros(len(r_doc) + len(f_line))]),
        }

    def _invoices(
        self,
        rng: np.random.Generator,
        tipo: np.ndarray,
        cancel: np.ndarray,
        returned: np.ndarray,
        nl: np.ndarray,
        starts: np.ndarray,
        t0: int,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The remisiones a factura is generated from later (a share of the live ones without a
        return), each factura's capture time (1–7 days later, a Sunday moved to Monday, office
        hours) and, per factura line, the remisión line it copies."""
        n = len(tipo)
        pick = (tipo == "R") & ~cancel & (rng.random(n) < REMISIONES_INVOICED)
        pick[returned] = False
        inv = np.flatnonzero(pick)
        k = len(inv)
        later = rng.integers(1, 8, k)
        later += (t0 // 86400 + later + 3) % 7 == 6  # offices close on Sundays (EPOCH: Thursday)
        f_at = t0 + later * 86400 + rng.integers(9 * 3600, 18 * 3600, k)
        f_doc = np.repeat(np.arange(k), nl[inv])
        f_line = np.repeat(starts[inv], nl[inv]) + _positions(f_doc) - 1
        return inv, f_at, f_line

    def _sample_articles(self, rng: np.random.Generator, size: int, day: int) -> np.ndarray:
        """Articles by popularity; none before its launch or after its suspension."""
        art = rng.choice(self.n_art, size=size, p=self.art_w)
        bad = (day < self.launch_abs[art]) | (day >= self.susp_abs[art])
        if bad.any():
            art[bad] = self.always[
                rng.choice(len(self.always), size=int(bad.sum()), p=self.always_w)
            ]
        return art

    def _units(
        self, rng: np.random.Generator, art: np.ndarray, tipo: np.ndarray, mod: str
    ) -> np.ndarray:
        L = len(art)
        unidad = self.unidad[art]
        big = (mod == "VE") & (tipo != "D")
        u = np.empty(L)
        pz = (unidad == "PIEZA") | (unidad == "LITRO")
        g = rng.geometric(np.where(big, 0.3, 0.62), L).astype(float)
        cheap = self.precio[art] < 8
        pack = np.where(
            cheap, rng.choice([1, 10, 25, 50, 100], size=L, p=[0.3, 0.3, 0.2, 0.1, 0.1]), 1
        )
        expensive = self.precio[art] > 1200
        g = np.where(expensive, np.minimum(g, np.where(big, 3, 1)), g)
        u[pz] = (g * pack)[pz]
        me = unidad == "METRO"
        u[me] = np.round(rng.gamma(1.5, np.where(big, 20.0, 6.0), L) * 2)[me] / 2 + 0.5
        kg = unidad == "KILO"
        u[kg] = np.round(rng.lognormal(np.log(np.where(big, 25.0, 4.0)), 0.7, L), 3)[kg] + 0.001
        return np.round(u, 5)

    def _prices(
        self, rng: np.random.Generator, art: np.ndarray, day: int, mod: str
    ) -> tuple[np.ndarray, np.ndarray]:
        """Unit price of the day (prices rise every January) and discount percentage."""
        L = len(art)
        pu = np.round(self.precio[art] * _price_factor(_year_of(day)), 6)
        if mod == "VE":
            dscto = rng.choice([0.0, 5.0, 10.0], size=L, p=[0.7, 0.2, 0.1])
        else:
            dscto = np.where(rng.random(L) < 0.05, 5.0, 0.0)
        return pu, dscto

    def _day_ids(
        self, day: int, rng: np.random.Generator, ve: dict[str, Any], pv: dict[str, Any]
    ) -> None:
        """Ids from the day's block of ID_DOCTOS: documents in capture order, each followed by its
        lines; then the returns and facturas those documents will get, each followed by its lines
        (and a factura by its DOCTOS_VE_LIGAS row), so the block never depends on other days.
        Global facturas use the upper half of the block of the month's last day."""
        base = ID_BASE_DOCS + day * self.id_stride
        parts = []
        for d in (ve, pv):
            n = d["n_regular"]
            parts.append((d, np.arange(n), d["secs"][:n]))
        secs = np.concatenate([p[2] for p in parts])
        which = np.concatenate(
            [np.zeros(ve["n_regular"], dtype=int), np.ones(pv["n_regular"], dtype=int)]
        )
        order = np.lexsort((which, secs))
        nls = np.concatenate([ve["nl"][: ve["n_regular"]], pv["nl"][: pv["n_regular"]]])
        # ids of each later document: itself, its lines and, for a factura, its link
        r_steps_of = [
            1 + d["nl"][d["n_regular"] :] + (d["fte"][d["n_regular"] :] >= 0) for d in (ve, pv)
        ]
        total = int((1 + nls).sum() + sum(r.sum() for r in r_steps_of))
        ids = base + np.cumsum(rng.integers(1, 7, total, dtype=np.int64))
        if total and ids[-1] >= base + self.id_stride // 2:
            raise ValueError("escala demasiado grande para los bloques de ids del demo")
        pos_sorted = np.concatenate([[0], np.cumsum(1 + nls[order])[:-1]]).astype(np.int64)
        pos = np.empty(len(order), dtype=np.int64)
        pos[order] = pos_sorted
        offset = int((1 + nls).sum())
        start = 0
        for k, d in enumerate((ve, pv)):
            n = d["n_regular"]
            doc_pos = np.empty(len(d["day"]), dtype=np.int64)
            doc_pos[:n] = pos[start : start + n]
            start += n
            r_steps = r_steps_of[k]
            doc_pos[n:] = offset + np.concatenate([[0], np.cumsum(r_steps)[:-1]]).astype(np.int64)
            offset += int(r_steps.sum())
            line_pos = doc_pos[d["l_doc"]] + _positions(d["l_doc"])
            d["id"] = ids[doc_pos] if len(doc_pos) else np.zeros(0, dtype=np.int64)
            d["l_id"] = ids[line_pos] if len(line_pos) else np.zeros(0, dtype=np.int64)
            d["l_pos"] = _positions(d["l_doc"])
            d["liga_id"] = np.zeros(len(d["day"]), dtype=np.int64)
            f = np.flatnonzero(d["fte"] >= 0)
            d["liga_id"][f] = ids[doc_pos[f] + d["nl"][f] + 1]
            # folio: type prefix + day number + sequence within the day and type
            folio = np.empty(len(d["day"]), dtype=object)
            pre = FOLIO_PREFIX[d["mod"]]
            for t in np.unique(d["tipo"]).tolist():
                idx = np.flatnonzero(d["tipo"] == t)
                seq = np.arange(1, len(idx) + 1)
                folio[idx] = [f"{pre[t]}{day % 10000:04d}{s % 1000:03d}" for s in seq.tolist()]
            d["folio"] = folio

    def _drop_future(self, d: dict[str, Any]) -> None:
        """Documents (returns, or today's after the cutoff hour) dated after the cutoff do not
        exist yet; a later return leaves its source untouched, a later cancellation has not
        happened."""
        end_s = self.cutoff_s
        keep = d["day"] * 86400 + d["secs"] <= end_s
        # the source of an existing return was touched (PV marks it 'D'); cancellations after
        # end_date have not happened yet
        is_ret = d["src_index"] >= 0
        src_global = np.flatnonzero(is_ret & keep)
        d["estatus"] = np.full(len(d["day"]), "N")
        d["mod_extra"] = np.full(len(d["day"]), -1, dtype=np.int64)
        srcs = d["src_index"][src_global]
        d["mod_extra"][srcs] = d["day"][src_global] * 86400 + d["secs"][src_global]
        if d["mod"] == "PV":
            d["estatus"][srcs] = "D"
        cancelled = (d["cancel_at"] >= 0) & (d["cancel_at"] <= end_s)
        d["estatus"][cancelled] = "C"
        d["cancel_at"] = np.where(cancelled, d["cancel_at"], -1)
        # a document edited a little after capture
        created = d["day"] * 86400 + d["secs"]
        mod = np.maximum(created, np.maximum(d["cancel_at"], d["mod_extra"]))
        d["modified_at"] = np.minimum(
            np.where(d["edit"] > 0, mod + d["edit"], mod), np.maximum(end_s, mod)
        )
        # keep only what exists at end_date
        docs = np.flatnonzero(keep)
        remap = np.full(len(d["day"]), -1, dtype=np.int64)
        remap[docs] = np.arange(len(docs))
        line_keep = keep[d["l_doc"]]
        for k in DOC_KEYS + ("estatus", "mod_extra", "modified_at", "id", "folio"):
            d[k] = d[k][docs]
        for k in LINE_KEYS + ("l_id", "l_pos"):
            d[k] = d[k][line_keep]
        d["l_doc"] = remap[d["l_doc"]]
        # a factura exists only after its remisión, so the remisión is always kept
        d["fte_index"] = np.where(d["fte_index"] >= 0, remap[d["fte_index"]], -1)
        d["day"] = d["day"] - self.start_abs  # window index from here on
        d["nl"] = np.bincount(d["l_doc"], minlength=len(d["day"]))

    def _global_facturas(self, pv: dict[str, Any]) -> None:
        """PV global facturas (tipo F): per almacén and closed month, walk-in tickets by article.

        Only months wholly inside the window, so a factura never changes when the window moves.
        Their tickets are already counted, so the reader must skip them.
        """
        doc = pv["l_doc"]
        dates = self.start + np.arange(DAYS).astype("timedelta64[D]")
        month_of_day = dates.astype("datetime64[M]")
        m0 = month_of_day[0]
        mi = (month_of_day - m0).astype(int)
        first_ok = 0 if dates[0] == month_of_day[0].astype("datetime64[D]") else 1
        ok = (
            (pv["tipo"][doc] == "V")
            & (pv["estatus"][doc] != "C")
            & (pv["cli"][doc] == 0)
            & (mi[pv["day"][doc]] < mi[-1])
            & (mi[pv["day"][doc]] >= first_ok)
        )
        if not ok.any():
            return
        W = len(self.alm_ids)
        key_doc = mi[pv["day"][doc[ok]]] * W + pv["alm"][doc[ok]]
        art = pv["l_art"][ok]
        keys, inv = np.unique(np.stack([key_doc, art]), axis=1, return_inverse=True)
        inv = inv.ravel()
        units = np.bincount(inv, weights=pv["l_units"][ok])
        neto = np.round(np.bincount(inv, weights=pv["l_neto"][ok]), 2)
        gdocs, g_of_line = np.unique(keys[0], return_inverse=True)
        g_of_line = g_of_line.ravel()
        n_g = len(gdocs)
        g_alm = gdocs % W
        g_month = m0 + (gdocs // W).astype("timedelta64[M]")
        last = (g_month + np.timedelta64(1, "M")).astype("datetime64[D]") - np.timedelta64(1, "D")
        g_day = (last - self.start).astype(int)
        g_abs = g_day + self.start_abs
        # ids: upper half of the block of the month's last day, one slice per almacén
        nl = np.bincount(g_of_line, minlength=n_g)
        slot = self.id_stride // (2 * W)
        if (nl + 1).max() > slot:
            raise ValueError("escala demasiado grande para las facturas globales del demo")
        g_base = ID_BASE_DOCS + g_abs * self.id_stride + self.id_stride // 2 + g_alm * slot
        g_id = g_base + 1
        l_pos = _positions(g_of_line)
        l_id = g_base[g_of_line] + 1 + l_pos
        end_s = (self.end_abs + 1) * 86400 - 1
        created = g_abs * 86400 + 21 * 3600 + 1800
        add = {
            "day": g_day,
            "secs": np.full(n_g, 21 * 3600 + 1800),
            "tipo": np.full(n_g, "F"),
            "cli": np.zeros(n_g, dtype=np.int64),
            "alm": g_alm,
            "estatus": np.full(n_g, "N"),
            "cancel_at": np.full(n_g, -1, dtype=np.int64),
            "fte_index": np.full(n_g, -1, dtype=np.int64),
            "liga_id": np.zeros(n_g, dtype=np.int64),
            "mod_extra": np.full(n_g, -1, dtype=np.int64),
            "modified_at": np.minimum(created, end_s),
            "id": g_id,
            "folio": np.array(
                [
                    f"FG{int(a) % 10000:04d}{int(w) + 1:03d}"
                    for a, w in zip(g_abs, g_alm, strict=True)
                ],
                dtype=object,
            ),
            "user": np.zeros(n_g, dtype=np.int64),
            "vend": np.zeros(n_g, dtype=np.int64),
            "cond": np.zeros(n_g, dtype=np.int64),
            "cajero": np.zeros(n_g, dtype=np.int64),
        }
        base = len(pv["day"])
        for k, v in add.items():
            pv[k] = np.concatenate([pv[k], v.astype(pv[k].dtype)])
        cat_ = np.concatenate
        pv["l_doc"] = cat_([pv["l_doc"], base + g_of_line])
        pv["l_art"] = cat_([pv["l_art"], keys[1]])
        pv["l_units"] = cat_([pv["l_units"], np.round(units, 5)])
        pv["l_pu"] = cat_([pv["l_pu"], np.round(neto / units, 6)])
        pv["l_dscto"] = cat_([pv["l_dscto"], np.zeros(len(g_of_line))])
        pv["l_neto"] = cat_([pv["l_neto"], neto])
        pv["l_dev"] = cat_([pv["l_dev"], np.zeros(len(g_of_line))])
        pv["l_id"] = cat_([pv["l_id"], l_id])
        pv["l_pos"] = cat_([pv["l_pos"], l_pos])
        pv["nl"] = np.bincount(pv["l_doc"], minlength=len(pv["day"]))

    def _totals(self, d: dict[str, Any]) -> None:
        n = len(d["day"])
        d["neto"] = np.round(np.bincount(d["l_doc"], weights=d["l_neto"], minlength=n), 2)
        d["impuestos"] = np.round(d["neto"] * IVA, 2)
        gross = np.round(d["l_units"] * d["l_pu"], 2)
        d["dscto_imp"] = np.round(
            np.bincount(d["l_doc"], weights=gross - d["l_neto"], minlength=n), 2
        )

    def _emit_articulos(self) -> None:
        rng, n = self.rng, self.n_art
        suspended = self.susp_abs <= self.end_abs
        epoch = np.datetime64(EPOCH, "D")
        launch = np.where(
            self.launch_abs > -NEVER, self.launch_abs, self.start_abs - rng.integers(30, 1500, n)
        )
        created = _ts(
            np.minimum(launch - rng.integers(3, 30, n), self.end_abs) - self.start_abs,
            self.start,
            rng.integers(9 * 3600, 18 * 3600, n),
        )
        modified = np.maximum(
            created, _ts(rng.integers(0, DAYS, n), self.start, rng.integers(9 * 3600, 18 * 3600, n))
        )
        fecha_susp = np.where(
            suspended,
            epoch + np.minimum(self.susp_abs, self.end_abs).astype("timedelta64[D]"),
            np.datetime64("NaT"),
        )
        modified = np.where(
            suspended, fecha_susp.astype("datetime64[s]") + np.timedelta64(10 * 3600, "s"), modified
        )
        self.suspended, self.fecha_susp = suspended, fecha_susp
        notas: list[str | None] = [None] * n
        for i in np.flatnonzero(rng.random(n) < 0.2).tolist():
            notas[i] = f"{self.art_names[i]}. Garantía de 30 días; pregunte por precio de mayoreo."
        self.t["ARTICULOS"] = {
            "ARTICULO_ID": self.art_ids,
            "NOMBRE": self.art_names,
            "LINEA_ARTICULO_ID": self.t["LINEAS_ARTICULOS"]["LINEA_ARTICULO_ID"][self.a_linea],
            "ESTATUS": np.where(self.suspended, "S", "A").tolist(),
            "CAUSA_SUSP": [
                str(rng.choice(cat.CAUSAS_SUSP_ART)) if s else None for s in self.suspended
            ],
            "FECHA_SUSP": self.fecha_susp,
            "ES_ALMACENABLE": ["S"] * n,
            "ES_JUEGO": ["N"] * n,
            "UNIDAD_VENTA": self.unidad.tolist(),
            "UNIDAD_COMPRA": self.unidad.tolist(),
            "FACTOR_VENTA": np.ones(n),
            "NOTAS_VENTAS": notas,
            "COSTO_ULTIMA_COMPRA": self.costo,
            "USUARIO_CREADOR": ["SYSDBA"] * n,
            "FECHA_HORA_CREACION": created,
            "USUARIO_ULT_MODIF": ["SYSDBA"] * n,
            "FECHA_HORA_ULT_MODIF": modified,
        }

    def _emit_docs(self, ve: dict[str, Any], pv: dict[str, Any]) -> None:
        epoch_s = np.datetime64(EPOCH, "s")
        for d in (ve, pv):
            d["created"] = self.start.astype("datetime64[s]") + (
                d["day"] * 86400 + d["secs"]
            ).astype("timedelta64[s]")
            d["modified"] = epoch_s + d["modified_at"].astype("timedelta64[s]")
            d["cancelled"] = np.where(
                d["cancel_at"] >= 0,
                epoch_s + d["cancel_at"].astype("timedelta64[s]"),
                np.datetime64("NaT"),
            )
            d["fecha"] = self.start + d["day"].astype("timedelta64[D]")
            d["order"] = np.argsort(d["id"], kind="stable")
            d["l_order"] = np.argsort(d["l_id"], kind="stable")

        cli_id = np.concatenate([self.cli_ids, [0]])  # index -1 → 0 → NULL below
        # DOCTOS_VE
        o, lo = ve["order"], ve["l_order"]
        n = len(o)
        users = _USERS[ve["user"][o]]
        cancelled = ve["cancelled"][o]
        self.t["DOCTOS_VE"] = {
            "DOCTO_VE_ID": ve["id"][o],
            "TIPO_DOCTO": ve["tipo"][o].tolist(),
            "SUBTIPO_DOCTO": ["N"] * n,
            "FOLIO": ve["folio"][o].tolist(),
            "FECHA": ve["fecha"][o],
            "CLAVE_CLIENTE": self.cli_claves[ve["cli"][o]].tolist(),
            "CLIENTE_ID": cli_id[ve["cli"][o]],
            "DIR_CLI_ID": [None if x < 0 else x for x in self.cli_dir[ve["cli"][o]].tolist()],
            "ALMACEN_ID": self.alm_ids[ve["alm"][o]],
            "MONEDA_ID": np.ones(n, dtype=np.int64),
            "TIPO_CAMBIO": np.ones(n),
            "ESTATUS": ve["estatus"][o].tolist(),
            "APLICADO": np.where(np.isin(ve["tipo"][o], ["C", "P"]), "N", "S").tolist(),
            "IMPORTE_NETO": ve["neto"][o],
            "TOTAL_IMPUESTOS": ve["impuestos"][o],
            "TOTAL_RETENCIONES": np.zeros(n),
            "DSCTO_IMPORTE": ve["dscto_imp"][o],
            "COND_PAGO_ID": self.cond_pago[ve["cond"][o]],
            "VENDEDOR_ID": self.vendedores[ve["vend"][o]],
            "USO_CFDI": ["G01" if t == "F" else None for t in ve["tipo"][o].tolist()],
            "METODO_PAGO_SAT": ["PUE" if t == "F" else None for t in ve["tipo"][o].tolist()],
            **_audit(users, ve["created"][o], ve["modified"][o], cancelled),
        }
        self.t["DOCTOS_VE_DET"] = {
            "DOCTO_VE_DET_ID": ve["l_id"][lo],
            "DOCTO_VE_ID": ve["id"][ve["l_doc"][lo]],
            "CLAVE_ARTICULO": self.sku[ve["l_art"][lo]].tolist(),
            "ARTICULO_ID": self.art_ids[ve["l_art"][lo]],
            "UNIDADES": ve["l_units"][lo],
            "UNIDADES_SURT_DEV": ve["l_dev"][lo],
            "PRECIO_UNITARIO": ve["l_pu"][lo],
            "PCTJE_DSCTO": ve["l_dscto"][lo],
            "PRECIO_TOTAL_NETO": ve["l_neto"][lo],
            "POSICION": ve["l_pos"][lo],
        }
        # DOCTOS_VE_LIGAS: remisión → the factura generated from it
        f = np.flatnonzero(ve["fte_index"] >= 0)
        f = f[np.argsort(ve["liga_id"][f], kind="stable")]
        self.t["DOCTOS_VE_LIGAS"] = {
            "DOCTO_VE_LIGA_ID": ve["liga_id"][f],
            "DOCTO_VE_FTE_ID": ve["id"][ve["fte_index"][f]],
            "DOCTO_VE_DEST_ID": ve["id"][f],
        }
        # DOCTOS_PV
        o, lo = pv["order"], pv["l_order"]
        n = len(o)
        alm = pv["alm"][o]
        users = _USERS[3 + alm % 3]
        cancelled = pv["cancelled"][o]
        cli = pv["cli"][o]
        hora = np.char.add(
            np.char.add(np.char.zfill((pv["secs"][o] // 3600).astype(str), 2), ":"),
            np.char.add(
                np.char.add(np.char.zfill((pv["secs"][o] // 60 % 60).astype(str), 2), ":"),
                np.char.zfill((pv["secs"][o] % 60).astype(str), 2),
            ),
        )
        self.t["DOCTOS_PV"] = {
            "DOCTO_PV_ID": pv["id"][o],
            "CAJA_ID": self.cajas[alm],
            "CAJERO_ID": self.cajeros[alm, pv["cajero"][o]],
            "TIPO_DOCTO": pv["tipo"][o].tolist(),
            "FOLIO": pv["folio"][o].tolist(),
            "FECHA": pv["fecha"][o],
            "HORA": hora.tolist(),
            "CLAVE_CLIENTE": [
                None if c < 0 else k
                for c, k in zip(cli.tolist(), self.cli_claves[cli].tolist(), strict=True)
            ],
            "CLIENTE_ID": [
                None if c < 0 else v
                for c, v in zip(cli.tolist(), cli_id[cli].tolist(), strict=True)
            ],
            "ALMACEN_ID": self.alm_ids[alm],
            "VENDEDOR_ID": self.vendedores[pv["vend"][o]],
            "MONEDA_ID": np.ones(n, dtype=np.int64),
            "IMPUESTO_INCLUIDO": ["S"] * n,
            "ESTATUS": pv["estatus"][o].tolist(),
            "APLICADO": ["S"] * n,
            "IMPORTE_NETO": pv["neto"][o],
            "TOTAL_IMPUESTOS": pv["impuestos"][o],
            **_audit(users, pv["created"][o], pv["modified"][o], cancelled),
        }
        self.t["DOCTOS_PV_DET"] = {
            "DOCTO_PV_DET_ID": pv["l_id"][lo],
            "DOCTO_PV_ID": pv["id"][pv["l_doc"][lo]],
            "CLAVE_ARTICULO": self.sku[pv["l_art"][lo]].tolist(),
            "ARTICULO_ID": self.art_ids[pv["l_art"][lo]],
            "UNIDADES": pv["l_units"][lo],
            "UNIDADES_DEV": pv["l_dev"][lo],
            "PRECIO_UNITARIO": pv["l_pu"][lo],
            "PRECIO_UNITARIO_IMPTO": np.round(pv["l_pu"][lo] * (1 + IVA), 6),
            "PCTJE_DSCTO": pv["l_dscto"][lo],
            "PRECIO_TOTAL_NETO": pv["l_neto"][lo],
            "POSICION": pv["l_pos"][lo],
        }

    # -- stock: SALDOS_IN and NIVELES_ARTICULOS ------------------------------------------------
    def _saldos(self) -> None:
        rng = self.rng
        A, W = self.n_art, len(self.alm_ids)
        months = (self.start + np.arange(DAYS).astype("timedelta64[D]")).astype("datetime64[M]")
        m0 = months[0]
        mi_of_day = (months - m0).astype(int)
        M = int(mi_of_day[-1]) + 1
        sales = np.zeros(A * W * M)
        rets = np.zeros(A * W * M)
        for d in (self.ve, self.pv):
            doc = d["l_doc"]
            live = d["estatus"][doc] != "C"
            idx = (d["l_art"] * W + d["alm"][doc]) * M + mi_of_day[d["day"][doc]]
            out = _counted_sales(d)[doc]
            sales += np.bincount(idx[out], weights=d["l_units"][out], minlength=A * W * M)
            back = live & (d["tipo"][doc] == "D")
            rets += np.bincount(idx[back], weights=d["l_units"][back], minlength=A * W * M)
        sales = sales.reshape(A * W, M)
        rets = rets.reshape(A * W, M)

        integral = np.repeat(np.isin(self.unidad, ["PIEZA", "LITRO"]), W)
        rate = sales.sum(axis=1) / max(1.0, M - 0.5)
        sold = rate > 0

        def rnd(x: np.ndarray) -> np.ndarray:
            return np.where(integral, np.ceil(x - 1e-9), np.round(x, 2))

        mn = rnd(rate * 0.6)
        rp = np.maximum(rnd(rate * 1.0), np.where(sold, 1, 0))
        mx = np.maximum(rnd(rate * 2.5), rp + np.where(sold, 1, 0))
        # dead stock: never sold in this almacén but some units sit there
        dead = ~sold & (rng.random(A * W) < 0.35)
        opening = np.where(
            sold,
            rnd(rng.uniform(1.0, 2.5, A * W) * rate),
            np.where(dead, rng.integers(1, 6, A * W), 0),
        ).astype(float)
        r = rng.random(A * W)
        starve = sold & (r < 0.06)  # purchases stopped in the last months: sold out
        zero = sold & (r >= 0.06) & (r < 0.10)  # the last units left as an adjustment: stock-out
        low = sold & (r >= 0.10) & (r < 0.24) & (mn >= 2)  # ends between 1 and min − 1
        ent = rets.copy()  # returns come back into stock
        sal = sales.copy()
        ent[:, 0] += opening
        stock = opening.copy()
        for m in range(M):
            allow = ~(starve & (m >= M - 3))
            buy = np.where(allow & sold & (stock <= rp), mx - stock, 0.0)
            buy = np.maximum(buy, 0)
            ent[:, m] += buy
            stock = np.round(stock + buy + rets[:, m] - sales[:, m], 5)
            short = np.where(stock < 0, -stock, 0.0)  # urgent purchase to cover what was sold
            ent[:, m] += short
            stock = np.round(stock + short, 5)
        # stock-outs and low stock: the units over the target leave as an adjustment (merma)
        target = np.where(
            integral,
            np.floor(rng.uniform(1, np.maximum(mn, 1.0))),
            np.round(rng.uniform(0.1, 1) * mn, 2),
        )
        adjust = np.where(zero, stock, np.where(low & (stock > target), stock - target, 0.0))
        sal[:, M - 1] += adjust
        stock = stock - adjust
        ent = np.round(ent, 5)
        sal = np.round(sal, 5)
        cell, mon = np.nonzero((ent != 0) | (sal != 0))
        art, alm = cell // W, cell % W
        month = m0 + mon.astype("timedelta64[M]")
        year = month.astype("datetime64[Y]").astype(int) + 1970
        mes = (month - month.astype("datetime64[Y]")).astype(int) + 1
        last_day = (month + np.timedelta64(1, "M")).astype("datetime64[D]") - np.timedelta64(1, "D")
        last_day = np.minimum(last_day, self.end64)
        ultimo = (last_day - last_day.astype("datetime64[M]")).astype(int) + 1
        cost = self.costo[art]
        e, s = ent[cell, mon], sal[cell, mon]
        self.t["SALDOS_IN"] = {
            "ARTICULO_ID": self.art_ids[art],
            "ALMACEN_ID": self.alm_ids[alm],
            "ANO": year,
            "MES": mes,
            "ULTIMO_DIA": ultimo,
            "ENTRADAS_UNIDADES": e,
            "SALIDAS_UNIDADES": s,
            "ENTRADAS_COSTO": np.round(e * cost, 2),
            "SALIDAS_COSTO": np.round(s * cost, 2),
        }
        # levels: most article × almacén pairs that move (or hold stock) have a row
        has = (sold | dead) & (rng.random(A * W) < 0.95)
        cells = np.flatnonzero(has)
        loc = np.char.add(
            np.char.add(
                np.char.add("P", np.char.zfill(rng.integers(1, 25, len(cells)).astype(str), 2)),
                np.char.add("-E", rng.integers(1, 9, len(cells)).astype(str)),
            ),
            np.char.add("-N", rng.integers(1, 6, len(cells)).astype(str)),
        )
        self.t["NIVELES_ARTICULOS"] = {
            "ARTICULO_ID": self.art_ids[cells // W],
            "ALMACEN_ID": self.alm_ids[cells % W],
            "INVENTARIO_MINIMO": mn[cells],
            "PUNTO_REORDEN": rp[cells],
            "INVENTARIO_MAXIMO": mx[cells],
            "LOCALIZACION": [
                None if r < 0.1 else v
                for r, v in zip(rng.random(len(cells)).tolist(), loc.tolist(), strict=True)
            ],
        }
        self.final_stock = np.round(stock, 5).reshape(A, W)


def _counted_sales(d: dict[str, Any]) -> np.ndarray:
    """Per document of one module: a live sale whose units count (and leave stock). VE facturas
    and remisiones, except a factura generated from a remisión (the remisión counted its units);
    PV tickets, never the global facturas (their tickets counted)."""
    live = d["estatus"] != "C"
    if d["mod"] == "VE":
        return live & np.isin(d["tipo"], ("F", "R")) & (d["fte_index"] < 0)
    return live & (d["tipo"] == "V")


def _price_factor(year: int | np.ndarray) -> Any:
    return (1 + PRICE_INFLATION) ** (np.asarray(year, dtype=float) - PRICE_BASE_YEAR)


def _year_of(day: int) -> int:
    return (EPOCH + timedelta(days=int(day))).year


def _concat_days(days: list[dict[str, Any]]) -> dict[str, Any]:
    """One module's per-day dicts as one: document indexes become global."""
    out: dict[str, Any] = {"mod": days[0]["mod"]}
    offsets = np.cumsum([0] + [len(d["day"]) for d in days[:-1]])
    for k in (
        "day",
        "secs",
        "tipo",
        "cli",
        "alm",
        "cancel_at",
        "user",
        "vend",
        "cond",
        "cajero",
        "edit",
        "nl",
        "id",
        "liga_id",
        "folio",
        "l_art",
        "l_units",
        "l_pu",
        "l_dscto",
        "l_neto",
        "l_dev",
        "l_id",
        "l_pos",
    ):
        out[k] = np.concatenate([d[k] for d in days])
    for key, index in (("src", "src_index"), ("fte", "fte_index")):
        out[index] = np.concatenate(
            [np.where(d[key] >= 0, d[key] + off, -1) for d, off in zip(days, offsets, strict=True)]
        )
    out["l_doc"] = np.concatenate([d["l_doc"] + off for d, off in zip(days, offsets, strict=True)])
    return out


def _positions(doc: np.ndarray) -> np.ndarray:
    """1-based position of each line inside its document (lines grouped by document)."""
    n = len(doc)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    start = np.r_[True, doc[1:] != doc[:-1]]
    idx = np.arange(n)
    first = np.maximum.accumulate(np.where(start, idx, 0))
    return idx - first + 1


# ----------------------------------------------------------------------------------------------
# SQLite loading and DemoSource


def load_sqlite(data: DemoData, conn: sqlite3.Connection | None = None) -> sqlite3.Connection:
    """Create the Microsip tables in a SQLite connection (in memory by default) and fill them."""
    conn = conn or sqlite3.connect(":memory:", check_same_thread=False)
    cur = conn.cursor()
    for stmt in ddl("sqlite", indexes=False):
        cur.execute(stmt)
    for table in TABLE_ORDER:
        cols = data.columns(table)
        sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        cur.executemany(sql, data.rows(table))
    for stmt in ddl("sqlite", indexes=True):
        if stmt.startswith("CREATE INDEX"):
            cur.execute(stmt)
    conn.commit()
    return conn


class DemoSource(MicrosipReader):
    """The demo ERP as an ``ErpSource``: the generated Microsip tables in an in-memory SQLite
    database, read by ``MicrosipReader`` with the same SQL as a real Microsip database.

    Without ``end_date`` the data runs up to the current hour (see ``generate``).
    """

    def __init__(
        self,
        *,
        scale: float = 1.0,
        seed: int = 7,
        end_date: date | None = None,
        now: datetime | None = None,
        batch_size: int = 5_000,
        **reader_options: Any,
    ) -> None:
        self.data = generate(scale=scale, seed=seed, end_date=end_date, now=now)
        super().__init__(
            load_sqlite(self.data),
            batch_size=batch_size,
            name="demo",
            description=(
                f"ERP de demostración (escala {scale:g}, semilla {seed}, "
                f"hasta {self.data.as_of:%d/%m/%Y %H:%M})"
            ),
            **reader_options,
        )
