"""HTML pages of juries: parse, call a service or selector, render. Nothing else."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from candidates.models import Dossier
from core.clientip import client_ip
from core.errors import ApplicationError
from documents.models import IssuedDocument
from juries import rules as jury_rules
from juries import selectors, services
from juries.forms import DossiersForm, JuryForm, MemberForm, OverrideForm, RectificationForm, SignForm
from juries.models import Jury, ProcesVerbal
from organisations.permissions import membership_can, require_capability
from referentiels.selectors import referentiel_list


def _back(request, jury, anchor: str = "", query: str = ""):
    url = reverse("jury_detail", kwargs={"org_slug": request.organisation.slug, "jury_id": jury.public_id})
    return redirect(url + (f"?{query}" if query else "") + (f"#{anchor}" if anchor else ""))


# The deliberation page shows its candidates by pages of this size (500-candidate juries).
DECISIONS_PER_PAGE = 50


def _page_query(filters: dict, page: int) -> str:
    params = QueryDict(mutable=True)
    params.update(filters)
    if page > 1:
        params["page"] = str(page)
    return params.urlencode()


def _decision_back_query(request, decision) -> str:
    """Where a row's form comes back to: the page and filters it was posted from (hidden field
    ``retour``, re-parsed: only known filters and a page number), else the page showing the row."""
    if "retour" in request.POST:
        back = QueryDict(request.POST["retour"][:200])
        page = back.get("page", "1")
        return _page_query(selectors.decision_filters(back), int(page) if page.isdigit() else 1)
    return _page_query({}, selectors.decision_position(decision=decision) // DECISIONS_PER_PAGE + 1)


def _run(request, jury, fn, success: str, anchor: str = "", query: str = ""):
    """Call a service; show its message (every reason of a refusal) and come back to the jury."""
    try:
        fn()
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return _back(request, jury, anchor, query)


@require_capability("juries.view")
@require_GET
def jury_list(request, org_slug):
    status = request.GET.get("status", "")
    qs = selectors.jury_list(
        membership=request.membership, status=status if status in Jury.Status.values else ""
    )
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "juries/list.html",
        {
            "page": page,
            "statuses": Jury.Status.choices,
            "status": status,
            "can_manage": membership_can(request, "juries.manage"),
            "deadlines": selectors.deadlines(membership=request.membership),
        },
    )


@require_capability("juries.manage")
@require_http_methods(["GET", "POST"])
def jury_create(request, org_slug):
    referentiels = referentiel_list(organisation=request.organisation, status="published")
    form = JuryForm(request.POST or None, referentiels=referentiels)
    if request.method == "POST" and form.is_valid():
        try:
            jury = services.jury_create(by=request.membership, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, "Jury créé : ajoutez ses membres et ses candidats.")
            return _back(request, jury)
    return render(request, "juries/form.html", {"form": form}, status=400 if form.errors else 200)


def _bloc_choices(jury, *, shown=False, allowed=None, blocs=None):
    """Every bloc code (what a POST may carry: the service answers a refused choice in French);
    ``shown``: the blocs the jury may tick (none where the règle has no separately validable bloc)."""
    blocs = list(jury.referentiel.blocs.all()) if blocs is None else blocs
    if allowed is None:
        allowed = services.partial_allowed(jury.referentiel, blocs=blocs)
    if shown and not allowed:
        return []
    return [(b.code, f"{b.code} — {b.intitule[:70]}") for b in blocs if not (shown and b.implicite)]


def _decision_values(allowed: bool):
    return [
        (v, label)
        for v, label in Dossier.Decision.choices
        if v and (allowed or v != Dossier.Decision.PARTIEL)
    ]


@require_capability("juries.view")
@require_GET
def jury_detail(request, org_slug, jury_id):
    jury = selectors.jury_get(membership=request.membership, public_id=jury_id)
    can_manage = membership_can(request, "juries.manage")
    me = services.member_for(jury, request.user)
    is_voting = bool(me and me.votes and request.membership.role == "jury")
    filters = selectors.decision_filters(request.GET)
    counts = selectors.decision_counts(jury=jury, filters=filters)
    paginator = Paginator(selectors.decision_page_list(jury=jury, filters=filters), DECISIONS_PER_PAGE)
    paginator.count = counts["matching"]  # counted by the aggregate above: no second COUNT
    page = paginator.get_page(request.GET.get("page"))
    pvs = selectors.proces_verbaux(jury=jury)
    initial = next((pv for pv in pvs if pv.kind == ProcesVerbal.Kind.INITIAL), None)
    pv_states = [
        {
            "pv": pv,
            "state": selectors.signature_state(pv),
            "mine": bool(me and any(s.member_id == me.pk for s in pv.signatures.all())),
        }
        for pv in pvs
    ]
    all_blocs = list(jury.referentiel.blocs.all())
    partial = services.partial_allowed(jury.referentiel, blocs=all_blocs)
    blocs = _bloc_choices(jury, shown=True, allowed=partial, blocs=all_blocs)
    documents = _jury_documents(request, jury)
    from juries.issuance import transmission_of

    context = {
        "jury": jury,
        "transmission": transmission_of(jury) if jury.is_frozen else None,
        "rules": jury_rules.rules_for(jury.referentiel),
        "members": list(jury.members.all()),
        "page": page,
        "page_range": list(paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)),
        "filters": filters,
        "counts": counts,
        "retour": _page_query(filters, page.number),
        "filters_query": _page_query(filters, 1) + "&" if filters else "",
        "decision_values": _decision_values(partial),
        "pending": counts["pending"],
        "failures": services.jury_composition_failures(jury)
        if jury.status == Jury.Status.COMPOSITION
        else [],
        "can_manage": can_manage,
        "me": me,
        "is_voting": is_voting,
        "is_president": bool(is_voting and me.role == "president"),
        "initial_pv": initial,
        "pv_states": pv_states,
        # seating members is the administrator's (issue 16): others read the composition
        "member_form": MemberForm()
        if membership_can(request, "juries.compose") and jury.status == Jury.Status.COMPOSITION
        else None,
        "dossiers_form": DossiersForm(jury=jury)
        if can_manage and jury.status == Jury.Status.COMPOSITION
        else None,
        "override_blocs": blocs,
        # a CQPM's single implicit bloc is never shown as a bloc (« BLOC-UNIQUE », issue 14, point 7)
        "bloc_implicite": len(all_blocs) == 1 and all_blocs[0].implicite,
        "sign_form": SignForm(),
        "passkey_options": _passkey_options(request, is_voting, pv_states),
        "rectification_form": RectificationForm(blocs=blocs, decisions=_decision_values(partial))
        if can_manage and jury.is_frozen
        else None,
        "rectification_choices": selectors.decision_choices(jury=jury)
        if can_manage and jury.is_frozen
        else [],
        "rectifications": list(selectors.rectification_list(jury=jury)),
        "publication": selectors.publication_info(jury),
        "documents": documents,
    }
    return render(request, "juries/detail.html", context)


def _jury_documents(request, jury: Jury) -> dict | None:
    """A frozen jury's documents and their rendering progress, for whoever may see documents."""
    if not (jury.is_frozen and membership_can(request, "documents.view")):
        return None
    from documents.selectors import batch_progress, document_list

    return {
        "progress": batch_progress(group_key=jury.group_key),
        "items": list(
            document_list(actor=request.membership, group_key=jury.group_key).order_by(
                "kind", "number", "holder_name"
            )[:500]
        ),
    }


