"""The inventory list: search, filters, sort and pagination with totals (the seed's GET /api/inventory)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    Connection,
    Float,
    Integer,
    and_,
    any_,
    bindparam,
    cast,
    exists,
    func,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql import ColumnElement, Select

from core import db
from core.inventory import first_page, search
from core.inventory.errors import Invalid
from core.models import erp_almacenes, erp_inventario, erp_productos, erp_ventas, erp_ventas_detalle
from core.users import User, require

P, INV, A, V, D = erp_productos, erp_inventario, erp_almacenes, erp_ventas, erp_ventas_detalle

DEFAULT_LIMIT = 20
MAX_LIMIT = 100  # the seed's limits
MAX_FILTER_CHARS = 100
ORIGENES = {"erp": "ERP (Microsip)", "excel": "Excel", "local": "Local"}
SORTS = {
    "relevancia": "Relevancia", "codigo": "Código", "nombre": "Nombre", "categoria": "Categoría",
    "grupo": "Grupo", "stock_total": "Stock total", "stock_minimo": "Mínimo",
    "punto_reorden": "Punto de reorden", "stock_maximo": "Máximo", "precio": "Precio", "costo": "Costo",
    "ultima_venta": "Última venta", "last_synced_at": "Última sincronización",
}
_STOCK_SORTS = {"stock_total", "stock_minimo", "punto_reorden", "stock_maximo"}


@dataclass(frozen=True)
class InventoryFilter:
    """What the list shows: search, filters, order and page. Hashable, so pages can cache by it."""

    search: str | None = None
    categoria: str | None = None
    grupo: str | None = None
    almacen_id: int | None = None
    stock_bajo: bool = False
    sin_existencia: bool = False
    activo: bool | None = None
    origen: str | None = None
    sort: str | None = None  # None: relevance with a search, else código
    descending: bool = False
    page: int = 1
    limit: int = DEFAULT_LIMIT

    def validated(self) -> InventoryFilter:
        """This filter, or Invalid (422) naming what is wrong."""
        errors = {}
        for name in ("categoria", "grupo"):
            value = getattr(self, name)
            if value is not None and len(value) > MAX_FILTER_CHARS:
                errors[name] = f"Hasta {MAX_FILTER_CHARS} caracteres."
        if not 1 <= self.limit <= MAX_LIMIT:
            errors["limit"] = f"El límite por página va de 1 a {MAX_LIMIT}."
        if self.page < 1:
            errors["page"] = "La página empieza en 1."
        if self.origen is not None and self.origen not in ORIGENES:
            errors["origen"] = f"Origen desconocido: use {', '.join(ORIGENES)}."
        if self.sort is not None and self.sort not in SORTS:
            errors["sort"] = f"No se puede ordenar por «{self.sort[:40]}»."
        if errors:
            raise Invalid(" ".join(errors.values()), fields=errors)
        return self


def _stock_exists(f: InventoryFilter, *extra: ColumnElement[bool]) -> Any:
    conds = [INV.c.producto_id == P.c.id, *extra]
    if f.almacen_id is not None:
        conds.append(INV.c.almacen_id == f.almacen_id)
    return exists().where(and_(*conds))


def _conditions(f: InventoryFilter) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if f.categoria:
        conds.append(P.c.categoria == f.categoria)
    if f.grupo:
        conds.append(P.c.grupo == f.grupo)
    if f.almacen_id is not None:
        conds.append(_stock_exists(f))
    if f.stock_bajo:  # as the seed: stock_actual < stock_minimo, in some (or the chosen) almacén
        conds.append(_stock_exists(f, INV.c.stock_actual < INV.c.stock_minimo))
    if f.sin_existencia:
        conds.append(~_stock_exists(f, INV.c.stock_actual > 0))
    if f.activo is not None:
        conds.append(P.c.activo.is_(f.activo))
    if f.origen:
        conds.append(P.c.origen == f.origen)
    return conds


def _stock_totals() -> Any:
    return (select(INV.c.producto_id, func.sum(INV.c.stock_actual).label("stock_total"),
                   func.sum(INV.c.stock_minimo).label("stock_minimo"),
                   func.sum(INV.c.punto_reorden).label("punto_reorden"),
                   func.sum(INV.c.stock_maximo).label("stock_maximo"))
            .group_by(INV.c.producto_id).subquery("s"))


def not_cancelled() -> ColumnElement[bool]:
    """The sales documents that count (cancelled ones, estatus C, never do)."""
    return func.coalesce(V.c.estatus, "N") != "C"


def _last_sales(*where: ColumnElement[bool]) -> Select:
    """Each product's last sale date over all its lines (ultima_venta)."""
    return (select(D.c.producto_id, func.max(V.c.fecha).label("ultima_venta"))
            .select_from(D.join(V, D.c.venta_id == V.c.id))
            .where(not_cancelled(), *where).group_by(D.c.producto_id))


