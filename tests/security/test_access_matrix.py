"""Access matrix: every page route and every API operation × every role × own / other organisation.

Routes are enumerated from the URL resolver and operations from the OpenAPI schema; each must
have an entry in ``access_table`` (a new route without one fails). For the own organisation the
status must follow the capability table: allowed → no 403/404/5xx (real objects are built for
every detail route, the certificateur's included: a 404 there is a failure, not "missing"),
lacking the capability → 403, certificateur-only views in a centre → 404. Another
organisation's URL, or another organisation's object under the own URL → 404, for every role
and method. Object rules: an évaluateur does not reach a dossier outside their épreuves, a jury
member anything of a jury they do not sit on (its dossier, decision, member, documents), a
tuteur another tuteur's avis (404).

One world is built per module (inside a transaction rolled back at the end); every request runs
in a savepoint rolled back after it, so mutations by one role never change what the next sees.
"""

import re
import uuid

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from organisations.roles import has_capability
from tests.security.access_table import ANY_MEMBER, API, PAGES, PUBLIC, STATE
from tests.security.world import CANDIDAT, CENTRE_ROLES

ROLES = [r.value for r in CENTRE_ROLES] + ["certificateur", CANDIDAT]
# parameters for which the world builds no object: a 404 is the right answer even when allowed
UNBUILT = {"convocation_id", "pv_id", "flux_id", "code"}
METHODS_OK = {200, 201, 202, 204, 301, 302, 303, 400, 405, 409, 415}
GET_OK = {200, 301, 302, 303}


def _walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p.callback


def page_routes() -> dict:
    return {
        r.removeprefix("o/<slug:org_slug>/"): cb
        for r, cb in _walk(get_resolver().url_patterns)
        if r.startswith("o/<slug:org_slug>/")
    }


def schema_operations() -> dict:
    from drf_spectacular.settings import spectacular_settings

    schema = spectacular_settings.DEFAULT_GENERATOR_CLASS().get_schema(request=None, public=True)
    ops = {}
    for path, items in schema["paths"].items():
        for method in items:
            if method in ("get", "post", "put", "patch", "delete"):
                ops[f"{method.upper()} {path.removeprefix('/api/v1/').replace('o/{org_slug}/', '~/')}"] = path
    return ops


PAGE_ROUTES = sorted(PAGES)
API_OPS = sorted(API)


def _params(world, centre, role, *, slug=None, hidden=False):
    ids = dict(centre.ids)
    ids.update(getattr(centre, "role_ids", {}).get(role, {}))
    if hidden:
        ids.update(centre.hidden.get(role, {}))
    ids.update(org_slug=slug or centre.org.slug, fmt="csv", verif=world.verification_code)
    return ids


def _fill(route: str, ids: dict, world) -> str:
    def value(name: str) -> str:
        if name == "public_id":
            return ids["document_id"] if ("documents" in route) else world.referentiel_id
        if name == "code":
            return ids["verif"] if "verifier" in route else world.capacite_code
        return ids.get(name) or str(uuid.uuid5(uuid.NAMESPACE_URL, name))

    route = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: value(m.group(1)), route)
    return re.sub(r"\{(\w+)\}", lambda m: value(m.group(1)), route)


def _expected(capability: str, role: str, in_centre: bool):
    if capability in (PUBLIC, ANY_MEMBER):
        return "allowed"
    if capability.startswith("oversight."):
        return "allowed" if (not in_centre and has_capability(role, capability)) else 404
    return "allowed" if any(has_capability(role, c) for c in capability.split("|")) else 403


def _request(client, method: str, url: str, *, api: bool):
    with transaction.atomic():
        if api:
            response = getattr(client, method.lower())(url, {}, format="json")
        else:
            response = getattr(client, method.lower())(url)
        transaction.set_rollback(True)
    return response


