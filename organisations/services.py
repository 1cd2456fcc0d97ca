"""Writes for organisations, memberships, invitations, tokens and the audit trail."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from core.dispatch import enqueue_on_commit
from core.errors import ApplicationError
from organisations.models import ApiToken, AuditEvent, Invitation, Membership, Organisation
from organisations.roles import Role
from organisations.tenancy import tenant_context

INVITATION_SALT = "organisations.invitation"

# Who may invite whom: an admin invites anyone; a gestionnaire invites the people a centre
# works with, never an admin.
# Separation of duties: only an administrator grants the roles that sign (``jury``) or grant
# (``admin``) — a gestionnaire inviting ``jury`` accounts to addresses they own could seat a jury of
# aliases and sign its PV.
INVITABLE_ROLES: dict[str, set[str]] = {
    Role.ADMIN: {r.value for r in Role if r != Role.CANDIDAT},
    Role.GESTIONNAIRE: {Role.GESTIONNAIRE, Role.EVALUATEUR, Role.TUTEUR},
}


def audit_record(*, actor, action: str, obj=None, message: str = "") -> AuditEvent:
    """Append an audit event to the active organisation (call inside ``tenant_context``)."""
    from organisations.tenancy import current_organisation

    event = AuditEvent(
        organisation=current_organisation(),
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        object_type=obj._meta.label if obj is not None else "",
        object_id=str(getattr(obj, "public_id", getattr(obj, "pk", ""))) if obj is not None else "",
        message=message[:500],
    )
    event.save()
    return event


@transaction.atomic
def organisation_create(*, kind: str, slug: str, name: str, siret: str = "") -> Organisation:
    organisation = Organisation(kind=kind, slug=slug, name=name, siret=siret)
    organisation.full_clean()
    organisation.save()
    return organisation


@transaction.atomic
def membership_add(*, user, organisation: Organisation, role: str) -> Membership:
    if organisation.kind == Organisation.Kind.CERTIFICATEUR and role not in (Role.ADMIN, Role.CERTIFICATEUR):
        raise ApplicationError(
            "Une organisation certificatrice n'a que des administrateurs et des certificateurs.", field="role"
        )
    if organisation.kind == Organisation.Kind.CENTRE and role == Role.CERTIFICATEUR:
        raise ApplicationError(
            "Le rôle certificateur n'existe que dans une organisation certificatrice.", field="role"
        )
    membership, _ = Membership.objects.update_or_create(
        user=user, organisation=organisation, defaults={"role": role, "is_active": True}
    )
    return membership


def invitation_token(invitation: Invitation) -> str:
    return signing.dumps(
        {"o": invitation.organisation_id, "i": str(invitation.public_id)}, salt=INVITATION_SALT
    )


def invitation_url(invitation: Invitation) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("invitation_accept", args=[invitation_token(invitation)])


@transaction.atomic
def invitation_create(*, email: str, role: str, by: Membership) -> Invitation:
    """Invite ``email`` into ``by``'s organisation (inside its tenant context) and e-mail the link."""
    if role not in INVITABLE_ROLES.get(by.role, set()):
        raise ApplicationError("Votre rôle ne permet pas d'inviter quelqu'un avec ce rôle.", field="role")
    email = email.strip().lower()
    if Membership.objects.filter(organisation=by.organisation, user__email=email, is_active=True).exists():
        raise ApplicationError("Cette personne est déjà membre de l'organisation.", field="email")
    invitation = Invitation(
        organisation=by.organisation,
        email=email,
        role=role,
        invited_by=by.user,
        expires_at=timezone.now() + timedelta(days=settings.INVITATION_MAX_AGE_DAYS),
    )
    try:
        membership_check = Membership(user=by.user, organisation=by.organisation, role=role)
        membership_check.clean_fields(exclude=["user", "organisation"])
        invitation.full_clean(exclude=["organisation"])
    except ValidationError as exc:
        raise ApplicationError("; ".join(exc.messages)) from exc
    invitation.save()
    audit_record(actor=by.user, action="invitation.create", obj=invitation, message=f"{email} ({role})")
    enqueue_on_commit(
        "organisations.tasks.invitation_send",
        organisation_id=by.organisation_id,
        invitation_id=invitation.pk,
        url=invitation_url(invitation),
    )
    return invitation


INVALID_INVITATION = "Ce lien d'invitation est invalide ou a expiré. Demandez une nouvelle invitation."


def invitation_resolve(token: str) -> tuple[Organisation, Invitation]:
    """Check a token and return its invitation, or raise ``ApplicationError`` (forged, expired, used)."""
    try:
        data = signing.loads(
            token, salt=INVITATION_SALT, max_age=timedelta(days=settings.INVITATION_MAX_AGE_DAYS)
        )
        organisation = Organisation.objects.get(pk=int(data["o"]), is_active=True)
    except (signing.BadSignature, KeyError, ValueError, TypeError, Organisation.DoesNotExist):
        raise ApplicationError(INVALID_INVITATION) from None
    with tenant_context(organisation):
        invitation = Invitation.objects.filter(public_id=data["i"]).first()
    if invitation is None or invitation.expires_at < timezone.now():
        raise ApplicationError(INVALID_INVITATION)
    if invitation.accepted_at is not None:
        raise ApplicationError(
            "Cette invitation a déjà été utilisée. Connectez-vous avec votre mot de passe."
        )
    return organisation, invitation


@transaction.atomic
def invitation_accept(
    *, token: str, password: str, first_name: str = "", last_name: str = "", user=None
) -> Membership:
    """Accept an invitation: create the account (e-mail verified by the link) or join with ``user``."""
    from allauth.account.models import EmailAddress

    organisation, invitation = invitation_resolve(token)
    User = get_user_model()
    if user is None:
        if User.objects.filter(email__iexact=invitation.email).exists():
            raise ApplicationError(
                "Un compte existe déjà pour cette adresse : connectez-vous puis rouvrez le lien."
            )
        candidate = User(email=invitation.email, first_name=first_name, last_name=last_name)
        try:
            validate_password(password, user=candidate)
        except ValidationError as exc:
            raise ApplicationError(" ".join(exc.messages), field="password1") from exc
        candidate.set_password(password)
        candidate.save()
        user = candidate
    elif user.email.lower() != invitation.email:
        raise ApplicationError("Cette invitation a été envoyée à une autre adresse e-mail.")
    EmailAddress.objects.update_or_create(
        user=user, email=invitation.email, defaults={"verified": True, "primary": True}
    )
    membership = membership_add(user=user, organisation=organisation, role=invitation.role)
    with tenant_context(organisation):
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        audit_record(actor=user, action="invitation.accept", obj=invitation)
    return membership


@transaction.atomic
def api_token_create(*, membership: Membership, name: str) -> tuple[ApiToken, str]:
    """Create a token for ``membership``; the clear key is returned once and never stored."""
    if not name.strip():
        raise ApplicationError("Donnez un nom au jeton.", field="name")
    if membership.role == Role.CANDIDAT:
        raise ApplicationError(
            "Un candidat n'a pas de jeton d'API : son espace se consulte dans le navigateur."
        )
    key = ApiToken.generate_key()
    token = ApiToken.objects.create(
        membership=membership, name=name.strip(), prefix=key[:8], key_hash=ApiToken.hash_key(key)
    )
    return token, key


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> None:
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
