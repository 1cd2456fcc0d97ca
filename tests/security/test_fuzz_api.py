"""Schemathesis over the whole OpenAPI schema, in-process (WSGI), against the security world.

- as centre A's gestionnaire, path identifiers set to A's real objects: no 5xx and
  every documented response conforms to the schema;
- without credentials and with a forged token: every operation but the public verification
  answers 401/403;
- as centre B's gestionnaire, on B's URL with A's identifiers: never a 2xx, never A's data.

Runs by default (``make test``): the fuzzing phase only, ``FUZZ_EXAMPLES`` examples per
operation (default 3), about a minute on the 2-core machine. Deeper on demand: ``FUZZ_API=1``
adds schemathesis' coverage phase (every boundary and negative value the schema defines, and
the methods a route does not serve, ~40 cases per operation) and raises the default to 20
examples; ``FUZZ_EXAMPLES=N`` sets the examples either way. The number of cases run is printed
at the end of the module (``-s`` or the summary).

Found and fixed when it joined the suite: schema values the API really renders but did not
publish ("" of blank fields, null relations, local times, pièce content types), and OPTIONS
answered 200 with DRF's metadata before any object lookup (metadata now off: 405).
"""

import os
from collections import Counter

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from django.db import transaction
from drf_spectacular.settings import spectacular_settings
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

DEEP = bool(os.environ.get("FUZZ_API"))
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", 20 if DEEP else 3))
CASES: Counter = Counter()
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"

schema = schemathesis.openapi.from_dict(
    spectacular_settings.DEFAULT_GENERATOR_CLASS().get_schema(request=None, public=True)
)
schema.app = get_wsgi_application()
schema.location = "/api/schema/"
# The coverage phase (every boundary and negative value the schema defines, unexpected methods)
# is ~40 cases per operation whatever FUZZ_EXAMPLES says: only in the deep run.
schema.config.phases.coverage.enabled = DEEP

FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def _ids(world, centre, operation_path: str, path_parameters: dict) -> dict:
    """Path parameters set to the centre's real objects, each of the kind the route names.

    ``public_id`` names a document under ``/documents/`` and a référentiel under
    ``/referentiels/``: decided from the operation's path, never from the parameters' values.
    The world has no procès-verbal to sign (its jury is not closed) and no CDC flux: ``pv_id`` and
    ``flux_id`` get a well-formed unknown id, so the request reaches the view (its 401/403/404)
    rather than stopping at the ``<uuid:…>`` URL pattern; ``fmt`` is the CSV export.
    """
    ids = dict(centre.ids)
    out = {}
    for name in path_parameters:
        if name == "org_slug":
            out[name] = centre.org.slug
        elif name == "public_id":
            if "/documents/{public_id}" in operation_path:
                out[name] = ids["document_id"]
            elif operation_path.startswith("/api/v1/referentiels/{public_id}"):
                out[name] = world.referentiel_id
        elif name == "code":
            out[name] = world.verification_code
        elif name in ("pv_id", "flux_id", "habilitation_id", "import_id", "rule_id", "transmission_id"):
            # from habilitation_id on: a certificateur's objects, unknown to a centre
            out[name] = UNKNOWN_ID
        elif name == "fmt":
            out[name] = "csv"
        elif name in ids:
            out[name] = ids[name]
    return out


def _call(case, headers):
    with transaction.atomic():
        response = case.call(headers=headers)
        transaction.set_rollback(True)
    return response


@pytest.fixture(scope="module", autouse=True)
def _report():
    """Keep the test's connection open across WSGI calls (as django.test.Client does), then report."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)
    print(
        f"\nschemathesis: {sum(CASES.values())} cas ({', '.join(f'{k} {v}' for k, v in sorted(CASES.items()))})"
    )


@schema.parametrize()
@FUZZ_SETTINGS
def test_fuzz_as_centre_a(case, world, db):
    if case.path_parameters:
        case.path_parameters = {
            **case.path_parameters,
            **_ids(world, world.a, case.operation.path, case.path_parameters),
        }
    role = "gestionnaire"
    headers = {"Authorization": f"Token {world.a.tokens[role]}"}
    with transaction.atomic():
        response = case.call(headers=headers)
        case.validate_response(
            response, checks=[not_a_server_error, response_schema_conformance, content_type_conformance]
        )
        transaction.set_rollback(True)
    CASES["A"] += 1


@schema.parametrize()
@settings(FUZZ_SETTINGS, max_examples=2)
def test_fuzz_without_valid_credentials(case, world, db):
    if case.operation.path == "/api/v1/verifier/{code}":
        pytest.skip("vérification publique")
    if case.path_parameters:  # real objects: the URL resolves, the answer is the view's
        case.path_parameters = {
            **case.path_parameters,
            **_ids(world, world.a, case.operation.path, case.path_parameters),
        }
    for headers in ({}, {"Authorization": "Token forged-0000000000000000"}):
        response = _call(case, headers)
        assert response.status_code in (401, 403), (case.operation.label, headers, response.status_code)
        CASES["anonyme"] += 1


@schema.parametrize()
@settings(FUZZ_SETTINGS, max_examples=2)
def test_fuzz_as_centre_b_with_a_identifiers(case, world, db):
    params = case.path_parameters or {}
    if "org_slug" not in params or len(params) < 2:
        pytest.skip("pas d'identifiant d'objet dans le chemin")
    a_ids = _ids(world, world.a, case.operation.path, params)
    case.path_parameters = {**params, **a_ids, "org_slug": world.b.org.slug}
    response = _call(case, {"Authorization": f"Token {world.b.tokens['gestionnaire']}"})
    assert response.status_code == 404 or response.status_code in (400, 403, 405, 415), (
        case.operation.label,
        response.status_code,
    )
    body = response.content.decode(errors="replace") if hasattr(response, "content") else ""
    assert not any(v in body for k, v in a_ids.items() if k != "org_slug"), case.operation.label
    CASES["B→A"] += 1
