"""The commission d'évaluation: per capacité, the result, the avis and the entretien to weigh."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from candidates.models import Dossier, DossierBloc, DossierModalite
from evaluations.models import (
    AvisCapacite,
    Correction,
    CorrectionResolution,
    EntretienConclusion,
    Epreuve,
    InscriptionEpreuve,
    Resultat,
    ResultatChange,
)
from referentiels.models import Capacite, Modalite, ModaliteType

# --- commission d'évaluation -------------------------------------------------------------------


ETAT_LABELS = dict(Resultat.Etat.choices)


@dataclass
class CommissionRow:
    """What the commission d'évaluation weighs for one capacité of a dossier."""

    capacite: Capacite
    resultat: Resultat | None = None
    # (épreuve, inscription) that covered the capacité
    epreuves: list[tuple[Epreuve, InscriptionEpreuve]] = field(default_factory=list)
    # double-marking values, per épreuve: (épreuve, [valeurs], résolution)
    corrections: list[tuple[Epreuve, list[str], str | None]] = field(default_factory=list)
    avis: AvisCapacite | None = None  # AvisCapacite of a submitted avis, or None
    avis_brouillon: bool = False  # an avis exists but is not submitted yet
    # [{"epreuve", "presence", "valeur"}], or [{"planifie": modalité}] with the result
    entretien: list[dict[str, Any]] = field(default_factory=list)
    modalite: Modalite | None = None  # the modalité chosen in the dossier's plan

    def departures(self, decision: str) -> list[str]:
        """What a decision departs from, in words (an empty list: it agrees with everything)."""
        out: list[str] = []
        etat = self.resultat.etat if self.resultat else ""
        if etat in (Resultat.Etat.ACQUIS, Resultat.Etat.NON_ACQUIS) and etat != decision:
            out.append(f"des évaluations (« {ETAT_LABELS[etat].lower()} »)")
        elif etat == Resultat.Etat.ABSENT and decision == Resultat.Etat.ACQUIS:
            out.append("des évaluations (candidat absent)")
        if self.avis is not None:
            if self.avis.avis == "defavorable" and decision == Resultat.Etat.ACQUIS:
                out.append("de l'avis de l'entreprise (défavorable)")
            elif self.avis.avis == "favorable" and decision == Resultat.Etat.NON_ACQUIS:
                out.append("de l'avis de l'entreprise (favorable)")
        for item in self.entretien or ():
            valeur = item.get("valeur", "")
            if (
                valeur in (Resultat.Etat.ACQUIS, Resultat.Etat.NON_ACQUIS)
                and valeur != decision
                and (item.get("epreuve") or item.get("entretien"))
            ):
                out.append(f"de l'entretien (« {ETAT_LABELS[valeur].lower()} »)")
        return out


@dataclass
class _DossierEvidence:
    """A dossier's evidence for the commission, read once (constant queries) for all its capacités."""

    resultats: dict[int, Resultat]
    avis: dict[int, AvisCapacite]
    inscriptions: list[InscriptionEpreuve]
    entretien_ids: list[int]  # the dossier's épreuves whose modalité is an entretien
    marked: dict[tuple[int, int], str]  # (épreuve, capacité) → last « état » its épreuve wrote
    corrections: dict[tuple[int, str], list[str]]  # (épreuve, cible) → double-marking values
    resolutions: dict[tuple[int, str], str]  # (épreuve, cible) → resolved value
    planned: dict[int, Modalite]  # capacité → the modalité chosen in the plan
    recorded: dict[int, list[EntretienConclusion]]  # entretiens recorded for the commission


def _commission_capacites(dossier: Dossier, capacite_ids: Iterable[int | None] | None) -> list[Capacite]:
    """The capacités of the dossier's targeted blocs (not acquired before), in the référentiel's order."""
    blocs = DossierBloc.objects.filter(dossier=dossier, acquis_anterieur=False).values("bloc_id")
    capacites = (
        Capacite.objects.filter(bloc_id__in=blocs).select_related("bloc").order_by("bloc__order", "order")
    )
    if capacite_ids is not None:
        capacites = capacites.filter(pk__in=[pk for pk in capacite_ids if pk is not None])
    return list(capacites)


def _entretien_marks(dossier: Dossier, entretien_ids: list[int]) -> dict[tuple[int, int], str]:
    """(épreuve, capacité) → the last « état » each entretien épreuve wrote (from the history)."""
    marked: dict[tuple[int, int], str] = {}
    if entretien_ids:
        for epreuve_id, capacite_id, new in (
            ResultatChange.objects.filter(
                resultat__dossier=dossier, epreuve_id__in=entretien_ids, field="etat"
            )
            .order_by("at", "pk")
            .values_list("epreuve_id", "resultat__capacite_id", "new")
        ):
            marked[(epreuve_id, capacite_id)] = new
    return marked


