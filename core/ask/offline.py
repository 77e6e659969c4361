"""The offline interpreter: common purchasing questions in Spanish to SQL, without any LLM.

It recognises a kind of question by its words (after folding accents and fixing small typos),
then its parts: a period, an almacén, a categoría or grupo, a product, a count. A follow-up
("¿y el mes pasado?", "solo los de Ferretería") keeps the previous question's parts and changes
the ones it names. What it does not understand it says so, with questions it can answer: it
never guesses.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Connection, select

from core.ask.errors import InvalidQuestion
from core.ask.offline_sql import BUILDERS, DAY_NAMES
from core.ask.parts import Parts
from core.ask.schema import fold
from core.ask.spanish import (
    MONTH_ALIASES,
    NUMBER_WORDS,
    VOCABULARY,
    Period,
    correct,
    default_period,
    normalise,
    number_after,
    parse_period,
)
from core.models import erp_almacenes, erp_productos

EXAMPLES = (
    "¿Qué productos tienen stock bajo?",
    "¿Cuáles son los 10 productos más vendidos del mes pasado?",
    "Ventas por almacén este mes",
    "Ventas por mes este año",
    "Compara las ventas de este mes con el mes pasado",
    "¿Quiénes son los clientes principales de los últimos 30 días?",
    "Productos sin movimiento en 90 días",
    "¿Cuánto vale el inventario por almacén?",
    "¿Qué productos están agotados en Sucursal Zapopan?",
    "¿Cuál es el ticket promedio de esta semana?",
    "Ventas por categoría en enero",
    "¿Qué productos debo reordenar?",
)
TITLES = {
    "ventas_total": "Ventas", "ventas_por_almacen": "Ventas por almacén",
    "ventas_por_categoria": "Ventas por categoría", "ventas_por_grupo": "Ventas por grupo",
    "ventas_por_dia": "Ventas por día", "ventas_por_semana": "Ventas por semana",
    "ventas_por_mes": "Ventas por mes", "ventas_por_dia_semana": "Ventas por día de la semana",
    "mas_vendidos": "Productos más vendidos", "menos_vendidos": "Productos menos vendidos",
    "ventas_producto": "Ventas del producto", "ticket_promedio": "Ticket promedio",
    "num_documentos": "Número de ventas", "devoluciones": "Devoluciones",
    "clientes_principales": "Clientes principales", "clientes_compraron": "Clientes que compraron",
    "comparacion": "Comparación de ventas", "stock_bajo": "Productos con stock bajo",
    "sin_existencia": "Productos sin existencia", "punto_reorden": "Productos en punto de reorden",
    "sobre_maximo": "Productos sobre el máximo", "inventario_valorizado": "Valor del inventario",
    "inventario_valorizado_almacen": "Valor del inventario por almacén",
    "inventario_valorizado_categoria": "Valor del inventario por categoría",
    "existencia_por_almacen": "Existencia por almacén", "existencia_producto": "Existencia del producto",
    "precio_producto": "Precio del producto", "productos_por_categoria": "Productos por categoría",
    "sin_movimiento": "Productos sin movimiento",
}
SALES_KINDS = frozenset(k for k in BUILDERS if k.startswith("ventas") or k in {
    "mas_vendidos", "menos_vendidos", "ticket_promedio", "num_documentos", "devoluciones",
    "clientes_principales", "clientes_compraron", "comparacion"})
PRODUCT_KINDS = frozenset({"existencia_producto", "precio_producto", "ventas_producto"})
STOCK_KINDS = frozenset(BUILDERS) - SALES_KINDS - {"sin_movimiento", "precio_producto", "productos_por_categoria"}
AMBIGUOUS_PLACE_WORDS = frozenset({"general", "principal", "central", "centro", "norte", "sur", "oriente",
                                   "poniente", "matriz", "nueva", "nuevo"})
GENERIC_PLACE_WORDS = {"almacen", "sucursal", "tienda", "bodega", "de", "del", "la", "el", "los", "las"}
# Words that are not place or product names when they follow "sucursal", "producto", "de"…
STOP = {
    "contra", "vs", "versus", "respecto", "compara", "comparar", "comparacion", "anterior", "cada",
    "de", "del", "la", "el", "los", "las", "en", "y", "o", "a", "al", "con", "por", "para", "que", "cual",
    "cuales", "cuanto", "cuanta", "cuantos", "cuantas", "es", "son", "fue", "fueron", "hay", "han", "ha",
    "se", "me", "mi", "mis", "nos", "lo", "su", "sus", "un", "una", "unos", "unas", "este", "esta", "estos",
    "estas", "ese", "esa", "mas", "menos", "muy", "todo", "todos", "todas", "tiene", "tienen", "tengo",
    "tenemos", "hoy", "ayer", "antier", "dia", "dias", "semana", "semanas", "mes", "meses", "ano", "anos",
    "pasado", "pasada", "actual", "ultimos", "ultimas", "ultimo", "ultima", "durante", "desde",
    "hasta", "va", "lleva", "llevamos", "dame", "muestra", "muestrame", "quiero", "ver", "saber", "dime",
    "actualmente", "ahora", "solo", "solamente", "tambien", "pero", "si", "no",
    "total", "hace", "como", "estan", "queda", "quedan", "existencia", "existencias",
    "stock", "inventario", "producto", "productos", "articulo", "articulos", "venta", "ventas", "vendido",
    "vendidos", "vendimos", "vendio", "vendieron", "precio", "precios", "costo", "cuesta", "cuestan",
    "almacen", "almacenes", "sucursal", "sucursales", "tienda", "bodega", "unidades", "piezas", "importe",
    "vende", "venden", "disponible", "disponibles", "codigo", "clave", "buscar",
}
# Things our data does not hold: a question about them is refused, not answered with something else.
OUT_OF_SCOPE = ("proveedor", "vendedor", "margen", "utilidad", "ganancia", "empleado", "cajero",
                "pronostic", "clima", "nomina", "sueldo", "comision", "presupuesto", "cotizacion",
                "cobranza", "cuentas por cobrar", "credito", "deuda", "usuario", "contrasena", "password",
                "borra", "elimina", "modifica", "actualiza", "inserta", "instruccion", "ignora", "olvida",
                "sistema", "tabla", "sql", "base de datos")
GROUPABLE = {"almacen", "almacenes", "sucursal", "sucursales", "tienda", "tiendas", "bodega", "categoria",
             "categorias", "linea", "lineas", "grupo", "grupos", "dia", "dias", "semana", "semanas", "mes",
             "meses", "fecha", "cliente", "clientes", "producto", "productos", "articulo", "unidades",
             "importe", "cantidad", "debajo", "encima", "arriba", "ano", "anos", "el", "la", "los", "las",
             "ciento", "piezas", "valor", "codigo", "nombre", "ticket", "documento", "venta", "ventas"}
_WEEKDAYS = re.compile(r"\bdias? de la semana\b(?! (?:pasada|anterior))")
_CODE = re.compile(r"\b([a-z]{2,5}-\d{2,6})\b")
_NUM = "(\\d{1,3}|" + "|".join(NUMBER_WORDS) + ")"
_TOP_N = re.compile(r"\b(?:top|primeros|primeras|mejores|principales|peores|los|las) " + _NUM + r"\b")
_N_THINGS = re.compile(r"\b" + _NUM + r" (?:productos|articulos|clientes|mas|menos|mejores|principales|peores)\b")
_DAYS = re.compile(r"\b(\d{1,4}|[a-z]{3,9}) dias\b")
_PLACE = re.compile(r"\b(?:sucursal|almacen|tienda|bodega) ([a-z]{3,20})\b")
_GROUP_BY = re.compile(r"\bpor ([a-z]{3,20})\b")
_PRODUCT_MARK = re.compile(
    r"\b(?:producto|articulo|codigo|clave|existencia de|existencias de|stock de|inventario de|hay de|"
    r"precio de|precio del|cuesta el|cuesta la|cuestan los|cuestan las|cuesta|ventas de|ventas del|"
    r"vendido de|vendido del|vendimos de|vendimos del|vendieron de|vendio de|se vende de|piezas de|"
    r"quedan de|queda de)\b")


@dataclass(frozen=True)
class Vocabulary:
    """Names in the catalog that a question may mention, folded for matching."""

    almacenes: tuple[tuple[int, str, frozenset[str]], ...]
    categorias: tuple[tuple[str, str], ...]  # (name, folded), longest first
    grupos: tuple[tuple[str, str], ...]

    @property
    def words(self) -> frozenset[str]:
        out: set[str] = set()
        for _, _, words in self.almacenes:
            out |= words
        for _, folded in self.categorias + self.grupos:
            out |= {w for w in folded.split() if len(w) >= 5}
        return frozenset(out)


def load_vocabulary(conn: Connection) -> Vocabulary:
    almacenes = tuple(
        (int(i), str(n), frozenset(w for w in normalise(n).split() if w not in GENERIC_PLACE_WORDS))
        for i, n in conn.execute(select(erp_almacenes.c.id, erp_almacenes.c.nombre).order_by(erp_almacenes.c.nombre)))
    cats = {str(c) for c in conn.scalars(select(erp_productos.c.categoria).distinct()) if c}
    grupos = {str(g) for g in conn.scalars(select(erp_productos.c.grupo).distinct()) if g}

    def folded(names: set[str]) -> tuple[tuple[str, str], ...]:
        return tuple(sorted(((n, normalise(n)) for n in names), key=lambda x: (-len(x[1]), x[1])))

    return Vocabulary(almacenes, folded(cats), folded(grupos))


@dataclass(frozen=True)
class Plan:
    sql: str
    explanation: str
    parts: Parts
    title: str


def _has(padded: str, *phrases: str) -> bool:
    return any(" " + p in padded for p in phrases)


def detect_kind(t: str) -> str | None:
    """The kind of question from its words (``t`` is normalised and padded with spaces)."""
    sales = _has(t, "vend", "venta", "factur", "ingreso", "ticket", "documento", "devoluc")
    stock = _has(t, "stock", "existencia", "inventario", "hay de", "cuantos hay", "cuantas hay", "agotad",
                 "quedan", "queda ")
    if _has(t, "compar", "vs ", "versus", "contra el", "contra la", "respecto al", "respecto a la"):
        return "comparacion"
    if _has(t, "ticket promedio", "ticket medio", "venta promedio", "promedio por venta", "promedio por ticket",
            "promedio de venta", "promedio por documento", "valor promedio", "promedio de compra",
            "promedio por compra"):
        return "ticket_promedio"
    if _has(t, "devoluc", "devuelt", "devolvi", "regresaron"):
        return "devoluciones"
    if _has(t, "client") and _has(t, "principal", "mejor", "top", "mas compra", "que mas", "mayores",
                                   "importantes", "compran mas", "compraron mas", "compra mas", "los 5", "los 10"):
        return "clientes_principales"
    if _has(t, "cuantos clientes", "numero de clientes", "clientes distintos", "clientes diferentes",
            "clientes compraron", "clientes han comprado", "cantidad de clientes"):
        return "clientes_compraron"
    if _has(t, "cuantas ventas", "cuantos tickets", "cuantas facturas", "cuantos documentos", "numero de ventas",
            "numero de documentos", "numero de tickets", "cantidad de ventas", "cantidad de tickets",
            "numero de facturas", "cuantas notas", "cuantas operaciones"):
        return "num_documentos"
    if _has(t, "sin movimiento", "sin ventas", "no se han vendido", "no se ha vendido", "no se venden",
            "no se vendieron", "sin rotacion", "no han tenido ventas", "no tienen ventas", "sin vender",
            "no han vendido", "no se han movido", "estancad", "no se mueven", "no rotan", "sin moverse"):
        return "sin_movimiento"
    if _has(t, "sin existencia", "agotad", "sin stock", "en cero", "existencia cero", "stock cero",
            "no hay existencia", "sin inventario", "se acabaron", "existencia en 0", "stock en 0", "en 0 "):
        return "sin_existencia"
    if _has(t, "stock bajo", "bajo minimo", "bajo el minimo", "debajo del minimo", "abajo del minimo",
            "menos del minimo", "menor al minimo", "menor que el minimo", "existencia baja", "inventario bajo",
            "poco stock", "poca existencia", "bajos de stock", "bajos de inventario", "bajo stock",
            "debajo de su minimo", "por debajo", "existencias bajas", "bajas existencias"):
        return "stock_bajo"
    if _has(t, "reorden", "resurtir", "hay que pedir", "debo pedir", "debo comprar", "hay que comprar",
            "tengo que comprar", "necesito comprar", "que comprar", "que pedir", "debemos comprar",
            "debemos pedir", "tengo que pedir"):
        return "punto_reorden"
    if _has(t, "sobre el maximo", "arriba del maximo", "encima del maximo", "mas del maximo", "exceso",
            "sobreinventario", "sobre inventario", "sobrestock", "sobre stock", "excede", "mayor al maximo",
            "sobrepasa", "por encima", "de mas"):
        return "sobre_maximo"
    if _has(t, "valor del inventario", "valor de inventario", "valorizado", "vale el inventario",
            "valor de las existencias", "valor de existencias", "valor del stock", "dinero en inventario",
            "costo del inventario", "valor total del inventario", "valen las existencias", "vale mi inventario"):
        if _has(t, "por almacen", "por sucursal", "cada almacen", "cada sucursal", "por bodega", "por tienda"):
            return "inventario_valorizado_almacen"
        if _has(t, "por categoria", "por linea", "cada categoria", "cada linea"):
            return "inventario_valorizado_categoria"
        return "inventario_valorizado"
    if _has(t, "precio", "cuanto cuesta", "cuanto cuestan", "costo de", "costo del", "a como") and not sales:
        return "precio_producto"
    if _has(t, "cuantos productos", "cuantos articulos", "numero de productos", "cantidad de productos") \
            and not sales and not stock:
        return "productos_por_categoria"
    if _WEEKDAYS.search(t) and sales:
        return "ventas_por_dia_semana"
    if _has(t, "menos vendid", "menos se vend", "peores", "que menos", "menor venta", "menos venta",
            "menos populares", "menos vendi", "venden menos", "vende menos", "vendieron menos"):
        return "menos_vendidos"
    if _has(t, "mas vendid", "mas se vend", "mejores productos", "productos estrella", "top", "mas venta",
            "que mas vend", "mas populares", "venden mas", "vende mas", "vendieron mas", "mayor venta", "mas vendi", "mas salida", "mejor vendid"):
        return "mas_vendidos"
    if sales or _has(t, "por dia", "por semana", "por mes"):
        if _has(t, "por almacen", "por sucursal", "cada sucursal", "cada almacen", "por tienda", "por bodega",
                "cada tienda"):
            return "ventas_por_almacen"
        if _has(t, "por categoria", "por linea", "cada categoria", "cada linea"):
            return "ventas_por_categoria"
        if _has(t, "por grupo", "cada grupo"):
            return "ventas_por_grupo"
        if _WEEKDAYS.search(t):
            return "ventas_por_dia_semana"
        if _has(t, "por dia", "diari", "cada dia", "dia por dia", "por fecha"):
            return "ventas_por_dia"
        if _has(t, "por semana", "semanal", "cada semana", "semana por semana"):
            return "ventas_por_semana"
        if _has(t, "por mes", "mensual", "cada mes", "mes por mes"):
            return "ventas_por_mes"
        return "ventas_total"
    if stock:
        if _has(t, "por almacen", "por sucursal", "cada almacen", "cada sucursal", "por bodega", "por tienda"):
            return "existencia_por_almacen"
        return "existencia_producto"
    return None


# Courtesy and question words that carry no meaning for the query.
FILLER = frozenset(["puedes", "puede", "podrias", "podria", "decir", "favor", "gracias", "necesito", "quisiera", "quiero", "ensename", "lista", "listado", "reporte", "informe", "cuales", "cual", "quienes", "quien", "donde", "cuando", "como", "hubo", "tuvimos", "tuvo", "hicimos", "llevamos", "van", "fueron", "tenemos", "hay", "son", "estan", "esta", "estuvo", "han", "sido", "seria", "sera", "mas", "menos", "entre", "tiempo", "periodo", "actualmente", "ahora", "mismo", "todavia", "aun", "favor", "porfavor", "hola", "buenos", "buenas", "dias", "tardes", "mostrar", "muestrame", "dime", "dame", "ver", "saber", "conocer", "cuanta", "cuantos", "cuantas", "cuanto", "fue", "dinero", "pesos", "total", "totales", "general", "resumen", "nos", "tengo", "tiene", "tienen", "tenido", "tienen", "vendimos", "vendio", "vendieron", "venden", "vende", "vendido", "vendidos", "vendidas", "vender", "compraron", "compran", "compro", "comprar", "compra", "compras", "pedido", "piden", "producto", "productos", "articulos", "articulo", "cosa", "cosas", "valen", "vale", "cuesta", "cuestan", "importe", "monto", "montos", "nivel", "niveles", "estado", "situacion", "alto", "alta", "altos", "altas", "bajos", "bajas", "bajo", "baja", "numero", "cantidad", "top", "veces", "mucho", "mucha", "muchos", "muchas", "poco", "poca", "pocos", "pocas", "punto", "hubo", "habido", "llevo", "lleva", "tiempo", "mejor", "peor", "primeros", "primeras", "ultimos", "ultimas", "siguientes", "productos"])


def _known_words() -> frozenset[str]:
    """Every word of the phrases detect_kind reacts to (its string constants)."""
    words: set[str] = set()
    for const in detect_kind.__code__.co_consts:
        if isinstance(const, str):
            words |= {w for w in const.split() if len(w) >= 3}
    return frozenset(words)


def _unknown_words(text: str, vocab: Vocabulary, used: set[str]) -> list[str]:
    """Words of the question that nothing here accounts for: a sign we would be guessing."""
    known = KNOWN_WORDS | STOP | VOCABULARY | GROUPABLE | FILLER | set(NUMBER_WORDS) | set(MONTH_ALIASES) | used
    names = set(vocab.words)
    for _, _, words in vocab.almacenes:
        names |= words
    for _, folded in vocab.categorias + vocab.grupos:
        names |= set(folded.split())
    out = []
    for word in text.split():
        if len(word) <= 2 or word.isdigit() or word in known or word in names or _CODE.fullmatch(word):
            continue
        if word.rstrip("s") in known or word.rstrip("s") in names or any(
                word.startswith(k) for k in KNOWN_PREFIXES):
            continue
        out.append(word)
    return out


def _not_understood(question: str, detail: str = "") -> InvalidQuestion:
    q = normalise(question)
    ranked = difflib.get_close_matches(q, [normalise(e) for e in EXAMPLES], n=3, cutoff=0.0)
    by_norm = {normalise(e): e for e in EXAMPLES}
    suggestions = [by_norm[r] for r in ranked] or list(EXAMPLES[:3])
    message = "No entendí la pregunta" + (f": {detail}" if detail else ".")
    message += " Puedo responder, por ejemplo: " + " · ".join(suggestions)
    return InvalidQuestion(message, rule="no_entendida", suggestions=suggestions)


def _find_almacen(t: str, vocab: Vocabulary) -> tuple[int, str] | None | str:
    """The almacén named (id, name), None, or the unknown name that followed 'sucursal'/'almacén'.

    A name's own word alone ("zapopan") is enough unless it is a common word ("general",
    "centro"…): then the whole name must be written ("almacén general").
    """
    words = set(t.split())
    for almacen_id, name, _ in vocab.almacenes:
        if f" {normalise(name)} " in t:
            return (almacen_id, name)
    for almacen_id, name, distinct in vocab.almacenes:
        telling = distinct - AMBIGUOUS_PLACE_WORDS
        if telling and telling & words:
            return (almacen_id, name)
    for found in _PLACE.finditer(t):
        word = found.group(1)
        owners = [(i, n) for i, n, d in vocab.almacenes if word in d]
        if len(owners) == 1:
            return owners[0]
        if word not in STOP and word not in VOCABULARY and not owners:
            return word
    return None


def _find_name(t: str, names: tuple[tuple[str, str], ...]) -> str | None:
    for name, folded in names:
        variants = {folded, folded.rstrip("s"), folded + "s"}
        if any(f" {v} " in t for v in variants if v):
            return name
    return None


def _product_terms(t: str, vocab: Vocabulary, almacen: str | None, categoria: str | None) -> str | None:
    """The words naming a product: what follows a product marker, without dates, places or filler."""
    found = None
    for match in _PRODUCT_MARK.finditer(t):
        found = match  # the last marker: the product's name follows it
    if found is None:
        return None
    rest = t[found.end():].split()
    skip = set(STOP) | set(NUMBER_WORDS) | set(MONTH_ALIASES) | GROUPABLE
    for _, _, place_words in vocab.almacenes:
        skip |= place_words
    if categoria:
        skip |= set(normalise(categoria).split())
    kept = [w for w in rest if w not in skip and not (w.isdigit() and len(w) == 4)]
    return " ".join(kept) or None


def _match_products(conn: Connection, code: str | None, terms: str | None) -> tuple[int, ...]:
    if code:
        rows = conn.execute(select(erp_productos.c.id, erp_productos.c.codigo)).all()
        return tuple(i for i, c in rows if fold(c) == code)
    if not terms:
        return ()
    words = terms.split()
    named = conn.execute(select(erp_productos.c.id, erp_productos.c.nombre, erp_productos.c.codigo)).all()
    out = []
    for product_id, nombre, codigo in named:
        name = normalise(nombre)
        if all(w in name or w == fold(codigo) for w in words):
            out.append(int(product_id))
    return tuple(sorted(out))


def interpret(question: str, *, conn: Connection, dialect: str, today: date | None = None,
              previous: Parts | None = None, vocab: Vocabulary | None = None) -> Plan:
    """A plan (SQL, explanation, parts) for a question, or InvalidQuestion saying it was not understood."""
    today = today or date.today()
    vocab = vocab or load_vocabulary(conn)
    raw = normalise(question)
    text = correct(raw, vocab.words)
    t = f" {text} "
    for word in OUT_OF_SCOPE:
        if f" {word}" in t or f" {word}" in f" {raw} ":
            raise _not_understood(question, f"no tengo datos sobre «{word}» o no es una consulta de lectura.")
    kind = detect_kind(t)
    follow_up = previous is not None and (
        re.match(r"(?:y|solo|solamente|ahora|pero|tambien|mejor|e) ", text) is not None or kind is None)
    for found in _GROUP_BY.finditer(text):
        if found.group(1) not in GROUPABLE and found.group(1) not in STOP and found.group(1) != "favor":
            raise _not_understood(question, f"no sé agrupar «por {found.group(1)}».")

    period = parse_period(text, today)
    almacen = _find_almacen(t, vocab)
    if isinstance(almacen, str):
        names = ", ".join(n for _, n, _ in vocab.almacenes)
        raise InvalidQuestion(f"No encontré el almacén «{almacen}». Los almacenes son: {names}.",
                              rule="almacen_desconocido")
    categoria = _find_name(t, vocab.categorias)
    grupo = None if categoria else _find_name(t, vocab.grupos)
    n = number_after(text, _TOP_N) or number_after(text, _N_THINGS)
    days = number_after(text, _DAYS)
    all_places = _has(t, "todos los almacenes", "todas las sucursales", "todas las tiendas", "en total")

    if follow_up and previous is not None:
        base = previous if kind is None else previous.with_(kind=kind)
        if kind is None and not any((period, almacen, categoria, grupo, n, days, all_places)):
            raise _not_understood(question)
    elif kind is None:
        raise _not_understood(question)
    else:
        base = Parts(kind=kind)
    assert base.kind in BUILDERS
    parts = base
    if period is not None:
        parts = parts.with_(period=period)
    if almacen is not None:
        parts = parts.with_(almacen=almacen)
    elif all_places:
        parts = parts.with_(almacen=None)
    if categoria:
        parts = parts.with_(categoria=categoria, grupo=None)
    elif grupo:
        parts = parts.with_(grupo=grupo, categoria=None)
    if n:
        parts = parts.with_(n=n)
    if _has(t, "unidades", "piezas", "cantidad"):
        parts = parts.with_(metric="unidades")
    elif _has(t, "importe", "dinero", "pesos"):
        parts = parts.with_(metric="importe")
    if parts.kind == "sin_movimiento" and (days or period is None) and not (period and not days):
        span = days or 90
        parts = parts.with_(period=Period(today - timedelta(days=span - 1), today,
                                          f"los últimos {span} días", "days"))
    if parts.kind in SALES_KINDS and parts.period is None:
        parts = parts.with_(period=default_period(today))

    code = _CODE.search(text)
    wants_product = parts.kind in PRODUCT_KINDS or (parts.kind in SALES_KINDS and _PRODUCT_MARK.search(text))
    if wants_product and not (follow_up and parts.productos and not code and kind is None):
        terms = _product_terms(t, vocab, almacen if isinstance(almacen, str) else None, categoria or grupo)
        if code or terms:
            ids = _match_products(conn, code.group(1) if code else None, None if code else terms)
            label = code.group(1).upper() if code else terms
            if not ids:
                raise InvalidQuestion(f"No encontré productos que coincidan con «{label}».",
                                      rule="producto_desconocido")
            parts = parts.with_(productos=ids, producto_texto=label)
            if parts.kind in SALES_KINDS and parts.kind not in {"ventas_producto", "comparacion"}:
                parts = parts.with_(kind="ventas_producto")
        elif parts.kind in PRODUCT_KINDS and not parts.productos:
            if parts.kind == "existencia_producto" and not (parts.categoria or parts.grupo or parts.almacen):
                raise _not_understood(question, "¿de qué producto? Escriba su clave o parte de su nombre.")
            if parts.kind in {"precio_producto", "ventas_producto"}:
                raise _not_understood(question, "¿de qué producto? Escriba su clave o parte de su nombre.")
    used = set((parts.producto_texto or "").lower().split()) if parts.productos else set()
    unknown = _unknown_words(text, vocab, used)
    if unknown:
        raise _not_understood(question, f"no sé qué significa «{' '.join(unknown[:3])}» en esta pregunta.")
    sql = BUILDERS[parts.kind](parts, dialect)
    return Plan(sql=sql, explanation=explain(parts), parts=parts, title=TITLES[parts.kind])


def explain(parts: Parts) -> str:
    """One Spanish sentence: what the SQL computes, with its period and filters."""
    text = TITLES[parts.kind]
    if parts.kind in {"mas_vendidos", "menos_vendidos"}:
        text = f"Los {parts.n or 10} " + text[0].lower() + text[1:] + (
            " por unidades" if parts.metric == "unidades" else " por importe")
    if parts.producto_texto:
        text += f" «{parts.producto_texto}»"
    if parts.period is not None and (parts.kind in SALES_KINDS or parts.kind == "sin_movimiento"):
        text += (f": {parts.period.label} ({parts.period.start:%d/%m/%Y} – {parts.period.end:%d/%m/%Y})")
        if parts.kind == "comparacion":
            prev = parts.period.previous()
            text += f" contra {prev.label} ({prev.start:%d/%m/%Y} – {prev.end:%d/%m/%Y})"
    filters = []
    if parts.almacen:
        filters.append(f"almacén {parts.almacen[1]}")
    if parts.categoria:
        filters.append(f"categoría {parts.categoria}")
    if parts.grupo:
        filters.append(f"grupo {parts.grupo}")
    if filters:
        text += "; " + ", ".join(filters)
    if parts.kind in SALES_KINDS:
        text += ". Importes netos antes de IVA, sin documentos cancelados; las devoluciones restan."
    elif parts.kind in STOCK_KINDS:
        text += ". Existencia actual de productos activos."
    else:
        text += "."
    return text


KNOWN_WORDS = _known_words()
KNOWN_PREFIXES = tuple(sorted(w for w in KNOWN_WORDS if len(w) >= 4))

__all__ = ["DAY_NAMES", "EXAMPLES", "Plan", "Vocabulary", "interpret", "load_vocabulary"]
