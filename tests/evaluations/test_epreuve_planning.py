"""Épreuve planning (issue 14, point 8): an épreuve's modalité belongs to the bloc it evaluates,
identical modalité wordings are told apart, an épreuve is deleted and a candidate taken off it from
the page, with the guards the API has (refused once convocations, results or attendance exist).

Seed 004: « La validation de chaque bloc de compétences est déterminée par une ou plusieurs
évaluations » — each bloc's modalités (« Etude de cas sur table », « Portefeuille de preuves »…)
evaluate that bloc.
"""

import datetime as dt

import pytest

from core.errors import ApplicationError
from evaluations.forms import EpreuveForm
from evaluations.models import Epreuve, InscriptionEpreuve
from evaluations.services import (
    epreuve_candidat_remove,
    epreuve_candidats_add,
    epreuve_create,
    epreuve_update,
    presence_record,
    session_create,
)
from organisations.tenancy import tenant_context
from referentiels.models import Modalite
from tests.evaluations.conftest import inscribed_dossier

BC1, BC2 = "RNCP36390BC01", "RNCP36390BC02"
DAY = dt.date(2026, 9, 10)


def _session(alice, ref):
    return session_create(by=alice, referentiel=ref, intitule="Session septembre", lieu="Lyon")


def _etude_de_cas(ref, code):
    return Modalite.objects.filter(referentiel=ref, bloc__code=code, type="etude_de_cas").first()


def _epreuve(alice, session, ref, *, modalite=None, code=BC1):
    return epreuve_create(
        session=session,
        by=alice,
        intitule=f"Étude de cas {code}",
        bloc=ref.blocs.get(code=code),
        modalite=modalite,
        date=DAY,
        heure_debut=dt.time(9),
        duree_minutes=180,
        lieu="Lyon",
    )


def test_a_modalite_of_another_bloc_is_refused(in_a, alice, referentiels):
    ref = referentiels["rncp"]
    session = _session(alice, ref)
    with pytest.raises(
        ApplicationError, match=f"ne relève pas de ce que l'épreuve évalue \\(le bloc {BC1}\\)"
    ):
        _epreuve(alice, session, ref, modalite=_etude_de_cas(ref, BC2))
    assert not Epreuve.objects.filter(session=session).exists()
    epreuve = _epreuve(alice, session, ref, modalite=_etude_de_cas(ref, BC1))
    with pytest.raises(ApplicationError, match="choisissez une modalité de ce bloc"):
        epreuve_update(epreuve=epreuve, by=alice, modalite=_etude_de_cas(ref, BC2))
    epreuve.refresh_from_db()
    assert epreuve.modalite == _etude_de_cas(ref, BC1)


def test_a_competence_epreuve_takes_a_modalite_of_its_bloc(in_a, alice, referentiels):
    """CQPI (seed 003): each bloc has its « Observation en situation de travail » and its
    « Entretien avec les membres du jury d'évaluation »."""
    from organisations.models import Organisation
    from referentiels.demo import load_seed
    from referentiels.services import habilitation_grant

    cert = Organisation.objects.create(kind="certificateur", slug="branche", name="Branche")
    ref = load_seed("cqpi-assistant.json", cert)
    habilitation_grant(certificateur=cert, centre=in_a, code=ref.code, date_debut=dt.date(2024, 1, 1))
    session = _session(alice, ref)
    entretien = {
        code: Modalite.objects.get(referentiel=ref, bloc__code=code, type="entretien")
        for code in ("BC1", "BC2")
    }
    common = dict(
        session=session, by=alice, intitule="Entretien", date=DAY, heure_debut=dt.time(9), duree_minutes=60
    )
    with pytest.raises(
        ApplicationError, match="ne relève pas de ce que l'épreuve évalue \\(les compétences 1, 2\\)"
    ):
        epreuve_create(**common, capacites=["1", "2"], modalite=entretien["BC2"])
    assert (
        epreuve_create(**common, capacites=["1", "2"], modalite=entretien["BC1"]).modalite == entretien["BC1"]
    )


def test_identical_modalite_wordings_are_told_apart(in_a, alice, referentiels):
    ref = referentiels["rncp"]
    form = EpreuveForm(session=_session(alice, ref), evaluateurs=[])
    labels = [label for value, label in form.fields["modalite"].choices if value]
    assert len(labels) == len(set(labels)), [x for x in labels if labels.count(x) > 1]
    assert f"Bloc {BC2} : Contrôle continu — Points de contrôle continu" in labels


