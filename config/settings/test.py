"""Test settings: the real services (PostgreSQL, Redis) are mandatory."""

import os

# `make test` exports these; the defaults let `pytest` run directly on a set-up machine.
os.environ.setdefault("DATABASE_URL", "postgres://certif:certif@127.0.0.1:5432/certif")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
# The owner role creates, migrates, flushes and drops the test database (tests/conftest.py,
# core.db_roles); everything else, the worker and the live server included, runs as `certif`.
os.environ.setdefault("DATABASE_MIGRATE_URL", "postgres://certif_owner:certif_owner@127.0.0.1:5432/certif")

from config.env import env_str  # noqa: E402
from config.settings.base import *  # noqa: E402, F403
from config.settings.base import (
    DATABASES,  # noqa: E402
    redis_cache_url,  # noqa
)

if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise RuntimeError("Les tests tournent sur PostgreSQL : exportez DATABASE_URL (voir README).")

REDIS_URL = env_str("REDIS_URL")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": redis_cache_url(REDIS_URL),
    }
}
CELERY_BROKER_URL = REDIS_URL
# Unit tests run tasks in-process (still through TenantTask); tests marked `worker`
# dispatch to the real worker started by the `celery_worker_process` fixture.
CELERY_TASK_ALWAYS_EAGER = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
DEBUG = False

# Several suites may run at once on one machine (CI, a developer, helpers): each picks its own
# test database and Celery queue with TEST_DB_NAME, so they never share rows or tasks.
TEST_DB_NAME = os.environ.get("TEST_DB_NAME", "test_certif")
DATABASES["default"]["TEST"] = {"NAME": TEST_DB_NAME}
CELERY_TASK_DEFAULT_QUEUE = f"celery-{TEST_DB_NAME}"
# Suites running at once share the Redis cache database: each keeps to its own key prefix.
CACHES["default"]["KEY_PREFIX"] = TEST_DB_NAME

# The live server of the browser tests is plain http://localhost.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = True
# The webhook tests' receiver is a local http:// server; retries a second apart, not minutes.
WEBHOOKS_ALLOW_HTTP = True
WEBHOOKS_RETRY_BASE_SECONDS = 1
WEBHOOKS_MAX_ATTEMPTS = 3
WEBHOOKS_DISABLE_AFTER = 2
WEBHOOKS_TIMEOUT_SECONDS = 5
