"""Absence and non-présentation as facts, with their motive and pièce (seed 004, règlement d'examen).

« En cas de non-présentation : aux blocs : la non-présentation à au moins une évaluation de bloc
induit la non-validation du bloc. L'absence de période en entreprise, la non remise de rapport dans
les délais fixés ou la non-présentation à la soutenance, induisent la non-obtention du diplôme mais
il conserve le bénéfice des blocs pour lesquels il a obtenu la moyenne. »
« Motifs recevables : certificat médical, arrêt de travail, cas de force majeure justifié — dans ces
seuls cas une épreuve de rattrapage sera proposée au candidat dans un délai de 6 mois après demande
écrite du candidat. »
« Toute absence injustifiée à une évaluation de contrôle continu est sanctionnée par l'attribution
d'un zéro à l'épreuve. »

An absence is stored as the fact it is on the part it concerns — the bloc's épreuves, the bloc's
contrôle continu, a composante of the évaluation professionnelle — with no points: the rules engine
receives it (``ResultatBloc.absence_justifiee`` / ``cc_absence_*``,
``ResultatEvaluationProfessionnelle.absences`` / ``absences_justifiees``) and applies the seed's
consequence itself (the zero of an unjustified contrôle-continu absence included).
"""

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from candidates.models import Dossier, Piece
from core.actors import Actor
from core.errors import ApplicationError
from evaluations.models import Epreuve, InscriptionEpreuve, Resultat
from evaluations.services._common import TRACKED, _history
from referentiels.models import Bloc
from referentiels.regles import MOTIFS_RECEVABLES, RegleGrillePoints, regle_parse

EPREUVES = "epreuves"
CONTROLE_CONTINU = "controle_continu"
PARTIES_BLOC = {EPREUVES: "épreuve de validation", CONTROLE_CONTINU: "contrôle continu"}
NON_JUSTIFIEE = ""
PERIODE = "periode"
PERIODE_VALUE = "periode:entreprise"
PERIODE_LIBELLE = "Période en entreprise"
# What missing each composante of RNCP36390's évaluation professionnelle means, in seed 004's words
# (« la non remise de rapport dans les délais fixés ou la non-présentation à la soutenance »).
PRECISIONS_COMPOSANTE = {
    "ecrit": "mémoire ou rapport non remis dans les délais",
    "oral": "soutenance",
}

MOTIF_CHOICES = [(NON_JUSTIFIEE, "Absence non justifiée"), *InscriptionEpreuve.Motif.choices[1:]]


@dataclass(frozen=True)
class Partie:
    """One part a candidate can miss: ``value`` is what a form or the API sends."""

    value: str
    libelle: str
    bloc: Bloc | None = None
    partie: str = ""
    composante: str = ""


def parties(dossier: Dossier) -> list[Partie]:
    """The parts of this dossier's evaluation a candidate can miss, in the référentiel's words
    (points grids only: capacité-based référentiels record « absent » per capacité)."""
    regle = regle_parse(dossier.referentiel.regle)
    if not isinstance(regle, RegleGrillePoints):
        return []
    out = []
    for link in (
        dossier.blocs_vises.filter(acquis_anterieur=False).select_related("bloc").order_by("bloc__order")
    ):
        bloc = link.bloc
        for partie, libelle in PARTIES_BLOC.items():
            out.append(
                Partie(f"{partie}:{bloc.code}", f"Bloc {bloc.code} — {libelle}", bloc=bloc, partie=partie)
            )
    for c in regle.evaluation_professionnelle.composantes:
        precision = PRECISIONS_COMPOSANTE.get(c.code, "")
        out.append(
            Partie(
                f"composante:{c.code}",
                f"Évaluation professionnelle — {c.libelle}{f' ({precision})' if precision else ''}",
                composante=c.code,
            )
        )
    # seed 004: « l'absence de période en entreprise » is a non-présentation of its own
    out.append(Partie(PERIODE_VALUE, PERIODE_LIBELLE, partie=PERIODE))
    return out


