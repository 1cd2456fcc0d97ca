"""Pages of the candidate's space (``/espace/`` and ``/o/<centre>/espace/…``) and of the centre's
side of it (``/o/<centre>/espace-centre/…``), and the certificateur's insertion figures. Thin."""

import json
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import ApplicationError
from espace_candidat import oversight, selectors, services
from espace_candidat.forms import (
    DecideForm,
    EnqueteForm,
    IdentityForm,
    PieceForm,
    RattrapageForm,
    SuiviForm,
    TransmitForm,
)
from espace_candidat.models import IdentityCorrection, RattrapageRequest
from organisations.permissions import require_capability


def _form_error(form, exc: ApplicationError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


# --- the candidate ------------------------------------------------------------------------------


@login_required
@require_GET
def home(request):
    """Every dossier of the person, centre by centre (each under its own tenancy)."""
    centres = selectors.own_dossiers_everywhere(request.user)
    if not centres:
        raise Http404
    return render(request, "espace_candidat/home.html", {"centres": centres})


@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    if request.method == "POST":
        try:
            services.unsubscribe(token)
        except ApplicationError as exc:
            return render(request, "espace_candidat/unsubscribe.html", {"error": exc.message}, status=400)
        return render(request, "espace_candidat/unsubscribe.html", {"done": True})
    return render(request, "espace_candidat/unsubscribe.html", {"token": token})


@require_capability("espace.view")
@require_GET
def dossier(request, org_slug, dossier_id):
    d = selectors.own_dossier(request.user, dossier_id)
    published = selectors.published_decision(d)
    documents = []
    for doc in selectors.documents(d, published=bool(published)):
        from documents.qr import qr_svg
        from documents.services import verification_url

        url = verification_url(doc.verification_code) if doc.verification_code else ""
        documents.append(
            {
                "document": doc,
                "verification_url": url,
                "qr": qr_svg(url, title=f"QR de vérification — {doc.title}") if url else "",
                "credential": doc.kind in ("parchemin", "certificat_bloc") and not doc.is_revoked,
            }
        )
    context = {
        "dossier": d,
        "published": published,
        "cc": selectors.continuous_assessment(d),
        "convocations": selectors.convocations(d),
        "documents": documents,
        "deadlines": selectors.deadlines(d),
        "pieces_asked": selectors.pieces_asked(d),
        "pieces": selectors.own_pieces(d),
        "piece_form": PieceForm(kinds=selectors.pieces_asked(d)),
        "rattrapage": selectors.rattrapage_window(d),
        "rattrapage_requests": RattrapageRequest.objects.filter(dossier=d),
        "suivi": selectors.suivi_of(d),
        "enquetes": selectors.enquetes_of(d),
        "corrections": IdentityCorrection.objects.filter(candidate=d.candidate, confirme=False)[:5],
        "identity_signed": selectors.identity_signed_jury(d.candidate) is not None,
    }
    return render(request, "espace_candidat/dossier.html", context)


@require_capability("espace.view")
@require_GET
def convocation_pdf(request, org_slug, convocation_id):
    from documents.selectors import document_file_read

    convocation = selectors.own_convocation(request.user, convocation_id)
    try:
        data = document_file_read(document=convocation.document)
    except ApplicationError as exc:
        return HttpResponse(exc.message, status=409, content_type="text/plain; charset=utf-8")
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="convocation-{convocation.inscription.epreuve.date:%Y%m%d}.pdf"'
    )
    return response


@require_capability("espace.view")
@require_GET
def document_download(request, org_slug, document_id):
    from documents.selectors import document_file_read

    document = selectors.own_document(request.user, document_id)
    try:
        data = document_file_read(document=document)
    except ApplicationError as exc:
        return HttpResponse(exc.message, status=409, content_type="text/plain; charset=utf-8")
    response = HttpResponse(data, content_type="application/pdf")
    stem = document.number or document.kind
    response["Content-Disposition"] = f'attachment; filename="{stem}.pdf"'
    return response


