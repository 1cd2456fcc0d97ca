"""HTML pages of candidates and dossiers: parse, call a service or selector, render. Nothing else."""

import datetime as dt
import io

from django.contrib import messages
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from candidates import rgpd, selectors, services
from candidates.forms import CandidateForm, DossierForm, EraseForm, ImportForm, PieceForm, TransitionForm
from candidates.importer import template_csv
from candidates.models import Dossier, ImportJob
from candidates.plan_check import dossier_plan_check
from core.errors import ApplicationError
from core.exports import csv_writer, xlsx_append
from core.outcomes import service_outcome
from core.pagination import EstimatedCountPaginator
from organisations.permissions import membership_can, require_capability

PAGE_SIZE = 25


def _form_error(form, exc: ApplicationError) -> None:
    field = exc.field if exc.field in form.fields else None
    if field is None and exc.field and exc.field.startswith("naissance_") and "date_naissance" in form.fields:
        field = "date_naissance"
    form.add_error(field, exc.message)


# --- list and export -----------------------------------------------------------------------


def _list_context(request) -> dict:
    filters = selectors.CandidateFilters.from_params(request.GET)
    page = EstimatedCountPaginator(
        selectors.candidate_list(filters=filters, actor=request.membership), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return {
        "filters": filters,
        "page": page,
        "querystring": params.urlencode(),
        "referentiels": selectors.referentiel_codes_for_dossiers(organisation=request.organisation),
        "statuses": Dossier.Status.choices,
        "sessions": selectors.session_choices(),
        "decisions": [c for c in Dossier.Decision.choices if c[0]],
        "voies": Dossier.VoieAcces.choices,
        "sorts": [
            ("nom", "Nom (A→Z)"),
            ("-nom", "Nom (Z→A)"),
            ("naissance", "Date de naissance"),
            ("-cree", "Derniers créés"),
        ],
    }


@require_capability("candidates.view")
@require_GET
def candidate_list(request, org_slug):
    return render(request, "candidates/list.html", _list_context(request))


EXPORT_COLUMNS = [
    ("Nom de naissance", lambda c, d: c.nom_naissance),
    ("Nom d'usage", lambda c, d: c.nom_usage),
    ("Prénoms", lambda c, d: c.prenoms),
    ("Sexe", lambda c, d: c.sexe),
    ("Date de naissance", lambda c, d: c.naissance_date_affichee),
    ("Commune de naissance", lambda c, d: c.naissance_commune),
    ("Code INSEE", lambda c, d: c.naissance_code_insee),
    ("E-mail", lambda c, d: c.email),
    ("Référentiel", lambda c, d: d.referentiel.code if d else ""),
    ("Version", lambda c, d: d.referentiel.version if d else ""),
    ("État", lambda c, d: d.get_status_display() if d else ""),
    ("Décision", lambda c, d: d.get_decision_display() if d and d.decision else ""),
    ("Voie d'accès", lambda c, d: d.get_voie_acces_display() if d else ""),
    ("Tentative", lambda c, d: d.attempt if d else ""),
    ("Date d'inscription", lambda c, d: d.date_inscription.strftime("%d/%m/%Y") if d else ""),
    ("Tiers-temps", lambda c, d: ("oui" if d.amenagement_tiers_temps else "non") if d else ""),
]


def _export_rows(filters):
    """One row per dossier matching the filters (a candidate without dossier gets one row)."""
    matching = selectors.dossier_ids_matching(filters)
    # Export needs candidates.export (admins and gestionnaires): every dossier of the centre.
    for candidate in selectors.candidate_list(filters=filters).iterator(chunk_size=500):
        dossiers = [d for d in candidate.dossiers.all() if matching is None or d.pk in matching]
        for dossier in dossiers or [None]:
            yield [str(fn(candidate, dossier)) for _label, fn in EXPORT_COLUMNS]


class _Echo:
    def write(self, value):
        return value


@require_capability("candidates.export")
@require_GET
def candidate_export(request, org_slug, fmt):
    filters = selectors.CandidateFilters.from_params(request.GET)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "xlsx":
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("Candidats")
        xlsx_append(sheet, [label for label, _fn in EXPORT_COLUMNS])
        for row in _export_rows(filters):
            xlsx_append(sheet, row)
        out = io.BytesIO()
        workbook.save(out)
        response = HttpResponse(
            out.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        response["Content-Disposition"] = f'attachment; filename="candidats-{stamp}.xlsx"'
        return response
    if fmt != "csv":
        raise Http404
    # The rows are built while the tenant scope is active: materialise them here.
    writer = csv_writer(_Echo(), delimiter=";")
    lines = ["\ufeff" + writer.writerow([label for label, _fn in EXPORT_COLUMNS])]
    lines += [writer.writerow(row) for row in _export_rows(filters)]
    response = StreamingHttpResponse(iter(lines), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="candidats-{stamp}.csv"'
    return response


# --- candidates ----------------------------------------------------------------------------


@require_capability("candidates.edit")
@require_http_methods(["GET", "POST"])
def candidate_create(request, org_slug):
    form = CandidateForm(request.POST or None)
    form.enable_inline_validation(org_slug)
    if request.method == "POST" and form.is_valid():
        try:
            candidate = services.candidate_create(by=request.membership, **form.service_fields())
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, f"Candidat {candidate.nom_complet} enregistré.")
            return redirect("candidate_detail", org_slug=org_slug, candidate_id=candidate.public_id)
    return render(
        request, "candidates/candidate_form.html", {"form": form}, status=400 if form.errors else 200
    )


@require_capability("candidates.edit")
@require_POST
def candidate_validate(request, org_slug):
    """htmx: re-render one field with its errors (the one that changed: ``HX-Trigger-Name``)."""
    form = CandidateForm(request.POST)
    form.enable_inline_validation(org_slug)
    name = request.headers.get("HX-Trigger-Name", "")
    if name not in form.fields:
        return HttpResponse(status=204)
    form.is_valid()
    # Only the field being edited shows its errors; the others are not filled in yet.
    html = render_to_string(
        "candidates/partials/field.html", {"field": form[name], "show_errors": True}, request=request
    )
    return HttpResponse(html)


@require_capability("candidates.view")
@require_GET
def candidate_detail(request, org_slug, candidate_id):
    candidate = selectors.candidate_get(public_id=candidate_id, actor=request.membership)
    dossiers = (
        selectors.dossier_list(actor=request.membership).filter(candidate=candidate).order_by("-created_at")
    )
    return render(
        request,
        "candidates/candidate_detail.html",
        {"candidate": candidate, "dossiers": dossiers, "erase_form": EraseForm()},
    )


@require_capability("candidates.edit")
@require_http_methods(["GET", "POST"])
def candidate_edit(request, org_slug, candidate_id):
    candidate = selectors.candidate_get(public_id=candidate_id, actor=request.membership)
    form = CandidateForm(
        request.POST or None,
        instance=selectors.candidate_get(public_id=candidate_id, actor=request.membership),
    )
    form.enable_inline_validation(org_slug)
    if request.method == "POST" and form.is_valid():
        try:
            services.candidate_update(candidate=candidate, by=request.membership, **form.service_fields())
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, "Identité mise à jour.")
            return redirect("candidate_detail", org_slug=org_slug, candidate_id=candidate.public_id)
    return render(
        request,
        "candidates/candidate_form.html",
        {"form": form, "candidate": candidate},
        status=400 if form.errors else 200,
    )


@require_capability("candidates.rgpd")
@require_GET
def candidate_rgpd_export(request, org_slug, candidate_id):
    candidate = selectors.candidate_get(public_id=candidate_id, actor=request.membership)
    archive = rgpd.candidate_rgpd_export(candidate=candidate, by=request.membership)
    return FileResponse(
        archive,
        as_attachment=True,
        filename=f"rgpd-{candidate.public_id}.zip",
        content_type="application/zip",
    )


@require_capability("candidates.rgpd")
@require_POST
def candidate_erase(request, org_slug, candidate_id):
    candidate = selectors.candidate_get(public_id=candidate_id, actor=request.membership)
    form = EraseForm(request.POST)
    try:
        if not form.is_valid():
            raise ApplicationError("Indiquez le motif de l'effacement.")
        rgpd.candidate_erase(candidate=candidate, by=request.membership, reason=form.cleaned_data["reason"])
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Données personnelles effacées selon la règle de conservation.")
    return redirect("candidate_detail", org_slug=org_slug, candidate_id=candidate.public_id)


# --- dossiers ------------------------------------------------------------------------------


def _entreprise_tuteur(request, form) -> dict:
    """Create the entreprise / tuteur typed in the dossier form, through their services."""
    fields = form.dossier_fields()
    data = form.cleaned_data
    if data.get("nouvelle_entreprise_siret"):
        fields["entreprise"] = services.entreprise_create(
            by=request.membership,
            siret=data["nouvelle_entreprise_siret"],
            raison_sociale=data["nouvelle_entreprise_nom"],
        )
    if data.get("nouveau_tuteur_email"):
        fields["tuteur"] = services.tuteur_create(
            by=request.membership,
            nom=data["nouveau_tuteur_nom"],
            prenom=data["nouveau_tuteur_prenom"],
            email=data["nouveau_tuteur_email"],
            entreprise=fields.get("entreprise"),
        )
    return fields


@require_capability("candidates.edit")
@require_http_methods(["GET", "POST"])
def dossier_create(request, org_slug, candidate_id):
    candidate = selectors.candidate_get(public_id=candidate_id, actor=request.membership)
    referentiels = selectors.referentiels_for_dossiers(organisation=request.organisation)
    form = DossierForm(
        request.POST or None, referentiels=referentiels, initial={"date_inscription": timezone.localdate()}
    )
    form.enable_inline_validation(
        org_slug, url_name="dossier_create_validate", candidate_id=candidate.public_id
    )
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                fields = _entreprise_tuteur(request, form)
                dossier = services.dossier_create(
                    by=request.membership,
                    candidate=candidate,
                    referentiel=form.cleaned_data["referentiel"],
                    **fields,
                )
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, "Dossier créé : choisissez maintenant les blocs et les modalités.")
            return redirect("dossier_detail", org_slug=org_slug, dossier_id=dossier.public_id)
    return render(
        request,
        "candidates/dossier_form.html",
        {"form": form, "candidate": candidate},
        status=400 if form.errors else 200,
    )