def partie_get(dossier: Dossier, value: str) -> Partie:
    for p in parties(dossier):
        if p.value == value:
            return p
    raise ApplicationError("Choisissez l'évaluation manquée dans la liste.", field="partie")


def _check_motif(motif: str) -> None:
    if motif not in (NON_JUSTIFIEE, *MOTIFS_RECEVABLES):
        raise ApplicationError(
            "Une absence n'est justifiée que par un certificat médical, un arrêt de travail ou un cas "
            "de force majeure justifié (motifs recevables du règlement d'examen).",
            field="motif",
        )


def _piece(dossier: Dossier, by: Actor, motif: str, piece: Piece | None, uploaded_file) -> Piece | None:
    """The pièce justifying the absence: an existing pièce of the dossier, or a file uploaded now
    through the dossier's pièces (checked and sniffed like every pièce)."""
    if not motif:
        return None
    if piece is not None:
        if piece.dossier_id != dossier.pk:
            raise ApplicationError("Cette pièce n'appartient pas au dossier.", field="piece")
        return piece
    if uploaded_file is None:
        raise ApplicationError(
            f"Joignez le justificatif de l'absence ({MOTIFS_RECEVABLES[motif]}).", field="justificatif"
        )
    from candidates.services import piece_upload

    return piece_upload(
        dossier=dossier, by=by, kind=Piece.Kind.JUSTIFICATIF_ABSENCE, uploaded_file=uploaded_file
    )


