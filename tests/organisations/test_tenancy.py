"""Isolation, twice: the ORM scope and PostgreSQL row-level security."""

import ast
from pathlib import Path

import psycopg
import pytest
from django.apps import apps
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django_scopes.exceptions import ScopeError

from juries.models import Decision
from organisations.models import AuditEvent
from organisations.services import audit_record
from organisations.tenancy import (
    TenantError,
    TenantModel,
    current_db_organisation_id,
    scopes_disabled,
    tenant_context,
)

ROOT = Path(__file__).resolve().parents[2]

# Tables that carry an organisation but are the access-control layer itself: they are read
# by user or by token *before* any tenant is known. Each entry says why.
ACCESS_CONTROL_MODELS = {
    "organisations.Membership": "resolves which organisations a user may enter",
    "organisations.ApiToken": "resolves a token to its membership before the tenant is known",
}

# The only modules allowed to turn the ORM scope off (DESIGN.md: a short, listed set).
UNSCOPED_MODULES = {
    "organisations/tenancy.py": "defines and re-exports scopes_disabled",
    "organisations/tasks.py": "isolation_probe proves RLS holds with the scope off",
    "core/schema.py": "OpenAPI generation reads querysets' models without evaluating them",
}


def tenant_models():
    return [m for m in apps.get_models() if issubclass(m, TenantModel)]


@pytest.fixture
def events(org_a, org_b):
    with tenant_context(org_a):
        audit_record(actor=None, action="a.1")
        audit_record(actor=None, action="a.2")
    with tenant_context(org_b):
        audit_record(actor=None, action="b.1")


def test_query_without_scope_raises(events):
    with pytest.raises(ScopeError):
        list(AuditEvent.objects.all())


def test_tenant_context_refuses_none(db):
    with pytest.raises(TenantError):
        with tenant_context(None):
            pass


def test_scope_shows_only_own_rows(events, org_a, org_b):
    with tenant_context(org_a):
        assert sorted(AuditEvent.objects.values_list("action", flat=True)) == ["a.1", "a.2"]
    with tenant_context(org_b):
        assert list(AuditEvent.objects.values_list("action", flat=True)) == ["b.1"]


def test_rls_hides_other_tenant_with_scopes_disabled(events, org_a, org_b):
    with tenant_context(org_a), scopes_disabled():
        assert current_db_organisation_id() == org_a.pk
        assert set(AuditEvent.objects.values_list("organisation_id", flat=True)) == {org_a.pk}
        with connection.cursor() as cursor:
            cursor.execute("SELECT organisation_id FROM organisations_auditevent")
            assert {row[0] for row in cursor.fetchall()} == {org_a.pk}
            # A join from a shared table cannot reach B's rows either.
            cursor.execute(
                "SELECT o.slug, count(e.id) FROM organisations_organisation o "
                "LEFT JOIN organisations_auditevent e ON e.organisation_id = o.id GROUP BY o.slug"
            )
            counts = dict(cursor.fetchall())
    assert counts["centre-a"] == 2 and counts["centre-b"] == 0


def test_rls_hides_everything_without_context(events):
    with scopes_disabled():
        assert AuditEvent.objects.count() == 0


def test_rls_refuses_writing_into_another_tenant(events, org_a, org_b):
    with tenant_context(org_a):
        with pytest.raises(DatabaseError), transaction.atomic():
            AuditEvent.objects.create(organisation=org_b, action="intrusion")
        with scopes_disabled():
            # Updating B's rows matches nothing: they are invisible.
            assert AuditEvent.objects.filter(organisation=org_b).update(action="x") == 0
    with tenant_context(org_b):
        assert list(AuditEvent.objects.values_list("action", flat=True)) == ["b.1"]


def test_context_setting_does_not_leak(events, org_a):
    with tenant_context(org_a):
        pass
    assert current_db_organisation_id() is None


def test_every_tenant_model_is_scoped_and_under_forced_rls(db):
    models = tenant_models()
    assert len(models) >= 2
    with connection.cursor() as cursor:
        for model in models:
            # Behavioural check of the scoped manager: no active scope → the query raises.
            with pytest.raises(ScopeError):
                list(model._default_manager.all())
            table = model._meta.db_table
            cursor.execute(
                "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = %s", [table]
            )
            assert cursor.fetchone() == (True, True), f"RLS non activée/forcée sur {table}"
            cursor.execute(
                "SELECT qual, with_check FROM pg_policies WHERE tablename = %s AND policyname = 'tenant_isolation'",
                [table],
            )
            policy = cursor.fetchone()
            assert policy is not None, f"Pas de politique tenant_isolation sur {table}"
            assert "app.organisation_id" in policy[0] and "app.organisation_id" in policy[1]


