from django.urls import path

from documents import api

urlpatterns = [
    path("<str:code>", api.VerificationView.as_view(), name="api-verification"),
]
