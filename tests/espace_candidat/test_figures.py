"""Seed 004 §10 and STATISTIQUES_PROMOTIONS: the centre's response rates, its transmission, the
certificateur's insertion figures per certification and year — computed from known answers.

« Chaque candidat à la certification doit valider ses données sur Diplomation afin de permettre à
l'établissement de formation de réaliser les enquêtes sur au moins 2 années postérieures à la
diplomation et les transmettre à CCI France »."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from candidates import services as cs
from candidates.models import Dossier
from core.errors import ApplicationError
from espace_candidat import oversight, services
from espace_candidat.models import Enquete, Transmission
from organisations.roles import Role
from organisations.tenancy import tenant_context
from tests.conftest import make_member
from tests.documents.conftest import with_totp
from tests.evaluations.conftest import IDENTITY

YEAR = 2026


def _certified(
    by, rncp, n: int, *, vae: int = 0, decision=Dossier.Decision.CERTIFIE, year=YEAR
) -> list[Dossier]:
    """``n`` dossiers deliberated on 12/06/``year`` (``vae`` of them by the VAE)."""
    out = []
    for i in range(n):
        candidate = cs.candidate_create(
            by=by, **(IDENTITY | {"nom_naissance": f"Certifie{i}", "email": f"c{i}@test.local"})
        )
        dossier = cs.dossier_create(
            by=by,
            candidate=candidate,
            referentiel=rncp,
            voie_acces=Dossier.VoieAcces.VAE if i < vae else Dossier.VoieAcces.APPRENTISSAGE,
            date_inscription=dt.date(year - 1, 9, 1),
        )
        Dossier.objects.filter(pk=dossier.pk).update(
            status=Dossier.Status.DELIBERE, decision=decision, date_deliberation=dt.date(year, 6, 12)
        )
        dossier.refresh_from_db()
        out.append(dossier)
    return out


def _answers(dossiers, kind, rows):
    """rows: (situation, en_lien) per answering dossier; the others got the survey and kept silent."""
    now = timezone.now()
    for i, d in enumerate(dossiers):
        e = Enquete.objects.create(
            organisation=d.organisation, dossier=d, kind=kind, due_on=dt.date(YEAR, 12, 12), sent_at=now
        )
        if i < len(rows):
            situation, en_lien = rows[i]
            services.enquete_answer(
                enquete=e,
                situation=situation,
                en_lien=en_lien,
                contrat="cdi" if situation == "emploi" else "",
                poste="",
            )


@pytest.fixture
def figures_world(in_a, alice, referentiels, org_b, bob):
    from referentiels.services import habilitation_grant

    rncp = referentiels["rncp"]
    # centre A: 10 certified (3 by the VAE), 2 ajournés (never counted)
    a = _certified(alice, rncp, 10, vae=3)
    _certified(alice, rncp, 2, decision=Dossier.Decision.AJOURNE)
    # 6 months: 8 answers of 10 — 6 in employment (4 in relation), 1 studying, 1 looking
    _answers(
        a, "6m", [("emploi", True)] * 4 + [("emploi", False)] * 2 + [("etudes", None), ("recherche", None)]
    )
    # 2 years: 5 answers of 10 — 3 in a job related to the certification, 1 unrelated, 1 looking
    _answers(a, "2a", [("emploi", True)] * 3 + [("emploi", False), ("recherche", None)])
    # centre B: 4 certified, 6-month answers 2 of 4, both in employment; no 2-year survey yet
    habilitation_grant(
        certificateur=rncp.certificateur, centre=org_b, code="RNCP36390", date_debut=dt.date(2024, 1, 1)
    )
    with tenant_context(org_b):
        b = _certified(bob, rncp, 4)
        _answers(b, "6m", [("emploi", False), ("emploi", True)])
    return rncp


def test_centre_response_and_insertion_rates(figures_world):
    (row,) = services.centre_figures()
    assert (row["code"], row["annee"]) == ("RNCP36390", YEAR)
    assert (row["nombre_certifies"], row["nombre_certifies_vae"]) == (10, 3)
    assert (row["enquetes_6m"], row["repondants_6m"], row["en_emploi_6m"]) == (10, 8, 6)
    assert (row["enquetes_2a"], row["repondants_2a"], row["en_emploi_metier_2a"]) == (10, 5, 3)
    assert row["taux_reponse_6m"] == Decimal("80.0") and row["taux_reponse_2a"] == Decimal("50.0")
    assert row["taux_insertion_6m"] == Decimal("75.0")  # 6 / 8: every job counts at 6 months
    assert row["taux_insertion_metier_2a"] == Decimal("60.0")  # 3 / 5: a job in relation at 2 years


def test_certificateur_figures_sum_the_latest_transmissions_and_export(
    figures_world, alice, org_a, org_b, bob
):
    rncp = figures_world
    cci = rncp.certificateur
    with pytest.raises(ApplicationError, match="rien à transmettre"):
        services.figures_transmit(by=alice, code="RNCP36390", annee=2019)
    services.figures_transmit(by=alice, code="RNCP36390", annee=YEAR)
    # a later answer in A, transmitted again: the certificateur reads the latest only
    e = Enquete.objects.filter(kind="2a", answered_at__isnull=True).first()
    services.enquete_answer(enquete=e, situation="emploi", en_lien=True, contrat="cdd", poste="")
    services.figures_transmit(by=alice, code="RNCP36390", annee=YEAR)
    assert Transmission.objects.count() == 2
    with tenant_context(org_b):
        services.figures_transmit(by=bob, code="RNCP36390", annee=YEAR)

    rows = oversight.insertion_figures(certificateur=cci)
    (row,) = [r for r in rows if r["annee"] == YEAR]
    # certified from the dossiers of both centres (renewal figures), rates from the transmissions
    assert (row["nombre_certifies"], row["nombre_certifies_vae"]) == (14, 3)
    assert row["centres_transmis"] == 2
    assert (row["repondants_6m"], row["en_emploi_6m"]) == (10, 8)  # A 8/6 + B 2/2
    assert row["taux_insertion_global_6mois"] == Decimal("80.0")
    assert (row["repondants_2a"], row["en_emploi_metier_2a"]) == (6, 4)  # A's latest: 6 answers, 4 related
    assert row["taux_insertion_metier_2ans"] == Decimal("66.7")

    member = with_totp(make_member(cci, Role.CERTIFICATEUR, "cert@test.local"))
    client = Client()
    client.force_login(member.user)
    page = client.get(reverse("espace_insertion", kwargs={"org_slug": cci.slug}))
    assert page.status_code == 200 and "80,0 %" in page.content.decode() and "66,7 %" in page.content.decode()
    csv_response = client.get(reverse("espace_insertion_export", kwargs={"org_slug": cci.slug, "fmt": "csv"}))
    lines = list(csv.reader(io.StringIO(csv_response.content.decode("utf-8-sig")), delimiter=";"))
    assert lines[0][:6] == [
        "CODE_CERTIFICATION",
        "ANNEE",
        "NOMBRE_CERTIFIES",
        "NOMBRE_CERTIFIES_VAE",
        "TAUX_INSERTION_GLOBAL_6MOIS",
        "TAUX_INSERTION_METIER_2ANS",
    ]
    assert ["RNCP36390", str(YEAR), "14", "3", "80,0", "66,7"] == lines[1][:6]
    xlsx = client.get(reverse("espace_insertion_export", kwargs={"org_slug": cci.slug, "fmt": "xlsx"}))
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert [c.value for c in next(sheet.iter_rows(min_row=2, max_row=2))][:6] == [
        "RNCP36390",
        YEAR,
        14,
        3,
        80.0,
        66.7,
    ]
    # a centre never reaches these figures
    staff = Client()
    staff.force_login(alice.user)
    assert staff.get(reverse("espace_insertion", kwargs={"org_slug": org_a.slug})).status_code == 404


def test_cells_are_neutralised_against_formulas():
    assert oversight.neutralise("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert oversight.neutralise("+33") == "'+33" and oversight.neutralise("@x") == "'@x"
    assert oversight.neutralise(Decimal("12.5")) == Decimal("12.5") and oversight.neutralise(None) == ""
    assert oversight.neutralise("-1") == "'-1"  # a text cell, never a number nor a formula


def test_centre_follow_up_page_and_transmit_button(figures_world, alice, org_a):
    client = Client()
    client.force_login(alice.user)
    page = client.get(reverse("espace_centre_suivi", kwargs={"org_slug": org_a.slug}))
    text = page.content.decode()
    assert "8 / 10 (80,0 %)" in text and "75,0 %" in text and "60,0 %" in text
    response = client.post(
        reverse("espace_centre_transmit", kwargs={"org_slug": org_a.slug}),
        {"code": "RNCP36390", "annee": YEAR},
    )
    assert response.status_code == 302 and Transmission.objects.count() == 1


def test_another_certificateur_reads_none_of_these_transmissions(figures_world, alice, referentiels):
    """The oversight policy admits a transmission only for the certificateur's own référentiels."""
    services.figures_transmit(by=alice, code="RNCP36390", annee=YEAR)
    uimm = referentiels["cqpm"].certificateur
    rows = oversight.insertion_figures(certificateur=uimm)
    assert all(r["centres_transmis"] == 0 for r in rows)


def test_oversight_policy_hides_other_certifications_transmissions_in_the_database(
    figures_world, alice, referentiels, org_a
):
    """Under UIMM's oversight the ORM scope includes centre A (UIMM habilitated it for its CQPM):
    only the row-level policy keeps CCI France's transmission out of sight (no filter on the
    référentiel in this query)."""
    from certificateur.oversight import oversight_context

    services.figures_transmit(by=alice, code="RNCP36390", annee=YEAR)
    uimm, cci = referentiels["cqpm"].certificateur, referentiels["rncp"].certificateur
    # as the certificateur pages run: in the certificateur's own tenant, then its oversight
    with tenant_context(uimm), oversight_context(uimm):
        assert Transmission.objects.count() == 0
    with tenant_context(cci), oversight_context(cci):
        assert Transmission.objects.count() == 1
