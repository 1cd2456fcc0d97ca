"""Test settings: the real services (PostgreSQL, Redis) are mandatory."""

from config.env import env_str
from config.settings.base import *  # noqa: F403
from config.settings.base import DATABASES

if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise RuntimeError("Les tests tournent sur PostgreSQL : exportez DATABASE_URL (voir README).")

REDIS_URL = env_str("REDIS_URL")
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
CELERY_BROKER_URL = REDIS_URL
# Unit tests run tasks in-process (still through TenantTask); tests marked `worker`
# dispatch to the real worker started by the `celery_worker_process` fixture.
CELERY_TASK_ALWAYS_EAGER = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
DEBUG = False
