"""Catalogue pages. National data seen through the active organisation (certificateur or centre)."""

import datetime as dt
import secrets

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import ApplicationError
from core.filenames import clean_filename
from core.storage import private_storage
from organisations.permissions import membership_can, require_capability
from referentiels import import_jobs, selectors, services
from referentiels.describe import regle_describe
from referentiels.diff import referentiel_diff
from referentiels.exchange import FormatError, document_dumps, document_parse
from referentiels.forms import (
    BlocCreateForm,
    BlocForm,
    CapaciteForm,
    CatalogueFilterForm,
    CompositionForm,
    EnregistrementForm,
    HabilitationEndForm,
    HabilitationForm,
    ImportForm,
    ModaliteFormSet,
    RegleForm,
)
from referentiels.jury_composition import (
    composition_describe,
    composition_of,
    composition_parse,
    family_default,
)
from referentiels.models import Referentiel
from referentiels.regles import regle_declares_grid

IMPORT_CACHE_SECONDS = 1800


def _error_text(exc: Exception) -> str:
    # A FormatError's full text names the file and the line or element.
    return str(exc) if isinstance(exc, FormatError) else getattr(exc, "message", str(exc))


@require_capability("referentiels.view")
def referentiel_list(request, org_slug):
    form = CatalogueFilterForm(
        request.GET or None,
        certificateurs=selectors.referentiel_certificateurs(organisation=request.organisation),
    )
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.referentiel_list(
        organisation=request.organisation,
        search=filters.get("q", ""),
        kind=filters.get("kind", ""),
        status=filters.get("status", ""),
        certificateur=filters.get("certificateur", ""),
    )
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "referentiels/list.html",
        {"form": form, "page": page, "can_import": membership_can(request, "referentiels.import")},
    )


@require_capability("referentiels.view")
def referentiel_detail(request, org_slug, public_id):
    referentiel = selectors.referentiel_get(organisation=request.organisation, public_id=public_id)
    tree = selectors.referentiel_tree(referentiel=referentiel)
    labels = {b.code: f"Bloc {b.code} — {b.intitule}" for b in tree}
    is_owner = referentiel.certificateur_id == request.organisation.pk
    return render(
        request,
        "referentiels/detail.html",
        {
            "ref": referentiel,
            "tree": tree,
            "regle_lines": regle_describe(referentiel.regle, labels),
            "composition_lines": composition_describe(composition_of(referentiel)),
            "versions": selectors.referentiel_versions(
                organisation=request.organisation, code=referentiel.code
            ),
            "can_edit": is_owner and membership_can(request, "referentiels.edit"),
            "enregistrement": selectors.enregistrement_of(referentiel.code),
        },
    )


@require_capability("referentiels.view")
def referentiel_export_view(request, org_slug, public_id):
    referentiel = selectors.referentiel_get(organisation=request.organisation, public_id=public_id)
    fmt = "yaml" if request.GET.get("format") == "yaml" else "json"
    text = document_dumps(services.referentiel_export(referentiel=referentiel), fmt=fmt)
    response = HttpResponse(
        text,
        content_type="application/yaml; charset=utf-8"
        if fmt == "yaml"
        else "application/json; charset=utf-8",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="{referentiel.code}-v{referentiel.version}.{fmt}"'
    )
    return response


@require_capability("referentiels.view")
def referentiel_compare(request, org_slug):
    org = request.organisation
    a = selectors.referentiel_get(organisation=org, public_id=request.GET.get("a", ""))
    b = selectors.referentiel_get(organisation=org, public_id=request.GET.get("b", ""))
    changes = [row for row in referentiel_diff(a, b) if row.status != "same"]
    return render(request, "referentiels/diff.html", {"a": a, "b": b, "changes": changes})


def _owned(request, public_id) -> Referentiel:
    referentiel = selectors.referentiel_get(organisation=request.organisation, public_id=public_id)
    if referentiel.certificateur_id != request.organisation.pk:
        raise Http404
    return referentiel


@require_capability("referentiels.publish")
@require_POST
def referentiel_publish(request, org_slug, public_id):
    referentiel = _owned(request, public_id)
    try:
        services.referentiel_publish(referentiel=referentiel, by=request.organisation)
    except (ApplicationError, FormatError) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(
            request, f"{referentiel.code} v{referentiel.version} est publié : il ne peut plus être modifié."
        )
    return redirect("referentiel_detail", org_slug=org_slug, public_id=public_id)


