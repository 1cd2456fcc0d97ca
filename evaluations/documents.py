"""Convocations and feuilles d'émargement, issued through the documents layer
(``documents.services.document_request``: idempotent, stored privately, sealed).

The convocation is one ``IssuedDocument`` per sending (its key is the ``Convocation`` row); the
émargement is one per state of the list of candidates (key = épreuve + a digest of the list), so
a changed list gives a new sheet and an unchanged one is never rendered twice.
"""

import hashlib

from django.db import transaction
from django.utils import timezone

from core.actors import Actor
from documents.models import DocumentKind, IssuedDocument
from evaluations.durees import duree_affichee, duree_candidat
from evaluations.models import Convocation, Epreuve, InscriptionEpreuve

PIECES = [
    "Pièce d'identité en cours de validité (carte d'identité, passeport ou titre de séjour)",
    "La présente convocation",
]


def duree_texte(epreuve: Epreuve, dossier) -> str:
    """``1 h 30``, or ``2 h (tiers-temps inclus : 1 h 30 + 30 min)``."""
    minutes = duree_candidat(epreuve.duree_minutes, tiers_temps=dossier.amenagement_tiers_temps)
    if not dossier.amenagement_tiers_temps:
        return duree_affichee(minutes)
    return f"{duree_affichee(minutes)} (tiers-temps inclus : {duree_affichee(epreuve.duree_minutes)} + {duree_affichee(minutes - epreuve.duree_minutes)})"


def _emetteur(organisation) -> dict:
    return {"nom": organisation.name, "adresse": []}


def _certification(referentiel) -> dict:
    from referentiels.selectors import numero_public

    # The registration number where there is one, never the platform's code (a CQPM's slug).
    return {"intitule": referentiel.intitule, "code": numero_public(referentiel.code)}


def convocation_reference(convocation: Convocation) -> str:
    """The convocation's printed reference (issue 13, point 9: no database id on a document): one
    number of the centre's yearly counter per candidate and épreuve (``CONV-2026-0412``), taken at
    the first sending and kept by every re-send (``CONV-2026-0412-2`` for the second)."""
    from documents.services import reference_take

    if convocation.reference:
        return convocation.reference
    with transaction.atomic():
        # one counter number per candidate and épreuve, even when two sendings render at once
        InscriptionEpreuve.objects.select_for_update().filter(pk=convocation.inscription_id).first()
        first = (
            Convocation.objects.filter(inscription_id=convocation.inscription_id)
            .exclude(reference="")
            .order_by("numero_envoi")
            .values_list("reference", flat=True)
            .first()
        )
        base = first.rsplit("-", 1)[0] if first and first.count("-") == 3 else first
        if not base:
            base = reference_take(
                organisation=convocation.organisation, series="CONV", year=timezone.localdate().year
            )
        reference = base if convocation.numero_envoi == 1 else f"{base}-{convocation.numero_envoi}"
        Convocation.objects.filter(pk=convocation.pk).update(reference=reference)
    convocation.reference = reference
    return reference


def emargement_reference(epreuve: Epreuve) -> str:
    """The feuille d'émargement's reference (``EMARG-2026-0031``), taken once per épreuve."""
    from documents.services import reference_take

    if epreuve.reference_emargement:
        return epreuve.reference_emargement
    with transaction.atomic():
        locked = Epreuve.objects.select_for_update().get(pk=epreuve.pk)
        if not locked.reference_emargement:
            locked.reference_emargement = reference_take(
                organisation=epreuve.organisation, series="EMARG", year=timezone.localdate().year
            )
            Epreuve.objects.filter(pk=epreuve.pk).update(reference_emargement=locked.reference_emargement)
    epreuve.reference_emargement = locked.reference_emargement
    return epreuve.reference_emargement


