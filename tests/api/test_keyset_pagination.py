"""issue 17 « Keyset pagination »: ``?cursor=`` walks a list without OFFSET or COUNT, newest first,
beside today's numbered pages."""

from urllib.parse import parse_qs, urlsplit

from django.db import connection
from django.test.utils import CaptureQueriesContext

URL = "/api/v1/o/centre-a/invitations/"


def _invite(api, n):
    for i in range(n):
        assert (
            api.post(URL, {"email": f"p{i}@example.fr", "role": "tuteur"}, format="json").status_code == 201
        )


def _cursor(link):
    return parse_qs(urlsplit(link).query)["cursor"][0] if link else None


def test_cursor_walks_every_row_once_newest_first(alice, api_for):
    api = api_for(alice)
    _invite(api, 7)
    numbered = api.get(URL + "?page_size=3").json()
    assert numbered["count"] == 7 and numbered["next"].endswith("page=2&page_size=3")
    seen, cursor, counts = [], "", []
    while cursor is not None:
        with CaptureQueriesContext(connection) as ctx:
            page = api.get(URL, {"cursor": cursor, "page_size": 3}).json()
        counts.append(len(ctx.captured_queries))
        assert page["count"] is None
        seen += [row["email"] for row in page["results"]]
        if len(seen) == 3:  # a row added while walking is not seen twice, nor shifts the others
            api.post(URL, {"email": "tard@example.fr", "role": "tuteur"}, format="json")
        cursor = _cursor(page["next"])
    assert seen == [f"p{i}@example.fr" for i in reversed(range(7))]
    assert len(set(counts)) == 1, counts  # the last page costs what the first does


def test_bad_cursor_is_a_clear_404(alice, api_for):
    response = api_for(alice).get(URL, {"cursor": "pas-un-curseur"})
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert response.json()["error"]["message"] == "Curseur non valide"


def test_every_paginated_list_declares_the_cursor(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    lists = [
        (path, op)
        for path, ops in schema["paths"].items()
        for method, op in ops.items()
        if method == "get" and any(p["name"] == "page" for p in op.get("parameters", []))
    ]
    assert len(lists) > 15
    assert [p for p, op in lists if not any(x["name"] == "cursor" for x in op["parameters"])] == []
