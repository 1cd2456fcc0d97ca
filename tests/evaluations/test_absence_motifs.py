"""Absences recorded with their motive and pièce, on every part, and their consequences (seed 004).

Seed 004, « Motifs recevables de non-présentation aux évaluations de bloc et à l'évaluation
professionnelle : - Certificat médical - Arrêt de travail - Cas de force majeure justifié
(certificat de décès d'un proche...) - Dans ces seuls cas une épreuve de rattrapage sera proposée
au candidat dans un délai de 6 mois après demande écrite du candidat. »
« En cas d'absentéisme non-justifié : […] Toute absence injustifiée à une évaluation de contrôle
continu est sanctionnée par l'attribution d'un zéro à l'épreuve. »
« En cas de non-présentation : - aux blocs : la non-présentation à au moins une évaluation de bloc
induit la non-validation du bloc. - l'absence de période en entreprise, la non remise de rapport
dans les délais fixés ou la non-présentation à la soutenance, induisent la non-obtention du
diplôme mais il conserve le bénéfice des blocs pour lesquels il a obtenu la moyenne, soit 10/20
(blocs validés). »
"""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from candidates.models import Piece
from core.errors import ApplicationError
from evaluations.absences import absence_record
from evaluations.models import InscriptionEpreuve, Resultat
from evaluations.selectors import engine_inputs
from evaluations.services import (
    epreuve_candidats_add,
    epreuve_create,
    presence_record,
    resultat_validate,
    session_create,
)
from organisations.tenancy import tenant_context
from referentiels.regles import (
    EntreeInvalide,
    ResultatBloc,
    ResultatEvaluationProfessionnelle,
    ResultatsCandidat,
    propose,
)
from tests.evaluations.conftest import inscribed_dossier
from tests.juries.conftest import FULL, grade_rncp

