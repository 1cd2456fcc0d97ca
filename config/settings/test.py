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
from config.settings.base import (  # noqa: E402
    BASE_DIR,
    DATABASES,
    STORAGES,
    redis_cache_url,
)

if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise RuntimeError("Les tests tournent sur PostgreSQL : exportez DATABASE_URL (voir README).")

REDIS_URL = env_str("REDIS_URL")
CACHES = {
    "default": {
        "BACKEND": "core.cache.PrefixedRedisCache",
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
# pytest-xdist (`make test` runs `pytest -n 2`): each worker process (gw0, gw1, …) is a suite of its
# own — its database, Celery queue, cache prefix and file storage carry the worker's id. The Celery
# worker a test process starts inherits PYTEST_XDIST_WORKER, so it lands on the same names.
# (tests/conftest.py does not let pytest-django add its own ``_gw0`` suffix on top of this one.)
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if XDIST_WORKER and not TEST_DB_NAME.endswith(f"_{XDIST_WORKER}"):
    TEST_DB_NAME = f"{TEST_DB_NAME}_{XDIST_WORKER}"
DATABASES["default"]["TEST"] = {"NAME": TEST_DB_NAME}
# TEST_CELERY_QUEUE: the fault-injection worker's private queue (tests/reliability/conftest.py).
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("TEST_CELERY_QUEUE") or f"celery-{TEST_DB_NAME}"
# Suites running at once share the Redis cache database: each keeps to its own key prefix.
CACHES["default"]["KEY_PREFIX"] = TEST_DB_NAME
# ... and each writes its uploads and generated files in a directory of its own.
TEST_FILES_DIR = BASE_DIR / "var" / "test-files" / TEST_DB_NAME
STORAGES = {
    **STORAGES,
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(TEST_FILES_DIR / "private"), "base_url": None},
    },
}
MEDIA_ROOT = TEST_FILES_DIR / "media"

# The live server of the browser tests is plain http://localhost.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = True
# The webhook tests' receiver is a local http:// server; retries a second apart, not minutes.
WEBHOOKS_ALLOW_HTTP = True
WEBHOOKS_RETRY_BASE_SECONDS = 1
WEBHOOKS_MAX_ATTEMPTS = 3
WEBHOOKS_DISABLE_AFTER = 2
WEBHOOKS_TIMEOUT_SECONDS = 5