def _passkey_options(request, is_voting, pv_states):
    """A signature awaits this member and they have a passkey: the WebAuthn request options."""
    from juries.passkeys import has_passkey, request_options

    awaiting = is_voting and any(not i["pv"].completed_at and not i["mine"] for i in pv_states)
    if not awaiting or not has_passkey(request.user):
        return None
    return {"request_options": request_options(request.user)}


def _jury_for(request, jury_id):
    return selectors.jury_get(membership=request.membership, public_id=jury_id)


@require_capability("juries.compose")
@require_POST
def jury_member_add(request, org_slug, jury_id):
    jury = _jury_for(request, jury_id)
    form = MemberForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            "Membre non ajouté : "
            + " ; ".join(
                f"{form.fields[f].label if f in form.fields else ''} {' '.join(e)}".strip()
                for f, e in form.errors.items()
            ),
        )
        return _back(request, jury, "composition")
    return _run(
        request,
        jury,
        lambda: services.jury_member_add(jury=jury, by=request.membership, **form.cleaned_data),
        f"{form.cleaned_data['prenom']} {form.cleaned_data['nom']} ajouté(e) au jury.",
        "composition",
    )


@require_capability("juries.compose")
@require_POST
def jury_member_remove(request, org_slug, jury_id, member_id):
    jury = _jury_for(request, jury_id)
    member = selectors.member_get(jury=jury, public_id=member_id)
    return _run(
        request,
        jury,
        lambda: services.jury_member_remove(member=member, by=request.membership),
        "Membre retiré.",
        "composition",
    )


