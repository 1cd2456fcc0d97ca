"""Seed 004's parcours on the dossier, through the services, the page and the API: rattrapage or
redoublement, exemption of the épreuve professionnelle, portefeuille de preuves, période en
entreprise, and the engine's inputs they give (never a 0 standing for an absence)."""

import datetime as dt
from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse

from candidates import services as cs
from candidates.models import Dossier, DossierBloc, Piece
from core.errors import ApplicationError
from evaluations import dispositions
from evaluations.absences import PERIODE_VALUE, absence_record, periode_absence_clear
from evaluations.models import Resultat, SuiviDossier
from evaluations.selectors import engine_inputs
from evaluations.services import resultat_record, resultat_validate
from organisations.tenancy import tenant_context
from referentiels.regles import propose
from tests.builders import pdf_upload
from tests.evaluations.conftest import inscribed_dossier
from tests.juries.conftest import _upload_required_pieces, grade_rncp

S = Dossier.Status
BC03 = "RNCP36390BC03"
FIRST = {
    "RNCP36390BC01": (60, 80),
    "RNCP36390BC02": (40, 60),
    BC03: (10, 10),
    "RNCP36390BC04": (35, 50),
}
FULL = {
    "RNCP36390BC01": (60, 80),
    "RNCP36390BC02": (40, 60),
    BC03: (40, 50),
    "RNCP36390BC04": (35, 50),
}


def _propose(dossier, day=None):
    i = engine_inputs([dossier])[dossier.pk]
    return propose(i.regle, i.structure, i.resultats, date_decision=day or dossier.date_inscription)


def _partiel(alice, rncp, **identity):
    dossier = inscribed_dossier(alice, rncp, **identity)
    grade_rncp(dossier, alice, blocs=FIRST, ecrit=70, oral=45, tuteur=10)
    _upload_required_pieces(dossier, alice)
    dossier = cs.dossier_transition(dossier=dossier, to=S.PRET_POUR_JURY, by=alice)
    return cs.dossier_deliberate(
        dossier=dossier,
        by=alice,
        decision="partiel",
        blocs_acquis=["RNCP36390BC01", "RNCP36390BC02", "RNCP36390BC04"],
    )


def _statut(dossier, statut, **fields):
    Dossier.objects.filter(pk=dossier.pk).update(statut_professionnel=statut, **fields)
    dossier.refresh_from_db()
    return dossier


# --- rattrapage / redoublement ------------------------------------------------------------------


def test_redoublement_re_evaluates_the_controle_continu_and_the_tuteur_grade(in_a, alice, referentiels):
    """« Dans le cadre d'un redoublement : le candidat suit les modules du ou des blocs non-validés
    et repasse toutes les évaluations de modules suivis et les évaluations de blocs de l'année
    concernée. » The contrôle continu of bloc 3 is not copied, nor is the tuteur grade (its
    benefit is the rattrapage's); the écrit and the oral (évaluation professionnelle reached) are
    neither module nor bloc evaluations and are kept."""
    first = _partiel(alice, referentiels["rncp"])
    retake = cs.dossier_rattrapage_open(
        dossier=first, by=alice, reprise="redoublement", courrier_le=dt.date(2026, 1, 5)
    )
    assert (retake.reprise, retake.reprise_courrier_le) == ("redoublement", dt.date(2026, 1, 5))
    retake = cs.dossier_transition(dossier=retake, to=S.INSCRIT, by=alice)
    assert not Resultat.objects.filter(dossier=retake, kind="bloc").exists()
    kept = dict(
        Resultat.objects.filter(dossier=retake, kind="composante").values_list("composante", "points")
    )
    assert kept == {"ecrit": Decimal("70"), "oral": Decimal("45")}
    inputs = engine_inputs([retake])[retake.pk]
    assert inputs.resultats.reprise == "redoublement"
    p = _propose(retake)
    assert p.raisons[0].startswith("Redoublement : les modules des blocs non validés")


