from django.conf import settings
from django.core.exceptions import BadRequest


class SecurityHeadersMiddleware:
    """Content-Security-Policy and friends on every response (Django sets HSTS itself)."""

    CSP = (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith(("/api/schema/swagger", "/api/schema/redoc")):
            # The schema UIs load their bundles from the package's own static files.
            response.setdefault(
                "Content-Security-Policy",
                self.CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'"),
            )
        else:
            response.setdefault("Content-Security-Policy", self.CSP)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        response.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if not settings.DEBUG and getattr(request, "user", None) and request.user.is_authenticated:
            response.setdefault("Cache-Control", "private, no-store")
        return response


class NulCharacterMiddleware:
    """Refuse (400) a query string or form value holding a NUL character.

    PostgreSQL cannot store or compare text with NUL (psycopg raises before the query runs), and
    list filters read the query string directly, without the forms' null-character validator:
    one check here covers every page and API filter.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")

    def __call__(self, request):
        if "%00" in request.META.get("QUERY_STRING", "") and _has_nul(request.GET):
            raise BadRequest("Caractère nul (0x00) refusé dans les paramètres de l'adresse.")
        # Page forms only: the CSRF check parses them anyway; the API's parsers read their own
        # bodies (DRF's fields refuse NUL themselves).
        if (
            request.method == "POST"
            and request.content_type in self.FORMS
            and not request.path.startswith("/api/")
            and _has_nul(request.POST)
        ):
            raise BadRequest("Caractère nul (0x00) refusé dans les champs du formulaire.")
        return self.get_response(request)


def _has_nul(data) -> bool:
    return any("\x00" in key or any("\x00" in value for value in values) for key, values in data.lists())
