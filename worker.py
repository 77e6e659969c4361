"""`python worker.py`: an RQ worker on the sync, default and ml queues, with RQ's scheduler
(delayed retries) and RQ's cron scheduler for the schedules in core.schedules (syncs, retrain).

Run as many workers as you like; start the cron scheduler on one of them only
(`--no-cron` on the others; a duplicate cron run is skipped anyway).
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import sys

from pydantic import ValidationError

from core.config import describe_settings_error, get_settings
from core.jobs import QUEUES, redis_connection

log = logging.getLogger("worker")


def _run_cron(redis_url: str) -> None:
    """The cron process: RQ's CronScheduler loaded from core.cron_config."""
    from redis import Redis
    from rq.cron import CronScheduler

    scheduler = CronScheduler(connection=Redis.from_url(redis_url))
    scheduler.load_config_from_file("core.cron_config")
    scheduler.start()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Worker de DevCompras (RQ)")
    parser.add_argument("--no-cron", action="store_true", help="no iniciar las programaciones")
    parser.add_argument("--no-startup-sync", action="store_true",
                        help="no sincronizar al arrancar las entidades nunca sincronizadas")
    parser.add_argument("--burst", action="store_true", help="procesar la cola y terminar")
    parser.add_argument("--name", default=None, help="nombre del worker")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    try:
        settings = get_settings()
    except ValidationError as exc:  # one Spanish line, never pydantic's dump of the values
        print(describe_settings_error(exc), file=sys.stderr)
        return 1
    if not settings.redis_url:
        print("REDIS_URL no está configurado: sin Redis los trabajos corren dentro de la app "
              "y no hace falta un worker.", file=sys.stderr)
        return 1
    from rq import Worker

    from core.erp.sync_jobs import startup_sync
    from core.jobs import reconcile
    from core.setup import init_db

    init_db()
    reconcile()  # jobs and syncs a killed worker left running
    conn = redis_connection()
    cron = None
    if not args.no_cron:
        cron = multiprocessing.get_context("fork").Process(
            target=_run_cron, args=(settings.redis_url,), name="devcompras-cron", daemon=True)
        cron.start()
    if not args.no_startup_sync:
        queued = startup_sync()
        if queued:
            log.info("sincronización inicial encolada: %s", queued)
    worker = Worker(list(QUEUES), connection=conn, name=args.name)
    try:
        worker.work(with_scheduler=True, burst=args.burst)
    finally:
        if cron is not None and cron.is_alive():
            cron.terminate()
    return 0


if __name__ == "__main__":
    sys.exit(main())
