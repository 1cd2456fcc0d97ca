"""The tuteur's path (issue 15): mail scanners follow links before the tuteur does, so opening the
one-time link spends nothing — a button (POST) spends it and opens the session; every field the
tuteur typed survives a validation error, the « Appréciation générale » too."""

import re

from django.contrib.auth import get_user_model
from django.core import mail

from evaluations.models import AvisEntreprise
from organisations.tenancy import tenant_context
from tests.evaluations.test_pages_and_api import _avis_setup

User = get_user_model()


def _link(org_a, alice, referentiels, capture):
    with capture(execute=True):
        avis = _avis_setup(org_a, alice, referentiels)
    return avis, re.search(r"(/avis/lien/[^\s/]+/)", mail.outbox[-1].body).group(1)


def test_opening_the_link_spends_nothing_the_button_does(
    org_a, alice, referentiels, client, django_capture_on_commit_callbacks
):
    avis, path = _link(org_a, alice, referentiels, django_capture_on_commit_callbacks)
    # the tuteur already has an account (a second candidate, a previous year)
    User.objects.create_user(email="tuteur@entreprise.fr", password="motdepasse-solide-42")
    for _ in range(3):  # a scanner, a preview, the tuteur
        page = client.get(path)
        assert page.status_code == 200 and "Ouvrir mon espace et donner mon avis" in page.content.decode()
        assert "_auth_user_id" not in client.session
    with tenant_context(org_a):
        assert AvisEntreprise.objects.get(pk=avis.pk).lien_utilise_le is None
    response = client.post(path)
    assert response.status_code == 302 and response["Location"].endswith(f"/avis/{avis.public_id}/")
    assert client.session["_auth_user_id"]
    client.logout()
    again = client.post(path)
    assert again.status_code == 400 and "déjà été utilisé" in again.content.decode()


def test_every_field_survives_a_validation_error(
    org_a, alice, referentiels, client, django_capture_on_commit_callbacks
):
    avis, path = _link(org_a, alice, referentiels, django_capture_on_commit_callbacks)
    client.post(
        path,
        {
            "first_name": "Marc",
            "last_name": "Petit",
            "password1": "motdepasse-solide-42",
            "password2": "motdepasse-solide-42",
        },
    )
    with tenant_context(org_a):
        caps = list(avis.capacites.values_list("capacite_id", flat=True))
    url = f"/o/centre-a/evaluations/avis/{avis.public_id}/"
    data = {f"avis_{c}": "favorable" for c in caps[:-1]} | {
        f"commentaire_{caps[0]}": "Très rigoureux",
        "commentaire": "Un apprenti impliqué, à l'écoute des clients.",
        "action": "soumettre",
    }
    response = client.post(url, data)
    html = response.content.decode()
    assert response.status_code == 400 and "avis manquant" in html
    assert "Un apprenti impliqué, à l&#x27;écoute des clients." in html
    assert "Très rigoureux" in html
    with tenant_context(org_a):
        avis.refresh_from_db()
        assert avis.soumis_le is None and avis.commentaire == ""
