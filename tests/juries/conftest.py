"""Fixtures of the jury tests: dossiers ready for the jury with real results, jury members with TOTP."""

import datetime as dt
import time

import pytest
from allauth.mfa import app_settings
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value

from candidates.models import Dossier
from candidates.services import dossier_transition
from evaluations.services import resultat_record, resultat_validate, suivi_update
from juries import services
from juries.models import JuryMember
from organisations.roles import Role
from tests.conftest import make_member
from tests.evaluations.conftest import in_a, inscribed_dossier, referentiels  # noqa: F401 - fixtures

FULL = {
    "RNCP36390BC01": (60, 80),
    "RNCP36390BC02": (40, 60),
    "RNCP36390BC03": (40, 50),
    "RNCP36390BC04": (35, 50),
}
JURY_DATE = dt.date(2026, 6, 12)


def grade_rncp(
    dossier, by, *, blocs=FULL, ecrit=100, oral=60, tuteur=40, taux_absence=None, fraude=False, absent=()
):
    ref = dossier.referentiel
    for code, (cc, ep) in blocs.items():
        r = resultat_record(
            dossier=dossier,
            by=by,
            bloc=ref.blocs.get(code=code),
            controle_continu=cc,
            epreuves=None if code in absent else ep,  # an absence is a fact, not a mark
            absence_non_justifiee=code in absent,
        )
        resultat_validate(resultat=r, by=by)
    for comp, pts in (("ecrit", ecrit), ("oral", oral), ("tuteur", tuteur)):
        if pts is None:  # not marked (a retake keeps the previous attempt's tuteur grade)
            continue
        resultat_validate(
            resultat=resultat_record(dossier=dossier, by=by, composante=comp, points=pts), by=by
        )
    if taux_absence is not None or fraude:
        suivi_update(
            dossier=dossier,
            by=by,
            taux_absence=taux_absence,
            fraude=fraude or None,
            fraude_motif="Téléphone consulté" if fraude else "",
        )


def grade_capacites(dossier, by, *, etats=None):
    etats = etats or {}
    for cap in dossier.referentiel.capacites.all():
        r = resultat_record(dossier=dossier, by=by, capacite=cap, etat=etats.get(cap.code, "acquis"))
        resultat_validate(resultat=r, by=by)
    if dossier.referentiel.kind == "CQPI":  # seed 003: observation and entretien, per compétence
        import datetime as dt

        from evaluations.entretiens import entretien_record

        entretien_record(
            dossier=dossier,
            by=by,
            date=dt.date.today() - dt.timedelta(days=1),
            participants="Jury d'évaluation",
            conclusions={
                c.code: ("non_acquis" if etats.get(c.code) == "non_acquis" else "acquis", "")
                for c in dossier.referentiel.capacites.all()
            },
        )


def ready_dossier(by, referentiel, *, grade=None, **identity) -> Dossier:
    dossier = inscribed_dossier(by, referentiel, **identity)
    if grade is None:
        grade = grade_rncp if referentiel.regle.get("type") == "grille_points" else grade_capacites
    grade(dossier, by)
    _upload_required_pieces(dossier, by)
    return dossier_transition(dossier=dossier, to=Dossier.Status.PRET_POUR_JURY, by=by)


MINIMAL_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _upload_required_pieces(dossier, by):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from candidates.services import PIECE_REQUIRED_BY_MODALITE, piece_upload

    kinds = {
        PIECE_REQUIRED_BY_MODALITE[t]
        for t in dossier.modalites_choisies.values_list("modalite__type", flat=True)
        if t in PIECE_REQUIRED_BY_MODALITE
    }
    for kind in sorted(kinds):
        piece_upload(
            dossier=dossier,
            by=by,
            kind=kind,
            uploaded_file=SimpleUploadedFile(f"{kind}.pdf", MINIMAL_PDF, "application/pdf"),
        )


def totp_code(secret: str) -> str:
    """The code an authenticator app shows now (the current 30 s step)."""
    return format_hotp_value(hotp_value(secret, int(time.time()) // app_settings.TOTP_PERIOD))


def enrol_totp(membership) -> str:
    """Enrol a TOTP second factor for the member's account; returns its secret."""
    secret = generate_totp_secret()
    TOTP.activate(membership.user, secret)
    return secret


def jury_user(org, email):
    """A member with the jury role and an enrolled TOTP; returns (membership, secret)."""
    membership = make_member(org, Role.JURY, email)
    secret = generate_totp_secret()
    TOTP.activate(membership.user, secret)
    return membership, secret


RNCP_PANEL = [
    (
        "presidente@test.local",
        "Garnier",
        "Hélène",
        JuryMember.Role.PRESIDENT,
        {"personnalite_qualifiee": True},
    ),
    ("pro1@test.local", "Lambert", "Marc", JuryMember.Role.PROFESSIONNEL, {}),
    ("pro2@test.local", "Haddad", "Sofia", JuryMember.Role.PROFESSIONNEL, {}),
    ("repr@test.local", "Petit", "Jean", JuryMember.Role.REPRESENTANT, {}),
]


@pytest.fixture
def panel(org_a):
    """Four jury members of centre A (président, 2 professionnels, représentant), each with TOTP;
    each account holder's own name is the panel's (a PV prints the account's name)."""
    out = {}
    for email, nom, prenom, *_ in RNCP_PANEL:
        membership, secret = jury_user(org_a, email)
        membership.user.first_name, membership.user.last_name = prenom, nom
        membership.user.save(update_fields=["first_name", "last_name"])
        out[email] = (membership, secret)
    return out


def centre_admin(org):
    """The centre's administrator: only an administrator seats a jury's members (issue 16); the
    first active one of the centre, else one created for it."""
    from organisations.models import Membership

    existing = (
        Membership.objects.filter(organisation=org, role=Role.ADMIN, is_active=True)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return existing or make_member(org, Role.ADMIN, f"admin-jurys@{org.slug}.test")


def compose_rncp(jury, by=None, *, panel_rows=RNCP_PANEL, **overrides):
    """Seat the RNCP panel, as the centre's administrator unless ``by`` names another admin."""
    by = by or centre_admin(jury.organisation)
    for email, nom, prenom, role, extra in panel_rows:
        fields = {
            "annees_metier": 5,
            "annees_inactivite": 0,
            "metier": "Office manager",
            "structure": "Entreprise",
        } | extra
        fields |= overrides.get(email, {})
        services.jury_member_add(jury=jury, by=by, email=email, nom=nom, prenom=prenom, role=role, **fields)


def sign_all(pv, panel, *, ip="203.0.113.7"):
    """Every member signs, the président last."""
    from django.core.cache import cache

    cache.clear()  # TOTP codes are single use per 30 s window: a second PV in the same test needs this
    order = [e for e, *_ in RNCP_PANEL[1:]] + [RNCP_PANEL[0][0]]
    sigs = []
    for email in order:
        membership, secret = panel[email]
        sigs.append(
            services.proces_verbal_sign(proces_verbal=pv, by=membership, code=totp_code(secret), ip=ip)
        )
    return sigs
