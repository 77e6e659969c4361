"""Bring a database to a usable state: migrations, first accounts, demo data on first start."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from core import db
from core.config import get_settings
from core.models import erp_productos
from core.users import ensure_bootstrap_accounts

if TYPE_CHECKING:
    from core.erp.sync import SyncReport

log = logging.getLogger(__name__)


def init_db() -> None:
    """Apply migrations and create the first admin (and the demo accounts in demo mode)."""
    db.migrate()
    ensure_bootstrap_accounts()


def seed_demo(scale: float | None = None, *, trigger: str = "manual") -> SyncReport:
    """Load the demo ERP into our tables through the normal sync path; returns the sync report."""
    from core.erp.demo import DemoSource
    from core.erp.sync import run_sync

    settings = get_settings()
    source = DemoSource(scale=scale if scale is not None else settings.demo_scale)
    return run_sync(source=source, full=True, trigger=trigger)


def is_empty() -> bool:
    with db.get_engine().connect() as conn:
        return conn.execute(select(func.count()).select_from(erp_productos)).scalar_one() == 0


def prepare() -> None:
    """What the app needs before its first page: schema, accounts, no job left running by a
    process that died, and, on a new demo, data."""
    from core.jobs import reconcile

    init_db()
    reconcile()
    if get_settings().demo_mode and is_empty():
        log.info("empty demo database: seeding the demo ERP")
        seed_demo(trigger="startup")
