"""A small but complete world for the access matrix and the fuzzing: two centres built alike.

Each centre has one member per role, a RNCP dossier ready for the jury (with tuteur, avis,
pièces and results) sitting before a jury whose président is the centre's jury member, a CQPM
dossier inscribed to an épreuve that the centre's évaluateur marks, a document, an import job,
an API token… so that detail routes reach real objects. A second RNCP dossier, of a second
tuteur, sits before a second jury the centre's jury member is not on, with its own document:
the object rules "another jury" and "another tuteur's candidate" are exercised. The
certificateur (CCI France) owns the RNCP référentiel and has its own certificateur member.
"""

import datetime as dt
from dataclasses import dataclass, field

from allauth.mfa.models import Authenticator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from organisations.models import Membership, Organisation
from organisations.roles import Role
from organisations.services import api_token_create
from organisations.tenancy import tenant_context
from tests.conftest import make_member

CENTRE_ROLES = [Role.ADMIN, Role.GESTIONNAIRE, Role.EVALUATEUR, Role.TUTEUR, Role.JURY]
# The candidate of the centre's RNCP dossier (their own space, no API token): pages and session API.
CANDIDAT = Role.CANDIDAT.value
JURY_DATE = dt.date(2026, 6, 12)


@dataclass
class Centre:
    org: Organisation
    members: dict[str, Membership]
    tokens: dict[str, str]
    ids: dict[str, str] = field(default_factory=dict)  # URL parameter → public id (str)
    hidden: dict[str, dict[str, str]] = field(default_factory=dict)  # role → ids outside its object rule


@dataclass
class World:
    a: Centre
    b: Centre
    certificateur: Organisation
    certificateur_member: Membership
    certificateur_token: str
    referentiel_id: str
    capacite_code: str
    verification_code: str


def _totp(membership):
    Authenticator.objects.create(
        user=membership.user, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"}
    )
    return membership


