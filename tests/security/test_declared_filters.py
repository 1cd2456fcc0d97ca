"""issue 17: every filter the schema declares filters. For each list of the schema and each query
parameter it declares (paging and ordering aside), on the security world (several rows behind
every list), at least one value must change the answer — fewer rows, or a 400 naming the value —
compared with the unfiltered list: a parameter the view ignores fails here."""

import uuid

import pytest

from tests.security.access_table import API
from tests.security.test_query_counts import _first_reader, _url

# paging and ordering parameters: they order, they do not filter
PAGING = {"page", "page_size", "cursor", "ordering", "sort", "organisation"}


def _lists():
    from drf_spectacular.settings import spectacular_settings

    schema = spectacular_settings.DEFAULT_GENERATOR_CLASS().get_schema(request=None, public=True)
    for path, operations in sorted(schema["paths"].items()):
        operation = operations.get("get")
        if not operation:
            continue
        parameters = [p for p in operation.get("parameters", []) if p["in"] == "query"]
        if not any(p["name"] == "page" for p in parameters):
            continue
        route = "GET " + path.removeprefix("/api/v1/").replace("o/{org_slug}/", "~/")
        for p in parameters:
            if p["name"] not in PAGING and not p.get("required"):
                yield route, p


def _values(parameter) -> list[str]:
    schema = parameter.get("schema", {})
    if schema.get("enum"):
        return [str(v) for v in schema["enum"] if v not in ("", None)]
    if schema.get("type") == "boolean":
        return ["true", "false"]
    if schema.get("type") in ("integer", "number"):
        return ["999999"]
    if schema.get("format") == "uuid" or parameter["name"] in ("candidate", "session", "webhook", "dossier"):
        return [str(uuid.uuid4())]
    return ["zzz-aucune-correspondance"]


FILTERS = list(_lists())


@pytest.mark.parametrize("route,parameter", FILTERS, ids=[f"{r} ?{p['name']}" for r, p in FILTERS])
def test_declared_filter_filters(route, parameter, world, db):
    role = _first_reader(route, API[route])
    if role is None:
        pytest.skip("no role reads this route")
    api = world.apis[role]
    url = _url(world, route, role, api=True)
    unfiltered = api.get(url, {"page_size": 500})
    assert unfiltered.status_code == 200, unfiltered.content[:300]
    total = len(unfiltered.json()["results"])
    if total == 0:
        pytest.skip("empty list in the world: nothing to filter")
    outcomes = []
    for value in _values(parameter):
        response = api.get(url, {"page_size": 500, parameter["name"]: value})
        if response.status_code == 400:
            outcomes.append("400")
            continue
        assert response.status_code == 200, (value, response.content[:300])
        outcomes.append(len(response.json()["results"]))
    assert any(o == "400" or o != total for o in outcomes), (
        f"?{parameter['name']}= ne filtre pas : {total} lignes sans, {outcomes} avec {_values(parameter)}"
    )
