"""Inline validation (htmx) of the dossier form and of the blocs/modalités plan: the field the
user leaves comes back with the form's and the services' messages, accessible, nothing written."""

import html as html_lib
import re

import pytest

from candidates import services
from candidates.models import Dossier, DossierBloc, DossierModalite, Entreprise, Tuteur
from candidates.selectors import dossier_grid
from organisations.models import AuditEvent
from organisations.tenancy import tenant_context
from tests.candidates.conftest import make_candidate, make_dossier

GOOD = {
    "voie_acces": Dossier.VoieAcces.APPRENTISSAGE,
    "statut_professionnel": "apprenti",
    "date_inscription": "2025-09-01",
}


def _field(response, name):
    """The re-rendered field: its wrapper, the widget's aria attributes and the error text."""
    html = response.content.decode()
    assert response.status_code == 200 and f'id="champ-{name}"' in html, html
    error = re.search(rf'<p class="error" id="id_{name}_erreur">([^<]*)</p>', html)
    return html, (html_lib.unescape(error.group(1)) if error else None)


@pytest.fixture
def gest(habilitated, alice, client_for):
    with tenant_context(habilitated):
        candidate = make_candidate(alice)
        other = make_candidate(alice, nom_naissance="Autre", email="autre@example.org")
    return {"client": client_for(alice), "candidate": candidate, "other": other}


def _post(gest, candidate, name, data):
    return gest["client"].post(
        f"/o/centre-a/candidats/{candidate.public_id}/dossiers/nouveau/valider/",
        data,
        HTTP_HX_REQUEST="true",
        HTTP_HX_TRIGGER_NAME=name,
    )


def test_dossier_form_fields_carry_htmx_and_no_error_yet(gest):
    page = gest["client"].get(f"/o/centre-a/candidats/{gest['candidate'].public_id}/dossiers/nouveau/")
    html = page.content.decode()
    url = f"/o/centre-a/candidats/{gest['candidate'].public_id}/dossiers/nouveau/valider/"
    for name in ("voie_acces", "nouvelle_entreprise_siret", "tuteur", "date_remise_rapport"):
        tag = re.search(rf'<(?:input|select)[^>]*name="{name}"[^>]*>', html).group(0)
        assert (
            f'hx-post="{url}"' in tag and f'hx-target="#champ-{name}"' in tag and 'hx-trigger="change"' in tag
        )
        assert "aria-invalid" not in tag
    siret = re.search(r'<input[^>]*name="nouvelle_entreprise_siret"[^>]*>', html).group(0)
    assert 'aria-describedby="id_nouvelle_entreprise_siret_aide"' in siret


def test_siret_key_and_taken_siret(gest, habilitated, alice):
    html, error = _field(
        _post(
            gest,
            gest["candidate"],
            "nouvelle_entreprise_siret",
            GOOD | {"nouvelle_entreprise_siret": "73282932000075"},
        ),
        "nouvelle_entreprise_siret",
    )
    assert "clé de contrôle" in error
    assert 'aria-invalid="true"' in html
    # The re-rendered field validates again on its next change.
    url = f"/o/centre-a/candidats/{gest['candidate'].public_id}/dossiers/nouveau/valider/"
    assert f'hx-post="{url}"' in html
    assert 'aria-describedby="id_nouvelle_entreprise_siret_aide id_nouvelle_entreprise_siret_erreur"' in html
    html, error = _field(
        _post(
            gest,
            gest["candidate"],
            "nouvelle_entreprise_siret",
            GOOD | {"nouvelle_entreprise_siret": "732 829 320 00074"},
        ),
        "nouvelle_entreprise_siret",
    )
    assert error is None and "aria-invalid" not in html
    with tenant_context(habilitated):
        services.entreprise_create(by=alice, siret="73282932000074", raison_sociale="Acme")
    _html, error = _field(
        _post(
            gest,
            gest["candidate"],
            "nouvelle_entreprise_siret",
            GOOD | {"nouvelle_entreprise_siret": "73282932000074"},
        ),
        "nouvelle_entreprise_siret",
    )
    assert error == "Une entreprise avec le SIRET 73282932000074 existe déjà."
    with tenant_context(habilitated):
        assert Entreprise.objects.count() == 1


