"""The five seed référentiels (``*.json`` beside this file), faithful to ``shared/seeds/``."""

from pathlib import Path

SEED_DIR = Path(__file__).resolve().parent

# file → slug of the certificateur organisation that owns it in the demo world and the tests
SEEDS = {
    "cqpm-attache-gestion.json": "uimm",
    "cqpm-management-equipes.json": "uimm",
    "cqpm-responsable-affaires.json": "uimm",
    "cqpi-assistant.json": "cpnef-papier-carton",
    "rncp36390.json": "cci-france",
}


def seed_path(name: str) -> Path:
    return SEED_DIR / name
