"""Reading Spanish questions: normalising text, small typos, numbers and date expressions.

Every regular expression here is a plain alternation or a bounded repetition over text already
capped at 500 characters (no nested quantifiers), so matching stays linear in the input.
"""

from __future__ import annotations

import calendar
import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from core.ask.schema import fold

_PUNCT = re.compile(r"[^\w\s/-]")
_SPACES = re.compile(r"\s+")
MONTHS = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre",
          "octubre", "noviembre", "diciembre")
MONTH_ALIASES = {"setiembre": 9, **{m: i + 1 for i, m in enumerate(MONTHS)}}
UNIT_NAMES = {"dias": "días", "semanas": "semanas", "meses": "meses", "anos": "años"}
NUMBER_WORDS = {
    "un": 1, "uno": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7,
    "ocho": 8, "nueve": 9, "diez": 10, "quince": 15, "veinte": 20, "treinta": 30, "cuarenta": 40,
    "cincuenta": 50, "sesenta": 60, "noventa": 90, "cien": 100,
}
# Words the interpreter reacts to: a misspelt question word is corrected to the nearest of these.
VOCABULARY = frozenset(["productos", "producto", "articulos", "articulo", "vendidos", "vendido", "vendidas", "venden", "vende", "vendimos", "vendio", "vendieron", "ventas", "venta", "vendi", "existencia", "existencias", "inventario", "stock", "almacen", "almacenes", "sucursal", "sucursales", "bodega", "tienda", "categoria", "categorias", "linea", "lineas", "grupo", "grupos", "clientes", "cliente", "principales", "mejores", "menos", "compara", "comparacion", "comparar", "comparativo", "contra", "anterior", "pasado", "pasada", "semana", "semanas", "mes", "meses", "dia", "dias", "diario", "diarias", "diarios", "semanales", "semanal", "mensual", "mensuales", "ano", "anos", "hoy", "ayer", "ultimos", "ultimas", "ultimo", "ultima", "movimiento", "rotacion", "valorizado", "valor", "cuanto", "cuantos", "cuantas", "ticket", "promedio", "devoluciones", "devolucion", "minimo", "maximo", "reorden", "agotados", "agotado", "exceso", "existencia", "precio", "precios", "costo", "cuesta", "documentos", "facturas", "tickets", "numero", "total", "importe", "unidades", "piezas", "cantidad", "durante", "desde", "este", "esta", "comprar", "compra", "compraron", "compran", "compras", "compro", "reordenar", "resurtir", "pedir", "mostrar", "dame", "muestra", "cuales", "semana"]) | frozenset(MONTHS)


def normalise(question: str) -> str:
    """Lowercase, no accents or punctuation (keeps '-' and '/' for codes), single spaces."""
    text = _PUNCT.sub(" ", fold(question))
    return _SPACES.sub(" ", text).strip()


def correct(text: str, extra: frozenset[str] = frozenset()) -> str:
    """Fix small typos in words of five letters or more against the known words."""
    known = VOCABULARY | extra
    words = []
    for word in text.split(" "):
        if len(word) >= 5 and word.isalpha() and word not in known:
            close = difflib.get_close_matches(word, known, n=1, cutoff=0.85)
            word = close[0] if close else word
        words.append(word)
    return " ".join(words)


def number_after(text: str, pattern: re.Pattern[str]) -> int | None:
    """The number (digits or a word) in group 1 of ``pattern``'s first match."""
    found = pattern.search(text)
    if not found:
        return None
    token = found.group(1)
    return int(token) if token.isdigit() else NUMBER_WORDS.get(token)


@dataclass(frozen=True)
class Period:
    """An inclusive date range with its Spanish name and the unit it steps by."""

    start: date
    end: date
    label: str
    unit: str  # day, week, month, year, days

    def previous(self) -> Period:
        """The same span one unit before (for comparisons)."""
        if self.unit == "month":
            start = _add_months(self.start, -1)
            end = _month_end(start) if self.end == _month_end(self.end) else min(
                _add_months(self.end, -1), _month_end(start))
            return Period(start, end, f"{MONTHS[start.month - 1]} de {start.year}", "month")
        if self.unit == "year":
            start = self.start.replace(year=self.start.year - 1)
            end = _safe_replace_year(self.end, self.end.year - 1)
            return Period(start, end, f"{start.year}", "year")
        days = (self.end - self.start).days + 1
        start, end = self.start - timedelta(days=days), self.start - timedelta(days=1)
        return Period(start, end, f"del {start:%d/%m/%Y} al {end:%d/%m/%Y}", self.unit)


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _safe_replace_year(day: date, year: int) -> date:
    return day.replace(year=year, day=min(day.day, calendar.monthrange(year, day.month)[1]))


