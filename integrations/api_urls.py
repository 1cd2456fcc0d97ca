from django.urls import path

from integrations import api

urlpatterns = [
    path("webhooks/", api.WebhookListCreateView.as_view(), name="api-webhooks"),
    path("webhooks/<uuid:webhook_id>/", api.WebhookDetailView.as_view(), name="api-webhook"),
    path("webhook-deliveries/", api.WebhookDeliveryListView.as_view(), name="api-webhook-deliveries"),
    path(
        "webhook-deliveries/<uuid:delivery_id>/replay/",
        api.WebhookDeliveryReplayView.as_view(),
        name="api-webhook-delivery-replay",
    ),
]
