"""The commission d'évaluation page,
the grid's critères/comment, the double-marking resolution. Each test states the expected
behaviour (a clear French message and nothing written, 404 across tenants or outside one's
assignments); a failing one demonstrates a defect."""

import datetime as dt

import pytest
from django.utils import timezone

from candidates.models import Dossier
from evaluations import services
from evaluations.models import CorrectionResolution, Resultat, ResultatChange
from organisations.roles import Role
from organisations.tenancy import tenant_context
from referentiels.models import Capacite
from tests.evaluations import (
    test_api_edit_delete,
    test_commission,
    test_double_correction_modalite,
    test_grid_details,
    test_pages_and_api,
)

setup = test_commission.setup
planned = test_api_edit_delete.planned
cqpm_epreuve = test_pages_and_api.cqpm_epreuve
eva = test_grid_details.eva
double_ref = test_double_correction_modalite.double_ref
API = "/api/v1/o/centre-a"


def _commission_url(dossier):
    return f"/o/centre-a/evaluations/dossiers/{dossier.public_id}/commission/"


# --- commission d'évaluation page -------------------------------------------------------------


def test_commission_page_malformed_resultat_id_is_404_not_500(org_a, alice, client_for, setup):
    client = client_for(alice)
    r = client.post(_commission_url(setup["dossier"]), {"resultat": "pas-un-uuid", "decision": "acquis"})
    assert r.status_code == 404


def test_commission_page_nul_character_in_motivation_is_a_message_and_writes_nothing(
    org_a, alice, client_for, setup
):
    with tenant_context(org_a):
        r1 = Resultat.objects.get(dossier=setup["dossier"], capacite=setup["cap1"])
        before = ResultatChange.objects.count()
    r = client_for(alice).post(
        _commission_url(setup["dossier"]),
        {"resultat": str(r1.public_id), "decision": "acquis", "motivation": "Vu\x00 en situation"},
    )
    assert r.status_code == 400
    with tenant_context(org_a):
        r1.refresh_from_db()
        assert not r1.valide and ResultatChange.objects.count() == before


def test_commission_page_and_api_are_404_across_tenants(org_a, bob, client_for, api_for, setup):
    assert client_for(bob).get(_commission_url(setup["dossier"])).status_code == 404
    api = api_for(bob)
    assert api.get(f"{API}/dossiers/{setup['dossier'].public_id}/commission/").status_code == 404
    with tenant_context(org_a):
        r1 = Resultat.objects.get(dossier=setup["dossier"], capacite=setup["cap1"])
    r = api_for(bob).post(
        f"/api/v1/o/centre-b/resultats/{r1.public_id}/commission/", {"decision": "acquis"}, format="json"
    )
    assert r.status_code == 404


def test_commission_page_is_404_for_an_evaluateur_not_assigned(org_a, client_for, member_factory, setup):
    outsider = member_factory(org_a, Role.EVALUATEUR, "eva-out@test.local")
    assert client_for(outsider).get(_commission_url(setup["dossier"])).status_code == 404


# --- dossier results page ---------------------------------------------------------------------


def test_results_page_malformed_resultat_id_is_404_not_500(org_a, alice, client_for, setup):
    url = f"/o/centre-a/evaluations/dossiers/{setup['dossier'].public_id}/resultats/"
    r = client_for(alice).post(url, {"action": "valider", "resultat": "pas-un-uuid"})
    assert r.status_code == 404


# --- grid critères / comment ----------------------------------------------------------------------


