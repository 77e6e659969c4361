from tests.jobs.rq_helpers import redis_db, redis_env, rq_worker  # noqa: F401
