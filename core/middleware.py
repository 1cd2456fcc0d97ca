from django.conf import settings


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
            response.setdefault("Content-Security-Policy", self.CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'"))
        else:
            response.setdefault("Content-Security-Policy", self.CSP)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        response.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if not settings.DEBUG and getattr(request, "user", None) and request.user.is_authenticated:
            response.setdefault("Cache-Control", "private, no-store")
        return response
