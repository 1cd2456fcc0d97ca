"""Read-only oversight policies on the centres' tables a certificateur must read (see certificateur.rls)."""

from django.db import migrations

from certificateur.rls import AddOversightPolicy, via_candidate, via_dossier, via_referentiel


class Migration(migrations.Migration):
    dependencies = [
        ("certificateur", "0001_initial"),
        ("candidates", "0001_initial"),
    ]

    operations = [
        AddOversightPolicy("candidates_dossier", via_referentiel()),
        AddOversightPolicy("candidates_dossierbloc", via_dossier()),
        AddOversightPolicy("candidates_candidate", via_candidate()),
    ]
