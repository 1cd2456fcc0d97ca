"""``Idempotency-Key`` on the API's POSTs: a retried create returns the first answer.

The key is the client's (1 to 255 printable ASCII characters), kept 24 h per organisation
(``IDEMPOTENCY_TTL_HOURS``). The first request's answer — a 2xx — is stored in the same
transaction as what it created, so both are there or neither; a retry with the same key and the
same request (method, address, body) gets that answer again with ``Idempotent-Replayed: true``;
the same key with another request is refused (422). An error answer is not kept: the client may
retry with the key once the cause is fixed. Two requests racing with one key: the second waits
on the first's row (unique index), then replays its answer.
"""

import datetime as dt
import hashlib
import json

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from integrations.models import IdempotencyRecord
from organisations.hooks import ApiReplay
from organisations.tenancy import tenant_context

HEADER = "Idempotency-Key"


class Replay(ApiReplay):
    """The first answer of a retried create (``organisations.hooks.ApiReplay``)."""


class KeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"
    default_detail = (
        "Cette clé « Idempotency-Key » a déjà servi, dans les dernières 24 heures, pour une autre "
        "requête (adresse ou contenu différents) : envoyez une nouvelle clé pour une nouvelle création."
    )


class KeyInvalid(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"
    default_detail = "En-tête « Idempotency-Key » invalide : 1 à 255 caractères ASCII imprimables."


def _fingerprint(request) -> str:
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    content_type = request.content_type or ""
    if content_type.startswith("multipart/"):
        # Uploads are not read twice into memory: the parsed fields and each file's content.
        for key in sorted(request.data.keys()):
            for value in request.data.getlist(key):
                digest.update(f"{key}=".encode())
                if hasattr(value, "chunks"):
                    for chunk in value.chunks():
                        digest.update(chunk)
                    value.seek(0)
                else:
                    digest.update(str(value).encode())
    else:
        digest.update(request._request.body)
    return digest.hexdigest()


def _cutoff():
    return timezone.now() - dt.timedelta(hours=settings.IDEMPOTENCY_TTL_HOURS)


def _replay(record: IdempotencyRecord) -> Response:
    response = Response(record.body, status=record.status_code)
    response["Idempotent-Replayed"] = "true"
    return response


def begin(request, organisation) -> IdempotencyRecord | None:
    """Before the view: None (no key), the claimed row (first request), or ``Replay``/422."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not (1 <= len(key) <= 255) or not key.isascii() or not key.isprintable():
        raise KeyInvalid()
    fingerprint = _fingerprint(request)
    # The organisation's rows (row-level security): the tenant middleware's context under
    # ``/api/v1/o/…``, entered here for the catalogue's (``/api/v1/referentiels/…``).
    with tenant_context(organisation):
        IdempotencyRecord.objects.filter(
            organisation=organisation, key=key, created_at__lt=_cutoff()
        ).delete()
        try:
            with transaction.atomic():
                return IdempotencyRecord.objects.create(
                    organisation=organisation,
                    key=key,
                    fingerprint=fingerprint,
                    path=request.path[:500],
                    status_code=0,
                    body=None,
                )
        except IntegrityError:
            record = IdempotencyRecord.objects.get(organisation=organisation, key=key)
    if record.fingerprint != fingerprint:
        raise KeyReused()
    raise Replay(_replay(record))


def finish(record: IdempotencyRecord, response) -> None:
    """After the view: keep a success, forget an error (the key may be used again)."""
    with tenant_context(record.organisation):
        _finish(record, response)


def _finish(record: IdempotencyRecord, response) -> None:
    if 200 <= response.status_code < 300 and getattr(response, "data", None) is not None:
        record.status_code = response.status_code
        record.body = json.loads(JSONRenderer().render(response.data))
        record.save(update_fields=["status_code", "body"])
    elif 200 <= response.status_code < 300:
        record.status_code = response.status_code
        record.save(update_fields=["status_code"])
    else:
        record.delete()


def purge_expired() -> int:
    from organisations.models import Organisation

    total = 0
    for organisation in Organisation.objects.all():
        with tenant_context(organisation):
            total += IdempotencyRecord.objects.filter(created_at__lt=_cutoff()).delete()[0]
    return total
