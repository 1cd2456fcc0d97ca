"""The embedded mode holds under a user who changes the dossier plan's dropdowns quickly.

Each change of a dropdown fires an htmx validation request; saving the plan writes. On SQLite in
its default journal mode a validation that wrote (even in a savepoint rolled back) while another
request wrote answered ``500 database is locked`` with Django's English debug page. This serves the
demo (embedded settings, threaded ``runserver``) on a fresh SQLite file and fires 20 plan edits
and validations at once: every answer must be a normal one.
"""

import os
import re
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]


DOSSIER_URL = """
from candidates.models import Dossier
from organisations.models import Organisation
from organisations.tenancy import tenant_context

org = Organisation.objects.get(slug="uimm-idf")
with tenant_context(org):
    d = Dossier.objects.filter(status="brouillon").first()
    print(f"/o/{org.slug}/candidats/dossiers/{d.public_id}/")
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("demo")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "DATABASE_MIGRATE_URL", "REDIS_URL", "DJANGO_DEBUG")
    }
    env |= {
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DATABASE_URL": f"sqlite:///{tmp / 'demo.sqlite3'}",
    }

    def manage(*args):
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout

    manage("migrate", "--noinput")
    manage("demo_seed")
    dossier_url = manage("shell", "-c", DOSSIER_URL).strip().splitlines()[-1]
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            requests.get(base + "/ping", timeout=1)
            break
        except requests.ConnectionError:
            time.sleep(0.2)
    yield base, dossier_url
    server.terminate()
    server.wait(timeout=10)


def _session(base) -> requests.Session:
    s = requests.Session()
    s.get(base + "/comptes/login/")
    response = s.post(
        base + "/comptes/login/",
        data={"login": "gestionnaire@uimm-idf.demo", "password": "demo-certif-2026"},
        headers={"X-CSRFToken": s.cookies["csrftoken"], "Referer": base + "/comptes/login/"},
    )
    assert response.ok and "/comptes/login/" not in response.url, response.url
    return s


def _plan_form(html: str) -> tuple[list[str], dict[str, list[str]]]:
    blocs = re.findall(r'name="blocs" value="(\d+)"', html)
    selects = {}
    for name, body in re.findall(
        r'<select id="modalite-\d+" name="(modalite_\d+)".*?>(.*?)</select>', html, re.S
    ):
        selects[name] = re.findall(r'<option value="(\d+)"', body)
    return blocs, selects


def test_twenty_parallel_plan_edits_on_the_embedded_demo_all_succeed(demo_server):
    base, dossier_url = demo_server
    s = _session(base)
    page = s.get(base + dossier_url)
    assert page.status_code == 200
    blocs, selects = _plan_form(page.text)
    assert blocs and selects, "le plan du dossier en brouillon doit proposer blocs et modalités"
    csrf = s.cookies["csrftoken"]
    headers = {"X-CSRFToken": csrf, "Referer": base + dossier_url}

    def edit(i: int) -> tuple[int, str]:
        data = {"blocs": blocs}
        for name, options in selects.items():
            data[name] = options[i % len(options)]
        if i % 2:  # a dropdown changed: htmx validation
            name = sorted(selects)[i % len(selects)]
            response = s.post(
                base + dossier_url + "plan/valider/",
                data=data,
                headers=headers | {"HX-Request": "true", "HX-Trigger": name.replace("_", "-")},
            )
        else:  # the plan saved
            response = s.post(base + dossier_url + "plan/", data=data, headers=headers, allow_redirects=False)
        return response.status_code, response.text[:300]

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(edit, range(20)))
    errors = [a for a in answers if a[0] >= 400]
    assert errors == [], errors
    assert {code for code, _ in answers} <= {200, 204, 302}


def test_errors_in_the_demo_are_french_pages_not_the_debug_page(demo_server):
    base, _ = demo_server
    response = requests.get(base + "/o/inconnue/ceci-n-existe-pas/", timeout=30)
    assert response.status_code in (302, 404)
    response = _session(base).get(
        base + "/o/uimm-idf/candidats/dossiers/00000000-0000-0000-0000-000000000000/"
    )
    assert response.status_code == 404
    assert "Page introuvable" in response.text or "introuvable" in response.text.lower()
    assert "Using the URLconf" not in response.text and "Traceback" not in response.text