@require_capability("candidates.edit")
@require_http_methods(["GET", "POST"])
def dossier_edit(request, org_slug, dossier_id):
    dossier = selectors.dossier_get(public_id=dossier_id, actor=request.membership)
    form = DossierForm(
        request.POST or None,
        instance=selectors.dossier_get(public_id=dossier_id, actor=request.membership),
        referentiels=None,
    )
    form.enable_inline_validation(org_slug, url_name="dossier_edit_validate", dossier_id=dossier.public_id)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                services.dossier_update(
                    dossier=dossier, by=request.membership, **_entreprise_tuteur(request, form)
                )
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, "Dossier mis à jour.")
            return redirect("dossier_detail", org_slug=org_slug, dossier_id=dossier.public_id)
    return render(
        request,
        "candidates/dossier_form.html",
        {"form": form, "candidate": dossier.candidate, "dossier": dossier},
        status=400 if form.errors else 200,
    )


def _dossier_field(request, form, *, candidate=None, dossier=None) -> HttpResponse:
    """htmx: the field that changed (``HX-Trigger-Name``) re-rendered with the form's errors and
    what the dossier services would refuse (:func:`services.dossier_field_errors`)."""
    name = request.headers.get("HX-Trigger-Name", "")
    if name not in form.fields:
        return HttpResponse(status=204)
    form.is_valid()
    if name not in form.errors:
        data = form.cleaned_data
        errors = services.dossier_field_errors(
            fields={k: data[k] for k in services.DOSSIER_FIELDS if k in data},
            candidate=candidate,
            referentiel=data.get("referentiel"),
            dossier=dossier,
        )
        if name == "nouvelle_entreprise_siret" and data.get(name):
            try:
                services.entreprise_siret_check(siret=data[name])
            except ApplicationError as exc:
                errors.setdefault(name, []).append(exc.message)
        for message in errors.get(name, []):
            form.add_error(name, message)
    html = render_to_string(
        "candidates/partials/field.html", {"field": form[name], "show_errors": True}, request=request
    )
    return HttpResponse(html)


