"""Attendance at an épreuve (absences scored or lifted) and incidents."""

from django.db import transaction
from django.utils import timezone

from core.actors import Actor, actor_user
from core.dates import add_months
from core.errors import ApplicationError
from evaluations.models import (
    Epreuve,
    Incident,
    InscriptionEpreuve,
    Resultat,
)
from evaluations.services._common import TRACKED, _check_open, _history, check_started
from evaluations.services.results import resultat_record, suivi_update
from evaluations.services.sessions import MAKE_UP_MONTHS
from organisations.services import audit_record
from referentiels.models import Capacite


@transaction.atomic
def presence_record(
    *,
    inscription: InscriptionEpreuve,
    by: Actor,
    presence: str,
    motif: str = "",
    justification: str = "",
    uploaded_file=None,
) -> InscriptionEpreuve:
    """Record attendance. An unjustified absence is recorded as such on what the épreuve covers; a
    justified one (certificat médical, arrêt de travail, force majeure, with its pièce when given)
    is recorded with its motive and opens a make-up within 6 months."""
    inscription = (
        InscriptionEpreuve.objects.select_related("epreuve", "dossier")
        .select_for_update()
        .get(pk=inscription.pk)
    )
    P = InscriptionEpreuve.Presence
    previous = inscription.presence
    if presence not in (P.PRESENT, P.ABSENT_JUSTIFIE, P.ABSENT_NON_JUSTIFIE):
        raise ApplicationError("Indiquez présent, absent justifié ou absent non justifié.", field="presence")
    if presence == P.ABSENT_JUSTIFIE and motif not in InscriptionEpreuve.Motif.values[1:]:
        raise ApplicationError(
            "Une absence n'est justifiée que par un certificat médical, un arrêt de travail ou un cas de force majeure.",
            field="motif",
        )
    _check_open(inscription.dossier)
    epreuve = inscription.epreuve
    check_started(epreuve, "la présence ne peut pas être enregistrée")
    inscription.presence = presence
    inscription.motif_absence = motif if presence == P.ABSENT_JUSTIFIE else ""
    inscription.justification = justification.strip() if presence == P.ABSENT_JUSTIFIE else ""
    inscription.rattrapage_avant = (
        add_months(epreuve.date, MAKE_UP_MONTHS) if presence == P.ABSENT_JUSTIFIE else None
    )
    inscription.presence_par, inscription.presence_le = actor_user(by), timezone.now()
    inscription.save()
    if presence == P.ABSENT_NON_JUSTIFIE:
        _score_absence(inscription, by)
    elif previous == P.ABSENT_NON_JUSTIFIE:
        _unscore_absence(inscription, by, now=inscription.get_presence_display())
    from evaluations.absences import absence_from_presence, justified_absence_lifted

    if presence == P.ABSENT_JUSTIFIE:
        absence_from_presence(inscription, by, motif=motif, uploaded_file=uploaded_file)
    elif previous == P.ABSENT_JUSTIFIE:
        justified_absence_lifted(inscription, by)
    audit_record(
        actor=actor_user(by),
        action="presence.record",
        obj=inscription,
        message=f"{epreuve.intitule} : {inscription.get_presence_display()}",
    )
    return inscription


def _absence_reason(epreuve: Epreuve) -> str:
    return f"Absence non justifiée à l'épreuve « {epreuve.intitule} » du {epreuve.date:%d/%m/%Y}"


def _score_absence(inscription: InscriptionEpreuve, by: Actor) -> None:
    """An unjustified absence is recorded as the fact it is — never a 0 in disguise — on what the
    épreuve covers (seed 004, « En cas de non-présentation »): the bloc's épreuves (the bloc is not
    validated), the composante of the évaluation professionnelle (the title is not obtained, the
    blocs ≥ 10/20 are kept), « absent » for a capacité. The contrôle continu is left as it is."""
    epreuve, dossier = inscription.epreuve, inscription.dossier
    reason = _absence_reason(epreuve)
    if epreuve.bloc_id:
        resultat_record(
            dossier=dossier,
            by=by,
            bloc=epreuve.bloc,
            absence_non_justifiee=True,
            reason=reason,
            epreuve=epreuve,
        )
    elif epreuve.composante:
        resultat_record(
            dossier=dossier,
            by=by,
            composante=epreuve.composante,
            absence_non_justifiee=True,
            reason=reason,
            epreuve=epreuve,
        )
    else:
        for capacite in Capacite.objects.filter(
            referentiel_id=dossier.referentiel_id, code__in=epreuve.capacites
        ):
            resultat_record(
                dossier=dossier,
                by=by,
                capacite=capacite,
                etat=Resultat.Etat.ABSENT,
                reason=reason,
                epreuve=epreuve,
            )