@require_capability("referentiels.edit")
@require_POST
def referentiel_new_version(request, org_slug, public_id):
    referentiel = _owned(request, public_id)
    try:
        draft = services.referentiel_new_version(referentiel=referentiel, by=request.organisation)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("referentiel_detail", org_slug=org_slug, public_id=public_id)
    messages.success(request, f"Brouillon v{draft.version} créé à partir de la v{referentiel.version}.")
    return redirect("referentiel_detail", org_slug=org_slug, public_id=draft.public_id)


@require_capability("referentiels.edit")
@require_POST
def referentiel_delete(request, org_slug, public_id):
    referentiel = _owned(request, public_id)
    try:
        services.referentiel_delete(referentiel=referentiel, by=request.organisation)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("referentiel_detail", org_slug=org_slug, public_id=public_id)
    messages.success(request, f"Brouillon {referentiel.code} v{referentiel.version} supprimé.")
    return redirect("referentiel_list", org_slug=org_slug)


@require_capability("referentiels.edit")
@require_http_methods(["GET", "POST"])
def capacite_edit(request, org_slug, public_id, code):
    referentiel = _owned(request, public_id)
    capacite = selectors.capacite_get(
        organisation=request.organisation, public_id_referentiel=public_id, code=code
    )
    initial = {
        "intitule": capacite.intitule,
        "conditions": capacite.conditions,
        "criteres": "\n".join(
            f"{c.groupe} | {c.texte}" if c.groupe else c.texte for c in capacite.criteres.all()
        ),
    }
    form = CapaciteForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.capacite_update(
                capacite=capacite,
                by=request.organisation,
                intitule=form.cleaned_data["intitule"],
                conditions=form.cleaned_data["conditions"],
                criteres=form.criteres_list(),
            )
        except ApplicationError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"Capacité {capacite.code} enregistrée.")
            return redirect("referentiel_detail", org_slug=org_slug, public_id=public_id)
    return render(
        request,
        "referentiels/capacite_edit.html",
        {"ref": referentiel, "capacite": capacite, "form": form},
        status=400 if form.errors else 200,
    )


@require_capability("referentiels.import")
@require_http_methods(["GET", "POST"])
def referentiel_import_view(request, org_slug):
    """Upload → dry-run preview (nothing written) → confirm (the same bytes, kept 30 min)."""
    form = ImportForm(request.POST or None, request.FILES or None)
    context = {"form": form}
    status = 200
    if request.method == "POST" and request.POST.get("token"):
        key = f"import:{request.organisation.pk}:{request.POST['token']}"
        stored = cache.get(key)
        if stored is None or not private_storage().exists(stored["path"]):
            messages.error(request, "La prévisualisation a expiré : déposez à nouveau le fichier.")
            return redirect("referentiel_import", org_slug=org_slug)
        try:
            result = _run_import(request, stored, dry_run=False)
        except (ApplicationError, FormatError) as exc:
            context["error"] = _error_text(exc)
            return render(request, "referentiels/import.html", context, status=400)
        cache.delete(key)
        private_storage().delete(stored["path"])
        messages.success(request, result["message"])
        if result.get("public_id"):
            return redirect("referentiel_detail", org_slug=org_slug, public_id=result["public_id"])
        return redirect("referentiel_list", org_slug=org_slug)
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["fichier"]
            if (
                upload.name.lower().endswith(".xml")
                and upload.size > settings.REFERENTIELS_IMPORT_PAGE_SYNC_BYTES
            ):
                # A large export: checked, then imported, by a worker; the job's page shows progress.
                job = import_jobs.rncp_import_job_create(
                    certificateur=request.organisation,
                    user=request.user,
                    uploaded_file=upload,
                    numeros=form.cleaned_data["fiches"],
                )
                return redirect("rncp_import_job", org_slug=org_slug, import_id=job.public_id)
            _import_files_sweep()
            # The same bytes are confirmed later: kept in private storage (never in the cache),
            # read back as a stream by the import.
            path = private_storage().save(f"imports/{secrets.token_hex(16)}.upload", upload)
            stored = {
                "name": clean_filename(upload.name),
                "path": path,
                "fiches": sorted(form.cleaned_data["fiches"]),
                "replace": form.cleaned_data["remplacer"],
            }
            try:
                context["preview"] = _run_import(request, stored, dry_run=True)
            except (ApplicationError, FormatError) as exc:
                private_storage().delete(path)
                context["error"] = _error_text(exc)
                status = 400
            else:
                token = secrets.token_urlsafe(16)
                cache.set(f"import:{request.organisation.pk}:{token}", stored, IMPORT_CACHE_SECONDS)
                context["token"] = token
        else:
            status = 400
    return render(request, "referentiels/import.html", context, status=status)


