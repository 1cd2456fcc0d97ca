"""What seed 004 lets a candidate do instead of an evaluation, recorded on the dossier with its
justification and pièce, and the période en entreprise as a fact of its own.

* Exemption of the épreuve professionnelle — « Les salariés et demandeurs d'emploi qui bénéficient
  d'un positionnement effectué en amont de la formation, peuvent être exemptés d'épreuve
  professionnelle. » Only a salarié or a demandeur d'emploi; the positionnement dated on or before
  the inscription (« en amont de la formation »), justified, with its pièce. The engine then
  neither requires nor counts the évaluation professionnelle (``referentiels.regles``, choice 4).
* Portefeuille de preuves — « Les candidats salariés peuvent, dans le cadre de la validation d'un
  bloc de compétences, substituer les épreuves de blocs par un portefeuille de preuves à présenter à
  un jury, 3 à 6 mois après le parcours formatif, dans la mesure où le contexte de l'entreprise du
  candidat est favorable à ce type de démarche. » « Le portefeuille de preuves complété et signé par
  le candidat est transmis à l'évaluateur. Celui-ci n'ayant pas participé à la formation ». Only a
  salarié, per bloc still to be evaluated, presented between 3 and 6 months (both ends included)
  after the end of the parcours formatif, with the company context, the évaluateur and the signed
  portefeuille. The bloc's épreuves mark is then the portefeuille's; until it is given the bloc is
  « portefeuille de preuves non présenté » (no title without it).
* Période en entreprise — « l'absence de période en entreprise […] induisent la non-obtention du
  diplôme mais il conserve le bénéfice des blocs pour lesquels il a obtenu la moyenne » : recorded
  by ``evaluations.absences`` (part ``periode:entreprise``) on the dossier's ``SuiviDossier``.

Bad input raises ``ApplicationError`` (French) and writes nothing.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from candidates.models import Dossier, DossierBloc, Piece
from core.actors import Actor, actor_user
from core.dates import add_months, date_fr
from core.errors import ApplicationError
from evaluations.models import Resultat
from organisations.services import audit_record
from referentiels.regles import RegleGrillePoints, regle_parse

STATUTS_EXEMPTION = (Dossier.StatutProfessionnel.SALARIE, Dossier.StatutProfessionnel.DEMANDEUR_EMPLOI)
STATUTS_PORTEFEUILLE = (Dossier.StatutProfessionnel.SALARIE,)
PORTEFEUILLE_MOIS = (3, 6)


def _grille(dossier: Dossier, quoi: str) -> RegleGrillePoints:
    regle = regle_parse(dossier.referentiel.regle) if dossier.referentiel.regle else None
    if not isinstance(regle, RegleGrillePoints):
        raise ApplicationError(f"Le règlement de {dossier.referentiel.code} ne prévoit pas {quoi}.")
    return regle


def _open(dossier: Dossier) -> None:
    if dossier.is_closed:
        raise ApplicationError(
            f"Le dossier est {dossier.get_status_display().lower()} : son parcours ne change plus."
        )


def _locked_open(dossier: Dossier) -> Dossier:
    """The dossier read again under a row lock, refused when its parcours can no longer change."""
    dossier = Dossier.objects.select_for_update().select_related("referentiel").get(pk=dossier.pk)
    _open(dossier)
    return dossier


def _require_statut(dossier: Dossier, statuts, refus: str) -> None:
    """Refuse (``refus``, then the candidate's statut) when the statut professionnel is not one of ``statuts``."""
    if dossier.statut_professionnel not in statuts:
        raise ApplicationError(
            f"{refus} (statut du candidat : {dossier.get_statut_professionnel_display() or 'non renseigné'}).",
            field="statut_professionnel",
        )


def _piece(dossier: Dossier, by: Actor, kind: str, piece: Piece | None, uploaded_file, quoi: str) -> Piece:
    if piece is not None:
        if piece.dossier_id != dossier.pk:
            raise ApplicationError("Cette pièce n'appartient pas au dossier.", field="piece")
        return piece
    if uploaded_file is None:
        raise ApplicationError(f"Joignez {quoi}.", field="piece")
    from candidates.services import piece_upload

    return piece_upload(dossier=dossier, by=by, kind=kind, uploaded_file=uploaded_file)


@transaction.atomic
def exemption_record(
    *,
    dossier: Dossier,
    by: Actor,
    positionnement_le: dt.date | None,
    justification: str,
    piece: Piece | None = None,
    uploaded_file=None,
) -> Dossier:
    """Exempt the candidate from the épreuve professionnelle (see the module docstring)."""
    dossier = _locked_open(dossier)
    _grille(dossier, "d'épreuve professionnelle")
    _require_statut(
        dossier,
        STATUTS_EXEMPTION,
        "Seuls les salariés et demandeurs d'emploi qui bénéficient d'un positionnement effectué en amont"
        " de la formation peuvent être exemptés d'épreuve professionnelle",
    )
    if positionnement_le is None:
        raise ApplicationError("Indiquez la date du positionnement.", field="positionnement_le")
    if positionnement_le > dossier.date_inscription:
        raise ApplicationError(
            f"Le positionnement du {date_fr(positionnement_le)} n'est pas « en amont de la formation » :"
            f" il suit l'inscription du {date_fr(dossier.date_inscription)}.",
            field="positionnement_le",
        )
    justification = (justification or "").strip()
    if not justification:
        raise ApplicationError("Justifiez l'exemption (résultat du positionnement).", field="justification")
    if Resultat.objects.filter(dossier=dossier, kind=Resultat.Kind.COMPOSANTE, points__isnull=False).exists():
        raise ApplicationError(
            "Des notes d'évaluation professionnelle sont déjà saisies : une exemption ne les efface pas.",
            field="positionnement_le",
        )
    piece = _piece(dossier, by, Piece.Kind.POSITIONNEMENT, piece, uploaded_file, "la pièce du positionnement")
    dossier.exemption_epreuve_pro = True
    dossier.exemption_positionnement_le = positionnement_le
    dossier.exemption_justification = justification
    dossier.exemption_piece = piece
    dossier.save(
        update_fields=[
            "exemption_epreuve_pro",
            "exemption_positionnement_le",
            "exemption_justification",
            "exemption_piece",
            "updated_at",
        ]
    )
    audit_record(
        actor=actor_user(by),
        action="dossier.exemption",
        obj=dossier,
        message=f"Exempté d'épreuve professionnelle (positionnement du {date_fr(positionnement_le)}) : {justification}",
    )
    return dossier


@transaction.atomic
def exemption_remove(*, dossier: Dossier, by: Actor) -> Dossier:
    dossier = _locked_open(dossier)
    if not dossier.exemption_epreuve_pro:
        raise ApplicationError("Ce candidat n'est pas exempté d'épreuve professionnelle.")
    dossier.exemption_epreuve_pro = False
    dossier.exemption_positionnement_le = None
    dossier.exemption_justification = ""
    dossier.exemption_piece = None
    dossier.save(
        update_fields=[
            "exemption_epreuve_pro",
            "exemption_positionnement_le",
            "exemption_justification",
            "exemption_piece",
            "updated_at",
        ]
    )
    audit_record(actor=actor_user(by), action="dossier.exemption", obj=dossier, message="Exemption retirée")
    return dossier


def _bloc_vise(dossier: Dossier, bloc: str) -> DossierBloc:
    link = (
        DossierBloc.objects.select_for_update()
        .select_related("bloc")
        .filter(dossier=dossier, acquis_anterieur=False, bloc__code=bloc)
        .first()
    )
    if link is None:
        raise ApplicationError("Choisissez un bloc que le candidat présente dans ce dossier.", field="bloc")
    return link


@transaction.atomic
def portefeuille_record(
    *,
    dossier: Dossier,
    by: Actor,
    bloc: str,
    fin_parcours: dt.date | None,
    presentation_le: dt.date | None,
    justification: str,
    evaluateur: str,
    piece: Piece | None = None,
    uploaded_file=None,
) -> DossierBloc:
    """Replace a bloc's épreuves by a portefeuille de preuves (see the module docstring)."""
    dossier = _locked_open(dossier)
    _grille(dossier, "d'épreuves de blocs à remplacer par un portefeuille de preuves")
    _require_statut(
        dossier,
        STATUTS_PORTEFEUILLE,
        "Seuls les candidats salariés peuvent substituer les épreuves de blocs par un portefeuille de preuves",
    )
    link = _bloc_vise(dossier, bloc)
    if fin_parcours is None:
        raise ApplicationError("Indiquez la date de fin du parcours formatif.", field="fin_parcours")
    if presentation_le is None:
        raise ApplicationError("Indiquez la date de présentation au jury.", field="presentation_le")
    debut, fin = (add_months(fin_parcours, n) for n in PORTEFEUILLE_MOIS)
    if not debut <= presentation_le <= fin:
        raise ApplicationError(
            f"Le portefeuille se présente au jury 3 à 6 mois après le parcours formatif (fin le"
            f" {date_fr(fin_parcours)}) : entre le {date_fr(debut)} et le {date_fr(fin)}, pas le"
            f" {date_fr(presentation_le)}.",
            field="presentation_le",
        )
    justification = (justification or "").strip()
    if not justification:
        raise ApplicationError(
            "Décrivez en quoi le contexte de l'entreprise du candidat est favorable à cette démarche.",
            field="justification",
        )
    evaluateur = (evaluateur or "").strip()
    if not evaluateur:
        raise ApplicationError(
            "Nommez l'évaluateur qui reçoit le portefeuille (il n'a pas participé à la formation).",
            field="evaluateur",
        )
    if len(evaluateur) > 200:
        raise ApplicationError("Nom de l'évaluateur trop long (200 caractères au plus).", field="evaluateur")
    marked = Resultat.objects.filter(
        dossier=dossier, kind=Resultat.Kind.BLOC, bloc_id=link.bloc_id, epreuves__isnull=False
    ).exists()
    if marked and not link.portefeuille:
        raise ApplicationError(
            f"Les épreuves du bloc {link.bloc.code} sont déjà notées : elles ne sont plus à remplacer.",
            field="bloc",
        )
    piece = _piece(
        dossier, by, Piece.Kind.PORTEFEUILLE, piece, uploaded_file, "le portefeuille de preuves signé"
    )
    link.portefeuille = True
    link.portefeuille_fin_parcours = fin_parcours
    link.portefeuille_presentation_le = presentation_le
    link.portefeuille_justification = justification
    link.portefeuille_evaluateur = evaluateur
    link.portefeuille_piece = piece
    link.save()
    audit_record(
        actor=actor_user(by),
        action="dossier.portefeuille",
        obj=dossier,
        message=f"Bloc {link.bloc.code} : portefeuille de preuves présenté le {date_fr(presentation_le)}",
    )
    return link


@transaction.atomic
def portefeuille_remove(*, dossier: Dossier, by: Actor, bloc: str) -> DossierBloc:
    dossier = _locked_open(dossier)
    link = _bloc_vise(dossier, bloc)
    if not link.portefeuille:
        raise ApplicationError(f"Le bloc {link.bloc.code} n'est pas présenté par portefeuille de preuves.")
    if Resultat.objects.filter(
        dossier=dossier, kind=Resultat.Kind.BLOC, bloc_id=link.bloc_id, epreuves__isnull=False
    ).exists():
        raise ApplicationError(
            f"Le portefeuille du bloc {link.bloc.code} est déjà noté : corrigez la note plutôt que la modalité.",
            field="bloc",
        )
    link.portefeuille = False
    link.portefeuille_fin_parcours = link.portefeuille_presentation_le = None
    link.portefeuille_justification = link.portefeuille_evaluateur = ""
    link.portefeuille_piece = None
    link.save()
    audit_record(
        actor=actor_user(by),
        action="dossier.portefeuille",
        obj=dossier,
        message=f"Bloc {link.bloc.code} : portefeuille de preuves retiré",
    )
    return link


def parcours_of(dossier: Dossier) -> dict:
    """The dossier's reprise, exemption, portefeuilles and période en entreprise, as the page and
    the API show them (2 queries); ``applicable`` is false when the règle is not a points grid
    (seed 004's parcours do not exist there: nothing is read)."""
    from evaluations.models import SuiviDossier

    regle = regle_parse(dossier.referentiel.regle) if dossier.referentiel.regle else None
    if not isinstance(regle, RegleGrillePoints):
        return {
            "applicable": False,
            "dossier": dossier,
            "portefeuilles": [],
            "blocs_portefeuille": [],
            "periode_absente": False,
            "periode_motif": "",
            "periode_piece": None,
        }
    suivi = SuiviDossier.objects.filter(dossier=dossier).select_related("periode_piece").first()
    links = list(
        DossierBloc.objects.filter(dossier=dossier, acquis_anterieur=False)
        .select_related("bloc", "portefeuille_piece")
        .order_by("bloc__order")
    )
    portefeuilles = [link for link in links if link.portefeuille]
    ouverts = (
        [link.bloc for link in links if not link.portefeuille]
        if dossier.statut_professionnel in STATUTS_PORTEFEUILLE
        else []
    )
    return {
        "applicable": True,
        "dossier": dossier,
        "portefeuilles": portefeuilles,
        "blocs_portefeuille": ouverts,
        "periode_absente": bool(suivi and suivi.periode_absente),
        "periode_motif": suivi.periode_motif if suivi else "",
        "periode_piece": suivi.periode_piece if suivi else None,
    }
