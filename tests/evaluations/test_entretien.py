"""The entretien with the candidate, recorded with its date, participants and a conclusion per
capacité, weighed by the commission (CQPM) and required next to the observation (CQPI).

Seed 000: « L'acquisition de chacune des capacités professionnelles est validée par une commission
d'évaluation sur la base : - des différentes évaluations - de l'avis de l'entreprise - de
l'entretien avec le candidat ».
Seed 003, every compétence: « - Observation en situation de travail » « - Entretien avec les
membres du jury d'évaluation ».
"""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from core.errors import ApplicationError
from evaluations import selectors
from evaluations.entretiens import entretien_record
from evaluations.models import Entretien
from evaluations.readiness import readiness_reasons
from evaluations.services import resultat_record, resultat_validate
from organisations.models import Organisation
from organisations.tenancy import tenant_context
from referentiels.demo import load_seed
from referentiels.services import habilitation_grant
from tests.evaluations.conftest import inscribed_dossier

YESTERDAY = dt.date.today() - dt.timedelta(days=1)


def test_entretien_is_recorded_and_weighed_by_the_commission(in_a, alice, referentiels):
    cqpm = referentiels["cqpm"]
    dossier = inscribed_dossier(alice, cqpm)
    cap = cqpm.capacites.order_by("bloc__order", "order").first()
    resultat_record(dossier=dossier, by=alice, capacite=cap, etat="acquis")
    entretien_record(
        dossier=dossier,
        by=alice,
        date=timezone.localdate() - dt.timedelta(days=1),
        participants="M. Martin, président\n\nMme Roy, évaluatrice",
        conclusions={cap.code: ("non_acquis", "Exemples insuffisants")},
    )
    entretien = Entretien.objects.get(dossier=dossier)
    assert entretien.participants == "M. Martin, président\nMme Roy, évaluatrice"
    row = selectors.commission_rows(dossier=dossier, capacite_ids=[cap.pk])[0]
    item = row.entretien[-1]
    assert (item["valeur_label"], item["commentaire"]) == ("Non acquis", "Exemples insuffisants")
    # « sur la base … de l'entretien »: validating « acquis » departs from it
    assert row.departures("acquis") == ["de l'entretien (« non acquis »)"]
    assert row.departures("non_acquis") == ["des évaluations (« acquis »)"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"date": dt.date.today() + dt.timedelta(days=2)}, "ne peut pas être à venir"),
        ({"participants": "  \n "}, "Nommez les participants"),
        ({"conclusions": {"99": ("acquis", "")}}, "Capacité 99 non visée"),
        ({"conclusions": {"1": ("peut-être", "")}}, "conclusion « peut-être » inconnue"),
        ({"conclusions": {"1": ("", "")}}, "au moins une capacité"),
    ],
)
def test_bad_entretien_is_refused_and_writes_nothing(in_a, alice, referentiels, kwargs, message):
    dossier = inscribed_dossier(alice, referentiels["cqpm"])
    base = {"date": YESTERDAY, "participants": "Mme Roy", "conclusions": {"1": ("acquis", "")}}
    with pytest.raises(ApplicationError, match=message):
        entretien_record(dossier=dossier, by=alice, **(base | kwargs))
    assert not Entretien.objects.filter(dossier=dossier).exists()


def test_cqpi_needs_observation_and_entretien_per_competence(in_a, alice, org_a):
    cpnef = Organisation.objects.create(kind="certificateur", slug="cpnef", name="CPNEF")
    cqpi = load_seed("cqpi-assistant.json", cpnef)
    habilitation_grant(certificateur=cpnef, centre=org_a, code=cqpi.code, date_debut=dt.date(2024, 1, 1))
    dossier = inscribed_dossier(alice, cqpi)
    competences = list(cqpi.capacites.order_by("bloc__order", "order"))
    for c in competences:  # the observation, validated
        resultat_validate(
            resultat=resultat_record(dossier=dossier, by=alice, capacite=c, etat="acquis"), by=alice
        )
    reasons = readiness_reasons([dossier])[dossier.pk]
    assert reasons == [
        f"Compétence {c.code} : entretien avec le jury d'évaluation non enregistré." for c in competences
    ]
    entretien_record(
        dossier=dossier,
        by=alice,
        date=YESTERDAY,
        participants="Jury d'évaluation : Mme Roy, M. Martin",
        conclusions={c.code: ("acquis", "") for c in competences[:-1]},
    )
    assert readiness_reasons([dossier])[dossier.pk] == [
        f"Compétence {competences[-1].code} : entretien avec le jury d'évaluation non enregistré."
    ]


