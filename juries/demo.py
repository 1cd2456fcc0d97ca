"""Demo juries at CCI Campus Lyon (RNCP36390): one signed and frozen with its documents, one in
deliberation where ``jury@cci-lyon.demo`` presides. Idempotent and fast (a few dossiers)."""

import datetime as dt
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils import timezone

from candidates import services as candidates_services
from candidates.models import Dossier
from candidates.selectors import dossier_grid
from core.actors import Actor
from evaluations.services import resultat_record, resultat_validate
from juries import services
from juries.models import Jury
from organisations.models import Membership, Organisation
from organisations.roles import Role
from organisations.services import membership_add
from organisations.tenancy import tenant_context
from referentiels.models import Referentiel

CENTRE = "cci-campus-lyon"
SIGNED = "Jury de certification signé (démonstration)"
TRANSMITTED = "Jury de certification transmis à CCI France (démonstration)"
OPEN = "Jury de certification en délibération (démonstration)"
# Seed 004: « Le parchemin sera signé par le Président de CCI France et le Président de la CCI dont
# dépend l'établissement de formation. » — « … rédige le Procès-Verbal d'examen et le transmet à CCI
# France … pour émissions des parchemins du titre ou du/des bloc(s) validé(s). » Names: demo only.
CCI_FRANCE_SIGNATORIES = [
    {"title": "Le Président de CCI France", "name": "Paul Exemple (démo)", "named_by": "certificateur"},
    {"title": "Le Président de la CCI dont dépend l'établissement de formation", "named_by": "centre"},
]
CENTRE_PRESIDENT = "Claire Exemple (démo)"
SEED_004_SOURCE = (
    "Les résultats d'examen sont validés par le jury de certification qui rédige le Procès-Verbal "
    "d'examen et le transmet à CCI France par l'intermédiaire de l'application « DIPLOMATION » pour "
    "émissions des parchemins du titre ou du/des bloc(s) validé(s)."
)
#: The jury panel: email, nom, prénom, role, the member's other fields.
PANEL: list[tuple[str, str, str, str, dict[str, Any]]] = [
    (
        "presidente.jury@cci-lyon.demo",
        "Garnier",
        "Hélène",
        "president",
        {"personnalite_qualifiee": True, "structure": "Groupe Serin", "metier": "DRH"},
    ),
    (
        "pro1.jury@cci-lyon.demo",
        "Lambert",
        "Marc",
        "professionnel",
        {"structure": "Atelier Lambert", "metier": "Office manager"},
    ),
    (
        "pro2.jury@cci-lyon.demo",
        "Haddad",
        "Sofia",
        "professionnel",
        {"structure": "Biotech Rhône", "metier": "Assistante de direction"},
    ),
    (
        "repr.jury@cci-lyon.demo",
        "Petit",
        "Jean",
        "representant",
        {"structure": "CCI Lyon Métropole", "metier": "Responsable pédagogique"},
    ),
]
GRADES = [
    (
        "MARTIN",
        "Camille",
        "F",
        {
            "RNCP36390BC01": (60, 80),
            "RNCP36390BC02": (40, 60),
            "RNCP36390BC03": (40, 50),
            "RNCP36390BC04": (35, 50),
        },
        100,
    ),
    (
        "GARCIA",
        "Hugo",
        "M",
        {
            "RNCP36390BC01": (60, 80),
            "RNCP36390BC02": (20, 40),
            "RNCP36390BC03": (40, 50),
            "RNCP36390BC04": (35, 50),
        },
        40,
    ),
    (
        "NGUYEN",
        "Mai",
        "F",
        {
            "RNCP36390BC01": (50, 70),
            "RNCP36390BC02": (35, 55),
            "RNCP36390BC03": (35, 55),
            "RNCP36390BC04": (30, 50),
        },
        90,
    ),
]


def _member(org, email, first, last, password):
    User = get_user_model()
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User(email=email, first_name=first, last_name=last)
        user.set_password(password)
        user.save()
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return membership_add(user=user, organisation=org, role=Role.JURY)


