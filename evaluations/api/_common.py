"""What the evaluations API views share: the list view base, the dossiers a caller may see."""

import uuid
from collections.abc import Iterable
from typing import Any

from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.serializers import Serializer

from candidates.models import Dossier
from candidates.selectors import dossier_get, dossier_list
from organisations.api import TenantAPIView
from organisations.models import Membership


class ListView(TenantAPIView, ListAPIView):
    filter_backends: list = []


def validated(serializer_class: type[Serializer], request: Request) -> dict[str, Any]:
    """The request's body checked by ``serializer_class``: its validated data, or a 400 naming
    the faulty fields (``ValidationError``, rendered by the API's exception handler)."""
    data = serializer_class(data=request.data)
    data.is_valid(raise_exception=True)
    return data.validated_data


def is_uuid(value: object) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def visible_dossier(membership: Membership, public_id: uuid.UUID | str) -> Dossier:
    """The dossier if ``membership`` may see it (évaluateur: their épreuves, jury: their juries), else 404."""
    return dossier_get(public_id=public_id, actor=membership)


def visible_dossiers(membership: Membership, public_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Dossier]:
    """``{public_id: dossier}`` of those ``membership`` may see; the others are simply absent."""
    return {d.public_id: d for d in dossier_list(actor=membership).filter(public_id__in=public_ids)}
