"""The sync engine: ERP source -> our erp_* tables, through the one upsert path.

Order: almacenes+productos, inventario, clientes, ventas (later entities map ERP ids
of earlier ones). Catalogs and stock are full snapshots on every run; sales documents are
incremental by ``modificado_en`` from the last successful watermark minus a look-back
window, because Microsip does not always stamp changes. Every batch is one transaction
that also bumps the domain's data version; the watermark is stored with the completed
job row, so it advances only after the last batch committed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from core.config import get_settings
from core.erp import sync_status
from core.erp.pipeline import prefetch
from core.erp.source import ENTITIES, ErpError, ErpSource
from core.erp.sync_load import LOADERS, LoadContext
from core.erp.sync_lock import EntityLock, SyncBusy
from core.erp.sync_status import Counts
from core.errors import ReadableError
from core.scrub import scrub

log = logging.getLogger(__name__)

__all__ = ["ENTITIES", "SyncBusy", "SyncReport", "EntityReport", "run_sync", "get_source",
           "ENTITY_LABELS", "UnknownEntity"]

ENTITY_LABELS = {
    "productos": "productos y almacenes",
    "inventario": "inventario",
    "clientes": "clientes",
    "ventas": "ventas",
}


class UnknownEntity(ReadableError, ValueError):
    """An entity name the sync does not know; the message is in Spanish."""


@dataclass
class EntityReport:
    """Outcome of one entity in one run."""

    entity: str
    status: str
    counts: Counts = field(default_factory=Counts)
    message: str = ""
    job_id: int | None = None
    duration_s: float = 0.0
    retryable: bool = False


@dataclass
class SyncReport:
    """Outcome of a run: per-entity counts, overall status and a Spanish message."""

    status: str
    entities: dict[str, EntityReport]
    message: str

    def as_json(self) -> dict[str, Any]:
        """The CLI's --json object."""
        return {
            "status": self.status,
            "entities": {e: r.counts.as_dict() for e, r in self.entities.items()},
            "message": self.message,
        }

    @property
    def retryable(self) -> bool:
        """True when a failure came from the ERP connection (worth an RQ retry)."""
        return any(r.retryable for r in self.entities.values())


def get_source(name: str | None = None) -> ErpSource:
    """The configured ERP source ("demo" or "firebird")."""
    settings = get_settings()
    name = name or settings.erp_source
    if name == "demo":
        from core.erp.demo import DemoSource

        return DemoSource(scale=settings.demo_scale)
    if name == "firebird":
        from core.erp.microsip import firebird_source

        return firebird_source(settings)
    raise ErpError(f"Origen de datos ERP desconocido: «{name}». Use «demo» o «firebird».")


def normalise_entities(entities: Iterable[str] | str | None) -> tuple[str, ...]:
    """Validated entities in sync order; raises UnknownEntity with a Spanish message."""
    if entities is None:
        return ENTITIES
    wanted = {entities} if isinstance(entities, str) else set(entities)
    unknown = wanted - set(ENTITIES)
    if unknown:
        raise UnknownEntity(
            f"Entidad desconocida: {', '.join(sorted(unknown))}. Use: {', '.join(ENTITIES)}."
        )
    return tuple(e for e in ENTITIES if e in wanted)


def run_sync(
    *,
    source_name: str | None = None,
    entities: Iterable[str] | str | None = ENTITIES,
    full: bool = False,
    trigger: str = "manual",
    user: Any = None,
    job_id: Mapping[str, int] | None = None,
    source: ErpSource | None = None,
    rq_job_id: str | None = None,
    requested_by: int | None = None,
) -> SyncReport:
    """Sync the given entities from the ERP and return the counts per entity.

    ``job_id`` maps entity -> an existing pending sync_jobs row (created by
    ``core.jobs.sync_now``); missing rows are created here. ``source`` overrides the
    configured source (tests, benchmarks).
    """
    if user is not None:
        from core.users import require

        require(user, "sync:trigger")
    wanted = normalise_entities(entities)
    settings = get_settings()
    source_name = source_name or (source.name if source is not None else settings.erp_source)
    pending = dict(job_id or {})
    user_id = getattr(user, "id", None) or requested_by
    reports: dict[str, EntityReport] = {}

    owned = source is None
    try:
        if source is None:
            source = get_source(source_name)
        source.ping()
    except ErpError as exc:
        message = scrub(str(exc))
        for entity in wanted:
            row = _job_row(pending.get(entity), entity, trigger, source_name, full, rq_job_id, user_id)
            sync_status.finish(row, status="failed", counts=Counts(), error=message)
            reports[entity] = EntityReport(entity, "failed", message=message, job_id=row,
                                           retryable=True)
        if owned and source is not None:
            _close(source)
        return _summary(reports)

    # A Microsip reader built from the settings can be built again in a reader process.
    process_reader = "core.erp.microsip:source_from_settings" if owned and source_name == "firebird" else None
    try:
        for entity in wanted:
            reports[entity] = _run_entity(
                entity, source=source, source_name=source_name, full=full, trigger=trigger,
                row_id=pending.get(entity), rq_job_id=rq_job_id, user_id=user_id,
                process_reader=process_reader,
            )
    finally:
        if owned:
            _close(source)
    return _summary(reports)