def _ordered_ids(conn: Connection, f: InventoryFilter, pg: search.PgMatch | None = None) -> Select:
    """SELECT id, rank in the filter's order (no LIMIT yet); the rank column is NULL without a search."""
    terms = search.parse(f.search)
    conds = _conditions(f)
    rank: ColumnElement[Any] | None = None
    if terms is not None:
        cond, rank = (pg.cond, pg.rank) if pg is not None else search.match(conn, terms)
        conds.append(cond)
    sort = f.sort or ("relevancia" if terms else "codigo")
    from_: Any = P
    if sort in _STOCK_SORTS:
        s = _stock_totals()
        from_ = from_.outerjoin(s, s.c.producto_id == P.c.id)
        key: ColumnElement[Any] = func.coalesce(s.c[sort], 0)
    elif sort == "ultima_venta":
        u = _last_sales().subquery("u")
        from_ = from_.outerjoin(u, u.c.producto_id == P.c.id)
        key = u.c.ultima_venta
    elif sort == "relevancia":
        key = rank if rank is not None else P.c.codigo
    else:
        key = P.c[sort]
    # Relevance reads best-first; other columns follow the chosen direction. NULLs always last.
    descending = f.descending != (sort == "relevancia")
    order = [(key.desc() if descending else key.asc()).nulls_last()]
    if rank is not None and sort != "relevancia":
        order.append(rank.desc())
    columns = [P.c.id, (rank if rank is not None else cast(null(), Float)).label("rank")]
    return select(*columns).select_from(from_).where(*conds).order_by(*order, P.c.codigo, P.c.id)


def _best_first_page(conn: Connection, f: InventoryFilter, m: search.PgMatch) -> tuple[Sequence[Any], int] | None:
    """A relevance-ordered page of a filtered search (PostgreSQL) without ranking every match, or
    None; the rule of ``core.inventory.first_page`` (which serves unfiltered searches), with the
    filters on both parts: the código rows, and the best rows found through the GIN index."""
    if f.sort not in (None, "relevancia") or f.descending:
        return None
    if m.best is None:  # only códigos can match: a b-tree range, small already
        return None
    n = f.page * f.limit
    conds = _conditions(f)
    # MATERIALIZED: a catalog's códigos group by línea, and so do the products holding a word
    # ("manguera"); walking the código index for the first n of them can read most of the table
    # (measured: 270 ms), where the word's GIN bitmap reads only its rows.
    best = select(P.c.id, P.c.codigo).where(m.best, ~m.code, *conds).cte("b").prefix_with("MATERIALIZED")
    first_best = select(best.c.id).order_by(best.c.codigo, best.c.id).limit(n)

    def ranked(is_best: int) -> Select:
        return select(P.c.id, P.c.codigo, m.rank.label("rank"), literal(is_best).label("is_best"))

    both = union_all(ranked(1).where(P.c.id.in_(first_best)), ranked(0).where(m.code, *conds)).subquery("u")
    rows = conn.execute(select(both.c.id, both.c.rank, func.count().over().label("found"),
                               func.sum(both.c.is_best).over().label("found_best"),
                               select(func.count()).select_from(best).scalar_subquery().label("all_best"))
                        .order_by(both.c.rank.desc(), both.c.codigo, both.c.id).limit(n)).all()
    all_best = int(rows[0].all_best) if rows else 0
    if all_best < n and not m.best_is_all:
        return None  # rows of lower tiers reach these pages: rank them all
    page = rows[(f.page - 1) * f.limit:]
    if m.best_is_all:  # código and best rows are every match
        return page, (int(rows[0].found) - int(rows[0].found_best) + all_best) if rows else 0
    total = conn.execute(select(func.count()).select_from(P).where(m.cond, *conds)).scalar_one()
    return page, total