@require_capability("candidates.edit")
@require_POST
def dossier_create_validate(request, org_slug, candidate_id):
    candidate = selectors.candidate_get(public_id=candidate_id, actor=request.membership)
    form = DossierForm(
        request.POST, referentiels=selectors.referentiels_for_dossiers(organisation=request.organisation)
    )
    form.enable_inline_validation(
        org_slug, url_name="dossier_create_validate", candidate_id=candidate.public_id
    )
    return _dossier_field(request, form, candidate=candidate)


@require_capability("candidates.edit")
@require_POST
def dossier_edit_validate(request, org_slug, dossier_id):
    dossier = selectors.dossier_get(public_id=dossier_id, actor=request.membership)
    form = DossierForm(
        request.POST,
        instance=selectors.dossier_get(public_id=dossier_id, actor=request.membership),
        referentiels=None,
    )
    form.enable_inline_validation(org_slug, url_name="dossier_edit_validate", dossier_id=dossier.public_id)
    return _dossier_field(request, form, dossier=dossier)


NEXT_ACTIONS = {
    Dossier.Status.BROUILLON: [(Dossier.Status.INSCRIT, "Inscrire le candidat")],
    Dossier.Status.INSCRIT: [
        (Dossier.Status.EN_EVALUATION, "Ouvrir l'évaluation"),
        (Dossier.Status.BROUILLON, "Repasser en brouillon"),
    ],
    Dossier.Status.EN_EVALUATION: [(Dossier.Status.PRET_POUR_JURY, "Déclarer prêt pour le jury")],
    Dossier.Status.PRET_POUR_JURY: [(Dossier.Status.EN_EVALUATION, "Renvoyer en évaluation")],
}