def _run_entity(
    entity: str, *, source: ErpSource, source_name: str, full: bool, trigger: str,
    row_id: int | None, rq_job_id: str | None, user_id: int | None,
    process_reader: str | None = None,
) -> EntityReport:
    label = ENTITY_LABELS[entity]
    lock = EntityLock(entity)
    if not lock.acquire():
        message = f"Ya hay una sincronización de {label} en curso; esta solicitud no se inició."
        if row_id is not None and _is_pending(row_id):
            sync_status.finish(row_id, status="failed", counts=Counts(), error=message)
        return EntityReport(entity, "busy", message=message, job_id=row_id)
    started = time.perf_counter()
    row = _job_row(row_id, entity, trigger, source_name, full, rq_job_id, user_id)
    counts = Counts()
    try:
        sync_status.fail_stale_running(entity, except_id=row)
        sync_status.mark_running(row)
        ctx = LoadContext(
            entity=entity, source=source, full=full, counts=counts,
            lookback=timedelta(days=get_settings().sync_lookback_days),
            previous_watermark=sync_status.last_watermark(entity),
            expected=sync_status.expected_records(entity, full=full),
            on_batch=lambda c, p: _after_batch(lock, row, c, p),
            prefetch=prefetch,
            process_reader=process_reader,
        )
        outcome = LOADERS[entity](ctx)
        message = _entity_message(label, counts, outcome.notes)
        sync_status.finish(row, status="completed", counts=counts, watermark=outcome.watermark)
        return EntityReport(entity, "completed", counts, message, row,
                            time.perf_counter() - started)
    except ErpError as exc:
        message = scrub(str(exc))
        sync_status.finish(row, status="failed", counts=counts, error=message)
        return EntityReport(entity, "failed", counts, message, row,
                            time.perf_counter() - started, retryable=True)
    except Exception as exc:  # the job row must say what happened, whatever it was
        log.exception("sync of %s failed", entity)
        message = f"Error inesperado al sincronizar {label}: {_first_line(exc)}"
        sync_status.finish(row, status="failed", counts=counts, error=message)
        return EntityReport(entity, "failed", counts, message, row,
                            time.perf_counter() - started)
    finally:
        lock.release()


def _after_batch(lock: EntityLock, row: int, counts: Counts, progress: float) -> None:
    lock.renew()
    sync_status.record_progress(row, counts, progress)


def _job_row(
    row_id: int | None, entity: str, trigger: str, source_name: str, full: bool,
    rq_job_id: str | None, user_id: int | None,
) -> int:
    # A retried RQ job finds its rows already finished: each attempt gets its own row.
    if row_id is not None and _is_pending(row_id):
        return row_id
    return sync_status.create_job(entity, trigger=trigger, source=source_name, full=full,
                                  rq_job_id=rq_job_id, user_id=user_id)


def _is_pending(row_id: int) -> bool:
    job = sync_status.get_job(row_id)
    return job is not None and job["status"] == "pending"


def _entity_message(label: str, counts: Counts, notes: list[str]) -> str:
    text = (f"{label.capitalize()}: {counts.processed:,} procesados, {counts.created:,} nuevos, "
            f"{counts.updated:,} actualizados, {counts.unchanged:,} sin cambios, "
            f"{counts.failed:,} con error")
    return text + ("; " + "; ".join(notes) if notes else "") + "."


def _summary(reports: dict[str, EntityReport]) -> SyncReport:
    failed = [r for r in reports.values() if r.status != "completed"]
    if not failed:
        return SyncReport("completed", reports,
                          "Sincronización completada. " + " ".join(r.message for r in reports.values()))
    first = failed[0]
    return SyncReport("failed", reports,
                      f"Falló la sincronización de {ENTITY_LABELS[first.entity]}: {first.message}")


def _first_line(exc: Exception) -> str:
    from core.db import describe_error

    if spanish := describe_error(exc):
        return spanish
    text = str(exc).strip()
    return scrub(text.splitlines()[0]) if text else type(exc).__name__


def _close(source: ErpSource) -> None:
    try:
        source.close()
    except Exception:  # closing a broken connection must not hide the real outcome
        log.debug("closing the ERP source failed", exc_info=True)


def since_for(previous: datetime | None, lookback: timedelta) -> datetime | None:
    """Start of an incremental document window (None = everything)."""
    return previous - lookback if previous is not None else None
