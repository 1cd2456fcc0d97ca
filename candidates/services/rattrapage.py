"""Retakes: the plan of a retake (window, count, blocs left) and opening it."""

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from candidates.models import (
    Dossier,
    DossierBloc,
    DossierModalite,
)
from candidates.services._common import S, _save
from candidates.services.dossiers import _record
from core.actors import Actor, actor_user
from core.dates import add_years, date_fr
from core.errors import ApplicationError
from core.natural import natural_sorted
from organisations.services import audit_record
from organisations.tenancy import current_organisation
from referentiels.regles import regle_parse
from referentiels.selectors import habilitation_valid_for


def _chain(dossier: Dossier) -> list[Dossier]:
    """The dossier and its previous attempts, newest first."""
    chain = [dossier]
    while chain[-1].previous_attempt_id:
        chain.append(Dossier.objects.select_related("previous_attempt").get(pk=chain[-1].previous_attempt_id))
    return chain


def dossier_rattrapage_plan(
    *, dossier: Dossier, blocs: Iterable[str] | None = None, today: dt.date | None = None
) -> list[DossierBloc]:
    """The failed blocs a retake would target, or ``ApplicationError`` explaining the refusal.

    Rules come from the référentiel's règle: ``validite_blocs_annees`` (window counted from
    the first deliberation of the chain) and ``rattrapages_par_bloc``.
    """
    today = today or timezone.localdate()
    if dossier.status != S.DELIBERE or dossier.decision not in (
        Dossier.Decision.PARTIEL,
        Dossier.Decision.AJOURNE,
    ):
        raise ApplicationError(
            "Un rattrapage s'ouvre après une délibération en validation partielle ou un ajournement."
        )
    if dossier.retakes.exists():
        raise ApplicationError("Un rattrapage a déjà été ouvert pour cette tentative.")
    if dossier.candidate.erased_at:
        raise ApplicationError("Les données de ce candidat ont été effacées.")
    regle = regle_parse(dossier.referentiel.regle) if dossier.referentiel.regle else None
    chain = _chain(dossier)
    first_day = chain[-1].date_deliberation or dossier.date_deliberation
    validite = regle.validite_blocs_annees if regle else None
    if validite and first_day:
        limit = add_years(first_day, int(validite))
        if today > limit:
            raise ApplicationError(
                f"Délai de rattrapage dépassé : le règlement de {dossier.referentiel.code} permet de repasser les blocs "
                f"dans les {validite} ans suivant la première délibération ({date_fr(first_day)}), soit jusqu'au {date_fr(limit)}."
            )
    failed = [db for db in dossier.blocs_vises.select_related("bloc") if not db.acquis]
    if not failed:
        raise ApplicationError("Aucun bloc à repasser : tous les blocs visés sont acquis.")
    max_retakes = regle.rattrapages_par_bloc if regle else None
    attempts_by_bloc: dict[int, int] = {}
    if max_retakes is not None:
        rows = DossierBloc.objects.filter(
            dossier__in=[d.pk for d in chain], acquis_anterieur=False
        ).values_list("bloc_id", flat=True)
        for bloc_id in rows:
            attempts_by_bloc[bloc_id] = attempts_by_bloc.get(bloc_id, 0) + 1
    wanted = set(blocs) if blocs is not None else None
    if wanted is not None:
        unknown = wanted - {db.bloc.code for db in failed}
        if unknown:
            raise ApplicationError(
                f"Bloc sans échec à repasser : {', '.join(natural_sorted(unknown))}.", field="blocs"
            )
    plan, exhausted = [], []
    for db in failed:
        if wanted is not None and db.bloc.code not in wanted:
            continue
        used = attempts_by_bloc.get(db.bloc_id, 1) - 1
        if max_retakes is not None and used >= int(max_retakes):
            exhausted.append((db.bloc.code, used))
            continue
        plan.append(db)
    if exhausted and (wanted is not None or not plan):
        details = ", ".join(f"{code} (déjà repassé {n} fois)" for code, n in exhausted)
        raise ApplicationError(
            f"Rattrapage refusé : le règlement de {dossier.referentiel.code} n'autorise que {max_retakes} rattrapage(s) par bloc — {details}."
        )
    return plan


# Seed 004, « Dans le cadre d'un redoublement : le candidat suit les modules du ou des blocs
# non-validés » — only a candidate who follows the training again can repeat it (not a VAE, a
# candidat libre or an équivalence: they have no modules to follow).
VOIES_REDOUBLEMENT = (
    Dossier.VoieAcces.FORMATION_INITIALE,
    Dossier.VoieAcces.APPRENTISSAGE,
    Dossier.VoieAcces.FORMATION_CONTINUE,
    Dossier.VoieAcces.CONTRAT_PRO,
)
REPRISE_LIBELLES = {
    Dossier.Reprise.RATTRAPAGE: (
        "Rattrapage : seules les évaluations de blocs sont repassées ; le contrôle continu et la note"
        " du tuteur sont conservés"
    ),
    Dossier.Reprise.REDOUBLEMENT: (
        "Redoublement : les modules des blocs non validés sont suivis à nouveau ; contrôle continu et"
        " évaluations de blocs repassés, nouvelle note du tuteur"
    ),
}