@require_capability("candidates.view")
@require_GET
def dossier_detail(request, org_slug, dossier_id):
    dossier = selectors.dossier_get_for_actor(public_id=dossier_id, actor=request.membership)
    can_transition = membership_can(request, "dossiers.transition")
    grid = selectors.dossier_grid(dossier=dossier)
    actions = []
    if can_transition:
        plan = selectors.grid_plan_snapshot(grid)  # the guards read the plan the grid has read
        for to, label in NEXT_ACTIONS.get(dossier.status, []):
            reason_required = services.TRANSITIONS[dossier.status][to]
            actions.append(
                {
                    "to": to,
                    "label": label,
                    "blockers": services.dossier_transition_blockers(dossier=dossier, to=to, plan=plan),
                    "reason_required": reason_required,
                }
            )
    rattrapage = None
    if (
        can_transition
        and dossier.status == Dossier.Status.DELIBERE
        and dossier.decision != Dossier.Decision.CERTIFIE
    ):
        from candidates.services.rattrapage import REPRISE_LIBELLES, VOIES_REDOUBLEMENT
        from referentiels.regles import regle_parse

        try:
            regle = regle_parse(dossier.referentiel.regle) if dossier.referentiel.regle else None
            rattrapage = {
                "blocs": [db.bloc.code for db in services.dossier_rattrapage_plan(dossier=dossier)],
                "refus": "",
                # seed 004 (points grid): the centre chooses rattrapage or redoublement
                "reprises": [
                    (value, REPRISE_LIBELLES[value])
                    for value in (Dossier.Reprise.RATTRAPAGE, Dossier.Reprise.REDOUBLEMENT)
                    if value == Dossier.Reprise.RATTRAPAGE or dossier.voie_acces in VOIES_REDOUBLEMENT
                ]
                if regle is not None and regle.par_points
                else [],
            }
        except ApplicationError as exc:
            rattrapage = {"blocs": [], "refus": exc.message}
    return render(
        request,
        "candidates/dossier_detail.html",
        {
            "dossier": dossier,
            "candidate": dossier.candidate,
            "grid": grid,
            "plan_bulk_types": _plan_bulk_types(grid),
            "pieces": selectors.visible_pieces(
                dossier.pieces.select_related("uploaded_by"), request.membership
            ),
            "can_see_health": selectors.may_see_health_data(request.membership),
            "timeline": dossier.transitions.select_related("by").order_by("-at", "-pk"),
            "actions": actions,
            "can_abandon": can_transition and not dossier.is_closed,
            "rattrapage": rattrapage,
            "retakes": dossier.retakes.all(),
            "piece_form": PieceForm(),
            "can_upload": membership_can(request, "pieces.upload") and not dossier.is_closed,
            "can_see_pieces": membership_can(request, "pieces.view"),
            "can_edit": membership_can(request, "candidates.edit"),
        },
    )


