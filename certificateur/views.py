"""Pages of the certificateur space (``/o/<certificateur>/supervision/…``), thin.

Every page answers 404 unless the organisation is a certificateur and the member's role has
the capability: a centre user never learns these pages exist.
"""

from functools import wraps

from django.contrib import messages
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from certificateur import accrochage, charts, credentials, exports, selectors
from certificateur.forms import CdcCompteForm, FluxForm, RapportForm, TransmissionForm
from certificateur.models import CdcCompte, CdcPassage, SigningKey, StatusList
from core.errors import ApplicationError
from organisations.models import Organisation
from organisations.permissions import membership_can


def certificateur_only(capability: str):
    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            organisation = getattr(request, "organisation", None)
            if (
                organisation is None
                or not organisation.is_certificateur
                or not membership_can(request, capability)
            ):
                raise Http404
            return view(request, *args, **kwargs)

        wrapped.required_permission = capability
        return wrapped

    return decorator


def _filters(request) -> selectors.OversightFilters:
    return selectors.OversightFilters.from_params(request.GET)


@certificateur_only("oversight.view")
@require_GET
def oversight(request, org_slug):
    certificateur = request.organisation
    filters = _filters(request)
    figures = selectors.oversight_figures(
        certificateur=certificateur, filters=None if filters.errors else filters
    )
    documents = selectors.jury_and_document_figures(
        certificateur=certificateur, filters=None if filters.errors else filters
    )
    for row in figures["per_code_year"]:
        row.update(documents.get((row["code"], row["annee"]), {}))
    status_rows = [(label, n) for _v, label, n in figures["per_status"]]
    voie_rows = [(label, n) for _v, label, n in figures["per_voie"] if n]
    return render(
        request,
        "certificateur/oversight.html",
        {
            "filters": filters,
            "figures": figures,
            "status_chart": charts.bars(status_rows),
            "voie_chart": charts.bars(voie_rows, width=400, labels_above=True),
            "bloc_chart": charts.rate_groups(figures["per_bloc_year"]),
            "habilitations": selectors.habilitations_per_code(certificateur=certificateur, filters=filters),
            "codes": selectors.certificateur_codes(certificateur=certificateur),
            "centres": selectors.overseen_centres(certificateur=certificateur),
            "querystring": filters.querystring(),
            "export_columns": selectors.EXPORT_COLUMNS,
            "cdc_counts": selectors.cdc_passage_counts(),
            "juries": selectors.oversight_juries(
                certificateur=certificateur, filters=None if filters.errors else filters
            )[:50],
            "can_record_transmission": membership_can(request, "oversight.export"),
        },
        status=400 if filters.errors else 200,
    )


@certificateur_only("oversight.view")
@require_GET
def oversight_pv_download(request, org_slug, document_id):
    from documents.selectors import document_file_read

    document = selectors.oversight_pv_get(certificateur=request.organisation, public_id=document_id)
    try:
        data = document_file_read(document=document)
    except ApplicationError as exc:
        return HttpResponse(exc.message, status=409, content_type="text/plain; charset=utf-8")
    response = HttpResponse(data, content_type="application/pdf")
    name = f"proces-verbal-{document.issued_on:%Y%m%d}-{str(document.public_id)[:8]}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@certificateur_only("oversight.export")
