"""Pages of « who issues and who signs » (issue 13, point 1) in the certificateur space, thin:
the rules (``/supervision/emission/``) and the PVs received from the centres
(``/supervision/pv-recus/``: review, bulk issue with progress, return with a reason)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from certificateur import issuance
from certificateur.views import certificateur_only
from core.errors import ApplicationError
from documents.issuance import KIND_LABELS, MAX_SIGNATORIES
from documents.models import IssuanceSignatory, Issuer
from juries.models import PvTransmission


def _posted_rule(post) -> dict:
    signataires = [
        {
            "title": post.get(f"titre_{i}", ""),
            "name": post.get(f"nom_{i}", ""),
            "named_by": post.get(f"renseigne_par_{i}", "certificateur"),
        }
        for i in range(MAX_SIGNATORIES)
    ]
    return {
        "kind": post.get("kind", ""),
        "issuer": post.get("issuer", ""),
        "referentiel_code": post.get("referentiel_code", ""),
        "signataires": signataires,
        "source": post.get("source", ""),
    }


def _rules_context(request, posted: dict | None = None) -> dict:
    certificateur = request.organisation
    rows = posted["signataires"] if posted else []
    rows = rows + [{"title": "", "name": "", "named_by": "certificateur"}] * (MAX_SIGNATORIES - len(rows))
    return {
        "active": "emission",
        "rules": issuance.issuance_rules(certificateur=certificateur),
        "codes": issuance.certificateur_codes(certificateur),
        "kinds": list(KIND_LABELS.items()),
        "issuers": Issuer.choices,
        "named_by": IssuanceSignatory.NamedBy.choices,
        "posted": posted or {"kind": "parchemin", "issuer": "centre", "referentiel_code": ""},
        "rows": list(enumerate(rows)),
    }


@certificateur_only("oversight.configure")
@require_http_methods(["GET", "POST"])
def emission_rules(request, org_slug):
    if request.method == "POST":
        posted = _posted_rule(request.POST)
        try:
            rule = issuance.issuance_rule_set(
                certificateur=request.organisation, by=request.membership, **posted
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return render(request, "certificateur/emission.html", _rules_context(request, posted), status=400)
        messages.success(
            request, f"Règle enregistrée : {rule.get_kind_display()} — {rule.get_issuer_display()}."
        )
        return redirect("emission_rules", org_slug=org_slug)
    return render(request, "certificateur/emission.html", _rules_context(request))


@certificateur_only("oversight.configure")
@require_POST
def emission_rule_delete(request, org_slug, rule_id):
    rule = issuance.issuance_rule_get(certificateur=request.organisation, public_id=rule_id)
    issuance.issuance_rule_delete(rule=rule, by=request.membership)
    messages.success(
        request, "Règle supprimée : la règle par défaut (ou l'émission par le centre) s'applique."
    )
    return redirect("emission_rules", org_slug=org_slug)


@certificateur_only("oversight.issue")
@require_http_methods(["GET", "POST"])
def received_pvs(request, org_slug):
    status = 200
    if request.method == "POST":
        try:
            launched = issuance.received_pvs_issue(
                certificateur=request.organisation,
                by=request.membership,
                public_ids=request.POST.getlist("transmissions"),
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
            status = 400
        else:
            messages.success(request, f"Émission lancée pour {len(launched)} procès-verbal(aux).")
            if len(launched) == 1:
                return redirect("received_pv", org_slug=org_slug, transmission_id=launched[0].public_id)
            return redirect(request.get_full_path())  # the same page, filters kept
    etat = request.GET.get("etat", "")
    if etat not in PvTransmission.Status.values:
        etat = ""
    page, rows = issuance.received_pvs_page(
        certificateur=request.organisation, status=etat, page=request.GET.get("page")
    )
    return render(
        request,
        "certificateur/pv_recus.html",
        {
            "active": "pv_recus",
            "rows": rows,
            "page": page,
            "etat": etat,
            "etats": PvTransmission.Status.choices,
        },
        status=status,
    )


@certificateur_only("oversight.issue")
@require_GET
def received_pv(request, org_slug, transmission_id):
    data = issuance.received_pv_get(certificateur=request.organisation, public_id=transmission_id)
    template = (
        "certificateur/_pv_progress.html"
        if request.headers.get("HX-Request")
        else "certificateur/pv_recu.html"
    )
    return render(request, template, {"active": "pv_recus", **data})


@certificateur_only("oversight.issue")
@require_POST
def received_pv_return(request, org_slug, transmission_id):
    try:
        issuance.received_pv_return(
            certificateur=request.organisation,
            by=request.membership,
            public_id=transmission_id,
            reason=request.POST.get("motif", ""),
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        data = issuance.received_pv_get(certificateur=request.organisation, public_id=transmission_id)
        return render(
            request,
            "certificateur/pv_recu.html",
            {"active": "pv_recus", "motif": request.POST.get("motif", ""), **data},
            status=400,
        )
    messages.success(request, "Procès-verbal retourné au centre avec votre motif.")
    return redirect("received_pvs", org_slug=org_slug)


# --- approvals of re-issues and revocations (issue 13, point 5) ---------------------------------


def _approvals_context(request, **extra) -> dict:
    from certificateur import approvals

    return {"active": "approbations", **approvals.approvals_list(certificateur=request.organisation), **extra}


@certificateur_only("oversight.issue")
@require_GET
def approvals_page(request, org_slug):
    return render(request, "certificateur/approbations.html", _approvals_context(request))


@certificateur_only("oversight.issue")
@require_POST
def approval_decide(request, org_slug, kind, request_id):
    from certificateur import approvals

    decision = request.POST.get("decision", "")
    try:
        approvals.approval_decide(
            certificateur=request.organisation,
            by=request.membership,
            kind=kind,
            public_id=request_id,
            decision=decision,
            note=request.POST.get("note", ""),
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        context = _approvals_context(request, failed_id=str(request_id), note=request.POST.get("note", ""))
        return render(request, "certificateur/approbations.html", context, status=400)
    messages.success(
        request,
        ("Demande approuvée : " if decision == "approuver" else "Demande refusée : ")
        + (
            "la nouvelle version du document est en cours de génération."
            if kind == "reeditions" and decision == "approuver"
            else "le document est révoqué ; la page de vérification l'indique."
            if decision == "approuver"
            else "le centre voit votre observation."
        ),
    )
    return redirect("approvals_page", org_slug=org_slug)


@certificateur_only("oversight.issue")
@require_GET
def approval_piece(request, org_slug, request_id):
    from django.http import HttpResponse

    from certificateur import approvals
    from documents.services import PIECE_TYPES as PIECE_CONTENT_TYPES

    data, name = approvals.approval_piece(certificateur=request.organisation, public_id=request_id)
    content_type = next(
        (t for magic, t in PIECE_CONTENT_TYPES.items() if data.startswith(magic)), "application/octet-stream"
    )
    response = HttpResponse(data, content_type=content_type)
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in name)[:100] or "piece"
    response["Content-Disposition"] = f'attachment; filename="{safe}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
