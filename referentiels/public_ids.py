"""A référentiel's parts (blocs, capacités, critères, modalités) at the API's boundary.

The API shows and accepts their public UUID (``public_id``); the integer primary key stays
internal (what results, plans and avis store). During the deprecation period announced in
``docs/api-integration.md`` the former integer id is still accepted in bodies; the schema shows
the UUID only.
"""

import uuid
from collections.abc import Iterable

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.errors import ApplicationError
from referentiels.models import Bloc, Capacite, Critere, Modalite

Ref = uuid.UUID | int

LABELS = {Bloc: "Bloc", Capacite: "Capacité", Critere: "Critère", Modalite: "Modalité"}


def parse_ref(value) -> Ref:
    """A UUID (the id), or — deprecated — the former integer id. Raises ``ValueError``."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        if not 1 <= value <= 2**31 - 1:
            raise ValueError(value)
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit() and len(text) <= 10:
            return parse_ref(int(text))
        return uuid.UUID(text)
    raise ValueError(value)


@extend_schema_field(OpenApiTypes.UUID)
class PartIdField(serializers.Field):
    """The id (UUID) of a bloc, capacité, critère or modalité in a request body."""

    default_error_messages = {"invalid": "Identifiant invalide : un UUID est attendu."}

    def to_internal_value(self, data) -> Ref:
        try:
            return parse_ref(data)
        except (ValueError, TypeError, AttributeError):
            self.fail("invalid")
        raise AssertionError  # ``fail`` raises

    def to_representation(self, value):
        return str(value)


def pks_of(model, refs: Iterable[Ref], *, field: str) -> dict[Ref, int]:
    """``{ref: pk}`` for ids given as UUIDs (one query) or former integers (unchanged). An unknown
    UUID is refused with the field's name; whether the part belongs to the right référentiel
    stays the service's check, as for an integer."""
    refs = list(refs)
    wanted = {r for r in refs if isinstance(r, uuid.UUID)}
    found = dict(model.objects.filter(public_id__in=wanted).values_list("public_id", "pk")) if wanted else {}
    unknown = [str(r) for r in refs if isinstance(r, uuid.UUID) and r not in found]
    if unknown:
        raise ApplicationError(f"{LABELS[model]} inconnu(e) : {', '.join(unknown[:5])}.", field=field)
    return {r: (found[r] if isinstance(r, uuid.UUID) else r) for r in refs}


def pk_of(model, ref: Ref | None, *, field: str) -> int | None:
    if ref is None:
        return None
    return pks_of(model, [ref], field=field)[ref]


def public_ids_of(model, pks: Iterable) -> dict[int, str]:
    """``{pk: "uuid"}`` in one query (none for no pk): what a stored integer is shown as."""
    wanted = set()
    for pk in pks:
        try:
            wanted.add(int(pk))
        except (TypeError, ValueError):
            continue
    if not wanted:
        return {}
    return {pk: str(pid) for pk, pid in model.objects.filter(pk__in=wanted).values_list("pk", "public_id")}


def _as_uuid(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return None


def part_pks_by_code_or_id(model, referentiel_id: int, values: Iterable) -> tuple[dict, list]:
    """A référentiel's blocs or capacités named by code or by id (UUID), in one query:
    ``({value: pk}, [unknown values])``."""
    values = list(values)
    rows = model.objects.filter(referentiel=referentiel_id).values_list("code", "public_id", "pk")
    by_code = {code: pk for code, _pid, pk in rows}
    by_id = {pid: pk for _code, pid, pk in rows}
    found, unknown = {}, []
    for value in values:
        pk = by_code.get(value)
        if pk is None:
            as_id = _as_uuid(value)
            pk = by_id.get(as_id) if as_id is not None else None
        if pk is None:
            unknown.append(str(value))
        else:
            found[value] = pk
    return found, unknown


_CACHE = "_critere_public_ids"


def critere_ids(serializer, pks) -> list[str]:
    """Stored critère keys → their ids (UUID), read once per answer: the keys a list serializer
    gathered first (``CritereIdsListSerializer``), then any others in one query."""
    cache = serializer.context.setdefault(_CACHE, {})
    keys = []
    for pk in pks or []:
        try:
            keys.append(int(pk))
        except (TypeError, ValueError):
            continue
    missing = [pk for pk in keys if pk not in cache]
    if missing:
        cache.update(public_ids_of(Critere, missing))
    return [cache[pk] for pk in keys if pk in cache]


class CritereIdsListSerializer(serializers.ListSerializer):
    """A list whose rows show stored critère keys as ids: all of them read in one query.
    The child serializer names the keys of an instance with ``critere_keys(instance)``."""

    def to_representation(self, data):
        items = list(data.all() if hasattr(data, "all") else data)
        keys = [k for item in items for k in self.child.critere_keys(item)]
        critere_ids(self, keys)
        return super().to_representation(items)


def bloc_codes(referentiel_id, values) -> list | None:
    """Blocs named by code or id (UUID) → their codes, what the services take; a value that is
    neither is passed on unchanged, for the service's own message naming it. ``referentiel_id``
    may be a callable, called only when an id is sent."""
    if values is None:
        return None
    ids = [v for v in values if _as_uuid(v) is not None]
    if not ids:
        return list(values)
    if callable(referentiel_id):
        referentiel_id = referentiel_id()
    codes = {
        str(pid): code
        for pid, code in Bloc.objects.filter(
            referentiel=referentiel_id, public_id__in=[_as_uuid(v) for v in ids]
        ).values_list("public_id", "code")
    }
    return [codes.get(str(_as_uuid(v)), v) if _as_uuid(v) is not None else v for v in values]


_CODES_CACHE = "_part_public_ids_by_code"


def ids_by_code(model, referentiel_id: int, cache: dict | None = None) -> dict[str, str]:
    """A référentiel's blocs or capacités as ``{code: "uuid"}``, in one query; with ``cache`` (a
    serializer's context, a dict kept for one answer) read once per answer and référentiel."""
    store = cache.setdefault(_CODES_CACHE, {}) if cache is not None else {}
    key = (model.__name__, referentiel_id)
    if key not in store:
        store[key] = {
            code: str(pid)
            for code, pid in model.objects.filter(referentiel=referentiel_id).values_list("code", "public_id")
        }
    return store[key]


def ids_of_codes(serializer, model, referentiel_id: int, codes) -> list[uuid.UUID]:
    """Stored codes of a référentiel's blocs or capacités → their ids (same order; a code the
    référentiel no longer has is left out). One query per answer and référentiel."""
    if not codes:
        return []
    found = ids_by_code(model, referentiel_id, serializer.context)
    return [uuid.UUID(found[c]) for c in codes or [] if c in found]
