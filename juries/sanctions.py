"""Fraud: the surveillant's PV d'incident records a suspicion; the jury decides; a proven fraud
or falsification records the seed's sanction with the certificateur, and any centre is refused a
new inscription of that person to the certificateur's certifications while it runs.

Seed 004: « Le surveillant dressera un procès-verbal contresigné par l'auteur des faits. En cas de
refus de contresigner, mention sera portée au procès-verbal. » — « Tout candidat dont la fraude
est avérée voit sa session d'examen invalidée, il ne valide aucun bloc. Pour obtenir la validation
totale ou partielle du titre il devra, après un délai de carence de 6 mois, repasser l'ensemble
des évaluations de blocs » — « En cas de falsification des résultats le candidat se verra
signifier une interdiction d'accès aux diplômes du réseau pour une durée de 10 ans. »
"""

from __future__ import annotations

import datetime as dt
import hashlib
import unicodedata

from django.db import transaction
from django.utils import timezone

from candidates.models import Dossier
from core.dates import add_months
from core.errors import ApplicationError
from evaluations.selectors import fraud_incidents
from juries.models import Sanction
from juries.services import dossier_proposals_refresh
from organisations.services import audit_record

CARENCE_MOIS = 6  # « après un délai de carence de 6 mois »
INTERDICTION_ANS = 10  # « interdiction d'accès aux diplômes du réseau pour une durée de 10 ans »
REFUS = "Inscription impossible : sanction en cours."
NON_RETENUE = "non_retenue"


def _fold(text: str) -> str:
    return " ".join(
        unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().upper().split()
    )


def identite_hash(candidate) -> str:
    """SHA-256 of the folded birth name, first first name and birth date (year-month-day)."""
    key = "|".join(
        [
            _fold(candidate.nom_naissance),
            _fold(candidate.prenom1),
            f"{candidate.naissance_annee or 0:04d}-{candidate.naissance_mois or 0:02d}-{candidate.naissance_jour or 0:02d}",
        ]
    )
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def fraude_statuer(*, dossier: Dossier, by, nature: str, motif: str = "", day: dt.date | None = None):
    """The jury decides on a fraud suspicion: ``fraude`` or ``falsification`` (proven: the session
    is invalidated and the sanction recorded with the certificateur) or ``non_retenue``."""
    from evaluations.models import SuiviDossier

    day = day or timezone.localdate()
    dossier = (
        Dossier.objects.select_for_update().select_related("referentiel", "candidate").get(pk=dossier.pk)
    )
    incidents = [i for i in fraud_incidents(dossier) if not i.decision]
    if not incidents:
        raise ApplicationError(
            "Aucun procès-verbal d'incident pour fraude en attente de décision : il n'y a rien à statuer."
        )
    if nature not in (*Sanction.Nature.values, NON_RETENUE):
        raise ApplicationError("Indiquez fraude avérée, falsification ou fraude non retenue.", field="nature")
    if not motif.strip():
        raise ApplicationError("Motivez la décision du jury.", field="motif")
    suivi, _ = SuiviDossier.objects.get_or_create(
        dossier=dossier, defaults={"organisation_id": dossier.organisation_id}
    )
    pv = incidents[-1]
    for incident in incidents:  # the suspicion ends with the jury's decision
        incident.decision, incident.decision_motif = nature, motif.strip()
        incident.decide_par, incident.decide_le = getattr(by, "user", by), timezone.now()
        incident.save(update_fields=["decision", "decision_motif", "decide_par", "decide_le"])
    suivi.fraude_en_attente = False
    if nature == NON_RETENUE:
        suivi.fraude, suivi.fraude_motif = False, ""
        suivi.save(update_fields=["fraude", "fraude_motif", "fraude_en_attente"])
        audit_record(
            actor=getattr(by, "user", by), action="fraude.non_retenue", obj=dossier, message=motif.strip()
        )
        # the suspicion is lifted: the stored proposal no longer waits on it
        dossier_proposals_refresh(dossier)
        return None
    epreuve = pv.inscription.epreuve
    suivi.fraude = True
    suivi.fraude_motif = (
        f"Épreuve « {epreuve.intitule} » du {epreuve.date:%d/%m/%Y} — {pv.get_contreseing_display()}. "
        f"Décision du jury : {Sanction.Nature(nature).label}. {motif.strip()}"
    )
    suivi.save(update_fields=["fraude", "fraude_motif", "fraude_en_attente"])
    # « voit sa session d'examen invalidée, il ne valide aucun bloc » : the proposal before the
    # jury says so at once
    dossier_proposals_refresh(dossier)
    fin = (
        add_months(day, CARENCE_MOIS)
        if nature == Sanction.Nature.FRAUDE
        else add_months(day, 12 * INTERDICTION_ANS)
    )
    sanction = Sanction.objects.create(
        certificateur_id=dossier.referentiel.certificateur_id,
        identite=identite_hash(dossier.candidate),
        nature=nature,
        debut=day,
        fin=fin,
        centre_id=dossier.organisation_id,
        dossier_public_id=dossier.public_id,
    )
    audit_record(
        actor=getattr(by, "user", by),
        action=f"fraude.{nature}",
        obj=dossier,
        message=f"{sanction.get_nature_display()} jusqu'au {fin:%d/%m/%Y}",
    )
    return sanction


def sanction_en_cours(*, candidate, certificateur_id: int, day: dt.date | None = None) -> bool:
    day = day or timezone.localdate()
    return Sanction.objects.filter(
        certificateur_id=certificateur_id, identite=identite_hash(candidate), debut__lte=day, fin__gt=day
    ).exists()


def sanction_guard(dossier) -> list[str]:
    """Before ``inscrit``: refused while a sanction runs, in any centre; nothing else is said.

    The sanction is the certificateur's (national, no centre's rows): the same person inscribed by
    another centre, to any of this certificateur's certifications, is refused. A retake
    (rattrapage, redoublement) after a proven fraud too: « après un délai de carence de 6 mois » —
    neither on a day within the sanction nor with an inscription dated within it (a dossier
    back-dated into the carence)."""
    certificateur_id = dossier.referentiel.certificateur_id
    days = {timezone.localdate(), dossier.date_inscription} - {None}
    if any(
        sanction_en_cours(candidate=dossier.candidate, certificateur_id=certificateur_id, day=day)
        for day in days
    ):
        return [REFUS]
    return []