def test_rattrapage_keeps_the_controle_continu_and_the_tuteur_grade(in_a, alice, referentiels):
    """« le candidat repasse uniquement les évaluations de blocs et conserve le bénéfice de sa note
    de tuteur pour l'évaluation professionnelle »"""
    first = _partiel(alice, referentiels["rncp"])
    retake = cs.dossier_rattrapage_open(dossier=first, by=alice, reprise="rattrapage")
    retake = cs.dossier_transition(dossier=retake, to=S.INSCRIT, by=alice)
    assert Resultat.objects.get(dossier=retake, kind="bloc").controle_continu == Decimal("10")
    assert Resultat.objects.filter(dossier=retake, composante="tuteur", points=Decimal("10")).exists()
    assert engine_inputs([retake])[retake.pk].resultats.reprise == "rattrapage"


@pytest.mark.parametrize("voie", [Dossier.VoieAcces.VAE, Dossier.VoieAcces.CANDIDAT_LIBRE])
def test_redoublement_needs_modules_to_follow(in_a, alice, referentiels, voie):
    """« le candidat suit les modules du ou des blocs non-validés »: not for a VAE or a candidat
    libre — French message, nothing written."""
    first = _partiel(alice, referentiels["rncp"])
    Dossier.objects.filter(pk=first.pk).update(voie_acces=voie)
    first.refresh_from_db()
    with pytest.raises(ApplicationError, match="Redoublement impossible"):
        cs.dossier_rattrapage_open(dossier=first, by=alice, reprise="redoublement")
    assert not Dossier.objects.filter(previous_attempt=first).exists()


def test_one_reprise_per_bloc_whatever_its_kind(in_a, alice, referentiels):
    """« repasser les blocs non validés, une seule fois par bloc »"""
    rncp = referentiels["rncp"]
    first = _partiel(alice, rncp)
    retake = cs.dossier_rattrapage_open(dossier=first, by=alice, reprise="rattrapage")
    retake = cs.dossier_transition(dossier=retake, to=S.INSCRIT, by=alice)
    r = resultat_record(dossier=retake, by=alice, bloc=rncp.blocs.get(code=BC03), epreuves=5)
    resultat_validate(resultat=r, by=alice)
    _upload_required_pieces(retake, alice)
    retake = cs.dossier_transition(dossier=retake, to=S.PRET_POUR_JURY, by=alice)
    retake = cs.dossier_deliberate(
        dossier=retake,
        by=alice,
        decision="partiel",
        blocs_acquis=["RNCP36390BC01", "RNCP36390BC02", "RNCP36390BC04"],
    )
    with pytest.raises(ApplicationError, match="n'autorise que 1 rattrapage"):
        cs.dossier_rattrapage_open(dossier=retake, by=alice, reprise="redoublement")


def test_bad_reprise_input_writes_nothing(in_a, alice, referentiels):
    first = _partiel(alice, referentiels["rncp"])
    with pytest.raises(ApplicationError, match="Choisissez un rattrapage ou un redoublement"):
        cs.dossier_rattrapage_open(dossier=first, by=alice, reprise="session libre")
    with pytest.raises(ApplicationError, match="courrier recommandé ne peut pas être dans le futur"):
        cs.dossier_rattrapage_open(
            dossier=first, by=alice, courrier_le=dt.date.today() + dt.timedelta(days=1)
        )
    assert not Dossier.objects.filter(previous_attempt=first).exists()


