"""Fixtures for the jobs tests (defined in rq_helpers so other test folders can import them)."""

from tests.jobs.rq_helpers import fast_retries, redis_db, redis_env, rq_worker  # noqa: F401
