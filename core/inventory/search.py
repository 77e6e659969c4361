"""Typo-tolerant search over código and nombre: pg_trgm on PostgreSQL, the same idea in Python on SQLite.

A row matches when its código without dashes or spaces starts with what was typed (also without
them), or when every typed word is similar enough to a word of "código nombre" (trigram word
similarity, accents and case folded). Rank: exact código 2, código prefix 1, plus the similarity.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import Connection, and_, bindparam, case, func, literal_column, or_
from sqlalchemy.sql import ColumnElement

from core.inventory.errors import Invalid

MAX_SEARCH_CHARS = 100
MAX_WORDS = 8
# The word similarity a typed word needs. pg_trgm's default, 0.6, misses one wrong letter in
# the middle of a long word ("galvanisado" scores 0.6 against "galvanizado", "tornilo" 0.75).
WORD_THRESHOLD = 0.5

# Keep in step with migration 0008: an index serves a query only when the expressions match.
FOLD_FROM = "ÁÀÂÄÃÉÈÊËÍÌÎÏÓÒÔÖÕÚÙÛÜÑÇáàâäãéèêëíìîïóòôöõúùûüñç"
FOLD_TO = "AAAAAEEEEIIIIOOOOOUUUUNCaaaaaeeeeiiiiooooouuuunc"
DOC_SQL = (f"lower(translate(erp_productos.codigo || ' ' || erp_productos.nombre, "
           f"'{FOLD_FROM}', '{FOLD_TO}'))")
CODE_SQL = "regexp_replace(lower(erp_productos.codigo), '[^a-z0-9]', '', 'g')"

_WORD = re.compile(r"[a-z0-9]+")  # one character class, no nesting: linear time on any input


def fold(text: str) -> str:
    """Lower case without accents ("Ñandú" -> "nandu")."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


@dataclass(frozen=True)
class SearchTerms:
    text: str  # the folded words, space separated
    words: tuple[str, ...]
    code: str  # the same characters as one código without separators


def parse(query: str | None) -> SearchTerms | None:
    """The words of a search, or None when there is nothing to search for."""
    if not query:
        return None
    if len(query) > MAX_SEARCH_CHARS:  # checked before any work on the text
        raise Invalid(f"La búsqueda admite hasta {MAX_SEARCH_CHARS} caracteres.",
                      fields={"search": f"Hasta {MAX_SEARCH_CHARS} caracteres."})
    words = tuple(_WORD.findall(fold(query)))[:MAX_WORDS]
    if not words:
        return None
    return SearchTerms(" ".join(words), words, "".join(words))


# ---------------------------------------------------------------- PostgreSQL


def pg_prepare(conn: Connection) -> None:
    """Set this transaction's word-similarity threshold for the `<%` operator."""
    conn.exec_driver_sql("SELECT set_config('pg_trgm.word_similarity_threshold', %s, true)",
                         (str(WORD_THRESHOLD),))


def pg_match(t: SearchTerms) -> tuple[ColumnElement[bool], ColumnElement[float]]:
    """WHERE condition and rank for PostgreSQL; both use the GIN trigram indexes of migration 0008."""
    doc: ColumnElement[str] = literal_column(DOC_SQL)
    code: ColumnElement[str] = literal_column(CODE_SQL)
    prefix = t.code + "%"  # only [a-z0-9]: no LIKE wildcard can come from the user
    words = [bindparam(f"w{i}", w).op("<%")(doc) for i, w in enumerate(t.words)]
    cond = or_(code.like(prefix), and_(*words))
    rank = case((code == t.code, 2.0), (code.like(prefix), 1.0), else_=0.0) + func.word_similarity(t.text, doc)
    return cond, rank


# ---------------------------------------------------------------- SQLite (and the reference)


def _trigrams(word: str) -> list[str]:
    padded = f"  {word} "  # pg_trgm's padding: two blanks before a word, one after
    return [padded[i:i + 3] for i in range(len(padded) - 2)]


@lru_cache(maxsize=65536)
def word_similarity(typed: str, word: str) -> float:
    """pg_trgm's word_similarity of one typed word against one word of the text: the best
    shared / (typed trigrams + extent - shared) over the extents of ``word``'s trigrams
    (pg_trgm also tries extents across words; one word is enough for a catalog's names)."""
    wanted = set(_trigrams(typed))
    target = _trigrams(word)
    hits = [i for i, t in enumerate(target) if t in wanted]
    best = 0.0
    for a, start in enumerate(hits):
        seen: set[str] = set()
        for end in hits[a:]:
            seen.add(target[end])
            shared = len(seen)
            best = max(best, shared / (len(wanted) + (end - start + 1) - shared))
    return best


@lru_cache(maxsize=65536)
def _doc(codigo: str, nombre: str) -> tuple[str, tuple[str, ...]]:
    return "".join(_WORD.findall(fold(codigo))), tuple(_WORD.findall(fold(f"{codigo} {nombre}")))


def ranker(t: SearchTerms) -> Callable[[str | None, str | None], float | None]:
    """rank(codigo, nombre): the same rule in Python, None when the row does not match."""

    def rank(codigo: str | None, nombre: str | None) -> float | None:
        code, words = _doc(codigo or "", nombre or "")
        base = 2.0 if code == t.code else 1.0 if code.startswith(t.code) else 0.0
        scores = [max((word_similarity(q, w) for w in words), default=0.0) for q in t.words]
        if base == 0.0 and min(scores) < WORD_THRESHOLD:
            return None
        return base + sum(scores) / len(scores)

    return rank


def sqlite_match(conn: Connection, t: SearchTerms) -> tuple[ColumnElement[bool], ColumnElement[float]]:
    """WHERE condition and rank for SQLite: a Python function registered on this connection."""
    raw = conn.connection.driver_connection
    assert raw is not None  # a live sqlite3 connection, checked out for this query
    raw.create_function("dc_rank", 2, ranker(t), deterministic=True)
    rank = func.dc_rank(literal_column("erp_productos.codigo"), literal_column("erp_productos.nombre"))
    return rank.is_not(None), rank


def match(conn: Connection, t: SearchTerms) -> tuple[ColumnElement[bool], ColumnElement[float]]:
    if conn.dialect.name == "postgresql":
        pg_prepare(conn)
        return pg_match(t)
    return sqlite_match(conn, t)
