"""RGPD: export everything held about a candidate; erase what the law lets us erase.

Retention rule (settings, with these defaults):

* ``CANDIDATES_CERTIFIED_RETENTION_YEARS`` (50): when a dossier was deliberated ``certifie``
  or ``partiel``, a certification was issued. Its holder must stay verifiable (parchemin and
  certificats de bloc, verification page, Caisse des Dépôts accrochage, duplicates on
  request), so the civil-status data printed on or declared for it — civilité, sexe, nom de
  naissance, prénoms, date and place of birth — and the decision with its blocs are kept for
  that many years after the deliberation. Everything else is erased.
* Contact details (e-mail, phone, address), nom d'usage, aménagements (health data) and
  every uploaded pièce are erased at once in every case.
* Without an issued certification, the identity is pseudonymised too: only the birth year
  stays, for statistics; dossiers, blocs and timeline remain as anonymous records.
* A dossier still in progress (inscrit → prêt pour le jury) blocks the erasure: abandon it
  first, so that no jury works on a ghost; brouillons are abandoned by the erasure itself.
"""

import io
import json
import tempfile
import zipfile

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from candidates import hooks
from candidates.models import Candidate, Dossier, DossierTransition, Piece
from core.actors import Actor, actor_user
from core.errors import ApplicationError
from core.identity import PERSON_FIELDS
from organisations.selectors import audit_event_list
from organisations.services import audit_record

CERTIFIED_RETENTION_YEARS = getattr(settings, "CANDIDATES_CERTIFIED_RETENTION_YEARS", 50)
ISSUED = (Dossier.Decision.CERTIFIE, Dossier.Decision.PARTIEL)
IN_PROGRESS = (Dossier.Status.INSCRIT, Dossier.Status.EN_EVALUATION, Dossier.Status.PRET_POUR_JURY)
IDENTITY_FIELDS = PERSON_FIELDS


def candidate_data(candidate: Candidate) -> dict:
    """Everything the centre holds about ``candidate``, as JSON-ready data."""
    dossiers = list(
        Dossier.objects.filter(candidate=candidate)
        .select_related("referentiel", "entreprise", "tuteur")
        .prefetch_related(
            "blocs_vises__bloc",
            "modalites_choisies__capacite",
            "modalites_choisies__modalite",
            "transitions",
            "pieces",
        )
        .order_by("created_at")
    )
    object_ids = [str(candidate.public_id)] + [str(d.public_id) for d in dossiers]
    accesses = audit_event_list().filter(object_id__in=object_ids)
    return {
        "format": "certif-rgpd-export/1",
        "exporte_le": timezone.now(),
        "organisation": candidate.organisation.name,
        "candidat": {
            "id": str(candidate.public_id),
            **{f: getattr(candidate, f) for f in IDENTITY_FIELDS},
            "cree_le": candidate.created_at,
            "efface_le": candidate.erased_at,
        },
        "dossiers": [_dossier_data(d) for d in dossiers],
        "journal_des_acces": [
            {"action": e.action, "le": e.at, "par": e.actor.email if e.actor else None}
            for e in accesses.select_related("actor")
        ],
    }


def _dossier_data(d: Dossier) -> dict:
    """One dossier of the export: référentiel, state, plan, history, pièces."""
    return {
        "id": str(d.public_id),
        "referentiel": {
            "code": d.referentiel.code,
            "version": d.referentiel.version,
            "intitule": d.referentiel.intitule,
        },
        "etat": d.status,
        "decision": d.decision,
        "voie_acces": d.voie_acces,
        "statut": d.statut_professionnel,
        "tentative": d.attempt,
        "date_inscription": d.date_inscription,
        "date_remise_rapport": d.date_remise_rapport,
        "date_deliberation": d.date_deliberation,
        "amenagements": d.amenagements,
        "amenagement_note": d.amenagement_note,
        "entreprise": {"raison_sociale": d.entreprise.raison_sociale, "siret": d.entreprise.siret}
        if d.entreprise
        else None,
        "tuteur": {"nom": d.tuteur.nom, "prenom": d.tuteur.prenom, "email": d.tuteur.email}
        if d.tuteur
        else None,
        "blocs": [
            {
                "code": b.bloc.code,
                "acquis": b.acquis,
                "acquis_le": b.acquis_le,
                "anterieur": b.acquis_anterieur,
            }
            for b in d.blocs_vises.all()
        ],
        "modalites": [
            {"capacite": m.capacite.code, "modalite": m.modalite.get_type_display()}
            for m in d.modalites_choisies.all()
        ],
        "historique": [
            {"de": t.from_status, "vers": t.to_status, "le": t.at, "motif": t.reason}
            for t in d.transitions.all()
        ],
        "pieces": [
            {
                "type": p.kind,
                "nom": p.original_name,
                "taille": p.size,
                "sha256": p.sha256,
                "depose_le": p.uploaded_at,
                "fichier_dans_l_archive": f"pieces/{p.public_id}-{p.original_name}",
            }
            for p in d.pieces.all()
        ],
    }


