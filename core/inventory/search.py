"""Typo-tolerant search over código and nombre, the same rule on PostgreSQL (SQL) and SQLite (Python).

A row matches when its código without dashes or spaces starts with what was typed (also without
them), or when every typed word is similar enough (pg_trgm's word similarity >= WORD_THRESHOLD) to
some word of its "código nombre", accents and case folded. Rank: exact código 2, código prefix 1,
plus the mean over typed words of the best similarity found.

PostgreSQL (migration 0008): each typed word's similar words come from the catalog's word list
(erp_productos_palabras, pg_trgm GIN); products are then found by ``palabras && those words``
(GIN, exact) and ranked by which of them they hold, so no product's text is scored row by row.
An unfiltered search's first pages take a shorter path to the same result
(``core.inventory.first_page``, with migration 0013's word postings for one typed word).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import (
    Connection,
    Float,
    Text,
    and_,
    bindparam,
    case,
    func,
    literal,
    literal_column,
    or_,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql import ColumnElement

from core.db import TRGM_WORD_THRESHOLD
from core.inventory.errors import Invalid

MAX_SEARCH_CHARS = 100
MAX_WORDS = 8
WORD_THRESHOLD = TRGM_WORD_THRESHOLD  # PostgreSQL sessions start with it (core.db)
# Similar words kept per typed word (the best ones): a one- or two-character word ("1", "de")
# is similar to thousands of the catalog's words, and the search must stay one short query.
MAX_CANDIDATES = 200

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


def score(value: float) -> float:
    """Similarity as both databases rank it: pg_trgm's float4 and Python's float agree to 4 places."""
    return round(float(value), 4)


# One text for any number of typed words (psycopg prepares it once per connection); each word's
# similar words come from the trigram GIN index through the lateral subquery.
_CANDIDATES = ("SELECT t.i, c.palabra, c.s FROM unnest(%(words)s::text[]) WITH ORDINALITY AS t(w, i) "
               "CROSS JOIN LATERAL (SELECT palabra, word_similarity(t.w, palabra) AS s FROM erp_productos_palabras "
               f"WHERE t.w <%% palabra ORDER BY s DESC, palabra LIMIT {MAX_CANDIDATES}) AS c")


def pg_candidates(conn: Connection, t: SearchTerms) -> list[dict[str, float]]:
    """For each typed word, its similar words of the catalog and their similarity."""
    found: list[dict[str, float]] = [{} for _ in t.words]
    for i, palabra, s in conn.exec_driver_sql(_CANDIDATES, {"words": list(t.words)}):
        found[i - 1][palabra] = score(s)
    return found


# One type instance: SQLAlchemy derives a type's part of the statement cache key once per
# instance, and for ARRAY that cost more than PostgreSQL spends on a search's first page.
_WORDS = ARRAY(Text)
_PALABRAS = literal_column("erp_productos.palabras", type_=_WORDS)


def _holds(words: list[str], name: str) -> ColumnElement[bool]:
    return _PALABRAS.op("&&")(bindparam(name, words, type_=_WORDS))


@dataclass(frozen=True)
class PgMatch:
    """A search's parts over the generated columns and indexes of migration 0008."""

    cond: ColumnElement[bool]  # every match
    rank: ColumnElement[float]
    code: ColumnElement[bool]  # the código-prefix matches (rank >= 1)
    # Rows holding, for every typed word, one of its best-scoring words: the highest rank a row
    # without a código match can have, all equal. None when no typed word can match a word.
    best: ColumnElement[bool] | None
    # Every typed word has a single tier of similar words: code OR best is every match.
    best_is_all: bool


def pg_parts(t: SearchTerms, candidates: list[dict[str, float]]) -> PgMatch:
    """The WHERE conditions and rank of a search (PostgreSQL)."""
    code: ColumnElement[str] = literal_column("erp_productos.codigo_simple", type_=Text)
    upper = t.code[:-1] + chr(ord(t.code[-1]) + 1)  # [a-z0-9] only: the next character exists
    prefix = and_(code >= t.code, code < upper)  # a b-tree range, also with bound parameters
    words_rank: ColumnElement[float] = _float(0.0)  # float8 all along: numeric arithmetic is slower
    best: list[ColumnElement[bool]] = []
    for i, cands in enumerate(candidates):
        tiers: dict[float, list[str]] = {}
        for word, s in cands.items():
            tiers.setdefault(s, []).append(word)
        ordered = sorted(tiers.items(), reverse=True)
        whens = [(_holds(words, f"t{i}_{j}"), _float(s)) for j, (s, words) in enumerate(ordered)]
        if whens:
            words_rank = words_rank + case(*whens, else_=_float(0.0))
            best.append(_holds(ordered[0][1], f"b{i}"))
    all_words = all(candidates)
    if all_words:
        cond = or_(prefix, and_(*[_holds(list(c), f"c{i}") for i, c in enumerate(candidates)]))
    else:  # a typed word like no word of the catalog: only a código can match
        cond = prefix
    rank = (case((code == t.code, _float(2.0)), (prefix, _float(1.0)), else_=_float(0.0))
            + words_rank / _float(len(t.words)))
    return PgMatch(cond=cond, rank=rank, code=prefix, best=and_(*best) if all_words else None,
                   best_is_all=all_words and all(len(set(c.values())) == 1 for c in candidates))


def pg_match(t: SearchTerms, candidates: list[dict[str, float]]) -> tuple[ColumnElement[bool], ColumnElement[float]]:
    """WHERE condition and rank over the generated columns and indexes of migration 0008."""
    m = pg_parts(t, candidates)
    return m.cond, m.rank


def _float(value: float) -> ColumnElement[float]:
    return literal(value, Float)


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
        scores = [score(max((word_similarity(q, w) for w in words), default=0.0)) for q in t.words]
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
        return pg_match(t, pg_candidates(conn, t))
    return sqlite_match(conn, t)
