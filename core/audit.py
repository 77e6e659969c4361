"""The audit log: who changed what and when, with the changed fields before and after."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, or_, select

from core import db
from core.models import audit_log
from core.users import User, require

ACTION_LABELS = {"create": "Alta", "update": "Cambio", "delete": "Baja"}
ENTITY_LABELS = {"producto": "Producto"}
MAX_FILTER_CHARS = 100
MAX_ENTRIES = 500


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _json(values: dict[str, Any] | None) -> str | None:
    if values is None:
        return None
    return json.dumps({k: _plain(v) for k, v in values.items()}, ensure_ascii=False, sort_keys=True)


def record(conn: Connection, actor: User, *, entity: str, entity_id: Any, label: str | None,
           action: str, before: dict[str, Any] | None, after: dict[str, Any] | None) -> None:
    """Write one audit row inside the caller's transaction (the change and its record commit together)."""
    conn.execute(audit_log.insert().values(
        # The CLI operator (id 0) has no account row; its e-mail still says who it was.
        user_id=actor.id or None, user_email=actor.email, user_name=actor.name,
        entity=entity, entity_id=str(entity_id), entity_label=label, action=action,
        before=_json(before), after=_json(after), created_at=datetime.now(),
    ))


@dataclass(frozen=True)
class AuditFilter:
    """Optional entity kind and free text (who, or the entity's label); newest first."""

    entity: str | None = None
    text: str | None = None
    limit: int = 200


def entries(actor: User, f: AuditFilter = AuditFilter()) -> list[dict[str, Any]]:
    """Audit rows for the admin, newest first, with before/after decoded."""
    require(actor, "audit:read")
    query = select(audit_log).order_by(audit_log.c.created_at.desc(), audit_log.c.id.desc())
    if f.entity:
        query = query.where(audit_log.c.entity == f.entity)
    needle = (f.text or "").strip()[:MAX_FILTER_CHARS].lower()
    if needle:
        # LIKE with escaped wildcards: linear in the text, whatever a person types.
        pattern = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(func.lower(audit_log.c.user_email).like(pattern, escape="\\"),
                                func.lower(audit_log.c.entity_label).like(pattern, escape="\\")))
    query = query.limit(max(1, min(f.limit, MAX_ENTRIES)))
    with db.get_engine().connect() as conn:
        rows = conn.execute(query).mappings().all()
    return [{**r, "before": json.loads(r["before"]) if r["before"] else None,
             "after": json.loads(r["after"]) if r["after"] else None} for r in rows]