def _plan_bulk_types(grid) -> list[tuple[str, str]]:
    """Modalité types offered in more than one bloc's choices: « même modalité pour toute la
    certification » (a single bloc's own choice is enough otherwise)."""
    seen: dict[str, str] = {}
    rows = [row for row in grid if row.bulk_types]
    for row in rows:
        for value, label in row.bulk_types:
            seen.setdefault(value, label)
    return list(seen.items()) if len(rows) > 1 else []


def _plan_apply_bulk(post, dossier):
    """« Même modalité pour tout le bloc / toute la certification » without JavaScript (the page's
    script applies it to the dropdowns at once and resets it): each capacité that allows the chosen
    type gets it; a bloc's choice wins over the certification's; the others keep theirs."""
    wanted = {k: v for k, v in post.items() if k.startswith("bulk_") and v}
    if not wanted:
        return post
    post = post.copy()
    for row in selectors.dossier_grid(dossier=dossier):
        kind = wanted.get(f"bulk_bloc_{row.bloc.pk}") or wanted.get("bulk_certification")
        if not kind:
            continue
        for cr in row.capacites:
            match = next((m for m in cr.allowed if m.type == kind), None)
            if match is not None:
                post[f"modalite_{cr.capacite.pk}"] = str(match.pk)
    return post


def _is_id(value: str) -> bool:
    # str.isdigit() accepts « ² » and other digits int() refuses: ASCII only.
    return value.isascii() and value.isdigit()


def _plan_input(post) -> tuple[list[int], dict[str, str]]:
    """Ticked blocs and the modalité per capacité; « à choisir » (empty) unsets a choice."""
    blocs = [int(b) for b in post.getlist("blocs") if _is_id(b)]
    modalites = {
        k.removeprefix("modalite_"): v for k, v in post.items() if k.startswith("modalite_") and _is_id(k[9:])
    }
    return blocs, modalites


