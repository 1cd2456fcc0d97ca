"""Tenant isolation, enforced twice (DESIGN.md, Multi-tenancy).

1. In the ORM: tenant models use ``TenantManager`` (django-scopes); querying one with no
   active scope raises ``ScopeError`` instead of returning every tenant's rows.
2. In PostgreSQL: row-level security, enabled and forced on every tenant table, keyed on the
   transaction-local setting ``app.organisation_id`` that ``tenant_context`` sets.

``tenant_context`` is the only way in. It opens a transaction (the setting is
transaction-local, so it cannot leak to the next request on a pooled connection) and refuses
``None``.
"""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from django.db import connection, models, transaction
from django_scopes import ScopedManager, get_scope, scope, scopes_disabled

DB_SETTING = "app.organisation_id"


class TenantError(RuntimeError):
    pass


if TYPE_CHECKING:

    class TenantManager(models.Manager[Any]):
        """What the type checker sees: a manager (the django-stubs plugin derives every related
        manager of every tenant model from it, so it must be a named class)."""

else:
    # django-scopes builds its manager class inside ``ScopedManager()``; a module-level subclass
    # gives it a name the type checker (and the related managers) can resolve.
    class TenantManager(type(ScopedManager(organisation="organisation"))):
        """The scoped manager of tenant models: no query without an active ``organisation`` scope."""


class TenantModel(models.Model):
    """Base of every table that belongs to one organisation (centre).

    Subclasses get an ``organisation`` FK, a UUID ``public_id`` for URLs and the API, the
    scoped manager, and must enable RLS in their migration with ``EnableRowLevelSecurity``.
    """

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+", editable=False
    )
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    objects = TenantManager()

    class Meta:
        abstract = True


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _db_get() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting(%s, true)", [DB_SETTING])
        return cursor.fetchone()[0] or ""


def _db_set(value: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, %s, true)", [DB_SETTING, value])


def _tracked() -> str:
    """The value ``tenant_context`` last set on this connection (Python side, no query)."""
    return getattr(connection, "_tenant_db_setting", "")


def _track(value: str) -> None:
    setattr(connection, "_tenant_db_setting", value)  # noqa: B010 - not an attribute Django declares


@contextmanager
def tenant_context(organisation) -> Iterator:
    """Run the block as ``organisation``: ORM scope + database setting, in one transaction.

    The setting is transaction-local (``set_config(..., true)``). When this block opens the
    transaction (every request), its COMMIT or ROLLBACK discards the setting: nothing to read
    before or to reset after. Nested in an enclosing transaction (another tenant context, a
    test), the previous value is restored on exit; it is the value tracked on the connection by
    the enclosing ``tenant_context`` — the only code that sets it — so no read is needed either.
    When the enclosing transaction already holds this organisation (a nested block of the same
    centre, or a request whose membership read pinned it: :func:`request_transaction`), there is
    nothing to set nor to restore.
    """
    if organisation is None or getattr(organisation, "pk", None) is None:
        raise TenantError("tenant_context() exige une organisation enregistrée, pas None.")
    postgres = _is_postgres()
    # Outermost: ``atomic`` below opens (and on exit commits or rolls back) the transaction.
    outermost = not connection.in_atomic_block and connection.get_autocommit()
    previous = _tracked()
    value = str(organisation.pk)
    held = not outermost and previous == value  # the enclosing transaction holds it already
    # Directly in the request's transaction (TenantMiddleware): no savepoint of its own — an
    # exception leaves the view and rolls the request's transaction back as a whole anyway.
    blocks = connection.atomic_blocks
    direct = bool(blocks) and getattr(connection, "_tenant_request_block", None) is blocks[-1]
    with transaction.atomic(savepoint=not direct):
        if postgres and not held:
            _db_set(value)
        _track(value)
        try:
            with scope(organisation=organisation):
                yield organisation
            # On an exception the transaction (or savepoint) rolls back, which restores the
            # setting by itself; on success an enclosing transaction gets its value back.
            if postgres and not outermost and not held:
                _db_set(previous)
        finally:
            _track("" if outermost else previous)


@contextmanager
def request_transaction() -> Iterator:
    """A request's transaction, opened before its membership is read so that the same query also
    pins the setting (:func:`pinning`): the view's ``tenant_context`` then sets nothing — one
    query fewer per request. Yields ``pinned(row, organisation)``, to call with the row read
    for the organisation the request asked for: it checks that the query did set the setting to that organisation
    (the row carries the value ``set_config`` returned) and lets ``tenant_context`` know. On
    exit the tracked value is forgotten (outermost: the COMMIT or ROLLBACK discarded the
    setting) or, in an enclosing transaction (a test), restored with the database's."""
    outermost = not connection.in_atomic_block and connection.get_autocommit()
    previous = _tracked()

    def pinned(row, organisation) -> bool:
        value = str(organisation.pk)
        if getattr(row, "_tenant_pinned", None) != value:
            return False  # not pinned (SQLite, another organisation's row): tenant_context sets it
        _track(value)
        return True

    with transaction.atomic():
        setattr(connection, "_tenant_request_block", connection.atomic_blocks[-1])  # noqa: B010
        try:
            yield pinned
            if not outermost and _tracked() != previous and _is_postgres():
                _db_set(previous)
        finally:
            setattr(connection, "_tenant_request_block", None)  # noqa: B010
            _track("" if outermost else previous)


def pinning(queryset, *, slug: str, path: str = ""):
    """``queryset``, whose rows have an organisation (at ``path``: ``"membership__"`` for API
    tokens), evaluated inside :func:`request_transaction`, also pins the setting to the
    organisation of the row whose slug is ``slug``; rows of other organisations leave it as it
    is. Each row carries the value ``set_config`` returned (``_tenant_pinned``). On SQLite
    (demo) the queryset is returned as it is."""
    if not _is_postgres():
        return queryset
    from django.db.models import Case, F, Func, TextField, Value, When
    from django.db.models.functions import Cast, Coalesce

    keep = Coalesce(
        Func(Value(DB_SETTING), Value(True), function="current_setting", output_field=TextField()),
        Value(""),
        output_field=TextField(),
    )
    return queryset.annotate(
        _tenant_pinned=Func(
            Value(DB_SETTING),
            Case(
                When(
                    **{f"{path}organisation__slug": slug}, then=Cast(F(f"{path}organisation_id"), TextField())
                ),
                default=keep,
                output_field=TextField(),
            ),
            Value(True),
            function="set_config",
            output_field=TextField(),
        )
    )


def current_organisation():
    """The organisation of the active ``tenant_context``; raises outside one."""
    organisation = get_scope().get("organisation")
    if organisation is None or not get_scope().get("_enabled", False):
        raise TenantError("Aucune organisation active : entrez dans tenant_context().")
    return organisation


def current_db_organisation_id() -> int | None:
    """The organisation the database session is pinned to (PostgreSQL), for checks and tests."""
    if not _is_postgres():
        return None
    value = _db_get()
    return int(value) if value else None


__all__ = [
    "TenantError",
    "pinning",
    "request_transaction",
    "TenantManager",
    "TenantModel",
    "current_organisation",
    "scopes_disabled",
    "tenant_context",
]
