from rest_framework import serializers

from core.schema import KnownFieldsSerializer
from integrations.models import Event, WebhookDelivery, WebhookEndpoint


class WebhookEndpointSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    events = serializers.ListField(child=serializers.ChoiceField(choices=Event.choices))

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "description",
            "events",
            "is_active",
            "consecutive_failures",
            "disabled_at",
            "disabled_reason",
            "created_at",
        ]
        read_only_fields = fields


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(
        read_only=True, help_text="Secret de signature : affiché à la création seulement, gardez-le."
    )

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookEndpointInputSerializer(KnownFieldsSerializer):
    url = serializers.URLField(max_length=500, help_text="https://…")
    description = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=Event.choices), min_length=1, help_text="événements reçus"
    )


class WebhookEndpointUpdateSerializer(KnownFieldsSerializer):
    url = serializers.URLField(max_length=500, required=False)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=Event.choices), min_length=1, required=False
    )
    is_active = serializers.BooleanField(
        required=False, help_text="true : réactiver (compteur d'échecs remis à zéro)"
    )


class WebhookDeliverySerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    endpoint = serializers.UUIDField(source="endpoint.public_id", read_only=True)
    replay_of = serializers.UUIDField(
        source="replay_of.public_id", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "endpoint",
            "event",
            "event_id",
            "status",
            "attempts",
            "last_status_code",
            "last_error",
            "last_attempt_at",
            "delivered_at",
            "replay_of",
            "created_at",
            "payload",
        ]
        read_only_fields = fields
