"""The only cross-tenant read path: a certificateur reads its certifications' rows in every centre.

DESIGN.md: "Certificateur staff read their certifications' PVs and parchemins across centres
through explicit, read-only selectors". How it holds, in the database first:

* Every tenant table a certificateur must read carries, besides ``tenant_isolation``, a second
  *permissive* policy ``certificateur_oversight`` (see :mod:`certificateur.rls`). It is
  ``FOR SELECT`` only, and its ``USING`` clause admits a row only when

  1. the transaction is read-only (``current_setting('transaction_read_only') = 'on'``), and
  2. the row concerns a référentiel whose ``certificateur_id`` equals the transaction-local
     setting ``app.oversight_certificateur_id``.

  Writes are therefore still judged by ``tenant_isolation`` alone, and the extra visibility
  exists only inside a ``READ ONLY`` transaction.
* :func:`oversight_context` is the only code that sets ``app.oversight_certificateur_id``. It
  opens a transaction (a savepoint when nested), makes it ``READ ONLY`` (PostgreSQL restores
  the enclosing mode when the savepoint is released), sets the setting, and restores it on the
  way out (a transaction-local setting would otherwise survive a released savepoint).
* In the ORM the scope becomes the list of centres the certificateur has ever habilitated (plus
  itself), so django-scopes keeps raising outside a context and no ``scopes_disabled`` is
  needed. The selectors also filter on ``referentiel__certificateur`` explicitly: the database
  policy is the guarantee, the filter keeps the queries honest on SQLite (demo) too.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction
from django_scopes import get_scope, scope

from organisations.models import Organisation
from organisations.tenancy import DB_SETTING, TenantError
from referentiels.models import Habilitation

OVERSIGHT_SETTING = "app.oversight_certificateur_id"


class OversightError(TenantError):
    pass


def _get(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting(%s, true)", [name])
        return cursor.fetchone()[0] or ""


def _set(name: str, value: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, %s, true)", [name, value])


def overseen_centre_ids(certificateur: Organisation) -> list[int]:
    """Centres that hold (or held) a habilitation of ``certificateur``: the ORM scope of oversight."""

    return sorted(
        set(Habilitation.objects.filter(certificateur=certificateur).values_list("centre_id", flat=True))
    )


@contextmanager
def oversight_context(certificateur: Organisation) -> Iterator[Organisation]:
    """Read, and only read, every centre's rows about ``certificateur``'s référentiels.

    Refuses anything but a saved certificateur organisation. Any write inside raises
    (PostgreSQL: "cannot execute … in a read-only transaction").
    """
    if certificateur is None or getattr(certificateur, "pk", None) is None:
        raise OversightError("oversight_context() exige un certificateur enregistré, pas None.")
    if certificateur.kind != Organisation.Kind.CERTIFICATEUR:
        raise OversightError(f"{certificateur} n'est pas un certificateur : pas de lecture inter-centres.")
    pg = connection.vendor == "postgresql"
    with transaction.atomic():
        if pg:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION READ ONLY")
            previous = _get(OVERSIGHT_SETTING)
            _set(OVERSIGHT_SETTING, str(certificateur.pk))
        organisations = [*overseen_centre_ids(certificateur), certificateur.pk]
        with scope(organisation=organisations, oversight=certificateur.pk):
            yield certificateur
        if pg:
            _set(OVERSIGHT_SETTING, previous)


def current_oversight_certificateur_id() -> int | None:
    """The certificateur of the active oversight context (ORM side), or None."""
    return get_scope().get("oversight") if get_scope().get("_enabled", False) else None


def require_oversight(certificateur: Organisation) -> None:
    """Selectors that read across centres call this first: no context, no read."""
    if current_oversight_certificateur_id() != certificateur.pk:
        raise OversightError("Lecture inter-centres hors de oversight_context().")


def current_db_oversight_id() -> int | None:
    """The certificateur the database session is pinned to for oversight (tests, checks)."""
    if connection.vendor != "postgresql":
        return None
    value = _get(OVERSIGHT_SETTING)
    return int(value) if value else None


__all__ = [
    "DB_SETTING",
    "OVERSIGHT_SETTING",
    "OversightError",
    "current_db_oversight_id",
    "oversight_context",
    "overseen_centre_ids",
    "require_oversight",
]
