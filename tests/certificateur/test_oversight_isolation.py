"""The only cross-tenant path, proven: a certificateur reads every centre's rows about its own
référentiels, none of another certificateur's, only inside ``oversight_context`` and only for
reading. The database does it (policy ``certificateur_oversight``), not just the ORM."""

import pytest
from django.apps import apps
from django.db import DatabaseError, connection, transaction
from django_scopes.exceptions import ScopeError

from candidates.models import Candidate, Dossier, DossierBloc
from certificateur.oversight import (
    OversightError,
    current_db_oversight_id,
    oversight_context,
    require_oversight,
)
from certificateur.rls import POLICY
from organisations.models import AuditEvent
from organisations.services import audit_record
from organisations.tenancy import TenantModel, current_db_organisation_id, scopes_disabled, tenant_context

# Tables under the oversight policy, and why a certificateur reads them.
OVERSEEN_TABLES = {
    "candidates_dossier": "decisions, voies d'accès, dates: oversight figures and the CDC flux",
    "candidates_dossierbloc": "success rates per bloc",
    "candidates_candidate": "holders' identity for the CDC declaration and the results export",
    "certificateur_verifiablecredential": "the status list of a certificateur's credentials",
    "juries_jury": "juries held per certification and year, transmission deadline",
    "juries_jurymember": "the jury's composition in the CQPM transmission bundle",
    "documents_issueddocument": "PVs, émargements (by jury or by épreuve) and parchemins / certificats de bloc (by certificateur)",
    "juries_decision": "which dossiers sat a jury: the émargements of the CQPM transmission bundle",
    "evaluations_inscriptionepreuve": "which épreuves those dossiers sat",
    "evaluations_epreuve": "the épreuves whose émargements go in the bundle",
    "espace_candidat_transmission": "the follow-up figures a centre transmits (insertion rates, seed 004 §10)",
    "juries_pvtransmission": "the signed PVs a centre transmits to the certificateur that issues (« PV reçus »)",
    "documents_centresignatoryname": "the centre's own signatory printed on the certificateur's documents",
    "documents_reissuerequest": "the civil-status corrections of its documents it approves (issue 13, point 5)",
    "documents_revocationrequest": "the revocations of its documents it approves (issue 13, point 5)",
}


def _ids(model, sql_table):
    """Visible ids, through the ORM and through raw SQL (which only RLS restricts)."""
    orm = set(model.objects.values_list("id", flat=True))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {sql_table}")  # noqa: S608 - constant table name
        raw = {row[0] for row in cursor.fetchall()}
    return orm, raw


def test_certificateur_sees_all_centres_for_its_referentiels(world, org_a, org_b):
    expected = {d.pk for d in world["cci_dossiers"]}
    with oversight_context(world["cci"]):
        orm, raw = _ids(Dossier, "candidates_dossier")
        assert orm == raw == expected
        assert {d.organisation_id for d in Dossier.objects.all()} == {org_a.pk, org_b.pk}
        # Candidates: those with a dossier on a CCI référentiel, in both centres.
        names = set(Candidate.objects.values_list("nom_naissance", flat=True))
        assert names == {"Alpha", "Bravo", "Charlie", "Echo", "Foxtrot", "Golf"}
        blocs = set(DossierBloc.objects.values_list("dossier_id", flat=True))
        assert blocs == expected


def test_certificateur_sees_nothing_of_another_certificateur(world):
    uimm_ids = {d.pk for d in world["uimm_dossiers"]}
    with oversight_context(world["cci"]), connection.cursor() as cursor:
        cursor.execute("SELECT id FROM candidates_dossier WHERE id = ANY(%s)", [list(uimm_ids)])
        assert cursor.fetchall() == []
        cursor.execute("SELECT count(*) FROM candidates_candidate WHERE nom_naissance IN ('Delta', 'Hotel')")
        assert cursor.fetchone()[0] == 0
    with oversight_context(world["uimm"]):
        assert set(Dossier.objects.values_list("id", flat=True)) == uimm_ids
        assert set(Candidate.objects.values_list("nom_naissance", flat=True)) == {"Delta", "Hotel"}


