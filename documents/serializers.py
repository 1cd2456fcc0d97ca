from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from documents.models import DocumentVersion, IssuedDocument, ReissueRequest, VerificationRecord


class DocumentSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    certificateur = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    verification_code = serializers.CharField(source="verification_code_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = IssuedDocument
        fields = [
            "id",
            "kind",
            "certificateur",
            "number",
            "verification_code",
            "idempotency_key",
            "group_key",
            "holder_name",
            "title",
            "issued_on",
            "status",
            "status_label",
            "attempts",
            "last_error",
            "version",
            "sha256",
            "size",
            "rendered_at",
            "revoked_at",
            "revocation_reason",
            "created_at",
            "download_url",
        ]

    def get_download_url(self, document) -> str | None:
        if document.status != IssuedDocument.Status.READY:
            return None
        slug = self.context["org_slug"]
        return f"/api/v1/o/{slug}/documents/{document.public_id}/download"


class DocumentVersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = DocumentVersion
        fields = ["version", "holder_name", "sha256", "rendered_at", "reason", "replaced_at"]


class DocumentDetailSerializer(DocumentSerializer):
    versions = DocumentVersionSerializer(many=True, read_only=True)
    context = serializers.JSONField(read_only=True)

    class Meta(DocumentSerializer.Meta):
        fields = [*DocumentSerializer.Meta.fields, "context", "versions"]


class RevokeSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000, help_text="Motif interne, jamais public.")
    category = serializers.ChoiceField(
        choices=["retrait", "erreur", "rectification"],
        default="retrait",
        help_text="Catégorie publique affichée sur la page de vérification (avec la date).",
    )


class ReissueSerializer(serializers.Serializer):
    """A civil-status correction request (multipart): the holder's identity, a reason, a pièce.
    No document content is accepted: the document is derived again once approved."""

    reason = serializers.CharField(max_length=1000)
    piece = serializers.FileField(help_text="Pièce justificative : PDF, PNG ou JPEG, 10 Mo au plus.")
    civilite = serializers.ChoiceField(choices=["M", "MME"])
    sexe = serializers.ChoiceField(choices=["M", "F"])
    nom_naissance = serializers.CharField(max_length=60)
    nom_usage = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    prenom1 = serializers.CharField(max_length=60)
    prenom2 = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    prenom3 = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    naissance_jour = serializers.IntegerField(required=False, allow_null=True, default=None)
    naissance_mois = serializers.IntegerField(required=False, allow_null=True, default=None)
    naissance_annee = serializers.IntegerField()
    naissance_commune = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")

    def to_internal_value(self, data):
        unknown = sorted(set(getattr(data, "keys", dict)()) - set(self.fields))
        if unknown:
            raise serializers.ValidationError(
                {
                    k: ["Champ refusé : une réédition corrige uniquement l'état civil du titulaire."]
                    for k in unknown
                }
            )
        return super().to_internal_value(data)


@extend_schema_serializer(component_name="DemandeReedition")
class ReissueRequestSerializer(serializers.Serializer):
    # named apart: « ReissueRequest » is already ReissueSerializer's input component
    id = serializers.UUIDField(source="public_id")
    document = serializers.UUIDField(source="document.public_id")
    status = serializers.CharField()
    identity = serializers.JSONField()
    reason = serializers.CharField()
    requested_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField()


@extend_schema_serializer(component_name="DemandeRevocation")
class RevocationRequestSerializer(serializers.Serializer):
    """A revocation the centre asked of the certificateur that issued the document (issue 13,
    point 5): pending until the certificateur's staff approve or refuse it."""

    id = serializers.UUIDField(source="public_id")
    document = serializers.UUIDField(source="document.public_id")
    status = serializers.ChoiceField(choices=ReissueRequest.Status.choices)
    reason = serializers.CharField(help_text="Motif interne, jamais public.")
    category = serializers.ChoiceField(choices=["retrait", "erreur", "rectification"])
    certificateur = serializers.CharField(
        source="approver_certificateur.name", help_text="l'organisme qui délivre le document et approuve"
    )
    requested_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_note = serializers.CharField(help_text="observation du certificateur (motif d'un refus)")


class ReissueDecisionSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class BatchProgressSerializer(serializers.Serializer):
    group_key = serializers.CharField()
    total = serializers.IntegerField()
    pending = serializers.IntegerField()
    rendering = serializers.IntegerField()
    ready = serializers.IntegerField()
    failed = serializers.IntegerField()
    revoked = serializers.IntegerField()
    percent = serializers.IntegerField()
    done = serializers.BooleanField()


class VerificationSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="code_display")
    status_label = serializers.CharField(source="get_status_display")
    kind_label = serializers.CharField(source="get_kind_display")

    class Meta:
        model = VerificationRecord
        fields = [
            "code",
            "number",
            "kind",
            "kind_label",
            "holder_name",
            "certification",
            "niveau",
            "code_certification",
            "certificateur_nom",
            "issued_on",
            "status",
            "status_label",
            "version",
            "revoked_at",
            "revocation_reason",
        ]