def test_the_centre_chooses_in_the_browser_and_the_api(org_a, alice, referentiels, client_for, api_for):
    with tenant_context(org_a):
        first = _partiel(alice, referentiels["rncp"])
    page = client_for(alice).get(
        reverse("dossier_detail", kwargs={"org_slug": org_a.slug, "dossier_id": first.public_id})
    )
    html = page.content.decode()
    assert 'value="rattrapage"' in html and 'value="redoublement"' in html
    url = reverse("dossier_rattrapage", kwargs={"org_slug": org_a.slug, "dossier_id": first.public_id})
    r = client_for(alice).post(url, {"reprise": "redoublement", "courrier_le": "2026-01-05"}, follow=True)
    assert "Redoublement ouvert (tentative 2)" in r.content.decode()
    with tenant_context(org_a):
        retake = Dossier.objects.get(previous_attempt=first)
        assert (retake.reprise, retake.reprise_courrier_le) == ("redoublement", dt.date(2026, 1, 5))
        second = _partiel(alice, referentiels["rncp"], nom_naissance="Martin", prenom1="Inès")
    api = api_for(alice)
    r = api.post(
        f"/api/v1/o/{org_a.slug}/dossiers/{second.public_id}/rattrapage/",
        {"reprise": "rattrapage", "courrier_le": "2026-01-06"},
        format="json",
    )
    assert r.status_code == 201, r.content
    with tenant_context(org_a):
        assert Dossier.objects.get(previous_attempt=second).reprise == "rattrapage"
    r = api.get(f"/api/v1/o/{org_a.slug}/dossiers/{r.json()['id']}/parcours/")
    assert r.status_code == 200 and r.json()["reprise"] == "rattrapage"
    assert r.json()["reprise_courrier_le"] == "2026-01-06"


# --- exemption ----------------------------------------------------------------------------------


def test_exemption_for_a_salarie_positioned_before_the_training(in_a, alice, referentiels):
    """« Les salariés et demandeurs d'emploi qui bénéficient d'un positionnement effectué en amont de
    la formation, peuvent être exemptés d'épreuve professionnelle. »"""
    rncp = referentiels["rncp"]
    dossier = _statut(inscribed_dossier(alice, rncp), Dossier.StatutProfessionnel.SALARIE)
    dispositions.exemption_record(
        dossier=dossier,
        by=alice,
        positionnement_le=dossier.date_inscription,  # the same day is still « en amont »
        justification="Positionnement : 4 ans d'assistanat de direction",
        uploaded_file=pdf_upload("positionnement.pdf"),
    )
    dossier.refresh_from_db()
    assert dossier.exemption_epreuve_pro
    assert dossier.exemption_piece.kind == Piece.Kind.POSITIONNEMENT
    for code, (cc, ep) in FULL.items():
        resultat_validate(
            resultat=resultat_record(
                dossier=dossier, by=alice, bloc=rncp.blocs.get(code=code), controle_continu=cc, epreuves=ep
            ),
            by=alice,
        )
    inputs = engine_inputs([dossier])[dossier.pk]
    assert inputs.resultats.exemption_epreuve_professionnelle
    assert inputs.resultats.evaluation_professionnelle is None
    p = _propose(dossier)
    assert (p.decision, p.total_points, p.total_max) == ("certifie", Decimal("415"), 750)


@pytest.mark.parametrize(
    ("statut", "positionnement", "justification", "piece", "message"),
    [
        ("apprenti", 0, "x", True, "Seuls les salariés et demandeurs d'emploi"),
        ("salarie", 1, "x", True, "n'est pas « en amont de la formation »"),
        ("salarie", None, "x", True, "Indiquez la date du positionnement"),
        ("salarie", 0, "  ", True, "Justifiez l'exemption"),
        ("salarie", 0, "x", False, "Joignez la pièce du positionnement"),
    ],
)
def test_exemption_refused_with_a_french_message_nothing_written(
    in_a, alice, referentiels, statut, positionnement, justification, piece, message
):
    dossier = _statut(inscribed_dossier(alice, referentiels["rncp"]), statut)
    day = None if positionnement is None else dossier.date_inscription + dt.timedelta(days=positionnement)
    with pytest.raises(ApplicationError, match=message):
        dispositions.exemption_record(
            dossier=dossier,
            by=alice,
            positionnement_le=day,
            justification=justification,
            uploaded_file=pdf_upload() if piece else None,
        )
    dossier.refresh_from_db()
    assert not dossier.exemption_epreuve_pro
    assert not dossier.pieces.exists()


