"""Find the header row (titles above, two-row headers) and map columns by synonyms."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

# Field -> synonyms, most specific first (rank breaks ties: "clave" beats "articulo" for codigo).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "codigo": (
        "clave", "codigo", "sku", "clave articulo", "codigo articulo", "clave producto",
        "codigo producto", "cve", "cve art", "stockcode", "stock code", "item code", "product code",
        "product id", "item id", "item", "no parte", "num parte", "numero parte", "part number",
        "articulo", "upc", "codigo barras", "ean",
    ),
    "descripcion": (
        "descripcion", "nombre", "nombre articulo", "nombre producto", "description",
        "product name", "item name", "descripcion articulo", "producto", "concepto", "articulo",
    ),
    "existencia": (
        "existencia", "existencias", "stock", "inventario", "disponible", "exist", "on hand",
        "qty on hand", "existencia actual", "stock actual", "inventario actual", "saldo",
        "inventario final", "existencia final", "unidades disponibles",
    ),
    "stock_minimo": ("minimo", "minima", "stock minimo", "existencia minima", "inventario minimo", "min"),
    "stock_maximo": ("maximo", "maxima", "stock maximo", "existencia maxima", "inventario maximo", "max"),
    "punto_reorden": ("punto reorden", "reorden", "reorder point"),
    "fecha": (
        "fecha", "date", "fecha venta", "fecha documento", "invoicedate", "invoice date",
        "fecha factura", "fecha ticket", "order date", "dia", "fecha hora", "sale date",
    ),
    "cantidad": (
        "cantidad", "unidades", "piezas", "pzas", "cant", "qty", "quantity", "unidades vendidas",
        "cantidad vendida", "vendidas", "piezas vendidas", "units",
    ),
    # Amount before tax first (as the ERP's line amount), the taxed total last.
    "importe": (
        "importe", "importe neto", "venta neta", "subtotal", "importe total", "venta", "ventas",
        "venta total", "total venta", "monto", "sales", "amount", "total",
    ),
    "precio": (
        "precio", "precio unitario", "precio venta", "unitprice", "unit price", "price",
        "p unitario", "precio unit", "pu", "p unit", "p u", "precio u", "p venta", "p vta",
    ),
    "costo": ("costo", "costo unitario", "cost", "unit cost", "costo promedio"),
    "almacen": ("almacen", "sucursal", "tienda", "store", "branch", "warehouse", "bodega", "suc"),
    "folio": (
        "folio", "ticket", "factura", "documento", "no documento", "invoiceno", "invoice no",
        "invoice", "remision", "nota", "no ticket", "num ticket", "order id", "folio documento",
    ),
    "cliente": (
        "cliente", "customer", "customerid", "customer id", "nombre cliente", "codigo cliente",
        "clave cliente", "customer name", "cliente id",
    ),
    "unidad": ("unidad", "unidad medida", "um", "u m", "unit", "uom"),
    "categoria": ("linea", "categoria", "category", "familia", "departamento", "linea articulo"),
}

FIELD_LABELS: dict[str, str] = {
    "codigo": "Clave", "descripcion": "Descripción", "existencia": "Existencia",
    "stock_minimo": "Mínimo", "stock_maximo": "Máximo", "punto_reorden": "Punto de reorden",
    "fecha": "Fecha", "cantidad": "Cantidad", "importe": "Importe", "precio": "Precio",
    "costo": "Costo", "almacen": "Sucursal", "folio": "Folio", "cliente": "Cliente",
    "unidad": "Unidad", "categoria": "Línea",
}

_STOPWORDS = {"de", "del", "la", "el", "los", "las", "en", "por"}
_EXACT, _CONTAINED = 1000, 100


def normalize(text: Any) -> str:
    """Lowercase, no accents, words only, Spanish stop words removed."""
    raw = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    # camelCase headers (InvoiceDate) split like "invoice date".
    raw = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", raw).lower()
    words = [w for w in re.split(r"[^a-z0-9]+", raw) if w and w not in _STOPWORDS]
    return " ".join(words)


_NORMALIZED = {f: [normalize(s) for s in syns] for f, syns in SYNONYMS.items()}


def field_score(field: str, label: str) -> int:
    """How well a normalized header label names `field` (0 = not at all)."""
    best = 0
    padded, compact = f" {label} ", label.replace(" ", "")
    for rank, syn in enumerate(_NORMALIZED[field]):
        if label == syn or compact == syn.replace(" ", ""):
            best = max(best, _EXACT - rank)
        elif f" {syn} " in padded:
            best = max(best, _CONTAINED + len(syn))
    return best


def match_columns(labels: list[str]) -> dict[str, int]:
    """Assign each field at most one column and each column at most one field, best scores first."""
    norm = [normalize(x) if x not in (None, "") else "" for x in labels]
    pairs = []
    for col, label in enumerate(norm):
        if not label or len(label) > 60:
            continue
        for field in SYNONYMS:
            score = field_score(field, label)
            if score:
                pairs.append((score, field, col))
    mapping: dict[str, int] = {}
    used: set[int] = set()
    for _score, field, col in sorted(pairs, key=lambda p: (-p[0], p[2])):
        if field not in mapping and col not in used:
            mapping[field] = col
            used.add(col)
    return mapping


@dataclass(frozen=True)
class HeaderGuess:
    """Where the header is (0-based rows first..last), its labels and the column mapping."""

    first: int
    last: int
    labels: list[str]
    mapping: dict[str, int]

    @property
    def score(self) -> int:
        """Number of fields recognised."""
        return len(self.mapping)


def _text_cells(row: list[Any]) -> list[str]:
    """The row's cells as header text (numbers and dates become empty labels)."""
    return [c.strip() if isinstance(c, str) else "" for c in row]


