"""What pages, the CLI and jobs call: preview, confirm (inline or as a job), history, undo."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from core.config import get_settings
from core.db import get_engine
from core.errors import ReadableError
from core.ingest.errors import IngestError
from core.ingest.load import (
    OPERATOR,
    LoadResult,
    already_loaded,
    check_catalog,
    list_uploads,
    load_preview,
    undo_upload,
)
from core.ingest.preview import Preview
from core.ingest.sandbox import analyze_isolated, prestart
from core.users import User, get_user, require

log = logging.getLogger(__name__)

# Files with more data rows than this load as a background job (queue "default").
JOB_ROWS = 20_000
# A staged file older than this belongs to a job that died (see _sweep_staging).
STAGED_MAX_AGE_S = 24 * 3600

# Whoever imports this (the upload page when opened, the CLI, a load job) is about to analyse a
# file: the fork server starts now, while the user picks it, rather than at the first preview.
prestart()

__all__ = [
    "JOB_ROWS", "OPERATOR", "IngestError", "LoadResult", "Preview", "confirm_upload", "list_uploads",
    "preview_upload", "process_upload", "start_upload", "undo_upload",
]


def preview_upload(
    user: User | None,
    data: bytes,
    filename: str,
    *,
    kind: str | None = None,
    store: str | None = None,
    mapping: Mapping[str, int | None] | None = None,
    max_mb: float | None = None,
) -> Preview:
    """Understand a file and say what loading it would do; nothing is written."""
    require(user, "upload:write")
    if kind not in (None, "inventory", "sales"):
        raise IngestError("Tipo de archivo inválido: use «inventory» (inventario) o «sales» (ventas).")
    # Read and understood in a child process with memory, CPU and time limits (core.ingest.sandbox).
    pv = analyze_isolated(data, filename, max_mb=max_mb or get_settings().upload_max_mb,
                          kind=kind, store=store, mapping=mapping)
    with get_engine().connect() as conn:
        check_catalog(pv, conn)
        previous = already_loaded(conn, pv.sha256)
    if previous:
        pv.warnings.insert(0, f"Este archivo ya se cargó (carga #{previous['id']}); cargarlo de nuevo no cambia nada.")
        pv.already_loaded_id = previous["id"]
    return pv


def confirm_upload(user: User | None, pv: Preview, data: bytes, *, unknown: str = "create") -> LoadResult:
    """Load a preview now, in this process."""
    return load_preview(user, pv, data, unknown=unknown)


def start_upload(user: User | None, pv: Preview, data: bytes, *, unknown: str = "create") -> LoadResult | str:
    """Load small files now; large ones as a job on queue "default" (returns the job id)."""
    require(user, "upload:write")
    if pv.problems:
        raise IngestError(pv.problems[0])
    if len(pv.rows) <= JOB_ROWS:
        return load_preview(user, pv, data, unknown=unknown)
    from core.jobs import enqueue

    staging = _staging_dir()
    _sweep_staging(staging)
    path = staging / f"{uuid.uuid4().hex}.bin"
    path.write_bytes(data)
    try:
        return enqueue(
            process_upload, queue="default", job_kind="upload", user=user,
            path=str(path), filename=pv.filename, user_email=user.email if user else None,
            kind=pv.kind, store=pv.store if pv.store_source == "usuario" else None,
            mapping=dict(pv.mapping), unknown=unknown,
        )
    except BaseException:
        path.unlink(missing_ok=True)  # never queued: nothing will ever read it
        raise


def _staging_dir() -> Path:
    """Where files wait for their load job (STORAGE_DIR/uploads/staging)."""
    staging = Path(get_settings().storage_dir) / "uploads" / "staging"
    staging.mkdir(parents=True, exist_ok=True)
    return staging


def _sweep_staging(staging: Path) -> None:
    """Remove staged files older than STAGED_MAX_AGE_S: their job died with its process (a killed
    worker runs no cleanup), and no job runs that long (core.jobs.JOB_TIMEOUT_S is less)."""
    cutoff = time.time() - STAGED_MAX_AGE_S
    for old in staging.glob("*.bin"):
        try:
            if old.stat().st_mtime < cutoff:
                old.unlink()
        except FileNotFoundError:
            continue


def process_upload(
    *,
    path: str,
    filename: str,
    user_email: str | None,
    kind: str | None = None,
    store: str | None = None,
    mapping: Mapping[str, int] | None = None,
    unknown: str = "create",
) -> dict[str, Any]:
    """Job body: analyse and load a staged file; the staged copy is removed however it ends."""
    staged = Path(path)
    try:
        return _process_staged(staged, filename=filename, user_email=user_email, kind=kind, store=store,
                               mapping=mapping, unknown=unknown)
    except ReadableError as exc:  # the file, or the user's permission: a retry would not change it
        return {"status": "failed", "message": exc.message}
    except Exception:
        # The load is one transaction (rolled back). It is not retried: the staged copy is gone
        # and the user uploads the file again; the log keeps the trace, the user a Spanish reason.
        log.exception("upload job for %s failed", filename)
        return {"status": "failed", "message": LOAD_FAILED}
    finally:
        staged.unlink(missing_ok=True)  # settled, whatever happened


LOAD_FAILED = ("No se pudo cargar el archivo por un error inesperado; no se guardó nada. Súbalo de nuevo; si "
               "se repite, avise a un administrador (el detalle quedó en el registro).")


def _process_staged(staged: Path, *, filename: str, user_email: str | None, kind: str | None, store: str | None,
                    mapping: Mapping[str, int] | None, unknown: str) -> dict[str, Any]:
    """Analyse and load one staged file, reporting progress on the job's row."""
    from core.db import dialect_name
    from core.jobs import report_progress

    user = get_user(user_email) if user_email else OPERATOR
    data = staged.read_bytes()
    report_progress(0.02, "Leyendo el archivo")
    pv = preview_upload(user, data, filename, kind=kind, store=store, mapping=mapping)
    if pv.problems:
        return pv.summary("refused", pv.problems[0]) | {"status": "failed"}
    report_progress(0.3, "Escribiendo en la base de datos")
    # SQLite has one writer: a progress row written beside the load's transaction would wait on it.
    progress = None if dialect_name() == "sqlite" else (lambda p, m: report_progress(0.3 + 0.7 * p, m))
    result = load_preview(user, pv, data, unknown=unknown, progress=progress)
    return pv.summary(result.status, result.message) | {"result": result.as_json(), "rows_ok": result.rows_ok}
