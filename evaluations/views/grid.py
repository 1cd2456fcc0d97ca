"""The évaluateur's pages: the workspace, an épreuve's grid (pages, cells, details), its
validation and the resolution of double-marking disagreements."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from candidates.selectors import dossier_get
from core.errors import ApplicationError
from evaluations import selectors, services
from evaluations.forms import ResolutionForm
from evaluations.views._common import validateur as _validateur
from organisations.permissions import membership_can, require_capability
from organisations.roles import Role
from referentiels.selectors import numero_public

# --- évaluateur's workspace ----------------------------------------------------------------------


@require_capability("results.record")
@require_GET
def evaluator_workspace(request, org_slug):

    if request.membership.role == Role.EVALUATEUR:
        epreuves = selectors.epreuves_for_evaluateur(user=request.user)
    else:
        from django.db.models import Count

        from evaluations.models import Epreuve

        epreuves = (
            Epreuve.objects.select_related("session__referentiel", "bloc")
            .annotate(nb_candidats=Count("inscriptions"))
            .order_by("date", "heure_debut", "pk")
        )
    return render(request, "evaluations/workspace.html", {"epreuves": epreuves[:300]})


# The évaluateur's grid shows its candidates by pages of this size (500-candidate sessions).
GRID_ROWS_PER_PAGE = 50


def _page_query(filters: dict, page: int) -> str:
    params = QueryDict(mutable=True)
    params.update(filters)
    if page > 1:
        params["page"] = str(page)
    return params.urlencode()


def _grid_back(request, org_slug, epreuve):
    """Back to the grid's page and filter the form was posted from (hidden field ``retour``,
    re-parsed: only the known filter and a page number)."""
    back = QueryDict(request.POST.get("retour", "")[:200])
    filtre = selectors.grid_filter(back)
    page = back.get("page", "1")
    query = _page_query({"filtre": filtre} if filtre else {}, int(page) if page.isdigit() else 1)
    url = reverse("epreuve_grid", kwargs={"org_slug": org_slug, "epreuve_id": epreuve.public_id})
    return redirect(url + (f"?{query}" if query else "") + "#grille")


@require_capability("results.record")
@require_GET
def epreuve_grid(request, org_slug, epreuve_id):
    epreuve = selectors.epreuve_get(public_id=epreuve_id, actor=request.membership)
    filtre = selectors.grid_filter(request.GET)
    grid = selectors.epreuve_grid(epreuve=epreuve, user=request.user, filtre=filtre)
    paginator = Paginator(grid.ids, GRID_ROWS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))  # not a number: page 1; too far: the last one
    filters = {"filtre": filtre} if filtre else {}
    return render(
        request,
        "evaluations/grid.html",
        {
            "epreuve": epreuve,
            # the certification's registration number where it has one, never the platform's code
            "numero_enregistrement": numero_public(epreuve.session.referentiel.code),
            "debut_a_venir": services.start_ahead(epreuve),
            "cc_ouvert": any(c["kind"] == "cc" for c in grid.cibles),
            "cibles": grid.cibles,
            "rows": selectors.epreuve_grid_rows(grid=grid, ids=page.object_list),
            "grid": grid,
            "filtre": filtre,
            "page": page,
            "page_range": list(paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)),
            "filters_query": _page_query(filters, 1) + "&" if filters else "",
            "retour": _page_query(filters, page.number),
            "etats": [("acquis", "A — acquis"), ("non_acquis", "N — non acquis"), ("absent", "X — absent")],
            # a CQPM's capacités are validated by the commission d'évaluation, candidate by candidate
            "commission": epreuve.session.referentiel.kind == "CQPM",
            "can_validate": membership_can(request, "results.validate")
            and epreuve.session.referentiel.kind != "CQPM",
            "can_commission": membership_can(request, "results.validate"),
            "validateur": _validateur(epreuve.session.referentiel),
            "can_resolve": epreuve.double_correction
            and membership_can(request, "results.validate")
            and services.correction_may_resolve(epreuve=epreuve, by=request.membership),
            "resolution_form": ResolutionForm(),
            "cell_url": reverse(
                "epreuve_grid_cell", kwargs={"org_slug": org_slug, "epreuve_id": epreuve.public_id}
            ),
            "details_url": reverse(
                "epreuve_grid_details", kwargs={"org_slug": org_slug, "epreuve_id": epreuve.public_id}
            ),
        },
    )


@require_capability("results.record")
@require_POST
def epreuve_grid_cell(request, org_slug, epreuve_id):
    """htmx autosave of one cell: answers the cell's status line (never a full page)."""
    epreuve = selectors.epreuve_get(public_id=epreuve_id, actor=request.membership)
    dossier_id, cible, valeur = (
        request.POST.get("dossier", ""),
        request.POST.get("cible", ""),
        request.POST.get("valeur", ""),
    )
    context = {"ok": False, "message": ""}
    try:
        dossier = dossier_get(public_id=dossier_id, actor=request.membership)
        if valeur.strip() == "":
            raise ApplicationError("Valeur vide : rien n'est enregistré.")
        out = services.epreuve_mark(
            epreuve=epreuve, dossier=dossier, by=request.membership, cible=cible, valeur=valeur
        )
    except ApplicationError as exc:
        context["message"] = exc.message
    except Http404:
        context["message"] = "Candidat introuvable."
    else:
        context.update(ok=True, double=epreuve.double_correction, valide=getattr(out, "valide", False))
    return render(request, "evaluations/partials/cell_status.html", context)