def test_every_model_with_an_organisation_is_a_tenant_model(db):
    for model in apps.get_models():
        fields = {f.name for f in model._meta.get_fields()}
        if "organisation" in fields and model._meta.label not in ACCESS_CONTROL_MODELS:
            assert issubclass(model, TenantModel), (
                f"{model._meta.label} porte une organisation sans être TenantModel"
            )


def test_application_role_cannot_bypass_rls(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (False, False)
        # ...and owns nothing: a table's owner may lift its RLS or disable its triggers.
        cursor.execute("SELECT count(*) FROM pg_tables WHERE tableowner = current_user")
        assert cursor.fetchone() == (0,)
        cursor.execute(
            "SELECT (SELECT count(*) FROM pg_class WHERE relowner = current_user::regrole),"
            " (SELECT count(*) FROM pg_namespace WHERE nspowner = current_user::regrole),"
            " (SELECT count(*) FROM pg_proc WHERE proowner = current_user::regrole),"
            " (SELECT datdba = current_user::regrole FROM pg_database WHERE datname = current_database())"
        )
        assert cursor.fetchone() == (0, 0, 0, False)


def _insufficient_privilege(sql: str) -> str:
    """Run ``sql`` in its own savepoint; the database must refuse it for lack of privilege."""
    with pytest.raises(DatabaseError) as refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert isinstance(refused.value.__cause__, psycopg.errors.InsufficientPrivilege), repr(refused.value)
    return str(refused.value)


def test_application_role_cannot_lift_rls_or_disable_triggers(db):
    """DDL that would undo the database's guarantees is an owner's privilege: refused to the app."""
    tenant = connection.ops.quote_name(AuditEvent._meta.db_table)
    decision = connection.ops.quote_name(Decision._meta.db_table)
    for sql in (
        f"ALTER TABLE {tenant} NO FORCE ROW LEVEL SECURITY",
        f"ALTER TABLE {tenant} DISABLE ROW LEVEL SECURITY",
        f"DROP POLICY tenant_isolation ON {tenant}",
        f"ALTER TABLE {decision} DISABLE TRIGGER ALL",
        f"ALTER TABLE {decision} DISABLE TRIGGER juries_decision_frozen",
        f"DROP TRIGGER juries_decision_frozen ON {decision}",
        f"ALTER TABLE {decision} OWNER TO {connection.ops.quote_name(settings.DATABASE_APP_USER)}",
    ):
        assert "must be owner" in _insufficient_privilege(sql), sql
    for sql in (
        f"TRUNCATE {decision}",  # skips triggers and RLS: the owner's flush only
        f"CREATE TRIGGER sneaky BEFORE UPDATE ON {decision} FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger()",
        "CREATE TABLE sneaky (id int)",
        "SELECT setval(pg_get_serial_sequence('juries_decision', 'id'), 1)",
    ):
        assert "permission denied" in _insufficient_privilege(sql), sql
    # Still under forced RLS, with its policy and its trigger, after all that.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = %s",
            [AuditEvent._meta.db_table],
        )
        assert cursor.fetchone() == (True, True)
        cursor.execute("SELECT tgenabled FROM pg_trigger WHERE tgname = 'juries_decision_frozen'")
        assert cursor.fetchone() == ("O",)


def test_scopes_disabled_only_in_listed_modules():
    offenders = set()
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith((".venv/", "tests/", "node_modules/")) or "/migrations/" in rel:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Name | ast.Attribute):
                name = node.id if isinstance(node, ast.Name) else node.attr
                if name == "scopes_disabled":
                    offenders.add(rel)
    assert offenders <= set(UNSCOPED_MODULES), (
        f"scopes_disabled hors liste : {sorted(offenders - set(UNSCOPED_MODULES))}"
    )


def _tenant_sql(captured) -> list[str]:
    return [q["sql"] for q in captured if "current_setting" in q["sql"] or "set_config" in q["sql"]]


@pytest.mark.django_db(transaction=True)
def test_outermost_context_sets_the_setting_once_and_its_commit_discards_it(org_a):
    """A request's context opens the transaction: one ``set_config(..., true)``, no read before
    nor reset after — COMMIT (or ROLLBACK) drops a transaction-local setting by itself."""
    from django.test.utils import CaptureQueriesContext

    assert not connection.in_atomic_block
    with CaptureQueriesContext(connection) as ctx:
        with tenant_context(org_a):
            pinned = connection.cursor()
            pinned.execute("SELECT current_setting('app.organisation_id', true)")
            assert pinned.fetchone()[0] == str(org_a.pk)
    assert len(_tenant_sql(ctx.captured_queries)) == 2  # the set_config and the check above
    assert current_db_organisation_id() is None
    with transaction.atomic():
        assert current_db_organisation_id() is None
    with pytest.raises(ZeroDivisionError), tenant_context(org_a):
        1 / 0  # noqa: B018
    assert current_db_organisation_id() is None


