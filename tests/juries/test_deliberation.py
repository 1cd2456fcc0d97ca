"""The jury's life: composition → deliberation → signatures (président last) → freeze → rectification."""

import hashlib

import pytest
from django.db import DatabaseError, connection, transaction

from candidates.models import Dossier
from core.errors import ApplicationError
from juries import services
from juries.models import Decision, Jury, ProcesVerbal
from tests.juries.conftest import (
    JURY_DATE,
    RNCP_PANEL,
    centre_admin,
    compose_rncp,
    grade_rncp,
    ready_dossier,
    sign_all,
    totp_code,
)

PARTIAL = {
    "RNCP36390BC01": (60, 80),
    "RNCP36390BC02": (20, 40),
    "RNCP36390BC03": (40, 50),
    "RNCP36390BC04": (35, 50),
}


@pytest.fixture
def sitting(in_a, alice, referentiels, panel, django_capture_on_commit_callbacks):
    rncp = referentiels["rncp"]
    jury = services.jury_create(
        by=alice, referentiel=rncp, intitule="Jury juin 2026", date=JURY_DATE, lieu="Lyon"
    )
    compose_rncp(jury)
    dossiers = [
        ready_dossier(alice, rncp, nom_naissance="Admis"),
        ready_dossier(
            alice,
            rncp,
            nom_naissance="Partiel",
            grade=lambda d, by: grade_rncp(d, by, blocs=PARTIAL, ecrit=40),
        ),
        ready_dossier(
            alice, rncp, nom_naissance="Fraudeur", grade=lambda d, by: grade_rncp(d, by, fraude=True)
        ),
    ]
    services.jury_dossiers_add(jury=jury, by=alice, dossiers=dossiers)
    services.jury_open(jury=jury, by=alice)
    return jury


def _decisions(jury):
    return {
        d.dossier.candidate.nom_naissance.title(): d
        for d in Decision.objects.filter(jury=jury).select_related("dossier__candidate")
    }


def test_proposals_with_reasons_then_override_sign_and_freeze(sitting, alice, panel):
    jury = sitting
    d = _decisions(jury)
    assert d["Admis"].proposition == "certifie" and len(d["Admis"].proposition_blocs) == 4
    assert d["Partiel"].proposition == "partiel" and "RNCP36390BC02" not in d["Partiel"].proposition_blocs
    assert any("BC02" in r for r in d["Partiel"].raisons)
    assert d["Fraudeur"].proposition == "ajourne" and any("Fraude" in r for r in d["Fraudeur"].raisons)

    pro, _secret = panel["pro1@test.local"]
    services.decision_record(decision=d["Admis"], by=pro, accept=True)
    with pytest.raises(ApplicationError, match="motivation écrite est obligatoire"):
        services.decision_record(decision=d["Partiel"], by=pro, accept=False, decision_value="certifie")
    services.decision_record(
        decision=d["Partiel"],
        by=pro,
        accept=False,
        decision_value="certifie",
        motivation="Le jury retient l'avis très favorable de l'entreprise.",
    )
    # a gestionnaire does not deliberate
    with pytest.raises(ApplicationError, match="membres du jury"):
        services.decision_record(decision=d["Fraudeur"], by=alice, accept=True)
    with pytest.raises(ApplicationError, match="sans décision"):
        services.jury_close(jury=jury, by=panel["presidente@test.local"][0])
    services.decision_record(decision=d["Fraudeur"], by=pro, accept=True)
    with pytest.raises(ApplicationError, match="président"):
        services.jury_close(jury=jury, by=pro)
    pv = services.jury_close(jury=jury, by=panel["presidente@test.local"][0])
    assert pv.sha256 == hashlib.sha256(pv.contenu.encode()).hexdigest()
    assert "Dérogation à la proposition. Motivation : Le jury retient" in pv.contenu

    # the président signs last; a wrong code is refused
    president, president_secret = panel["presidente@test.local"]
    with pytest.raises(ApplicationError, match="signe en dernier"):
        services.proces_verbal_sign(
            proces_verbal=pv, by=president, code=totp_code(president_secret), ip="203.0.113.7"
        )
    with pytest.raises(ApplicationError, match="Code de vérification invalide"):
        services.proces_verbal_sign(proces_verbal=pv, by=pro, code="000000", ip="203.0.113.7")
    sigs = sign_all(pv, panel)
    assert [s.member.role for s in sigs][-1] == "president"
    assert all(s.sha256 == pv.sha256 and str(s.ip) == "203.0.113.7" for s in sigs)

    jury.refresh_from_db()
    assert jury.is_frozen and jury.status == Jury.Status.SIGNE
    statuses = {
        x.candidate.nom_naissance.title(): (x.status, x.decision)
        for x in Dossier.objects.filter(pk__in=[v.dossier_id for v in d.values()]).select_related("candidate")
    }
    assert statuses == {
        "Admis": ("delibere", "certifie"),
        "Partiel": ("delibere", "certifie"),
        "Fraudeur": ("delibere", "ajourne"),
    }