def _import_files_sweep() -> None:
    """Remove the files of previews never confirmed (older than the preview's lifetime)."""
    storage = private_storage()
    if not storage.exists("imports"):
        return
    limit = timezone.now() - dt.timedelta(seconds=IMPORT_CACHE_SECONDS)
    for name in storage.listdir("imports")[1]:
        path = f"imports/{name}"
        try:
            if storage.get_modified_time(path) < limit:
                storage.delete(path)
        except (OSError, NotImplementedError):
            continue


def _run_import(request, stored: dict, *, dry_run: bool) -> dict:
    name = stored["name"]
    if name.lower().endswith(".xml"):
        from referentiels.rncp_import import rncp_import

        with private_storage().open(stored["path"], "rb") as source:
            report = rncp_import(
                source=source,
                filename=name,
                certificateur=request.organisation,
                numeros=set(stored["fiches"]) or None,
                dry_run=dry_run,
            )
        verb = "seront importées" if dry_run else "importées en brouillon"
        message = f"{report.total} fiche(s) RNCP {verb} ; {report.habilitations} habilitation(s)."
        if report.skipped_total:
            message += f" {report.skipped_total} fiche(s) ignorée(s) : votre organisation n'en est pas certificatrice."
        return {"kind": "rncp", "report": report, "message": message}
    with private_storage().open(stored["path"], "rb") as fh:
        doc = document_parse(fh.read(), name)
    # The preview runs the import's own checks (rolled back): it refuses what the confirmation would.
    kwargs = {"doc": doc, "certificateur": request.organisation, "replace_draft": stored["replace"]}
    try:
        if dry_run:
            exists = services.referentiel_import_check(**kwargs)
        else:
            referentiel = services.referentiel_import(**kwargs)
    except ApplicationError as exc:
        if exc.field == "version" and not stored["replace"]:
            raise ApplicationError(
                f"{exc.message} Cochez « remplacer » pour mettre à jour un brouillon.", field=exc.field
            ) from None
        raise
    if dry_run:
        nb_caps = sum(len(b["capacites"]) for b in doc["blocs"])
        nb_crit = sum(len(c["criteres"]) for b in doc["blocs"] for c in b["capacites"])
        return {
            "kind": "referentiel",
            "doc": doc,
            "counts": {
                "blocs": len(doc["blocs"]),
                "capacites": nb_caps,
                "criteres": nb_crit,
                "activites": len(doc["activites"]),
            },
            "exists": exists,
        }
    return {
        "public_id": referentiel.public_id,
        "message": f"{referentiel.code} v{referentiel.version} importé en brouillon.",
    }


@require_capability("habilitations.view")
@require_http_methods(["GET", "POST"])
def habilitation_list(request, org_slug):
    is_certificateur = request.organisation.kind == "certificateur"
    form = None
    if is_certificateur and membership_can(request, "habilitations.manage"):
        form = HabilitationForm(request.POST or None, certificateur=request.organisation)
        if request.method == "POST" and form.is_valid():
            try:
                services.habilitation_grant(
                    certificateur=request.organisation,
                    centre=form.cleaned_data["centre"],
                    code=form.cleaned_data["code"],
                    date_debut=form.cleaned_data["date_debut"],
                    date_fin=form.cleaned_data["date_fin"],
                )
            except ApplicationError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, "Habilitation enregistrée.")
                return redirect("habilitation_list", org_slug=org_slug)
    elif request.method == "POST":
        raise Http404
    return _habilitations_page(request, form=form, status=400 if form is not None and form.errors else 200)


def _habilitations_page(request, *, form, status: int = 200, end_form=None, end_target=None):
    can_manage = request.organisation.kind == "certificateur" and membership_can(
        request, "habilitations.manage"
    )
    return render(
        request,
        "referentiels/habilitations.html",
        {
            "habilitations": selectors.habilitation_list(organisation=request.organisation),
            "form": form,
            "can_manage": can_manage,
            "end_form": end_form,
            "end_target": end_target,
            "today": timezone.localdate(),
        },
        status=status,
    )