def _ready(by: Actor, ref, nom, prenom, sexe, blocs, ecrit, suffix):
    candidate = candidates_services.candidate_create(
        by=by,
        civilite="MME" if sexe == "F" else "M",
        sexe=sexe,
        nom_naissance=f"{nom}{suffix}",
        prenom1=prenom,
        naissance_annee=2001,
        naissance_mois=4,
        naissance_jour=9,
        naissance_commune="Lyon",
        naissance_code_insee="69123",
        naissance_pays_code="FRA",
        naissance_pays="France",
    )
    dossier = candidates_services.dossier_create(
        by=by,
        candidate=candidate,
        referentiel=ref,
        voie_acces=Dossier.VoieAcces.APPRENTISSAGE,
        date_inscription=dt.date(2025, 9, 1),
    )
    choices = {
        cr.capacite.pk: cr.allowed[0].pk
        for row in dossier_grid(dossier=dossier)
        if row.vise
        for cr in row.capacites
    }
    candidates_services.dossier_plan_update(dossier=dossier, by=by, blocs=None, modalites=choices)
    dossier = candidates_services.dossier_transition(
        dossier=dossier, to=Dossier.Status.INSCRIT, by=by, reason="démonstration"
    )
    for code, (cc, ep) in blocs.items():
        r = resultat_record(
            dossier=dossier, by=by, bloc=ref.blocs.get(code=code), controle_continu=cc, epreuves=ep
        )
        resultat_validate(resultat=r, by=by)
    for comp, pts in (("ecrit", ecrit), ("oral", 60), ("tuteur", 40)):
        resultat_validate(
            resultat=resultat_record(dossier=dossier, by=by, composante=comp, points=pts), by=by
        )
    return candidates_services.dossier_transition(dossier=dossier, to=Dossier.Status.PRET_POUR_JURY, by=by)


def issuance_rules_seed(org, ref, gestionnaire) -> None:
    """CCI France issues RNCP36390's parchemins and certificats de bloc after receiving the signed
    PV, signed by its president and the president of the centre's CCI (seed 004); the
    établissement issues the attestation de suivi. CCI Campus Lyon names its president."""
    from documents.issuance import issuance_rule_set
    from documents.models import IssuanceRule, IssuanceSignatory
    from juries.issuance import centre_signatory_name_set

    cci = ref.certificateur
    staff = Membership.objects.filter(organisation=cci, role=Role.CERTIFICATEUR).first()
    if staff is None or IssuanceRule.objects.filter(certificateur=cci).exists():
        return
    with tenant_context(cci):
        for kind in ("parchemin", "certificat_bloc"):
            issuance_rule_set(
                certificateur=cci,
                by=staff,
                known_codes=[ref.code],
                kind=kind,
                issuer="certificateur",
                referentiel_code=ref.code,
                signataires=CCI_FRANCE_SIGNATORIES,
                source=SEED_004_SOURCE,
            )
        issuance_rule_set(
            certificateur=cci,
            by=staff,
            known_codes=[ref.code],
            kind="attestation",
            issuer="centre",
            referentiel_code=ref.code,
        )
    admin = Membership.objects.filter(organisation=org, role=Role.ADMIN).first() or gestionnaire
    with tenant_context(org):
        for signatory in IssuanceSignatory.objects.filter(rule__certificateur=cci, named_by="centre"):
            centre_signatory_name_set(
                by=admin, signatory_public_id=signatory.public_id, name=CENTRE_PRESIDENT
            )


def _sign_jury(org, ref, gestionnaire, panel, intitule, date, rows, suffix):
    """A jury composed of the demo panel, deliberated (engine's proposals) and signed by all."""
    jury = services.jury_create(by=gestionnaire, referentiel=ref, intitule=intitule, date=date, lieu="Lyon")
    # issue 16: only an administrator seats a jury's members
    admin = (
        Membership.objects.filter(organisation=org, role=Role.ADMIN, is_active=True).order_by("pk").first()
    )
    for email, nom, prenom, role, extra in PANEL:
        services.jury_member_add(
            jury=jury,
            by=admin or gestionnaire,
            email=email,
            nom=nom,
            prenom=prenom,
            role=role,
            annees_metier=6,
            **extra,
        )
    services.jury_dossiers_add(
        jury=jury, by=gestionnaire, dossiers=[_ready(gestionnaire, ref, *row, suffix=suffix) for row in rows]
    )
    services.jury_open(jury=jury, by=gestionnaire)
    services.decisions_accept_all(jury=jury, by=panel[PANEL[1][0]][0])
    pv = services.jury_close(jury=jury, by=panel[PANEL[0][0]][0])
    cache.clear()
    for email, *_ in PANEL[1:] + PANEL[:1]:
        membership, secret = panel[email]
        _demo_sign(pv, membership, secret)
    return jury


def _demo_sign(pv, membership, secret) -> None:
    """Sign with the member's current code; a code is usable once, so when this 30 s window's code
    was already spent (two demo juries signed by the same panel), wait for the next one."""
    import time

    from core.errors import ApplicationError

    try:
        services.proces_verbal_sign(proces_verbal=pv, by=membership, code=_code(secret), ip="127.0.0.1")
    except ApplicationError:
        cache.clear()  # the failed attempt is counted towards the signing lock: start afresh
        time.sleep(30 - time.time() % 30 + 0.5)
        services.proces_verbal_sign(proces_verbal=pv, by=membership, code=_code(secret), ip="127.0.0.1")


