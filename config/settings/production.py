"""Production: refuses to start without its secrets; secure cookies and headers."""

from urllib.parse import urlsplit

from config.env import env_int, env_list, env_str
from config.settings.base import *  # noqa: F403
from config.settings.base import redis_cache_url  # noqa

DEBUG = False
SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if SECRET_KEY.startswith("demo-insecure") or len(SECRET_KEY) < 50:
    raise RuntimeError("DJANGO_SECRET_KEY doit être un secret d'au moins 50 caractères.")
MFA_SECRET_KEYS = env_list("MFA_SECRET_KEYS", [])
if not MFA_SECRET_KEYS or DEMO_MFA_SECRET_KEY in MFA_SECRET_KEYS:  # noqa: F405
    raise RuntimeError(
        "MFA_SECRET_KEYS doit contenir la clé Fernet qui chiffre les secrets TOTP (docs/secrets-at-rest.md)."
    )
try:
    from cryptography.fernet import Fernet

    [Fernet(key) for key in MFA_SECRET_KEYS]
except ValueError as exc:
    raise RuntimeError(
        "MFA_SECRET_KEYS : chaque clé doit être une clé Fernet (32 octets en base64 URL)."
    ) from exc
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", [])
# Every e-mail link, QR code and credential issuer id is built on SITE_URL: a document issued with
# the demo's default address would carry a dead link for ever.
SITE_URL = env_str("SITE_URL")
_site = urlsplit(SITE_URL)
if _site.scheme != "https" or not _site.hostname or _site.hostname in ("127.0.0.1", "localhost", "0.0.0.0"):  # noqa: S104 - refused, not bound
    raise RuntimeError(
        f"SITE_URL doit être l'adresse publique du site en https (par exemple https://certif.example.org), "
        f"pas « {SITE_URL} » : liens des e-mails, QR codes et identifiants des attestations en dépendent."
    )
DATABASE_URL = env_str("DATABASE_URL")
REDIS_URL = env_str("REDIS_URL")
CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_ALWAYS_EAGER = False
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": redis_cache_url(REDIS_URL),
    }
}
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = True
SIGNING_KEY_PATH = env_str("SIGNING_KEY_PATH")
SIGNING_CERT_PATH = env_str("SIGNING_CERT_PATH")

MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = False

SECURE_SSL_REDIRECT = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True