def _check(expected, response, route: str, *, allow_missing: bool, method: str) -> str | None:
    status = response.status_code
    if expected == "allowed":
        # a read the role is allowed answers 2xx/3xx (a page may be POST-only: 405); a write with
        # an empty body may be refused
        accepted = {"GET": GET_OK, "PAGE": GET_OK | {405}}.get(method, METHODS_OK)
        if status in accepted or (status == 404 and allow_missing):
            location = response.get("Location", "") if status in (301, 302, 303) else ""
            if "/comptes/" not in location:
                return None
        return f"allowed but {status}"
    if status != expected:
        return f"expected {expected}, got {status}"
    return None


def _answers_before_lookup(client, method, url, status, hidden: dict, *, api) -> bool:
    """A 405/403 that the same URL with unknown ids also gets: nothing about the object leaks."""
    if status not in (403, 405):
        return False
    for value in hidden.values():
        url = url.replace(value, str(uuid.uuid4()))
    return _request(client, method, url, api=api).status_code == status


def _same_as_unknown(client, method, url, status, world, *, api) -> bool:
    """Under the own slug, B's identifiers answer exactly as unknown ones (403/405 before any lookup)."""
    if f"/{world.a.org.slug}/" not in url or status not in (400, 403, 405, 415):
        return False
    for value in world.b.ids.values():
        url = url.replace(value, str(uuid.uuid4()))
    return _request(client, method, url, api=api).status_code == status


# --- the table is complete and matches the code ---------------------------------------------


def test_every_page_route_has_an_entry_and_matches_the_view():
    routes = page_routes()
    assert set(routes) - set(PAGES) == set(), "routes sans entrée dans access_table.PAGES"
    assert set(PAGES) - set(routes) == set(), "entrées de access_table.PAGES sans route"
    assert {entry for entry, _role in STATE} <= set(PAGES) | set(API), (
        "entrées périmées dans access_table.STATE"
    )
    for route, callback in routes.items():
        declared = getattr(callback, "required_permission", None)
        if declared is not None:
            assert declared == PAGES[route], (route, declared)


def test_every_api_operation_has_an_entry_and_the_schema_covers_every_api_route():
    ops = schema_operations()
    assert set(ops) - set(API) == set(), "opérations sans entrée dans access_table.API"
    assert set(API) - set(ops) == set(), "entrées de access_table.API sans opération"
    api_routes = {r for r, _ in _walk(get_resolver().url_patterns) if r.startswith("api/v1/")}
    schema_paths = {re.sub(r"\{(\w+)\}", "{}", p) for p in ops.values()}
    for route in api_routes:
        assert "/" + re.sub(r"<(?:\w+:)?\w+>", "{}", route) in schema_paths, (
            f"{route} absent du schéma OpenAPI"
        )


# --- the matrix --------------------------------------------------------------------------------


def _unbuilt(route: str) -> bool:
    return any(p in route for p in UNBUILT)


@pytest.mark.parametrize("route", PAGE_ROUTES)
def test_page_matrix(route, world, db):
    capability = PAGES[route]
    failures = []
    for role in ROLES:
        client = world.pages[role]
        in_centre = role != "certificateur"
        own = world.a if in_centre else None
        if own is not None:
            ids = _params(world, own, role)
        else:
            ids = _params(world, world.a, role, slug=world.certificateur.slug)
        url = "/o/" + _fill("<org_slug>/" + route, ids, world)
        expected = STATE.get((route, role)) or _expected(capability, role, in_centre)
        failure = _check(
            expected,
            _request(client, "GET", url, api=False),
            route,
            allow_missing=_unbuilt(route),
            method="PAGE",
        )
        if failure:
            failures.append((role, "GET", url, failure))
        # another organisation: its URL with its objects, and its objects under the own URL
        other = [_fill("o/<org_slug>/" + route, _params(world, world.b, role), world)]
        swapped = _fill("o/<org_slug>/" + route, _params(world, world.b, role, slug=world.a.org.slug), world)
        if in_centre and expected != 403 and swapped != _fill("o/<org_slug>/" + route, ids, world):
            other.append(swapped)
        for url in other:  # POST across tenants is covered by tests/organisations/test_url_matrix.py
            for method in ("GET",):
                status = _request(client, method, "/" + url, api=False).status_code
                if status != 404 and not _same_as_unknown(
                    client, method, "/" + url, status, world, api=False
                ):
                    failures.append((role, method, url, f"other organisation: {status}"))
        if in_centre and role in world.a.hidden and expected == "allowed":
            hidden_ids = _params(world, world.a, role, hidden=True)
            url = _fill("o/<org_slug>/" + route, hidden_ids, world)
            if url != _fill("o/<org_slug>/" + route, ids, world):
                status = _request(client, "GET", "/" + url, api=False).status_code
                if status != 404 and not _answers_before_lookup(
                    client, "GET", "/" + url, status, world.a.hidden[role], api=False
                ):
                    failures.append((role, "GET", url, f"outside the object rule: {status}"))
    assert not failures, "\n".join(map(str, failures))


