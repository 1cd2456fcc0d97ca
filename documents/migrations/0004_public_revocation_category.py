"""The public registry no longer carries a revocation's free-text reason (issue 13, point 8):
existing entries get the fixed public category (the reason stays on the document)."""

from django.db import migrations


def forward(apps, schema_editor):
    VerificationRecord = apps.get_model("documents", "VerificationRecord")
    revoked = VerificationRecord.objects.filter(status="revoked")
    revoked.filter(revocation_reason__startswith="Rectification signée").update(
        revocation_reason="Décision du jury rectifiée"
    )
    revoked.exclude(
        revocation_reason__in=[
            "Décision du jury rectifiée",
            "Document délivré par erreur",
            "Retrait décidé par l'organisme",
        ]
    ).update(revocation_reason="Retrait décidé par l'organisme")


class Migration(migrations.Migration):
    dependencies = [("documents", "0003_certificat_bloc_guard")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
