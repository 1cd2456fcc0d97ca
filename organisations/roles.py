"""Roles and the role → capability table: the single permission layer of pages and API.

A capability is ``<area>.<action>``. ``has_capability`` is the only check; views declare
``required_permission`` and the page decorator / DRF permission class call it. Object rules
(an évaluateur sees assigned dossiers only, a tuteur their own candidates, a jury member their
juries) live in each app's selectors, on top of this table.
"""

from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "Administrateur"
    GESTIONNAIRE = "gestionnaire", "Gestionnaire"
    EVALUATEUR = "evaluateur", "Évaluateur"
    TUTEUR = "tuteur", "Tuteur"
    JURY = "jury", "Membre de jury"
    CERTIFICATEUR = "certificateur", "Certificateur"
    # The person seeking the certification: reads their own dossiers in the centre, nothing else
    # (``espace_candidat``). Given by the centre's « Inviter le candidat à son espace », never
    # by the members' invitation form.
    CANDIDAT = "candidat", "Candidat"


A, G, E, T, J, C, K = (
    Role.ADMIN,
    Role.GESTIONNAIRE,
    Role.EVALUATEUR,
    Role.TUTEUR,
    Role.JURY,
    Role.CERTIFICATEUR,
    Role.CANDIDAT,
)
# Every staff role: the candidate holds none of the centre's capabilities.
STAFF_ROLES = frozenset(Role) - {K}
ALL = STAFF_ROLES

CAPABILITIES: dict[str, frozenset[Role]] = {
    # organisation and people
    "organisation.view": ALL,
    "members.view": frozenset({A, G}),
    "members.invite": frozenset({A, G}),
    "members.manage": frozenset({A}),
    "tokens.manage": frozenset({A}),
    "webhooks.manage": frozenset({A}),
    "audit.view": frozenset({A}),
    # référentiels (national data; editing is for the certificateur's own staff)
    "referentiels.view": ALL - {T},
    "referentiels.edit": frozenset({C}),
    "referentiels.import": frozenset({C}),
    "referentiels.publish": frozenset({C}),
    "habilitations.view": frozenset({A, G, C}),
    "habilitations.manage": frozenset({C}),
    # candidates and dossiers
    "candidates.view": frozenset({A, G, E, J}),
    "candidates.edit": frozenset({A, G}),
    "candidates.import": frozenset({A, G}),
    "candidates.export": frozenset({A, G}),
    "candidates.rgpd": frozenset({A}),
    "dossiers.transition": frozenset({A, G}),
    "pieces.upload": frozenset({A, G}),
    "pieces.view": frozenset({A, G, E, J}),
    # evaluations
    "sessions.manage": frozenset({A, G}),
    "convocations.send": frozenset({A, G}),
    "attendance.record": frozenset({A, G}),
    "results.view": frozenset({A, G, E, J}),
    "results.record": frozenset({A, G, E}),
    "results.validate": frozenset({A, G, E}),
    "avis.request": frozenset({A, G}),
    "avis.give": frozenset({T}),
    # juries
    "juries.view": frozenset({A, G, J}),
    "juries.manage": frozenset({A, G}),
    # Separation of duties (issue 16): only an administrator seats or removes a jury's members;
    # the gestionnaire prepares the jury (dates, candidates, opening) and reads its composition.
    "juries.compose": frozenset({A}),
    "juries.deliberate": frozenset({J}),
    "juries.sign": frozenset({J}),
    "documents.view": frozenset({A, G, J}),
    "documents.generate": frozenset({A, G}),
    "documents.revoke": frozenset({A}),
    # the candidate's own space: their dossiers only (object rule in espace_candidat.selectors)
    "espace.view": frozenset({K}),
    "espace.act": frozenset({K}),
    # the centre's side of it: invitations, correction and rattrapage requests, the follow-up
    "espace.invite": frozenset({A, G}),
    "demandes.manage": frozenset({A, G}),
    "suivi.view": frozenset({A, G}),
    "suivi.transmit": frozenset({A, G}),
    # the centre's own signatory on the certificateur's documents (« Président de la CCI … »)
    "signataires.manage": frozenset({A}),
    # certificateur space (``oversight.*`` answer 404 in a centre): read-only oversight across
    # centres; who issues and who signs its documents; the review and issue of transmitted PVs
    "oversight.view": frozenset({C}),
    "oversight.export": frozenset({C}),
    "oversight.configure": frozenset({C}),
    "oversight.issue": frozenset({C}),
}


def has_capability(role: str | None, capability: str) -> bool:
    if capability not in CAPABILITIES:
        raise KeyError(f"Capacité inconnue : {capability}")
    return role is not None and role in CAPABILITIES[capability]


def capabilities_of(role: str) -> frozenset[str]:
    return frozenset(cap for cap, roles in CAPABILITIES.items() if role in roles)