def _relevance_page(conn: Connection, f: InventoryFilter, terms: search.SearchTerms,
                    candidates: list[dict[str, float]]) -> tuple[Sequence[Any], int] | None:
    """A search's page without ranking every match (PostgreSQL), or None."""
    if f.sort in (None, "relevancia") and not f.descending and not _conditions(f):
        found = first_page.page(conn, terms, candidates, page=f.page, limit=f.limit)
        return None if found is None else ([_Ranked(i, r) for i, r in found[0]], found[1])
    return _best_first_page(conn, f, search.pg_parts(terms, candidates))


class _Ranked(NamedTuple):
    id: int
    rank: float | None


def list_productos(user: User, f: InventoryFilter) -> dict[str, Any]:
    """One page: ``{"data": [producto…], "pagination": {page, limit, total, totalPages}}``."""
    require(user, "inventory:read")
    f = f.validated()
    with db.get_engine().connect() as conn:
        terms = search.parse(f.search)
        candidates = (search.pg_candidates(conn, terms)
                      if terms is not None and conn.dialect.name == "postgresql" else None)
        found = _relevance_page(conn, f, terms, candidates) if terms is not None and candidates is not None else None
        if found is not None:
            page, total = found
        else:
            pg = search.pg_parts(terms, candidates) if terms is not None and candidates is not None else None
            query = _ordered_ids(conn, f, pg)
            total_col = func.count().over().label("total")
            page = conn.execute(query.add_columns(total_col).limit(f.limit)
                                .offset((f.page - 1) * f.limit)).all()
            if page:
                total = int(page[0].total)
            else:  # past the last page (or nothing matches): count apart
                total = conn.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
        data = producto_rows(conn, [r.id for r in page], {r.id: r.rank for r in page})
    return {"data": data, "pagination": {"page": f.page, "limit": f.limit, "total": total,
                                         "totalPages": math.ceil(total / f.limit) if total else 0}}


def iter_all(user: User, f: InventoryFilter, *, chunk: int = 500) -> Iterator[dict[str, Any]]:
    """Every producto of the filter, all pages, in the list's order (for exports)."""
    require(user, "inventory:read")
    f = replace(f.validated(), page=1)
    with db.get_engine().connect() as conn:
        query = _ordered_ids(conn, f)
        ranked = conn.execute(query).all()
        for i in range(0, len(ranked), chunk):
            part = ranked[i:i + chunk]
            yield from producto_rows(conn, [r.id for r in part], {r.id: r.rank for r in part})


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


# A page's last sale dates come from the newest RECENT_DOCS documents first: a product that sells
# often is found there at once, where the max over all its lines read 24,000 of them for the
# demo's best seller (20 such products: 252 ms on PostgreSQL, 183 ms on SQLite). Only products
# not found there, when there are older documents, are looked up over all their lines.
RECENT_DOCS = 2000


def _producto_rows_query(one_of_ids: Callable[[ColumnElement[int]], ColumnElement[bool]]) -> Select:
    """The page rows of the products whose id ``one_of_ids`` accepts (the ``ids`` parameter)."""
    recent = (select(V.c.id, V.c.fecha).where(not_cancelled()).order_by(V.c.fecha.desc())
              .limit(bindparam("recent_docs")).subquery("r"))
    last = (select(D.c.producto_id, func.max(recent.c.fecha).label("fecha"))
            .select_from(recent.join(D, D.c.venta_id == recent.c.id))
            .where(one_of_ids(D.c.producto_id)).group_by(D.c.producto_id).subquery("l"))
    # whether the window held every document: then a product not in it never sold
    older = (select(func.count()).select_from(select(V.c.id).where(not_cancelled())
                                              .limit(bindparam("recent_docs") + 1).subquery())
             .scalar_subquery() > bindparam("recent_docs"))
    prods = (select(P, last.c.fecha.label("ultima_venta"), older.label("ventas_anteriores"))
             .select_from(P.outerjoin(last, last.c.producto_id == P.c.id))
             .where(one_of_ids(P.c.id)).subquery("p"))
    return (select(prods, A.c.nombre.label("almacen"), INV.c.stock_actual.label("s_actual"),
                   INV.c.stock_minimo.label("s_minimo"), INV.c.punto_reorden.label("s_reorden"),
                   INV.c.stock_maximo.label("s_maximo"))
            .select_from(prods.outerjoin(INV, INV.c.producto_id == prods.c.id)
                         .outerjoin(A, INV.c.almacen_id == A.c.id))
            .order_by(A.c.nombre))


