"""Document pages under ``/o/<org_slug>/documents/``: thin views over services and selectors."""

from urllib.parse import quote

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseBadRequest, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from core.errors import ApplicationError
from core.pagination import EstimatedCountPaginator
from documents import hooks, selectors, services
from documents.forms import DocumentFilterForm, ReissueForm, RevokeForm
from documents.models import IssuedDocument
from organisations.permissions import membership_can, require_capability


def pdf_response(data: bytes, filename: str) -> HttpResponse:
    """The PDF as an attachment; the file name is RFC 6266-encoded (accents, quotes)."""
    response = HttpResponse(data, content_type="application/pdf")
    ascii_name = filename.encode("ascii", "ignore").decode().replace('"', "") or "document.pdf"
    response["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def download_filename(document: IssuedDocument, version: int | None = None) -> str:
    stem = document.number or f"{document.kind}-{str(document.public_id)[:8]}"
    return f"{stem}-v{version or document.version}.pdf"


@require_capability("documents.view")
@require_GET
def document_list(request, org_slug):
    form = DocumentFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    group_key = filters.get("groupe", "")
    qs = selectors.document_list(
        actor=request.membership,
        kind=filters.get("kind", ""),
        status=filters.get("status", ""),
        group_key=group_key,
        search=filters.get("q", ""),
    )
    page = EstimatedCountPaginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "documents/ui/list.html",
        {
            "form": form,
            "page": page,
            "groups": selectors.document_groups(actor=request.membership),
            "group_key": group_key,
            "progress": selectors.batch_progress(group_key=group_key) if group_key else None,
            "can_generate": membership_can(request, "documents.generate"),
        },
    )


@require_capability("documents.view")
@require_GET
def batch_progress_partial(request, org_slug):
    group_key = request.GET.get("groupe", "")
    if not group_key:
        return HttpResponseBadRequest("Paramètre « groupe » manquant.")
    selectors.document_group_check(actor=request.membership, group_key=group_key)
    return render(
        request,
        "documents/ui/_progress.html",
        {
            "progress": selectors.batch_progress(group_key=group_key),
            "group_key": group_key,
            "can_generate": membership_can(request, "documents.generate"),
        },
    )


@require_capability("documents.view")
@require_GET
def documents_zip_view(request, org_slug):
    group_key = request.GET.get("groupe", "")
    selectors.document_group_check(actor=request.membership, group_key=group_key)
    try:
        stream = services.documents_zip(group_key=group_key)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("document_list", org_slug=org_slug)
    response = StreamingHttpResponse(stream, content_type="application/zip")
    name = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in group_key)[:80] or "documents"
    response["Content-Disposition"] = f'attachment; filename="documents-{name}.zip"'
    return response


@require_capability("documents.generate")
@require_POST
def documents_retry_view(request, org_slug):
    group_key = request.POST.get("groupe", "")
    try:
        count = services.documents_render_batch(group_key=group_key, retry_failed=True)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{count} document(s) remis en génération.")
    return redirect(f"/o/{org_slug}/documents/?groupe={quote(group_key)}")


def approvals_issuer(document):
    from documents.approvals import issuer_certificateur

    return issuer_certificateur(document)


def _detail_context(request, document, *, revoke_form=None, reissue_form=None) -> dict:
    from documents.approvals import issuer_certificateur
    from documents.models import ReissueRequest, RevocationRequest

    can_revoke = membership_can(request, "documents.revoke")
    issuer = issuer_certificateur(document)
    revocation_requests = (
        list(
            RevocationRequest.objects.filter(document=document).select_related(
                "requested_by", "decided_by", "approver_certificateur"
            )
        )
        if document.is_numbered
        else []
    )
    derivable = document.is_numbered and hooks.document_derivable(document)
    return {
        "reissue_requests": list(
            ReissueRequest.objects.filter(document=document).select_related("requested_by", "decided_by")
        )
        if document.is_numbered
        else [],
        "document": document,
        # where the certificateur issues, the centre asks and the certificateur approves (point 5)
        "issuer_certificateur": issuer,
        "revocation_requests": revocation_requests,
        "revocation_pending": any(r.status == RevocationRequest.Status.PENDING for r in revocation_requests),
        "versions": selectors.document_versions(document=document),
        "can_revoke": can_revoke and not document.is_revoked,
        "can_revoke_any": can_revoke,
        "can_reissue": can_revoke
        and derivable
        and not document.is_revoked
        and document.status == IssuedDocument.Status.READY,
        "revoke_form": revoke_form or RevokeForm(),
        "reissue_form": reissue_form
        or (
            ReissueForm.for_document(document, candidate=hooks.document_candidate(document))
            if derivable
            else None
        ),
        "verification_url": services.verification_url(document.verification_code)
        if document.is_numbered
        else "",
        # a revoked document keeps the credential it had (marked revoked), but gets no new one
        "has_credential": document.is_numbered and document.status == IssuedDocument.Status.READY,
    }