BC1 = "RNCP36390BC01"
RATTRAPAGE = "épreuve de rattrapage proposée dans un délai de 6 mois après demande écrite du candidat"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _certificat(name="certificat.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def _propose(dossier):
    i = engine_inputs([dossier])[dossier.pk]
    return propose(i.regle, i.structure, i.resultats, date_decision=dossier.date_inscription)


def _grid_inputs(referentiels):
    from evaluations.selectors.results import _structures
    from referentiels.regles import regle_parse

    ref = referentiels["rncp"]
    return regle_parse(ref.regle), _structures({ref.pk})[ref.pk]


def _blocs(**overrides):
    blocs = {code: ResultatBloc(controle_continu=cc, epreuves=ep) for code, (cc, ep) in FULL.items()}
    blocs.update(overrides)
    return blocs


EP = ResultatEvaluationProfessionnelle(composantes={"ecrit": 100, "oral": 60, "tuteur": 40})


# --- the engine receives the absence explicitly ------------------------------------------------


def test_engine_justified_bloc_absence_offers_the_make_up(db, org_a, referentiels):
    regle, structure = _grid_inputs(referentiels)
    r = ResultatsCandidat(
        blocs=_blocs(**{BC1: ResultatBloc(controle_continu=60, absence_justifiee="certificat_medical")}),
        evaluation_professionnelle=EP,
    )
    p = propose(regle, structure, r, date_decision=dt.date(2026, 6, 12))
    detail = next(b for b in p.blocs if b.code == BC1)
    assert BC1 not in p.blocs_valides and p.decision == "partiel"
    assert detail.rattrapage_possible is True
    assert "absence justifiée : certificat médical" in detail.motif and RATTRAPAGE in detail.motif


def test_engine_gives_the_zero_of_an_unjustified_cc_absence(db, org_a, referentiels):
    """« Toute absence injustifiée à une évaluation de contrôle continu est sanctionnée par
    l'attribution d'un zéro à l'épreuve » — the engine gives the zero; the input holds no 0."""
    regle, structure = _grid_inputs(referentiels)
    # BC01 épreuves 150/150, no CC → 150/250 = 12/20: validated on the zero
    r = ResultatsCandidat(
        blocs=_blocs(**{BC1: ResultatBloc(epreuves=150, cc_absence_non_justifiee=True)}),
        evaluation_professionnelle=EP,
    )
    p = propose(regle, structure, r, date_decision=dt.date(2026, 6, 12))
    detail = next(b for b in p.blocs if b.code == BC1)
    assert detail.controle_continu == 0 and detail.points == 150
    assert "absence injustifiée au contrôle continu, sanctionnée par un zéro (0/100)" in detail.motif
    # 90/250 = 7.2/20 < 8 : éliminatoire
    r = r.__class__(
        blocs=_blocs(**{BC1: ResultatBloc(epreuves=90, cc_absence_non_justifiee=True)}),
        evaluation_professionnelle=EP,
    )
    p = propose(regle, structure, r, date_decision=dt.date(2026, 6, 12))
    assert next(b for b in p.blocs if b.code == BC1).eliminatoire


def test_engine_refuses_a_mark_beside_an_absence(db):
    with pytest.raises(EntreeInvalide, match="une absence n'est pas un 0"):
        ResultatBloc(controle_continu=0, cc_absence_justifiee="arret_travail")
    with pytest.raises(EntreeInvalide, match="motif recevable"):
        ResultatBloc(absence_justifiee="convenance")
    with pytest.raises(EntreeInvalide, match="ni points"):
        ResultatEvaluationProfessionnelle(
            composantes={"oral": 0}, absences_justifiees={"oral": "force_majeure"}
        )


def test_engine_justified_soutenance_absence_keeps_the_blocs(db, org_a, referentiels):
    regle, structure = _grid_inputs(referentiels)
    r = ResultatsCandidat(
        blocs=_blocs(),
        evaluation_professionnelle=ResultatEvaluationProfessionnelle(
            composantes={"ecrit": 100, "oral": None, "tuteur": 40},
            absences_justifiees={"oral": "force_majeure"},
        ),
    )
    p = propose(regle, structure, r, date_decision=dt.date(2026, 6, 12))
    assert p.decision == "partiel" and p.blocs_valides == frozenset(FULL)
    assert (
        f"Évaluation professionnelle : Oral (absence justifiée : cas de force majeure justifié) — {RATTRAPAGE} ;"
        " pas de certification totale d'ici là, les blocs d'au moins 10/20 sont conservés"
    ) in p.raisons


# --- the service -------------------------------------------------------------------------------


def test_justified_absence_needs_a_receivable_motive_and_its_piece(in_a, alice, referentiels):
    dossier = inscribed_dossier(alice, referentiels["rncp"])
    with pytest.raises(
        ApplicationError, match="certificat médical, un arrêt de travail ou un cas de force majeure"
    ):
        absence_record(dossier=dossier, by=alice, partie=f"epreuves:{BC1}", motif="convenance")
    with pytest.raises(
        ApplicationError, match=r"Joignez le justificatif de l'absence \(certificat médical\)"
    ):
        absence_record(dossier=dossier, by=alice, partie=f"epreuves:{BC1}", motif="certificat_medical")
    with pytest.raises(ApplicationError, match="Choisissez l'évaluation manquée"):
        absence_record(dossier=dossier, by=alice, partie="epreuves:BC99")
    assert not Resultat.objects.filter(dossier=dossier).exists()
    assert not Piece.objects.filter(dossier=dossier).exists()


def test_every_part_recorded_and_read_by_the_engine(in_a, alice, referentiels):
    ref = referentiels["rncp"]
    dossier = inscribed_dossier(alice, ref)
    grade_rncp(dossier, alice, blocs={k: v for k, v in FULL.items() if k != BC1}, oral=None)
    r = absence_record(
        dossier=dossier,
        by=alice,
        partie=f"epreuves:{BC1}",
        motif="arret_travail",
        uploaded_file=_certificat("arret.pdf"),
    )
    r = absence_record(dossier=dossier, by=alice, partie=f"controle_continu:{BC1}")
    assert r.epreuves is None and r.controle_continu is None  # facts, no 0
    assert r.absence_motif == "arret_travail" and r.cc_absence_non_justifiee
    assert r.absence_piece.kind == Piece.Kind.JUSTIFICATIF_ABSENCE
    assert r.absence_piece.original_name == "arret.pdf"
    resultat_validate(resultat=r, by=alice)  # a complete fact: validatable
    oral = absence_record(
        dossier=dossier,
        by=alice,
        partie="composante:oral",
        motif="certificat_medical",
        uploaded_file=_certificat(),
    )
    resultat_validate(resultat=oral, by=alice)
    inputs = engine_inputs([dossier])[dossier.pk].resultats
    assert inputs.blocs[BC1] == ResultatBloc(absence_justifiee="arret_travail", cc_absence_non_justifiee=True)
    assert dict(inputs.evaluation_professionnelle.absences_justifiees) == {"oral": "certificat_medical"}
    p = _propose(dossier)
    assert p.decision == "partiel" and BC1 not in p.blocs_valides
    # a mark entered later means the candidate sat it: the absence goes
    from evaluations.services import resultat_record

    r = resultat_record(dossier=dossier, by=alice, bloc=r.bloc, controle_continu=80)
    assert (r.cc_absence_non_justifiee, r.absence_motif) == (False, "arret_travail")
    r = resultat_record(dossier=dossier, by=alice, bloc=r.bloc, epreuves=100)
    assert (r.absence_motif, r.absence_piece) == ("", None)


def test_justified_absence_at_the_epreuve_reaches_the_engine(in_a, alice, referentiels):
    ref = referentiels["rncp"]
    dossier = inscribed_dossier(alice, ref)
    session = session_create(by=alice, referentiel=ref, intitule="Session juin", lieu="Lyon")
    epreuve = epreuve_create(
        session=session,
        by=alice,
        intitule="Étude de cas bloc 1",
        bloc=ref.blocs.get(code=BC1),
        modalite=None,
        date=dt.date(2026, 6, 10),
        heure_debut=dt.time(9),
        duree_minutes=180,
        lieu="Lyon",
    )
    epreuve_candidats_add(epreuve=epreuve, by=alice, dossiers=[dossier])
    inscription = InscriptionEpreuve.objects.get(epreuve=epreuve, dossier=dossier)
    presence_record(
        inscription=inscription,
        by=alice,
        presence="absent_justifie",
        motif="force_majeure",
        justification="Décès d'un proche",
        uploaded_file=_certificat("deces.pdf"),
    )
    inscription.refresh_from_db()
    assert inscription.justificatif.original_name == "deces.pdf"
    r = Resultat.objects.get(dossier=dossier, bloc__code=BC1)
    assert (r.absence_motif, r.absence_piece, r.epreuves) == ("force_majeure", inscription.justificatif, None)
    # corrected to present: the motive leaves the bloc
    presence_record(inscription=inscription, by=alice, presence="present")
    r.refresh_from_db()
    assert r.absence_motif == ""


# --- page and API -------------------------------------------------------------------------------


def test_results_page_records_an_absence_with_its_piece(org_a, alice, referentiels, client_for):
    with tenant_context(org_a):
        dossier = inscribed_dossier(alice, referentiels["rncp"])
    client = client_for(alice)
    url = f"/o/{org_a.slug}/evaluations/dossiers/{dossier.public_id}/resultats/"
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Absences et non-présentations" in html and f"Bloc {BC1} — contrôle continu" in html
    # justified without its pièce: refused, nothing written
    r = client.post(
        url, {"action": "absence", "partie": "composante:ecrit", "motif": "certificat_medical"}, follow=True
    )
    assert "Joignez le justificatif" in r.content.decode()
    with tenant_context(org_a):
        assert not Resultat.objects.filter(dossier=dossier).exists()
    r = client.post(
        url,
        {
            "action": "absence",
            "partie": "composante:ecrit",
            "motif": "certificat_medical",
            "justificatif": _certificat(),
        },
        follow=True,
    )
    html = r.content.decode()
    assert (
        "Absence enregistrée : Évaluation professionnelle — Écrit (mémoire ou rapport non remis dans les délais)."
        in html
    )
    section = html.split("absences-faits")[1].split("</section>")[0]
    assert "Justificatif : certificat.pdf" in section and RATTRAPAGE[1:] in section
    with tenant_context(org_a):
        assert Resultat.objects.get(dossier=dossier, composante="ecrit").absence_motif == "certificat_medical"


def test_api_records_an_absence(org_a, alice, referentiels, api_for):
    with tenant_context(org_a):
        dossier = inscribed_dossier(alice, referentiels["rncp"])
    api = api_for(alice)
    url = f"/api/v1/o/{org_a.slug}/dossiers/{dossier.public_id}/absences/"
    r = api.post(url, {"bloc": BC1, "partie": "controle_continu"}, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["cc_absence_non_justifiee"] is True and r.json()["controle_continu"] is None
    r = api.post(url, {"composante": "oral", "motif": "arret_travail"}, format="json")
    assert r.status_code == 400 and "Joignez le justificatif" in r.json()["error"]["message"]
    r = api.post(
        url,
        {"composante": "oral", "motif": "arret_travail", "justificatif": _certificat()},
        format="multipart",
    )
    assert r.status_code == 201 and r.json()["absence_motif"] == "arret_travail"
