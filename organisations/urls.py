from django.urls import path

from organisations import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("membres/", views.members, name="members"),
    path("jetons/", views.tokens, name="tokens"),
    path("jetons/<uuid:token_id>/revoquer/", views.token_revoke, name="token_revoke"),
    path("journal/", views.audit, name="audit"),
]
