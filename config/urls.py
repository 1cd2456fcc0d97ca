from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from core.views import health, ping
from organisations import views as org_views
from organisations.api import MeView

api_v1 = [
    path("me", MeView.as_view(), name="api-me"),
    path("referentiels/", include("referentiels.api_urls")),
    path("o/<slug:org_slug>/", include("organisations.api_urls")),
    path("o/<slug:org_slug>/", include("candidates.api_urls")),
    path("o/<slug:org_slug>/", include("juries.api_urls")),
    path("o/<slug:org_slug>/documents/", include("documents.api_urls")),
    path("verifier/", include("documents.public_api_urls")),
]

urlpatterns = [
    path("", org_views.home, name="home"),
    path("admin/", admin.site.urls),
    path("comptes/", include("allauth.urls")),
    path("invitation/<str:token>/", org_views.invitation_accept, name="invitation_accept"),
    path("o/<slug:org_slug>/", include("organisations.urls")),
    path("o/<slug:org_slug>/candidats/", include("candidates.urls")),
    path("o/<slug:org_slug>/referentiels/", include("referentiels.urls")),
    path("o/<slug:org_slug>/jurys/", include("juries.urls")),
    path("o/<slug:org_slug>/documents/", include("documents.urls")),
    path("verifier/", include("documents.public_urls")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/schema/swagger/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/schema/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("sante", health, name="health"),
    path("ping", ping, name="ping"),
]
