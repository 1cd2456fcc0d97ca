"""CQPM transmission bundle: per jury, what the UIMM GTP « Certifications » must receive within
3 months — the signed PV, the jury's composition, the émargement sheets and a certificate of
conformity — assembled as one ZIP. Read across centres through ``oversight_context``.
"""

import csv
import io
import zipfile

from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone

from certificateur.models import DELAI_TRANSMISSION_CQPM_MOIS, add_months
from certificateur.oversight import oversight_context
from core.errors import ApplicationError
from organisations.models import Organisation


def transmission_bundle(*, certificateur: Organisation, jury_public_id) -> tuple[str, bytes]:
    """(file name, ZIP bytes). 404 when the jury is not on the certificateur's référentiels;
    ApplicationError when the PV is not generated yet (nothing to transmit)."""
    from documents.models import DocumentKind, IssuedDocument
    from documents.selectors import document_file_read
    from juries.models import Jury

    with oversight_context(certificateur):
        jury = (
            Jury.objects.filter(referentiel__certificateur=certificateur, public_id=jury_public_id)
            .select_related("referentiel", "organisation")
            .first()
        )
        if jury is None:
            raise Http404
        members = list(jury.members.order_by("role", "nom"))
        docs = list(
            IssuedDocument.objects.filter(
                group_key=jury.group_key,
                kind__in=[DocumentKind.PROCES_VERBAL, DocumentKind.EMARGEMENT],
                revoked_at__isnull=True,
            ).order_by("kind", "pk")
        )
        pv = next((d for d in docs if d.kind == DocumentKind.PROCES_VERBAL), None)
        if pv is None or not pv.file:
            raise ApplicationError(
                "Le procès-verbal de ce jury n'est pas encore généré : rien à transmettre."
            )
        pv_pdf = document_file_read(document=pv)
        emargements = [
            (d, document_file_read(document=d)) for d in docs if d.kind == DocumentKind.EMARGEMENT and d.file
        ]

    composition = io.StringIO()
    writer = csv.writer(composition, delimiter=";", lineterminator="\r\n")
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

    echeance = add_months(jury.date, DELAI_TRANSMISSION_CQPM_MOIS)
    html = render_to_string(
        "certificateur/conformite.html",
        {
            "jury": jury,
            "members": members,
            "pv": pv,
            "emargements": [d for d, _ in emargements],
            "echeance": echeance,
            "certificateur": certificateur,
            "now": timezone.localtime(),
        },
    )
    from documents.rendering import render_pdf

    conformite = render_pdf(html)

    out = io.BytesIO()
    stem = f"transmission-{jury.referentiel.code}-{jury.date:%Y%m%d}-{str(jury.public_id)[:8]}"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{stem}/01-proces-verbal.pdf", pv_pdf)
        zf.writestr(f"{stem}/02-composition-du-jury.csv", "\ufeff" + composition.getvalue())
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