def _centre(org: Organisation, refs: dict, cci: Organisation) -> Centre:
    from candidates import services as cs
    from candidates.models import Dossier, Piece
    from documents.models import IssuedDocument
    from evaluations import services as es
    from evaluations.models import InscriptionEpreuve, Resultat
    from juries import services as js
    from juries.models import JuryMember
    from tests.documents.conftest import issue
    from tests.evaluations.conftest import inscribed_dossier
    from tests.juries.conftest import _upload_required_pieces, grade_rncp

    members = {
        role.value: _totp(make_member(org, role, f"{role.value}@{org.slug}.test")) for role in CENTRE_ROLES
    }
    tokens = {role: api_token_create(membership=m, name="matrix")[1] for role, m in members.items()}
    gest = members["gestionnaire"]
    centre = Centre(org=org, members=members, tokens=tokens)
    rncp, cqpm = refs["rncp"], refs["cqpm"]
    with tenant_context(org):
        entreprise = cs.entreprise_create(
            by=gest, raison_sociale=f"Atelier {org.name}", siret="41058110200010"
        )
        tuteur = cs.tuteur_create(
            by=gest, entreprise=entreprise, nom="Tuteur", prenom="Paul", email=members["tuteur"].user.email
        )
        dossier = inscribed_dossier(gest, rncp, nom_naissance="Rncp", email=f"candidat@{org.slug}.test")
        dossier = cs.dossier_update(dossier=dossier, by=gest, entreprise=entreprise, tuteur=tuteur)
        avis = es.avis_request(
            dossier=dossier, by=gest, date_limite=timezone.localdate() + dt.timedelta(days=20)
        )
        grade_rncp(dossier, gest)
        _upload_required_pieces(dossier, gest)
        piece = cs.piece_upload(
            dossier=dossier,
            by=gest,
            kind=Piece.Kind.RAPPORT,
            uploaded_file=SimpleUploadedFile("rapport.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf"),
        )
        dossier = cs.dossier_transition(dossier=dossier, to=Dossier.Status.PRET_POUR_JURY, by=gest)
        jury = js.jury_create(by=gest, referentiel=rncp, intitule="Jury matrice", date=JURY_DATE, lieu="Lyon")
        member = js.jury_member_add(
            jury=jury,
            by=members["admin"],  # only an administrator seats a jury's members (issue 16)
            email=members["jury"].user.email,
            nom="Jure",
            prenom="Anne",
            role=JuryMember.Role.PRESIDENT,
            personnalite_qualifiee=True,
            annees_metier=5,
            metier="Office manager",
            structure="Entreprise",
        )
        decision = js.jury_dossiers_add(jury=jury, by=gest, dossiers=[dossier])[0]

        # A second tuteur with their own candidate, sitting before a second jury on which the
        # centre's jury member does not sit: "another jury" and "another candidate" exist.
        tuteur2 = cs.tuteur_create(
            by=gest, entreprise=entreprise, nom="Tuteur", prenom="Zoé", email=f"tuteur2@{org.slug}.test"
        )
        other = inscribed_dossier(gest, rncp, nom_naissance="Autre", email=f"autre-candidat@{org.slug}.test")
        other = cs.dossier_update(dossier=other, by=gest, entreprise=entreprise, tuteur=tuteur2)
        other_avis = es.avis_request(
            dossier=other, by=gest, date_limite=timezone.localdate() + dt.timedelta(days=20)
        )
        grade_rncp(other, gest)
        _upload_required_pieces(other, gest)
        other_piece = cs.piece_upload(
            dossier=other,
            by=gest,
            kind=Piece.Kind.RAPPORT,
            uploaded_file=SimpleUploadedFile("rapport.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf"),
        )
        other = cs.dossier_transition(dossier=other, to=Dossier.Status.PRET_POUR_JURY, by=gest)
        jury2 = js.jury_create(by=gest, referentiel=rncp, intitule="Autre jury", date=JURY_DATE, lieu="Paris")
        member2 = js.jury_member_add(
            jury=jury2,
            by=members["admin"],  # an unknown address: the administrator invites them as a jury member
            email=f"autre-jure@{org.slug}.test",
            nom="Autre",
            prenom="Jean",
            role=JuryMember.Role.PRESIDENT,
            personnalite_qualifiee=True,
            annees_metier=5,
            metier="Office manager",
            structure="Entreprise",
        )
        decision2 = js.jury_dossiers_add(jury=jury2, by=gest, dossiers=[other])[0]

        cqpm_dossier = inscribed_dossier(gest, cqpm, nom_naissance="Cqpm")
        # the évaluateur's candidate has a tuteur of its own: their contacts are the évaluateur's
        tuteur3 = cs.tuteur_create(
            by=gest, entreprise=entreprise, nom="Tuteur", prenom="Éva", email=f"tuteur3@{org.slug}.test"
        )
        cqpm_dossier = cs.dossier_update(dossier=cqpm_dossier, by=gest, entreprise=entreprise, tuteur=tuteur3)
        session = es.session_create(by=gest, referentiel=cqpm, intitule="Session matrice", lieu="Paris")
        epreuve = es.epreuve_create(
            session=session,
            by=gest,
            intitule="Soutenance",
            # held yesterday: its results and attendance can be recorded (issue 13, point 4)
            date=timezone.localdate() - dt.timedelta(days=1),
            heure_debut=dt.time(9),
            duree_minutes=60,
            capacites=[c.code for c in cqpm.capacites.all()[:2]],
            evaluateurs=[members["evaluateur"].user],
        )
        es.epreuve_candidats_add(epreuve=epreuve, by=gest, dossiers=[cqpm_dossier])
        inscription = InscriptionEpreuve.objects.get(epreuve=epreuve, dossier=cqpm_dossier)
        cqpm_resultat = es.resultat_record(
            dossier=cqpm_dossier, by=gest, capacite=cqpm.capacites.first(), etat="acquis"
        )
        piece_cqpm = cs.piece_upload(
            dossier=cqpm_dossier,
            by=gest,
            kind=Piece.Kind.RAPPORT,
            uploaded_file=SimpleUploadedFile("rapport.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf"),
        )
        # the RNCP dossier's candidate has their space (role candidat); so has the other candidate,
        # whose dossier and survey are outside the first one's object rule
        from espace_candidat.models import Enquete
        from espace_candidat.services import candidate_invite

        members["candidat"] = Membership.objects.get(
            user=candidate_invite(candidate=dossier.candidate, by=gest).user, organisation=org
        )
        candidate_invite(candidate=other.candidate, by=gest)
        enquete = Enquete.objects.create(
            organisation=org, dossier=dossier, kind="6m", due_on=JURY_DATE, sent_at=timezone.now()
        )
        other_enquete = Enquete.objects.create(
            organisation=org, dossier=other, kind="6m", due_on=JURY_DATE, sent_at=timezone.now()
        )
        from espace_candidat.models import RattrapageRequest

        rattrapage = RattrapageRequest(
            organisation=org, dossier=dossier, motif="certificat_medical", justification="Hospitalisée."
        )
        rattrapage.justificatif.save(
            "rattrapages/matrice.pdf", SimpleUploadedFile("c.pdf", b"%PDF-1.4\n%%EOF\n"), save=False
        )
        rattrapage.justificatif_nom, rattrapage.justificatif_type = "certificat.pdf", "application/pdf"
        rattrapage.save()
        job = cs.import_job_create(
            by=gest, uploaded_file=SimpleUploadedFile("import.csv", b"nom_naissance;prenom1\n", "text/csv")
        )
    document = issue(org, cci, group=f"jury:{jury.public_id}", holder="Rncp Léa")
    with tenant_context(org):
        from documents.services import document_render

        document_render(document)  # allowed downloads answer 200, not 409
    other_document = issue(org, cci, key="autre", group=f"jury:{jury2.public_id}", holder="Autre Zoé")
    pv = _proces_verbal(org, jury)
    with tenant_context(org):
        document = IssuedDocument.objects.get(pk=document.pk)
        resultat = Resultat.objects.filter(dossier=dossier).first()
        other_resultat = Resultat.objects.filter(dossier=other).first()
    from django.core.files.base import ContentFile

    from documents.models import ReissueRequest
    from organisations.models import ApiToken

    with tenant_context(org):
        reissue = ReissueRequest(
            organisation=org,
            document=document,
            identity={"prenom1": "Léa"},
            reason="Correction d'état civil",
            piece_name="acte.pdf",
            requested_by=members["admin"].user,
            # CCI France issues the RNCP parchemins (the rule below): its staff approve (point 5)
            approver_certificateur=cci,
        )
        reissue.piece.save("acte.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
        reissue.save()
    token = ApiToken.objects.filter(membership=members["admin"]).first()
    import uuid

    from integrations.models import WebhookDelivery, WebhookEndpoint

    with tenant_context(org):
        # disabled, and for an event a centre never emits: building the world sends nothing
        webhook = WebhookEndpoint.objects.create(
            organisation=org,
            url="https://si.example.fr/hook",
            events=["accrochage.rapport_recu"],
            is_active=False,
        )
        delivery = WebhookDelivery.objects.create(
            organisation=org,
            endpoint=webhook,
            event="accrochage.rapport_recu",
            event_id=uuid.uuid4(),
            payload={},
        )
    centre.ids = {
        "candidate_id": dossier.candidate.public_id,
        "dossier_id": dossier.public_id,
        "piece_id": piece.public_id,
        "entreprise_id": entreprise.public_id,
        "tuteur_id": tuteur.public_id,
        "avis_id": avis.public_id,
        "jury_id": jury.public_id,
        "member_id": member.public_id,
        "decision_id": decision.public_id,
        "session_id": session.public_id,
        "epreuve_id": epreuve.public_id,
        "inscription_id": inscription.public_id,
        "resultat_id": resultat.public_id,
        "job_id": job.public_id,
        "token_id": token.public_id,
        "webhook_id": webhook.public_id,
        "delivery_id": delivery.public_id,
        "document_id": document.public_id,
        "document_public_id": document.public_id,
        "enquete_id": enquete.public_id,
        "request_id": reissue.public_id,
        "rattrapage_id": rattrapage.public_id,
    }
    cqpm_ids = {
        "candidate_id": cqpm_dossier.candidate.public_id,
        "dossier_id": cqpm_dossier.public_id,
        "resultat_id": cqpm_resultat.public_id,
        "piece_id": piece_cqpm.public_id,
    }
    rncp_ids = {k: centre.ids[k] for k in cqpm_ids}
    other_jury_ids = {
        "candidate_id": other.candidate.public_id,
        "dossier_id": other.public_id,
        "resultat_id": other_resultat.public_id,
        "piece_id": other_piece.public_id,
        "avis_id": other_avis.public_id,
        "jury_id": jury2.public_id,
        "member_id": member2.public_id,
        "decision_id": decision2.public_id,
        "document_id": other_document.public_id,
        "document_public_id": other_document.public_id,
    }
    # the évaluateur works on the CQPM dossier (their épreuve), the jury member on the RNCP one
    # (their jury, not the other one), the tuteur on their own candidate (not the second tuteur's);
    # the certificateur reads the jury's PV
    # tuteurs' contacts: only to those working one of the tuteur's dossiers (issue 16)
    cqpm_ids["tuteur_id"] = tuteur3.public_id
    rncp_ids["tuteur_id"] = tuteur.public_id
    other_jury_ids["tuteur_id"] = tuteur2.public_id
    centre.role_ids = {"evaluateur": cqpm_ids, "certificateur": {"document_id": pv.public_id}}
    centre.hidden = {
        "evaluateur": rncp_ids,
        "jury": other_jury_ids,
        "tuteur": {"avis_id": other_avis.public_id, "tuteur_id": tuteur2.public_id},
        "candidat": {"dossier_id": other.public_id, "enquete_id": other_enquete.public_id},
    }
    centre.ids = {k: str(v) for k, v in centre.ids.items()}
    for d in (centre.role_ids, centre.hidden):
        for role in d:
            d[role] = {k: str(v) for k, v in d[role].items()}
    return centre


def _proces_verbal(org, jury):
    """The jury's rendered PV document, as the certificateur downloads it across centres."""
    from documents.examples import PROCES_VERBAL
    from documents.models import DocumentKind
    from documents.services import document_render, document_request

    with tenant_context(org):
        pv = document_request(
            organisation=org,
            kind=DocumentKind.PROCES_VERBAL,
            certificateur=None,
            idempotency_key=f"jury:{jury.public_id}:pv",
            group_key=jury.group_key,
            title=f"Procès-verbal — {jury.intitule}",
            context=PROCES_VERBAL,
            issued_on=JURY_DATE,
            render=False,
        )
        document_render(pv)
    return pv


def build_world() -> World:
    from referentiels.demo import load_seed
    from referentiels.services import habilitation_grant

    cci = Organisation.objects.create(kind="certificateur", slug="mx-cci", name="CCI France (matrice)")
    uimm = Organisation.objects.create(kind="certificateur", slug="mx-uimm", name="UIMM (matrice)")
    refs = {"rncp": load_seed("rncp36390.json", cci), "cqpm": load_seed("cqpm-attache-gestion.json", uimm)}
    centres, habilitations = [], []
    for slug in ("mx-centre-a", "mx-centre-b"):
        org = Organisation.objects.create(kind="centre", slug=slug, name=slug.upper())
        habilitations.append(
            habilitation_grant(
                certificateur=cci, centre=org, code="RNCP36390", date_debut=dt.date(2024, 1, 1)
            )
        )
        habilitation_grant(
            certificateur=uimm, centre=org, code=refs["cqpm"].code, date_debut=dt.date(2024, 1, 1)
        )
        centres.append(_centre(org, refs, cci))
    # the certificateur ends the habilitation it granted to centre A, and follows its RNCP import
    from referentiels.models import RncpImportJob

    rncp_import = RncpImportJob.objects.create(certificateur=cci, original_name="fiches.xml", status="done")
    centres[0].role_ids["certificateur"].update(
        habilitation_id=str(habilitations[0].public_id), import_id=str(rncp_import.public_id)
    )
    # CCI France issues the RNCP parchemins after receiving the signed PV (seed 004): centre A's
    # jury transmitted its PV, so the certificateur's « PV reçus » pages have an object to show.
    from django.utils import timezone

    from documents.models import IssuanceRule
    from juries.models import Jury, PvTransmission

    rule = IssuanceRule.objects.create(
        certificateur=cci, kind="parchemin", issuer="certificateur", referentiel_code="RNCP36390"
    )
    with tenant_context(centres[0].org):
        transmission = PvTransmission.objects.create(
            organisation=centres[0].org,
            jury=Jury.objects.get(public_id=centres[0].ids["jury_id"]),
            certificateur=cci,
            transmitted_at=timezone.now(),
        )
    centres[0].role_ids["certificateur"].update(
        transmission_id=str(transmission.public_id), rule_id=str(rule.public_id), kind="reeditions"
    )
    cert_member = _totp(make_member(cci, Role.CERTIFICATEUR, "certificateur@mx-cci.test"))
    from documents.models import IssuedDocument

    with tenant_context(centres[0].org):
        code = (
            IssuedDocument.objects.get(public_id=centres[0].ids["document_id"]).verification_code
            or "ABCD1234"
        )
    return World(
        a=centres[0],
        b=centres[1],
        certificateur=cci,
        certificateur_member=cert_member,
        certificateur_token=api_token_create(membership=cert_member, name="matrix")[1],
        referentiel_id=str(refs["rncp"].public_id),
        capacite_code=refs["rncp"].capacites.first().code,
        verification_code=code,
    )
