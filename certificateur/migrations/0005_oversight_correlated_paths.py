"""Oversight policies whose row path is a correlated EXISTS (issue 19): same rows admitted, but no
hashed subplan over every dossier of the certificateur charged to each scan of the centres'
tables, which made the planner read whole tables at a million dossiers (see certificateur.rls)."""

from django.db import migrations

from certificateur.rls import CORRELATED, ReplaceOversightPolicy


class Migration(migrations.Migration):
    dependencies = [
        ("certificateur", "0004_jury_transmission_emargements"),
    ]

    operations = [ReplaceOversightPolicy(table, path, previous) for table, path, previous in CORRELATED]