# Data as text: an optional lead ("$", "(", "+", "-", spaces), number or date characters, an
# optional tail (")", "%", "-", spaces). As one expression (^[lead]*[body]+[tail]*$) the three
# classes share "-" and spaces and backtrack cubically (a line of 4,000 dashes took 55 s), so the
# same language is decided in three linear steps (see _is_data_text).
_LEAD = re.compile(r"[\s$(+-]*")
_TAIL_REVERSED = re.compile(r"[\s)%-]*")
_BODY = re.compile(r"[\d.,/:-]*")
_BODY_CHAR = re.compile(r"[\d.,/:-]")


def _is_data_text(text: str) -> bool:
    """Whether text is lead* body+ tail*, in linear time.

    `a` is where the longest lead ends and `c` where the longest tail starts. Characters in
    [a, c) can be neither lead nor tail, so they must all be body (and then they are the body).
    When the lead and the tail overlap (a >= c), any single body character at a position p with
    c - 1 <= p <= a splits the text into lead, that character and tail.
    """
    a = _LEAD.match(text).end()  # type: ignore[union-attr]  # a star always matches
    c = len(text) - _TAIL_REVERSED.match(text[::-1]).end()  # type: ignore[union-attr]
    if a < c:
        return _BODY.fullmatch(text, a, c) is not None
    return _BODY_CHAR.search(text, max(c - 1, 0), min(a, len(text) - 1) + 1) is not None


def _looks_like_data(cell: Any) -> bool:
    """A number or date (typed, or as text): a sign the row holds data, not a header."""
    if isinstance(cell, bool) or cell is None or cell == "":
        return False
    if not isinstance(cell, str):
        return True
    return _is_data_text(cell)


def _fill_merged(row: list[str], r: int, merged: list[tuple[int, int, int, int]]) -> list[str]:
    """Copy a merged cell's text across the columns it spans."""
    out = list(row)
    for r1, c1, r2, c2 in merged:
        if r1 <= r <= r2 and c1 < len(out):
            for c in range(c1 + 1, min(c2 + 1, len(out))):
                out[c] = out[c] or out[c1]
    return out


def find_header(head: list[list[Any]], merged: list[tuple[int, int, int, int]] | None = None) -> HeaderGuess | None:
    """The row (or pair of rows) among the first ones that names the most known fields."""
    merged = merged or []
    texts = [_text_cells(r) for r in head]
    singles = [HeaderGuess(r, r, row, match_columns(row)) for r, row in enumerate(texts)]
    best: HeaderGuess | None = None
    for r, row in enumerate(texts):
        if sum(1 for c in row if c) < 2:
            continue
        cand = singles[r]
        if r + 1 < len(texts):
            upper = _fill_merged(row, r, merged)
            lower = texts[r + 1]
            width = max(len(upper), len(lower))
            upper += [""] * (width - len(upper))
            lower = lower + [""] * (width - len(lower))
            labels = [" ".join(x for x in (u, lo) if x) for u, lo in zip(upper, lower, strict=True)]
            pair = HeaderGuess(r, r + 1, labels, match_columns(labels))
            # A two-row header only when it names more fields than either row alone, and its
            # second row is not data.
            if (pair.score > max(cand.score, singles[r + 1].score)
                    and not any(_looks_like_data(c) for c in head[r + 1])):
                cand = pair
        if best is None or cand.score > best.score:
            best = cand
    if best is None or best.score < 2:
        return None
    return _codes_under_product(best, head)


_CODE_LIKE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,29}$")
_PRODUCT_HEADERS = {"producto", "articulo", "item", "product"}


def _codes_under_product(guess: HeaderGuess, head: list[list[Any]]) -> HeaderGuess:
    """A "Producto" or "Artículo" column holding codes (ABR-0144, 7501…) is the Clave when none is named so."""
    if "codigo" in guess.mapping:
        return guess
    for col, label in enumerate(guess.labels):
        if normalize(label) not in _PRODUCT_HEADERS:
            continue
        values = [r[col] for r in head[guess.last + 1 : guess.last + 31] if col < len(r) and r[col] not in (None, "")]
        codes = [v for v in values if (isinstance(v, int | float) and not isinstance(v, bool))
                 or (isinstance(v, str) and bool(_CODE_LIKE.match(v.strip())) and any(ch.isdigit() for ch in v))]
        if values and len(codes) >= 0.8 * len(values):
            mapping = {f: c for f, c in guess.mapping.items() if c != col}
            return HeaderGuess(guess.first, guess.last, guess.labels, {**mapping, "codigo": col})
    return guess