@require_capability("espace.view")
@require_GET
def document_credential(request, org_slug, document_id):
    """The Open Badges 3.0 credential (VC-JWT and its decoded form) to keep or add to a wallet."""
    from certificateur.credentials import credential_download, credential_for_document

    document = selectors.own_document(request.user, document_id)
    try:
        credential = credential_for_document(document=document)
    except ApplicationError as exc:
        return HttpResponse(exc.message, status=409, content_type="text/plain; charset=utf-8")
    body = json.dumps(credential_download(credential), ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="attestation-numerique-{document.number or document.public_id}.json"'
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_capability("espace.act")
@require_POST
def wallet_offer(request, org_slug, document_id):
    """« Ajouter à mon portefeuille numérique »: a one-time OpenID4VCI offer, its QR code and PIN."""
    from documents.qr import qr_svg
    from espace_candidat import wallet

    document = selectors.own_document(request.user, document_id)
    try:
        offer = wallet.offer_create(document=document, user=request.user)
    except ApplicationError as exc:
        return render(
            request,
            "espace_candidat/wallet_offer.html",
            {"document": document, "error": exc.message},
            status=409,
        )
    context = {
        "document": document,
        "offer": offer,
        "qr": qr_svg(
            offer.uri_by_reference,
            title=f"QR de l'offre pour mon portefeuille — {document.get_kind_display()}",
        ),
        "dossier_id": selectors.dossier_of_document(request.user, document).public_id,
    }
    response = render(request, "espace_candidat/wallet_offer.html", context)
    response["Cache-Control"] = "no-store"
    return response


@require_capability("espace.act")
@require_POST
def piece_upload(request, org_slug, dossier_id):
    d = selectors.own_dossier(request.user, dossier_id)
    form = PieceForm(request.POST, request.FILES, kinds=selectors.pieces_asked(d))
    if form.is_valid():
        try:
            piece = services.piece_hand_in(
                dossier=d,
                by=request.membership,
                kind=form.cleaned_data["kind"],
                uploaded_file=form.cleaned_data["file"],
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Pièce déposée : {piece.original_name}.")
    else:
        messages.error(request, "Choisissez la pièce et le fichier à déposer.")
    return redirect("espace_dossier", org_slug=org_slug, dossier_id=d.public_id)


@require_capability("espace.act")
@require_http_methods(["GET", "POST"])
def identity(request, org_slug):
    candidate = selectors.own_access(request.user).candidate
    signed = selectors.identity_signed_jury(candidate)
    initial = {f: getattr(candidate, f) for f in services.CORRECTABLE_FIELDS}
    form = IdentityForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        commentaire = data.pop("commentaire", "")
        try:
            correction = services.identity_request(
                candidate=candidate, by=request.membership, changes=data, commentaire=commentaire
            )
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            messages.success(
                request,
                "Merci : vos données sont confirmées."
                if correction.confirme
                else "Votre demande de correction est transmise au centre.",
            )
            return redirect("espace_identity", org_slug=org_slug)
    return render(
        request,
        "espace_candidat/identity.html",
        {
            "form": form,
            "candidate": candidate,
            # after the jury's signature: the data read-only and the re-issue path explained
            "locked": services.identity_locked_message(signed) if signed else "",
            "requests": IdentityCorrection.objects.filter(candidate=candidate)[:10],
        },
        status=400 if form.errors else 200,
    )


@require_capability("espace.act")
@require_http_methods(["GET", "POST"])
def rattrapage(request, org_slug, dossier_id):
    d = selectors.own_dossier(request.user, dossier_id)
    form = RattrapageForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.rattrapage_request(
                dossier=d,
                by=request.membership,
                motif=form.cleaned_data["motif"],
                justification=form.cleaned_data["justification"],
                uploaded_file=form.cleaned_data.get("file"),
            )
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, "Votre demande de rattrapage est transmise au centre.")
            return redirect("espace_dossier", org_slug=org_slug, dossier_id=d.public_id)
    return render(
        request,
        "espace_candidat/rattrapage.html",
        {"dossier": d, "form": form, "window": selectors.rattrapage_window(d)},
        status=400 if form.errors else 200,
    )


@require_capability("espace.act")
@require_http_methods(["GET", "POST"])
def suivi(request, org_slug, dossier_id):
    d = selectors.own_dossier(request.user, dossier_id)
    current = selectors.suivi_of(d)
    c = d.candidate
    initial = (
        {
            f: getattr(current, f)
            for f in ("email", "telephone", "adresse", "code_postal", "ville", "situation")
        }
        if current
        else {
            "email": c.email,
            "telephone": c.telephone,
            "adresse": c.adresse,
            "code_postal": c.code_postal,
            "ville": c.ville,
        }
    )
    form = SuiviForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.suivi_validate(dossier=d, **form.cleaned_data)
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, "Merci : vos coordonnées et votre situation sont validées.")
            return redirect("espace_dossier", org_slug=org_slug, dossier_id=d.public_id)
    return render(
        request,
        "espace_candidat/suivi.html",
        {"dossier": d, "form": form, "current": current},
        status=400 if form.errors else 200,
    )


