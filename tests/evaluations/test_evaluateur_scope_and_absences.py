"""An évaluateur stays within their épreuves, non-finite marks,
attendance corrections, the tuteur link's login, scheduling checks. Bad input gets a clear
message and writes nothing."""

import datetime as dt
import json

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from candidates import services as candidates_services
from candidates.models import Dossier
from core.errors import ApplicationError
from evaluations import services
from evaluations.models import Convocation, InscriptionEpreuve, Resultat
from organisations.roles import Role
from organisations.services import membership_add
from organisations.tenancy import tenant_context
from tests.builders import bloc_epreuve, scheduled_epreuve
from tests.evaluations.conftest import IDENTITY, inscribed_dossier


@pytest.fixture
def eva(org_a, member_factory):
    return member_factory(org_a, Role.EVALUATEUR, "eva@test.local")


@pytest.fixture
def cqpm_split(org_a, alice, eva, referentiels):
    """One CQPM session, two épreuves: eva marks the first capacité of ``mine`` (dossier ``d1``),
    ``theirs`` covers the other capacités and holds ``d1`` and ``d2``."""
    with tenant_context(org_a):
        ref = referentiels["cqpm"]
        caps = list(ref.capacites.order_by("bloc__order", "order"))
        session = services.session_create(by=alice, referentiel=ref, intitule="Juin", lieu="Paris")
        mine = scheduled_epreuve(session, alice, evaluateurs=[eva.user], capacites=[caps[0].code])
        theirs = scheduled_epreuve(session, alice, capacites=[c.code for c in caps[1:]])
        d1 = inscribed_dossier(alice, ref, nom_naissance="Assignee", email="a@example.org")
        d2 = inscribed_dossier(alice, ref, nom_naissance="Etrangere", email="e@example.org")
        services.epreuve_candidats_add(epreuve=mine, by=alice, dossiers=[d1])
        services.epreuve_candidats_add(epreuve=theirs, by=alice, dossiers=[d1, d2])
    return {"session": session, "mine": mine, "theirs": theirs, "d1": d1, "d2": d2, "caps": caps}


# --- 1. bulk results resolve dossiers through the actor's visibility ------------------------------


def test_bulk_refuses_a_dossier_the_evaluateur_cannot_see_and_writes_nothing(org_a, eva, api_for, cqpm_split):
    s = cqpm_split
    rows = [
        {"dossier": str(s["d1"].public_id), "capacite": s["caps"][0].code, "etat": "acquis"},
        {"dossier": str(s["d2"].public_id), "capacite": s["caps"][0].code, "etat": "acquis"},
    ]
    r = api_for(eva).post("/api/v1/o/centre-a/resultats/bulk/", {"resultats": rows}, format="json")
    assert r.status_code == 400, r.json()
    message = r.json()["error"]["message"]
    assert "rien n'a été enregistré" in message and "Ligne 2 : Dossier introuvable" in message
    with tenant_context(org_a):
        assert not Resultat.objects.exists()


def test_bulk_accepts_the_evaluateur_own_rows(org_a, eva, api_for, cqpm_split):
    s = cqpm_split
    rows = [{"dossier": str(s["d1"].public_id), "capacite": s["caps"][0].code, "etat": "acquis"}]
    r = api_for(eva).post("/api/v1/o/centre-a/resultats/bulk/", {"resultats": rows}, format="json")
    assert r.status_code == 201, r.json()


# --- 2. readiness only lists the actor's dossiers ------------------------------------------------


def test_readiness_shows_an_evaluateur_only_their_dossiers(
    org_a, alice, eva, api_for, client_for, cqpm_split
):
    session = cqpm_split["session"]
    api_url = f"/api/v1/o/centre-a/sessions/{session.public_id}/readiness/"
    page_url = f"/o/centre-a/evaluations/sessions/{session.public_id}/preparation-jury/"
    rows = api_for(eva).get(api_url).json()
    assert [r["dossier"] for r in rows] == [str(cqpm_split["d1"].public_id)]
    page = client_for(eva).get(page_url).content.decode().upper()
    assert "ASSIGNEE" in page and "ETRANGERE" not in page
    assert len(api_for(alice).get(api_url).json()) == 2  # the gestionnaire sees the whole session