def _freeze(jury, panel):
    for d in Decision.objects.filter(jury=jury):
        services.decision_record(decision=d, by=panel["pro1@test.local"][0], accept=True)
    pv = services.jury_close(jury=jury, by=panel["presidente@test.local"][0])
    sign_all(pv, panel)
    jury.refresh_from_db()
    return pv


def test_frozen_deliberation_refuses_every_change(sitting, alice, panel):
    jury = sitting
    _freeze(jury, panel)
    decision = Decision.objects.filter(jury=jury).first()
    # service
    with pytest.raises(ApplicationError, match="figée"):
        services.decision_record(
            decision=decision,
            by=panel["pro1@test.local"][0],
            accept=False,
            decision_value="ajourne",
            motivation="x",
        )
    with pytest.raises(ApplicationError, match="figée"):
        services.jury_member_add(
            jury=jury,
            by=centre_admin(jury.organisation),
            email="x@test.local",
            nom="X",
            prenom="Y",
            role="observateur",
        )
    # raw ORM and SQL: the database triggers
    with pytest.raises(DatabaseError, match="figée"), transaction.atomic():
        Decision.objects.filter(pk=decision.pk).update(decision="ajourne", motivation="coup de force")
    with pytest.raises(DatabaseError, match="figée"), transaction.atomic():
        decision.motivation = "changement"
        decision.save()
    with pytest.raises(DatabaseError, match="figée"), transaction.atomic():
        Decision.objects.filter(pk=decision.pk).delete()
    with pytest.raises(DatabaseError, match="figée"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE juries_jury SET date = date + 1")
    with pytest.raises(DatabaseError, match="signature"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE juries_signature SET sha256 = 'x'")
    with (
        pytest.raises(DatabaseError, match="texte signé"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE juries_procesverbal SET contenu = 'autre'")
    # the publication fields stay writable
    services.jury_results_publish(jury=jury, by=alice)
    jury.refresh_from_db()
    assert jury.results_published_at is not None


def test_rectification_has_its_own_signatures_then_applies(sitting, alice, panel):
    jury = sitting
    _freeze(jury, panel)
    d = _decisions(jury)["Partiel"]
    assert d.decision == "partiel"
    with pytest.raises(ApplicationError, match="motif"):
        services.rectification_create(
            decision=d, by=alice, nouvelle_decision="certifie", blocs_valides=[], motif=" "
        )
    all_blocs = [b.code for b in jury.referentiel.blocs.all()]
    rect = services.rectification_create(
        decision=d,
        by=alice,
        nouvelle_decision="certifie",
        blocs_valides=all_blocs,
        motif="Erreur de report de la note du bloc 2",
    )
    assert rect.proces_verbal.kind == ProcesVerbal.Kind.RECTIFICATIF and rect.applied_at is None
    dossier = Dossier.objects.get(pk=d.dossier_id)
    assert dossier.decision == "partiel"  # nothing changes before the signatures
    sign_all(rect.proces_verbal, panel)
    rect.refresh_from_db()
    dossier.refresh_from_db()
    assert rect.applied_at is not None and dossier.decision == "certifie"
    d.refresh_from_db()
    assert d.decision == "partiel"  # the original decision stays as signed; the rectification supersedes it


def test_composition_rule_lists_every_failure(in_a, alice, referentiels, panel, org_a):
    rncp = referentiels["rncp"]
    jury = services.jury_create(by=alice, referentiel=rncp, intitule="Jury", date=JURY_DATE, lieu="Lyon")
    compose_rncp(
        jury,
        panel_rows=RNCP_PANEL[:3] + [RNCP_PANEL[3][:4] + ({"a_forme_candidats": True},)],
        **{
            "presidente@test.local": {"personnalite_qualifiee": False, "annees_metier": "0.5"},
            "pro2@test.local": {"annees_inactivite": "3.5"},
        },
    )
    with pytest.raises(ApplicationError) as exc:
        services.jury_open(jury=jury, by=alice)
    reasons = exc.value.extra["reasons"]
    assert any("personnalité qualifiée" in r for r in reasons)
    assert any("Jean Petit" in r and "a formé" in r for r in reasons)
    assert any("0,5 an d'exercice" in r for r in reasons)
    assert any("inactif depuis 3,5 ans" in r and "au plus 3 ans" in r for r in reasons)
    assert any("Aucun candidat" in r for r in reasons)
    jury.refresh_from_db()
    assert jury.status == Jury.Status.COMPOSITION


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-inf", "1e999", "douze"])
def test_member_years_that_are_not_numbers_are_refused(in_a, alice, referentiels, value):
    from core.errors import ApplicationError
    from juries import services
    from juries.models import JuryMember
    from tests.juries.conftest import JURY_DATE

    jury = services.jury_create(
        by=alice, referentiel=referentiels["rncp"], intitule="Jury", date=JURY_DATE, lieu="Lyon"
    )
    with pytest.raises(ApplicationError) as exc:
        services.jury_member_add(
            jury=jury,
            by=centre_admin(jury.organisation),
            email="pro@test.local",
            nom="Nom",
            prenom="Prénom",
            role=JuryMember.Role.PROFESSIONNEL,
            annees_metier=value,
        )
    assert exc.value.field == "annees_metier"
    assert not jury.members.exists()
