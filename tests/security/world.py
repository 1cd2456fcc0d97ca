"""A small but complete world for the access matrix and the fuzzing: two centres built alike.

Each centre has one member per role, a RNCP dossier ready for the jury (with tuteur, avis,
pièces and results) sitting before a jury whose président is the centre's jury member, a CQPM
dossier inscribed to an épreuve that the centre's évaluateur marks, a document, an import job,
an API token… so that detail routes reach real objects. The certificateur (CCI France) owns the
RNCP référentiel and has its own certificateur member.
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
        dossier = inscribed_dossier(gest, rncp, nom_naissance="Rncp")
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
            by=gest,
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

        cqpm_dossier = inscribed_dossier(gest, cqpm, nom_naissance="Cqpm")
        session = es.session_create(by=gest, referentiel=cqpm, intitule="Session matrice", lieu="Paris")
        epreuve = es.epreuve_create(
            session=session,
            by=gest,
            intitule="Soutenance",
            date=timezone.localdate() + dt.timedelta(days=40),
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
        job = cs.import_job_create(
            by=gest, uploaded_file=SimpleUploadedFile("import.csv", b"nom_naissance;prenom1\n", "text/csv")
        )
    document = issue(org, cci, group=f"jury:{jury.public_id}", holder="Rncp Léa")
    with tenant_context(org):
        document = IssuedDocument.objects.get(pk=document.pk)
        resultat = Resultat.objects.filter(dossier=dossier).first()
    from organisations.models import ApiToken

    token = ApiToken.objects.filter(membership=members["admin"]).first()
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
        "document_id": document.public_id,
        "document_public_id": document.public_id,
    }
    cqpm_ids = {
        "candidate_id": cqpm_dossier.candidate.public_id,
        "dossier_id": cqpm_dossier.public_id,
        "resultat_id": cqpm_resultat.public_id,
        "piece_id": piece_cqpm.public_id,
    }
    rncp_ids = {k: centre.ids[k] for k in cqpm_ids}
    # the évaluateur works on the CQPM dossier (their épreuve), the jury member on the RNCP one (their jury)
    centre.role_ids = {"evaluateur": cqpm_ids}
    centre.hidden = {"evaluateur": rncp_ids, "jury": cqpm_ids}
    centre.ids = {k: str(v) for k, v in centre.ids.items()}
    for d in (centre.role_ids, centre.hidden):
        for role in d:
            d[role] = {k: str(v) for k, v in d[role].items()}
    return centre


def build_world() -> World:
    from referentiels.demo import load_seed
    from referentiels.services import habilitation_grant

    cci = Organisation.objects.create(kind="certificateur", slug="mx-cci", name="CCI France (matrice)")
    uimm = Organisation.objects.create(kind="certificateur", slug="mx-uimm", name="UIMM (matrice)")
    refs = {"rncp": load_seed("rncp36390.json", cci), "cqpm": load_seed("cqpm-attache-gestion.json", uimm)}
    centres = []
    for slug in ("mx-centre-a", "mx-centre-b"):
        org = Organisation.objects.create(kind="centre", slug=slug, name=slug.upper())
        habilitation_grant(certificateur=cci, centre=org, code="RNCP36390", date_debut=dt.date(2024, 1, 1))
        habilitation_grant(
            certificateur=uimm, centre=org, code=refs["cqpm"].code, date_debut=dt.date(2024, 1, 1)
        )
        centres.append(_centre(org, refs, cci))
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
