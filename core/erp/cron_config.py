"""RQ cron configuration kept for `rq cron core.erp.cron_config`; see core/cron_config.py."""

from rq import cron

from core.schedules import register_all

register_all(cron.register)
