"""The permission check shared by pages and API, over ``roles.CAPABILITIES``."""

from functools import wraps

from django.core.exceptions import PermissionDenied
from rest_framework import permissions

from organisations.roles import has_capability


def membership_can(request, capability: str) -> bool:
    membership = getattr(request, "membership", None)
    return membership is not None and has_capability(membership.role, capability)


def require_capability(capability: str):
    """Page-view decorator: 403 when the member's role lacks ``capability``."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not membership_can(request, capability):
                raise PermissionDenied("Votre rôle ne permet pas d'accéder à cette page.")
            return view(request, *args, **kwargs)

        wrapped.required_permission = capability
        return wrapped

    return decorator


class HasCapability(permissions.BasePermission):
    """DRF permission: ``view.required_permission`` is a capability or a {method: capability} map."""

    message = "Votre rôle ne permet pas cette action."

    def has_permission(self, request, view) -> bool:
        required = getattr(view, "required_permission", None)
        if required is None:
            return True
        if isinstance(required, dict):
            required = required.get(request.method) or required.get("*")
            if required is None:
                return False
        return membership_can(request._request, required)