def reprise_check(
    *, dossier: Dossier, reprise: str, courrier_le: dt.date | None, today: dt.date | None = None
) -> str:
    """The kind of retake this dossier may open (``Dossier.Reprise``), or ``ApplicationError``.

    Only a points grid (RNCP36390, seed 004) distinguishes rattrapage and redoublement; other
    référentiels open a plain retake (``""``)."""
    regle = regle_parse(dossier.referentiel.regle) if dossier.referentiel.regle else None
    if regle is None or not regle.par_points:
        if reprise == Dossier.Reprise.REDOUBLEMENT:
            raise ApplicationError(
                f"Le règlement de {dossier.referentiel.code} ne prévoit pas de redoublement.", field="reprise"
            )
        return ""
    reprise = reprise or Dossier.Reprise.RATTRAPAGE
    if reprise not in (Dossier.Reprise.RATTRAPAGE, Dossier.Reprise.REDOUBLEMENT):
        raise ApplicationError("Choisissez un rattrapage ou un redoublement.", field="reprise")
    if courrier_le is not None and courrier_le > (today or timezone.localdate()):
        raise ApplicationError(
            "La date de réception du courrier recommandé ne peut pas être dans le futur.", field="courrier_le"
        )
    if reprise == Dossier.Reprise.REDOUBLEMENT and dossier.voie_acces not in VOIES_REDOUBLEMENT:
        raise ApplicationError(
            "Redoublement impossible : le candidat doit suivre à nouveau les modules des blocs non validés,"
            f" ce que sa voie d'accès ({dossier.get_voie_acces_display()}) ne prévoit pas. Ouvrez un rattrapage.",
            field="reprise",
        )
    return reprise


@transaction.atomic
def dossier_rattrapage_open(
    *,
    dossier: Dossier,
    by: Actor,
    blocs: Iterable[str] | None = None,
    date_inscription: dt.date | None = None,
    reprise: str = "",
    courrier_le: dt.date | None = None,
) -> Dossier:
    """Open the next attempt: validated blocs carried (not re-evaluated), failed ones targeted again.

    ``reprise`` (points grids): ``rattrapage`` (default) or ``redoublement`` as seed 004 defines
    them; ``courrier_le``: when the centre received the candidate's registered letter."""
    dossier = (
        Dossier.objects.select_for_update().select_related("candidate", "referentiel").get(pk=dossier.pk)
    )
    plan = dossier_rattrapage_plan(dossier=dossier, blocs=blocs)
    reprise = reprise_check(dossier=dossier, reprise=reprise, courrier_le=courrier_le)
    day = date_inscription or timezone.localdate()
    if not habilitation_valid_for(centre=current_organisation(), referentiel=dossier.referentiel, on=day):
        raise ApplicationError(
            f"Le centre n'est pas habilité pour {dossier.referentiel.code} au {date_fr(day)}."
        )
    retake = Dossier(
        organisation=dossier.organisation,
        candidate=dossier.candidate,
        referentiel=dossier.referentiel,
        voie_acces=dossier.voie_acces,
        statut_professionnel=dossier.statut_professionnel,
        entreprise=dossier.entreprise,
        tuteur=dossier.tuteur,
        date_inscription=day,
        attempt=dossier.attempt + 1,
        previous_attempt=dossier,
        reprise=reprise,
        reprise_courrier_le=courrier_le,
        created_by=actor_user(by),
        **{
            f"amenagement_{n}": getattr(dossier, f"amenagement_{n}")
            for n in ("tiers_temps", "pauses", "secretaire", "interprete", "equipement", "note")
        },
    )
    _save(retake, exclude=["candidate", "referentiel", "previous_attempt"])
    carried = [db for db in dossier.blocs_vises.all() if db.acquis]
    DossierBloc.objects.bulk_create(
        [
            DossierBloc(
                organisation=dossier.organisation,
                dossier=retake,
                bloc_id=db.bloc_id,
                acquis=True,
                acquis_anterieur=True,
                acquis_le=db.acquis_le,
            )
            for db in carried
        ]
        + [DossierBloc(organisation=dossier.organisation, dossier=retake, bloc_id=db.bloc_id) for db in plan]
    )
    retaken = {db.bloc_id for db in plan}
    DossierModalite.objects.bulk_create(
        [
            DossierModalite(
                organisation=dossier.organisation,
                dossier=retake,
                capacite_id=dm.capacite_id,
                modalite_id=dm.modalite_id,
            )
            for dm in dossier.modalites_choisies.select_related("capacite")
            if dm.capacite.bloc_id in retaken
        ]
    )
    codes = ", ".join(db.bloc.code for db in plan)
    nom = retake.get_reprise_display() if reprise else "Rattrapage"
    _record(retake, "", S.BROUILLON, by, f"{nom} de la tentative {dossier.attempt} : {codes}")
    audit_record(actor=actor_user(by), action="dossier.rattrapage", obj=retake, message=codes)
    return retake
