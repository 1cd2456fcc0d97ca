"""The security tests' world: built once per module, in a transaction rolled back at its end."""

import pytest
from django.db import transaction
from django.test import Client
from rest_framework.test import APIClient

from tests.security.world import CANDIDAT, CENTRE_ROLES, build_world

ROLES = [r.value for r in CENTRE_ROLES] + ["certificateur", CANDIDAT]


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Two centres alike and a certificateur (``tests/security/world.py``), with a logged-in page
    client and a token API client per role of centre A (and the certificateur)."""
    with django_db_blocker.unblock(), transaction.atomic():
        w = build_world()
        w.pages, w.apis = {}, {}
        for role in ROLES:
            member = w.certificateur_member if role == "certificateur" else w.a.members[role]
            w.pages[role] = Client()
            w.pages[role].force_login(member.user)
            w.apis[role] = APIClient()
            if role == CANDIDAT:  # a candidate has no token: their session is all they have
                w.apis[role].force_login(member.user)
                continue
            key = w.certificateur_token if role == "certificateur" else w.a.tokens[role]
            w.apis[role].credentials(HTTP_AUTHORIZATION=f"Token {key}")
        yield w
        transaction.set_rollback(True)