@require_capability("habilitations.manage")
@require_POST
def habilitation_end(request, org_slug, habilitation_id):
    """End a centre's habilitation on a date (the certificateur who granted it only)."""
    habilitation = selectors.habilitation_get_for_certificateur(
        organisation=request.organisation, public_id=habilitation_id
    )
    end_form = HabilitationEndForm(request.POST)
    if end_form.is_valid():
        try:
            services.habilitation_end(
                habilitation=habilitation,
                certificateur=request.organisation,
                date_fin=end_form.cleaned_data["date_fin"],
            )
        except ApplicationError as exc:
            end_form.add_error("date_fin", exc.message)
        else:
            messages.success(
                request,
                f"Habilitation de {habilitation.centre.name} pour {habilitation.referentiel_code} : "
                f"fin le {habilitation.date_fin:%d/%m/%Y}.",
            )
            return redirect("habilitation_list", org_slug=org_slug)
    form = HabilitationForm(certificateur=request.organisation)
    return _habilitations_page(
        request, form=form, status=400, end_form=end_form, end_target=habilitation.public_id
    )


# --- editing a draft: blocs, modalités, règle d'obtention -------------------------------------


def _draft(request, public_id) -> Referentiel | None:
    """The owned référentiel if it is a draft; else ``None`` with the reason as a message."""
    referentiel = _owned(request, public_id)
    if not referentiel.is_editable:
        messages.error(
            request,
            f"{referentiel.code} v{referentiel.version} est {referentiel.get_status_display().lower()} : "
            "il ne peut plus être modifié. Créez une nouvelle version.",
        )
        return None
    return referentiel


