"""HTML pages of evaluations: parse, call a service or selector, render. Nothing else."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from candidates.models import Dossier
from candidates.selectors import dossier_get
from core.errors import ApplicationError
from evaluations import controle_continu, selectors, services
from evaluations.forms import (
    AVIS_CHOICES,
    AvisExtendForm,
    AvisLinkAcceptForm,
    AvisRequestForm,
    ControleContinuImportForm,
    ConvocationForm,
    EpreuveForm,
    IncidentForm,
    PresenceForm,
    ResolutionForm,
    SessionForm,
    SuiviForm,
)
from evaluations.models import Resultat
from evaluations.tuteur_note import current_note, tuteur_composante
from organisations.permissions import membership_can, require_capability
from organisations.roles import Role


def _form_error(form, exc: ApplicationError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def _pdf(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


# --- sessions and épreuves -------------------------------------------------------------------


@require_capability("sessions.manage")
@require_http_methods(["GET", "POST"])
def session_list(request, org_slug):
    from candidates.selectors import referentiels_for_dossiers

    form = SessionForm(
        request.POST or None, referentiels=referentiels_for_dossiers(organisation=request.organisation)
    )
    if request.method == "POST" and form.is_valid():
        try:
            session = services.session_create(by=request.membership, **form.cleaned_data)
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, f"Session « {session.intitule} » créée : ajoutez ses épreuves.")
            return redirect("session_detail", org_slug=org_slug, session_id=session.public_id)
    return render(
        request,
        "evaluations/session_list.html",
        {"sessions": selectors.session_list()[:200], "form": form},
        status=400 if form.errors else 200,
    )


@require_capability("sessions.manage")
@require_http_methods(["GET", "POST"])
def session_detail(request, org_slug, session_id):
    session = selectors.session_get(public_id=session_id, actor=request.membership)
    form = EpreuveForm(
        request.POST or None,
        session=session,
        evaluateurs=list(selectors.evaluateurs_disponibles(organisation=request.organisation)),
        initial={"lieu": session.lieu, "heure_debut": "09:00"},
    )
    if request.method == "POST" and form.is_valid():
        try:
            epreuve = services.epreuve_create(
                session=session, by=request.membership, **form.service_fields(session)
            )
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, f"Épreuve « {epreuve.intitule} » planifiée le {epreuve.date:%d/%m/%Y}.")
            return redirect("epreuve_detail", org_slug=org_slug, epreuve_id=epreuve.public_id)
    return render(
        request,
        "evaluations/session_detail.html",
        {
            "session": session,
            "epreuves": selectors.epreuve_list(session=session),
            "form": form,
            "rattrapages": selectors.rattrapages_a_organiser(session=session),
            "has_controle_continu": controle_continu.has_controle_continu(session.referentiel),
        },
        status=400 if form.errors else 200,
    )


@require_capability("sessions.manage")
@require_http_methods(["GET", "POST"])
def session_controle_continu(request, org_slug, session_id):
    """The contrôle continu of every dossier of a session: table, pre-filled template, import
    with a dry run (per-row errors) before anything is written."""
    session = selectors.session_get(public_id=session_id, actor=request.membership)
    if not controle_continu.has_controle_continu(session.referentiel):
        return render(
            request, "evaluations/session_controle_continu.html", {"session": session, "sans_cc": True}
        )
    table = controle_continu.session_table(session)
    if request.GET.get("format") == "csv":
        response = HttpResponse(
            controle_continu.template_csv(session), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = 'attachment; filename="controle-continu.csv"'
        return response
    form = ControleContinuImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        try:
            report = controle_continu.session_import(
                session=session,
                by=request.membership,
                data=form.cleaned_data["data"],
                file_format=form.cleaned_data["file_format"],
                dry_run=request.POST.get("action") != "importer",
            )
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            if report.written:
                messages.success(request, f"Contrôle continu importé : {report.changed} note(s) modifiée(s).")
                return redirect("session_controle_continu", org_slug=org_slug, session_id=session.public_id)
    return render(
        request,
        "evaluations/session_controle_continu.html",
        {"session": session, "table": table, "form": form, "report": report},
        status=400 if form.errors or (report and (report.error or report.errors)) else 200,
    )


def _epreuve_context(request, epreuve, **extra) -> dict:
    inscriptions = list(selectors.epreuve_inscriptions(epreuve=epreuve))
    for i in inscriptions:
        i.duree = services.duree_candidat(
            epreuve.duree_minutes, tiers_temps=i.dossier.amenagement_tiers_temps
        )
        i.duree_texte = services.duree_affichee(i.duree)
        convocations = list(i.convocations.all())
        i.derniere_convocation = convocations[-1] if convocations else None
    return {
        "epreuve": epreuve,
        "session": epreuve.session,
        "inscriptions": inscriptions,
        "assignable": selectors.dossiers_assignable(epreuve=epreuve)[:300],
        "convocation_form": extra.pop("convocation_form", None) or ConvocationForm(),
        "presence_choices": PresenceForm.base_fields["presence"].choices,
        "motif_choices": PresenceForm.base_fields["motif"].choices,
        "incident_form": IncidentForm(),
        "cibles": services.epreuve_cibles(epreuve),
        "debut_a_venir": services.start_ahead(epreuve),
        "modalite_label": services.modalite_label(epreuve.modalite, epreuve.session.referentiel.mot_capacite)
        if epreuve.modalite
        else "",
        "duree_base": services.duree_affichee(epreuve.duree_minutes),
        "duree_tiers": services.duree_affichee(
            services.duree_candidat(epreuve.duree_minutes, tiers_temps=True)
        ),
        **extra,
    }


@require_capability("sessions.manage")
@require_GET
def epreuve_detail(request, org_slug, epreuve_id):
    epreuve = selectors.epreuve_get(public_id=epreuve_id, actor=request.membership)
    return render(request, "evaluations/epreuve_detail.html", _epreuve_context(request, epreuve))


@require_capability("sessions.manage")
@require_POST
def epreuve_candidats(request, org_slug, epreuve_id):
    epreuve = selectors.epreuve_get(public_id=epreuve_id, actor=request.membership)
    ids = request.POST.getlist("dossiers")
    dossiers = list(
        selectors.dossiers_assignable(epreuve=epreuve).filter(public_id__in=[i for i in ids if len(i) == 36])
    )
    try:
        if not dossiers:
            raise ApplicationError("Cochez au moins un dossier à inscrire.")
        added = services.epreuve_candidats_add(epreuve=epreuve, by=request.membership, dossiers=dossiers)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{len(added)} candidat(s) inscrit(s) à l'épreuve.")
    return redirect("epreuve_detail", org_slug=org_slug, epreuve_id=epreuve.public_id)


@require_capability("sessions.manage")
@require_POST
def epreuve_delete(request, org_slug, epreuve_id):
    epreuve = selectors.epreuve_get(public_id=epreuve_id, actor=request.membership)
    session = epreuve.session
    try:
        services.epreuve_delete(epreuve=epreuve, by=request.membership)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("epreuve_detail", org_slug=org_slug, epreuve_id=epreuve.public_id)
    messages.success(request, f"Épreuve « {epreuve.intitule} » supprimée.")
    return redirect("session_detail", org_slug=org_slug, session_id=session.public_id)


@require_capability("sessions.manage")
@require_POST
def inscription_remove(request, org_slug, inscription_id):
    inscription = selectors.inscription_get(public_id=inscription_id, actor=request.membership)
    epreuve = inscription.epreuve
    try:
        services.epreuve_candidat_remove(inscription=inscription, by=request.membership)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{inscription.dossier.candidate} retiré(e) de l'épreuve.")
    return redirect("epreuve_detail", org_slug=org_slug, epreuve_id=epreuve.public_id)


@require_capability("convocations.send")
@require_POST
def epreuve_convocations(request, org_slug, epreuve_id):
    epreuve = selectors.epreuve_get(public_id=epreuve_id, actor=request.membership)
    form = ConvocationForm(request.POST)
    if form.is_valid():
        try:
            created = services.convocations_send(epreuve=epreuve, by=request.membership, **form.cleaned_data)
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            if created:
                messages.success(
                    request, f"{len(created)} convocation(s) en cours d'envoi (PDF joint à l'e-mail)."
                )
            else:
                messages.info(
                    request,
                    "Tous les candidats sont déjà convoqués : cochez « Renvoyer » pour un nouvel envoi.",
                )
            return redirect("epreuve_detail", org_slug=org_slug, epreuve_id=epreuve.public_id)
    return render(
        request,
        "evaluations/epreuve_detail.html",
        _epreuve_context(request, epreuve, convocation_form=form),
        status=400,
    )


@require_capability("sessions.manage")
@require_GET
def epreuve_emargement(request, org_slug, epreuve_id):
    from evaluations.documents import emargement_pdf

    epreuve = selectors.epreuve_get(public_id=epreuve_id, actor=request.membership)
    return _pdf(emargement_pdf(epreuve, by=request.membership), f"emargement-{epreuve.date:%Y%m%d}.pdf")


@require_capability("convocations.send")
@require_GET
def convocation_download(request, org_slug, convocation_id):
    from documents.selectors import document_file_read

    convocation = selectors.convocation_get(public_id=convocation_id, actor=request.membership)
    if convocation.document is None or not convocation.document.file:
        raise Http404
    name = f"convocation-{convocation.inscription.dossier.candidate.nom_naissance.lower()}-{convocation.numero_envoi}.pdf"
    return _pdf(document_file_read(document=convocation.document), name)


@require_capability("attendance.record")
@require_POST
def presence_record(request, org_slug, inscription_id):
    inscription = selectors.inscription_get(public_id=inscription_id, actor=request.membership)
    form = PresenceForm(request.POST)
    try:
        if not form.is_valid():
            raise ApplicationError("Indiquez la présence du candidat.")
        services.presence_record(
            inscription=inscription,
            by=request.membership,
            presence=form.cleaned_data["presence"],
            motif=form.cleaned_data["motif"],
            justification=form.cleaned_data["justification"],
            uploaded_file=request.FILES.get("justificatif"),
        )
    except ApplicationError as exc:
        messages.error(request, f"{inscription.dossier.candidate} : {exc.message}")
    else:
        messages.success(request, f"Présence de {inscription.dossier.candidate} enregistrée.")
    return redirect(
        reverse("epreuve_detail", kwargs={"org_slug": org_slug, "epreuve_id": inscription.epreuve.public_id})
        + "#emargement"
    )


@require_capability("attendance.record")
@require_POST
def incident_record(request, org_slug, inscription_id):
    inscription = selectors.inscription_get(public_id=inscription_id, actor=request.membership)
    form = IncidentForm(request.POST)
    try:
        if not form.is_valid():
            raise ApplicationError("Complétez la nature, le procès-verbal et le contreseing.")
        services.incident_record(inscription=inscription, by=request.membership, **form.cleaned_data)
    except ApplicationError as exc:
        messages.error(request, f"{inscription.dossier.candidate} : {exc.message}")
    else:
        messages.warning(request, f"Incident enregistré pour {inscription.dossier.candidate}.")
    return redirect(
        reverse("epreuve_detail", kwargs={"org_slug": org_slug, "epreuve_id": inscription.epreuve.public_id})
        + "#emargement"
    )


# --- readiness ---------------------------------------------------------------------------------


@require_capability("results.view")
@require_http_methods(["GET", "POST"])
def session_readiness(request, org_slug, session_id):
    from candidates.services import dossier_transition

    session = selectors.session_get(public_id=session_id, actor=request.membership)
    if request.method == "POST":
        if not membership_can(request, "dossiers.transition"):
            raise PermissionDenied("Votre rôle ne permet pas de changer l'état des dossiers.")
        moved, refused = 0, []
        for row in selectors.session_readiness(session=session, actor=request.membership):
            if row["ready"]:
                try:
                    dossier_transition(
                        dossier=row["dossier"],
                        to=Dossier.Status.PRET_POUR_JURY,
                        by=request.membership,
                        reason=f"Session « {session.intitule} » complète",
                    )
                    moved += 1
                except ApplicationError as exc:
                    refused.append(f"{row['candidate']} : {exc.message}")
        if moved:
            messages.success(request, f"{moved} dossier(s) prêt(s) pour le jury.")
        for r in refused:
            messages.error(request, r)
        if not moved and not refused:
            messages.info(request, "Aucun dossier complet à transmettre au jury.")
        return redirect("session_readiness", org_slug=org_slug, session_id=session.public_id)
    rows = selectors.session_readiness(session=session, actor=request.membership)
    return render(
        request,
        "evaluations/session_readiness.html",
        {
            "session": session,
            "rows": rows,
            "nb_ready": sum(r["ready"] for r in rows),
            "can_transition": membership_can(request, "dossiers.transition"),
        },
    )


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
            "can_validate": membership_can(request, "results.validate"),
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
    count = services.epreuve_results_validate(epreuve=epreuve, by=request.membership)
    messages.success(request, f"{count} résultat(s) validé(s) par la commission d'évaluation.")
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


# --- a dossier's results -------------------------------------------------------------------------


@require_capability("results.view")
@require_http_methods(["GET", "POST"])
def dossier_results(request, org_slug, dossier_id):
    dossier = dossier_get(public_id=dossier_id, actor=request.membership)
    suivi_form = SuiviForm(request.POST or None) if request.POST.get("action") == "suivi" else SuiviForm()
    if request.method == "POST":
        try:
            if request.POST.get("action") == "suivi":
                if not membership_can(request, "attendance.record"):
                    raise PermissionDenied
                if not suivi_form.is_valid():
                    raise ApplicationError("Taux d'absence invalide (0 à 100 %).")
                services.suivi_update(
                    dossier=dossier,
                    by=request.membership,
                    taux_absence=suivi_form.cleaned_data["taux_absence"],
                )
                messages.success(request, "Taux d'absence enregistré.")
            elif request.POST.get("action") == "controle_continu":
                if not membership_can(request, "results.record"):
                    raise PermissionDenied
                valeurs = {
                    key[len("cc-") :]: value for key, value in request.POST.items() if key.startswith("cc-")
                }
                changed = controle_continu.cc_record_many(
                    dossier=dossier, by=request.membership, valeurs=valeurs
                )
                messages.success(request, f"Contrôle continu enregistré ({changed} bloc(s) modifié(s)).")
            elif request.POST.get("action") == "note_tuteur":
                if not membership_can(request, "results.record"):
                    raise PermissionDenied
                from evaluations.tuteur_note import note_record

                note_record(
                    dossier=dossier,
                    by=request.membership,
                    points=request.POST.get("points", ""),
                    pour_le_compte_de=str(dossier.tuteur) if dossier.tuteur_id else "(tuteur non renseigné)",
                )
                messages.success(request, "Note du tuteur enregistrée pour son compte.")
            elif request.POST.get("action") == "absence":
                if not membership_can(request, "attendance.record"):
                    raise PermissionDenied
                from evaluations.absences import absence_record, partie_get

                resultat = absence_record(
                    dossier=dossier,
                    by=request.membership,
                    partie=request.POST.get("partie", ""),
                    motif=request.POST.get("motif", ""),
                    justification=request.POST.get("justification", ""),
                    uploaded_file=request.FILES.get("justificatif"),
                )
                libelle = partie_get(dossier, request.POST.get("partie", "")).libelle
                messages.success(request, f"Absence enregistrée : {libelle}.")
            elif request.POST.get("action") == "fraude":
                if not membership_can(request, "juries.deliberate"):
                    raise PermissionDenied
                from evaluations.hooks import fraud_decide

                sanction = fraud_decide(
                    dossier=dossier,
                    by=request.membership,
                    nature=request.POST.get("nature", ""),
                    motif=request.POST.get("motif", ""),
                )
                messages.success(
                    request,
                    f"Décision du jury enregistrée : {sanction.get_nature_display()}, jusqu'au {sanction.fin:%d/%m/%Y}."
                    if sanction
                    else "Décision du jury enregistrée : fraude non retenue.",
                )
            elif request.POST.get("action") == "valider":
                if not membership_can(request, "results.validate"):
                    raise PermissionDenied
                resultat = selectors.resultat_get(dossier=dossier, public_id=request.POST.get("resultat", ""))
                services.resultat_validate(resultat=resultat, by=request.membership)
                messages.success(request, "Résultat validé par la commission d'évaluation.")
        except ApplicationError as exc:
            messages.error(request, exc.message)
        return redirect("dossier_results", org_slug=org_slug, dossier_id=dossier.public_id)
    context = selectors.dossier_results_view(dossier=dossier)
    incidents = _fraud_incidents(dossier)
    context.update(
        dossier=dossier,
        candidate=dossier.candidate,
        suivi_form=suivi_form,
        can_validate=membership_can(request, "results.validate"),
        can_suivi=membership_can(request, "attendance.record"),
        can_record=membership_can(request, "results.record"),
        can_statuer_fraude=membership_can(request, "juries.deliberate"),
        tuteur_composante=tuteur_composante(dossier),
        note_tuteur=current_note(dossier),
        incidents_fraude=incidents,
        fraude_en_attente=any(not i.decision for i in incidents),
        cc_rows=controle_continu.cc_rows(dossier),
        **_absence_context(dossier),
    )
    return render(request, "evaluations/dossier_results.html", context)


def _absence_context(dossier) -> dict:
    from evaluations.absences import MOTIF_CHOICES, absences_of, parties

    known = parties(dossier)
    return {
        "absence_parties": known,
        "absence_motifs": MOTIF_CHOICES,
        "absences": absences_of(dossier, known),
    }


@require_capability("results.validate")
@require_http_methods(["GET", "POST"])
def dossier_commission(request, org_slug, dossier_id):
    """The commission d'évaluation, per capacité: evaluations, avis de l'entreprise, entretien → decision."""

    dossier = dossier_get(public_id=dossier_id, actor=request.membership)
    errors = {}
    entretien_error = ""
    if request.method == "POST" and request.POST.get("action") == "entretien":
        from evaluations.entretiens import entretien_record

        try:
            try:
                day = dt.date.fromisoformat(request.POST.get("date", ""))
            except ValueError:
                raise ApplicationError("Date de l'entretien invalide (jj/mm/aaaa).", field="date") from None
            codes = [k[len("conclusion-") :] for k in request.POST if k.startswith("conclusion-")]
            entretien_record(
                dossier=dossier,
                by=request.membership,
                date=day,
                participants=request.POST.get("participants", ""),
                conclusions={
                    code: (
                        request.POST.get(f"conclusion-{code}", ""),
                        request.POST.get(f"commentaire-{code}", ""),
                    )
                    for code in codes
                },
            )
        except ApplicationError as exc:
            entretien_error = exc.message
        else:
            messages.success(request, "Entretien enregistré.")
            return redirect("dossier_commission", org_slug=org_slug, dossier_id=dossier.public_id)
    elif request.method == "POST":
        resultat = selectors.resultat_get(
            dossier=dossier, public_id=request.POST.get("resultat", ""), kind=Resultat.Kind.CAPACITE
        )
        try:
            services.commission_decide(
                resultat=resultat,
                by=request.membership,
                decision=request.POST.get("decision", ""),
                motivation=request.POST.get("motivation", ""),
                membres=request.POST.get("membres", ""),
            )
        except ApplicationError as exc:
            errors[resultat.pk] = exc.message
        else:
            messages.success(
                request,
                f"{dossier.referentiel.mot_capacite.capitalize()} {resultat.capacite.code} : décision de la commission enregistrée.",
            )
            return redirect(
                reverse("dossier_commission", kwargs={"org_slug": org_slug, "dossier_id": dossier.public_id})
                + f"#cap-{resultat.capacite_id}"
            )
    rows = selectors.commission_rows(dossier=dossier)
    for row in rows:
        row.error = errors.get(row.resultat.pk) if row.resultat else None
        if row.error:
            row.posted = {
                "decision": request.POST.get("decision", ""),
                "motivation": request.POST.get("motivation", ""),
                "membres": request.POST.get("membres", ""),
            }
    return render(
        request,
        "evaluations/dossier_commission.html",
        {
            "dossier": dossier,
            "candidate": dossier.candidate,
            "rows": rows,
            "grid": _is_grid(dossier),
            "entretien_error": entretien_error,
            "posted": request.POST if entretien_error else {},
            "today": timezone.localdate(),
        },
        status=400 if errors or entretien_error else 200,
    )


def _fraud_incidents(dossier) -> list:
    from evaluations.selectors import fraud_incidents

    return list(fraud_incidents(dossier))


def _is_grid(dossier) -> bool:
    from referentiels.regles import regle_parse

    return regle_parse(dossier.referentiel.regle).par_points


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
            _form_error(form, exc)
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
            _form_error(form, exc)
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