def test_grid_details_nul_character_in_comment_is_a_message_and_writes_nothing(
    org_a, alice, eva, client_for, cqpm_epreuve
):
    epreuve, [dossier] = cqpm_epreuve(evaluateurs=[eva.user])
    code = epreuve.capacites[0]
    with tenant_context(org_a):
        services.epreuve_mark(epreuve=epreuve, dossier=dossier, by=alice, cible=code, valeur="acquis")
        before = ResultatChange.objects.count()
    r = client_for(eva).post(
        f"/o/centre-a/evaluations/epreuves/{epreuve.public_id}/grille/details/",
        {"dossier": str(dossier.public_id), "cible": code, "commentaire": "Bien\x00"},
        HTTP_HX_REQUEST="true",
    )
    # core.middleware.NulCharacterMiddleware answers every page form holding a NUL with a French
    # 400 before any view or query runs: that is the message, and nothing is written.
    assert (r.status_code == 200 and 'role="alert"' in r.content.decode()) or (
        r.status_code == 400 and "Caractère nul (0x00) refusé" in r.content.decode()
    )
    with tenant_context(org_a):
        assert ResultatChange.objects.count() == before
        assert Resultat.objects.get(dossier=dossier).commentaire == ""


def test_grid_details_on_a_frozen_dossier_is_refused(org_a, alice, eva, client_for, cqpm_epreuve):
    epreuve, [dossier] = cqpm_epreuve(evaluateurs=[eva.user])
    code = epreuve.capacites[0]
    with tenant_context(org_a):
        services.epreuve_mark(epreuve=epreuve, dossier=dossier, by=alice, cible=code, valeur="acquis")
        Dossier.objects.filter(pk=dossier.pk).update(status=Dossier.Status.ABANDON)
        cap = Capacite.objects.get(referentiel=epreuve.session.referentiel, code=code)
        critere = cap.criteres.first().pk
    r = client_for(eva).post(
        f"/o/centre-a/evaluations/epreuves/{epreuve.public_id}/grille/details/",
        {"dossier": str(dossier.public_id), "cible": code, "criteres": [critere], "commentaire": "x"},
        HTTP_HX_REQUEST="true",
    )
    assert "figés" in r.content.decode()
    with tenant_context(org_a):
        assert Resultat.objects.get(dossier=dossier).commentaire == ""


# --- double-marking resolution API ----------------------------------------------------------------


@pytest.fixture
def disagreement(org_a, planned, member_factory):
    eva1 = member_factory(org_a, Role.EVALUATEUR, "eva1@test.local")
    eva2 = member_factory(org_a, Role.EVALUATEUR, "eva2@test.local")
    session, epreuve, dossier = planned(double=True, evaluateurs=[eva1.user, eva2.user], days=-1)
    cible = epreuve.capacites[0]
    with tenant_context(org_a):
        services.epreuve_mark(epreuve=epreuve, dossier=dossier, by=eva1, cible=cible, valeur="acquis")
        services.epreuve_mark(epreuve=epreuve, dossier=dossier, by=eva2, cible=cible, valeur="non_acquis")
    return {"epreuve": epreuve, "dossier": dossier, "cible": cible, "eva1": eva1, "eva2": eva2}


def test_resolution_api_bad_input_writes_nothing(org_a, alice, api_for, disagreement, planned):
    api = api_for(alice)
    d = disagreement
    url = f"{API}/epreuves/{d['epreuve'].public_id}/resolutions/"
    base = {"dossier": str(d["dossier"].public_id), "cible": d["cible"], "motif": "Relecture"}
    _, _, other_dossier = planned()  # a dossier of another épreuve
    cases = [
        (base | {"valeur": "NaN"}, 400),
        (base | {"valeur": "x" * 21}, 400),
        (base | {"cible": "ZZZ", "valeur": "acquis"}, 400),
        (base | {"dossier": "00000000-0000-0000-0000-000000000000", "valeur": "acquis"}, 404),
        (base | {"dossier": str(other_dossier.public_id), "valeur": "acquis"}, 400),
        (base | {"dossier": "pas-un-uuid", "valeur": "acquis"}, 400),
    ]
    for payload, expected in cases:
        r = api.post(url, payload, format="json")
        assert r.status_code == expected, (payload, r.status_code, r.content[:300])
    with tenant_context(org_a):
        Dossier.objects.filter(pk=d["dossier"].pk).update(status=Dossier.Status.ABANDON)
    r = api.post(url, base | {"valeur": "acquis"}, format="json")
    assert r.status_code == 400 and "figés" in r.content.decode()
    with tenant_context(org_a):
        assert CorrectionResolution.objects.count() == 0
        assert not Resultat.objects.filter(dossier=d["dossier"]).exclude(etat="").exists()