@require_capability("espace.act")
@require_http_methods(["GET", "POST"])
def enquete(request, org_slug, enquete_id):
    e = selectors.own_enquete(request.user, enquete_id)
    form = EnqueteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.enquete_answer(enquete=e, **form.cleaned_data)
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, "Merci pour votre réponse.")
            return redirect("espace_dossier", org_slug=org_slug, dossier_id=e.dossier.public_id)
    return render(
        request,
        "espace_candidat/enquete.html",
        {"enquete": e, "form": form},
        status=400 if form.errors else 200,
    )


@require_capability("espace.view")
@require_GET
def rgpd_export(request, org_slug):
    from candidates.rgpd import candidate_rgpd_export

    candidate = selectors.own_access(request.user).candidate
    archive = candidate_rgpd_export(candidate=candidate, by=request.membership)
    return FileResponse(
        archive, as_attachment=True, filename="mes-donnees.zip", content_type="application/zip"
    )


# --- the centre ---------------------------------------------------------------------------------


@require_capability("espace.invite")
@require_POST
def invite(request, org_slug, candidate_id):
    from candidates.selectors import candidate_get

    candidate = candidate_get(public_id=candidate_id, actor=request.membership)
    try:
        services.candidate_invite(candidate=candidate, by=request.membership)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"Invitation envoyée à {candidate.email} : le candidat se connecte avec un code reçu par e-mail.",
        )
    return redirect("candidate_detail", org_slug=org_slug, candidate_id=candidate.public_id)


@require_capability("demandes.manage")
@require_GET
def requests_list(request, org_slug):
    return render(
        request,
        "espace_candidat/centre_requests.html",
        {
            "corrections": IdentityCorrection.objects.filter(confirme=False).select_related("candidate")[
                :100
            ],
            "rattrapages": RattrapageRequest.objects.select_related(
                "dossier__candidate", "dossier__referentiel"
            )[:100],
            "form": DecideForm(),
        },
    )


def _request_decide(request, org_slug: str, pending, decide: Callable[[Any, bool, str], object]):
    """« Décider une demande » (a correction d'état civil, a rattrapage): ``decide(pending,
    accept, reponse)`` with the form's choice; back to the list with what happened."""
    if pending is None:
        raise Http404
    form = DecideForm(request.POST)
    try:
        if not form.is_valid():
            raise ApplicationError("Choisissez d'accepter ou de refuser.")
        decide(pending, form.cleaned_data["decision"] == "accepter", form.cleaned_data["reponse"])
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Demande traitée.")
    return redirect("espace_centre_requests", org_slug=org_slug)


