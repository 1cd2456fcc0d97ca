from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from certificateur.urls import public_urlpatterns as certificateur_public_urls
from config.health import health, ping
from core.views import favicon
from espace_candidat.urls import public_urlpatterns as espace_public_urls
from evaluations import views as evaluation_views
from organisations import views as org_views
from organisations.api import MeView

# The admin has no login form of its own: it goes through allauth's, which carries the login rate
# limit and the second factor (and MfaRequiredMiddleware makes staff enrol a TOTP first).
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]

api_v1 = [
    path("me", MeView.as_view(), name="api-me"),
    path("referentiels/", include("referentiels.api_urls")),
    path("o/<slug:org_slug>/", include("organisations.api_urls")),
    path("o/<slug:org_slug>/", include("candidates.api_urls")),
    path("o/<slug:org_slug>/", include("evaluations.api_urls")),
    path("o/<slug:org_slug>/documents/", include("documents.api_urls")),
    path("verifier/", include("documents.public_api_urls")),
    path("o/<slug:org_slug>/", include("juries.api_urls")),
    path("o/<slug:org_slug>/supervision/", include("certificateur.api_urls")),
    path("o/<slug:org_slug>/", include("integrations.api_urls")),
]

urlpatterns = [
    path("", org_views.home, name="home"),
    path("admin/", admin.site.urls),
    path("comptes/", include("allauth.urls")),
    path("invitation/<str:token>/", org_views.invitation_accept, name="invitation_accept"),
    path("o/<slug:org_slug>/", include("organisations.urls")),
    path("o/<slug:org_slug>/candidats/", include("candidates.urls")),
    path("o/<slug:org_slug>/referentiels/", include("referentiels.urls")),
    path("o/<slug:org_slug>/evaluations/", include("evaluations.urls")),
    path("avis/lien/<str:token>/", evaluation_views.avis_link, name="avis_link"),
    path("o/<slug:org_slug>/documents/", include("documents.urls")),
    path("verifier/", include("documents.public_urls")),
    path("o/<slug:org_slug>/jurys/", include("juries.urls")),
    path("o/<slug:org_slug>/supervision/", include("certificateur.urls")),
    path("o/<slug:org_slug>/", include("espace_candidat.urls")),
    path("", include(certificateur_public_urls)),
    path("", include(espace_public_urls)),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/schema/swagger/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/schema/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("sante", health, name="health"),
    path("ping", ping, name="ping"),
    path("favicon.ico", favicon, name="favicon"),
]

handler400 = "core.views.bad_request"
handler404 = "core.views.page_not_found"
handler403 = "core.views.permission_denied"
handler500 = "core.views.server_error"
