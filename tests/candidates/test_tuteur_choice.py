"""The dossier form offers the tuteurs of the dossier's entreprise, each labelled with their
entreprise (a tuteur of another one is refused by the service: test_inline_validation). The SIRET
message speaks the user's words (no « Luhn »)."""

from candidates import services
from candidates.forms import DossierForm
from candidates.validators import validate_siret
from organisations.tenancy import tenant_context
from referentiels.models import Referentiel
from tests.candidates.conftest import make_dossier


def test_tuteurs_of_the_dossier_entreprise(habilitated, alice, rncp):
    with tenant_context(habilitated):
        acme = services.entreprise_create(by=alice, raison_sociale="Acme", siret="73282932000074")
        other = services.entreprise_create(by=alice, raison_sociale="Bolt", siret="55210055400013")
        mine = services.tuteur_create(
            by=alice, nom="Petit", prenom="Marc", email="m@acme.fr", entreprise=acme
        )
        theirs = services.tuteur_create(
            by=alice, nom="Roux", prenom="Léa", email="l@bolt.fr", entreprise=other
        )
        free = services.tuteur_create(by=alice, nom="Blanc", prenom="Jo", email="j@ind.fr")
        dossier = make_dossier(alice, rncp, entreprise=acme)
        form = DossierForm(instance=dossier, referentiels=Referentiel.objects.all())
        offered = list(form.fields["tuteur"].queryset)
        assert mine in offered and free in offered and theirs not in offered
        labels = [label for _, label in form.fields["tuteur"].choices]
        assert "Marc Petit — Acme" in labels


def test_siret_message_in_the_users_words():
    try:
        validate_siret("73282932000075")
    except Exception as exc:  # noqa: BLE001
        message = " ".join(exc.messages)
    assert "Luhn" not in message and "clé de contrôle" in message and "mal recopié" in message