def test_oversight_does_not_open_other_tenant_tables(world, org_a):
    with tenant_context(org_a):
        audit_record(actor=None, action="secret.centre")
    with oversight_context(world["cci"]), scopes_disabled():
        assert AuditEvent.objects.count() == 0


def test_no_write_inside_oversight(world, org_a):
    dossier = world["a1"]
    with oversight_context(world["cci"]):
        with pytest.raises(DatabaseError, match="read-only"), transaction.atomic():
            Dossier.objects.filter(pk=dossier.pk).update(decision="ajourne")
        with pytest.raises(DatabaseError, match="read-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM candidates_candidate")
        with pytest.raises(DatabaseError, match="read-only"), transaction.atomic():
            AuditEvent.objects.create(organisation=org_a, action="intrusion")
    with tenant_context(org_a):
        assert Dossier.objects.get(pk=dossier.pk).decision == "certifie"


def test_policy_needs_a_read_only_transaction(world):
    """Setting the variable by hand in a read-write transaction opens nothing."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('app.oversight_certificateur_id', %s, true)", [str(world["cci"].pk)]
        )
        cursor.execute("SELECT count(*) FROM candidates_dossier")
        assert cursor.fetchone()[0] == 0
        cursor.execute("SELECT set_config('app.oversight_certificateur_id', '', true)")


def test_centre_context_writes_are_unaffected_and_rows_of_b_stay_hidden(world, org_a, org_b):
    with tenant_context(org_a), scopes_disabled():
        assert {d.organisation_id for d in Dossier.objects.all()} == {org_a.pk}
        with transaction.atomic():
            assert Dossier.objects.filter(organisation=org_b).update(decision="ajourne") == 0


def test_context_restores_settings_and_mode(world, org_a):
    with tenant_context(world["cci"]):
        with oversight_context(world["cci"]):
            assert current_db_oversight_id() == world["cci"].pk
        assert current_db_oversight_id() is None
        assert current_db_organisation_id() == world["cci"].pk
        audit_record(actor=None, action="written.after.oversight")  # read-write again
    assert current_db_oversight_id() is None


def test_context_refuses_none_and_centres(world, org_a):
    with pytest.raises(OversightError):
        with oversight_context(None):
            pass
    with pytest.raises(OversightError):
        with oversight_context(org_a):
            pass


def test_selectors_refuse_outside_the_context(world):
    from certificateur.selectors import oversight_dossiers

    with pytest.raises(OversightError):
        oversight_dossiers(certificateur=world["cci"])
    with oversight_context(world["uimm"]), pytest.raises(OversightError):
        require_oversight(world["cci"])
    with pytest.raises(ScopeError):
        list(Dossier.objects.all())


def test_oversight_policies_are_exactly_the_listed_select_only_ones(db):
    tenant_tables = {m._meta.db_table for m in apps.get_models() if issubclass(m, TenantModel)}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename, policyname, cmd, permissive, qual, with_check, roles::text[] "
            "FROM pg_policies WHERE schemaname = current_schema()"
        )
        policies = cursor.fetchall()
        cursor.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'candidates_candidate'")
        (owner,) = cursor.fetchone()
    extra = {}
    for table, name, cmd, permissive, qual, with_check, roles in policies:
        if table not in tenant_tables or name == "tenant_isolation":
            continue
        if name == "candidate_search_owner":
            # The name search's SECURITY DEFINER function (candidates 0007) reads as the table's
            # owner, who owns it anyway; never the application role, never a write.
            assert table == "candidates_candidate" and cmd == "SELECT" and with_check is None, table
            assert roles == [owner] and owner != connection.settings_dict["USER"], roles
            continue
        extra[table] = name
        assert name == POLICY, f"politique inattendue {name} sur {table}"
        assert cmd == "SELECT" and permissive == "PERMISSIVE" and with_check is None, table
        assert "transaction_read_only" in qual and "app.oversight_certificateur_id" in qual, table
    assert set(extra) == set(OVERSEEN_TABLES)
