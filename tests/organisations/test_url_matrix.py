"""Every ``<org_slug>`` route, page and API, answers 404 to a non-member: enumerated, not listed.

New routes join this matrix automatically because it walks the URL resolver.
"""

import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

SAMPLE_VALUES = {"uuid": str(uuid.uuid4()), "int": "1", "slug": "x", "str": "x", "path": "x"}


def _walk(patterns, prefix="", converters=None):
    converters = dict(converters or {})
    for p in patterns:
        route = str(p.pattern)
        conv = dict(converters)
        conv.update({k: type(v).__name__ for k, v in getattr(p.pattern, "converters", {}).items()})
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + route, conv)
        elif isinstance(p, URLPattern):
            yield prefix + route, conv


def _build(route: str, converters: dict, slug: str) -> str:
    import re

    def repl(match):
        conv, name = match.group(1), match.group(2)
        if name == "org_slug":
            return slug
        kind = (conv or "str").lower()
        return SAMPLE_VALUES.get(kind, "x")

    path = re.sub(r"<(?:(\w+):)?(\w+)>", repl, route)
    return "/" + path.lstrip("^").rstrip("$")


def tenant_routes():
    routes = sorted({r for r, _ in _walk(get_resolver().url_patterns) if "<slug:org_slug>" in r})
    return routes


def test_matrix_is_not_empty():
    routes = tenant_routes()
    assert any(r.startswith("o/") for r in routes) and any(r.startswith("api/v1/o/") for r in routes)


@pytest.mark.parametrize("route", tenant_routes())
def test_member_of_a_gets_404_on_b(route, alice, bob, client_for, api_for):
    url = _build(route, {}, bob.organisation.slug)
    if route.startswith("api/"):
        api = api_for(alice)
        for method in ("get", "post", "patch", "delete"):
            response = getattr(api, method)(url, {}, format="json")
            assert response.status_code == 404, (method, url, response.status_code)
    else:
        client = client_for(alice)
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert response.status_code == 404, (method, url, response.status_code)


@pytest.mark.parametrize("route", tenant_routes())
def test_unknown_slug_and_outsider_get_404(route, alice, charlie, client_for):
    client = client_for(charlie)
    url = _build(route, {}, alice.organisation.slug)
    assert client.get(url).status_code == 404
    client = client_for(alice)
    assert client.get(_build(route, {}, "organisation-inexistante")).status_code == 404
