"""Base settings: the embedded demo defaults (SQLite, Celery eager, console e-mail).

Every value that differs between the demo, the tests and production comes from the
environment through ``config.env``; ``test`` and ``production`` only tighten these.
"""

from pathlib import Path

import dj_database_url
from celery.schedules import crontab

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = env_str("DJANGO_SECRET_KEY", "demo-insecure-secret-key-change-me-in-production-0123456789")
# Debug pages only when asked for (DJANGO_DEBUG=1): the demo shows the French error pages too.
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "django_htmx",
    "simple_history",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "core",
    "accounts",
    "organisations",
    "referentiels",
    "candidates",
    "evaluations",
    "juries",
    "documents",
    "certificateur",
    "integrations",
    "espace_candidat",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "core.middleware.CommonMiddleware",
    "core.middleware.ApiErrorEnvelopeMiddleware",
    "core.middleware.NulCharacterMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "organisations.middleware.MfaRequiredMiddleware",
    "core.middleware.SecurityHeadersMiddleware",
    # Must stay last: its process_view runs the view inside the tenant context.
    "organisations.middleware.TenantMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "organisations.context_processors.tenancy",
                "organisations.navigation.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT compilation: every query here reads a page of rows, and the oversight policies'
    # subplans (certificateur.rls) make the planner's cost of a scan of a centre large enough
    # to trigger JIT, which then spent 2.4 s compiling a 0.8 s search at a million dossiers.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
# Two PostgreSQL roles (README, "Configuration"): DATABASE_URL is the application role's, which
# owns nothing and may only read and write rows; DATABASE_MIGRATE_URL (optional, PostgreSQL
# only) is the owner's, used by `migrate` and `flush` alone (core.db_roles), which then grant
# the application role its rows. Only its credentials count: the database is DATABASE_URL's.
DATABASE_MIGRATE_URL = env_str("DATABASE_MIGRATE_URL", "")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Embedded mode: concurrent requests wait for each other instead of failing with « database
    # is locked ». WAL lets readers go on while one request writes; every transaction takes the
    # write lock when it begins (IMMEDIATE), so two transactions never both read then fail to
    # upgrade to writing (SQLite answers that at once, without waiting for the busy timeout).
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": env_int("SQLITE_BUSY_TIMEOUT_SECONDS", 20),
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DATABASE_APP_USER = DATABASES["default"].get("USER", "")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "account_login"

# allauth: e-mail is the identifier; verification is mandatory outside the demo world.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = env_str("ACCOUNT_EMAIL_VERIFICATION", "mandatory")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
# Wrong passwords and wrong second-factor codes count per account (allauth keys both « login_failed »:
# the e-mail typed, and « mfa-auth-user-<id> » for codes): 5 per 5 minutes lock that account only.
# The per-address limit is generous (a whole office behind one address, or a reverse proxy when
# TRUSTED_PROXY_COUNT is wrong, must not lock everyone out) and only stops a spray across accounts.
ACCOUNT_RATE_LIMITS = {"login_failed": "100/5m/ip,5/5m/key", "login": "120/m/ip"}
#: Reverse proxies in front of the application that append to X-Forwarded-For (0: none, the
#: header is ignored). The client address of every rate limit and audit line: core/clientip.py.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Certification] "
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
# Sensitive account actions (second factor, password, e-mail) ask for the password again once the
# last login or confirmation is older than this (accounts.adapter): never right after logging in.
ACCOUNT_REAUTHENTICATION_TIMEOUT = env_int("REAUTHENTICATION_TIMEOUT_SECONDS", 15 * 60)
# Second factors: an authenticator app (TOTP) or a passkey / security key (WebAuthn: fingerprint,
# face, PIN of the device, USB/NFC key), each with recovery codes. Passkeys are a second factor
# after the password, not a way to log in alone.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = False
# fido2 checks the page's origin against the relying party; plain http (the embedded demo, the
# test live server) is accepted only when asked for. Browsers offer WebAuthn on https and on
# http://localhost only (not on http://127.0.0.1).
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = env_bool(
    "MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN", not env_str("REDIS_URL", "")
)
# The enrolment secret stays the same for the whole enrolment (reloads, second tab).
MFA_FORMS = {"activate_totp": "accounts.forms.StableActivateTOTPForm"}
# Recovery codes are shown once, right after enrolment; new ones can be generated later.
MFA_RECOVERY_CODES_SHOW_ONCE = True
MFA_TOTP_ISSUER = "Plateforme de certification"
# TOTP secrets and recovery-code seeds are encrypted at rest (accounts/mfa.py) with the first of
# these Fernet keys; every listed key decrypts (rotation: docs/secrets-at-rest.md). The demo key
# below is public: production refuses to start with it or without MFA_SECRET_KEYS.
MFA_ADAPTER = "accounts.mfa.MfaAdapter"
DEMO_MFA_SECRET_KEY = "ZGVtby1pbnNlY3VyZS1tZmEta2V5LWNoYW5nZS1tZSE="  # noqa: S105 (public demo key)
MFA_SECRET_KEYS = env_list("MFA_SECRET_KEYS", [DEMO_MFA_SECRET_KEY])
# Accept the code of the previous or next 30 s step too (RFC 6238 §5.2: phone clock drift, a code
# typed as its window ends). Each code stays single use over the whole tolerance window.
MFA_TOTP_TOLERANCE = 1
# Roles whose members must have a second factor before using the platform (DESIGN.md).
MFA_REQUIRED_ROLES = {"admin", "jury"}
INVITATION_MAX_AGE_DAYS = env_int("INVITATION_MAX_AGE_DAYS", 7)
# Avis de l'entreprise: the tuteur's link lives this long (single use); reminders start this many
# days before the deadline and repeat every AVIS_REMINDER_INTERVAL_DAYS.
AVIS_LINK_MAX_AGE_DAYS = env_int("AVIS_LINK_MAX_AGE_DAYS", 30)
AVIS_REMINDER_DAYS_BEFORE = env_int("AVIS_REMINDER_DAYS_BEFORE", 7)
AVIS_REMINDER_INTERVAL_DAYS = env_int("AVIS_REMINDER_INTERVAL_DAYS", 3)
# Deadline of the avis requested automatically at inscription when the dossier has no date
# limite de remise du rapport (a centre's setting, not a rule of the seeds).
AVIS_AUTO_DELAI_JOURS = env_int("AVIS_AUTO_DELAI_JOURS", 60)

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
DATE_FORMAT = "d/m/Y"
DATETIME_FORMAT = "d/m/Y H:i"
SHORT_DATE_FORMAT = "d/m/Y"
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS: list = [BASE_DIR / "static"]
# Front-end libraries come from the npm registry (package.json), served from node_modules.
if (BASE_DIR / "node_modules" / "htmx.org" / "dist").is_dir():
    STATICFILES_DIRS.append(("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"))
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(BASE_DIR / "var" / "private"), "base_url": None},
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = BASE_DIR / "var" / "media"
MEDIA_URL = "/media/"
FILE_UPLOAD_MAX_BYTES = env_int("FILE_UPLOAD_MAX_BYTES", 20 * 1024 * 1024)
#: The référentiel import page: largest RNCP XML export accepted, and the size above which the
#: export is checked and imported by a Celery worker with a progress page (below: at once).
REFERENTIELS_IMPORT_PAGE_MAX_BYTES = env_int("REFERENTIELS_IMPORT_PAGE_MAX_BYTES", 200 * 1024 * 1024)
REFERENTIELS_IMPORT_PAGE_SYNC_BYTES = env_int("REFERENTIELS_IMPORT_PAGE_SYNC_BYTES", 5 * 1024 * 1024)

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Plateforme de certification <noreply@certif.local>")

