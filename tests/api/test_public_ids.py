"""issue 17 « One vocabulary »: « every object is referenced by its id (the public UUID) in paths
and bodies, with the same field name wherever it appears » — a référentiel's blocs, capacités,
critères and modalités too: the API shows their UUID and takes it wherever they are named (the
plan, épreuves, results, avis, jury decisions); the integer keys stay internal (the former
integer is still accepted during the deprecation period of docs/api-integration.md)."""

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from candidates.models import DossierModalite
from evaluations import services
from evaluations.models import AvisCapacite, Epreuve
from organisations.roles import Role
from organisations.tenancy import tenant_context
from tests.evaluations.conftest import IDENTITY, referentiels  # noqa: F401 - fixture
from tests.evaluations.test_pages_and_api import _avis_setup

UNKNOWN = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def api(alice, api_for, referentiels):  # noqa: F811
    return api_for(alice)


@pytest.fixture
def tree(api, referentiels):  # noqa: F811
    return api.get(f"/api/v1/referentiels/{referentiels['cqpm'].public_id}/").json()


def _dossier(api, code):
    candidate = api.post(
        "/api/v1/o/centre-a/candidates/",
        {k: v for k, v in IDENTITY.items() if not k.startswith("naissance_")}
        | {"date_naissance": "1998-03-14", "naissance_commune": "Ajaccio", "naissance_pays_code": "FRA"},
        format="json",
    ).json()
    return api.post(
        "/api/v1/o/centre-a/dossiers/",
        {"candidate": candidate["id"], "referentiel": code, "voie_acces": "FORMATION_INITIALE_APPRENTISSAGE"},
        format="json",
    ).json()


