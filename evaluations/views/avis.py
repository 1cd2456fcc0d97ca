"""The avis de l'entreprise: the centre's requests and extensions, the tuteur's list and form,
and the tuteur's e-mailed link."""

from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from candidates.models import Dossier
from core.errors import ApplicationError
from evaluations import selectors, services
from evaluations.forms import (
    AVIS_CHOICES,
    AvisExtendForm,
    AvisLinkAcceptForm,
    AvisRequestForm,
)
from evaluations.tuteur_note import current_note, tuteur_composante
from evaluations.views._common import form_error
from organisations.permissions import membership_can, require_capability

# --- avis de l'entreprise --------------------------------------------------------------------------


@require_capability("avis.request")
@require_http_methods(["GET", "POST"])
def avis_requests(request, org_slug):
    from evaluations.services import OPEN_STATUSES

    dossiers = (
        Dossier.objects.filter(status__in=OPEN_STATUSES, tuteur__isnull=False, avis_entreprise__isnull=True)
        .select_related("candidate", "referentiel", "tuteur")
        .order_by("candidate__nom_naissance")
    )
    form = AvisRequestForm(request.POST or None, dossiers=dossiers)
    if request.method == "POST" and form.is_valid():
        try:
            avis = services.avis_request(by=request.membership, **form.cleaned_data)
        except ApplicationError as exc:
            form_error(form, exc)
        else:
            messages.success(
                request, f"Avis demandé à {avis.tuteur.email} (lien personnel envoyé par e-mail)."
            )
            return redirect("avis_requests", org_slug=org_slug)
    return render(
        request,
        "evaluations/avis_requests.html",
        {"form": form, "avis_list": selectors.avis_list()[:300], "today": timezone.localdate()},
        status=400 if form.errors else 200,
    )


@require_capability("avis.request")
@require_POST
def avis_extend(request, org_slug, avis_id):
    """« Prolonger et renvoyer le lien » on the avis requests page: new deadline, fresh link."""
    avis = selectors.avis_get(public_id=avis_id, membership=request.membership)
    form = AvisExtendForm(request.POST)
    try:
        if not form.is_valid():
            raise ApplicationError("Nouvelle date limite : indiquez une date (jj/mm/aaaa).")
        avis = services.avis_extend(avis=avis, by=request.membership, **form.cleaned_data)
    except ApplicationError as exc:
        messages.error(request, f"{avis.dossier.candidate.nom_complet} : {exc.message}")
    else:
        messages.success(
            request,
            f"Date limite reportée au {avis.date_limite:%d/%m/%Y} ; nouveau lien envoyé à {avis.tuteur.email} "
            "(les précédents ne fonctionnent plus).",
        )
    return redirect("avis_requests", org_slug=org_slug)


@require_capability("avis.give")
@require_GET
def avis_list(request, org_slug):
    return render(
        request, "evaluations/avis_list.html", {"avis_list": selectors.avis_for_tuteur(user=request.user)}
    )


def _avis_post_capacites(request, rows) -> dict:
    out = {}
    for item in rows:
        cap = item["capacite"]
        out[cap.pk] = {
            "avis": request.POST.get(f"avis_{cap.pk}", ""),
            "commentaire": request.POST.get(f"commentaire_{cap.pk}", ""),
            "criteres": {str(c.pk): request.POST.get(f"critere_{c.pk}", "") for c, _v in item["criteres"]},
        }
    return out