REDIS_URL = env_str("REDIS_URL", "")


def redis_cache_url(broker_url: str) -> str:
    """The cache lives in its own Redis database (1) so that clearing it never touches the broker's."""
    return env_str("REDIS_CACHE_URL", broker_url.rsplit("/", 1)[0] + "/1" if broker_url else "")


CACHES = (
    {
        "default": {
            "BACKEND": "core.cache.PrefixedRedisCache",
            "LOCATION": redis_cache_url(REDIS_URL),
        }
    }
    if REDIS_URL
    else {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
)

# Celery: eager in the embedded demo; a real broker when REDIS_URL is set.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_MAX_MEMORY_PER_CHILD = 400_000  # KiB: backstop against WeasyPrint growth
CELERY_TASK_IGNORE_RESULT = True  # state lives in database rows, not in the broker
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# Periodic jobs fan out one task per organisation (DESIGN.md, Multi-tenancy).
CELERY_BEAT_SCHEDULE: dict = {
    "avis-entreprise-relances": {
        "task": "evaluations.tasks.avis_reminders_dispatch",
        "schedule": crontab(hour=8, minute=0),
    },
    # Rendering tasks lost with the broker (Redis restarted without persistence) are re-sent.
    # Seed 004 §10: follow-up surveys at 6 months and 2 years, their reminders, deadline notices.
    "suivi-candidats": {
        "task": "espace_candidat.tasks.followup_dispatch",
        "schedule": crontab(hour=9, minute=0),
    },
    "documents-bloques-relance": {
        "task": "documents.tasks.documents_stale_dispatch",
        "schedule": crontab(minute="*/5"),
    },
    "idempotence-purge": {"task": "integrations.tasks.idempotency_purge", "schedule": crontab(minute=17)},
    # « Ajouter à mon portefeuille numérique »: offers expired for more than 7 days are deleted.
    "portefeuille-offres-purge": {
        "task": "espace_candidat.tasks.wallet_offers_purge_dispatch",
        "schedule": crontab(hour=3, minute=40),
    },
}
#: A document pending or rendering for longer than this (no change) is re-enqueued by the sweep;
#: above the longest render (a 500-row PV: ~5 s) and the time a large batch waits in the queue.
DOCUMENTS_STALE_AFTER_SECONDS = env_int("DOCUMENTS_STALE_AFTER_SECONDS", 15 * 60)

# Webhooks (integrations/webhooks.py): per attempt timeout, attempts per delivery, first retry
# delay (doubled at each attempt), deliveries failed in a row before the endpoint is disabled.
WEBHOOKS_TIMEOUT_SECONDS = env_int("WEBHOOKS_TIMEOUT_SECONDS", 10)
WEBHOOKS_MAX_ATTEMPTS = env_int("WEBHOOKS_MAX_ATTEMPTS", 6)
WEBHOOKS_RETRY_BASE_SECONDS = env_int("WEBHOOKS_RETRY_BASE_SECONDS", 30)
WEBHOOKS_DISABLE_AFTER = env_int("WEBHOOKS_DISABLE_AFTER", 5)
# Only https:// endpoints, but for local development and the tests' receiver.
WEBHOOKS_ALLOW_HTTP = env_bool("WEBHOOKS_ALLOW_HTTP", False)
# How long a creating POST's answer is kept for its Idempotency-Key.
IDEMPOTENCY_TTL_HOURS = 24

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "organisations.authentication.MembershipTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "core.filters.OrderingFilter",
        "core.filters.SearchFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "core.schema.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "core.api.ContentNegotiation",
    # No OPTIONS metadata: nothing reads it, and DRF answered it 200 (view name, fields) before any
    # object lookup, for any id under the URL's organisation. OPTIONS now answers 405.
    "DEFAULT_METADATA_CLASS": None,
    "DEFAULT_THROTTLE_RATES": {"verification": "30/min", "anon": "60/min"},
    # DRF reads X-Forwarded-For as is when NUM_PROXIES is None: a forged header bypassed throttles.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "API de la plateforme de certification",
    "DESCRIPTION": "Référentiels, candidats, évaluations, jurys et documents. "
    "Authentification : `Authorization: Token <clé>` liée à une adhésion (organisation + rôle).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "DEFAULT_GENERATOR_CLASS": "core.schema.ScopedSchemaGenerator",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.schema.idempotency_header",
        "core.schema.inline_enums",
        "core.schema.json_request_bodies",
        "core.schema_examples.add_examples",
    ],
    # Several models have a "kind" or "status": give each choice set its own schema name.
    "ENUM_NAME_OVERRIDES": {
        "OrganisationKindEnum": "organisations.models.Organisation.Kind",
        # acquis / non acquis: the commission's decision and the entretien's conclusion
        "AcquisEnum": "evaluations.models.EntretienConclusion.Conclusion",
        # a capacité's state, and the commission's decision that may confirm an absence (seeds 000–002)
        "ResultatEtatEnum": "evaluations.models.Resultat.Etat",
        "CommissionDecisionEnum": ["acquis", "non_acquis", "absent"],
        "ReferentielKindEnum": "referentiels.models.Kind",
        "ReferentielStatusEnum": "referentiels.models.Referentiel.Status",
        "DossierStatusEnum": "candidates.models.Dossier.Status",
        "ImportJobStatusEnum": "candidates.models.ImportJob.Status",
        "PieceKindEnum": "candidates.models.Piece.Kind",
        "ResultatKindEnum": "evaluations.models.Resultat.Kind",
        "ConvocationStatusEnum": "evaluations.models.Convocation.Status",
        "IncidentKindEnum": "evaluations.models.Incident.Kind",
        "DocumentKindEnum": "documents.models.DocumentKind",
        "DocumentStatusEnum": "documents.models.IssuedDocument.Status",
        "VerificationStatusEnum": "documents.models.VerificationRecord.Status",
        "MembershipRoleEnum": "organisations.roles.Role",
        "JuryMemberRoleEnum": "juries.models.JuryMember.Role",
        "WebhookEventEnum": "integrations.models.Event",
        "WebhookDeliveryStatusEnum": "integrations.models.WebhookDelivery.Status",
        "JuryDecisionEnum": ["certifie", "partiel", "ajourne"],  # Dossier.Decision without its empty value
        # seed 004's motifs recevables (émargement, absences API)
        "MotifAbsenceEnum": "evaluations.models.InscriptionEpreuve.Motif",
        # re-issue and revocation requests the issuing body approves (issue 13, point 5)
        "ApprovalRequestStatusEnum": "documents.models.RevocationRequest.Status",
    },
}

# Documents (WeasyPrint + pyHanko). The demo/test identity is generated on first use.
DOCUMENTS_ASSET_DIR = BASE_DIR / "static" / "documents"
SIGNING_KEY_PATH = env_str("SIGNING_KEY_PATH", str(BASE_DIR / "var" / "signing" / "key.pem"))
SIGNING_CERT_PATH = env_str("SIGNING_CERT_PATH", str(BASE_DIR / "var" / "signing" / "cert.pem"))

SCOPES_DISABLED = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"weasyprint": {"level": "ERROR"}, "fontTools": {"level": "ERROR"}},
}

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Sessions: read from the cache, kept in the database (core/sessions.py) — no query per page.
SESSION_ENGINE = "core.sessions"

# RGPD (candidates/rgpd.py): personal data of a candidate who holds an issued certification is
# kept this many years after the deliberation (proof of the diploma), then erased.
CANDIDATES_CERTIFIED_RETENTION_YEARS = env_int("CANDIDATES_CERTIFIED_RETENTION_YEARS", 50)