def test_the_plan_names_blocs_capacites_and_modalites_by_id(api, tree, referentiels):  # noqa: F811
    # The seeds declare their modalités for the whole bloc: each capacité of it may take one.
    capacites = [dict(c, modalites=b["modalites"]) for b in tree["blocs"] for c in b["capacites"]]
    assert capacites and all(c["modalites"] for c in capacites)
    dossier = _dossier(api, referentiels["cqpm"].code)
    url = f"/api/v1/o/centre-a/dossiers/{dossier['id']}/plan/"
    choices = {c["id"]: c["modalites"][0]["id"] for c in capacites}
    plan = api.put(url, {"blocs": [b["id"] for b in tree["blocs"]], "modalites": choices}, format="json")
    assert plan.status_code == 200, plan.content
    by_code = {c["code"]: c["modalites"][0]["id"] for c in capacites}
    assert {m["capacite"]: m["modalite_id"] for m in plan.json()["modalites"]} == by_code

    # An unknown id is named; a value that is no id is refused; nothing changes.
    first = capacites[0]
    bad = api.put(
        url, {"blocs": [tree["blocs"][0]["code"]], "modalites": {first["code"]: UNKNOWN}}, format="json"
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["fields"] == {"modalites": [f"Modalité inconnu(e) : {UNKNOWN}."]}
    bad = api.put(
        url, {"blocs": [tree["blocs"][0]["code"]], "modalites": {first["code"]: "oral"}}, format="json"
    )
    assert bad.status_code == 400 and "UUID" in str(bad.json()["error"]["fields"]["modalites"])
    bad = api.put(url, {"blocs": [UNKNOWN]}, format="json")
    assert bad.status_code == 400 and UNKNOWN in bad.json()["error"]["message"]
    assert (
        api.get(f"/api/v1/o/centre-a/dossiers/{dossier['id']}/").json()["modalites"]
        == plan.json()["modalites"]
    )


def test_the_former_integer_id_is_still_accepted(api, tree, referentiels, org_a):  # noqa: F811
    """The deprecation period: an integer sent by an older client means the same modalité."""
    from referentiels.models import Modalite

    bloc = tree["blocs"][0]
    capacite = bloc["capacites"][0]
    modalite = Modalite.objects.get(public_id=bloc["modalites"][0]["id"])
    dossier = _dossier(api, referentiels["cqpm"].code)
    plan = api.put(
        f"/api/v1/o/centre-a/dossiers/{dossier['id']}/plan/",
        {"blocs": [b["code"] for b in tree["blocs"]], "modalites": {capacite["code"]: modalite.pk}},
        format="json",
    )
    assert plan.status_code == 200, plan.content
    shown = {m["capacite"]: m["modalite_id"] for m in plan.json()["modalites"]}
    assert shown[capacite["code"]] == str(modalite.public_id)
    with tenant_context(org_a):
        assert DossierModalite.objects.filter(modalite=modalite).count() == 1


def test_epreuve_takes_its_capacites_and_modalite_by_id(api, tree, alice, org_a, referentiels):  # noqa: F811
    with tenant_context(org_a):
        session = services.session_create(
            by=alice, referentiel=referentiels["cqpm"], intitule="S", lieu="Paris"
        )
    bloc = tree["blocs"][0]
    capacite = dict(bloc["capacites"][0], modalites=bloc["modalites"])
    body = {
        "intitule": "Soutenance",
        "date": (timezone.localdate() + dt.timedelta(days=40)).isoformat(),
        "heure_debut": "09:00",
        "duree_minutes": 60,
        "capacites": [capacite["id"]],
        "modalite_id": capacite["modalites"][0]["id"],
    }
    url = f"/api/v1/o/centre-a/sessions/{session.public_id}/epreuves/"
    created = api.post(url, body, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["capacites"] == [capacite["code"]]
    assert created.json()["modalite_id"] == capacite["modalites"][0]["id"]
    refused = api.post(url, body | {"modalite_id": UNKNOWN}, format="json")
    assert refused.status_code == 400 and "modalite_id" in refused.json()["error"]["fields"]
    with tenant_context(org_a):
        assert Epreuve.objects.count() == 1


def test_avis_names_capacites_and_criteres_by_id(org_a, alice, api_for, referentiels, member_factory):  # noqa: F811
    avis = _avis_setup(org_a, alice, referentiels)
    tuteur = api_for(member_factory(org_a, Role.TUTEUR, "tuteur@entreprise.fr"))
    row = tuteur.get(f"/api/v1/o/centre-a/avis/{avis.public_id}/").json()["capacites"][0]
    assert str(uuid.UUID(row["capacite_id"])) == row["capacite_id"]
    tree = api_for(alice).get(f"/api/v1/referentiels/{referentiels['cqpm'].public_id}/").json()
    critere = next(c for b in tree["blocs"] for c in b["capacites"] if c["id"] == row["capacite_id"])[
        "criteres"
    ][0]["id"]
    body = {
        "capacites": [
            {"capacite_id": row["capacite_id"], "avis": "favorable", "criteres": {critere: "reserve"}}
        ]
    }
    saved = tuteur.post(f"/api/v1/o/centre-a/avis/{avis.public_id}/", body, format="json")
    assert saved.status_code == 200, saved.content
    saved_row = next(r for r in saved.json()["capacites"] if r["capacite_id"] == row["capacite_id"])
    assert saved_row["criteres"] == {critere: "reserve"}
    body["capacites"][0]["criteres"] = {UNKNOWN: "reserve"}
    refused = tuteur.post(f"/api/v1/o/centre-a/avis/{avis.public_id}/", body, format="json")
    assert refused.status_code == 400 and UNKNOWN in refused.json()["error"]["message"]
    with tenant_context(org_a):
        stored = AvisCapacite.objects.get(avis_entreprise=avis, capacite__public_id=row["capacite_id"])
        assert list(stored.criteres.values()) == ["reserve"]


def test_no_integer_id_left_in_the_schema(client):
    """Every ``id`` and ``…_id`` the API shows or takes is a UUID (pagination cursors aside)."""
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    integer_ids = []

    def walk(node, where):
        if isinstance(node, dict):
            for name, prop in (node.get("properties") or {}).items():
                if (name == "id" or name.endswith("_id")) and isinstance(prop, dict):
                    if prop.get("type") == "integer":
                        integer_ids.append(f"{where}.{name}")
            for value in node.values():
                walk(value, where)
        elif isinstance(node, list):
            for value in node:
                walk(value, where)

    for name, component in schema["components"]["schemas"].items():
        walk(component, name)
    assert integer_ids == []
    for name in ("Modalite", "Critere", "Capacite", "Bloc"):
        assert schema["components"]["schemas"][name]["properties"]["id"]["format"] == "uuid"