# --- portefeuille de preuves --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("presentation", "ok"),
    [
        (dt.date(2026, 3, 29), False),  # 3 months minus a day
        (dt.date(2026, 3, 30), True),  # exactly 3 months
        (dt.date(2026, 6, 30), True),  # exactly 6 months
        (dt.date(2026, 7, 1), False),  # 6 months plus a day
    ],
)
def test_portefeuille_presented_3_to_6_months_after_the_training(in_a, alice, referentiels, presentation, ok):
    """« substituer les épreuves de blocs par un portefeuille de preuves à présenter à un jury, 3 à
    6 mois après le parcours formatif »"""
    dossier = _statut(inscribed_dossier(alice, referentiels["rncp"]), Dossier.StatutProfessionnel.SALARIE)
    kwargs = dict(
        dossier=dossier,
        by=alice,
        bloc="RNCP36390BC02",
        fin_parcours=dt.date(2025, 12, 30),
        presentation_le=presentation,
        justification="Service RH structuré, missions couvrant le bloc",
        evaluateur="Mme Lenoir (CCI, hors formation)",
        uploaded_file=pdf_upload("portefeuille.pdf"),
    )
    if not ok:
        with pytest.raises(ApplicationError, match="3 à 6 mois après le parcours formatif"):
            dispositions.portefeuille_record(**kwargs)
        assert not DossierBloc.objects.filter(dossier=dossier, portefeuille=True).exists()
        assert not dossier.pieces.exists()
        return
    dispositions.portefeuille_record(**kwargs)
    inputs = engine_inputs([dossier])[dossier.pk]
    assert inputs.resultats.blocs["RNCP36390BC02"].portefeuille
    p = _propose(dossier)
    assert "portefeuille de preuves non présenté au jury" in p.blocs[1].motif  # not marked yet


def test_portefeuille_only_for_salaries(in_a, alice, referentiels):
    """« Les candidats salariés peuvent […] »: an apprenti sits the bloc épreuves."""
    dossier = inscribed_dossier(alice, referentiels["rncp"])  # apprentissage
    with pytest.raises(ApplicationError, match="Seuls les candidats salariés"):
        dispositions.portefeuille_record(
            dossier=dossier,
            by=alice,
            bloc="RNCP36390BC02",
            fin_parcours=dt.date(2025, 12, 30),
            presentation_le=dt.date(2026, 4, 30),
            justification="x",
            evaluateur="y",
            uploaded_file=pdf_upload(),
        )
    assert not dossier.pieces.exists()


# --- absences per part: the engine receives the fact, never a 0 ---------------------------------


def test_missed_period_in_company_is_a_fact_not_a_zero(in_a, alice, referentiels):
    """« l'absence de période en entreprise […] induisent la non-obtention du diplôme mais il
    conserve le bénéfice des blocs pour lesquels il a obtenu la moyenne »"""
    dossier = inscribed_dossier(alice, referentiels["rncp"])
    grade_rncp(dossier, alice, blocs=FULL)
    assert _propose(dossier).decision == "certifie"
    absence_record(dossier=dossier, by=alice, partie=PERIODE_VALUE)
    suivi = SuiviDossier.objects.get(dossier=dossier)
    assert (suivi.periode_absente, suivi.periode_motif) == (True, "")
    inputs = engine_inputs([dossier])[dossier.pk]
    assert inputs.resultats.periode_entreprise_absente
    # the tuteur's grade is untouched: no 0 was written anywhere for the missed period
    assert inputs.resultats.evaluation_professionnelle.composantes["tuteur"] == Decimal("40")
    p = _propose(dossier)
    assert p.decision == "partiel" and len(p.blocs_valides) == 4
    periode_absence_clear(dossier=dossier, by=alice)
    assert _propose(dossier).decision == "certifie"


def test_unjustified_soutenance_and_report_absences_reach_the_engine_as_absences(in_a, alice, referentiels):
    """« la non remise de rapport dans les délais fixés ou la non-présentation à la soutenance »:
    the engine receives the absence (points None, code in ``absences``), never a 0."""
    dossier = inscribed_dossier(alice, referentiels["rncp"])
    grade_rncp(dossier, alice, blocs=FULL)
    absence_record(dossier=dossier, by=alice, partie="composante:oral")
    absence_record(dossier=dossier, by=alice, partie="composante:ecrit")
    ep = engine_inputs([dossier], validated_only=False)[dossier.pk].resultats.evaluation_professionnelle
    assert ep.composantes["oral"] is None and ep.composantes["ecrit"] is None
    assert ep.absences == {"oral", "ecrit"}
    assert not Resultat.objects.filter(dossier=dossier, kind="composante", points=0).exists()