@require_capability("results.record")
@require_http_methods(["GET", "POST"])
def epreuve_grid_details(request, org_slug, epreuve_id):
    """One cell's critères observed and comment: GET loads them when the cell opens (htmx), POST
    autosaves them and answers the cell's status line. Never a full page."""
    epreuve = selectors.epreuve_get(public_id=epreuve_id, actor=request.membership)
    data = request.POST if request.method == "POST" else request.GET
    context = {"ok": False, "message": "", "details": True}
    try:
        dossier = dossier_get(public_id=data.get("dossier", ""), actor=request.membership)
        if request.method == "GET":
            cible = services.epreuve_cible(epreuve, data.get("cible", ""))
            inscription = epreuve.inscriptions.filter(dossier=dossier).first()
            if inscription is None:
                raise Http404
            context = selectors.grid_cell_details(epreuve=epreuve, dossier=dossier, cible=cible)
            context.update(
                epreuve=epreuve,
                dossier=dossier,
                cible=cible,
                key=f"{inscription.pk}-{cible['index']}",  # the grid cell's own key
                details_url=reverse(
                    "epreuve_grid_details", kwargs={"org_slug": org_slug, "epreuve_id": epreuve.public_id}
                ),
            )
            return render(request, "evaluations/partials/cell_details.html", context)
        services.resultat_details_record(
            epreuve=epreuve,
            dossier=dossier,
            by=request.membership,
            cible=data.get("cible", ""),
            criteres_observes=data.getlist("criteres"),
            commentaire=data.get("commentaire", ""),
        )
    except ApplicationError as exc:
        context["message"] = exc.message
    except Http404:
        context["message"] = "Candidat introuvable."
    else:
        context["ok"] = True
    return render(request, "evaluations/partials/cell_status.html", context)


@require_capability("results.validate")
@require_POST
def epreuve_validate(request, org_slug, epreuve_id):
    epreuve = selectors.epreuve_get(public_id=epreuve_id, actor=request.membership)
    try:
        count = services.epreuve_results_validate(epreuve=epreuve, by=request.membership)
    except ApplicationError as exc:  # a CQPM: the commission's screen, candidate by candidate
        messages.error(request, exc.message)
        return redirect("epreuve_grid", org_slug=org_slug, epreuve_id=epreuve.public_id)
    validateur = _validateur(epreuve.session.referentiel)
    messages.success(
        request, f"{count} résultat(s) validé(s)" + (f" par la {validateur}." if validateur else ".")
    )
    return redirect("epreuve_grid", org_slug=org_slug, epreuve_id=epreuve.public_id)


@require_capability("results.validate")
@require_POST
def correction_resolve(request, org_slug, epreuve_id):
    epreuve = selectors.epreuve_get(public_id=epreuve_id, actor=request.membership)
    form = ResolutionForm(request.POST)
    try:
        dossier = dossier_get(public_id=request.POST.get("dossier", ""), actor=request.membership)
        if not form.is_valid():
            raise ApplicationError("Indiquez la valeur retenue et le motif.")
        services.correction_resolve(
            epreuve=epreuve,
            dossier=dossier,
            by=request.membership,
            cible=request.POST.get("cible", ""),
            **form.cleaned_data,
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Désaccord résolu : la valeur retenue est enregistrée.")
    return _grid_back(request, org_slug, epreuve)
