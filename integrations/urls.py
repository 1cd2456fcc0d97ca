from django.urls import path

from integrations import views

urlpatterns = [
    path("", views.webhook_list, name="webhooks"),
    path("envois/<uuid:delivery_id>/renvoyer/", views.webhook_replay, name="webhook_replay"),
    path("<uuid:webhook_id>/activer/", views.webhook_toggle, name="webhook_toggle"),
]