@require_capability("documents.view")
@require_GET
def document_detail(request, org_slug, public_id):
    document = selectors.document_get(actor=request.membership, public_id=public_id)
    return render(request, "documents/ui/detail.html", _detail_context(request, document))


@require_capability("documents.view")
@require_GET
def document_download(request, org_slug, public_id):
    document = selectors.document_get(actor=request.membership, public_id=public_id)
    version = request.GET.get("version")
    target = document
    if version and version.isascii() and version.isdigit() and int(version) != document.version:
        target = selectors.document_version_get(document=document, version=int(version))
    try:
        data = selectors.document_file_read(document=target)
    except ApplicationError as exc:
        return render(
            request,
            "documents/ui/unavailable.html",
            {"document": document, "message": exc.message},
            status=409,
        )
    return pdf_response(data, download_filename(document, getattr(target, "version", None)))


def credential_response(data: dict, document: IssuedDocument) -> JsonResponse:
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})
    stem = document.number or str(document.public_id)[:8]
    response["Content-Disposition"] = f'attachment; filename="attestation-numerique-{stem}.json"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_capability("documents.view")
@require_GET
def document_credential(request, org_slug, public_id):
    """The Open Badges 3.0 credential (VC-JWT) of a parchemin or certificat de bloc."""
    document = selectors.document_get(actor=request.membership, public_id=public_id)
    try:
        credential = hooks.document_credential(document)
    except ApplicationError as exc:
        return render(
            request,
            "documents/ui/unavailable.html",
            {"document": document, "message": exc.message},
            status=409,
        )
    return credential_response(credential, document)


@require_capability("documents.revoke")
@require_POST
def document_revoke_view(request, org_slug, public_id):
    document = selectors.document_get(actor=request.membership, public_id=public_id)
    from documents import approvals

    form = RevokeForm(request.POST)
    if form.is_valid():
        issuer = approvals.issuer_certificateur(document)
        try:
            if issuer is None:
                approvals.document_revoke_by_centre(
                    document=document,
                    by=request.membership,
                    reason=form.cleaned_data["reason"],
                    category=form.cleaned_data["category"],
                )
            else:  # the certificateur issued it: the centre asks, its staff approve (point 5)
                approvals.revocation_request_create(
                    document=document,
                    by=request.membership,
                    reason=form.cleaned_data["reason"],
                    category=form.cleaned_data["category"],
                )
        except ApplicationError as exc:
            form.add_error("reason" if exc.field == "reason" else None, exc.message)
        else:
            messages.success(
                request,
                "Document révoqué. La page de vérification l'indique désormais."
                if issuer is None
                else f"Demande de révocation transmise à {issuer.name}, qui délivre ce document : "
                "il sera révoqué quand son personnel l'aura approuvée.",
            )
            return redirect("document_detail", org_slug=org_slug, public_id=public_id)
    return render(
        request, "documents/ui/detail.html", _detail_context(request, document, revoke_form=form), status=400
    )


@require_capability("documents.revoke")
@require_POST
def document_reissue_view(request, org_slug, public_id):
    """The centre asks for a civil-status correction (reason + pièce); another person approves."""
    document = selectors.document_get(actor=request.membership, public_id=public_id)
    form = ReissueForm.for_document(document, request.POST, request.FILES)
    if form.is_valid():
        try:
            services.reissue_request_create(
                document=document,
                by=request.membership,
                reason=form.cleaned_data["reason"],
                identity=form.identity(),
                piece=form.cleaned_data["piece"],
            )
        except ApplicationError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            issuer = document.certificateur.name if approvals_issuer(document) else ""
            messages.success(
                request,
                f"Demande de réédition transmise à {issuer}, qui délivre ce document : son personnel l'approuvera."
                if issuer
                else "Demande de réédition enregistrée : une autre personne de l'organisme doit l'approuver.",
            )
            return redirect("document_detail", org_slug=org_slug, public_id=public_id)
    return render(
        request, "documents/ui/detail.html", _detail_context(request, document, reissue_form=form), status=400
    )


@require_capability("documents.revoke")
@require_POST
def reissue_request_decide_view(request, org_slug, request_id):
    from documents.models import ReissueRequest

    reissue = ReissueRequest.objects.select_related("document").filter(public_id=request_id).first()
    if reissue is None:
        raise Http404
    document = selectors.document_get(actor=request.membership, public_id=reissue.document.public_id)
    try:
        services.reissue_request_decide(
            request=reissue,
            by=request.membership,
            approve=request.POST.get("decision") == "approuver",
            note=request.POST.get("note", ""),
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            "Réédition approuvée : la nouvelle version est en cours de génération."
            if request.POST.get("decision") == "approuver"
            else "Demande de réédition refusée.",
        )
    return redirect("document_detail", org_slug=org_slug, public_id=document.public_id)
