"""Production settings pass Django's deployment checks; responses carry the security headers."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _production_env(**extra) -> dict:
    env = dict(os.environ)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set for the browser tests' own process only
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(60),
        DJANGO_ALLOWED_HOSTS="certif.example.org",
        SITE_URL="https://certif.example.org",
        EMAIL_HOST="smtp.example.org",
        SIGNING_KEY_PATH="/secrets/key.pem",
        SIGNING_CERT_PATH="/secrets/cert.pem",
        MFA_SECRET_KEYS="PIRXnsKMlW9PAZ592WdrSgam7gUASVp0Qr8c8Hn7Iw4=",
    )
    env.update(extra)
    return env


def test_check_deploy_passes_with_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_secret():
    env = _production_env()
    env.pop("DJANGO_SECRET_KEY")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_refuses_the_demo_secret():
    env = _production_env(DJANGO_SECRET_KEY="demo-insecure-secret-key-change-me-in-production-0123456789")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0 and "au moins 50 caractères" in result.stderr


@pytest.mark.parametrize(
    "keys, message",
    [
        (None, "MFA_SECRET_KEYS doit contenir"),
        ("ZGVtby1pbnNlY3VyZS1tZmEta2V5LWNoYW5nZS1tZSE=", "MFA_SECRET_KEYS doit contenir"),
        ("pas-une-cle", "clé Fernet"),
    ],
)
def test_production_refuses_to_start_without_its_totp_encryption_key(keys, message):
    env = _production_env()
    env.pop("MFA_SECRET_KEYS")
    if keys:
        env["MFA_SECRET_KEYS"] = keys
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0 and message in result.stderr


@pytest.mark.parametrize(
    "site_url",
    [None, "http://certif.example.org", "https://127.0.0.1:8000", "https://localhost", "certif.example.org"],
)
def test_production_refuses_to_start_without_an_https_site_url(site_url):
    env = _production_env()
    if site_url is None:
        env.pop("SITE_URL")
    else:
        env["SITE_URL"] = site_url
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0 and "SITE_URL" in result.stderr, result.stderr[-500:]


@pytest.mark.django_db
def test_security_headers_on_pages(client):
    response = client.get("/comptes/login/")
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "camera=()" in response["Permissions-Policy"]


def test_production_cookie_and_hsts_settings():
    code = (
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT, s.DEBUG)"
    )
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=_production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.split() == ["True", "True", "31536000", "True", "False"], result.stderr


def test_production_keeps_login_rate_limit_and_mfa():
    """Production inherits the login throttle and the second factor of admins and jury members."""
    code = (
        "from django.conf import settings as s;"
        "print(s.ACCOUNT_RATE_LIMITS['login_failed']);"
        "print(s.TRUSTED_PROXY_COUNT == s.REST_FRAMEWORK['NUM_PROXIES'] == s.ALLAUTH_TRUSTED_PROXY_COUNT);"
        "print(','.join(sorted(s.MFA_REQUIRED_ROLES)));"
        "print('organisations.middleware.MfaRequiredMiddleware' in s.MIDDLEWARE)"
    )
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=_production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.split() == ["100/5m/ip,5/5m/key", "True", "admin,jury", "True"], result.stderr


# The lock per address across accounts (a spray) is tests/security/test_rate_limits.py: the
# per-address limit is generous, the per-account one strict (issue 16).


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["admin", "jury", "gestionnaire", "evaluateur", "tuteur"])
def test_mfa_required_for_admin_and_jury_pages(role, org_a, member_factory, client_for):
    """DESIGN.md: admin and jury roles enrol a TOTP before any page; the other roles do not need it."""
    membership = member_factory(org_a, role)
    response = client_for(membership).get(f"/o/{org_a.slug}/")
    if role in ("admin", "jury"):
        assert response.status_code == 302 and "/comptes/2fa/totp/activate/" in response["Location"]
    else:
        assert response.status_code == 200