@require_http_methods(["GET", "POST"])
def avis_detail(request, org_slug, avis_id):
    """The tuteur fills in and submits their avis; the centre's staff read it."""
    can_give, can_read = membership_can(request, "avis.give"), membership_can(request, "avis.request")
    if not (can_give or can_read):
        raise PermissionDenied("Votre rôle ne permet pas d'accéder à cette page.")
    avis = selectors.avis_get(public_id=avis_id, membership=request.membership)
    rows = selectors.avis_form_rows(avis=avis)
    error, error_field = None, None
    if request.method == "POST":
        if not can_give:
            raise PermissionDenied("Seul le tuteur donne l'avis de l'entreprise.")
        submit = request.POST.get("action") == "soumettre"
        try:
            if tuteur_composante(avis.dossier) is not None and not avis.is_submitted:
                from django.db import transaction

                from evaluations.tuteur_note import note_record

                note = request.POST.get("note_tuteur", "").strip()
                with transaction.atomic():
                    if note:
                        note_record(dossier=avis.dossier, by=request.membership, points=note)
                    elif submit and current_note(avis.dossier) is None:
                        raise ApplicationError(
                            "Attribuez votre note (évaluation tuteur) avant de transmettre l'avis.",
                            field="note_tuteur",
                        )
            services.avis_save(
                avis=avis,
                by=request.membership,
                capacites=_avis_post_capacites(request, rows),
                commentaire=request.POST.get("commentaire", ""),
                submit=submit,
            )
        except ApplicationError as exc:
            error, error_field = exc.message, exc.field
            # Everything typed comes back, the general appreciation too (not saved: shown only).
            avis.commentaire = request.POST.get("commentaire", "")
        else:
            messages.success(
                request, "Avis transmis au centre d'examen. Merci !" if submit else "Brouillon enregistré."
            )
            return redirect("avis_detail", org_slug=org_slug, avis_id=avis.public_id)
        rows = selectors.avis_form_rows(avis=avis)
        posted = _avis_post_capacites(request, rows)
        for item in rows:
            data = posted[item["capacite"].pk]
            item["row"].avis, item["row"].commentaire = data["avis"], data["commentaire"]
            item["criteres"] = [(c, data["criteres"].get(str(c.pk), "")) for c, _v in item["criteres"]]
    par_critere = selectors.avis_par_critere(avis=avis)
    for item in rows:
        item["par_critere"] = item["capacite"].pk in par_critere
    return render(
        request,
        "evaluations/avis_detail.html",
        {
            "avis": avis,
            "rows": rows,
            "choices": AVIS_CHOICES,
            "editable": can_give and not avis.is_submitted,
            "error": error,
            "error_field": error_field,
            "tuteur_composante": tuteur_composante(avis.dossier),
            "note_tuteur": current_note(avis.dossier),
        },
        status=400 if error else 200,
    )


@require_http_methods(["GET", "POST"])
def avis_link(request, token):
    """The tuteur's e-mailed link: single use, expiring; lands on an account limited to their candidates."""
    try:
        organisation, avis = services.avis_link_resolve(token)
    except ApplicationError as exc:
        return render(request, "organisations/invitation_invalid.html", {"message": exc.message}, status=400)

    email = avis.tuteur.email.lower()
    existing = get_user_model().objects.filter(email__iexact=email).first()
    target = reverse("avis_detail", kwargs={"org_slug": organisation.slug, "avis_id": avis.public_id})
    if request.user.is_authenticated or existing is not None:
        user = request.user if request.user.is_authenticated else existing
        if user.email.lower() != email:
            return render(
                request,
                "organisations/invitation_invalid.html",
                {"message": "Ce lien a été envoyé à une autre adresse : déconnectez-vous puis rouvrez-le."},
                status=400,
            )
        only_tuteur = services.avis_link_may_login(user=user, organisation=organisation)
        if not request.user.is_authenticated and not only_tuteur:
            # Staff accounts keep their normal login (and second factor): no magic login for them.
            return redirect(reverse("account_login") + f"?next={target}")
        if request.method != "POST":
            # Opening the link spends nothing (mail scanners follow links before the tuteur does):
            # the button on this page posts, and only that spends the link and opens the session.
            return render(
                request,
                "evaluations/avis_link_open.html",
                {"avis": avis, "org": organisation, "email": email},
            )
        try:
            membership, avis = services.avis_link_accept(token=token, user=user)
        except ApplicationError as exc:
            return render(
                request, "organisations/invitation_invalid.html", {"message": exc.message}, status=400
            )
        if not request.user.is_authenticated:
            login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect(target)
    form = AvisLinkAcceptForm(
        request.POST or None, initial={"first_name": avis.tuteur.prenom, "last_name": avis.tuteur.nom}
    )
    if request.method == "POST" and form.is_valid():
        try:
            membership, avis = services.avis_link_accept(
                token=token,
                password=form.cleaned_data["password1"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
            )
        except ApplicationError as exc:
            form_error(form, exc)
        else:
            login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, "Votre accès est créé : donnez votre avis pour chaque capacité.")
            return redirect(target)
    return render(
        request,
        "evaluations/avis_link.html",
        {"form": form, "avis": avis, "org": organisation, "email": email},
        status=400 if form.errors else 200,
    )
