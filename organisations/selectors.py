"""Reads of organisations, memberships and their audit trail."""

from django.db.models import QuerySet
from django.http import Http404

from organisations.models import ApiToken, AuditEvent, Invitation, Membership, Organisation
from organisations.tenancy import pinning


def memberships_of(user) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user, is_active=True, organisation__is_active=True)
        .select_related("organisation")
        .order_by("organisation__name")
    )


def membership_for(*, user, slug: str, pin: bool = False) -> Membership:
    """The user's membership in the organisation ``slug``; 404 for 'missing' and 'not yours' alike.
    ``pin``: the same query pins the tenant setting (inside ``tenancy.request_transaction``)."""
    if not getattr(user, "is_authenticated", False):
        raise Http404
    memberships = memberships_of(user)
    if pin:
        memberships = pinning(memberships, slug=slug)
    try:
        return memberships.get(organisation__slug=slug)
    except Membership.DoesNotExist:
        raise Http404 from None


def organisation_get_active(*, pk: int) -> Organisation:
    return Organisation.objects.get(pk=pk, is_active=True)


def user_requires_mfa(user, required_roles: set[str]) -> bool:
    return memberships_of(user).filter(role__in=required_roles).exists()


def invitation_list() -> QuerySet[Invitation]:
    """Invitations of the active organisation (scoped)."""
    return Invitation.objects.select_related("invited_by", "accepted_by").order_by("-created_at")


def member_list(*, organisation: Organisation) -> QuerySet[Membership]:
    return Membership.objects.filter(organisation=organisation).select_related("user").order_by("user__email")


def api_token_list(*, membership: Membership) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(membership=membership, revoked_at__isnull=True)


def audit_event_list() -> QuerySet[AuditEvent]:
    return AuditEvent.objects.select_related("actor").order_by("-at")
