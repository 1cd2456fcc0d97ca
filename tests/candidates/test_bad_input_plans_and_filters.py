"""Bad input on the dossier inline validation and
plan endpoints must give a clear French message and write nothing — never a server error.

Each test failing here demonstrates a defect; keep them once fixed.
"""

import pytest

from candidates.models import DossierBloc, DossierModalite
from candidates.selectors import dossier_grid
from organisations.tenancy import tenant_context
from tests.candidates.conftest import make_candidate, make_dossier


@pytest.fixture
def plan(habilitated, alice, rncp, client_for):
    with tenant_context(habilitated):
        dossier = make_dossier(alice, rncp, candidate=make_candidate(alice))
        grid = dossier_grid(dossier=dossier)
        before = (
            sorted(DossierBloc.objects.values_list("bloc_id", flat=True)),
            sorted(DossierModalite.objects.values_list("capacite_id", "modalite_id")),
        )
    full = {"blocs": [str(row.bloc.pk) for row in grid]}
    for row in grid:
        for cr in row.capacites:
            full[f"modalite_{cr.capacite.pk}"] = str(cr.chosen.pk)
    client = client_for(alice)
    client.raise_request_exception = False
    return {
        "dossier": dossier,
        "grid": grid,
        "full": full,
        "before": before,
        "client": client,
        "org": habilitated,
    }


def _unchanged(plan):
    with tenant_context(plan["org"]):
        assert plan["before"] == (
            sorted(DossierBloc.objects.values_list("bloc_id", flat=True)),
            sorted(DossierModalite.objects.values_list("capacite_id", "modalite_id")),
        )


# "²".isdigit() is True but int("²") raises ValueError: candidates/views.py _plan_input and the
# modalité partial convert with int() after an isdigit() check.
SUPERSCRIPT_TWO = "\u00b2"


def test_plan_submit_with_a_non_ascii_digit_bloc_is_refused_cleanly(plan):
    url = f"/o/centre-a/candidats/dossiers/{plan['dossier'].public_id}/plan/"
    response = plan["client"].post(url, plan["full"] | {"blocs": plan["full"]["blocs"] + [SUPERSCRIPT_TWO]})
    assert response.status_code in (302, 400), response.status_code
    _unchanged(plan)


def test_plan_inline_validation_with_a_non_ascii_digit_bloc_is_refused_cleanly(plan):
    bloc = plan["grid"][0].bloc
    url = f"/o/centre-a/candidats/dossiers/{plan['dossier'].public_id}/plan/valider/"
    response = plan["client"].post(
        url,
        plan["full"] | {"blocs": plan["full"]["blocs"] + [SUPERSCRIPT_TWO]},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TRIGGER=f"bloc-{bloc.pk}",
    )
    assert response.status_code == 200, response.status_code
    _unchanged(plan)


def test_plan_inline_validation_with_a_non_ascii_digit_modalite_is_refused_cleanly(plan):
    cap = plan["grid"][0].capacites[0].capacite
    url = f"/o/centre-a/candidats/dossiers/{plan['dossier'].public_id}/plan/valider/"
    response = plan["client"].post(
        url,
        plan["full"] | {f"modalite_{cap.pk}": SUPERSCRIPT_TWO},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TRIGGER=f"modalite-{cap.pk}",
    )
    assert response.status_code == 200, response.status_code
    assert "Modalité invalide" in response.content.decode()
    _unchanged(plan)


def test_deleting_a_version_used_by_a_dossier_is_refused_with_a_clear_message(
    habilitated, alice, rncp, certificateurs, client_for
):
    """Issue 3, « deleting a used version »: no existing test puts a dossier on the version."""
    from django.db import DatabaseError, connection, transaction

    from organisations.roles import Role
    from referentiels.models import Referentiel
    from referentiels.services import referentiel_new_version, referentiel_publish
    from tests.conftest import make_member

    with tenant_context(habilitated):
        dossier = make_dossier(alice, rncp, candidate=make_candidate(alice))
    cci = certificateurs["cci"]
    v2 = referentiel_new_version(referentiel=rncp, by=cci)
    referentiel_publish(referentiel=v2, by=cci)
    rncp.refresh_from_db()
    assert rncp.status == Referentiel.Status.ARCHIVED
    staff = client_for(make_member(cci, Role.CERTIFICATEUR, "staff@cci.test"))
    response = staff.post(f"/o/cci-france/referentiels/{rncp.public_id}/supprimer/", follow=True)
    assert "il ne peut plus être modifié" in response.content.decode()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM referentiels_referentiel WHERE id = %s", [rncp.pk])
    assert Referentiel.objects.filter(pk=rncp.pk).exists()
    with tenant_context(habilitated):
        dossier.refresh_from_db()
        assert dossier.referentiel_id == rncp.pk