def convocation_request(convocation: Convocation, *, by: Actor = None) -> IssuedDocument:
    """The convocation's document (requested once; rendering is left to the caller's task)."""
    from documents.services import document_request

    inscription = convocation.inscription
    epreuve, dossier = inscription.epreuve, inscription.dossier
    candidate = dossier.candidate
    holder = f"{candidate.prenoms} {candidate.nom_naissance}"
    adresse = [x for x in (candidate.adresse, f"{candidate.code_postal} {candidate.ville}".strip()) if x]
    consignes = "Dès votre arrivée, votre identité est vérifiée ; vous signez la feuille d'émargement. Toute fraude ou tentative de fraude invalide la session d'examen."
    if convocation.forcee:
        # the reason for sending late is the centre's internal record (kept on the convocation
        # and in the audit trail), never printed for the candidate
        consignes += " Convocation adressée moins d'un mois avant l'épreuve."
    return document_request(
        organisation=convocation.organisation,
        kind=DocumentKind.CONVOCATION,
        certificateur=None,
        idempotency_key=f"evaluations:convocation:{convocation.public_id}",
        group_key=f"evaluations:epreuve:{epreuve.public_id}:convocations",
        title=f"Convocation — {epreuve.intitule}",
        holder_name=holder,
        by=by,
        render=False,
        context={
            "reference": convocation_reference(convocation),
            "emetteur": _emetteur(convocation.organisation),
            "civilite_titulaire": "Madame" if candidate.civilite == "MME" else "Monsieur",
            "destinataire": {"adresse": adresse},
            "certification": _certification(epreuve.session.referentiel),
            "epreuves": [
                {
                    "intitule": epreuve.intitule,
                    "modalite": epreuve.modalite.get_type_display() if epreuve.modalite else "",
                    "date": epreuve.date.isoformat(),
                    "heure": epreuve.heure_debut.strftime("%H:%M"),
                    "duree": duree_texte(epreuve, dossier),
                    "lieu": epreuve.lieu,
                    "salle": f"Salle {epreuve.salle}" if epreuve.salle else "",
                    "adresse": [],
                }
            ],
            "amenagements": [
                str(a).capitalize() + (" (+ 1/3 de la durée)" if a == "tiers-temps" else "")
                for a in dossier.amenagements
            ],
            "pieces": [
                p.strip().rstrip(".")[:1].upper() + p.strip().rstrip(".")[1:]
                for p in (epreuve.documents_a_apporter or "").split(" ; ")
                if p.strip()
            ]
            or PIECES,
            "consignes": consignes,
            # « Fait à »: the centre's own city (issue 13, point 9), never the épreuve's room
            "lieu": (convocation.organisation.ville or "").strip(),
            "signataire": {
                "qualite": "Le responsable du centre d'examen",
                "nom": convocation.organisation.name,
            },
        },
    )


def document_bytes(document: IssuedDocument) -> bytes:
    """Render (once) and read the document's sealed PDF."""
    from documents.selectors import document_file_read
    from documents.services import document_render

    document = document_render(document)
    return document_file_read(document=document)


def convocation_pdf(convocation: Convocation) -> bytes:
    return document_bytes(convocation.document or convocation_request(convocation))


def emargement_request(epreuve: Epreuve, *, by: Actor = None) -> IssuedDocument:
    from documents.services import document_request

    inscriptions = list(
        InscriptionEpreuve.objects.filter(epreuve=epreuve)
        .select_related("dossier__candidate")
        .order_by("dossier__candidate__nom_naissance", "dossier__candidate__prenom1", "pk")
    )
    candidats = []
    for i in inscriptions:
        c, d = i.dossier.candidate, i.dossier
        notes = []
        if d.amenagement_tiers_temps:
            notes.append(
                f"Tiers-temps : {duree_affichee(duree_candidat(epreuve.duree_minutes, tiers_temps=True))}"
            )
        notes += [str(a) for a in d.amenagements if a != "tiers-temps"]
        if i.presence in (
            InscriptionEpreuve.Presence.ABSENT_JUSTIFIE,
            InscriptionEpreuve.Presence.ABSENT_NON_JUSTIFIE,
        ):
            notes.append(i.get_presence_display())
        candidats.append(
            {
                "nom": f"{c.nom_naissance} {c.prenoms}",
                "numero": c.naissance_mention(lieu=False),
                "amenagement": " · ".join(notes),
            }
        )
    surveillants = [
        {"nom": s.strip(), "qualite": "Surveillant(e)"} for s in epreuve.surveillants.split(",") if s.strip()
    ]
    context = {
        "reference": emargement_reference(epreuve),
        "emetteur": _emetteur(epreuve.organisation),
        "certification": _certification(epreuve.session.referentiel),
        "session": {
            "intitule": f"{epreuve.intitule} — {epreuve.session.intitule}",
            "date": epreuve.date.isoformat(),
            "horaires": f"{epreuve.heure_debut:%H:%M}, durée {duree_affichee(epreuve.duree_minutes)}",
            "lieu": epreuve.lieu,
            "salle": f"Salle {epreuve.salle}" if epreuve.salle else "",
        },
        "candidats": candidats,
        # no empty column on a legal record (issue 13, point 9)
        "sans_amenagement": not any(c["amenagement"] for c in candidats),
        "surveillants": surveillants or [{"nom": "", "qualite": "Surveillant(e)"}],
        "lieu": epreuve.lieu,
    }
    digest = hashlib.sha256(repr(context).encode()).hexdigest()[:16]
    return document_request(
        organisation=epreuve.organisation,
        kind=DocumentKind.EMARGEMENT,
        certificateur=None,
        idempotency_key=f"evaluations:emargement:{epreuve.public_id}:{digest}",
        group_key=f"evaluations:epreuve:{epreuve.public_id}:emargement",
        title=f"Feuille d'émargement — {epreuve.intitule}, {epreuve.date:%d/%m/%Y}",
        by=by,
        render=False,
        issued_on=timezone.localdate(),
        context=context,
    )


def emargement_pdf(epreuve: Epreuve, *, by: Actor = None) -> bytes:
    return document_bytes(emargement_request(epreuve, by=by))
