"""Double marking set by the référentiel: ``Modalite.double_correction`` in the exchange format
(omitted when false), and an épreuve of such a modalité is double-marked by default."""

import datetime as dt
import json
import uuid

import pytest
from django.utils import timezone

from evaluations import services
from evaluations.models import Epreuve
from organisations.models import Organisation
from organisations.tenancy import tenant_context
from referentiels.exchange import FormatError, document_dumps, document_parse
from referentiels.models import Modalite
from referentiels.seeds import seed_path
from referentiels.services import (
    habilitation_grant,
    referentiel_export,
    referentiel_import,
    referentiel_publish,
)


def _doc_with_double_marking(code="CQPM-DOUBLE"):
    doc = json.loads(seed_path("cqpm-attache-gestion.json").read_text(encoding="utf-8"))
    doc["code"] = code
    bloc = doc["blocs"][0]
    bloc["modalites"][0]["double_correction"] = True
    return doc, bloc["capacites"][0]["code"]


def test_exchange_format_carries_double_correction_and_omits_it_when_false(db):
    certificateur = Organisation.objects.create(kind="certificateur", slug="uimm", name="UIMM")
    doc, code = _doc_with_double_marking()
    text = document_dumps(doc)
    referentiel = referentiel_import(doc=document_parse(text, "x.json"), certificateur=certificateur)
    flagged = Modalite.objects.filter(referentiel=referentiel, double_correction=True)
    assert flagged.count() == 1 and flagged.get().bloc.capacites.filter(code=code).exists()
    exported = document_dumps(referentiel_export(referentiel=referentiel))
    assert exported == text  # round trip, the key where it was
    assert exported.count('"double_correction"') == 1  # written only when true
    yaml_text = document_dumps(referentiel_export(referentiel=referentiel), fmt="yaml")
    assert document_parse(yaml_text, "x.yaml") == json.loads(text)


@pytest.mark.parametrize("value", ["oui", 1, None])
def test_exchange_format_refuses_a_non_boolean_double_correction(value):
    doc, _code = _doc_with_double_marking()
    doc["blocs"][0]["modalites"][0]["double_correction"] = value
    with pytest.raises(FormatError) as exc:
        document_parse(json.dumps(doc), "x.json")
    assert "blocs[0].modalites[0].double_correction" in str(exc.value) and "true ou false" in str(exc.value)


@pytest.fixture
def double_ref(org_a):
    certificateur = Organisation.objects.create(kind="certificateur", slug="uimm", name="UIMM")
    doc, code = _doc_with_double_marking()
    referentiel = referentiel_import(doc=doc, certificateur=certificateur)
    referentiel_publish(referentiel=referentiel, by=certificateur)
    habilitation_grant(
        certificateur=certificateur, centre=org_a, code=referentiel.code, date_debut=dt.date(2024, 1, 1)
    )
    return referentiel, code


def _create(session, alice, *, modalite, code, double_correction=False):
    return services.epreuve_create(
        session=session,
        by=alice,
        intitule="Soutenance",
        date=timezone.localdate() + dt.timedelta(days=40),
        heure_debut=dt.time(9),
        duree_minutes=60,
        capacites=[code],
        modalite=modalite,
        double_correction=double_correction,
    )


def test_epreuve_of_a_double_marked_modalite_is_double_marked(org_a, alice, double_ref):
    referentiel, code = double_ref
    with tenant_context(org_a):
        session = services.session_create(by=alice, referentiel=referentiel, intitule="S", lieu="Paris")
        required = Modalite.objects.get(referentiel=referentiel, double_correction=True)
        plain = Modalite.objects.filter(referentiel=referentiel, double_correction=False).first()
        assert _create(session, alice, modalite=required, code=code).double_correction is True
        # the référentiel's requirement cannot be dropped by the épreuve's flag
        assert (
            _create(session, alice, modalite=required, code=code, double_correction=False).double_correction
            is True
        )
        assert _create(session, alice, modalite=plain, code=code).double_correction is False
        # the centre may still ask for double marking on another modalité
        assert (
            _create(session, alice, modalite=plain, code=code, double_correction=True).double_correction
            is True
        )


def test_api_epreuve_with_modalite_id(org_a, alice, api_for, double_ref):
    referentiel, code = double_ref
    with tenant_context(org_a):
        session = services.session_create(by=alice, referentiel=referentiel, intitule="S", lieu="Paris")
        required = Modalite.objects.get(referentiel=referentiel, double_correction=True)
    api = api_for(alice)
    url = f"/api/v1/o/centre-a/sessions/{session.public_id}/epreuves/"
    body = {
        "intitule": "Soutenance",
        "date": (timezone.localdate() + dt.timedelta(days=40)).isoformat(),
        "heure_debut": "09:00",
        "duree_minutes": 60,
        "capacites": [code],
        "modalite_id": str(required.public_id),
    }
    r = api.post(url, body, format="json")
    assert r.status_code == 201, r.json()
    assert r.json()["double_correction"] is True and r.json()["modalite_id"] == str(required.public_id)
    other = Modalite.objects.exclude(referentiel=referentiel).values_list("public_id", flat=True).first()
    r = api.post(url, body | {"modalite_id": str(other or uuid.uuid4())}, format="json")
    assert r.status_code == 400 and "modalite_id" in json.dumps(r.json())
    with tenant_context(org_a):
        assert Epreuve.objects.count() == 1


def test_page_form_applies_the_modalite_requirement(org_a, alice, client_for, double_ref):
    referentiel, code = double_ref
    with tenant_context(org_a):
        session = services.session_create(by=alice, referentiel=referentiel, intitule="S", lieu="Paris")
        required = Modalite.objects.get(referentiel=referentiel, double_correction=True)
    client = client_for(alice)
    url = f"/o/centre-a/evaluations/sessions/{session.public_id}/"
    assert "double correction exigée" in client.get(url).content.decode()
    r = client.post(
        url,
        {
            "intitule": "Soutenance",
            "date": (timezone.localdate() + dt.timedelta(days=40)).isoformat(),
            "heure_debut": "09:00",
            "duree_minutes": "60",
            "cible": "capacites",
            "capacites": [code],
            "modalite": str(required.pk),
        },
    )
    assert r.status_code == 302
    with tenant_context(org_a):
        assert Epreuve.objects.get().double_correction is True
    assert "exigée par le référentiel pour cette modalité" in client.get(r["Location"]).content.decode()