def test_nested_context_restores_the_enclosing_organisation(org_a, org_b):
    with tenant_context(org_a):
        with tenant_context(org_b):
            assert current_db_organisation_id() == org_b.pk
        assert current_db_organisation_id() == org_a.pk
        with pytest.raises(ZeroDivisionError), tenant_context(org_b):
            1 / 0  # noqa: B018
        assert current_db_organisation_id() == org_a.pk
        with tenant_context(org_b), tenant_context(org_a):
            assert current_db_organisation_id() == org_a.pk
        assert current_db_organisation_id() == org_a.pk
    assert current_db_organisation_id() is None


@pytest.mark.django_db(transaction=True)
def test_a_page_request_loads_memberships_once_and_never_reads_the_setting(alice, client):
    """Issue 19 (« session, membership and RLS set-up merged »): the query that loads the user's
    memberships also pins the setting — no query of its own, no read; the session comes from the
    cache. Once the request's transaction has ended, nothing is left pinned."""
    from django.test.utils import CaptureQueriesContext

    client.force_login(alice.user)
    client.get("/o/centre-a/")  # the session's first request also checks the MFA requirement
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/o/centre-a/")
    assert response.status_code == 200
    sql = [q["sql"] for q in ctx.captured_queries]
    assert len([s for s in sql if 'FROM "organisations_membership"' in s]) == 1, sql
    (pin,) = _tenant_sql(ctx.captured_queries)
    assert 'FROM "organisations_membership"' in pin and "set_config('app.organisation_id'" in pin, pin
    assert not any("django_session" in s for s in sql), sql
    assert current_db_organisation_id() is None


@pytest.mark.django_db(transaction=True)
def test_a_token_call_pins_its_centre_in_the_token_query(alice, bob, client):
    """The token lookup pins the token's centre when the URL names it; another centre's slug
    pins nothing and answers 404, and its rows stay invisible."""
    from django.test.utils import CaptureQueriesContext

    from organisations.services import api_token_create

    _token, key = api_token_create(membership=alice, name="t")
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/api/v1/o/centre-a/candidates/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200
    (pin,) = _tenant_sql(ctx.captured_queries)
    assert 'FROM "organisations_apitoken"' in pin, pin
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/api/v1/o/centre-b/candidates/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 404
    assert [q["sql"] for q in ctx.captured_queries if "candidates_candidate" in q["sql"]] == []
    assert current_db_organisation_id() is None


@pytest.mark.django_db(transaction=True)
def test_a_member_of_one_centre_gets_404_on_another_and_nothing_pinned(alice, bob, client):
    """The memberships query runs for every slug: for a centre the user does not belong to, the
    setting is left as it was (empty), the page is a 404."""
    from django.test.utils import CaptureQueriesContext

    from organisations.tenancy import pinning, request_transaction

    client.force_login(alice.user)
    client.get("/o/centre-a/")
    assert client.get("/o/centre-b/").status_code == 404
    with request_transaction() as pinned:
        from organisations.selectors import memberships_of

        rows = list(pinning(memberships_of(alice.user), slug="centre-b"))
        assert [m.organisation.slug for m in rows] == ["centre-a"]
        assert not pinned(rows[0], bob.organisation)  # not the row of the organisation asked for
        assert current_db_organisation_id() is None
        with CaptureQueriesContext(connection) as ctx, tenant_context(bob.organisation):
            assert current_db_organisation_id() == bob.organisation_id
        sets = [q for q in _tenant_sql(ctx.captured_queries) if "set_config" in q]
        assert len(sets) == 2  # not pinned: tenant_context sets it, then restores the empty value


@pytest.mark.django_db(transaction=True)
def test_a_nested_context_of_the_same_centre_sets_nothing(org_a, org_b):
    from django.test.utils import CaptureQueriesContext

    with tenant_context(org_a):
        with CaptureQueriesContext(connection) as ctx:
            with tenant_context(org_a):
                assert current_db_organisation_id() == org_a.pk
        assert [q for q in _tenant_sql(ctx.captured_queries) if "set_config" in q] == []
        with tenant_context(org_b):
            assert current_db_organisation_id() == org_b.pk
        assert current_db_organisation_id() == org_a.pk
    assert current_db_organisation_id() is None


def test_a_token_call_loads_no_session_nor_user(alice, client):
    """Token calls skip the second-factor check: the session and the user are not even loaded,
    also when the caller holds a session cookie."""
    from django.test.utils import CaptureQueriesContext

    from organisations.services import api_token_create

    _token, key = api_token_create(membership=alice, name="t")
    client.force_login(alice.user)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/api/v1/o/centre-a/candidates/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200
    sql = " ".join(q["sql"] for q in ctx.captured_queries)
    assert "django_session" not in sql and 'FROM "accounts_user"' not in sql, sql