def test_unjustified_cc_absence_reaches_the_engine_as_a_flag(in_a, alice, referentiels):
    """« Toute absence injustifiée à une évaluation de contrôle continu est sanctionnée par
    l'attribution d'un zéro à l'épreuve » — the engine gives the zero, the caller sends the fact."""
    rncp = referentiels["rncp"]
    dossier = inscribed_dossier(alice, rncp)
    resultat_record(dossier=dossier, by=alice, bloc=rncp.blocs.get(code=BC03), epreuves=60)
    absence_record(dossier=dossier, by=alice, partie=f"controle_continu:{BC03}")
    r = Resultat.objects.get(dossier=dossier, kind="bloc")
    assert r.controle_continu is None and r.cc_absence_non_justifiee  # no 0 stored
    bloc = engine_inputs([dossier], validated_only=False)[dossier.pk].resultats.blocs[BC03]
    assert bloc.controle_continu is None and bloc.cc_absence_non_justifiee
    detail = _propose_unvalidated(dossier).blocs[2]
    assert detail.controle_continu == Decimal(0) and "sanctionnée par un zéro" in detail.motif


def _propose_unvalidated(dossier):
    i = engine_inputs([dossier], validated_only=False)[dossier.pk]
    return propose(i.regle, i.structure, i.resultats, date_decision=dossier.date_inscription)


# --- page and API -------------------------------------------------------------------------------


def test_results_page_records_exemption_portefeuille_and_period(org_a, alice, referentiels, client_for):
    with tenant_context(org_a):
        dossier = _statut(inscribed_dossier(alice, referentiels["rncp"]), Dossier.StatutProfessionnel.SALARIE)
    url = reverse("dossier_results", kwargs={"org_slug": org_a.slug, "dossier_id": dossier.public_id})
    client = client_for(alice)
    html = client.get(url).content.decode()
    assert "Exemption d'épreuve professionnelle" in html and "Portefeuille de preuves" in html
    assert '<option value="periode:entreprise">Période en entreprise</option>' in html
    r = client.post(
        url,
        {
            "action": "exemption",
            "positionnement_le": "2025-08-20",
            "justification": "Positionnement favorable",
            "piece": pdf_upload("positionnement.pdf"),
        },
        follow=True,
    )
    assert "Candidat exempté d'épreuve professionnelle." in unescape(r.content.decode())
    r = client.post(
        url,
        {
            "action": "portefeuille",
            "bloc": "RNCP36390BC04",
            "fin_parcours": "2025-12-30",
            "presentation_le": "2026-02-01",
            "justification": "x",
            "evaluateur": "M. Noir",
            "piece": pdf_upload("portefeuille.pdf"),
        },
        follow=True,
    )
    assert "entre le 30/03/2026 et le 30/06/2026, pas le 01/02/2026" in r.content.decode()
    r = client.post(url, {"action": "absence", "partie": "periode:entreprise", "motif": ""}, follow=True)
    assert "Absence enregistrée : Période en entreprise." in r.content.decode()
    with tenant_context(org_a):
        dossier.refresh_from_db()
        assert dossier.exemption_epreuve_pro
        assert not DossierBloc.objects.filter(dossier=dossier, portefeuille=True).exists()
        assert SuiviDossier.objects.get(dossier=dossier).periode_absente