def test_referentiel_habilitation_and_open_dossier(gest, habilitated, alice, rncp, cqpm):
    data = GOOD | {"referentiel": rncp.pk}
    _html, error = _field(_post(gest, gest["candidate"], "referentiel", data), "referentiel")
    assert error is None
    # Habilitations start on 01/01/2024: an inscription in 2023 is refused, on the référentiel.
    _html, error = _field(
        _post(gest, gest["candidate"], "referentiel", data | {"date_inscription": "2023-06-01"}),
        "referentiel",
    )
    assert error == "Le centre n'est pas habilité pour RNCP36390 au 01/06/2023."
    with tenant_context(habilitated):
        make_dossier(alice, rncp, candidate=gest["other"])
    _html, error = _field(_post(gest, gest["other"], "referentiel", data), "referentiel")
    assert error == "Ce candidat a déjà un dossier en cours pour RNCP36390."
    _html, error = _field(
        _post(gest, gest["other"], "referentiel", data | {"referentiel": cqpm.pk}), "referentiel"
    )
    assert error is None
    with tenant_context(habilitated):
        assert Dossier.objects.count() == 1


def test_choices_dates_and_tuteur_of_another_entreprise(gest, habilitated, alice):
    _html, error = _field(
        _post(gest, gest["candidate"], "voie_acces", GOOD | {"voie_acces": "bidule"}), "voie_acces"
    )
    assert error.startswith("Sélectionnez un choix valide")
    _html, error = _field(_post(gest, gest["candidate"], "voie_acces", GOOD), "voie_acces")
    assert error is None
    late = GOOD | {"date_remise_rapport": "2025-08-31"}
    _html, error = _field(_post(gest, gest["candidate"], "date_remise_rapport", late), "date_remise_rapport")
    assert (
        error
        == "La date limite de remise du rapport (31/08/2025) précède la date d'inscription (01/09/2025)."
    )
    _html, error = _field(
        _post(gest, gest["candidate"], "date_remise_rapport", late | {"date_remise_rapport": "2026-01-15"}),
        "date_remise_rapport",
    )
    assert error is None
    with tenant_context(habilitated):
        acme = services.entreprise_create(by=alice, siret="73282932000074", raison_sociale="Acme")
        other = services.entreprise_create(by=alice, siret="44306184100047", raison_sociale="Autre")
        tuteur = services.tuteur_create(
            by=alice, nom="Martin", prenom="Paul", email="p@example.org", entreprise=other
        )
    data = GOOD | {"entreprise": acme.pk, "tuteur": tuteur.pk}
    _html, error = _field(_post(gest, gest["candidate"], "tuteur", data), "tuteur")
    assert error == "Le tuteur choisi appartient à une autre entreprise."
    _html, error = _field(_post(gest, gest["candidate"], "tuteur", data | {"entreprise": other.pk}), "tuteur")
    assert error is None
    # The same rule holds on submit: the date order is the service's.
    response = gest["client"].post(
        f"/o/centre-a/candidats/{gest['candidate'].public_id}/dossiers/nouveau/",
        late
        | {
            "referentiel": Dossier._meta.get_field("referentiel")
            .related_model.objects.get(code="RNCP36390")
            .pk
        },
    )
    assert response.status_code == 400 and "précède la date d&#x27;inscription" in response.content.decode()
    with tenant_context(habilitated):
        assert not Dossier.objects.exists() and Tuteur.objects.count() == 1


def test_unknown_trigger_answers_204(gest):
    assert _post(gest, gest["candidate"], "bidule", GOOD).status_code == 204


def test_edit_form_date_frozen_once_inscrit(gest, habilitated, alice, rncp):
    with tenant_context(habilitated):
        dossier = make_dossier(alice, rncp, candidate=gest["candidate"])
    url = f"/o/centre-a/candidats/dossiers/{dossier.public_id}/modifier/valider/"
    data = {"voie_acces": dossier.voie_acces, "date_inscription": "2025-09-02"}
    response = gest["client"].post(url, data, HTTP_HX_REQUEST="true", HTTP_HX_TRIGGER_NAME="date_inscription")
    html, error = _field(response, "date_inscription")
    assert error is None and f'hx-post="{url}"' in html
    with tenant_context(habilitated):
        services.dossier_transition(dossier=dossier, to=Dossier.Status.INSCRIT, by=alice)
    response = gest["client"].post(url, data, HTTP_HX_REQUEST="true", HTTP_HX_TRIGGER_NAME="date_inscription")
    assert (
        _field(response, "date_inscription")[1]
        == "La date d'inscription ne change plus une fois le dossier inscrit."
    )
    page = (
        gest["client"].get(f"/o/centre-a/candidats/dossiers/{dossier.public_id}/modifier/").content.decode()
    )
    assert f'hx-post="{url}"' in page
    with tenant_context(habilitated):
        dossier.refresh_from_db()
        assert str(dossier.date_inscription) == "2025-09-01"


