"""Pages of sessions and épreuves: sessions, contrôle continu import, épreuves, candidates,
convocations, émargement, presence and incidents, and the session's readiness for the jury."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from candidates.models import Dossier
from core.errors import ApplicationError
from core.outcomes import service_outcome
from evaluations import controle_continu, selectors, services
from evaluations.forms import (
    MOTIF_CHOICES,
    PRESENCE_CHOICES,
    ControleContinuImportForm,
    ConvocationForm,
    EpreuveForm,
    IncidentForm,
    PresenceForm,
    SessionForm,
)
from evaluations.views._common import form_error, pdf_response
from organisations.permissions import membership_can, require_capability

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
            form_error(form, exc)
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
            form_error(form, exc)
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
            form_error(form, exc)
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
        "presence_choices": PRESENCE_CHOICES,
        "motif_choices": MOTIF_CHOICES,
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

    def add():
        if not dossiers:
            raise ApplicationError("Cochez au moins un dossier à inscrire.")
        return services.epreuve_candidats_add(epreuve=epreuve, by=request.membership, dossiers=dossiers)

    service_outcome(request, add, lambda added: f"{len(added)} candidat(s) inscrit(s) à l'épreuve.")
    return redirect("epreuve_detail", org_slug=org_slug, epreuve_id=epreuve.public_id)


@require_capability("sessions.manage")
@require_POST
def epreuve_delete(request, org_slug, epreuve_id):
    epreuve = selectors.epreuve_get(public_id=epreuve_id, actor=request.membership)
    session = epreuve.session
    deleted = service_outcome(
        request,
        lambda: services.epreuve_delete(epreuve=epreuve, by=request.membership),
        lambda _: f"Épreuve « {epreuve.intitule} » supprimée.",
    )
    if not deleted.ok:
        return redirect("epreuve_detail", org_slug=org_slug, epreuve_id=epreuve.public_id)
    return redirect("session_detail", org_slug=org_slug, session_id=session.public_id)


@require_capability("sessions.manage")
@require_POST
def inscription_remove(request, org_slug, inscription_id):
    inscription = selectors.inscription_get(public_id=inscription_id, actor=request.membership)
    epreuve = inscription.epreuve
    service_outcome(
        request,
        lambda: services.epreuve_candidat_remove(inscription=inscription, by=request.membership),
        lambda _: f"{inscription.dossier.candidate} retiré(e) de l'épreuve.",
    )
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
            form_error(form, exc)
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
    return pdf_response(
        emargement_pdf(epreuve, by=request.membership), f"emargement-{epreuve.date:%Y%m%d}.pdf"
    )


@require_capability("convocations.send")
@require_GET
def convocation_download(request, org_slug, convocation_id):
    from documents.selectors import document_file_read

    convocation = selectors.convocation_get(public_id=convocation_id, actor=request.membership)
    if convocation.document is None or not convocation.document.file:
        raise Http404
    name = f"convocation-{convocation.inscription.dossier.candidate.nom_naissance.lower()}-{convocation.numero_envoi}.pdf"
    return pdf_response(document_file_read(document=convocation.document), name)


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