def test_commission_page_records_an_entretien(in_a, alice, referentiels, client_for, org_a):
    cqpm = referentiels["cqpm"]
    dossier = inscribed_dossier(alice, cqpm)
    url = reverse("dossier_commission", kwargs={"org_slug": org_a.slug, "dossier_id": dossier.public_id})
    client = client_for(alice)
    page = client.get(url).content.decode()
    assert "Enregistrer un entretien avec le candidat" in page and "— non abordée —" in page
    response = client.post(
        url, {"action": "entretien", "date": "", "participants": "x", "conclusion-1": "acquis"}
    )
    assert response.status_code == 400 and "Date de l&#x27;entretien invalide" in response.content.decode()
    response = client.post(
        url,
        {
            "action": "entretien",
            "date": YESTERDAY.isoformat(),
            "participants": "Mme Roy, évaluatrice",
            "conclusion-1": "acquis",
            "commentaire-1": "Clair et précis",
        },
        follow=True,
    )
    page = response.content.decode()
    assert "Entretien enregistré." in page
    assert f"Entretien du {YESTERDAY:%d/%m/%Y} : <strong>Acquis</strong> — Clair et précis" in page
    with tenant_context(org_a):
        assert Entretien.objects.filter(dossier=dossier).count() == 1


def test_the_commission_names_its_members(in_a, alice, referentiels):
    """Seed 000: « validée par une commission d'évaluation » — the members who decide are named."""
    from evaluations.services import commission_decide

    cqpm = referentiels["cqpm"]
    dossier = inscribed_dossier(alice, cqpm)
    cap = cqpm.capacites.order_by("bloc__order", "order").first()
    r = resultat_record(dossier=dossier, by=alice, capacite=cap, etat="acquis")
    with pytest.raises(ApplicationError, match="Nommez les membres de la commission"):
        commission_decide(resultat=r, by=alice, decision="acquis", membres=" \n ")
    r = commission_decide(resultat=r, by=alice, decision="acquis", membres="Mme Roy, présidente\n M. Martin ")
    assert r.valide and r.commission_membres == "Mme Roy, présidente\nM. Martin"
    assert r.changes.filter(field="commission_membres").exists()


def test_api_records_an_entretien_and_refuses_bad_input(in_a, alice, referentiels, api_for, org_a):
    """The same entretien through the API (a REST client records it without the page)."""
    cqpm = referentiels["cqpm"]
    dossier = inscribed_dossier(alice, cqpm)
    url = f"/api/v1/o/{org_a.slug}/dossiers/{dossier.public_id}/entretiens/"
    api = api_for(alice)
    bad = api.post(
        url,
        {
            "date": (dt.date.today() + dt.timedelta(days=3)).isoformat(),
            "participants": "Mme Roy",
            "conclusions": [{"capacite": "1", "conclusion": "acquis"}],
        },
        format="json",
    )
    assert bad.status_code == 400 and "ne peut pas être à venir" in bad.json()["error"]["message"]
    twice = api.post(
        url,
        {
            "date": YESTERDAY.isoformat(),
            "participants": "Mme Roy",
            "conclusions": [
                {"capacite": "1", "conclusion": "acquis"},
                {"capacite": "1", "conclusion": "non_acquis"},
            ],
        },
        format="json",
    )
    assert twice.status_code == 400 and "figure deux fois" in twice.json()["error"]["message"]
    with tenant_context(org_a):
        assert not Entretien.objects.filter(dossier=dossier).exists()
    ok = api.post(
        url,
        {
            "date": YESTERDAY.isoformat(),
            "participants": "Mme Roy, évaluatrice",
            "conclusions": [{"capacite": "1", "conclusion": "acquis", "commentaire": "Clair"}],
        },
        format="json",
    )
    assert ok.status_code == 201, ok.content
    with tenant_context(org_a):
        entretien = Entretien.objects.get(dossier=dossier)
        assert str(entretien.public_id) == ok.json()["id"]
        assert [(c.capacite.code, c.conclusion) for c in entretien.conclusions.all()] == [("1", "acquis")]