def test_page_refuses_a_foreign_modalite_with_a_french_message(org_a, alice, referentiels, client_for):
    ref = referentiels["rncp"]
    with tenant_context(org_a):
        session = _session(alice, ref)
        wrong = _etude_de_cas(ref, BC2)
        bloc = ref.blocs.get(code=BC1)
    r = client_for(alice).post(
        f"/o/{org_a.slug}/evaluations/sessions/{session.public_id}/",
        {
            "intitule": "Étude de cas",
            "date": "10/09/2026",
            "heure_debut": "09:00",
            "duree_minutes": "180",
            "lieu": "Lyon",
            "cible": f"bloc:{bloc.pk}",
            "modalite": str(wrong.pk),
        },
    )
    assert r.status_code == 400 and "ne relève pas de ce que l&#x27;épreuve évalue" in r.content.decode()
    with tenant_context(org_a):
        assert not Epreuve.objects.filter(session=session).exists()


def test_api_refuses_a_foreign_modalite(org_a, alice, referentiels, api_for):
    ref = referentiels["rncp"]
    with tenant_context(org_a):
        session = _session(alice, ref)
        wrong = _etude_de_cas(ref, BC2)
    r = api_for(alice).post(
        f"/api/v1/o/{org_a.slug}/sessions/{session.public_id}/epreuves/",
        {
            "intitule": "Étude de cas",
            "bloc": BC1,
            "modalite_id": wrong.pk,
            "date": "2026-09-10",
            "heure_debut": "09:00",
            "duree_minutes": 180,
            "lieu": "Lyon",
        },
        format="json",
    )
    assert r.status_code == 400 and "ne relève pas" in r.json()["error"]["message"]


def test_delete_and_unenrol_from_the_page_with_the_guards(org_a, alice, referentiels, client_for, api_for):
    ref = referentiels["rncp"]
    with tenant_context(org_a):
        session = _session(alice, ref)
        epreuve = _epreuve(alice, session, ref)
        d1 = inscribed_dossier(alice, ref)
        d2 = inscribed_dossier(alice, ref, prenom1="Louise")
        i1, i2 = epreuve_candidats_add(epreuve=epreuve, by=alice, dossiers=[d1, d2])
        presence_record(inscription=i2, by=alice, presence="present")
    client = client_for(alice)
    page = client.get(f"/o/{org_a.slug}/evaluations/epreuves/{epreuve.public_id}/").content.decode()
    assert "Supprimer l'épreuve" in page and "Retirer" in page
    # a candidate whose attendance is recorded stays, with the reason
    r = client.post(f"/o/{org_a.slug}/evaluations/inscriptions/{i2.public_id}/retirer/", follow=True)
    assert (
        "ne peut pas être retiré(e)" in r.content.decode() and "présence ou un incident" in r.content.decode()
    )
    r = client.post(f"/o/{org_a.slug}/evaluations/epreuves/{epreuve.public_id}/supprimer/", follow=True)
    assert "ne peut pas être supprimée : des présences ou incidents enregistrés" in r.content.decode()
    r = client.post(f"/o/{org_a.slug}/evaluations/inscriptions/{i1.public_id}/retirer/", follow=True)
    assert "retiré(e) de l&#x27;épreuve" in r.content.decode()
    with tenant_context(org_a):
        assert list(InscriptionEpreuve.objects.filter(epreuve=epreuve)) == [i2]
        with pytest.raises(ApplicationError, match="présence ou un incident"):
            epreuve_candidat_remove(inscription=i2, by=alice)
    api = api_for(alice)
    url = f"/api/v1/o/{org_a.slug}/epreuves/{epreuve.public_id}/inscriptions/{i2.public_id}/"
    r = api.delete(url)
    assert r.status_code == 400 and "présence ou un incident" in r.json()["error"]["message"]
    # a fresh épreuve with nobody convoked goes
    with tenant_context(org_a):
        other = _epreuve(alice, session, ref, code=BC2)
        (i3,) = epreuve_candidats_add(epreuve=other, by=alice, dossiers=[d1])
    assert (
        api.delete(
            f"/api/v1/o/{org_a.slug}/epreuves/{other.public_id}/inscriptions/{i3.public_id}/"
        ).status_code
        == 204
    )
    r = client.post(f"/o/{org_a.slug}/evaluations/epreuves/{other.public_id}/supprimer/", follow=True)
    assert "supprimée" in r.content.decode()
    with tenant_context(org_a):
        assert not Epreuve.objects.filter(pk=other.pk).exists()