def test_resolution_is_404_across_tenants(bob, api_for, disagreement):
    d = disagreement
    r = api_for(bob).post(
        f"/api/v1/o/centre-b/epreuves/{d['epreuve'].public_id}/resolutions/",
        {"dossier": str(d["dossier"].public_id), "cible": d["cible"], "valeur": "acquis", "motif": "x"},
        format="json",
    )
    assert r.status_code == 404


def test_a_correcteur_cannot_settle_their_own_disagreement(org_a, api_for, disagreement):
    """Double marking is pointless if one of the two correcteurs may impose their own mark:
    the resolution belongs to the commission (someone other than the two correcteurs)."""
    d = disagreement
    r = api_for(d["eva1"]).post(
        f"{API}/epreuves/{d['epreuve'].public_id}/resolutions/",
        {
            "dossier": str(d["dossier"].public_id),
            "cible": d["cible"],
            "valeur": "acquis",
            "motif": "Je maintiens",
        },
        format="json",
    )
    assert r.status_code in (400, 403, 404)
    with tenant_context(org_a):
        assert CorrectionResolution.objects.count() == 0


# --- convocations -----------------------------------------------------------------------------------


def test_forced_convocation_needs_a_real_reason(org_a, alice, planned):
    from core.errors import ApplicationError

    _, epreuve, _ = planned()
    with tenant_context(org_a):
        today = epreuve.date - dt.timedelta(days=10)
        with pytest.raises(ApplicationError) as exc:
            services.convocations_send(epreuve=epreuve, by=alice, today=today)
        assert "moins d'un mois" in exc.value.message
        with pytest.raises(ApplicationError) as exc:
            services.convocations_send(
                epreuve=epreuve, by=alice, today=today, force=True, motif_forcage="   "
            )
        assert exc.value.field == "motif_forcage"
        from evaluations.models import Convocation

        assert not Convocation.objects.exists()


# --- avis de l'entreprise ------------------------------------------------------------------------


def test_avis_page_nul_character_in_comment_is_a_message_and_writes_nothing(
    org_a, alice, referentiels, client, django_capture_on_commit_callbacks
):
    import re

    from django.core import mail

    from evaluations.models import AvisCapacite

    with django_capture_on_commit_callbacks(execute=True):
        avis = test_pages_and_api._avis_setup(org_a, alice, referentiels)
    path = re.search(r"(/avis/lien/[^\s/]+/)", mail.outbox[-1].body).group(1)
    client.post(
        path,
        {
            "first_name": "Marc",
            "last_name": "Petit",
            "password1": "motdepasse-solide-42",
            "password2": "motdepasse-solide-42",
        },
    )
    with tenant_context(org_a):
        cap = avis.capacites.values_list("capacite_id", flat=True).first()
    r = client.post(
        f"/o/centre-a/evaluations/avis/{avis.public_id}/",
        {f"avis_{cap}": "reserve", f"commentaire_{cap}": "Autonomie\x00 à confirmer"},
    )
    assert r.status_code == 400
    with tenant_context(org_a):
        assert AvisCapacite.objects.get(avis_entreprise=avis, capacite_id=cap).commentaire == ""


# --- rattrapage: the kept tuteur grade ------------------------------------------------------------


def test_retake_kept_tuteur_grade_cannot_be_marked_again(in_a, alice, referentiels):
    """Seed 004: on a rattrapage the candidate « conserve le bénéfice de sa note de tuteur »;
    the kept grade should not be overwritten by a new mark on the retake."""
    from candidates import services as candidates_services
    from core.errors import ApplicationError
    from evaluations.services import resultat_record
    from tests.builders import rncp_partiel_first_attempt

    rncp = referentiels["rncp"]
    first = rncp_partiel_first_attempt(alice, rncp, tuteur=42)
    retake = candidates_services.dossier_rattrapage_open(dossier=first, by=alice)
    retake = candidates_services.dossier_transition(dossier=retake, to=Dossier.Status.INSCRIT, by=alice)
    with pytest.raises(ApplicationError):
        resultat_record(dossier=retake, by=alice, composante="tuteur", points=10)
    kept = Resultat.objects.get(dossier=retake, composante="tuteur")
    assert kept.points == 42 and kept.valide