def test_readiness_shows_a_jury_member_without_jury_nothing(org_a, member_factory, api_for, cqpm_split):
    jury = member_factory(org_a, Role.JURY, "jury@test.local")
    session = cqpm_split["session"]
    r = api_for(jury).get(f"/api/v1/o/centre-a/sessions/{session.public_id}/readiness/")
    assert r.status_code == 200 and r.json() == []


# --- 3. non-finite marks ---------------------------------------------------------------------------


BAD_NUMBERS = ["NaN", "nan", "sNaN", "Infinity", "-Infinity", "inf", "1e999", "1e30"]


@pytest.mark.parametrize("value", BAD_NUMBERS)
def test_non_finite_marks_are_refused_by_the_service(in_a, alice, referentiels, value):
    dossier = inscribed_dossier(alice, referentiels["rncp"])
    bloc = referentiels["rncp"].blocs.get(code="RNCP36390BC01")
    with pytest.raises(ApplicationError) as exc:
        services.resultat_record(dossier=dossier, by=alice, bloc=bloc, controle_continu=10, epreuves=value)
    assert exc.value.field == "epreuves" and value in exc.value.message
    with pytest.raises(ApplicationError) as exc:
        services.resultat_record(dossier=dossier, by=alice, composante="ecrit", points=value)
    assert exc.value.field == "points"
    with pytest.raises(ApplicationError) as exc:
        services.suivi_update(dossier=dossier, by=alice, taux_absence=value)
    assert exc.value.field == "taux_absence"
    assert dossier.resultats.count() == 0


def test_non_finite_marks_are_a_400_on_the_api_and_the_bulk(org_a, alice, api_for, referentiels):
    with tenant_context(org_a):
        dossier = inscribed_dossier(alice, referentiels["rncp"])
    api = api_for(alice)
    for value in ("NaN", "Infinity", "1e999"):
        r = api.post(
            f"/api/v1/o/centre-a/dossiers/{dossier.public_id}/resultats/",
            {"composante": "ecrit", "points": value},
            format="json",
        )
        assert r.status_code == 400 and f"« {value} »" in r.json()["error"]["message"]
        rows = [
            {
                "dossier": str(dossier.public_id),
                "bloc": "RNCP36390BC01",
                "controle_continu": value,
                "epreuves": "1",
            }
        ]
        r = api.post("/api/v1/o/centre-a/resultats/bulk/", {"resultats": rows}, format="json")
        assert r.status_code == 400 and "Ligne 1" in r.json()["error"]["message"]
    with tenant_context(org_a):
        assert not Resultat.objects.exists()


def test_non_finite_mark_in_the_grid_cell_is_a_message(org_a, alice, eva, client_for, referentiels):
    with tenant_context(org_a):
        ref = referentiels["rncp"]
        session = services.session_create(by=alice, referentiel=ref, intitule="Juin", lieu="Paris")
        epreuve = scheduled_epreuve(
            session, alice, evaluateurs=[eva.user], bloc=ref.blocs.get(code="RNCP36390BC01")
        )
        dossier = inscribed_dossier(alice, ref)
        services.epreuve_candidats_add(epreuve=epreuve, by=alice, dossiers=[dossier])
    client = client_for(eva)
    url = f"/o/centre-a/evaluations/epreuves/{epreuve.public_id}/grille/saisie/"
    for value in ("NaN", "Infinity", "1e999"):
        r = client.post(url, {"dossier": str(dossier.public_id), "cible": "RNCP36390BC01", "valeur": value})
        assert r.status_code == 200 and value in r.content.decode()
    with tenant_context(org_a):
        assert not Resultat.objects.exists()


# --- 5. an attendance correction clears the absence's zero ------------------------------------------


