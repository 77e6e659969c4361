"""RQ cron configuration: `rq cron core.erp.cron_config` (worker.py starts it for you)."""

from rq import cron

from core.erp.schedules import register_all

register_all(cron.register)