# --- PATCH / DELETE of sessions and épreuves ------------------------------------------------------


def test_patch_epreuve_bad_input_is_400_and_writes_nothing(org_a, alice, bob, api_for, planned, referentiels):
    from evaluations.models import Epreuve
    from referentiels.models import Modalite

    session, epreuve, _ = planned()
    api = api_for(alice)
    url = f"{API}/epreuves/{epreuve.public_id}/"
    foreign_modalite = Modalite.objects.filter(referentiel=referentiels["rncp"]).first().pk
    cases = [
        {"duree_minutes": 0},
        {"duree_minutes": "abc"},
        {"duree_minutes": 10**12},
        {"date": "31/02/2026"},
        {"heure_debut": "25:00"},
        {"intitule": "x" * 201},
        {"intitule": "   "},
        {"modalite_id": foreign_modalite},
        {"modalite_id": 2**40},
        {"evaluateurs": ["bob@test.local"]},
        {"double_correction": "peut-être"},
    ]
    with tenant_context(org_a):
        before = Epreuve.objects.values().get(pk=epreuve.pk)
    for payload in cases:
        r = api.patch(url, payload, format="json")
        assert r.status_code == 400, (payload, r.status_code, r.content[:300])
    with tenant_context(org_a):
        assert Epreuve.objects.values().get(pk=epreuve.pk) == before
    # across tenants
    other = api_for(bob)
    assert (
        other.patch(
            f"/api/v1/o/centre-b/epreuves/{epreuve.public_id}/", {"intitule": "x"}, format="json"
        ).status_code
        == 404
    )
    assert other.delete(f"/api/v1/o/centre-b/epreuves/{epreuve.public_id}/").status_code == 404
    assert other.delete(f"/api/v1/o/centre-b/sessions/{session.public_id}/").status_code == 404
    with tenant_context(org_a):
        assert Epreuve.objects.filter(pk=epreuve.pk).exists()


def test_patch_to_a_double_marked_modalite_needs_two_evaluateurs(
    org_a, alice, api_for, double_ref, member_factory
):
    from evaluations.models import Epreuve
    from referentiels.models import Modalite

    referentiel, code = double_ref
    eva1 = member_factory(org_a, Role.EVALUATEUR, "eva1@test.local")
    with tenant_context(org_a):
        session = services.session_create(by=alice, referentiel=referentiel, intitule="S", lieu="Paris")
        required = Modalite.objects.get(referentiel=referentiel, double_correction=True)
        plain = Modalite.objects.filter(referentiel=referentiel, double_correction=False).first()
        epreuve = test_double_correction_modalite._create(session, alice, modalite=plain, code=code)
        services.epreuve_evaluateurs_set(epreuve=epreuve, by=alice, users=[eva1.user])
    r = api_for(alice).patch(
        f"{API}/epreuves/{epreuve.public_id}/", {"modalite_id": required.pk}, format="json"
    )
    assert r.status_code == 400 and "deux évaluateurs" in r.content.decode()
    with tenant_context(org_a):
        e = Epreuve.objects.get(pk=epreuve.pk)
        assert not e.double_correction and e.modalite_id == plain.pk


def test_patch_of_a_fixed_field_is_refused_not_silently_ignored(org_a, alice, api_for, planned):
    """What an épreuve covers is fixed: a PATCH that tries to change it should say so (the service
    has the message « Champ non modifiable »), not answer 200 as if it had been applied."""
    _, epreuve, _ = planned()
    r = api_for(alice).patch(f"{API}/epreuves/{epreuve.public_id}/", {"capacites": ["1"]}, format="json")
    assert r.status_code == 400


