"""Issue 16, defect 10: « TOTP secrets are stored in clear in the database ». They are encrypted
with a key from the environment (allauth's MFA adapter); rotation re-encrypts them."""

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from accounts import mfa
from organisations.roles import Role
from tests.juries.conftest import totp_code

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def _raw_data(pk) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT data::text FROM mfa_authenticator WHERE id = %s", [pk])
        return cursor.fetchone()[0]


@pytest.fixture
def jury(org_a, member_factory):
    return member_factory(org_a, Role.JURY, "jure@test.local")


def test_totp_secret_is_stored_encrypted_and_still_checks_codes(jury, client):
    authenticator = TOTP.activate(jury.user, SECRET).instance
    raw = _raw_data(authenticator.pk)
    assert SECRET not in raw and '"fernet:' in raw
    # the login's second step decrypts it
    response = client.post(
        reverse("account_login"), {"login": jury.user.email, "password": "motdepasse-solide-42"}
    )
    assert response.status_code == 302
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(SECRET)})
    assert response.status_code == 302 and "_auth_user_id" in client.session


def test_recovery_codes_seed_is_encrypted(jury):
    codes = RecoveryCodes.activate(jury.user)
    raw = _raw_data(codes.instance.pk)
    assert '"seed": "fernet:' in raw
    assert len(codes.generate_codes()) > 0


def test_secret_stored_in_clear_is_encrypted_by_the_command(jury):
    legacy = Authenticator.objects.create(
        user=jury.user, type=Authenticator.Type.TOTP, data={"secret": SECRET}
    )
    assert SECRET in _raw_data(legacy.pk)
    call_command("mfa_secrets_encrypt")
    assert SECRET not in _raw_data(legacy.pk)
    assert TOTP(Authenticator.objects.get(pk=legacy.pk)).validate_code(totp_code(SECRET))


def _stored_secret(authenticator) -> str:
    return mfa.decrypt(Authenticator.objects.get(pk=authenticator.pk).data["secret"])


def test_rotation_new_key_first_then_old_key_removed(jury, settings):
    old = settings.MFA_SECRET_KEYS[0]
    authenticator = TOTP.activate(jury.user, SECRET).instance
    new = Fernet.generate_key().decode()
    settings.MFA_SECRET_KEYS = [new, old]
    assert _stored_secret(authenticator) == SECRET
    before = Authenticator.objects.get(pk=authenticator.pk).data["secret"]
    call_command("mfa_secrets_encrypt")
    assert Authenticator.objects.get(pk=authenticator.pk).data["secret"] != before
    settings.MFA_SECRET_KEYS = [new]
    assert _stored_secret(authenticator) == SECRET
    assert TOTP(Authenticator.objects.get(pk=authenticator.pk)).validate_code(totp_code(SECRET))
    # without the key that encrypted it, a secret is unreadable (not silently accepted)
    settings.MFA_SECRET_KEYS = [old]
    with pytest.raises(Exception, match="illisible"):
        mfa.decrypt(Authenticator.objects.get(pk=authenticator.pk).data["secret"])
