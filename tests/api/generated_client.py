"""Build a Python client from this server's OpenAPI schema with openapi-python-client, the way an
integrator would (`docs/api-integration.md`), and wire it to the app in-process (httpx's WSGI
transport): the tests then drive the API with the generated functions only, no hand-written HTTP.
"""

import contextlib
import importlib
import json
import subprocess
import sys
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "docs" / "api-client" / "openapi-python-client.yaml"
PACKAGE = "certif_client"


def generate(schema: dict, directory: Path) -> tuple[object, str]:
    """Write ``schema``, generate the client package in ``directory`` and import it.

    Returns the package and the generator's output (its warnings included)."""
    schema_path = directory / "schema.json"
    schema_path.write_text(json.dumps(schema))
    generator = Path(sys.executable).parent / "openapi-python-client"
    result = subprocess.run(
        [
            str(generator),
            "generate",
            "--path",
            str(schema_path),
            "--output-path",
            str(directory / PACKAGE),
            "--meta",
            "none",
            "--config",
            str(CONFIG),
            "--overwrite",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    sys.path.insert(0, str(directory))
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
        del sys.modules[name]
    return importlib.import_module(PACKAGE), output


def warnings_of(output: str) -> list[str]:
    """The generator's warnings, one line each (« WARNING parsing GET … » + its reason)."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    return [
        f"{line} — {lines[i + 1] if i + 1 < len(lines) else ''}"
        for i, line in enumerate(lines)
        if line.startswith("WARNING")
    ]


@contextlib.contextmanager
def same_connection():
    """As Django's test client does: the WSGI app must not close the test's database connection
    (``close_old_connections`` on request start and finish) — it holds the test's transaction."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def in_process_client(package, token: str):
    """The generated ``AuthenticatedClient``, its requests served by the WSGI app in this process
    (same database transaction as the test: use it inside ``same_connection()``)."""
    from django.core.wsgi import get_wsgi_application

    client = package.AuthenticatedClient(
        base_url="http://testserver", token=token, prefix="Token", raise_on_unexpected_status=True
    )
    client.set_httpx_client(
        httpx.Client(
            base_url="http://testserver",
            transport=httpx.WSGITransport(app=get_wsgi_application()),
            headers={"Authorization": f"Token {token}"},
        )
    )
    return client


class Driver:
    """Calls the generated client's operations by module name: ``api("v1_o_dossiers_create",
    body=api.body("DossierCreateRequest", {...}))``. The organisation's slug is filled in; the
    answer must be a documented success (the client raises on a status the schema does not
    declare) and is returned as plain data (``to_dict()``)."""

    def __init__(self, package, client, org_slug: str):
        self.package, self.client, self.org_slug = package, client, org_slug

    def body(self, model: str, data: dict):
        return getattr(importlib.import_module(f"{self.package.__name__}.models"), model).from_dict(data)

    def raw(self, operation: str, **kwargs):
        import inspect

        module = importlib.import_module(f"{self.package.__name__}.api.v1.{operation}")
        if "org_slug" in inspect.signature(module.sync_detailed).parameters:
            kwargs.setdefault("org_slug", self.org_slug)
        return module.sync_detailed(client=self.client, **kwargs)

    def __call__(self, operation: str, **kwargs):
        response = self.raw(operation, **kwargs)
        assert 200 <= response.status_code < 300, (operation, response.status_code, response.content[:800])
        if response.status_code != 204:
            assert response.parsed is not None, (
                f"{operation}: réponse {response.status_code} absente du schéma"
            )
        return _plain(response.parsed)


def _plain(value):
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if hasattr(value, "to_dict"):
        return value.to_dict()
    return value