@require_capability("juries.manage")
@require_POST
def jury_dossiers_add(request, org_slug, jury_id):
    jury = _jury_for(request, jury_id)
    form = DossiersForm(request.POST, jury=jury)
    if not form.is_valid():
        messages.error(request, "Cochez au moins un dossier prêt pour le jury.")
        return _back(request, jury, "candidats")
    dossiers = form.cleaned_data["dossiers"]
    return _run(
        request,
        jury,
        lambda: services.jury_dossiers_add(jury=jury, by=request.membership, dossiers=dossiers),
        f"{len(dossiers)} candidat(s) ajouté(s), avec la proposition du moteur de règles.",
        "candidats",
    )


@require_capability("juries.manage")
@require_POST
def jury_dossier_remove(request, org_slug, jury_id, decision_id):
    jury = _jury_for(request, jury_id)
    decision = selectors.decision_get(jury=jury, public_id=decision_id)
    return _run(
        request,
        jury,
        lambda: services.jury_dossier_remove(decision=decision, by=request.membership),
        "Candidat retiré du jury.",
        "candidats",
    )


@require_capability("juries.manage")
@require_POST
def jury_open(request, org_slug, jury_id):
    jury = _jury_for(request, jury_id)
    return _run(
        request,
        jury,
        lambda: services.jury_open(jury=jury, by=request.membership),
        "La délibération est ouverte.",
        "deliberation",
    )


@require_capability("juries.deliberate")
@require_POST
def decision_record(request, org_slug, jury_id, decision_id):
    jury = _jury_for(request, jury_id)
    decision = selectors.decision_get(jury=jury, public_id=decision_id)
    name = decision.dossier.candidate.nom_complet
    anchor, query = f"d-{decision.public_id}", _decision_back_query(request, decision)
    if request.POST.get("accept"):
        return _run(
            request,
            jury,
            lambda: services.decision_record(decision=decision, by=request.membership, accept=True),
            f"Proposition acceptée pour {name}.",
            anchor,
            query,
        )
    form = OverrideForm(request.POST, blocs=_bloc_choices(jury))
    if not form.is_valid():
        messages.error(request, "Décision non enregistrée : vérifiez la décision et les blocs.")
        return _back(request, jury, anchor, query)
    data = form.cleaned_data
    return _run(
        request,
        jury,
        lambda: services.decision_record(
            decision=decision,
            by=request.membership,
            accept=False,
            decision_value=data["decision"],
            blocs_valides=data["blocs_valides"],
            motivation=data["motivation"],
        ),
        f"Décision du jury enregistrée pour {name}.",
        anchor,
        query,
    )


@require_capability("juries.deliberate")
@require_POST
def decisions_accept_all(request, org_slug, jury_id):
    jury = _jury_for(request, jury_id)
    return _run(
        request,
        jury,
        lambda: services.decisions_accept_all(jury=jury, by=request.membership),
        "Les propositions restantes sont acceptées.",
        "deliberation",
    )


@require_capability("juries.deliberate")
@require_POST
def jury_close(request, org_slug, jury_id):
    jury = _jury_for(request, jury_id)
    return _run(
        request,
        jury,
        lambda: services.jury_close(jury=jury, by=request.membership),
        "Délibération close : le procès-verbal est prêt à signer.",
        "signatures",
    )


@require_capability("juries.sign")
@require_POST
def proces_verbal_sign(request, org_slug, jury_id, pv_id):
    jury = _jury_for(request, jury_id)
    pv = selectors.proces_verbal_get(jury=jury, public_id=pv_id)
    form = SignForm(request.POST)
    code = form.data.get("code", "")
    return _run(
        request,
        jury,
        lambda: services.proces_verbal_sign(
            proces_verbal=pv,
            by=request.membership,
            code=code,
            ip=client_ip(request),
            passkey=request.POST.get("credential", ""),
        ),
        "Votre signature est enregistrée.",
        "signatures",
    )


@require_capability("juries.manage")
@require_POST
def rectification_create(request, org_slug, jury_id):
    jury = _jury_for(request, jury_id)
    try:
        decision = selectors.decision_get(jury=jury, public_id=request.POST.get("decision", ""))
    except (Http404, ValidationError):
        messages.error(request, "Choisissez le candidat dont la décision est rectifiée.")
        return _back(request, jury, "rectifications")
    form = RectificationForm(request.POST, blocs=_bloc_choices(jury))
    if not form.is_valid():
        messages.error(request, "Rectification non enregistrée : indiquez la décision et le motif.")
        return _back(request, jury, "rectifications")
    data = form.cleaned_data
    return _run(
        request,
        jury,
        lambda: services.rectification_create(
            decision=decision,
            by=request.membership,
            nouvelle_decision=data["nouvelle_decision"],
            blocs_valides=data["blocs_valides"],
            motif=data["motif"],
        ),
        "Rectification enregistrée : elle s'appliquera après la signature de tous les membres.",
        "rectifications",
    )