def _dossier_evidence(dossier: Dossier) -> _DossierEvidence:
    """Everything the commission weighs for ``dossier``, in 9 queries."""
    inscriptions = list(
        InscriptionEpreuve.objects.filter(dossier=dossier)
        .select_related("epreuve__modalite")
        .order_by("epreuve__date", "pk")
    )
    entretien_ids = [
        i.epreuve_id
        for i in inscriptions
        if i.epreuve.modalite_id and i.epreuve.modalite.type == ModaliteType.ENTRETIEN
    ]
    corrections: dict[tuple[int, str], list[str]] = defaultdict(list)
    for c in Correction.objects.filter(dossier=dossier).order_by("pk"):
        corrections[(c.epreuve_id, c.cible)].append(c.valeur)
    recorded: dict[int, list[EntretienConclusion]] = defaultdict(list)
    for conclusion in (
        EntretienConclusion.objects.filter(entretien__dossier=dossier)
        .select_related("entretien")
        .order_by("entretien__date", "entretien__pk", "pk")
    ):
        recorded[conclusion.capacite_id].append(conclusion)
    return _DossierEvidence(
        resultats={
            r.capacite_id: r
            for r in Resultat.objects.filter(dossier=dossier, kind=Resultat.Kind.CAPACITE).select_related(
                "evaluateur", "valide_par"
            )
            if r.capacite_id is not None
        },
        avis={
            a.capacite_id: a
            for a in AvisCapacite.objects.filter(avis_entreprise__dossier=dossier).select_related(
                "avis_entreprise"
            )
        },
        inscriptions=inscriptions,
        entretien_ids=entretien_ids,
        marked=_entretien_marks(dossier, entretien_ids),
        corrections=corrections,
        resolutions={
            (r.epreuve_id, r.cible): r.valeur
            for r in CorrectionResolution.objects.filter(dossier=dossier).order_by("at", "pk")
        },
        planned={
            m.capacite_id: m.modalite
            for m in DossierModalite.objects.filter(dossier=dossier).select_related("modalite")
        },
        recorded=recorded,
    )


def _add_epreuves(row: CommissionRow, evidence: _DossierEvidence) -> None:
    """The épreuves that covered the row's capacité, their double marking and, for an entretien,
    the value its épreuve wrote (or its double marking's agreed or resolved value)."""
    cap = row.capacite
    for i in evidence.inscriptions:
        if cap.code not in (i.epreuve.capacites or []):
            continue
        row.epreuves.append((i.epreuve, i))
        key = (i.epreuve_id, cap.code)
        if evidence.corrections.get(key):
            row.corrections.append((i.epreuve, evidence.corrections[key], evidence.resolutions.get(key)))
        if i.epreuve_id in evidence.entretien_ids:
            if i.epreuve.double_correction:
                values = set(evidence.corrections.get(key, []))
                valeur = evidence.resolutions.get(key) or (values.pop() if len(values) == 1 else "")
            else:
                valeur = evidence.marked.get((i.epreuve_id, cap.pk), "")
            row.entretien.append(
                {
                    "epreuve": i.epreuve,
                    "presence": i.get_presence_display(),
                    "valeur": valeur,
                    "valeur_label": ETAT_LABELS.get(valeur, "") if valeur else "",
                }
            )


def _commission_row(cap: Capacite, evidence: _DossierEvidence) -> CommissionRow:
    avis = evidence.avis.get(cap.pk)
    row = CommissionRow(
        capacite=cap,
        resultat=evidence.resultats.get(cap.pk),
        avis=avis if avis is not None and avis.avis_entreprise.is_submitted else None,
        avis_brouillon=avis is not None and not avis.avis_entreprise.is_submitted,
        modalite=evidence.planned.get(cap.pk),
    )
    _add_epreuves(row, evidence)
    for c in evidence.recorded.get(cap.pk, ()):
        row.entretien.append(
            {
                "entretien": c.entretien,
                "valeur": c.conclusion,
                "valeur_label": c.get_conclusion_display(),
                "commentaire": c.commentaire,
            }
        )
    if not row.entretien and row.modalite is not None and row.modalite.type == ModaliteType.ENTRETIEN:
        row.entretien.append({"planifie": row.modalite})
    return row


def commission_rows(
    *, dossier: Dossier, capacite_ids: Iterable[int | None] | None = None
) -> list[CommissionRow]:
    """Per targeted capacité: the evaluators' results, the tuteur's avis (favorable / réservé /
    défavorable + comment) and the entretien outcome, if an épreuve or the plan has one. The
    entretien's own value is the mark its épreuve wrote (history) or its double marking.
    Entretiens recorded for the commission (date, participants, conclusion) count as well.
    Constant queries (10) whatever the number of capacités."""

    capacites = _commission_capacites(dossier, capacite_ids)
    evidence = _dossier_evidence(dossier)
    return [_commission_row(cap, evidence) for cap in capacites]
