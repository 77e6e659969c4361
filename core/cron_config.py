"""RQ cron configuration: `rq cron core.cron_config` (worker.py starts it for you).

Registers every schedule any capability declared in ``core.schedules``.
"""

from rq import cron

from core.schedules import register_all

register_all(cron.register)