@pytest.mark.parametrize("operation", API_OPS)
def test_api_matrix(operation, world, db):
    method, path = operation.split(" ", 1)
    capability = API[operation]
    tenant = path.startswith("~/")
    failures = []
    for role in ROLES:
        in_centre = role != "certificateur"
        client = world.apis[role]
        slug = world.a.org.slug if in_centre else world.certificateur.slug
        ids = _params(world, world.a, role, slug=slug)
        url = "/api/v1/" + _fill(path.replace("~/", "o/{org_slug}/"), ids, world)
        expected = STATE.get((operation, role)) or _expected(capability, role, in_centre if tenant else True)
        failure = _check(
            expected,
            _request(client, method, url, api=True),
            path,
            allow_missing=_unbuilt(path),
            method=method,
        )
        if failure:
            failures.append((role, method, url, failure))
        if not tenant:
            continue
        other = [
            "/api/v1/" + _fill(path.replace("~/", "o/{org_slug}/"), _params(world, world.b, role), world)
        ]
        swapped = "/api/v1/" + _fill(
            path.replace("~/", "o/{org_slug}/"), _params(world, world.b, role, slug=slug), world
        )
        if in_centre and expected != 403 and swapped != url:
            other.append(swapped)
        for url in other:
            status = _request(client, method, url, api=True).status_code
            if status != 404 and not _same_as_unknown(client, method, url, status, world, api=True):
                failures.append((role, method, url, f"other organisation: {status}"))
        if in_centre and role in world.a.hidden and expected == "allowed" and method == "GET":
            url = "/api/v1/" + _fill(
                path.replace("~/", "o/{org_slug}/"), _params(world, world.a, role, hidden=True), world
            )
            if url != "/api/v1/" + _fill(path.replace("~/", "o/{org_slug}/"), ids, world):
                status = _request(client, method, url, api=True).status_code
                if status != 404 and not _answers_before_lookup(
                    client, method, url, status, world.a.hidden[role], api=True
                ):
                    failures.append((role, method, url, f"outside the object rule: {status}"))
    # no credentials at all: rejected (401/403), except the public verification
    if capability != PUBLIC:
        url = "/api/v1/" + _fill(
            path.replace("~/", "o/{org_slug}/"), _params(world, world.a, "gestionnaire"), world
        )
        status = _request(APIClient(), method, url, api=True).status_code
        if status not in (401, 403):
            failures.append(("anonymous", method, url, status))
    assert not failures, "\n".join(map(str, failures))


@pytest.mark.parametrize(
    "path",
    ["documents/{document_id}/", "candidates/{candidate_id}/", "juries/{jury_id}/decisions/{decision_id}/"],
)
def test_options_answers_no_metadata_on_another_centres_object(world, db, path):
    """OPTIONS was answered 200 with DRF's metadata (« Document Detail », the fields) before any
    object lookup, for any member of the URL's organisation and any id: the schema-driven fuzzer
    took it for a cross-tenant answer. Nothing uses that metadata: it is switched off, OPTIONS
    answers 405 like any method the route does not serve (403 where the role check comes first)."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {world.b.tokens['gestionnaire']}")
    with transaction.atomic():
        response = client.options(f"/api/v1/o/{world.b.org.slug}/" + path.format(**world.a.ids))
        transaction.set_rollback(True)
    assert response.status_code in (403, 405), (response.status_code, response.content[:200])
    assert b'"name"' not in response.content
