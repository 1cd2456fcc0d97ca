import pytest

from organisations.models import Organisation
from referentiels.demo import load_seed


@pytest.fixture
def certificateurs(db):
    return {
        slug: Organisation.objects.create(kind="certificateur", slug=slug, name=name)
        for slug, name in [
            ("uimm", "UIMM"),
            ("cci-france", "CCI France"),
            ("cpnef-papier-carton", "CPNEF Papier-Carton"),
        ]
    }


@pytest.fixture
def seeds(certificateurs):
    from referentiels.seeds import SEEDS

    return {name: load_seed(name, certificateurs[slug]) for name, slug in SEEDS.items()}


@pytest.fixture
def cci(certificateurs):
    return certificateurs["cci-france"]