_LAST_N = re.compile(r"\b(?:ultimos|ultimas|pasados|pasadas) (\d{1,4}|[a-z]{2,9}) (dias|semanas|meses|anos)\b")
_MONTH = re.compile(r"\b(" + "|".join(MONTH_ALIASES) + r")(?: (?:de |del )?(\d{4}))?\b")
_YEAR = re.compile(r"\b(?:en |del |de |ano |durante )?(20\d{2}|19\d{2})\b")


def parse_period(text: str, today: date) -> Period | None:
    """The date expression that comes first in a normalised question, or None."""
    text = re.sub(r"\bdias? de la semana\b(?! (?:pasada|anterior))", " ", text)
    found: list[tuple[int, Period]] = []
    for pattern, build in _RULES:
        match = pattern.search(text)
        if match:
            period = build(match, today)
            if period is not None:
                found.append((match.start(), period))
    return min(found, key=lambda f: f[0])[1] if found else None


def _last_n(m: re.Match[str], today: date) -> Period | None:
    amount = int(m.group(1)) if m.group(1).isdigit() else NUMBER_WORDS.get(m.group(1))
    if not amount:
        return None
    unit = m.group(2)
    days = {"dias": 1, "semanas": 7, "meses": 30, "anos": 365}[unit] * amount
    return Period(today - timedelta(days=days - 1), today, f"los últimos {amount} {UNIT_NAMES[unit]}", "days")


def _day(offset: int, label: str) -> Callable[[re.Match[str], date], Period]:
    def build(_m: re.Match[str], today: date) -> Period:
        day = today - timedelta(days=offset)
        return Period(day, day, label, "day")
    return build


def _week(previous: bool) -> Callable[[re.Match[str], date], Period]:
    def build(_m: re.Match[str], today: date) -> Period:
        monday = today - timedelta(days=today.weekday())
        if previous:
            return Period(monday - timedelta(days=7), monday - timedelta(days=1), "la semana pasada", "week")
        return Period(monday, today, "esta semana", "week")
    return build


def _this_month(_m: re.Match[str], today: date) -> Period:
    return Period(today.replace(day=1), today, "este mes", "month")


def _last_month(_m: re.Match[str], today: date) -> Period:
    first = today.replace(day=1)
    return Period(_add_months(first, -1), first - timedelta(days=1), "el mes pasado", "month")


def _this_year(_m: re.Match[str], today: date) -> Period:
    return Period(date(today.year, 1, 1), today, "este año", "year")


def _last_year(_m: re.Match[str], today: date) -> Period:
    return Period(date(today.year - 1, 1, 1), date(today.year - 1, 12, 31), "el año pasado", "year")


def _month(m: re.Match[str], today: date) -> Period:
    month = MONTH_ALIASES[m.group(1)]
    year = int(m.group(2)) if m.group(2) else (today.year if month <= today.month else today.year - 1)
    start = date(year, month, 1)
    end = min(_month_end(start), today) if start <= today else _month_end(start)
    return Period(start, end, f"{MONTHS[month - 1]} de {year}", "month")


def _year(m: re.Match[str], today: date) -> Period:
    year = int(m.group(1))
    return Period(date(year, 1, 1), min(date(year, 12, 31), max(today, date(year, 1, 1))), f"{year}", "year")


def _recent(days: int) -> Callable[[re.Match[str], date], Period]:
    def build(_m: re.Match[str], today: date) -> Period:
        return Period(today - timedelta(days=days - 1), today, f"los últimos {days} días", "days")
    return build


_RULES: list[tuple[re.Pattern[str], Callable[[re.Match[str], date], Period | None]]] = [
    (_LAST_N, _last_n),
    (re.compile(r"\bultima semana\b"), _recent(7)),
    (re.compile(r"\bultimo mes\b"), _recent(30)),
    (re.compile(r"\b(?:antier|antes de ayer)\b"), _day(2, "antier")),
    (re.compile(r"\bayer\b"), _day(1, "ayer")),
    (re.compile(r"\bhoy\b"), _day(0, "hoy")),
    (re.compile(r"\bsemana (?:pasada|anterior)\b"), _week(True)),
    (re.compile(r"\b(?:esta|la) semana\b(?! (?:pasada|anterior))"), _week(False)),
    (re.compile(r"\bmes (?:pasado|anterior)\b"), _last_month),
    (re.compile(r"\b(?:este|el) mes\b(?! (?:pasado|anterior))|\bmes actual\b|\bva del mes\b"), _this_month),
    (re.compile(r"\bano (?:pasado|anterior)\b"), _last_year),
    (re.compile(r"\b(?:este|el) ano\b(?! (?:pasado|anterior))|\bano actual\b|\bva del ano\b"), _this_year),
    (_MONTH, _month),
    (_YEAR, _year),
]


def default_period(today: date) -> Period:
    return Period(today - timedelta(days=29), today, "los últimos 30 días", "days")