@require_capability("juries.manage")
@require_POST
def jury_publish(request, org_slug, jury_id):
    jury = _jury_for(request, jury_id)
    return _run(
        request,
        jury,
        lambda: services.jury_results_publish(jury=jury, by=request.membership),
        "Résultats publiés.",
        "publication",
    )


@require_capability("juries.view")
@require_GET
def jury_results(request, org_slug, jury_id):
    jury = _jury_for(request, jury_id)
    if not jury.results_published_at and not membership_can(request, "juries.manage"):
        raise Http404("Résultats non publiés.")
    return render(
        request,
        "juries/results.html",
        {
            "jury": jury,
            "results": selectors.published_results(jury=jury),
            "publication": selectors.publication_info(jury),
        },
    )


@require_capability("juries.view")
@require_GET
def proces_verbal_text(request, org_slug, jury_id, pv_id):
    """The exact signed text, byte for byte (its SHA-256 is the one every signature records)."""
    jury = _jury_for(request, jury_id)
    pv = selectors.proces_verbal_get(jury=jury, public_id=pv_id)
    response = FileResponse(iter([pv.contenu.encode("utf-8")]), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="pv-{pv.public_id}.txt"'
    return response


@require_capability("documents.view")
@require_GET
def jury_documents_zip(request, org_slug, jury_id):
    jury = _jury_for(request, jury_id)
    from documents.services import documents_zip

    try:
        stream = documents_zip(group_key=jury.group_key)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return _back(request, jury, "documents")
    response = StreamingHttpResponse(stream, content_type="application/zip")
    response["Content-Disposition"] = (
        f'attachment; filename="jury-{jury.date:%Y%m%d}-{str(jury.public_id)[:8]}.zip"'
    )
    return response


@require_capability("documents.view")
@require_GET
def jury_document_download(request, org_slug, jury_id, document_id):
    """A document of this jury (a jury member sees their own jury's documents only)."""
    jury = _jury_for(request, jury_id)
    from documents.selectors import document_file_read

    document = IssuedDocument.objects.filter(
        group_key=jury.group_key, public_id=document_id, status="ready"
    ).first()
    if document is None:
        raise Http404("Document introuvable.")
    response = FileResponse(iter([document_file_read(document=document)]), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="{document.kind}-{document.number or document.public_id}.pdf"'
    )
    return response


@require_capability("documents.view")
@require_GET
def jury_documents_progress(request, org_slug, jury_id):
    jury = _jury_for(request, jury_id)
    from documents.selectors import batch_progress

    return render(
        request,
        "juries/partials/progress.html",
        {"jury": jury, "progress": batch_progress(group_key=jury.group_key)},
    )


# --- who issues and who signs: the centre's side (issue 13, point 1) ---------------------------


@require_capability("juries.manage")
@require_POST
def jury_transmit_again(request, org_slug, jury_id):
    from juries.issuance import pv_transmit_again, transmission_of

    jury = selectors.jury_get(membership=request.membership, public_id=jury_id)
    transmission = transmission_of(jury)
    if transmission is None:
        raise Http404
    try:
        pv_transmit_again(transmission=transmission, by=request.membership)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Procès-verbal transmis à nouveau au certificateur.")
    return _back(request, jury, "transmission")


@require_capability("signataires.manage")
@require_http_methods(["GET", "POST"])
def centre_signatories(request, org_slug):
    from juries.issuance import centre_signatories as rows_of
    from juries.issuance import centre_signatory_name_set

    status = 200
    if request.method == "POST":
        try:
            centre_signatory_name_set(
                by=request.membership,
                signatory_public_id=_uuid_or_none(request.POST.get("signataire", "")),
                name=request.POST.get("nom", ""),
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
            status = 400
        else:
            messages.success(request, "Nom du signataire enregistré.")
            return redirect("centre_signatories", org_slug=org_slug)
    return render(
        request, "juries/signataires.html", {"rows": rows_of(centre=request.organisation)}, status=status
    )


def _uuid_or_none(value: str):
    import uuid

    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None
