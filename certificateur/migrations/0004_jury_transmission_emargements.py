"""CQPM transmission: the recorded « transmis le » date, and the émargements in the bundle.

The émargements are filed by épreuve (``evaluations:epreuve:<uuid>:emargement``), not under the
jury: to put those of the jury's dossiers in the bundle, oversight reads (read-only, as every
oversight policy) the jury's decisions, the dossiers' inscriptions and their épreuves.
"""

import django.db.models.deletion
import uuid
from django.conf import settings
from django.db import migrations, models

import organisations.rls
from certificateur.rls import (
    AddOversightPolicy,
    ReplaceOversightPolicy,
    issued_document_path,
    issued_document_path_with_emargements,
    via_dossier,
    via_inscriptions,
    via_jury,
)


class Migration(migrations.Migration):
    dependencies = [
        ("certificateur", "0003_oversight_juries_documents"),
        ("evaluations", "0002_epreuves_avis"),
        ("juries", "0002_dossier_decision_frozen"),
        ("organisations", "0002_invitation_sent_at"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="JuryTransmission",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("public_id", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ("jury_public_id", models.UUIDField(verbose_name="jury")),
                ("transmis_le", models.DateField(verbose_name="transmis le")),
                ("recorded_at", models.DateTimeField(auto_now_add=True)),
                (
                    "centre",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="organisations.organisation",
                        verbose_name="centre",
                    ),
                ),
                (
                    "organisation",
                    models.ForeignKey(
                        editable=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="organisations.organisation",
                    ),
                ),
                (
                    "recorded_by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-transmis_le"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("organisation", "jury_public_id"), name="jurytransmission_one_per_jury"
                    )
                ],
            },
        ),
        organisations.rls.EnableRowLevelSecurity("jurytransmission"),
        AddOversightPolicy("juries_decision", via_jury()),
        AddOversightPolicy("evaluations_inscriptionepreuve", via_dossier()),
        AddOversightPolicy("evaluations_epreuve", via_inscriptions()),
        ReplaceOversightPolicy(
            "documents_issueddocument", issued_document_path_with_emargements(), issued_document_path()
        ),
    ]
