"""Celery base task for tenant work, and the organisation app's tasks.

Every tenant task takes ``organisation_id`` as a keyword argument and runs inside
``tenant_context``; one enqueued without it refuses to run (eager mode included, since
Celery calls ``__call__`` in both cases).
"""

import kombu.exceptions
import redis.exceptions
from celery import shared_task
from celery.contrib.django.task import DjangoTask
from django.apps import apps
from django.conf import settings
from django.core.mail import send_mail
from django.db import connection
from django.utils import timezone

from organisations.models import Invitation
from organisations.services import audit_record
from organisations.tenancy import TenantError, tenant_context

#: The broker (Redis) unreachable — restarting, a connection reset, a pooled connection to a Redis
#: that went away — while a task enqueues another one: retryable like a storage I/O error, never a
#: reason to fail the work for good. Neither is an ``OSError`` (kombu wraps the socket error it
#: gave up on; redis-py's ``ConnectionError`` is its own), hence this list.
BROKER_ERRORS: tuple[type[Exception], ...] = (
    kombu.exceptions.OperationalError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)


class TenantTask(DjangoTask):
    abstract = True

    def __call__(self, *args, **kwargs):
        organisation_id = kwargs.get("organisation_id")
        if not organisation_id:
            raise TenantError(f"La tâche {self.name} exige organisation_id : refusée.")
        from organisations.selectors import organisation_get_active

        organisation = organisation_get_active(pk=organisation_id)
        with tenant_context(organisation):
            return super().__call__(*args, **kwargs)


@shared_task(base=TenantTask, bind=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def invitation_send(self, *, organisation_id: int, invitation_id: int, url: str) -> None:

    # Idempotent: the row lock serialises twin deliveries, ``sent_at`` records the sending in
    # the task's transaction (a failed send raises, rolls back and is retried).
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("organisation")
        .get(pk=invitation_id)
    )
    if invitation.sent_at is not None:
        return
    send_mail(
        subject=f"Invitation : {invitation.organisation.name}",
        message=(
            "Bonjour,\n\n"
            f"Vous êtes invité(e) à rejoindre « {invitation.organisation.name} » sur la plateforme de "
            f"certification, avec le rôle {invitation.get_role_display()}.\n\n"
            f"Pour accepter et choisir votre mot de passe, ouvrez ce lien avant le "
            f"{invitation.expires_at:%d/%m/%Y} :\n{url}\n\n"
            "Si vous n'attendiez pas cette invitation, ignorez ce message."
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[invitation.email],
    )
    invitation.sent_at = timezone.now()
    invitation.save(update_fields=["sent_at"])


@shared_task(base=TenantTask)
def isolation_probe(*, organisation_id: int, model: str) -> None:
    """Diagnostic: record which organisations' rows a task can see, even with the ORM scope off.

    Results are not kept in the broker (state lives in the database), so the finding is
    written as an audit event of the organisation; the isolation tests read it back.
    """
    import json

    from organisations.tenancy import scopes_disabled

    Model = apps.get_model(model)
    with scopes_disabled():
        orm_ids = sorted(set(Model.objects.values_list("organisation_id", flat=True)))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT organisation_id FROM {Model._meta.db_table}")  # noqa: S608
        sql_ids = sorted(row[0] for row in cursor.fetchall())
    audit_record(actor=None, action="isolation.probe", message=json.dumps({"orm": orm_ids, "sql": sql_ids}))


@shared_task(base=TenantTask, bind=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def staff_email_send(self, *, organisation_id: int, to: list[str], subject: str, body: str) -> None:
    """One notification e-mail to staff members of ``organisation_id`` (after commit, retried on
    a mail-server error). The recipients are separate messages: no one sees another's address."""
    from django.core.mail import EmailMessage

    for address in to:
        EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[address]).send()
