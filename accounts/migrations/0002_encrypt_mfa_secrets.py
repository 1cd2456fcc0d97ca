"""Encrypt the TOTP secrets and recovery-code seeds stored in clear before issue 16."""

from django.db import migrations


def forwards(apps, schema_editor):
    from accounts.mfa import encrypt_all

    encrypt_all(apps.get_model("mfa", "Authenticator"))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("mfa", "0003_authenticator_type_uniq"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