@require_GET
def oversight_bundle(request, org_slug, jury_id):
    from certificateur.bundle import transmission_bundle

    try:
        name, data = transmission_bundle(certificateur=request.organisation, jury_public_id=jury_id)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("oversight", org_slug=org_slug)
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@certificateur_only("oversight.export")
@require_POST
def oversight_transmission_record(request, org_slug, jury_id):
    from certificateur.bundle import jury_transmission_record

    form = TransmissionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Date de transmission invalide (jj/mm/aaaa).")
        return redirect("oversight", org_slug=org_slug)
    try:
        transmission = jury_transmission_record(
            certificateur=request.organisation,
            jury_public_id=jury_id,
            by=request.membership,
            transmis_le=form.cleaned_data["transmis_le"],
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Transmission enregistrée le {transmission.transmis_le:%d/%m/%Y}.")
    return redirect("oversight", org_slug=org_slug)


@certificateur_only("oversight.view")
@require_GET
def oversight_dossier(request, org_slug, dossier_id):
    data = selectors.oversight_dossier_get(certificateur=request.organisation, public_id=dossier_id)
    return render(request, "certificateur/dossier.html", data)


@certificateur_only("oversight.export")
@require_GET
def oversight_export(request, org_slug, fmt):
    if fmt not in exports.CONTENT_TYPES:
        raise Http404
    filters = _filters(request)
    if filters.errors:
        return HttpResponse(
            "; ".join(filters.errors.values()), status=400, content_type="text/plain; charset=utf-8"
        )
    rows = selectors.export_rows(certificateur=request.organisation, filters=filters)
    response = HttpResponse(exports.render(rows, fmt), content_type=exports.CONTENT_TYPES[fmt])
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = (
        f'attachment; filename="resultats-{request.organisation.slug}-{stamp}.{fmt}"'
    )
    return response


# --- CDC accrochage ----------------------------------------------------------------------------


def _accrochage_context(request, **extra) -> dict:
    certificateur = request.organisation
    etat = request.GET.get("etat", "")
    if etat not in CdcPassage.Etat.values:
        etat = ""
    passages = list(selectors.cdc_passage_list(etat=etat)[:500])
    todo = [p for p in passages if p.etat in accrochage.SELECTABLE]
    reasons = {
        c.passage.pk: c.reasons
        for c in accrochage.cdc_candidatures(certificateur=certificateur, passages=todo)
    }
    compte = CdcCompte.objects.filter(organisation=certificateur).first()
    context = {
        "compte": compte,
        "compte_form": CdcCompteForm(instance=compte),
        "flux_form": FluxForm(),
        "rapport_form": RapportForm(),
        "passages": [(p, reasons.get(p.pk, [])) for p in passages],
        "counts": selectors.cdc_passage_counts(),
        "flux_list": selectors.cdc_flux_list()[:20],
        "etat": etat,
        "etats": CdcPassage.Etat.choices,
        "today": timezone.localdate(),
    }
    context.update(extra)
    return context


@certificateur_only("oversight.export")
@require_GET
def accrochage_page(request, org_slug):
    return render(request, "certificateur/accrochage.html", _accrochage_context(request))


@certificateur_only("oversight.export")
@require_POST
def accrochage_compte(request, org_slug):
    form = CdcCompteForm(
        request.POST, instance=CdcCompte.objects.filter(organisation=request.organisation).first()
    )
    if form.is_valid():
        try:
            accrochage.cdc_compte_save(
                certificateur=request.organisation, by=request.membership, **form.cleaned_data
            )
        except Exception as exc:  # ValidationError from full_clean
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Identifiants CDC enregistrés.")
            return redirect("accrochage", org_slug=org_slug)
    return render(
        request, "certificateur/accrochage.html", _accrochage_context(request, compte_form=form), status=400
    )


@certificateur_only("oversight.export")
@require_POST
def accrochage_sync(request, org_slug):
    result = accrochage.cdc_passages_sync(certificateur=request.organisation)
    messages.success(
        request,
        f"{result['created']} nouveau(x) passage(s) à déclarer, {result['updated']} mis à jour"
        + (f", {result['ignored']} non déclaré(s) (hors RNCP/RS ou révoqués)" if result["ignored"] else "")
        + (f", {result['withdrawn']} retiré(s) (parchemin révoqué)" if result.get("withdrawn") else "")
        + ".",
    )
    return redirect("accrochage", org_slug=org_slug)


@certificateur_only("oversight.export")
@require_POST
def accrochage_retrait(request, org_slug):
    """The withdrawal file of declared passages whose parchemin was revoked (issue 13, point 7)."""
    try:
        flux = accrochage.cdc_suppression_create(certificateur=request.organisation, by=request.membership)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"Fichier de retrait produit et validé (XSD 1.1.5) : {flux.nb_passages} passage(s)."
        )
    return redirect("accrochage", org_slug=org_slug)


