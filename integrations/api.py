"""Webhooks API: an organisation's administrators register endpoints, read and replay deliveries."""

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response

from integrations import webhooks
from integrations.models import WebhookDelivery, WebhookEndpoint
from integrations.serializers import (
    WebhookDeliverySerializer,
    WebhookEndpointCreatedSerializer,
    WebhookEndpointInputSerializer,
    WebhookEndpointSerializer,
    WebhookEndpointUpdateSerializer,
)
from organisations.api import TenantAPIView


def _get(qs, public_id):
    try:
        return qs.get(public_id=public_id)
    except (qs.model.DoesNotExist, ValueError):
        raise Http404 from None


class WebhookListCreateView(TenantAPIView, ListAPIView):
    required_permission = "webhooks.manage"
    serializer_class = WebhookEndpointSerializer
    filter_backends: list = []

    def get_queryset(self):
        return WebhookEndpoint.objects.order_by("created_at", "pk")

    @extend_schema(summary="Webhooks de l'organisation")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=WebhookEndpointInputSerializer,
        responses={201: WebhookEndpointCreatedSerializer},
        summary="Enregistrer un webhook (le secret de signature n'est montré qu'ici)",
    )
    def post(self, request, org_slug):
        data = WebhookEndpointInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint = webhooks.endpoint_create(by=self.membership, **data.validated_data)
        return Response(WebhookEndpointCreatedSerializer(endpoint).data, status=status.HTTP_201_CREATED)


class WebhookDetailView(TenantAPIView):
    required_permission = "webhooks.manage"

    @extend_schema(responses=WebhookEndpointSerializer, summary="Un webhook")
    def get(self, request, org_slug, webhook_id):
        return Response(WebhookEndpointSerializer(_get(WebhookEndpoint.objects, webhook_id)).data)

    @extend_schema(
        request=WebhookEndpointUpdateSerializer,
        responses=WebhookEndpointSerializer,
        summary="Modifier un webhook (seuls les champs envoyés changent) ou le réactiver",
    )
    def patch(self, request, org_slug, webhook_id):
        endpoint = _get(WebhookEndpoint.objects, webhook_id)
        data = WebhookEndpointUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint = webhooks.endpoint_update(endpoint=endpoint, by=self.membership, **data.validated_data)
        return Response(WebhookEndpointSerializer(endpoint).data)

    @extend_schema(responses={204: None}, summary="Supprimer un webhook (et son historique)")
    def delete(self, request, org_slug, webhook_id):
        webhooks.endpoint_delete(endpoint=_get(WebhookEndpoint.objects, webhook_id), by=self.membership)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookDeliveryListView(TenantAPIView, ListAPIView):
    required_permission = "webhooks.manage"
    serializer_class = WebhookDeliverySerializer
    filter_backends: list = []

    def get_queryset(self):
        qs = WebhookDelivery.objects.select_related("endpoint", "replay_of").order_by("-created_at", "-pk")
        params = self.request.query_params
        if params.get("webhook"):
            qs = qs.filter(endpoint__public_id=_uuid(params["webhook"], "webhook"))
        if params.get("status"):
            if params["status"] not in WebhookDelivery.Status.values:
                from core.errors import ApplicationError

                raise ApplicationError(f"Statut inconnu : « {params['status'][:20]} ».", field="status")
            qs = qs.filter(status=params["status"])
        if params.get("event"):
            qs = qs.filter(event=params["event"])
        return qs

    @extend_schema(
        parameters=[
            OpenApiParameter("webhook", str, description="id du webhook"),
            OpenApiParameter("status", str, enum=WebhookDelivery.Status.values),
            OpenApiParameter("event", str, description="type d'événement (ex. dossier.transition)"),
        ],
        summary="Envois des webhooks (statut, tentatives, dernière erreur)",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


def _uuid(value, field):
    import uuid

    from core.errors import ApplicationError

    try:
        return uuid.UUID(value)
    except ValueError:
        raise ApplicationError(f"Identifiant invalide : « {value[:40]} ».", field=field) from None


class WebhookDeliveryReplayView(TenantAPIView):
    required_permission = "webhooks.manage"

    @extend_schema(
        request=None,
        responses={202: WebhookDeliverySerializer},
        summary="Renvoyer un événement (nouvel envoi, même id d'événement)",
    )
    def post(self, request, org_slug, delivery_id):
        delivery = _get(WebhookDelivery.objects.select_related("endpoint"), delivery_id)
        replay = webhooks.delivery_replay(delivery=delivery, by=self.membership)
        return Response(WebhookDeliverySerializer(replay).data, status=status.HTTP_202_ACCEPTED)
