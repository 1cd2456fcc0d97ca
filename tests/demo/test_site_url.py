"""Links point where the site is (issue 15): `make run` / `make demo` set SITE_URL from the address
they serve; every link the platform sends or prints is built on SITE_URL."""

import subprocess

from django.core import mail

from documents.services import verification_url
from organisations import services as org_services
from organisations.roles import Role
from organisations.tenancy import tenant_context
from tests.conftest import ROOT


def _dry_run(*args) -> str:
    result = subprocess.run(
        ["make", "-n", *args], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    return result.stdout


def test_make_run_and_setup_give_the_served_address_as_site_url():
    out = _dry_run("run", "RUN_ADDR=127.0.0.1:8123")
    line = next(line for line in out.splitlines() if "runserver" in line)
    assert "SITE_URL='http://127.0.0.1:8123'" in line and line.endswith("runserver 127.0.0.1:8123")
    out = _dry_run("demo", "RUN_ADDR=192.168.1.20:9000")
    seed = next(line for line in out.splitlines() if "demo_seed" in line)
    assert "SITE_URL='http://192.168.1.20:9000'" in seed
    # an explicit address wins (the demo reached through another name)
    out = _dry_run("run", "RUN_ADDR=0.0.0.0:8000", "SITE_URL=http://demo.local:8000")
    assert "SITE_URL='http://demo.local:8000'" in out


def test_links_in_e_mails_and_qr_codes_use_site_url(settings, alice, django_capture_on_commit_callbacks):
    settings.SITE_URL = "https://certif.exemple.fr"
    assert verification_url("ABCDEFGHJK").startswith("https://certif.exemple.fr/verifier/")
    mail.outbox.clear()
    with tenant_context(alice.organisation), django_capture_on_commit_callbacks(execute=True):
        org_services.invitation_create(email="nouvelle@exemple.fr", role=Role.GESTIONNAIRE, by=alice)
    body = mail.outbox[-1].body
    assert "https://certif.exemple.fr/invitation/" in body and "127.0.0.1" not in body