def _sections(candidate: Candidate) -> tuple[dict, list[tuple[str, bytes]]]:
    """What the apps built on candidates hold (``hooks.register_rgpd_section``)."""
    data, files = {}, []
    for section in hooks.rgpd_sections():
        section_data, section_files = section.export(candidate)
        data[section.name] = section_data
        files.extend(section_files)
    return data, files


def candidate_rgpd_export(*, candidate: Candidate, by: Actor):
    """A ZIP (temporary file, positioned at 0): ``donnees.json`` plus every pièce's file."""
    data = candidate_data(candidate)
    sections, files = _sections(candidate)
    data.update(sections)
    spool = tempfile.SpooledTemporaryFile(max_size=50 * 1024 * 1024)  # noqa: SIM115 - returned to the caller
    with zipfile.ZipFile(spool, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "donnees.json", json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
        )
        archive.writestr("LISEZMOI.txt", _readme(candidate))
        for piece in Piece.objects.filter(dossier__candidate=candidate):
            with piece.file.open("rb") as fh:
                archive.writestr(f"pieces/{piece.public_id}-{piece.original_name}", fh.read())
        for name, content in files:
            archive.writestr(name, content)
    spool.seek(0)
    audit_record(actor=actor_user(by), action="candidate.rgpd_export", obj=candidate)
    return spool


def _readme(candidate: Candidate) -> str:
    out = io.StringIO()
    out.write(f"Export RGPD — {candidate.organisation.name}\n\n")
    out.write("donnees.json : votre identité, vos dossiers de certification (référentiel, blocs, modalités, ")
    out.write("aménagements, historique, décisions) et le journal des accès à vos dossiers.\n")
    out.write("pieces/ : les documents déposés pour vos dossiers.\n")
    out.write("evaluations (dans donnees.json) : vos résultats et leurs commentaires, votre présence aux ")
    out.write("épreuves, les incidents, l'avis de l'entreprise ; convocations/ : vos convocations.\n")
    out.write("espace_candidat (dans donnees.json) : vos demandes de correction d'identité et leur état, ")
    out.write("l'historique des ajouts de vos attestations à un portefeuille numérique.\n")
    return out.getvalue()


@transaction.atomic
def candidate_erase(*, candidate: Candidate, by: Actor, reason: str) -> Candidate:
    """Erase a candidate's personal data under the retention rule above (see module docstring)."""
    from candidates.services import dossier_transition

    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(
            "Indiquez le motif de l'effacement (ex. demande du candidat du jj/mm/aaaa).", field="reason"
        )
    candidate = Candidate.objects.select_for_update().get(pk=candidate.pk)
    if candidate.erased_at:
        raise ApplicationError("Les données de ce candidat ont déjà été effacées.")
    dossiers = list(Dossier.objects.filter(candidate=candidate))
    running = [d for d in dossiers if d.status in IN_PROGRESS]
    if running:
        codes = ", ".join(f"{d.referentiel.code} ({d.get_status_display().lower()})" for d in running)
        raise ApplicationError(
            f"Dossier(s) en cours : {codes}. Abandonnez-les d'abord, puis effacez les données."
        )
    for dossier in dossiers:
        if dossier.status == Dossier.Status.BROUILLON:
            dossier_transition(
                dossier=dossier,
                to=Dossier.Status.ABANDON,
                by=by,
                reason="Effacement RGPD des données du candidat",
            )
    holder = any(d.decision in ISSUED for d in dossiers)
    pieces = list(Piece.objects.filter(dossier__candidate=candidate))
    names = [p.file.name for p in pieces]
    Piece.objects.filter(pk__in=[p.pk for p in pieces]).delete()
    Dossier.objects.filter(candidate=candidate).update(
        amenagement_tiers_temps=False,
        amenagement_pauses=False,
        amenagement_secretaire=False,
        amenagement_interprete=False,
        amenagement_equipement=False,
        amenagement_note="",
    )
    DossierTransition.objects.filter(dossier__candidate=candidate).update(reason="")
    candidate.email = candidate.telephone = candidate.adresse = candidate.code_postal = candidate.ville = ""
    candidate.nom_usage = ""
    if not holder:
        candidate.nom_naissance, candidate.prenom1 = "ANONYME", "Candidat"
        candidate.prenom2 = candidate.prenom3 = ""
        candidate.naissance_mois = candidate.naissance_jour = None
        candidate.naissance_commune = candidate.naissance_code_insee = candidate.naissance_pays_code = (
            candidate.naissance_pays
        ) = ""
    candidate.erased_at = timezone.now()
    candidate.save()
    storage = Piece._meta.get_field("file").storage

    def delete_files() -> None:
        for name in names:
            storage.delete(name)

    transaction.on_commit(delete_files)
    done = [section.erase(candidate, holder=holder) for section in hooks.rgpd_sections()]
    kept = "identité conservée (certification délivrée)" if holder else "identité pseudonymisée"
    audit_record(
        actor=actor_user(by),
        action="candidate.erase",
        obj=candidate,
        message=" ; ".join([kept, f"{len(names)} pièce(s) supprimée(s)", *filter(None, done)]),
    )
    return candidate
