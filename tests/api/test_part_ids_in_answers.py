"""issue 17 « One vocabulary »: « every object is referenced by its id (the public UUID) in paths
and bodies, with the same field name wherever it appears ». An answer that names a bloc or a
capacité by its code shows its id beside it (``bloc_id``, ``capacite_id``, ``…_ids`` for a list of
codes, ``id`` in a bloc's own row), and that id is what a body takes."""

import datetime as dt
import uuid

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from evaluations import services
from organisations.tenancy import tenant_context
from tests.api.test_public_ids import _dossier, api, tree  # noqa: F401 - fixtures
from tests.evaluations.conftest import in_a, referentiels  # noqa: F401 - fixtures
from tests.juries.test_regle_decisions import cqpm_jury

# a field naming a bloc or capacité by code → the field that must carry its id beside it
BESIDE = {
    "bloc": "bloc_id",
    "capacite": "capacite_id",
    "capacites": "capacite_ids",
    "blocs_valides": "blocs_valides_ids",
    "proposition_blocs": "proposition_blocs_ids",
}


def _is_code(prop: dict) -> bool:
    if prop.get("type") == "string" or "string" in (prop.get("type") or []):
        return True
    return prop.get("type") == "array" and (prop.get("items") or {}).get("type") == "string"


def _selects(captured) -> int:
    """The reads of an answer (the test transaction's savepoints aside)."""
    return sum(1 for q in captured.captured_queries if q["sql"].startswith("SELECT"))


def test_every_answer_naming_a_bloc_or_capacite_by_code_shows_its_id(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    missing = []
    for name, component in schema["components"]["schemas"].items():
        if name.endswith("Request"):  # what a body takes: codes or ids are both accepted there
            continue
        props = component.get("properties") or {}
        for field, beside in BESIDE.items():
            prop = props.get(field)
            if isinstance(prop, dict) and _is_code(prop) and beside not in props:
                missing.append(f"{name}.{field} sans {beside}")
        # a bloc's own row (code, intitulé…) carries the bloc's id as ``id``
        if "Bloc" in name and "code" in props and "id" not in props:
            missing.append(f"{name}.code sans id")
        for beside in BESIDE.values():
            prop = props.get(beside)
            if prop is not None:
                items = prop.get("items", prop) if prop.get("type") == "array" else prop
                if items.get("format") != "uuid":
                    missing.append(f"{name}.{beside} n'est pas un UUID")
    assert missing == []


def test_the_ids_read_in_an_answer_are_what_a_body_takes(api, tree, alice, org_a, referentiels):  # noqa: F811
    # The plan sent by codes answers with each bloc's and capacité's id …
    capacites = [dict(c, modalites=b["modalites"]) for b in tree["blocs"] for c in b["capacites"]]
    dossier = _dossier(api, referentiels["cqpm"].code)
    url = f"/api/v1/o/centre-a/dossiers/{dossier['id']}/plan/"
    by_code = {c["code"]: c["modalites"][0]["id"] for c in capacites}
    sent = api.put(url, {"blocs": [b["code"] for b in tree["blocs"]], "modalites": by_code}, format="json")
    assert sent.status_code == 200, sent.content
    ids = {b["id"] for b in tree["blocs"]}
    assert {b["id"] for b in sent.json()["blocs"]} == ids
    assert {m["capacite_id"] for m in sent.json()["modalites"]} == {c["id"] for c in capacites}

    # … and those ids, read back from the dossier, are a body the plan takes: the same plan.
    detail = api.get(f"/api/v1/o/centre-a/dossiers/{dossier['id']}/").json()
    body = {
        "blocs": [b["id"] for b in detail["blocs"]],
        "modalites": {m["capacite_id"]: m["modalite_id"] for m in detail["modalites"]},
    }
    again = api.put(url, body, format="json")
    assert again.status_code == 200, again.content
    assert again.json()["blocs"] == detail["blocs"] and again.json()["modalites"] == detail["modalites"]

    # An épreuve created by codes shows the capacités' ids; an épreuve created from them is the same.
    with tenant_context(org_a):
        session = services.session_create(
            by=alice, referentiel=referentiels["cqpm"], intitule="S", lieu="Paris"
        )
    capacite = capacites[0]
    epreuve = {
        "intitule": "Soutenance",
        "date": (timezone.localdate() + dt.timedelta(days=40)).isoformat(),
        "heure_debut": "09:00",
        "duree_minutes": 60,
        "capacites": [capacite["code"]],
    }
    url = f"/api/v1/o/centre-a/sessions/{session.public_id}/epreuves/"
    first = api.post(url, epreuve, format="json")
    assert first.status_code == 201, first.content
    assert first.json()["capacite_ids"] == [capacite["id"]]
    assert first.json()["bloc_id"] is None and first.json()["bloc"] is None
    second = api.post(url, epreuve | {"capacites": first.json()["capacite_ids"]}, format="json")
    assert second.status_code == 201, second.content
    assert second.json()["capacites"] == [capacite["code"]]
    with CaptureQueriesContext(connection) as two:
        listed = api.get(url).json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [r["capacite_ids"] for r in rows] == [[capacite["id"]]] * 2
    assert all(uuid.UUID(r["capacite_ids"][0]) for r in rows)

    # The ids cost one query per answer, not one per row.
    other = capacites[-1]
    assert api.post(url, epreuve | {"capacites": [other["id"]]}, format="json").status_code == 201
    with CaptureQueriesContext(connection) as three:
        listed = api.get(url).json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert sorted(r["capacite_ids"][0] for r in rows) == sorted([capacite["id"]] * 2 + [other["id"]])
    assert _selects(three) == _selects(two)


def test_a_jury_decision_shows_its_blocs_ids_and_takes_them_back(in_a, alice, api_for, referentiels):  # noqa: F811
    jury, panel, decision = cqpm_jury(in_a, alice, referentiels["cqpm"], fail=False)
    bloc = jury.referentiel.blocs.get()
    president = api_for(panel["pres-cqpm@test.local"][0])
    url = f"/api/v1/o/{jury.organisation.slug}/juries/{jury.public_id}/decisions/{decision.public_id}/"
    shown = president.get(url).json()
    assert shown["proposition_blocs"] == [bloc.code]
    assert shown["proposition_blocs_ids"] == [str(bloc.public_id)]
    assert shown["blocs_valides"] == [] and shown["blocs_valides_ids"] == []
    body = {"decision": "certifie", "blocs_valides": shown["proposition_blocs_ids"], "motivation": "Acquis."}
    decided = president.post(url, body, format="json")
    assert decided.status_code == 200, decided.content
    assert decided.json()["blocs_valides"] == [bloc.code]
    assert decided.json()["blocs_valides_ids"] == [str(bloc.public_id)]
    listed = president.get(url.rsplit("/", 2)[0] + "/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [r["blocs_valides_ids"] for r in rows] == [[str(bloc.public_id)]]