# --- convocation PDF --------------------------------------------------------------------------------


def test_convocation_pdf_keeps_the_identity_document_when_the_centre_lists_its_own(
    in_a, alice, referentiels, django_capture_on_commit_callbacks
):
    """The issue asks the convocation for « documents to bring, identity check »: a centre that
    lists the épreuve's own material (a calculator) must not drop the identity document."""
    from evaluations.documents import convocation_pdf
    from tests.evaluations.test_epreuves import pdf_text

    ref = referentiels["cqpm"]
    session = services.session_create(by=alice, referentiel=ref, intitule="Juin", lieu="Centre A, Paris")
    epreuve = services.epreuve_create(
        session=session,
        by=alice,
        intitule="Étude de cas",
        date=timezone.localdate() + dt.timedelta(days=45),
        heure_debut=dt.time(9, 30),
        duree_minutes=90,
        salle="B12",
        capacites=[ref.capacites.first().code],
        documents_a_apporter="Calculatrice non programmable",
    )
    dossier = test_pages_and_api.inscribed_dossier(
        alice, ref, email="lea@example.org", nom_naissance="Martin"
    )
    services.epreuve_candidats_add(epreuve=epreuve, by=alice, dossiers=[dossier])
    with django_capture_on_commit_callbacks(execute=True):
        [c] = services.convocations_send(epreuve=epreuve, by=alice)
    c.refresh_from_db()
    text = pdf_text(convocation_pdf(c))
    assert "MARTIN" in text and epreuve.date.strftime("%d/%m/%Y") in text
    assert "09:30" in text or "9 h 30" in text
    assert "B12" in text and "Centre A, Paris" in text and "Calculatrice non programmable" in text
    assert "pièce d'identité" in text.lower()


def test_commission_page_evaluateur_decides_only_capacites_of_their_epreuves(
    org_a, alice, client_for, member_factory, setup
):
    evaluateur = member_factory(org_a, Role.EVALUATEUR, "eva-entretien@test.local")
    with tenant_context(org_a):
        services.epreuve_evaluateurs_set(epreuve=setup["entretien"], by=alice, users=[evaluateur.user])
        r2 = Resultat.objects.get(dossier=setup["dossier"], capacite=setup["cap2"])
        before = ResultatChange.objects.count()
    client = client_for(evaluateur)
    url = _commission_url(setup["dossier"])
    assert client.get(url).status_code == 200  # the dossier sits their entretien
    r = client.post(url, {"resultat": str(r2.public_id), "decision": "acquis"})
    assert r.status_code == 400 and "Vous n&#x27;évaluez pas la capacité 2" in r.content.decode()
    with tenant_context(org_a):
        r2.refresh_from_db()
        assert not r2.valide and ResultatChange.objects.count() == before


def test_centre_can_reopen_an_avis_whose_deadline_passed_unsubmitted(
    org_a, alice, referentiels, django_capture_on_commit_callbacks
):
    """The tuteur who missed the deadline (or whose 30-day link expired) is told « contactez le
    centre d'examen » / « Demandez un nouveau lien au centre d'examen », but the centre has no way
    to extend the deadline or send a new link: a second request is refused (« déjà été demandé »)."""
    from django.core import mail

    from evaluations.models import AvisEntreprise

    avis = test_pages_and_api._avis_setup(org_a, alice, referentiels)
    with tenant_context(org_a):
        AvisEntreprise.objects.filter(pk=avis.pk).update(
            date_limite=timezone.localdate() - dt.timedelta(days=1)
        )
        mail.outbox.clear()
        # A request stays one per dossier (avis_request still refuses a second one, now pointing to
        # the new action); reopening the existing, unsubmitted avis is avis_extend.
        with django_capture_on_commit_callbacks(execute=True):
            services.avis_extend(
                avis=avis, by=alice, date_limite=timezone.localdate() + dt.timedelta(days=15)
            )
    assert len(mail.outbox) == 1 and "/avis/" in mail.outbox[0].body
