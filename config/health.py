"""Platform-level endpoints with no tenant: the liveness ping and the health check (database, Redis,
the Celery workers)."""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse

from config.celery import app


def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        return f"erreur : {exc.__class__.__name__}"


def _check_redis() -> str:
    if not settings.REDIS_URL:
        return "non configuré (mode embarqué)"
    try:
        import redis

        redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1).ping()
        return "ok"
    except Exception as exc:  # noqa: BLE001
        return f"erreur : {exc.__class__.__name__}"


def _check_celery() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "exécution immédiate (mode embarqué)"
    try:
        replies = app.control.ping(timeout=1.0)
    except Exception as exc:  # noqa: BLE001
        return f"erreur : {exc.__class__.__name__}"
    return f"ok ({len(replies)} worker(s))" if replies else "aucun worker"


def ping(request):
    """Liveness probe and the benchmarks' floor: the cheapest JSON view the server can answer."""
    return JsonResponse({"ok": True})


def health(request):
    checks = {"database": _check_database(), "redis": _check_redis(), "celery": _check_celery()}
    healthy = (
        checks["database"] == "ok"
        and not checks["redis"].startswith("erreur")
        and not (checks["celery"].startswith(("erreur", "aucun")))
    )
    return JsonResponse(
        {"status": "ok" if healthy else "degraded", "checks": checks}, status=200 if healthy else 503
    )
