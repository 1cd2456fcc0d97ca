from rest_framework import serializers

from documents.models import DocumentVersion, IssuedDocument, VerificationRecord


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
    reason = serializers.CharField(max_length=1000)


class ReissueSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000)
    context_changes = serializers.DictField(
        help_text="Données corrigées, fusionnées dans le contexte ; « holder_name » et « title » changent ces champs."
    )


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
