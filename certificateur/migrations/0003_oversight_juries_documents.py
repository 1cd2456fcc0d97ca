"""Read-only oversight of juries (composition, dates) and issued documents (PV, parchemins)."""

from django.db import migrations

from certificateur.rls import AddOversightPolicy, issued_document_path, via_jury, via_referentiel


class Migration(migrations.Migration):
    dependencies = [
        ("certificateur", "0002_oversight_policies"),
        ("juries", "0001_initial"),
        ("documents", "0002_rls_and_guards"),
    ]

    operations = [
        AddOversightPolicy("juries_jury", via_referentiel()),
        AddOversightPolicy("juries_jurymember", via_jury()),
        AddOversightPolicy("documents_issueddocument", issued_document_path()),
    ]
