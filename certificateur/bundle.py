"""CQPM transmission bundle: per jury, what the UIMM GTP « Certifications » must receive within
3 months — the signed PV, the jury's composition, the émargement sheets and a certificate of
conformity — assembled as one ZIP. Read across centres through ``oversight_context``.

Once sent, the certificateur records the date (:func:`jury_transmission_record`): the jury is
then no longer shown late.
"""

import datetime as dt
import io
import zipfile

from django.db import transaction
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone

from certificateur.models import DELAI_TRANSMISSION_CQPM_MOIS, JuryTransmission
from certificateur.oversight import oversight_context
from core.actors import Actor, actor_user
from core.dates import add_months
from core.errors import ApplicationError
from core.exports import csv_writer
from documents.models import DocumentKind, IssuedDocument
from evaluations.models import InscriptionEpreuve
from juries.models import Decision, Jury
from organisations.models import Organisation
from organisations.tenancy import tenant_context


def _emargements(jury) -> list:
    """The latest ready émargement of every épreuve a dossier of the jury sat (inside oversight).

    The evaluations app files them by épreuve (``evaluations:epreuve:<uuid>:emargement``), a new
    version whenever the sheet changes; one filed under the jury's own batch is kept too.
    """

    epreuves = (
        InscriptionEpreuve.objects.filter(
            dossier_id__in=Decision.objects.filter(jury=jury).values("dossier_id")
        )
        .values_list("epreuve__public_id", flat=True)
        .distinct()
    )
    groups = [f"evaluations:epreuve:{public_id}:emargement" for public_id in epreuves] + [jury.group_key]
    latest: dict[str, IssuedDocument] = {}
    for doc in IssuedDocument.objects.filter(
        group_key__in=groups,
        kind=DocumentKind.EMARGEMENT,
        status=IssuedDocument.Status.READY,
        revoked_at__isnull=True,
    ).order_by("group_key", "-created_at", "-pk"):
        if doc.group_key == jury.group_key:
            latest[f"{doc.group_key}:{doc.pk}"] = doc
        else:
            latest.setdefault(doc.group_key, doc)
    return sorted(latest.values(), key=lambda d: (d.issued_on, d.pk))


def _jury_read(certificateur: Organisation, jury_public_id):
    """The certificateur's jury (inside an oversight context); 404 when not one of its juries."""
    jury = (
        Jury.objects.filter(referentiel__certificateur=certificateur, public_id=jury_public_id)
        .select_related("referentiel", "organisation")
        .first()
    )
    if jury is None:
        raise Http404
    return jury


def _jury_of(certificateur: Organisation, jury_public_id):
    with oversight_context(certificateur):
        return _jury_read(certificateur, jury_public_id)


def jury_transmission_record(
    *, certificateur: Organisation, jury_public_id, by: Actor, transmis_le: dt.date | None = None
) -> JuryTransmission:
    """Record (or correct) the date a CQPM jury's file was transmitted; 404 when not the
    certificateur's jury. Written in the certificateur's own tenant, naming the jury by UUID."""
    jury = _jury_of(certificateur, jury_public_id)
    if jury.referentiel.kind != "CQPM":
        raise ApplicationError("Seuls les jurys CQPM donnent lieu à une transmission au certificateur.")
    if not jury.is_frozen:
        raise ApplicationError("Le procès-verbal de ce jury n'est pas encore signé : rien à transmettre.")
    day = transmis_le or timezone.localdate()
    if day > timezone.localdate():
        raise ApplicationError("La date de transmission ne peut pas être dans le futur.", field="transmis_le")
    if day < jury.date:
        raise ApplicationError(
            f"La date de transmission précède le jury du {jury.date:%d/%m/%Y}.", field="transmis_le"
        )
    user = actor_user(by)
    with tenant_context(certificateur), transaction.atomic():
        transmission, _created = JuryTransmission.objects.update_or_create(
            organisation=certificateur,
            jury_public_id=jury.public_id,
            defaults={"centre_id": jury.organisation_id, "transmis_le": day, "recorded_by": user},
        )
    return transmission


def jury_transmission_state(*, certificateur: Organisation, jury_public_id) -> dict:
    """The deadline and the recorded date of one of the certificateur's juries; 404 otherwise."""
    jury = _jury_of(certificateur, jury_public_id)
    transmis = jury_transmissions(certificateur=certificateur, jury_public_ids=[jury.public_id]).get(
        jury.public_id
    )
    cqpm = jury.referentiel.kind == "CQPM"
    echeance = add_months(jury.date, DELAI_TRANSMISSION_CQPM_MOIS)
    return {
        "jury": str(jury.public_id),
        "centre": jury.organisation.slug,
        "certification": jury.referentiel.code,
        "date": jury.date,
        "transmission_requise": cqpm,
        "echeance": echeance if cqpm else None,
        "transmis_le": transmis.transmis_le if transmis else None,
        "en_retard": cqpm and transmis is None and echeance < timezone.localdate(),
    }