# Built once: every search page runs it, and building the statement (its subquery's column
# proxies, its cache key) cost more client CPU than PostgreSQL spends running it. On PostgreSQL
# the ids go as one array: the SQL text never changes, so psycopg prepares it once per connection
# (an expanding IN is rewritten, and planned again, for every count of ids).
_PRODUCTO_ROWS = {
    "postgresql": _producto_rows_query(lambda col: col == any_(bindparam("ids", type_=ARRAY(Integer)))),
    "sqlite": _producto_rows_query(lambda col: col.in_(bindparam("ids", expanding=True))),
}


def producto_rows(conn: Connection, ids: Sequence[int], ranks: dict[int, Any] | None = None) -> list[dict[str, Any]]:
    """Productos by id, in the order given, with stock per almacén, totals and last sale (one query:
    a search's page is mostly round trips)."""
    if not ids:
        return []
    rows: dict[int, Any] = {}
    stock: dict[int, list] = {}
    query = _PRODUCTO_ROWS["postgresql" if conn.dialect.name == "postgresql" else "sqlite"]
    for r in conn.execute(query, {"ids": list(ids), "recent_docs": RECENT_DOCS}).all():  # one fetch: ~60 rows
        rows.setdefault(r.id, r._mapping)
        if r.almacen is not None:
            stock.setdefault(r.id, []).append(r)
    unseen = [pid for pid, r in rows.items() if r["ultima_venta"] is None and r["ventas_anteriores"]]
    # not among the newest documents: over all their lines
    older = dict(conn.execute(_last_sales(D.c.producto_id.in_(unseen))).tuples().all()) if unseen else {}
    out = []
    for pid in ids:
        row = rows.get(pid)
        if row is None:
            continue
        levels = stock.get(pid, [])
        out.append({
            **{k: row[k] for k in ("id", "codigo", "nombre", "descripcion", "categoria", "grupo",
                                   "unidad_medida", "activo", "origen", "notas", "erp_id")},
            "precio": _num(row["precio"]), "costo": _num(row["costo"]),
            "stock_total": sum(float(s.s_actual) for s in levels),
            "stock_minimo": sum(float(s.s_minimo) for s in levels),
            "punto_reorden": _sum_known(s.s_reorden for s in levels),
            "stock_maximo": _sum_known(s.s_maximo for s in levels),
            "bajo_minimo": any(s.s_actual < s.s_minimo for s in levels),
            "existencias": {s.almacen: float(s.s_actual) for s in levels},
            "ultima_venta": _as_datetime(row["ultima_venta"] or older.get(pid)),
            "last_synced_at": row["last_synced_at"],
            "created_at": row["created_at"], "updated_at": row["updated_at"],
            "relevancia": _num((ranks or {}).get(pid)),
        })
    return out


def _as_datetime(value: Any) -> datetime | None:
    """A max() over a DateTime column comes back as text on SQLite."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def _sum_known(values: Iterator[Any]) -> float | None:
    known = [float(v) for v in values if v is not None]
    return sum(known) if known else None


def filter_options(user: User) -> dict[str, Any]:
    """Categorías, grupos and almacenes for the list's filters."""
    require(user, "inventory:read")
    with db.get_engine().connect() as conn:
        categorias = list(conn.scalars(select(P.c.categoria).distinct()
                                       .where(P.c.categoria.is_not(None)).order_by(P.c.categoria)))
        grupos = list(conn.scalars(select(P.c.grupo).distinct()
                                   .where(P.c.grupo.is_not(None)).order_by(P.c.grupo)))
        almacenes = [dict(r) for r in conn.execute(
            select(A.c.id, A.c.nombre).where(A.c.activo.is_(True)).order_by(A.c.nombre)).mappings()]
    return {"categorias": categorias, "grupos": grupos, "almacenes": almacenes}