def _apply_error(form, exc: ApplicationError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


@require_capability("referentiels.edit")
@require_http_methods(["GET", "POST"])
def blocs_edit(request, org_slug, public_id):
    """A draft's blocs: code, intitulé and position of each, a new bloc, a bloc removed."""
    referentiel = _draft(request, public_id)
    if referentiel is None:
        return redirect("referentiel_detail", org_slug=org_slug, public_id=public_id)
    blocs = list(selectors.referentiel_blocs(referentiel=referentiel))
    rows = [
        (
            bloc,
            BlocForm(
                initial={"code": bloc.code, "intitule": bloc.intitule, "position": i + 1}, auto_id=f"b{i}_%s"
            ),
        )
        for i, bloc in enumerate(blocs)
    ]
    create_form = BlocCreateForm(auto_id="nouveau_%s")
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        target = next((i for i, b in enumerate(blocs) if b.code == request.POST.get("bloc")), None)
        if action in ("update", "delete") and target is None:
            raise Http404
        try:
            if action == "update":
                form = BlocForm(request.POST, auto_id=f"b{target}_%s")
                rows[target] = (blocs[target], form)
                if form.is_valid():
                    services.bloc_update(bloc=blocs[target], by=request.organisation, **form.cleaned_data)
                    messages.success(request, f"Bloc {form.cleaned_data['code']} enregistré.")
                    return redirect("referentiel_blocs", org_slug=org_slug, public_id=public_id)
            elif action == "delete":
                services.bloc_delete(bloc=blocs[target], by=request.organisation)
                messages.success(request, f"Bloc {blocs[target].code} supprimé avec ses capacités.")
                return redirect("referentiel_blocs", org_slug=org_slug, public_id=public_id)
            elif action == "create":
                create_form = BlocCreateForm(request.POST, auto_id="nouveau_%s")
                if create_form.is_valid():
                    bloc = services.bloc_create(
                        referentiel=referentiel, by=request.organisation, **create_form.cleaned_data
                    )
                    messages.success(request, f"Bloc {bloc.code} ajouté.")
                    return redirect("referentiel_blocs", org_slug=org_slug, public_id=public_id)
            else:
                return HttpResponse("Action inconnue.", status=400)
        except ApplicationError as exc:
            if action == "create":
                _apply_error(create_form, exc)
            elif action == "update":
                _apply_error(rows[target][1], exc)
            else:
                messages.error(request, exc.message)
        status = 400
    is_grid = regle_declares_grid(referentiel.regle)
    return render(
        request,
        "referentiels/blocs_edit.html",
        {"ref": referentiel, "rows": rows, "create_form": create_form, "is_grid": is_grid},
        status=status,
    )


@require_capability("referentiels.edit")
@require_http_methods(["GET", "POST"])
def modalites_edit(request, org_slug, public_id):
    """The allowed modalités of one bloc (``?bloc=``) or one capacité (``?capacite=``) of a
    draft; without either, the list of blocs and capacités to choose from."""
    referentiel = _draft(request, public_id)
    if referentiel is None:
        return redirect("referentiel_detail", org_slug=org_slug, public_id=public_id)
    bloc = capacite = None
    if request.GET.get("bloc"):
        bloc = selectors.bloc_get(referentiel=referentiel, code=request.GET["bloc"])
    elif request.GET.get("capacite"):
        capacite = selectors.capacite_get(
            organisation=request.organisation, public_id_referentiel=public_id, code=request.GET["capacite"]
        )
    else:
        return render(
            request,
            "referentiels/modalites_edit.html",
            {"ref": referentiel, "tree": selectors.referentiel_tree(referentiel=referentiel)},
        )
    owner = bloc or capacite
    current = [m for m in owner.modalites.all() if bloc is None or m.capacite_id is None]
    initial = [{k: getattr(m, k) for k in services.MODALITE_FIELDS} for m in current]
    formset = ModaliteFormSet(request.POST or None, initial=initial, prefix="m")
    status = 200
    if request.method == "POST":
        if formset.is_valid():
            rows = [
                {k: f.cleaned_data.get(k) for k in services.MODALITE_FIELDS}
                for f in formset.forms
                if f.cleaned_data.get("type") and not f.cleaned_data.get("DELETE")
            ]
            try:
                services.modalites_set(
                    referentiel=referentiel,
                    by=request.organisation,
                    modalites=rows,
                    bloc=bloc,
                    capacite=capacite,
                )
            except ApplicationError as exc:
                formset._non_form_errors = formset.error_class([exc.message])
            else:
                messages.success(
                    request, f"Modalités de {'bloc ' if bloc else 'la capacité '}{owner.code} enregistrées."
                )
                return redirect("referentiel_detail", org_slug=org_slug, public_id=public_id)
        status = 400
    return render(
        request,
        "referentiels/modalites_edit.html",
        {"ref": referentiel, "owner": owner, "is_bloc": bloc is not None, "formset": formset},
        status=status,
    )


@require_capability("referentiels.edit")
@require_http_methods(["GET", "POST"])
def regle_edit(request, org_slug, public_id):
    """A draft's règle d'obtention as YAML/JSON text, checked by the importer's validation and
    previewed in plain French (``apercu``: htmx swaps the preview only, nothing is written)."""
    referentiel = _draft(request, public_id)
    if referentiel is None:
        return redirect("referentiel_detail", org_slug=org_slug, public_id=public_id)
    labels = {
        b.code: f"Bloc {b.code} — {b.intitule}" for b in selectors.referentiel_blocs(referentiel=referentiel)
    }
    form = RegleForm(request.POST or None, initial={"regle": document_dumps(referentiel.regle, fmt="yaml")})
    preview, status = None, 200
    if request.method == "POST":
        if form.is_valid():
            try:
                regle = services.regle_check(referentiel=referentiel, regle=form.cleaned_data["regle"])
                if "apercu" not in request.POST:
                    services.referentiel_regle_update(
                        referentiel=referentiel, by=request.organisation, regle=regle
                    )
                    messages.success(request, "Règle d'obtention enregistrée.")
                    return redirect("referentiel_detail", org_slug=org_slug, public_id=public_id)
                preview = regle_describe(regle, labels)
            except ApplicationError as exc:
                _apply_error(form, exc)
        if form.errors:
            status = 400
    else:
        preview = regle_describe(referentiel.regle, labels)
    context = {"ref": referentiel, "form": form, "preview": preview, "labels": labels}
    if request.htmx and "apercu" in request.POST:
        # The preview's answer is 200 either way: htmx swaps only 2xx answers by default.
        return render(request, "referentiels/_regle_preview.html", context)
    return render(request, "referentiels/regle_edit.html", context, status=status)


@require_capability("referentiels.edit")
@require_http_methods(["GET", "POST"])
def composition_edit(request, org_slug, public_id):
    """A draft's jury composition rules as YAML/JSON text beside the règle: checked by the typed
    parse (French message naming the key, nothing written on bad input), previewed in French."""
    referentiel = _draft(request, public_id)
    if referentiel is None:
        return redirect("referentiel_detail", org_slug=org_slug, public_id=public_id)
    initial = document_dumps(referentiel.composition_jury, fmt="yaml") if referentiel.composition_jury else ""
    form = CompositionForm(request.POST or None, initial={"composition_jury": initial})
    preview, status = None, 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data["composition_jury"]
            try:
                services.composition_check(referentiel=referentiel, composition=data)
                if "apercu" not in request.POST:
                    services.referentiel_composition_update(
                        referentiel=referentiel, by=request.organisation, composition=data
                    )
                    messages.success(request, "Composition du jury enregistrée.")
                    return redirect("referentiel_detail", org_slug=org_slug, public_id=public_id)
                preview = composition_describe(
                    composition_parse(data, code=referentiel.code, kind=referentiel.kind)
                )
            except ApplicationError as exc:
                _apply_error(form, exc)
        if form.errors:
            status = 400
    else:
        preview = composition_describe(composition_of(referentiel))
    context = {
        "ref": referentiel,
        "form": form,
        "preview": preview,
        "default": composition_describe(family_default(code=referentiel.code, kind=referentiel.kind)),
    }
    if request.htmx and "apercu" in request.POST:
        return render(request, "referentiels/_composition_preview.html", context)
    return render(request, "referentiels/composition_edit.html", context, status=status)


@require_capability("referentiels.import")
@require_http_methods(["GET"])
def rncp_import_job_view(request, org_slug, import_id):
    """A large RNCP import's progress (htmx polls the status block while a step runs), its
    preview once checked, its outcome once written."""
    job = selectors.rncp_import_job_get(organisation=request.organisation, public_id=import_id)
    context = {"job": job, "progress": import_jobs.rncp_import_job_progress(job)}
    if request.htmx:
        return render(request, "referentiels/_import_job_status.html", context)
    return render(request, "referentiels/import_job.html", context)


@require_capability("referentiels.import")
@require_POST
def rncp_import_job_confirm(request, org_slug, import_id):
    job = selectors.rncp_import_job_get(organisation=request.organisation, public_id=import_id)
    try:
        import_jobs.rncp_import_job_confirm(job=job, certificateur=request.organisation)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("rncp_import_job", org_slug=org_slug, import_id=import_id)


@require_capability("referentiels.edit")
@require_http_methods(["GET", "POST"])
def enregistrement_edit(request, org_slug, public_id):
    """The certification's registration (every version of its code): editable even when the
    version is published — France compétences' decision is a fact about the code."""
    from referentiels.selectors import enregistrement_of

    referentiel = _owned(request, public_id)
    enregistrement = enregistrement_of(referentiel.code)
    if request.method == "POST" and request.POST.get("supprimer"):
        services.enregistrement_delete(referentiel=referentiel, by=request.organisation, user=request.user)
        messages.success(request, "La certification n'est plus présentée comme enregistrée.")
        return redirect("referentiel_detail", org_slug=org_slug, public_id=public_id)
    initial = {}
    if enregistrement is not None:
        initial = {
            "numero": enregistrement.numero,
            "type_enregistrement": enregistrement.type_enregistrement,
            "date_decision": enregistrement.date_decision,
            "duree_ans": enregistrement.duree_ans,
            "reference_jo": enregistrement.reference_jo,
            "date_fin": enregistrement.date_fin,
            "niveau": enregistrement.niveau,
            "codes_nsf": "\n".join(f"{c['code']} {c['libelle']}".strip() for c in enregistrement.codes_nsf),
        }
    form = EnregistrementForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.enregistrement_set(
                    referentiel=referentiel, by=request.organisation, user=request.user, **form.cleaned_data
                )
                messages.success(request, "Enregistrement de la certification mis à jour.")
                return redirect("referentiel_detail", org_slug=org_slug, public_id=public_id)
            except ApplicationError as exc:
                _apply_error(form, exc)
        status = 400
    return render(
        request,
        "referentiels/enregistrement_edit.html",
        {"ref": referentiel, "form": form, "enregistrement": enregistrement},
        status=status,
    )