@require_capability("candidates.edit")
@require_POST
def dossier_plan_validate(request, org_slug, dossier_id):
    """htmx: the bloc checkbox or the modalité select that changed (``HX-Trigger``: its id),
    re-rendered with what :func:`services.dossier_plan_update` would refuse — read only (a write
    here took the embedded SQLite's write lock on every change of a dropdown)."""
    dossier = selectors.dossier_get(public_id=dossier_id, actor=request.membership)
    trigger = request.headers.get("HX-Trigger", "")
    blocs, modalites = _plan_input(request.POST)
    errors = dossier_plan_check(dossier=dossier, blocs=blocs, modalites=modalites)
    for row in selectors.dossier_grid(dossier=dossier):
        if trigger == f"bloc-{row.bloc.pk}" and not (row.vise and row.vise.acquis_anterieur):
            return render(
                request,
                "candidates/partials/plan_bloc.html",
                {
                    "row": row,
                    "checked": row.bloc.pk in blocs,
                    "errors": errors.get("blocs", []),
                    "dossier": dossier,
                },
            )
        for cr in row.capacites:
            if trigger == f"modalite-{cr.capacite.pk}":
                value = modalites.get(str(cr.capacite.pk), "")
                return render(
                    request,
                    "candidates/partials/plan_modalite.html",
                    {
                        "cr": cr,
                        "selected": int(value) if _is_id(value) else None,
                        "errors": errors.get(f"modalite_{cr.capacite.pk}", [])
                        if row.bloc.pk in blocs
                        else [],
                        "dossier": dossier,
                    },
                )
    return HttpResponse(status=204)