def _absence_fields(target: Partie, motif: str, piece: Piece | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """What an absence from ``target`` writes: the part's value emptied (through
    ``resultat_record``, which keeps the history), then the motive and pièce set on the result."""
    part: dict[str, Any]
    if target.bloc is not None and target.partie == EPREUVES:
        part = {"bloc": target.bloc, "epreuves": None, "absence_non_justifiee": not motif}
        return part, {"absence_motif": motif, "absence_piece": piece}
    if target.bloc is not None:
        part = {"bloc": target.bloc, "controle_continu": None}
        return part, {
            "cc_absence_non_justifiee": not motif,
            "cc_absence_motif": motif,
            "cc_absence_piece": piece,
        }
    part = {"composante": target.composante, "points": None, "absence_non_justifiee": not motif}
    return part, {"absence_motif": motif, "absence_piece": piece}


@transaction.atomic
def absence_record(
    *,
    dossier: Dossier,
    by: Actor,
    partie: str,
    motif: str = NON_JUSTIFIEE,
    justification: str = "",
    piece: Piece | None = None,
    uploaded_file=None,
    epreuve: Epreuve | None = None,
    require_piece: bool = True,
) -> Resultat | None:
    """Record that the candidate missed ``partie`` (a value of :func:`parties`): unjustified
    (``motif`` empty) or justified by one of the seed's motives with its pièce. The part keeps no
    points — the engine receives the absence. Bad input writes nothing."""
    from evaluations.services.results import resultat_record

    _check_motif(motif)
    target = partie_get(dossier, partie)
    piece = (
        _piece(dossier, by, motif, piece, uploaded_file)
        if (require_piece or piece or uploaded_file)
        else None
    )
    libelle = MOTIFS_RECEVABLES[motif] if motif else "non justifiée"
    reason = f"Absence {libelle} — {target.libelle}"
    if epreuve is not None:
        reason += f" (épreuve « {epreuve.intitule} » du {epreuve.date:%d/%m/%Y})"
    if justification.strip():
        reason += f" : {justification.strip()}"
    if target.partie == PERIODE:
        _periode_record(dossier, by, motif, piece, reason)
        return None
    part, fields = _absence_fields(target, motif, piece)
    resultat = resultat_record(dossier=dossier, by=by, reason=reason, epreuve=epreuve, **part)
    before = {f: getattr(resultat, f) for f in TRACKED}
    changed = any(getattr(resultat, k) != v for k, v in fields.items())
    for key, value in fields.items():
        setattr(resultat, key, value)
    if changed:
        resultat.valide, resultat.valide_par, resultat.valide_le = False, None, None
    resultat.save()
    _history(resultat, before, by, reason, epreuve)
    return resultat


def _periode_record(dossier: Dossier, by: Actor, motif: str, piece: Piece | None, reason: str) -> None:
    """The période en entreprise not done: a fact on the dossier's suivi (no points anywhere)."""
    from core.actors import actor_user
    from evaluations.models import SuiviDossier
    from organisations.services import audit_record

    suivi, _ = SuiviDossier.objects.select_for_update().get_or_create(
        dossier=dossier, defaults={"organisation_id": dossier.organisation_id}
    )
    suivi.periode_absente = not motif
    suivi.periode_motif = motif
    suivi.periode_piece = piece
    suivi.save(update_fields=["periode_absente", "periode_motif", "periode_piece"])
    audit_record(actor=actor_user(by), action="dossier.absence", obj=dossier, message=reason)


def periode_absence_clear(*, dossier: Dossier, by: Actor) -> None:
    """The période en entreprise was done after all (an entry corrected)."""
    from core.actors import actor_user
    from evaluations.models import SuiviDossier
    from organisations.services import audit_record

    suivi = SuiviDossier.objects.select_for_update().filter(dossier=dossier).first()
    if suivi is None or not (suivi.periode_absente or suivi.periode_motif):
        raise ApplicationError("Aucune absence de période en entreprise n'est enregistrée.", field="partie")
    suivi.periode_absente, suivi.periode_motif, suivi.periode_piece = False, "", None
    suivi.save(update_fields=["periode_absente", "periode_motif", "periode_piece"])
    audit_record(
        actor=actor_user(by),
        action="dossier.absence",
        obj=dossier,
        message="Période en entreprise effectuée : absence annulée",
    )


def clear_absences_on_mark(resultat: Resultat) -> None:
    """A mark entered for a part means the candidate sat it: that part's absence goes."""
    if resultat.epreuves is not None or resultat.points is not None:
        resultat.absence_motif, resultat.absence_piece = "", None
    if resultat.controle_continu is not None:
        resultat.cc_absence_non_justifiee = False
        resultat.cc_absence_motif, resultat.cc_absence_piece = "", None


def _partie_of(epreuve: Epreuve) -> str:
    if epreuve.bloc is not None:
        return f"{EPREUVES}:{epreuve.bloc.code}"
    if epreuve.composante:
        return f"composante:{epreuve.composante}"
    return ""  # capacités: the capacité stays « non évaluée » until the make-up


def absence_from_presence(
    inscription: InscriptionEpreuve, by: Actor, *, motif: str, uploaded_file=None
) -> None:
    """A justified absence at an épreuve (émargement): the part it covers carries the motive (and
    the pièce, uploaded now or earlier), so the engine receives the justified absence."""
    piece = inscription.justificatif
    if uploaded_file is not None:
        piece = _piece(inscription.dossier, by, motif, None, uploaded_file)
        inscription.justificatif = piece
        inscription.save(update_fields=["justificatif"])
    partie = _partie_of(inscription.epreuve)
    if partie:
        absence_record(
            dossier=inscription.dossier,
            by=by,
            partie=partie,
            motif=motif,
            justification=inscription.justification,
            piece=piece,
            epreuve=inscription.epreuve,
            require_piece=False,
        )


def justified_absence_lifted(inscription: InscriptionEpreuve, by: Actor) -> None:
    """Attendance corrected away from a justified absence: the motive leaves the part it covered
    (still in history), so the part is marked afresh."""
    epreuve = inscription.epreuve
    qs = Resultat.objects.select_for_update().filter(dossier=inscription.dossier).exclude(absence_motif="")
    if epreuve.bloc_id:
        qs = qs.filter(kind=Resultat.Kind.BLOC, bloc_id=epreuve.bloc_id)
    elif epreuve.composante:
        qs = qs.filter(kind=Resultat.Kind.COMPOSANTE, composante=epreuve.composante)
    else:
        return
    for resultat in qs:
        before = {f: getattr(resultat, f) for f in TRACKED}
        resultat.absence_motif, resultat.absence_piece = "", None
        resultat.valide, resultat.valide_par, resultat.valide_le = False, None, None
        resultat.save()
        _history(
            resultat,
            before,
            by,
            f"Présence corrigée : absence justifiée à « {epreuve.intitule} » annulée",
            epreuve,
        )


@dataclass(frozen=True)
class AbsenceLigne:
    """An absence recorded on the dossier, as the results page lists it."""

    libelle: str
    motif: str
    piece: Piece | None
    consequence: str


_MOTIF_LABELS = dict(InscriptionEpreuve.Motif.choices)


def _ligne(
    libelle: str, non_justifiee: bool, motif: str, piece: Piece | None, *, sans_motif: str, avec_motif: str
) -> AbsenceLigne | None:
    """One part's absence line: unjustified (consequence ``sans_motif``), justified by ``motif``
    (its label, ``avec_motif``), or ``None`` when the part records no absence."""
    if non_justifiee:
        return AbsenceLigne(libelle, "Absence non justifiée", None, sans_motif)
    if motif:
        return AbsenceLigne(libelle, _MOTIF_LABELS.get(motif, ""), piece, avec_motif)
    return None


def absences_of(dossier: Dossier, known: list[Partie] | None = None) -> list[AbsenceLigne]:
    """The absences recorded on the dossier's parts, with the seed's consequence for each
    (``known``: the dossier's :func:`parties`, when the caller has them already)."""
    known = parties(dossier) if known is None else known
    libelles = {(p.bloc.pk if p.bloc else None, p.partie, p.composante): p.libelle for p in known}
    rattrapage = "épreuve de rattrapage proposée dans un délai de 6 mois après demande écrite du candidat"
    lignes: list[AbsenceLigne | None] = []
    from evaluations.models import SuiviDossier

    suivi = (
        SuiviDossier.objects.filter(dossier=dossier).select_related("periode_piece").first()
        if any(p.partie == PERIODE for p in known)
        else None
    )
    if suivi is not None:
        lignes.append(
            _ligne(
                PERIODE_LIBELLE,
                suivi.periode_absente,
                suivi.periode_motif,
                suivi.periode_piece,
                sans_motif="non-obtention du diplôme, les blocs d'au moins 10/20 sont conservés",
                avec_motif=f"{rattrapage} ; pas de certification totale d'ici là",
            )
        )
    for r in (
        Resultat.objects.filter(dossier=dossier)
        .exclude(kind=Resultat.Kind.CAPACITE)
        .select_related("bloc", "absence_piece", "cc_absence_piece")
        .order_by("kind", "bloc__order", "composante")
    ):
        if r.kind == Resultat.Kind.BLOC:
            code = r.bloc.code if r.bloc is not None else ""
            lignes.append(
                _ligne(
                    libelles.get((r.bloc_id, EPREUVES, ""), f"Bloc {code}"),
                    r.absence_non_justifiee,
                    r.absence_motif,
                    r.absence_piece,
                    sans_motif="bloc non validé",
                    avec_motif=f"bloc non validé ; {rattrapage}",
                )
            )
            lignes.append(
                _ligne(
                    libelles.get((r.bloc_id, CONTROLE_CONTINU, ""), f"Bloc {code}"),
                    r.cc_absence_non_justifiee,
                    r.cc_absence_motif,
                    r.cc_absence_piece,
                    sans_motif="zéro au contrôle continu",
                    avec_motif=f"bloc non validé ; {rattrapage}",
                )
            )
        else:
            lignes.append(
                _ligne(
                    libelles.get((None, "", r.composante), r.composante),
                    r.absence_non_justifiee,
                    r.absence_motif,
                    r.absence_piece,
                    sans_motif="non-obtention du diplôme, les blocs d'au moins 10/20 sont conservés",
                    avec_motif=f"{rattrapage} ; pas de certification totale d'ici là",
                )
            )
    return [ligne for ligne in lignes if ligne is not None]
