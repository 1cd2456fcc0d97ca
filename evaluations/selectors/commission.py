"""The commission d'évaluation: per capacité, the result, the avis and the entretien to weigh."""

from collections import defaultdict
from dataclasses import dataclass

from candidates.models import DossierBloc, DossierModalite
from evaluations.models import (
    AvisCapacite,
    Correction,
    CorrectionResolution,
    EntretienConclusion,
    InscriptionEpreuve,
    Resultat,
    ResultatChange,
)
from referentiels.models import Capacite, ModaliteType

# --- commission d'évaluation -------------------------------------------------------------------


ETAT_LABELS = dict(Resultat.Etat.choices)


@dataclass
class CommissionRow:
    """What the commission d'évaluation weighs for one capacité of a dossier."""

    capacite: object
    resultat: Resultat | None = None
    epreuves: list = None  # (épreuve, inscription) that covered the capacité
    corrections: list = None  # double-marking values, per épreuve: (épreuve, [valeurs], résolution)
    avis: object = None  # AvisCapacite of a submitted avis, or None
    avis_brouillon: bool = False  # an avis exists but is not submitted yet
    entretien: list = None  # [{"epreuve", "presence", "valeur"}], or [{"planifie": modalité}] with the result
    modalite: object = None  # the modalité chosen in the dossier's plan

    def departures(self, decision: str) -> list[str]:
        """What a decision departs from, in words (an empty list: it agrees with everything)."""
        out = []
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


def commission_rows(*, dossier, capacite_ids=None) -> list[CommissionRow]:
    """Per targeted capacité: the evaluators' results, the tuteur's avis (favorable / réservé /
    défavorable + comment) and the entretien outcome, if an épreuve or the plan has one. The
    entretien's own value is the mark its épreuve wrote (history) or its double marking.
    Entretiens recorded for the commission (date, participants, conclusion) count as well.
    Constant queries (10) whatever the number of capacités."""

    blocs = DossierBloc.objects.filter(dossier=dossier, acquis_anterieur=False).values("bloc_id")
    capacites = (
        Capacite.objects.filter(bloc_id__in=blocs).select_related("bloc").order_by("bloc__order", "order")
    )
    if capacite_ids is not None:
        capacites = capacites.filter(pk__in=capacite_ids)
    capacites = list(capacites)
    resultats = {
        r.capacite_id: r
        for r in Resultat.objects.filter(dossier=dossier, kind=Resultat.Kind.CAPACITE).select_related(
            "evaluateur", "valide_par"
        )
    }
    avis_rows = {
        a.capacite_id: a
        for a in AvisCapacite.objects.filter(avis_entreprise__dossier=dossier).select_related(
            "avis_entreprise"
        )
    }
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
    marked: dict[tuple[int, int], str] = {}  # (épreuve, capacité) → last « état » its épreuve wrote
    if entretien_ids:
        for epreuve_id, capacite_id, new in (
            ResultatChange.objects.filter(
                resultat__dossier=dossier, epreuve_id__in=entretien_ids, field="etat"
            )
            .order_by("at", "pk")
            .values_list("epreuve_id", "resultat__capacite_id", "new")
        ):
            marked[(epreuve_id, capacite_id)] = new
    corrections: dict[tuple[int, str], list] = defaultdict(list)
    for c in Correction.objects.filter(dossier=dossier).order_by("pk"):
        corrections[(c.epreuve_id, c.cible)].append(c.valeur)
    resolutions = {
        (r.epreuve_id, r.cible): r.valeur
        for r in CorrectionResolution.objects.filter(dossier=dossier).order_by("at", "pk")
    }
    planned = {
        m.capacite_id: m.modalite
        for m in DossierModalite.objects.filter(dossier=dossier).select_related("modalite")
    }
    recorded: dict[int, list] = defaultdict(list)  # entretiens recorded for the commission
    for c in (
        EntretienConclusion.objects.filter(entretien__dossier=dossier)
        .select_related("entretien")
        .order_by("entretien__date", "entretien__pk", "pk")
    ):
        recorded[c.capacite_id].append(c)
    rows = []
    for cap in capacites:
        avis = avis_rows.get(cap.pk)
        row = CommissionRow(
            capacite=cap,
            resultat=resultats.get(cap.pk),
            epreuves=[],
            corrections=[],
            entretien=[],
            avis=avis if avis is not None and avis.avis_entreprise.is_submitted else None,
            avis_brouillon=avis is not None and not avis.avis_entreprise.is_submitted,
            modalite=planned.get(cap.pk),
        )
        for i in inscriptions:
            if cap.code not in (i.epreuve.capacites or []):
                continue
            row.epreuves.append((i.epreuve, i))
            key = (i.epreuve_id, cap.code)
            if corrections.get(key):
                row.corrections.append((i.epreuve, corrections[key], resolutions.get(key)))
            if i.epreuve_id in entretien_ids:
                if i.epreuve.double_correction:
                    values = set(corrections.get(key, []))
                    valeur = resolutions.get(key) or (values.pop() if len(values) == 1 else "")
                else:
                    valeur = marked.get((i.epreuve_id, cap.pk), "")
                row.entretien.append(
                    {
                        "epreuve": i.epreuve,
                        "presence": i.get_presence_display(),
                        "valeur": valeur,
                        "valeur_label": ETAT_LABELS.get(valeur, "") if valeur else "",
                    }
                )
        for c in recorded.get(cap.pk, ()):
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
        rows.append(row)
    return rows