@require_capability("demandes.manage")
@require_POST
def correction_decide(request, org_slug, correction_id):
    return _request_decide(
        request,
        org_slug,
        IdentityCorrection.objects.filter(public_id=correction_id).first(),
        lambda correction, accept, reponse: services.identity_decide(
            correction=correction, by=request.membership, apply=accept, reponse=reponse
        ),
    )


@require_capability("demandes.manage")
@require_GET
def rattrapage_justificatif(request, org_slug, rattrapage_id):
    req = RattrapageRequest.objects.filter(public_id=rattrapage_id).exclude(justificatif="").first()
    if req is None:
        raise Http404
    response = FileResponse(
        req.justificatif.open("rb"),
        as_attachment=True,
        filename=req.justificatif_nom,
        content_type=req.justificatif_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_capability("demandes.manage")
@require_POST
def rattrapage_decide(request, org_slug, rattrapage_id):
    return _request_decide(
        request,
        org_slug,
        RattrapageRequest.objects.filter(public_id=rattrapage_id).first(),
        lambda req, accept, reponse: services.rattrapage_decide(
            request=req, by=request.membership, accept=accept, reponse=reponse
        ),
    )


@require_capability("suivi.view")
@require_GET
def followup(request, org_slug):
    from espace_candidat.models import Transmission

    return render(
        request,
        "espace_candidat/centre_suivi.html",
        {
            "rows": services.centre_figures(),
            "transmissions": Transmission.objects.select_related("referentiel")[:20],
        },
    )


@require_capability("suivi.transmit")
@require_POST
def followup_transmit(request, org_slug):
    form = TransmitForm(request.POST)
    try:
        if not form.is_valid():
            raise ApplicationError("Certification ou année invalide.")
        services.figures_transmit(
            by=request.membership, code=form.cleaned_data["code"], annee=form.cleaned_data["annee"]
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Chiffres transmis au certificateur.")
    return redirect("espace_centre_suivi", org_slug=org_slug)


@require_capability("juries.manage")
@require_GET
def jury_notifications(request, org_slug, jury_id):
    """« Publier les résultats »: who was told, and when."""
    from juries.models import Jury

    jury = Jury.objects.filter(public_id=jury_id).first()
    if jury is None:
        raise Http404
    return render(
        request,
        "espace_candidat/jury_notifications.html",
        {"jury": jury, "notifications": selectors.notifications_for(key_prefix=f"jury:{jury.public_id}:")},
    )


# --- the certificateur --------------------------------------------------------------------------


def _certificateur_only(capability: str):
    from certificateur.views import certificateur_only

    return certificateur_only(capability)


@_certificateur_only("oversight.view")
@require_GET
def insertion(request, org_slug):
    return render(
        request,
        "espace_candidat/insertion.html",
        {"rows": oversight.insertion_figures(certificateur=request.organisation)},
    )


@_certificateur_only("oversight.export")
@require_GET
def insertion_export(request, org_slug, fmt):
    import io

    from core.exports import csv_writer, xlsx_append

    if fmt not in ("csv", "xlsx"):
        raise Http404
    rows = oversight.export_rows(oversight.insertion_figures(certificateur=request.organisation))
    stamp = timezone.localtime().strftime("%Y%m%d")
    if fmt == "csv":
        out = io.StringIO()
        # formula-like cells written as text (core.exports, issue 16)
        csv_writer(out, delimiter=";", lineterminator="\r\n").writerows(
            [[oversight.csv_cell(v) for v in row] for row in rows]
        )
        response = HttpResponse(("\ufeff" + out.getvalue()).encode(), content_type="text/csv; charset=utf-8")
    else:
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("STATISTIQUES_PROMOTIONS")
        for row in rows:
            xlsx_append(sheet, [oversight.xlsx_cell(v) for v in row])
        buf = io.BytesIO()
        workbook.save(buf)
        response = HttpResponse(
            buf.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
    response["Content-Disposition"] = f'attachment; filename="statistiques-promotions-{stamp}.{fmt}"'
    return response
