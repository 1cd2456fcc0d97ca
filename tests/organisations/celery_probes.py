"""A tenant task that only ``TenantTask`` can refuse, for the Celery tenancy tests.

Its signature accepts any keyword (no ``organisation_id`` parameter), so when it is refused the
refusal can only come from ``organisations.tasks.TenantTask``. It reports to the shared Redis
cache (the suite keeps no Celery results): what it saw when it ran, or the error it failed with.
The test worker imports this module (``CELERY_IMPORTS`` in ``config.settings.worker_test``).
"""

from celery import shared_task
from django.core.cache import cache

from organisations.tasks import TenantTask


def report_key(token: str) -> str:
    return f"tenant-probe:{token}"


class ReportingTenantTask(TenantTask):
    abstract = True

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        cache.set(
            report_key(kwargs.get("token", "")), {"error": type(exc).__name__, "message": str(exc)}, 300
        )


@shared_task(base=ReportingTenantTask, name="tests.organisations.tenant_probe")
def tenant_probe(**kwargs) -> None:
    from django.db import connection
    from django_scopes import get_scope

    from organisations.tenancy import _db_get

    organisation = get_scope().get("organisation")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        role = cursor.fetchone()[0]  # the application role, never the owner
    cache.set(
        report_key(kwargs.get("token", "")),
        {"ran": True, "scope": getattr(organisation, "pk", None), "db": _db_get(), "role": role},
        300,
    )