@pytest.mark.parametrize(
    "url",
    [
        "/o/centre-a/candidats/?q=a%00b",
        "/o/centre-a/candidats/?referentiel=a%00b",
        "/o/centre-a/candidats/?voie_acces=a%00b",
        "/o/centre-a/candidats/export.csv?q=a%00b",
        "/o/centre-a/referentiels/?q=a%00b",
        "/o/centre-a/referentiels/?certificateur=a%00b",
    ],
)
def test_list_filters_with_a_nul_byte_do_not_crash(habilitated, alice, client_for, url):
    """PostgreSQL refuses NUL in text parameters (psycopg raises ValueError): the list's filters
    are read from the query string without the forms' null-character validator."""
    client = client_for(alice)
    client.raise_request_exception = False
    assert client.get(url).status_code in (200, 400), url


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/o/centre-a/candidates/?q=a%00b",
        "/api/v1/o/centre-a/dossiers/?referentiel=a%00b",
        "/api/v1/referentiels/?search=a%00b",
    ],
)
def test_api_filters_with_a_nul_byte_do_not_crash(habilitated, alice, api_for, url):
    api = api_for(alice)
    api.raise_request_exception = False
    assert api.get(url).status_code in (200, 400), url


@pytest.mark.parametrize(
    "url",
    [
        "/o/centre-a/candidats/?page=abc",
        "/o/centre-a/candidats/?page=-1",
        "/o/centre-a/candidats/?page=99999999999999999999",
        "/o/centre-a/candidats/?page_size=100000",
        "/o/centre-a/candidats/?page_size=-5",
        "/o/centre-a/candidats/?sort=-naissance",
        "/o/centre-a/candidats/?naissance=31/02/2000",
        "/o/centre-a/candidats/?session=pas-un-uuid",
        "/o/centre-a/candidats/?tiers_temps=peut-etre",
        "/o/centre-a/candidats/export.xlsx?naissance=99/99/9999",
        "/o/centre-a/candidats/export.pdf",
        "/api/v1/o/centre-a/candidates/?page=abc",
        "/api/v1/o/centre-a/dossiers/?status=inconnu",
        "/api/v1/o/centre-a/dossiers/?naissance=31/02/2000",
        "/api/v1/o/centre-a/dossiers/?page_size=-1",
    ],
)
def test_list_odd_parameters_do_not_crash(habilitated, alice, client_for, api_for, url):
    client = api_for(alice) if url.startswith("/api/") else client_for(alice)
    client.raise_request_exception = False
    assert client.get(url).status_code in (200, 400, 404), url


FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def test_siret_and_insee_refuse_non_ascii_digits():
    """``\\d`` in a str regex matches every Unicode digit and ``int()`` reads them: a SIRET typed in
    full-width digits passes the Luhn check and would be stored as is (the CDC XSD wants [0-9])."""
    from django.core.exceptions import ValidationError

    from candidates.validators import siret_is_valid, validate_siret

    siret = "73282932000074".translate(FULLWIDTH)
    assert not siret_is_valid(siret)
    with pytest.raises(ValidationError):
        validate_siret(siret)


def test_entreprise_api_refuses_a_full_width_siret(habilitated, alice, api_for):
    from candidates.models import Entreprise

    api = api_for(alice)
    response = api.post(
        "/api/v1/o/centre-a/entreprises/",
        {"raison_sociale": "Exemple", "siret": "73282932000074".translate(FULLWIDTH)},
        format="json",
    )
    assert response.status_code == 400, response.status_code
    with tenant_context(habilitated):
        assert not Entreprise.objects.exists()
