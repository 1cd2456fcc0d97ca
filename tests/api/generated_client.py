"""Build a Python client from this server's OpenAPI schema with openapi-python-client, the way an
integrator would (`docs/api-integration.md`), and wire it to the app in-process (httpx's WSGI
transport): the tests then drive the API with the generated functions only, no hand-written HTTP.
"""

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


def in_process_client(package, token: str):
    """The generated ``AuthenticatedClient``, its requests served by the WSGI app in this process
    (same database transaction as the test)."""
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