@pytest.mark.parametrize("now", ["present", "absent_justifie"])
def test_correcting_an_unjustified_absence_clears_its_zero(in_a, alice, referentiels, now):
    ref = referentiels["rncp"]
    epreuve = bloc_epreuve(alice, ref)
    dossier = inscribed_dossier(alice, ref)
    [inscription] = services.epreuve_candidats_add(epreuve=epreuve, by=alice, dossiers=[dossier])
    bloc = ref.blocs.get(code="RNCP36390BC01")
    services.resultat_record(dossier=dossier, by=alice, bloc=bloc, controle_continu=60)
    services.presence_record(inscription=inscription, by=alice, presence="absent_non_justifie")
    resultat = Resultat.objects.get(dossier=dossier, bloc=bloc)
    assert resultat.epreuves is None and resultat.absence_non_justifiee  # a fact, not a 0
    services.resultat_validate(resultat=resultat, by=alice)
    services.presence_record(inscription=inscription, by=alice, presence=now, motif="certificat_medical")
    resultat.refresh_from_db()
    assert resultat.epreuves is None and not resultat.absence_non_justifiee and not resultat.valide
    assert resultat.controle_continu == 60  # the contrôle continu is not the absence's
    change = resultat.changes.filter(field="absence_non_justifiee").order_by("-at", "-pk").first()
    assert change.old == "True" and change.new == "False" and "Présence corrigée" in change.reason


def test_correcting_an_absence_clears_capacites_and_composantes(in_a, alice, referentiels):
    cqpm = referentiels["cqpm"]
    caps = list(cqpm.capacites.order_by("bloc__order", "order"))
    session = services.session_create(by=alice, referentiel=cqpm, intitule="Juin", lieu="Paris")
    epreuve = scheduled_epreuve(session, alice, capacites=[caps[0].code, caps[1].code])
    dossier = inscribed_dossier(alice, cqpm)
    [inscription] = services.epreuve_candidats_add(epreuve=epreuve, by=alice, dossiers=[dossier])
    services.presence_record(inscription=inscription, by=alice, presence="absent_non_justifie")
    assert set(Resultat.objects.filter(dossier=dossier).values_list("etat", flat=True)) == {"absent"}
    # a real mark entered since the absence is kept
    services.resultat_record(dossier=dossier, by=alice, capacite=caps[1], etat="acquis")
    services.presence_record(inscription=inscription, by=alice, presence="present")
    etats = dict(Resultat.objects.filter(dossier=dossier).values_list("capacite__code", "etat"))
    assert etats == {caps[0].code: "", caps[1].code: "acquis"}

    rncp = referentiels["rncp"]
    session = services.session_create(by=alice, referentiel=rncp, intitule="Écrit", lieu="Paris")
    ecrit = scheduled_epreuve(session, alice, composante="ecrit")
    other = inscribed_dossier(alice, rncp, nom_naissance="Autre")
    [inscription] = services.epreuve_candidats_add(epreuve=ecrit, by=alice, dossiers=[other])
    services.presence_record(inscription=inscription, by=alice, presence="absent_non_justifie")
    ecrit_absent = Resultat.objects.get(dossier=other, composante="ecrit")
    # « la non remise de rapport … induit la non-obtention du diplôme »: a fact, never a 0
    assert ecrit_absent.points is None and ecrit_absent.absence_non_justifiee
    services.presence_record(inscription=inscription, by=alice, presence="present")
    ecrit_present = Resultat.objects.get(dossier=other, composante="ecrit")
    assert ecrit_present.points is None and not ecrit_present.absence_non_justifiee


# --- 6. an évaluateur writes and validates only what their épreuves cover ---------------------------


def test_evaluateur_limited_to_the_capacites_of_their_epreuves(org_a, alice, eva, api_for, cqpm_split):
    s = cqpm_split
    api = api_for(eva)
    url = f"/api/v1/o/centre-a/dossiers/{s['d1'].public_id}/resultats/"
    r = api.post(url, {"capacite": s["caps"][1].code, "etat": "acquis", "valider": True}, format="json")
    assert r.status_code == 400 and "Vous n'évaluez pas la capacité" in r.json()["error"]["message"]
    with tenant_context(org_a):
        assert not Resultat.objects.exists()
    r = api.post(url, {"capacite": s["caps"][0].code, "etat": "acquis"}, format="json")
    assert r.status_code == 201 and r.json()["valide"] is False
    # a CQPM capacité is validated by the commission d'évaluation, not by its évaluateur alone
    # (seeds 000–002; tests/evaluations/test_commission_owns.py)
    r = api.post(url, {"capacite": s["caps"][0].code, "etat": "acquis", "valider": True}, format="json")
    assert r.status_code == 400 and "revient à la commission" in r.json()["error"]["message"]
    # a result outside their épreuves, recorded by the gestionnaire, cannot be validated by them
    with tenant_context(org_a):
        other = services.resultat_record(dossier=s["d1"], by=alice, capacite=s["caps"][1], etat="acquis")
    r = api.post(f"/api/v1/o/centre-a/resultats/{other.public_id}/validate/", format="json")
    assert r.status_code == 400 and "Vous n'évaluez pas" in r.json()["error"]["message"]
    with tenant_context(org_a):
        other.refresh_from_db()
        assert not other.valide
    # the gestionnaire is not restricted
    r = api_for(alice).post(f"/api/v1/o/centre-a/resultats/{other.public_id}/validate/", format="json")
    assert r.status_code == 200


