"""PostgreSQL only — row-level security alone keeps tenants apart (issue 16).

Isolation is enforced twice: django-scopes in the ORM and row-level security in PostgreSQL. Here
the ORM half is switched off — every scoped manager answers unfiltered, as if a query forgot its
scope — and the proof is re-run on the database alone:

- the whole access matrix (``test_access_matrix``: every page route and API operation × every
  role × own / other organisation, other organisations' objects under the own URL) gives the same
  answers: another centre's object is a 404, never a read nor a write;
- for every tenant model, inside centre A's context, no row of centre B is read, updated or
  deleted, and no row can be written for centre B.
"""

import pytest
from django.apps import apps
from django.db import IntegrityError, ProgrammingError, connection, transaction
from django.db.utils import DatabaseError

from organisations.tenancy import TenantModel, tenant_context
from tests.security.test_access_matrix import (  # noqa: F401 - re-run here with django-scopes off
    test_api_matrix,
    test_page_matrix,
)

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row-level security is PostgreSQL's"
)


def _scopes_off():
    return {"_enabled": False}


@pytest.fixture(autouse=True)
def django_scopes_disabled(world, monkeypatch):
    """Every ``ScopedManager`` returns unfiltered querysets; ``current_organisation`` (which reads
    the scope through ``organisations.tenancy``) still knows the centre, so services still run."""
    import django_scopes.manager

    monkeypatch.setattr(django_scopes.manager, "get_scope", _scopes_off)


def tenant_models():
    return sorted(
        (m for m in apps.get_models() if issubclass(m, TenantModel) and not m._meta.proxy),
        key=lambda m: m._meta.label,
    )


def test_scopes_are_really_off_here(world, db):
    from candidates.models import Dossier

    with transaction.atomic(), tenant_context(world.a.org):
        sql = str(Dossier.objects.all().query)
        assert '"organisation_id" =' not in sql  # the ORM adds no tenant filter any more
        seen = set(Dossier.objects.values_list("organisation_id", flat=True))
        assert seen == {world.a.org.pk}  # and yet only A's rows come back: row-level security


@pytest.mark.parametrize("model", tenant_models(), ids=lambda m: m._meta.label)
def test_rls_alone_refuses_every_cross_tenant_read_and_write(model, world, db):
    a, b = world.a.org, world.b.org
    table = model._meta.db_table
    with transaction.atomic():
        with tenant_context(a):
            manager = model._base_manager
            assert not manager.filter(organisation_id=b.pk).exists(), f"{table}: B's rows are readable"
            assert set(manager.values_list("organisation_id", flat=True).distinct()) <= {a.pk}
            assert manager.filter(organisation_id=b.pk).update(organisation_id=b.pk) == 0
            with connection.cursor() as cursor:
                cursor.execute(f'DELETE FROM "{table}" WHERE organisation_id = %s', [b.pk])  # noqa: S608
                assert cursor.rowcount == 0, f"{table}: B's rows are deletable"
                cursor.execute(f'SELECT count(*) FROM "{table}" WHERE organisation_id <> %s', [a.pk])  # noqa: S608
                assert cursor.fetchone()[0] == 0
            # moving one of A's rows to B, or writing a row for B, is refused by WITH CHECK
            row = manager.first()
            if row is not None:
                with pytest.raises((DatabaseError, ProgrammingError, IntegrityError)), transaction.atomic():
                    with connection.cursor() as cursor:
                        cursor.execute(
                            f'UPDATE "{table}" SET organisation_id = %s WHERE id = %s',  # noqa: S608
                            [b.pk, row.pk],
                        )
        transaction.set_rollback(True)
    # B's rows do exist: the refusals above are RLS, not an empty table
    with tenant_context(b):
        if model._base_manager.exists():
            assert model._base_manager.filter(organisation_id=b.pk).exists()
