"""A dossier's pages: its results (suivi, contrôle continu, tuteur's note, absences, fraud,
validation) and the commission d'évaluation."""

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from candidates.selectors import dossier_get
from core.errors import ApplicationError
from evaluations import controle_continu, selectors, services
from evaluations.dispositions import parcours_of
from evaluations.forms import SuiviForm
from evaluations.models import Resultat
from evaluations.tuteur_note import current_note, tuteur_composante
from evaluations.views._common import validateur as _validateur
from organisations.permissions import membership_can, require_capability

# --- a dossier's results -------------------------------------------------------------------------


def _post_suivi(request, dossier, suivi_form) -> None:
    if not suivi_form.is_valid():
        raise ApplicationError("Taux d'absence invalide (0 à 100 %).")
    services.suivi_update(
        dossier=dossier,
        by=request.membership,
        taux_absence=suivi_form.cleaned_data["taux_absence"],
    )
    messages.success(request, "Taux d'absence enregistré.")


def _post_controle_continu(request, dossier, suivi_form) -> None:
    valeurs = {key[len("cc-") :]: value for key, value in request.POST.items() if key.startswith("cc-")}
    changed = controle_continu.cc_record_many(dossier=dossier, by=request.membership, valeurs=valeurs)
    messages.success(request, f"Contrôle continu enregistré ({changed} bloc(s) modifié(s)).")


def _post_note_tuteur(request, dossier, suivi_form) -> None:
    from evaluations.tuteur_note import note_record

    note_record(
        dossier=dossier,
        by=request.membership,
        points=request.POST.get("points", ""),
        pour_le_compte_de=str(dossier.tuteur) if dossier.tuteur_id else "(tuteur non renseigné)",
    )
    messages.success(request, "Note du tuteur enregistrée pour son compte.")


def _post_absence(request, dossier, suivi_form) -> None:
    from evaluations.absences import absence_record, partie_get

    absence_record(
        dossier=dossier,
        by=request.membership,
        partie=request.POST.get("partie", ""),
        motif=request.POST.get("motif", ""),
        justification=request.POST.get("justification", ""),
        uploaded_file=request.FILES.get("justificatif"),
    )
    libelle = partie_get(dossier, request.POST.get("partie", "")).libelle
    messages.success(request, f"Absence enregistrée : {libelle}.")


def _post_fraude(request, dossier, suivi_form) -> None:
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


def _post_valider(request, dossier, suivi_form) -> None:
    resultat = selectors.resultat_get(dossier=dossier, public_id=request.POST.get("resultat", ""))
    services.resultat_validate(resultat=resultat, by=request.membership)
    validateur = _validateur(dossier.referentiel)
    messages.success(request, "Résultat validé" + (f" par la {validateur}." if validateur else "."))