def test_criteres_observes_must_belong_to_the_capacite(org_a, alice, api_for, cqpm_split):
    """Critères are named by their id (UUID) in and out, as the référentiel detail shows them."""
    s = cqpm_split
    own = [str(i) for i in s["caps"][0].criteres.order_by("pk").values_list("public_id", flat=True)]
    foreign = [str(i) for i in s["caps"][1].criteres.values_list("public_id", flat=True)]
    url = f"/api/v1/o/centre-a/dossiers/{s['d1'].public_id}/resultats/"
    api = api_for(alice)
    r = api.post(
        url,
        {"capacite": s["caps"][0].code, "etat": "acquis", "criteres_observes": [own[0], foreign[0]]},
        format="json",
    )
    assert (
        r.status_code == 400
        and f"Critère(s) {foreign[0]} hors de la capacité" in r.json()["error"]["message"]
    )
    unknown = "00000000-0000-4000-8000-000000000000"
    r = api.post(
        url, {"capacite": s["caps"][0].code, "etat": "acquis", "criteres_observes": [unknown]}, format="json"
    )
    assert r.status_code == 400 and r.json()["error"]["fields"] == {
        "criteres_observes": [f"Critère inconnu(e) : {unknown}."]
    }
    r = api.post(
        url, {"capacite": s["caps"][0].code, "etat": "acquis", "criteres_observes": ["C1"]}, format="json"
    )
    assert r.status_code == 400 and "UUID" in json.dumps(r.json(), ensure_ascii=False)
    with tenant_context(org_a):
        assert not Resultat.objects.exists()
    r = api.post(
        url, {"capacite": s["caps"][0].code, "etat": "acquis", "criteres_observes": own}, format="json"
    )
    assert r.status_code == 201 and r.json()["criteres_observes"] == own
    assert api.get(url).json()["results"][0]["criteres_observes"] == own
    # The result's history names them the same way (it keeps the internal keys).
    history = api.get(f"/api/v1/o/centre-a/resultats/{r.json()['id']}/history/").json()["results"]
    change = next(c for c in history if c["field"] == "criteres_observes")
    assert json.loads(change["new"]) == own


# --- 9. the tuteur link never signs in a staff account ---------------------------------------------


def _avis_link(org_a, alice, referentiels, email="tuteur@entreprise.fr"):
    with tenant_context(org_a):
        tuteur = candidates_services.tuteur_create(by=alice, nom="Petit", prenom="Marc", email=email)
        dossier = inscribed_dossier(alice, referentiels["cqpm"])
        Dossier.objects.filter(pk=dossier.pk).update(tuteur=tuteur)
        dossier.refresh_from_db()
        avis = services.avis_request(
            dossier=dossier, by=alice, date_limite=timezone.localdate() + dt.timedelta(days=20)
        )
        return avis, services.avis_link_token(avis)


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.parametrize("kind", ["superuser", "staff", "other_membership", "other_centre_tuteur", "mfa"])
def test_tuteur_link_does_not_auto_login_a_privileged_account(
    org_a, org_b, alice, referentiels, client, kind
):
    email = "tuteur@entreprise.fr"
    User = get_user_model()
    user = User.objects.create_user(
        email,
        "motdepasse-solide-42",
        is_superuser=kind == "superuser",
        is_staff=kind in ("superuser", "staff"),
    )
    if kind == "other_membership":
        membership_add(user=user, organisation=org_b, role=Role.GESTIONNAIRE)
    elif kind == "other_centre_tuteur":
        membership_add(user=user, organisation=org_b, role=Role.TUTEUR)
    elif kind == "mfa":
        Authenticator.objects.create(
            user=user, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"}
        )
    avis, token = _avis_link(org_a, alice, referentiels, email=email)
    r = client.get(f"/avis/lien/{token}/")
    assert r.status_code == 302 and r["Location"].startswith(reverse("account_login"))
    assert not _logged_in(client)
    r = client.post(f"/avis/lien/{token}/", {})
    assert not _logged_in(client)
    with tenant_context(org_a):
        avis.refresh_from_db()
        assert avis.lien_utilise_le is None  # the link is not spent either
    assert not user.memberships.filter(organisation=org_a).exists()