def _unscore_absence(inscription: InscriptionEpreuve, by: Actor, *, now: str) -> None:
    """Attendance corrected away from an unjustified absence: the zero (or « absent ») that the
    absence wrote is cleared, un-validated and kept in history, so the result is marked afresh.
    A value someone entered after the absence is left alone."""
    epreuve, dossier = inscription.epreuve, inscription.dossier
    absence = _absence_reason(epreuve)
    reason = f"Présence corrigée ({now}) : {absence[0].lower()}{absence[1:]} annulée"
    qs = Resultat.objects.select_for_update().filter(dossier=dossier)
    if epreuve.bloc_id:
        targets = [
            (r, "epreuves")
            for r in qs.filter(kind=Resultat.Kind.BLOC, bloc_id=epreuve.bloc_id, absence_non_justifiee=True)
        ]
    elif epreuve.composante:
        targets = [
            (r, "absence_non_justifiee")
            for r in qs.filter(
                kind=Resultat.Kind.COMPOSANTE, composante=epreuve.composante, absence_non_justifiee=True
            )
        ]
    else:
        targets = [
            (r, "etat")
            for r in qs.filter(
                kind=Resultat.Kind.CAPACITE,
                capacite__code__in=epreuve.capacites,
                capacite__referentiel_id=dossier.referentiel_id,
                etat=Resultat.Etat.ABSENT,
            )
        ]
    for resultat, field in targets:
        last = resultat.changes.filter(field=field).order_by("-at", "-pk").first()
        if field != "epreuves" and (last is None or last.reason != absence):
            continue  # marked again since the absence: a real mark, not the absence's
        before = {f: getattr(resultat, f) for f in TRACKED}
        if field == "epreuves":
            resultat.epreuves, resultat.absence_non_justifiee = None, False
        elif field == "absence_non_justifiee":
            resultat.points, resultat.absence_non_justifiee = None, False
        else:
            resultat.etat = Resultat.Etat.NONE
        resultat.valide, resultat.valide_par, resultat.valide_le = False, None, None
        resultat.save()
        _history(resultat, before, by, reason, epreuve)


@transaction.atomic
def incident_record(
    *, inscription: InscriptionEpreuve, by: Actor, kind: str, pv: str, contreseing: str
) -> Incident:
    """Record an incident with its PV d'incident, countersigned by the candidate or the refusal
    noted (seed 004). A fraud PV is a suspicion awaiting the jury's decision
    (``SuiviDossier.fraude_en_attente``): only a proven fraud invalidates the session."""
    if kind not in Incident.Kind.values:
        raise ApplicationError("Nature d'incident inconnue.", field="kind")
    if not pv.strip():
        raise ApplicationError("Rédigez le procès-verbal d'incident.", field="pv")
    if contreseing not in Incident.Contreseing.values:
        raise ApplicationError(
            "Indiquez si le candidat a contresigné le procès-verbal ou refusé de le faire.",
            field="contreseing",
        )
    _check_open(inscription.dossier)
    check_started(inscription.epreuve, "aucun incident ne peut y être consigné")
    incident = Incident(
        organisation_id=inscription.organisation_id,
        inscription=inscription,
        kind=kind,
        pv=pv.strip(),
        contreseing=contreseing,
        recorded_by=actor_user(by),
    )
    incident.save()
    if kind == Incident.Kind.FRAUDE:
        suivi_update(dossier=inscription.dossier, by=by, fraude_en_attente=True)
    audit_record(
        actor=actor_user(by), action=f"incident.{kind}", obj=incident, message=inscription.epreuve.intitule
    )
    return incident
