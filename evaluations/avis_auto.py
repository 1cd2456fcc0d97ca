"""The avis de l'entreprise requested automatically when a dossier is inscribed, if its
référentiel needs it — the tuteur then gets the link, and the reminders, with no one to think of
it.

* CQPM (seeds 000–002): every capacité is validated « sur la base : des différentes évaluations,
  de l'avis de l'entreprise, de l'entretien avec le candidat » — needed whenever the référentiel
  lists the « Avis de l'entreprise » modalité.
* RNCP36390 (seed 004): « une note attribuée par le professionnel qui suit le candidat en
  entreprise à l'aide d'une grille d'activités et de compétences » — needed when the règle's
  évaluation professionnelle has a tuteur composante (unless a retake keeps that note).

Deadline: the dossier's « date limite de remise du rapport » when it is to come, otherwise
``AVIS_AUTO_DELAI_JOURS`` days after the inscription (a centre's setting). A dossier without a
tuteur gets nothing (the centre asks later, by hand, once the tuteur is known).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from candidates.models import Dossier
from core.actors import Actor
from evaluations.models import AvisEntreprise
from referentiels.models import Modalite, ModaliteType
from referentiels.regles import RegleGrillePoints, regle_parse


def needs_avis(dossier: Dossier) -> bool:
    regle = regle_parse(dossier.referentiel.regle)
    if isinstance(regle, RegleGrillePoints):
        tuteur = regle.composante_tuteur()
        if tuteur is None:
            return False
        from evaluations.retakes import tuteur_grade_kept

        return not tuteur_grade_kept(dossier=dossier, regle=regle, composante=tuteur.code)
    return Modalite.objects.filter(
        referentiel_id=dossier.referentiel_id, type=ModaliteType.AVIS_ENTREPRISE
    ).exists()


def request_at_inscription(
    *, dossier: Dossier, from_status: str, to_status: str, by: Actor
) -> AvisEntreprise | None:
    """Hook of a dossier's transition: ask its tuteur for the avis when it becomes inscrit and
    its référentiel needs one (see the module's docstring)."""

    if to_status != Dossier.Status.INSCRIT or dossier.tuteur_id is None:
        return None
    if AvisEntreprise.objects.filter(dossier=dossier).exists() or not needs_avis(dossier):
        return None
    from evaluations import services

    today = timezone.localdate()
    limite = dossier.date_remise_rapport
    if limite is None or limite <= today:
        limite = max(dossier.date_inscription, today) + dt.timedelta(days=settings.AVIS_AUTO_DELAI_JOURS)
    return services.avis_request(dossier=dossier, by=by, date_limite=limite)
