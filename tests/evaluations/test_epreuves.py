"""Sessions and épreuves: tiers-temps, convocations (one-month rule, re-sends, PDF), émargement,
attendance (unjustified → 0, justified → make-up), fraud, double marking, bulk results."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone
from pypdf import PdfReader

from candidates.models import Dossier
from candidates.services import dossier_transition
from core.errors import ApplicationError
from evaluations import services
from evaluations.documents import emargement_pdf
from evaluations.models import Convocation, InscriptionEpreuve, Resultat
from evaluations.readiness import results_complete
from evaluations.selectors import engine_inputs
from organisations.roles import Role
from referentiels.regles import propose
from tests.evaluations.conftest import inscribed_dossier


def pdf_text(data: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


def _cqpm_epreuve(alice, ref, *, days=-1, double=False, evaluateurs=()):
    """An épreuve ``days`` days from today (by default held yesterday: its results and attendance
    can be recorded, issue 13 point 4 « A result or attendance cannot be recorded before its
    épreuve starts »)."""
    session = services.session_create(
        by=alice, referentiel=ref, intitule="Session de juin", lieu="Centre A, Paris"
    )
    return services.epreuve_create(
        session=session,
        by=alice,
        intitule="Présentation de projets",
        date=timezone.localdate() + dt.timedelta(days=days),
        heure_debut=dt.time(9, 0),
        duree_minutes=90,
        salle="B12",
        capacites=[c.code for c in ref.capacites.all()[:3]],
        double_correction=double,
        evaluateurs=evaluateurs,
    )


def _rncp_epreuve(alice, ref, *, bloc="RNCP36390BC01", days=-1):
    session = services.session_create(by=alice, referentiel=ref, intitule="Session RNCP", lieu="Lyon")
    return services.epreuve_create(
        session=session,
        by=alice,
        intitule=f"Étude de cas {bloc}",
        date=timezone.localdate() + dt.timedelta(days=days),
        heure_debut=dt.time(14, 0),
        duree_minutes=240,
        bloc=ref.blocs.get(code=bloc),
    )


def test_tiers_temps_durations():
    assert services.duree_candidat(90, tiers_temps=True) == 120
    assert services.duree_candidat(240, tiers_temps=True) == 320
    assert services.duree_candidat(100, tiers_temps=True) == 134  # rounded up to the minute
    assert services.duree_candidat(90, tiers_temps=False) == 90
    assert (
        services.duree_affichee(120) == "2 h"
        and services.duree_affichee(80) == "1 h 20"
        and services.duree_affichee(45) == "45 min"
    )


def test_one_month_rule_force_and_resend(in_a, alice, referentiels, django_capture_on_commit_callbacks):
    ref = referentiels["cqpm"]
    epreuve = _cqpm_epreuve(alice, ref, days=20)
    dossier = inscribed_dossier(alice, ref, email="lea@example.org")
    services.epreuve_candidats_add(epreuve=epreuve, by=alice, dossiers=[dossier])
    with pytest.raises(ApplicationError, match="moins d'un mois"):
        services.convocations_send(epreuve=epreuve, by=alice)
    with pytest.raises(ApplicationError, match="motif"):
        services.convocations_send(epreuve=epreuve, by=alice, force=True)
    assert Convocation.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        [c] = services.convocations_send(
            epreuve=epreuve,
            by=alice,
            force=True,
            motif_forcage="Session ajoutée à la demande de l'entreprise",
        )
    c.refresh_from_db()
    assert c.status == Convocation.Status.SENT and c.forcee and c.motif_forcage.startswith("Session ajoutée")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["lea@example.org"]
    assert mail.outbox[0].attachments[0][2] == "application/pdf"
    # already convoked: skipped unless re-sent; a re-send is a new, numbered row
    assert services.convocations_send(epreuve=epreuve, by=alice, force=True, motif_forcage="x") == []
    with django_capture_on_commit_callbacks(execute=True):
        [again] = services.convocations_send(
            epreuve=epreuve,
            by=alice,
            force=True,
            motif_forcage="x",
            renvoi=True,
            motif_renvoi="Adresse corrigée",
        )
    assert again.numero_envoi == 2 and Convocation.objects.count() == 2 and len(mail.outbox) == 2


def test_convocation_pdf_shows_name_date_and_tiers_temps(
    in_a, alice, referentiels, django_capture_on_commit_callbacks
):
    ref = referentiels["cqpm"]
    epreuve = _cqpm_epreuve(alice, ref, days=45)
    dossier = inscribed_dossier(alice, ref, email="lea@example.org", nom_naissance="Martin")
    Dossier.objects.filter(pk=dossier.pk).update(amenagement_tiers_temps=True)
    services.epreuve_candidats_add(epreuve=epreuve, by=alice, dossiers=[dossier])
    with django_capture_on_commit_callbacks(execute=True):
        [c] = services.convocations_send(epreuve=epreuve, by=alice)
    c.refresh_from_db()
    from evaluations.documents import convocation_pdf

    text = pdf_text(convocation_pdf(c))
    assert "MARTIN" in text and "Léa" in text
    assert epreuve.date.strftime("%d/%m/%Y") in text
    assert "2 h" in text and "tiers-temps inclus : 1 h 30 + 30 min" in text
    assert "pièce d'identité" in text.lower()


def test_emargement_pdf_lists_candidates_with_durations(in_a, alice, referentiels):
    ref = referentiels["cqpm"]
    epreuve = _cqpm_epreuve(alice, ref)
    a = inscribed_dossier(alice, ref, nom_naissance="Arnaud")
    b = inscribed_dossier(alice, ref, nom_naissance="Berger")
    Dossier.objects.filter(pk=b.pk).update(amenagement_tiers_temps=True)
    services.epreuve_candidats_add(epreuve=epreuve, by=alice, dossiers=[a, b])
    text = pdf_text(emargement_pdf(epreuve))
    assert "Feuille d'émargement" in text and epreuve.date.strftime("%d/%m/%Y") in text
    assert "ARNAUD" in text and "BERGER" in text
    assert "1 h 30" in text and "Tiers-temps : 2 h" in text


def test_unjustified_absence_scores_zero_on_a_bloc(in_a, alice, referentiels):
    ref = referentiels["rncp"]
    epreuve = _rncp_epreuve(alice, ref)
    dossier = inscribed_dossier(alice, ref)
    services.resultat_record(dossier=dossier, by=alice, bloc=epreuve.bloc, controle_continu=50, epreuves=None)
    [i] = services.epreuve_candidats_add(epreuve=epreuve, by=alice, dossiers=[dossier])
    services.presence_record(inscription=i, by=alice, presence="absent_non_justifie")
    r = Resultat.objects.get(dossier=dossier, kind="bloc")
    # seed 004 « la non-présentation à au moins une évaluation de bloc induit la non-validation du
    # bloc »: recorded as the fact it is (no mark), the engine reads the absence
    assert r.epreuves is None and r.absence_non_justifiee and r.controle_continu == 50
    assert r.changes.filter(reason__startswith="Absence non justifiée").exists()


def test_unjustified_absence_on_capacites_and_justified_absence_opens_make_up(in_a, alice, referentiels):
    ref = referentiels["cqpm"]
    epreuve = _cqpm_epreuve(alice, ref)
    d1, d2 = (
        inscribed_dossier(alice, ref, nom_naissance="Un"),
        inscribed_dossier(alice, ref, nom_naissance="Deux"),
    )
    i1, i2 = services.epreuve_candidats_add(epreuve=epreuve, by=alice, dossiers=[d1, d2])
    services.presence_record(inscription=i1, by=alice, presence="absent_non_justifie")
    assert set(Resultat.objects.filter(dossier=d1).values_list("etat", flat=True)) == {"absent"}
    assert Resultat.objects.filter(dossier=d1).count() == 3
    with pytest.raises(ApplicationError, match="certificat médical"):
        services.presence_record(inscription=i2, by=alice, presence="absent_justifie", motif="")
    i2 = services.presence_record(
        inscription=i2, by=alice, presence="absent_justifie", motif="certificat_medical"
    )
    assert i2.rattrapage_avant == services.add_months(epreuve.date, 6)
    assert not Resultat.objects.filter(dossier=d2).exists()
    from evaluations.selectors import rattrapages_a_organiser

    assert [x.pk for x in rattrapages_a_organiser()] == [i2.pk]


def test_fraud_invalidates_the_session(in_a, alice, referentiels):
    from tests.builders import RNCP_FULL, rncp_results

    ref = referentiels["rncp"]
    epreuve = _rncp_epreuve(alice, ref)
    dossier = inscribed_dossier(alice, ref)
    rncp_results(dossier, alice, blocs=RNCP_FULL)
    [i] = services.epreuve_candidats_add(epreuve=epreuve, by=alice, dossiers=[dossier])
    with pytest.raises(ApplicationError, match="procès-verbal"):
        services.incident_record(inscription=i, by=alice, kind="fraude", pv="", contreseing="refus")
    services.incident_record(
        inscription=i,
        by=alice,
        kind="fraude",
        pv="Téléphone consulté pendant l'épreuve.",
        contreseing="refus",
    )
    dossier.suivi.refresh_from_db()
    # seed 004: the PV is a suspicion; « Tout candidat dont la fraude est avérée » — the jury decides
    assert not dossier.suivi.fraude and dossier.suivi.fraude_en_attente
    from evaluations.hooks import fraud_decide

    fraud_decide(dossier=dossier, by=alice, nature="fraude", motif="Fraude avérée")
    dossier.suivi.refresh_from_db()
    assert dossier.suivi.fraude and "refusé de contresigner" in dossier.suivi.fraude_motif
    inputs = engine_inputs([dossier])[dossier.pk]
    proposition = propose(
        inputs.regle, inputs.structure, inputs.resultats, date_decision=timezone.localdate()
    )
    assert proposition.decision == "ajourne" and proposition.blocs_valides == frozenset()


@pytest.mark.parametrize(
    ("taux", "penalite", "apres"),
    [
        ("0", "0", "40"),
        ("2", "5", "38"),
        ("2.5", "5", "38"),
        ("3.2", "10", "36"),
        ("5", "10", "36"),
        ("7", "15", "34"),
        ("10", "15", "34"),
    ],
)
def test_absence_penalties_of_seed_004(in_a, alice, referentiels, taux, penalite, apres):
    from tests.builders import RNCP_FULL, rncp_results

    dossier = inscribed_dossier(alice, referentiels["rncp"])
    rncp_results(dossier, alice, blocs=RNCP_FULL, tuteur=40)
    services.suivi_update(dossier=dossier, by=alice, taux_absence=taux)
    inputs = engine_inputs([dossier])[dossier.pk]
    e = propose(
        inputs.regle, inputs.structure, inputs.resultats, date_decision=timezone.localdate()
    ).evaluation_professionnelle
    assert e.penalite_pourcent == Decimal(penalite)
    assert e.tuteur_apres_penalite == Decimal(apres)
    assert "Note tuteur 40/50" in e.calcul_tuteur


def test_double_marking_disagreement_blocks_readiness_until_resolved(
    in_a, alice, referentiels, member_factory
):
    ref = referentiels["cqpm"]
    e1 = member_factory(alice.organisation, Role.EVALUATEUR, "eva1@test.local")
    e2 = member_factory(alice.organisation, Role.EVALUATEUR, "eva2@test.local")
    session = services.session_create(by=alice, referentiel=ref, intitule="Double", lieu="Paris")
    capacites = list(ref.capacites.all())
    with pytest.raises(ApplicationError, match="deux évaluateurs"):
        services.epreuve_create(
            session=session,
            by=alice,
            intitule="Soutenance",
            date=timezone.localdate() + dt.timedelta(days=40),
            heure_debut=dt.time(9),
            duree_minutes=60,
            capacites=[c.code for c in capacites],
            double_correction=True,
            evaluateurs=[e1.user],
        )
    epreuve = services.epreuve_create(
        session=session,
        by=alice,
        intitule="Soutenance",
        date=timezone.localdate() - dt.timedelta(days=1),
        heure_debut=dt.time(9),
        duree_minutes=60,
        capacites=[c.code for c in capacites],
        double_correction=True,
        evaluateurs=[e1.user, e2.user],
    )
    dossier = inscribed_dossier(alice, ref)
    services.epreuve_candidats_add(epreuve=epreuve, by=alice, dossiers=[dossier])
    with pytest.raises(ApplicationError, match="correcteurs désignés"):
        services.epreuve_mark(
            epreuve=epreuve, dossier=dossier, by=alice, cible=capacites[0].code, valeur="acquis"
        )
    for cap in capacites:
        services.epreuve_mark(epreuve=epreuve, dossier=dossier, by=e1, cible=cap.code, valeur="acquis")
        services.epreuve_mark(
            epreuve=epreuve,
            dossier=dossier,
            by=e2,
            cible=cap.code,
            valeur="acquis" if cap != capacites[0] else "non_acquis",
        )
    # agreeing targets wrote their result; the disagreeing one did not
    assert Resultat.objects.filter(dossier=dossier).count() == len(capacites) - 1
    # a CQPM: no one-click validation of the épreuve, the commission decides each capacité
    with pytest.raises(ApplicationError, match="revient à la commission d'évaluation"):
        services.epreuve_results_validate(epreuve=epreuve, by=alice)
    for r in Resultat.objects.filter(dossier=dossier):
        services.commission_decide(resultat=r, by=alice, decision=r.etat, membres="Mme Roy, présidente")
    dossier.refresh_from_db()
    reasons = results_complete(dossier)
    assert any("désaccord" in r and capacites[0].code in r for r in reasons)
    with pytest.raises(ApplicationError, match="désaccord"):
        dossier_transition(dossier=dossier, to=Dossier.Status.PRET_POUR_JURY, by=alice)
    with pytest.raises(ApplicationError, match="Motivez"):
        services.correction_resolve(
            epreuve=epreuve, dossier=dossier, by=alice, cible=capacites[0].code, valeur="acquis", motif=""
        )
    services.correction_resolve(
        epreuve=epreuve,
        dossier=dossier,
        by=alice,
        cible=capacites[0].code,
        valeur="acquis",
        motif="Relecture de la grille",
    )
    r = Resultat.objects.get(dossier=dossier, capacite=capacites[0])
    assert r.etat == "acquis" and r.changes.filter(reason__contains="Relecture").exists()
    services.resultat_validate(resultat=r, by=alice)
    assert results_complete(dossier) == []
    assert (
        dossier_transition(dossier=dossier, to=Dossier.Status.PRET_POUR_JURY, by=alice).status
        == "pret_pour_jury"
    )


def test_bulk_results_one_bad_row_writes_nothing(in_a, alice, referentiels):
    ref = referentiels["rncp"]
    dossier = inscribed_dossier(alice, ref)
    bc1, bc2 = ref.blocs.get(code="RNCP36390BC01"), ref.blocs.get(code="RNCP36390BC02")
    rows = [
        {"dossier": dossier, "bloc": bc1, "controle_continu": 60, "epreuves": 80},
        {"dossier": dossier, "bloc": bc2, "controle_continu": 40, "epreuves": 500},
        {"dossier": dossier, "composante": "danse", "points": 1},
    ]
    with pytest.raises(ApplicationError) as exc:
        services.resultats_bulk_record(by=alice, rows=rows)
    assert set(exc.value.extra["rows"]) == {1, 2} and "rien n'a été enregistré" in exc.value.message
    assert not Resultat.objects.filter(dossier=dossier).exists()
    dossier.refresh_from_db()
    assert dossier.status == Dossier.Status.INSCRIT
    out = services.resultats_bulk_record(by=alice, rows=[rows[0] | {"valider": True}])
    assert out[0].valide


def test_capacite_outside_dossier_and_frozen_dossier_are_refused(in_a, alice, referentiels):
    ref = referentiels["cqpm"]
    dossier = inscribed_dossier(alice, ref)
    other = referentiels["rncp"].capacites.first()
    with pytest.raises(ApplicationError, match="ne fait pas partie"):
        services.resultat_record(dossier=dossier, by=alice, capacite=other, etat="acquis")
    epreuve = _cqpm_epreuve(alice, ref)
    [i] = services.epreuve_candidats_add(epreuve=epreuve, by=alice, dossiers=[dossier])
    dossier_transition(dossier=dossier, to=Dossier.Status.ABANDON, by=alice, reason="départ")
    with pytest.raises(ApplicationError, match="figés"):
        services.epreuve_mark(
            epreuve=epreuve, dossier=dossier, by=alice, cible=epreuve.capacites[0], valeur="acquis"
        )
    with pytest.raises(ApplicationError, match="figés"):
        services.presence_record(inscription=i, by=alice, presence="present")
    assert not Resultat.objects.filter(dossier=dossier).exists()
    assert InscriptionEpreuve.objects.get(pk=i.pk).presence == ""


def test_epreuve_targets_are_checked(in_a, alice, referentiels):
    session = services.session_create(by=alice, referentiel=referentiels["cqpm"], intitule="S")
    base = {
        "session": session,
        "by": alice,
        "intitule": "E",
        "date": timezone.localdate(),
        "heure_debut": dt.time(9),
        "duree_minutes": 60,
    }
    with pytest.raises(ApplicationError, match="inconnue"):
        services.epreuve_create(**base, capacites=["ZZZ"])
    with pytest.raises(ApplicationError, match="Lieu : Ce champ ne peut pas être vide") as exc:
        services.epreuve_create(**base, capacites=[referentiels["cqpm"].capacites.first().code])
    assert exc.value.field == "lieu"
    with pytest.raises(ApplicationError, match="soit un bloc"):
        services.epreuve_create(**base)
    with pytest.raises(ApplicationError, match="par capacité"):
        services.epreuve_create(**base, bloc=referentiels["cqpm"].blocs.first())