def _code(secret):
    return format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))


def seed(stdout=None) -> dict:
    from organisations.demo import DEMO_PASSWORD

    org = Organisation.objects.filter(slug=CENTRE).first()
    ref = Referentiel.objects.filter(code="RNCP36390", status="published").order_by("-version").first()
    gestionnaire = (
        Membership.objects.filter(organisation=org, user__email="gestionnaire@cci-lyon.demo").first()
        if org
        else None
    )
    # only an administrator seats a jury's members (issue 16): the centre's admin composes
    admin = (
        Membership.objects.filter(organisation=org, user__email="admin@cci-lyon.demo").first()
        if org
        else None
    )
    if org is None or ref is None or gestionnaire is None or admin is None:
        return {}
    issuance_rules_seed(org, ref, gestionnaire)
    with tenant_context(org):
        if Jury.objects.filter(intitule=SIGNED).exists():
            return {"juries": list(Jury.objects.filter(intitule__in=[SIGNED, TRANSMITTED, OPEN]))}
        panel = {}
        for email, nom, prenom, _role, _extra in PANEL:
            membership = _member(org, email, prenom, nom, DEMO_PASSWORD)
            secret = generate_totp_secret()
            TOTP.activate(membership.user, secret)
            panel[email] = (membership, secret)
        # Dates relative to the day the demo is loaded: the signed jury sat two weeks ago (its
        # 6-week publication deadline is ahead), the other one sits today.
        today = timezone.localdate()
        # 1. a jury signed by its four members: frozen, dossiers deliberated, documents issued
        signed = services.jury_create(
            by=gestionnaire, referentiel=ref, intitule=SIGNED, date=today - dt.timedelta(days=14), lieu="Lyon"
        )
        for email, nom, prenom, role, extra in PANEL:
            services.jury_member_add(
                jury=signed,
                by=admin,
                email=email,
                nom=nom,
                prenom=prenom,
                role=role,
                annees_metier=6,
                **extra,
            )
        dossiers = [_ready(gestionnaire, ref, *row, suffix="") for row in GRADES]
        services.jury_dossiers_add(jury=signed, by=gestionnaire, dossiers=dossiers)
        services.jury_open(jury=signed, by=gestionnaire)
        pro = panel[PANEL[1][0]][0]
        for d in signed.decisions.select_related("dossier__candidate"):
            if d.proposition == "partiel":
                services.decision_record(
                    decision=d,
                    by=pro,
                    accept=False,
                    decision_value="certifie",
                    blocs_valides=[b.code for b in ref.blocs.all()],
                    motivation="Le jury retient l'avis très favorable de l'entreprise.",
                )
            else:
                services.decision_record(decision=d, by=pro, accept=True)
        pv = services.jury_close(jury=signed, by=panel[PANEL[0][0]][0])
        cache.clear()
        for email, *_ in PANEL[1:] + PANEL[:1]:
            membership, secret = panel[email]
            _demo_sign(pv, membership, secret)
        # 2. a jury signed yesterday whose PV awaits CCI France's review (« PV reçus »)
        cache.clear()
        transmitted = _sign_jury(
            org, ref, gestionnaire, panel, TRANSMITTED, today - dt.timedelta(days=1), GRADES[2:], "-TER"
        )
        # 3. a jury in deliberation, presided by the demo jury login (it enrols its TOTP at first login)
        opened = services.jury_create(
            by=gestionnaire, referentiel=ref, intitule=OPEN, date=today, lieu="Lyon"
        )
        president = Membership.objects.filter(organisation=org, user__email="jury@cci-lyon.demo").first()
        rows = PANEL[1:]
        if president is not None:
            services.jury_member_add(
                jury=opened,
                by=admin,
                email="jury@cci-lyon.demo",
                nom=president.user.last_name or "Mercier",
                prenom=president.user.first_name or "Olivier",
                role="president",
                personnalite_qualifiee=True,
                annees_metier=10,
                structure="Chambre régionale",
                metier="Dirigeant",
            )
        for email, nom, prenom, role, extra in rows:
            services.jury_member_add(
                jury=opened,
                by=admin,
                email=email,
                nom=nom,
                prenom=prenom,
                role=role,
                annees_metier=6,
                **extra,
            )
        services.jury_dossiers_add(
            jury=opened,
            by=gestionnaire,
            dossiers=[_ready(gestionnaire, ref, *row, suffix="-BIS") for row in GRADES[:2]],
        )
        if president is not None:
            services.jury_open(jury=opened, by=gestionnaire)
    if stdout:
        stdout.write(
            "Jurys de démonstration : un jury signé (parchemins émis par CCI France), un jury signé dont "
            "le PV attend l'émission par CCI France, un jury en délibération."
        )
    return {"juries": [signed, transmitted, opened]}
