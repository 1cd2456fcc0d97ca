from django.urls import path

from organisations import api

urlpatterns = [
    path("invitations/", api.InvitationListCreateView.as_view(), name="api-invitations"),
    path("audit-events/", api.AuditEventListView.as_view(), name="api-audit-events"),
]
