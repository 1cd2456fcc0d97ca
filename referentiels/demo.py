"""Demo world, part 2: the five seed référentiels, published, and the centres' habilitations."""

import datetime as dt
from typing import Any

from organisations.models import Organisation
from referentiels.exchange import document_parse
from referentiels.models import Referentiel
from referentiels.seeds import SEEDS, seed_path
from referentiels.services import habilitation_grant, referentiel_import, referentiel_publish

HABILITATIONS = {
    "uimm-idf": ["CQPM-attache-gestion", "CQPM-management-equipes", "CQPM-responsable-affaires"],
    "cci-campus-lyon": ["RNCP36390", "CQPI-assistant"],
}


def load_seed(name: str, certificateur: Organisation, *, publish: bool = True) -> Referentiel:
    path = seed_path(name)
    doc = document_parse(path.read_bytes(), path.name)
    existing = Referentiel.objects.filter(code=doc["code"], version=doc["version"]).first()
    if existing is not None:
        return existing
    referentiel = referentiel_import(doc=doc, certificateur=certificateur)
    if publish:
        referentiel_publish(referentiel=referentiel, by=certificateur)
    return referentiel


def seed(stdout=None) -> dict:
    orgs = {o.slug: o for o in Organisation.objects.all()}
    referentiels = {name: load_seed(name, orgs[slug]) for name, slug in SEEDS.items()}
    for centre_slug, codes in HABILITATIONS.items():
        for code in codes:
            referentiel = Referentiel.objects.filter(code=code).first()
            assert referentiel is not None, code  # loaded just above from the seeds
            habilitation_grant(
                certificateur=referentiel.certificateur,
                centre=orgs[centre_slug],
                code=code,
                date_debut=dt.date(2024, 1, 1),
            )
    _registrations(referentiels)
    return {"referentiels": referentiels}


# The registration facts a certificateur enters for its title: seed 004 names the fiche
# (« la fiche correspondante RNCP36390 ») but not the decision, the niveau nor the NSF code.
# The CQPM and the CQPI of the seeds are not registered: their documents print no registration.
DEMO_REGISTRATIONS: dict[str, dict[str, Any]] = {
    "RNCP36390": {
        "numero": "RNCP36390",
        "type_enregistrement": "sur_demande",
        "date_decision": dt.date(2022, 3, 29),
        "duree_ans": 3,
        "date_fin": dt.date(2025, 3, 29),
        "niveau": 5,
        "codes_nsf": [{"code": "324", "libelle": "Secrétariat, bureautique"}],
    },
}


def _registrations(referentiels) -> None:
    from referentiels.models import Enregistrement
    from referentiels.services import enregistrement_set

    for code, fields in DEMO_REGISTRATIONS.items():
        referentiel = Referentiel.objects.filter(code=code).order_by("-version").first()
        if referentiel is None or Enregistrement.objects.filter(code=code).exists():
            continue
        enregistrement_set(referentiel=referentiel, by=referentiel.certificateur, **fields)