def jury_transmissions(*, certificateur: Organisation, jury_public_ids) -> dict:
    """{jury UUID: JuryTransmission} of the certificateur (its own rows)."""
    with tenant_context(certificateur):
        return {
            t.jury_public_id: t
            for t in JuryTransmission.objects.filter(jury_public_id__in=list(jury_public_ids))
        }


def _composition_csv(members: list) -> str:
    """The jury's composition as the certificateur's CSV (one member a line)."""
    composition = io.StringIO()
    writer = csv_writer(composition, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        [
            "nom",
            "prenom",
            "role",
            "college",
            "structure",
            "metier",
            "personnalite_qualifiee",
            "a_forme_candidats",
        ]
    )
    for m in members:
        writer.writerow(
            [
                m.nom,
                m.prenom,
                m.get_role_display(),
                m.get_college_display() if m.college else "",
                m.structure,
                m.metier,
                "oui" if m.personnalite_qualifiee else "non",
                "oui" if m.a_forme_candidats else "non",
            ]
        )
    return composition.getvalue()


def _conformite_pdf(
    jury: Jury,
    members: list,
    pv: IssuedDocument,
    emargements: list,
    echeance: dt.date,
    certificateur: Organisation,
) -> bytes:
    """The certificat de conformité of the transmission, rendered to PDF."""
    html = render_to_string(
        "certificateur/conformite.html",
        {
            "jury": jury,
            "members": members,
            "pv": pv,
            "emargements": emargements,
            "echeance": echeance,
            "certificateur": certificateur,
            "now": timezone.localtime(),
        },
    )
    from documents.rendering import render_pdf

    return render_pdf(html)


def transmission_bundle(*, certificateur: Organisation, jury_public_id) -> tuple[str, bytes]:
    """(file name, ZIP bytes). 404 when the jury is not on the certificateur's référentiels;
    ApplicationError when the PV is not generated yet (nothing to transmit)."""
    from documents.selectors import document_file_read

    with oversight_context(certificateur):  # one context (each costs a few queries): read it here
        jury = _jury_read(certificateur, jury_public_id)
        members = list(jury.members.order_by("role", "nom"))
        pv = (
            IssuedDocument.objects.filter(
                group_key=jury.group_key, kind=DocumentKind.PROCES_VERBAL, revoked_at__isnull=True
            )
            .order_by("pk")
            .first()
        )
        if pv is None or not pv.file:
            raise ApplicationError(
                "Le procès-verbal de ce jury n'est pas encore généré : rien à transmettre."
            )
        pv_pdf = document_file_read(document=pv)
        emargements = [(d, document_file_read(document=d)) for d in _emargements(jury)]

    composition = _composition_csv(members)
    echeance = add_months(jury.date, DELAI_TRANSMISSION_CQPM_MOIS)
    conformite = _conformite_pdf(jury, members, pv, [d for d, _ in emargements], echeance, certificateur)

    out = io.BytesIO()
    stem = f"transmission-{jury.referentiel.code}-{jury.date:%Y%m%d}-{str(jury.public_id)[:8]}"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{stem}/01-proces-verbal.pdf", pv_pdf)
        zf.writestr(f"{stem}/02-composition-du-jury.csv", "\ufeff" + composition)
        for i, (_document, data) in enumerate(emargements, start=1):
            zf.writestr(f"{stem}/03-emargement-{i:02d}.pdf", data)
        zf.writestr(f"{stem}/04-certificat-de-conformite.pdf", conformite)
        manifest = [
            f"Jury : {jury.intitule} — {jury.date:%d/%m/%Y} — {jury.organisation.name}",
            f"Certification : {jury.referentiel.code} v{jury.referentiel.version}",
            f"À transmettre avant le {echeance:%d/%m/%Y}",
            f"Procès-verbal SHA-256 : {pv.sha256}",
            f"Feuilles d'émargement : {len(emargements) or 'aucune enregistrée sur la plateforme'}",
        ]
        zf.writestr(f"{stem}/LISEZMOI.txt", "\r\n".join(manifest) + "\r\n")
    return f"{stem}.zip", out.getvalue()
