"""Oversight (read-only) of the re-issue and revocation requests a certificateur approves (issue 13,
point 5): its « Approbations » page reads them across centres; its decision is then written in the
centre's tenant."""

from django.db import migrations

from certificateur.rls import AddOversightPolicy, via_certificateur


class Migration(migrations.Migration):
    dependencies = [
        ("certificateur", "0007_oversight_issuance"),
        ("documents", "0008_approvals_by_issuer"),
    ]

    operations = [
        AddOversightPolicy("documents_reissuerequest", via_certificateur("approver_certificateur_id")),
        AddOversightPolicy("documents_revocationrequest", via_certificateur("approver_certificateur_id")),
    ]