@certificateur_only("oversight.export")
@require_POST
def accrochage_flux_create(request, org_slug):
    form = FluxForm(request.POST)
    if not form.is_valid():
        return render(
            request, "certificateur/accrochage.html", _accrochage_context(request, flux_form=form), status=400
        )
    try:
        flux, refused = accrochage.cdc_flux_create(
            certificateur=request.organisation,
            by=request.membership,
            du=form.cleaned_data["du"],
            au=form.cleaned_data["au"],
        )
    except ApplicationError as exc:
        form.add_error(None, exc.message)
        return render(
            request,
            "certificateur/accrochage.html",
            _accrochage_context(request, flux_form=form, issues=exc.extra.get("issues", [])),
            status=400,
        )
    text = f"Fichier produit et validé par le schéma CDC : {flux.nb_passages} passage(s)."
    if refused:
        text += f" {len(refused)} passage(s) non déclarable(s) laissé(s) de côté (voir les motifs)."
    messages.success(request, text)
    return redirect("accrochage", org_slug=org_slug)


@certificateur_only("oversight.export")
@require_GET
def accrochage_flux_download(request, org_slug, flux_id):
    flux = selectors.cdc_flux_get(public_id=flux_id)
    with flux.file.open("rb") as fh:
        data = fh.read()
    response = HttpResponse(data, content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{flux.filename}"'
    return response


@certificateur_only("oversight.export")
@require_POST
def accrochage_rapport(request, org_slug):
    form = RapportForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            result = accrochage.cdc_rapport_import(
                certificateur=request.organisation,
                by=request.membership,
                data=form.cleaned_data["fichier"].read(),
            )
        except ApplicationError as exc:
            form.add_error("fichier", exc.message)
        else:
            text = (
                f"Rapport importé : {len(result['accepted'])} passage(s) accepté(s), "
                f"{len(result['rejected'])} rejeté(s)."
            )
            if result["unknown"]:
                text += f" {len(result['unknown'])} identifiant(s) absent(s) de ce flux, ignoré(s)."
            messages.success(request, text)
            return redirect("accrochage", org_slug=org_slug)
    return render(
        request, "certificateur/accrochage.html", _accrochage_context(request, rapport_form=form), status=400
    )


# --- verifiable credentials --------------------------------------------------------------------


@certificateur_only("oversight.view")
@require_GET
def credential_list(request, org_slug):
    certificateur = request.organisation
    return render(
        request,
        "certificateur/credentials.html",
        {
            "credentials": selectors.credential_list_for_certificateur(certificateur=certificateur),
            "keys": SigningKey.objects.filter(certificateur=certificateur),
            "status_list": StatusList.objects.filter(certificateur=certificateur).first(),
        },
    )


# --- public: keys, issuer profiles, status lists (no organisation in the URL) ------------------


@require_GET
def well_known_jwks(request):
    response = JsonResponse(credentials.jwks())
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _certificateur(public_id) -> Organisation:
    org = Organisation.objects.filter(public_id=public_id, kind=Organisation.Kind.CERTIFICATEUR).first()
    if org is None:
        raise Http404
    return org


@require_GET
def vc_issuer(request, certificateur_id):
    org = _certificateur(certificateur_id)
    return JsonResponse(
        {
            "@context": credentials.OB3_CONTEXT,
            "id": credentials.issuer_id(org),
            "type": ["Profile"],
            "name": org.name,
            "verificationMethod": [
                credentials.jwk_of(k) for k in SigningKey.objects.filter(certificateur=org)
            ],
        }
    )


@require_GET
def vc_status_list(request, list_id):
    status_list = StatusList.objects.filter(public_id=list_id).select_related("certificateur").first()
    if status_list is None:
        raise Http404
    token = credentials.status_list_credential(status_list.certificateur)
    response = HttpResponse(token, content_type="application/vc+jwt")
    response["Cache-Control"] = "public, max-age=60"
    response["Access-Control-Allow-Origin"] = "*"
    return response
