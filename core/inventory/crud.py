"""Create, edit, deactivate and delete products, with the seed's ProductoSchema rules and an audit row each."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Connection, exists, func, select
from sqlalchemy.exc import IntegrityError

from core import audit, db
from core.inventory.detail import find
from core.inventory.errors import Conflict, invalid
from core.inventory.listing import INV, D, P, producto_rows
from core.models import forecast_models, purchase_settings
from core.users import User, require

# field -> (label, max length, required)
TEXT_FIELDS = {
    "codigo": ("El código", 50, True), "nombre": ("El nombre", 255, True),
    "descripcion": ("La descripción", 2000, False), "categoria": ("La categoría", 100, False),
    "grupo": ("El grupo", 100, False), "unidad_medida": ("La unidad de medida", 20, False),
    "notas": ("Las notas", 2000, False),
}
MONEY_FIELDS = {"precio": "El precio", "costo": "El costo"}
MONEY_MAX = Decimal("1e12")  # erp_productos.precio is NUMERIC(15, 2)
MONEY_INPUT_CHARS = 30
FIELDS = (*TEXT_FIELDS, *MONEY_FIELDS, "activo")
# What the ERP sync writes on every run: changing it here would be undone by the next sync.
ERP_OWNED = frozenset({"codigo", "nombre", "descripcion", "precio", "costo", "categoria", "grupo",
                       "unidad_medida", "activo"})
ERP_OWNED_MESSAGE = ("Viene de Microsip: la próxima sincronización lo sobrescribiría. "
                     "Cámbielo en Microsip.")


def editable_fields(origen: str) -> tuple[str, ...]:
    """Fields a person may change on a product of this origen."""
    return tuple(f for f in FIELDS if origen != "erp" or f not in ERP_OWNED)


def _money(label: str, value: Any) -> tuple[Decimal | None, str | None]:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    if isinstance(value, bool):
        return None, f"{label} debe ser un número."
    if isinstance(value, str):
        if len(value) > MONEY_INPUT_CHARS:
            return None, f"{label} debe ser un número mayor o igual a 0."
        value = value.strip().replace(",", "").removeprefix("$")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None, f"{label} debe ser un número mayor o igual a 0."
    if not amount.is_finite() or amount < 0:
        return None, f"{label} debe ser un número mayor o igual a 0."
    if amount >= MONEY_MAX:
        return None, f"{label} es demasiado grande."
    return amount.quantize(Decimal("0.01")) if label == "El precio" else amount, None


def validate(values: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    """Clean values or Invalid (422) with one Spanish message per field. Lengths are checked
    before anything else is done with a text."""
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise invalid({f: "Campo desconocido." for f in sorted(unknown)})
    clean: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for field, (label, max_len, required) in TEXT_FIELDS.items():
        if field not in values:
            if required and not partial:
                errors[field] = f"{label} es obligatorio."
            continue
        value = values[field]
        if value is not None and not isinstance(value, str):
            errors[field] = f"{label} debe ser texto."
            continue
        if value is not None and len(value) > max_len * 4:  # far too long: do not even strip it
            errors[field] = f"{label} admite hasta {max_len} caracteres."
            continue
        text = (value or "").strip()
        if required and not text:
            errors[field] = f"{label} es obligatorio."
        elif len(text) > max_len:
            errors[field] = f"{label} admite hasta {max_len} caracteres."
        else:
            clean[field] = text or None
    for field, label in MONEY_FIELDS.items():
        if field in values:
            amount, error = _money(label, values[field])
            if error:
                errors[field] = error
            else:
                clean[field] = amount
    if "activo" in values:
        if isinstance(values["activo"], bool):
            clean["activo"] = values["activo"]
        else:
            errors["activo"] = "Activo debe ser verdadero o falso."
    elif not partial:
        clean["activo"] = True
    if errors:
        raise invalid(errors)
    return clean


def _duplicate(conn: Connection, codigo: str, *, other_than: int | None = None) -> bool:
    query = select(P.c.id).where(func.lower(P.c.codigo) == codigo.lower())
    if other_than is not None:
        query = query.where(P.c.id != other_than)
    return conn.execute(query).first() is not None


def _duplicate_error(codigo: str) -> Conflict:
    return Conflict(f"Ya existe un producto con el código {codigo}.",
                    fields={"codigo": f"Ya existe un producto con el código {codigo}."})


def create_producto(user: User, values: dict[str, Any]) -> dict[str, Any]:
    """A new product of origen 'local' (POST /api/inventory): 422 invalid, 409 duplicate código."""
    require(user, "inventory:write")
    clean = validate(values, partial=False)
    try:
        with db.begin() as conn:
            if _duplicate(conn, clean["codigo"]):
                raise _duplicate_error(clean["codigo"])
            now = datetime.now()
            new_id = conn.execute(P.insert().values(**clean, origen="local", created_at=now, updated_at=now)
                                  .returning(P.c.id)).scalar_one()
            audit.record(conn, user, entity="producto", entity_id=new_id, label=clean["codigo"],
                         action="create", before=None, after=clean)
            db.bump_version(conn, "catalog")
    except IntegrityError as exc:  # a concurrent create of the same código
        raise _duplicate_error(clean["codigo"]) from exc
    return _fresh(new_id)


def update_producto(user: User, ref: int | str, values: dict[str, Any]) -> dict[str, Any]:
    """Change some fields (PUT /api/inventory/:id); ERP-owned fields of an ERP product are refused."""
    require(user, "inventory:write")
    clean = validate(values, partial=True)
    try:
        with db.begin() as conn:
            row = find(conn, ref)
            changed = {k: v for k, v in clean.items() if _differs(row._mapping[k], v)}
            if row.origen == "erp":
                owned = {k: ERP_OWNED_MESSAGE for k in changed if k in ERP_OWNED}
                if owned:
                    raise invalid(owned)
            if not changed:
                return producto_rows(conn, [row.id])[0]
            if "codigo" in changed and _duplicate(conn, changed["codigo"], other_than=row.id):
                raise _duplicate_error(changed["codigo"])
            conn.execute(P.update().where(P.c.id == row.id).values(**changed, updated_at=datetime.now()))
            audit.record(conn, user, entity="producto", entity_id=row.id,
                         label=changed.get("codigo", row.codigo), action="update",
                         before={k: row._mapping[k] for k in changed}, after=changed)
            db.bump_version(conn, "catalog")
    except IntegrityError as exc:
        raise _duplicate_error(str(clean.get("codigo"))) from exc
    return _fresh(row.id)


def _differs(old: Any, new: Any) -> bool:
    if isinstance(old, Decimal | float | int) and not isinstance(old, bool) and new is not None:
        return Decimal(str(old)) != Decimal(str(new))
    return old != new


def deactivate_producto(user: User, ref: int | str) -> dict[str, Any]:
    """activo = false: what a referenced product gets instead of a delete."""
    return update_producto(user, ref, {"activo": False})


def delete_producto(user: User, ref: int | str) -> str:
    """Delete (DELETE /api/inventory/:id): 404 unknown, 409 from the ERP or referenced by stock,
    sales, forecasts or purchase settings. Returns the deleted código."""
    require(user, "inventory:write")
    with db.begin() as conn:
        row = find(conn, ref)
        if row.origen == "erp":
            raise Conflict(f"No se puede eliminar el producto {row.codigo}: viene de Microsip y la "
                           "próxima sincronización lo volvería a traer. Elimínelo o desactívelo en Microsip.")
        referenced = conn.execute(select(
            exists().where(INV.c.producto_id == row.id) | exists().where(D.c.producto_id == row.id)
            | exists().where(forecast_models.c.producto_id == row.id)
            | exists().where(purchase_settings.c.producto_id == row.id))).scalar()
        if referenced:
            raise Conflict(f"No se puede eliminar el producto {row.codigo}: tiene existencias, ventas o "
                           "pronósticos registrados. Puede desactivarlo en su lugar.")
        before = {k: row._mapping[k] for k in FIELDS}
        conn.execute(P.delete().where(P.c.id == row.id))
        audit.record(conn, user, entity="producto", entity_id=row.id, label=row.codigo,
                     action="delete", before=before, after=None)
        db.bump_version(conn, "catalog")
    return row.codigo


def _fresh(producto_id: int) -> dict[str, Any]:
    with db.get_engine().connect() as conn:
        return producto_rows(conn, [producto_id])[0]