def test_parcours_api(org_a, alice, referentiels, api_for):
    with tenant_context(org_a):
        dossier = _statut(inscribed_dossier(alice, referentiels["rncp"]), Dossier.StatutProfessionnel.SALARIE)
    api = api_for(alice)
    url = f"/api/v1/o/{org_a.slug}/dossiers/{dossier.public_id}/parcours/"
    r = api.get(url)
    assert r.status_code == 200
    assert r.json()["exemption_epreuve_professionnelle"] is False and r.json()["portefeuilles"] == []
    r = api.post(
        url,
        {
            "objet": "portefeuille",
            "bloc": "RNCP36390BC04",
            "fin_parcours": "2025-12-30",
            "presentation_le": "2026-04-15",
            "justification": "Contexte favorable",
            "evaluateur": "M. Noir",
            "fichier": pdf_upload("portefeuille.pdf"),
        },
        format="multipart",
    )
    assert r.status_code == 200, r.content
    (p,) = r.json()["portefeuilles"]
    assert (p["bloc"], p["presentation_le"], p["evaluateur"]) == ("RNCP36390BC04", "2026-04-15", "M. Noir")
    r = api.post(url, {"objet": "exemption", "justification": "x"}, format="json")
    assert r.status_code == 400 and "date du positionnement" in r.content.decode()
    r = api.post(url, {"objet": "periode_entreprise", "motif": "arret_travail"}, format="json")
    assert r.status_code == 400 and "Joignez le justificatif" in r.content.decode()
    r = api.post(url, {"objet": "periode_entreprise"}, format="json")
    assert r.status_code == 200 and r.json()["periode_entreprise_absente"] is True
    r = api.post(url, {"objet": "portefeuille", "retirer": True, "bloc": "RNCP36390BC04"}, format="json")
    assert r.status_code == 200 and r.json()["portefeuilles"] == []


@pytest.mark.parametrize(("day", "ok"), [(dt.date(2026, 5, 4), False), (dt.date(2026, 5, 5), True)])
def test_rattrapage_asked_4_months_before_the_bloc_epreuve(in_a, alice, referentiels, day, ok):
    """« il a obligation de s'inscrire à la prochaine session d'examen, par courrier recommandé (4
    mois avant l'épreuve de validation du ou des blocs concernés) »: letter of 05/01/2026, first
    possible épreuve 05/05/2026."""
    import datetime as _dt

    from evaluations.models import InscriptionEpreuve
    from evaluations.services import epreuve_candidats_add, epreuve_create, session_create

    rncp = referentiels["rncp"]
    first = _partiel(alice, rncp)
    retake = cs.dossier_rattrapage_open(
        dossier=first, by=alice, reprise="rattrapage", courrier_le=dt.date(2026, 1, 5)
    )
    retake = cs.dossier_transition(dossier=retake, to=S.INSCRIT, by=alice)
    session = session_create(by=alice, referentiel=rncp, intitule="Rattrapage", lieu="Lyon")
    epreuve = epreuve_create(
        session=session,
        by=alice,
        intitule="Étude de cas bloc 3",
        bloc=rncp.blocs.get(code=BC03),
        date=day,
        heure_debut=_dt.time(9),
        duree_minutes=210,
        lieu="Lyon",
    )
    if ok:
        epreuve_candidats_add(epreuve=epreuve, by=alice, dossiers=[retake])
        assert InscriptionEpreuve.objects.filter(epreuve=epreuve, dossier=retake).exists()
    else:
        with pytest.raises(ApplicationError, match="première épreuve possible le 05/05/2026"):
            epreuve_candidats_add(epreuve=epreuve, by=alice, dossiers=[retake])
        assert not InscriptionEpreuve.objects.filter(epreuve=epreuve).exists()


def test_exempted_dossier_is_ready_without_professional_marks(in_a, alice, referentiels):
    """The exemption stands in for the évaluation professionnelle: the readiness guard does not
    ask for its marks, and still asks for every bloc."""
    from evaluations.readiness import readiness_reasons

    rncp = referentiels["rncp"]
    dossier = _statut(inscribed_dossier(alice, rncp), Dossier.StatutProfessionnel.DEMANDEUR_EMPLOI)
    assert any("Évaluation professionnelle" in r for r in readiness_reasons([dossier])[dossier.pk])
    dispositions.exemption_record(
        dossier=dossier,
        by=alice,
        positionnement_le=dt.date(2025, 6, 1),
        justification="Positionnement : expérience de 3 ans",
        uploaded_file=pdf_upload("positionnement.pdf"),
    )
    dossier.refresh_from_db()
    reasons = readiness_reasons([dossier])[dossier.pk]
    assert not any("Évaluation professionnelle" in r for r in reasons)
    assert len(reasons) == 4  # the four blocs still to be marked
