"""RGPD section of the evaluations app (``candidates.hooks.register_rgpd_section``).

Export: every result with its comment and critères, attendance and its justification, incidents,
the avis de l'entreprise and the convocations (their PDFs go into the archive).

Erasure, under the retention rule of ``candidates.rgpd``:

* always: the justification of an absence (often health data) and the address a convocation
  was sent to;
* without an issued certification: the free-text comments of results and of the avis;
* kept: marks, états and the avis per capacité (what the jury decided on), the incident
  reports (a fraud record supports the decision) and the convocation PDFs, which are sealed
  documents of the documents app; a certification's evidence must stay consistent with it.
"""

from candidates.models import Candidate
from evaluations.models import (
    AvisCapacite,
    AvisEntreprise,
    Convocation,
    Incident,
    InscriptionEpreuve,
    Resultat,
)


def _convocations_export(candidate: Candidate) -> tuple[list[dict], list[tuple[str, bytes]]]:
    """The candidate's convocations, and their PDFs as archive files (named in the rows)."""
    convocations = Convocation.objects.filter(inscription__dossier__candidate=candidate).select_related(
        "inscription__epreuve", "document"
    )
    files, rows = [], []
    for c in convocations:
        name = ""
        if c.document_id and c.document.file:
            name = f"convocations/{c.inscription.epreuve.public_id}-envoi-{c.numero_envoi}.pdf"
            with c.document.file.open("rb") as fh:
                files.append((name, fh.read()))
        rows.append(
            {
                "epreuve": c.inscription.epreuve.intitule,
                "envoi": c.numero_envoi,
                "etat": c.status,
                "envoyee_a": c.email,
                "envoyee_le": c.sent_at,
                "fichier_dans_l_archive": name,
            }
        )
    return rows, files


def _resultats_export(candidate: Candidate) -> list[dict]:
    resultats = Resultat.objects.filter(dossier__candidate=candidate).select_related(
        "dossier", "capacite", "bloc", "evaluateur"
    )
    return [
        {
            "dossier": str(r.dossier.public_id),
            "cible": r.cible_code,
            "etat": r.etat,
            "controle_continu": r.controle_continu,
            "epreuves": r.epreuves,
            "points": r.points,
            "absence_non_justifiee": r.absence_non_justifiee,
            "criteres_observes": r.criteres_observes,
            "commentaire": r.commentaire,
            "evaluateur": r.evaluateur.email if r.evaluateur else None,
            "valide": r.valide,
            "valide_le": r.valide_le,
            "motivation_commission": r.motivation_commission,
        }
        for r in resultats
    ]


def _presences_export(candidate: Candidate) -> list[dict]:
    inscriptions = InscriptionEpreuve.objects.filter(dossier__candidate=candidate).select_related(
        "dossier", "epreuve"
    )
    return [
        {
            "dossier": str(i.dossier.public_id),
            "epreuve": i.epreuve.intitule,
            "date": i.epreuve.date,
            "presence": i.presence,
            "motif_absence": i.motif_absence,
            "justification": i.justification,
            "rattrapage_avant": i.rattrapage_avant,
        }
        for i in inscriptions
    ]


def _incidents_export(candidate: Candidate) -> list[dict]:
    incidents = Incident.objects.filter(inscription__dossier__candidate=candidate).select_related(
        "inscription__epreuve"
    )
    return [
        {
            "epreuve": i.inscription.epreuve.intitule,
            "nature": i.kind,
            "proces_verbal": i.pv,
            "contreseing": i.contreseing,
            "le": i.recorded_at,
        }
        for i in incidents
    ]


def _avis_export(candidate: Candidate) -> list[dict]:
    """The avis de l'entreprise on the candidate's dossiers, each with its per-capacité avis."""
    avis = AvisEntreprise.objects.filter(dossier__candidate=candidate).select_related("dossier", "tuteur")
    avis_capacites = AvisCapacite.objects.filter(
        avis_entreprise__dossier__candidate=candidate
    ).select_related("capacite")
    by_avis: dict[int, list] = {}
    for ac in avis_capacites:
        by_avis.setdefault(ac.avis_entreprise_id, []).append(
            {
                "capacite": ac.capacite.code,
                "avis": ac.avis,
                "commentaire": ac.commentaire,
                "criteres": ac.criteres,
            }
        )
    return [
        {
            "dossier": str(a.dossier.public_id),
            "tuteur": f"{a.tuteur.prenom} {a.tuteur.nom}",
            "date_limite": a.date_limite,
            "soumis_le": a.soumis_le,
            "appreciation": a.commentaire,
            "capacites": by_avis.get(a.pk, []),
        }
        for a in avis
    ]


def evaluations_export(candidate: Candidate) -> tuple[dict, list[tuple[str, bytes]]]:
    """The candidate's evaluations data (results, presences, incidents, avis, convocations) and
    the convocations' PDFs, for their RGPD access request."""
    convocations, files = _convocations_export(candidate)
    data = {
        "resultats": _resultats_export(candidate),
        "presences": _presences_export(candidate),
        "incidents": _incidents_export(candidate),
        "avis_entreprise": _avis_export(candidate),
        "convocations": convocations,
    }
    return data, files


def evaluations_erase(candidate: Candidate, *, holder: bool) -> str:
    n = (
        InscriptionEpreuve.objects.filter(dossier__candidate=candidate)
        .exclude(justification="")
        .update(justification="")
    )
    Convocation.objects.filter(inscription__dossier__candidate=candidate).update(email="")
    done = [f"{n} justification(s) d'absence effacée(s)"] if n else []
    if not holder:
        n = (
            Resultat.objects.filter(dossier__candidate=candidate)
            .exclude(commentaire="")
            .update(commentaire="")
        )
        n += (
            AvisEntreprise.objects.filter(dossier__candidate=candidate)
            .exclude(commentaire="")
            .update(commentaire="")
        )
        n += (
            AvisCapacite.objects.filter(avis_entreprise__dossier__candidate=candidate)
            .exclude(commentaire="")
            .update(commentaire="")
        )
        if n:
            done.append(f"{n} commentaire(s) d'évaluation effacé(s)")
    return " ; ".join(done)