def _date_post(request, name: str, libelle: str) -> dt.date | None:
    value = request.POST.get(name, "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ApplicationError(f"Date invalide : {libelle} (jj/mm/aaaa).", field=name) from None


def _post_parcours(request, dossier, suivi_form) -> None:
    """Exemption and portefeuille de preuves from the results page (seed 004)."""
    from evaluations import dispositions

    action = request.POST.get("action")
    if action == "exemption":
        dispositions.exemption_record(
            dossier=dossier,
            by=request.membership,
            positionnement_le=_date_post(request, "positionnement_le", "date du positionnement"),
            justification=request.POST.get("justification", ""),
            uploaded_file=request.FILES.get("piece"),
        )
        message = "Candidat exempté d'épreuve professionnelle."
    elif action == "exemption_retirer":
        dispositions.exemption_remove(dossier=dossier, by=request.membership)
        message = "Exemption d'épreuve professionnelle retirée."
    elif action == "portefeuille":
        link = dispositions.portefeuille_record(
            dossier=dossier,
            by=request.membership,
            bloc=request.POST.get("bloc", ""),
            fin_parcours=_date_post(request, "fin_parcours", "fin du parcours formatif"),
            presentation_le=_date_post(request, "presentation_le", "présentation au jury"),
            justification=request.POST.get("justification", ""),
            evaluateur=request.POST.get("evaluateur", ""),
            uploaded_file=request.FILES.get("piece"),
        )
        message = f"Bloc {link.bloc.code} : épreuves remplacées par le portefeuille de preuves."
    else:
        link = dispositions.portefeuille_remove(
            dossier=dossier, by=request.membership, bloc=request.POST.get("bloc", "")
        )
        message = f"Bloc {link.bloc.code} : retour aux épreuves de bloc."
    messages.success(request, message)


def _post_periode_effectuee(request, dossier, suivi_form) -> None:
    from evaluations.absences import periode_absence_clear

    periode_absence_clear(dossier=dossier, by=request.membership)
    messages.success(request, "Période en entreprise effectuée : absence annulée.")


#: The forms of a dossier's results page, by their ``action``: the capability each needs, its handler.
RESULTS_ACTIONS = {
    "suivi": ("attendance.record", _post_suivi),
    "controle_continu": ("results.record", _post_controle_continu),
    "note_tuteur": ("results.record", _post_note_tuteur),
    "absence": ("attendance.record", _post_absence),
    "fraude": ("juries.deliberate", _post_fraude),
    "valider": ("results.validate", _post_valider),
    "exemption": ("results.record", _post_parcours),
    "exemption_retirer": ("results.record", _post_parcours),
    "portefeuille": ("results.record", _post_parcours),
    "portefeuille_retirer": ("results.record", _post_parcours),
    "periode_effectuee": ("attendance.record", _post_periode_effectuee),
}


@require_capability("results.view")
@require_http_methods(["GET", "POST"])
def dossier_results(request, org_slug, dossier_id):
    dossier = dossier_get(public_id=dossier_id, actor=request.membership)
    suivi_form = SuiviForm(request.POST or None) if request.POST.get("action") == "suivi" else SuiviForm()
    if request.method == "POST":
        action = RESULTS_ACTIONS.get(request.POST.get("action"))
        if action is not None:
            capability, handler = action
            if not membership_can(request, capability):
                raise PermissionDenied
            try:
                handler(request, dossier, suivi_form)
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
        parcours=parcours_of(dossier),
        par_points=_is_grid(dossier),
        validateur=_validateur(dossier.referentiel) or "commission d'évaluation",
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
        entretien_error = _post_entretien(request, dossier)
        if not entretien_error:
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
            qui = "du jury d'évaluation" if dossier.referentiel.kind == "CQPI" else "de la commission"
            messages.success(
                request,
                f"{dossier.referentiel.mot_capacite.capitalize()} {resultat.capacite.code} : décision {qui} enregistrée.",
            )
            return redirect(
                reverse("dossier_commission", kwargs={"org_slug": org_slug, "dossier_id": dossier.public_id})
                + f"#cap-{resultat.capacite_id}"
            )
    return _commission_page(request, dossier, errors=errors, entretien_error=entretien_error)


def _post_entretien(request, dossier) -> str:
    """Record the entretien posted; the French error message, or "" when it was recorded."""
    from evaluations.entretiens import entretien_record
    from evaluations.forms import entretien_posted

    try:
        entretien_record(dossier=dossier, by=request.membership, **entretien_posted(request.POST))
    except ApplicationError as exc:
        return exc.message
    return ""


def _commission_page(request, dossier, *, errors, entretien_error):
    rows = selectors.commission_rows(dossier=dossier)
    membres_connus = _commission_membres_connus(rows)
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
            "membres_connus": membres_connus,
            "cqpi": dossier.referentiel.kind == "CQPI",
        },
        status=400 if errors or entretien_error else 200,
    )


def _commission_membres_connus(rows) -> str:
    """The members a new decision's field starts with: those named on this dossier's last decision,
    else the participants of its latest entretien — the commission is the same for every capacité
    of a sitting, and typing it ten times (seed 001 has 10 capacités) invited mistakes."""
    decided = [
        r.resultat for r in rows if r.resultat and r.resultat.commission_membres and r.resultat.valide_le
    ]
    if decided:
        return max(decided, key=lambda r: r.valide_le).commission_membres
    entretiens = [i["entretien"] for r in rows for i in r.entretien if i.get("entretien")]
    if entretiens:
        return max(entretiens, key=lambda e: (e.date, e.pk)).participants
    return ""


def _fraud_incidents(dossier) -> list:
    from evaluations.selectors import fraud_incidents

    return list(fraud_incidents(dossier))


def _is_grid(dossier) -> bool:
    from referentiels.regles import regle_parse

    return regle_parse(dossier.referentiel.regle).par_points