@require_capability("candidates.edit")
@require_POST
def dossier_plan(request, org_slug, dossier_id):
    dossier = selectors.dossier_get(public_id=dossier_id, actor=request.membership)
    blocs, modalites = _plan_input(_plan_apply_bulk(request.POST, dossier))
    try:
        services.dossier_plan_update(
            dossier=dossier,
            by=request.membership,
            blocs=blocs,
            modalites=modalites,
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        # a CQPM's single implicit bloc is never named « bloc » (issue 14, point 7)
        implicite = not dossier.referentiel.blocs.filter(implicite=False).exists()
        messages.success(
            request, "Modalités enregistrées." if implicite else "Blocs et modalités enregistrés."
        )
    return redirect(
        reverse("dossier_detail", kwargs={"org_slug": org_slug, "dossier_id": dossier.public_id}) + "#plan"
    )


@require_capability("dossiers.transition")
@require_POST
def dossier_transition(request, org_slug, dossier_id):
    dossier = selectors.dossier_get(public_id=dossier_id, actor=request.membership)
    form = TransitionForm(request.POST)

    def transition():
        if not form.is_valid():
            raise ApplicationError("État demandé inconnu.")
        return services.dossier_transition(
            dossier=dossier,
            to=form.cleaned_data["to"],
            by=request.membership,
            reason=form.cleaned_data["reason"],
        )

    moved = service_outcome(request, transition, lambda d: f"Dossier passé « {d.get_status_display()} ».")
    shown = moved.value if moved.value is not None else dossier
    return redirect("dossier_detail", org_slug=org_slug, dossier_id=shown.public_id)


@require_capability("dossiers.transition")
@require_POST
def dossier_rattrapage(request, org_slug, dossier_id):
    dossier = selectors.dossier_get(public_id=dossier_id, actor=request.membership)

    def open_retake():
        courrier = request.POST.get("courrier_le", "").strip()
        try:
            courrier_le = dt.date.fromisoformat(courrier) if courrier else None
        except ValueError:
            raise ApplicationError(
                "Date du courrier recommandé invalide (jj/mm/aaaa).", field="courrier_le"
            ) from None
        return services.dossier_rattrapage_open(
            dossier=dossier,
            by=request.membership,
            reprise=request.POST.get("reprise", ""),
            courrier_le=courrier_le,
        )

    retake = service_outcome(
        request,
        open_retake,
        lambda opened: (
            f"{opened.get_reprise_display() if opened.reprise else 'Rattrapage'} ouvert (tentative {opened.attempt})."
        ),
    )
    shown = retake.value if retake.value is not None else dossier  # the new attempt, once opened
    return redirect("dossier_detail", org_slug=org_slug, dossier_id=shown.public_id)


# --- pièces --------------------------------------------------------------------------------


@require_capability("pieces.upload")
@require_POST
def piece_upload(request, org_slug, dossier_id):
    dossier = selectors.dossier_get(public_id=dossier_id, actor=request.membership)
    form = PieceForm(request.POST, request.FILES)
    try:
        if not form.is_valid():
            raise ApplicationError(" ".join(e for errors in form.errors.values() for e in errors))
        piece = services.piece_upload(
            dossier=dossier,
            by=request.membership,
            kind=form.cleaned_data["kind"],
            uploaded_file=form.cleaned_data["file"],
        )
    except ApplicationError as exc:
        messages.error(request, f"Pièce refusée : {exc.message}")
    else:
        messages.success(request, f"Pièce « {piece.original_name} » déposée.")
    return redirect(
        reverse("dossier_detail", kwargs={"org_slug": org_slug, "dossier_id": dossier.public_id}) + "#pieces"
    )


@require_capability("pieces.view")
@require_GET
def piece_download(request, org_slug, piece_id):
    return services.piece_download(public_id=piece_id, by=request.membership).as_response()


@require_capability("pieces.upload")
@require_POST
def piece_delete(request, org_slug, piece_id):
    piece = selectors.piece_get(public_id=piece_id, actor=request.membership)
    dossier = piece.dossier
    try:
        services.piece_delete(piece=piece, by=request.membership)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Pièce supprimée.")
    return redirect(
        reverse("dossier_detail", kwargs={"org_slug": org_slug, "dossier_id": dossier.public_id}) + "#pieces"
    )


# --- import --------------------------------------------------------------------------------


@require_capability("candidates.import")
@require_http_methods(["GET", "POST"])
def import_page(request, org_slug):
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.import_job_create(
                by=request.membership,
                uploaded_file=form.cleaned_data["file"],
                merge_duplicates=form.cleaned_data["merge_duplicates"],
            )
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            return redirect("import_job", org_slug=org_slug, job_id=job.public_id)
    from candidates.importer import MANDATORY, OPTIONAL

    return render(
        request,
        "candidates/import.html",
        {
            "form": form,
            "jobs": selectors.import_job_list()[:10],
            "mandatory": MANDATORY,
            "optional": OPTIONAL,
        },
        status=400 if form.errors else 200,
    )


@require_capability("candidates.import")
@require_GET
def import_template(request, org_slug):
    response = HttpResponse("\ufeff" + template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="modele-import-candidats.csv"'
    return response


@require_capability("candidates.import")
@require_GET
def import_job(request, org_slug, job_id):
    from candidates.importer import DUPLICATE_CHOICES

    job = selectors.import_job_get(public_id=job_id, actor=request.membership)
    context = {
        "job": job,
        "progress": services.import_job_progress(job),
        "duplicate_choices": DUPLICATE_CHOICES.items(),
    }
    if request.htmx:
        return render(request, "candidates/partials/import_status.html", context)
    return render(request, "candidates/import_job.html", context)


@require_capability("candidates.import")
@require_POST
def import_job_confirm(request, org_slug, job_id):
    job = selectors.import_job_get(public_id=job_id, actor=request.membership)
    # One choice per duplicate row of the preview: choix_<row> = fusionner | creer | ignorer.
    choices = {
        key.removeprefix("choix_"): value for key, value in request.POST.items() if key.startswith("choix_")
    }
    try:
        job = services.import_job_confirm(job=job, by=request.membership, choices=choices)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        if job.status == ImportJob.Status.DONE:
            messages.success(
                request, f"Import terminé : {job.result.get('dossiers_crees', 0)} dossier(s) créé(s)."
            )
    return redirect("import_job", org_slug=org_slug, job_id=job.public_id)
