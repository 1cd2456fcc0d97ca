"""Demo world, part 2: the five seed référentiels, published, and the centres' habilitations."""

import datetime as dt

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
            habilitation_grant(
                certificateur=referentiel.certificateur,
                centre=orgs[centre_slug],
                code=code,
                date_debut=dt.date(2024, 1, 1),
            )
    return {"referentiels": referentiels}
