from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import ApplicationError
from organisations import selectors, services
from organisations.forms import ApiTokenForm, InvitationAcceptForm, InvitationForm
from organisations.hooks import known_name
from organisations.models import ApiToken
from organisations.permissions import require_capability
from organisations.roles import Role
from organisations.services import invitation_resolve


@login_required
def home(request):
    memberships = [m for m in selectors.memberships_of(request.user) if m.role != Role.CANDIDAT]
    if not memberships and selectors.memberships_of(request.user).filter(role=Role.CANDIDAT).exists():
        # a candidate only: their own space, across the centres where they hold dossiers
        return redirect("espace_home")
    if len(memberships) == 1:
        return redirect("dashboard", org_slug=memberships[0].organisation.slug)
    return render(request, "organisations/choose.html", {"memberships_list": memberships})


@require_capability("organisation.view")
def dashboard(request, org_slug):
    from organisations.dashboard import dashboard_for

    return render(request, "organisations/dashboard.html", dashboard_for(request.membership))


@require_capability("members.view")
@require_http_methods(["GET", "POST"])
def members(request, org_slug):
    form = InvitationForm(request.POST or None, inviter_role=request.membership.role)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.invitation_create(
                email=form.cleaned_data["email"], role=form.cleaned_data["role"], by=request.membership
            )
        except ApplicationError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"Invitation envoyée à {invitation.email}.")
            return redirect("members", org_slug=org_slug)
    return render(
        request,
        "organisations/members.html",
        {
            "form": form,
            "members_list": selectors.member_list(organisation=request.organisation),
            "invitations": selectors.invitation_list()[:50],
        },
        status=400 if form.errors else 200,
    )


@require_capability("tokens.manage")
@require_http_methods(["GET", "POST"])
def tokens(request, org_slug):
    form = ApiTokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        _token, new_key = services.api_token_create(
            membership=request.membership, name=form.cleaned_data["name"]
        )
        form = ApiTokenForm()
    return render(
        request,
        "organisations/tokens.html",
        {"form": form, "tokens": selectors.api_token_list(membership=request.membership), "new_key": new_key},
    )


@require_capability("tokens.manage")
@require_POST
def token_revoke(request, org_slug, token_id):
    token = ApiToken.objects.filter(
        membership=request.membership, public_id=token_id, revoked_at__isnull=True
    ).first()
    if token is None:
        from django.http import Http404

        raise Http404
    services.api_token_revoke(token=token)
    messages.success(request, f"Jeton « {token.name} » révoqué.")
    return redirect("tokens", org_slug=org_slug)


@require_capability("audit.view")
def audit(request, org_slug):
    return render(request, "organisations/audit.html", {"events": selectors.audit_event_list()[:200]})


def _known_name(organisation, email: str) -> dict:
    """The name the centre already typed for this address (a jury member of a composition, a
    tuteur), to pre-fill the invitation's form: the person only checks it."""
    from organisations.tenancy import tenant_context

    with tenant_context(organisation):
        return known_name(email)


@require_http_methods(["GET", "POST"])
def invitation_accept(request, token):
    try:
        organisation, invitation = invitation_resolve(token)
    except ApplicationError as exc:
        return render(request, "organisations/invitation_invalid.html", {"message": exc.message}, status=400)
    if request.user.is_authenticated:
        if request.method == "POST":
            try:
                membership = services.invitation_accept(token=token, password="", user=request.user)
            except ApplicationError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, f"Vous avez rejoint {membership.organisation}.")
                request.session.pop("mfa_ok", None)
                return redirect("dashboard", org_slug=membership.organisation.slug)
        return render(
            request, "organisations/invitation_join.html", {"invitation": invitation, "org": organisation}
        )
    form = InvitationAcceptForm(request.POST or None, initial=_known_name(organisation, invitation.email))
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.invitation_accept(
                token=token,
                password=form.cleaned_data["password1"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
            )
        except ApplicationError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
            # The password was just chosen: count it as a fresh password authentication, so
            # that allauth lets the new member enrol a second factor without re-typing it.
            from allauth.account.internal.flows.login import record_authentication

            record_authentication(
                request, membership.user, method="password", email=membership.user.email, reauthenticated=True
            )
            messages.success(request, f"Bienvenue ! Votre compte pour {membership.organisation} est créé.")
            return redirect(reverse("dashboard", kwargs={"org_slug": membership.organisation.slug}))
    return render(
        request,
        "organisations/invitation_accept.html",
        {"form": form, "invitation": invitation, "org": organisation},
        status=400 if form.errors else 200,
    )