def test_tuteur_link_still_signs_in_a_plain_tuteur_account(org_a, alice, referentiels, client):
    User = get_user_model()
    User.objects.create_user("tuteur@entreprise.fr", "motdepasse-solide-42")
    avis, token = _avis_link(org_a, alice, referentiels)
    r = client.get(f"/avis/lien/{token}/")  # opening the link spends nothing (issue 15)
    assert r.status_code == 200 and not _logged_in(client)
    r = client.post(f"/avis/lien/{token}/")
    assert r.status_code == 302 and r["Location"].endswith(f"/avis/{avis.public_id}/")
    assert _logged_in(client)


# --- 10. scheduling: targets of the épreuve, no convocation for a closed dossier --------------------


def test_epreuve_refuses_a_dossier_not_targeting_its_bloc(in_a, alice, referentiels):
    ref = referentiels["rncp"]
    epreuve = bloc_epreuve(alice, ref, code="RNCP36390BC01")
    candidate = candidates_services.candidate_create(by=alice, **(IDENTITY | {"nom_naissance": "Partiel"}))
    dossier = candidates_services.dossier_create(
        by=alice,
        candidate=candidate,
        referentiel=ref,
        voie_acces=Dossier.VoieAcces.APPRENTISSAGE,
        date_inscription=dt.date(2025, 9, 1),
    )
    from candidates.selectors import dossier_grid

    bc02 = ref.blocs.get(code="RNCP36390BC02")
    choices = {
        cr.capacite.pk: cr.allowed[0].pk
        for row in dossier_grid(dossier=dossier)
        if row.bloc.pk == bc02.pk
        for cr in row.capacites
    }
    candidates_services.dossier_plan_update(dossier=dossier, by=alice, blocs=[bc02], modalites=choices)
    dossier = candidates_services.dossier_transition(
        dossier=dossier, to=Dossier.Status.INSCRIT, by=alice, reason="test"
    )
    with pytest.raises(ApplicationError, match="ne vise pas le bloc RNCP36390BC01"):
        services.epreuve_candidats_add(epreuve=epreuve, by=alice, dossiers=[dossier])
    assert not InscriptionEpreuve.objects.filter(epreuve=epreuve).exists()
    from evaluations.selectors import dossiers_assignable

    assert dossier not in list(dossiers_assignable(epreuve=epreuve))


def test_abandoned_dossiers_are_not_convoked(in_a, alice, referentiels, django_capture_on_commit_callbacks):
    ref = referentiels["cqpm"]
    session = services.session_create(by=alice, referentiel=ref, intitule="Juin", lieu="Paris")
    # still to come: convocations go out ahead of an épreuve
    epreuve = scheduled_epreuve(session, alice, days=60, capacites=[c.code for c in ref.capacites.all()])
    stays = inscribed_dossier(alice, ref, nom_naissance="Reste", email="reste@example.org")
    leaves = inscribed_dossier(alice, ref, nom_naissance="Part", email="part@example.org")
    inscriptions = services.epreuve_candidats_add(epreuve=epreuve, by=alice, dossiers=[stays, leaves])
    candidates_services.dossier_transition(
        dossier=leaves, to=Dossier.Status.ABANDON, by=alice, reason="départ"
    )
    gone = next(i for i in inscriptions if i.dossier_id == leaves.pk)
    with pytest.raises(ApplicationError, match="Seuls les dossiers inscrits ou en évaluation") as exc:
        services.convocations_send(epreuve=epreuve, by=alice, inscriptions=[gone])
    assert "PART" in str(exc.value.message).upper()
    assert not Convocation.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        created = services.convocations_send(epreuve=epreuve, by=alice)
    assert [c.inscription.dossier_id for c in created] == [stays.pk]
    assert [m.to for m in mail.outbox] == [["reste@example.org"]]