def test_plan_validation_blocs_and_modalites_nothing_written(gest, habilitated, alice, rncp):
    with tenant_context(habilitated):
        dossier = make_dossier(alice, rncp, candidate=gest["candidate"])
        grid = dossier_grid(dossier=dossier)
        before = (
            sorted(DossierBloc.objects.values_list("bloc_id", flat=True)),
            sorted(DossierModalite.objects.values_list("capacite_id", "modalite_id")),
            AuditEvent.objects.exclude(action="dossier.view").count(),
        )
    url = f"/o/centre-a/candidats/dossiers/{dossier.public_id}/plan/valider/"
    full = {"blocs": [str(row.bloc.pk) for row in grid]}
    for row in grid:
        for cr in row.capacites:
            full[f"modalite_{cr.capacite.pk}"] = str(cr.chosen.pk)
    first_bloc, cap = grid[0].bloc, grid[0].capacites[0]

    def post(trigger, data):
        return gest["client"].post(url, data, HTTP_HX_REQUEST="true", HTTP_HX_TRIGGER=trigger)

    page = gest["client"].get(f"/o/centre-a/candidats/dossiers/{dossier.public_id}/").content.decode()
    assert f'hx-post="{url}"' in page and f'id="modalite-champ-{cap.capacite.pk}"' in page

    ok = post(f"modalite-{cap.capacite.pk}", full).content.decode()
    assert f'id="modalite-champ-{cap.capacite.pk}"' in ok and "error" not in ok and "aria-invalid" not in ok
    # No bloc left: refused on the checkbox the user unticked.
    none = post(f"bloc-{first_bloc.pk}", {k: v for k, v in full.items() if k != "blocs"}).content.decode()
    assert (
        f'id="bloc-champ-{first_bloc.pk}"' in none and "Choisissez au moins un bloc de compétences." in none
    )
    assert f'aria-describedby="bloc-{first_bloc.pk}-erreur"' in none and 'aria-invalid="true"' in none
    # A modalité the référentiel does not allow for that capacité (tampered value).
    foreign = next(m.pk for row in grid for cr in row.capacites for m in cr.allowed if m not in cap.allowed)
    bad = post(
        f"modalite-{cap.capacite.pk}", full | {f"modalite_{cap.capacite.pk}": str(foreign)}
    ).content.decode()
    assert (
        f"La modalité choisie pour la capacité {cap.capacite.code} n'est pas permise par le référentiel."
        in html_lib.unescape(bad)
    )
    # Left at « à choisir »: the inscription will need it (only for a capacité with a choice).
    multi = next(cr for row in grid for cr in row.capacites if len(cr.allowed) > 1)
    empty = post(
        f"modalite-{multi.capacite.pk}", full | {f"modalite_{multi.capacite.pk}": ""}
    ).content.decode()
    assert "Modalité à choisir : l'inscription du candidat l'exige." in html_lib.unescape(empty)
    assert f'aria-describedby="modalite-{multi.capacite.pk}-erreur"' in empty
    assert post("ailleurs", full).status_code == 204
    with tenant_context(habilitated):
        assert before == (
            sorted(DossierBloc.objects.values_list("bloc_id", flat=True)),
            sorted(DossierModalite.objects.values_list("capacite_id", "modalite_id")),
            AuditEvent.objects.exclude(action="dossier.view").count(),
        )
    # On submit too, « à choisir » unsets the choice (it used to keep the old one silently).
    gest["client"].post(
        f"/o/centre-a/candidats/dossiers/{dossier.public_id}/plan/",
        full | {f"modalite_{multi.capacite.pk}": ""},
    )
    with tenant_context(habilitated):
        assert not DossierModalite.objects.filter(capacite=multi.capacite).exists()
        assert DossierModalite.objects.count() == len(before[1]) - 1


def test_every_aria_describedby_names_an_element_of_the_page(gest, habilitated, alice, rncp):
    with tenant_context(habilitated):
        dossier = make_dossier(alice, rncp, candidate=gest["candidate"])
    client, cid = gest["client"], gest["candidate"].public_id
    pages = {
        "/o/centre-a/candidats/nouveau/": client.post(
            "/o/centre-a/candidats/nouveau/", {"date_naissance": "x"}
        ),
        "dossier nouveau": client.post(
            f"/o/centre-a/candidats/{cid}/dossiers/nouveau/", {"nouvelle_entreprise_siret": "1"}
        ),
        "dossier": client.get(f"/o/centre-a/candidats/dossiers/{dossier.public_id}/"),
        "import": client.get("/o/centre-a/candidats/import/"),
        "candidat": client.get(f"/o/centre-a/candidats/{cid}/"),
    }
    for name, response in pages.items():
        page = response.content.decode()
        ids = set(re.findall(r'\sid="([^"]+)"', page))
        described = [i for value in re.findall(r'aria-describedby="([^"]+)"', page) for i in value.split()]
        assert described or name == "candidat", name
        assert [i for i in described if i not in ids] == [], name
